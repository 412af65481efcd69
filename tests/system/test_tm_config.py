"""Profile files (SPEC §2-§3, reference §2): the reference example in both
shapes, --check-config messages, --strict, and SIGHUP reloads of profiles
(new endpoints and profiles served, broken files rejected whole, endpoint
state kept across a reload)."""

import copy
import json
import re
import signal
import time


from backends import (
    Watcher,
    addresses,
    count_log,
    endpoint,
    fqdn,
    profile,
    to_arm,
    transition_rx,
    wait_transition,
)
from conftest import LOOPBACK4, free_port, make_query, scaled, write_profile

# reference/features.md §2.2, verbatim: `az network traffic-manager profile
# show` output (the flattened shape).
REFERENCE_EXAMPLE = r"""{
  "allowedEndpointRecordTypes": [ "DomainName" ],
  "dnsConfig": {
    "fqdn": "contoso-dr.trafficmanager.net",
    "relativeName": "contoso-dr",
    "ttl": 30
  },
  "endpoints": [
    {
      "alwaysServe": "Disabled",
      "customHeaders": [ { "name": "Host", "value": "app.contoso.com" } ],
      "endpointLocation": "West Europe",
      "endpointMonitorStatus": "Online",
      "endpointStatus": "Enabled",
      "geoMapping": null,
      "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.Network/trafficManagerProfiles/contoso-dr/externalEndpoints/primary-weu",
      "minChildEndpoints": null,
      "minChildEndpointsIPv4": null,
      "minChildEndpointsIPv6": null,
      "name": "primary-weu",
      "priority": 1,
      "resourceGroup": "rg-dr",
      "subnets": null,
      "target": "app-weu.contoso.com",
      "targetResourceId": null,
      "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
      "weight": 1
    },
    {
      "alwaysServe": "Disabled",
      "customHeaders": [ { "name": "Host", "value": "app.contoso.com" } ],
      "endpointLocation": "North Europe",
      "endpointMonitorStatus": "Online",
      "endpointStatus": "Enabled",
      "geoMapping": null,
      "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.Network/trafficManagerProfiles/contoso-dr/externalEndpoints/secondary-neu",
      "minChildEndpoints": null,
      "minChildEndpointsIPv4": null,
      "minChildEndpointsIPv6": null,
      "name": "secondary-neu",
      "priority": 2,
      "resourceGroup": "rg-dr",
      "subnets": null,
      "target": "app-neu.contoso.com",
      "targetResourceId": null,
      "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
      "weight": 1
    }
  ],
  "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.Network/trafficManagerProfiles/contoso-dr",
  "location": "global",
  "maxReturn": null,
  "monitorConfig": {
    "customHeaders": [ { "name": "X-Probe", "value": "atm" } ],
    "expectedStatusCodeRanges": [ { "max": 299, "min": 200 } ],
    "intervalInSeconds": 30,
    "path": "/healthz",
    "port": 443,
    "profileMonitorStatus": "Online",
    "protocol": "HTTPS",
    "timeoutInSeconds": 10,
    "toleratedNumberOfFailures": 3
  },
  "name": "contoso-dr",
  "profileStatus": "Enabled",
  "resourceGroup": "rg-dr",
  "tags": { "purpose": "dr-switch" },
  "trafficRoutingMethod": "Priority",
  "trafficViewEnrollmentStatus": "Disabled",
  "type": "Microsoft.Network/trafficManagerProfiles"
}
"""

RELOAD_RX = r"reload: (?:serving|\d+ error)"


def reload(g, timeout=5, wait_ready=True):
    """SIGHUP, then wait for the reload's outcome; returns its log line.
    Waits for the "gtmd: ready" line first (see test_sighup_as_soon_as_dns_answers)."""
    if wait_ready:
        g.wait_log(r"gtmd: ready")
    before = len(re.findall(RELOAD_RX, g.log))
    g.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        lines = re.findall(RELOAD_RX + r".*", g.log)
        if len(lines) > before:
            return lines[before]
        if not g.alive():
            break
        time.sleep(0.02)
    raise AssertionError(
        "no reload outcome logged (gtmd exit code %r); log:\n%s" % (g.proc.poll(), g.log)
    )


def check_config(gtmd_factory, pdir, *extra):
    return gtmd_factory.run(
        ["--check-config", "--profiles", str(pdir), "--domain", "tm.test"] + list(extra)
    )


# --------------------------------------------------------------------------
# The reference example, both shapes
# --------------------------------------------------------------------------


def test_reference_example_check_config(gtmd_factory, tmp_path):
    flat = json.loads(REFERENCE_EXAMPLE)
    for shape, text in (("az", REFERENCE_EXAMPLE), ("arm", json.dumps(to_arm(flat), indent=2))):
        d = tmp_path / shape
        d.mkdir()
        (d / "contoso-dr.json").write_text(text)
        for extra in ([], ["--strict"]):
            r = check_config(gtmd_factory, d, *extra)
            assert r.returncode == 0, (shape, extra, r.stdout, r.stderr)
            assert "configuration OK" in r.stdout and "1 profiles" in r.stdout, r.stdout
            assert "error" not in r.stderr, r.stderr


def _lab_copy(doc, prim, sec):
    """The example pointed at local backends, probed every second."""
    d = copy.deepcopy(doc)
    props = d.get("properties", d)
    props["monitorConfig"].update(port=prim.port, intervalInSeconds=1, timeoutInSeconds=1)
    for e, be in zip(props["endpoints"], (prim, sec)):
        ep = e.get("properties", e)
        ep["target"] = be.host
    return d


def test_reference_example_serves_in_both_shapes(gtmd_factory, backends):
    flat = json.loads(REFERENCE_EXAMPLE)
    arm = to_arm(flat)
    arm["name"] = "contoso-dr-arm"
    arm["properties"]["dnsConfig"]["relativeName"] = "contoso-dr-arm"
    p1, s1 = backends.http(2, tls=True)
    p2, s2 = backends.http(2, tls=True)
    # expectedStatusCodeRanges 200-299: a 204 or a 299 is a success
    p1.set(204)
    p2.set(299)
    g = gtmd_factory.start(
        profiles={
            "contoso-dr": _lab_copy(flat, p1, s1),
            "contoso-dr-arm": _lab_copy(arm, p2, s2),
        }
    )
    for prof, code in (("contoso-dr", 204), ("contoso-dr-arm", 299)):
        g.wait_log(
            transition_rx(prof + "/primary-weu", "CheckingEndpoint", "Online") + ": HTTP %d" % code
        )
        wait_transition(g, prof + "/secondary-neu", "CheckingEndpoint", "Online")
    for rel, prim in (("contoso-dr", p1), ("contoso-dr-arm", p2)):
        r = g.query(fqdn(g, rel), "A")
        assert [(rr.ttl, rd.to_text()) for rr in r.answer for rd in rr] == [(30, prim.host)]
    for be in (p1, s1, p2, s2):
        req = be.wait_requests(1)[0]
        assert req.path == "/healthz", req
        assert req.header_all("Host") == ["app.contoso.com"], req
        assert req.header_all("X-Probe") == ["atm"], req
    # the example's HTTPS probe went to the backends' (self-signed) TLS
    assert all(be.kind == "https" for be in (p1, s1, p2, s2))


# --------------------------------------------------------------------------
# --check-config messages and --strict
# --------------------------------------------------------------------------


def test_check_config_reports_each_error(gtmd_factory, tmp_path):
    d = tmp_path / "profiles"
    d.mkdir()
    bad_arm = profile(
        "bad-arm",
        "Weighted",
        [endpoint("a", "127.0.0.31", weight=2), endpoint("b", "127.0.0.32", weight=0)],
        port=8080,
        monitor={"protocol": "FTP"},
    )
    write_profile(d, "bad-arm", bad_arm)
    bad_flat = {
        "name": "bad-flat",
        "trafficRoutingMethod": "Priority",
        "dnsConfig": {"relativeName": "bad-flat", "ttl": -1},
        "monitorConfig": {"protocol": "HTTP", "port": 80, "path": "/"},
        "endpoints": [
            {"name": "x", "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints"}
        ],
    }
    write_profile(d, "bad-flat", bad_flat)
    write_profile(d, "syntax", '{"name": "syntax",\n  "properties": {\n   "x": ,\n}}\n')
    write_profile(d, "fine", profile("fine", "Priority", [endpoint("e", "127.0.0.33")]))
    r = check_config(gtmd_factory, d)
    assert r.returncode == 1, (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    expected = [
        "%s/bad-arm.json: error: properties.monitorConfig.protocol: 'FTP' is not one of "
        "HTTP, HTTPS, TCP" % d,
        "%s/bad-arm.json: error: properties.endpoints[1].properties.weight: 0 out of range "
        "[1, 1000]" % d,
        "%s/bad-flat.json: error: dnsConfig.ttl: -1 out of range [0, 2147483647]" % d,
        "%s/bad-flat.json: error: endpoints[0].target: required for external endpoints" % d,
    ]
    for line in expected:
        assert line in lines, (line, r.stderr)
    syntax = [x for x in lines if x.startswith("%s/syntax.json:" % d)]
    assert len(syntax) == 1 and re.match(
        r".*/syntax\.json:3: error: column 9: \S", syntax[0]
    ), r.stderr
    assert "gtmd: 5 error(s)" in lines, r.stderr
    assert "fine.json: error" not in r.stderr


def test_strict_rejects_lab_interval(gtmd_factory, tmp_path):
    d = tmp_path / "profiles"
    d.mkdir()
    f = write_profile(d, "fast", profile("fast", "Priority", [endpoint("e", "127.0.0.34")]))
    msg = "properties.monitorConfig.intervalInSeconds: 1 is not one of Azure's intervals (10, 30)"
    r = check_config(gtmd_factory, d)
    assert r.returncode == 0, r.stderr
    assert "%s: warning: %s" % (f, msg) in r.stderr, r.stderr
    r = check_config(gtmd_factory, d, "--strict")
    assert r.returncode == 1, r.stderr
    assert "%s: error: %s" % (f, msg) in r.stderr.splitlines(), r.stderr
    # the daemon itself refuses to start with --strict
    port = free_port()
    r = gtmd_factory.run(
        ["--listen", "%s:%d" % (LOOPBACK4, port), "--domain", "tm.test",
         "--profiles", str(d), "--strict"]
    )
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert msg in r.stderr, r.stderr


# --------------------------------------------------------------------------
# SIGHUP
# --------------------------------------------------------------------------


def test_sighup_as_soon_as_dns_answers(gtmd_factory):
    """Once gtmd answers queries, a SIGHUP must reload, never kill it. Ten
    starts, each signalled right after the first answer."""
    doc = profile("early", "Priority", [endpoint("e", "127.0.0.35", alwaysServe="Enabled")])
    for attempt in range(10):
        g = gtmd_factory.start(profiles={"early": doc}, wait=False)
        g.expected_exit = None  # checked here, not by the fixture
        wire = make_query("tm.test", "SOA").to_wire()
        deadline = time.monotonic() + scaled(10)
        while True:
            try:
                if g.udp_raw(wire, timeout=0.005) is not None:
                    break
            except OSError:  # not bound yet: ICMP port unreachable
                pass
            assert g.alive() and time.monotonic() < deadline, g.log
        line = reload(g, wait_ready=False)
        assert line.startswith("reload: serving"), line
        assert addresses(g, fqdn(g, "early")) == ["127.0.0.35"]
        assert g.stop() == 0, g.log


def test_sighup_new_endpoint_is_served(gtmd_factory, backends):
    a, b = backends.http(2)
    doc = profile("grow", "Priority", [endpoint("b", b.host, priority=2)], port=b.port)
    g = gtmd_factory.start(profiles={"grow": doc})
    name = fqdn(g, "grow")
    wait_transition(g, "grow/b", "CheckingEndpoint", "Online")
    assert addresses(g, name) == [b.host]
    doc["properties"]["endpoints"].insert(0, endpoint("a", a.host, priority=1))
    write_profile(g.profiles_dir, "grow", doc)
    line = reload(g)
    assert line.startswith("reload: serving"), line
    # a new endpoint is CheckingEndpoint, which counts as up
    assert addresses(g, name) == [a.host]
    wait_transition(g, "grow/a", "CheckingEndpoint", "Online", timeout=4)
    assert addresses(g, name) == [a.host]
    assert a.requests
    # b was not touched: its probe and state were kept
    assert count_log(g, transition_rx("grow/b", r"\w+", r"\w+")) == 1, g.log


def test_sighup_broken_profile_keeps_serving(gtmd_factory, backends):
    a, b = backends.http(2)
    doc = profile("keep", "Priority", [endpoint("e", a.host)], port=a.port)
    g = gtmd_factory.start(profiles={"keep": doc})
    name = fqdn(g, "keep")
    assert addresses(g, name) == [a.host]
    path = g.profiles_dir / "keep.json"

    # 1. a JSON syntax error
    write_profile(g.profiles_dir, "keep", '{"name": "keep",\n "properties": {\n  oops\n}}\n')
    line = reload(g)
    assert re.match(r"reload: 1 error\(s\)", line), line
    assert re.search(r"%s:3: error: column \d+: " % re.escape(str(path)), g.log), g.log
    assert addresses(g, name) == [a.host]

    # 2. a bad value
    bad = json.loads(json.dumps(doc))
    bad["properties"]["endpoints"][0]["properties"].update(target=b.host, weight=0)
    write_profile(g.profiles_dir, "keep", bad)
    line = reload(g)
    assert re.match(r"reload: 1 error\(s\)", line), line
    assert (
        "%s: error: properties.endpoints[0].properties.weight: 0 out of range [1, 1000]" % path
        in g.log
    ), g.log
    assert addresses(g, name) == [a.host]

    # 3. a good change next to a broken new file: rejected whole
    good = json.loads(json.dumps(doc))
    good["properties"]["endpoints"][0]["properties"]["target"] = b.host
    write_profile(g.profiles_dir, "keep", good)
    other = write_profile(g.profiles_dir, "other", "[1, 2")
    line = reload(g)
    assert re.match(r"reload: 1 error\(s\)", line), line
    assert re.search(r"%s:\d+: error: " % re.escape(str(other)), g.log), g.log
    assert addresses(g, name) == [a.host]

    # 4. fixed: the new configuration is served
    other.unlink()
    line = reload(g)
    assert line.startswith("reload: serving"), line
    assert addresses(g, name) == [b.host]
    assert g.alive()


def test_reload_keeps_endpoint_state_and_adds_profile(gtmd_factory, backends):
    prim, sec = backends.http(2)
    (c,) = backends.http(1)
    prio = profile(
        "prio",
        "Priority",
        [endpoint("primary", prim.host, priority=1), endpoint("secondary", sec.host, priority=2)],
        port=prim.port,
    )
    g = gtmd_factory.start(profiles={"prio": prio})
    name = fqdn(g, "prio")
    wait_transition(g, "prio/primary", "CheckingEndpoint", "Online")
    wait_transition(g, "prio/secondary", "CheckingEndpoint", "Online")
    prim.set(503)
    wait_transition(g, "prio/primary", "Online", "Degraded", timeout=6)
    assert addresses(g, name) == [sec.host]

    # a reload that leaves prio's endpoints alone and adds a profile
    write_profile(
        g.profiles_dir, "added", profile("added", "Priority", [endpoint("c", c.host)], port=c.port)
    )
    with Watcher(g, [name]) as w:
        t0 = time.monotonic()
        line = reload(g)
        t1 = time.monotonic()
        assert line.startswith("reload: serving"), line
        assert addresses(g, fqdn(g, "added")) == [c.host]
        # without new failures (the next ones need 2+ s): still Degraded
        time.sleep(0.8)
    samples = w.get(name, t0)
    assert [s for s in samples if s[0] >= t1], samples
    assert all(s[1] == "NOERROR" and s[2] == (sec.host,) for s in samples), samples
    # no transition of prio's endpoints since (Online->Degraded was the last)
    assert count_log(g, transition_rx("prio/primary", r"\w+", r"\w+")) == 2, g.log
    assert count_log(g, transition_rx("prio/secondary", r"\w+", r"\w+")) == 1, g.log
    wait_transition(g, "added/c", "CheckingEndpoint", "Online", timeout=4)

    # a reload changing nothing keeps every state as well
    any_transition = r"monitor: endpoint \S+ \w+ -> \w+"
    before = count_log(g, any_transition)
    with Watcher(g, [name, fqdn(g, "added")]) as w:
        t0 = time.monotonic()
        line = reload(g)
        assert line.startswith("reload: serving"), line
        time.sleep(0.8)
    assert all(s[2] == (sec.host,) for s in w.get(name, t0)), w.get(name, t0)
    assert all(s[2] == (c.host,) for s in w.get(fqdn(g, "added"), t0))
    assert count_log(g, any_transition) == before, g.log
