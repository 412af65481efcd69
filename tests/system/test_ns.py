"""Delegation data of the --domain zone (issue 15, point 1): --ns sets the
apex NS RRset and the SOA MNAME; names inside the domain answer their
addresses, which also ride in the additional section of NS answers. Without
--ns: ns1.<domain> at the address gtmd listens on. A zone file for the
domain still wins. Queried with dnspython over real UDP on 127.0.0.1."""

import dns.rcode

from conftest import texts


def test_default_ns1_at_the_listen_address(gtmd_factory):
    g = gtmd_factory.start()
    r = g.query(g.domain, "NS")
    assert texts(r) == ["ns1.%s." % g.domain]
    assert texts(r, "additional", "A") == ["127.0.0.1"]
    r = g.query("ns1." + g.domain, "A")
    assert r.rcode() == dns.rcode.NOERROR and texts(r) == ["127.0.0.1"]
    soa = texts(g.query(g.domain, "SOA"))[0].split()
    assert soa[0] == "ns1.%s." % g.domain


def test_ns_list_addresses_and_glue(gtmd_factory):
    g = gtmd_factory.start(extra=[
        "--ns", "a.ns.tm.test=192.0.2.1,2001:db8::1",
        "--ns", "b.ns.tm.test.=192.0.2.2",
        "--ns", "ns.example.org",
    ])
    r = g.query(g.domain, "NS")
    assert sorted(texts(r)) == ["a.ns.tm.test.", "b.ns.tm.test.", "ns.example.org."]
    assert sorted(texts(r, "additional", "A")) == ["192.0.2.1", "192.0.2.2"]
    assert texts(r, "additional", "AAAA") == ["2001:db8::1"]
    assert texts(g.query("a.ns.tm.test", "AAAA")) == ["2001:db8::1"]
    assert texts(g.query("b.ns.tm.test", "A")) == ["192.0.2.2"]
    assert g.query("b.ns.tm.test", "AAAA").rcode() == dns.rcode.NOERROR  # NODATA
    assert g.query("ns.tm.test", "A").rcode() == dns.rcode.NOERROR  # empty non-terminal
    assert g.query("c.ns.tm.test", "A").rcode() == dns.rcode.NXDOMAIN
    soa = texts(g.query(g.domain, "SOA"))[0].split()
    assert soa[0] == "a.ns.tm.test."  # MNAME: the first given


def test_ns_errors(gtmd_factory):
    cases = (
        (["--ns", "ns2.tm.test"], "ns2.tm.test is inside tm.test: give its addresses"),
        (["--ns", "ns.example.org=192.0.2.9"], "ns.example.org is outside tm.test"),
        (["--ns", "x.tm.test=300.1.1.1"], "ns: '300.1.1.1' is not an IPv4 or IPv6 address"),
        (["--ns", "x.tm.test=192.0.2.1", "--ns", "X.tm.test=192.0.2.2"], "is given twice"),
        (["--ns", "=192.0.2.1"], "is not NAME[=ADDR[,ADDR]]"),
    )
    for args, needle in cases:
        r = gtmd_factory.run(["--check-config", "--domain", "tm.test"] + args)
        assert r.returncode == 1 and needle in r.stderr, (args, r.stderr)


def test_zone_file_for_the_domain_wins(gtmd_factory):
    zone = ("$ORIGIN tm.test.\n$TTL 300\n@ SOA ns.other. h.other. 1 2 3 4 5\n"
            "@ NS ns.other.\n")
    g = gtmd_factory.start(zones={"tm.test.zone": zone},
                           extra=["--ns", "a.tm.test=192.0.2.1"])
    assert texts(g.query(g.domain, "NS")) == ["ns.other."]
    assert g.query("a.tm.test", "A").rcode() == dns.rcode.NXDOMAIN
