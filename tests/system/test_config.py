"""Command line, config file, --check-config, exit codes, signals, reload,
workers, IPv6 listening, --demo."""

import os
import re
import signal
import socket
import subprocess
import time

import dns.exception
import dns.flags
import dns.rcode
import pytest

from conftest import (
    LOOPBACK4,
    LOOPBACK6,
    OTHER_ZONE,
    STANDARD_ZONES,
    free_port,
    have_ipv6_loopback,
    scaled,
    texts,
)

NOERROR = dns.rcode.NOERROR
NXDOMAIN = dns.rcode.NXDOMAIN
REFUSED = dns.rcode.REFUSED

BAD_ZONE = """$TTL 60
@    IN SOA ns1 hostmaster 1 3600 600 86400 60
@    IN NS  ns1
ns1  IN A   192.0.2.1
www  IN A   not-an-address
"""
BAD_ZONE_LINE = 5

BAD_ZONE2 = """$ORIGIN bad2.test.
$TTL 60
@    IN SOA ns1 hostmaster 1 3600 600 86400 60
@    IN NS  ns1
ns1  IN A   192.0.2.1
mx   IN MX  notanumber mail
"""
BAD_ZONE2_LINE = 6


def out(p):
    return (p.stdout or "") + (p.stderr or "")


def poll(fn, timeout=5, interval=0.05):
    """Call fn until it returns truthy (exceptions count as falsy)."""
    deadline = time.time() + scaled(timeout)
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
            last = v
        except (OSError, EOFError, dns.exception.DNSException) as e:
            last = e
        if time.time() > deadline:
            raise AssertionError("condition not met within %ss (last: %r)" % (timeout, last))
        time.sleep(interval)


# --------------------------------------------------------------------------
# Usage
# --------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(gtmd_factory, flag):
    p = gtmd_factory.run([flag])
    assert p.returncode == 0, out(p)
    text = out(p)
    for opt in ["--listen", "--zones", "--domain", "--workers", "--tcp-timeout",
                "--tcp-clients", "--log-level", "--check-config", "--config", "--demo"]:
        assert opt in text, "%s missing from --help" % opt


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(gtmd_factory, flag):
    p = gtmd_factory.run([flag])
    assert p.returncode == 0, out(p)
    assert out(p).strip()


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["-Q"],
        ["--workers", "0"],
        ["--workers", "65"],
        ["--workers", "two"],
        ["--log-level", "loud"],
        ["--tcp-timeout", "soon"],
        ["--tcp-clients", "-3"],
        ["--domain", "bad..name"],
        ["--zones", "/nonexistent/gtmd-zones-dir"],
        ["--config", "/nonexistent/gtmd.conf"],
        ["--listen", "999.1.1.1:53"],
        ["--listen", "127.0.0.1:99999"],
        ["--listen", "not an address"],
        ["--workers"],
    ],
    ids=lambda a: " ".join(a),
)
def test_bad_usage_exit_1(gtmd_factory, args):
    port = free_port()
    base = [] if args[0] == "--listen" else ["--listen", "%s:%d" % (LOOPBACK4, port)]
    try:
        p = gtmd_factory.run(base + args, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("gtmd %s did not exit (it should refuse the option)" % args)
    assert p.returncode == 1, "exit %s; output:\n%s" % (p.returncode, out(p))
    assert p.stderr.strip(), "no reason on stderr"


# --------------------------------------------------------------------------
# --check-config
# --------------------------------------------------------------------------


def test_check_config_good(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    p = gtmd_factory.run(["--check-config", "--zones", zdir, "--domain", "tm.test"])
    assert p.returncode == 0, out(p)
    assert "error" not in out(p).lower()


def test_check_config_good_with_config_file(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    conf = d / "gtmd.conf"
    conf.write_text(
        "# a comment\n\nzones = %s\ndomain = tm.test\nworkers = 2\n"
        "listen = 127.0.0.1:5399\nlisten = [::1]:5399\ntcp-timeout = 5\n"
        "tcp-clients = 100\n# another comment\nlog-level = warn\n" % zdir
    )
    p = gtmd_factory.run(["--check-config", "-c", conf])
    assert p.returncode == 0, out(p)


def test_check_config_zone_syntax_error(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(dict(STANDARD_ZONES, **{"bad.test.zone": BAD_ZONE}))
    p = gtmd_factory.run(["--check-config", "--zones", zdir])
    assert p.returncode == 1, out(p)
    assert re.search(r"bad\.test\.zone:%d: error: \S" % BAD_ZONE_LINE, out(p)), out(p)


def test_check_config_reports_every_error(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(
        {"bad.test.zone": BAD_ZONE, "bad2.test.zone": BAD_ZONE2, "other.test.zone": OTHER_ZONE}
    )
    p = gtmd_factory.run(["--check-config", "--zones", zdir])
    assert p.returncode == 1, out(p)
    assert re.search(r"bad\.test\.zone:%d: error:" % BAD_ZONE_LINE, out(p)), out(p)
    assert re.search(r"bad2\.test\.zone:%d: error:" % BAD_ZONE2_LINE, out(p)), out(p)
    assert "other.test.zone" not in out(p)


def test_check_config_unknown_option_in_config(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    conf = d / "gtmd.conf"
    conf.write_text("# test config\ndomain = tm.test\nfrobnicate = yes\nworkers = 2\n")
    p = gtmd_factory.run(["--check-config", "-c", conf])
    assert p.returncode == 1, out(p)
    assert re.search(r"gtmd\.conf:3: error: \S", out(p)), out(p)


def test_check_config_config_errors_with_lines(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    conf = d / "gtmd.conf"
    conf.write_text(
        "domain = tm.test\n"  # 1
        "this line has no equals sign\n"  # 2
        "# fine\n"  # 3
        "workers = 0\n"  # 4
        "log-level = loud\n"  # 5
    )
    p = gtmd_factory.run(["--check-config", "-c", conf])
    assert p.returncode == 1, out(p)
    for line in (2, 4, 5):
        assert re.search(r"gtmd\.conf:%d: error:" % line, out(p)), out(p)


def test_check_config_lone_tls_key_names_the_file(gtmd_factory):
    # tls-key without tls-cert in the file is the file's error, at its line.
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    conf = d / "gtmd.conf"
    conf.write_text("domain = tm.test\ntls-key = x\n")
    p = gtmd_factory.run(["--check-config", "-c", conf])
    assert p.returncode == 1, out(p)
    assert re.search(r"gtmd\.conf:2: error: tls-key given without tls-cert", out(p)), out(p)
    assert "command line" not in out(p), out(p)
    # Given on the command line, it is the command line's.
    p = gtmd_factory.run(["--check-config", "--tls-cert", conf])
    assert p.returncode == 1, out(p)
    assert "command line: error: tls-cert given without tls-key" in out(p), out(p)


def test_unknown_config_option_refuses_to_start(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    conf = d / "gtmd.conf"
    conf.write_text("domain = tm.test\nlisten = 127.0.0.1:%d\nfrobnicate = yes\n" % free_port())
    p = gtmd_factory.run(["-c", conf], timeout=5)
    assert p.returncode == 1, out(p)
    assert re.search(r"gtmd\.conf:3: error:", p.stderr), out(p)


def test_broken_zone_refuses_to_start(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare({"bad.test.zone": BAD_ZONE})
    p = gtmd_factory.run(
        ["--listen", "127.0.0.1:%d" % free_port(), "--zones", zdir], timeout=5
    )
    assert p.returncode == 1, out(p)
    assert re.search(r"bad\.test\.zone:%d: error:" % BAD_ZONE_LINE, p.stderr), out(p)


# --------------------------------------------------------------------------
# Config file and command line
# --------------------------------------------------------------------------


def test_config_file_values(gtmd_factory):
    config = (
        "# everything from the config file\n"
        "listen = 127.0.0.1:{port}\n"
        "zones = {zones}\n"
        "domain = cfg.test\n"
        "workers = 2\n"
        "log-level = debug\n"
    )
    g = gtmd_factory.start(
        zones=STANDARD_ZONES, config=config, listen=False, domain=None,
        workers=None, log_level=None, ready_domain="cfg.test", pass_zones=False,
    )
    assert "--listen" not in g.argv and "--zones" not in g.argv
    r = g.query("cfg.test", "SOA")
    assert r.rcode() == NOERROR and r.flags & dns.flags.AA
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]


def test_config_file_hyphen_and_multiple_listen(gtmd_factory):
    port2 = free_port()
    config = (
        "listen = 127.0.0.1:{port}\n"
        "listen = 127.0.0.1:%d\n"
        "zones = {zones}\n"
        "domain = tm.test\n"
        "tcp-timeout = 1\n" % port2
    )
    g = gtmd_factory.start(
        zones=STANDARD_ZONES, config=config, listen=False, domain=None, pass_zones=False,
        ready_domain="tm.test",
    )
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
    assert texts(g.query("www.example.com", "A", port=port2)) == ["192.0.2.2"]
    assert texts(g.query("www.example.com", "A", port=port2, tcp=True)) == ["192.0.2.2"]


def test_command_line_overrides_config(gtmd_factory):
    config = (
        "zones = {zones}\n"
        "domain = cfg.test\n"
        "tcp-timeout = 30\n"
    )
    g = gtmd_factory.start(
        zones=STANDARD_ZONES, pass_zones=False, config=config, domain=None,
        extra=["--domain", "cli.test", "--tcp-timeout", "1"], ready_domain="cli.test",
    )
    assert g.query("cli.test", "SOA").rcode() == NOERROR
    assert g.query("cfg.test", "SOA").rcode() == REFUSED
    # zones from the config file still apply
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
    # tcp-timeout 1 from the command line, not 30 from the file
    s = g.tcp_connect()
    s.settimeout(scaled(5))
    t0 = time.time()
    try:
        data = s.recv(10)
    except ConnectionResetError:
        data = b""
    s.close()
    assert data == b"" and time.time() - t0 < scaled(4)


def test_command_line_listen_with_config(gtmd_factory):
    port_cfg = free_port()
    config = "listen = 127.0.0.1:%d\nzones = {zones}\n" % port_cfg
    g = gtmd_factory.start(zones=STANDARD_ZONES, config=config, pass_zones=False)
    # served on the command-line port
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]


def test_short_options(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    port = free_port()
    conf = d / "short.conf"
    conf.write_text("domain = tm.test\nworkers = 1\n")
    g = gtmd_factory.start(
        zones=None, listen=False, domain=None, workers=None,
        extra=["-l", "127.0.0.1:%d" % port, "-z", str(zdir), "-c", str(conf)],
        port=port, ready_domain="tm.test",
    )
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]


def test_ready_log_line(srv):
    srv.wait_log(r"gtmd: ready")


def test_log_level_error_is_quiet(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, log_level="error")
    for name in ("www.example.com", "nope.example.com", "www.example.org"):
        g.query(name, "A")
    g.query("x", "A", use_edns=1)
    assert g.stop() == 0
    noisy = [l for l in g.log.splitlines() if re.search(r"\b(debug|info)\b", l, re.I)]
    assert not noisy, "info/debug lines at --log-level error:\n%s" % "\n".join(noisy)


# --------------------------------------------------------------------------
# Port in use -> exit 2
# --------------------------------------------------------------------------


def test_port_in_use_by_other_gtmd(gtmd_factory, srv):
    try:
        p = gtmd_factory.run(
            ["--listen", "127.0.0.1:%d" % srv.port, "--zones", srv.zdir, "--domain", "tm.test"],
            timeout=10,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("second gtmd on the same port kept running (SO_REUSEPORT shared?)")
    assert p.returncode == 2, out(p)
    assert p.stderr.strip()
    # the first one is unharmed
    assert texts(srv.query("www.example.com", "A")) == ["192.0.2.2"]


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_port_in_use_by_other_socket(gtmd_factory, proto):
    port = free_port()
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    blocker = socket.socket(socket.AF_INET, kind)
    blocker.bind((LOOPBACK4, port))
    if proto == "tcp":
        blocker.listen(1)
    try:
        try:
            p = gtmd_factory.run(["--listen", "127.0.0.1:%d" % port], timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("gtmd started although %s port %d was taken" % (proto, port))
    finally:
        blocker.close()
    assert p.returncode == 2, out(p)
    assert p.stderr.strip()


# --------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_exit_0_and_port_released(gtmd_factory, sig):
    g = gtmd_factory.start(zones=STANDARD_ZONES)
    # an open TCP connection must not keep it from exiting
    s = g.tcp_connect()
    rc = g.stop(sig)
    s.close()
    assert rc == 0, "exit %r; log:\n%s" % (rc, g.log)
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        b = socket.socket(socket.AF_INET, kind)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        b.bind((LOOPBACK4, g.port))
        b.close()


def test_sighup_reload_adds_record(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES)
    assert g.query("new.example.com", "A").rcode() == NXDOMAIN
    with open(g.zdir / "example.com.zone", "a") as f:
        f.write("new     A     192.0.2.123\n")
    g.send_signal(signal.SIGHUP)
    poll(lambda: texts(g.query("new.example.com", "A", timeout=0.5)) == ["192.0.2.123"])
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
    assert g.alive()


def test_sighup_reload_new_and_removed_zone(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES)
    assert g.query("ns1.late.test", "A").rcode() == REFUSED
    (g.zdir / "late.test.zone").write_text(
        "$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.88\n"
    )
    (g.zdir / "other.test.zone").unlink()
    g.send_signal(signal.SIGHUP)
    poll(lambda: texts(g.query("ns1.late.test", "A", timeout=0.5)) == ["192.0.2.88"])
    assert g.query("host.other.test", "A").rcode() == REFUSED


def test_sighup_broken_reload_keeps_old_data(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES)
    path = g.zdir / "example.com.zone"
    good = path.read_text()
    bad_line = good.count("\n") + 2
    path.write_text(good + "added A 192.0.2.124\nbroken A not-an-address\n")
    # all-or-nothing: a valid change in another file must not be applied
    (g.zdir / "other.test.zone").write_text(OTHER_ZONE + "added A 192.0.2.125\n")
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"example\.com\.zone:%d: error" % bad_line)
    time.sleep(0.2)
    assert g.alive()
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
    assert g.query("added.example.com", "A").rcode() == NXDOMAIN
    assert g.query("added.other.test", "A").rcode() == NXDOMAIN
    # fix it: the next reload applies everything
    path.write_text(good + "added A 192.0.2.124\n")
    g.send_signal(signal.SIGHUP)
    poll(lambda: texts(g.query("added.example.com", "A", timeout=0.5)) == ["192.0.2.124"])
    assert texts(g.query("added.other.test", "A")) == ["192.0.2.125"]


def test_sighup_reload_updates_synthesised_serial(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES)
    s1 = g.query("tm.test", "SOA").answer[0][0].serial
    time.sleep(1.1)
    t_hup = int(time.time())
    g.send_signal(signal.SIGHUP)

    def new_serial():
        serial = g.query("tm.test", "SOA", timeout=0.5).answer[0][0].serial
        return serial if serial != s1 else None

    s2 = poll(new_serial)
    assert t_hup - 1 <= s2 <= int(time.time()) + 1


# --------------------------------------------------------------------------
# Workers, IPv6, --demo
# --------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 8])
def test_workers(gtmd_factory, workers):
    g = gtmd_factory.start(zones=STANDARD_ZONES, workers=workers)
    for i in range(20):
        tcp = bool(i % 2)
        assert texts(g.query("www.example.com", "A", tcp=tcp)) == ["192.0.2.2"]


ipv6 = pytest.mark.skipif(not have_ipv6_loopback(), reason="no IPv6 loopback")


@ipv6
def test_ipv6_listen(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, host=LOOPBACK6)
    for tcp in (False, True):
        r = g.query("www.example.com", "AAAA", tcp=tcp)
        assert texts(r) == ["2001:db8::2"]
        assert r.flags & dns.flags.AA


@ipv6
def test_ipv4_and_ipv6_listen_together(gtmd_factory):
    port6 = free_port(LOOPBACK6)
    g = gtmd_factory.start(zones=STANDARD_ZONES, extra=["--listen", "[::1]:%d" % port6])
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
    for tcp in (False, True):
        r = g.query("www.example.com", "A", host=LOOPBACK6, port=port6, tcp=tcp)
        assert texts(r) == ["192.0.2.2"]


def test_demo_mode(gtmd_factory):
    g = gtmd_factory.start(
        zones=None, domain=None, extra=["--demo"], ready_domain="trafficmanager.net"
    )
    r = g.query("example.com", "SOA")
    assert r.rcode() == NOERROR and r.flags & dns.flags.AA
    r = g.query("www.example.com", "A")
    assert r.rcode() == NOERROR and r.answer
    assert g.query("www.example.org", "A").rcode() == REFUSED


def test_state_dir_is_made_when_missing(gtmd_factory, tmp_path):
    """A missing --state-dir is made with its parents (0750) at start, so the
    API's certificate and the profiles have a place (it was a warning, and a
    fleet node refused every profile: its cache could not be written)."""
    state = tmp_path / "new" / "deeper" / "state"
    g = gtmd_factory.start(zones=STANDARD_ZONES,
                           extra=["--state-dir", str(state), "--api", "127.0.0.1:%d" % free_port()])
    mask = os.umask(0o022)
    os.umask(mask)
    assert state.is_dir() and (state.stat().st_mode & 0o777) == 0o750 & ~mask
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o750 & ~mask
    g.wait_log(r"made the state directory " + re.escape(str(state)))
    deadline = time.time() + 5
    while not (state / "api.crt").exists() and time.time() < deadline:
        time.sleep(0.05)
    assert (state / "api.crt").exists(), g.log
    assert "cannot save" not in g.log, g.log


def test_state_dir_that_cannot_be_made_refuses_to_start(gtmd_factory, tmp_path):
    d, zdir, _ = gtmd_factory.prepare(STANDARD_ZONES)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for state in (blocker / "state", blocker):
        # --profiles elsewhere: else loading STATE/profiles fails first (exit 1 too)
        p = gtmd_factory.run(["--listen", "127.0.0.1:%d" % free_port(), "--zones", zdir,
                              "--profiles", str(profiles), "--state-dir", str(state),
                              "--api", "off"], timeout=5)
        assert p.returncode == 1, out(p)
        assert "--state-dir %s: cannot make it: Not a directory" % state in p.stderr, out(p)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere" / "x")  # mkdir says EEXIST; still no directory
    p = gtmd_factory.run(["--listen", "127.0.0.1:%d" % free_port(), "--zones", zdir,
                          "--profiles", str(profiles), "--state-dir", str(dangling),
                          "--api", "off"], timeout=5)
    assert p.returncode == 1, out(p)
    assert "--state-dir %s: cannot make it: Not a directory" % dangling in p.stderr, out(p)
    p = gtmd_factory.run(["--listen", "127.0.0.1:%d" % free_port(), "--zones", zdir,
                          "--state-dir", str(blocker / "state"), "--api", "off"], timeout=5)
    assert p.returncode == 1 and "state/profiles: error: cannot open profiles directory" in p.stderr
