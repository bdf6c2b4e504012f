#!/bin/sh
# A Procfile-only app: a shell script that answers HTTP with python's stdlib.
exec python3 -c 'import http.server,os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"Hello from a Procfile\n")
http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()'
