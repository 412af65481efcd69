"""docs/DR-SWITCH.md run as written (issue 17, point 1): two stand-in
gateways serving IRIS's mirror-status page, a real etcd, a fleet of two
gtmd nodes, a drill with overrides, the primary's loss with both regions
answering "not primary" (best effort keeps priority 1), the promotion of
the DR member, the switch back, and the pager hook, all through the
guide's own commands (tests/system/guide.py checks every output it shows).
On top of the guide's outputs, this checks the timings the guide explains."""

import json
import os

import pytest

import guide
from conftest import scaled

ETCD = "/usr/bin/etcd"
PORTS = [5301, 5302, 8441, 8442, 23790, 23800, 18080, 18090]

pytestmark = [
    pytest.mark.skipif(not os.access(ETCD, os.X_OK), reason="no etcd (Debian etcd-server)"),
    pytest.mark.skipif(os.environ.get("GTM_SKIP_SLOW") == "1",
                       reason="slow: run in the plain pass only (GTM_SKIP_SLOW=1)"),
]


def test_dr_switch_guide():
    g = guide.run("DR-SWITCH.md", ports=PORTS, timeout=180)

    # the loss: Degraded at the third refused probe of each node, 1 s apart
    loss = g.step_at(r"kill \$\(cat dr-demo/gw-weu.pid\)")
    assert 1.5 <= loss.seconds <= scaled(10), loss.seconds
    # the promotion: DNS follows at the DR member's next probe (1 s interval)
    promote = g.step_at(r"echo primary > dr-demo/gw-neu.role")
    ms = int(promote.output.split(" after ")[1].split()[0])
    assert ms <= scaled(3) * 1000, promote.output

    # the page: PagerDuty's Events API v2 shape, one trigger from each node
    # under one dedup key; drills under keys of their own
    pages = g.step_at(r"json.tool")
    count, body = pages.output.split("\n", 1)
    assert count == "2", pages.output
    page = json.loads(body)
    assert page["payload"]["source"] in ("ns-weu", "ns-neu"), page
    assert set(page) == {"routing_key", "event_action", "dedup_key", "payload"}, page
    assert set(page["payload"]) == {"summary", "source", "severity"}, page
