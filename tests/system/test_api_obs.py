"""Observability and the lab extensions over real HTTPS (SPEC §6-§7; issue 5
points 4-5): /metrics values following queries, probes, transitions and
reloads; the status page's contents and escaping; /gtmd/v1/status;
per-endpoint history; drill overrides that fail a region over and back
without touching its backend; resolve with its reasons for every routing
method that looks at the client.

Backends are real local HTTP servers on 127.0.0.21-127.0.0.99
(backends.py); other targets are 127.0.0.x addresses with alwaysServe,
never contacted. gtmd and its API listen on 127.0.0.1 only."""

import re
import signal

import dns.rcode
import pytest

from armapi import rg_path, start_api
from backends import endpoint, fqdn, poll, profile, rdatas, wait_transition
from conftest import scaled

NOERROR = dns.rcode.NOERROR
NXDOMAIN = dns.rcode.NXDOMAIN

EVIL = "<img src=x onerror=\"alert('x')\">&amp;"  # a legal endpoint name


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def lab(g, method, path, body=None, token="default"):
    return g.api.request(method, path, body, token=token, api_version=None)


def get_json(g, path):
    r = lab(g, "GET", path)
    assert r.status == 200, r
    return r.json


SAMPLE_RX = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? '
    r"(-?[0-9.eE+-]+|\+Inf|NaN)$"
)
LABEL_RX = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse_metrics(text):
    """Prometheus text format 0.0.4 -> ({(name, labels): value}, {family: type}).
    Checks the syntax of every line, and that each family's series are
    contiguous and come after its TYPE line."""
    samples, types, seen, current = {}, {}, set(), None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert name not in types, "family %s twice" % name
            types[name] = kind
            current = name
            continue
        assert line and not line.startswith("#"), repr(line)
        m = SAMPLE_RX.match(line)
        assert m, "bad sample line %r" % line
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        fam = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[: -len(suffix)] in types:
                fam = name[: -len(suffix)]
        assert fam == current, "%s outside its family (after %s)" % (line, current)
        seen.add(fam)
        key = (name, frozenset((k, unescape(v)) for k, v in LABEL_RX.findall(labels)))
        assert key not in samples, "duplicate series %r" % line
        samples[key] = float(value)
    return samples, types


class Metrics:
    def __init__(self, g):
        r = lab(g, "GET", "/metrics", token=None)
        assert r.status == 200, r
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        self.samples, self.types = parse_metrics(r.raw)
        self.raw = r.raw

    def get(self, name, **labels):
        key = (name, frozenset(labels.items()))
        assert key in self.samples, "no %s %s in\n%s" % (name, labels, self.raw)
        return self.samples[key]

    def all(self, name, **labels):
        want = set(labels.items())
        return {k[1]: v for k, v in self.samples.items() if k[0] == name and want <= set(k[1])}


def ep_state(g, prof, ep):
    st = get_json(g, "/gtmd/v1/status")
    for p in st["profiles"]:
        if p["name"] == prof:
            for e in p["endpoints"]:
                if e["name"] == ep:
                    return e["endpointMonitorStatus"]
    raise AssertionError("no %s/%s in status" % (prof, ep))


def wait_state(g, prof, ep, state, timeout=10):
    v, took = poll(lambda: ep_state(g, prof, ep) == state, scaled(timeout), 0.05)
    assert v, "%s/%s never became %s (is %s)" % (prof, ep, state, ep_state(g, prof, ep))


def answer(g, relative, rdtype="A"):
    r = g.query(fqdn(g, relative), rdtype)
    return r.rcode(), rdatas(r, rdtype)


def override(g, prof, ep, status=None, token="default"):
    path = "/gtmd/v1/profiles/%s/endpoints/%s/override" % (prof, ep)
    if status is None:
        return lab(g, "DELETE", path, token=token)
    return lab(g, "PUT", path, {"status": status}, token=token)


def history(g, prof, ep):
    return get_json(g, "/gtmd/v1/profiles/%s/endpoints/%s/history" % (prof, ep))


def resolve(g, name, client=None, rdtype=None, status=200):
    q = "/gtmd/v1/resolve?name=" + name
    if client:
        q += "&client=" + client
    if rdtype:
        q += "&type=" + rdtype
    r = lab(g, "GET", q)
    assert r.status == status, r
    return r.json


@pytest.fixture
def pair(gtmd_factory, backends, tmp_path):
    """Priority over two real backends (tolerated 0: one failure is enough),
    and an alwaysServe endpoint in a second profile; both probed Online."""
    b1, b2 = backends.http(2)
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={
            "app": profile(
                "app",
                "Priority",
                [
                    endpoint("primary", b1.host, priority=1),
                    endpoint("secondary", b2.host, priority=2),
                ],
                port=b1.port,
                tolerated=0,
            ),
            "fixed": profile(
                "fixed",
                "Priority",
                [endpoint("pinned", "127.0.1.1", alwaysServe="Enabled")],
                port=b1.port,
            ),
        },
    )
    g.b1, g.b2 = b1, b2
    wait_state(g, "app", "primary", "Online")
    wait_state(g, "app", "secondary", "Online")
    return g


# --------------------------------------------------------------------------
# /metrics
# --------------------------------------------------------------------------


def test_metrics_follow_queries_probes_transitions_and_reloads(pair):
    g = pair
    m0 = Metrics(g)
    for fam, kind in {
        "gtmd_queries_total": "counter",
        "gtmd_profile_queries_total": "counter",
        "gtmd_endpoint_answers_total": "counter",
        "gtmd_probes_total": "counter",
        "gtmd_probe_duration_seconds": "histogram",
        "gtmd_endpoint_state": "gauge",
        "gtmd_profile_state": "gauge",
        "gtmd_transitions_total": "counter",
        "gtmd_reloads_total": "counter",
        "gtmd_endpoint_override": "gauge",
        "process_start_time_seconds": "gauge",
    }.items():
        assert m0.types.get(fam) == kind, (fam, m0.types.get(fam))
    assert m0.get("gtmd_endpoint_state", profile="app", endpoint="primary", state="Online") == 1
    assert m0.get("gtmd_endpoint_state", profile="app", endpoint="primary", state="Degraded") == 0
    assert m0.get("gtmd_endpoint_state", profile="fixed", endpoint="pinned",
                  state="Unmonitored") == 1
    assert m0.get("gtmd_profile_state", profile="app", state="Online") == 1
    assert m0.get("gtmd_transitions_total", profile="app", endpoint="primary",
                  **{"from": "CheckingEndpoint", "to": "Online"}) == 1
    assert m0.get("gtmd_reloads_total", result="ok") == 0
    # the alwaysServe endpoint has no probe, so no probe series
    assert not m0.all("gtmd_probes_total", profile="fixed")

    # queries: 5 answers from the primary, 2 NXDOMAIN in the domain
    for _ in range(5):
        assert answer(g, "app") == (NOERROR, [g.b1.host])
    for _ in range(2):
        assert g.query(fqdn(g, "nothere")).rcode() == NXDOMAIN
    m1 = Metrics(g)

    def delta(name, **labels):
        return m1.get(name, **labels) - m0.get(name, **labels)

    assert delta("gtmd_profile_queries_total", profile="app", outcome="answer") == 5
    assert delta("gtmd_profile_queries_total", profile="app", outcome="nxdomain") == 0
    assert delta("gtmd_endpoint_answers_total", profile="app", endpoint="primary") == 5
    assert delta("gtmd_endpoint_answers_total", profile="app", endpoint="secondary") == 0
    assert delta("gtmd_queries_total", rcode="NOERROR") >= 5
    assert delta("gtmd_queries_total", rcode="NXDOMAIN") == 2

    # probes go on and are counted; the histogram adds up
    assert m1.get("gtmd_probes_total", profile="app", endpoint="primary", result="ok") >= 1
    for ep in ("primary", "secondary"):
        count = m1.get("gtmd_probe_duration_seconds_count", profile="app", endpoint=ep)
        ok = m1.get("gtmd_probes_total", profile="app", endpoint=ep, result="ok")
        fail = m1.get("gtmd_probes_total", profile="app", endpoint=ep, result="fail")
        assert count == ok + fail
        buckets = sorted(
            (float(dict(k)["le"]), v)
            for k, v in m1.all("gtmd_probe_duration_seconds_bucket", profile="app",
                               endpoint=ep).items()
        )
        assert buckets[-1] == (float("inf"), count)
        assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
        assert 0 < m1.get("gtmd_probe_duration_seconds_sum", profile="app", endpoint=ep) < count

    # a transition
    g.b1.set(503)
    wait_transition(g, "app/primary", "Online", "Degraded", timeout=scaled(5))
    m2 = Metrics(g)
    assert m2.get("gtmd_endpoint_state", profile="app", endpoint="primary", state="Degraded") == 1
    assert m2.get("gtmd_endpoint_state", profile="app", endpoint="primary", state="Online") == 0
    assert m2.get("gtmd_profile_state", profile="app", state="Degraded") == 1
    assert m2.get("gtmd_transitions_total", profile="app", endpoint="primary",
                  **{"from": "Online", "to": "Degraded"}) == 1
    assert m2.get("gtmd_probes_total", profile="app", endpoint="primary", result="fail") >= 1
    assert m2.get("gtmd_endpoint_failures", profile="app", endpoint="primary") >= 1
    assert answer(g, "app") == (NOERROR, [g.b2.host])
    assert m2.get("gtmd_endpoint_answers_total", profile="app", endpoint="secondary") == 0
    m3 = Metrics(g)
    assert m3.get("gtmd_endpoint_answers_total", profile="app", endpoint="secondary") == 1

    # reloads, good and bad; counts survive them
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"reload: serving", timeout=5)
    (g.pdir / "broken.json").write_text("{ not json")
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"reload: \d+ error", timeout=5)
    m4 = Metrics(g)
    assert m4.get("gtmd_reloads_total", result="ok") == 1
    assert m4.get("gtmd_reloads_total", result="failed") == 1
    assert m4.get("gtmd_endpoint_answers_total", profile="app", endpoint="primary") == 5
    assert m4.get("gtmd_transitions_total", profile="app", endpoint="primary",
                  **{"from": "Online", "to": "Degraded"}) == 1


def test_metrics_escape_label_values(gtmd_factory, tmp_path):
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={"esc": profile("esc", "Priority",
                                 [endpoint(EVIL, "127.0.1.2", alwaysServe="Enabled")])},
    )
    r = lab(g, "GET", "/metrics", token=None)
    assert 'endpoint="<img src=x onerror=\\"alert(\'x\')\\">&amp;"' in r.raw
    m = Metrics(g)  # parses: every value is escaped
    assert m.get("gtmd_endpoint_state", profile="esc", endpoint=EVIL, state="Unmonitored") == 1


def test_metrics_and_page_need_no_token_on_loopback(pair):
    g = pair
    for path in ("/", "/metrics"):
        assert lab(g, "GET", path, token=None).status == 200
        assert lab(g, "GET", path, token="wrong").status == 200
    assert lab(g, "GET", "/gtmd/v1/status", token=None).status == 401
    assert lab(g, "GET", "/gtmd/v1/status", token="wrong").status == 401
    assert lab(g, "POST", "/metrics", {}).status == 405


# --------------------------------------------------------------------------
# The status page and /gtmd/v1/status
# --------------------------------------------------------------------------


def test_status_page_shows_everything_escaped(gtmd_factory, backends, tmp_path):
    (b1,) = backends.http(1)
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={
            "web": profile("web", "Weighted", [
                endpoint("east", b1.host, weight=3),
                endpoint(EVIL, "127.0.1.3", alwaysServe="Enabled"),
                endpoint("off", "127.0.1.4", endpointStatus="Disabled"),
            ], port=b1.port, tolerated=0),
        },
    )
    wait_state(g, "web", "east", "Online")
    b1.set(503)
    wait_state(g, "web", "east", "Degraded")
    r = lab(g, "GET", "/", token=None)
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    page = r.raw
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta http-equiv="refresh" content="2">' in page
    # self-contained: nothing to fetch, no script
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.I), page
    assert not re.search(r"(src|href)=\"?(https?:)?//", page, re.I)
    assert "url(" not in page
    # every profile and endpoint, with what the monitor knows
    for text in ("web", "Weighted", "web.tm.test", b1.host, "east", "Degraded", "HTTP 503",
                 "Unmonitored", "Disabled", "Online", "Recent transitions",
                 "CheckingEndpoint", "127.0.1.3"):
        assert text in page, text
    # the evil name shows as text, never as markup
    assert EVIL not in page
    assert "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp;" in page
    # the transitions, newest first
    assert page.index("Online</span> &#8594; <span class=\"b Degraded\">") < page.index(
        "CheckingEndpoint</span> &#8594;")

    st = get_json(g, "/gtmd/v1/status")
    assert st["domain"] == "tm.test"
    (web,) = st["profiles"]
    assert web["method"] == "Weighted"
    assert web["profileMonitorStatus"] == "Degraded"
    assert web["fqdn"] == "web.tm.test"
    eps = {e["name"]: e for e in web["endpoints"]}
    east = eps["east"]
    assert east["endpointMonitorStatus"] == "Degraded"
    assert east["target"] == b1.host
    assert east["probe"]["lastResult"] == "HTTP 503"
    assert east["probe"]["lastOk"] is False
    assert east["probe"]["failures"] >= 1
    assert east["probe"]["override"] is None
    assert east["probe"]["latencyMs"] >= 0
    assert eps[EVIL]["probe"] is None
    assert eps[EVIL]["endpointMonitorStatus"] == "Unmonitored"
    assert eps["off"]["endpointStatus"] == "Disabled"
    assert [(t["endpoint"], t["from"], t["to"]) for t in st["transitions"]] == [
        ("east", "Online", "Degraded"),
        ("east", "CheckingEndpoint", "Online"),
    ]
    assert st["transitions"][0]["reason"] == "HTTP 503"


# --------------------------------------------------------------------------
# History and drill overrides
# --------------------------------------------------------------------------


def test_drill_fails_a_region_over_and_back_without_touching_it(pair):
    g = pair
    b1 = g.b1
    mark = b1.mark()
    assert answer(g, "app") == (NOERROR, [b1.host])

    # force the primary Degraded: the very next query fails over
    r = override(g, "app", "primary", "Degraded")
    assert r.status == 200, r
    assert r.json["override"] == "Degraded"
    assert r.json["endpointMonitorStatus"] == "Degraded"
    assert r.json["probed"] == "Online"
    assert answer(g, "app") == (NOERROR, [g.b2.host])
    h = history(g, "app", "primary")
    assert (h[0]["from"], h[0]["to"], h[0]["reason"]) == ("Online", "Degraded", "drill override")
    g.wait_log(r"monitor: endpoint app/primary Online -> Degraded: drill override")
    m = Metrics(g)
    assert m.get("gtmd_endpoint_override", profile="app", endpoint="primary", state="Degraded") == 1
    assert m.get("gtmd_endpoint_state", profile="app", endpoint="primary", state="Degraded") == 1
    assert get_json(g, "/gtmd/v1/profiles/app/endpoints/primary/override")["override"] == \
        "Degraded"
    st = ep_state(g, "app", "primary")
    assert st == "Degraded"

    # probes go on, and their results are kept and shown; the answer holds
    b1.wait_requests(2, timeout=scaled(5), after=b1.mark())
    assert answer(g, "app") == (NOERROR, [g.b2.host])
    page = lab(g, "GET", "/", token=None).raw
    assert "forced Degraded" in page

    # clear: back at once
    r = override(g, "app", "primary")
    assert r.status == 200, r
    assert r.json["override"] is None
    assert answer(g, "app") == (NOERROR, [b1.host])
    h = history(g, "app", "primary")
    assert (h[0]["from"], h[0]["to"], h[0]["reason"]) == (
        "Degraded", "Online", "drill override cleared")
    assert [x["to"] for x in h] == ["Online", "Degraded", "Online"]
    assert Metrics(g).get("gtmd_endpoint_override", profile="app", endpoint="primary",
                          state="Degraded") == 0

    # the backend was never touched: every request it got was a probe, all 200
    assert b1.mode == 200
    for req in b1.requests_from(mark):
        if req.ready.is_set():
            assert req.path == "/health" and req.answer == "200", req


def test_override_names_the_endpoints_sharing_its_probe(pair):
    """sharedWith: the other endpoints on the same probe, from the probe's
    own list of users (not a walk over every profile), kept as profiles
    come and go."""
    g = pair
    path = "/gtmd/v1/profiles/%s/endpoints/%s/override"
    assert get_json(g, path % ("app", "primary"))["sharedWith"] == []
    for twin in ("twin-b", "Twin-a"):
        doc = profile(twin, "Priority", [endpoint("one", g.b1.host), endpoint("two", g.b2.host)],
                      port=g.b1.port, tolerated=0, relative_name=twin.lower())
        r = g.api.put(rg_path(twin), doc)
        assert r.status == 201, r
    assert get_json(g, path % ("app", "primary"))["sharedWith"] == ["Twin-a/one", "twin-b/one"]
    assert get_json(g, path % ("twin-b", "two"))["sharedWith"] == ["app/secondary", "Twin-a/two"]
    assert g.api.delete(rg_path("Twin-a")).status == 200
    assert get_json(g, path % ("app", "primary"))["sharedWith"] == ["twin-b/one"]
    assert g.api.delete(rg_path("twin-b")).status == 200
    assert get_json(g, path % ("app", "secondary"))["sharedWith"] == []


def test_drill_online_holds_against_failing_probes(pair):
    g = pair
    assert override(g, "app", "primary", "Online").status == 200
    g.b1.set(503)
    g.wait_log(r"monitor: endpoint app/primary probed Online -> Degraded: HTTP 503 "
               r"\(drill override holds it Online\)", timeout=5)
    assert answer(g, "app") == (NOERROR, [g.b1.host])
    e = [e for e in get_json(g, "/gtmd/v1/status")["profiles"][0]["endpoints"]
         if e["name"] == "primary"][0]
    assert e["endpointMonitorStatus"] == "Online"
    assert e["probe"]["probed"] == "Degraded"
    assert e["probe"]["override"] == "Online"
    # clearing hands it back to its probes: Degraded, failed over
    assert override(g, "app", "primary").status == 200
    assert answer(g, "app") == (NOERROR, [g.b2.host])
    assert history(g, "app", "primary")[0]["reason"] == "drill override cleared"
    # both forced Degraded: best effort serves the first by priority
    assert override(g, "app", "secondary", "Degraded").status == 200
    assert answer(g, "app") == (NOERROR, [g.b1.host])
    res = resolve(g, fqdn(g, "app"))
    assert res["profiles"][0]["bestEffort"] is True


def test_override_and_history_errors(pair, gtmd_factory, tmp_path):
    g = pair
    assert override(g, "nope", "primary", "Degraded").status == 404
    assert override(g, "app", "nope", "Degraded").status == 404
    assert lab(g, "GET", "/gtmd/v1/profiles/nope/endpoints/primary/history").status == 404
    assert lab(g, "GET", "/gtmd/v1/profiles/app/endpoints/nope/history").status == 404
    path = "/gtmd/v1/profiles/app/endpoints/primary/override"
    for body in ({"status": "Bogus"}, {"state": "Online"}, {"status": 1}):
        r = lab(g, "PUT", path, body)
        assert r.status == 400, (body, r)
    r = g.api.request("PUT", path, raw="{not json", api_version=None)
    assert r.status == 400
    assert lab(g, "POST", path, {"status": "Online"}).status == 405
    assert lab(g, "PUT", "/gtmd/v1/profiles/app/endpoints/primary/history", {}).status == 405
    # no token, a wrong token: refused, nothing changes
    assert override(g, "app", "primary", "Degraded", token=None).status == 401
    assert override(g, "app", "primary", "Degraded", token="wrong").status == 401
    assert ep_state(g, "app", "primary") == "Online"
    # an endpoint without a probe has nothing to override, and no history
    r = override(g, "fixed", "pinned", "Degraded")
    assert r.status == 409, r
    assert "alwaysServe" in r.json["error"]["message"]
    assert history(g, "fixed", "pinned") == []
    # names in any letter case
    assert override(g, "APP", "Primary", "Degraded").status == 200
    assert override(g, "app", "PRIMARY").status == 200
    assert lab(g, "GET", "/gtmd/v1/nothing").status == 404

    # read-only mode (no token file): the override is refused
    (tmp_path / "ro").mkdir()
    ro = start_api(gtmd_factory, tmp_path / "ro", token=False,
                   profiles={"app": profile("app", "Priority", [
                       endpoint("only", "127.0.1.5", alwaysServe="Enabled")])})
    r = ro.api.request("PUT", "/gtmd/v1/profiles/app/endpoints/only/override",
                       {"status": "Online"}, token=None, api_version=None)
    assert r.status == 403, r
    assert ro.api.request("GET", "/gtmd/v1/status", token=None, api_version=None).status == 200


def test_override_survives_a_reload(pair):
    g = pair
    assert override(g, "app", "primary", "Degraded").status == 200
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"reload: serving", timeout=5)
    assert answer(g, "app") == (NOERROR, [g.b2.host])
    assert ep_state(g, "app", "primary") == "Degraded"
    assert history(g, "app", "primary")[0]["reason"] == "drill override"


def test_reload_through_the_api(pair):
    g = pair
    r = lab(g, "POST", "/gtmd/v1/reload")
    assert r.status == 200, r
    assert r.json["result"] == "reloaded"
    assert r.json["generation"] == 2 and r.json["profiles"] == 2 and r.json["probes"] == 2
    assert lab(g, "POST", "/gtmd/v1/reload", token=None).status == 401
    assert lab(g, "POST", "/gtmd/v1/reload", token="wrong").status == 401
    assert lab(g, "GET", "/gtmd/v1/reload").status == 405
    (g.pdir / "broken.json").write_text('{"name": "broken", ')
    r = lab(g, "POST", "/gtmd/v1/reload")
    assert r.status == 400, r
    err = r.json["error"]
    assert err["code"] == "InvalidConfiguration"
    assert err["message"] == "1 error; still serving the previous configuration"
    (d,) = err["details"]
    assert re.match(r"^/.*/broken\.json:1: error: column \d+: ", d["message"]), d
    assert answer(g, "app") == (NOERROR, [g.b1.host])
    m = Metrics(g)
    assert m.get("gtmd_reloads_total", result="ok") == 1
    assert m.get("gtmd_reloads_total", result="failed") == 1
    assert get_json(g, "/gtmd/v1/status")["generation"] == 2


def test_history_newest_first_with_reasons(pair):
    g = pair
    g.b2.set(503)
    wait_transition(g, "app/secondary", "Online", "Degraded", timeout=scaled(5))
    g.b2.set(200)
    wait_transition(g, "app/secondary", "Degraded", "Online", timeout=scaled(5))
    h = history(g, "app", "secondary")
    assert [(x["from"], x["to"]) for x in h] == [
        ("Degraded", "Online"), ("Online", "Degraded"), ("CheckingEndpoint", "Online")]
    assert h[0]["reason"] == "HTTP 200"
    assert h[1]["reason"] == "HTTP 503"
    assert h[1]["failures"] == 1
    times = [x["time"] for x in h]
    assert times == sorted(times, reverse=True)
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", t) for t in times)


# --------------------------------------------------------------------------
# resolve
# --------------------------------------------------------------------------

LATENCY = """\
203.0.113.0/24   westeurope  10
203.0.113.0/24   eastus      50
"""
GEO = """\
198.51.100.0/24  US-CA
192.0.2.0/24     FR
"""
ZONE = """$ORIGIN example.com.
$TTL 300
@    SOA ns1 hostmaster 1 3600 600 86400 60
@    NS  ns1
ns1  A   192.0.2.1
www  CNAME perf.tm.test.
"""


@pytest.fixture
def routing(gtmd_factory, tmp_path):
    lat, geo = tmp_path / "latency.txt", tmp_path / "geo.txt"
    lat.write_text(LATENCY)
    geo.write_text(GEO)

    def fixed(name, target, **props):
        return endpoint(name, target, alwaysServe="Enabled", **props)

    profs = {
        "perf": profile("perf", "Performance", [
            fixed("we", "127.0.2.1", endpointLocation="West Europe"),
            fixed("us", "127.0.2.2", endpointLocation="East US"),
        ]),
        "geo": profile("geo", "Geographic", [
            fixed("us", "127.0.3.1", geoMapping=["US"]),
            fixed("world", "127.0.3.2", geoMapping=["WORLD"]),
        ]),
        "subnet": profile("subnet", "Subnet", [
            fixed("inside", "127.0.4.1", subnets=[{"first": "10.9.0.0", "scope": 16}]),
            fixed("rest", "127.0.4.2"),
        ]),
        "multi": profile("multi", "MultiValue", [
            fixed("a", "127.0.5.1"),
            fixed("b", "127.0.5.2"),
        ]),
        "parent": profile("parent", "Priority", [
            {"name": "child", "type": "Microsoft.Network/trafficManagerProfiles/nestedEndpoints",
             "properties": {"targetResourceId": "/subscriptions/s/resourceGroups/r/providers/"
                            "Microsoft.Network/trafficManagerProfiles/geo",
                            "endpointStatus": "Enabled", "priority": 1}},
        ]),
    }
    profs["multi"]["properties"]["maxReturn"] = 2
    return start_api(gtmd_factory, tmp_path, profiles=profs, zones={"example.com.zone": ZONE},
                     extra=["--latency-table", str(lat), "--geo-table", str(geo)])


def eps(expl):
    return {e["name"]: e for e in expl["endpoints"]}


def test_resolve_priority_reasons(pair):
    g = pair
    name = fqdn(g, "app")
    res = resolve(g, name, "203.0.113.7")
    assert res["rcode"] == "NOERROR"
    assert res["client"] == "203.0.113.7/32"
    assert [(a["type"], a["data"], a["ttl"]) for a in res["answer"]] == [("A", g.b1.host, 30)]
    (ex,) = res["profiles"]
    assert ex["profile"] == "app" and ex["method"] == "Priority"
    assert ex["name"] == name
    assert ex["served"] == ["primary"]
    assert ex["bestEffort"] is False
    assert "Priority" in ex["reason"]
    e = eps(ex)
    assert e["primary"]["candidate"] and e["primary"]["served"]
    assert e["secondary"]["candidate"] and not e["secondary"]["served"]
    assert e["primary"]["status"] == "Online"
    # the drill shows in the reasons
    assert override(g, "app", "primary", "Degraded").status == 200
    res = resolve(g, name, "203.0.113.7")
    assert [a["data"] for a in res["answer"]] == [g.b2.host]
    e = eps(res["profiles"][0])
    assert e["primary"]["status"] == "Degraded" and not e["primary"]["candidate"]
    assert e["secondary"]["served"]
    # what resolve says is what DNS answers
    assert answer(g, "app") == (NOERROR, [g.b2.host])
    # and a resolve is not counted as a query
    m = Metrics(g)
    assert m.get("gtmd_endpoint_answers_total", profile="app", endpoint="secondary") == 1


def test_resolve_performance_geo_subnet_nested(routing):
    g = routing
    perf = fqdn(g, "perf")
    res = resolve(g, perf, "203.0.113.7")
    ex = res["profiles"][0]
    assert ex["latency"]["network"] == "203.0.113.0/24"
    assert ex["latency"]["region"] == "westeurope"
    assert [(r["region"], r["latencyMs"], r["candidates"]) for r in ex["latency"]["rows"]] == [
        ("westeurope", 10, ["we"]), ("eastus", 50, ["us"])]
    assert [a["data"] for a in res["answer"]] == ["127.0.2.1"]
    assert ex["served"] == ["we"]
    assert res["ecsScope"] == 24
    # outside the table: the fastest probe (none probed here)
    res = resolve(g, perf, "198.18.0.1")
    assert res["profiles"][0]["latency"]["region"] is None
    assert "no row" in res["profiles"][0]["reason"]
    # an ECS-style client network
    res = resolve(g, perf, "203.0.113.0/24")
    assert res["client"] == "203.0.113.0/24"
    assert res["profiles"][0]["latency"]["region"] == "westeurope"

    geo = fqdn(g, "geo")
    res = resolve(g, geo, "198.51.100.9")
    gx = res["profiles"][0]["geo"]
    assert gx["code"] == "US-CA"
    assert gx["tried"] == ["US-CA", "US"]
    assert gx["matched"] == "US" and gx["endpoint"] == "us"
    assert [a["data"] for a in res["answer"]] == ["127.0.3.1"]
    res = resolve(g, geo, "192.0.2.1")
    gx = res["profiles"][0]["geo"]
    assert gx["code"] == "FR" and gx["tried"] == ["FR", "GEO-EU", "WORLD"]
    assert gx["matched"] == "WORLD"
    assert [a["data"] for a in res["answer"]] == ["127.0.3.2"]

    sub = fqdn(g, "subnet")
    res = resolve(g, sub, "10.9.8.7")
    sx = res["profiles"][0]["subnet"]
    assert sx["matched"] == {"endpoint": "inside", "range": "10.9.0.0-10.9.255.255",
                             "candidate": True}
    assert [a["data"] for a in res["answer"]] == ["127.0.4.1"]
    res = resolve(g, sub, "10.10.0.1")
    sx = res["profiles"][0]["subnet"]
    assert sx["matched"] is None and sx["fallback"] == "rest"
    assert [a["data"] for a in res["answer"]] == ["127.0.4.2"]

    res = resolve(g, fqdn(g, "multi"))
    assert sorted(a["data"] for a in res["answer"]) == ["127.0.5.1", "127.0.5.2"]
    assert sorted(res["profiles"][0]["served"]) == ["a", "b"]
    assert res["profiles"][0]["maxReturn"] == 2
    # AAAA of IPv4 endpoints: NODATA with the SOA
    res = resolve(g, fqdn(g, "multi"), rdtype="AAAA")
    assert res["rcode"] == "NOERROR" and res["answer"] == []
    assert res["authority"][0]["type"] == "SOA"
    assert res["profiles"][0]["result"] == "NODATA"

    # nested: the child is explained under the endpoint that led to it
    res = resolve(g, fqdn(g, "parent"), "198.51.100.9")
    ex = res["profiles"][0]
    child = eps(ex)["child"]
    assert child["served"] and child["childProfile"] == "geo"
    assert child["child"]["profile"] == "geo"
    assert child["child"]["geo"]["matched"] == "US"
    assert [a["data"] for a in res["answer"]] == ["127.0.3.1"]

    # a static CNAME into a profile: both names on the way
    res = resolve(g, "www.example.com", "203.0.113.7")
    assert [(a["name"], a["type"]) for a in res["answer"]] == [
        ("www.example.com.", "CNAME"), ("perf.tm.test.", "A")]
    assert [p["profile"] for p in res["profiles"]] == ["perf"]
    assert res["answer"][0]["data"] == "perf.tm.test."


def test_resolve_errors_and_outside_names(routing):
    g = routing
    assert resolve(g, "elsewhere.invalid")["rcode"] == "REFUSED"
    assert resolve(g, "nothere.tm.test")["rcode"] == "NXDOMAIN"
    for q in ("/gtmd/v1/resolve", "/gtmd/v1/resolve?name=a..b",
              "/gtmd/v1/resolve?name=perf.tm.test&client=300.1.2.3",
              "/gtmd/v1/resolve?name=perf.tm.test&client=10.0.0.0/33",
              "/gtmd/v1/resolve?name=perf.tm.test&type=NOTATYPE"):
        r = lab(g, "GET", q)
        assert r.status == 400, (q, r)
    assert lab(g, "POST", "/gtmd/v1/resolve?name=perf.tm.test", {}).status == 405
    res = resolve(g, "perf.tm.test", "2001:db8::1")
    assert res["client"] == "2001:db8::1/128"
    res = resolve(g, "ns1.example.com", rdtype="A")
    assert [a["data"] for a in res["answer"]] == ["192.0.2.1"]
    assert res["profiles"] == []
