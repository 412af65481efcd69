"""The ARM REST surface over real HTTPS (SPEC §7, §10; reference §2; issue 5
points 1-3 and 8): every operation and error, DNS answers following each
change on the very next query, persistence (atomic files, kill -9 at any
moment, restart), read-only mode, and random JSON thrown at the API.

Targets are 127.0.0.x addresses with alwaysServe, or real local HTTP
backends (backends.py); nothing else is ever contacted."""

import json
import os
import random
import signal
import ssl
import threading
import time

import dns.rcode
import pytest

from armapi import (
    API_VERSION,
    EXTERNAL,
    NESTED,
    PROFILE_TYPE,
    RG,
    SUB,
    TOKEN,
    arm_profile,
    ep_path,
    ext_endpoint,
    rg_path,
    start_api,
)
from backends import rdatas

NOERROR = dns.rcode.NOERROR
NXDOMAIN = dns.rcode.NXDOMAIN


def answer(g, relative, rdtype="A"):
    """(rcode, sorted addresses) gtmd gives now for relative.<domain>."""
    r = g.query("%s.%s" % (relative, g.domain), rdtype)
    return r.rcode(), rdatas(r, rdtype)


def files(g):
    """{file name: text} of the profiles directory (hidden files included)."""
    return {p.name: p.read_text() for p in sorted(g.pdir.iterdir())}


def two_endpoints(relative="app", **props):
    return arm_profile(
        relative,
        endpoints=[
            ext_endpoint("primary", "127.0.0.11", priority=1),
            ext_endpoint("secondary", "127.0.0.12", priority=2),
        ],
        **props
    )


@pytest.fixture
def api(gtmd_factory, tmp_path):
    return start_api(gtmd_factory, tmp_path)


# --------------------------------------------------------------------------
# Profiles: PUT, GET, PATCH, DELETE
# --------------------------------------------------------------------------


def test_put_creates_then_replaces_and_dns_follows(api):
    g = api
    assert answer(g, "app")[0] == NXDOMAIN
    r = g.api.put(rg_path("app-prof"), two_endpoints())
    assert r.status == 201, r
    # Served on the very next query: the reply comes after the reload.
    assert answer(g, "app") == (NOERROR, ["127.0.0.11"])

    p = r.json
    assert p["id"] == "/subscriptions/%s/resourceGroups/%s/providers/%s/app-prof" % (
        SUB,
        RG,
        PROFILE_TYPE,
    )
    assert p["name"] == "app-prof"
    assert p["type"] == PROFILE_TYPE
    assert p["location"] == "global"
    assert p["tags"] == {}
    props = p["properties"]
    assert props["profileStatus"] == "Enabled"
    assert props["trafficRoutingMethod"] == "Priority"
    assert props["dnsConfig"] == {"relativeName": "app", "fqdn": "app.tm.test", "ttl": 30}
    mon = props["monitorConfig"]
    assert mon["protocol"] == "HTTP" and mon["port"] == 80 and mon["path"] == "/"
    # Defaults echoed as Azure does.
    assert mon["intervalInSeconds"] == 30
    assert mon["timeoutInSeconds"] == 10
    assert mon["toleratedNumberOfFailures"] == 3
    assert mon["profileMonitorStatus"] == "Online"  # alwaysServe endpoints count as up
    assert props["trafficViewEnrollmentStatus"] == "Disabled"
    eps = props["endpoints"]
    assert [e["name"] for e in eps] == ["primary", "secondary"]
    e = eps[0]
    assert e["id"] == p["id"] + "/externalEndpoints/primary"
    assert e["type"] == EXTERNAL
    ep = e["properties"]
    assert ep["target"] == "127.0.0.11"
    assert ep["endpointStatus"] == "Enabled"
    assert ep["weight"] == 1
    assert ep["priority"] == 1
    assert ep["alwaysServe"] == "Enabled"
    assert ep["endpointMonitorStatus"] == "Unmonitored"
    assert eps[1]["properties"]["priority"] == 2

    # The stored file: ARM shape with the id, nothing computed in it.
    stored = json.loads((g.pdir / "app-prof.json").read_text())
    assert stored["id"] == p["id"]
    assert stored["properties"]["dnsConfig"] == {"relativeName": "app", "ttl": 30}
    assert "endpointMonitorStatus" not in json.dumps(stored)

    # GET returns the same.
    r2 = g.api.get(rg_path("app-prof"))
    assert r2.status == 200 and r2.json == p

    # PUT again replaces: 200, and the answer changes at once.
    body = two_endpoints()
    body["properties"]["endpoints"][0]["properties"]["priority"] = 3
    r3 = g.api.put(rg_path("app-prof"), body)
    assert r3.status == 200, r3
    assert answer(g, "app") == (NOERROR, ["127.0.0.12"])
    assert set(files(g)) == {"app-prof.json"}


def test_put_keeps_unknown_fields_and_strips_computed_ones(api):
    g = api
    body = two_endpoints("keep")
    body["tags"] = {"team": "dr"}
    body["labNote"] = {"any": ["thing", 1]}
    body["properties"]["customField"] = 42
    body["properties"]["dnsConfig"]["fqdn"] = "bogus.example"
    body["properties"]["monitorConfig"]["profileMonitorStatus"] = "Degraded"
    body["properties"]["endpoints"][0]["properties"]["x-lab"] = "kept"
    body["properties"]["endpoints"][0]["properties"]["endpointMonitorStatus"] = "Degraded"
    body["properties"]["endpoints"][0]["id"] = "/something/else"
    r = g.api.put(rg_path("keep"), body)
    assert r.status == 201, r
    for doc in (r.json, g.api.get(rg_path("keep")).json):
        assert doc["tags"] == {"team": "dr"}
        assert doc["labNote"] == {"any": ["thing", 1]}
        assert doc["properties"]["customField"] == 42
        assert doc["properties"]["dnsConfig"]["fqdn"] == "keep.tm.test"
        assert doc["properties"]["monitorConfig"]["profileMonitorStatus"] == "Online"
        e = doc["properties"]["endpoints"][0]
        assert e["properties"]["x-lab"] == "kept"
        assert e["properties"]["endpointMonitorStatus"] == "Unmonitored"
        assert e["id"].endswith("/trafficManagerProfiles/keep/externalEndpoints/primary")
    stored = (g.pdir / "keep.json").read_text()
    assert "bogus.example" not in stored
    assert "Degraded" not in stored
    assert "/something/else" not in stored


def test_put_flattened_shape_and_any_key_case(api):
    """The `az ... show` shape and odd key spellings are accepted and
    stored in ARM shape with Azure's spellings."""
    g = api
    flat = {
        "name": "ignored-body-name",
        "location": "global",
        "resourceGroup": RG,
        "ProfileStatus": "Enabled",
        "TRAFFICROUTINGMETHOD": "Weighted",
        "dnsConfig": {"RelativeName": "flat", "TTL": 60, "fqdn": None},
        "monitorConfig": {"protocol": "TCP", "port": 443},
        "maxReturn": None,
        "endpoints": [
            {
                "name": "one",
                "type": "Microsoft.network/TrafficManagerProfiles/ExternalEndpoints",
                "resourceGroup": RG,
                "Target": "127.0.0.13",
                "alwaysServe": "Enabled",
                "geoMapping": None,
            }
        ],
    }
    r = g.api.put(rg_path("flat"), flat)
    assert r.status == 201, r
    assert r.json["name"] == "flat"
    props = r.json["properties"]
    assert props["trafficRoutingMethod"] == "Weighted"
    assert props["dnsConfig"] == {"relativeName": "flat", "fqdn": "flat.tm.test", "ttl": 60}
    assert props["monitorConfig"]["protocol"] == "TCP"
    assert "path" not in props["monitorConfig"]
    assert props["endpoints"][0]["type"] == EXTERNAL
    assert props["endpoints"][0]["properties"]["target"] == "127.0.0.13"
    assert answer(g, "flat") == (NOERROR, ["127.0.0.13"])
    stored = json.loads((g.pdir / "flat.json").read_text())
    assert stored["name"] == "flat"
    assert stored["properties"]["trafficRoutingMethod"] == "Weighted"
    assert stored["properties"]["endpoints"][0]["properties"]["target"] == "127.0.0.13"
    assert '"resourceGroup"' not in json.dumps(stored)
    assert stored["properties"]["endpoints"][0]["type"] == EXTERNAL


def test_multivalue_echoes_max_return_and_empty_profile_is_inactive(api):
    g = api
    r = g.api.put(rg_path("mv"), arm_profile("mv", "MultiValue", maxReturn=3))
    assert r.status == 201, r
    assert r.json["properties"]["maxReturn"] == 3
    assert r.json["properties"]["endpoints"] == []
    assert r.json["properties"]["monitorConfig"]["profileMonitorStatus"] == "Inactive"
    r = g.api.put(rg_path("mv2"), arm_profile("mv2", "MultiValue"))
    assert r.json["properties"]["maxReturn"] == 2


def test_patch_merges(api):
    g = api
    body = two_endpoints("patchme")
    body["tags"] = {"a": "1", "b": "2"}
    assert g.api.put(rg_path("patchme"), body).status == 201
    r = g.api.patch(
        rg_path("patchme"),
        {
            "tags": {"b": None, "c": "3"},
            "properties": {
                "dnsConfig": {"ttl": 5},
                "monitorConfig": {"path": "/healthz", "toleratedNumberOfFailures": 1},
            },
        },
    )
    assert r.status == 200, r
    p = r.json["properties"]
    assert r.json["tags"] == {"a": "1", "c": "3"}
    assert p["dnsConfig"]["ttl"] == 5 and p["dnsConfig"]["relativeName"] == "patchme"
    assert p["monitorConfig"]["path"] == "/healthz"
    assert p["monitorConfig"]["toleratedNumberOfFailures"] == 1
    assert p["monitorConfig"]["port"] == 80
    assert [e["name"] for e in p["endpoints"]] == ["primary", "secondary"]
    rr = g.query("patchme." + g.domain, "A")
    assert rr.answer[0].ttl == 5

    # An endpoints array replaces the old one.
    r = g.api.patch(
        rg_path("patchme"),
        {"properties": {"endpoints": [ext_endpoint("only", "127.0.0.14")]}},
    )
    assert r.status == 200, r
    assert [e["name"] for e in r.json["properties"]["endpoints"]] == ["only"]
    assert answer(g, "patchme") == (NOERROR, ["127.0.0.14"])

    # Disabling the profile: NXDOMAIN at once; and back.
    r = g.api.patch(rg_path("patchme"), {"properties": {"profileStatus": "Disabled"}})
    assert r.status == 200
    assert r.json["properties"]["monitorConfig"]["profileMonitorStatus"] == "Disabled"
    assert r.json["properties"]["endpoints"][0]["properties"]["endpointMonitorStatus"] == "Inactive"
    assert answer(g, "patchme")[0] == NXDOMAIN
    assert g.api.patch(rg_path("patchme"), {"profileStatus": "Enabled"}).status == 200
    assert answer(g, "patchme") == (NOERROR, ["127.0.0.14"])

    # A PATCH that breaks it is refused whole; nothing changes.
    before = files(g)
    r = g.api.patch(rg_path("patchme"), {"properties": {"dnsConfig": {"ttl": -1}}})
    assert r.status == 400 and "properties.dnsConfig.ttl" in r.message, r
    assert files(g) == before
    assert g.api.patch(rg_path("nothere"), {"tags": {}}).status == 404


def test_delete_profile(api):
    g = api
    assert g.api.put(rg_path("gone"), two_endpoints("gone")).status == 201
    assert answer(g, "gone")[0] == NOERROR
    r = g.api.delete(rg_path("gone"))
    assert r.status == 200 and r.json == {"boolean": True}, r
    assert answer(g, "gone")[0] == NXDOMAIN
    assert files(g) == {}
    r = g.api.delete(rg_path("gone"))
    assert r.status == 204 and r.raw == ""
    r = g.api.get(rg_path("gone"))
    assert r.status == 404 and r.code == "ResourceNotFound", r


# --------------------------------------------------------------------------
# Endpoints as sub-resources
# --------------------------------------------------------------------------


def test_endpoint_operations(api):
    g = api
    assert g.api.put(rg_path("eps"), two_endpoints("eps")).status == 201

    # Create a third one, type segment in any letter case.
    r = g.api.put(
        ep_path("eps", "third", "externalendpoints"),
        {"properties": {"target": "127.0.0.15", "priority": 0 + 3, "alwaysServe": "Enabled"}},
    )
    assert r.status == 201, r
    assert r.json["name"] == "third"
    assert r.json["type"] == EXTERNAL
    assert r.json["id"].endswith("/trafficManagerProfiles/eps/externalEndpoints/third")
    assert r.json["properties"]["endpointMonitorStatus"] == "Unmonitored"
    assert r.json["properties"]["weight"] == 1

    for kind in ("ExternalEndpoints", "EXTERNALENDPOINTS", "externalEndpoints"):
        r = g.api.get(ep_path("eps", "THIRD", kind))
        assert r.status == 200 and r.json["name"] == "third", (kind, r)

    # Replace: 200; the profile keeps the order.
    r = g.api.put(
        ep_path("eps", "third"),
        {"name": "renamed?", "properties": {"target": "127.0.0.16", "priority": 3,
                                            "alwaysServe": "Enabled"}},
    )
    assert r.status == 200 and r.json["name"] == "third", r
    prof = g.api.get(rg_path("eps")).json
    assert [e["name"] for e in prof["properties"]["endpoints"]] == ["primary", "secondary", "third"]

    # Disable the primary via PATCH: no longer served, at once.
    assert answer(g, "eps") == (NOERROR, ["127.0.0.11"])
    r = g.api.patch(ep_path("eps", "primary"), {"properties": {"endpointStatus": "Disabled"}})
    assert r.status == 200, r
    assert r.json["properties"]["endpointStatus"] == "Disabled"
    assert r.json["properties"]["endpointMonitorStatus"] == "Disabled"
    assert r.json["properties"]["target"] == "127.0.0.11"  # merged, not replaced
    assert answer(g, "eps") == (NOERROR, ["127.0.0.12"])
    r = g.api.patch(ep_path("eps", "primary"), {"endpointStatus": "Enabled"})  # flattened
    assert r.status == 200
    assert answer(g, "eps") == (NOERROR, ["127.0.0.11"])

    # Wrong type: not found; same name with another type: conflict.
    r = g.api.get(ep_path("eps", "primary", "AzureEndpoints"))
    assert r.status == 404 and r.code == "NotFound", r
    r = g.api.put(
        ep_path("eps", "primary", "NestedEndpoints"),
        {"properties": {"targetResourceId": "x/eps"}},
    )
    assert r.status == 409 and r.code == "Conflict", r
    r = g.api.patch(ep_path("eps", "nothere"), {"properties": {"weight": 2}})
    assert r.status == 404
    r = g.api.get(ep_path("eps", "nothere"))
    assert r.status == 404

    # Invalid endpoint: 400 naming the path; nothing changes.
    before = files(g)
    r = g.api.put(ep_path("eps", "bad"), {"properties": {"target": "127.0.0.17", "weight": 5000}})
    assert r.status == 400, r
    assert "properties.endpoints[3].properties.weight" in r.message, r
    assert "5000 out of range" in r.message
    assert r.json["error"]["details"][0]["code"] == "BadRequest"
    assert files(g) == before

    # Delete: 200, then 204; the answer moves at once.
    r = g.api.delete(ep_path("eps", "primary"))
    assert r.status == 200 and r.json == {"boolean": True}, r
    assert answer(g, "eps") == (NOERROR, ["127.0.0.12"])
    assert g.api.delete(ep_path("eps", "primary")).status == 204
    prof = g.api.get(rg_path("eps")).json
    assert [e["name"] for e in prof["properties"]["endpoints"]] == ["secondary", "third"]

    # On a profile that does not exist.
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        r = g.api.request(method, ep_path("nope", "x"), {"properties": {"target": "127.0.0.1"}})
        assert r.status == 404 and r.code == "ParentResourceNotFound", (method, r)


def test_nested_endpoints_and_dependencies(api):
    g = api
    assert g.api.put(rg_path("child"), two_endpoints("child")).status == 201
    parent = arm_profile("parent")
    parent["properties"]["endpoints"] = [
        {
            "name": "to-child",
            "type": NESTED,
            "properties": {
                "targetResourceId": rg_path("child").replace("trafficmanagerprofiles",
                                                             "trafficManagerProfiles"),
                "minChildEndpoints": 1,
            },
        }
    ]
    r = g.api.put(rg_path("parent"), parent)
    assert r.status == 201, r
    e = r.json["properties"]["endpoints"][0]
    assert e["type"] == NESTED
    assert e["properties"]["minChildEndpoints"] == 1
    assert e["properties"]["endpointMonitorStatus"] == "Online"
    assert answer(g, "parent") == (NOERROR, ["127.0.0.11"])

    # The child cannot go while the parent uses it.
    r = g.api.delete(rg_path("child"))
    assert r.status == 409 and r.code == "Conflict", r
    assert "child" in r.message
    assert (g.pdir / "child.json").exists()
    assert answer(g, "child")[0] == NOERROR

    # A nested endpoint to a profile that does not exist: 400.
    r = g.api.put(
        ep_path("parent", "dangling", "NestedEndpoints"),
        {"properties": {"targetResourceId": "/x/nothere"}},
    )
    assert r.status == 400 and "nothere" in r.message, r


# --------------------------------------------------------------------------
# Lists, ownership, name availability
# --------------------------------------------------------------------------


def test_lists_and_resource_groups(gtmd_factory, tmp_path):
    # A profile file written by hand (no id) belongs to every resource group.
    hand = two_endpoints("hand")
    hand["name"] = "hand"
    g = start_api(gtmd_factory, tmp_path, profiles={"hand": hand})
    assert g.api.put(rg_path("in-a", rg="rg-a"), two_endpoints("in-a")).status == 201
    assert g.api.put(rg_path("in-b", rg="rg-b"), two_endpoints("in-b")).status == 201

    r = g.api.get(rg_path(rg="rg-a"))
    assert r.status == 200, r
    names = {p["name"]: p["id"] for p in r.json["value"]}
    assert set(names) == {"hand", "in-a"}
    assert names["hand"] == "/subscriptions/%s/resourceGroups/rg-a/providers/%s/hand" % (
        SUB,
        PROFILE_TYPE,
    )
    r = g.api.get("/subscriptions/%s/providers/Microsoft.Network/trafficmanagerprofiles" % SUB)
    assert r.status == 200
    assert {p["name"] for p in r.json["value"]} == {"hand", "in-a", "in-b"}
    r = g.api.get("/subscriptions/99999999-8888-7777-6666-555555555555/providers/Microsoft.Network/trafficmanagerprofiles")
    assert {p["name"] for p in r.json["value"]} == {"hand"}

    # A profile is seen only in its own resource group.
    assert g.api.get(rg_path("in-a", rg="rg-a")).status == 200
    assert g.api.get(rg_path("in-a", rg="rg-b")).status == 404
    assert g.api.get(rg_path("in-a", sub="99999999-8888-7777-6666-555555555555", rg="rg-a")).status == 404
    assert g.api.delete(rg_path("in-a", rg="rg-b")).status == 204
    assert answer(g, "in-a")[0] == NOERROR
    # Names are unique across resource groups in gtmd.
    r = g.api.put(rg_path("in-a", rg="rg-b"), two_endpoints("other-name"))
    assert r.status == 409 and r.code == "Conflict", r
    # The hand-written profile, changed through the API, is stored with an id.
    r = g.api.patch(rg_path("hand", rg="rg-c"), {"tags": {"x": "y"}})
    assert r.status == 200, r
    stored = json.loads((g.pdir / "hand.json").read_text())
    assert stored["id"].endswith("/resourceGroups/rg-c/providers/%s/hand" % PROFILE_TYPE)
    assert g.api.get(rg_path("hand", rg="rg-a")).status == 404
    # Paths are case-insensitive.
    path = "/SUBSCRIPTIONS/%s/RESOURCEGROUPS/RG-C/PROVIDERS/microsoft.network/" \
           "TRAFFICMANAGERPROFILES/HAND" % SUB
    r = g.api.get(path)
    assert r.status == 200 and r.json["name"] == "hand", r


def test_name_availability(api):
    g = api
    assert g.api.put(rg_path("taken-prof"), two_endpoints("taken")).status == 201
    v2 = "/subscriptions/%s/providers/Microsoft.Network/checkTrafficManagerNameAvailabilityV2" % SUB
    v1 = "/providers/Microsoft.Network/checkTrafficManagerNameAvailability"
    for path in (v1, v2):
        r = g.api.post(path, {"name": "taken", "type": "microsoft.network/trafficmanagerprofiles"})
        assert r.status == 200, r
        assert r.json == {
            "name": "taken",
            "type": PROFILE_TYPE,
            "nameAvailable": False,
            "reason": "AlreadyExists",
            "message": "Domain name taken.tm.test already exists. "
            "Please choose a different DNS prefix.",
        }
        r = g.api.post(path, {"name": "TAKEN", "type": PROFILE_TYPE})
        assert r.json["nameAvailable"] is False
        r = g.api.post(path, {"name": "free", "type": PROFILE_TYPE})
        assert r.json == {"name": "free", "type": PROFILE_TYPE, "nameAvailable": True}
        r = g.api.post(path, {"name": "bad name!", "type": PROFILE_TYPE})
        assert r.json["nameAvailable"] is False and r.json["reason"] == "Invalid"
        r = g.api.post(path, {"type": PROFILE_TYPE})
        assert r.status == 400 and r.code == "BadRequest"
        assert g.api.get(path).status == 405


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def test_validation_errors_name_the_json_path(api):
    g = api
    assert g.api.put(rg_path("ok"), two_endpoints("ok")).status == 201
    before = files(g)
    cases = [
        (
            {"properties": {"dnsConfig": {"relativeName": "x"}}},
            "properties.trafficRoutingMethod: required",
        ),
        (
            arm_profile("x", "Sideways"),
            "properties.trafficRoutingMethod: 'Sideways' is not one of",
        ),
        (
            arm_profile("x", endpoints=[ext_endpoint("e", "127.0.0.1", weight=0)]),
            "properties.endpoints[0].properties.weight: 0 out of range [1, 1000]",
        ),
        (
            arm_profile("x", endpoints=[ext_endpoint("e", "not a host")]),
            "properties.endpoints[0].properties.target",
        ),
        (
            arm_profile("x", monitorConfig={"protocol": "SMTP"}),
            "properties.monitorConfig.protocol",
        ),
        (arm_profile("bad_label!"), "properties.dnsConfig.relativeName"),
        ({"properties": "nope"}, "properties: expected an object"),
    ]
    for body, expect in cases:
        r = g.api.put(rg_path("x"), body)
        assert r.status == 400, (body, r)
        assert r.code == "BadRequest"
        assert expect in r.message, (expect, r.message)
    for raw, code in (
        ("{not json", "InvalidRequestContent"),
        ("[1, 2]", "InvalidRequestContent"),
        ('{"a": 1, "a": 2}', "InvalidRequestContent"),
        ("", "InvalidRequestContent"),
    ):
        r = g.api.request("PUT", rg_path("x"), raw=raw)
        assert r.status == 400 and r.code == code, (raw, r)
    # An invalid profile name.
    r = g.api.put(rg_path("bad%20name"), two_endpoints("y"))
    assert r.status == 400 and "name" in r.message, r
    r = g.api.put(rg_path(".hidden"), two_endpoints("y"))
    assert r.status == 400 and r.code == "InvalidResourceName", r
    # Too large a body.
    big = two_endpoints("big")
    big["properties"]["pad"] = "x" * (1024 * 1024 + 10)
    try:
        r = g.api.put(rg_path("big"), big)
        assert r.status == 413, r
    except (ssl.SSLError, OSError):
        pass  # refused while the body was still being sent
    # Nothing changed.
    assert files(g) == before
    assert answer(g, "ok") == (NOERROR, ["127.0.0.11"])
    assert answer(g, "x")[0] == NXDOMAIN


def test_conflicting_relative_name(api):
    g = api
    assert g.api.put(rg_path("one"), two_endpoints("shared")).status == 201
    r = g.api.put(rg_path("two"), two_endpoints("SHARED"))
    assert r.status == 409 and r.code == "Conflict", r
    assert "shared.tm.test" in r.message
    assert set(files(g)) == {"one.json"}
    # The owner itself may keep it.
    assert g.api.put(rg_path("one"), two_endpoints("shared")).status == 200


def test_reload_refusal_restores_the_previous_file(gtmd_factory, tmp_path):
    """A change the profile checks pass but the whole configuration refuses
    (the relative name is a static name of the --domain zone): 400, the
    previous file is put back, the old answers keep coming."""
    zone = (
        "$ORIGIN tm.test.\n$TTL 300\n"
        "@ SOA ns1 hostmaster 1 3600 600 86400 30\n@ NS ns1\nns1 A 127.0.0.1\n"
        "www A 127.0.0.99\n"
    )
    g = start_api(gtmd_factory, tmp_path, zones={"tm.test.zone": zone})
    assert g.api.put(rg_path("web"), two_endpoints("web")).status == 201
    before = files(g)
    r = g.api.patch(rg_path("web"), {"properties": {"dnsConfig": {"relativeName": "www"}}})
    assert r.status == 400, r
    assert "www" in r.message
    assert files(g) == before
    assert answer(g, "web") == (NOERROR, ["127.0.0.11"])
    assert answer(g, "www") == (NOERROR, ["127.0.0.99"])
    # A new profile refused the same way leaves no file behind.
    r = g.api.put(rg_path("newer"), two_endpoints("www"))
    assert r.status == 400, r
    assert files(g) == before
    g.wait_log(r"reload: .*error")


def test_api_version(api):
    g = api
    assert g.api.put(rg_path("v"), two_endpoints("v")).status == 201
    for v in ("2017-03-01", "2017-05-01", "2018-02-01", "2018-08-01", "2022-04-01",
              "2018-03-01-preview"):
        assert g.api.get(rg_path("v"), api_version=v).status == 200, v
    r = g.api.get(rg_path("v"), api_version=None)
    assert r.status == 400 and r.code == "MissingApiVersionParameter", r
    for v in ("2015-11-01", "2017-02-28", "2022-04-02", "2024-04-01-preview", "latest",
              "2018-8-1", ""):
        r = g.api.get(rg_path("v"), api_version=v)
        assert r.status == 400 and r.code == "InvalidApiVersionParameter", (v, r)
    # Not for writes either: nothing changes.
    r = g.api.delete(rg_path("v"), api_version="2099-01-01")
    assert r.status == 400
    assert answer(g, "v")[0] == NOERROR


def test_methods_and_unknown_routes(api):
    g = api
    r = g.api.post(rg_path("p"), {})
    assert r.status == 405 and r.code == "MethodNotAllowed", r
    r = g.api.put(rg_path(), {})
    assert r.status == 405, r
    r = g.api.get(rg_path("p") + "/heatMapz/default")
    assert r.status == 404 and r.code == "NotFound", r
    r = g.api.get("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/vms" % (SUB, RG))
    assert r.status == 404, r


# --------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------


def test_auth_wrong_or_missing_token_changes_nothing(api):
    g = api
    assert g.api.put(rg_path("auth"), two_endpoints("auth")).status == 201
    before = files(g)
    for tok, code in ((None, "AuthenticationFailed"), ("wrong", "InvalidAuthenticationToken"),
                      (TOKEN + "x", "InvalidAuthenticationToken"), ("", None)):
        for method, path, body in (
            ("PUT", rg_path("auth2"), two_endpoints("auth2")),
            ("PATCH", rg_path("auth"), {"properties": {"profileStatus": "Disabled"}}),
            ("DELETE", rg_path("auth"), None),
            ("PUT", ep_path("auth", "primary"), {"properties": {"target": "127.0.0.1"}}),
            ("GET", rg_path("auth"), None),
        ):
            r = g.api.request(method, path, body, token=tok)
            assert r.status == 401, (tok, method, r)
            if code:
                assert r.code == code, r
            assert "Bearer" in r.headers.get("WWW-Authenticate", ""), r.headers
    assert files(g) == before
    assert answer(g, "auth") == (NOERROR, ["127.0.0.11"])
    assert answer(g, "auth2")[0] == NXDOMAIN


def test_read_only_without_token_file(gtmd_factory, tmp_path):
    prof = two_endpoints("ro")
    prof["name"] = "ro"
    g = start_api(gtmd_factory, tmp_path, token=False, profiles={"ro": prof})
    r = g.api.get(rg_path("ro"))
    assert r.status == 200 and r.json["name"] == "ro", r
    before = files(g)
    for method, path, body in (
        ("PUT", rg_path("ro2"), two_endpoints("ro2")),
        ("PATCH", rg_path("ro"), {"tags": {}}),
        ("DELETE", rg_path("ro"), None),
        ("DELETE", ep_path("ro", "primary"), None),
        ("POST", "/providers/Microsoft.Network/checkTrafficManagerNameAvailability",
         {"name": "x"}),
    ):
        r = g.api.request(method, path, body)
        assert r.status == 403, (method, r)
        # A token does not help when none is configured.
        r = g.api.request(method, path, body, token=TOKEN)
        assert r.status == 403, (method, r)
    assert files(g) == before
    assert answer(g, "ro")[0] == NOERROR


# --------------------------------------------------------------------------
# Live monitor status from real probes
# --------------------------------------------------------------------------


def test_live_monitor_status(api, backends):
    g = api
    good, bad = backends.http(2)
    bad.set(503)
    body = arm_profile(
        "live",
        endpoints=[
            {"name": "good", "type": EXTERNAL, "properties": {"target": good.host, "priority": 1}},
            {"name": "bad", "type": EXTERNAL, "properties": {"target": bad.host, "priority": 2}},
        ],
        monitorConfig={
            "protocol": "HTTP",
            "port": good.port,
            "path": "/health",
            "intervalInSeconds": 1,
            "timeoutInSeconds": 1,
            "toleratedNumberOfFailures": 0,
        },
    )
    r = g.api.put(rg_path("live"), body)
    assert r.status == 201, r
    assert r.json["properties"]["monitorConfig"]["profileMonitorStatus"] == "CheckingEndpoints"
    assert {e["properties"]["endpointMonitorStatus"] for e in r.json["properties"]["endpoints"]} \
        == {"CheckingEndpoint"}

    def statuses():
        p = g.api.get(rg_path("live")).json["properties"]
        return (
            p["monitorConfig"]["profileMonitorStatus"],
            [e["properties"]["endpointMonitorStatus"] for e in p["endpoints"]],
        )

    deadline = time.time() + 10
    while statuses() != ("Degraded", ["Online", "Degraded"]) and time.time() < deadline:
        time.sleep(0.1)
    assert statuses() == ("Degraded", ["Online", "Degraded"])
    r = g.api.get(ep_path("live", "bad"))
    assert r.json["properties"]["endpointMonitorStatus"] == "Degraded"
    bad.set(200)
    deadline = time.time() + 10
    while statuses() != ("Online", ["Online", "Online"]) and time.time() < deadline:
        time.sleep(0.1)
    assert statuses() == ("Online", ["Online", "Online"])
    # Disabling the healthy endpoint through the API moves the answer.
    assert answer(g, "live") == (NOERROR, [good.host])
    r = g.api.patch(ep_path("live", "good"), {"properties": {"endpointStatus": "Disabled"}})
    assert r.status == 200
    assert answer(g, "live") == (NOERROR, [bad.host])


# --------------------------------------------------------------------------
# Persistence
# --------------------------------------------------------------------------


def restart(gtmd_factory, tmp_path, g, sig=signal.SIGKILL):
    """Stop g (kill -9 by default) and start gtmd again on its directories."""
    g.expected_exit = None
    g.stop(sig=sig)
    return start_api(gtmd_factory, tmp_path, pdir=g.pdir, state=g.state)


def test_restart_serves_what_was_acknowledged(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path)
    for i in range(5):
        assert g.api.put(rg_path("p%d" % i), two_endpoints("r%d" % i)).status == 201
    assert g.api.patch(ep_path("p1", "primary"), {"properties": {"endpointStatus": "Disabled"}}) \
        .status == 200
    assert g.api.delete(rg_path("p2")).status == 200
    snapshot = {i: g.api.get(rg_path("p%d" % i)).json for i in (0, 1, 3, 4)}
    g2 = restart(gtmd_factory, tmp_path, g)
    for i, doc in snapshot.items():
        r = g2.api.get(rg_path("p%d" % i))
        assert r.status == 200 and r.json == doc, (i, r)
    assert g2.api.get(rg_path("p2")).status == 404
    assert answer(g2, "r1") == (NOERROR, ["127.0.0.12"])
    assert answer(g2, "r2")[0] == NXDOMAIN
    assert answer(g2, "r0") == (NOERROR, ["127.0.0.11"])
    # The API's certificate is kept in --state-dir across restarts.
    assert (g.state / "api.crt").exists()


def _writer(g, stop, log):
    """PUT/PATCH/DELETE in a loop; log holds [op, name, target, outcome] in
    order, outcome "sent" (no reply yet), "ok" or "refused"."""
    rnd = random.Random(7)
    i = 0
    while not stop.is_set():
        i += 1
        name = "k%d" % rnd.randrange(6)
        op = rnd.choice(["put", "put", "patch", "delete"])
        target = "127.0.0.%d" % (30 + i % 50)
        entry = [op, name, target, "sent"]
        log.append(entry)
        try:
            if op == "put":
                r = g.api.put(rg_path(name), arm_profile(
                    name, endpoints=[ext_endpoint("e", target)]), timeout=5)
            elif op == "patch":
                r = g.api.patch(rg_path(name), {"properties": {"endpoints": [
                    ext_endpoint("e", target)]}}, timeout=5)
            else:
                r = g.api.delete(rg_path(name), timeout=5)
        except (OSError, ConnectionError):
            return
        if r.status in (200, 201, 204):
            entry[3] = "ok"
        else:
            # A PATCH of a profile deleted before: nothing changed.
            assert op == "patch" and r.status == 404, r
            entry[3] = "refused"


def _expected(log, before):
    """{name: target} after the acknowledged entries, from state before;
    and the entry in flight (sent, not acknowledged), if any."""
    state = dict(before)
    in_flight = None
    for op, name, target, outcome in log:
        if outcome == "sent":
            in_flight = (op, name, target)
            continue
        if outcome == "refused":
            continue
        if op in ("put", "patch"):
            state[name] = target
        elif op == "delete":
            state.pop(name, None)
    return state, in_flight


def test_kill9_during_writes_leaves_old_or_new(gtmd_factory, tmp_path):
    """kill -9 while PUTs, PATCHes and DELETEs are in flight, several
    times: after each restart every file parses, and what is served is
    exactly what the API acknowledged (the one request in flight may have
    landed or not)."""
    g = start_api(gtmd_factory, tmp_path, workers=1)
    rnd = random.Random(11)
    known = {}  # what is served, as checked after the previous round
    for round_ in range(6):
        stop = threading.Event()
        log = []
        t = threading.Thread(target=_writer, args=(g, stop, log), daemon=True)
        t.start()
        time.sleep(0.15 + rnd.random() * 0.4)
        g.expected_exit = None
        os.kill(g.pid, signal.SIGKILL)
        g.proc.wait()
        stop.set()
        t.join(10)
        assert not t.is_alive()
        # Every file in the directory is whole JSON (temporary files are hidden).
        for p in g.pdir.iterdir():
            if not p.name.startswith("."):
                json.loads(p.read_text())
        g.stop()
        g = start_api(gtmd_factory, tmp_path, pdir=g.pdir, state=g.state, workers=1)
        state, in_flight = _expected(log, known)
        assert sum(1 for e in log if e[3] == "ok") > 0, log
        for k in range(6):
            name = "k%d" % k
            r = g.api.get(rg_path(name))
            served = None
            if r.status == 200:
                served = r.json["properties"]["endpoints"][0]["properties"]["target"]
                assert answer(g, name) == (NOERROR, [served])
            else:
                assert r.status == 404, r
                assert answer(g, name)[0] == NXDOMAIN
            ok = {state.get(name)}
            if in_flight and in_flight[1] == name:
                op, _, target = in_flight
                ok.add(None if op == "delete" else target)
            assert served in ok, (round_, name, served, ok, log[-3:])
            if served is None:
                known.pop(name, None)
            else:
                known[name] = served


# --------------------------------------------------------------------------
# Random JSON thrown at the API
# --------------------------------------------------------------------------


def _mutate(rnd, v, depth=0):
    """A random variation of a JSON value: members dropped, retyped,
    renamed in another case, values replaced by odd ones."""
    odd = [None, True, 0, -1, 2 ** 63, 1e308, "", "x" * 300, "\u00e9\u2603", [], {}, [None],
           {"": None}, "Enabled", "127.0.0.1", "::1", "a.b", "/x/y"]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            c = rnd.random()
            if c < 0.1:
                continue
            if c < 0.15:
                k = k.upper()
            out[k] = _mutate(rnd, x, depth + 1)
        if rnd.random() < 0.1:
            out[rnd.choice(["weight", "priority", "endpoints", "properties", "zz"])] = \
                rnd.choice(odd)
        return out
    if isinstance(v, list):
        out = [_mutate(rnd, x, depth + 1) for x in v if rnd.random() > 0.1]
        if rnd.random() < 0.1 and v:
            out = out * rnd.randrange(2, 4)
        return out
    if rnd.random() < 0.25:
        return rnd.choice(odd)
    return v


def test_random_json_never_breaks_the_api(api):
    g = api
    rnd = random.Random(1234)
    base = two_endpoints("fuzz")
    base["properties"]["endpoints"].append(
        {"name": "n", "type": NESTED, "properties": {"targetResourceId": "/a/fuzz2",
                                                     "minChildEndpoints": 1}})
    assert g.api.put(rg_path("fuzz2"), two_endpoints("fuzz2")).status == 201
    statuses = {}
    for i in range(300):
        which = rnd.randrange(5)
        body = _mutate(rnd, base)
        if which == 0:
            r = g.api.put(rg_path("fuzz"), body)
        elif which == 1:
            r = g.api.patch(rg_path("fuzz2"), body)
        elif which == 2:
            ep = _mutate(rnd, base["properties"]["endpoints"][rnd.randrange(3)])
            r = g.api.put(ep_path("fuzz2", "e%d" % rnd.randrange(3),
                                  rnd.choice(["ExternalEndpoints", "NestedEndpoints"])), ep)
        elif which == 3:
            raw = json.dumps(body).encode()
            cut = rnd.randrange(len(raw))
            junk = rnd.choice([b"", b"\x00", b"}", b'"', b"\\u12", b"\xff", b"\xc3", b"[" * 50])
            r = g.api.request("PUT", rg_path("fuzz"), raw=raw[:cut] + junk + raw[cut + 1:])
        else:
            r = g.api.post("/providers/Microsoft.Network/checkTrafficManagerNameAvailability",
                           _mutate(rnd, {"name": "fuzz", "type": PROFILE_TYPE}))
        statuses[r.status] = statuses.get(r.status, 0) + 1
        assert r.status in (200, 201, 400, 404, 409), (i, r)
        assert r.json is not None, (i, r)
        if r.status >= 400:
            assert r.code and r.message, r
    assert g.alive()
    # Disk and memory agree at the end: every file parses and is served.
    listed = {p["name"] for p in g.api.get(rg_path()).json["value"]}
    on_disk = set()
    for p in g.pdir.iterdir():
        assert not p.name.startswith("."), p  # no temporary file left behind
        on_disk.add(json.loads(p.read_text())["name"])
    assert listed == on_disk
    assert statuses.get(400, 0) > 50 and statuses.get(200, 0) + statuses.get(201, 0) > 10, \
        statuses


def test_stale_temporary_files_are_ignored_then_removed(gtmd_factory, tmp_path):
    """A temporary file left by a write killed midway is hidden from the
    loader and removed by the next write of the same profile."""
    pdir = tmp_path / "profiles"
    pdir.mkdir()
    (pdir / ".stale.json.Ab12Cd").write_text('{"half": ')
    g = start_api(gtmd_factory, tmp_path, pdir=pdir)
    assert g.api.get(rg_path()).json == {"value": []}
    r = g.api.put(rg_path("stale"), two_endpoints("stale"))
    assert r.status == 201, r
    assert set(files(g)) == {"stale.json"}


def test_head(api):
    g = api
    assert g.api.put(rg_path("head"), two_endpoints("head")).status == 201
    r = g.api.request("HEAD", rg_path("head"))
    assert r.status == 200 and r.raw == ""
    assert g.api.request("HEAD", rg_path("nohead")).status == 404
