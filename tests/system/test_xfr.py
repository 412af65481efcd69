"""Zone transfers and NOTIFY (--allow-transfer, --tsig-keys, --notify):
AXFR with dig, kdig and dnspython from allowed and denied sources, TSIG
(good key, wrong secret, unknown key, unsigned where a key is required),
IXFR answered as AXFR or with the SOA alone, AXFR over UDP, the traffic
manager domain refused as dynamic, a zone gtmd does not serve. The key
test: Debian's NSD as a real secondary on loopback transfers the zone,
is notified after an edit and SIGHUP, and answers the new serial."""

import os
import shutil
import signal
import socket
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.flags
import dns.tsig
import dns.tsigkeyring
import pytest

from conftest import LOOPBACK4, frame, free_port, make_query, scaled, tcp_read_msg

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
SECRET = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"  # "secretsecretsecretsecret" in base64
OTHER = "b3RoZXJvdGhlcm90aGVyb3RoZXI="

ZONE = """$ORIGIN example.org.
$TTL 300
@        IN SOA ns1 hostmaster {serial} 3600 600 86400 60
@        IN NS  ns1
ns1      IN A   127.0.0.1
www      IN A   192.0.2.1
www      IN A   192.0.2.2
www      IN AAAA 2001:db8::1
mail     IN MX  10 www
*.wild   IN TXT "wild"
sub      IN NS  ns.sub
ns.sub   IN A   192.0.2.53
{extra}
"""


def zone(serial=1, extra="", lines=0):
    more = "".join('h%d IN TXT "record %d of a zone that takes several messages"\n' % (i, i)
                   for i in range(lines))
    return ZONE.format(serial=serial, extra=extra) + more


KEYS = 'key "xfr" {\n  algorithm hmac-sha256;\n  secret "%s";\n};\n' % SECRET


def start_with(gtmd_factory, tmp_path, allow=(), keys=KEYS, notify=(), zone_text=None):
    extra = []
    if keys is not None:
        kf = tmp_path / "tsig.keys"
        kf.write_text(keys)
        extra += ["--tsig-keys", str(kf)]
    for a in allow:
        extra += ["--allow-transfer", a]
    for n in notify:
        extra += ["--notify", n]
    return gtmd_factory.start(zones={"example.org.zone": zone_text or zone()}, extra=extra)


def axfr_msgs(g, name="example.org", keyring=None, keyname=None, rdtype="AXFR", serial=None):
    """The messages of a transfer over TCP (dnspython), or the rcode."""
    q = dns.message.make_query(name, rdtype)
    if serial is not None:
        soa = dns.rrset.from_text(name + ".", 0, "IN", "SOA", ". . %d 0 0 0 0" % serial)
        q.authority.append(soa)
    if keyring:
        q.use_tsig(keyring, keyname=keyname, algorithm=dns.tsig.HMAC_SHA256)
    msgs = []
    with socket.create_connection((g.host, g.port), timeout=scaled(5)) as s:
        s.sendall(frame(q.to_wire()))
        ctx = None
        while True:
            r = dns.message.from_wire(tcp_read_msg(s), keyring=q.keyring, request_mac=q.mac,
                                      xfr=True, tsig_ctx=ctx, multi=True,
                                      one_rr_per_rrset=True)
            ctx = r.tsig_ctx
            msgs.append(r)
            if r.rcode() != dns.rcode.NOERROR:
                break
            soas = [rr for rr in r.answer if rr.rdtype == dns.rdatatype.SOA]
            total_soa = sum(1 for m in msgs for rr in m.answer if rr.rdtype == dns.rdatatype.SOA)
            if total_soa >= 2 or (soas and len(msgs) == 1 and len(r.answer) == 1
                                  and rdtype == "IXFR"):
                break
    return msgs


def records(msgs):
    return [rr for m in msgs for rr in m.answer]


def run(argv, timeout=20):
    return subprocess.run(argv, capture_output=True, text=True, timeout=scaled(timeout))


def test_axfr_allowed_by_address(gtmd_factory, tmp_path):
    g = start_with(gtmd_factory, tmp_path, allow=["127.0.0.0/8"], zone_text=zone(lines=2000))
    msgs = axfr_msgs(g)
    rrs = records(msgs)
    assert rrs[0].rdtype == dns.rdatatype.SOA and rrs[-1].rdtype == dns.rdatatype.SOA
    assert sum(1 for r in rrs if r.rdtype == dns.rdatatype.SOA) == 2
    assert len(msgs) > 1  # a big zone takes several messages
    names = {(r.name.to_text(), dns.rdatatype.to_text(r.rdtype)) for r in rrs}
    for want in [("www.example.org.", "A"), ("www.example.org.", "AAAA"),
                 ("*.wild.example.org.", "TXT"), ("sub.example.org.", "NS"),
                 ("ns.sub.example.org.", "A"), ("example.org.", "NS"),
                 ("h1999.example.org.", "TXT")]:
        assert want in names
    assert all(m.flags & dns.flags.AA for m in msgs)
    assert len(rrs) == 2 + 1 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 2000  # SOA x2, the rest, h*
    # dig and kdig agree
    out = run(["dig", "+tcp", "-p", str(g.port), "@" + g.host, "example.org", "AXFR"]).stdout
    assert "XFR size: %d records" % len(rrs) in out
    kout = run(["kdig", "-p", str(g.port), "@" + g.host, "example.org", "AXFR"]).stdout
    assert "%d records" % len(rrs) in kout
    assert "xfr: AXFR of example.org. from 127.0.0.1" in g.log


def test_axfr_refused_outside_the_acl(gtmd_factory, tmp_path):
    g = start_with(gtmd_factory, tmp_path, allow=["10.0.0.0/8", "192.0.2.1"])
    msgs = axfr_msgs(g)
    assert msgs[0].rcode() == dns.rcode.REFUSED
    g.wait_log("no allow-transfer entry matches")


def test_axfr_refused_by_default(gtmd_factory):
    g = gtmd_factory.start(zones={"example.org.zone": zone()})
    r = g.exchange(make_query("example.org", "AXFR"), tcp=True)
    assert r.rcode() == dns.rcode.REFUSED


def test_tsig(gtmd_factory, tmp_path):
    g = start_with(gtmd_factory, tmp_path, allow=["key:xfr"])
    good = dns.tsigkeyring.from_text({"xfr.": ("hmac-sha256", SECRET)})
    msgs = axfr_msgs(g, keyring=good, keyname="xfr.")
    assert msgs[0].rcode() == dns.rcode.NOERROR and len(records(msgs)) == 11
    # dig -y signs, and checks every message's signature
    out = run(["dig", "-p", str(g.port), "@" + g.host, "example.org", "AXFR",
               "-y", "hmac-sha256:xfr:" + SECRET]).stdout
    assert "XFR size: 11 records" in out and "NOERROR" in out
    # unsigned, where the key is required: REFUSED
    assert axfr_msgs(g)[0].rcode() == dns.rcode.REFUSED
    # the wrong secret: NOTAUTH, BADSIG (an unsigned answer: dnspython says so)
    bad = dns.tsigkeyring.from_text({"xfr.": ("hmac-sha256", OTHER)})
    with pytest.raises(dns.tsig.PeerBadSignature):
        axfr_msgs(g, keyring=bad, keyname="xfr.")
    g.wait_log("BADSIG")
    # a key gtmd does not know: BADKEY
    other = dns.tsigkeyring.from_text({"nokey.": ("hmac-sha256", SECRET)})
    with pytest.raises(dns.tsig.PeerBadKey):
        axfr_msgs(g, keyring=other, keyname="nokey.")
    g.wait_log("BADKEY")
    out = run(["dig", "-p", str(g.port), "@" + g.host, "example.org", "AXFR",
               "-y", "hmac-sha256:xfr:" + OTHER]).stdout
    assert "BADSIG" in out


def test_tsig_over_many_messages(gtmd_factory, tmp_path):
    # a transfer of several messages: the first signed over the request's
    # MAC, the next ones chained (RFC 8945 5.3.1); dnspython and dig check each
    g = start_with(gtmd_factory, tmp_path, allow=["key:xfr"], zone_text=zone(lines=2000))
    good = dns.tsigkeyring.from_text({"xfr.": ("hmac-sha256", SECRET)})
    msgs = axfr_msgs(g, keyring=good, keyname="xfr.")
    assert len(msgs) > 3 and len(records(msgs)) == 2011, len(msgs)
    out = run(["dig", "-p", str(g.port), "@" + g.host, "example.org", "AXFR",
               "-y", "hmac-sha256:xfr:" + SECRET]).stdout
    assert "XFR size: 2011 records" in out and "tsig verify failure" not in out, out[-500:]


def test_two_tsig_records_formerr(gtmd_factory, tmp_path):
    # RFC 8945 5.1: one TSIG, the last record; two get FORMERR
    g = start_with(gtmd_factory, tmp_path, allow=["key:xfr"])
    good = dns.tsigkeyring.from_text({"xfr.": ("hmac-sha256", SECRET)})
    q = dns.message.make_query("example.org", "AXFR")
    q.use_tsig(good, keyname="xfr.")
    wire = q.to_wire()
    tsig_rr = wire[len(dns.message.make_query("example.org", "AXFR").to_wire()):]
    twice = bytearray(wire + tsig_rr)
    twice[11] += 1  # ARCOUNT 2
    import socket
    s = socket.create_connection((g.host, g.port), timeout=5)
    s.sendall(len(twice).to_bytes(2, "big") + bytes(twice))
    n = int.from_bytes(s.recv(2), "big")
    r = dns.message.from_wire(s.recv(n), ignore_trailing=True, keyring=None)
    s.close()
    assert r.rcode() == dns.rcode.FORMERR
    g.wait_log("a TSIG that is not the last record")


def test_ixfr_and_udp(gtmd_factory, tmp_path):
    g = start_with(gtmd_factory, tmp_path, allow=["127.0.0.1"], zone_text=zone(serial=5))
    # an older serial: the whole zone, as AXFR (RFC 1995 4)
    rrs = records(axfr_msgs(g, rdtype="IXFR", serial=4))
    assert len(rrs) == 11 and rrs[0].rdtype == rrs[-1].rdtype == dns.rdatatype.SOA
    # up to date: the SOA alone
    rrs = records(axfr_msgs(g, rdtype="IXFR", serial=5))
    assert len(rrs) == 1 and rrs[0].rdtype == dns.rdatatype.SOA and rrs[0][0].serial == 5
    # IXFR over UDP: the SOA alone, which sends the client to TCP (RFC 1995 2)
    q = dns.message.make_query("example.org", "IXFR")
    q.authority.append(dns.rrset.from_text("example.org.", 0, "IN", "SOA", ". . 1 0 0 0 0"))
    r = dns.query.udp(q, g.host, port=g.port, timeout=scaled(2))
    assert r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1
    assert r.answer[0].rdtype == dns.rdatatype.SOA
    # AXFR over UDP: REFUSED (RFC 5936 4.2)
    r = g.exchange(make_query("example.org", "AXFR"))
    assert r.rcode() == dns.rcode.REFUSED
    # IXFR without its SOA: FORMERR
    r = g.exchange(make_query("example.org", "IXFR"), tcp=True)
    assert r.rcode() == dns.rcode.FORMERR


def test_dynamic_domain_and_foreign_zone(gtmd_factory, tmp_path):
    g = start_with(gtmd_factory, tmp_path, allow=["127.0.0.1"])
    r = g.exchange(make_query(g.domain, "AXFR"), tcp=True)
    assert r.rcode() == dns.rcode.REFUSED
    g.wait_log("the traffic manager domain is dynamic")
    r = g.exchange(make_query("example.net", "AXFR"), tcp=True)
    assert r.rcode() == dns.rcode.NOTAUTH
    r = g.exchange(make_query("www.example.org", "AXFR"), tcp=True)
    assert r.rcode() == dns.rcode.NOTAUTH  # not a zone apex


@pytest.mark.parametrize(
    "keys,allow,where",
    [
        ('key "x" { algorithm hmac-sha256; secret "bad!"; };\n', [], ":1: key x: the secret"),
        ("a:hmac-sha256:%s\nb:hmac-md4:%s\n" % (SECRET, SECRET), [], ":2: key b: algorithm"),
        ('key "x" {\n algorithm hmac-sha256;\n\n bogus 1;\n};\n', [], ":4: key x: unknown field"),
        (KEYS, ["key:nokey"], "no key nokey"),
        (KEYS, ["300.0.0.1/8"], "not an address or network"),
        (KEYS, ["10.0.0.0/33"], "prefix length"),
    ],
)
def test_config_errors(gtmd_factory, tmp_path, keys, allow, where):
    kf = tmp_path / "tsig.keys"
    kf.write_text(keys)
    args = ["--check-config", "--api", "off", "--tsig-keys", str(kf)]
    for a in allow:
        args += ["--allow-transfer", a]
    r = gtmd_factory.run(args)
    assert r.returncode == 1, r.stderr
    assert where in r.stderr, r.stderr


# ---- the key test: NSD as a real secondary ----

NSD_CONF = """server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    username: ""
    chroot: ""
    zonesdir: "{dir}"
    pidfile: "{dir}/nsd.pid"
    xfrdfile: "{dir}/xfrd.state"
    zonelistfile: "{dir}/zone.list"
    database: ""
    logfile: "{dir}/nsd.log"
    verbosity: 2
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
key:
    name: xfr
    algorithm: hmac-sha256
    secret: "{secret}"
zone:
    name: example.org
    zonefile: "example.org.zone"
    request-xfr: AXFR 127.0.0.1@{gport} {key}
    allow-notify: 127.0.0.1 {key}
"""


def soa_serial(port, name="example.org"):
    try:
        r = dns.query.udp(dns.message.make_query(name, "SOA"), LOOPBACK4, port=port, timeout=1)
    except Exception:
        return None
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


def wait_for(cond, timeout):
    deadline = time.time() + scaled(timeout)
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    return cond()


@pytest.mark.skipif(not os.access(NSD, os.X_OK), reason="needs nsd (Debian's nsd package)")
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "tsig"])
def test_nsd_secondary(gtmd_factory, tmp_path, signed):
    nport = free_port()
    ndir = tmp_path / "nsd"
    ndir.mkdir()
    g = start_with(gtmd_factory, tmp_path, allow=["key:xfr" if signed else "127.0.0.1"],
                   notify=["127.0.0.1:%d%s" % (nport, " key:xfr" if signed else "")],
                   zone_text=zone(serial=2024010101))
    conf = ndir / "nsd.conf"
    conf.write_text(NSD_CONF.format(port=nport, dir=ndir, secret=SECRET, gport=g.port,
                                    key="xfr" if signed else "NOKEY"))
    proc = subprocess.Popen([NSD, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: soa_serial(nport) == 2024010101, 20), (
            (ndir / "nsd.log").read_text() if (ndir / "nsd.log").exists() else "no nsd log")
        # the edit: a new serial and a new record; SIGHUP; NSD is notified
        (g.zdir / "example.org.zone").write_text(
            zone(serial=2024010102, extra="new IN A 192.0.2.99"))
        g.send_signal(signal.SIGHUP)
        assert wait_for(lambda: soa_serial(nport) == 2024010102, 20), (ndir / "nsd.log").read_text()
        r = dns.query.udp(dns.message.make_query("new.example.org", "A"), LOOPBACK4, port=nport,
                          timeout=2)
        assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["192.0.2.99"]
        g.wait_log("notify: example.org. serial 2024010102 to 127.0.0.1:%d.*acknowledged" % nport)
        log = (ndir / "nsd.log").read_text()
        assert "notify for example.org" in log
        if signed:
            assert "TSIG verified with key xfr" in log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
