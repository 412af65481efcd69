"""gtmd as a systemd Type=notify service (sd_notify(3) through libsystemd):
READY=1 once it answers DNS, RELOADING=1 then READY=1 around a SIGHUP
reload, STOPPING=1 at SIGTERM. The test is the service manager: it listens
on a datagram socket of its own and passes it in $NOTIFY_SOCKET, as systemd
does. Also: the example unit says Type=notify and has a StateDirectory for
the example configuration's state-dir."""

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import dns.rcode
import pytest

from conftest import GTMD, scaled

HERE = Path(__file__).resolve().parent
TOP = HERE.parent.parent


def built_with_systemd():
    cfg = Path(GTMD).with_name("config.h")
    return cfg.exists() and "#define HAVE_LIBSYSTEMD 1" in cfg.read_text()


pytestmark = pytest.mark.skipif(not built_with_systemd(),
                                reason="gtmd built without libsystemd (--without-systemd)")


def messages(sock, want, timeout):
    """Datagrams until one holds want; returns every one read."""
    got = []
    sock.settimeout(scaled(timeout))
    while True:
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            raise AssertionError("no %r from gtmd; got %r" % (want, got))
        got.append(data)
        if want in data.split("\n"):
            return got


def test_ready_reloading_stopping(gtmd_factory, tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    g = gtmd_factory.start(wait=False)
    got = messages(sock, "READY=1", 10)
    # ready means answering: the first query after READY=1 gets its answer
    r = g.query(g.domain, "SOA")
    assert r.rcode() == dns.rcode.NOERROR
    assert any(m.startswith("STATUS=answering") for d in got for m in d.split("\n")), got
    g.send_signal(signal.SIGHUP)
    got = messages(sock, "RELOADING=1", 10)
    got += messages(sock, "READY=1", 10)
    g.wait_log(r"reload: serving", timeout=5)
    g.stop()
    assert "STOPPING=1" in messages(sock, "STOPPING=1", 5)[-1]
    sock.close()


def test_without_notify_socket_nothing_is_sent(gtmd_factory, monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    g = gtmd_factory.start()
    assert g.query(g.domain, "SOA").rcode() == dns.rcode.NOERROR
    assert "systemd:" not in g.log


def test_example_unit_is_notify_with_a_state_directory():
    unit = (TOP / "examples" / "gtmd.service").read_text()
    conf = (TOP / "examples" / "gtmd.conf").read_text()
    assert re.search(r"^Type=notify$", unit, re.M)
    assert re.search(r"^StateDirectory=gtmd$", unit, re.M)
    state = re.search(r"^state-dir\s*=\s*(\S+)", conf, re.M).group(1)
    assert state == "/var/lib/gtmd", "StateDirectory=gtmd makes /var/lib/gtmd, not %s" % state
