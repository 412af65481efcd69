"""Robustness: malformed, random and mutated packets over UDP and TCP (plus
the shared fuzz corpus, read in place when present); the server must stay
up, answer only with well-formed responses, and keep answering normally."""

import os
import random
import socket
import struct
import time
from pathlib import Path

import dns.message
import dns.rcode
import pytest

from conftest import (
    frame,
    header,
    make_query,
    recv_exact,
    scaled,
    texts,
)

CORPUS = Path(os.environ.get("GTMD_CORPUS", "/work/shared/corpus"))
MAX_UDP = 65507


def valid_queries():
    qs = []
    for name, t in [
        ("www.example.com", "A"),
        ("example.com", "SOA"),
        ("nope.example.com", "AAAA"),
        ("a.wild.example.com", "TXT"),
        ("www.sub.example.com", "A"),
        ("alias.example.com", "A"),
        ("big.example.com", "TXT"),
        ("tm.test", "NS"),
    ]:
        qs.append(make_query(name, t, use_edns=False).to_wire())
        qs.append(make_query(name, t, use_edns=0, payload=1232, want_dnssec=True).to_wire())
    return qs


def generated_packets(rng, count=1000):
    base = valid_queries()
    pkts = []
    for i in range(count):
        kind = i % 5
        if kind == 0:  # random bytes
            pkts.append(rng.randbytes(rng.choice([0, 1, 5, 11, 12, 13, 20, 40, 100, 300, 600, 1500])))
        elif kind == 1:  # valid query with bits flipped
            p = bytearray(rng.choice(base))
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(len(p))
                p[pos] ^= 1 << rng.randrange(8)
            pkts.append(bytes(p))
        elif kind == 2:  # truncated valid query
            p = rng.choice(base)
            pkts.append(p[: rng.randrange(len(p))])
        elif kind == 3:  # plausible header, random counts, random body
            h = struct.pack(
                "!HHHHHH",
                rng.randrange(65536),
                rng.randrange(65536) & ~0x8000,
                rng.randrange(4),
                rng.randrange(3),
                rng.randrange(3),
                rng.randrange(4),
            )
            pkts.append(h + rng.randbytes(rng.randrange(0, 200)))
        else:  # valid query with random bytes overwritten or appended
            p = bytearray(rng.choice(base))
            if rng.random() < 0.5:
                pos = rng.randrange(12, len(p))
                p[pos : pos + 2] = rng.randbytes(2)
            else:
                p += rng.randbytes(rng.randint(1, 30))
            # compression pointers in odd places
            if rng.random() < 0.3:
                p[12:14] = bytes([0xC0 | rng.randrange(64), rng.randrange(256)])
            pkts.append(bytes(p))
    return pkts


def corpus_packets():
    if not CORPUS.is_dir():
        return []
    files = sorted(f for f in CORPUS.glob("*/*") if f.is_file())
    return [f.read_bytes() for f in files]


def check_reply(sent_ids, reply, limit=1232):
    """Every reply must be a well-formed response to one of our packets."""
    problems = []
    if len(reply) < 12:
        return ["reply shorter than 12 bytes: %r" % reply]
    h = header(reply)
    if not h["qr"]:
        problems.append("QR clear in reply")
    if h["id"] not in sent_ids:
        problems.append("reply ID %d matches no query" % h["id"])
    if len(reply) > limit:
        problems.append("UDP reply of %d bytes > %d" % (len(reply), limit))
    if h["opcode"] == 0:  # dnspython cannot represent unassigned opcodes
        try:
            dns.message.from_wire(reply)
        except Exception as e:  # dnspython cannot parse what we sent back
            problems.append("unparsable reply (%s): %s" % (e, reply[:64].hex()))
    return problems


def blast_udp(g, packets):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(g.addr())
    s.setblocking(False)
    sent_ids = set()
    replies = []

    def drain():
        while True:
            try:
                replies.append(s.recv(65535))
            except (BlockingIOError, ConnectionRefusedError):
                return

    for i, p in enumerate(packets):
        p = p[:MAX_UDP]
        if len(p) >= 2:
            sent_ids.add(struct.unpack("!H", p[:2])[0])
        while True:
            try:
                s.send(p)
                break
            except BlockingIOError:
                time.sleep(0.001)
        if i % 20 == 19:
            time.sleep(0.002)  # stay below the receive buffers
            drain()
    deadline = time.time() + scaled(0.5)
    while time.time() < deadline:
        drain()
        time.sleep(0.02)
    s.close()
    return sent_ids, replies


def assert_healthy(g):
    assert g.alive(), "gtmd died; log:\n%s" % g.log[-5000:]
    r = g.query("www.example.com", "A")
    assert r.rcode() == dns.rcode.NOERROR and texts(r) == ["192.0.2.2"]
    r = g.query("www.example.com", "A", tcp=True)
    assert texts(r) == ["192.0.2.2"]
    r = g.query("big.example.com", "TXT", tcp=True)
    assert len(r.answer[0]) == 40


def test_udp_random_and_mutated_packets(srv):
    rng = random.Random(20240601)
    packets = generated_packets(rng, 1000)
    sent_ids, replies = blast_udp(srv, packets)
    problems = []
    for reply in replies:
        problems += check_reply(sent_ids, reply)
    assert not problems, "\n".join(problems[:20])
    # it must have answered a good part of the well-formed-looking ones
    assert len(replies) > 100, "only %d replies to 1000 packets" % len(replies)
    assert_healthy(srv)


def test_udp_corpus(srv):
    packets = corpus_packets()
    if not packets:
        pytest.skip("no corpus at %s" % CORPUS)
    sent_ids, replies = blast_udp(srv, packets)
    problems = []
    for reply in replies:
        problems += check_reply(sent_ids, reply)
    assert not problems, "\n".join(problems[:20])
    assert_healthy(srv)


def tcp_probe(g, garbage, good_id):
    """Send garbage then a valid query on one connection; the valid query must
    be answered or the connection closed, never left hanging."""
    good = make_query("www.example.com", "A", qid=good_id)
    s = g.tcp_connect(timeout=3)
    problems = []
    try:
        s.sendall(frame(garbage[:65535]) + frame(good.to_wire()))
        while True:
            try:
                msg = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
            except (EOFError, ConnectionResetError):
                return problems  # closing on garbage is fine
            if len(msg) < 12 or not header(msg)["qr"]:
                problems.append("bad TCP reply %s" % msg[:32].hex())
                continue
            if header(msg)["opcode"] != 0:
                continue  # NOTIMP to a mutated opcode; dnspython can't parse
            try:
                r = dns.message.from_wire(msg)
            except Exception as e:
                problems.append("unparsable TCP reply (%s): %s" % (e, msg[:64].hex()))
                continue
            if r.id == good_id and r.question and \
                    r.question[0].name.to_text() == "www.example.com.":
                if texts(r) != ["192.0.2.2"]:
                    problems.append("wrong answer after garbage: %s" % r)
                return problems
    except socket.timeout:
        problems.append("TCP connection hung after garbage %s" % garbage[:32].hex())
        return problems
    finally:
        s.close()


def test_tcp_random_and_mutated_packets(srv):
    rng = random.Random(4711)
    packets = generated_packets(rng, 150) + corpus_packets()[::4]
    problems = []
    for p in packets:
        good_id = rng.randrange(65536)
        while len(p) >= 2 and struct.unpack("!H", p[:2])[0] == good_id:
            good_id = rng.randrange(65536)
        problems += tcp_probe(srv, p, good_id)
    assert not problems, "\n".join(problems[:20])
    assert_healthy(srv)


def test_tcp_abusive_connections(srv):
    g = srv
    # connect and close at once
    for _ in range(20):
        g.tcp_connect().close()
    # reset (SO_LINGER 0) right after sending a query
    for _ in range(20):
        s = g.tcp_connect()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall(frame(make_query("big.example.com", "TXT").to_wire()))
        s.close()
    # length prefix promises more than is sent, then close
    for n in (0xFFFF, 512, 13):
        s = g.tcp_connect()
        s.sendall(struct.pack("!H", n) + b"\x00" * 10)
        s.close()
    # zero-length frame followed by a good query
    s = g.tcp_connect()
    try:
        s.sendall(b"\x00\x00" + frame(make_query("www.example.com", "A", qid=77).to_wire()))
        try:
            msg = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
            assert header(msg)["id"] == 77
        except (EOFError, ConnectionResetError):
            pass  # closing the connection on a zero-length message is fine
    finally:
        s.close()
    # many queries pipelined then close without reading
    for _ in range(5):
        s = g.tcp_connect()
        s.sendall(frame(make_query("big.example.com", "TXT").to_wire()) * 50)
        s.close()
    time.sleep(0.2)
    assert_healthy(g)


def test_udp_flood_of_valid_queries(srv):
    """1,000 pipelined UDP queries: all answers correct, none lost en masse."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    s.connect(srv.addr())
    s.settimeout(scaled(2))
    wires = {}
    for i in range(1000):
        wires[i] = make_query("www.example.com", "A", qid=i).to_wire()
    got = set()
    try:
        for i in range(0, 1000, 50):
            for j in range(i, i + 50):
                s.send(wires[j])
            for _ in range(50):
                try:
                    r = dns.message.from_wire(s.recv(65535))
                except socket.timeout:
                    break
                assert texts(r) == ["192.0.2.2"]
                got.add(r.id)
    finally:
        s.close()
    assert len(got) >= 990, "only %d of 1000 answered" % len(got)
