"""EDNS Client Subnet (RFC 7871) and the routing methods that look at the
client (SPEC §4-§5, reference §1.2-§1.4, §1.8): Performance (latency table),
Geographic (geo table), Subnet (the profile's ranges), and MultiValue.

Clients are told apart with the ECS option (dns.edns.ECSOption): their
subnets are only data in the queries, nothing is ever sent to them. Targets
are on 127.0.0.0/8 only: `alwaysServe: Enabled` endpoints (never probed) on
127.0.1.0-127.0.9.255 where health does not matter, real local HTTP
backends (backends.py, 127.0.0.21-127.0.0.99, interval 1 s, timeout 1 s,
toleratedNumberOfFailures 0) where it does.

Most tests share one module-wide gtmd (`ecs_srv`) that only reads; the
tests with real backends start their own."""

import ipaddress
import re
import struct

import dns.edns
import dns.rcode
import dns.rdatatype
import pytest

from backends import endpoint, fqdn, profile, rdatas, wait_transition
from conftest import GtmdFactory, _require_binary, make_query, scaled

NOERROR = dns.rcode.NOERROR
FORMERR = dns.rcode.FORMERR
ECS_CODE = 8

# --------------------------------------------------------------------------
# Tables and profiles of the shared server
# --------------------------------------------------------------------------

# `CIDR region latency_ms`: per client network, the regions by latency.
LATENCY_TABLE = """\
# client network   region          latency_ms
10.1.0.0/16        westeurope      10
10.1.0.0/16        EastUS          90
10.1.0.0/16        japaneast       200
10.2.0.0/16        EastUS          8
10.2.0.0/16        westeurope      85
10.1.5.0/24        japaneast       3     # more specific than 10.1.0.0/16
10.1.5.0/24        westeurope      50
10.3.0.0/16        australiaeast   5     # no endpoint there: the next region
10.3.0.0/16        eastus          40
10.3.0.0/16        westeurope      60
127.0.0.0/8        japaneast       1     # the source address of every query
2001:db8:1::/48    eastus          5
2001:db8:1::/48    westeurope      70
2001:db8:2::/48    westeurope      2
"""

# `CIDR code`: ISO country or state codes.
GEO_TABLE = """\
198.51.100.0/24    US-CA
198.51.101.0/24    US-NY
192.0.2.0/25       FR
192.0.2.128/25     BR
203.0.113.0/24     JP        # mapped only to a disabled endpoint
203.0.114.0/24     ZA        # no endpoint maps it, nor GEO-AF
203.0.115.0/24     MX        # nor GEO-NA
127.0.0.0/8        fr        # the source address; codes are case-insensitive
2001:db8:3::/48    FR
2001:db8:4::/48    US-CA
"""

PRIO = {"p1": "127.0.1.1", "p2": "127.0.1.2"}
WRR = {"w1": "127.0.1.11", "w2": "127.0.1.12"}
PERF_WE = ["127.0.2.1", "127.0.2.2", "127.0.2.3"]  # West Europe, written 3 ways
PERF_EUS = "127.0.2.10"
PERF_JPE = "127.0.2.20"
PERF_ALL = set(PERF_WE) | {PERF_EUS, PERF_JPE}
GEO_CA, GEO_EU, GEO_WORLD, GEO_JP_OFF = "127.0.3.1", "127.0.3.2", "127.0.3.3", "127.0.3.4"
GEO_US = "127.0.3.5"
GEO2_FR, GEO2_CA = "127.0.3.11", "127.0.3.12"
SUB_S1, SUB_S2, SUB_S3, SUB_OFF, SUB_FB = (
    "127.0.4.1", "127.0.4.2", "127.0.4.3", "127.0.4.4", "127.0.4.9")
SUB2_S1 = "127.0.4.21"
MV4 = ["127.0.5.1", "127.0.5.2", "127.0.5.3", "127.0.5.4"]
MV6 = ["::ffff:127.0.5.11", "::ffff:127.0.5.12"]
MV1 = ["127.0.5.21", "127.0.5.22", "127.0.5.23"]


def served(name, target, **props):
    """An external endpoint that is always served and never probed."""
    return endpoint(name, target, alwaysServe="Enabled", **props)


def shared_profiles():
    return {
        "prio": profile("prio", "Priority", [
            served("p1", PRIO["p1"], priority=1),
            served("p2", PRIO["p2"], priority=2),
        ]),
        "wrr": profile("wrr", "Weighted", [
            served("w1", WRR["w1"], weight=1),
            served("w2", WRR["w2"], weight=1),
        ]),
        "perf": profile("perf", "Performance", [
            served("we1", PERF_WE[0], endpointLocation="West Europe"),
            served("we2", PERF_WE[1], endpointLocation="westeurope"),
            served("we3", PERF_WE[2], endpointLocation="WestEurope"),
            served("eus", PERF_EUS, endpointLocation="East US"),
            served("jpe", PERF_JPE, endpointLocation="Japan East"),
        ]),
        "geo": profile("geo", "Geographic", [
            served("ca", GEO_CA, geoMapping=["US-CA"]),
            served("eu", GEO_EU, geoMapping=["GEO-EU"]),
            served("world", GEO_WORLD, geoMapping=["WORLD"]),
            served("jp", GEO_JP_OFF, geoMapping=["JP"], endpointStatus="Disabled"),
            served("us", GEO_US, geoMapping=["US"]),
        ]),
        "geo2": profile("geo2", "Geographic", [  # no WORLD
            served("fr", GEO2_FR, geoMapping=["FR"]),
            served("ca", GEO2_CA, geoMapping=["US-CA"]),
        ]),
        "subnet": profile("subnet", "Subnet", [
            served("s1", SUB_S1, subnets=[{"first": "203.0.113.0", "scope": 25}]),
            served("s2", SUB_S2, subnets=[
                {"first": "203.0.113.128", "last": "203.0.113.200"},
                {"first": "2001:db8:aa::", "scope": 48},
            ]),
            served("s3", SUB_S3, subnets=[{"first": "198.51.100.0", "last": "198.51.100.255"}]),
            served("off", SUB_OFF, subnets=[{"first": "10.50.0.0", "scope": 16}],
                   endpointStatus="Disabled"),
            served("fallback", SUB_FB),
        ]),
        "subnet2": profile("subnet2", "Subnet", [  # no fallback
            served("s1", SUB2_S1, subnets=[{"first": "203.0.113.0", "scope": 24}]),
        ]),
        "mv": profile("mv", "MultiValue", [
            served("a%d" % i, t) for i, t in enumerate(MV4 + MV6)
        ]),
        "mv1": profile("mv1", "MultiValue", [
            served("b%d" % i, t) for i, t in enumerate(MV1)
        ]),
    }


def _with_max_return(doc, n):
    doc["properties"]["maxReturn"] = n
    return doc


@pytest.fixture(scope="module")
def ecs_srv(tmp_path_factory):
    """One read-only gtmd with every profile above and both tables."""
    _require_binary()
    d = tmp_path_factory.mktemp("ecs-tables")
    lat, geo = d / "latency.txt", d / "geo.txt"
    lat.write_text(LATENCY_TABLE)
    geo.write_text(GEO_TABLE)
    profs = shared_profiles()
    _with_max_return(profs["mv"], 2)
    _with_max_return(profs["mv1"], 1)
    f = GtmdFactory(tmp_path_factory)
    g = f.start(profiles=profs, extra=["--latency-table", str(lat), "--geo-table", str(geo)])
    yield g
    problems = f.teardown()
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def ecs(addr, srclen):
    return dns.edns.ECSOption(addr, srclen)


def ask(g, name, rdtype="A", option=None, options=None, tcp=False):
    """A query with EDNS(0), and the given ECS option(s)."""
    opts = list(options or []) + ([option] if option is not None else [])
    return g.query(name, rdtype, use_edns=0, options=opts, tcp=tcp)


def ecs_options(r):
    return [o for o in r.options if o.otype == ECS_CODE]


def echoed(r, sent):
    """The one ECS option of reply r, checked against the one sent (RFC 7871
    7.2.1: FAMILY, SOURCE PREFIX-LENGTH and ADDRESS as in the query)."""
    assert r.edns == 0, "no OPT in the reply"
    opts = ecs_options(r)
    assert len(opts) == 1, r.options
    o = opts[0]
    assert isinstance(o, dns.edns.ECSOption), o
    assert o.family == sent.family
    assert o.srclen == sent.srclen
    assert o.addrdata == sent.addrdata, (o.addrdata, sent.addrdata)
    return o


def answer_of(g, name, option, rdtype="A"):
    """(addresses, echoed scope) for one query from the client `option`."""
    r = ask(g, name, rdtype, option)
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    o = echoed(r, option)
    return rdatas(r, rdtype), o.scopelen


def assert_nodata(r):
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.answer, r.answer
    soa = [rr for rr in r.authority if rr.rdtype == dns.rdatatype.SOA]
    assert soa, "NODATA without SOA in authority: %s" % r


def raw_ecs(payload):
    """An ECS option with arbitrary bytes (family, source, scope, address)."""
    return dns.edns.GenericOption(ECS_CODE, payload)


def ecs_bytes(family, source, scope, addr):
    return struct.pack("!HBB", family, source, scope) + bytes(addr)


def mk(name, options, rdtype="A"):
    return make_query(name, rdtype, use_edns=0, options=options)


# --------------------------------------------------------------------------
# ECS: parsing and echo
# --------------------------------------------------------------------------


def test_ecs_echoed_scope_zero_for_priority_weighted_and_zones(ecs_srv):
    g = ecs_srv
    for name, allowed in ((fqdn(g, "prio"), [PRIO["p1"]]),
                          (fqdn(g, "wrr"), sorted(WRR.values()))):
        for opt in (ecs("10.1.2.0", 24), ecs("192.0.2.77", 32), ecs("10.0.0.0", 8),
                    ecs("2001:db8:1:2::", 64)):
            addrs, scope = answer_of(g, name, opt)
            assert len(addrs) == 1 and addrs[0] in allowed, (name, addrs)
            assert scope == 0, (name, opt, scope)
    # also over TCP, and for the synthesised apex
    opt = ecs("10.1.2.0", 24)
    r = ask(g, fqdn(g, "prio"), option=opt, tcp=True)
    assert rdatas(r) == [PRIO["p1"]]
    assert echoed(r, opt).scopelen == 0
    r = ask(g, g.domain, "SOA", option=opt)
    assert r.rcode() == NOERROR and r.answer
    assert echoed(r, opt).scopelen == 0
    # negative answers and refusals echo it too (RFC 7871 7.2.1: "regardless
    # of whether the client information was needed")
    r = ask(g, "nothere." + g.domain, option=opt)
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert echoed(r, opt).scopelen == 0
    r = ask(g, "www.example.org.", option=opt)
    assert r.rcode() == dns.rcode.REFUSED
    assert echoed(r, opt).scopelen == 0


def test_no_ecs_in_query_none_in_answer(ecs_srv):
    g = ecs_srv
    for name in ("prio", "perf", "geo", "subnet", "mv"):
        r = ask(g, fqdn(g, name))
        assert r.rcode() == NOERROR
        assert r.edns == 0
        assert ecs_options(r) == [], (name, r.options)
    # and no OPT at all without EDNS
    r = g.query(fqdn(g, "perf"), "A")
    assert r.edns == -1 and rdatas(r)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(ecs_bytes(3, 24, 0, [10, 1, 2]), id="family-3"),
        pytest.param(ecs_bytes(1, 33, 0, [10, 1, 2, 3, 0]), id="ipv4-source-33"),
        pytest.param(ecs_bytes(2, 129, 0, [0x20, 1, 0xD, 0xB8] + [0] * 13), id="ipv6-source-129"),
        pytest.param(ecs_bytes(1, 16, 0, [10, 1, 0]), id="address-longer-than-prefix"),
        pytest.param(ecs_bytes(1, 24, 0, [10, 1]), id="address-shorter-than-prefix"),
        pytest.param(ecs_bytes(1, 20, 0, [10, 1, 5]), id="bits-past-prefix"),
        pytest.param(ecs_bytes(1, 0, 0, [10]), id="address-with-source-0"),
        pytest.param(ecs_bytes(1, 24, 8, [10, 1, 2]), id="scope-not-0"),
        pytest.param(b"\x00\x01\x18", id="truncated-option"),
    ],
)
def test_malformed_ecs_is_formerr(ecs_srv, payload):
    g = ecs_srv
    name = fqdn(g, "perf")
    for tcp in (False, True):
        r = g.exchange(mk(name, [raw_ecs(payload)]), tcp=tcp)
        assert r.rcode() == FORMERR, (payload.hex(), tcp, dns.rcode.to_text(r.rcode()))
        assert not r.answer


def test_two_ecs_options_is_formerr(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "perf")
    r = g.exchange(mk(name, [ecs("10.1.2.0", 24), ecs("10.2.0.0", 24)]))
    assert r.rcode() == FORMERR, dns.rcode.to_text(r.rcode())
    # the same option twice is no better
    r = g.exchange(mk(name, [ecs("10.1.2.0", 24), ecs("10.1.2.0", 24)]))
    assert r.rcode() == FORMERR, dns.rcode.to_text(r.rcode())


def test_well_formed_raw_ecs_accepted(ecs_srv):
    """Controls for the FORMERR cases: the same encoder, valid bytes."""
    g = ecs_srv
    name = fqdn(g, "perf")
    for payload, want in (
        (ecs_bytes(1, 24, 0, [10, 2, 9]), [PERF_EUS]),
        (ecs_bytes(1, 20, 0, [10, 2, 0x10]), [PERF_EUS]),
        (ecs_bytes(1, 0, 0, []), [PERF_JPE]),  # source 0: the source address
        (ecs_bytes(2, 48, 0, [0x20, 1, 0xD, 0xB8, 0, 1]), [PERF_EUS]),
    ):
        r = g.exchange(mk(name, [raw_ecs(payload)]))
        assert r.rcode() == NOERROR, payload.hex()
        assert rdatas(r) == want, (payload.hex(), rdatas(r))
        (o,) = ecs_options(r)
        assert o.to_wire()[:3] == payload[:3] and o.to_wire()[4:] == payload[4:]
    # unknown options next to ECS are ignored (RFC 6891 6.1.2)
    r = g.exchange(mk(name, [dns.edns.GenericOption(65001, b"xyz"), ecs("10.2.0.0", 16)]))
    assert r.rcode() == NOERROR and rdatas(r) == [PERF_EUS]


def test_source_prefix_zero_routes_by_source_address(ecs_srv):
    """SOURCE PREFIX-LENGTH 0 (RFC 7871 7.1.2): no client information, so
    the source address (127.0.0.1: japaneast in the latency table, FR in the
    geo table) routes; the option is still echoed."""
    g = ecs_srv
    for opt in (ecs("0.0.0.0", 0), ecs("::", 0)):
        r = ask(g, fqdn(g, "perf"), option=opt)
        assert rdatas(r) == [PERF_JPE], (opt, rdatas(r))
        echoed(r, opt)
        r = ask(g, fqdn(g, "geo"), option=opt)
        assert rdatas(r) == [GEO_EU], (opt, rdatas(r))
        echoed(r, opt)
    # the same as no ECS at all
    assert rdatas(ask(g, fqdn(g, "perf"))) == [PERF_JPE]
    assert rdatas(ask(g, fqdn(g, "geo"))) == [GEO_EU]


def test_source_prefix_zero_answer_scope_zero(ecs_srv):
    """An answer to a /0 query may not claim more of the client's address
    than the query gave: the echoed ADDRESS is all zeros, so any SCOPE but 0
    would tie the answer to 0.0.0.0/SCOPE (RFC 7871 7.2.1, 7.3.1)."""
    g = ecs_srv
    for name in ("perf", "geo", "subnet"):
        opt = ecs("0.0.0.0", 0)
        r = ask(g, fqdn(g, name), option=opt)
        assert r.rcode() == NOERROR
        assert echoed(r, opt).scopelen == 0, (name, echoed(r, opt).scopelen)


# --------------------------------------------------------------------------
# Performance
# --------------------------------------------------------------------------


def test_performance_closest_region_and_scope(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "perf")
    cases = [
        # client               closest region with an endpoint   scope (row)
        (ecs("10.2.0.0", 24), {PERF_EUS}, 16),
        (ecs("10.2.77.0", 24), {PERF_EUS}, 16),
        (ecs("10.2.77.1", 32), {PERF_EUS}, 16),
        (ecs("10.2.0.0", 16), {PERF_EUS}, 16),
        # longest prefix: the /24 row inside 10.1.0.0/16 wins...
        (ecs("10.1.5.0", 24), {PERF_JPE}, 24),
        (ecs("10.1.5.128", 25), {PERF_JPE}, 24),
        (ecs("10.1.5.9", 32), {PERF_JPE}, 24),
        # ...and the rest of 10.1.0.0/16 is West Europe (the scope of these:
        # test_scope_does_not_cover_a_more_specific_row)
        (ecs("10.1.2.0", 24), set(PERF_WE), None),
        (ecs("10.1.200.9", 32), set(PERF_WE), None),
        (ecs("10.1.4.0", 24), set(PERF_WE), None),
        (ecs("10.1.6.0", 24), set(PERF_WE), None),
        # australiaeast has no endpoint: the next closest region
        (ecs("10.3.1.0", 24), {PERF_EUS}, 16),
        # IPv6 clients
        (ecs("2001:db8:1:77::", 64), {PERF_EUS}, 48),
        (ecs("2001:db8:1::", 48), {PERF_EUS}, 48),
        (ecs("2001:db8:2:1::", 56), set(PERF_WE), 48),
    ]
    for opt, want, scope in cases:
        addrs, got_scope = answer_of(g, name, opt)
        assert len(addrs) == 1 and addrs[0] in want, (opt.address, opt.srclen, addrs)
        if scope is not None:
            assert got_scope == scope, (opt.address, opt.srclen, got_scope)


def covers(addr, prefix, net, net_prefix):
    """Whether addr/prefix contains all of net/net_prefix."""
    a, n = ipaddress.ip_address(addr), ipaddress.ip_address(net)
    if a.version != n.version or prefix > net_prefix:
        return False
    return ipaddress.ip_network("%s/%d" % (n, prefix), strict=False) == \
        ipaddress.ip_network("%s/%d" % (a, prefix), strict=False)


def test_scope_does_not_cover_a_more_specific_row(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "perf")
    warned = re.search(r"(warn|error)[^\n]*10\.1\.5\.0/24", g.log)
    for opt in (ecs("10.1.2.0", 24), ecs("10.1.200.9", 32), ecs("10.1.0.0", 16),
                ecs("10.1.4.0", 24)):
        addrs, scope = answer_of(g, name, opt)
        assert len(addrs) == 1 and addrs[0] in PERF_WE, addrs
        assert warned or not covers(opt.address, scope, "10.1.5.0", 24), (
            "%s/%d answered West Europe with SCOPE %d, which covers 10.1.5.0/24 "
            "(Japan East)" % (opt.address, opt.srclen, scope))


def test_scope_longer_than_source_when_source_not_specific_enough(ecs_srv):
    g = ecs_srv
    for name, opt, want, other_net, other_prefix in (
        # s1 holds 203.0.113.0/25; 203.0.113.128-200 is s2's
        ("subnet", ecs("203.0.113.0", 24), SUB_S1, "203.0.113.128", 25),
        # s2 holds 203.0.113.128-203.0.113.200; .201-.255 is the fallback's
        ("subnet", ecs("203.0.113.128", 25), SUB_S2, "203.0.113.208", 28),
        # FR is 192.0.2.0/25 (GEO-EU), BR 192.0.2.128/25 (WORLD)
        ("geo", ecs("192.0.2.0", 24), GEO_EU, "192.0.2.128", 25),
    ):
        addrs, scope = answer_of(g, fqdn(g, name), opt)
        assert addrs == [want], (name, opt.address, addrs)
        assert not covers(opt.address, scope, other_net, other_prefix), (
            "%s: %s/%d answered %s with SCOPE %d, which covers %s/%d, routed "
            "elsewhere" % (name, opt.address, opt.srclen, want, scope, other_net,
                           other_prefix))


def test_performance_deterministic_per_client_and_spread(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "perf")
    picks = {}
    for third in list(range(6, 40)):
        opt = ecs("10.1.%d.0" % third, 24)
        seen = {tuple(answer_of(g, name, opt)[0]) for _ in range(50 if third < 9 else 3)}
        assert len(seen) == 1, ("not deterministic for 10.1.%d.0/24" % third, seen)
        (addrs,) = seen
        assert len(addrs) == 1 and addrs[0] in PERF_WE, addrs
        picks[third] = addrs[0]
    # every West Europe endpoint (written "West Europe", "westeurope" and
    # "WestEurope") gets some of the 34 client networks
    assert set(picks.values()) == set(PERF_WE), picks


def test_performance_client_outside_table_answered(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "perf")
    for opt in (ecs("192.0.2.0", 24), ecs("172.16.9.9", 32), ecs("2001:db8:99::", 48)):
        addrs, scope = answer_of(g, name, opt)
        assert len(addrs) == 1 and addrs[0] in PERF_ALL, (opt.address, addrs)
        assert scope <= opt.srclen


def test_performance_closest_region_down_goes_to_next(gtmd_factory, backends, tmp_path):
    """Two endpoints in the closest region (westeurope) and one in the next
    (eastus), all real backends: one westeurope endpoint down leaves the
    other, both down moves the client to eastus, one back returns it."""
    a1, a2, b = backends.http(3)
    lat = tmp_path / "latency.txt"
    lat.write_text("10.1.0.0/16 westeurope 10\n10.1.0.0/16 eastus 90\n"
                   "10.2.0.0/16 eastus 10\n10.2.0.0/16 westeurope 90\n")
    doc = profile("perf", "Performance", [
        endpoint("a1", a1.host, endpointLocation="West Europe"),
        endpoint("a2", a2.host, endpointLocation="West Europe"),
        endpoint("b", b.host, endpointLocation="East US"),
    ], port=a1.port, tolerated=0)
    g = gtmd_factory.start(profiles={"perf": doc}, extra=["--latency-table", str(lat)])
    name = fqdn(g, "perf")
    for label in ("a1", "a2", "b"):
        wait_transition(g, "perf/" + label, "CheckingEndpoint", "Online", timeout=5)
    we_client = ecs("10.1.0.0", 24)
    us_client = ecs("10.2.0.0", 24)

    def now(opt):
        return answer_of(g, name, opt)[0]

    first = now(we_client)
    assert first in ([a1.host], [a2.host]), first
    assert now(us_client) == [b.host]

    # the one this client gets goes down: the other westeurope one
    (up, down) = (a1, a2) if first == [a2.host] else (a2, a1)
    down.set(503)
    wait_transition(g, "perf/" + ("a1" if down is a1 else "a2"), "Online", "Degraded",
                    timeout=5)
    for _ in range(20):
        assert now(we_client) == [up.host]

    # the whole region down: eastus, the next closest
    up.set(503)
    wait_transition(g, "perf/" + ("a1" if up is a1 else "a2"), "Online", "Degraded",
                    timeout=5)
    for _ in range(20):
        assert now(we_client) == [b.host]
    assert now(us_client) == [b.host]

    # every endpoint down: best effort, all treated as up, so the closest
    # region again (reference §1.2)
    b.set(503)
    wait_transition(g, "perf/b", "Online", "Degraded", timeout=5)
    for _ in range(20):
        assert now(we_client) in ([a1.host], [a2.host])
    assert now(us_client) == [b.host]

    # one back: westeurope again, that one
    b.ok()
    down.ok()
    wait_transition(g, "perf/" + ("a1" if down is a1 else "a2"), "Degraded", "Online",
                    timeout=5)
    for _ in range(20):
        assert now(we_client) == [down.host]


# --------------------------------------------------------------------------
# Geographic
# --------------------------------------------------------------------------


def test_geographic_mapping_hierarchy_and_scope(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "geo")
    cases = [
        (ecs("198.51.100.0", 24), GEO_CA, 24),  # US-CA: the state
        (ecs("198.51.100.9", 32), GEO_CA, 24),
        (ecs("2001:db8:4:1::", 64), GEO_CA, 48),
        (ecs("192.0.2.0", 25), GEO_EU, 25),  # FR: GEO-EU
        (ecs("192.0.2.64", 26), GEO_EU, 25),
        (ecs("2001:db8:3::", 56), GEO_EU, 48),
        (ecs("198.51.101.0", 24), GEO_US, 24),  # US-NY: no US-NY, so US
        (ecs("203.0.115.0", 24), GEO_WORLD, 24),  # MX: no MX, no GEO-NA
        (ecs("192.0.2.128", 25), GEO_WORLD, 25),  # BR: only WORLD
        (ecs("203.0.114.0", 24), GEO_WORLD, 24),  # ZA: unmapped country
        (ecs("203.0.113.0", 24), GEO_WORLD, 24),  # JP: its endpoint is disabled
    ]
    for opt, want, scope in cases:
        addrs, got_scope = answer_of(g, name, opt)
        assert addrs == [want], (opt.address, opt.srclen, addrs)
        assert got_scope == scope, (opt.address, opt.srclen, got_scope)
    # a client outside the geo table: WORLD
    for opt in (ecs("10.9.0.0", 16), ecs("2001:db8:99::", 48)):
        addrs, got_scope = answer_of(g, name, opt)
        assert addrs == [GEO_WORLD], (opt.address, addrs)
        assert got_scope <= opt.srclen


def test_geographic_no_world_no_match_is_nodata(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "geo2")
    # controls: the mapped ones answer
    assert answer_of(g, name, ecs("192.0.2.0", 25))[0] == [GEO2_FR]
    assert answer_of(g, name, ecs("198.51.100.0", 24))[0] == [GEO2_CA]
    for opt in (ecs("192.0.2.128", 25),  # BR
                ecs("198.51.101.0", 24),  # US-NY: not US-CA
                ecs("203.0.114.0", 24),  # ZA
                ecs("10.9.0.0", 16)):  # outside the table
        r = ask(g, name, option=opt)
        assert_nodata(r)
        echoed(r, opt)


def test_geographic_degraded_endpoint_still_returned(gtmd_factory, backends):
    """A region maps to one endpoint: it is returned whatever its health, no
    failover to WORLD (reference §1.2)."""
    ca, world = backends.http(2)
    doc = profile("geo", "Geographic", [
        endpoint("ca", ca.host, geoMapping=["US-CA"]),
        endpoint("world", world.host, geoMapping=["WORLD"]),
    ], port=ca.port, tolerated=0)
    d = gtmd_factory.tmp_path_factory.mktemp("geo-table")
    (d / "geo.txt").write_text("198.51.100.0/24 US-CA\n192.0.2.0/24 FR\n")
    g = gtmd_factory.start(profiles={"geo": doc}, extra=["--geo-table", str(d / "geo.txt")])
    name = fqdn(g, "geo")
    wait_transition(g, "geo/ca", "CheckingEndpoint", "Online", timeout=5)
    ca_client, fr_client = ecs("198.51.100.0", 24), ecs("192.0.2.0", 24)
    assert answer_of(g, name, ca_client)[0] == [ca.host]
    assert answer_of(g, name, fr_client)[0] == [world.host]
    ca.set(503)
    wait_transition(g, "geo/ca", "Online", "Degraded", timeout=5)
    ca.wait_requests(2, timeout=scaled(4), pred=lambda r: r.answer == "503")
    for _ in range(30):
        assert answer_of(g, name, ca_client)[0] == [ca.host]
    assert answer_of(g, name, fr_client)[0] == [world.host]


# --------------------------------------------------------------------------
# Subnet
# --------------------------------------------------------------------------


def test_subnet_ranges_fallback_and_scope(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "subnet")
    cases = [
        # {first, scope}: 203.0.113.0/25
        (ecs("203.0.113.5", 32), SUB_S1, 25),
        (ecs("203.0.113.0", 25), SUB_S1, 25),
        (ecs("203.0.113.127", 32), SUB_S1, 25),
        # {first, last}: 203.0.113.128-203.0.113.200 (not one CIDR block)
        (ecs("203.0.113.128", 32), SUB_S2, 32),
        (ecs("203.0.113.200", 32), SUB_S2, 32),
        (ecs("203.0.113.150", 32), SUB_S2, 32),
        # {first, last} that is exactly 198.51.100.0/24
        (ecs("198.51.100.0", 24), SUB_S3, 24),
        (ecs("198.51.100.77", 32), SUB_S3, 24),
        # IPv6 {first, scope}: 2001:db8:aa::/48
        (ecs("2001:db8:aa:1::", 64), SUB_S2, 48),
        (ecs("2001:db8:aa::", 48), SUB_S2, 48),
    ]
    for opt, want, scope in cases:
        addrs, got_scope = answer_of(g, name, opt)
        assert addrs == [want], (opt.address, opt.srclen, addrs)
        assert got_scope == scope, (opt.address, opt.srclen, got_scope)
    # outside every range, or in the range of a disabled endpoint: fallback
    for opt in (ecs("203.0.113.201", 32), ecs("203.0.113.255", 32), ecs("10.9.0.0", 16),
                ecs("10.50.1.0", 24), ecs("2001:db8:ab::", 48)):
        addrs, got_scope = answer_of(g, name, opt)
        assert addrs == [SUB_FB], (opt.address, addrs)
        assert got_scope <= opt.srclen
    # source prefix 0: the source address 127.0.0.1, in no range (the scope
    # of /0 answers: test_source_prefix_zero_answer_scope_zero)
    assert answer_of(g, name, ecs("0.0.0.0", 0))[0] == [SUB_FB]
    assert rdatas(ask(g, name)) == [SUB_FB]


def test_subnet_no_fallback_is_nodata(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "subnet2")
    assert answer_of(g, name, ecs("203.0.113.9", 32))[0] == [SUB2_S1]
    for opt in (ecs("198.51.100.0", 24), ecs("2001:db8:aa::", 48)):
        r = ask(g, name, option=opt)
        assert_nodata(r)
        echoed(r, opt)
    assert_nodata(ask(g, name))  # 127.0.0.1 is outside too


def test_subnet_matched_endpoint_degraded_goes_to_fallback(gtmd_factory, backends):
    s1, fb = backends.http(2)
    doc = profile("sub", "Subnet", [
        endpoint("s1", s1.host, subnets=[{"first": "203.0.113.0", "scope": 24}]),
        endpoint("fallback", fb.host),
    ], port=s1.port, tolerated=0)
    g = gtmd_factory.start(profiles={"sub": doc})
    name = fqdn(g, "sub")
    wait_transition(g, "sub/s1", "CheckingEndpoint", "Online", timeout=5)
    client = ecs("203.0.113.0", 24)
    assert answer_of(g, name, client)[0] == [s1.host]
    s1.set(503)
    wait_transition(g, "sub/s1", "Online", "Degraded", timeout=5)
    for _ in range(20):
        assert answer_of(g, name, client)[0] == [fb.host]
    s1.ok()
    wait_transition(g, "sub/s1", "Degraded", "Online", timeout=5)
    assert answer_of(g, name, client)[0] == [s1.host]


# --------------------------------------------------------------------------
# MultiValue
# --------------------------------------------------------------------------


def test_multivalue_returns_max_return_and_all_rotate(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "mv")
    seen = set()
    for _ in range(200):
        r = ask(g, name)
        assert r.rcode() == NOERROR
        addrs = rdatas(r, "A")
        assert len(addrs) == 2 and len(set(addrs)) == 2, addrs
        assert set(addrs) <= set(MV4), addrs
        assert not rdatas(r, "AAAA")
        seen |= set(addrs)
    assert seen == set(MV4), seen
    # ECS is echoed with scope 0: MultiValue does not look at the client
    opt = ecs("10.1.2.0", 24)
    assert echoed(ask(g, name, option=opt), opt).scopelen == 0


def test_multivalue_aaaa_only_ipv6_targets(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "mv")
    seen = set()
    for _ in range(30):
        r = ask(g, name, "AAAA")
        assert r.rcode() == NOERROR
        addrs = rdatas(r, "AAAA")
        assert not rdatas(r, "A")
        assert len(addrs) == 2 and set(addrs) <= set(MV6), addrs
        seen |= set(addrs)
    assert seen == set(MV6)


def test_multivalue_cname_query_is_nodata(ecs_srv):
    g = ecs_srv
    assert_nodata(ask(g, fqdn(g, "mv"), "CNAME"))


def test_multivalue_max_return_one(ecs_srv):
    g = ecs_srv
    name = fqdn(g, "mv1")
    seen = set()
    for _ in range(60):
        addrs = rdatas(ask(g, name), "A")
        assert len(addrs) == 1 and addrs[0] in MV1, addrs
        seen |= set(addrs)
    assert seen == set(MV1), seen


def test_multivalue_degraded_endpoint_never_appears(gtmd_factory, backends):
    b = backends.http(3)
    doc = profile("mv", "MultiValue", [endpoint("e%d" % i, x.host) for i, x in enumerate(b)],
                  port=b[0].port, tolerated=0)
    doc["properties"]["maxReturn"] = 2
    g = gtmd_factory.start(profiles={"mv": doc})
    name = fqdn(g, "mv")
    for i in range(3):
        wait_transition(g, "mv/e%d" % i, "CheckingEndpoint", "Online", timeout=5)
    seen = set()
    for _ in range(60):
        seen |= set(rdatas(ask(g, name)))
    assert b[1].host in seen, seen
    b[1].set(503)
    wait_transition(g, "mv/e1", "Online", "Degraded", timeout=5)
    for _ in range(100):
        addrs = rdatas(ask(g, name))
        assert sorted(addrs) == sorted([b[0].host, b[2].host]), addrs
