"""dnstap (issue 15, point 6): --dnstap logs AUTH_QUERY and AUTH_RESPONSE
messages that the standard tools read: to a file (complete once gtmd stops
on SIGTERM), read by BIND's dnstap-read and Knot's kdig -G; to a unix socket
that fstrm_capture (fstrm-bin) listens on; and to a socket nobody listens
on, where answering goes on as always and every message is counted, queued
or dropped (/metrics)."""

import os
import shutil
import signal
import subprocess
import time

import dns.rcode
import pytest

from armapi import start_api
from conftest import STANDARD_ZONES, free_port, scaled

yaml = pytest.importorskip("yaml", reason="python3-yaml reads dnstap-read -y")

pytestmark = pytest.mark.skipif(
    not shutil.which("dnstap-read"), reason="dnstap-read (bind9-dnsutils) is not installed"
)

NODE = "tap-1"


def read_tap(path):
    """The messages of a dnstap file, as dnstap-read -y prints them."""
    out = subprocess.run(
        ["dnstap-read", "-y", str(path)], capture_output=True, text=True, timeout=scaled(20)
    )
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def question(m):
    """'name. IN TYPE' of a message's query or response."""
    msg = m["message"]
    data = msg.get("query_message_data") or msg.get("response_message_data")
    return data["QUESTION_SECTION"][0]


def by_question(docs, name):
    return [d for d in docs if question(d).startswith(name + " ")]


def start(gtmd_factory, target, extra=()):
    return gtmd_factory.start(
        zones=STANDARD_ZONES,
        extra=["--api", "off", "--dnstap", str(target), "--node", NODE, *extra],
    )


def ask_some(g):
    """Three queries: UDP, TCP, and an NXDOMAIN over TCP."""
    assert g.query("www.example.com", "A").rcode() == dns.rcode.NOERROR
    assert g.query("www.example.com", "AAAA", tcp=True).rcode() == dns.rcode.NOERROR
    assert g.query("nope.example.com", "A", tcp=True).rcode() == dns.rcode.NXDOMAIN


def check_some(docs, port, queries=True):
    want = [
        ("www.example.com. IN A", "UDP", "NOERROR"),
        ("www.example.com. IN AAAA", "TCP", "NOERROR"),
        ("nope.example.com. IN A", "TCP", "NXDOMAIN"),
    ]
    for q, proto, status in want:
        got = [d for d in docs if question(d) == q]
        types = sorted(d["message"]["type"] for d in got)
        assert types == (["AUTH_QUERY", "AUTH_RESPONSE"] if queries else ["AUTH_RESPONSE"]), got
        for d in got:
            assert d["type"] == "MESSAGE"
            assert d["identity"] == NODE
            assert str(d["version"]).startswith("gtmd ")
            m = d["message"]
            assert m["socket_family"] == "INET"
            assert m["socket_protocol"] == proto
            assert m["query_address"] == "127.0.0.1"
            assert m["response_address"] == "127.0.0.1"
            assert m["response_port"] == port
            assert 0 < m["query_port"] < 65536
            if m["type"] == "AUTH_RESPONSE":
                assert "response_time" in m
                assert m["response_message_data"]["status"] == status
                assert "qr" in m["response_message_data"]["flags"]
            else:
                assert "query_time" in m
                assert "qr" not in m["query_message_data"]["flags"]
        # the response comes from the same client port as its query
        assert len({d["message"]["query_port"] for d in got}) == 1


def test_file(gtmd_factory, tmp_path):
    tap = tmp_path / "file.tap"
    g = start(gtmd_factory, tap)
    g.wait_log(r"dnstap: logging queries and responses to the file")
    ask_some(g)
    assert g.stop() == 0  # SIGTERM: what is queued is written, the stream ends
    docs = read_tap(tap)
    check_some(docs, g.port)
    if shutil.which("kdig"):  # Knot's reader of the same file
        out = subprocess.run(
            ["kdig", "-G", str(tap)], capture_output=True, text=True, timeout=scaled(20)
        )
        assert out.returncode == 0, out.stderr
        assert "nope.example.com." in out.stdout and "NXDOMAIN" in out.stdout, out.stdout


def test_responses_only(gtmd_factory, tmp_path):
    tap = tmp_path / "r.tap"
    g = start(gtmd_factory, tap, ["--dnstap-queries", "no"])
    ask_some(g)
    assert g.stop() == 0
    docs = read_tap(tap)
    assert docs and all(d["message"]["type"] == "AUTH_RESPONSE" for d in docs)
    check_some(docs, g.port, queries=False)


def test_unix_socket_fstrm_capture(gtmd_factory, tmp_path):
    if not shutil.which("fstrm_capture"):
        pytest.skip("fstrm_capture (fstrm-bin) is not installed")
    sock, out = tmp_path / "tap.sock", tmp_path / "captured.tap"
    cap = subprocess.Popen(
        ["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", str(sock), "-w", str(out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + scaled(5)
        while not sock.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert sock.exists(), "fstrm_capture did not listen"
        g = start(gtmd_factory, "unix:%s" % sock)
        g.wait_log(r"dnstap: logging queries and responses to the unix socket")
        ask_some(g)
        assert g.stop() == 0
    finally:
        if cap.poll() is None:
            os.kill(cap.pid, signal.SIGINT)  # it writes what it has and closes the file
        try:
            cap.wait(timeout=scaled(10))
        except subprocess.TimeoutExpired:
            cap.kill()
            cap.wait()
    docs = read_tap(out)
    check_some(docs, g.port)


def test_no_reader_never_stalls(gtmd_factory, tmp_path):
    """A socket nobody listens on: 500 queries are answered as fast as
    without dnstap, and every message is either queued or counted dropped."""
    sock = tmp_path / "nobody.sock"
    g = start_api(
        gtmd_factory, tmp_path, zones=STANDARD_ZONES, extra=["--dnstap", "unix:%s" % sock]
    )
    t0 = time.time()
    for i in range(500):
        r = g.query("www.example.com", "A", tcp=(i % 10 == 0))
        assert r.rcode() == dns.rcode.NOERROR
    assert time.time() - t0 < scaled(10)
    r = g.api.request("GET", "/metrics", token=None, api_version=None)
    assert r.status == 200
    values = {}
    for line in r.raw.splitlines():
        if line.startswith("gtmd_dnstap_"):
            name, value = line.split()
            values[name] = int(value)
    # the readiness query and the 500, each a query and a response: with
    # no reader, libfstrm's writer takes them off the queues and discards
    # them itself, so none finds a full queue
    assert values["gtmd_dnstap_messages_total"] >= 1000, values
    assert values["gtmd_dnstap_dropped_total"] == 0, values
    assert g.alive()


def test_silent_reader_does_not_hold_shutdown(gtmd_factory, tmp_path):
    """A reader that accepts the connection and never speaks Frame
    Streams: libfstrm waits for it without a timeout; gtmd stops anyway,
    within a few seconds, and says why."""
    import socket
    sock = tmp_path / "silent.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock))
    srv.listen(4)
    try:
        g = start(gtmd_factory, "unix:%s" % sock)
        conn, _ = srv.accept()  # accepted, never answered
        for _ in range(5):
            g.query("www.example.com", "A")
        t0 = time.time()
        assert g.stop(timeout=20) == 0
        assert time.time() - t0 < scaled(10)
        assert "did not finish the stream" in g.log
        conn.close()
    finally:
        srv.close()


def test_without_dnstap_no_metrics(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path, zones=STANDARD_ZONES)
    r = g.api.request("GET", "/metrics", token=None, api_version=None)
    assert r.status == 200 and "gtmd_dnstap_" not in r.raw


def test_unwritable_file_fails_start(gtmd_factory, tmp_path):
    r = gtmd_factory.run(
        [
            "--listen",
            "127.0.0.1:%d" % free_port(),
            "--api",
            "off",
            "--state-dir",
            str(tmp_path),
            "--dnstap",
            str(tmp_path / "no-such-dir" / "x.tap"),
        ]
    )
    assert r.returncode == 2, r.stderr
    assert "dnstap: cannot write" in r.stderr, r.stderr
