"""The etcd fixture (etcd.py) itself: one member answers puts and gets; of
three, the leader stopped, another is elected, writes go on, and the old
leader comes back from its data directory with what it missed. Skipped
when etcd is not installed."""

import signal

import pytest

from etcd import EtcdError, RESERVED_PORTS, prefix_end


def test_prefix_end():
    assert prefix_end(b"/gtmd/") == b"/gtmd0"
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"\xff\xff") == b"\0"


def test_one_member(etcd_cluster):
    c = etcd_cluster(1)
    assert len(c.client_urls()) == 1
    assert c.urls_arg() == c.client_urls()[0]
    assert not {m.client_port for m in c.members} & RESERVED_PORTS
    assert c.leader_index() == 0
    assert c.get("/gtmd/nodes/a") is None
    r1 = c.put("/gtmd/nodes/a", "one")
    r2 = c.put("/gtmd/nodes/b", b"two")
    c.put("/gtmd/other", "x")
    assert r2 == r1 + 1
    assert c.get("/gtmd/nodes/a") == "one"
    assert c.get_prefix("/gtmd/nodes/") == {"/gtmd/nodes/a": "one", "/gtmd/nodes/b": "two"}
    assert c.delete("/gtmd/nodes/a") == 1
    assert c.get("/gtmd/nodes/a") is None
    assert c.delete("/gtmd/", prefix=True) == 2
    assert c.get_prefix("/gtmd/") == {}
    rev = c.revision()
    c.compact(rev)
    with pytest.raises(EtcdError, match="compacted"):
        c.compact(rev - 1)
    # stopped and started again: the data is still there
    c.put("/gtmd/kept", "yes")
    c.stop(0)
    assert c.running() == []
    c.start(0)
    c.wait_healthy(10)
    assert c.get("/gtmd/kept") == "yes"


def test_three_members_leader_fails_over(etcd_cluster):
    c = etcd_cluster(3)
    urls = c.urls_arg().split(",")
    assert urls == c.client_urls() and len(set(urls)) == 3
    old = c.wait_leader(5)
    c.put("/gtmd/k", "before")
    assert c.stop(old) is not None
    new = c.wait_leader(10, exclude={old})
    assert new != old
    c.put("/gtmd/k", "after")
    assert c.get("/gtmd/k", member=new) == "after"
    c.start(old)
    c.wait_healthy(10)
    # the restarted member caught up (a linearizable read through it)
    assert c.get("/gtmd/k", member=old) == "after"
    # a follower killed outright: the other two still write
    follower = next(i for i in c.running() if i != c.wait_leader(5))
    c.kill(follower)
    assert c.members[follower].returncode == -signal.SIGKILL
    c.put("/gtmd/k", "two of three")
    c.start(follower)
    c.wait_healthy(10)
    assert c.get("/gtmd/k", member=follower) == "two of three"
    c.stop_all()
    assert c.running() == []
    c.start_all()
    c.wait_healthy(10)
    assert c.get_prefix("/gtmd/") == {"/gtmd/k": "two of three"}
