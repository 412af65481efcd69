"""System-test harness for gtmd.

Starts the real daemon on free loopback ports with zone files and config
written into a per-test temporary directory, waits until it answers a SOA
query for its --domain, and stops it with SIGTERM (asserting exit code 0).

Environment:
  GTMD                path of the gtmd binary (default: ../../gtmd relative
                      to this file, i.e. the build root)
  GTMD_WRAPPER        optional command prefix, e.g. "valgrind -q"
  GTMD_TIMEOUT_SCALE  multiply every timeout (default 1, or 10 with a wrapper)

Only 127.0.0.1 and ::1 are ever used for gtmd; the backends of the traffic
manager tests (backends.py, `backends` fixture) use 127.0.0.21-127.0.0.99.
"""

import json
import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

HERE = Path(__file__).resolve().parent
GTMD = os.environ.get("GTMD") or str((HERE / ".." / ".." / "gtmd").resolve())
WRAPPER = shlex.split(os.environ.get("GTMD_WRAPPER", ""))
SCALE = float(os.environ.get("GTMD_TIMEOUT_SCALE", "10" if WRAPPER else "1"))

LOOPBACK4 = "127.0.0.1"
LOOPBACK6 = "::1"
DEFAULT_DOMAIN = "tm.test"

# --------------------------------------------------------------------------
# Test data shared by several files (each test writes its own copy).
# --------------------------------------------------------------------------

BIG_TXT_COUNT = 40  # ~4.5 KB: larger than 1232
MEDIUM_TXT_COUNT = 8  # ~950 bytes: between 512 and 1232


def _txt_lines(owner, count, tag):
    return "".join(
        '%s TXT "%s-%02d-%s"\n' % (owner, tag, i, "x" * 90) for i in range(count)
    )


EXAMPLE_ZONE = (
    """$ORIGIN example.com.
$TTL 3600
@       3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300
@       NS    ns1
@       NS    ns2
@       A     192.0.2.1
@       AAAA  2001:db8::1
@       MX    10 mail
@       TXT   "v=spf1 -all"
@       CAA   0 issue "letsencrypt.org"
www     A     192.0.2.2
www     AAAA  2001:db8::2
ns1     A     192.0.2.3
ns1     AAAA  2001:db8::3
ns2     A     192.0.2.4
ns2     AAAA  2001:db8::4
mail    A     192.0.2.5
ftp     CNAME www
alias   CNAME ftp
out     CNAME www.example.net.
dangling CNAME nothere
cross   CNAME host.other.test.
loop1   CNAME loop2
loop2   CNAME loop1
*.wild  A     192.0.2.50
*.wild  TXT   "wildcard"
exists.wild A 192.0.2.51
sub     NS    ns1.sub
sub     NS    ns.elsewhere.net.
ns1.sub A     192.0.2.60
ns1.sub AAAA  2001:db8::60
_sip._tcp SRV 10 60 5060 sip
sip     A     192.0.2.7
host.deep.ent A 192.0.2.8
rare    TYPE65280 \\# 2 abcd
hinfo   HINFO "PC" "Linux"
"""
    + _txt_lines("big", BIG_TXT_COUNT, "big")
    + _txt_lines("medium", MEDIUM_TXT_COUNT, "med")
)

OTHER_ZONE = """$ORIGIN other.test.
$TTL 600
@    IN SOA ns1.other.test. hostmaster.other.test. 7 3600 600 86400 60
@    NS ns1
ns1  A 192.0.2.100
host A 192.0.2.101
"""

STANDARD_ZONES = {"example.com.zone": EXAMPLE_ZONE, "other.test.zone": OTHER_ZONE}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def scaled(seconds):
    return seconds * SCALE


def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    except OSError:
        return False
    try:
        s.bind((LOOPBACK6, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(host=LOOPBACK4):
    """A port free for both UDP and TCP on host (bind port 0, then check)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(200):
        u = socket.socket(family, socket.SOCK_DGRAM)
        t = socket.socket(family, socket.SOCK_STREAM)
        try:
            u.bind((host, 0))
            port = u.getsockname()[1]
            try:
                t.bind((host, port))
            except OSError:
                continue
            return port
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port on %s" % host)


def header(wire):
    """Decode the 12-byte DNS header of raw bytes into a dict."""
    (qid, flags, qd, an, ns, ar) = struct.unpack("!HHHHHH", wire[:12])
    return {
        "id": qid,
        "flags": flags,
        "qr": bool(flags & 0x8000),
        "opcode": (flags >> 11) & 0xF,
        "aa": bool(flags & 0x0400),
        "tc": bool(flags & 0x0200),
        "rd": bool(flags & 0x0100),
        "ra": bool(flags & 0x0080),
        "cd": bool(flags & 0x0010),
        "rcode": flags & 0xF,
        "qdcount": qd,
        "ancount": an,
        "nscount": ns,
        "arcount": ar,
    }


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def tcp_read_msg(sock):
    (length,) = struct.unpack("!H", recv_exact(sock, 2))
    return recv_exact(sock, length)


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def make_query(name, rdtype="A", rdclass="IN", rd=None, cd=False, qid=None, **kw):
    q = dns.message.make_query(name, rdtype, rdclass, **kw)
    version = kw.get("use_edns")
    if isinstance(version, int) and not isinstance(version, bool) and version > 0:
        # dnspython 2.3's make_query loses the EDNS version (want_dnssec
        # rebuilds the OPT); set it again explicitly.
        q.use_edns(
            version,
            ednsflags=q.ednsflags & 0xFFFF,
            payload=q.payload,
            options=q.options,
        )
        assert q.edns == version
    if qid is not None:
        q.id = qid
    if rd is not None:
        if rd:
            q.flags |= dns.flags.RD
        else:
            q.flags &= ~dns.flags.RD
    if cd:
        q.flags |= dns.flags.CD
    return q


def rrsets_of(section, rdtype=None):
    if rdtype is None:
        return list(section)
    t = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
    return [r for r in section if r.rdtype == t]


def texts(msg, section="answer", rdtype=None):
    """Sorted rdata texts of a section (optionally one type)."""
    out = []
    for rrset in rrsets_of(getattr(msg, section), rdtype):
        out.extend(rd.to_text() for rd in rrset)
    return sorted(out)


# --------------------------------------------------------------------------
# The daemon
# --------------------------------------------------------------------------


class Gtmd:
    def __init__(self, workdir, argv, host, port, domain, log_path):
        self.workdir = Path(workdir)
        self.argv = argv
        self.host = host
        self.port = port
        self.domain = domain
        self.log_path = Path(log_path)
        self.proc = None
        self.returncode = None
        self.start_time = None
        self.ready_time = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        self.start_time = time.time()
        self._logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            WRAPPER + self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._logf,
            stderr=self._logf,
            cwd=str(self.workdir),
        )
        return self

    @property
    def pid(self):
        return self.proc.pid

    @property
    def log(self):
        """Text of everything gtmd wrote to stderr/stdout so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout=10):
        deadline = time.time() + scaled(timeout)
        last = None
        while time.time() < deadline:
            if not self.alive():
                raise AssertionError(
                    "gtmd exited with %s before answering; log:\n%s"
                    % (self.proc.returncode, self.log)
                )
            try:
                r = self.query(self.domain, "SOA", timeout=0.2 * SCALE)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    self.ready_time = time.time()
                    return self
                last = "rcode %s" % dns.rcode.to_text(r.rcode())
            except (OSError, EOFError, dns.exception.DNSException) as e:
                last = repr(e)
            time.sleep(0.05)
        raise AssertionError(
            "gtmd did not answer SOA %s within %ss (%s); log:\n%s"
            % (self.domain, timeout, last, self.log)
        )

    def send_signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait(self, timeout=10):
        self.returncode = self.proc.wait(timeout=scaled(timeout))
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send sig by PID and wait; returns the exit code (kills on hang)."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.returncode = self.proc.wait(timeout=scaled(timeout))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = "hung (killed after %ss)" % timeout
        else:
            self.returncode = self.proc.returncode
        self._logf.close()
        return self.returncode

    def wait_log(self, pattern, timeout=5):
        """Poll the log until regex pattern matches; returns the match."""
        deadline = time.time() + scaled(timeout)
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.log)
            if m:
                return m
            if time.time() > deadline:
                raise AssertionError(
                    "log never matched %r; log:\n%s" % (pattern, self.log)
                )
            time.sleep(0.05)

    # -- DNS ---------------------------------------------------------------
    def addr(self, host=None):
        return (host or self.host, self.port)

    def _family(self, host):
        return socket.AF_INET6 if ":" in host else socket.AF_INET

    def udp_raw(self, wire, timeout=2, host=None, match_id=True, port=None):
        """Send raw bytes over UDP; return the reply bytes or None on timeout."""
        host = host or self.host
        s = socket.socket(self._family(host), socket.SOCK_DGRAM)
        try:
            s.connect((host, port or self.port))
            s.send(wire)
            deadline = time.time() + scaled(timeout)
            while True:
                left = deadline - time.time()
                if left <= 0:
                    return None
                s.settimeout(left)
                try:
                    data = s.recv(65535)
                except socket.timeout:
                    return None
                if data == wire and s.getsockname() == s.getpeername():
                    # The kernel gave this socket the server's (free) port as
                    # its own: a self-connection that hears its own query.
                    return None
                if (
                    not match_id
                    or len(wire) < 2
                    or (len(data) >= 2 and data[:2] == wire[:2])
                ):
                    return data
        finally:
            s.close()

    def tcp_connect(self, host=None, timeout=2, port=None):
        host = host or self.host
        s = socket.socket(self._family(host), socket.SOCK_STREAM)
        s.settimeout(scaled(timeout))
        s.connect((host, port or self.port))
        return s

    def tcp_raw(self, wire, timeout=2, host=None, port=None):
        """Send one framed message over a new TCP connection; return reply bytes."""
        s = self.tcp_connect(host, timeout, port)
        try:
            s.sendall(frame(wire))
            return tcp_read_msg(s)
        finally:
            s.close()

    def exchange(self, q, tcp=False, timeout=2, host=None, port=None):
        wire = q.to_wire()
        if tcp:
            data = self.tcp_raw(wire, timeout=timeout, host=host, port=port)
        else:
            data = self.udp_raw(wire, timeout=timeout, host=host, port=port)
            if data is None:
                raise dns.exception.Timeout(
                    "no UDP answer from gtmd for %s" % q.question
                )
        r = dns.message.from_wire(data)
        r.wire = data
        assert r.id == q.id, "answer ID %d != query ID %d" % (r.id, q.id)
        return r

    def query(self, name, rdtype="A", tcp=False, timeout=2, host=None, port=None, **kw):
        """Query gtmd; kw goes to make_query (rdclass, use_edns, payload,
        want_dnssec, ednsflags, options, rd, cd, qid). Returns a dnspython
        message with the raw reply in .wire."""
        q = make_query(name, rdtype, **kw)
        return self.exchange(q, tcp=tcp, timeout=timeout, host=host, port=port)


def write_profile(pdir, name, doc):
    """Write one profile (a dict, dumped as JSON, or text as is) into
    pdir/NAME.json (".json" added unless given); returns the path. Written
    to a temporary name first and renamed, so a reload never reads half."""
    fname = name if name.endswith(".json") else name + ".json"
    path = Path(pdir) / fname
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    tmp = Path(pdir) / (".tmp-" + fname)
    tmp.write_text(text)
    os.replace(str(tmp), str(path))
    return path


class GtmdFactory:
    """Writes zones/config into tmp dirs and starts gtmd instances."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.instances = []

    def prepare(self, zones=None, config=None, name="gtmd"):
        d = self.tmp_path_factory.mktemp(name)
        zdir = d / "zones"
        zdir.mkdir()
        for fname, text in (zones or {}).items():
            (zdir / fname).write_text(text)
        conf = None
        if config is not None:
            conf = d / "gtmd.conf"
            conf.write_text(config)
        return d, zdir, conf

    def argv(
        self,
        zdir=None,
        port=None,
        host=LOOPBACK4,
        domain=DEFAULT_DOMAIN,
        workers=2,
        log_level="debug",
        extra=(),
        listen=True,
    ):
        argv = [GTMD]
        if listen:
            h = "[%s]" % host if ":" in host else host
            argv += ["--listen", "%s:%d" % (h, port)]
        if zdir is not None:
            argv += ["--zones", str(zdir)]
        if domain is not None:
            argv += ["--domain", domain]
        if workers is not None:
            argv += ["--workers", str(workers)]
        if log_level is not None:
            argv += ["--log-level", log_level]
        return argv + list(extra)

    def start(
        self,
        zones=None,
        extra=(),
        domain=DEFAULT_DOMAIN,
        workers=2,
        host=LOOPBACK4,
        port=None,
        config=None,
        log_level="debug",
        listen=True,
        wait=True,
        ready_domain=None,
        pass_zones=True,
        profiles=None,
    ):
        """Start gtmd. zones: {filename: text} written into <tmp>/zones (passed
        with --zones unless zones is None). config: text of a config file,
        passed with -c (placeholders {port}, {zones}, {dir} are filled in).
        pass_zones=False writes the zones but leaves --zones to the config.
        profiles: {name: dict or JSON text} written as <tmp>/profiles/NAME.json
        (".json" added unless given) and passed with --profiles; the
        directory is g.profiles_dir (None when profiles is None)."""
        if port is None:
            port = free_port(host)
        d, zdir, _ = self.prepare(zones)
        pdir = None
        if profiles is not None:
            pdir = d / "profiles"
            pdir.mkdir()
            for pname, doc in profiles.items():
                write_profile(pdir, pname, doc)
        argv = self.argv(
            zdir if zones is not None and pass_zones else None,
            port,
            host,
            domain,
            workers,
            log_level,
            (),
            listen,
        )
        if config is not None:
            conf = d / "gtmd.conf"
            conf.write_text(config.format(port=port, zones=zdir, dir=d))
            argv += ["-c", str(conf)]
        if pdir is not None:
            argv += ["--profiles", str(pdir)]
        argv += list(extra)
        g = Gtmd(d, argv, host, port, ready_domain or domain or "trafficmanager.net",
                 d / "gtmd.log")
        g.zdir = zdir
        g.profiles_dir = pdir
        self.instances.append(g)
        g.start()
        if wait:
            g.wait_ready()
        return g

    def run(self, args, timeout=10, cwd=None):
        """Run gtmd to completion (for --help, --check-config, failures)."""
        return subprocess.run(
            WRAPPER + [GTMD] + [str(a) for a in args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=scaled(timeout),
            cwd=cwd,
        )

    def teardown(self):
        problems = []
        for g in self.instances:
            if g.proc is None:
                continue
            expected = getattr(g, "expected_exit", 0)
            rc = g.stop()
            if expected is not None and rc != expected:
                problems.append(
                    "gtmd pid %d (%s) exit code %r, expected %r; log:\n%s"
                    % (g.pid, " ".join(g.argv), rc, expected, g.log)
                )
        return problems

    def logs(self):
        return "\n".join(
            "==== gtmd pid %s: %s\n%s"
            % (g.proc.pid if g.proc else "-", " ".join(g.argv), g.log)
            for g in self.instances
        )


def _require_binary():
    if not os.access(GTMD, os.X_OK):
        pytest.fail("gtmd binary not found at %s (set GTMD=...)" % GTMD)


@pytest.fixture
def gtmd_factory(tmp_path_factory):
    """Factory: gtmd_factory.start(zones={...}, extra=[...]) -> Gtmd."""
    _require_binary()
    f = GtmdFactory(tmp_path_factory)
    yield f
    problems = f.teardown()
    assert not problems, "\n".join(problems)


@pytest.fixture
def backends(tmp_path_factory):
    """Factory of real local HTTP/HTTPS/TCP backends (tests/system/backends.py),
    all stopped at teardown."""
    from backends import BackendFactory

    f = BackendFactory(tmp_path_factory)
    yield f
    f.stop_all()


class EtcdFactory:
    """Makes started, healthy EtcdClusters (tests/system/etcd.py), each in
    a temporary directory of its own; closes them all at teardown."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.clusters = []

    def __call__(self, size=1, wait=True, timeout=10, **kw):
        from etcd import EtcdCluster

        c = EtcdCluster(self.tmp_path_factory.mktemp("etcd"), size, **kw)
        self.clusters.append(c)
        c.start_all()
        if wait:
            c.wait_healthy(scaled(timeout))
        return c

    def close(self):
        for c in self.clusters:
            c.close()

    def logs(self):
        return "\n".join(c.logs() for c in self.clusters)


@pytest.fixture
def etcd_cluster(tmp_path_factory):
    """Factory: etcd_cluster(size=1 or 3) -> a started EtcdCluster whose
    members are all healthy; every cluster is stopped at teardown. Skips the
    test when etcd (Debian etcd-server, /usr/bin/etcd) is not installed."""
    from etcd import ETCD, etcd_available

    if not etcd_available():
        pytest.skip("etcd not installed (%s; Debian etcd-server)" % ETCD)
    f = EtcdFactory(tmp_path_factory)
    yield f
    f.close()


@pytest.fixture
def srv(gtmd_factory):
    """A gtmd serving example.com and other.test, --domain tm.test."""
    return gtmd_factory.start(zones=STANDARD_ZONES)


@pytest.fixture(scope="module")
def msrv(tmp_path_factory):
    """Module-wide read-only gtmd serving the standard zones (faster)."""
    _require_binary()
    f = GtmdFactory(tmp_path_factory)
    g = f.start(zones=STANDARD_ZONES)
    yield g
    problems = f.teardown()
    assert not problems, "\n".join(problems)


# Attach gtmd logs to the report of a failed test.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, GtmdFactory) and value.instances:
            rep.sections.append(("gtmd logs", value.logs()))
        elif isinstance(value, Gtmd):
            rep.sections.append(("gtmd log (pid %s)" % value.proc.pid, value.log))
        elif type(value).__name__ == "BackendFactory":
            rep.sections.append(("backend requests", value.report()))
        elif isinstance(value, EtcdFactory) and value.clusters:
            rep.sections.append(("etcd logs", value.logs()))
