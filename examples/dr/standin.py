#!/usr/bin/env python3
"""Stand-ins for docs/DR-SWITCH.md, on loopback, so that the guide runs on
one machine.

  standin.py member ADDR:PORT ROLEFILE
      One region's web gateway in front of its mirror member. It serves
      GET /csp/user/mirror_status.cxw as an InterSystems IRIS (or Cache)
      CSP gateway does for a load balancer: 200 with SUCCESS while the
      member is the mirror's primary, 503 with FAILED otherwise. The role is
      the first word of ROLEFILE, read at every request: write "primary" to
      promote the member, anything else ("backup", "async") to demote it.
      Any other path is 404.

  standin.py pager ADDR:PORT LOGFILE
      An on-call pager's webhook: every POST body is appended to LOGFILE as
      one line, answered 202.

Each logs one line per request on standard error and runs until SIGTERM.
"""

import http.server
import signal
import sys

STATUS_PATH = "/csp/user/mirror_status.cxw"
MAX_BODY = 64 * 1024


def role_of(path):
    try:
        with open(path) as f:
            words = f.read(256).split()
    except OSError:
        return "none"
    return words[0] if words else "none"


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Member(Handler):
    rolefile = None

    def do_GET(self):
        if self.path.split("?")[0] != STATUS_PATH:
            self.reply(404, "not found\n")
        elif role_of(self.rolefile) == "primary":
            self.reply(200, "SUCCESS\n")
        else:
            self.reply(503, "FAILED\n")


class Pager(Handler):
    logfile = None

    def do_POST(self):
        try:
            n = min(int(self.headers.get("Content-Length", "0")), MAX_BODY)
        except ValueError:
            n = 0
        body = self.rfile.read(n).decode(errors="replace").replace("\n", " ")
        with open(self.logfile, "a") as f:
            f.write(body + "\n")
        self.reply(202, "paged\n")


def main(argv):
    if len(argv) != 4 or argv[1] not in ("member", "pager") or ":" not in argv[2]:
        sys.exit("usage: standin.py member|pager ADDR:PORT FILE")
    host, port = argv[2].rsplit(":", 1)
    if argv[1] == "member":
        Member.rolefile = argv[3]
        handler = Member
    else:
        Pager.logfile = argv[3]
        handler = Pager
    server = http.server.ThreadingHTTPServer((host, int(port)), handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv)
