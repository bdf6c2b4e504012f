import http.server
import os

BUILT = open("built.txt").read()


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(("Hello from multi: " + BUILT + "\n").encode())


http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
