import http.server
import os


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"Hello from a Dockerfile\n")


http.server.HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "5000"))), H).serve_forever()
