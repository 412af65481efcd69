"""Debian's azure-cli against gtmd (issue 13, point 3), unpatched, as a
user would run it: `az cloud register` with only the resource manager
URL (az reads //metadata/endpoints, then the AD FS discovery document),
`az login --service-principal` against gtmd's own token issuer
(--api-clients), then the traffic-manager commands, with DNS checked
between steps.

Debian 12's azure-cli 2.45 cannot load any `az network` command under its
`latest` profile (its azure-mgmt-network lacks v2022_01_01), so the cloud
is registered with the `2020-09-01-hybrid` profile, which offers profile
create/update and endpoint create/update/list/show-geographic-hierarchy;
what that profile lacks (show, delete) goes through `az rest`, which
signs its requests with the same login. Only 127.0.0.1 is used; az keeps
its state in a temporary AZURE_CONFIG_DIR."""

import json
import os
import shutil
import subprocess

import dns.rcode
import pytest

from armapi import PROFILE_TYPE, start_api
from backends import rdatas
from conftest import scaled

CLIENT = "az-lab"
SECRET = "az-lab-secret-0123456789"
SUB = "0f0e0d0c-aaaa-bbbb-cccc-000000000001"
RG = "rg-az"


class Az:
    def __init__(self, tmp_path, cacert):
        self.env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        self.env.update({
            "AZURE_CONFIG_DIR": str(tmp_path / "azure"),
            "REQUESTS_CA_BUNDLE": str(cacert),  # gtmd's self-signed certificate
            "AZURE_CORE_COLLECT_TELEMETRY": "no",
            "AZURE_CORE_NO_COLOR": "true",
            "AZURE_CORE_SURVEY_MESSAGE": "false",
            "NO_PROXY": "*",
        })
        self.env.pop("CURL_CA_BUNDLE", None)

    def run(self, *args, check=True):
        r = subprocess.run(["az"] + list(args) + ["--only-show-errors", "-o", "json"],
                           env=self.env, capture_output=True, text=True,
                           timeout=scaled(120), stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError("az %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
        return r

    def json(self, *args):
        out = self.run(*args).stdout
        return json.loads(out) if out.strip() else None


def served(g, name):
    r = g.query("%s.%s" % (name, g.domain), "A")
    return r.rcode(), rdatas(r, "A")


@pytest.mark.skipif(os.environ.get("GTM_SKIP_SLOW") == "1",
                    reason="slow real client: run in the plain pass only (GTM_SKIP_SLOW=1)")
def test_az_cli_drives_gtmd(gtmd_factory, tmp_path):
    if not shutil.which("az"):
        pytest.skip("azure-cli is not installed (Debian package azure-cli)")
    g = start_api(gtmd_factory, tmp_path, clients={CLIENT: SECRET},
                  extra=["--api-subscription", SUB])
    base = "https://127.0.0.1:%d" % g.api_port
    az = Az(tmp_path, g.cacert)
    NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN

    # Register: only the resource manager; the rest comes from gtmd.
    az.run("cloud", "register", "-n", "gtmdlab", "--endpoint-resource-manager", base + "/",
           "--profile", "2020-09-01-hybrid")
    cloud = az.json("cloud", "show", "-n", "gtmdlab")
    assert cloud["endpoints"]["activeDirectory"] == base + "/adfs", cloud
    assert cloud["endpoints"]["activeDirectoryResourceId"] == base + "/"
    az.run("cloud", "set", "-n", "gtmdlab")

    # A wrong secret is refused; the right one logs in and lists gtmd's
    # subscription.
    r = az.run("login", "--service-principal", "-u", CLIENT, "-p", "wrong-secret-000000000",
               "--tenant", "adfs", check=False)
    assert r.returncode != 0 and "Client authentication failed" in r.stderr, r.stderr
    accounts = az.json("login", "--service-principal", "-u", CLIENT, "-p", SECRET,
                       "--tenant", "adfs")
    assert [a["id"] for a in accounts] == [SUB], accounts
    assert az.json("account", "show")["id"] == SUB
    assert "issued to client 'az-lab'" in g.log

    # profile create: stored and served (without endpoints the name has
    # nothing to answer yet).
    assert served(g, "az-app")[0] == NXDOMAIN
    p = az.json("network", "traffic-manager", "profile", "create", "-g", RG, "-n", "az-prof",
                "--routing-method", "Priority", "--unique-dns-name", "az-app", "--ttl", "30",
                "--protocol", "HTTP", "--port", "80", "--path", "/")
    p = p.get("TrafficManagerProfile", p)
    assert p["name"] == "az-prof" and p["dnsConfig"]["fqdn"] == "az-app." + g.domain, p
    assert p["id"] == "/subscriptions/%s/resourceGroups/%s/providers/%s/az-prof" % (
        SUB, RG, PROFILE_TYPE)
    assert (g.pdir / "az-prof.json").exists()

    # endpoint create x2 -> priority 1 answers.
    for name, target, prio in (("primary", "127.0.0.11", "1"), ("secondary", "127.0.0.12", "2")):
        e = az.json("network", "traffic-manager", "endpoint", "create", "-g", RG,
                    "--profile-name", "az-prof", "-n", name, "--type", "externalEndpoints",
                    "--target", target, "--priority", prio)
        assert e["target"] == target, e
    assert served(g, "az-app") == (NOERROR, ["127.0.0.11"])

    # endpoint update: disable the primary -> the secondary answers.
    e = az.json("network", "traffic-manager", "endpoint", "update", "-g", RG, "--profile-name",
                "az-prof", "-n", "primary", "--type", "externalEndpoints", "--endpoint-status",
                "Disabled")
    assert e["endpointStatus"] == "Disabled", e
    assert served(g, "az-app") == (NOERROR, ["127.0.0.12"])

    eps = az.json("network", "traffic-manager", "endpoint", "list", "-g", RG, "--profile-name",
                  "az-prof")
    assert sorted(x["name"] for x in eps) == ["primary", "secondary"], eps

    # profile update: the TTL of the answers follows.
    p = az.json("network", "traffic-manager", "profile", "update", "-g", RG, "-n", "az-prof",
                "--ttl", "60")
    assert p["dnsConfig"]["ttl"] == 60, p
    ans = g.query("az-app." + g.domain, "A")
    assert ans.answer[0].ttl == 60

    # The geographic hierarchy from gtmd's own region table.
    h = az.json("network", "traffic-manager", "endpoint", "show-geographic-hierarchy")
    root = h.get("geographicHierarchy", h)
    assert root["code"] == "WORLD", h
    assert any(r["code"] == "GEO-EU" for r in root["regions"]), h

    # What the hybrid profile lacks goes through az rest, on the same login.
    url = "%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/" \
          "trafficmanagerprofiles/az-prof?api-version=2022-04-01" % (base, SUB, RG)
    shown = az.json("rest", "--method", "get", "--url", url)
    assert [x["name"] for x in shown["properties"]["endpoints"]] == ["primary", "secondary"]
    gone = az.json("rest", "--method", "delete", "--url", url)
    assert gone == {"boolean": True}, gone
    assert served(g, "az-app")[0] == NXDOMAIN
    assert g.alive()
