#!/usr/bin/env python3
"""make_seeds.py: writes the seed corpora of the fuzz targets.

    python3 tests/fuzz/make_seeds.py          # from the source tree root

fuzz_dns_query.in/: DNS queries (valid ones of several types, with EDNS,
ECS and cookie options, and malformed ones) for the names of the fixed zone
in fuzz_dns_query.c. fuzz_conf.in/: config files. fuzz_zonefile.in/: zone
files. Standard library only; the output is deterministic, so re-running it
changes nothing. Crashing inputs found by fuzzing are added to the same
directories by hand (crash-<sha1>, leak-<sha1>, or a reduced copy), and
this script leaves them alone.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- DNS queries

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33, "OPT": 41, "IXFR": 251, "AXFR": 252, "ANY": 255, "CAA": 257}


def name(text):
    """Presentation name -> uncompressed wire (case kept)."""
    out = b""
    for label in [x for x in text.split(".") if x]:
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def opt(udp=1232, version=0, do=False, options=b"", ext_rcode=0):
    flags = 0x8000 if do else 0
    return b"\0" + struct.pack("!HHBBHH", 41, udp, ext_rcode, version, flags,
                               len(options)) + options


def option(code, data):
    return struct.pack("!HH", code, len(data)) + data


def query(qname, qtype="A", qclass=1, edns=None, **hdr):
    q = name(qname) + struct.pack("!HH", TYPES.get(qtype, qtype) if isinstance(qtype, str)
                                  else qtype, qclass)
    if edns is not None:
        hdr.setdefault("ar", 1)
        return header(**hdr) + q + edns
    return header(**hdr) + q


ECS = option(8, struct.pack("!HBB", 1, 24, 0) + bytes([192, 0, 2]))
ECS6 = option(8, struct.pack("!HBB", 2, 56, 0) + bytes.fromhex("20010db80000ff"))
COOKIE = option(10, bytes(range(8)))
COOKIE_FULL = option(10, bytes(range(8)) + bytes(range(100, 116)))
PADDING = option(12, bytes(16))
NSID = option(3, b"")


def dns_seeds():
    s = {}
    s["a-www"] = query("www.example.com")
    s["aaaa-www"] = query("www.example.com", "AAAA")
    s["soa-apex"] = query("example.com", "SOA")
    s["ns-apex"] = query("example.com", "NS")
    s["mx-apex"] = query("example.com", "MX")
    s["txt-apex"] = query("example.com", "TXT")
    s["any-www"] = query("www.example.com", "ANY")
    s["srv"] = query("_sip._tcp.example.com", "SRV")
    s["mixed-case"] = query("WwW.ExAmPlE.cOm", "A", flags=0x0110)
    s["cname-chain"] = query("alias.example.com", "A")
    s["cname-loop"] = query("loop1.example.com", "A")
    s["cname-out"] = query("out.example.com", "AAAA")
    s["wildcard"] = query("foo.wild.example.com", "TXT")
    s["wildcard-cname"] = query("x.cn.wild.example.com", "A")
    s["referral"] = query("host.sub.example.com", "A")
    s["ent-nodata"] = query("deep.ent.example.com", "A")
    s["nxdomain"] = query("nope.example.com", "A")
    s["refused"] = query("www.example.org", "A")
    s["domain-apex"] = query("tm.example.net", "SOA")
    s["big-udp"] = query("big.example.com", "TXT")
    s["big-edns"] = query("big.example.com", "TXT", edns=opt(4096))
    s["edns-do"] = query("www.example.com", "A", edns=opt(1232, do=True))
    s["edns-small"] = query("big.example.com", "TXT", edns=opt(300))
    s["edns-ecs"] = query("www.example.com", "A", edns=opt(1232, options=ECS))
    s["edns-ecs6-cookie"] = query("www.example.com", "AAAA",
                                  edns=opt(1400, options=ECS6 + COOKIE_FULL))
    s["edns-cookie-nsid-pad"] = query("example.com", "SOA",
                                      edns=opt(512, options=COOKIE + NSID + PADDING))
    s["edns-cookie-5"] = query("www.example.com", "A",
                               edns=opt(1232, options=option(10, bytes(range(5)))))
    s["edns-cookie-9"] = query("www.example.com", "A",
                               edns=opt(1232, options=option(10, bytes(range(9)))))
    s["edns-cookie-41"] = query("www.example.com", "A",
                                edns=opt(1232, options=option(10, bytes(range(41)))))
    s["edns-cookie-twice"] = query("www.example.com", "A",
                                   edns=opt(1232, options=COOKIE + COOKIE))
    s["edns-cookie-32"] = query("www.example.com", "A",
                                edns=opt(1232, options=option(10, bytes(range(40)))))
    s["edns-cookie-rfc9018"] = query("www.example.com", "A", edns=opt(1232, options=option(
        10, bytes.fromhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480"))))
    s["edns-cookie-nsid-big"] = query("big.example.com", "TXT",
                                      edns=opt(1232, options=NSID + ECS6 + COOKIE_FULL))
    s["edns-nsid"] = query("www.example.com", "A", edns=opt(1232, options=NSID))
    s["edns-nsid-ecs"] = query("www.example.com", "A", edns=opt(1232, options=ECS + NSID))
    s["edns-nsid-data"] = query("www.example.com", "A",
                                edns=opt(1232, options=option(3, b"someone-else")))
    s["edns-nsid-small"] = query("big.example.com", "TXT", edns=opt(600, options=NSID + ECS6))
    s["edns-badvers"] = query("www.example.com", "A", edns=opt(1232, version=1))
    s["edns-option-overrun"] = query("www.example.com", "A", edns=opt(
        1232, options=struct.pack("!HH", 10, 9) + bytes(8)))
    s["edns-owner-not-root"] = (header(ar=1) + name("www.example.com") + struct.pack("!HH", 1, 1)
                                + b"\xc0\x0c" + opt()[1:])
    s["axfr"] = query("example.com", "AXFR")
    s["class-ch"] = query("version.bind", "TXT", qclass=3)
    s["notify"] = query("example.com", "SOA", flags=4 << 11)
    s["qdcount-2"] = header(qd=2) + name("www.example.com") + b"\0\1\0\1" + name("a") + b"\0\1\0\1"
    s["qdcount-0"] = header(qd=0)
    s["answer-count"] = query("www.example.com", an=1)
    s["response"] = query("www.example.com", flags=0x8100)
    s["runt"] = header()[:11]
    s["compressed-qname"] = header() + b"\3www\xc0\x0c\0\1\0\1"
    s["label-64"] = header() + b"\x40" + b"a" * 64 + b"\0\0\1\0\1"
    s["name-256"] = header() + (b"\x3f" + b"a" * 63) * 3 + b"\x3e" + b"a" * 62 + b"\0\0\1\0\1"
    s["trailing-garbage"] = query("www.example.com") + b"\0\0\0"
    s["truncated-question"] = query("www.example.com")[:20]
    s["non-opt-additional"] = (header(ar=1) + name("www.example.com") + b"\0\1\0\1"
                               + b"\0\0\1\0\1\0\0\0\0\0\4\xc0\0\2\1")
    return s

# -------------------------------------------------------------- config files


def conf_seeds():
    return {
        "full.conf": ("# every option\nlisten = 127.0.0.1:5353\nlisten = [::1]:5353\n"
                      "domain = trafficmanager.net\nzones = /etc/gtmd/zones\nworkers = 2\n"
                      "tcp-timeout = 10\ntcp-clients = 256\nlog-level = info\n"),
        "empty.conf": "",
        "comments.conf": "\n   # only\n\t# comments\n\n",
        "errors.conf": ("lisen = 127.0.0.1\nworkers\nworkers = 100\ndemo = 1\n"
                        "tcp-timeout = 0\nlisten = localhost\nlog-level = loud\n"),
        "twice.conf": "workers = 2\nworkers = 3\n= x\nworkers =\n",
        "listen-forms.conf": ("listen = 127.0.0.1\nlisten = ::1\nlisten = [::1]:53\n"
                              "listen = [::1]\nlisten = 127.0.0.1:65536\nlisten = [::1]:0\n"),
        "crlf.conf": "workers = 2\r\ndomain = example.net\r\n",
        "no-newline.conf": "workers = 3",
        "tls-lone.conf": "workers = 2\ntls-key = x\n",
        "tls-pair.conf": "tls-cert = /etc/gtmd/api.crt\ntls-key = /etc/gtmd/api.key\n",
    }

# ---------------------------------------------------------------- zone files


def zone_seeds():
    soa = "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
    return {
        "small.zone": ("$ORIGIN example.com.\n$TTL 3600\n" + soa + "@ NS ns1\nns1 A 192.0.2.1\n"
                       "www A 192.0.2.20\nwww AAAA 2001:db8::20\nftp CNAME www\n"
                       "*.wild A 192.0.2.50\nsub NS ns1.sub\nns1.sub A 192.0.2.53\n"
                       "host.deep.ent A 192.0.2.60\n_sip._tcp SRV 10 60 5060 www\n"
                       "@ MX 10 mail\n@ TXT \"v=spf1 -all\"\n@ CAA 0 issue \"ca.example.net\"\n"),
        "multiline.zone": ("$TTL 60\n@ IN SOA ns1.example.com. hostmaster.example.com. (\n"
                           "  1 ; serial\n  7200 3600\n  1209600 300 )\n; comment\n"
                           "@ NS ns1\nns1 A 192.0.2.1\ntxt TXT ( \"a\"\n \"b\" )\n"),
        "errors.zone": (soa + "@ NS ns1\nwww A 192.0.2.300\nother.org. A 192.0.2.1\n"
                        "c A 192.0.2.1\nc CNAME www\n$INCLUDE x\nch CH A 192.0.2.1\n"
                        "www SOA ns1 hostmaster 1 2 3 4 5\n"),
        "no-soa.zone": "@ NS ns1\nns1 A 192.0.2.1\n",
        "loop.zone": soa + "@ NS ns1\na CNAME b\nb CNAME a\n* CNAME a\n",
        "ipseckey.zone": (soa + "@ NS ns1\n"
                          "a IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGv\n"
                          "b IPSECKEY ( 10 3 2 gw.example.com. AQNRU3mG )\n"
                          "c IPSECKEY 10 0 2 . AQNR\nd TYPE45 10 2 2 2001:db8::1 AQNR\n"
                          "e IPSECKEY 10 0 2 x. AQNR\nf IPSECKEY 10 0 2 .\n"
                          "g IPSECKEY 10 1 2 192.0.2.1 AQNR AQNR\nh IPSECKEY 10 3 2 gw. !!!!\n"),
        "alias.zone": ("$TTL 300\n" + soa + "@ NS ns1\n@ 600 IN ALIAS www\n@ MX 10 www\n"
                       "ns1 A 192.0.2.1\nwww A 192.0.2.20\nwww AAAA 2001:db8::20\n"
                       "a ALIAS b\nb 60 CNAME c\nc alias www.example.com.\nto-apex CNAME @\n"
                       "*.wild ALIAS @\nonly ALIAS c\n"),
        "alias-errors.zone": (soa + "@ NS ns1\nwww A 192.0.2.20\nloop1 ALIAS loop2\n"
                              "loop2 CNAME loop1\naway ALIAS www.example.org.\n"
                              "tm ALIAS app.trafficmanager.net.\nmx ALIAS @\nsub NS ns.sub\n"
                              "x.sub ALIAS www\nc ALIAS www\nc CNAME www\nd ALIAS\n"
                              "e ALIAS \\# 2 0100\nf ALIAS www\nf A 192.0.2.1\n"
                              "g TYPE65401 \\# 3 016100\n"),
    }


def write(dirname, files):
    d = os.path.join(HERE, dirname)
    os.makedirs(d, exist_ok=True)
    for fname, data in sorted(files.items()):
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
    print(f"{dirname}: {len(files)} seeds")


def main():
    write("fuzz_dns_query.in", dns_seeds())
    write("fuzz_conf.in", conf_seeds())
    write("fuzz_zonefile.in", zone_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
