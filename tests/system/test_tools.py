"""Smoke tests with real resolvers' tools: dig (bind9-dnsutils) and kdig
(knot-dnsutils). Skipped when the tool is not installed."""

import re
import shutil
import subprocess

import pytest

from conftest import scaled


def run_tool(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(15))
    return p.returncode, p.stdout + p.stderr


def flags_of(output):
    m = re.search(r";; flags: ([a-z ]+);", output, re.I)
    assert m, output
    return set(m.group(1).split())


@pytest.mark.skipif(not shutil.which("dig"), reason="dig not installed")
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dig_smoke(msrv, tcp):
    argv = ["dig", "@127.0.0.1", "-p", str(msrv.port), "+norec", "+time=2", "+tries=1"]
    if tcp:
        argv.append("+tcp")
    rc, out = run_tool(argv + ["www.example.com", "A"])
    assert rc == 0, out
    assert "status: NOERROR" in out
    assert {"qr", "aa"} <= flags_of(out)
    assert re.search(r"^www\.example\.com\.\s+3600\s+IN\s+A\s+192\.0\.2\.2$", out, re.M), out
    # EDNS as dig sends it by default
    assert re.search(r"EDNS: version: 0, flags:.*; udp: 1232", out), out
    rc, out = run_tool(argv + ["nope.example.com", "A"])
    assert "status: NXDOMAIN" in out
    assert re.search(r"^example\.com\.\s+300\s+IN\s+SOA\s", out, re.M), out
    rc, out = run_tool(argv + ["www.example.org", "A"])
    assert "status: REFUSED" in out


@pytest.mark.skipif(not shutil.which("dig"), reason="dig not installed")
def test_dig_truncation_retry(msrv):
    # dig retries over TCP on TC=1 and shows the full answer
    rc, out = run_tool(
        ["dig", "@127.0.0.1", "-p", str(msrv.port), "+norec", "+noedns",
         "+time=2", "+tries=1", "big.example.com", "TXT"]
    )
    assert rc == 0, out
    assert "Truncated, retrying in TCP mode" in out
    assert len(re.findall(r"^big\.example\.com\.\s+\d+\s+IN\s+TXT", out, re.M)) == 40, out


@pytest.mark.skipif(not shutil.which("kdig"), reason="kdig not installed")
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_kdig_smoke(msrv, tcp):
    argv = ["kdig", "@127.0.0.1", "-p", str(msrv.port), "+norec", "+time=2", "+retry=0"]
    if tcp:
        argv.append("+tcp")
    rc, out = run_tool(argv + ["example.com", "SOA"])
    assert rc == 0, out
    assert "status: NOERROR" in out
    assert {"qr", "aa"} <= flags_of(out)
    assert re.search(
        r"^example\.com\.\s+3600\s+IN\s+SOA\s+ns1\.example\.com\. hostmaster\.example\.com\. 2024010101 ",
        out, re.M,
    ), out
    rc, out = run_tool(argv + ["a.wild.example.com", "A"])
    assert re.search(r"^a\.wild\.example\.com\.\s+3600\s+IN\s+A\s+192\.0\.2\.50$", out, re.M), out
