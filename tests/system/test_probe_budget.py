"""--max-probes-in-flight (issue 16 point 3): probes due while the budget is
spent are never silently late. gtmd logs it once, counts each skipped run
in gtmd_probes_skipped_total, and moves the probe to another time of its
interval, so every endpoint is still probed and the runs under way keep
their schedule.

Backends are real local HTTP servers (backends.py) on 127.0.0.21-99; one
of them hangs, holding the only slot of the budget for the whole timeout
(1 s of each 2 s interval)."""

import re
import socket

from armapi import start_api
from backends import endpoint, poll, profile, wait_transition
from conftest import scaled

SKIP_LOG = r"probes due meanwhile \(\S+ first\) are skipped and moved within their interval"


def metrics(g):
    r = g.api.request("GET", "/metrics", token=None, api_version=None)
    assert r.status == 200
    out = {}
    for line in r.raw.splitlines():
        if line.startswith("gtmd_probe") and "{" not in line:
            name, value = line.split()
            out[name] = float(value)
    return out


def test_budget_skips_spreads_and_counts(gtmd_factory, backends, tmp_path):
    # the first runs are spread at random over the interval: each good probe
    # lands inside the hanging one's second by even chance, so with 15 of
    # them all miss it once in 2^15 runs (and the skip count is awaited)
    hang, *good = backends.http(16)
    hang.set("hang")
    eps = [endpoint("hang", hang.host, priority=1)]
    eps += [endpoint("good%d" % i, b.host, priority=i + 2) for i, b in enumerate(good)]
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={"app": profile("app", "Priority", eps, port=hang.port, interval=2, timeout=1,
                                 tolerated=0)},
        extra=["--max-probes-in-flight", "1"],
    )
    m = metrics(g)
    assert m["gtmd_probes_in_flight_max"] == 1

    # the hanging probe holds the one slot for 1 s of every 2: runs due then
    # are skipped and moved, and land in the free second sooner or later
    wait_transition(g, "app/hang", "CheckingEndpoint", "Degraded", timeout=scaled(10))
    for i in range(len(good)):
        wait_transition(g, "app/good%d" % i, "CheckingEndpoint", "Online", timeout=scaled(40))

    _, took = poll(lambda: metrics(g)["gtmd_probes_skipped_total"] >= 1, timeout=scaled(30))
    assert took is not None, metrics(g)
    m = metrics(g)
    assert m["gtmd_probes_in_flight"] <= 1, m
    assert m["gtmd_probe_runs_pooled"] == 1, m  # one run, reused by every probe
    assert len(re.findall(SKIP_LOG, g.log)) == 1, g.log  # logged once, however many

    # every endpoint keeps being probed: each backend got requests
    _, took = poll(lambda: all(len(b.requests) >= 2 for b in good), timeout=scaled(20))
    assert took is not None, [len(b.requests) for b in good]
    assert g.alive()


def test_default_budget_is_a_quarter_of_the_open_files(gtmd_factory, backends, tmp_path):
    b = backends.http(1)[0]
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={"app": profile("app", "Priority", [endpoint("a", b.host, priority=1)],
                                 port=b.port)},
    )
    wait_transition(g, "app/a", "CheckingEndpoint", "Online", timeout=scaled(5))
    m = metrics(g)
    with open("/proc/%d/limits" % g.pid) as f:
        soft = int(re.search(r"^Max open files\s+(\d+)", f.read(), re.M).group(1))
    assert m["gtmd_probes_in_flight_max"] == min(max(soft // 4, 16), 1 << 20), (m, soft)
    assert m["gtmd_probes_skipped_total"] == 0


def test_pooled_run_carries_nothing_between_probes(gtmd_factory, backends, tmp_path):
    """With a budget of one, every probe runs on the same pooled libcurl
    handle, one after another: a probe with custom headers and its own
    User-Agent, a TCP probe of a host name (curl's connect-only run), and
    a plain HTTP probe. Each sends what its own profile says, nothing of
    the others'."""
    custom, plain = backends.http(2)
    # the TCP probe's "localhost" resolves to 127.0.0.1 (and maybe ::1):
    # a listener there, whose queue accepts the connections
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    tcp_port = lsock.getsockname()[1]
    mon_headers = {"customHeaders": [{"name": "X-A", "value": "1"},
                                     {"name": "User-Agent", "value": "custom/1"}]}
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={
            "custom": profile("custom", "Priority", [endpoint("e", custom.host, priority=1)],
                              port=custom.port, path="/custom", monitor=mon_headers),
            "tcpname": profile("tcpname", "Priority", [endpoint("e", "localhost", priority=1)],
                               port=tcp_port, protocol="TCP"),
            "plain": profile("plain", "Priority", [endpoint("e", plain.host, priority=1)],
                             port=plain.port, path="/plain"),
        },
        extra=["--max-probes-in-flight", "1"],
    )
    for name in ("custom", "tcpname", "plain"):
        wait_transition(g, name + "/e", "CheckingEndpoint", "Online", timeout=scaled(10))
    _, took = poll(lambda: len(custom.requests) >= 3 and len(plain.requests) >= 3,
                   timeout=scaled(10))
    assert took is not None, (len(custom.requests), len(plain.requests))
    for r in plain.requests:
        assert r.ready.wait(5)
        assert (r.method, r.path) == ("GET", "/plain"), r
        assert r.header_all("X-A") == [], r
        assert r.header_all("User-Agent") == ["Azure Traffic Manager Endpoint Monitor"], r
    for r in custom.requests:
        assert r.ready.wait(5)
        assert (r.method, r.path) == ("GET", "/custom"), r
        assert r.header_all("X-A") == ["1"] and r.header_all("User-Agent") == ["custom/1"], r
    assert metrics(g)["gtmd_probe_runs_pooled"] == 1
    lsock.close()
