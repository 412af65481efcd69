"""A real Azure client against gtmd (issue 13 point 3): the official Azure
SDK for Python as Debian ships it (package python3-azure, module
azure.mgmt.trafficmanager), unchanged but for where it points, drives
every operation gtmd serves through https://127.0.0.1:PORT: profiles,
endpoints (external and nested), the name check, the geographic
hierarchy, the heat map and the user metrics key. The DNS answers are
checked between the steps.

The client trusts gtmd's self-signed certificate (STATE/api.crt) through
connection_verify, and authenticates with a TokenCredential of the test's
own that returns the static bearer token. Run with Debian's python3
(/usr/bin/python3); skipped only when azure.mgmt.trafficmanager cannot be
imported (bootstrap installs python3-azure)."""

import datetime
import os
import re
import stat
import time

import dns.rcode
import pytest

from armapi import PROFILE_TYPE, RG, SUB, TOKEN, start_api
from backends import rdatas

try:
    from azure.core.credentials import AccessToken
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
    from azure.mgmt.trafficmanager import TrafficManagerManagementClient
    from azure.mgmt.trafficmanager import models as m
    from azure.mgmt.trafficmanager._version import VERSION as SDK_VERSION
except ImportError as e:  # pragma: no cover: the package is absent
    pytest.skip(
        "azure.mgmt.trafficmanager cannot be imported (Debian package python3-azure): %s" % e,
        allow_module_level=True,
    )

NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN
EXTERNAL = PROFILE_TYPE + "/externalEndpoints"
NESTED = PROFILE_TYPE + "/nestedEndpoints"
SCOPE = "https://management.azure.com/.default"


class StaticToken:
    """A TokenCredential (azure.core.credentials) that returns the token
    gtmd's --api-token-file holds; it records the scopes asked for."""

    def __init__(self, token):
        self.token = token
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


def sdk_version():
    """python3-azure's Debian version and the module's own."""
    deb = "?"
    try:
        with open("/var/lib/dpkg/status", encoding="utf-8", errors="replace") as f:
            for block in f.read().split("\n\n"):
                if re.search(r"^Package: python3-azure$", block, re.M):
                    v = re.search(r"^Version: (.*)$", block, re.M)
                    deb = v.group(1) if v else "?"
    except OSError:
        pass
    return "python3-azure %s, azure-mgmt-trafficmanager %s" % (deb, SDK_VERSION)


@pytest.fixture
def no_proxy(monkeypatch):
    """The client talks to 127.0.0.1 directly, whatever proxy the
    environment names."""
    for k in list(os.environ):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def client_for(g, cred, **kw):
    return TrafficManagerManagementClient(
        cred,
        SUB,
        base_url="https://127.0.0.1:%d" % g.api_port,
        credential_scopes=[SCOPE],
        connection_verify=str(g.state / "api.crt"),
        retry_total=0,
        **kw
    )


def answer(g, relative, rdtype="A"):
    r = g.query("%s.%s" % (relative, g.domain), rdtype)
    return r.rcode(), rdatas(r, rdtype)


def ext(name, target, priority):
    return m.Endpoint(
        name=name, type=EXTERNAL, target=target, priority=priority, always_serve="Enabled"
    )


def profile_body(relative, endpoints, **kw):
    return m.Profile(
        location="global",
        tags=kw.pop("tags", {"purpose": "pysdk-test"}),
        profile_status="Enabled",
        traffic_routing_method="Priority",
        dns_config=m.DnsConfig(relative_name=relative, ttl=30),
        monitor_config=m.MonitorConfig(
            protocol="HTTP",
            port=80,
            path="/",
            interval_in_seconds=30,
            timeout_in_seconds=10,
            tolerated_number_of_failures=2,
        ),
        endpoints=endpoints,
        **kw
    )


def regions_by_code(region, out=None):
    out = {} if out is None else out
    out[region.code] = region
    for r in region.regions or []:
        regions_by_code(r, out)
    return out


def test_python_sdk_drives_gtmd(gtmd_factory, tmp_path, record_property, no_proxy):
    version = sdk_version()
    record_property("sdk_version", version)
    print("Azure SDK for Python:", version)
    g = start_api(gtmd_factory, tmp_path)
    cred = StaticToken(TOKEN)
    c = client_for(g, cred)
    pid = "/subscriptions/%s/resourceGroups/%s/providers/%s/py-prof" % (SUB, RG, PROFILE_TYPE)

    # ---- the name check (the SDK's is the unscoped one: no V2 in this version)
    r = c.profiles.check_traffic_manager_relative_dns_name_availability(
        m.CheckTrafficManagerRelativeDnsNameAvailabilityParameters(name="py-app", type=PROFILE_TYPE)
    )
    assert r.name_available is True, r
    assert answer(g, "py-app")[0] == NXDOMAIN
    assert cred.scopes and cred.scopes[0] == (SCOPE,)

    # ---- create: Priority, two external endpoints
    r = c.profiles.create_or_update(
        RG, "py-prof", profile_body("py-app", [ext("primary", "127.0.0.51", 1),
                                               ext("secondary", "127.0.0.52", 2)])
    )
    assert r.id == pid and r.name == "py-prof" and r.type == PROFILE_TYPE, r
    assert r.dns_config.fqdn == "py-app." + g.domain
    assert r.monitor_config.tolerated_number_of_failures == 2
    assert [e.name for e in r.endpoints] == ["primary", "secondary"]
    assert r.endpoints[0].id == pid + "/externalEndpoints/primary"
    assert answer(g, "py-app") == (NOERROR, ["127.0.0.51"])
    assert (g.pdir / "py-prof.json").exists()

    # ---- get
    r = c.profiles.get(RG, "py-prof")
    assert r.tags == {"purpose": "pysdk-test"}
    assert r.profile_status == "Enabled" and r.traffic_routing_method == "Priority"
    assert r.monitor_config.profile_monitor_status == "Online"
    assert r.endpoints[1].target == "127.0.0.52" and r.endpoints[1].priority == 2

    # ---- endpoints: update (disable the first), create, get
    r = c.endpoints.update(
        RG, "py-prof", "ExternalEndpoints", "primary", m.Endpoint(endpoint_status="Disabled")
    )
    assert r.endpoint_status == "Disabled" and r.target == "127.0.0.51", r
    assert r.endpoint_monitor_status == "Disabled"
    assert answer(g, "py-app") == (NOERROR, ["127.0.0.52"])

    r = c.endpoints.create_or_update(
        RG, "py-prof", "ExternalEndpoints", "third", m.Endpoint(target="127.0.0.53", priority=3,
                                                                always_serve="Enabled")
    )
    assert r.name == "third" and r.id == pid + "/externalEndpoints/third", r
    r = c.endpoints.get(RG, "py-prof", "ExternalEndpoints", "third")
    assert r.target == "127.0.0.53" and r.priority == 3 and r.weight == 1, r
    assert answer(g, "py-app") == (NOERROR, ["127.0.0.52"])

    # ---- a nested endpoint: a child profile under the same resource group
    child = c.profiles.create_or_update(
        RG, "py-child", profile_body("py-child", [ext("only", "127.0.0.61", 1)])
    )
    assert answer(g, "py-child") == (NOERROR, ["127.0.0.61"])
    r = c.endpoints.create_or_update(
        RG, "py-prof", "NestedEndpoints", "to-child",
        m.Endpoint(target_resource_id=child.id, min_child_endpoints=1, priority=4),
    )
    assert r.type == NESTED and r.min_child_endpoints == 1, r
    assert r.endpoint_monitor_status == "Online"
    r = c.endpoints.get(RG, "py-prof", "NestedEndpoints", "to-child")
    assert r.target_resource_id.lower() == child.id.lower(), r

    # ---- update (PATCH): tags and TTL; the rest stays
    r = c.profiles.update(
        RG, "py-prof", m.Profile(tags={"purpose": "pysdk-test", "changed": "yes"},
                                 dns_config=m.DnsConfig(ttl=7))
    )
    assert r.tags == {"purpose": "pysdk-test", "changed": "yes"}, r
    assert r.dns_config.ttl == 7 and r.dns_config.relative_name == "py-app"
    assert [e.name for e in r.endpoints] == ["primary", "secondary", "third", "to-child"]
    q = g.query("py-app." + g.domain, "A")
    assert rdatas(q, "A") == ["127.0.0.52"] and q.answer[0].ttl == 7

    # ---- lists
    assert sorted(p.name for p in c.profiles.list_by_resource_group(RG)) == ["py-child", "py-prof"]
    assert sorted(p.name for p in c.profiles.list_by_subscription()) == ["py-child", "py-prof"]
    assert list(c.profiles.list_by_resource_group("rg-empty")) == []

    # ---- the name is taken now; a missing profile is 404
    r = c.profiles.check_traffic_manager_relative_dns_name_availability(
        m.CheckTrafficManagerRelativeDnsNameAvailabilityParameters(name="py-app", type=PROFILE_TYPE)
    )
    assert r.name_available is False and r.reason == "AlreadyExists", r
    with pytest.raises(ResourceNotFoundError) as ei:
        c.profiles.get(RG, "py-missing")
    assert ei.value.status_code == 404 and ei.value.error.code == "ResourceNotFound"
    with pytest.raises(HttpResponseError) as ei:
        c.profiles.create_or_update(RG, "py-bad", profile_body("bad..name", []))
    assert ei.value.status_code == 400 and "relativeName" in ei.value.error.message

    # ---- the geographic hierarchy
    h = c.geographic_hierarchies.get_default()
    assert h.name == "default" and h.type == "Microsoft.Network/trafficManagerGeographicHierarchies"
    assert h.id == "/providers/Microsoft.Network/trafficManagerGeographicHierarchies/default"
    root = h.geographic_hierarchy
    assert (root.code, root.name) == ("WORLD", "World")
    groups = {r.code: r for r in root.regions}
    assert sorted(groups) == ["GEO-AF", "GEO-AN", "GEO-AP", "GEO-AS", "GEO-EU", "GEO-ME",
                              "GEO-NA", "GEO-SA"]
    assert groups["GEO-EU"].name == "Europe"
    codes = regions_by_code(root)
    assert "FR" in {r.code for r in groups["GEO-EU"].regions}
    assert codes["US-CA"].name == "California" and codes["AU-NSW"].name == "New South Wales"
    assert "US-CA" in {r.code for r in codes["US"].regions}
    assert codes["IE"].regions == []

    # ---- the heat map: empty, every endpoint listed
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    hm = c.heat_map.get(RG, "py-prof", top_left=[50.5, -10.0], bot_right=[40.0, 10.25])
    after = datetime.datetime.now(datetime.timezone.utc)
    assert hm.name == "default" and hm.id == pid + "/heatMaps/default", hm
    assert hm.type == PROFILE_TYPE + "/heatMaps"
    assert hm.traffic_flows == []
    assert [(e.endpoint_id, e.resource_id) for e in hm.endpoints] == [
        (1, pid + "/externalEndpoints/primary"),
        (2, pid + "/externalEndpoints/secondary"),
        (3, pid + "/externalEndpoints/third"),
        (4, pid + "/nestedEndpoints/to-child"),
    ]
    assert before <= hm.end_time <= after
    assert hm.end_time - hm.start_time == datetime.timedelta(days=7)
    assert c.heat_map.get(RG, "py-prof").traffic_flows == []
    with pytest.raises(ResourceNotFoundError):
        c.heat_map.get(RG, "py-missing")
    with pytest.raises(HttpResponseError) as ei:
        c.heat_map.get(RG, "py-prof", top_left=[95.0, 0.0])
    assert ei.value.status_code == 400

    # ---- the user metrics key
    keyfile = g.state / ("usermetrics-%s.key" % SUB)
    with pytest.raises(ResourceNotFoundError):
        c.traffic_manager_user_metrics_keys.get()
    k1 = c.traffic_manager_user_metrics_keys.create_or_update()
    assert k1.name == "default" and k1.type == "Microsoft.Network/trafficManagerUserMetricsKeys"
    assert re.fullmatch(r"[0-9a-f]{32}", k1.key), k1
    assert c.traffic_manager_user_metrics_keys.get().key == k1.key
    assert keyfile.read_text() == k1.key + "\n"
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    k2 = c.traffic_manager_user_metrics_keys.create_or_update()
    assert k2.key != k1.key and c.traffic_manager_user_metrics_keys.get().key == k2.key
    assert c.traffic_manager_user_metrics_keys.delete().operation_result is True
    assert not keyfile.exists()
    with pytest.raises(ResourceNotFoundError):
        c.traffic_manager_user_metrics_keys.get()
    assert c.traffic_manager_user_metrics_keys.delete().operation_result is True
    k3 = c.traffic_manager_user_metrics_keys.create_or_update()

    # ---- endpoint deletes: the next priority answers
    r = c.endpoints.delete(RG, "py-prof", "ExternalEndpoints", "secondary")
    assert r.operation_result is True
    assert answer(g, "py-app") == (NOERROR, ["127.0.0.53"])
    assert c.endpoints.delete(RG, "py-prof", "ExternalEndpoints", "secondary") is None  # 204
    c.endpoints.delete(RG, "py-prof", "NestedEndpoints", "to-child")
    with pytest.raises(ResourceNotFoundError):
        c.endpoints.get(RG, "py-prof", "NestedEndpoints", "to-child")

    # ---- profile deletes
    r = c.profiles.delete(RG, "py-prof")
    assert r.operation_result is True
    assert answer(g, "py-app")[0] == NXDOMAIN
    assert not (g.pdir / "py-prof.json").exists()
    assert c.profiles.delete(RG, "py-prof") is None  # 204: nothing to delete
    c.profiles.delete(RG, "py-child")
    assert answer(g, "py-child")[0] == NXDOMAIN
    with pytest.raises(ResourceNotFoundError):
        c.profiles.get(RG, "py-prof")
    assert list(c.profiles.list_by_subscription()) == []

    # ---- the key outlives a restart (kept in --state-dir)
    g.stop()
    g2 = start_api(gtmd_factory, tmp_path, pdir=g.pdir, state=g.state)
    c2 = client_for(g2, cred)
    assert c2.traffic_manager_user_metrics_keys.get().key == k3.key


def test_python_sdk_without_token_is_refused(gtmd_factory, tmp_path, no_proxy):
    g = start_api(gtmd_factory, tmp_path)
    c = client_for(g, StaticToken("not-the-token"))
    with pytest.raises(HttpResponseError) as ei:
        c.traffic_manager_user_metrics_keys.create_or_update()
    assert ei.value.status_code == 401
    with pytest.raises(HttpResponseError) as ei:
        c.geographic_hierarchies.get_default()
    assert ei.value.status_code == 401


def test_python_sdk_lists_beyond_a_page(gtmd_factory, tmp_path, no_proxy):
    """The SDK reads one reply of a traffic manager list and no nextLink
    (Azure's API definition has none), so gtmd gives it all 150 profiles in
    one reply, in name order, where another client gets pages of 100
    (--api-list-page) with a nextLink; and so with --api-list-page 0."""
    files = {}
    for i in range(150):
        name = "pg-%03d" % i
        files[name] = {
            "id": "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (SUB, RG, PROFILE_TYPE, name),
            "name": name,
            "location": "global",
            "properties": {
                "trafficRoutingMethod": "Priority",
                "dnsConfig": {"relativeName": name, "ttl": 30},
                "monitorConfig": {"protocol": "HTTP", "port": 80, "path": "/"},
                "endpoints": [{"name": "e", "type": EXTERNAL,
                               "properties": {"target": "127.0.0.51", "alwaysServe": "Enabled"}}],
            },
        }
    names = sorted(files)
    for sub in ("paged", "one"):
        (tmp_path / sub).mkdir()
    g = start_api(gtmd_factory, tmp_path / "paged", profiles=files)
    c = client_for(g, StaticToken(TOKEN))
    assert [p.name for p in c.profiles.list_by_resource_group(RG)] == names
    assert [p.name for p in c.profiles.list_by_subscription()] == names
    # the same list to a client that is not an SDK: a page and a nextLink
    r = g.api.request("GET", "/subscriptions/%s/resourceGroups/%s/providers/%s" % (SUB, RG, PROFILE_TYPE))
    assert r.status == 200, r
    assert [p["name"] for p in r.json["value"]] == names[:100]
    assert "$skiptoken=" + names[99] in r.json["nextLink"]

    g2 = start_api(gtmd_factory, tmp_path / "one", profiles=files, extra=["--api-list-page", "0"])
    c2 = client_for(g2, StaticToken(TOKEN))
    assert [p.name for p in c2.profiles.list_by_resource_group(RG)] == names
    assert [p.name for p in c2.profiles.list_by_subscription()] == names
    r = g2.api.request("GET", "/subscriptions/%s/resourceGroups/%s/providers/%s" % (SUB, RG, PROFILE_TYPE))
    assert len(r.json["value"]) == 150 and "nextLink" not in r.json
