"""Helpers for the management API tests (test_api_*.py): a gtmd started
with --api on a free loopback port, a bearer token file, its own profiles
directory and --state-dir; and a small HTTPS client for Azure's ARM routes.

Only 127.0.0.1 is used for gtmd and its API."""

import http.client
import json
import os
import socket
import ssl
import time
from pathlib import Path

from conftest import LOOPBACK4, free_port, scaled

TOKEN = "gtmd-test-token-0123456789abcdef"
SUB = "11111111-2222-3333-4444-555555555555"
RG = "rg-test"
API_VERSION = "2022-04-01"
PROFILE_TYPE = "Microsoft.Network/trafficManagerProfiles"
EXTERNAL = PROFILE_TYPE + "/externalEndpoints"
NESTED = PROFILE_TYPE + "/nestedEndpoints"


def rg_path(name=None, sub=SUB, rg=RG):
    """The ARM path of a profile (or of the resource group's profiles)."""
    p = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/trafficmanagerprofiles" % (
        sub,
        rg,
    )
    return p + ("/" + name if name else "")


def ep_path(profile, ep, kind="ExternalEndpoints", sub=SUB, rg=RG):
    return "%s/%s/%s" % (rg_path(profile, sub, rg), kind, ep)


class Reply:
    def __init__(self, status, body, headers):
        self.status = status
        self.raw = body
        self.headers = headers
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        """Azure's error code of an error reply."""
        return ((self.json or {}).get("error") or {}).get("code")

    @property
    def message(self):
        return ((self.json or {}).get("error") or {}).get("message") or ""

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:400])


class Api:
    """HTTPS client of gtmd's API (certificate not verified: self-signed)."""

    def __init__(self, port, token=TOKEN, host=LOOPBACK4):
        self.host = host
        self.port = port
        self.token = token
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    def request(
        self,
        method,
        path,
        body=None,
        token="default",
        api_version=API_VERSION,
        raw=None,
        headers=None,
        timeout=10,
    ):
        """method path?api-version=...; body: dict (as JSON) or raw bytes/str.
        Returns a Reply (status, raw, json, code, message)."""
        if api_version is not None:
            path += ("&" if "?" in path else "?") + "api-version=" + api_version
        h = {"Accept": "application/json"}
        tok = self.token if token == "default" else token
        if tok is not None:
            h["Authorization"] = "Bearer " + tok
        data = None
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = http.client.HTTPSConnection(
            self.host, self.port, context=self.ctx, timeout=scaled(timeout)
        )
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Reply(r.status, r.read().decode("utf-8", "replace"), dict(r.getheaders()))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def wait_up(self, timeout=10):
        deadline = time.time() + scaled(timeout)
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return self
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)


def start_api(
    gtmd_factory,
    tmp_path,
    token=True,
    profiles=None,
    zones=None,
    extra=(),
    pdir=None,
    state=None,
    workers=2,
    clients=None,
):
    """Start gtmd with --api on a free port. token: write a token file and
    pass --api-token-file (False: read-only mode). profiles: {file name:
    dict or text} written into the profiles directory first. pdir/state:
    reuse directories (a restart). clients: {client_id: secret} written to
    <tmp>/clients and passed with --api-clients (the token issuer).
    Returns the Gtmd with .api (Api),
    .api_port, .pdir, .state."""
    tmp_path = Path(tmp_path)
    pdir = Path(pdir) if pdir else tmp_path / "profiles"
    state = Path(state) if state else tmp_path / "state"
    pdir.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    for name, doc in (profiles or {}).items():
        fname = name if name.endswith(".json") else name + ".json"
        text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
        (pdir / fname).write_text(text)
    port = free_port()
    argv = [
        "--api",
        "%s:%d" % (LOOPBACK4, port),
        "--profiles",
        str(pdir),
        "--state-dir",
        str(state),
    ]
    if token:
        tf = tmp_path / "tokens"
        tf.write_text("# test tokens\n%s\n" % TOKEN)
        os.chmod(str(tf), 0o600)
        argv += ["--api-token-file", str(tf)]
    if clients:
        cf = tmp_path / "clients"
        cf.write_text("".join("%s %s\n" % kv for kv in clients.items()))
        os.chmod(str(cf), 0o600)
        argv += ["--api-clients", str(cf)]
    g = gtmd_factory.start(zones=zones, extra=argv + list(extra), workers=workers)
    g.api_port = port
    g.pdir = pdir
    g.state = state
    g.cacert = state / "api.crt"
    g.api = Api(port, TOKEN if token else None).wait_up()
    return g


def ext_endpoint(name, target, **props):
    """An external endpoint in ARM shape (alwaysServe unless given)."""
    p = {"target": target, "alwaysServe": "Enabled"}
    p.update(props)
    return {"name": name, "type": EXTERNAL, "properties": p}


def arm_profile(relative, method="Priority", endpoints=(), ttl=30, **props):
    """A PUT body in ARM shape."""
    p = {
        "profileStatus": "Enabled",
        "trafficRoutingMethod": method,
        "dnsConfig": {"relativeName": relative, "ttl": ttl},
        "monitorConfig": {"protocol": "HTTP", "port": 80, "path": "/"},
        "endpoints": list(endpoints),
    }
    p.update(props)
    return {"location": "global", "tags": {}, "properties": p}
