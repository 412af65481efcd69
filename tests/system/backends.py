"""Real local backends for the traffic-manager system tests, and helpers
shared by test_tm_*.py (profile JSON, DNS polling, log matching).

Backends run in threads on 127.0.0.21-127.0.0.99 (Linux routes all of
127.0.0.0/8 to lo; no other address is ever used):

- HttpBackend: HTTP/1.1, or HTTPS with a self-signed certificate made with
  the openssl CLI; its behaviour is switched at run time: a status code
  (200, 503, ...), "hang" (read the request, never answer), "close" (accept
  and close at once), "redirect" (301 to /redirected on itself), "endless"
  (200 and a body that never ends), "garbage" (not HTTP at all).
  fail_next(n) answers the next n requests with a failure, then returns to
  the current behaviour.
- TcpBackend: a plain TCP listener that accepts and records connections;
  close() stops listening (connection refused), reopen() listens again.

Every backend records what it got (Request: arrival time on the monotonic
clock, what it answered, method, path, headers), and a group of backends
(one per address) shares one port number, free on all of its addresses, as
a profile's monitorConfig.port needs.
"""

import itertools
import json
import re
import socket
import ssl
import subprocess
import threading
import time

import dns.exception
import dns.rcode
import dns.rdatatype

FIRST_HOST = 21
LAST_HOST = 99
_host_numbers = itertools.cycle(range(FIRST_HOST, LAST_HOST + 1))
_host_lock = threading.Lock()

UA = "Azure Traffic Manager Endpoint Monitor"


def host(n):
    assert FIRST_HOST <= n <= LAST_HOST, n
    return "127.0.0.%d" % n


def next_hosts(count):
    """count distinct consecutive backend addresses (cycling 21..99)."""
    with _host_lock:
        out = []
        while len(out) < count:
            n = next(_host_numbers)
            if out and n == FIRST_HOST:
                out = []  # wrapped: keep a group contiguous
            out.append(host(n))
        return out


# --------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------


class Request:
    """One connection a backend accepted (and the request, if it read one).
    Recorded at accept time, in accept order (seq); ready is set once the
    request line and headers were read (or the connection ended)."""

    def __init__(self, t, answer, peer, seq=0):
        self.time = t  # time.monotonic() at accept
        self.answer = answer  # "200", "503", "hang", "close", "301", "endless", ...
        self.peer = peer
        self.seq = seq  # index in the backend's list
        self.mode = None
        self.ready = threading.Event()
        self.method = None
        self.path = None
        self.version = None
        self.headers = []  # [(name, value)] as received, in order

    def header(self, name):
        v = self.header_all(name)
        return v[0] if v else None

    def header_all(self, name):
        return [v for (k, v) in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<%.3f %s %s %s %s>" % (
            self.time,
            self.answer,
            self.method,
            self.path,
            self.headers,
        )


def _listen_socket(host_, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host_, port))
        s.listen(64)
    except OSError:
        s.close()
        raise
    return s


class _Backend:
    kind = "?"

    def __init__(self, host_, port, sock=None):
        self.host = host_
        self.port = port
        self._lock = threading.Lock()
        self._requests = []
        self._conns = set()
        self._sock = sock
        self._thread = None
        self._stopping = threading.Event()
        self.running = False

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        assert not self.running
        if self._sock is None:
            self._sock = _listen_socket(self.host, self.port)
        self._sock.settimeout(0.05)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._accept_loop, name="backend-%s:%d" % (self.host, self.port),
            daemon=True,
        )
        self.running = True
        self._thread.start()
        return self

    def stop(self):
        """Stop listening (later connections are refused) and drop every
        connection still open."""
        if not self.running:
            return
        self._stopping.set()
        self._thread.join(5)
        self._sock.close()
        self._sock = None
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.running = False

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                conn, peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                time.sleep(0.01)
                continue
            t = time.monotonic()
            conn.settimeout(5)
            with self._lock:
                self._conns.add(conn)
                # what to do is decided here, in accept order, atomically
                # with set(): every connection after a switch sees it
                r = self._on_accept(t, peer)
                r.seq = len(self._requests)
                self._requests.append(r)
            threading.Thread(
                target=self._conn_main, args=(conn, r), daemon=True
            ).start()

    def _on_accept(self, t, peer):
        """Called with the lock held: a new Request for this connection."""
        return Request(t, "connect", peer)

    def _conn_main(self, conn, r):
        try:
            self._serve(conn, r)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            r.ready.set()
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    # -- what was received -------------------------------------------------
    @property
    def requests(self):
        """Every connection so far, in accept order (some may not be ready)."""
        with self._lock:
            return list(self._requests)

    def mark(self):
        """A position in the request list: requests_from(mark) are the later ones."""
        with self._lock:
            return len(self._requests)

    def requests_since(self, t):
        return [r for r in self.requests if r.time >= t]

    def requests_from(self, mark):
        return self.requests[mark:]

    def wait_requests(self, n, timeout=5, since=None, pred=None, after=None):
        """Wait until n ready requests (accepted at or after time since, or
        from mark after on, matching pred) arrived; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            got = [
                r
                for r in self.requests[after or 0:]
                if r.ready.is_set()
                and (since is None or r.time >= since)
                and (pred is None or pred(r))
            ]
            if len(got) >= n:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(
                    "%s %s:%d: %d of %d requests within %ss; got %r"
                    % (self.kind, self.host, self.port, len(got), n, timeout, self.requests)
                )
            time.sleep(0.02)

    def _wait_idle(self, conn):
        """Keep conn open, unanswered, until the peer closes it or stop()."""
        conn.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                if not conn.recv(4096):
                    return
            except socket.timeout:
                continue

    def describe(self):
        return "%s %s:%d: %d requests: %s" % (
            self.kind,
            self.host,
            self.port,
            len(self.requests),
            " ".join("%.3f:%s" % (r.time, r.answer) for r in self.requests[-30:]),
        )


class HttpBackend(_Backend):
    kind = "http"

    def __init__(self, host_, port, sock=None, tls=None):
        super().__init__(host_, port, sock)
        self.tls = tls  # an ssl.SSLContext (server side) or None
        self.kind = "https" if tls else "http"
        self._mode = 200
        self._queue = []
        self._fail_from = set()  # source addresses answered 503 (fleet tests)

    # -- behaviour ---------------------------------------------------------
    def set(self, mode):
        """mode: an HTTP status (int), or "hang", "close", "redirect",
        "endless", "garbage". Also clears what fail_next queued. Returns a
        mark: requests_from(mark) are exactly those served in this mode."""
        self._check(mode)
        with self._lock:
            self._mode = mode
            self._queue = []
            return len(self._requests)

    def ok(self):
        return self.set(200)

    def fail_sources(self, addrs):
        """Requests from the source addresses addrs get 503, whatever the
        mode (each gtmd of a fleet probes from its own --probe-source);
        an empty set ends it."""
        with self._lock:
            self._fail_from = set(addrs)

    def fail_next(self, n, mode=503):
        """The next n connections get mode, then the current behaviour.
        Returns a mark (see set)."""
        self._check(mode)
        with self._lock:
            self._queue = [mode] * n
            return len(self._requests)

    @property
    def mode(self):
        with self._lock:
            return self._queue[0] if self._queue else self._mode

    @staticmethod
    def _check(mode):
        assert isinstance(mode, int) or mode in (
            "hang",
            "close",
            "redirect",
            "endless",
            "garbage",
        ), mode

    def _on_accept(self, t, peer):
        mode = self._queue.pop(0) if self._queue else self._mode
        if peer and peer[0] in self._fail_from:
            mode = 503
        r = Request(t, {"redirect": "301"}.get(mode, str(mode)), peer)
        r.mode = mode
        return r

    # -- serving -----------------------------------------------------------
    def _serve(self, conn, r):
        mode = r.mode
        if mode == "close":
            return  # closed by _conn_main, request unread
        if self.tls is not None:
            tconn = self.tls.wrap_socket(conn, server_side=True)  # detaches conn
            with self._lock:
                self._conns.discard(conn)
                self._conns.add(tconn)
            try:
                self._answer(tconn, r, mode)
            finally:
                with self._lock:
                    self._conns.discard(tconn)
                tconn.close()
            return
        self._answer(conn, r, mode)

    def _answer(self, conn, r, mode):
        self._read_request(conn, r)
        r.ready.set()
        if mode == "hang":
            self._wait_idle(conn)
        elif mode == "redirect":
            self._send(
                conn,
                301,
                b"moved\n",
                [("Location", "http://%s:%d/redirected" % (self.host, self.port))],
            )
        elif mode == "endless":
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"Connection: close\r\n\r\n"
            )
            chunk = b"x" * 65536
            conn.settimeout(2)
            while not self._stopping.is_set():
                conn.sendall(chunk)  # until the prober gives up (EPIPE/reset)
        elif mode == "garbage":
            conn.sendall(b"\x00\xffnot http at all\r\n\r\n\x01\x02")
        else:
            self._send(conn, mode, b"status %d\n" % mode)

    @staticmethod
    def _read_request(conn, r):
        buf = b""
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            buf += chunk
        head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) == 3:
            r.method, r.path, r.version = parts
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                r.headers.append((k.strip(), v.strip()))

    @staticmethod
    def _send(conn, status, body, headers=()):
        reason = {200: "OK", 204: "No Content", 301: "Moved Permanently",
                  503: "Service Unavailable"}.get(status, "Status")
        head = "HTTP/1.1 %d %s\r\n" % (status, reason)
        if status == 204:
            body = b""
        else:
            head += "Content-Length: %d\r\n" % len(body)
        for k, v in headers:
            head += "%s: %s\r\n" % (k, v)
        head += "Connection: close\r\n\r\n"
        conn.sendall(head.encode("latin-1") + body)


class TcpBackend(_Backend):
    """Accepts, records and keeps each connection until the peer closes it."""

    kind = "tcp"

    def _serve(self, conn, r):
        r.ready.set()
        self._wait_idle(conn)

    def close(self):
        self.stop()

    def reopen(self):
        self.start()


# --------------------------------------------------------------------------
# The factory (the `backends` fixture in conftest.py)
# --------------------------------------------------------------------------


class BackendFactory:
    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.all = []
        self._tls = None

    def tls_context(self):
        """A server context with a self-signed certificate made now with the
        openssl CLI."""
        if self._tls is None:
            d = self.tmp_path_factory.mktemp("tls")
            cert, key = d / "cert.pem", d / "key.pem"
            subprocess.run(
                [
                    "openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=backend.invalid",
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(cert), str(key))
            self._tls = ctx
        return self._tls

    def _group(self, count, make, hosts=None):
        hosts = list(hosts) if hosts else next_hosts(count)
        for _ in range(100):
            socks = []
            try:
                s0 = _listen_socket(hosts[0], 0)
                socks.append(s0)
                port = s0.getsockname()[1]
                for h in hosts[1:]:
                    socks.append(_listen_socket(h, port))
            except OSError:
                for s in socks:
                    s.close()
                continue
            group = [make(h, port, s) for h, s in zip(hosts, socks)]
            for b in group:
                b.start()
                self.all.append(b)
            return group
        raise RuntimeError("no port free on all of %s" % hosts)

    def http(self, count=1, tls=False, hosts=None):
        """count HTTP(S) backends on distinct addresses, one shared port."""
        ctx = self.tls_context() if tls else None
        return self._group(
            count, lambda h, p, s: HttpBackend(h, p, s, tls=ctx), hosts
        )

    def tcp(self, count=1, hosts=None):
        return self._group(count, lambda h, p, s: TcpBackend(h, p, s), hosts)

    def stop_all(self):
        for b in self.all:
            b.stop()

    def report(self):
        return "\n".join(b.describe() for b in self.all)


# --------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------

PROFILE_TYPE = "Microsoft.Network/trafficManagerProfiles"
EXTERNAL = PROFILE_TYPE + "/externalEndpoints"


def endpoint(name, target, **props):
    """An endpoint in ARM shape; props go into its properties as given
    (priority, weight, endpointStatus, alwaysServe, customHeaders...)."""
    p = {"target": target, "endpointStatus": "Enabled"}
    p.update(props)
    return {"name": name, "type": EXTERNAL, "properties": p}


def profile(
    name,
    method,
    endpoints,
    port=80,
    protocol="HTTP",
    path="/health",
    ttl=30,
    interval=1,
    timeout=1,
    tolerated=None,
    status="Enabled",
    monitor=None,
    relative_name=None,
):
    """A profile in ARM shape (properties wrappers)."""
    mon = {
        "protocol": protocol,
        "port": port,
        "intervalInSeconds": interval,
        "timeoutInSeconds": timeout,
    }
    if protocol != "TCP":
        mon["path"] = path
    if tolerated is not None:
        mon["toleratedNumberOfFailures"] = tolerated
    mon.update(monitor or {})
    return {
        "name": name,
        "type": PROFILE_TYPE,
        "location": "global",
        "properties": {
            "profileStatus": status,
            "trafficRoutingMethod": method,
            "dnsConfig": {"relativeName": relative_name or name, "ttl": ttl},
            "monitorConfig": mon,
            "endpoints": endpoints,
        },
    }


def to_arm(flat):
    """The `az ... profile show` (flattened) shape -> the ARM shape."""
    top = ("id", "name", "type", "location", "tags")
    eptop = ("id", "name", "type")
    arm = {k: v for k, v in flat.items() if k in top}
    props = {k: v for k, v in flat.items() if k not in top and k != "resourceGroup"}
    eps = []
    for e in props.get("endpoints") or []:
        ep = {k: v for k, v in e.items() if k in eptop}
        ep["properties"] = {
            k: v for k, v in e.items() if k not in eptop and k != "resourceGroup"
        }
        eps.append(ep)
    props["endpoints"] = eps
    arm["properties"] = props
    return json.loads(json.dumps(arm))


# --------------------------------------------------------------------------
# DNS and log helpers
# --------------------------------------------------------------------------


def rdatas(msg, rdtype="A"):
    """Sorted texts of the answer records of one type."""
    t = dns.rdatatype.from_text(rdtype)
    out = []
    for rrset in msg.answer:
        if rrset.rdtype == t:
            out.extend(rd.to_text() for rd in rrset)
    return sorted(out)


def addresses(g, name, rdtype="A", timeout=2):
    """The addresses gtmd answers for name (rcode must be NOERROR)."""
    r = g.query(name, rdtype, timeout=timeout)
    assert r.rcode() == dns.rcode.NOERROR, (name, dns.rcode.to_text(r.rcode()))
    return rdatas(r, rdtype)


def fqdn(g, relative):
    return "%s.%s." % (relative, g.domain.rstrip("."))


def transition_rx(label, old, new):
    return r"monitor: endpoint %s %s -> %s\b" % (re.escape(label), old, new)


def wait_transition(g, label, old, new, timeout=5):
    """Wait for the log line `monitor: endpoint LABEL OLD -> NEW...`."""
    return g.wait_log(transition_rx(label, old, new), timeout=timeout)


def count_log(g, pattern):
    return len(re.findall(pattern, g.log))


def poll(fn, timeout, period=0.02):
    """Call fn() until it returns a true value; returns (value, seconds)."""
    t0 = time.monotonic()
    while True:
        v = fn()
        if v:
            return v, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            return v, None
        time.sleep(period)


class Watcher:
    """Queries names in a loop in a thread and keeps every answer:
    samples[name] = [(monotonic time, rcode text, (addresses...))]; a query
    that gets no answer is recorded with rcode "timeout"."""

    def __init__(self, g, names, rdtype="A", period=0.02):
        self.g = g
        self.names = list(names)
        self.rdtype = rdtype
        self.period = period
        self.samples = {n: [] for n in self.names}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self):
        while not self._stop.is_set():
            for n in self.names:
                t = time.monotonic()
                try:
                    r = self.g.query(n, self.rdtype, timeout=1)
                    s = (t, dns.rcode.to_text(r.rcode()), tuple(rdatas(r, self.rdtype)))
                except (OSError, dns.exception.DNSException) as e:
                    s = (t, "timeout", (repr(e),))
                with self._lock:
                    self.samples[n].append(s)
            self._stop.wait(self.period)

    def get(self, name, since=None, until=None):
        with self._lock:
            return [
                s
                for s in self.samples[name]
                if (since is None or s[0] >= since) and (until is None or s[0] <= until)
            ]

    def first(self, name, pred, since=None):
        """Time of the first sample (since t) whose addresses satisfy pred."""
        for s in self.get(name, since):
            if s[1] == "NOERROR" and pred(s[2]):
                return s[0]
        return None

    def wait(self, name, pred, since=None, timeout=10):
        """Wait for the first sample satisfying pred; returns its time or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = self.first(name, pred, since)
            if t is not None:
                return t
            time.sleep(0.02)
        return self.first(name, pred, since)

    def timeouts(self, name):
        return [s for s in self.get(name) if s[1] == "timeout"]
