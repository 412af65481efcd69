"""The API's built-in token issuer and login routes (issue 13, point 1),
over real HTTPS: the AD FS discovery documents, the client-credentials
token endpoint (client_secret_post and client_secret_basic), tokens the
API accepts like static ones and refuses once tampered with or expired,
/metadata/endpoints (also as az asks it, "//metadata/endpoints") and
/subscriptions. Then the real MSAL and azure-identity from Debian log in
to it. Only 127.0.0.1 is used."""

import base64
import http.client
import json
import ssl
import time
import urllib.parse

import dns.rcode
import pytest

from armapi import SUB, TOKEN, arm_profile, ext_endpoint, rg_path, start_api
from backends import rdatas
from conftest import LOOPBACK4, free_port, scaled

CLIENT = "lab-runner"
SECRET = "lab-secret-0123456789abcdef"
OTHER_SUB = "99999999-8888-7777-6666-555555555555"


def raw(g, method, path, body=None, headers=None):
    """One request exactly as given (path not normalised); Reply-like tuple
    (status, json or text, headers)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(LOOPBACK4, g.api_port, context=ctx, timeout=scaled(10))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        text = r.read().decode()
        try:
            doc = json.loads(text)
        except ValueError:
            doc = text
        return r.status, doc, dict(r.getheaders())
    finally:
        conn.close()


def token_request(g, form, basic=None, path="/adfs/oauth2/token/"):
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:
        h["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    return raw(g, "POST", path, urllib.parse.urlencode(form), h)


def get_token(g, client=CLIENT, secret=SECRET, **extra):
    form = {"grant_type": "client_credentials", "client_id": client, "client_secret": secret,
            "scope": "https://127.0.0.1:%d/.default" % g.api_port}
    form.update(extra)
    status, doc, _ = token_request(g, form)
    assert status == 200, doc
    return doc


PLUS = "plus-client"
PLUS_SECRET = "a+b%2Bc-0123456789abcdef"  # '+' and '%' a Basic header may carry unencoded


@pytest.fixture
def issuer(gtmd_factory, tmp_path):
    return start_api(gtmd_factory, tmp_path,
                     clients={CLIENT: SECRET, "second": SECRET + "2", PLUS: PLUS_SECRET})


def test_discovery_documents(issuer):
    g = issuer
    base = "https://127.0.0.1:%d" % g.api_port
    for path in ("/adfs/.well-known/openid-configuration",
                 "/adfs/contoso.example/.well-known/openid-configuration"):
        status, doc, _ = raw(g, "GET", path)  # no token: this is how clients get one
        assert status == 200, (path, doc)
        assert doc["issuer"] == base + "/adfs"
        assert doc["token_endpoint"] == base + "/adfs/oauth2/token/"
        assert doc["authorization_endpoint"] == base + "/adfs/oauth2/authorize/"
        assert "client_credentials" in doc["grant_types_supported"]
    status, doc, _ = raw(g, "GET", "/adfs/discovery/keys")
    assert status == 200 and doc == {"keys": []}
    status, doc, _ = raw(g, "GET", "/adfs/oauth2/authorize?response_type=code")
    assert status == 400 and doc["error"] == "unsupported_response_type"


def test_token_is_accepted_by_the_api(issuer):
    g = issuer
    doc = get_token(g)
    assert doc["token_type"] == "Bearer" and doc["expires_in"] == 3600
    tok = doc["access_token"]
    assert tok.count(".") == 2  # a JWT
    claims = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
    assert claims["appid"] == CLIENT
    assert claims["aud"] == "https://127.0.0.1:%d/" % g.api_port
    assert claims["exp"] - claims["iat"] == 3600
    # The issued token writes like a static one, and DNS follows.
    body = arm_profile("issued", endpoints=[ext_endpoint("one", "127.0.0.11", priority=1)])
    r = g.api.put(rg_path("issued"), body, token=tok)
    assert r.status == 201, r
    ans = g.query("issued." + g.domain, "A")
    assert ans.rcode() == dns.rcode.NOERROR and rdatas(ans) == ["127.0.0.11"]
    # The static token still works beside it.
    assert g.api.get(rg_path("issued")).status == 200
    # client_secret_basic, any path form az or MSAL uses, resource= (v1).
    status, doc2, _ = token_request(g, {"grant_type": "client_credentials"},
                                    basic="%s:%s" % (CLIENT, SECRET), path="/adfs/oauth2/token")
    assert status == 200, doc2
    assert g.api.get(rg_path("issued"), token=doc2["access_token"]).status == 200
    # Basic as RFC 6749 §2.3.1 has it (form-encoded), and as curl -u sends it.
    for cred in (urllib.parse.quote_plus(PLUS) + ":" + urllib.parse.quote_plus(PLUS_SECRET),
                 PLUS + ":" + PLUS_SECRET):
        status, d, _ = token_request(g, {"grant_type": "client_credentials"}, basic=cred)
        assert status == 200, (cred, d)
    doc3 = get_token(g, resource="https://management.example/")
    assert doc3["resource"] == "https://management.example/"
    assert "issued to client 'lab-runner'" in g.log


def test_refusals(issuer):
    g = issuer
    form = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": "wrong-secret"}
    s1, d1, h1 = token_request(g, form)
    s2, d2, _ = token_request(g, dict(form, client_id="nobody"))
    s3, d3, _ = token_request(g, dict(form, client_secret=SECRET + "2"))  # another client's
    s4, d4, _ = token_request(g, {"grant_type": "client_credentials"},
                              basic="%s:%s" % (CLIENT, "wrong"))
    for s, d in ((s1, d1), (s2, d2), (s3, d3), (s4, d4)):
        assert s == 401 and d["error"] == "invalid_client", (s, d)
    assert d1 == d2  # unknown client and wrong secret look the same
    assert h1.get("WWW-Authenticate", "").startswith("Basic")
    assert "token refused: client" in g.log  # at most one line a second
    # Counted in /metrics.
    m = g.api.get("/metrics", api_version=None).raw
    assert 'gtmd_api_tokens_total{result="refused"} 4' in m, m
    assert 'gtmd_api_tokens_total{result="granted"} 0' in m, m
    s, d, _ = token_request(g, {"client_id": CLIENT, "client_secret": SECRET})
    assert s == 400 and d["error"] == "invalid_request"
    s, d, _ = token_request(g, {"grant_type": "password", "username": "u", "password": "p"})
    assert s == 400 and d["error"] == "unsupported_grant_type"
    s, d, _ = token_request(g, {"grant_type": "client_credentials", "client_secret": SECRET},
                            basic="%s:%s" % (CLIENT, SECRET))
    assert s == 400 and d["error"] == "invalid_request"
    s, d, _ = token_request(g, {"grant_type": "client_credentials"}, basic=None)
    assert s == 400 and d["error"] == "invalid_request"
    s, d, h = raw(g, "GET", "/adfs/oauth2/token")
    assert s == 405 and h.get("Allow") == "POST"
    s, d, h = raw(g, "POST", "/adfs/.well-known/openid-configuration")
    assert s == 405 and h.get("Allow") == "GET, HEAD"
    # A parameter twice (RFC 6749 §3.2), an audience that is not ASCII.
    body = "grant_type=client_credentials&client_id=%s&client_secret=%s&client_secret=x" % (
        CLIENT, SECRET)
    s, d, _ = raw(g, "POST", "/adfs/oauth2/token", body,
                  {"Content-Type": "application/x-www-form-urlencoded"})
    assert s == 400 and d["error"] == "invalid_request" and "client_secret" in \
        d["error_description"], d
    s, d, _ = token_request(g, dict(form, client_secret=SECRET, resource="https://h\u00ff/"))
    assert s == 400 and d["error"] == "invalid_request", d
    s, d, _ = token_request(g, dict(form, client_secret=SECRET, scope="%s/.default" % ("x" * 600)))
    assert s == 400 and d["error"] == "invalid_request", d
    s, d, _ = raw(g, "POST", "/adfs/oauth2/token", "grant_type=client_credentials&x=%00",
                  {"Content-Type": "application/x-www-form-urlencoded"})
    assert s == 400 and d["error"] == "invalid_request"
    s, d, _ = raw(g, "POST", "/adfs/oauth2/token", "a" * 20000,
                  {"Content-Type": "application/x-www-form-urlencoded"})
    assert s == 400 and d["error"] == "invalid_request"
    # A forged or altered token is refused by the API.
    tok = get_token(g)["access_token"]
    h, p, sig = tok.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=="))
    claims["exp"] += 100000
    forged = h + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    for bad in (forged + "." + sig, tok[:-2], tok + "x", h + "." + p + ".", "a.b.c"):
        r = g.api.get(rg_path(), token=bad)
        assert r.status == 401 and r.code == "InvalidAuthenticationToken", (bad, r)
    assert g.alive()


def test_token_expires_and_survives_restart(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path, clients={CLIENT: SECRET},
                  extra=["--api-token-lifetime", "5"])
    doc = get_token(g)
    assert doc["expires_in"] == 5
    tok = doc["access_token"]
    exp = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))["exp"]
    assert g.api.get(rg_path(), token=tok).status == 200
    # After its exp (by the server's clock, in whole seconds): refused as expired.
    time.sleep(max(0.0, exp + 1.2 - time.time()))
    r = g.api.get(rg_path(), token=tok)
    assert r.status == 401 and r.code == "ExpiredAuthenticationToken", r
    # Restarted with the same clients file, gtmd takes the tokens it issued
    # before (a long-lived one here, so that the restart's time does not matter).
    g.stop()
    g2 = start_api(gtmd_factory, tmp_path, clients={CLIENT: SECRET}, pdir=g.pdir, state=g.state)
    tok2 = get_token(g2)["access_token"]
    g2.stop()
    g3 = start_api(gtmd_factory, tmp_path, clients={CLIENT: SECRET}, pdir=g.pdir, state=g.state)
    assert g3.api.get(rg_path(), token=tok2).status == 200
    # A changed secret revokes every token.
    g3.stop()
    g4 = start_api(gtmd_factory, tmp_path, clients={CLIENT: SECRET + "-rotated"},
                   pdir=g.pdir, state=g.state)
    r = g4.api.get(rg_path(), token=tok2)
    assert r.status == 401 and r.code == "InvalidAuthenticationToken", r
    tok4 = get_token(g4, secret=SECRET + "-rotated")["access_token"]
    assert g4.api.get(rg_path(), token=tok4).status == 200


def test_metadata_endpoints(issuer):
    g = issuer
    base = "https://127.0.0.1:%d" % g.api_port
    for path in ("/metadata/endpoints?api-version=2015-01-01",
                 "//metadata/endpoints?api-version=2015-01-01",  # as az sends it
                 "/metadata/endpoints"):
        status, doc, _ = raw(g, "GET", path)
        assert status == 200, (path, doc)
        assert doc["authentication"]["loginEndpoint"] == base + "/adfs"
        assert doc["authentication"]["audiences"] == [base + "/"]
        assert doc["graphEndpoint"] == base + "/"
    # The Host header the client used names the URLs (a name, not an address).
    status, doc, _ = raw(g, "GET", "/metadata/endpoints", headers={"Host": "gtm.lab:8443"})
    assert doc["authentication"]["loginEndpoint"] == "https://gtm.lab:8443/adfs"
    # A hostile Host header is not echoed.
    status, doc, _ = raw(g, "GET", "/metadata/endpoints", headers={"Host": "a\"b<script>"})
    assert doc["authentication"]["loginEndpoint"] == base + "/adfs"


def test_subscriptions(gtmd_factory, tmp_path):
    sub = "0a0b0c0d-1111-2222-3333-444444444444"
    g = start_api(gtmd_factory, tmp_path, clients={CLIENT: SECRET},
                  extra=["--api-subscription", sub.upper()])
    r = g.api.put(rg_path("p1", sub=OTHER_SUB), arm_profile("p1"))
    assert r.status == 201, r
    assert g.api.put(rg_path("p2", sub=OTHER_SUB), arm_profile("p2")).status == 201
    assert g.api.put(rg_path("p3"), arm_profile("p3")).status == 201
    tok = get_token(g)["access_token"]
    for t in (tok, TOKEN):
        r = g.api.get("/subscriptions", token=t, api_version="2019-11-01")
        assert r.status == 200, r
        ids = [s["subscriptionId"] for s in r.json["value"]]
        assert ids == [sub, SUB, OTHER_SUB], ids  # the default first, then in order
        assert r.json["value"][0]["state"] == "Enabled"
        assert r.json["value"][0]["id"] == "/subscriptions/" + sub
    r = g.api.get("/subscriptions/" + OTHER_SUB.upper(), api_version="2016-06-01")
    assert r.status == 200 and r.json["subscriptionId"] == OTHER_SUB
    r = g.api.get("/subscriptions/12345678-1234-1234-1234-123456789012")
    assert r.status == 404 and r.code == "SubscriptionNotFound"
    r = g.api.get("/subscriptions", token=None)
    assert r.status == 401
    r = g.api.delete("/subscriptions/" + sub)
    assert r.status == 405


def test_resource_groups(issuer):
    """Resource groups exist as soon as they are named: GET and PUT answer
    for any well-formed one (Ansible's endpoint module reads the group's
    location first; scripts run `az group create`)."""
    g = issuer
    path = "/subscriptions/%s/resourcegroups/rg-any" % SUB
    r = g.api.get(path, api_version="2019-10-01")
    assert r.status == 200 and r.json["name"] == "rg-any" and r.json["location"] == "global", r
    assert r.json["id"] == "/subscriptions/%s/resourceGroups/rg-any" % SUB
    assert g.api.put(path, {"location": "westeurope"}).status == 200
    assert g.api.request("HEAD", path).status == 204
    assert g.api.delete(path).status == 405
    assert g.api.get("/subscriptions/%s/resourcegroups/bad%%2Fname." % SUB).status == 400
    assert g.api.get("/subscriptions/not-a-guid/resourcegroups/rg").status == 400
    assert g.api.get(path, token=None).status == 401


def test_options_and_files_refused(gtmd_factory, tmp_path):
    bad = tmp_path / "clients"
    for text, needle in (("lonely\n", ":1: error: api-clients: expected 'client_id secret'"),
                         ("a %s\nb short\n" % SECRET, ":2: error: api-clients: secret shorter"),
                         ("# none\n", ": error: api-clients: holds no client")):
        bad.write_text(text)
        # At start-up and under --check-config alike, before anything listens.
        for args in (["--listen", "127.0.0.1:%d" % free_port(), "--api",
                      "127.0.0.1:%d" % free_port()], ["--check-config"]):
            r = gtmd_factory.run(args + ["--api-clients", str(bad), "--state-dir", str(tmp_path)])
            assert r.returncode == 1, r
            assert str(bad) + needle in r.stderr, r.stderr
    r = gtmd_factory.run(["--check-config", "--api-subscription", "not-a-guid"])
    assert r.returncode != 0 and "api-subscription: 'not-a-guid' is not a GUID" in r.stderr
    r = gtmd_factory.run(["--check-config", "--api-token-lifetime", "1"])
    assert r.returncode != 0 and "api-token-lifetime" in r.stderr


def test_without_clients_no_issuer(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path)
    s, d, _ = token_request(g, {"grant_type": "client_credentials", "client_id": CLIENT,
                                "client_secret": SECRET})
    assert s in (401, 404)  # no issuer: the request is an unauthenticated API call
    s, d, _ = raw(g, "GET", "/metadata/endpoints")
    assert s == 200 and "gtmdNote" in d


def test_msal_and_azure_identity(issuer, monkeypatch):
    """Debian's MSAL and azure-identity log in to the issuer offline and
    their tokens manage profiles."""
    msal = pytest.importorskip("msal", reason="python3-msal is not installed")
    identity = pytest.importorskip("azure.identity", reason="python3-azure is not installed")
    g = issuer
    # requests prefers these to a session's own CA when they are set, as
    # they are on some machines: point them at gtmd's certificate, as the
    # README tells users to.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(g.cacert))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    base = "https://127.0.0.1:%d" % g.api_port
    app = msal.ConfidentialClientApplication(CLIENT, client_credential=SECRET,
                                             authority=base + "/adfs", verify=str(g.cacert))
    res = app.acquire_token_for_client(scopes=[base + "/.default"])
    assert "access_token" in res, res
    assert g.api.get(rg_path(), token=res["access_token"]).status == 200
    cred = identity.ClientSecretCredential("adfs", CLIENT, SECRET, authority=base,
                                           connection_verify=str(g.cacert))
    at = cred.get_token(base + "/.default")
    assert at.expires_on > time.time() + 3000
    body = arm_profile("viaidentity", endpoints=[ext_endpoint("one", "127.0.0.13", priority=1)])
    assert g.api.put(rg_path("viaidentity"), body, token=at.token).status == 201
    assert rdatas(g.query("viaidentity." + g.domain, "A")) == ["127.0.0.13"]
    # A wrong secret: MSAL reports OAuth2's invalid_client.
    bad = msal.ConfidentialClientApplication(CLIENT, client_credential="wrong-secret-000000",
                                             authority=base + "/adfs", verify=str(g.cacert))
    res = bad.acquire_token_for_client(scopes=[base + "/.default"])
    assert res.get("error") == "invalid_client", res
