"""GET /gtmd/v1/resolve agrees with DNS for every query type (issue 10
point 10): for each type dnspython knows (the meta and special ones: OPT,
TKEY, TSIG, IXFR, AXFR, MAILA, MAILB, ANY, TYPE0..., and the ordinary ones)
plus unknown and private numeric types, on a traffic manager name, a static
zone name, an absent name and a name outside every zone, resolve's rcode is
the rcode of a real DNS query (over TCP, so that truncation plays no part)
to the same daemon, and resolve lists answer records exactly when the DNS
answer has some. Types are given to resolve both as mnemonics (when it knows
them) and in the RFC 3597 form TYPEnnn."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.rcode
import dns.rdatatype
import pytest

from armapi import TOKEN, start_api
from backends import endpoint, fqdn, profile
from conftest import GTMD, EXAMPLE_ZONE, GtmdFactory, _require_binary, scaled

EXTRA_TYPES = [128, 200, 65280, 65534, 65535]  # meta range, private use, reserved


def qtypes():
    """(number, mnemonic) for every type dnspython knows, and a few it does not."""
    out = [(int(t), dns.rdatatype.to_text(t)) for t in dns.rdatatype.RdataType]
    out += [(n, "TYPE%d" % n) for n in EXTRA_TYPES]
    return sorted(set(out))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """One gtmd with its API for the module: a Priority profile (both
    endpoints alwaysServe, never probed) and example.com."""
    _require_binary()
    f = GtmdFactory(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("qtypes")
    profs = {
        "app": profile("app", "Priority", [
            endpoint("one", "127.0.6.1", alwaysServe="Enabled", priority=1),
            endpoint("two", "127.0.6.2", alwaysServe="Enabled", priority=2),
        ]),
    }
    g = start_api(f, tmp, profiles=profs, zones={"example.com.zone": EXAMPLE_ZONE})
    yield g
    problems = f.teardown()
    assert not problems, "\n".join(problems)


def resolve(g, name, tname):
    return g.api.request("GET", "/gtmd/v1/resolve?name=%s&type=%s" % (name, tname),
                         api_version=None)


def test_resolve_rcode_and_answer_match_dns_for_every_type(daemon):
    g = daemon
    names = {
        "profile": fqdn(g, "app"),
        "static": "www.example.com.",
        "absent": "nothere.example.com.",
        "outside": "elsewhere.invalid.",
    }
    cases = [(num, mnemonic, kind, name)
             for num, mnemonic in qtypes() for kind, name in names.items()]

    def check(case):
        num, mnemonic, kind, name = case
        r = g.query(name, num, tcp=True)
        want = (dns.rcode.to_text(r.rcode()), len(r.answer) > 0)
        out = []
        forms = ["TYPE%d" % num]
        rep = resolve(g, name, mnemonic)
        if rep.status == 200:
            forms.append(mnemonic)
        elif rep.status != 400 or "not a record type" not in rep.message:
            out.append("%s %s: %s" % (name, mnemonic, rep))  # else unknown to gtmd
        for form in forms:
            rep = resolve(g, name, form) if form != mnemonic else rep
            if rep.status != 200:
                out.append("%s %s: %s" % (name, form, rep))
                continue
            got = (rep.json["rcode"], len(rep.json.get("answer") or []) > 0)
            if got != want:
                out.append("%s %s (%s): DNS %s, resolve %s" % (name, form, kind, want, got))
        return out

    # Several requests in flight: each API request takes tens of milliseconds.
    with ThreadPoolExecutor(max_workers=8) as pool:
        mismatches = [m for ms in pool.map(check, cases) for m in ms]
    assert len(cases) >= 4 * 80
    assert not mismatches, "\n".join(mismatches)


def test_resolve_special_types(daemon):
    """What the rule says for the special types, by name."""
    g = daemon
    name = fqdn(g, "app")
    for tname, rcode in (("AXFR", "REFUSED"), ("IXFR", "REFUSED"), ("OPT", "FORMERR"),
                         ("MAILA", "NOTIMP"), ("MAILB", "NOTIMP"), ("TYPE252", "REFUSED")):
        rep = resolve(g, name, tname)
        assert rep.status == 200, rep
        assert rep.json["rcode"] == rcode, (tname, rep.json)
        assert not rep.json.get("answer"), rep.json
        assert rep.json["reason"], rep.json
    # ANY (RFC 8482) and an unknown type on a profile name: NOERROR.
    assert resolve(g, name, "ANY").json["rcode"] == "NOERROR"
    rep = resolve(g, name, "TYPE65280").json
    assert rep["rcode"] == "NOERROR" and rep["type"] == "TYPE65280" and not rep["answer"]
    # A type that is none: 400.
    for bad in ("TYPE65536", "TYPE", "TYPE-1", "TYPEx", "NOTATYPE"):
        assert resolve(g, name, bad).status == 400, bad


def test_gtmctl_resolve_axfr_refused(daemon):
    """gtmctl resolve prints the code DNS gives, and the reason."""
    gtmctl = os.environ.get("GTMCTL") or str(Path(GTMD).resolve().parent / "gtmctl")
    if not os.access(gtmctl, os.X_OK):
        pytest.fail("gtmctl binary not found at %s (set GTMCTL=...)" % gtmctl)
    g = daemon
    for tname, rcode in (("AXFR", "REFUSED"), ("TYPE41", "FORMERR"), ("TYPE65280", "NOERROR")):
        p = subprocess.run(
            [gtmctl, "--api", "https://127.0.0.1:%d" % g.api_port, "--state-dir", str(g.state),
             "resolve", fqdn(g, "app"), "--type", tname],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=scaled(30),
            env=dict(os.environ, GTMCTL_TOKEN=TOKEN))
        assert p.returncode == 0, p
        first = p.stdout.splitlines()[0]
        assert first.startswith("%s %s for client unknown: %s" % (
            fqdn(g, "app"), tname if tname != "TYPE41" else "OPT", rcode)), p.stdout
