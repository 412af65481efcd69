"""Health monitoring against real local backends (SPEC §6, reference
§1.5): failover and recovery times, failure counting, every failure mode,
what a probe sends (path, port, Host, custom headers, User-Agent), HTTPS
with a self-signed certificate, TCP probes, probe spacing.

Profiles use intervalInSeconds 1 and timeoutInSeconds 1 (accepted with a
warning outside --strict) so that a failover takes seconds. Backends run on
127.0.0.21-127.0.0.99, one port per profile (backends.py)."""

import re
import signal
import time
from types import SimpleNamespace

import pytest

from backends import (
    UA,
    BackendFactory,
    Watcher,
    addresses,
    count_log,
    endpoint,
    fqdn,
    profile,
    transition_rx,
    wait_transition,
)
from conftest import GtmdFactory, _require_binary

INTERVAL = 1.0
TIMEOUT = 1.0
SLACK = 1.5
# Degraded on the 3rd consecutive failure: the first failing probe comes
# within one interval of the switch, the 3rd two intervals later, each
# bounded by the timeout.
FAILOVER_MAX = 3 * INTERVAL + TIMEOUT + SLACK
FAILOVER_MIN = 1.5  # not instant: three probes are needed
RECOVERY_MAX = INTERVAL + SLACK  # one success is enough


def pair_profile(name, prim, sec, **kw):
    """Priority: primary (priority 1) on prim, secondary (2) on sec."""
    return profile(
        name,
        "Priority",
        [
            endpoint("primary", prim.host, priority=1),
            endpoint("secondary", sec.host, priority=2),
        ],
        port=prim.port,
        **kw
    )


def wait_online(g, label, timeout=5):
    wait_transition(g, label, "CheckingEndpoint", "Online", timeout=timeout)


def only(w, name, addr, since, until=None):
    """Every watcher sample of name in [since, until] answered exactly addr."""
    bad = [s for s in w.get(name, since, until) if s[1] != "NOERROR" or s[2] != (addr,)]
    return bad


# --------------------------------------------------------------------------
# Failover and recovery
# --------------------------------------------------------------------------


def test_priority_failover_and_recovery(gtmd_factory, backends):
    prim, sec = backends.http(2)
    g = gtmd_factory.start(profiles={"prio": pair_profile("prio", prim, sec)})
    name = fqdn(g, "prio")
    wait_online(g, "prio/primary")
    wait_online(g, "prio/secondary")
    assert addresses(g, name) == [prim.host]
    degraded_rx = transition_rx("prio/primary", "Online", "Degraded") + (
        r" after 3 failures: HTTP 503"
    )

    with Watcher(g, [name]) as w:
        # -- failover: 503 from now on
        m = prim.set(503)
        t_switch = time.monotonic()
        t_out = w.wait(name, lambda a: prim.host not in a, since=t_switch, timeout=10)
        assert t_out is not None, "never failed over"
        failover = t_out - t_switch
        print("\nMEASURED failover (503, tolerated absent, interval 1 s, timeout 1 s): "
              "%.2f s" % failover)
        fails = [r for r in prim.requests_from(m) if r.time < t_out]
        assert [r.answer for r in fails] == ["503"] * 3, fails
        assert FAILOVER_MIN <= failover <= FAILOVER_MAX, failover
        assert w.first(name, lambda a: a == (sec.host,), since=t_out) is not None

        # -- stays on the secondary while the primary keeps failing; the
        # transition is logged once, not once per failure
        prim.wait_requests(2, timeout=4, since=t_out)
        assert not only(w, name, sec.host, t_out + 0.01, time.monotonic())
        assert count_log(g, degraded_rx) == 1, g.log
        assert count_log(g, transition_rx("prio/primary", r"\w+", r"\w+")) == 2, g.log

        # -- recovery: one success is enough
        m = prim.ok()
        t_fix = time.monotonic()
        t_back = w.wait(name, lambda a: a == (prim.host,), since=t_fix, timeout=8)
        assert t_back is not None, "never came back"
        recovery = t_back - t_fix
        print("MEASURED recovery (one 200): %.2f s" % recovery)
        oks = [r for r in prim.requests_from(m) if r.time < t_back]
        assert [r.answer for r in oks] == ["200"], oks
        assert recovery <= RECOVERY_MAX, recovery
        g.wait_log(transition_rx("prio/primary", "Degraded", "Online") + ": HTTP 200")

        # -- a second failure: a second line
        prim.set(503)
        t2 = time.monotonic()
        t_out2 = w.wait(name, lambda a: prim.host not in a, since=t2, timeout=10)
        assert t_out2 is not None
        assert FAILOVER_MIN <= t_out2 - t2 <= FAILOVER_MAX, t_out2 - t2
        g.wait_log(degraded_rx + r"[\s\S]*" + degraded_rx)
        assert count_log(g, degraded_rx) == 2, g.log
    assert not w.timeouts(name)
    # the secondary never changed state
    assert count_log(g, transition_rx("prio/secondary", r"\w+", r"\w+")) == 1, g.log


def test_failure_counting_bursts_and_tolerated(gtmd_factory, backends):
    """toleratedNumberOfFailures absent: a burst of 1 or 2 failures never
    fails over; given as 2: 2 failures don't, the 3rd does; given as 0: the
    first failure does, and one success brings it back."""
    cases = {
        # name: (tolerated, burst)
        "burst1": (None, 1),
        "burst2": (None, 2),
        "tol2": (2, 2),
        "tol0": (0, 1),
    }
    pairs = {n: backends.http(2) for n in cases}
    profiles = {
        n: pair_profile(n, p, s, tolerated=cases[n][0]) for n, (p, s) in pairs.items()
    }
    g = gtmd_factory.start(profiles=profiles)
    for n in cases:
        wait_online(g, n + "/primary")
    names = {n: fqdn(g, n) for n in cases}

    with Watcher(g, names.values()) as w:
        marks = {n: prim.fail_next(cases[n][1]) for n, (prim, _) in pairs.items()}
        t0 = time.monotonic()
        # each primary answers its burst, then at least two 200s
        for n, (prim, _) in pairs.items():
            got = prim.wait_requests(cases[n][1] + 2, timeout=6, after=marks[n])
            assert [r.answer for r in got[: cases[n][1] + 2]] == (
                ["503"] * cases[n][1] + ["200", "200"]
            ), (n, got)
        t1 = time.monotonic()
        for n in ("burst1", "burst2", "tol2"):
            prim, _ = pairs[n]
            assert not only(w, names[n], prim.host, t0, t1), (n, w.get(names[n], t0))
            assert not re.search(transition_rx(n + "/primary", r"\w+", "Degraded"), g.log)
        # tolerated 0: Degraded on the first failure, Online on the next success
        prim, sec = pairs["tol0"]
        assert w.first(names["tol0"], lambda a: a == (sec.host,), since=t0) is not None
        g.wait_log(
            transition_rx("tol0/primary", "Online", "Degraded") + " after 1 failures?: HTTP 503"
        )
        g.wait_log(transition_rx("tol0/primary", "Degraded", "Online") + ": HTTP 200")
        assert addresses(g, names["tol0"]) == [prim.host]

        # tolerated 2: failing for good -> Degraded on failure 3
        prim, sec = pairs["tol2"]
        m = prim.set(503)
        t2 = time.monotonic()
        t_out = w.wait(names["tol2"], lambda a: prim.host not in a, since=t2, timeout=10)
        assert t_out is not None
        fails = [r for r in prim.requests_from(m) if r.time < t_out]
        assert [r.answer for r in fails] == ["503"] * 3, fails
        assert t_out - t2 <= FAILOVER_MAX
        g.wait_log(
            transition_rx("tol2/primary", "Online", "Degraded") + " after 3 failures: HTTP 503"
        )
    for n in names.values():
        assert not w.timeouts(n)


# --------------------------------------------------------------------------
# Every failure mode, in parallel (one gtmd, one profile per mode)
# --------------------------------------------------------------------------

# mode -> (what the primary backend does, reason expected in the log line)
FAILURE_MODES = {
    "503": (503, r"HTTP 503"),
    "hang": ("hang", r"timeout"),
    "close": ("close", r".+"),
    "redirect": ("redirect", r"HTTP 301"),
    "endless": ("endless", r"body|timeout"),
    "garbage": ("garbage", r".+"),
    "refused": ("stop", r"connection refused"),
}
ACCEPTED_301 = "redirect-accepted"


@pytest.fixture(scope="module")
def failure_modes(tmp_path_factory):
    """Switches the primary of one Priority profile per mode at once, and
    watches the answers until every profile failed over (or 10 s)."""
    _require_binary()
    bf = BackendFactory(tmp_path_factory)
    gf = GtmdFactory(tmp_path_factory)
    res = SimpleNamespace(
        failover={}, g=None, w=None, pairs={}, names={}, t0=None, t_set={}, marks={}
    )
    try:
        modes = list(FAILURE_MODES) + [ACCEPTED_301]
        profiles = {}
        for m in modes:
            prim, sec = bf.http(2)
            res.pairs[m] = (prim, sec)
            kw = {}
            if m == ACCEPTED_301:
                kw["monitor"] = {
                    "expectedStatusCodeRanges": [
                        {"min": 200, "max": 200},
                        {"min": 301, "max": 301},
                    ]
                }
            profiles["fm-" + m] = pair_profile("fm-" + m, prim, sec, **kw)
        g = res.g = gf.start(profiles=profiles)
        for m in modes:
            wait_online(g, "fm-%s/primary" % m)
            wait_online(g, "fm-%s/secondary" % m)
            res.names[m] = fqdn(g, "fm-" + m)
        w = res.w = Watcher(g, res.names.values())
        with w:
            res.t0 = time.monotonic()
            for m in modes:
                prim, _ = res.pairs[m]
                action = FAILURE_MODES[m][0] if m in FAILURE_MODES else "redirect"
                if action == "stop":
                    prim.stop()
                    res.marks[m] = prim.mark()
                else:
                    res.marks[m] = prim.set(action)
                res.t_set[m] = time.monotonic()
            for m in FAILURE_MODES:
                prim, _ = res.pairs[m]
                t = w.wait(
                    res.names[m],
                    lambda a, h=prim.host: h not in a,
                    since=res.t_set[m],
                    timeout=max(0.1, res.t0 + 10 - time.monotonic()),
                )
                res.failover[m] = None if t is None else t - res.t_set[m]
            # the accepted redirect: keep watching over 4 probes at least
            # (3 failures would have been enough to fail over)
            m = ACCEPTED_301
            prim, _ = res.pairs[m]
            prim.wait_requests(4, timeout=6, after=res.marks[m])
            res.failover[m] = None
            t = w.first(res.names[m], lambda a, h=prim.host: h not in a, res.t_set[m])
            if t is not None:
                res.failover[m] = t - res.t_set[m]
            # and at least 1 s past the last failover
            last = max(
                [res.t_set[m] + t for m, t in res.failover.items() if t is not None] + [0]
            )
            time.sleep(max(0, last + 1.0 - time.monotonic()))
            res.t_end = time.monotonic()
        print(
            "\nMEASURED failover per mode: "
            + ", ".join(
                "%s %s" % (m, "none" if t is None else "%.2f s" % t)
                for m, t in res.failover.items()
            )
        )
        yield res
    finally:
        problems = gf.teardown()
        bf.stop_all()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mode", list(FAILURE_MODES))
def test_failure_mode_fails_over(failure_modes, mode):
    r = failure_modes
    prim, sec = r.pairs[mode]
    name = r.names[mode]
    t = r.failover[mode]
    log = r.g.log
    assert t is not None, "%s: never failed over; log:\n%s" % (mode, log)
    assert FAILOVER_MIN <= t <= FAILOVER_MAX, (mode, t)
    # from then on the secondary only
    after = r.w.get(name, r.t_set[mode] + t + 0.01)
    assert after and all(s[1] == "NOERROR" and s[2] == (sec.host,) for s in after), after
    # answering never stalled while the probe did
    assert not r.w.timeouts(name)
    label = "fm-%s/primary" % mode
    rx = transition_rx(label, "Online", "Degraded") + " after 3 failures: (.*)"
    lines = re.findall(rx, log)
    assert len(lines) == 1, (lines, log)
    assert re.search(FAILURE_MODES[mode][1], lines[0]), lines
    if mode != "refused":
        got = prim.requests_from(r.marks[mode])
        label = {"redirect": "301"}.get(FAILURE_MODES[mode][0], str(FAILURE_MODES[mode][0]))
        assert got and all(q.answer == label for q in got), got
    if mode == "redirect":
        # a redirect is not followed
        assert not [q for q in prim.requests if q.path == "/redirected"]


def test_redirect_accepted_when_in_expected_ranges(failure_modes):
    r = failure_modes
    prim, _ = r.pairs[ACCEPTED_301]
    name = r.names[ACCEPTED_301]
    got = [q for q in prim.requests_from(r.marks[ACCEPTED_301]) if q.time < r.t_end]
    assert len(got) >= 4 and all(q.answer == "301" for q in got), got
    assert r.failover[ACCEPTED_301] is None
    samples = r.w.get(name, r.t_set[ACCEPTED_301], r.t_end)
    assert samples and all(s[2] == (prim.host,) for s in samples), samples
    assert not re.search(transition_rx("fm-%s/primary" % ACCEPTED_301, r"\w+", "Degraded"), r.g.log)
    assert not [q for q in prim.requests if q.path == "/redirected"]


# --------------------------------------------------------------------------
# What a probe sends
# --------------------------------------------------------------------------


def _host_is(req, target, port):
    """One Host header, the target itself (SPEC §6: "Host is the target")."""
    return req.header_all("Host") == [target]


def test_probe_request_path_headers_and_user_agent(gtmd_factory, backends):
    a, b, c = backends.http(3)
    (d,) = backends.http(1)
    path = "/probe/deep.html?check=1&x=y"
    p1 = profile(
        "hdr",
        "Weighted",
        [
            endpoint("a", a.host, customHeaders=[{"name": "X-Common", "value": "endpoint"}]),
            endpoint("b", b.host),
            endpoint("c", c.host, customHeaders=[{"name": "host", "value": "app.contoso.com"}]),
        ],
        port=a.port,
        path=path,
        monitor={
            "customHeaders": [
                {"name": "X-Probe", "value": "atm"},
                {"name": "X-Common", "value": "profile"},
            ]
        },
    )
    p2 = profile(
        "hosthdr",
        "Priority",
        [endpoint("d", d.host)],
        port=d.port,
        path="/",
        monitor={"customHeaders": [{"name": "Host", "value": "site.example"}]},
    )
    g = gtmd_factory.start(profiles={"hdr": p1, "hosthdr": p2})
    got = {be: be.wait_requests(2, timeout=4) for be in (a, b, c, d)}
    for be in (a, b, c, d):
        for req in got[be]:
            assert req.method == "GET", req
            assert req.version == "HTTP/1.1", req
            assert req.header_all("User-Agent") == [UA], req
    for be in (a, b, c):
        for req in got[be]:
            assert req.path == path, req
            assert req.header_all("X-Probe") == ["atm"], req
    for req in got[a]:
        assert req.header_all("X-Common") == ["endpoint"], req
        assert _host_is(req, a.host, a.port), req
    for req in got[b]:
        assert req.header_all("X-Common") == ["profile"], req
        assert _host_is(req, b.host, b.port), req
    for req in got[c]:
        assert req.header_all("X-Common") == ["profile"], req
        assert req.header_all("Host") == ["app.contoso.com"], req
    for req in got[d]:
        assert req.path == "/", req
        assert req.header_all("Host") == ["site.example"], req
    for label in ("hdr/a", "hdr/b", "hdr/c", "hosthdr/d"):
        wait_online(g, label)


def test_https_probe_self_signed(gtmd_factory, backends):
    prim, sec = backends.http(2, tls=True)
    g = gtmd_factory.start(
        profiles={"tls": pair_profile("tls", prim, sec, protocol="HTTPS", path="/tls-health")}
    )
    name = fqdn(g, "tls")
    g.wait_log(transition_rx("tls/primary", "CheckingEndpoint", "Online") + ": HTTP 200")
    wait_online(g, "tls/secondary")
    # the backend records a request only after a TLS handshake
    req = prim.wait_requests(1)[0]
    assert req.path == "/tls-health" and req.header_all("User-Agent") == [UA], req
    assert _host_is(req, prim.host, prim.port), req
    assert addresses(g, name) == [prim.host]
    prim.set(503)
    t0 = time.monotonic()
    with Watcher(g, [name]) as w:
        t = w.wait(name, lambda a: a == (sec.host,), since=t0, timeout=10)
    assert t is not None and t - t0 <= FAILOVER_MAX
    g.wait_log(transition_rx("tls/primary", "Online", "Degraded") + " after 3 failures: HTTP 503")


def test_tcp_probe(gtmd_factory, backends):
    prim, sec = backends.tcp(2)
    g = gtmd_factory.start(profiles={"tcp": pair_profile("tcp", prim, sec, protocol="TCP")})
    name = fqdn(g, "tcp")
    g.wait_log(transition_rx("tcp/primary", "CheckingEndpoint", "Online") + ": TCP connected")
    wait_online(g, "tcp/secondary")
    assert prim.wait_requests(1) and sec.wait_requests(1)
    assert addresses(g, name) == [prim.host]
    with Watcher(g, [name]) as w:
        prim.close()
        t0 = time.monotonic()
        t = w.wait(name, lambda a: a == (sec.host,), since=t0, timeout=10)
        assert t is not None, "never failed over"
        assert FAILOVER_MIN <= t - t0 <= FAILOVER_MAX, t - t0
        g.wait_log(
            transition_rx("tcp/primary", "Online", "Degraded")
            + " after 3 failures: connection refused"
        )
        prim.reopen()
        t1 = time.monotonic()
        t = w.wait(name, lambda a: a == (prim.host,), since=t1, timeout=8)
        assert t is not None and t - t1 <= RECOVERY_MAX, t
        g.wait_log(transition_rx("tcp/primary", "Degraded", "Online") + ": TCP connected")
    assert not w.timeouts(name)


def test_probe_spacing_and_independence(gtmd_factory, backends):
    """Interval 1 s: consecutive probes of an endpoint arrive ~1 s apart,
    for a healthy one and a failing one, also while a third endpoint's
    probes hang for their whole timeout."""
    a, b, c = backends.http(3)
    b.set("hang")
    c.set(503)
    g = gtmd_factory.start(
        profiles={
            "spacing": profile(
                "spacing",
                "Weighted",
                [endpoint("a", a.host), endpoint("b", b.host), endpoint("c", c.host)],
                port=a.port,
            )
        }
    )
    n = 6
    ra = a.wait_requests(n, timeout=n + 2)
    rc = c.wait_requests(n, timeout=n + 2)
    for be, reqs in (("a", ra[:n]), ("c", rc[:n])):
        gaps = [y.time - x.time for x, y in zip(reqs, reqs[1:])]
        print("\nprobe gaps %s: %s" % (be, " ".join("%.3f" % x for x in gaps)))
        assert all(0.7 <= x <= 1.3 for x in gaps), (be, gaps)
    # not in lock step: each endpoint has its own schedule
    assert len(b.requests) >= 3
    wait_online(g, "spacing/a")
    g.wait_log(transition_rx("spacing/b", "CheckingEndpoint", "Degraded") + " after 3 failures: timeout")
    g.wait_log(transition_rx("spacing/c", "CheckingEndpoint", "Degraded") + " after 3 failures: HTTP 503")
    # the healthy one is the only answer
    assert {tuple(addresses(g, fqdn(g, "spacing"))) for _ in range(20)} == {(a.host,)}


def test_hanging_probe_keeps_its_schedule_after_a_stall(gtmd_factory, backends):
    """SPEC §6: probes every interval, kept on their schedule. A hanging
    endpoint (each probe uses the whole 1 s timeout) must still be probed
    every interval after the daemon was held up for 0.2 s (as under load:
    the full suite shows it without any stall now and then)."""
    (b,) = backends.http(1)
    b.set("hang")
    g = gtmd_factory.start(
        profiles={"stall": profile("stall", "Priority", [endpoint("b", b.host)], port=b.port)}
    )
    r = b.wait_requests(2, timeout=4)
    # hold gtmd from 0.15 s before the next probe is due to 0.2 s after
    due = r[1].time + INTERVAL
    time.sleep(max(0, due - 0.15 - time.monotonic()))
    mark = b.mark()
    g.send_signal(signal.SIGSTOP)
    try:
        time.sleep(0.35)
    finally:
        g.send_signal(signal.SIGCONT)
    got = b.wait_requests(3, timeout=5, after=mark)
    times = [r[1].time] + [q.time for q in got]
    gaps = [y - x for x, y in zip(times, times[1:])]
    print("\nhanging probe gaps around a 0.35 s stall: %s" % " ".join("%.3f" % x for x in gaps))
    # the late one, then back on the schedule: due + 1, due + 2
    assert 1.1 <= gaps[0] <= 1.4, gaps
    assert abs(times[2] - (due + INTERVAL)) <= 0.15, (gaps, g.log)
    assert abs(times[3] - (due + 2 * INTERVAL)) <= 0.15, (gaps, g.log)
