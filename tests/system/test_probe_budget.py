"""--max-probes-in-flight (issue 16 point 3): probes due while the budget is
spent are never silently late. gtmd logs it once, counts each skipped run
in gtmd_probes_skipped_total, and moves the probe to another time of its
interval, so every endpoint is still probed and the runs under way keep
their schedule.

Backends are real local HTTP servers (backends.py) on 127.0.0.21-99; one
of them hangs, holding the only slot of the budget for the whole timeout
(1 s of each 2 s interval)."""

import re

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
    hang, *good = backends.http(5)
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

    m = metrics(g)
    assert m["gtmd_probes_skipped_total"] >= 1, m
    assert m["gtmd_probes_in_flight"] <= 1, m
    assert m["gtmd_probe_runs_pooled"] == 1, m  # one run, reused by every probe
    assert len(re.findall(SKIP_LOG, g.log)) == 1, g.log  # logged once, however many

    # every endpoint keeps being probed: each backend got requests
    assert poll(lambda: all(len(b.requests) >= 2 for b in good), timeout=scaled(20))
    assert g.alive()


def test_default_budget_is_half_the_open_files(gtmd_factory, backends, tmp_path):
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
    assert m["gtmd_probes_in_flight_max"] == min(max(soft // 2, 16), 1 << 20), (m, soft)
    assert m["gtmd_probes_skipped_total"] == 0
