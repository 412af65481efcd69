"""Routing through real profiles (SPEC §4-§5, reference §1.2-§1.4, §1.6):
Weighted shares, RoundRobin order, best effort, disabled endpoints and
profiles, alwaysServe, the record type each target gives, CNAME chains
through static zones, TTL, names below a profile name.

Health comes from real probes of local backends (backends.py, addresses
127.0.0.21-127.0.0.99); alwaysServe endpoints are never contacted."""

import collections
import re

import dns.flags
import dns.rcode
import dns.rdatatype

from backends import (
    Watcher,
    addresses,
    count_log,
    endpoint,
    fqdn,
    profile,
    rdatas,
    transition_rx,
    wait_transition,
)

NOERROR = dns.rcode.NOERROR
NXDOMAIN = dns.rcode.NXDOMAIN


def wait_online(g, label, timeout=5):
    wait_transition(g, label, "CheckingEndpoint", "Online", timeout=timeout)


def shares(g, name, n=1000):
    c = collections.Counter()
    for _ in range(n):
        a = addresses(g, name)
        assert len(a) == 1, a
        c[a[0]] += 1
    return {k: v / n for k, v in c.items()}


def assert_negative(g, r, rcode):
    """NXDOMAIN or NODATA: no answer, the --domain SOA in authority, AA."""
    assert r.rcode() == rcode, dns.rcode.to_text(r.rcode())
    assert not r.answer, r
    soa = [s for s in r.authority if s.rdtype == dns.rdatatype.SOA]
    assert len(soa) == 1, r
    assert soa[0].name.to_text().lower() == g.domain.rstrip(".").lower() + "."
    assert r.flags & dns.flags.AA


# --------------------------------------------------------------------------
# Weighted and RoundRobin
# --------------------------------------------------------------------------


def test_weighted_shares_and_degraded_gets_none(gtmd_factory, backends):
    a, b, c = backends.http(3)
    c.set(503)  # Degraded after its first 3 probes
    g = gtmd_factory.start(
        profiles={
            "w": profile(
                "w",
                "Weighted",
                [
                    endpoint("a", a.host, weight=1),
                    endpoint("b", b.host, weight=3),
                    endpoint("c", c.host, weight=2),
                ],
                port=a.port,
            )
        }
    )
    name = fqdn(g, "w")
    wait_online(g, "w/a")
    wait_online(g, "w/b")
    wait_transition(g, "w/c", "CheckingEndpoint", "Degraded", timeout=6)
    s = shares(g, name)
    print("\nweighted 1/3 (c Degraded): %s" % s)
    assert s.get(c.host, 0) == 0, s
    assert abs(s.get(a.host, 0) - 0.25) <= 0.05, s
    assert abs(s.get(b.host, 0) - 0.75) <= 0.05, s

    c.ok()
    wait_transition(g, "w/c", "Degraded", "Online", timeout=4)
    s = shares(g, name)
    print("weighted 1/3/2: %s" % s)
    assert abs(s.get(a.host, 0) - 1 / 6) <= 0.05, s
    assert abs(s.get(b.host, 0) - 3 / 6) <= 0.05, s
    assert abs(s.get(c.host, 0) - 2 / 6) <= 0.05, s


def test_roundrobin_cycles_in_order_skipping_degraded(gtmd_factory, backends):
    a, b, c = backends.http(3)
    g = gtmd_factory.start(
        profiles={
            "rr": profile(
                "rr",
                "RoundRobin",
                [endpoint("a", a.host), endpoint("b", b.host), endpoint("c", c.host)],
                port=a.port,
            )
        }
    )
    name = fqdn(g, "rr")
    for e in "abc":
        wait_online(g, "rr/" + e)
    order = [a.host, b.host, c.host]
    seq = [addresses(g, name)[0] for _ in range(12)]
    start = order.index(seq[0])
    assert seq == [order[(start + i) % 3] for i in range(12)], seq

    b.set(503)
    wait_transition(g, "rr/b", "Online", "Degraded", timeout=6)
    seq = [addresses(g, name)[0] for _ in range(10)]
    assert b.host not in seq, seq
    assert set(seq) == {a.host, c.host}, seq
    assert all(x != y for x, y in zip(seq, seq[1:])), seq

    b.ok()
    wait_transition(g, "rr/b", "Degraded", "Online", timeout=4)
    seq = [addresses(g, name)[0] for _ in range(9)]
    start = order.index(seq[0])
    assert seq == [order[(start + i) % 3] for i in range(9)], seq


# --------------------------------------------------------------------------
# Best effort, disabled, alwaysServe
# --------------------------------------------------------------------------


def test_all_down_best_effort(gtmd_factory, backends):
    """Every enabled endpoint Degraded: answers continue as if all were up.
    Priority: the priority-1 enabled endpoint (not the first in the list,
    never a disabled one)."""
    off, p3, p2 = backends.http(3)
    w1, w2 = backends.http(2)
    for be in (p3, p2, w1, w2):
        be.set(503)
    g = gtmd_factory.start(
        profiles={
            "be-prio": profile(
                "be-prio",
                "Priority",
                [
                    endpoint("off", off.host, priority=1, endpointStatus="Disabled"),
                    endpoint("p3", p3.host, priority=3),
                    endpoint("p2", p2.host, priority=2),
                ],
                port=off.port,
            ),
            "be-w": profile(
                "be-w",
                "Weighted",
                [endpoint("w1", w1.host), endpoint("w2", w2.host)],
                port=w1.port,
            ),
        }
    )
    for label in ("be-prio/p3", "be-prio/p2", "be-w/w1", "be-w/w2"):
        wait_transition(g, label, "CheckingEndpoint", "Degraded", timeout=6)
    prio = fqdn(g, "be-prio")
    for _ in range(20):
        assert addresses(g, prio) == [p2.host]
    s = shares(g, fqdn(g, "be-w"), 200)
    assert set(s) == {w1.host, w2.host}, s
    assert not off.requests

    # one comes back: it alone is served
    p3.ok()
    wait_transition(g, "be-prio/p3", "Degraded", "Online", timeout=4)
    for _ in range(10):
        assert addresses(g, prio) == [p3.host]


def test_disabled_endpoints_and_profiles(gtmd_factory, backends):
    x, y = backends.http(2)
    (z,) = backends.http(1)
    u, v = backends.http(2)
    g = gtmd_factory.start(
        profiles={
            "dis": profile(
                "dis",
                "Priority",
                [
                    endpoint("x", x.host, priority=1, endpointStatus="Disabled"),
                    endpoint("y", y.host, priority=2),
                ],
                port=x.port,
            ),
            "offprof": profile(
                "offprof", "Priority", [endpoint("z", z.host)], port=z.port, status="Disabled"
            ),
            "alloff": profile(
                "alloff",
                "Weighted",
                [
                    endpoint("u", u.host, endpointStatus="Disabled"),
                    endpoint("v", v.host, endpointStatus="Disabled"),
                ],
                port=u.port,
            ),
        }
    )
    dis = fqdn(g, "dis")
    with Watcher(g, [dis]) as w:
        y.wait_requests(3, timeout=5)  # at least 2 intervals of probing
    samples = w.get(dis)
    assert samples and all(s[1] == "NOERROR" and s[2] == (y.host,) for s in samples), samples
    for rel in ("offprof", "alloff"):
        for qtype in ("A", "AAAA", "TXT"):
            assert_negative(g, g.query(fqdn(g, rel), qtype), NXDOMAIN)
    # never probed
    assert x.requests == [] and z.requests == [] and u.requests == [] and v.requests == []
    for label in ("dis/x", "offprof/z", "alloff/u", "alloff/v"):
        assert not re.search(transition_rx(label, r"\w+", r"\w+"), g.log)


def test_always_serve(gtmd_factory, backends):
    s, t = backends.http(2)
    s.set(503)  # would be Degraded if it were probed
    g = gtmd_factory.start(
        profiles={
            "as": profile(
                "as",
                "Priority",
                [
                    endpoint("s", s.host, priority=1, alwaysServe="Enabled"),
                    endpoint("t", t.host, priority=2, alwaysServe="Disabled"),
                ],
                port=s.port,
            )
        }
    )
    name = fqdn(g, "as")
    with Watcher(g, [name]) as w:
        t.wait_requests(4, timeout=6)  # 3+ intervals: 3 failures would have made s Degraded
    samples = w.get(name)
    assert samples and all(x[1] == "NOERROR" and x[2] == (s.host,) for x in samples), samples
    assert s.requests == []
    assert not re.search(transition_rx("as/s", r"\w+", r"\w+"), g.log)
    assert count_log(g, transition_rx("as/t", "CheckingEndpoint", "Online")) == 1


# --------------------------------------------------------------------------
# Record types, CNAME chains, TTL, names below a profile
# --------------------------------------------------------------------------

STATIC_ORG = """$ORIGIN example.org.
$TTL 300
@     SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 60
@     NS  ns1
ns1   A   127.0.0.91
www   CNAME app.tm.test.
deep  CNAME named.tm.test.
web   A   127.0.0.92
"""


def _always(name, target, ttl):
    return profile(
        name, "Priority", [endpoint("e", target, alwaysServe="Enabled")], port=80, ttl=ttl
    )


def _chain(r):
    """The answer section as [(owner, type, ttl, rdata)], in order."""
    out = []
    for rrset in r.answer:
        for rd in rrset:
            out.append(
                (
                    rrset.name.to_text().lower(),
                    dns.rdatatype.to_text(rrset.rdtype),
                    rrset.ttl,
                    rd.to_text().lower(),
                )
            )
    return out


def test_record_types_chains_and_ttl(gtmd_factory):
    g = gtmd_factory.start(
        zones={"example.org.zone": STATIC_ORG},
        profiles={
            "app": _always("app", "127.0.0.93", 17),
            "six": _always("six", "::1", 18),
            "host": _always("host", "app.example.net", 19),
            "named": _always("named", "web.example.org", 20),
        },
    )
    app, six, host, named = (fqdn(g, n) for n in ("app", "six", "host", "named"))

    # IPv4 target: A; other types NODATA with the SOA
    r = g.query(app, "A")
    assert r.rcode() == NOERROR and r.flags & dns.flags.AA
    assert _chain(r) == [(app, "A", 17, "127.0.0.93")]
    for qtype in ("AAAA", "CNAME", "TXT", "MX"):
        assert_negative(g, g.query(app, qtype), NOERROR)
    assert rdatas(g.query(app, "ANY"), "A") == ["127.0.0.93"]

    # IPv6 target: AAAA
    r = g.query(six, "AAAA")
    assert _chain(r) == [(six, "AAAA", 18, "::1")]
    for qtype in ("A", "CNAME", "TXT"):
        assert_negative(g, g.query(six, qtype), NOERROR)

    # host name target (outside our zones): a CNAME for A, AAAA and CNAME
    for qtype in ("A", "AAAA", "CNAME"):
        r = g.query(host, qtype)
        assert r.rcode() == NOERROR and r.flags & dns.flags.AA
        assert _chain(r) == [(host, "CNAME", 19, "app.example.net.")], (qtype, r)
    assert_negative(g, g.query(host, "TXT"), NOERROR)

    # host name target inside a static zone: the CNAME is followed
    r = g.query(named, "A")
    assert _chain(r) == [
        (named, "CNAME", 20, "web.example.org."),
        ("web.example.org.", "A", 300, "127.0.0.92"),
    ], r
    r = g.query(named, "AAAA")
    assert r.rcode() == NOERROR
    assert _chain(r) == [(named, "CNAME", 20, "web.example.org.")], r

    # a static CNAME into a profile: the chain goes through it
    r = g.query("www.example.org", "A")
    assert r.rcode() == NOERROR and r.flags & dns.flags.AA
    assert _chain(r) == [
        ("www.example.org.", "CNAME", 300, app),
        (app, "A", 17, "127.0.0.93"),
    ], r
    r = g.query("deep.example.org", "A")
    assert _chain(r) == [
        ("deep.example.org.", "CNAME", 300, named),
        (named, "CNAME", 20, "web.example.org."),
        ("web.example.org.", "A", 300, "127.0.0.92"),
    ], r

    # names below a profile's name do not exist
    for below in ("x." + app, "a.b." + app, "_x._tcp." + host, "www." + named):
        for qtype in ("A", "AAAA"):
            assert_negative(g, g.query(below, qtype), NXDOMAIN)
    # and profile names are case-insensitive
    assert rdatas(g.query(app.upper(), "A"), "A") == ["127.0.0.93"]
