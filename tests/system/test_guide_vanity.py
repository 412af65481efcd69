"""docs/VANITY-DOMAIN.md, run as a reader runs it (guide.py): a vanity
domain whose www is a CNAME to a Priority profile and whose apex is an
ALIAS to it, both zones signed, asked through a real validating Unbound
on loopback; the endpoint answered fails and both answers move to the
other, still validated, within the lab's budget (interval x 2 + timeout +
TTL = 8 s), and move back when it recovers.

Beyond the output the guide shows, checked here: the answers through the
resolver carry the AD flag and name the expected endpoint before and after
each move, and each move took no longer than its budget."""

import os
import re
import shutil

import pytest

import guide
from conftest import scaled

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
NEEDED = ("dig", "curl", "ldns-keygen")

pytestmark = pytest.mark.skipif(
    not os.access(UNBOUND, os.X_OK) or any(shutil.which(t) is None for t in NEEDED),
    reason="needs unbound, ldnsutils (ldns-keygen), dig and curl",
)

BUDGET = 1 * 2 + 1 + 5  # interval x (tolerated + 1) + timeout + TTL, the profile's lab values


def answers(output):
    """(name, type, data) of each answer record dig printed, in order."""
    out = []
    for line in output.splitlines():
        f = line.split()
        if len(f) >= 5 and f[2] == "IN" and not line.startswith(";"):
            out.append((f[0], f[3], " ".join(f[4:])))
    return out


def flags(output):
    """The flags of each header dig printed (+comments)."""
    return [m.group(1).split() for m in re.finditer(r"^;; flags: ([a-z ]+);", output, re.M)]


def moved_after(output, addr):
    m = re.search(r"^both answer %s after (\d+) s$" % re.escape(addr), output, re.M)
    assert m, output
    return int(m.group(1))


def test_guide_vanity_domain():
    g = guide.run("VANITY-DOMAIN.md", ports=[5300, 5301, 18080], timeout=90)

    # gtmd itself: the chain, the apex from the profile, signatures.
    direct = answers(g.step_at(r"\+norec www\.example\.org A").output)
    assert ("www.example.org.", "CNAME", "shop.tm.example.net.") in direct
    assert ("shop.tm.example.net.", "A", "127.0.0.21") in direct
    assert ("example.org.", "A", "127.0.0.21") in direct
    signed = answers(g.step_at(r"\+dnssec example\.org A").output)
    assert [t for _, t, _ in signed] == ["A", "RRSIG"], signed

    # Through the validating resolver: validated (AD), on blue.
    before = g.step_at(r"vanity-demo/unbound -d -c").output
    assert flags(before) and all("ad" in f for f in flags(before)), before
    assert answers(before) == [("www.example.org.", "CNAME", "shop.tm.example.net."),
                               ("shop.tm.example.net.", "A", "127.0.0.21")], before
    apex = g.step_at(r"^dig @127\.0\.0\.1 -p 5301 example\.org A \+noall \+comments").output
    assert "ad" in flags(apex)[0], apex
    assert answers(apex) == [("example.org.", "A", "127.0.0.21")], apex

    # blue fails: www and the apex both move to green, still validated.
    fail = g.step_at(r"kill \$\(cat vanity-demo/www21\.pid\)")
    assert moved_after(fail.output, "127.0.0.22") <= scaled(BUDGET + 2), fail.output
    assert fail.seconds <= scaled(BUDGET + 4), fail.seconds
    assert all("ad" in f for f in flags(fail.output)), fail.output
    after = answers(fail.output)
    assert ("shop.tm.example.net.", "A", "127.0.0.22") in after, fail.output
    assert ("example.org.", "A", "127.0.0.22") in after, fail.output
    assert not any(d == "127.0.0.21" for _, _, d in after), fail.output
    assert "shop/blue Online -> Degraded after 2 failures" in fail.output

    # blue is back: the answers return to it.
    back = g.step_at(r"serve 21\nmoved 127")
    assert moved_after(back.output, "127.0.0.21") <= scaled(BUDGET + 2), back.output
    assert "shop/blue Degraded -> Online" in back.output
