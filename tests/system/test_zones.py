"""Static zone semantics: wildcards, empty non-terminals, delegations,
CNAME chasing, ANY (RFC 8482), AXFR/IXFR refused, origin from file name."""

import struct

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from conftest import frame, make_query, rrsets_of, tcp_read_msg, texts

NOERROR = dns.rcode.NOERROR
NXDOMAIN = dns.rcode.NXDOMAIN
REFUSED = dns.rcode.REFUSED


def aa(r):
    return bool(r.flags & dns.flags.AA)


def assert_nodata(r, zone="example.com"):
    assert r.rcode() == NOERROR
    assert aa(r)
    assert r.answer == []
    soas = rrsets_of(r.authority, "SOA")
    assert len(soas) == 1 and soas[0].name.to_text() == zone + "."
    if zone == "example.com":
        assert soas[0].ttl == 300


def chain(r):
    """[(owner, type, [rdata...]), ...] of the answer section, in order."""
    return [
        (rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype), sorted(x.to_text() for x in rr))
        for rr in r.answer
    ]


# --------------------------------------------------------------------------
# Wildcards
# --------------------------------------------------------------------------


@pytest.mark.parametrize("qname", ["a.wild.example.com", "x.y.wild.example.com", "MiXeD.wild.example.com"])
def test_wildcard_match_owner_is_qname(msrv, qname):
    r = msrv.query(qname, "A")
    assert r.rcode() == NOERROR
    assert aa(r)
    assert len(r.answer) == 1
    assert r.answer[0].name.to_text() == qname + "."
    assert texts(r) == ["192.0.2.50"]
    assert r.answer[0].ttl == 3600


def test_wildcard_other_type(msrv):
    r = msrv.query("b.wild.example.com", "TXT")
    assert r.rcode() == NOERROR
    assert r.answer[0].name.to_text() == "b.wild.example.com."
    assert texts(r) == ['"wildcard"']


def test_wildcard_nodata(msrv):
    assert_nodata(msrv.query("a.wild.example.com", "MX"))


def test_wildcard_owner_queried_literally(msrv):
    r = msrv.query("*.wild.example.com", "A")
    assert r.rcode() == NOERROR
    assert r.answer[0].name.to_text() == "*.wild.example.com."
    assert texts(r) == ["192.0.2.50"]


def test_wildcard_does_not_apply_to_existing_name(msrv):
    # exists.wild has an A but no TXT: NODATA, not the wildcard TXT
    r = msrv.query("exists.wild.example.com", "TXT")
    assert_nodata(r)
    r = msrv.query("exists.wild.example.com", "A")
    assert texts(r) == ["192.0.2.51"]


def test_wildcard_does_not_apply_below_existing_name(msrv):
    # closest encloser is exists.wild, which has no '*' child: NXDOMAIN
    r = msrv.query("a.exists.wild.example.com", "A")
    assert r.rcode() == NXDOMAIN
    assert r.answer == []
    assert rrsets_of(r.authority, "SOA")


def test_wildcard_parent_itself_is_ent(msrv):
    # wild.example.com exists only as the parent of *.wild: NODATA
    assert_nodata(msrv.query("wild.example.com", "A"))


# --------------------------------------------------------------------------
# Empty non-terminals
# --------------------------------------------------------------------------


@pytest.mark.parametrize("qname", ["deep.ent.example.com", "ent.example.com", "_tcp.example.com"])
@pytest.mark.parametrize("qtype", ["A", "TXT"])
def test_empty_non_terminal_nodata(msrv, qname, qtype):
    assert_nodata(msrv.query(qname, qtype))


def test_below_empty_non_terminal(msrv):
    r = msrv.query("host.deep.ent.example.com", "A")
    assert texts(r) == ["192.0.2.8"]
    r = msrv.query("other.deep.ent.example.com", "A")
    assert r.rcode() == NXDOMAIN


# --------------------------------------------------------------------------
# Delegation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "qname,qtype",
    [
        ("sub.example.com", "A"),
        ("sub.example.com", "NS"),
        ("www.sub.example.com", "A"),
        ("a.b.c.sub.example.com", "AAAA"),
        ("ns1.sub.example.com", "A"),
        ("WWW.Sub.Example.Com", "MX"),
    ],
)
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_delegation_referral(msrv, qname, qtype, tcp):
    r = msrv.query(qname, qtype, tcp=tcp)
    assert r.rcode() == NOERROR
    assert not aa(r), "referral must have AA clear"
    assert r.answer == []
    ns = rrsets_of(r.authority, "NS")
    assert len(ns) == 1
    assert ns[0].name.to_text().lower() == "sub.example.com."
    assert sorted(x.target.to_text().lower() for x in ns[0]) == [
        "ns.elsewhere.net.",
        "ns1.sub.example.com.",
    ]
    assert not rrsets_of(r.authority, "SOA")
    glue = {
        (rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype)): sorted(x.to_text() for x in rr)
        for rr in r.additional
        if rr.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
    }
    assert glue == {
        ("ns1.sub.example.com.", "A"): ["192.0.2.60"],
        ("ns1.sub.example.com.", "AAAA"): ["2001:db8::60"],
    }
    assert r.question[0].name.to_text() == qname + "."


def test_delegation_does_not_hide_parent_names(msrv):
    # names beside the cut are still answered authoritatively
    r = msrv.query("sip.example.com", "A")
    assert aa(r) and texts(r) == ["192.0.2.7"]


# --------------------------------------------------------------------------
# CNAME
# --------------------------------------------------------------------------


def test_cname_single(msrv):
    r = msrv.query("ftp.example.com", "A")
    assert r.rcode() == NOERROR and aa(r)
    assert chain(r) == [
        ("ftp.example.com.", "CNAME", ["www.example.com."]),
        ("www.example.com.", "A", ["192.0.2.2"]),
    ]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_cname_chain_followed(msrv, tcp):
    r = msrv.query("alias.example.com", "A", tcp=tcp)
    assert r.rcode() == NOERROR and aa(r)
    assert chain(r) == [
        ("alias.example.com.", "CNAME", ["ftp.example.com."]),
        ("ftp.example.com.", "CNAME", ["www.example.com."]),
        ("www.example.com.", "A", ["192.0.2.2"]),
    ]


def test_cname_chain_aaaa(msrv):
    r = msrv.query("alias.example.com", "AAAA")
    assert chain(r)[-1] == ("www.example.com.", "AAAA", ["2001:db8::2"])
    assert len(r.answer) == 3


def test_cname_chain_target_nodata(msrv):
    # www has no MX: chain in answer, NOERROR
    r = msrv.query("ftp.example.com", "MX")
    assert r.rcode() == NOERROR
    assert chain(r) == [("ftp.example.com.", "CNAME", ["www.example.com."])]


def test_cname_query_name_case(msrv):
    r = msrv.query("FtP.example.com", "A")
    assert r.answer[0].name.to_text() == "FtP.example.com."
    assert texts(r, rdtype="A") == ["192.0.2.2"]


def test_cname_into_other_served_zone(msrv):
    r = msrv.query("cross.example.com", "A")
    assert r.rcode() == NOERROR
    assert chain(r) == [
        ("cross.example.com.", "CNAME", ["host.other.test."]),
        ("host.other.test.", "A", ["192.0.2.101"]),
    ]


def test_cname_to_outside_name(msrv):
    r = msrv.query("out.example.com", "A")
    assert r.rcode() == NOERROR
    assert aa(r)
    assert chain(r) == [("out.example.com.", "CNAME", ["www.example.net."])]


def test_cname_to_nxdomain_name(msrv):
    r = msrv.query("dangling.example.com", "A")
    assert r.rcode() == NXDOMAIN  # RFC 6604: rcode of the last name
    assert chain(r) == [("dangling.example.com.", "CNAME", ["nothere.example.com."])]
    assert rrsets_of(r.authority, "SOA")


def test_qtype_cname_returns_cname_only(msrv):
    r = msrv.query("alias.example.com", "CNAME")
    assert r.rcode() == NOERROR and aa(r)
    assert chain(r) == [("alias.example.com.", "CNAME", ["ftp.example.com."])]


def test_cname_loop_terminates(msrv):
    r = msrv.query("loop1.example.com", "A")
    assert r.rcode() in (NOERROR, dns.rcode.SERVFAIL)
    cnames = rrsets_of(r.answer, "CNAME")
    assert 1 <= len(cnames) <= 9
    assert not rrsets_of(r.answer, "A")


def test_cname_chain_of_eight_followed(gtmd_factory):
    zone = "$ORIGIN c.test.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n"
    zone += "".join("c%d CNAME c%d\n" % (i, i + 1) for i in range(7))
    zone += "c7 A 192.0.2.99\n"
    g = gtmd_factory.start(zones={"c.test.zone": zone})
    r = g.query("c0.c.test", "A")
    assert r.rcode() == NOERROR
    assert len(rrsets_of(r.answer, "CNAME")) == 7
    assert texts(r, rdtype="A") == ["192.0.2.99"]


# --------------------------------------------------------------------------
# ANY, AXFR, IXFR
# --------------------------------------------------------------------------


@pytest.mark.parametrize("qname", ["example.com", "www.example.com"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_any_minimal(msrv, qname, tcp):
    r = msrv.query(qname, "ANY", tcp=tcp)
    assert r.rcode() == NOERROR
    assert aa(r)
    assert r.answer, "ANY must return something"
    types = {rr.rdtype for rr in r.answer}
    names = {rr.name.to_text().lower() for rr in r.answer}
    assert len(types) == 1, "RFC 8482: one RRset, got %s" % r.answer
    assert names == {qname + "."}


def test_any_nxdomain(msrv):
    r = msrv.query("nope.example.com", "ANY")
    assert r.rcode() == NXDOMAIN


@pytest.mark.parametrize("qtype", ["AXFR", "IXFR"])
def test_zone_transfer_refused_tcp(msrv, qtype):
    q = make_query("example.com", qtype, qid=4242)
    s = msrv.tcp_connect()
    try:
        s.sendall(frame(q.to_wire()))
        wire = tcp_read_msg(s)
    finally:
        s.close()
    (qid, flags) = struct.unpack("!HH", wire[:4])
    assert qid == 4242
    assert flags & 0x8000
    assert flags & 0xF == REFUSED
    assert struct.unpack("!H", wire[6:8])[0] == 0  # no answer records


@pytest.mark.parametrize("qtype", ["AXFR", "IXFR"])
def test_zone_transfer_refused_udp(msrv, qtype):
    wire = msrv.udp_raw(make_query("example.com", qtype, qid=4343).to_wire())
    assert wire is not None
    (qid, flags) = struct.unpack("!HH", wire[:4])
    assert qid == 4343 and flags & 0xF == REFUSED


# --------------------------------------------------------------------------
# Zone files
# --------------------------------------------------------------------------


def test_origin_from_file_name(gtmd_factory):
    zone = """$TTL 300
@    IN SOA ns1 hostmaster 5 3600 600 86400 120
@    IN NS  ns1
ns1  IN A   192.0.2.31
www  IN A   192.0.2.32
mx   IN MX  5 www
"""
    g = gtmd_factory.start(zones={"fromname.test.zone": zone})
    r = g.query("www.fromname.test", "A")
    assert r.rcode() == NOERROR and aa(r)
    assert texts(r) == ["192.0.2.32"]
    r = g.query("fromname.test", "SOA")
    assert r.answer[0][0].mname.to_text() == "ns1.fromname.test."
    r = g.query("mx.fromname.test", "MX")
    assert texts(r) == ["5 www.fromname.test."]


def test_origin_directive_wins_over_file_name(gtmd_factory):
    zone = """$ORIGIN realname.test.
$TTL 300
@    IN SOA ns1 hostmaster 5 3600 600 86400 120
@    IN NS  ns1
ns1  IN A   192.0.2.41
"""
    g = gtmd_factory.start(zones={"whatever.zone": zone})
    r = g.query("ns1.realname.test", "A")
    assert texts(r) == ["192.0.2.41"]
    assert g.query("ns1.whatever", "A").rcode() == REFUSED


IPSECKEY_KEY = "AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="


def test_ipseckey_served(gtmd_factory):
    # Well-formed IPSECKEY records (RFC 4025) of each gateway type load and
    # are served as written.
    zone = """$TTL 300
@    IN SOA ns1 hostmaster 5 3600 600 86400 120
@    IN NS  ns1
ns1  IN A   192.0.2.31
vpn  IN IPSECKEY 10 1 2 192.0.2.38 {k}
vpn  IN IPSECKEY 20 2 2 2001:db8::38 {k}
vpn  IN IPSECKEY ( 30 3 2 gw.ipsec.test. ; multi-line
                   {k} )
vpn  IN IPSECKEY 40 0 2 . {k}
""".format(k=IPSECKEY_KEY)
    g = gtmd_factory.start(zones={"ipsec.test.zone": zone})
    r = g.query("vpn.ipsec.test", "IPSECKEY")
    assert r.rcode() == NOERROR and aa(r)
    # dnspython writes the key in chunks: join them.
    got = [" ".join(t.split(" ", 4)[:4] + [t.split(" ", 4)[4].replace(" ", "")]) for t in texts(r)]
    assert sorted(got) == [
        "10 1 2 192.0.2.38 " + IPSECKEY_KEY,
        "20 2 2 2001:db8::38 " + IPSECKEY_KEY,
        "30 3 2 gw.ipsec.test. " + IPSECKEY_KEY,
        "40 0 2 . " + IPSECKEY_KEY,
    ]


def test_ipseckey_malformed_names_file_and_line(gtmd_factory):
    zone = """$TTL 300
@    IN SOA ns1 hostmaster 5 3600 600 86400 120
@    IN NS  ns1
; a gateway that is no IPv4 address
vpn  IN IPSECKEY 10 1 2 gw.ipsec.test. {k}
vpn2 IN IPSECKEY 10 0 2 .
""".format(k=IPSECKEY_KEY)
    d, zdir, _ = gtmd_factory.prepare({"ipsec.test.zone": zone})
    p = gtmd_factory.run(["--check-config", "--zones", zdir])
    assert p.returncode == 1, p
    err = p.stdout + p.stderr
    assert ("ipsec.test.zone:5: error: IPSECKEY: gateway type 1 needs an IPv4 address, "
            "got 'gw.ipsec.test.'") in err, err
    assert "ipsec.test.zone:6: error: IPSECKEY: expected precedence, gateway type" in err, err


def test_non_zone_files_ignored(gtmd_factory):
    zones = {
        "good.test.zone": "$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.5\n",
        "README.txt": "this is not a zone file {{{\n",
        "good.test.zone.bak": "garbage (((\n",
    }
    g = gtmd_factory.start(zones=zones)
    assert texts(g.query("ns1.good.test", "A")) == ["192.0.2.5"]


def test_many_zones_and_longest_match(gtmd_factory):
    zones = {}
    for i in range(20):
        zones["z%d.test.zone" % i] = (
            "$TTL 60\n@ SOA ns1 h %d 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.%d\n" % (i + 1, i + 1)
        )
    # a child zone served separately from its parent
    zones["child.z0.test.zone"] = (
        "$TTL 60\n@ SOA ns1 h 99 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.199\n"
    )
    g = gtmd_factory.start(zones=zones)
    for i in range(20):
        assert texts(g.query("ns1.z%d.test" % i, "A")) == ["192.0.2.%d" % (i + 1)]
    r = g.query("ns1.child.z0.test", "A")
    assert texts(r) == ["192.0.2.199"]
    r = g.query("nope.child.z0.test", "A")
    assert r.rcode() == NXDOMAIN
    assert rrsets_of(r.authority, "SOA")[0][0].serial == 99
