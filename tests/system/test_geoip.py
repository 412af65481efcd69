"""Geographic routing from a MaxMind DB (--geoip FILE.mmdb, SPEC §5,
reference §1.8), through EDNS Client Subnet.

No GeoIP database ships in Debian: mmdb.py writes one per test module. The
geo table (--geo-table) goes first; the database covers the clients it does
not. Targets are `alwaysServe: Enabled` endpoints on 127.0.6.0/24, never
probed. Skipped when gtmd was built without libmaxminddb."""

import os
import re
import signal
import time

import dns.edns
import dns.rcode
import dns.rdatatype
import pytest

import mmdb
from backends import endpoint, fqdn, profile, rdatas
from conftest import GTMD, GtmdFactory, _require_binary, scaled

NOERROR = dns.rcode.NOERROR

CA, EU, WORLD, US = "127.0.6.1", "127.0.6.2", "127.0.6.3", "127.0.6.4"
G2_FR = "127.0.6.11"

# What the database says.
DB_NETS = [
    ("198.51.100.0/24", "US-CA"),
    ("192.0.2.0/24", "FR"),
    ("203.0.113.0/24", "BR"),
    ("10.20.0.0/16", "US-NY"),
    ("2001:db8:5::/48", "US-CA"),
    ("2001:db8:6::/48", "DE"),
]
# The geo table: one row, inside a network of the database.
GEO_TABLE = "198.51.100.128/25  FR\n"


def served(name, target, **props):
    return endpoint(name, target, alwaysServe="Enabled", **props)


def profiles():
    return {
        "geo": profile("geo", "Geographic", [
            served("ca", CA, geoMapping=["US-CA"]),
            served("eu", EU, geoMapping=["GEO-EU"]),
            served("world", WORLD, geoMapping=["WORLD"]),
            served("us", US, geoMapping=["US"]),
        ]),
        "geo2": profile("geo2", "Geographic", [  # no WORLD
            served("fr", G2_FR, geoMapping=["FR"]),
        ]),
    }


def write_db(path, nets):
    mmdb.write(str(path), [(cidr, mmdb.geo_record(code)) for cidr, code in nets])


def _built_with_maxminddb():
    _require_binary()
    import subprocess
    out = subprocess.run([GTMD, "--help"], capture_output=True, text=True, timeout=10).stdout
    assert "geoip" in out, out
    return "without libmaxminddb" not in out


@pytest.fixture(scope="module")
def geo_srv(tmp_path_factory):
    if not _built_with_maxminddb():
        pytest.skip("gtmd was built without libmaxminddb")
    d = tmp_path_factory.mktemp("geoip")
    db, table = d / "geo.mmdb", d / "geo.txt"
    write_db(db, DB_NETS)
    table.write_text(GEO_TABLE)
    f = GtmdFactory(tmp_path_factory)
    g = f.start(profiles=profiles(), extra=["--geoip", str(db), "--geo-table", str(table)])
    g.db_path = db
    yield g
    problems = f.teardown()
    assert not problems, "\n".join(problems)


@pytest.fixture
def factory(tmp_path_factory):
    if not _built_with_maxminddb():
        pytest.skip("gtmd was built without libmaxminddb")
    f = GtmdFactory(tmp_path_factory)
    yield f
    problems = f.teardown()
    assert not problems, "\n".join(problems)


def ask(g, name, opt=None):
    return g.query(name, "A", use_edns=0, options=[opt] if opt is not None else [])


def answer(g, name, opt):
    """(addresses, echoed ECS scope) for a query from the client opt."""
    r = ask(g, name, opt)
    assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
    echo = [o for o in r.options if isinstance(o, dns.edns.ECSOption)]
    assert len(echo) == 1, r.options
    assert echo[0].address == opt.address and echo[0].srclen == opt.srclen
    return rdatas(r), echo[0].scopelen


def ecs(addr, srclen):
    return dns.edns.ECSOption(addr, srclen)


def test_mmdb_writer_reads_back_with_mmdblookup(tmp_path):
    """The test database is a valid MaxMind DB (checked with libmaxminddb's
    own mmdblookup when mmdb-bin is installed)."""
    import shutil
    import subprocess
    tool = shutil.which("mmdblookup")
    if not tool:
        pytest.skip("mmdblookup (mmdb-bin) not installed")
    db = tmp_path / "t.mmdb"
    write_db(db, DB_NETS)
    out = subprocess.run([tool, "--file", str(db), "--ip", "198.51.100.7", "subdivisions", "0",
                          "iso_code"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert '"CA"' in out.stdout
    out = subprocess.run([tool, "--file", str(db), "--ip", "2001:db8:6::1", "country",
                          "iso_code"], capture_output=True, text=True, timeout=10)
    assert '"DE"' in out.stdout, out.stdout + out.stderr


def test_geographic_from_database_with_scope(geo_srv):
    g = geo_srv
    name = fqdn(g, "geo")
    cases = [
        (ecs("198.51.100.0", 25), CA, 25),  # database US-CA; kept clear of the table's /25
        (ecs("198.51.100.0", 24), CA, 25),
        (ecs("198.51.100.200", 32), EU, 25),  # the table's FR wins over the database
        (ecs("198.51.100.128", 25), EU, 25),
        (ecs("192.0.2.0", 24), EU, 24),  # FR -> GEO-EU
        (ecs("192.0.2.99", 32), EU, 24),
        (ecs("203.0.113.0", 24), WORLD, 24),  # BR: only WORLD
        (ecs("10.20.7.0", 24), US, 16),  # US-NY: no US-NY, so US
        (ecs("2001:db8:5::", 48), CA, 48),
        (ecs("2001:db8:5:1::", 64), CA, 48),
        (ecs("2001:db8:6::", 56), EU, 48),  # DE -> GEO-EU
    ]
    for opt, want, scope in cases:
        addrs, got = answer(g, name, opt)
        assert addrs == [want], (opt.address, opt.srclen, addrs)
        assert got == scope, (opt.address, opt.srclen, got)
    # clients the database does not cover: WORLD, for a network no wider
    # than the one they sent
    for opt in (ecs("100.64.0.0", 10), ecs("172.16.5.0", 24), ecs("2001:db8:99::", 48)):
        addrs, got = answer(g, name, opt)
        assert addrs == [WORLD], (opt.address, addrs)
        assert got <= opt.srclen, (opt.address, got)
    # without ECS the source address (127.0.0.1) is the client: not in the database
    r = ask(g, name)
    assert r.rcode() == NOERROR and rdatas(r) == [WORLD]


def test_geographic_database_no_match_is_nodata(geo_srv):
    g = geo_srv
    name = fqdn(g, "geo2")
    assert answer(g, name, ecs("192.0.2.0", 24))[0] == [G2_FR]
    assert answer(g, name, ecs("198.51.100.128", 25))[0] == [G2_FR]  # the table's FR
    for opt in (ecs("198.51.100.0", 25), ecs("203.0.113.0", 24), ecs("10.99.0.0", 16)):
        r = ask(g, name, opt)
        assert r.rcode() == NOERROR, dns.rcode.to_text(r.rcode())
        assert not r.answer, (opt.address, r.answer)
        assert any(rr.rdtype == dns.rdatatype.SOA for rr in r.authority)


def test_reload_reads_the_new_database(factory, tmp_path):
    db = tmp_path / "geo.mmdb"
    write_db(db, [("192.0.2.0/24", "FR")])
    g = factory.start(profiles=profiles(), extra=["--geoip", str(db)])
    name = fqdn(g, "geo")
    assert answer(g, name, ecs("192.0.2.0", 24)) == ([EU], 24)
    new = tmp_path / "geo.mmdb.new"
    write_db(new, [("192.0.2.0/24", "US-CA")])
    os.replace(str(new), str(db))
    g.wait_log(r"gtmd: ready")
    g.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + scaled(5)
    while time.monotonic() < deadline:
        if answer(g, name, ecs("192.0.2.0", 24))[0] == [CA]:
            break
        time.sleep(0.05)
    assert answer(g, name, ecs("192.0.2.0", 24)) == ([CA], 24), g.log
    # a corrupt database at reload: an error, the old data keeps serving
    # (replaced by renaming: the serving snapshot maps the old file)
    new.write_bytes(b"\xab\xcd\xefMaxMind.com" + b"\x00" * 8)
    os.replace(str(new), str(db))
    g.send_signal(signal.SIGHUP)
    g.wait_log(re.escape(str(db)) + r".*error", timeout=5)
    assert answer(g, name, ecs("192.0.2.0", 24)) == ([CA], 24)


def test_check_config_names_missing_or_corrupt_database(factory, tmp_path):
    good = tmp_path / "good.mmdb"
    write_db(good, DB_NETS)
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a MaxMind DB at all\n" * 4)
    truncated = tmp_path / "truncated.mmdb"
    truncated.write_bytes(good.read_bytes()[:40])
    missing = tmp_path / "missing.mmdb"
    base = ["--check-config", "--domain", "tm.test", "--state-dir", str(tmp_path)]
    r = factory.run(base + ["--geoip", str(good)])
    assert r.returncode == 0, r.stderr
    for f in (missing, bad, truncated):
        r = factory.run(base + ["--geoip", str(f)])
        assert r.returncode == 1, (f, r.stderr)
        assert str(f) in r.stderr, r.stderr
        assert "GeoIP database" in r.stderr, r.stderr
    assert "No such file" in factory.run(base + ["--geoip", str(missing)]).stderr
    # in the configuration file too
    conf = tmp_path / "gtmd.conf"
    conf.write_text("geoip = %s\n" % bad)
    r = factory.run(base + ["-c", str(conf)])
    assert r.returncode == 1 and str(bad) in r.stderr, r.stderr
    conf.write_text("geoip = %s\n" % good)
    r = factory.run(base + ["-c", str(conf)])
    assert r.returncode == 0, r.stderr


def test_resolve_explains_the_database_code(factory, tmp_path):
    """GET /gtmd/v1/resolve tells where the code came from."""
    from armapi import start_api
    db, table = tmp_path / "geo.mmdb", tmp_path / "geo.txt"
    write_db(db, DB_NETS)
    table.write_text(GEO_TABLE)
    g = start_api(factory, tmp_path, profiles=profiles(),
                  extra=["--geoip", str(db), "--geo-table", str(table)])
    name = fqdn(g, "geo")

    def resolve(client):
        r = g.api.request("GET", "/gtmd/v1/resolve?name=%s&client=%s" % (name, client), None,
                          token="default", api_version=None)
        assert r.status == 200, r
        return r.json

    res = resolve("198.51.100.9")
    gx = res["profiles"][0]["geo"]
    assert gx["source"] == "database" and gx["database"] is True
    assert gx["code"] == "US-CA" and gx["matched"] == "US-CA" and gx["endpoint"] == "ca"
    assert "GeoIP database" in res["profiles"][0]["reason"]
    assert [a["data"] for a in res["answer"]] == [CA]
    gx = resolve("198.51.100.200")["profiles"][0]["geo"]
    assert gx["source"] == "table" and gx["code"] == "FR" and gx["endpoint"] == "eu"
    gx = resolve("172.16.0.1")["profiles"][0]["geo"]
    assert gx["source"] == "none" and gx["code"] is None and gx["endpoint"] == "world"
