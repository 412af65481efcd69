"""DNS over TCP under attack (issue 10, "Hardening", point 2): slow-loris,
idle floods, one client hogging the slots, and messages gtmd does not answer.

Attackers bind their sockets to 127.0.0.2..127.0.0.19; the well-behaved
client connects from 127.0.0.1 (gtmd listens on 127.0.0.1), so the per-client
share of --tcp-clients never counts it with the attackers. Each test prints
the good client's latencies (run pytest with -s to see them) and asserts only
generous bounds, scaled by GTMD_TIMEOUT_SCALE."""

import select
import socket
import statistics
import threading
import time

import dns.exception
import dns.message

from conftest import (
    LOOPBACK4,
    STANDARD_ZONES,
    frame,
    make_query,
    scaled,
    tcp_read_msg,
    texts,
)

ATTACKERS = ["127.0.0.%d" % i for i in range(2, 20)]


def attacker_socket(g, src):
    """A TCP connection to gtmd from source address src."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(scaled(2))
    s.connect(g.addr())
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    return s


def is_closed(s):
    """True when gtmd has closed s (EOF or reset); never blocks."""
    try:
        return s.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, socket.timeout):
        return False
    except OSError:
        return True


def wait_closed(s, timeout):
    """Seconds until gtmd closes s; None if still open after timeout."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        select.select([s], [], [], 0.05)
        if is_closed(s):
            return time.time() - t0
    return None


def good_query(g, qid):
    """One query over a fresh TCP connection from 127.0.0.1; its latency."""
    t0 = time.time()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((LOOPBACK4, 0))
        s.settimeout(scaled(1))
        s.connect(g.addr())
        s.sendall(frame(make_query("www.example.com", "A", qid=qid).to_wire()))
        r = dns.message.from_wire(tcp_read_msg(s))
    finally:
        s.close()
    assert r.id == qid and texts(r) == ["192.0.2.2"]
    return time.time() - t0


class GoodClient(threading.Thread):
    """Queries gtmd over TCP every `every` seconds until stopped; records
    each latency or failure."""

    def __init__(self, g, every=0.1):
        super().__init__(daemon=True)
        self.g = g
        self.every = every
        self.latencies = []
        self.failures = []
        self.halt = threading.Event()
        self.started = False

    def run(self):
        qid = 0
        while not self.halt.is_set():
            qid = (qid + 1) & 0xFFFF
            try:
                self.latencies.append(good_query(self.g, qid))
            except (OSError, EOFError, AssertionError, dns.exception.DNSException) as e:
                self.failures.append("%.2f s: %r" % (time.time(), e))
            self.halt.wait(self.every)

    def stop(self):
        self.halt.set()
        if self.started:
            self.join(scaled(5))

    def report(self, what):
        lat = sorted(self.latencies)
        if lat:
            print(
                "%s: good client %d queries answered, %d failed; latency ms "
                "min %.1f median %.1f max %.1f"
                % (what, len(lat), len(self.failures), lat[0] * 1e3,
                   statistics.median(lat) * 1e3, lat[-1] * 1e3)
            )
        else:
            print("%s: good client: no answer, %d failures" % (what, len(self.failures)))


def assert_served(good, limit):
    assert not good.failures, "good client not served (%d answered): %s" % (
        len(good.latencies), good.failures[:5])
    assert good.latencies, "good client sent nothing"
    assert max(good.latencies) < scaled(limit), max(good.latencies)


# --------------------------------------------------------------------------
# 1. Slow-loris: every slot held by connections trickling a byte at a time
# --------------------------------------------------------------------------


def test_tcp_slowloris_deadline_and_good_client_served(gtmd_factory):
    timeout, clients = 2, 32
    g = gtmd_factory.start(
        zones=STANDARD_ZONES, workers=1,
        extra=["--tcp-timeout", str(timeout), "--tcp-clients", str(clients)],
    )
    share = clients // 8
    slack = scaled(1.5)
    duration = timeout + slack + 2
    addrs = ATTACKERS[: clients // share]  # exactly fills every slot
    # conn: [socket, source, opened, bytes sent, next send, closed]
    conns = []

    def open_one(src, now):
        conns.append([attacker_socket(g, src), src, now, 0, now, None])

    t_start = time.time()
    for src in addrs:
        for _ in range(share):
            open_one(src, time.time())
    good = GoodClient(g, every=0.25)
    try:
        while time.time() - t_start < duration:
            now = time.time()
            if not good.started and now - t_start >= 0.3:
                good.started = True
                good.start()  # once every slot is taken
            for c in conns:
                if c[5] is not None:
                    continue
                if is_closed(c[0]):
                    c[5] = now
                    c[0].close()
                    open_one(c[1], now)  # keep up the pressure
                elif now >= c[4]:
                    # a length prefix of 255, then its body a byte at a time
                    byte = b"\x00" if c[3] == 0 else b"\xff" if c[3] == 1 else b"x"
                    try:
                        c[0].send(byte)
                        c[3] += 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        c[5] = now
                        c[0].close()
                        open_one(c[1], now)
                        continue
                    c[4] = now + 0.5
            time.sleep(0.05)
    finally:
        good.stop()
        for c in conns:
            if c[5] is None:
                c[0].close()
    good.report("slow-loris (%d trickling connections from %d addresses)"
                % (clients, len(addrs)))
    assert_served(good, 1.0)
    # Every trickling connection old enough was closed by its deadline (or
    # evicted before it) although it kept sending bytes.
    first_wave = conns[: clients]
    lifetimes = [c[5] - c[2] for c in first_wave if c[5] is not None]
    print("slow-loris: first wave of %d connections: %d closed, lifetimes "
          "%.2f..%.2f s, up to %d bytes each"
          % (len(first_wave), len(lifetimes), min(lifetimes or [0]),
             max(lifetimes or [0]), max(c[3] for c in first_wave)))
    assert len(lifetimes) == len(first_wave), "trickling connections kept open"
    assert max(lifetimes) <= timeout + slack, lifetimes
    trickled = [c for c in first_wave if c[3] >= 3 and c[5] - c[2] >= timeout - 0.5]
    assert trickled, "no connection lived long enough to show bytes do not extend it"


# --------------------------------------------------------------------------
# 2. Idle flood: more idle connections than slots
# --------------------------------------------------------------------------


def test_tcp_idle_flood_evicts_oldest(gtmd_factory):
    clients = 32
    g = gtmd_factory.start(
        zones=STANDARD_ZONES, workers=1,
        extra=["--tcp-timeout", "30", "--tcp-clients", str(clients)],
    )
    share = clients // 8
    latencies = []
    for wave in range(3):
        socks = []
        time.sleep(scaled(0.2))  # the previous wave's connections are gone
        try:
            # twice as many idle connections as slots, within each address's share
            for src in ATTACKERS[: 2 * clients // share]:
                for _ in range(share):
                    socks.append(attacker_socket(g, src))
            time.sleep(scaled(0.2))
            latencies.append(good_query(g, 100 + wave))
            time.sleep(scaled(0.1))
            closed = [is_closed(s) for s in socks]
            print("idle flood wave %d: %d idle connections, %d closed, good client "
                  "answered in %.1f ms"
                  % (wave, len(socks), sum(closed), latencies[-1] * 1e3))
            # The newcomers evicted the oldest, and the good client the next.
            assert all(closed[: len(socks) - clients + 1]), closed
            assert not any(closed[len(socks) - clients + 1:]), closed
        finally:
            for s in socks:
                s.close()
    assert max(latencies) < scaled(1.0), latencies


# --------------------------------------------------------------------------
# 3. Per-client share of --tcp-clients
# --------------------------------------------------------------------------


def test_tcp_per_client_share(gtmd_factory):
    clients = 32
    g = gtmd_factory.start(
        zones=STANDARD_ZONES, workers=1,
        extra=["--tcp-timeout", "30", "--tcp-clients", str(clients)],
    )
    share = clients // 8
    hog, other = ATTACKERS[0], ATTACKERS[1]
    socks = [attacker_socket(g, hog) for _ in range(share + 6)]
    try:
        # the connections beyond the share are closed at once, without a byte sent
        over = [wait_closed(s, scaled(1.0)) for s in socks[share:]]
        print("per-client share %d: the %d connections over it closed after %s s"
              % (share, len(over), ["%.3f" % t if t is not None else None for t in over]))
        assert all(t is not None for t in over), over
        assert not any(is_closed(s) for s in socks[:share])
        g.wait_log(r"TCP connections from 127\.0\.0\.2, its share of tcp-clients")
        # the ones within the share work
        for i, s in enumerate(socks[:share]):
            s.setblocking(True)
            s.settimeout(scaled(1))
            s.sendall(frame(make_query("www.example.com", "A", qid=200 + i).to_wire()))
            assert dns.message.from_wire(tcp_read_msg(s)).id == 200 + i
        # another address connects and is answered, as does the good client
        o = attacker_socket(g, other)
        try:
            o.setblocking(True)
            o.settimeout(scaled(1))
            t0 = time.time()
            o.sendall(frame(make_query("mail.example.com", "A", qid=300).to_wire()))
            r = dns.message.from_wire(tcp_read_msg(o))
            assert r.id == 300 and texts(r) == ["192.0.2.5"]
            print("per-client share: another address answered in %.1f ms, the good "
                  "client in %.1f ms" % ((time.time() - t0) * 1e3, good_query(g, 301) * 1e3))
        finally:
            o.close()
        # a slot freed by the hog can be taken again by it
        socks[0].close()
        time.sleep(0.1)
        again = attacker_socket(g, hog)
        socks.append(again)
        assert wait_closed(again, 0.3) is None
    finally:
        for s in socks:
            s.close()


# --------------------------------------------------------------------------
# 4. A message gtmd does not answer closes the connection
# --------------------------------------------------------------------------


def _closed_after_drop(g, blob, expect_ids):
    s = g.tcp_connect()
    try:
        t0 = time.time()
        s.sendall(blob)
        got = [dns.message.from_wire(tcp_read_msg(s)).id for _ in expect_ids]
        assert got == expect_ids
        s.setblocking(False)
        elapsed = wait_closed(s, scaled(2))
        return elapsed if elapsed is None else time.time() - t0
    finally:
        s.close()


def test_tcp_unanswered_message_closes(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, workers=1, extra=["--tcp-timeout", "10"])
    q = make_query("www.example.com", "A", qid=0x51).to_wire()
    response = bytearray(make_query("mail.example.com", "A", qid=0x52).to_wire())
    response[2] |= 0x80  # QR=1: a response, never answered
    cases = {
        # a 5-byte message, alone
        "short": (frame(b"\x12\x34\x00\x00\x00"), []),
        # a response, after a query in the same write: the query is answered first
        "query then response": (frame(q) + frame(bytes(response)), [0x51]),
        # queries after the dropped one are not answered
        "query, short, query": (frame(q) + frame(b"\x00" * 5) + frame(q), [0x51]),
    }
    for name, (blob, ids) in cases.items():
        elapsed = _closed_after_drop(g, blob, ids)
        print("unanswered message (%s): connection closed after %s s"
              % (name, "%.3f" % elapsed if elapsed is not None else "never"))
        assert elapsed is not None and elapsed < scaled(1.0), (name, elapsed)
    assert texts(g.query("www.example.com", "A", tcp=True)) == ["192.0.2.2"]

