#!/usr/bin/env python3
"""bench/dnsclient.py: small DNS clients for the bench/ scripts (standard
library only, 127.0.0.1 only).

  ready --port P --name N [--tcp]
      exit 0 when the server answers one query for N A (UDP, and TCP too
      with --tcp), 1 otherwise.
  tcp-burst --port P --name N [--conns 100] [--per-conn 100] [--timeout 10]
      opens CONNS TCP connections at once; on each writes PER-CONN queries
      in one go (pipelined, no waiting) and then reads the answers. Prints
      "sent S answered A lost L mismatched M seconds T qps Q".
  watch --server LABEL=PORT ... --name N --old ADDR [--every 0.005] [--timeout 30]
      polls every server over UDP until its answer for N A no longer holds
      ADDR; prints "LABEL UNIXTIME ANSWER" per server (UNIXTIME of the
      first answer without ADDR, or "timeout").
  until --server LABEL=PORT ... --name N --want ADDR [--timeout 60]
      polls until every server answers with ADDR first; exit 1 on timeout.
  wire --in FILE --out FILE [--edns-size 1232] [--do]
      turns a dnsperf query file ("name type" lines) into dnsperf's binary
      input (-B: each query in wire format after its two-byte length), every
      query with RD (as dnsperf sets it) and an OPT record of that UDP size,
      with the DO bit if --do. dnsperf 2.10 sends EDNS with a UDP size of
      4096 and has no option to change it.
"""

import argparse
import random
import select
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


def query(name, qid, qtype=1):
    q = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n >= 0xC0:
            return off + 2
        if n == 0:
            return off + 1
        off += n + 1


def parse(msg):
    """(id, rcode, [A addresses in the answer section])"""
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    addrs = []
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return qid, flags & 15, addrs


def udp_ask(sock, port, name, timeout):
    qid = random.randrange(65536)
    sock.sendto(query(name, qid), (HOST, port))
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        msg = sock.recv(4096)
        if len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
            return parse(msg)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def cmd_ready(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if udp_ask(s, a.port, a.name, 0.5) is None:
        return 1
    if a.tcp:
        t = socket.create_connection((HOST, a.port), timeout=1)
        q = query(a.name, 1)
        t.sendall(struct.pack("!H", len(q)) + q)
        n = struct.unpack("!H", recv_exact(t, 2))[0]
        recv_exact(t, n)
        t.close()
    return 0


def cmd_tcp_burst(a):
    conns = []
    for _ in range(a.conns):
        s = socket.create_connection((HOST, a.port), timeout=a.timeout)
        s.setblocking(False)
        conns.append(s)
    t0 = time.monotonic()
    state = {}
    for i, s in enumerate(conns):
        ids = [(i * a.per_conn + k) & 0xFFFF for k in range(a.per_conn)]
        out = b""
        for qid in ids:
            q = query(a.name, qid)
            out += struct.pack("!H", len(q)) + q
        state[s] = {"out": out, "in": b"", "want": set(ids), "got": 0, "bad": 0}
    sent = a.conns * a.per_conn
    answered = mismatched = 0
    pending = set(conns)
    deadline = t0 + a.timeout
    while pending and time.monotonic() < deadline:
        wr = [s for s in pending if state[s]["out"]]
        r, w, _ = select.select(list(pending), wr, [], max(0.0, deadline - time.monotonic()))
        for s in w:
            st = state[s]
            try:
                n = s.send(st["out"])
                st["out"] = st["out"][n:]
            except BlockingIOError:
                pass
        for s in r:
            st = state[s]
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                pending.discard(s)
                continue
            st["in"] += chunk
            while len(st["in"]) >= 2:
                n = struct.unpack("!H", st["in"][:2])[0]
                if len(st["in"]) < 2 + n:
                    break
                msg, st["in"] = st["in"][2:2 + n], st["in"][2 + n:]
                qid = struct.unpack("!H", msg[:2])[0]
                if qid in st["want"]:
                    st["want"].discard(qid)
                    answered += 1
                else:
                    mismatched += 1
            if not st["want"]:
                pending.discard(s)
    secs = time.monotonic() - t0
    for s in conns:
        s.close()
    print("sent %d answered %d lost %d mismatched %d seconds %.3f qps %.0f" %
          (sent, answered, sent - answered, mismatched, secs, answered / secs if secs else 0))
    return 0 if answered == sent and not mismatched else 1


QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
          "AAAA": 28, "SRV": 33, "DS": 43, "DNSKEY": 48, "NSEC3PARAM": 51, "CAA": 257}


def cmd_wire(a):
    flags = 0x8000 if a.do else 0
    opt = b"\0" + struct.pack("!HHBBHH", 41, a.edns_size, 0, 0, flags, 0)
    n = 0
    with open(a.inp) as f, open(a.out, "wb") as out:
        for line in f:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            qtype = fields[1].upper() if len(fields) > 1 else "A"
            if qtype not in QTYPES:
                raise ValueError("%s: unknown query type %s" % (a.inp, qtype))
            q = query(fields[0], 0, QTYPES[qtype])
            q = q[:2] + struct.pack("!HHHHH", 0x0100, 1, 0, 0, 1) + q[12:] + opt
            out.write(struct.pack("!H", len(q)) + q)
            n += 1
    if not n:
        raise ValueError("%s: no query" % a.inp)
    return 0


def servers(specs):
    out = []
    for spec in specs:
        label, port = spec.split("=")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out.append((label, int(port), s))
    return out


def cmd_watch(a):
    todo = servers(a.server)
    done = {}
    end = time.time() + a.timeout
    while todo and time.time() < end:
        for item in list(todo):
            label, port, s = item
            r = udp_ask(s, port, a.name, 0.2)
            now = time.time()
            if r is not None and r[2] and a.old not in r[2]:
                done[label] = (now, ",".join(r[2]))
                todo.remove(item)
        time.sleep(a.every)
    for label, _port, _s in servers(a.server):
        if label in done:
            print("%s %.6f %s" % (label, done[label][0], done[label][1]))
        else:
            print("%s timeout -" % label)
    return 0


def cmd_until(a):
    todo = servers(a.server)
    end = time.time() + a.timeout
    while todo and time.time() < end:
        for item in list(todo):
            r = udp_ask(item[2], item[1], a.name, 0.2)
            if r is not None and r[2] and r[2][0] == a.want:
                todo.remove(item)
        time.sleep(0.02)
    return 0 if not todo else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("ready")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--tcp", action="store_true")
    b = sub.add_parser("tcp-burst")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--name", required=True)
    b.add_argument("--conns", type=int, default=100)
    b.add_argument("--per-conn", type=int, default=100)
    b.add_argument("--timeout", type=float, default=10)
    w = sub.add_parser("watch")
    w.add_argument("--server", action="append", required=True)
    w.add_argument("--name", required=True)
    w.add_argument("--old", required=True)
    w.add_argument("--every", type=float, default=0.005)
    w.add_argument("--timeout", type=float, default=30)
    u = sub.add_parser("until")
    u.add_argument("--server", action="append", required=True)
    u.add_argument("--name", required=True)
    u.add_argument("--want", required=True)
    u.add_argument("--timeout", type=float, default=60)
    x = sub.add_parser("wire")
    x.add_argument("--in", dest="inp", required=True)
    x.add_argument("--out", required=True)
    x.add_argument("--edns-size", type=int, default=1232)
    x.add_argument("--do", action="store_true")
    a = p.parse_args()
    try:
        return {"ready": cmd_ready, "tcp-burst": cmd_tcp_burst, "watch": cmd_watch,
                "until": cmd_until, "wire": cmd_wire}[a.cmd](a)
    except (OSError, ValueError, struct.error) as e:
        print("dnsclient: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
