"""Protocol behaviour: header handling, FORMERR/NOTIMP/REFUSED, silence,
EDNS(0), truncation, TCP framing/pipelining/idle timeout/many clients."""

import random
import socket
import struct
import time

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import pytest

from conftest import (
    BIG_TXT_COUNT,
    MEDIUM_TXT_COUNT,
    STANDARD_ZONES,
    frame,
    header,
    make_query,
    scaled,
    tcp_read_msg,
    texts,
)

FORMERR = dns.rcode.FORMERR
NOTIMP = dns.rcode.NOTIMP
REFUSED = dns.rcode.REFUSED
NOERROR = dns.rcode.NOERROR


# --------------------------------------------------------------------------
# Raw packet building
# --------------------------------------------------------------------------


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def hdr(qid=0x2345, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def question(name="www.example.com", qtype=1, qclass=1):
    return name_wire(name) + struct.pack("!HH", qtype, qclass)


def rr_a(name="www.example.com", addr=(192, 0, 2, 2)):
    return name_wire(name) + struct.pack("!HHIH", 1, 1, 300, 4) + bytes(addr)


OPT_RR = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)

VALID = hdr() + question()

FORMERR_PACKETS = {
    "qdcount0": hdr(qd=0),
    "qdcount2": hdr(qd=2) + question() + question("example.com"),
    "ancount1": hdr(an=1) + question() + rr_a(),
    "nscount1": hdr(ns=1) + question() + rr_a(),
    "additional_not_opt": hdr(ar=1) + question() + rr_a(),
    "two_opt": hdr(ar=2) + question() + OPT_RR + OPT_RR,
    "label_type_0x40": hdr() + b"\x03www\x41abc\x00" + struct.pack("!HH", 1, 1),
    "label_type_0x80": hdr() + b"\x03www\x81abc\x00" + struct.pack("!HH", 1, 1),
    "pointer_loop": hdr() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    "pointer_forward": hdr() + b"\xc0\x20" + struct.pack("!HH", 1, 1) + b"\x00" * 24,
    "name_too_long": hdr()
    + (b"\x3f" + b"a" * 63) * 5
    + b"\x00"
    + struct.pack("!HH", 1, 1),
    "label_overruns_packet": hdr() + b"\x3fabc",
    "name_unterminated": hdr() + b"\x03www\x07example\x03com",
    "question_truncated": hdr() + name_wire("www.example.com") + b"\x00\x01",
    "trailing_garbage": hdr() + question() + b"\xde\xad\xbe\xef",
    "trailing_after_opt": hdr(ar=1) + question() + OPT_RR + b"\x00",
}


def assert_formerr(wire, reply):
    assert reply is not None, "no reply (expected FORMERR)"
    assert len(reply) >= 12
    h = header(reply)
    assert h["qr"]
    assert h["id"] == struct.unpack("!H", wire[:2])[0]
    assert h["opcode"] == 0
    assert h["rcode"] == FORMERR, "rcode %d" % h["rcode"]
    assert len(reply) <= 512


@pytest.mark.parametrize("kind", sorted(FORMERR_PACKETS))
def test_formerr_udp(msrv, kind):
    wire = FORMERR_PACKETS[kind]
    assert_formerr(wire, msrv.udp_raw(wire))


@pytest.mark.parametrize("kind", ["qdcount0", "qdcount2", "ancount1", "two_opt", "trailing_garbage", "label_type_0x40"])
def test_formerr_tcp(msrv, kind):
    wire = FORMERR_PACKETS[kind]
    assert_formerr(wire, msrv.tcp_raw(wire))


def test_valid_raw_packet_answers(msrv):
    # Sanity check of the raw builders used above: the unmodified packet works.
    reply = msrv.udp_raw(VALID)
    h = header(reply)
    assert h["rcode"] == NOERROR and h["ancount"] == 1 and h["aa"]
    # and with exactly one OPT it is fine as well
    reply = msrv.udp_raw(hdr(ar=1) + question() + OPT_RR)
    h = header(reply)
    assert h["rcode"] == NOERROR and h["ancount"] == 1 and h["arcount"] == 1


# --------------------------------------------------------------------------
# Silence
# --------------------------------------------------------------------------

SILENT_PACKETS = {
    "empty": b"",
    "one_byte": b"\x12",
    "eleven_bytes": VALID[:11],
    "qr_set_query": hdr(flags=0x8100) + question(),
    "qr_set_response": hdr(flags=0x8580, an=1) + question() + rr_a(),
}


@pytest.mark.parametrize("kind", sorted(SILENT_PACKETS))
def test_dropped_silently(msrv, kind):
    wire = SILENT_PACKETS[kind]
    assert msrv.udp_raw(wire, timeout=0.3, match_id=False) is None
    # still alive and answering
    assert texts(msrv.query("www.example.com", "A")) == ["192.0.2.2"]


# --------------------------------------------------------------------------
# NOTIMP and QCLASS
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opcode", [1, dns.opcode.STATUS, dns.opcode.NOTIFY, dns.opcode.UPDATE, 3, 15]
)
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_notimp_for_other_opcodes(msrv, opcode, tcp):
    qid = random.randrange(65536)
    wire = hdr(qid=qid, flags=(opcode << 11) | 0x0100) + question("example.com", 6)
    reply = msrv.tcp_raw(wire) if tcp else msrv.udp_raw(wire)
    assert reply is not None, "no reply to opcode %d" % opcode
    h = header(reply)
    assert h["qr"]
    assert h["id"] == qid
    assert h["opcode"] == opcode
    assert h["rcode"] == NOTIMP, "rcode %d" % h["rcode"]


@pytest.mark.parametrize("rdclass", ["CH", "HS", "ANY", "NONE"])
def test_non_in_class_refused(msrv, rdclass):
    r = msrv.query("www.example.com", "A", rdclass=rdclass)
    assert r.rcode() == REFUSED
    assert r.answer == []
    assert r.question[0].rdclass == dns.rdataclass.from_text(rdclass)


def test_chaos_version_bind_refused(msrv):
    r = msrv.query("version.bind", "TXT", rdclass="CH")
    assert r.rcode() == REFUSED
    assert r.answer == []


# --------------------------------------------------------------------------
# Header fields copied
# --------------------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
@pytest.mark.parametrize("rd", [True, False], ids=["rd", "nord"])
@pytest.mark.parametrize("cd", [True, False], ids=["cd", "nocd"])
@pytest.mark.parametrize("name", ["www.example.com", "nope.example.com", "www.example.org"])
def test_header_fields_copied(msrv, tcp, rd, cd, name):
    qid = random.randrange(65536)
    q = make_query(name, "A", rd=rd, cd=cd, qid=qid)
    r = msrv.exchange(q, tcp=tcp)
    assert r.id == qid
    assert bool(r.flags & dns.flags.QR)
    assert bool(r.flags & dns.flags.RD) == rd
    assert bool(r.flags & dns.flags.CD) == cd
    assert r.opcode() == dns.opcode.QUERY
    assert not (r.flags & dns.flags.RA)
    assert r.question[0].name.to_text() == name + "."


def test_id_zero_and_ffff(msrv):
    for qid in (0, 0xFFFF):
        r = msrv.exchange(make_query("www.example.com", "A", qid=qid))
        assert r.id == qid


# --------------------------------------------------------------------------
# EDNS(0)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [512, 1232, 4096, 65535])
def test_edns_opt_echoed_with_our_payload(msrv, payload):
    r = msrv.query("www.example.com", "A", use_edns=0, payload=payload)
    assert r.rcode() == NOERROR
    assert r.edns == 0
    assert r.payload == 1232
    assert texts(r) == ["192.0.2.2"]


def test_edns_opt_on_negative_answers(msrv):
    r = msrv.query("nope.example.com", "A", use_edns=0)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.edns == 0
    r = msrv.query("www.example.org", "A", use_edns=0)
    assert r.rcode() == REFUSED and r.edns == 0


def test_no_edns_no_opt(msrv):
    r = msrv.query("www.example.com", "A", use_edns=False)
    assert r.edns == -1
    assert r.additional == []


@pytest.mark.parametrize("version", [1, 2, 255])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_edns_badvers(msrv, version, tcp):
    r = msrv.query("www.example.com", "A", use_edns=version, tcp=tcp)
    assert r.rcode() == dns.rcode.BADVERS  # extended rcode 16
    assert r.edns == 0, "OPT must be present with our version 0"
    assert r.answer == []


def test_edns_unknown_option_ignored(msrv):
    opts = [
        dns.edns.GenericOption(65001, b"hello"),
        dns.edns.GenericOption(65002, b""),
    ]
    r = msrv.query("www.example.com", "A", use_edns=0, options=opts)
    assert r.rcode() == NOERROR
    assert r.edns == 0
    assert texts(r) == ["192.0.2.2"]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_edns_do_bit_copied(msrv, tcp):
    r = msrv.query("www.example.com", "A", want_dnssec=True, tcp=tcp)
    assert r.rcode() == NOERROR
    assert r.ednsflags & dns.flags.DO
    r = msrv.query("www.example.com", "A", use_edns=0, want_dnssec=False, tcp=tcp)
    assert not (r.ednsflags & dns.flags.DO)


# --------------------------------------------------------------------------
# Truncation
# --------------------------------------------------------------------------


def assert_truncated(r, limit):
    assert r.flags & dns.flags.TC, "expected TC=1 (%d bytes)" % len(r.wire)
    assert len(r.wire) <= limit
    assert r.answer == [] and r.authority == []
    assert r.question[0].name.to_text().lower().startswith(
        ("big.example.com", "medium.example.com")
    )


def test_tc_without_edns_big(msrv):
    r = msrv.query("big.example.com", "TXT", use_edns=False)
    assert_truncated(r, 512)
    assert r.rcode() == NOERROR


def test_tc_then_tcp_full_answer(msrv):
    r = msrv.query("big.example.com", "TXT", use_edns=False)
    assert r.flags & dns.flags.TC
    r = msrv.query("big.example.com", "TXT", use_edns=False, tcp=True)
    assert not (r.flags & dns.flags.TC)
    assert r.rcode() == NOERROR
    assert len(r.answer) == 1 and len(r.answer[0]) == BIG_TXT_COUNT
    assert len(r.wire) > 4000


def test_tcp_full_answer_with_edns(msrv):
    r = msrv.query("big.example.com", "TXT", use_edns=0, payload=512, tcp=True)
    assert not (r.flags & dns.flags.TC)
    assert len(r.answer[0]) == BIG_TXT_COUNT


def test_tc_edns_4096_capped_at_1232(msrv):
    r = msrv.query("big.example.com", "TXT", use_edns=0, payload=4096)
    assert_truncated(r, 1232)
    assert r.edns == 0


def test_medium_needs_edns(msrv):
    r = msrv.query("medium.example.com", "TXT", use_edns=False)
    assert_truncated(r, 512)
    r = msrv.query("medium.example.com", "TXT", use_edns=0, payload=1232)
    assert not (r.flags & dns.flags.TC)
    assert len(r.answer[0]) == MEDIUM_TXT_COUNT
    assert 512 < len(r.wire) <= 1232


@pytest.mark.parametrize("payload", [512, 600, 700, 900, 1000, 1232, 1400, 4096, 65535])
@pytest.mark.parametrize("name", ["big.example.com", "medium.example.com"])
def test_udp_size_never_exceeds_advertised(msrv, payload, name):
    r = msrv.query(name, "TXT", use_edns=0, payload=payload)
    limit = min(payload, 1232)
    assert len(r.wire) <= limit, "%d bytes > %d" % (len(r.wire), limit)
    full = BIG_TXT_COUNT if name.startswith("big") else MEDIUM_TXT_COUNT
    if r.flags & dns.flags.TC:
        assert r.answer == []
    else:
        assert len(r.answer[0]) == full
    # the medium answer (< 1000 bytes) must not be truncated when it fits
    if name.startswith("medium") and payload >= 1000:
        assert not (r.flags & dns.flags.TC)


def test_small_answer_not_truncated_without_edns(msrv):
    r = msrv.query("www.example.com", "A", use_edns=False)
    assert not (r.flags & dns.flags.TC)


# --------------------------------------------------------------------------
# TCP
# --------------------------------------------------------------------------


def test_tcp_multiple_queries_one_connection(msrv):
    s = msrv.tcp_connect()
    try:
        for i, (name, expect) in enumerate(
            [
                ("www.example.com", ["192.0.2.2"]),
                ("mail.example.com", ["192.0.2.5"]),
                ("example.com", ["192.0.2.1"]),
                ("ns1.example.com", ["192.0.2.3"]),
                ("host.other.test", ["192.0.2.101"]),
            ]
        ):
            q = make_query(name, "A", qid=1000 + i)
            s.sendall(frame(q.to_wire()))
            r = dns.message.from_wire(tcp_read_msg(s))
            assert r.id == 1000 + i
            assert texts(r) == expect
    finally:
        s.close()


def test_tcp_pipelining(msrv):
    queries = {
        0x1111: ("www.example.com", "A", ["192.0.2.2"]),
        0x2222: ("big.example.com", "TXT", None),
        0x3333: ("example.com", "AAAA", ["2001:db8::1"]),
    }
    blob = b"".join(
        frame(make_query(n, t, qid=qid).to_wire()) for qid, (n, t, _) in queries.items()
    )
    s = msrv.tcp_connect()
    try:
        s.sendall(blob)  # one write, three queries
        seen = {}
        for _ in queries:
            r = dns.message.from_wire(tcp_read_msg(s))
            seen[r.id] = r
    finally:
        s.close()
    assert sorted(seen) == sorted(queries)
    for qid, (name, t, expect) in queries.items():
        r = seen[qid]
        assert r.question[0].name.to_text() == name + "."
        if expect is None:
            assert len(r.answer[0]) == BIG_TXT_COUNT
        else:
            assert texts(r) == expect


def test_tcp_oversized_query_formerr_and_connection_kept(msrv):
    """A query larger than gtmd reads (4 KiB; here 6000 bytes of EDNS
    padding) gets FORMERR with its ID; its bytes are skipped and the query
    pipelined behind it on the same connection is answered."""
    plain = make_query("www.example.com", "A", qid=0x4242).to_wire()
    pad = b"\0" * 6000  # EDNS padding option (code 12)
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 4 + len(pad)) + struct.pack(">HH", 12, len(pad))
    wire = plain[:10] + struct.pack(">H", 1) + plain[12:] + opt + pad
    assert len(wire) > 6000
    after = make_query("mail.example.com", "A", qid=0x4343).to_wire()
    s = msrv.tcp_connect()
    try:
        s.sendall(frame(wire) + frame(after))
        r1 = dns.message.from_wire(tcp_read_msg(s))
        r2 = dns.message.from_wire(tcp_read_msg(s))
    finally:
        s.close()
    assert r1.id == 0x4242
    assert r1.rcode() == dns.rcode.FORMERR
    assert r2.id == 0x4343
    assert texts(r2) == ["192.0.2.5"]


def test_tcp_pipelining_byte_by_byte(msrv):
    """Framing across arbitrary segment boundaries."""
    blob = frame(make_query("www.example.com", "A", qid=7).to_wire()) + frame(
        make_query("mail.example.com", "A", qid=8).to_wire()
    )
    s = msrv.tcp_connect()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for b in blob:
            s.send(bytes([b]))
            time.sleep(0.002)
        ids = sorted(dns.message.from_wire(tcp_read_msg(s)).id for _ in range(2))
    finally:
        s.close()
    assert ids == [7, 8]


def test_tcp_many_clients_at_once(msrv):
    socks = [msrv.tcp_connect() for _ in range(40)]
    try:
        for i, s in enumerate(socks):
            s.sendall(frame(make_query("www.example.com", "A", qid=i).to_wire()))
        for i, s in enumerate(socks):
            r = dns.message.from_wire(tcp_read_msg(s))
            assert r.id == i and texts(r) == ["192.0.2.2"]
    finally:
        for s in socks:
            s.close()


def _prompt_tcp_answer(g, limit=1.5):
    t0 = time.time()
    r = g.query("www.example.com", "A", tcp=True, timeout=limit)
    elapsed = time.time() - t0
    assert texts(r) == ["192.0.2.2"]
    assert elapsed < scaled(limit)
    return elapsed


@pytest.mark.parametrize("workers", [1, 2])
def test_tcp_half_length_prefix_client_does_not_block(gtmd_factory, workers):
    g = gtmd_factory.start(zones=STANDARD_ZONES, workers=workers)
    slow = [g.tcp_connect() for _ in range(3)]
    try:
        for s in slow:
            s.send(b"\x00")  # half of a length prefix, then nothing
        # a second byte of the prefix but no body
        slow[1].send(b"\x20")
        _prompt_tcp_answer(g)
        assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
    finally:
        for s in slow:
            s.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_tcp_client_that_never_reads_does_not_block(gtmd_factory, workers):
    g = gtmd_factory.start(zones=STANDARD_ZONES, workers=workers)
    hog = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.connect(g.addr())
    try:
        blob = frame(make_query("big.example.com", "TXT").to_wire()) * 400
        hog.setblocking(False)
        sent = 0
        deadline = time.time() + 1
        while sent < len(blob) and time.time() < deadline:
            try:
                sent += hog.send(blob[sent:])
            except BlockingIOError:
                time.sleep(0.01)
        time.sleep(0.2)  # let the server fill its send buffer towards the hog
        _prompt_tcp_answer(g)
        assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
    finally:
        hog.close()


def _wait_closed(s, timeout):
    """Seconds until the peer closes s (EOF or reset); None if it stays open."""
    t0 = time.time()
    s.settimeout(timeout)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return time.time() - t0
    except (ConnectionResetError, BrokenPipeError):
        return time.time() - t0
    except socket.timeout:
        return None


def test_tcp_idle_timeout(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, extra=["--tcp-timeout", "1"])
    # idle from the start
    s = g.tcp_connect()
    elapsed = _wait_closed(s, scaled(5))
    s.close()
    assert elapsed is not None, "idle connection not closed within 5 s"
    assert 0.5 <= elapsed <= scaled(3.5), elapsed
    # idle after a query
    s = g.tcp_connect()
    s.sendall(frame(make_query("www.example.com", "A", qid=99).to_wire()))
    assert dns.message.from_wire(tcp_read_msg(s)).id == 99
    elapsed = _wait_closed(s, scaled(5))
    s.close()
    assert elapsed is not None and 0.5 <= elapsed <= scaled(3.5), elapsed
    # half a length prefix, then silence: closed too
    s = g.tcp_connect()
    s.send(b"\x00")
    elapsed = _wait_closed(s, scaled(5))
    s.close()
    assert elapsed is not None and elapsed <= scaled(3.5), elapsed


def test_tcp_activity_keeps_connection_open(gtmd_factory):
    g = gtmd_factory.start(zones=STANDARD_ZONES, extra=["--tcp-timeout", "1"])
    s = g.tcp_connect()
    try:
        for i in range(4):  # 4 x 0.5 s = 2 s > timeout, but never idle for 1 s
            s.sendall(frame(make_query("www.example.com", "A", qid=i).to_wire()))
            r = dns.message.from_wire(tcp_read_msg(s))
            assert r.id == i
            time.sleep(0.5)
    finally:
        s.close()


def test_tcp_default_timeout_not_instant(msrv):
    # default idle timeout is 10 s: an idle connection survives 1 s
    s = msrv.tcp_connect()
    try:
        assert _wait_closed(s, 1.0) is None
        s.sendall(frame(make_query("www.example.com", "A", qid=5).to_wire()))
        assert dns.message.from_wire(tcp_read_msg(s)).id == 5
    finally:
        s.close()


def test_tcp_clients_limit_recovers(gtmd_factory):
    g = gtmd_factory.start(
        zones=STANDARD_ZONES, workers=1, extra=["--tcp-clients", "4"]
    )
    socks = []
    try:
        for _ in range(10):
            try:
                socks.append(g.tcp_connect())
            except OSError:
                pass
    finally:
        for s in socks:
            s.close()
    deadline = time.time() + scaled(3)
    while True:
        try:
            r = g.query("www.example.com", "A", tcp=True, timeout=0.5)
            assert texts(r) == ["192.0.2.2"]
            break
        except (OSError, EOFError, dns.exception.DNSException):
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    assert texts(g.query("www.example.com", "A")) == ["192.0.2.2"]
