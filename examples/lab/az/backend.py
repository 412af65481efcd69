"""An endpoint's web server for the lab: python3 backend.py ADDRESS PORT FILE
answers GET with 200 while FILE exists, 503 when it is gone."""

import http.server
import os
import sys

address, port, flag = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if os.path.exists(flag) else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((address, port), Handler).serve_forever()
