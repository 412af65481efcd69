"""Fleet mode (SPEC §11): several gtmd share profiles, health verdicts and
drills (and their DNS cookie secret) through a real etcd (Debian etcd-server, started by the test on free
loopback ports, see etcd.py) and give one answer.

Every node is a real gtmd with its own state, profiles directory (its cache)
and API, and probes from its own --probe-source (127.0.0.11-13); the
backends answer by the probe's source address (HttpBackend.fail_sources), so
a test can make an endpoint fail as seen from one node, two, or all.
Profiles probe every second and call an endpoint Degraded at its first
failure, so that the lease (3 x the interval, at least 10 s) is the longest
wait."""

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import dns.edns
import dns.message
import dns.rcode
import pytest

from armapi import Api, TOKEN, rg_path, start_api
from backends import endpoint, poll, profile, rdatas, Watcher
from conftest import GTMD, LOOPBACK4, scaled

PREFIX = "/gtmd-test/"
SOURCES = ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
GTMCTL = str(Path(GTMD).with_name("gtmctl"))

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/etcd"), reason="no etcd")
# The three-member cluster cases run once per CI run, not again under the
# sanitizers (.ci/run sets GTM_SKIP_SLOW there); the one-member cases do.
slow = pytest.mark.skipif(os.environ.get("GTM_SKIP_SLOW") == "1",
                          reason="slow: run in the plain pass only (GTM_SKIP_SLOW=1)")


def node_argv(cluster, name, src, quorum=None, urls=None):
    argv = ["--etcd", urls or cluster.urls_arg(), "--etcd-prefix", PREFIX, "--node", name,
            "--probe-source", src]
    if quorum:
        argv += ["--quorum", str(quorum)]
    return argv


def start_node(gtmd_factory, tmp_path, cluster, i, profiles=None, extra=(), quorum=None,
               urls=None):
    d = Path(tmp_path) / ("node%d" % (i + 1))
    d.mkdir(exist_ok=True)
    g = start_api(gtmd_factory, d, profiles=profiles,
                  extra=node_argv(cluster, "n%d" % (i + 1), SOURCES[i], quorum, urls) +
                  list(extra))
    g.node = "n%d" % (i + 1)
    return g


def start_fleet(gtmd_factory, tmp_path, cluster, n=3, **kw):
    nodes = [start_node(gtmd_factory, tmp_path, cluster, i, **kw) for i in range(n)]
    for g in nodes:
        g.wait_log(r"fleet: in step with etcd", timeout=10)
    return nodes


def app(b1, b2, name="app"):
    """A Priority profile: primary on b1, secondary on b2, probed every
    second, Degraded at the first failure."""
    return profile(name, "Priority",
                   [endpoint("primary", b1.host, priority=1),
                    endpoint("secondary", b2.host, priority=2)],
                   port=b1.port, interval=1, timeout=1, tolerated=0, ttl=5)


def answer(g, name="app"):
    try:
        r = g.query("%s.%s." % (name, g.domain.rstrip(".")), "A", timeout=1)
    except Exception:  # noqa: BLE001 - a lost packet is "no answer"
        return None
    if r.rcode() != dns.rcode.NOERROR:
        return dns.rcode.to_text(r.rcode())
    return tuple(rdatas(r))


def wait_all(nodes, want, name="app", timeout=10):
    """Every node answers want (a tuple of addresses, or an rcode text)."""
    got, t = poll(lambda: all(answer(g, name) == want for g in nodes), scaled(timeout), 0.05)
    assert got, "not every node answers %r for %s: %r" % (
        want, name, [answer(g, name) for g in nodes])
    return t


def put_profile(g, doc, name="app"):
    return g.api.put(rg_path(name), doc)


def status_endpoint(g, pname, ename):
    st = g.api.get("/gtmd/v1/status", api_version=None).json
    for p in st["profiles"]:
        if p["name"] == pname:
            for e in p["endpoints"]:
                if e["name"] == ename:
                    return e
    return None


# ---- profiles ----


def test_a_write_through_one_node_is_served_by_all_and_a_delete_removes_it_everywhere(
        gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    nodes = start_fleet(gtmd_factory, tmp_path, cluster)
    r = put_profile(nodes[0], app(b1, b2))
    assert r.status in (200, 201), r
    # committed to etcd before the reply
    stored = cluster.get(PREFIX + "profiles/app")
    assert stored and json.loads(stored)["name"] == "app"
    wait_all(nodes, (b1.host,))
    # every node's cache holds it
    for g in nodes:
        assert (g.pdir / "app.json").exists()
    # a delete through another node disappears from all
    r = nodes[1].api.delete(rg_path("app"))
    assert r.status in (200, 204), r
    assert cluster.get(PREFIX + "profiles/app") is None
    wait_all(nodes, "NXDOMAIN")
    for g in nodes:
        assert not (g.pdir / "app.json").exists()


def test_a_deleted_profile_can_be_created_again_through_any_node(gtmd_factory, backends,
                                                                 etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    nodes = start_fleet(gtmd_factory, tmp_path, cluster, n=2)
    for deleter, creator in ((0, 0), (0, 1), (1, 0)):
        r = put_profile(nodes[creator], app(b1, b2))
        assert r.status in (200, 201), r
        wait_all(nodes, (b1.host,))
        r = nodes[deleter].api.delete(rg_path("app"))
        assert r.status in (200, 204), r
        wait_all(nodes, "NXDOMAIN")
    r = put_profile(nodes[0], app(b2, b1))
    assert r.status in (200, 201), r
    wait_all(nodes, (b2.host,))


def test_an_empty_etcd_does_not_empty_the_nodes(gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    g = start_node(gtmd_factory, tmp_path, cluster, 0, profiles={"app": app(b1, b2)})
    g.wait_log(r"fleet: etcd holds no profile under /gtmd-test/: keeping the profiles", timeout=10)
    g.wait_log(r"fleet: in step with etcd", timeout=5)
    assert answer(g) == (b1.host,)
    assert (g.pdir / "app.json").exists()
    # once etcd holds a profile, it is the truth: what it lacks goes
    cluster.put(PREFIX + "profiles/web", json.dumps(app(b2, b1, name="web")))
    g.stop()
    g.start()
    g.wait_ready()
    g.wait_log(r"fleet: profile app is not in etcd", timeout=10)
    wait_all([g], "NXDOMAIN")
    wait_all([g], (b2.host,), name="web")


def test_concurrent_writers_the_later_commit_wins_whole(gtmd_factory, backends, etcd_cluster,
                                                        tmp_path):
    cluster = etcd_cluster(1)
    b = backends.http(4)
    nodes = start_fleet(gtmd_factory, tmp_path, cluster, n=2)
    assert put_profile(nodes[0], app(b[0], b[1])).status in (200, 201)
    wait_all(nodes, (b[0].host,))
    docs = [app(b[0], b[1]), app(b[2], b[3])]
    docs[0]["properties"]["dnsConfig"]["ttl"] = 7
    docs[1]["properties"]["dnsConfig"]["ttl"] = 9
    for _ in range(5):
        replies = [None, None]

        def write(i):
            replies[i] = put_profile(nodes[i], docs[i])

        ts = [threading.Thread(target=write, args=(i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        codes = sorted(r.status for r in replies)
        # each is either committed, or refused with 409 because the other
        # committed first: never both half-applied
        assert all(c in (200, 201, 409) for c in codes), replies
        assert any(c in (200, 201) for c in codes), replies
        stored = json.loads(cluster.get(PREFIX + "profiles/app"))
        ttl = stored["properties"]["dnsConfig"]["ttl"]
        targets = sorted(e["properties"]["target"] for e in stored["properties"]["endpoints"])
        want = docs[0] if ttl == 7 else docs[1]
        assert targets == sorted(e["properties"]["target"] for e in want["properties"]["endpoints"])
        # every node serves exactly what etcd holds
        first = [e["properties"]["target"] for e in want["properties"]["endpoints"]
                 if e["properties"]["priority"] == 1][0]
        wait_all(nodes, (first,))
        for g in nodes:
            doc = json.loads((g.pdir / "app.json").read_text())
            assert doc["properties"]["dnsConfig"]["ttl"] == ttl


def test_import_puts_existing_files_into_etcd(gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    src = tmp_path / "import"
    src.mkdir()
    (src / "app.json").write_text(json.dumps(app(b1, b2)))
    (src / "web.json").write_text(json.dumps(app(b2, b1, name="web")))
    (src / "broken.json").write_text("{not json")
    r = subprocess.run([GTMCTL, "fleet", "import", str(src), "--etcd", cluster.urls_arg(),
                        "--etcd-prefix", PREFIX], capture_output=True, text=True,
                       timeout=scaled(20))
    # the broken file is named and not imported; the others are
    assert r.returncode != 0, r
    assert "broken.json" in r.stderr
    assert cluster.get(PREFIX + "profiles/app") is not None
    assert cluster.get(PREFIX + "profiles/web") is not None
    assert cluster.get(PREFIX + "profiles/broken") is None
    # once: an existing key is kept, and said so
    r = subprocess.run([GTMCTL, "fleet", "import", str(src / "app.json"), "--etcd",
                        cluster.urls_arg(), "--etcd-prefix", PREFIX], capture_output=True,
                       text=True, timeout=scaled(20))
    assert "exists" in (r.stdout + r.stderr)
    nodes = start_fleet(gtmd_factory, tmp_path, cluster, n=2)
    wait_all(nodes, (b1.host,))
    wait_all(nodes, (b2.host,), name="web")


def test_a_node_started_while_etcd_is_down_serves_its_cache_and_catches_up(
        gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b2, b1)))
    cluster.stop_all()
    # its cache says b1 first; etcd (when it comes) says b2 first
    g = start_node(gtmd_factory, tmp_path, cluster, 0, profiles={"app": app(b1, b2)})
    wait_all([g], (b1.host,))
    g.wait_log(r"fleet: cannot reach etcd", timeout=10)
    assert answer(g) == (b1.host,)
    # an API write cannot be committed: 503, nothing changed
    r = put_profile(g, app(b2, b1))
    assert r.status == 503, r
    assert r.json["error"]["code"] == "ServiceUnavailable"
    assert answer(g) == (b1.host,)
    cluster.start_all()
    cluster.wait_healthy(20)
    g.wait_log(r"fleet: in step with etcd", timeout=20)
    wait_all([g], (b2.host,))
    assert json.loads((g.pdir / "app.json").read_text())["properties"]["endpoints"][0][
        "properties"]["target"] == b2.host


# ---- health from several places ----


@slow
def test_quorum_one_node_of_three_failing_does_not_fail_over_two_do(
        gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b1, b2)))
    nodes = start_fleet(gtmd_factory, tmp_path, cluster)
    wait_all(nodes, (b1.host,))
    # every node's verdict reaches every node
    poll(lambda: all(len((status_endpoint(g, "app", "primary") or {}).get("fleet", {}).get(
        "nodes", {})) == 3 for g in nodes), scaled(10))
    # the primary fails only for node 1's probes: no failover anywhere
    b1.fail_sources([SOURCES[0]])
    nodes[0].wait_log(r"monitor: endpoint app/primary probed Degraded here", timeout=10)
    time.sleep(2)
    for g in nodes:
        assert answer(g) == (b1.host,)
    # resolve shows the disagreement, and each node's verdict
    res = nodes[2].api.get("/gtmd/v1/resolve?name=app.%s" % nodes[2].domain.rstrip("."),
                           api_version=None).json
    prim = [e for e in res["profiles"][0]["endpoints"] if e["name"] == "primary"][0]
    assert prim["fleet"]["disagree"] is True
    assert prim["fleet"]["nodes"]["n1"]["state"] == "Degraded"
    assert prim["fleet"]["nodes"]["n2"]["state"] == "Online"
    assert prim["fleet"]["quorum"] == 2
    metrics = nodes[1].api.get("/metrics", api_version=None).raw
    assert re.search(r"^gtmd_fleet_verdict_disagreements 1$", metrics, re.M), metrics
    assert re.search(r"^gtmd_fleet_live_nodes 3$", metrics, re.M), metrics
    page = nodes[1].api.get("/", api_version=None, headers={"Accept": "text/html"}).raw
    assert re.search(r"fleet 1 of 3 Degraded \(quorum 2\):( n\d \w+){3}</span>", page), page
    assert "n1 Degraded" in page and "n2 Online" in page, page
    # two of three: every node fails over
    b1.fail_sources(SOURCES[:2])
    wait_all(nodes, (b2.host,))
    for g in nodes:
        g.wait_log(r"monitor: endpoint app/primary Online -> Degraded.*fleet: 2 of 3", timeout=5)
    # node 2 killed with -9: its vote goes with its lease; 1 of 2 is no
    # majority, so the primary is back on the survivors
    os.kill(nodes[1].pid, signal.SIGKILL)
    nodes[1].proc.wait(5)
    nodes[1].expected_exit = None
    t0 = time.monotonic()
    wait_all([nodes[0], nodes[2]], (b1.host,), timeout=25)
    waited = time.monotonic() - t0
    assert waited > 3, "the dead node's vote went before its lease could expire (%.1f s)" % waited
    b1.fail_sources([])


def test_drills_apply_fleet_wide(gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b1, b2)))
    nodes = start_fleet(gtmd_factory, tmp_path, cluster)
    wait_all(nodes, (b1.host,))
    path = "/gtmd/v1/profiles/app/endpoints/primary/override"
    r = nodes[0].api.put(path, {"status": "Degraded"}, api_version=None)
    assert r.status == 200, r
    assert json.loads(cluster.get(PREFIX + "overrides/app/primary"))["status"] == "Degraded"
    wait_all(nodes, (b2.host,))
    for g in nodes:
        assert g.api.get(path, api_version=None).json["override"] == "Degraded"
    # cleared through another node
    r = nodes[2].api.delete(path, api_version=None)
    assert r.status == 200, r
    wait_all(nodes, (b1.host,))
    assert cluster.get(PREFIX + "overrides/app/primary") is None


def test_nsid_names_the_node_and_gtmctl_fleet_lists_the_nodes(gtmd_factory, backends,
                                                              etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b1, b2)))
    nodes = start_fleet(gtmd_factory, tmp_path, cluster, n=2)
    for g in nodes:
        out = subprocess.run(["kdig", "@%s" % LOOPBACK4, "-p", str(g.port), "+nsid",
                              "app.%s" % g.domain.rstrip("."), "A"], capture_output=True,
                             text=True, timeout=10).stdout
        assert re.search(r'NSID: .*"%s"' % g.node, out), out
    poll(lambda: len(nodes[0].api.get("/gtmd/v1/fleet", api_version=None).json["nodes"]) == 2,
         scaled(10))
    # both nodes' verdicts on both endpoints have reached node 1
    def both_online(e):
        v = (status_endpoint(nodes[0], "app", e) or {}).get("fleet", {}).get("nodes", {})
        return len(v) == 2 and all(x["state"] == "Online" for x in v.values())

    got, _ = poll(lambda: both_online("primary") and both_online("secondary"), scaled(10))
    assert got
    r = subprocess.run([GTMCTL, "--api", "https://%s:%d" % (LOOPBACK4, nodes[0].api_port),
                        "--insecure", "fleet"], capture_output=True, text=True,
                       timeout=scaled(20), env=dict(os.environ, GTMCTL_TOKEN=TOKEN))
    assert r.returncode == 0, r.stderr
    assert "n1" in r.stdout and "n2" in r.stdout, r.stdout
    assert "primary" in r.stdout, r.stdout
    print(r.stdout)
    # each endpoint's row: the fleet's verdict, Degraded votes / quorum, each node's
    assert re.search(r"^app\s+primary\s+Online\s+0/2\s+Online\s+Online\s*$", r.stdout, re.M), \
        r.stdout


def test_hooks_run_for_fleet_transitions_with_the_node_name(gtmd_factory, backends,
                                                           etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b1, b2)))
    out = tmp_path / "hook.out"
    hook = tmp_path / "hook.sh"
    hook.write_text('#!/bin/sh\necho "$GTMD_NODE|$GTMD_ENDPOINT|$GTMD_NEW_STATE" >> %s\n' % out)
    hook.chmod(0o755)
    nodes = [start_node(gtmd_factory, tmp_path, cluster, i, extra=["--on-change", str(hook)])
             for i in range(2)]
    wait_all(nodes, (b1.host,))
    b1.fail_sources(SOURCES[:2])
    wait_all(nodes, (b2.host,))
    got, _ = poll(lambda: out.exists() and {"n1|primary|Degraded", "n2|primary|Degraded"} <= set(
        out.read_text().split()), scaled(10))
    assert got, out.read_text() if out.exists() else "no hook ran"


# ---- etcd faults never darken DNS ----


@slow
def test_the_etcd_leader_stopped_answers_continue_and_writes_resume(
        gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(3)
    b = backends.http(3)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b[0], b[1])))
    nodes = start_fleet(gtmd_factory, tmp_path, cluster)
    wait_all(nodes, (b[0].host,))
    with Watcher(nodes[0], ["app.%s." % nodes[0].domain.rstrip(".")], period=0.01) as w:
        leader = cluster.leader_index()
        cluster.stop(leader)
        # writes resume after the election (a write may get 503 meanwhile)
        def write():
            r = put_profile(nodes[1], app(b[2], b[1]))
            return r.status in (200, 201)
        ok, _ = poll(write, scaled(15), 0.5)
        assert ok
        wait_all(nodes, (b[2].host,))
        time.sleep(0.5)
    samples = w.get("app.%s." % nodes[0].domain.rstrip("."))
    assert samples and not w.timeouts("app.%s." % nodes[0].domain.rstrip(".")), \
        "DNS went dark while etcd elected a leader"
    cluster.start(leader)


@slow
def test_every_etcd_member_stopped_dns_goes_on_writes_get_503_and_resync_after(
        gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(3)
    b = backends.http(3)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b[0], b[1])))
    nodes = start_fleet(gtmd_factory, tmp_path, cluster)
    wait_all(nodes, (b[0].host,))
    # acknowledged before the outage, and served by all
    assert put_profile(nodes[0], app(b[0], b[2])).status in (200, 201)
    wait_all(nodes, (b[0].host,))
    poll(lambda: all((g.pdir / "app.json").read_text().count(b[2].host) for g in nodes),
         scaled(5))
    cluster.stop_all()
    for g in nodes:
        g.wait_log(r"fleet: the watch on etcd ended", timeout=10)
    # DNS answers from the last view and the node's own probes; once etcd
    # has been silent for a lease's time (10 s here), from its own probes
    # alone: a failure every node sees is failed over everywhere
    b[0].set(503)
    wait_all(nodes, (b[2].host,), timeout=20)
    for g in nodes:
        g.wait_log(r"fleet: no word from etcd for 10 s: deciding on this node's probes alone",
                   timeout=20)
    r = put_profile(nodes[1], app(b[1], b[0]))
    assert r.status == 503, r
    assert "etcd" in r.json["error"]["message"]
    b[0].ok()
    wait_all(nodes, (b[0].host,))
    cluster.start_all()
    cluster.wait_healthy(20)
    for g in nodes:
        g.wait_log(r"fleet: etcd answers again", timeout=20)
    # nothing acknowledged was lost; nothing refused was applied
    stored = json.loads(cluster.get(PREFIX + "profiles/app"))
    assert stored["properties"]["endpoints"][1]["properties"]["target"] == b[2].host
    # the watches come back without a restart: a write reaches every node
    ok, _ = poll(lambda: put_profile(nodes[2], app(b[1], b[0])).status in (200, 201),
                 scaled(20), 0.5)
    assert ok
    wait_all(nodes, (b[1].host,), timeout=20)


@slow
def test_a_node_whose_etcd_member_was_away_catches_up_on_what_it_missed(
        gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(3)
    b = backends.http(3)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b[0], b[1])))
    urls = cluster.client_urls()
    # node 1 talks to member 1 only, node 2 to member 2 only
    n1 = start_node(gtmd_factory, tmp_path, cluster, 0, urls=urls[0])
    n2 = start_node(gtmd_factory, tmp_path, cluster, 1, urls=urls[1])
    for g in (n1, n2):
        g.wait_log(r"fleet: in step with etcd", timeout=10)
    wait_all([n1, n2], (b[0].host,))
    cluster.stop(1)
    n2.wait_log(r"fleet: the watch on etcd ended", timeout=10)
    # changes n2 cannot see: a new profile, one replaced, one deleted
    assert put_profile(n1, app(b[2], b[1])).status in (200, 201)
    assert put_profile(n1, app(b[1], b[2], name="web"), name="web").status in (200, 201)
    assert put_profile(n1, app(b[2], b[0], name="tmp"), name="tmp").status in (200, 201)
    assert n1.api.delete(rg_path("tmp")).status in (200, 204)
    assert answer(n2) == (b[0].host,)  # its last view
    cluster.start(1)
    # back from the revision after the last it applied: nothing missed
    wait_all([n1, n2], (b[2].host,), timeout=20)
    wait_all([n1, n2], (b[1].host,), name="web")
    wait_all([n1, n2], "NXDOMAIN", name="tmp")


def test_a_compacted_revision_makes_a_node_read_everything_again(
        gtmd_factory, backends, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    b1, b2 = backends.http(2)
    cluster.put(PREFIX + "profiles/app", json.dumps(app(b1, b2)))
    nodes = start_fleet(gtmd_factory, tmp_path, cluster, n=1)
    g = nodes[0]
    wait_all(nodes, (b1.host,))
    # freeze the node while etcd changes and compacts under it
    os.kill(g.pid, signal.SIGSTOP)
    try:
        cluster.stop_all()
        cluster.start_all()
        cluster.wait_healthy(20)
        cluster.put(PREFIX + "profiles/app", json.dumps(app(b2, b1)))
        cluster.put(PREFIX + "profiles/other", json.dumps(app(b2, b1, name="other")))
        cluster.delete(PREFIX + "profiles/other")
        rev = cluster.put(PREFIX + "scratch", "x")
        cluster.compact(rev)
    finally:
        os.kill(g.pid, signal.SIGCONT)
    g.wait_log(r"fleet: etcd compacted past revision", timeout=20)
    wait_all(nodes, (b2.host,), timeout=20)
    assert answer(g, "other") == "NXDOMAIN"


# ---- DNS cookies: one secret for the fleet ----

COOKIE = 10
CC = bytes.fromhex("2464c4abcf10c957")
SECRET = "e5e973e5a6b2a43f48e7dc849e37bfcf"  # RFC 9018 Appendix A
COOKIE_KEY = PREFIX + "cookie-secret"


def cookie_ask(g, data):
    """A UDP query from 127.0.0.1 with COOKIE data: (rcode, the server
    cookie of the answer)."""
    q = dns.message.make_query(g.domain, "SOA", use_edns=0, payload=1232,
                               options=[dns.edns.GenericOption(COOKIE, data)])
    r = g.exchange(q)
    [c] = [o.data for o in r.options if o.otype == COOKIE]
    assert len(c) == 24 and c[:8] == data[:8], c.hex()
    return r.rcode(), c[8:]


def fresh_cookie(g):
    """A server cookie from g for CC (--cookies require: BADCOOKIE with it)."""
    rc, sc = cookie_ask(g, CC)
    assert rc == dns.rcode.BADCOOKIE, dns.rcode.to_text(rc)
    return sc


def accepts(g, sc):
    return cookie_ask(g, CC + sc)[0] != dns.rcode.BADCOOKIE


def fleet_secret(cluster):
    text = cluster.get(COOKIE_KEY)
    return json.loads(text) if text else None


def cookie_fleet(gtmd_factory, tmp_path, cluster, n=2, extra=()):
    nodes = start_fleet(gtmd_factory, tmp_path, cluster, n=n,
                        extra=["--cookies", "require"] + list(extra))
    for g in nodes:
        g.wait_log(r"fleet: cookies: using the fleet's secret of revision", timeout=10)
    return nodes


def test_a_server_cookie_from_one_node_is_valid_at_the_others(gtmd_factory, etcd_cluster,
                                                              tmp_path):
    cluster = etcd_cluster(1)
    a, b = cookie_fleet(gtmd_factory, tmp_path, cluster)
    stored = fleet_secret(cluster)
    assert stored and len(stored["current"]) == 32 and "previous" not in stored, stored
    assert stored["node"] in ("n1", "n2") and abs(stored["since"] - time.time()) < 60
    # made by one node, the other used it: one write in all
    made = [g for g in (a, b) if "made the fleet's secret" in g.log]
    assert len(made) == 1, [g.log for g in (a, b)]
    # A's cookie is valid at B over UDP with --cookies require, and B's at A
    sc = fresh_cookie(a)
    rc, echoed = cookie_ask(b, CC + sc)
    assert rc == dns.rcode.NOERROR and echoed == sc  # valid and fresh: sent back as it came
    assert accepts(a, fresh_cookie(b))
    # a gtmd outside the fleet (its own secret) refuses it
    lone = gtmd_factory.start(extra=["--cookies", "require"])
    assert not accepts(lone, sc)
    # the secret is shown nowhere but in etcd
    fleet = a.api.get("/gtmd/v1/fleet", api_version=None).json
    assert fleet["cookieSecret"]["shared"] is True, fleet
    metrics = a.api.get("/metrics", api_version=None).raw
    assert "gtmd_fleet_cookie_secret_shared 1" in metrics
    for g in (a, b):
        assert stored["current"] not in g.log
        assert stored["current"] not in json.dumps(fleet)
    # the key deleted (by an operator: a new secret now): both nodes see it
    # go and race to make it again; one transaction wins, the other node
    # reads the winner's; the secret that was current is the previous one
    cluster.delete(COOKIE_KEY)
    got, _ = poll(lambda: fleet_secret(cluster) is not None, scaled(5), 0.05)
    assert got
    again = fleet_secret(cluster)
    assert again["current"] != stored["current"] and again["previous"] == stored["current"]
    got, _ = poll(lambda: accepts(b, fresh_cookie(a)) and accepts(a, fresh_cookie(b)),
                  scaled(5), 0.05)
    assert got
    assert accepts(a, sc) and accepts(b, sc)  # under the previous secret
    writes = [int(re.findall(r"^gtmd_fleet_cookie_secret_writes_total (\d+)$",
                             g.api.get("/metrics", api_version=None).raw, re.M)[0])
              for g in (a, b)]
    assert sum(writes) == 2, writes
    # a value that is not a secret (another program's, a hand edit) is
    # replaced the same way
    cluster.put(COOKIE_KEY, "not a secret")

    def replaced():
        try:
            return json.loads(cluster.get(COOKIE_KEY)).get("previous") == again["current"]
        except ValueError:
            return False

    got, _ = poll(replaced, scaled(5), 0.05)
    assert got
    a.wait_log(r"cookie-secret at revision \d+ is not a cookie secret: replacing it")
    got, _ = poll(lambda: accepts(b, fresh_cookie(a)) and accepts(a, fresh_cookie(b)),
                  scaled(5), 0.05)
    assert got


def test_the_fleet_rotates_its_cookie_secret_as_one(gtmd_factory, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    rotate = 6
    a, b = cookie_fleet(gtmd_factory, tmp_path, cluster, extra=["--cookie-rotate", str(rotate)])
    # a cookie made well within one period (the first ends rotate s after the key was made)
    while True:
        first = fleet_secret(cluster)
        old = fresh_cookie(a)
        if fleet_secret(cluster) == first and first["since"] + rotate - time.time() > 2:
            break
        time.sleep(0.2)
    assert accepts(b, old)
    # one rotation, by whichever node came first: the current one became the previous one
    got, _ = poll(lambda: (fleet_secret(cluster) or first)["current"] != first["current"],
                  rotate + 3, 0.05)
    assert got
    second = fleet_secret(cluster)
    assert second["previous"] == first["current"], (first["since"], second["since"])
    # both nodes take it (the writer at once, the other through its watch):
    # each node's new cookies are valid at the other
    got, _ = poll(lambda: accepts(b, fresh_cookie(a)) and accepts(a, fresh_cookie(b)), 2, 0.05)
    assert got, "fresh cookies not accepted across the fleet after the rotation"
    # a cookie of before the rotation: still valid at both (the previous
    # secret), and a new one is sent (it is no longer the current secret's)
    for g in (a, b):
        rc, sc = cookie_ask(g, CC + old)
        assert rc == dns.rcode.NOERROR, (g.node, dns.rcode.to_text(rc))
        assert sc != old
    writes = [int(re.findall(r"^gtmd_fleet_cookie_secret_writes_total (\d+)$",
                             g.api.get("/metrics", api_version=None).raw, re.M)[0])
              for g in (a, b)]
    # all within one period: no second rotation happened meanwhile
    assert fleet_secret(cluster)["current"] == second["current"]
    assert sum(writes) == 2, writes  # made once, rotated once: never twice for one period


def test_a_node_cut_from_etcd_at_start_adopts_the_fleet_cookie_secret_when_it_answers(
        gtmd_factory, etcd_cluster, tmp_path):
    cluster = etcd_cluster(1)
    cluster.put(COOKIE_KEY, json.dumps({"current": SECRET, "since": int(time.time()),
                                        "node": "elsewhere"}))
    cluster.stop_all()
    # a cookie made under the fleet's secret, by a server given it
    lone = gtmd_factory.start(extra=["--cookies", "require", "--cookie-secret", SECRET])
    sc = fresh_cookie(lone)
    g = start_node(gtmd_factory, tmp_path, cluster, 0, extra=["--cookies", "require"])
    g.wait_log(r"fleet: cookies: the fleet's secret cannot be read .*its own secret", timeout=10)
    assert not accepts(g, sc)  # its own secret meanwhile: answers, but not the fleet's cookies
    assert accepts(g, fresh_cookie(g))
    cluster.start_all()
    cluster.wait_healthy(20)
    g.wait_log(r"fleet: cookies: using the fleet's secret of revision \d+, made by node "
               r"elsewhere", timeout=20)
    assert accepts(g, sc)
    assert fleet_secret(cluster)["current"] == SECRET  # adopted, not replaced
    assert SECRET not in g.log
