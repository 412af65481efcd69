"""The ARM routes around the profiles (issue 13 point 2; api/arm_extra.c)
over real HTTPS: the geographic hierarchy, the user metrics key and the
heat map, in Azure's shapes, with their errors; the key survives a
restart in --state-dir. (test_api_pysdk.py drives the same routes with
Azure's SDK for Python.)"""

import datetime
import re
import stat

import pytest

from armapi import PROFILE_TYPE, RG, SUB, arm_profile, ext_endpoint, rg_path, start_api

GEO = "/providers/Microsoft.Network/trafficManagerGeographicHierarchies/default"
KEYS = "/subscriptions/%s/providers/Microsoft.Network/trafficManagerUserMetricsKeys/default"
KEY_TYPE = "Microsoft.Network/trafficManagerUserMetricsKeys"


@pytest.fixture
def api(gtmd_factory, tmp_path):
    return start_api(gtmd_factory, tmp_path)


def walk(node, out):
    assert sorted(node) == ["code", "name", "regions"], node
    assert node["code"] not in out
    out[node["code"]] = node
    for c in node["regions"]:
        walk(c, out)
    return out


def test_geographic_hierarchy(api):
    r = api.api.get(GEO)
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("application/json")
    j = r.json
    assert j["id"] == GEO and j["name"] == "default"
    assert j["type"] == "Microsoft.Network/trafficManagerGeographicHierarchies"
    root = j["properties"]["geographicHierarchy"]
    assert (root["code"], root["name"]) == ("WORLD", "World")
    groups = {g["code"]: g["name"] for g in root["regions"]}
    assert groups == {
        "GEO-AF": "Africa",
        "GEO-AN": "Antarctica",
        "GEO-AP": "Australia / Pacific",
        "GEO-AS": "Asia",
        "GEO-EU": "Europe",
        "GEO-ME": "Middle East",
        "GEO-NA": "North America / Central America / Caribbean",
        "GEO-SA": "South America",
    }
    codes = walk(root, {})
    assert len(codes) > 330
    # the same grouping Geographic routing uses (test_geoip.py: FR -> GEO-EU)
    eu = [g for g in root["regions"] if g["code"] == "GEO-EU"][0]
    assert {"FR", "DE", "IE", "XK"} <= {c["code"] for c in eu["regions"]}
    assert codes["US-CA"]["name"] == "California"
    assert {"CA-AB", "CA-QC"} <= {c["code"] for c in codes["CA"]["regions"]}
    assert codes["AU-NSW"]["regions"] == []
    assert codes["CI"]["name"] == "C\u00f4te d'Ivoire"
    # any case of the path; the same body every time (built once)
    r2 = api.api.get(GEO.upper().replace("DEFAULT", "default"))
    assert r2.status == 200 and r2.raw == r.raw
    assert api.api.request("HEAD", GEO).status == 200


def test_geographic_hierarchy_errors(api):
    r = api.api.get(GEO, api_version=None)
    assert r.status == 400 and r.code == "MissingApiVersionParameter", r
    r = api.api.get(GEO, api_version="2099-01-01")
    assert r.status == 400 and r.code == "InvalidApiVersionParameter", r
    for method in ("PUT", "DELETE", "POST", "PATCH"):
        r = api.api.request(method, GEO, body={})
        assert r.status == 405 and r.code == "MethodNotAllowed", (method, r)
    r = api.api.get(GEO.replace("default", "other"))
    assert r.status == 404, r
    r = api.api.get(GEO, token=None)
    assert r.status == 401, r


def key_of(r):
    j = r.json
    assert j["id"] == "/providers/" + KEY_TYPE + "/default", j
    assert j["name"] == "default" and j["type"] == KEY_TYPE
    k = j["properties"]["key"]
    assert re.fullmatch(r"[0-9a-f]{32}", k), k
    return k


def test_user_metrics_key(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path)
    path = KEYS % SUB
    r = g.api.get(path)
    assert r.status == 404 and r.code == "ResourceNotFound", r
    r = g.api.put(path, None)  # no body, as Azure's SDKs send it
    assert r.status == 201, r
    k1 = key_of(r)
    r = g.api.get(path)
    assert r.status == 200 and key_of(r) == k1
    f = g.state / ("usermetrics-%s.key" % SUB)
    assert f.read_text() == k1 + "\n"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    # a body is ignored; a second PUT makes a new key
    r = g.api.put(path, {"properties": {"key": "mine"}})
    k2 = key_of(r)
    assert r.status == 201 and k2 != k1 and k2 != "mine"
    # another subscription has its own (none yet)
    other = KEYS % "99999999-2222-3333-4444-555555555555"
    assert g.api.get(other).status == 404
    # writes need the token; other methods do not exist
    r = g.api.put(path, None, token="wrong")
    assert r.status == 401, r
    r = g.api.delete(path, token=None)
    assert r.status == 401, r
    for method in ("POST", "PATCH"):
        r = g.api.request(method, path, body={})
        assert r.status == 405, (method, r)
    r = g.api.get(KEYS % "not-a-guid")
    assert r.status == 400 and r.code == "InvalidSubscriptionId", r
    assert g.api.get(path).json["properties"]["key"] == k2

    # the key outlives a restart
    g.stop()
    g = start_api(gtmd_factory, tmp_path, pdir=g.pdir, state=g.state)
    assert key_of(g.api.get(path.upper().replace("DEFAULT", "default"))) == k2

    r = g.api.delete(path)
    assert r.status == 200 and r.json == {"boolean": True}, r
    assert not f.exists()
    assert g.api.get(path).status == 404
    r = g.api.delete(path)  # nothing to delete: Azure answers the same
    assert r.status == 200 and r.json == {"boolean": True}, r


def test_user_metrics_key_read_only(gtmd_factory, tmp_path):
    g = start_api(gtmd_factory, tmp_path, token=False)
    path = KEYS % SUB
    assert g.api.get(path).status == 404
    r = g.api.put(path, None)
    assert r.status == 403, r
    assert not list(g.state.glob("usermetrics-*"))


def test_heat_map(api):
    g = api
    prof = arm_profile(
        "hm",
        endpoints=[ext_endpoint("one", "127.0.0.21", priority=1),
                   ext_endpoint("two", "127.0.0.22", priority=2)],
    )
    assert g.api.put(rg_path("hm"), prof).status == 201
    pid = "/subscriptions/%s/resourceGroups/%s/providers/%s/hm" % (SUB, RG, PROFILE_TYPE)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    r = g.api.get(rg_path("hm") + "/heatMaps/default?topLeft=10.000,50.001&botRight=-50.001,80.0")
    after = datetime.datetime.now(datetime.timezone.utc)
    assert r.status == 200, r
    j = r.json
    assert j["id"] == pid + "/heatMaps/default" and j["name"] == "default"
    assert j["type"] == PROFILE_TYPE + "/heatMaps"
    p = j["properties"]
    assert p["trafficFlows"] == []
    assert p["endpoints"] == [
        {"resourceId": pid + "/externalEndpoints/one", "endpointId": 1},
        {"resourceId": pid + "/externalEndpoints/two", "endpointId": 2},
    ]

    def t(s):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s), s
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)

    assert before <= t(p["endTime"]) <= after
    assert t(p["endTime"]) - t(p["startTime"]) == datetime.timedelta(days=7)
    # no corners, or one: the same
    assert g.api.get(rg_path("hm") + "/heatMaps/default").json["properties"]["endpoints"] == \
        p["endpoints"]
    assert g.api.get(rg_path("hm") + "/HEATMAPS/Default?botRight=0,0").status == 200


def test_heat_map_errors(api):
    g = api
    assert g.api.put(rg_path("hm"), arm_profile("hm")).status == 201
    # a missing profile: the same 404 as the profile's GET
    missing = g.api.get(rg_path("nothere"))
    r = g.api.get(rg_path("nothere") + "/heatMaps/default")
    assert r.status == 404 and (r.code, r.message) == (missing.code, missing.message), r
    # the profile exists, but in another resource group
    r = g.api.get(rg_path("hm", rg="rg-other") + "/heatMaps/default")
    assert r.status == 404 and r.code == "ResourceNotFound", r
    r = g.api.get(rg_path("hm") + "/heatMaps/latencyVolumeByLocation")
    assert r.status == 404, r
    for q in ("topLeft=91,0", "topLeft=0,181", "topLeft=1", "topLeft=a,b", "topLeft=inf,0",
              "topLeft=1,2,3", "botRight=nan,0", "botRight=0x1,0", "topLeft=" + "1" * 200 + ",0",
              "topLeft=%201,2", "topLeft=10,0&botRight=20,0"):
        r = g.api.get(rg_path("hm") + "/heatMaps/default?" + q)
        assert r.status == 400 and r.code == "BadRequest", (q, r)
    r = g.api.request("PUT", rg_path("hm") + "/heatMaps/default", body={})
    assert r.status == 405, r
    assert g.api.get(rg_path("hm") + "/heatMaps/default", api_version=None).status == 400
