"""NSID and CHAOS (issue 15, point 5): --nsid, --identity and
--server-version against id.server, hostname.bind, version.bind and
version.server CH TXT and the NSID option, queried over real UDP and TCP
on 127.0.0.1 with dnspython and kdig."""

import shutil
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import pytest

from conftest import scaled


def chaos(g, name, rdtype="TXT", tcp=False):
    q = dns.message.make_query(name, rdtype, rdclass=dns.rdataclass.CH)
    return g.exchange(q, tcp=tcp)


def txt(r):
    return [b"".join(rd.strings).decode() for rrset in r.answer for rd in rrset]


def nsid(g, tcp=False):
    q = dns.message.make_query(g.domain, "SOA", use_edns=0, options=[dns.edns.GenericOption(3, b"")])
    r = g.exchange(q, tcp=tcp)
    return [o.data.decode() for o in r.options if o.otype == 3]


def test_defaults_say_nothing(gtmd_factory):
    g = gtmd_factory.start()
    for name in ("id.server", "hostname.bind", "version.bind", "version.server", "foo.bind"):
        assert chaos(g, name).rcode() == dns.rcode.REFUSED, name
    assert nsid(g) == []


@pytest.mark.parametrize("tcp", [False, True])
def test_node_identity_and_version(gtmd_factory, tcp):
    g = gtmd_factory.start(extra=["--node", "lab-7", "--server-version", "on"])
    for name in ("id.server", "hostname.bind", "ID.SERVER"):
        r = chaos(g, name, tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and txt(r) == ["lab-7"], (name, r)
        assert r.answer[0].rdclass == dns.rdataclass.CH and r.answer[0].ttl == 0
        assert r.flags & dns.flags.AA
    version = subprocess.run([g.argv[0], "--version"], capture_output=True, text=True).stdout.split()
    for name in ("version.bind", "version.server"):
        assert txt(chaos(g, name, tcp=tcp)) == [" ".join(version)]
    r = chaos(g, "version.bind", "A", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and not r.answer  # NODATA
    assert chaos(g, "other.bind", tcp=tcp).rcode() == dns.rcode.REFUSED
    assert nsid(g, tcp) == ["lab-7"]


def test_explicit_texts_and_off(gtmd_factory):
    g = gtmd_factory.start(extra=["--node", "lab-8", "--nsid", "edge-ams-1", "--identity",
                                  "ams.example.net", "--server-version", "authoritative"])
    assert nsid(g) == ["edge-ams-1"]
    assert txt(chaos(g, "hostname.bind")) == ["ams.example.net"]
    assert txt(chaos(g, "version.bind")) == ["authoritative"]
    g2 = gtmd_factory.start(extra=["--node", "lab-9", "--nsid", "off", "--identity", "off"])
    assert nsid(g2) == []
    assert chaos(g2, "id.server").rcode() == dns.rcode.REFUSED
    g3 = gtmd_factory.start(extra=["--nsid", "lone"])  # no node: the NSID is still the identity
    assert txt(chaos(g3, "id.server")) == ["lone"] and nsid(g3) == ["lone"]


def test_bad_texts_refused(gtmd_factory):
    for args, needle in ((["--nsid", "x" * 64], "nsid: "), (["--identity", "a\tb"], "identity: "),
                         (["--server-version", ""], "server-version: ")):
        r = gtmd_factory.run(["--check-config"] + args)
        assert r.returncode == 1 and needle in r.stderr, (args, r.stderr)


def test_kdig_reads_them(gtmd_factory):
    if not shutil.which("kdig"):
        pytest.skip("kdig is not installed (knot-dnsutils)")
    g = gtmd_factory.start(extra=["--node", "lab-10"])
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(g.port), "+nsid", "-c", "CH", "-t",
                          "TXT", "id.server"], capture_output=True, text=True,
                         timeout=scaled(10)).stdout
    assert '"lab-10"' in out and "NSID" in out and "lab-10" in out.split("NSID")[1], out
