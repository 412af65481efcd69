"""ALIAS records in zone files (issue 14, point 1): `NAME TTL IN ALIAS
target.` answers A/AAAA at NAME with the addresses of the target's answer,
owned by NAME, TTL the smaller of the two; other types answer from the
zone; the ALIAS type never goes on the wire.

Against the real daemon: an apex ALIAS to a Priority profile over real
local HTTP backends (backends.py, 127.0.0.21-127.0.0.99) that fails over
when the primary's health checks fail; an ALIAS to a static name; AAAA; a
Subnet profile through ECS (the scope as the profile's own name sets it);
the load errors through --check-config and a reload; the API's resolve."""

import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

import dns.exception
import dns.edns
import dns.flags
import dns.rcode
import dns.rdatatype

from armapi import start_api
from backends import endpoint, fqdn, profile, rdatas, wait_transition
from conftest import GTMD, scaled, texts

NOERROR = dns.rcode.NOERROR
ALIAS_TYPE = 65401
DOMAIN = "tm.test"


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


def zone(body, ttl=3600):
    return (
        "$ORIGIN example.com.\n$TTL %d\n"
        "@ SOA ns1 hostmaster 2026 7200 3600 1209600 300\n"
        "@ NS ns1\nns1 A 192.0.2.53\n" % ttl
    ) + body


def always(name, target, **props):
    """An alwaysServe endpoint: never probed, always up."""
    return endpoint(name, target, alwaysServe="Enabled", **props)


def one_rrset(r, owner, rdtype):
    """The one answer RRset: its owner, type, and the answer starts with a
    pointer to the question (the owner is the question name)."""
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert r.flags & dns.flags.AA
    assert len(r.answer) == 1, r
    rr = r.answer[0]
    assert rr.name.to_text().lower() == owner.lower()
    assert rr.rdtype == dns.rdatatype.from_text(rdtype)
    return rr


def answer_starts_with_pointer(r):
    """The first answer record's owner is compressed to the question."""
    qlen = len(r.question[0].name.to_wire()) + 4
    return r.wire[12 + qlen:12 + qlen + 2] == b"\xc0\x0c"


def assert_nodata(r, apex="example.com."):
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.answer, r
    soa = [s for s in r.authority if s.rdtype == dns.rdatatype.SOA]
    assert len(soa) == 1 and soa[0].name.to_text().lower() == apex, r


def no_alias_anywhere(r):
    for section in (r.answer, r.authority, r.additional):
        for rrset in section:
            assert rrset.rdtype != ALIAS_TYPE, r


# --------------------------------------------------------------------------
# A profile target: failover, TTL, other types
# --------------------------------------------------------------------------


def test_apex_alias_priority_failover(gtmd_factory, backends):
    a, b = backends.http(2)
    g = gtmd_factory.start(
        domain=DOMAIN,
        zones={
            "example.com.zone": zone(
                "@ 600 IN ALIAS app.%s.\n"
                "@ MX 10 mail\n"
                '@ TXT "v=spf1 -all"\n'
                "mail A 192.0.2.25\n"
                "www CNAME @\n" % DOMAIN
            )
        },
        profiles={
            "app": profile(
                "app",
                "Priority",
                [endpoint("primary", a.host, priority=1), endpoint("secondary", b.host, priority=2)],
                port=a.port,
                ttl=30,
                tolerated=0,
            )
        },
    )
    wait_transition(g, "app/primary", "CheckingEndpoint", "Online")
    r = g.query("example.com", "A")
    rr = one_rrset(r, "example.com.", "A")
    assert rdatas(r) == [a.host]
    assert rr.ttl == 30  # min(ALIAS 600, profile 30)
    assert answer_starts_with_pointer(r)
    # over TCP too, and as the profile's own name answers
    assert rdatas(g.query("example.com", "A", tcp=True)) == [a.host]
    assert rdatas(g.query(fqdn(g, "app"), "A")) == [a.host]
    # a CNAME into the ALIAS name: its addresses, owned by that name
    r = g.query("www.example.com", "A")
    assert [x.rdtype for x in r.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A], r
    assert r.answer[1].name.to_text() == "example.com."
    assert [rd.to_text() for rd in r.answer[1]] == [a.host]

    # Other types answer from the zone; AAAA: the profile has none (NODATA).
    r = g.query("example.com", "MX")
    assert texts(r) == ["10 mail.example.com."]
    assert texts(g.query("example.com", "TXT")) == ['"v=spf1 -all"']
    assert_nodata(g.query("example.com", "AAAA"))
    r = g.query("example.com", ALIAS_TYPE)
    assert_nodata(r)
    r = g.query("example.com", "ANY")
    assert len(r.answer) == 1 and r.answer[0].rdtype != ALIAS_TYPE, r  # RFC 8482
    for qtype in ("A", "AAAA", "MX", "ANY", ALIAS_TYPE):
        no_alias_anywhere(g.query("example.com", qtype, use_edns=0))

    # The primary fails its health checks: the ALIAS follows the profile.
    a.set(503)
    wait_transition(g, "app/primary", "Online", "Degraded", timeout=6)
    poll(lambda: rdatas(g.query("example.com", "A", timeout=0.5)) == [b.host], timeout=3)
    assert rdatas(g.query(fqdn(g, "app"), "A")) == [b.host]
    assert one_rrset(g.query("example.com", "A"), "example.com.", "A").ttl == 30
    # and back
    a.set(200)
    wait_transition(g, "app/primary", "Degraded", "Online", timeout=6)
    poll(lambda: rdatas(g.query("example.com", "A", timeout=0.5)) == [a.host], timeout=3)


def test_alias_static_and_aaaa(gtmd_factory):
    g = gtmd_factory.start(
        domain=DOMAIN,
        zones={
            "example.com.zone": zone(
                "www A 192.0.2.20\n"
                "www AAAA 2001:db8::20\n"
                "static 120 ALIAS www\n"
                "@ 300 ALIAS app6.%s.\n"
                "mixed ALIAS both.%s.\n" % (DOMAIN, DOMAIN)
            )
        },
        profiles={
            "app6": profile("app6", "Priority", [always("v6", "::1")], ttl=900),
            "both": profile(
                "both", "MultiValue", [always("v4", "127.0.0.1"), always("v6", "::1")], ttl=20
            ),
        },
    )
    r = g.query("static.example.com", "A")
    assert one_rrset(r, "static.example.com.", "A").ttl == 120  # min(120, 3600)
    assert rdatas(r) == ["192.0.2.20"]
    r = g.query("static.example.com", "AAAA")
    assert one_rrset(r, "static.example.com.", "AAAA").ttl == 120
    assert rdatas(r, "AAAA") == ["2001:db8::20"]
    assert_nodata(g.query("static.example.com", "MX"))

    r = g.query("example.com", "AAAA")
    assert one_rrset(r, "example.com.", "AAAA").ttl == 300  # min(300, 900)
    assert rdatas(r, "AAAA") == ["::1"]
    assert_nodata(g.query("example.com", "A"))
    r = g.query("mixed.example.com", "AAAA")
    assert one_rrset(r, "mixed.example.com.", "AAAA").ttl == 20
    assert rdatas(r, "AAAA") == ["::1"]
    assert rdatas(g.query("mixed.example.com", "A")) == ["127.0.0.1"]


# --------------------------------------------------------------------------
# ECS: the client the profile routes, the scope it sets
# --------------------------------------------------------------------------


def test_alias_ecs_subnet(gtmd_factory):
    g = gtmd_factory.start(
        domain=DOMAIN,
        zones={"example.com.zone": zone("@ ALIAS intranet.%s.\n" % DOMAIN)},
        profiles={
            "intranet": profile(
                "intranet",
                "Subnet",
                [
                    always("office", "127.0.1.1", subnets=[{"first": "10.1.0.0", "scope": 16}]),
                    always("rest", "127.0.1.2"),
                ],
                ttl=60,
            )
        },
    )

    def ask(name, net, plen):
        r = g.query(name, "A", use_edns=0, options=[dns.edns.ECSOption(net, plen)])
        opts = [o for o in r.options if isinstance(o, dns.edns.ECSOption)]
        assert len(opts) == 1, r
        return rdatas(r), opts[0].scopelen, r

    for net, plen, want in (("10.1.2.0", 24, "127.0.1.1"), ("10.9.0.0", 24, "127.0.1.2")):
        own, own_scope, _ = ask(fqdn(g, "intranet"), net, plen)
        got, scope, r = ask("example.com", net, plen)
        assert got == own == [want], (net, got, own)
        assert scope == own_scope and scope > 0, (net, scope, own_scope)
        one_rrset(r, "example.com.", "A")
    # without ECS: the source address (127.0.0.1) routes, the scope is not echoed
    assert rdatas(g.query("example.com", "A")) == ["127.0.1.2"]


# --------------------------------------------------------------------------
# Load errors: --check-config names file and line; a reload keeps serving
# --------------------------------------------------------------------------

BROKEN = zone(
    "loop1 ALIAS loop2\n"  # 6
    "loop2 CNAME loop1\n"
    "both ALIAS www\n"  # 8
    "both CNAME www\n"
    "away ALIAS app.nowhere.test.\n"  # 10
    "www A 192.0.2.20\n"
    "ghost ALIAS ghost.%s.\n" % DOMAIN  # 12
)


def test_alias_load_errors_check_config(gtmd_factory):
    d, zdir, _ = gtmd_factory.prepare({"example.com.zone": BROKEN})
    p = gtmd_factory.run(["--check-config", "--zones", zdir, "--domain", DOMAIN])
    assert p.returncode == 1, p
    err = p.stdout + p.stderr
    # the record errors first (a file with them is not built)
    assert "example.com.zone:8: error: both.example.com. has an ALIAS and a CNAME" in err, err
    (zdir / "example.com.zone").write_text(BROKEN.replace("both CNAME www\n", "\n"))
    p = gtmd_factory.run(["--check-config", "--zones", zdir, "--domain", DOMAIN])
    assert p.returncode == 1, p
    err = p.stdout + p.stderr
    assert (
        "example.com.zone:6: error: ALIAS to loop2.example.com.: a loop: loop1.example.com. -> "
        "loop2.example.com. -> loop1.example.com."
    ) in err, err
    assert (
        "example.com.zone:10: error: ALIAS to app.nowhere.test.: app.nowhere.test. is in none "
        "of gtmd's zones"
    ) in err, err
    assert (
        "example.com.zone:12: error: ALIAS to ghost.tm.test.: ghost.tm.test. is no name of zone "
        "tm.test."
    ) in err, err
    assert "gtmd: 3 error(s)" in err, err


def test_alias_broken_reload_keeps_serving(gtmd_factory):
    good = zone("@ ALIAS www\nwww A 192.0.2.20\n")
    g = gtmd_factory.start(domain=DOMAIN, zones={"example.com.zone": good})
    assert rdatas(g.query("example.com", "A")) == ["192.0.2.20"]
    (g.zdir / "example.com.zone").write_text(zone("@ ALIAS www\nwww CNAME @\n"))
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"example\.com\.zone:6: error: ALIAS to www\.example\.com\.: a loop")
    time.sleep(0.2)
    assert g.alive()
    assert rdatas(g.query("example.com", "A")) == ["192.0.2.20"]
    (g.zdir / "example.com.zone").write_text(good.replace("192.0.2.20", "192.0.2.21"))
    g.send_signal(signal.SIGHUP)
    poll(lambda: rdatas(g.query("example.com", "A", timeout=0.5)) == ["192.0.2.21"])


# --------------------------------------------------------------------------
# The API's resolve explains it
# --------------------------------------------------------------------------


def test_alias_resolve_explains(gtmd_factory, tmp_path):
    g = start_api(
        gtmd_factory,
        tmp_path,
        zones={"example.com.zone": zone("@ 600 ALIAS app.%s.\nst ALIAS ns1\n" % DOMAIN)},
        profiles={
            "app": profile(
                "app",
                "Priority",
                [always("primary", "127.0.1.1", priority=1), always("backup", "127.0.1.2", priority=2)],
                ttl=30,
            )
        },
        extra=["--domain", DOMAIN],
    )

    def resolve(name, qtype="A"):
        q = urllib.parse.urlencode({"name": name, "type": qtype, "client": "192.0.2.7"})
        rep = g.api.request("GET", "/gtmd/v1/resolve?" + q, api_version=None)
        assert rep.status == 200, rep
        return rep.json

    j = resolve("example.com")
    assert j["rcode"] == "NOERROR"
    assert [(x["name"], x["type"], x["ttl"], x["data"]) for x in j["answer"]] == [
        ("example.com.", "A", 30, "127.0.1.1")
    ]
    al = j["alias"]
    assert al["name"] == "example.com."
    assert al["target"] == "app.%s." % DOMAIN
    assert al["kind"] == "profile"
    assert al["ttl"] == 600
    assert al["reason"].startswith(
        "example.com. is an ALIAS to app.%s., the traffic manager profile app" % DOMAIN
    ), al
    # and the profile's own trace, with the endpoint it served
    (step,) = j["profiles"]
    assert step["name"] == "app.%s." % DOMAIN
    assert step["profile"] == "app" and step["method"] == "Priority"
    assert step["served"] == ["primary"]
    # the same as DNS
    assert rdatas(g.query("example.com", "A")) == ["127.0.1.1"]

    j = resolve("example.com", "AAAA")
    assert j["answer"] == [] and j["alias"]["reason"].endswith("so NODATA"), j
    j = resolve("st.example.com")
    assert j["alias"]["kind"] == "static" and j["profiles"] == [], j
    assert [x["data"] for x in j["answer"]] == ["192.0.2.53"]
    j = resolve("ns1.example.com")
    assert "alias" not in j

    # gtmctl prints the sentence
    tf = tmp_path / "tokens"
    ctl = str(Path(GTMD).resolve().parent / "gtmctl")
    out = subprocess.run(
        [ctl, "--api", "https://127.0.0.1:%d" % g.api_port, "--token-file", str(tf),
         "--state-dir", str(g.state), "resolve", "example.com"],
        capture_output=True, text=True, timeout=scaled(30), stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out
    assert "example.com. is an ALIAS to app.%s." % DOMAIN in out.stdout, out.stdout
