"""The status page in a real browser (issue 5 point 4): headless Chromium
loads https://127.0.0.1:APIPORT/ from a running gtmd, before and after a
real HTTP backend turns to 503; the screenshot must show the Degraded
colour only after, and the DOM must say so. The PNG is decoded here with
zlib and struct (no imaging library).

Skipped when /usr/bin/chromium (Debian's `chromium`, installed by
./bootstrap) is missing. Chromium only ever talks to 127.0.0.1; its
background services are switched off."""

import os
import re
import struct
import subprocess
import zlib

import pytest

from armapi import start_api
from backends import endpoint, poll, profile
from conftest import scaled

CHROMIUM = "/usr/bin/chromium"

# The badge colours of the page's style sheet (api/obs.c).
DEGRADED = (0xD3, 0x2F, 0x2F)
ONLINE = (0x2E, 0x7D, 0x32)

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason="Debian's chromium is not installed"
)


def chromium(tmp_path, url, *mode):
    """Runs headless Chromium on url with mode (--screenshot=F or --dump-dom);
    returns stdout."""
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--user-data-dir=%s" % (tmp_path / "chromium-profile"),
        "--ignore-certificate-errors",
        "--window-size=1280,900",
        *mode,
        url,
    ]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(90),
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, "chromium failed (%d):\n%s" % (r.returncode, r.stderr[-3000:])
    return r.stdout


def visible_text(dom):
    """The text of the DOM's body (no style sheet, no tags)."""
    body = dom[dom.index("<body"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", body))


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA,
    non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, at = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
            else:
                assert ftype == 0, ftype
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def count_colour(rows, rgb, tol=6):
    return sum(
        1
        for row in rows
        for px in row
        if all(abs(px[k] - rgb[k]) <= tol for k in range(3))
    )


def state_of(g, ep):
    r = g.api.request("GET", "/gtmd/v1/status", api_version=None)
    assert r.status == 200, r
    return [e["endpointMonitorStatus"] for p in r.json["profiles"] for e in p["endpoints"]
            if e["name"] == ep][0]


def test_screenshot_shows_an_endpoint_turning_degraded(gtmd_factory, backends, tmp_path):
    (b1,) = backends.http(1)
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={
            "shop": profile("shop", "Priority", [
                endpoint("west", b1.host, priority=1),
                endpoint("east", "127.0.1.7", priority=2, alwaysServe="Enabled"),
            ], port=b1.port, tolerated=0),
        },
    )
    url = "https://127.0.0.1:%d/" % g.api_port
    ok, _ = poll(lambda: state_of(g, "west") == "Online", scaled(10), 0.05)
    assert ok, "west never came Online"

    before = tmp_path / "before.png"
    chromium(tmp_path, url, "--screenshot=%s" % before)
    w, h, rows = read_png(before)
    assert (w, h) == (1280, 900)
    assert count_colour(rows, ONLINE) > 100, "no Online badge drawn"
    assert count_colour(rows, DEGRADED) == 0, "Degraded colour before anything failed"
    text = visible_text(chromium(tmp_path, url, "--dump-dom"))
    assert "Online" in text and "shop" in text
    assert "Degraded" not in text

    b1.set(503)
    ok, _ = poll(lambda: state_of(g, "west") == "Degraded", scaled(10), 0.05)
    assert ok, "west never became Degraded"

    after = tmp_path / "after.png"
    chromium(tmp_path, url, "--screenshot=%s" % after)
    _, _, rows = read_png(after)
    red = count_colour(rows, DEGRADED)
    # the endpoint's badge, the profile's, and the transition's: each ~60x18
    assert red > 1000, "Degraded colour not drawn (%d pixels)" % red
    text = visible_text(chromium(tmp_path, url, "--dump-dom"))
    assert "Degraded" in text
    assert "HTTP 503" in text
    assert "Online → Degraded" in text
    keep = os.environ.get("GTMD_KEEP_SCREENSHOT")
    if keep:
        with open(keep, "wb") as f:
            f.write(after.read_bytes())
