"""Basic authoritative answers: domain apex synthesis, static records,
negative answers, REFUSED, query-name case."""

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

from conftest import DEFAULT_DOMAIN, rrsets_of, texts

NOERROR = dns.rcode.NOERROR
NXDOMAIN = dns.rcode.NXDOMAIN
REFUSED = dns.rcode.REFUSED


def aa(r):
    return bool(r.flags & dns.flags.AA)


def negative_soa(r, zone):
    """The single SOA RRset of the authority section (asserted)."""
    soas = rrsets_of(r.authority, "SOA")
    assert len(soas) == 1, "expected SOA in authority, got %s" % r.authority
    soa = soas[0]
    assert soa.name.to_text().lower() == zone.lower().rstrip(".") + "."
    assert len(soa) == 1
    return soa


# --------------------------------------------------------------------------
# --domain apex synthesis
# --------------------------------------------------------------------------


def test_synthesised_soa_at_domain_apex(msrv):
    r = msrv.query(DEFAULT_DOMAIN, "SOA")
    assert r.rcode() == NOERROR
    assert aa(r)
    assert len(r.answer) == 1
    soa = r.answer[0]
    assert soa.rdtype == dns.rdatatype.SOA
    assert soa.name.to_text() == DEFAULT_DOMAIN + "."
    assert soa.ttl == 30
    rd = soa[0]
    assert rd.mname.to_text() == "ns1.%s." % DEFAULT_DOMAIN
    assert rd.rname.to_text() == "hostmaster.%s." % DEFAULT_DOMAIN
    assert (rd.refresh, rd.retry, rd.expire, rd.minimum) == (900, 300, 2419200, 30)
    # serial = load time (unix seconds)
    assert int(msrv.start_time) - 2 <= rd.serial <= int(msrv.ready_time) + 2, rd.serial


def test_synthesised_ns_at_domain_apex(msrv):
    r = msrv.query(DEFAULT_DOMAIN, "NS")
    assert r.rcode() == NOERROR
    assert aa(r)
    assert len(r.answer) == 1
    ns = r.answer[0]
    assert ns.rdtype == dns.rdatatype.NS
    assert ns.ttl == 3600
    assert [x.target.to_text() for x in ns] == ["ns1.%s." % DEFAULT_DOMAIN]


def test_domain_unknown_name_nxdomain_with_soa_ttl_30(msrv):
    r = msrv.query("nosuchprofile." + DEFAULT_DOMAIN, "A")
    assert r.rcode() == NXDOMAIN
    assert aa(r)
    assert r.answer == []
    soa = negative_soa(r, DEFAULT_DOMAIN)
    assert soa.ttl == 30


def test_domain_apex_nodata(msrv):
    r = msrv.query(DEFAULT_DOMAIN, "TXT")
    assert r.rcode() == NOERROR
    assert aa(r)
    assert r.answer == []
    assert negative_soa(r, DEFAULT_DOMAIN).ttl == 30


def test_default_domain_is_trafficmanager_net(gtmd_factory):
    g = gtmd_factory.start(zones={}, domain=None, ready_domain="trafficmanager.net")
    r = g.query("trafficmanager.net", "SOA")
    assert r.rcode() == NOERROR and aa(r)
    assert r.answer[0][0].mname.to_text() == "ns1.trafficmanager.net."
    r = g.query("tm.test", "SOA")
    assert r.rcode() == REFUSED


def test_domain_zone_file_overrides_synthesis(gtmd_factory):
    zone = """$ORIGIN tm.test.
@ 120 IN SOA ns.override.test. admin.override.test. 42 1000 200 300000 60
@ 120 IN NS ns.override.test.
@ 120 IN NS ns2.override.test.
www 120 IN A 192.0.2.77
"""
    g = gtmd_factory.start(zones={"tm.test.zone": zone})
    r = g.query("tm.test", "SOA")
    assert r.rcode() == NOERROR and aa(r)
    soa = r.answer[0]
    assert soa.ttl == 120
    assert soa[0].serial == 42
    assert soa[0].mname.to_text() == "ns.override.test."
    assert soa[0].minimum == 60
    r = g.query("tm.test", "NS")
    assert texts(r) == ["ns.override.test.", "ns2.override.test."]
    r = g.query("www.tm.test", "A")
    assert texts(r) == ["192.0.2.77"]
    r = g.query("nope.tm.test", "A")
    assert r.rcode() == NXDOMAIN
    assert negative_soa(r, "tm.test")[0].serial == 42


# --------------------------------------------------------------------------
# Static records
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,rdtype,expected",
    [
        ("example.com", "SOA", ["ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"]),
        ("example.com", "NS", ["ns1.example.com.", "ns2.example.com."]),
        ("example.com", "A", ["192.0.2.1"]),
        ("example.com", "AAAA", ["2001:db8::1"]),
        ("example.com", "MX", ["10 mail.example.com."]),
        ("example.com", "TXT", ['"v=spf1 -all"']),
        ("example.com", "CAA", ['0 issue "letsencrypt.org"']),
        ("www.example.com", "A", ["192.0.2.2"]),
        ("www.example.com", "AAAA", ["2001:db8::2"]),
        ("mail.example.com", "A", ["192.0.2.5"]),
        ("_sip._tcp.example.com", "SRV", ["10 60 5060 sip.example.com."]),
        ("hinfo.example.com", "HINFO", ['"PC" "Linux"']),
        ("rare.example.com", "TYPE65280", ["\\# 2 abcd"]),
        ("host.other.test", "A", ["192.0.2.101"]),
    ],
)
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_static_record(msrv, name, rdtype, expected, tcp):
    r = msrv.query(name, rdtype, tcp=tcp)
    assert r.rcode() == NOERROR
    assert aa(r)
    assert not (r.flags & dns.flags.TC)
    assert len(r.answer) == 1, r.answer
    rrset = r.answer[0]
    assert rrset.name.to_text().lower() == name + "."
    assert rrset.rdtype == dns.rdatatype.from_text(rdtype)
    assert texts(r) == sorted(expected)


def test_static_ttl_from_file(msrv):
    r = msrv.query("www.example.com", "A")
    assert r.answer[0].ttl == 3600
    r = msrv.query("host.other.test", "A")
    assert r.answer[0].ttl == 600


# --------------------------------------------------------------------------
# Negative answers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nxdomain_has_soa_with_negative_ttl(msrv, tcp):
    r = msrv.query("nope.example.com", "A", tcp=tcp)
    assert r.rcode() == NXDOMAIN
    assert aa(r)
    assert r.answer == []
    soa = negative_soa(r, "example.com")
    # min(SOA TTL 3600, MINIMUM 300)
    assert soa.ttl == 300
    assert soa[0].serial == 2024010101


def test_nxdomain_deep_below_existing_name(msrv):
    r = msrv.query("a.b.c.www.example.com", "A")
    assert r.rcode() == NXDOMAIN
    assert negative_soa(r, "example.com").ttl == 300


def test_nodata_has_soa_with_negative_ttl(msrv):
    r = msrv.query("www.example.com", "MX")
    assert r.rcode() == NOERROR
    assert aa(r)
    assert r.answer == []
    assert negative_soa(r, "example.com").ttl == 300


def test_negative_ttl_uses_soa_ttl_when_smaller(msrv):
    # other.test: SOA TTL 600, MINIMUM 60 -> 60
    r = msrv.query("nope.other.test", "A")
    assert r.rcode() == NXDOMAIN
    assert negative_soa(r, "other.test").ttl == 60


def test_negative_ttl_min_with_small_soa_ttl(gtmd_factory):
    zone = """$ORIGIN neg.test.
@ 45 IN SOA ns1.neg.test. h.neg.test. 1 3600 600 86400 900
@ 45 IN NS ns1
ns1 45 IN A 192.0.2.9
"""
    g = gtmd_factory.start(zones={"neg.test.zone": zone})
    r = g.query("nope.neg.test", "A")
    assert r.rcode() == NXDOMAIN
    assert negative_soa(r, "neg.test").ttl == 45
    r = g.query("ns1.neg.test", "TXT")
    assert r.rcode() == NOERROR and r.answer == []
    assert negative_soa(r, "neg.test").ttl == 45


@pytest.mark.parametrize(
    "name", ["www.example.org", "example.net", "com", ".", "test", "xexample.com"]
)
def test_refused_outside_zones(msrv, name):
    r = msrv.query(name, "A")
    assert r.rcode() == REFUSED
    assert r.answer == []
    assert not aa(r)


# --------------------------------------------------------------------------
# Case preservation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_qname_case_preserved(msrv, tcp):
    qname = "wWw.ExAmPlE.cOm."
    r = msrv.query(qname, "A", tcp=tcp)
    assert r.rcode() == NOERROR
    assert r.question[0].name.to_text() == qname
    assert len(r.answer) == 1
    assert r.answer[0].name.to_text() == qname
    assert texts(r) == ["192.0.2.2"]
    # the raw bytes too (no case-folding anywhere in the echoed question)
    assert b"\x03wWw\x07ExAmPlE\x03cOm\x00" in r.wire


def test_qname_case_preserved_nxdomain(msrv):
    qname = "NoPe.EXAMPLE.com."
    r = msrv.query(qname, "A")
    assert r.rcode() == NXDOMAIN
    assert r.question[0].name.to_text() == qname
