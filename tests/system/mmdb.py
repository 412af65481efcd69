#!/usr/bin/env python3
"""mmdb.py: writes small MaxMind DB files (format 2.0) for the GeoIP tests.

No GeoIP database ships in Debian, so the tests build their own with the
standard library only, following the MaxMind DB File Format Specification:
a binary search tree (one bit per level; 24- or 32-bit records; IPv4 at
::/96 in an IPv6 tree), 16 zero bytes, the data section, then the metadata
map after the last "\\xab\\xcd\\xefMaxMind.com".

    python3 mmdb.py OUT.mmdb [--ip-version 4|6] [--record-size 24|32] \\
        CIDR=CODE ... CIDR=JSON ...

CODE is "FR" or "US-CA" ({"country":{"iso_code":"US"},
"subdivisions":[{"iso_code":"CA"}]}); JSON is any record. Less specific
networks are written first, so a more specific one overrides its part.
"""

import ipaddress
import json
import struct
import sys
import time

MARKER = b"\xab\xcd\xefMaxMind.com"


class U16(int):
    pass


class U32(int):
    pass


class U64(int):
    pass


def _ctrl(type_, size):
    """The control byte(s) of a field: type, then size (spec "Data Field Format")."""
    if size < 29:
        head, extra = size, b""
    elif size < 29 + 256:
        head, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        head, extra = 30, struct.pack(">H", size - 285)
    else:
        head, extra = 31, struct.pack(">I", size - 65821)[1:]
    if type_ <= 7:
        return bytes([(type_ << 5) | head]) + extra
    return bytes([head, type_ - 7]) + extra  # extended type


def _uint(type_, v, width):
    if v < 0 or v >= 1 << (8 * width):
        raise ValueError("unsigned value out of range: %r" % v)
    raw = v.to_bytes(width, "big").lstrip(b"\0")
    return _ctrl(type_, len(raw)) + raw


def encode(v):
    """One value of the data section (no pointers)."""
    if isinstance(v, bool):
        return _ctrl(14, int(v))
    if isinstance(v, U16):
        return _uint(5, v, 2)
    if isinstance(v, U64):
        return _uint(9, v, 8)
    if isinstance(v, int):  # U32 and plain integers
        return _uint(6, v, 4)
    if isinstance(v, float):
        return _ctrl(3, 8) + struct.pack(">d", v)
    if isinstance(v, str):
        raw = v.encode()
        return _ctrl(2, len(raw)) + raw
    if isinstance(v, bytes):
        return _ctrl(4, len(v)) + v
    if isinstance(v, dict):
        out = _ctrl(7, len(v))
        for k, x in v.items():
            out += encode(str(k)) + encode(x)
        return out
    if isinstance(v, (list, tuple)):
        return _ctrl(11, len(v)) + b"".join(encode(x) for x in v)
    raise TypeError("cannot encode %r" % (v,))


def geo_record(code):
    """The GeoIP2-City shaped record of "FR" or "US-CA"."""
    country, _, sub = code.partition("-")
    rec = {"country": {"iso_code": country}}
    if sub:
        rec["subdivisions"] = [{"iso_code": sub}]
    return rec


class _Node:
    __slots__ = ("kids", "num")

    def __init__(self, fill=None):
        self.kids = [fill, fill]  # None (empty), _Node, or ("data", offset)
        self.num = None


def build(networks, ip_version=6, record_size=24, database_type="gtmd-test",
          description="gtmd test database", build_epoch=None):
    """The bytes of a database mapping each (cidr, record) of networks."""
    if ip_version not in (4, 6) or record_size not in (24, 32):
        raise ValueError("ip_version 4|6, record_size 24|32")
    depth = 32 if ip_version == 4 else 128
    data, offsets = b"", {}
    nets = []
    for cidr, rec in networks:
        net = ipaddress.ip_network(cidr, strict=False)
        blob = encode(rec)
        if blob not in offsets:
            offsets[blob] = len(data)
            data += blob
        if net.version == 4 and ip_version == 6:
            bits, plen = int(net.network_address), 96 + net.prefixlen
        elif net.version == 6 and ip_version == 4:
            raise ValueError("%s in an IPv4 database" % cidr)
        else:
            bits, plen = int(net.network_address), net.prefixlen
        if plen == 0:
            raise ValueError("a /0 network is not supported")
        nets.append((plen, bits, ("data", offsets[blob])))
    nets.sort(key=lambda n: n[0])  # less specific first: the more specific wins

    root = _Node()
    for plen, bits, leaf in nets:
        node = root
        for i in range(plen):
            bit = (bits >> (depth - 1 - i)) & 1
            if i == plen - 1:
                node.kids[bit] = leaf
                break
            kid = node.kids[bit]
            if not isinstance(kid, _Node):
                kid = node.kids[bit] = _Node(kid)  # split: both halves keep kid
            node = kid

    order, queue = [], [root]  # breadth first: the root is node 0
    while queue:
        n = queue.pop(0)
        n.num = len(order)
        order.append(n)
        queue.extend(k for k in n.kids if isinstance(k, _Node))
    count = len(order)

    def record(k):
        if k is None:
            return count
        if isinstance(k, _Node):
            return k.num
        return count + 16 + k[1]

    width = record_size // 8
    tree = b"".join(record(n.kids[0]).to_bytes(width, "big") +
                    record(n.kids[1]).to_bytes(width, "big") for n in order)
    meta = {
        "binary_format_major_version": U16(2),
        "binary_format_minor_version": U16(0),
        "build_epoch": U64(int(time.time()) if build_epoch is None else build_epoch),
        "database_type": database_type,
        "description": {"en": description},
        "ip_version": U16(ip_version),
        "languages": ["en"],
        "node_count": U32(count),
        "record_size": U16(record_size),
    }
    return tree + b"\0" * 16 + data + MARKER + encode(meta)


def write(path, networks, **kw):
    with open(path, "wb") as f:
        f.write(build(networks, **kw))


def main(argv):
    args, kw = [], {}
    it = iter(argv[1:])
    for a in it:
        if a == "--ip-version":
            kw["ip_version"] = int(next(it))
        elif a == "--record-size":
            kw["record_size"] = int(next(it))
        else:
            args.append(a)
    if not args:
        sys.stderr.write(__doc__)
        return 2
    nets = []
    for a in args[1:]:
        cidr, _, val = a.partition("=")
        nets.append((cidr, json.loads(val) if val.startswith("{") else geo_record(val)))
    write(args[0], nets, **kw)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
