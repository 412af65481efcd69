"""DNS cookies (issue 15, point 3; RFC 7873, RFC 9018) over real UDP and TCP
on 127.0.0.1, with dnspython, dig +cookie and kdig +cookie: a client cookie
gets a server cookie of RFC 9018's shape; a fresh server cookie sent back
is accepted and echoed; a stale or forged one gets a normal answer with a
new cookie (or BADCOOKIE over UDP with --cookies require); a malformed
COOKIE option gets FORMERR with an OPT; two servers with one
--cookie-secret accept each other's cookies; --cookies off ignores the
option."""

import re
import shutil
import struct
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import pytest

from conftest import STANDARD_ZONES, scaled

COOKIE = 10
SECRET = "e5e973e5a6b2a43f48e7dc849e37bfcf"  # RFC 9018 Appendix A
CC = bytes.fromhex("2464c4abcf10c957")


def ask(g, data, tcp=False, name="www.example.com", rdtype="A", options=()):
    opts = [dns.edns.GenericOption(COOKIE, data)] if data is not None else []
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232,
                               options=opts + list(options))
    return g.exchange(q, tcp=tcp)


def cookies_of(r):
    return [o.data for o in r.options if o.otype == COOKIE]


def server_cookie(r, cc=CC):
    """The one COOKIE option of r, checked: our client cookie, then RFC
    9018's server cookie (version 1, reserved 0, a timestamp near now)."""
    [c] = cookies_of(r)
    assert len(c) == 24, c.hex()
    assert c[:8] == cc
    assert c[8] == 1 and c[9:12] == b"\0\0\0", c.hex()
    ts = struct.unpack(">I", c[12:16])[0]
    assert abs(ts - time.time()) < 60, ts
    return c[8:]


@pytest.fixture
def g(gtmd_factory):
    return gtmd_factory.start(zones=STANDARD_ZONES, extra=["--node", "lab-1"])


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_client_cookie_gets_server_cookie(g, tcp):
    r = ask(g, CC, tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    assert [rd.to_text() for rrset in r.answer for rd in rrset] == ["192.0.2.2"]
    sc = server_cookie(r)
    # sent back: accepted, and (fresh) echoed as it was
    r = ask(g, CC + sc, tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert server_cookie(r) == sc
    # another client cookie with that server cookie: not valid for it, a new one
    other = bytes.fromhex("0102030405060708")
    r = ask(g, other + sc, tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert server_cookie(r, other) != sc


def test_no_cookie_no_cookie(g):
    r = ask(g, None)
    assert r.rcode() == dns.rcode.NOERROR and cookies_of(r) == []
    r = g.query("www.example.com", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.edns < 0


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_stale_and_forged_cookies_get_a_new_one(g, tcp):
    # a server cookie of the right shape, two hours old: stale (RFC 9018 4.3)
    old = struct.pack(">BxxxI", 1, int(time.time()) - 7200) + bytes(8)
    # server cookies of other servers' shapes (8 and 32 bytes) and a forged one
    for sc in (old, bytes(8), bytes(range(32)),
               struct.pack(">BxxxI", 1, int(time.time())) + bytes(8)):
        r = ask(g, CC + sc, tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and r.answer, sc.hex()
        assert server_cookie(r) != sc


@pytest.mark.parametrize("size", [0, 1, 5, 7, 9, 15, 41, 48])
def test_malformed_cookie_formerr(g, size):
    # RFC 7873 5.2.2: FORMERR, with an OPT; no cookie to echo
    r = ask(g, bytes(range(size)))
    assert r.rcode() == dns.rcode.FORMERR
    assert r.edns == 0
    assert cookies_of(r) == []


def test_two_cookie_options_formerr(g):
    r = ask(g, CC, options=[dns.edns.GenericOption(COOKIE, CC)])
    assert r.rcode() == dns.rcode.FORMERR and r.edns == 0


def test_cookie_nsid_ecs_and_truncation(g):
    ecs = dns.edns.ECSOption("192.0.2.0", 24)
    r = ask(g, CC, options=[ecs, dns.edns.GenericOption(3, b"")])
    assert r.rcode() == dns.rcode.NOERROR
    server_cookie(r)
    assert [o.data for o in r.options if o.otype == 3] == [b"lab-1"]
    assert [o for o in r.options if o.otype == dns.edns.ECS]
    # truncated over UDP: no records, the OPT and its cookie kept
    r = ask(g, CC, name="big.example.com", rdtype="TXT")
    assert r.flags & dns.flags.TC
    assert len(r.wire) <= 1232
    server_cookie(r)
    # a 512-byte client (no EDNS size): still fits
    q = dns.message.make_query("big.example.com", "TXT", use_edns=0, payload=512,
                               options=[dns.edns.GenericOption(COOKIE, CC)])
    r = g.exchange(q)
    assert r.flags & dns.flags.TC and len(r.wire) <= 512
    server_cookie(r)


def test_error_answers_carry_the_cookie(g):
    r = ask(g, CC, name="www.example.org")
    assert r.rcode() == dns.rcode.REFUSED
    server_cookie(r)
    r = ask(g, CC, name="nope.example.com")
    assert r.rcode() == dns.rcode.NXDOMAIN
    server_cookie(r)


def test_shared_secret(gtmd_factory):
    a = gtmd_factory.start(zones=STANDARD_ZONES, extra=["--cookie-secret", SECRET])
    b = gtmd_factory.start(zones=STANDARD_ZONES, config="cookie-secret = %s\n" % SECRET)
    c = gtmd_factory.start(zones=STANDARD_ZONES)
    sc = server_cookie(ask(a, CC))
    # b shares the secret: a's cookie is valid there, and echoed
    assert server_cookie(ask(b, CC + sc)) == sc
    # c has its own random secret: a new one
    assert server_cookie(ask(c, CC + sc)) != sc
    assert SECRET not in a.log and SECRET not in b.log


def test_require(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, extra=["--cookies", "require"])
    # UDP, a client cookie alone: BADCOOKIE (23) with a server cookie, nothing else
    r = ask(g, CC)
    assert r.rcode() == 23
    assert not r.answer
    sc = server_cookie(r)
    # with it: answered
    r = ask(g, CC + sc)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # a bad one over UDP: BADCOOKIE; over TCP the default, an answer (RFC 7873 5.2.3)
    r = ask(g, CC + bytes(16))
    assert r.rcode() == 23 and server_cookie(r) != bytes(16)
    r = ask(g, CC + bytes(16), tcp=True)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # no cookie at all: answered (RFC 7873 5.2.1)
    r = ask(g, None)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # still FORMERR for a malformed one
    assert ask(g, bytes(5)).rcode() == dns.rcode.FORMERR


def test_off(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, config="cookies = off\n")
    r = ask(g, CC)
    assert r.rcode() == dns.rcode.NOERROR and r.answer and cookies_of(r) == []
    r = ask(g, CC + bytes(16))
    assert r.rcode() == dns.rcode.NOERROR and cookies_of(r) == []


def test_bad_options_refused(gtmd_factory):
    p = gtmd_factory.run(["--cookie-secret", "e5e973", "--check-config"])
    assert p.returncode == 1
    assert "cookie-secret: not 32 hex digits (16 bytes)" in p.stderr
    assert "e5e973" not in p.stderr
    p = gtmd_factory.run(["--cookies", "maybe", "--check-config"])
    assert p.returncode == 1
    assert "cookies: 'maybe' is not on, off or require" in p.stderr


def run(tool, port, *args):
    argv = [tool, "@127.0.0.1", "-p", str(port), "+norec", "+time=2", "+retry=0"]
    p = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=scaled(15))
    return p.returncode, p.stdout + p.stderr


@pytest.mark.skipif(not shutil.which("kdig"), reason="kdig not installed")
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_kdig_nsid_and_cookie(g, tcp):
    proto = ["+tcp"] if tcp else []
    rc, out = run("kdig", g.port, "+nsid", "+cookie", *proto, "www.example.com", "A")
    assert rc == 0, out
    assert "status: NOERROR" in out
    assert re.search(r'^;; NSID: 6C61622D31 "lab-1"$', out, re.M | re.I), out
    m = re.search(r"^;; COOKIE: ([0-9A-F]{16})([0-9A-F]{32})$", out, re.M | re.I)
    assert m and m.group(2).startswith("01000000"), out
    # sent back with kdig +cookie=CLIENTSERVER: accepted, no BADCOOKIE
    rc, out = run("kdig", g.port, "+cookie=" + m.group(1) + m.group(2), *proto,
                  "www.example.com", "A")
    assert rc == 0 and "status: NOERROR" in out, out
    # fresh: echoed as it was
    assert (m.group(1) + m.group(2)).upper() in out.upper(), out


@pytest.mark.skipif(not shutil.which("dig"), reason="dig not installed")
def test_dig_cookie(g):
    rc, out = run("dig", g.port, "+cookie", "www.example.com", "A")
    assert rc == 0 and "status: NOERROR" in out, out
    # dig checks the client cookie came back: "(good)"
    m = re.search(r"^; COOKIE: ([0-9a-f]{48}) \(good\)$", out, re.M)
    assert m, out
    rc, out = run("dig", g.port, "+cookie=" + m.group(1), "www.example.com", "A")
    assert rc == 0 and "status: NOERROR" in out, out
    assert "; COOKIE: %s (good)" % m.group(1) in out, out
    # the malformed 5-byte client cookie of the report: FORMERR (RFC 7873 5.2.2)
    rc, out = run("dig", g.port, "+cookie=0102030405", "www.example.com", "A")
    assert "status: FORMERR" in out, out
