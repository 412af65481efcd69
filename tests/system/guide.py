"""Runs a guide of docs/ as a reader would, so that it cannot rot.

A guide is Markdown. Its ```sh blocks are the commands, run in order by one
bash (so variables, `cd` and `$!` carry over from block to block), from a
directory laid out like the top of a built source tree: `gtmd`, `gtmctl`,
`docs/`, `examples/` and `tests/` are links to the build's and the source's.
A ```text block that follows a ```sh block with nothing but blank lines
between is the output that block must print (stdout and stderr together);
in it, `...` stands for any text, on one line or across lines, and a run of
blanks for any run of blanks. A block
whose info string says `sh norun` is shown but not run (a production step
that a test cannot take, such as a registrar's delegation).

Every command runs under `set -e`: a block that fails stops the guide, and
the error names the block's line in the guide, its output so far and the
logs the guide wrote. The fixed ports a guide uses (a test passes them)
become free ports, in commands and expected output alike, so the guide
shows plain numbers and the test never collides with anything. When the
guide is over, whatever it started must be gone: a process it left
running (in its process group, or working in its directory) is an error
(its own last block stops what it started, by PID), and is then killed.
"""

import os
import re
import signal
import socket
import subprocess
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from conftest import GTMD, scaled

HERE = Path(__file__).resolve().parent
SRCDIR = Path(os.environ.get("GTM_SRCDIR") or HERE.parent.parent).resolve()
DOCS = SRCDIR / "docs"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Step:
    line: int  # of the ``` that opens the block, 1-based
    command: str
    expect: str | None = None
    output: str = ""
    seconds: float = 0.0
    skipped: bool = False  # run(skip=...) left it out


@dataclass
class Guide:
    path: Path
    steps: list = field(default_factory=list)
    ports: dict = field(default_factory=dict)  # guide's port -> the one used
    workdir: Path | None = None

    def step_at(self, pattern):
        """The first step whose command matches the regular expression."""
        for s in self.steps:
            if re.search(pattern, s.command):
                return s
        raise KeyError("no step of %s runs %r" % (self.path.name, pattern))


def parse(text):
    """The guide's steps: each ```sh block and the ```text block after it."""
    found = []
    for m in FENCE.finditer(text):
        info = m.group(1).split()
        found.append((info[0] if info else "", info[1:], m.group(2),
                      text.count("\n", 0, m.start()) + 1, m.start(), m.end()))
    steps = []
    for i, (lang, flags, body, line, _, end) in enumerate(found):
        if lang != "sh" or "norun" in flags:
            continue
        step = Step(line, body)
        if i + 1 < len(found):
            nlang, _, nbody, _, nstart, _ = found[i + 1]
            if nlang == "text" and text[end:nstart].strip() == "":
                step.expect = nbody
        steps.append(step)
    return steps


def matches(expect, actual):
    """True when actual is expect, `...` standing for any text; a run of
    blanks is one blank (tables align to their widest cell), and trailing
    blanks and blank lines at either end do not count."""
    def norm(s):
        return "\n".join(re.sub(r"[ \t]+", " ", line).rstrip()
                         for line in s.strip("\n").splitlines())

    pattern = ".*?".join(re.escape(part) for part in norm(expect).split("..."))
    return re.fullmatch(pattern, norm(actual), re.S) is not None


def _port_free(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_ports(wanted):
    """Each of the guide's ports mapped to one free for TCP and UDP on every
    IPv4 address, and to none of the others."""
    out, taken = {}, set(wanted)  # a guide's own port is never another's stand-in
    for p in wanted:
        for _ in range(500):
            cand = 20000 + int.from_bytes(os.urandom(2), "big") % 40000
            if cand not in taken and cand not in (2379, 2380) and _port_free(cand):
                out[p] = cand
                taken.add(cand)
                break
        else:
            raise RuntimeError("no free port")
    return out


def _subst(text, ports):
    """Each port of the map replaced by its value, in one pass."""
    if not ports:
        return text
    pattern = r"(?<![0-9])(%s)(?![0-9])" % "|".join(str(p) for p in ports)
    return re.sub(pattern, lambda m: str(ports[int(m.group(1))]), text)


def _tree(where):
    """A directory laid out as the top of a built source tree."""
    gtmd = Path(GTMD).resolve()
    links = {
        "gtmd": gtmd,
        "gtmctl": gtmd.with_name("gtmctl"),
        "docs": SRCDIR / "docs",
        "examples": SRCDIR / "examples",
        "tests": SRCDIR / "tests",
    }
    for name, target in links.items():
        (where / name).symlink_to(target)


def _left_running(pgid, top):
    """PIDs (and command lines) of the processes the guide started that are
    still there: those of its process group, and those working in its
    directory (gtmd runs its hooks in process groups of their own)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp ...
            try:
                cwd = os.readlink(d / "cwd")
            except OSError:
                cwd = ""
            if fields[0] != "Z" and (int(fields[2]) == pgid or cwd == str(top)
                                     or cwd.startswith(str(top) + "/")):
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                out.append((int(d.name), cmd.strip()))
        except (OSError, ValueError):
            continue
    return out


def run(name, ports=(), timeout=120, env=None, skip=()):
    """Runs docs/<name>; returns the Guide with each step's output and time.
    Raises AssertionError naming the guide's line on the first difference.
    skip: regular expressions; a step whose command matches one is not run
    (a part whose tools the machine lacks) and its output is not checked."""
    path = DOCS / name
    g = Guide(path, parse(path.read_text()))
    assert g.steps, "%s has no ```sh blocks" % path
    for s in g.steps:
        s.skipped = any(re.search(p, s.command) for p in skip)
    g.ports = free_ports(ports)
    top = Path(tempfile.mkdtemp(prefix="gtmd-guide-"))
    g.workdir = top / "src"
    g.workdir.mkdir()
    _tree(g.workdir)
    ctl = top / "ctl"
    ctl.mkdir()
    driver = ["set -e", "exec </dev/null", "cd %s" % g.workdir]
    for i, s in enumerate(g.steps):
        (ctl / ("b%d.sh" % i)).write_text(_subst(s.command, g.ports))
        driver.append("date +%%s.%%N > %s/t%d; echo %d > %s/at" % (ctl, i, i, ctl))
        if not s.skipped:
            driver.append(". %s/b%d.sh > %s/o%d 2>&1" % (ctl, i, ctl, i))
    driver.append("date +%%s.%%N > %s/t%d" % (ctl, len(g.steps)))
    home = top / "home"
    home.mkdir()
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
         "LANG": "C.UTF-8", "TMPDIR": str(top), "TERM": "dumb"}
    for k in ("GTMD_SDK_CACHE", "XDG_CACHE_HOME", "npm_config_cache"):
        if k in os.environ:
            e[k] = os.environ[k]
    if "XDG_CACHE_HOME" not in e:  # npm and pip caches survive the temp HOME
        e["XDG_CACHE_HOME"] = os.path.join(os.path.expanduser("~"), ".cache")
    e.update(env or {})
    proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-c", "\n".join(driver)],
                            env=e, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    timed_out = False
    try:
        shell_out = proc.communicate(timeout=scaled(timeout))[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        shell_out = proc.communicate()[0].decode(errors="replace")

    def read(f):
        try:
            return (ctl / f).read_text(errors="replace")
        except OSError:
            return None

    for i, s in enumerate(g.steps):
        s.output = _subst_back(read("o%d" % i) or "", g.ports)
        t0, t1 = read("t%d" % i), read("t%d" % (i + 1))
        if t0 and t1:
            s.seconds = float(t1) - float(t0)
    at = read("at")
    ran = int(at) if at is not None else -1
    logs = _logs(g.workdir)
    left = _left_running(proc.pid, os.path.realpath(top))
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    where = "%s:%d" % (path.name, g.steps[ran].line) if ran >= 0 else path.name
    if timed_out:
        raise AssertionError("the guide did not finish in %d s, in the block at %s:\n%s\n%s"
                             % (scaled(timeout), where, g.steps[ran].output, logs))
    if proc.returncode != 0:
        raise AssertionError("the block at %s failed (exit %d):\n%s\n%s%s"
                             % (where, proc.returncode, g.steps[ran].output,
                                shell_out, logs))
    for s in g.steps:
        if s.expect is not None and not s.skipped and not matches(s.expect, s.output):
            raise AssertionError("%s:%d: the block printed\n%s\nwhere the guide shows\n%s"
                                 % (path.name, s.line, s.output, s.expect))
    assert not left, "%s: the guide left running: %s" % (path.name, left)
    shutil.rmtree(top, ignore_errors=True)
    return g


def _subst_back(text, ports):
    return _subst(text, {new: old for old, new in ports.items()})


def _logs(workdir, limit=4000):
    """The tail of each *.log the guide wrote, for a failure's message."""
    out = []
    for d, _, files in sorted(os.walk(workdir)):  # links (the tree) not followed
        for f in sorted(files):
            if f.endswith(".log"):
                p = Path(d) / f
                try:
                    t = p.read_text(errors="replace")
                except OSError:
                    continue
                out.append("---- %s ----\n%s" % (p.relative_to(workdir), t[-limit:]))
    return "\n".join(out)
