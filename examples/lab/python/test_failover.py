"""The application's Traffic Manager set-up, tested against the lab: a
Priority profile made with the Azure SDK for Python, its primary failed,
and the DNS answer checked to move to the secondary and back."""

import time

import dns.message
import dns.query
import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.trafficmanager import TrafficManagerManagementClient
from azure.mgmt.trafficmanager.models import DnsConfig, Endpoint, MonitorConfig, Profile

EXTERNAL = "Microsoft.Network/trafficManagerProfiles/externalEndpoints"


@pytest.fixture(scope="session")
def tm(gtmd):
    cred = ClientSecretCredential(gtmd.tenant, gtmd.client, gtmd.secret, authority=gtmd.url)
    return TrafficManagerManagementClient(cred, gtmd.subscription, base_url=gtmd.url,
                                          credential_scopes=[gtmd.url + "/.default"])


@pytest.fixture
def profile(tm, backends):
    """The profile under test; probed every second, Degraded at the first
    failure (Azure's floor is 10 s: gtmd takes 1 s with a warning)."""
    p = tm.profiles.create_or_update("lab", "app", Profile(
        location="global",
        traffic_routing_method="Priority",
        dns_config=DnsConfig(relative_name="app-lab", ttl=0),
        monitor_config=MonitorConfig(protocol="HTTP", port=backends.port, path="/health",
                                     interval_in_seconds=1, timeout_in_seconds=1,
                                     tolerated_number_of_failures=0),
        endpoints=[Endpoint(name="primary", type=EXTERNAL, target="127.0.0.101", priority=1),
                   Endpoint(name="secondary", type=EXTERNAL, target="127.0.0.102", priority=2)]))
    yield p
    tm.profiles.delete("lab", "app")


def answer(gtmd, name):
    """The A records gtmd answers for name."""
    r = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=gtmd.dns_port,
                      timeout=1)
    return sorted(rr.address for rrset in r.answer for rr in rrset)


def eventually(check, seconds=5):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_answer_moves_when_the_primary_fails(gtmd, tm, profile, backends):
    fqdn = profile.dns_config.fqdn
    assert answer(gtmd, fqdn) == ["127.0.0.101"]
    backends.primary.healthy = False
    assert eventually(lambda: answer(gtmd, fqdn) == ["127.0.0.102"])
    primary = tm.endpoints.get("lab", "app", "ExternalEndpoints", "primary")
    assert primary.endpoint_monitor_status == "Degraded"
    backends.primary.healthy = True
    assert eventually(lambda: answer(gtmd, fqdn) == ["127.0.0.101"])


def test_answer_moves_when_the_primary_is_disabled(gtmd, tm, profile):
    tm.endpoints.update("lab", "app", "ExternalEndpoints", "primary",
                        Endpoint(endpoint_status="Disabled"))
    assert answer(gtmd, profile.dns_config.fqdn) == ["127.0.0.102"]
