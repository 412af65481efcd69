"""--on-change CMD (SPEC §8; issue 5 point 6): on every endpoint transition
gtmd runs CMD, split on blanks without a shell, with the transition in
GTMD_* environment variables; at most 4 at once, the rest queued; killed
(with its process group) after 10 s; a command that fails or cannot start
is logged and never stops gtmd.

Hooks are small shell scripts written by each test; backends are real local
HTTP servers on 127.0.0.21-127.0.0.99 (backends.py)."""

import os
import re
import time

from armapi import start_api
from backends import endpoint, fqdn, poll, profile, rdatas, wait_transition
from conftest import scaled


def script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    os.chmod(str(path), 0o755)
    return path


def records(path):
    """The lines the hooks wrote, split on |."""
    if not path.exists():
        return []
    return [ln.split("|") for ln in path.read_text().splitlines() if ln]


def wait_records(path, n, timeout=10):
    got, _ = poll(lambda: len(records(path)) >= n and records(path), scaled(timeout), 0.05)
    assert got and len(got) >= n, "%d of %d hook runs: %r" % (len(records(path)), n,
                                                             records(path))
    return got


def test_hook_gets_the_transition_in_its_environment(gtmd_factory, backends, tmp_path):
    (b1,) = backends.http(1)
    out = tmp_path / "runs.txt"
    hook = script(
        tmp_path / "hook.sh",
        # one line per run: the variables, the arguments, stdin's nature
        'out=$1; shift\n'
        'stdin=tty; [ -t 0 ] || stdin=$(wc -c </dev/stdin)\n'
        'echo "$GTMD_PROFILE|$GTMD_ENDPOINT|$GTMD_OLD_STATE|$GTMD_NEW_STATE|$GTMD_REASON|'
        '$GTMD_TARGET|$#|$1|$2|$stdin" >> "$out"\n',
    )
    shared = [endpoint("a", b1.host, priority=1)]
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={
            "one": profile("one", "Priority", shared, port=b1.port, tolerated=0),
            # the same probe (target, port, path, timing): one state, two endpoints
            "two": profile("two", "Priority", [endpoint("b", b1.host, priority=1)],
                           port=b1.port, tolerated=0),
        },
        # no shell: the $ and ; reach the hook as they are
        extra=["--on-change", "%s %s $HOME;true  two-spaces" % (hook, out)],
    )
    runs = wait_records(out, 2)
    assert sorted((r[0], r[1]) for r in runs) == [("one", "a"), ("two", "b")]
    for r in runs:
        assert r[2:6] == ["CheckingEndpoint", "Online", "HTTP 200", b1.host], r
        assert r[6:9] == ["2", "$HOME;true", "two-spaces"], r
        assert r[9] == "0", "stdin is not /dev/null: %r" % r
    g.wait_log(r"on-change: pid \d+ \(one/a CheckingEndpoint -> Online\) exited 0")

    b1.set(503)
    runs = wait_records(out, 4)[2:]
    assert sorted((r[0], r[2], r[3], r[4]) for r in runs) == [
        ("one", "Online", "Degraded", "HTTP 503"), ("two", "Online", "Degraded", "HTTP 503")]

    # a drill is a transition too
    r = g.api.request("PUT", "/gtmd/v1/profiles/one/endpoints/a/override",
                      {"status": "Online"}, api_version=None)
    assert r.status == 200, r
    runs = wait_records(out, 6)[4:]
    assert sorted((r[0], r[2], r[3], r[4]) for r in runs) == [
        ("one", "Degraded", "Online", "drill override"),
        ("two", "Degraded", "Online", "drill override")]
    assert "on-change: '%s %s $HOME;true  two-spaces' runs on every endpoint transition" % (
        hook, out) in g.log


def test_hook_from_the_config_file_replaces_inherited_variables(gtmd_factory, backends,
                                                                 tmp_path):
    (b1,) = backends.http(1)
    out = tmp_path / "env.txt"
    hook = script(tmp_path / "hook.sh", 'env | grep "^GTMD_" | sort > "$1.tmp"; mv "$1.tmp" "$1"\n')
    os.environ["GTMD_PROFILE"] = "inherited"
    try:
        g = gtmd_factory.start(
            config="on-change = %s %s\n" % (hook, out),
            profiles={"cfg": profile("cfg", "Priority", [endpoint("x", b1.host)],
                                     port=b1.port)},
        )
    finally:
        del os.environ["GTMD_PROFILE"]
    got, _ = poll(lambda: out.exists() and out.read_text(), scaled(10), 0.05)
    assert got, g.log
    ours = ("GTMD_PROFILE", "GTMD_ENDPOINT", "GTMD_OLD_STATE", "GTMD_NEW_STATE",
            "GTMD_REASON", "GTMD_TARGET")
    lines = [ln for ln in got.splitlines() if ln.split("=", 1)[0] in ours]
    assert lines == sorted([
        "GTMD_ENDPOINT=x", "GTMD_NEW_STATE=Online", "GTMD_OLD_STATE=CheckingEndpoint",
        "GTMD_PROFILE=cfg", "GTMD_REASON=HTTP 200", "GTMD_TARGET=%s" % b1.host]), lines


def test_at_most_four_at_once_the_rest_queued(gtmd_factory, backends, tmp_path):
    n = 8
    group = backends.http(n)
    out = tmp_path / "runs.txt"
    hook = script(
        tmp_path / "hook.sh",
        'start=$(date +%s.%N); sleep 2; echo "$GTMD_ENDPOINT|$start|$(date +%s.%N)" >> "$1"\n',
    )
    profiles = {
        "many": profile("many", "Weighted",
                        [endpoint("e%d" % i, b.host) for i, b in enumerate(group)],
                        port=group[0].port),
    }
    g = start_api(gtmd_factory, tmp_path, profiles=profiles,
                  extra=["--on-change", "%s %s" % (hook, out)])
    runs = wait_records(out, n, timeout=20)
    assert sorted(r[0] for r in runs) == sorted("e%d" % i for i in range(n))
    spans = [(float(r[1]), float(r[2])) for r in runs]
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    # the first probes all land within the first second, each hook takes 2 s
    assert most == 4, spans
    # The last hook writes its record before it exits and gtmd reaps it.
    exited, _ = poll(
        lambda: len(re.findall(r"on-change: pid \d+ .* exited 0", g.log)) == n, scaled(5), 0.05
    )
    assert exited, g.log


def test_timeout_kills_the_hook_and_its_children(gtmd_factory, backends, tmp_path):
    (b1,) = backends.http(1)
    pids = tmp_path / "pids.txt"
    hook = script(tmp_path / "hook.sh", 'sleep 60 &\necho "$$ $!" > "$1"\nwait\n')
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={"slow": profile("slow", "Priority", [endpoint("x", b1.host)],
                                  port=b1.port, tolerated=0)},
        extra=["--on-change", "%s %s" % (hook, pids)],
    )
    got, _ = poll(lambda: pids.exists() and pids.read_text().split(), scaled(10), 0.05)
    assert got, g.log
    shell, child = (int(x) for x in got)
    t0 = time.monotonic()
    # gtmd goes on answering while the hook hangs
    assert rdatas(g.query(fqdn(g, "slow")), "A") == [b1.host]
    g.wait_log(r"on-change: pid %d \(slow/x CheckingEndpoint -> Online\) still running after "
               r"10 s: killing it" % shell, timeout=15)
    g.wait_log(r"on-change: pid %d \(slow/x .*\) killed after 10 s" % shell, timeout=5)
    assert time.monotonic() - t0 < scaled(14)

    def gone(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().split(") ", 1)[1][0] == "Z"  # a zombie of init's
        except FileNotFoundError:
            return True

    ok, _ = poll(lambda: gone(shell) and gone(child), scaled(5), 0.05)
    assert ok, "the hook (%d) or its child (%d) survived" % (shell, child)

    # one still running when gtmd stops is killed too, and gtmd exits 0
    pids.unlink()
    b1.set(503)
    wait_transition(g, "slow/x", "Online", "Degraded", timeout=scaled(5))
    got, _ = poll(lambda: pids.exists() and pids.read_text().split(), scaled(10), 0.05)
    assert got
    shell2, child2 = (int(x) for x in got)
    assert g.stop() == 0
    assert re.search(r"on-change: stopping: pid %d .* killed" % shell2, g.log), g.log
    ok, _ = poll(lambda: gone(shell2) and gone(child2), scaled(5), 0.05)
    assert ok


def test_failures_are_logged_never_fatal(gtmd_factory, backends, tmp_path):
    b1, b2 = backends.http(2)
    bad = script(tmp_path / "bad.sh", "exit 3\n")
    g = start_api(
        gtmd_factory,
        tmp_path,
        profiles={"f": profile("f", "Priority", [endpoint("x", b1.host)], port=b1.port,
                               tolerated=0)},
        extra=["--on-change", str(bad)],
    )
    g.wait_log(r"warn: on-change: pid \d+ \(f/x CheckingEndpoint -> Online\) exited with "
               r"status 3", timeout=10)
    b1.set(503)
    g.wait_log(r"warn: on-change: pid \d+ \(f/x Online -> Degraded\) exited with status 3",
               timeout=10)
    assert g.alive()
    assert g.query(fqdn(g, "f")).rcode() == 0

    killed = script(tmp_path / "killed.sh", "kill -9 $$\n")
    missing = tmp_path / "does-not-exist"
    (tmp_path / "k").mkdir()
    (tmp_path / "m").mkdir()
    for cmd, rx, d in (
        (killed, r"warn: on-change: pid \d+ \(g/y CheckingEndpoint -> Online\) killed by "
                 r"signal 9", "k"),
        # posix_spawn reports a failed exec, except where it cannot (valgrind):
        # then the child exits 127, as a shell would
        (missing, r"warn: on-change: (cannot run '%s' for g/y CheckingEndpoint -> Online: No "
                  r"such file or directory|pid \d+ \(g/y CheckingEndpoint -> Online\) exited "
                  r"with status 127)" % re.escape(str(missing)), "m"),
    ):
        h = start_api(
            gtmd_factory,
            tmp_path / d,
            profiles={"g": profile("g", "Priority", [endpoint("y", b2.host)], port=b2.port)},
            extra=["--on-change", str(cmd)],
        )
        h.wait_log(rx, timeout=10)
        assert h.alive()
        assert h.stop() == 0


def test_empty_command_is_a_usage_error(gtmd_factory, tmp_path):
    r = gtmd_factory.run(["--on-change", "  ", "--check-config"])
    assert r.returncode == 1, r
    assert "on-change: the command is empty" in r.stderr
    conf = tmp_path / "gtmd.conf"
    conf.write_text("on-change =\n")
    r = gtmd_factory.run(["-c", str(conf), "--check-config"])
    assert r.returncode == 1
    assert "%s:1: error: option 'on-change' needs a value" % conf in r.stderr
    r = gtmd_factory.run(["--help"])
    assert "--on-change CMD" in r.stdout
