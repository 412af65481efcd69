"""ARM lists in pages over real HTTPS (issue 16): the list of a resource
group and of a subscription hold at most --api-list-page profiles (100 by
default) in name order, any letter case, and end with a nextLink on the
client's own host while more follow; following it lists every profile
once, the hand-written ones (no id) in every list; profiles created and
deleted between two pages never make another repeat or go missing; a bad
$skiptoken or $top is a 400 in Azure's error shape; gtmctl follows the
pages; --api-list-page 0 gives one reply.

250 profile files are written before gtmd starts: 120 in resource group
rg-a, 80 in rg-b (subscription SUB), 20 in rg-a of another subscription,
30 without an id. Only 127.0.0.1 is used."""

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from armapi import API_VERSION, RG, SUB, TOKEN, arm_profile, ext_endpoint, rg_path, start_api
from conftest import GTMD, scaled

SUB2 = "99999999-8888-7777-6666-555555555555"
PROV = "/providers/Microsoft.Network/trafficmanagerprofiles"
GTMCTL = os.environ.get("GTMCTL") or str(Path(GTMD).resolve().parent / "gtmctl")


def sub_path(sub=SUB):
    return "/subscriptions/%s%s" % (sub, PROV)


def doc(name, sub=None, rg=None):
    """A profile file: ARM shape, an id when sub is given."""
    d = arm_profile(name.lower(), endpoints=[ext_endpoint("e", "127.0.0.11")])
    d["name"] = name
    if sub:
        d["id"] = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (
            sub,
            rg,
            "Microsoft.Network/trafficManagerProfiles",
            name,
        )
    return d


def population():
    """{name: (sub, rg)}: names in both cases, so that the order is seen
    to ignore case ((None, None): written by hand)."""
    owners = {}
    for i in range(120):
        owners[("A-%03d" if i % 3 == 0 else "a-%03d") % i] = (SUB, "rg-a")
    for i in range(80):
        owners["b-%03d" % i] = (SUB, "rg-b")
    for i in range(20):
        owners["c-%03d" % i] = (SUB2, "rg-a")
    for i in range(30):
        owners[("Hand-%02d" if i % 2 else "hand-%02d") % i] = (None, None)
    return owners


OWNERS = population()


def listed(owners, sub, rg=None):
    return sorted(
        (n for n, (s, g) in owners.items() if s is None or (s == sub and (rg is None or g == rg))),
        key=str.lower,
    )


@pytest.fixture
def api(gtmd_factory, tmp_path):
    files = {n: doc(n, s, g) for n, (s, g) in OWNERS.items()}
    return start_api(gtmd_factory, tmp_path, profiles=files)


def page_path(link, port):
    """The path and query of a nextLink, checked to name the API itself."""
    u = urlsplit(link)
    assert u.scheme == "https" and u.netloc == "127.0.0.1:%d" % port, link
    return u.path + "?" + u.query


def walk(g, path, **kw):
    """Every page of a list: [(names of the page, nextLink or None)]."""
    pages = []
    while path:
        r = g.api.get(path, **kw)
        assert r.status == 200, r
        link = r.json.get("nextLink")
        pages.append(([p["name"] for p in r.json["value"]], link))
        assert len(pages) < 100
        path = page_path(link, g.api_port) if link else None
        kw["api_version"] = None  # the nextLink carries it
    return pages


def names_of(pages):
    return [n for names, _ in pages for n in names]


def test_resource_group_in_pages(api):
    g = api
    pages = walk(g, rg_path(rg="rg-a"))
    want = listed(OWNERS, SUB, "rg-a")  # 120 + 30
    assert names_of(pages) == want
    assert [len(n) for n, _ in pages] == [100, 50]
    assert pages[-1][1] is None
    link = pages[0][1]
    u = urlsplit(link)
    assert u.path == "/subscriptions/%s/resourceGroups/rg-a/providers/Microsoft.Network/trafficManagerProfiles" % SUB
    q = parse_qs(u.query)
    assert q["api-version"] == [API_VERSION]
    assert q["$skiptoken"] == [pages[0][0][-1]]
    # every profile of the page carries its own id; those without one the list's
    r = g.api.get(page_path(link, g.api_port), api_version=None)
    for p in r.json["value"]:
        assert p["id"] == "/subscriptions/%s/resourceGroups/rg-a/providers/%s/%s" % (
            SUB,
            "Microsoft.Network/trafficManagerProfiles",
            p["name"],
        )
    # another resource group, another subscription
    assert names_of(walk(g, rg_path(rg="rg-b"))) == listed(OWNERS, SUB, "rg-b")
    assert names_of(walk(g, rg_path(rg="rg-a", sub=SUB2))) == listed(OWNERS, SUB2, "rg-a")
    # resource group names are compared in any case
    assert names_of(walk(g, rg_path(rg="RG-A"))) == want
    # a group nobody names still lists the hand-written ones
    assert names_of(walk(g, rg_path(rg="rg-none"))) == listed(OWNERS, SUB, "rg-none")


def test_subscription_in_pages(api):
    g = api
    pages = walk(g, sub_path())
    assert names_of(pages) == listed(OWNERS, SUB)  # 120 + 80 + 30
    assert [len(n) for n, _ in pages] == [100, 100, 30]
    assert urlsplit(pages[0][1]).path == "/subscriptions/%s/providers/Microsoft.Network/trafficManagerProfiles" % SUB
    # 20 + 30: one page, no nextLink
    pages = walk(g, sub_path(SUB2))
    assert len(pages) == 1 and pages[0][1] is None
    assert names_of(pages) == listed(OWNERS, SUB2)


def test_top_and_host(api):
    g = api
    pages = walk(g, sub_path(SUB2) + "?$top=7")
    assert [len(n) for n, _ in pages] == [7] * 7 + [1]
    assert names_of(pages) == listed(OWNERS, SUB2)
    assert "$top=7" in pages[0][1]
    # $top above the page size: a page
    r = g.api.get(sub_path() + "?$top=5000")
    assert r.status == 200 and len(r.json["value"]) == 100
    # names percent-encoded as some clients send them: %24skiptoken, %24top
    first = listed(OWNERS, SUB)
    r = g.api.get(sub_path() + "?%%24skiptoken=%s&%%24top=3" % first[9])
    assert [p["name"] for p in r.json["value"]] == first[10:13]
    # the nextLink names the host the client asked
    r = g.api.get(sub_path(), headers={"Host": "localhost:%d" % g.api_port})
    assert r.json["nextLink"].startswith("https://localhost:%d/subscriptions/" % g.api_port)


def test_bad_skiptoken_and_top(api):
    g = api
    for bad in ("..%2Fx", "", "a%20b", "x()", "x" * 64):
        r = g.api.get(sub_path() + "?$skiptoken=" + bad)
        assert r.status == 400, (bad, r)
        assert r.code == "InvalidSkipToken" and "skiptoken" in r.message, r
        assert set(r.json) == {"error"}
    for bad in ("0", "-1", "x", "1.5", "", "5x"):
        r = g.api.get(rg_path(rg="rg-a") + "?$top=" + bad)
        assert r.status == 400 and r.code == "InvalidParameter", (bad, r)
    # a valid name that is not there: the page continues after it
    r = g.api.get(rg_path(rg="rg-a") + "?$skiptoken=a-0505")
    assert r.status == 200
    assert [p["name"] for p in r.json["value"]] == [
        n for n in listed(OWNERS, SUB, "rg-a") if n.lower() > "a-0505"
    ][:100]


def test_page_ends_at_any_file_name(gtmd_factory, tmp_path):
    """A profile file may be named with '_', '.' or '-' at either end (the
    API's own names may not): such a name ends a page, and the next page,
    through its $skiptoken, goes on after it."""
    names = ["_old", "a-", "b", "c_", "d."]
    files = {}
    for i, n in enumerate(names):
        files[n] = doc(n)
        files[n]["properties"]["dnsConfig"]["relativeName"] = "r%d" % i
    g = start_api(gtmd_factory, tmp_path, profiles=files)
    pages = walk(g, sub_path() + "?$top=1")
    assert names_of(pages) == sorted(names, key=str.lower)
    assert len(pages) == len(names)


def test_changes_between_pages(gtmd_factory, tmp_path):
    owners = dict(OWNERS)
    files = {n: doc(n, s, g) for n, (s, g) in owners.items()}
    g = start_api(gtmd_factory, tmp_path, profiles=files)
    before = listed(owners, SUB)
    r = g.api.get(sub_path())
    first = [p["name"] for p in r.json["value"]]
    assert first == before[:100]
    link = r.json["nextLink"]

    def put(name, rg):
        body = arm_profile(name.lower(), endpoints=[ext_endpoint("e", "127.0.0.12")])
        r = g.api.put(rg_path(name, rg=rg), body)
        assert r.status == 201, r

    # the last name of the page goes, one before it and one after it come,
    # one not listed yet goes, one already listed goes
    last = first[-1]
    assert g.api.delete(rg_path(last, rg=owners[last][1])).status == 200
    put("a-0001x", "rg-a")
    put("b-0005x", "rg-b")
    gone = before[150]
    assert g.api.delete(rg_path(gone, rg=owners[gone][1] or "any")).status == 200
    assert g.api.delete(rg_path(first[3], rg=owners[first[3]][1] or "any")).status == 200

    rest = names_of(walk(g, page_path(link, g.api_port), api_version=None))
    seen = first + rest
    assert len(seen) == len(set(seen)), "a profile listed twice"
    throughout = set(before) - {last, gone, first[3]}
    assert throughout <= set(seen)
    assert gone not in rest and "a-0001x" not in rest
    assert "b-0005x" in rest  # came after the page it would be on
    # the list from the start shows the changes
    now = names_of(walk(g, sub_path()))
    assert now == sorted((set(before) - {last, gone, first[3]}) | {"a-0001x", "b-0005x"}, key=str.lower)


def test_gtmctl_follows_pages(api, tmp_path):
    g = api
    tf = tmp_path / "token"
    tf.write_text(TOKEN + "\n")
    os.chmod(str(tf), 0o600)
    argv = [GTMCTL, "--api", "https://127.0.0.1:%d" % g.api_port, "--token-file", str(tf),
            "--state-dir", str(g.state), "--subscription", SUB, "--json", "profiles"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GTMCTL_")}
    r = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(30), env=env)
    assert r.returncode == 0, r.stderr
    names = [p["name"] for p in json.loads(r.stdout)["value"]]
    assert names == listed(OWNERS, SUB)
    r = subprocess.run(argv[:-2] + ["--resource-group", "rg-b", "--json", "profiles"],
                       capture_output=True, text=True, timeout=scaled(30), env=env)
    assert r.returncode == 0, r.stderr
    assert [p["name"] for p in json.loads(r.stdout)["value"]] == listed(OWNERS, SUB, "rg-b")
    # a profile found by name without --resource-group: the pages around
    # its name, not the whole subscription
    for name in ("b-050", "A-000", "hand-28", "a-119"):
        r = subprocess.run(argv[:-2] + ["--json", "endpoints", name.upper()],
                           capture_output=True, text=True, timeout=scaled(30), env=env)
        assert r.returncode == 0, (name, r.stderr)
        assert [e["name"] for e in json.loads(r.stdout)] == ["e"]
    r = subprocess.run(argv[:-2] + ["endpoints", "b-0505"], capture_output=True, text=True,
                       timeout=scaled(30), env=env)
    assert r.returncode == 3 and "no profile 'b-0505'" in r.stderr, r.stderr


def test_one_page_when_asked(gtmd_factory, tmp_path):
    files = {n: doc(n, s, g) for n, (s, g) in OWNERS.items()}
    g = start_api(gtmd_factory, tmp_path, profiles=files, extra=["--api-list-page", "0"])
    r = g.api.get(sub_path())
    assert r.status == 200 and "nextLink" not in r.json
    assert [p["name"] for p in r.json["value"]] == listed(OWNERS, SUB)
    # $top still pages
    r = g.api.get(sub_path() + "?$top=50")
    assert len(r.json["value"]) == 50 and "$top=50" in r.json["nextLink"]
