"""Nested profiles (SPEC §5, reference §1.4, §1.9): a parent profile's
nested endpoint (targetResourceId naming another loaded profile) answers
with what the child chooses; it is up while the child has at least
minChildEndpoints endpoints Online, Stopped when the child is disabled;
loops and chains deeper than ten profiles are rejected at load.

Children use real local HTTP backends (backends.py, 127.0.0.21-127.0.0.99,
interval 1 s, timeout 1 s, toleratedNumberOfFailures 0); the parents'
external backups are `alwaysServe` endpoints on 127.0.6.x, never probed."""

import dns.edns
import dns.rcode
import dns.rdatatype
import pytest

from backends import (
    PROFILE_TYPE,
    addresses,
    endpoint,
    fqdn,
    poll,
    profile,
    rdatas,
    wait_transition,
)
from conftest import scaled, write_profile

NOERROR = dns.rcode.NOERROR
NXDOMAIN = dns.rcode.NXDOMAIN
NESTED = PROFILE_TYPE + "/nestedEndpoints"
BACKUP = "127.0.6.1"


def rid(name):
    return (
        "/subscriptions/x/resourceGroups/rg/providers/"
        "Microsoft.Network/trafficManagerProfiles/" + name
    )


def nested(name, child, **props):
    p = {"targetResourceId": rid(child), "endpointStatus": "Enabled"}
    p.update(props)
    return {"name": name, "type": NESTED, "properties": p}


def backup(priority=2, target=BACKUP):
    return endpoint("backup", target, priority=priority, alwaysServe="Enabled")


def child_profile(b1, b2, status="Enabled"):
    return profile(
        "child",
        "Weighted",
        [endpoint("b1", b1.host, weight=1), endpoint("b2", b2.host, weight=1)],
        port=b1.port,
        tolerated=0,
        status=status,
    )


def parent_profile(min_child=None, child="child", name="parent"):
    props = {"priority": 1}
    if min_child is not None:
        props["minChildEndpoints"] = min_child
    return profile(name, "Priority", [nested("to-child", child, **props), backup()])


def answers(g, name, n):
    """The set of answers (tuples of A records) of n queries."""
    return {tuple(addresses(g, name)) for _ in range(n)}


def wait_answers(g, name, pred, timeout=6):
    """Poll until a query answers addresses satisfying pred."""
    v, took = poll(lambda: pred(addresses(g, name)), scaled(timeout))
    assert took is not None, "never satisfied; last answer %r; log:\n%s" % (
        addresses(g, name), g.log)
    return took


def wait_online(g, labels):
    for label in labels:
        wait_transition(g, label, "CheckingEndpoint", "Online", timeout=5)


# --------------------------------------------------------------------------
# Answers from the child, failover to the parent's backup, recovery
# --------------------------------------------------------------------------


def test_parent_answers_from_child_fails_over_below_min_child_and_recovers(
        gtmd_factory, backends):
    b1, b2 = backends.http(2)
    g = gtmd_factory.start(profiles={
        "child": child_profile(b1, b2),
        "parent": parent_profile(min_child=2),
    })
    parent, child = fqdn(g, "parent"), fqdn(g, "child")
    wait_online(g, ["child/b1", "child/b2"])

    # the parent answers as the child does (one A record, a child's target)
    seen = answers(g, parent, 60)
    assert seen == {(b1.host,), (b2.host,)}, seen

    # one backend down: the child keeps 1 Online < minChildEndpoints 2, the
    # nested endpoint is Degraded, the parent fails over to priority 2
    b1.set(503)
    wait_transition(g, "child/b1", "Online", "Degraded", timeout=5)
    wait_answers(g, parent, lambda a: a == [BACKUP], timeout=3)
    assert answers(g, parent, 30) == {(BACKUP,)}
    # while the child itself still answers its healthy endpoint
    assert answers(g, child, 20) == {(b2.host,)}

    # recovery: both Online again, the parent answers from the child
    b1.ok()
    wait_transition(g, "child/b1", "Degraded", "Online", timeout=5)
    wait_answers(g, parent, lambda a: a != [BACKUP], timeout=3)
    seen = answers(g, parent, 60)
    assert seen == {(b1.host,), (b2.host,)}, seen


def test_min_child_one_serves_the_healthy_child_endpoint(gtmd_factory, backends):
    b1, b2 = backends.http(2)
    g = gtmd_factory.start(profiles={
        "child": child_profile(b1, b2),
        "parent": parent_profile(min_child=1),
    })
    parent = fqdn(g, "parent")
    wait_online(g, ["child/b1", "child/b2"])
    assert answers(g, parent, 60) == {(b1.host,), (b2.host,)}
    b2.set(503)
    wait_transition(g, "child/b2", "Online", "Degraded", timeout=5)
    # one Online child endpoint is enough: still the child, only b1
    assert answers(g, parent, 60) == {(b1.host,)}


def test_min_child_default_is_one(gtmd_factory, backends):
    b1, b2 = backends.http(2)
    g = gtmd_factory.start(profiles={
        "child": child_profile(b1, b2),
        "parent": parent_profile(min_child=None),
    })
    parent = fqdn(g, "parent")
    wait_online(g, ["child/b1", "child/b2"])
    b1.set(503)
    wait_transition(g, "child/b1", "Online", "Degraded", timeout=5)
    assert answers(g, parent, 40) == {(b2.host,)}
    # both down: the nested endpoint is Degraded, the backup answers
    b2.set(503)
    wait_transition(g, "child/b2", "Online", "Degraded", timeout=5)
    wait_answers(g, parent, lambda a: a == [BACKUP], timeout=3)
    assert answers(g, parent, 20) == {(BACKUP,)}


def test_disabled_child_makes_nested_endpoint_stopped(gtmd_factory):
    child = profile("child", "Priority", [
        endpoint("c1", "127.0.6.11", priority=1, alwaysServe="Enabled"),
    ], status="Disabled")
    enabled_child = profile("child2", "Priority", [
        endpoint("c1", "127.0.6.12", priority=1, alwaysServe="Enabled"),
    ])
    g = gtmd_factory.start(profiles={
        "child": child,
        "child2": enabled_child,
        "parent": parent_profile(child="child"),
        # control: the same parent over an enabled child answers from it
        "parent2": profile("parent2", "Priority", [
            nested("to-child", "child2", priority=1), backup(target="127.0.6.2")]),
        # Weighted: a Stopped endpoint is never drawn either
        "parent3": profile("parent3", "Weighted", [
            nested("to-child", "child", weight=1000),
            endpoint("other", "127.0.6.3", weight=1, alwaysServe="Enabled")]),
        # nothing but the Stopped nested endpoint: no answer from the child
        "parent4": profile("parent4", "Priority", [nested("to-child", "child")]),
    })
    assert answers(g, fqdn(g, "parent2"), 5) == {("127.0.6.12",)}
    assert answers(g, fqdn(g, "parent"), 30) == {(BACKUP,)}
    assert answers(g, fqdn(g, "parent3"), 60) == {("127.0.6.3",)}
    r = g.query(fqdn(g, "parent4"), "A")
    assert not rdatas(r), r
    assert r.rcode() in (NOERROR, NXDOMAIN)
    # the disabled child itself: NXDOMAIN, as ATM
    assert g.query(fqdn(g, "child"), "A").rcode() == NXDOMAIN


def test_geographic_parent_stopped_nested_endpoint_is_nodata(gtmd_factory, tmp_path):
    """Geographic: a matched endpoint that is Stopped (its child disabled)
    gives NODATA; no walk up to WORLD (reference §1.2)."""
    geo = tmp_path / "geo.txt"
    geo.write_text("192.0.2.0/24 FR\n198.51.100.0/24 US\n")
    g = gtmd_factory.start(
        profiles={
            "child": profile("child", "Priority", [
                endpoint("c1", "127.0.6.21", alwaysServe="Enabled")], status="Disabled"),
            "geo": profile("geo", "Geographic", [
                nested("fr", "child", geoMapping=["FR"]),
                endpoint("world", "127.0.6.22", geoMapping=["WORLD"], alwaysServe="Enabled"),
            ]),
        },
        extra=["--geo-table", str(geo)],
    )
    name = fqdn(g, "geo")
    us = dns.edns.ECSOption("198.51.100.0", 24)
    fr = dns.edns.ECSOption("192.0.2.0", 24)
    r = g.query(name, "A", use_edns=0, options=[us])
    assert rdatas(r) == ["127.0.6.22"]
    r = g.query(name, "A", use_edns=0, options=[fr])
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    assert not r.answer, r.answer
    assert [rr for rr in r.authority if rr.rdtype == dns.rdatatype.SOA]


def test_ecs_scope_comes_from_the_child(gtmd_factory, tmp_path):
    """A Priority parent over a Performance child: the child's routing (and
    its scope, the latency row's prefix) decides the answer."""
    lat = tmp_path / "latency.txt"
    lat.write_text("10.1.0.0/16 westeurope 10\n10.1.0.0/16 eastus 90\n"
                   "10.2.0.0/16 eastus 10\n10.2.0.0/16 westeurope 90\n")
    g = gtmd_factory.start(
        profiles={
            "perf": profile("perf", "Performance", [
                endpoint("we", "127.0.6.31", endpointLocation="West Europe",
                         alwaysServe="Enabled"),
                endpoint("us", "127.0.6.32", endpointLocation="East US",
                         alwaysServe="Enabled"),
            ]),
            "parent": profile("parent", "Priority", [nested("to-perf", "perf", priority=1),
                                                     backup()]),
        },
        extra=["--latency-table", str(lat)],
    )
    name = fqdn(g, "parent")
    for client, want in (("10.1.3.0", "127.0.6.31"), ("10.2.3.0", "127.0.6.32")):
        opt = dns.edns.ECSOption(client, 24)
        r = g.query(name, "A", use_edns=0, options=[opt])
        assert rdatas(r) == [want], (client, rdatas(r))
        (o,) = [x for x in r.options if x.otype == 8]
        assert (o.srclen, o.scopelen) == (24, 16), (client, o.srclen, o.scopelen)


# --------------------------------------------------------------------------
# Loops and depth, at load
# --------------------------------------------------------------------------


def leaf(name, target="127.0.6.41"):
    return profile(name, "Priority", [endpoint("leaf", target, alwaysServe="Enabled")])


def link(name, child):
    return profile(name, "Priority", [nested("down", child, priority=1)])


def check_config(gtmd_factory, tmp_path, profiles):
    pdir = tmp_path / "profiles"
    pdir.mkdir()
    for n, doc in profiles.items():
        write_profile(pdir, n, doc)
    return gtmd_factory.run(["--check-config", "--profiles", pdir, "--domain", "tm.test"])


@pytest.mark.parametrize(
    "chain",
    [["a", "b", "a"], ["a", "a"], ["a", "b", "c", "a"]],
    ids=["a-b-a", "self", "a-b-c-a"],
)
def test_loop_rejected_naming_the_chain(gtmd_factory, tmp_path, chain):
    profs = {n: link(n, c) for n, c in zip(chain, chain[1:])}
    # a profile that is fine on its own, next to the loop
    profs["ok"] = leaf("ok")
    p = check_config(gtmd_factory, tmp_path, profs)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    out = p.stdout + p.stderr
    assert "loop" in out, out
    # the chain, from wherever the search entered the cycle
    cycle = chain[:-1]
    rotations = [cycle[i:] + cycle[:i] for i in range(len(cycle))]
    texts = [" -> ".join(r + r[:1]) for r in rotations]
    assert any(t in out for t in texts), (texts, out)


def test_loop_rejected_at_start(gtmd_factory):
    """gtmd refuses to start on a loop (exit 1), not only --check-config."""
    g = gtmd_factory.start(
        profiles={"a": link("a", "b"), "b": link("b", "a")}, wait=False)
    g.expected_exit = 1
    rc = g.wait(timeout=10)
    assert rc == 1, (rc, g.log)
    assert "a -> b -> a" in g.log or "b -> a -> b" in g.log, g.log


def chain_of(n):
    """p1 -> p2 -> ... -> pn (pn a leaf): n profiles in the chain."""
    profs = {"p%d" % i: link("p%d" % i, "p%d" % (i + 1)) for i in range(1, n)}
    profs["p%d" % n] = leaf("p%d" % n)
    return profs


def test_depth_ten_accepted_and_served(gtmd_factory, tmp_path):
    profs = chain_of(10)
    p = check_config(gtmd_factory, tmp_path, profs)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    g = gtmd_factory.start(profiles=profs)
    assert addresses(g, fqdn(g, "p1")) == ["127.0.6.41"]
    assert addresses(g, fqdn(g, "p5")) == ["127.0.6.41"]


def test_depth_eleven_rejected(gtmd_factory, tmp_path):
    p = check_config(gtmd_factory, tmp_path, chain_of(11))
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    out = p.stdout + p.stderr
    assert "p1 -> p2" in out and "p10 -> p11" in out, out
    assert "deep" in out or "levels" in out, out
