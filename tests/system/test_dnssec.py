"""DNSSEC (--keys DIR): answers signed at load time are validated by a real
validating resolver, Debian's Unbound, started here on a free loopback port
with the test zone's DS as its trust anchor and a stub zone pointing at
gtmd: positive, NXDOMAIN, NODATA, wildcard, delegation and traffic-managed
answers get the AD bit, also after a failover; an expired signature does
not validate (SERVFAIL). Keys are made with ldns-keygen (ldnsutils)."""

import os
import shutil
import signal
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from backends import addresses, endpoint, fqdn, profile, wait_transition
from conftest import free_port, rrsets_of

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
NOERROR, NXDOMAIN, SERVFAIL = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL

ZONE = """$ORIGIN example.com.
$TTL 300
@        IN SOA ns1 hostmaster 1 3600 600 86400 60
@        IN NS  ns1
ns1      IN A   127.0.0.1
www      IN A   192.0.2.1
www      IN AAAA 2001:db8::1
alias    IN CNAME www
*.wild   IN A   192.0.2.7
a.b.c    IN TXT "deep"
big      IN TXT "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
big      IN TXT "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
sub      IN NS  ns.sub
ns.sub   IN A   192.0.2.53
sec      IN NS  ns.sec
sec      IN DS  12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"""

pytestmark = pytest.mark.skipif(
    not (os.access(UNBOUND, os.X_OK) and shutil.which("ldns-keygen") and shutil.which("ldns-key2ds")),
    reason="needs unbound and ldnsutils (ldns-keygen, ldns-key2ds)",
)


def keygen(kdir, zone, alg="ECDSAP256SHA256", ksk=False):
    """Makes a key for zone in kdir; returns the path of its .key file."""
    argv = ["ldns-keygen", "-a", alg] + (["-k"] if ksk else []) + [zone]
    out = subprocess.run(argv, cwd=kdir, check=True, capture_output=True, text=True, timeout=30)
    return os.path.join(kdir, out.stdout.strip() + ".key")


def ds_of(keyfile):
    out = subprocess.run(["ldns-key2ds", "-n", "-2", keyfile], check=True, capture_output=True,
                         text=True, timeout=30)
    return out.stdout.strip()


class Unbound:
    """A validating Unbound on 127.0.0.1:port, with anchors (DS lines) and
    stub zones to gtmd; stopped by PID."""

    def __init__(self, d, gtmd_port, zones, anchors, extra=""):
        self.gtmd_port, self.zones, self.anchors, self.extra = gtmd_port, zones, anchors, extra
        self.d = str(d)
        os.makedirs(self.d, exist_ok=True)
        self.port = free_port()
        with open(os.path.join(self.d, "anchors"), "w") as f:
            f.write("\n".join(anchors) + "\n")
        stubs = "".join('stub-zone:\n  name: "%s"\n  stub-addr: 127.0.0.1@%d\n' % (z, gtmd_port)
                        for z in zones)
        conf = """server:
  interface: 127.0.0.1
  port: {port}
  do-not-query-localhost: no
  do-ip6: no
  username: ""
  chroot: ""
  directory: "{d}"
  pidfile: "{d}/unbound.pid"
  use-syslog: no
  logfile: "{d}/unbound.log"
  verbosity: 1
  val-log-level: 2
  module-config: "validator iterator"
  trust-anchor-file: "{d}/anchors"
  qname-minimisation: no
  trust-anchor-signaling: no
  root-key-sentinel: no
{extra}
remote-control:
  control-enable: no
{stubs}""".format(port=self.port, d=self.d, extra=extra, stubs=stubs)
        with open(os.path.join(self.d, "unbound.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", os.path.join(self.d, "unbound.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                dns.query.udp(dns.message.make_query("ready.invalid.", "A"), "127.0.0.1",
                              port=self.port, timeout=0.3)
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise AssertionError("unbound did not start:\n" + self.log())
                time.sleep(0.1)

    def log(self):
        try:
            with open(os.path.join(self.d, "unbound.log")) as f:
                return f.read()
        except OSError:
            return ""

    def query(self, name, rdtype="A"):
        q = dns.message.make_query(name, rdtype, want_dnssec=True)
        q.flags |= dns.flags.AD
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=5)

    def flush(self):
        """Forgets the answers (restarting is simpler than unbound-control)."""
        self.stop()
        self.__init__(self.d, self.gtmd_port, self.zones, self.anchors, self.extra)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


@pytest.fixture
def unbound_factory():
    made = []

    def make(*a, **kw):
        u = Unbound(*a, **kw)
        made.append(u)
        return u

    yield make
    for u in made:
        u.stop()


def validated(u, name, rdtype, rcode=NOERROR):
    r = u.query(name, rdtype)
    assert r.rcode() == rcode, (name, rdtype, dns.rcode.to_text(r.rcode()), u.log()[-3000:])
    assert r.flags & dns.flags.AD, (name, rdtype, "no AD", r.to_text(), u.log()[-3000:])
    return r


def signed_static(gtmd_factory, tmp_path, extra=()):
    kdir = tmp_path / "keys"
    kdir.mkdir()
    ksk = keygen(str(kdir), "example.com", ksk=True)
    keygen(str(kdir), "example.com")
    g = gtmd_factory.start(zones={"example.com.zone": ZONE},
                           extra=["--keys", str(kdir), "--api", "off"] + list(extra))
    return g, kdir, ds_of(ksk)


def two_signed_zones(tmp_path, tm_alg="ECDSAP256SHA256"):
    """Keys for tm.example.net (one CSK) and example.com (KSK and ZSK):
    (the directory, the CSK's .key, the KSK's .key)."""
    kdir = tmp_path / "keys"
    kdir.mkdir()
    csk = keygen(str(kdir), "tm.example.net", alg=tm_alg, ksk=True)
    ksk = keygen(str(kdir), "example.com", ksk=True)
    keygen(str(kdir), "example.com")
    return kdir, csk, ksk


def failover_profile(backends):
    """Two HTTP backends and a Priority profile "prio" over them, TTL 1."""
    prim, sec = backends.http(2)
    doc = profile("prio", "Priority",
                  [endpoint("primary", prim.host, priority=1),
                   endpoint("secondary", sec.host, priority=2)],
                  port=prim.port, ttl=1)
    return prim, sec, doc


def test_static_zone_validates(gtmd_factory, unbound_factory, tmp_path):
    g, kdir, ds = signed_static(gtmd_factory, tmp_path)

    # gtmd itself: RRSIGs only with DO, the DO bit echoed.
    r = g.query("www.example.com", "A", want_dnssec=True)
    assert r.ednsflags & dns.flags.DO
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.A, dns.rdatatype.RRSIG]
    r = g.query("www.example.com", "A", use_edns=0)
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.A]
    r = g.query("nope.example.com", "A", want_dnssec=True)
    assert r.rcode() == NXDOMAIN
    assert len(rrsets_of(r.authority, "NSEC3")) in (2, 3)
    r = g.query("example.com", "DNSKEY")
    assert len(r.answer[0]) == 2
    r = g.query("example.com", "NSEC3PARAM", want_dnssec=True)
    assert r.answer[0][0].to_text() == "1 0 0 -"

    u = unbound_factory(tmp_path / "unbound", g.port, ["example.com"], [ds])
    assert [x.to_text() for x in validated(u, "www.example.com", "A").answer[0]] == ["192.0.2.1"]
    validated(u, "www.example.com", "AAAA")
    validated(u, "nope.example.com", "A", NXDOMAIN)  # closest encloser proof
    validated(u, "x.y.www.example.com", "A", NXDOMAIN)
    validated(u, "zz.a.b.c.example.com", "TXT", NXDOMAIN)
    validated(u, "www.example.com", "MX")  # NODATA
    validated(u, "b.c.example.com", "A")  # an empty non-terminal
    r = validated(u, "x.wild.example.com", "A")  # wildcard: next closer covered
    assert r.answer[0][0].to_text() == "192.0.2.7"
    validated(u, "y.wild.example.com", "TXT")  # wildcard NODATA
    validated(u, "alias.example.com", "A")  # CNAME and its target
    validated(u, "sec.example.com", "DS")  # DS at a delegation, signed
    validated(u, "sub.example.com", "DS")  # no DS: the cut's NSEC3
    validated(u, "example.com", "DNSKEY")
    validated(u, "example.com", "SOA")
    # CDS/CDNSKEY (RFC 7344): the KSK only, the CDS its DS, signed by it
    r = validated(u, "example.com", "CDS")
    assert [x.to_text().upper() for x in r.answer[0]] == [" ".join(ds.split()[4:]).upper()]
    r = validated(u, "example.com", "CDNSKEY")
    assert [x.flags for x in r.answer[0]] == [257]
    sig = rrsets_of(r.answer, "RRSIG")[0][0]
    assert sig.key_tag == int(ds.split()[4])

    # the referral to an unsigned child proves it has no DS
    r = g.query("host.sub.example.com", "A", want_dnssec=True)
    assert not r.flags & dns.flags.AA
    assert rrsets_of(r.authority, "NS") and rrsets_of(r.authority, "NSEC3")
    assert not rrsets_of(r.authority, "RRSIG") or all(
        s.covers == dns.rdatatype.NSEC3 for s in rrsets_of(r.authority, "RRSIG"))

    # a reload that cannot read a key keeps the signed snapshot
    (kdir / "Kexample.com.+013+00001.private").write_text("garbage\n")
    (kdir / "Kexample.com.+013+00001.key").write_text("garbage\n")
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"Kexample\.com\.\+013\+00001\.(private|key).*error|error.*Kexample\.com\.\+013\+00001")
    g.wait_log(r"still serving the previous configuration")
    r = g.query("www.example.com", "A", want_dnssec=True)
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.A, dns.rdatatype.RRSIG]


def test_truncation_with_signatures(gtmd_factory, tmp_path):
    g, _, _ = signed_static(gtmd_factory, tmp_path)
    # EDNS 512: the two TXT records fit alone, not with their signature:
    # with DO, TC and nothing partial; over TCP all of it.
    r = g.query("big.example.com", "TXT", payload=512)
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 2
    r = g.query("big.example.com", "TXT", want_dnssec=True, payload=512)
    assert r.flags & dns.flags.TC and not r.answer
    r = g.query("big.example.com", "TXT", want_dnssec=True, tcp=True)
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.TXT, dns.rdatatype.RRSIG]


def test_expired_signatures_fail(gtmd_factory, unbound_factory, tmp_path):
    g, _, ds = signed_static(gtmd_factory, tmp_path, extra=["--rrsig-lifetime", "1", "--rrsig-refresh", "0"])
    time.sleep(2.5)
    u = unbound_factory(tmp_path / "unbound", g.port, ["example.com"], [ds],
                        extra="  val-sig-skew-min: 0\n  val-sig-skew-max: 0")
    r = u.query("www.example.com", "A")
    assert r.rcode() == SERVFAIL, r.to_text()


def test_signatures_refreshed_before_expiry(gtmd_factory, unbound_factory, tmp_path):
    # lifetime 4 s, refresh 2 s: a reload every 2 s signs again, so after
    # twice the lifetime a validator with no clock skew allowance still
    # gets signatures it accepts.
    g, _, ds = signed_static(gtmd_factory, tmp_path,
                             extra=["--rrsig-lifetime", "4", "--rrsig-refresh", "2"])
    g.wait_log(r"dnssec: reloading to sign again", timeout=6)
    time.sleep(8)
    u = unbound_factory(tmp_path / "unbound", g.port, ["example.com"], [ds],
                        extra="  val-sig-skew-min: 0\n  val-sig-skew-max: 0")
    validated(u, "www.example.com", "A")
    validated(u, "nope.example.com", "A", NXDOMAIN)


def test_refresh_must_be_shorter_than_lifetime(gtmd_factory, tmp_path):
    (tmp_path / "keys").mkdir()
    r = gtmd_factory.run(["--check-config", "--keys", tmp_path / "keys", "--rrsig-lifetime", "100",
                          "--rrsig-refresh", "100"])
    assert r.returncode != 0
    assert "--rrsig-refresh: error: 100 seconds" in r.stderr, r.stderr


def test_traffic_manager_validates_across_failover(gtmd_factory, unbound_factory, backends,
                                                   tmp_path):
    # (not tm.test: Unbound answers test. itself, RFC 6761)
    kdir, csk, ksk = two_signed_zones(tmp_path, tm_alg="ED25519")  # a CSK of algorithm 15
    prim, sec, doc = failover_profile(backends)
    g = gtmd_factory.start(zones={"example.com.zone": ZONE + "app IN CNAME prio.tm.example.net.\n"},
                           profiles={"prio": doc}, domain="tm.example.net", extra=["--keys", str(kdir), "--api", "off"])
    name = fqdn(g, "prio")
    wait_transition(g, "prio/primary", "CheckingEndpoint", "Online")
    r = g.query(name, "A", want_dnssec=True)
    assert r.rcode() == NOERROR, r.to_text() + g.log
    u = unbound_factory(tmp_path / "unbound", g.port, ["tm.example.net", "example.com"],
                        [ds_of(csk), ds_of(ksk)])
    r = validated(u, name, "A")
    assert [x.to_text() for x in rrsets_of(r.answer, "A")[0]] == [prim.host]
    validated(u, name, "AAAA")  # NODATA at a profile name
    validated(u, "nope.tm.example.net", "A", NXDOMAIN)
    validated(u, "tm.example.net", "SOA")
    validated(u, "app.example.com", "A")  # a static CNAME into a signed profile

    prim.set(503)
    wait_transition(g, "prio/primary", "Online", "Degraded", timeout=15)
    assert addresses(g, name) == [sec.host]
    time.sleep(1.2)  # the profile's TTL: Unbound asks again
    r = validated(u, name, "A")
    assert [x.to_text() for x in rrsets_of(r.answer, "A")[0]] == [sec.host]


def test_nested_profile_validates(gtmd_factory, unbound_factory, tmp_path):
    # the child's answer goes out under the parent's name: signed for it
    kdir = tmp_path / "keys"
    kdir.mkdir()
    ksk = keygen(str(kdir), "tm.example.net", ksk=True)
    keygen(str(kdir), "tm.example.net")
    rid = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/"
    inner = profile("inner", "Priority",
                    [endpoint("a", "127.0.6.1", priority=1, alwaysServe="Enabled")])
    outer = profile("outer", "Priority",
                    [{"name": "kid", "type": "Microsoft.Network/trafficManagerProfiles/nestedEndpoints",
                      "properties": {"targetResourceId": rid + "inner", "endpointStatus": "Enabled",
                                     "priority": 1}},
                     endpoint("b", "127.0.6.2", priority=2, alwaysServe="Enabled")])
    g = gtmd_factory.start(profiles={"inner": inner, "outer": outer}, domain="tm.example.net",
                           extra=["--keys", str(kdir), "--api", "off"])
    u = unbound_factory(tmp_path / "unbound", g.port, ["tm.example.net"], [ds_of(ksk)])
    r = validated(u, "outer.tm.example.net", "A")
    assert [x.to_text() for x in rrsets_of(r.answer, "A")[0]] == ["127.0.6.1"]
    validated(u, "inner.tm.example.net", "A")
    validated(u, "outer.tm.example.net", "AAAA")  # NODATA: the bitmap has A only


def test_delv_agrees(gtmd_factory, tmp_path):
    delv = shutil.which("delv")
    if not delv:
        pytest.skip("no delv")
    g, kdir, ds = signed_static(gtmd_factory, tmp_path)
    parts = ds.split()
    anchors = tmp_path / "anchors.conf"
    anchors.write_text('trust-anchors { example.com. static-ds %s %s %s "%s"; };\n'
                       % (parts[4], parts[5], parts[6], parts[7]))
    out = subprocess.run([delv, "@127.0.0.1", "-p", str(g.port), "-a", str(anchors),
                          "+root=example.com", "www.example.com", "A"],
                         capture_output=True, text=True, timeout=30)
    assert "; fully validated" in out.stdout, out.stdout + out.stderr
    out = subprocess.run([delv, "@127.0.0.1", "-p", str(g.port), "-a", str(anchors),
                          "+root=example.com", "nope.example.com", "A"],
                         capture_output=True, text=True, timeout=30)
    assert "resolution failed: ncache nxdomain" in out.stdout + out.stderr or \
        "; negative response, fully validated" in out.stdout, out.stdout + out.stderr


def test_alias_validates_across_failover(gtmd_factory, unbound_factory, backends, tmp_path):
    """ALIAS answers are signed under the ALIAS's owner: the apex following
    a profile (before and after a failover), an ALIAS to static records,
    a wildcard ALIAS, and NODATA at an ALIAS whose target lacks the type."""
    kdir, csk, ksk = two_signed_zones(tmp_path)
    prim, sec, doc = failover_profile(backends)
    zone = ZONE + """@ 1 IN ALIAS prio.tm.example.net.
static IN ALIAS www.example.com.
v4only IN ALIAS ns1.example.com.
*.walias IN ALIAS www.example.com.
*.w4 IN ALIAS ns1.example.com.
"""
    g = gtmd_factory.start(zones={"example.com.zone": zone}, profiles={"prio": doc},
                           domain="tm.example.net", extra=["--keys", str(kdir), "--api", "off"])
    wait_transition(g, "prio/primary", "CheckingEndpoint", "Online")
    r = g.query("example.com", "A", want_dnssec=True)
    assert [s.rdtype for s in r.answer] == [dns.rdatatype.A, dns.rdatatype.RRSIG], r.to_text()
    assert r.answer[1][0].labels == 2  # signed under example.com itself
    u = unbound_factory(tmp_path / "unbound", g.port, ["tm.example.net", "example.com"],
                        [ds_of(csk), ds_of(ksk)])
    r = validated(u, "example.com", "A")
    assert [x.to_text() for x in rrsets_of(r.answer, "A")[0]] == [prim.host]
    validated(u, "example.com", "AAAA")  # NODATA at the apex ALIAS (the profile has IPv4 only)
    validated(u, "example.com", "MX")  # NODATA of a type ALIAS never answers
    r = validated(u, "static.example.com", "A")
    assert [x.to_text() for x in r.answer[0]] == ["192.0.2.1"]
    validated(u, "static.example.com", "AAAA")
    validated(u, "v4only.example.com", "AAAA")  # the target has no AAAA
    r = validated(u, "x.walias.example.com", "A")  # wildcard ALIAS
    assert [x.to_text() for x in r.answer[0]] == ["192.0.2.1"]
    validated(u, "nope.example.com", "A", NXDOMAIN)
    # wildcard NODATA (the target has no AAAA): where the name one below
    # the closest encloser hashes next to the wildcard, the covering proof
    # and the NODATA proof are one NSEC3 owner: sent once, the record
    # without AAAA (two records of one owner would be bogus)
    shared = []
    for i in range(150):
        name = "n%d.w4.example.com" % i
        r = g.query(name, "AAAA", want_dnssec=True)
        owners = [x.name for x in rrsets_of(r.authority, "NSEC3")]
        assert len(owners) == len(set(owners)), r.to_text()
        if len(owners) == 2:
            shared.append(name)
    assert shared, "no name whose proofs share an NSEC3 owner: make the loop longer"
    for name in shared[:3] + ["n0.w4.example.com"]:
        validated(u, name, "AAAA")

    prim.set(503)
    wait_transition(g, "prio/primary", "Online", "Degraded", timeout=15)
    time.sleep(1.2)  # the ALIAS's TTL (1 s): Unbound asks again
    r = validated(u, "example.com", "A")
    assert [x.to_text() for x in rrsets_of(r.answer, "A")[0]] == [sec.host]


def test_nodata_where_answers_vary_validates(gtmd_factory, unbound_factory, tmp_path):
    """A profile whose endpoints answer different types (IPv4, IPv6, a
    name): NODATA for the type its pick lacks is proven with an NSEC3 made
    without that type (and without CNAME), so it validates although the
    name's full record lists them."""
    kdir = tmp_path / "keys"
    kdir.mkdir()
    ksk = keygen(str(kdir), "tm.example.net", ksk=True)
    keygen(str(kdir), "tm.example.net")
    mixed = profile("mixed", "Priority",
                    [endpoint("v4", "127.0.6.1", priority=1, alwaysServe="Enabled"),
                     endpoint("v6", "2001:db8::6", priority=2, alwaysServe="Enabled")])
    named = profile("named", "Priority",
                    [endpoint("n", "mixed.tm.example.net", priority=1, alwaysServe="Enabled"),
                     endpoint("v4", "127.0.6.2", priority=2, alwaysServe="Enabled")])
    g = gtmd_factory.start(profiles={"mixed": mixed, "named": named}, domain="tm.example.net",
                           extra=["--keys", str(kdir), "--api", "off"])
    r = g.query("mixed.tm.example.net", "AAAA", want_dnssec=True)
    n3 = rrsets_of(r.authority, "NSEC3")
    assert len(n3) == 1
    types = set(n3[0][0].to_text().split()[5:])  # "1 0 0 - NEXT TYPES..."
    assert "AAAA" not in types and "A" in types, n3[0][0].to_text()
    u = unbound_factory(tmp_path / "unbound", g.port, ["tm.example.net"], [ds_of(ksk)])
    validated(u, "mixed.tm.example.net", "A")
    validated(u, "mixed.tm.example.net", "AAAA")  # the IPv4 endpoint picked: NODATA
    validated(u, "mixed.tm.example.net", "TXT")
    r = validated(u, "named.tm.example.net", "A")  # CNAME to mixed, then its A
    assert [x.to_text() for x in rrsets_of(r.answer, "A")[0]] == ["127.0.6.1"]
    validated(u, "named.tm.example.net", "TXT")  # NODATA: the record without CNAME


def test_multivalue_validates(gtmd_factory, unbound_factory, tmp_path):
    """MultiValue answers several endpoints' records as one RRset: it goes
    out with one signature over all of them (made at answer time, once per
    thread), under the profile's name and under an ALIAS's."""
    kdir = tmp_path / "keys"
    kdir.mkdir()
    tm = keygen(str(kdir), "tm.example.net", ksk=True)
    ksk = keygen(str(kdir), "example.com", ksk=True)
    keygen(str(kdir), "example.com")
    mv = profile("mv", "MultiValue",
                 [endpoint("e%d" % i, "127.0.7.%d" % i, alwaysServe="Enabled") for i in (1, 2, 3)]
                 + [endpoint("v6", "2001:db8::7", alwaysServe="Enabled")])
    mv["properties"]["maxReturn"] = 2
    g = gtmd_factory.start(zones={"example.com.zone": ZONE + "mv IN ALIAS mv.tm.example.net.\n"},
                           profiles={"mv": mv}, domain="tm.example.net",
                           extra=["--keys", str(kdir), "--api", "off"])
    r = g.query("mv.tm.example.net", "A", want_dnssec=True)
    assert len(rrsets_of(r.answer, "A")) == 1 and len(rrsets_of(r.answer, "A")[0]) == 2, r.to_text()
    assert len(rrsets_of(r.answer, "RRSIG")[0]) == 1, r.to_text()  # one signature, over both
    u = unbound_factory(tmp_path / "unbound", g.port, ["tm.example.net", "example.com"],
                        [ds_of(tm), ds_of(ksk)])
    seen = set()
    for i in range(12):  # different picks (a random start), each validated
        r = validated(u, "mv.tm.example.net", "A")
        got = sorted(x.to_text() for x in rrsets_of(r.answer, "A")[0])
        assert len(got) == 2 and all(a.startswith("127.0.7.") for a in got)
        seen.add(tuple(got))
        r = validated(u, "mv.example.com", "A")
        assert len(rrsets_of(r.answer, "A")[0]) == 2
        u.flush()
    assert len(seen) > 1, seen
    r = validated(u, "mv.tm.example.net", "AAAA")  # one record: its own signature
    assert [x.to_text() for x in rrsets_of(r.answer, "AAAA")[0]] == ["2001:db8::7"]


def test_transfer_of_a_signed_zone_verifies(gtmd_factory, tmp_path):
    """The AXFR of a signed zone (its records, their signatures, DNSKEY,
    CDS/CDNSKEY, NSEC3PARAM and the NSEC3 chain) passes ldns-verify-zone."""
    if not shutil.which("ldns-verify-zone") or not shutil.which("dig"):
        pytest.skip("needs ldns-verify-zone (ldnsutils) and dig")
    g, _, _ = signed_static(gtmd_factory, tmp_path, extra=["--allow-transfer", "127.0.0.1/32"])
    out = subprocess.run(["dig", "+noall", "+answer", "+onesoa", "-p", str(g.port), "@127.0.0.1",
                          "example.com", "AXFR"], capture_output=True, text=True, timeout=30)
    assert "NSEC3PARAM" in out.stdout and "CDNSKEY" in out.stdout, out.stdout + out.stderr
    dump = tmp_path / "example.com.axfr"
    dump.write_text(out.stdout)
    v = subprocess.run(["ldns-verify-zone", str(dump)], capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and "Zone is verified and complete" in v.stdout + v.stderr, \
        v.stdout + v.stderr


def test_signed_example_validates(gtmd_factory, unbound_factory, tmp_path):
    """examples/: the vanity domain example.org signed with examples/keys,
    its apex an ALIAS to a profile of the unsigned traffic manager domain:
    Unbound, given the example's DS, validates the apex's answer."""
    ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
    with open(os.path.join(ex, "keys", "Kexample.org.+013+19368.ds")) as f:
        ds = f.read().strip()
    g = gtmd_factory.start(extra=["--zones", os.path.join(ex, "zones"), "--profiles",
                                  os.path.join(ex, "profiles"), "--keys", os.path.join(ex, "keys"),
                                  "--api", "off"], domain="trafficmanager.net")
    r = g.query("example.org", "A", want_dnssec=True)
    assert rrsets_of(r.answer, "A") and rrsets_of(r.answer, "RRSIG"), r.to_text()
    u = unbound_factory(tmp_path / "unbound", g.port, ["example.org"], [ds])
    r = validated(u, "example.org", "A")
    assert rrsets_of(r.answer, "A")
    validated(u, "example.org", "MX")
    validated(u, "nope.example.org", "A", NXDOMAIN)


def test_signed_zone_with_alias_not_transferred(gtmd_factory, tmp_path):
    """A signed zone with an ALIAS is not transferred: REFUSED, logged."""
    kdir = tmp_path / "keys"
    kdir.mkdir()
    keygen(str(kdir), "example.com", ksk=True)
    g = gtmd_factory.start(zones={"example.com.zone": ZONE + "@ IN ALIAS www.example.com.\n"},
                           extra=["--keys", str(kdir), "--api", "off", "--allow-transfer",
                                  "127.0.0.1/32"])
    q = dns.message.make_query("example.com", "AXFR")
    r = dns.query.tcp(q, "127.0.0.1", port=g.port, timeout=5)
    assert r.rcode() == dns.rcode.REFUSED and not r.answer, r.to_text()
    g.wait_log(r"xfr: AXFR of example\.com\. from 127\.0\.0\.1.*refused: a signed zone with ALIAS")


PARENT = """$ORIGIN example.org.
$TTL 300
@        IN SOA ns1 hostmaster 1 3600 600 86400 60
@        IN NS  ns1
ns1      IN A   127.0.0.1
www      IN CNAME www.tm
tm       IN NS  ns1
"""

CHILD = """$ORIGIN tm.example.org.
$TTL 300
@        IN SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 60
@        IN NS  ns1.example.org.
www      IN A   192.0.2.80
"""


def test_ds_of_a_child_served_here_comes_from_the_parent(gtmd_factory, unbound_factory,
                                                          tmp_path):
    """RFC 4035 3.1.4.1: gtmd serves example.org and the child tm.example.org
    delegated from it. DS tm.example.org is the parent's data: its DS with
    the parent's signature, not the child's NODATA (which made a validating
    resolver fail the chain: "not all NSEC3 records secure ... for DS").
    With only the parent's DS as anchor, the child's names validate."""
    kdir = tmp_path / "keys"
    kdir.mkdir()
    parent_ksk = keygen(str(kdir), "example.org", ksk=True)
    child_ksk = keygen(str(kdir), "tm.example.org", ksk=True)
    child_ds = ds_of(child_ksk).split(None, 3)[3]  # "DS tag alg type digest"
    g = gtmd_factory.start(zones={"example.org.zone": PARENT + "tm IN " + child_ds + "\n",
                                  "tm.example.org.zone": CHILD},
                           extra=["--keys", str(kdir), "--api", "off"])

    r = g.query("tm.example.org", "DS", want_dnssec=True)
    assert r.rcode() == NOERROR and r.flags & dns.flags.AA, r.to_text()
    ds = rrsets_of(r.answer, "DS")
    assert ds and ds[0][0].to_text().upper() == child_ds.split(None, 1)[1].upper(), r.to_text()
    sig = rrsets_of(r.answer, "RRSIG")
    assert sig and sig[0][0].signer.to_text() == "example.org.", r.to_text()
    # every other type at the child's apex is still the child's
    r = g.query("tm.example.org", "SOA")
    assert rrsets_of(r.answer, "SOA")[0].name.to_text() == "tm.example.org."
    assert "tm.example.org." in rrsets_of(r.answer, "SOA")[0].to_text()

    u = unbound_factory(tmp_path / "unbound", g.port, ["example.org"], [ds_of(parent_ksk)])
    r = validated(u, "www.example.org", "A")
    assert [x.to_text() for x in rrsets_of(r.answer, "A")[0]] == ["192.0.2.80"], r.to_text()
    validated(u, "tm.example.org", "DS")


def test_ds_of_a_child_served_here_unsigned_parent(gtmd_factory, tmp_path):
    """The same with nothing signed: DS at the child's apex is the parent's
    NODATA (its SOA, authoritative), not a referral to the same server."""
    g = gtmd_factory.start(zones={"example.org.zone": PARENT, "tm.example.org.zone": CHILD},
                           extra=["--api", "off"])
    r = g.query("tm.example.org", "DS")
    assert r.rcode() == NOERROR and r.flags & dns.flags.AA and not r.answer, r.to_text()
    assert rrsets_of(r.authority, "SOA")[0].name.to_text() == "example.org.", r.to_text()
    # a child not delegated by the parent (no NS there) keeps its own answer
    g2 = gtmd_factory.start(zones={"example.org.zone": PARENT.replace("tm       IN NS  ns1\n", ""),
                                   "tm.example.org.zone": CHILD},
                            extra=["--api", "off"])
    r = g2.query("tm.example.org", "DS")
    assert rrsets_of(r.authority, "SOA")[0].name.to_text() == "tm.example.org.", r.to_text()
