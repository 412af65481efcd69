"""GET /gtmd/v1/resolve answers as DNS does (issue 11 point 2): resolve runs
the real dns_handle on a made-up query, so for every profile in
examples/profiles/ and a spread of clients (the source address, IPv4 and
IPv6 ECS subnets, the rows of a latency table and a geo table that the
Performance and Geographic examples need, the ranges of the Subnet example)
under three health states forced through the drill override (all Online,
the first endpoint of each profile Degraded, all Degraded: best effort),
resolve's code, authoritative bit, answer and authority sections, and ECS
scope equal those of a DNS query over TCP to the same daemon.

Methods that draw (Weighted, RoundRobin, a Performance region with several
endpoints) are compared by the set of answers each side gives over repeated
asks: at least MIN_SAMPLES each, more until the sets agree (RoundRobin's
cursor is shared by DNS and resolve: every other round asks DNS twice)."""

import json
import urllib.parse
from pathlib import Path

import dns.edns
import dns.rcode
import pytest

from armapi import start_api
from backends import fqdn
from conftest import GtmdFactory, _require_binary

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"

LATENCY_TABLE = """\
10.1.0.0/16        westeurope      10
10.1.0.0/16        eastus          90
10.2.0.0/16        eastus          8
10.2.0.0/16        westeurope      85
10.4.0.0/16        southeastasia   4
10.4.0.0/16        westeurope      120
10.5.0.0/16        australiaeast   5     # no endpoint there: the next region
10.5.0.0/16        eastus          40
2001:db8:1::/48    eastus          5
2001:db8:1::/48    westeurope      70
"""

GEO_TABLE = """\
198.51.100.0/24    US-CA
198.51.101.0/24    US-NY
192.0.2.0/25       FR
192.0.2.128/25     BR
203.0.113.0/24     MX
203.0.114.0/24     ZA
2001:db8:3::/48    DE
2001:db8:4::/48    US-CA
"""

# (resolve's client=, the ECS option of the DNS query or None for the
# query's own source address, 127.0.0.1)
CLIENTS = [
    ("127.0.0.1", None),
    ("10.1.0.0/24", ("10.1.0.0", 24)),
    ("10.2.0.0/24", ("10.2.0.0", 24)),
    ("10.4.3.0/24", ("10.4.3.0", 24)),
    ("10.5.0.0/16", ("10.5.0.0", 16)),
    ("10.9.0.0/24", ("10.9.0.0", 24)),
    ("2001:db8:1::/56", ("2001:db8:1::", 56)),
    ("198.51.100.0/24", ("198.51.100.0", 24)),
    ("198.51.101.0/24", ("198.51.101.0", 24)),
    ("192.0.2.0/26", ("192.0.2.0", 26)),
    ("192.0.2.192/27", ("192.0.2.192", 27)),
    ("203.0.113.0/24", ("203.0.113.0", 24)),
    ("203.0.114.0/24", ("203.0.114.0", 24)),
    ("2001:db8:3::/48", ("2001:db8:3::", 48)),
    ("2001:db8:4::/64", ("2001:db8:4::", 64)),
    ("2001:db8:a::/56", ("2001:db8:a::", 56)),
    ("2001:db8:77::/48", ("2001:db8:77::", 48)),
]

QTYPES = ["A", "AAAA"]
MIN_SAMPLES = 6
MAX_SAMPLES = 200


def example_profiles():
    """{file name: document} of every example profile."""
    return {p.name: json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))}


def props(doc):
    """The properties of a profile in either shape (ARM, or az's flat one)."""
    return doc.get("properties", doc)


def dns_name(g, doc):
    return fqdn(g, props(doc)["dnsConfig"]["relativeName"])


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    _require_binary()
    f = GtmdFactory(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("resolve-examples")
    (tmp / "latency.txt").write_text(LATENCY_TABLE)
    (tmp / "geo.txt").write_text(GEO_TABLE)
    g = start_api(f, tmp, profiles=example_profiles(),
                  extra=["--latency-table", str(tmp / "latency.txt"),
                         "--geo-table", str(tmp / "geo.txt")])
    yield g
    problems = f.teardown()
    assert not problems, "\n".join(problems)


def norm_name(text):
    return text.lower().rstrip(".") + "."


def dns_side(g, name, qtype, ecs):
    """The DNS answer as a comparable tuple."""
    if ecs:
        r = g.query(name, qtype, tcp=True, use_edns=0,
                    options=[dns.edns.ECSOption(ecs[0], ecs[1])])
        scope = [o.scopelen for o in r.options if isinstance(o, dns.edns.ECSOption)]
        scope = scope[0] if scope else None
    else:
        r = g.query(name, qtype, tcp=True)
        scope = None

    def records(section):
        return tuple(sorted((norm_name(rr.name.to_text()), dns.rdatatype.to_text(rr.rdtype),
                             rr.ttl, rd.to_text())
                            for rr in section for rd in rr))

    aa = bool(r.flags & dns.flags.AA)
    return (dns.rcode.to_text(r.rcode()), aa, records(r.answer), records(r.authority), scope)


def resolve_side(g, name, qtype, client, ecs):
    q = urllib.parse.urlencode({"name": name, "type": qtype, "client": client})
    rep = g.api.request("GET", "/gtmd/v1/resolve?" + q, api_version=None)
    assert rep.status == 200, rep
    j = rep.json

    def records(section):
        out = []
        for rr in section or []:
            data = rr["data"]
            if rr["type"] in ("CNAME", "NS", "PTR", "DNAME"):
                data = norm_name(data)
            out.append((norm_name(rr["name"]), rr["type"], rr["ttl"], data))
        return tuple(sorted(out))

    scope = j.get("ecsScope") if ecs else None
    return (j["rcode"], bool(j.get("authoritative")), records(j.get("answer")),
            records(j.get("authority")), scope)


def soa_text(records):
    """dnspython and ldns print a SOA alike but for the trailing dots of
    its names: compare SOA rdata by fields, names normalised."""
    out = []
    for owner, rtype, ttl, data in records:
        if rtype == "SOA":
            f = data.split()
            data = " ".join([norm_name(f[0]), norm_name(f[1])] + f[2:])
        out.append((owner, rtype, ttl, data))
    return tuple(out)


def comparable(t):
    rcode, aa, an, ns, scope = t
    return (rcode, aa, soa_text(an), soa_text(ns), scope)


def force_all(g, docs, status_of):
    """Drill overrides: status_of(profile, index) -> "Online" | "Degraded"
    for every endpoint that is probed (others answer 409)."""
    for doc in docs.values():
        prof = doc["name"]
        for i, ep in enumerate(props(doc)["endpoints"]):
            path = "/gtmd/v1/profiles/%s/endpoints/%s/override" % (prof, ep["name"])
            rep = g.api.request("PUT", path, body={"status": status_of(prof, i)},
                                api_version=None)
            assert rep.status in (200, 409), rep


def compare_all(g, docs):
    mismatches = []
    for doc in docs.values():
        name = dns_name(g, doc)
        for client, ecs in CLIENTS:
            for qtype in QTYPES:
                seen_dns, seen_resolve = set(), set()
                n = 0
                while n < MAX_SAMPLES:
                    # Every other round asks DNS twice, so that RoundRobin's
                    # cursor (shared by both) does not hand each side its own half.
                    for _ in range(1 + n % 2):
                        seen_dns.add(comparable(dns_side(g, name, qtype, ecs)))
                    seen_resolve.add(comparable(resolve_side(g, name, qtype, client, ecs)))
                    n += 1
                    if n >= MIN_SAMPLES and seen_dns == seen_resolve:
                        break
                if seen_dns != seen_resolve:
                    mismatches.append("%s %s client %s:\n  DNS     %s\n  resolve %s" % (
                        name, qtype, client, sorted(seen_dns), sorted(seen_resolve)))
    return mismatches


def test_every_example_profile_is_loaded(daemon):
    g = daemon
    docs = example_profiles()
    assert len(docs) >= 9
    for doc in docs.values():
        name = dns_name(g, doc)
        r = g.query(name, "A", tcp=True)
        assert dns.rcode.to_text(r.rcode()) != "REFUSED", name


@pytest.mark.parametrize("state", ["online", "first-degraded", "all-degraded"])
def test_resolve_equals_dns(daemon, state):
    g = daemon
    docs = example_profiles()
    rule = {
        "online": lambda prof, i: "Online",
        "first-degraded": lambda prof, i: "Degraded" if i == 0 else "Online",
        "all-degraded": lambda prof, i: "Degraded",
    }[state]
    force_all(g, docs, rule)
    mismatches = compare_all(g, docs)
    assert not mismatches, "\n".join(mismatches)
