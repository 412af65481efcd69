"""gtmctl against a running gtmd (SPEC §7, issue 5 point 7): every
command's table and --json output, the errors and their exit statuses
(1 usage, 2 unreachable, 3 refused), enable/disable and drill overrides
changing the DNS answers, and reload.

gtmd runs with --api on a free loopback port, a token file and a state
directory, so that gtmctl verifies gtmd's self-signed certificate with
--state-dir. Backends (backends.py) run on 127.0.0.21-127.0.0.99.

Environment: GTMCTL (the binary; default: gtmctl beside $GTMD or at the
build root), GTMCTL_WRAPPER (a command prefix, e.g. "valgrind -q").
"""

import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from backends import BackendFactory, addresses, endpoint, fqdn, profile, wait_transition
from conftest import GTMD, LOOPBACK4, GtmdFactory, _require_binary, free_port, scaled

GTMCTL = os.environ.get("GTMCTL") or str(Path(GTMD).resolve().parent / "gtmctl")
CTL_WRAPPER = shlex.split(os.environ.get("GTMCTL_WRAPPER", ""))
TOKEN = "gtmctl-test-token-0123456789"
SUB = "00000000-0000-0000-0000-000000000000"


# --------------------------------------------------------------------------
# Running gtmd and gtmctl
# --------------------------------------------------------------------------


class Api:
    """A gtmd with its API, and gtmctl pointed at it."""

    def __init__(self, g, api_port, token_file, state_dir):
        self.g = g
        self.port = api_port
        self.url = "https://127.0.0.1:%d" % api_port
        self.token_file = token_file
        self.state_dir = state_dir

    def ctl(self, *args, token=True, trust="state-dir", api=None, env=None, timeout=30):
        """Run gtmctl; returns the CompletedProcess (text)."""
        argv = CTL_WRAPPER + [GTMCTL, "--api", api or self.url]
        if token is True:
            argv += ["--token-file", str(self.token_file)]
        elif token:
            argv += ["--token-file", str(token)]
        if trust == "state-dir":
            argv += ["--state-dir", str(self.state_dir)]
        elif trust == "insecure":
            argv += ["--insecure"]
        elif trust:
            argv += ["--cacert", str(trust)]
        argv += [str(a) for a in args]
        e = {k: v for k, v in os.environ.items() if not k.startswith("GTMCTL_")}
        e.update(env or {})
        return subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=scaled(timeout),
            env=e,
        )

    def ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        assert r.returncode == 0, "gtmctl %s: exit %d\n%s%s" % (
            " ".join(map(str, args)),
            r.returncode,
            r.stdout,
            r.stderr,
        )
        assert r.stderr == "", r.stderr
        return r.stdout

    def json(self, *args, **kw):
        return json.loads(self.ok("--json", *args, **kw))


def start_api(factory, tmp_path_factory, profiles, tokens=True, extra=()):
    d = tmp_path_factory.mktemp("gtmctl")
    token_file = d / "tokens"
    token_file.write_text("# gtmd API tokens\n%s\n" % TOKEN)
    token_file.chmod(0o600)
    state = d / "state"
    state.mkdir()
    port = free_port()
    argv = ["--api", "127.0.0.1:%d" % port, "--state-dir", str(state)]
    if tokens:
        argv += ["--api-token-file", str(token_file)]
    g = factory.start(profiles=profiles, extra=argv + list(extra))
    api = Api(g, port, token_file, state)
    deadline = time.time() + scaled(10)
    while not (state / "api.crt").exists():
        assert time.time() < deadline, "no %s; log:\n%s" % (state / "api.crt", g.log)
        time.sleep(0.05)
    return api


def pair_profile(name, prim, sec):
    return profile(
        name,
        "Priority",
        [
            endpoint("primary", prim.host, priority=1),
            endpoint("secondary", sec.host, priority=2),
        ],
        port=prim.port,
    )


def wait_online(g, label, timeout=6):
    wait_transition(g, label, "CheckingEndpoint", "Online", timeout=timeout)


def poll(fn, timeout=5, period=0.05):
    deadline = time.time() + scaled(timeout)
    while True:
        v = fn()
        if v:
            return v
        assert time.time() < deadline, "condition not met within %ss" % timeout
        time.sleep(period)


def table(text):
    """A gtmctl table as (header, rows), each a list of cells, after checking
    the alignment: every cell of a column starts where its header starts."""
    lines = text.rstrip("\n").split("\n")
    head = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))(\S)", head)]
    names = [head[s:e].strip() for s, e in zip(starts, starts[1:] + [len(head)])]
    rows = []
    for line in lines[1:]:
        assert line == line.rstrip(), "trailing blanks: %r" % line
        cells = []
        for i, s in enumerate(starts):
            e = starts[i + 1] if i + 1 < len(starts) else len(line)
            cell = line[s:e]
            assert s == 0 or line[s - 1] == " ", "misaligned %r in %r" % (cell, line)
            assert cell == "" or not cell.startswith(" "), "misaligned %r in %r" % (cell, line)
            cells.append(cell.strip())
        rows.append(cells)
    for line in lines:
        assert line == line.rstrip(), "trailing blanks: %r" % line
    return names, rows


def rows_by(names, rows, *keys):
    idx = [names.index(k) for k in keys]
    return {tuple(r[i] for i in idx): dict(zip(names, r)) for r in rows}


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One gtmd for the read-only tests: profile app (Priority over two
    Online backends) and web (Weighted, one endpoint disabled)."""
    _require_binary()
    if not os.access(GTMCTL, os.X_OK):
        pytest.fail("gtmctl binary not found at %s (set GTMCTL=...)" % GTMCTL)
    backs = BackendFactory(tmp_path_factory)
    factory = GtmdFactory(tmp_path_factory)
    try:
        a, b = backs.http(2)
        c, d = backs.http(2)
        profiles = {
            "app": pair_profile("app", a, b),
            "web": profile(
                "web",
                "Weighted",
                [
                    endpoint("w1", c.host, weight=3),
                    endpoint("w2", d.host, weight=1, endpointStatus="Disabled"),
                ],
                port=c.port,
            ),
        }
        api = start_api(factory, tmp_path_factory, profiles)
        api.backends = (a, b, c, d)
        wait_online(api.g, "app/primary")
        wait_online(api.g, "app/secondary")
        wait_online(api.g, "web/w1")
        yield api
    finally:
        problems = factory.teardown()
        backs.stop_all()
    assert not problems, "\n".join(problems)


@pytest.fixture
def drill(gtmd_factory, backends, tmp_path_factory):
    """A gtmd of its own (for tests that change things): profile dr,
    Priority over two Online backends."""
    if not os.access(GTMCTL, os.X_OK):
        pytest.fail("gtmctl binary not found at %s (set GTMCTL=...)" % GTMCTL)
    a, b = backends.http(2)
    api = start_api(gtmd_factory, tmp_path_factory, {"dr": pair_profile("dr", a, b)})
    api.backends = (a, b)
    wait_online(api.g, "dr/primary")
    wait_online(api.g, "dr/secondary")
    return api


# --------------------------------------------------------------------------
# Read-only commands
# --------------------------------------------------------------------------


def test_profiles_table_and_json(shared):
    names, rows = table(shared.ok("profiles"))
    assert names == [
        "NAME",
        "RESOURCE GROUP",
        "ROUTING",
        "STATUS",
        "MONITOR",
        "TTL",
        "ENDPOINTS",
        "FQDN",
    ]
    by = rows_by(names, rows, "NAME")
    assert set(by) == {("app",), ("web",)}
    assert by[("app",)]["ROUTING"] == "Priority"
    assert by[("app",)]["STATUS"] == "Enabled"
    assert by[("app",)]["ENDPOINTS"] == "2"
    assert by[("app",)]["TTL"] == "30"
    assert by[("app",)]["FQDN"] == "app.%s" % shared.g.domain
    assert by[("web",)]["ROUTING"] == "Weighted"

    j = shared.json("profiles")
    assert sorted(p["name"] for p in j["value"]) == ["app", "web"]
    for p in j["value"]:
        assert p["type"].lower() == "microsoft.network/trafficmanagerprofiles"
        assert p["id"].lower().startswith("/subscriptions/%s/resourcegroups/" % SUB)


def test_endpoints_table_and_json(shared):
    names, rows = table(shared.ok("endpoints", "web"))
    assert names == [
        "NAME",
        "TYPE",
        "TARGET",
        "STATUS",
        "MONITOR",
        "PRIORITY",
        "WEIGHT",
        "LOCATION",
    ]
    by = rows_by(names, rows, "NAME")
    c, d = shared.backends[2:]
    assert by[("w1",)]["TYPE"] == "external"
    assert by[("w1",)]["TARGET"] == c.host
    assert by[("w1",)]["STATUS"] == "Enabled"
    assert by[("w1",)]["MONITOR"] == "Online"
    assert by[("w1",)]["WEIGHT"] == "3"
    assert by[("w2",)]["STATUS"] == "Disabled"
    assert by[("w2",)]["MONITOR"] == "Disabled"

    j = shared.json("endpoints", "web")
    assert [e["name"] for e in j] == ["w1", "w2"]
    assert j[0]["properties"]["endpointMonitorStatus"] == "Online"
    assert j[1]["properties"]["endpointStatus"] == "Disabled"
    # Names are case-insensitive, as in ARM.
    assert shared.json("endpoints", "WEB") == j


def test_status_table_and_json(shared):
    names, rows = table(shared.ok("status"))
    assert names[:2] == ["PROFILE", "ENDPOINT"]
    for col in ("STATE", "LAST", "LATENCY"):
        assert col in names
    by = rows_by(names, rows, "PROFILE", "ENDPOINT")
    assert set(by) == {("app", "primary"), ("app", "secondary"), ("web", "w1"), ("web", "w2")}
    for key in (("app", "primary"), ("app", "secondary"), ("web", "w1")):
        row = by[key]
        assert row["STATE"] == "Online", row
        assert re.fullmatch(r"[0-9.]+ ms", row["LATENCY"]), row
        assert row["LAST"] not in ("", "-"), row
    assert by[("web", "w2")]["STATE"] == "Disabled"

    # One profile only.
    names, rows = table(shared.ok("status", "web"))
    assert {r[names.index("PROFILE")] for r in rows} == {"web"}

    j = shared.json("status")
    assert sorted(p["name"] for p in j["profiles"]) == ["app", "web"]


def test_history_table_and_json(shared):
    names, rows = table(shared.ok("history", "app", "primary"))
    assert names[0] == "TIME"
    assert "FROM" in names and "TO" in names
    first = dict(zip(names, rows[-1]))  # newest first: the oldest is last
    assert first["FROM"] == "CheckingEndpoint"
    assert first["TO"] == "Online"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", first["TIME"]), first

    j = shared.json("history", "app", "primary")
    assert isinstance(j, (dict, list))


def test_resolve_table_and_json(shared):
    a, b = shared.backends[:2]
    out = shared.ok("resolve", "app.%s" % shared.g.domain, "--client", "192.0.2.7")
    assert a.host in out
    assert "Priority" in out
    j = shared.json("resolve", "app.%s" % shared.g.domain, "--client", "192.0.2.7", "--type", "A")
    assert a.host in json.dumps(j)
    assert b.host not in json.dumps(j.get("answer", j))


def test_missing_token_is_3(shared):
    # With --api-token-file, reads need the token too (only / and /metrics
    # do not).
    r = shared.ctl("status", token=False)
    assert r.returncode == 3, r
    assert r.stderr.startswith("gtmctl: API refused (HTTP 401 AuthenticationFailed): "), r.stderr


def test_token_from_environment(shared):
    out = shared.ok("profiles", token=False, env={"GTMCTL_TOKEN": TOKEN})
    assert "app" in out


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def test_unreachable_is_2(shared):
    port = free_port()
    r = shared.ctl("status", api="https://127.0.0.1:%d" % port)
    assert r.returncode == 2, r
    assert r.stderr == "gtmctl: cannot reach https://127.0.0.1:%d: Connection refused\n" % port
    assert r.stdout == ""


def test_wrong_token_is_3(shared, tmp_path):
    bad = tmp_path / "bad-token"
    bad.write_text("not-the-token\n")
    r = shared.ctl("disable", "app", "primary", token=bad)
    assert r.returncode == 3, r
    assert r.stderr.startswith("gtmctl: API refused (HTTP 401 InvalidAuthenticationToken): "), r.stderr
    r = shared.ctl("profiles", token=False, env={"GTMCTL_TOKEN": "nope"})
    assert r.returncode == 3, r
    assert "HTTP 401" in r.stderr
    # Nothing changed.
    assert shared.json("endpoints", "app")[0]["properties"]["endpointStatus"] == "Enabled"


def test_unknown_profile_and_endpoint_are_3(shared):
    for args in (
        ("endpoints", "nosuch"),
        ("disable", "nosuch", "primary"),
        ("enable", "app", "nosuch"),
        ("history", "app", "nosuch"),
        ("override", "nosuch", "primary", "degraded"),
        ("status", "nosuch"),
    ):
        r = shared.ctl(*args)
        assert r.returncode == 3, (args, r)
        assert r.stderr.startswith("gtmctl: API refused ("), (args, r.stderr)
        assert "nosuch" in r.stderr, (args, r.stderr)
        assert r.stdout == ""
    # With the resource group given, the 404 comes from the API itself.
    r = shared.ctl("endpoints", "nosuch", "-g", "rg")
    assert r.returncode == 3, r
    assert re.match(r"gtmctl: API refused \(HTTP 404 \w+\): ", r.stderr), r.stderr


def test_certificate_not_trusted_is_2(shared, tmp_path):
    r = shared.ctl("status", trust=None)
    assert r.returncode == 2, r
    assert r.stderr.startswith(
        "gtmctl: cannot verify the certificate of %s: " % shared.url
    ), r.stderr
    assert "--insecure" in r.stderr
    # --insecure and --cacert with gtmd's certificate both work.
    assert "primary" in shared.ok("status", trust="insecure")
    assert "primary" in shared.ok("status", trust=shared.state_dir / "api.crt")
    # A certificate that is not gtmd's is refused.
    other = tmp_path / "other.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(tmp_path / "k"),
         "-out", str(other), "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )
    r = shared.ctl("status", trust=other)
    assert r.returncode == 2, r
    assert "cannot verify the certificate" in r.stderr


def test_usage_errors_are_1(shared, tmp_path):
    cases = [
        ((), "gtmctl: no command given (try 'gtmctl --help')\n"),
        (("frob",), "gtmctl: unknown command 'frob' (try 'gtmctl --help')\n"),
        (("endpoints",), "gtmctl: usage: gtmctl endpoints PROFILE\n"),
        (("override", "app", "primary", "sideways"),
         "gtmctl: override: 'sideways' is not online, degraded or clear\n"),
        (("status", "--bogus"), "gtmctl: unknown option '--bogus'\n"),
    ]
    for args, err in cases:
        r = shared.ctl(*args)
        assert r.returncode == 1, (args, r)
        assert r.stderr == err, (args, r.stderr)
    r = shared.ctl("status", api="http://127.0.0.1:%d" % shared.port)
    assert r.returncode == 1 and "is not an https:// URL" in r.stderr, r
    r = shared.ctl("status", token=tmp_path / "missing")
    assert r.returncode == 1, r
    assert r.stderr == "gtmctl: --token-file: %s: No such file or directory\n" % (
        tmp_path / "missing"
    )
    r = shared.ctl("status", trust=tmp_path / "missing.crt")
    assert r.returncode == 1 and "No such file or directory" in r.stderr, r


def test_help_and_version():
    r = subprocess.run(CTL_WRAPPER + [GTMCTL, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for cmd in ("status", "profiles", "endpoints", "enable", "disable", "override",
                "history", "resolve", "reload"):
        assert re.search(r"^  %s\b" % cmd, r.stdout, re.M), cmd
    r = subprocess.run(CTL_WRAPPER + [GTMCTL, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("gtmctl "), r


def test_read_only_api_refuses_changes_with_403(gtmd_factory, backends, tmp_path_factory):
    a, b = backends.http(2)
    api = start_api(gtmd_factory, tmp_path_factory, {"ro": pair_profile("ro", a, b)},
                    tokens=False)
    r = api.ctl("disable", "ro", "primary", token=False)
    assert r.returncode == 3, r
    assert r.stderr.startswith("gtmctl: API refused (HTTP 403 "), r.stderr
    assert "primary" in api.ok("endpoints", "ro", token=False)


# --------------------------------------------------------------------------
# Changes
# --------------------------------------------------------------------------


def test_disable_and_enable_change_dns_answers(drill):
    g = drill.g
    a, b = drill.backends
    name = fqdn(g, "dr")
    assert addresses(g, name) == [a.host]

    out = drill.ok("disable", "dr", "primary")
    assert out == "dr/primary: endpointStatus Disabled (was Enabled)\n"
    poll(lambda: addresses(g, name) == [b.host])
    names, rows = table(drill.ok("endpoints", "dr"))
    assert rows_by(names, rows, "NAME")[("primary",)]["STATUS"] == "Disabled"
    # Written to the profile's file: a restart would keep it.
    stored = json.loads((g.workdir / "profiles" / "dr.json").read_text())
    eps = {e["name"]: e for e in stored["properties"]["endpoints"]}
    assert eps["primary"]["properties"]["endpointStatus"] == "Disabled"

    j = drill.json("enable", "DR", "Primary")
    assert j["name"] == "primary"
    assert j["properties"]["endpointStatus"] == "Enabled"
    poll(lambda: addresses(g, name) == [a.host])


def test_override_drill_fails_over_and_back(drill):
    g = drill.g
    a, b = drill.backends
    name = fqdn(g, "dr")
    assert addresses(g, name) == [a.host]

    out = drill.ok("override", "dr", "primary", "degraded")
    assert out == "dr/primary: monitor status forced Degraded (probes say Online)\n"
    poll(lambda: addresses(g, name) == [b.host])
    names, rows = table(drill.ok("status", "dr"))
    row = rows_by(names, rows, "ENDPOINT")[("primary",)]
    assert row["STATE"] == "Degraded", row
    assert row["OVERRIDE"] == "Degraded", row
    # The endpoint itself was not touched: still Enabled, probes still OK.
    assert row["STATUS"] == "Enabled", row
    assert row["LAST"] == "HTTP 200", row

    names, rows = table(drill.ok("history", "dr", "primary"))
    assert names == ["TIME", "FROM", "TO", "FAILS", "REASON"]
    newest = dict(zip(names, rows[0]))
    assert (newest["FROM"], newest["TO"]) == ("Online", "Degraded"), newest
    assert newest["REASON"] == "drill override", newest

    j = drill.json("override", "dr", "primary", "clear")
    assert j["override"] is None
    assert j["endpointMonitorStatus"] == "Online"
    poll(lambda: addresses(g, name) == [a.host])
    names, rows = table(drill.ok("history", "dr", "primary"))
    newest = dict(zip(names, rows[0]))
    assert (newest["FROM"], newest["TO"]) == ("Degraded", "Online"), newest

    out = drill.ok("override", "dr", "secondary", "ONLINE")
    assert out == "dr/secondary: monitor status forced Online (probes say Online)\n"
    out = drill.ok("override", "dr", "secondary", "clear")
    assert out == "dr/secondary: override cleared, monitor status Online\n"


def test_reload(drill):
    g = drill.g
    out = drill.ok("reload")
    assert re.fullmatch(r"reloaded \(generation \d+\): profiles 1, zones \d+, probes 2\n", out), out
    j = drill.json("reload")
    assert j["result"] == "reloaded" and j["profiles"] == 1, j
    # A new profile written to the directory is served after the reload.
    from conftest import write_profile

    a, b = drill.backends
    write_profile(g.workdir / "profiles", "extra", pair_profile("extra", a, b))
    drill.ok("reload")
    assert "extra" in drill.ok("profiles")
    # A broken one: exit 3, the error printed, the old profiles kept.
    (g.workdir / "profiles" / "broken.json").write_text('{"name": "broken", ')
    r = drill.ctl("reload")
    assert r.returncode == 3, r
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith("gtmctl: API refused (HTTP 400 InvalidConfiguration): 1 error"), r.stderr
    assert re.match(r"  \S*broken\.json(:\d+)?: error: ", lines[1]), r.stderr
    # A read-only client may not reload.
    r = drill.ctl("reload", token=False)
    assert r.returncode == 3 and "HTTP 401" in r.stderr, r
    assert "extra" in drill.ok("profiles")


# --------------------------------------------------------------------------
# Replies gtmd never sends: a fake HTTPS API
# --------------------------------------------------------------------------


class FakeApi:
    """An HTTPS server on 127.0.0.1 answering every request with the
    (status, content type, body) set in .reply; records the requests."""

    def __init__(self, ctx):
        self.reply = (200, "application/json", b"{}")
        self.requests = []
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK4, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.ctx = ctx
        self.stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                conn.settimeout(5)
                with self.ctx.wrap_socket(conn, server_side=True) as s:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    self.requests.append(data.decode("latin-1"))
                    status, ctype, body = self.reply
                    head = "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n" \
                        "Connection: close\r\n\r\n" % (status, ctype, len(body))
                    s.sendall(head.encode() + body)
            except (OSError, ssl.SSLError):
                pass

    def close(self):
        self.stop = True
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def fake_api(backends):
    f = FakeApi(backends.tls_context())
    yield f
    f.close()


def run_fake(fake, *args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("GTMCTL_")}
    e.update(env or {})
    return subprocess.run(
        CTL_WRAPPER + [GTMCTL, "--api", fake.url, "--insecure"] + list(args),
        capture_output=True, text=True, timeout=scaled(60), env=e,
    )


def test_reply_larger_than_16_mib_is_2(fake_api):
    fake_api.reply = (200, "application/json", b'{"a":"' + b"x" * (16 << 20) + b'"}')
    r = run_fake(fake_api, "status")
    assert r.returncode == 2, r
    assert r.stderr == "gtmctl: %s: the reply is larger than 16 MiB\n" % fake_api.url
    # Just below the bound is fine.
    fake_api.reply = (200, "application/json", b'{"a":"' + b"x" * ((16 << 20) - 16) + b'"}')
    r = run_fake(fake_api, "--json", "status")
    assert r.returncode == 0, r.stderr


def test_reply_not_json_is_2_and_other_errors_are_3(fake_api):
    fake_api.reply = (200, "text/html", b"<html>hello</html>")
    r = run_fake(fake_api, "status")
    assert r.returncode == 2, r
    assert "the reply is not JSON" in r.stderr, r.stderr
    fake_api.reply = (502, "text/html", b"<html>bad gateway</html>")
    r = run_fake(fake_api, "reload")
    assert r.returncode == 3, r
    assert r.stderr == "gtmctl: API refused (HTTP 502) POST %s/gtmd/v1/reload\n" % fake_api.url
    # Azure's error shape, with details (a reload's file:line errors).
    body = {"error": {"code": "InvalidConfiguration", "message": "2 errors",
                      "details": [{"code": "x", "message": "p/a.json: error: one"},
                                  {"code": "x", "message": "p/b.json: error: two\x1b[2J"}]}}
    fake_api.reply = (400, "application/json", json.dumps(body).encode())
    r = run_fake(fake_api, "reload")
    assert r.returncode == 3, r
    assert r.stderr == (
        "gtmctl: API refused (HTTP 400 InvalidConfiguration): 2 errors\n"
        "  p/a.json: error: one\n"
        "  p/b.json: error: two?[2J\n"
    )


def test_request_shape(fake_api):
    """What gtmctl sends: the bearer token, JSON bodies, escaped paths, no
    proxy even when one is set."""
    fake_api.reply = (200, "application/json", b'{"status":"Degraded"}')
    r = run_fake(fake_api, "override", "p 1", "e/2", "degraded",
                 env={"GTMCTL_TOKEN": "t0k", "https_proxy": "http://127.0.0.1:9",
                      "HTTPS_PROXY": "http://127.0.0.1:9"})
    assert r.returncode == 0, r
    req = fake_api.requests[-1]
    assert req.startswith("PUT /gtmd/v1/profiles/p%201/endpoints/e%2F2/override HTTP/1.1\r\n"), req
    assert "\r\nAuthorization: Bearer t0k\r\n" in req
    assert "\r\nContent-Type: application/json\r\n" in req
    fake_api.reply = (200, "application/json", b"{}")
    r = run_fake(fake_api, "resolve", "a.tm.test", "--client", "192.0.2.0/24", "--type", "AAAA")
    assert r.returncode == 0, r
    assert fake_api.requests[-1].startswith(
        "GET /gtmd/v1/resolve?name=a.tm.test&client=192.0.2.0%2F24&type=AAAA HTTP/1.1\r\n"
    )
    assert "Authorization" not in fake_api.requests[-1]


def test_silent_api_times_out_with_2():
    """A listener that never speaks TLS: --timeout bounds the wait."""
    s = socket.socket()
    s.bind((LOOPBACK4, 0))
    s.listen(4)
    try:
        url = "https://127.0.0.1:%d" % s.getsockname()[1]
        t0 = time.monotonic()
        r = subprocess.run(
            CTL_WRAPPER + [GTMCTL, "--api", url, "--insecure", "--timeout", "1", "status"],
            capture_output=True, text=True, timeout=scaled(30),
        )
        assert r.returncode == 2, r
        assert r.stderr == "gtmctl: cannot reach %s: no answer within 1 s\n" % url
        assert time.monotonic() - t0 < scaled(5)
    finally:
        s.close()
