"""The management API under attack by clients without a token (issue 10,
points 1, 4, 5 and 6): connections that send nothing, TLS connections that
trickle one header byte at a time, one client taking every connection, NUL
and dot segments in names, deeply nested members, an oversized
Content-Length. Through each attack a well-behaved client from another
loopback address is served; its latency is printed (run with -s).

Attackers bind their sockets to 127.0.0.2 and up, gtmd's API listens on
127.0.0.1: every packet stays on loopback."""

import json
import signal
import socket
import ssl
import threading
import time

import pytest

from armapi import RG, SUB, arm_profile, ep_path, ext_endpoint, rg_path, start_api
from conftest import LOOPBACK4, scaled

DEADLINE = 10  # API_REQUEST_DEADLINE_S in api/conn.h
SHARE = 16  # API_CLIENT_SHARE
MAX_CONNS = 128  # API_MAX_CONNS


def attacker(g, n, timeout=None):
    """A plain TCP connection to the API from 127.0.0.(2 + n % 30)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.%d" % (2 + n % 30), 0))
    s.settimeout(timeout or scaled(5))
    s.connect((LOOPBACK4, g.api_port))
    return s


def tls_attacker(g, n):
    """A TLS connection from 127.0.0.(2 + n % 30), handshake done."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(attacker(g, n))


def closed_by_server(s, wait):
    """True when the server closes s (EOF or reset) within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError, OSError) as e:
        return not isinstance(e, socket.timeout)


def served(g, seconds, label):
    """GETs by the well-behaved client (127.0.0.1) for `seconds`; each must
    answer 200. Prints and returns the latencies."""
    lat = []
    end = time.time() + seconds
    while True:
        t0 = time.time()
        r = g.api.get(rg_path(), timeout=5)
        lat.append(time.time() - t0)
        assert r.status == 200, (label, r)
        if time.time() >= end:
            break
        time.sleep(0.2)
    lat.sort()
    print(
        "%s: %d requests served, median %.1f ms, max %.1f ms"
        % (label, len(lat), 1000 * lat[len(lat) // 2], 1000 * lat[-1])
    )
    return lat


def test_idle_connections_do_not_lock_out(gtmd_factory, tmp_path):
    # More silent connections than the API has places, from 10 addresses
    # (each within its share): the well-behaved client is still served,
    # at once; the oldest silent ones are closed to make room.
    g = start_api(gtmd_factory, tmp_path)
    socks = [attacker(g, i % 10) for i in range(MAX_CONNS + 16)]
    try:
        time.sleep(0.5)
        lat = served(g, 3, "idle flood")
        assert lat[len(lat) // 2] < scaled(1.0)
        evicted = sum(closed_by_server(s, 0.05) for s in socks[:32])
        assert evicted > 0, "no silent connection was closed to make room"
    finally:
        for s in socks:
            s.close()
    assert "waited longest" in g.log


def test_trickling_headers_do_not_lock_out(gtmd_factory, tmp_path):
    # TLS connections that send one header byte at a time hold nothing past
    # the deadline, and never keep the well-behaved client out.
    g = start_api(gtmd_factory, tmp_path)
    socks = []
    stop = threading.Event()
    for i in range(MAX_CONNS):
        try:
            socks.append(tls_attacker(g, i % 10))
        except OSError:
            pass  # an older one was closed to admit a newer: fine
    started = time.time()

    def trickle():
        line = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4096
        k = 0
        while not stop.is_set():
            for s in socks:
                try:
                    s.send(line[k % len(line) : k % len(line) + 1])
                except OSError:
                    pass
            k += 1
            stop.wait(0.5)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        served(g, 4, "trickling TLS headers")
        # Every trickler is gone by the deadline, bytes notwithstanding.
        time.sleep(max(0.0, started + DEADLINE + scaled(3) - time.time()))
        alive = [s for s in socks if not closed_by_server(s, 0.05)]
        assert not alive, "%d trickling connections outlived the %d s deadline" % (
            len(alive),
            DEADLINE,
        )
    finally:
        stop.set()
        t.join()
        for s in socks:
            s.close()
    served(g, 0, "after the trickling")


def test_one_client_gets_its_share_only(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path)
    mine = [attacker(g, 0) for _ in range(SHARE + 4)]
    try:
        time.sleep(0.3)
        shut = [closed_by_server(s, 0.2) for s in mine]
        # the first SHARE are kept, the ones past its share are closed at once
        assert shut[:SHARE] == [False] * SHARE, shut
        assert all(shut[SHARE:]), shut
        other = attacker(g, 1)
        assert not closed_by_server(other, 0.3)
        other.close()
        served(g, 0, "beside a client at its share")
    finally:
        for s in mine:
            s.close()
    assert "its share" in g.log


def put_oversized(g, size, chunked=False):
    """A PUT announcing and sending size bytes, as a client that writes its
    whole body before reading does (curl, most SDKs); returns what it
    reads, or None when the server cut the connection while the client was
    still sending (curl then reports a send error and no status)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection((LOOPBACK4, g.api_port), timeout=scaled(10)))
    try:
        length = "Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % size
        head = (
            "PUT %s?api-version=2022-04-01 HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "%s\r\n\r\n" % (rg_path("big"), g.api.token, length)
        ).encode()
        body = b" " * size
        if chunked:
            step = 64 * 1024
            body = b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + step]), body[i : i + step])
                for i in range(0, size, step)
            ) + b"0\r\n\r\n"
        try:
            s.sendall(head + body)
        except OSError:
            return None
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            data += b
        return data
    finally:
        s.close()


def test_oversized_content_length_gets_413(gtmd_factory, tmp_path):
    # A body over 1 MiB announced by Content-Length: the client, still
    # sending it, reads a 413 in Azure's shape rather than a reset.
    g = start_api(gtmd_factory, tmp_path)
    for size in (2 * 1024 * 1024, 8 * 1024 * 1024, 8 * 1024 * 1024, 3 * 1024 * 1024):
        data = put_oversized(g, size)
        assert data is not None, "connection cut while the client sent %d bytes" % size
        assert data.startswith(b"HTTP/1.1 413"), (size, data[:300])
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"\r\nContent-Type: application/json" in head, head
        assert b"\r\nConnection: close" in head, head
        err = json.loads(body)["error"]
        assert err["code"] == "RequestBodyTooLarge", err
        assert "1048576 bytes" in err["message"], err
    # Chunked, with no Content-Length: evhttp stops at the limit the same way.
    data = put_oversized(g, 2 * 1024 * 1024, chunked=True)
    assert data is not None and data.startswith(b"HTTP/1.1 413"), data[:300]
    assert json.loads(data.partition(b"\r\n\r\n")[2])["error"]["code"] == "RequestBodyTooLarge"
    served(g, 0, "after oversized bodies")
    # A body within the limit is not touched by the rewrite: Azure's 400.
    r = g.api.put(rg_path("small"), {"properties": "x" * 1000})
    assert r.status == 400 and r.code in ("BadRequest", "InvalidRequestContent"), r


def profiles_on_disk(g):
    return sorted(p.name for p in g.pdir.iterdir() if p.suffix == ".json")


def test_names_follow_azure_rules(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path)
    body = arm_profile("foo", endpoints=[ext_endpoint("ep", "127.0.0.11", priority=1)])
    assert g.api.put(rg_path("foo"), body).status == 201

    # A decoded NUL never reaches a name: not "foo" made or deleted.
    r = g.api.put(rg_path("foo%00bar"), arm_profile("foobar"))
    assert r.status == 400 and r.code == "BadRequest", r
    r = g.api.delete(rg_path("foo%00anything"))
    assert r.status == 400, r
    r = g.api.get(ep_path("foo", "ep%00x"))
    assert r.status == 400, r
    r = g.api.get("/gtmd/v1/resolve?name=foo%00.tm.test", api_version=None)
    assert r.status == 400, r
    assert g.api.get(rg_path("foo")).status == 200
    assert profiles_on_disk(g) == ["foo.json"]

    # Each segment by its own rule, with Azure's error code.
    bad = [
        (rg_path("foo", sub="%2e%2e"), "InvalidSubscriptionId"),
        (rg_path("foo", sub="not-a-guid"), "InvalidSubscriptionId"),
        (rg_path("foo", rg="%2e%2e"), "InvalidResourceGroupName"),
        (rg_path("foo", rg="rg."), "InvalidResourceGroupName"),
        (rg_path("foo", rg="r" * 91), "InvalidResourceGroupName"),
        (rg_path("%2e%2e"), "InvalidResourceName"),
        (rg_path("-foo"), "InvalidResourceName"),
        (rg_path("foo."), "InvalidResourceName"),
        (rg_path("f" * 64), "InvalidResourceName"),
        (rg_path("a%20b"), "InvalidResourceName"),
        (ep_path("foo", "a:b"), "InvalidResourceName"),
        (ep_path("foo", "a%3Cb"), "InvalidResourceName"),
        (ep_path("foo", "ends."), "InvalidResourceName"),
        (ep_path("foo", "e" * 261), "InvalidResourceName"),
    ]
    for path, code in bad:
        for method in ("GET", "PUT", "DELETE"):
            r = g.api.request(method, path, body={} if method == "PUT" else None)
            assert r.status == 400 and r.code == code, (method, path, r)
    assert profiles_on_disk(g) == ["foo.json"]

    # Names within the rules work.
    ok_rg = "rg_(test)-1.x"
    assert g.api.put(rg_path("a.b-c", rg=ok_rg), arm_profile("abc")).status == 201
    assert g.api.put(ep_path("a.b-c", "ep%20one_2", rg=ok_rg),
                     {"properties": {"target": "127.0.0.12", "priority": 1}}).status == 201
    assert g.api.get(ep_path("a.b-c", "ep%20one_2", rg=ok_rg)).status == 200


def nested(depth, leaf):
    v = leaf
    for _ in range(depth - 1):
        v = {"n": v}
    return v


def test_unknown_members_bounded_in_depth(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path)
    # 650 levels of unknown members: refused, saying why (was: stored as a
    # file 460 times the size of the request).
    body = arm_profile("deep")
    body["properties"]["x-deep"] = nested(650, 1)
    r = g.api.put(rg_path("deep"), body)
    assert r.status == 400 and r.code == "InvalidRequestContent", r
    assert "deeper than 64 levels" in r.message, r
    assert profiles_on_disk(g) == []

    # Within the bound, a wide document is stored at about its own size:
    # indenting it would make it many times larger, so it is written compact.
    body = arm_profile("wide")
    body["properties"]["x-wide"] = nested(60, [1] * 200000)
    raw = json.dumps(body, separators=(",", ":"))
    assert len(raw) < 1024 * 1024
    r = g.api.put(rg_path("wide"), body)
    assert r.status == 201, r
    size = (g.pdir / "wide.json").stat().st_size
    assert size <= 1024 * 1024 and size < 2 * len(raw), size

    # A file on disk nested too deep is refused with its name.
    (g.pdir / "hand.json").write_text(json.dumps(dict(arm_profile("hand"), x=nested(70, 1))))
    g.send_signal(signal.SIGHUP)
    g.wait_log(r"hand\.json: error: objects and arrays nested deeper than 64 levels")
    assert g.api.get(rg_path("hand")).status == 404
