#!/usr/bin/env python3
"""backend.py: the two "regions" of examples/fleet/run, small HTTP servers
on loopback that can be switched between healthy and failing, like the
endpoints of `gtmd --demo` (src/demo.c).

    backend.py NAME=ADDR:PORT [NAME=ADDR:PORT ...]

Each server answers every request with 200, or 503 while it fails:

    curl http://ADDR:PORT/fail       fail every probe from now on (503)
    curl http://ADDR:PORT/recover    answer 200 again
    curl 'http://ADDR:PORT/fail?from=127.0.0.31,127.0.0.32'
                                     fail only the probes that come from
                                     these source addresses: the endpoint
                                     looks down from some nodes only

Standard library only; one process for all servers; stops on SIGTERM or
SIGINT. Probes are not logged, switches are (on standard error)."""

import http.server
import signal
import sys
import threading
import urllib.parse


class Backend:
    def __init__(self, name, addr, port):
        self.name, self.addr, self.port = name, addr, port
        self.failing = False  # for every client
        self.fail_from = set()  # or only for these source addresses
        self.lock = threading.Lock()

    def fails_for(self, client):
        with self.lock:
            return self.failing or client in self.fail_from


def handler_for(b):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "gtmd-fleet-backend"

        def log_message(self, fmt, *args):  # no line per probe
            pass

        def reply(self, code, text):
            body = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path in ("/fail", "/recover"):
                q = urllib.parse.parse_qs(url.query)
                sources = {s for v in q.get("from", []) for s in v.split(",") if s}
                with b.lock:
                    if url.path == "/recover":
                        b.failing, b.fail_from = False, set()
                        what = "healthy"
                    elif sources:
                        b.fail_from |= sources
                        what = "failing (503) for probes from %s" % ", ".join(sorted(b.fail_from))
                    else:
                        b.failing = True
                        what = "failing (503)"
                sys.stderr.write("backend: %s (%s:%d) is now %s\n" % (b.name, b.addr, b.port, what))
                sys.stderr.flush()
                self.reply(200, "backend %s is now %s" % (b.name, what))
                return
            if b.fails_for(self.client_address[0]):
                self.reply(503, "backend %s (%s): failing" % (b.name, b.addr))
            else:
                self.reply(200, "backend %s (%s): OK" % (b.name, b.addr))

        do_HEAD = do_GET

    return Handler


def main(argv):
    if not argv or any("=" not in a or ":" not in a for a in argv):
        sys.stderr.write("usage: backend.py NAME=ADDR:PORT [NAME=ADDR:PORT ...]\n")
        return 1
    servers = []
    for a in argv:
        name, hostport = a.split("=", 1)
        addr, port = hostport.rsplit(":", 1)
        b = Backend(name, addr, int(port))
        try:
            srv = http.server.ThreadingHTTPServer((addr, int(port)), handler_for(b))
        except OSError as e:
            sys.stderr.write("backend: cannot listen on %s:%s: %s\n" % (addr, port, e))
            return 2
        srv.daemon_threads = True
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        sys.stderr.write("backend: %s on http://%s:%s/\n" % (name, addr, port))
    sys.stderr.flush()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(1):
        pass
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
