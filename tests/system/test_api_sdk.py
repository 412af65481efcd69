"""A real Azure client against gtmd (issue 5 point 1): the official Traffic
Manager management SDK for JavaScript (@azure/arm-trafficmanager, exact
versions in sdk/package-lock.json) creates, reads, changes, lists and
deletes a profile and its endpoints through https://127.0.0.1:PORT, and
the DNS answers follow each step.

The SDK is installed with `npm ci` from the npm registry into a cache
directory keyed by the lock file (GTMD_SDK_CACHE, else
$XDG_CACHE_HOME/gtmd-sdk-test or ~/.cache/gtmd-sdk-test), so later runs,
`make distcheck` included, reuse it. Skipped only when node/npm are
missing or the registry cannot be reached."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import dns.rcode
import pytest

from armapi import PROFILE_TYPE, RG, SUB, TOKEN, start_api
from backends import rdatas
from conftest import scaled

HERE = Path(__file__).resolve().parent
SDK_SRC = HERE / "sdk"
SDK_FILES = ("package.json", "package-lock.json", "sdk_test.js")
NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET",
                  "ENETUNREACH", "EHOSTUNREACH", "network request", "getaddrinfo")


def _cache_root():
    if os.environ.get("GTMD_SDK_CACHE"):
        return Path(os.environ["GTMD_SDK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    root = Path(base) / "gtmd-sdk-test"
    try:
        root.mkdir(parents=True, exist_ok=True)
        return root
    except OSError:
        return Path(tempfile.gettempdir()) / "gtmd-sdk-test"


def sdk_dir():
    """A directory holding the SDK (npm ci, cached by the lock file's
    digest) and the test script; skips the test when it cannot be had."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed for the Azure SDK test")
    h = hashlib.sha256()
    for f in ("package.json", "package-lock.json"):
        h.update((SDK_SRC / f).read_bytes())
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    d = root / h.hexdigest()[:16]
    if not (d / "node_modules" / "@azure" / "arm-trafficmanager" / "package.json").exists():
        tmp = Path(tempfile.mkdtemp(prefix=d.name + ".", dir=str(root)))
        for f in ("package.json", "package-lock.json"):
            shutil.copy(str(SDK_SRC / f), str(tmp / f))
        try:
            r = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                cwd=str(tmp), capture_output=True, text=True, timeout=600,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            shutil.rmtree(str(tmp), ignore_errors=True)
            pytest.skip("npm ci timed out: the npm registry cannot be reached")
        if r.returncode != 0:
            shutil.rmtree(str(tmp), ignore_errors=True)
            out = r.stdout + r.stderr
            if any(e in out for e in NETWORK_ERRORS):
                pytest.skip("the npm registry cannot be reached: %s" % out.strip()[-300:])
            pytest.fail("npm ci failed:\n%s" % out)
        try:
            os.rename(str(tmp), str(d))
        except OSError:  # another run installed it meanwhile
            shutil.rmtree(str(tmp), ignore_errors=True)
    shutil.copy(str(SDK_SRC / "sdk_test.js"), str(d / "sdk_test.js"))
    return d


def sdk_versions(d):
    out = {}
    for pkg in ("arm-trafficmanager", "core-auth", "core-client", "core-rest-pipeline"):
        meta = json.loads((d / "node_modules" / "@azure" / pkg / "package.json").read_text())
        out["@azure/" + pkg] = meta["version"]
    return out


class Script:
    """The node script, one step at a time."""

    def __init__(self, d, args):
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0"  # gtmd's self-signed certificate
        env["NO_PROXY"] = "*"
        self.proc = subprocess.Popen(
            ["node", str(d / "sdk_test.js")] + [str(a) for a in args],
            cwd=str(d), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        self.steps = []

    def next(self, expect):
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=scaled(10))
            raise AssertionError("node exited (%s) before step %s: %s" % (
                self.proc.returncode, expect, self.proc.stderr.read()))
        out = json.loads(line)
        self.steps.append(out)
        assert out["step"] == expect, out
        return out

    def go(self):
        self.proc.stdin.write("next\n")
        self.proc.stdin.flush()

    def close(self):
        try:
            self.proc.stdin.write("stop\n")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=scaled(10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def served(g, relative):
    r = g.query("%s.%s" % (relative, g.domain), "A")
    return r.rcode(), rdatas(r, "A")


def ok(step):
    assert step["ok"], step
    return step["result"]


def failed(step, status, code):
    assert not step["ok"], step
    assert step["error"]["statusCode"] == status, step
    assert step["error"]["code"] == code, step


def test_azure_sdk_drives_gtmd(gtmd_factory, tmp_path, record_property):
    d = sdk_dir()
    versions = sdk_versions(d)
    record_property("sdk_versions", json.dumps(versions))
    print("Azure SDK:", versions)
    g = start_api(gtmd_factory, tmp_path)
    url = "https://127.0.0.1:%d" % g.api_port
    s = Script(d, [url, TOKEN, SUB, RG, "sdk-prof", "sdk-app"])
    NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN
    pid = "/subscriptions/%s/resourceGroups/%s/providers/%s/sdk-prof" % (SUB, RG, PROFILE_TYPE)
    try:
        r = ok(s.next("name-free"))
        assert r["nameAvailable"] is True, r
        assert served(g, "sdk-app")[0] == NXDOMAIN
        s.go()

        r = ok(s.next("create"))
        assert r["id"] == pid and r["name"] == "sdk-prof" and r["type"] == PROFILE_TYPE
        assert r["dnsConfig"]["fqdn"] == "sdk-app.tm.test"
        assert r["monitorConfig"]["toleratedNumberOfFailures"] == 2
        assert [e["name"] for e in r["endpoints"]] == ["primary", "secondary"]
        assert r["endpoints"][0]["endpointMonitorStatus"] == "Unmonitored"
        assert served(g, "sdk-app") == (NOERROR, ["127.0.0.41"])
        assert (g.pdir / "sdk-prof.json").exists()
        s.go()

        r = ok(s.next("get"))
        assert r["tags"] == {"purpose": "sdk-test"}
        assert r["profileStatus"] == "Enabled" and r["trafficRoutingMethod"] == "Priority"
        assert r["monitorConfig"]["profileMonitorStatus"] == "Online"
        assert r["trafficViewEnrollmentStatus"] == "Disabled"
        s.go()

        r = ok(s.next("endpoint-disable"))
        assert r["endpointStatus"] == "Disabled" and r["target"] == "127.0.0.41", r
        assert r["endpointMonitorStatus"] == "Disabled"
        assert served(g, "sdk-app") == (NOERROR, ["127.0.0.42"])
        s.go()

        r = ok(s.next("endpoint-create"))
        assert r["name"] == "third" and r["id"] == pid + "/externalEndpoints/third", r
        s.go()
        r = ok(s.next("endpoint-get"))
        assert r["target"] == "127.0.0.43" and r["priority"] == 3 and r["weight"] == 1, r
        s.go()

        r = ok(s.next("update"))
        assert r["tags"] == {"purpose": "sdk-test", "changed": "yes"}, r
        assert r["dnsConfig"]["ttl"] == 7 and r["dnsConfig"]["relativeName"] == "sdk-app"
        assert [e["name"] for e in r["endpoints"]] == ["primary", "secondary", "third"]
        q = g.query("sdk-app." + g.domain, "A")
        assert q.answer[0].ttl == 7
        s.go()

        r = ok(s.next("list-rg"))
        assert [p["name"] for p in r] == ["sdk-prof"], r
        s.go()
        r = ok(s.next("list-sub"))
        assert [p["name"] for p in r] == ["sdk-prof"], r
        s.go()

        r = ok(s.next("name-taken"))
        assert r["nameAvailable"] is False and r["reason"] == "AlreadyExists", r
        s.go()

        failed(s.next("get-missing"), 404, "ResourceNotFound")
        s.go()
        st = s.next("create-invalid")
        failed(st, 400, "BadRequest")
        assert "relativeName" in st["error"]["message"]
        s.go()

        ok(s.next("endpoint-delete"))
        assert served(g, "sdk-app") == (NOERROR, ["127.0.0.43"])
        s.go()

        ok(s.next("delete"))
        assert served(g, "sdk-app")[0] == NXDOMAIN
        assert not (g.pdir / "sdk-prof.json").exists()
        s.go()

        failed(s.next("get-deleted"), 404, "ResourceNotFound")
        s.go()
        s.proc.wait(timeout=scaled(10))
        assert s.proc.returncode == 0, s.proc.stderr.read()
    finally:
        s.close()
