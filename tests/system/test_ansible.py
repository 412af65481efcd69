"""Debian 12's Ansible against gtmd (issue 13 point 3): the playbook
ansible/tm.yml, with the azure.azcollection modules
azure_rm_trafficmanagerprofile / _endpoint (and their _info modules),
logs in through gtmd's built-in token issuer (--api-clients) and creates a
Priority profile with two external endpoints, reads it back, disables
endpoint 1 and deletes the profile; every step is also run a second time
where the module is idempotent (changed=0), and the DNS answers follow each
step.

How the collection logs in (module_utils/azure_rm_common.py, AzureRMAuth),
with cloud_environment=https://127.0.0.1:PORT/, tenant=adfs, client_id,
secret, subscription_id as module parameters:
  1. msrestazure get_cloud_from_metadata_endpoint:
     GET /metadata/endpoints?api-version=2015-01-01 (no token);
     authentication.loginEndpoint (https://127.0.0.1:PORT/adfs) and
     audiences[0] become the cloud's active directory and its resource.
  2. msrestazure ServicePrincipalCredentials (ADAL; ADFS mode because the
     login endpoint ends in /adfs, tenant not appended, no authority
     validation): POST /adfs/oauth2/token, form grant_type=client_credentials,
     client_id, client_secret, resource=https://127.0.0.1:PORT/. Done for
     every module run, even though the Traffic Manager client never uses it.
  3. azure-identity ClientSecretCredential (MSAL) for the Traffic Manager
     and resource clients: it has no authority parameter in the collection,
     so AZURE_AUTHORITY_HOST=https://127.0.0.1:PORT (environment) and
     tenant "adfs" make its authority https://127.0.0.1:PORT/adfs (MSAL's
     ADFS mode: no instance discovery at login.microsoftonline.com):
     GET /adfs/.well-known/openid-configuration, then POST to its
     token_endpoint (scope=https://127.0.0.1:PORT/.default).
  4. ARM: the endpoint module first reads the resource group
     (GET /subscriptions/SUB/resourcegroups/RG?api-version=2019-10-01) and
     uses its location as the endpoint's location; then the Traffic Manager
     routes (api-version 2022-04-01-preview).
TLS: every client verifies (cert_validation_mode only reaches ADAL), so
REQUESTS_CA_BUNDLE is gtmd's own certificate (STATE/api.crt).

Two runs ("variant"):
- debian: Ansible exactly as Debian ships it. azure.azcollection 1.16.0 does
  not load with Debian's python3-azure 20230112: azure_rm_common imports
  RecoveryServicesBackupClient from azure.mgmt.recoveryservicesbackup (moved
  to .activestamp in azure-mgmt-recoveryservicesbackup 5.x,
  ansible-collections/azure#1260), and every client it builds needs
  importlib.import_module(client.__module__).models, which
  azure-mgmt-trafficmanager 1.1.0b1 does not have. Skipped with the error
  Ansible reports for as long as that is so.
- compat: the same, with ansible/compat/ on PYTHONPATH: a sitecustomize
  that adds those names to the two Debian modules when they are imported
  (no installed file is changed, nothing in Ansible or the collection).

Skipped when ansible-playbook or the collection is absent; in the
sanitizer pass (GTM_SKIP_SLOW=1) it does not run: a minute of Ansible
exercises nothing of gtmd that test_api_issuer.py does not."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import dns.rcode
import pytest

from armapi import SUB, start_api
from backends import poll, rdatas
from conftest import scaled

HERE = Path(__file__).resolve().parent
PLAYBOOK = HERE / "ansible" / "tm.yml"
COMPAT = HERE / "ansible" / "compat"
RG = "rg-ansible"
PROFILE = "ans-prof"
RELATIVE = "ans-app"
CLIENT_ID = "ansible-test-client"

# What a module run reports when Debian's python3-azure does not satisfy
# the collection (see the docstring).
INCOMPATIBLE = (
    re.compile(r"ImportError: cannot import name '\w+' from '[\w.]+'[^\n\"]*"),
    re.compile(r"No module named '[\w.]+'"),
    re.compile(r"module '[\w.]+' has no attribute 'models'"),
)


def ansible_playbook():
    """ansible-playbook and the Python it runs on, or skip."""
    exe = shutil.which("ansible-playbook")
    if not exe:
        pytest.skip("ansible-playbook not installed (Debian package ansible)")
    with open(exe, "rb") as f:
        first = f.readline().decode("utf-8", "replace")
    py = first[2:].strip().split()[0] if first.startswith("#!") else "/usr/bin/python3"
    if py.endswith("/env"):
        py = shutil.which(first[2:].split()[1]) or "/usr/bin/python3"
    r = subprocess.run(
        [py, "-c",
         "import importlib.util, json, os, sys\n"
         "s = importlib.util.find_spec('ansible_collections.azure.azcollection')\n"
         "d = list(s.submodule_search_locations)[0] if s else None\n"
         "m = json.load(open(os.path.join(d, 'MANIFEST.json'))) if d else {}\n"
         "import ansible.release\n"
         "missing = []\n"
         "for mod in ('msrestazure', 'adal', 'azure.identity', 'azure.mgmt.trafficmanager',"
         " 'azure.mgmt.resource', 'azure.cli.core'):\n"
         "    try:\n"
         "        __import__(mod)\n"
         "    except ImportError as e:\n"
         "        missing.append('%s (%s)' % (mod, e))\n"
         "print(json.dumps({'dir': d, 'azcollection': m.get('collection_info', {}).get('version'),"
         " 'ansible_core': ansible.release.__version__, 'missing': missing}))"],
        capture_output=True, text=True, timeout=60,
    )
    if r.returncode != 0:
        pytest.skip("the Python of %s cannot load ansible: %s" % (exe, r.stderr.strip()[-300:]))
    info = json.loads(r.stdout)
    if not info["dir"] or not (
        Path(info["dir"]) / "plugins" / "modules" / "azure_rm_trafficmanagerprofile.py"
    ).exists():
        pytest.skip("the azure.azcollection collection (azure_rm_trafficmanagerprofile) is not installed")
    missing = info.pop("missing")
    if missing:
        pytest.skip("the Azure libraries azure.azcollection imports are not installed (Debian "
                    "python3-azure, python3-azure-cli-core): %s" % "; ".join(missing))
    info["exe"], info["python"] = exe, py
    for pkg in ("ansible", "python3-azure", "python3-msal", "python3-adal", "python3-msrestazure"):
        try:
            q = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
        except OSError:
            break
        if q.returncode == 0 and q.stdout:
            info[pkg] = q.stdout
    return info


class Playbook:
    """Runs ansible/tm.yml one tag at a time against gtmd."""

    def __init__(self, info, g, tmp_path, secret, backends_port, targets, compat):
        self.info = info
        self.dir = Path(tmp_path) / "ansible"
        self.dir.mkdir()
        home = self.dir / "home"
        home.mkdir()
        cfg = self.dir / "ansible.cfg"
        cfg.write_text("[defaults]\nretry_files_enabled = False\n")
        self.vars = {
            "gtmd_url": "https://127.0.0.1:%d/" % g.api_port,
            "gtmd_tenant": "adfs",
            "gtmd_client_id": CLIENT_ID,
            "gtmd_secret": secret,
            "subscription_id": SUB,
            "resource_group": RG,
            "profile": PROFILE,
            "relative_name": RELATIVE,
            "monitor_port": backends_port,
            "target1": targets[0],
            "target2": targets[1],
        }
        drop = ("ANSIBLE_", "AZURE_", "MSAL_", "ADAL_")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(drop)
            and "proxy" not in k.lower()
            and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "PYTHONPATH")
        }
        env.update(
            HOME=str(home),
            AZURE_CONFIG_DIR=str(home / ".azure"),
            ANSIBLE_CONFIG=str(cfg),
            ANSIBLE_LOCAL_TEMP=str(self.dir / "tmp-local"),
            ANSIBLE_REMOTE_TEMP=str(self.dir / "tmp-remote"),
            ANSIBLE_PYTHON_INTERPRETER=info["python"],
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            # azure-identity's authority (ClientSecretCredential gets no other)
            AZURE_AUTHORITY_HOST="https://127.0.0.1:%d" % g.api_port,
            # gtmd's self-signed certificate, for requests (ADAL, MSAL, ARM)
            REQUESTS_CA_BUNDLE=str(g.state / "api.crt"),
            NO_PROXY="*",
        )
        if compat:
            env["PYTHONPATH"] = str(COMPAT)
        self.env = env

    def run(self, tag, **override):
        vf = self.dir / ("vars-%s.json" % tag)
        v = dict(self.vars, **override)
        vf.write_text(json.dumps(v))
        os.chmod(str(vf), 0o600)
        r = subprocess.run(
            [self.info["exe"], "-i", "localhost,", str(PLAYBOOK), "--tags", tag, "-e", "@" + str(vf)],
            cwd=str(self.dir), env=self.env, capture_output=True, text=True,
            timeout=scaled(300), stdin=subprocess.DEVNULL,
        )
        return Run(tag, r)


class Run:
    def __init__(self, tag, r):
        self.tag = tag
        self.rc = r.returncode
        self.stdout, self.stderr = r.stdout, r.stderr
        try:
            start = r.stdout.index("{")
            self.out = json.loads(r.stdout[start:])
        except ValueError:
            self.out = None

    @property
    def stats(self):
        return ((self.out or {}).get("stats") or {}).get("localhost") or {}

    @property
    def tasks(self):
        """[(task name, result)] of the tasks that ran."""
        res = []
        for play in (self.out or {}).get("plays", []):
            for t in play.get("tasks", []):
                res.append((t["task"]["name"], t["hosts"].get("localhost", {})))
        return res

    def result(self, name):
        for n, r in self.tasks:
            if n == name:
                return r
        raise AssertionError("task %r did not run: %s" % (name, self))

    def failure(self):
        """The text of the failed task results (msg, exception, stderr)."""
        parts = []
        for n, r in self.tasks:
            if r.get("failed"):
                parts.append("%s: %s %s %s" % (n, r.get("msg", ""), r.get("exception", ""),
                                               r.get("module_stderr", "")))
        return "\n".join(parts) or (self.stdout[-3000:] + self.stderr[-3000:])

    def __str__(self):
        return "ansible-playbook --tags %s: rc %s, stats %s\n%s" % (
            self.tag, self.rc, self.stats, self.failure() if self.rc else "")


def ok(run, changed):
    """The run succeeded, with `changed` tasks changed (None: any)."""
    if run.rc != 0:
        raise AssertionError(str(run))
    if changed is not None:
        assert run.stats.get("changed") == changed, str(run)
    return run


def served(g):
    r = g.query("%s.%s" % (RELATIVE, g.domain), "A")
    return r.rcode(), rdatas(r, "A")


def wait_served(g, want, timeout=10):
    _, took = poll(lambda: served(g) == want, scaled(timeout), period=0.1)
    assert took is not None, (served(g), want, g.log[-3000:])


@pytest.mark.skipif(os.environ.get("GTM_SKIP_SLOW") == "1",
                    reason="slow real client: run in the plain pass only (GTM_SKIP_SLOW=1)")
@pytest.mark.parametrize("variant", ["debian", "compat"])
def test_ansible_playbook_drives_gtmd(variant, gtmd_factory, backends, tmp_path, record_property):
    info = ansible_playbook()
    versions = {k: v for k, v in info.items() if k not in ("dir", "exe", "python")}
    record_property("ansible_versions", json.dumps(versions))
    print("Ansible:", versions)
    secret = os.urandom(18).hex()
    clients = tmp_path / "api-clients"
    clients.write_text("# client_id secret\n%s %s\n" % (CLIENT_ID, secret))
    os.chmod(str(clients), 0o600)
    b1, b2 = backends.http(2)
    g = start_api(gtmd_factory, tmp_path, extra=["--api-clients", str(clients)])
    pb = Playbook(info, g, tmp_path, secret, b1.port, [b1.host, b2.host], variant == "compat")
    NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN
    assert served(g)[0] == NXDOMAIN

    # Create: profile, then endpoints 1 and 2 (3 changes).
    r = pb.run("create")
    if r.rc != 0 and variant == "debian":
        text = r.failure()
        for rx in INCOMPATIBLE:
            m = rx.search(text)
            if m:
                pytest.skip("Debian's azure.azcollection %s does not load with Debian's python3-azure %s: %s"
                            % (info.get("azcollection"), info.get("python3-azure", "?"), m.group(0)))
    ok(r, 3)
    prof = r.result("Create the profile")
    pid = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/trafficManagerProfiles/%s" % (
        SUB, RG, PROFILE)
    assert prof["id"].lower() == pid.lower(), prof
    ep1 = r.result("Create endpoint 1")
    assert ep1["id"].lower() == (pid + "/externalEndpoints/ep1").lower(), ep1
    assert (g.pdir / (PROFILE + ".json")).exists()
    wait_served(g, (NOERROR, [b1.host]))

    # The same again: nothing to change.
    ok(pb.run("create"), 0)

    # Read back with the _info modules (the playbook asserts the shape).
    r = ok(pb.run("check"), 0)
    tm = r.result("Read the profile")["response"][0]
    assert tm["properties"]["dnsConfig"]["fqdn"] == "%s.%s" % (RELATIVE, g.domain.rstrip(".")), tm
    assert tm["tags"] == {"purpose": "ansible-test"}, tm
    assert tm["properties"]["monitorConfig"]["port"] == b1.port, tm
    assert [e["name"] for e in tm["properties"]["endpoints"]] == ["ep1", "ep2"], tm
    eps = {e["name"]: e for e in r.result("Read the endpoints")["endpoints"]}
    assert eps["ep1"]["target"] == b1.host and eps["ep1"]["priority"] == 1, eps
    assert eps["ep2"]["target"] == b2.host and eps["ep2"]["priority"] == 2, eps
    assert eps["ep1"]["enabled"] is True and eps["ep2"]["enabled"] is True, eps

    # Disable endpoint 1: endpoint 2 answers; again: no change.
    ok(pb.run("disable"), 1)
    wait_served(g, (NOERROR, [b2.host]))
    ok(pb.run("disable"), 0)
    r = ok(pb.run("check"), 0)
    eps = {e["name"]: e for e in r.result("Read the endpoints")["endpoints"]}
    assert eps["ep1"]["enabled"] is False and eps["ep2"]["enabled"] is True, eps

    # A wrong secret is refused by the issuer (invalid_client) and changes nothing.
    r = pb.run("disable", gtmd_secret=secret[::-1])
    assert r.rc != 0, str(r)
    assert "invalid_client" in r.failure(), r.failure()
    assert served(g) == (NOERROR, [b2.host])

    # Delete the profile; again: nothing to delete.
    ok(pb.run("delete"), 1)
    wait_served(g, (NXDOMAIN, []))
    assert not (g.pdir / (PROFILE + ".json")).exists()
    ok(pb.run("delete"), 0)
