"""The lab: a gtmd standing in for Azure Traffic Manager, started once for
the test session on free loopback ports and stopped at its end, and web
servers on 127.0.0.x whose health each test switches.

GTMD names the gtmd binary (default: gtmd on PATH)."""

import http.server
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from types import SimpleNamespace

import pytest

GTMD = os.environ.get("GTMD") or shutil.which("gtmd") or "gtmd"


def free_port(*hosts):
    """A port free for TCP and UDP on every one of hosts."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
        try:
            for host in hosts:
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(socket.AF_INET, kind) as s:
                        s.bind((host, port))
            return port
        except OSError:
            continue


@pytest.fixture(scope="session")
def gtmd(tmp_path_factory):
    """gtmd with its management API and its token issuer: the SDK logs in
    with a client id and secret, as it would against Azure."""
    state = tmp_path_factory.mktemp("gtmd")
    client, secret = "lab-client", secrets.token_urlsafe(24)
    clients = state / "clients"
    clients.write_text("%s %s\n" % (client, secret))
    clients.chmod(0o600)
    dns_port = api_port = free_port("127.0.0.1")
    while api_port == dns_port:
        api_port = free_port("127.0.0.1")
    log = open(state / "gtmd.log", "w")
    proc = subprocess.Popen(
        [GTMD, "--listen", "127.0.0.1:%d" % dns_port, "--api", "127.0.0.1:%d" % api_port,
         "--state-dir", str(state), "--api-clients", str(clients), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT)
    cert = state / "api.crt"
    try:
        deadline = time.monotonic() + 5
        while True:  # up when its certificate is written and the API accepts
            if proc.poll() is not None:
                pytest.fail("gtmd exited: %s" % (state / "gtmd.log").read_text())
            try:
                if cert.exists():
                    socket.create_connection(("127.0.0.1", api_port), timeout=1).close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gtmd did not start: %s" % (state / "gtmd.log").read_text())
            time.sleep(0.05)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("REQUESTS_CA_BUNDLE", str(cert))  # trust gtmd's self-signed certificate
            env.setenv("NO_PROXY", "127.0.0.1")
            yield SimpleNamespace(url="https://127.0.0.1:%d" % api_port, dns_port=dns_port,
                                  client=client, secret=secret, tenant="adfs",
                                  subscription="00000000-0000-0000-0000-000000000000")
    finally:
        proc.terminate()  # SIGTERM, by PID
        proc.wait(timeout=5)
        log.close()


class Backend:
    """An endpoint's web server: GET answers 200 while healthy, 503 after."""

    def __init__(self, address, port):
        self.address, self.healthy = address, True
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200 if backend.healthy else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((address, port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def backends():
    """Two healthy endpoints, 127.0.0.101 and 127.0.0.102, on one port
    (a Traffic Manager profile probes all its endpoints on the same port)."""
    port = free_port("127.0.0.101", "127.0.0.102")
    pair = {"primary": Backend("127.0.0.101", port), "secondary": Backend("127.0.0.102", port)}
    yield SimpleNamespace(port=port, **pair)
    for b in pair.values():
        b.close()
