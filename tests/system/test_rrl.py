"""Response rate limiting (issue 15, point 4): a bounded UDP flood from
127.0.0.1 to gtmd --rrl 50 --rrl-slip 2 (--workers 1, so that the one
table sees every query) gets about 50 full answers a second, half of the
rest as truncated slips and the rest dropped; meanwhile another network
(127.0.1.1, a different /24) is answered in full; TCP and a valid server
cookie are exempt; the counters are in /metrics; --rrl 0 never limits.
Every count is a range: the machine may be slow."""

import socket
import time

import dns.edns
import dns.message
import dns.rrset
import pytest

from armapi import start_api
from conftest import STANDARD_ZONES, LOOPBACK4, header, scaled

RATE = 50
FLOOD = 2000
SECONDS = 1.0
OTHER = "127.0.1.1"  # loopback, another /24
COOKIE = 10
CC = bytes.fromhex("2464c4abcf10c957")


def wire(qid, name="www.example.com", options=None):
    q = dns.message.make_query(name, "A", use_edns=0 if options is not None else None,
                               options=options or [])
    q.id = qid
    return q.to_wire()


def udp_socket(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # a backlog answered at once
    s.bind((src, 0))
    s.setblocking(False)
    return s


def drain(s, got):
    """Reads every datagram waiting on s into got ({id: tc})."""
    while True:
        try:
            data = s.recv(4096)
        except BlockingIOError:
            return
        h = header(data)
        got[h["id"]] = h["tc"]


def burst(g, src, n, seconds, wire_of=wire, other=None, other_every=0):
    """Sends n queries from src over about `seconds`, and one from the
    socket `other` every other_every of them; returns ({id: tc} of src's
    answers, {id: tc} of other's, the seconds it took, how many other sent)."""
    s = udp_socket(src)
    got, got_other, sent_other = {}, {}, 0
    start = time.monotonic()
    try:
        for i in range(n):
            s.sendto(wire_of(i), g.addr())
            if other is not None and other_every and i % other_every == 0:
                other.sendto(wire(sent_other), g.addr())
                sent_other += 1
            if i % 20 == 19:
                drain(s, got)
                if other is not None:
                    drain(other, got_other)
                ahead = start + seconds * (i + 1) / n - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        took = time.monotonic() - start
        end = time.monotonic() + scaled(0.5)
        while time.monotonic() < end:
            drain(s, got)
            if other is not None:
                drain(other, got_other)
            time.sleep(0.01)
    finally:
        s.close()
    return got, got_other, took, sent_other


def metrics(g):
    r = g.api.request("GET", "/metrics", None, token=None, api_version=None)
    out = {}
    for line in r.raw.splitlines():
        if line.startswith("gtmd_rrl_"):
            k, v = line.rsplit(" ", 1)
            out[k] = int(v)
    return out


@pytest.fixture
def g(gtmd_factory, tmp_path):
    return start_api(gtmd_factory, tmp_path, token=False, zones=STANDARD_ZONES, workers=1,
                     extra=["--rrl", str(RATE), "--rrl-slip", "2"])


def test_flood_is_limited_and_another_network_served(g):
    other = udp_socket(OTHER)
    try:
        got, got_other, took, sent_other = burst(g, LOOPBACK4, FLOOD, SECONDS, other=other,
                                                 other_every=100)
    finally:
        other.close()
    full = sum(1 for tc in got.values() if not tc)
    slips = sum(1 for tc in got.values() if tc)
    # A full bucket (RATE) at the start, then RATE a second.
    assert RATE * 0.8 <= full <= RATE + RATE * (took + scaled(0.5)) + 5, (full, took)
    limited = FLOOD - full
    assert limited * 0.4 <= slips <= limited * 0.5 + 2, (slips, limited)
    # The other /24 has buckets of its own: every one of its queries answered.
    assert sent_other == FLOOD // 100
    assert len(got_other) == sent_other and not any(got_other.values())
    m = metrics(g)
    # (a datagram lost on the way, or a slip that came after we stopped
    # reading, makes the counts differ a little from what we saw)
    m_slipped = m['gtmd_rrl_responses_total{action="slipped"}']
    m_dropped = m['gtmd_rrl_responses_total{action="dropped"}']
    assert slips <= m_slipped <= slips + limited * 0.1 + 2, (m_slipped, slips)
    assert limited * 0.9 <= m_slipped + m_dropped <= limited, (m_slipped, m_dropped, limited)
    assert m["gtmd_rrl_limited_total"] >= 1
    assert "rrl: limiting 127.0.0.0/24 (positive responses" in g.log


def test_tcp_and_valid_cookie_are_exempt(g):
    # Learn a server cookie first (the bucket is full then).
    r = g.exchange(dns.message.make_query(
        "www.example.com", "A", use_edns=0, options=[dns.edns.GenericOption(COOKIE, CC)]))
    [c] = [o.data for o in r.options if o.otype == COOKIE]
    assert len(c) == 24
    # Empty the bucket of 127.0.0.0/24 for www.example.com.
    got, _, _, _ = burst(g, LOOPBACK4, 400, 0.2)
    assert sum(1 for tc in got.values() if not tc) < 200
    # TCP: never limited.
    for _ in range(20):
        assert header(g.tcp_raw(wire(7)))["ancount"] == 1
    # A valid server cookie over UDP: answered in full, every one.
    valid = [dns.edns.GenericOption(COOKIE, c)]
    got, _, _, _ = burst(g, LOOPBACK4, 100, 0.1, wire_of=lambda i: wire(i, options=valid))
    assert len(got) == 100 and not any(got.values())
    # A client cookie alone proves nothing: limited as before.
    alone = [dns.edns.GenericOption(COOKIE, CC)]
    got, _, _, _ = burst(g, LOOPBACK4, 300, 0.1, wire_of=lambda i: wire(i, options=alone))
    assert sum(1 for tc in got.values() if not tc) < 150 and any(got.values())


def test_slip_keeps_question_and_cookie(g):
    got, _, _, _ = burst(g, LOOPBACK4, 300, 0.1)
    assert any(got.values())
    # A slip to a query with a client cookie: TC, no records, the question
    # and an OPT with a server cookie the client can use next time.
    s = udp_socket(LOOPBACK4)
    q = dns.message.make_query("www.example.com", "A", use_edns=0,
                               options=[dns.edns.GenericOption(COOKIE, CC)])
    slips = []
    try:
        for i in range(3 * RATE):  # more than a bucket refilled meanwhile can take
            q.id = 1000 + i
            s.sendto(q.to_wire(), g.addr())
        end = time.monotonic() + scaled(0.5)
        while time.monotonic() < end:
            try:
                data = s.recv(4096)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if header(data)["tc"]:
                slips.append(data)
    finally:
        s.close()
    assert slips
    slip = slips[0]
    h = header(slip)
    assert (h["qdcount"], h["ancount"], h["nscount"], h["arcount"]) == (1, 0, 0, 1)
    m = dns.message.from_wire(slip)
    assert str(m.question[0].name) == "www.example.com."
    [c] = [o.data for o in m.options if o.otype == COOKIE]
    assert c[:8] == CC and len(c) == 24


def test_random_names_under_a_wildcard_share_a_budget(g):
    # every name new, all answered by *.wild.example.com: one budget, the
    # wildcard's (a budget per name would let such a flood through)
    got, _, _, _ = burst(g, LOOPBACK4, 6 * RATE, 0.2,
                         wire_of=lambda i: wire(i, name="r%d.wild.example.com" % i))
    full = sum(1 for tc in got.values() if not tc)
    assert full <= RATE + RATE * scaled(0.8) + 5, full
    assert any(got.values())


def test_ixfr_over_udp_is_limited_like_others(gtmd_factory):
    # an answer made without a plan (dns/xfr.c's SOA to an IXFR over UDP)
    # goes through the limit like any other (and reads no stale state)
    g = gtmd_factory.start(zones=STANDARD_ZONES, workers=1,
                           extra=["--rrl", str(RATE), "--allow-transfer", "127.0.0.1/32"])

    def ixfr(i):
        q = dns.message.make_query("example.com", "IXFR")
        q.authority.append(dns.rrset.from_text("example.com.", 0, "IN", "SOA",
                                               ". . 1 0 0 0 0"))
        q.id = i
        return q.to_wire()

    got, _, _, _ = burst(g, LOOPBACK4, 4 * RATE, 0.2, wire_of=ixfr)
    assert got and sum(1 for tc in got.values() if not tc) <= RATE + RATE * scaled(0.8) + 5
    assert g.alive()


def test_off_never_limits(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, workers=1)
    got, _, _, _ = burst(g, LOOPBACK4, 500, 0.25)
    assert len(got) == 500 and not any(got.values())


def test_options_are_checked(gtmd_factory):
    r = gtmd_factory.run(["--rrl", "-1", "--check-config"])
    assert r.returncode != 0
    r = gtmd_factory.run(["--rrl-table-size", "10", "--check-config"])
    assert r.returncode != 0 and "rrl-table-size" in r.stderr
