"""--node NAME and NSID (RFC 5001): a node started with --node answers a
query that carries an empty NSID option with its name in the answer's OPT
(over UDP and TCP); a query that does not ask gets no NSID, and without
--node nobody gets one. Checked with dnspython and with kdig +nsid."""

import re
import shutil
import subprocess

import dns.edns
import dns.flags
import dns.rcode
import pytest

from conftest import STANDARD_ZONES, scaled

NSID = dns.edns.NSID


def nsid_of(r):
    """The NSID options of a response's OPT, as bytes."""
    return [o.data for o in r.options if o.otype == NSID]


def ask_nsid(srv, name="www.example.com", tcp=False, nsid=b"", rdtype="A"):
    opts = [dns.edns.GenericOption(NSID, nsid)] if nsid is not None else []
    return srv.query(name, rdtype, tcp=tcp, use_edns=0, payload=1232, options=opts)


@pytest.fixture
def node(gtmd_factory):
    return gtmd_factory.start(zones=STANDARD_ZONES, extra=["--node", "lab-1"])


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nsid_answered(node, tcp):
    r = ask_nsid(node, tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    assert [rd.to_text() for rrset in r.answer for rd in rrset] == ["192.0.2.2"]
    assert nsid_of(r) == [b"lab-1"]
    # error answers carry it too
    r = ask_nsid(node, name="www.example.org", tcp=tcp)
    assert r.rcode() == dns.rcode.REFUSED
    assert nsid_of(r) == [b"lab-1"]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nsid_not_asked(node, tcp):
    # EDNS without the option, a non-empty option (only servers send data:
    # ignored, RFC 5001 2.3), and no EDNS at all: no NSID
    r = ask_nsid(node, tcp=tcp, nsid=None)
    assert r.rcode() == dns.rcode.NOERROR and r.edns == 0
    assert nsid_of(r) == []
    r = ask_nsid(node, tcp=tcp, nsid=b"someone")
    assert r.rcode() == dns.rcode.NOERROR and r.edns == 0
    assert nsid_of(r) == []
    r = node.query("www.example.com", "A", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and r.edns < 0


def test_nsid_with_ecs_and_truncation(node):
    ecs = dns.edns.ECSOption("192.0.2.0", 24)
    r = node.query("www.example.com", "A", use_edns=0, payload=1232,
                   options=[ecs, dns.edns.GenericOption(NSID, b"")])
    assert nsid_of(r) == [b"lab-1"]
    assert [o for o in r.options if o.otype == dns.edns.ECS]
    # truncated over UDP: no records, the OPT and its NSID kept
    r = ask_nsid(node, name="big.example.com", rdtype="TXT")
    assert r.flags & dns.flags.TC
    assert len(r.wire) <= 1232
    assert nsid_of(r) == [b"lab-1"]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_no_node_no_nsid(srv, tcp):
    r = ask_nsid(srv, tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    assert nsid_of(r) == []


def test_node_in_config_file(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, config="node = lab-2.dc_1\n")
    assert nsid_of(ask_nsid(g)) == [b"lab-2.dc_1"]


def test_bad_node_refused(gtmd_factory):
    p = gtmd_factory.run(["--node", "lab/1", "--check-config"])
    assert p.returncode == 1
    assert ("command line: error: node: 'lab/1' is not 1 to 63 of the characters "
            "A-Z a-z 0-9 . _ -") in p.stderr


def kdig(port, *args):
    argv = ["kdig", "@127.0.0.1", "-p", str(port), "+norec", "+time=2", "+retry=0"]
    p = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=scaled(15))
    return p.returncode, p.stdout + p.stderr


@pytest.mark.skipif(not shutil.which("kdig"), reason="kdig not installed")
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_kdig_nsid(node, srv, tcp):
    proto = ["+tcp"] if tcp else []
    rc, out = kdig(node.port, "+nsid", *proto, "www.example.com", "A")
    assert rc == 0, out
    assert "status: NOERROR" in out
    # ";; NSID: 6C61622D31 "lab-1""
    assert re.search(r'^;; NSID: 6C61622D31 "lab-1"$', out, re.M | re.I), out
    rc, out = kdig(node.port, *proto, "www.example.com", "A")
    assert rc == 0 and "status: NOERROR" in out, out
    assert "NSID" not in out, out
    rc, out = kdig(srv.port, "+nsid", *proto, "www.example.com", "A")
    assert rc == 0 and "status: NOERROR" in out, out
    assert "NSID" not in out, out
