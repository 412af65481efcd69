"""examples/fleet/run, the 3-node DR fleet of README's "Deploying a DR
fleet", run as a user would: a real 3-member etcd, the profile imported
with gtmctl fleet import, two switchable backends, three gtmd nodes. On
free ports (--dns-port, --api-port, --etcd-port, --backend-port) and
--quiet; the test waits for "fleet ready", checks that every node answers
the primary with its own NSID, fails the primary and sees all three fail
over, recovers it and sees all three come back, then stops the script with
SIGTERM and checks that every process it started is gone."""

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dns.edns
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import GTMD, scaled

HERE = Path(__file__).resolve().parent
RUN = HERE.parent.parent / "examples" / "fleet" / "run"
ETCD = "/usr/bin/etcd"
PRIMARY, SECONDARY = "127.0.0.21", "127.0.0.22"

pytestmark = pytest.mark.skipif(not os.access(ETCD, os.X_OK),
                                reason="no etcd (Debian etcd-server)")

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free(port, host="127.0.0.1", udp=False):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM) if udp else (socket.SOCK_STREAM,):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_run(offsets, host="127.0.0.1", udp=False):
    """A base port b such that b + each offset is free (TCP, and UDP too)."""
    for _ in range(500):
        b = random.randrange(20000, 60000)
        if all(_free(b + o, host, udp) and b + o not in (2379, 2380) for o in offsets):
            return b
    raise RuntimeError("no free ports")


def ask(port, name="app.trafficmanager.net."):
    """(addresses, NSID) from the node on port, or (rcode text, None)."""
    q = dns.message.make_query(name, "A", use_edns=0,
                               options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
    except Exception:  # noqa: BLE001 - no answer
        return None, None
    nsid = [o.data.decode() for o in r.options if o.otype == dns.edns.NSID]
    if r.rcode() != dns.rcode.NOERROR:
        return dns.rcode.to_text(r.rcode()), nsid
    return tuple(sorted(rd.to_text() for rrset in r.answer for rd in rrset)), nsid


def wait_all(ports, want, timeout):
    deadline = time.time() + scaled(timeout)
    while True:
        got = [ask(p)[0] for p in ports]
        if all(g == want for g in got):
            return
        if time.time() > deadline:
            raise AssertionError("not every node answers %r: %r" % (want, got))
        time.sleep(0.1)


def get(url):
    with _OPENER.open(url, timeout=5) as r:
        return r.read().decode()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of the script's is gone for our purpose
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_fleet_example_fails_over_on_every_node(tmp_path):
    dns_port = free_run((0, 1, 2), udp=True)
    api_port = free_run((0, 1, 2))
    etcd_port = free_run((0, 1, 2, 10, 11, 12))
    backend_port = free_run((0,), host=PRIMARY)
    assert _free(backend_port, SECONDARY)
    env = dict(os.environ, GTMD=GTMD, GTMCTL=str(Path(GTMD).with_name("gtmctl")),
               ETCD=ETCD, PYTHON3=sys.executable)
    out = tmp_path / "run.out"
    argv = [str(RUN), "--dir", str(tmp_path / "lab"), "--quiet",
            "--dns-port", str(dns_port), "--api-port", str(api_port),
            "--etcd-port", str(etcd_port), "--backend-port", str(backend_port)]
    with open(out, "wb") as f:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    ports = [dns_port, dns_port + 1, dns_port + 2]
    primary = "http://%s:%d" % (PRIMARY, backend_port)
    try:
        deadline = time.time() + scaled(25)
        while b"fleet ready" not in out.read_bytes():
            assert proc.poll() is None, "run exited %s:\n%s" % (proc.returncode, out.read_text())
            assert time.time() < deadline, "no 'fleet ready':\n" + out.read_text()
            time.sleep(0.1)
        text = out.read_text()
        assert "imported app from" in text

        # every node answers the primary, each with its own name
        wait_all(ports, (PRIMARY,), 5)
        assert [ask(p)[1] for p in ports] == [["n1"], ["n2"], ["n3"]]

        # the primary region fails: all three answer the secondary
        assert "failing" in get(primary + "/fail")
        wait_all(ports, (SECONDARY,), 10)
        # and back
        assert "healthy" in get(primary + "/recover")
        wait_all(ports, (PRIMARY,), 10)

        # Ctrl-C's way out: everything it started stops, by PID
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=scaled(20)) == 0
        text = out.read_text()
        m = re.search(r"stopping: gtmd nodes ([\d ]+), backends (\d+), etcd ([\d ]+)", text)
        assert m, text
        pids = [int(p) for g in m.groups() for p in g.split()]
        assert len(pids) == 7
        assert not [p for p in pids if alive(p)], text
        assert all(ask(p)[0] is None for p in ports)
    finally:
        # what is left of the script and what it started: its own session
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
