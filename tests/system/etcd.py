"""Real etcd clusters for the fleet's system tests.

EtcdCluster starts N members (1 or 3) of the Debian etcd-server binary
(3.4, /usr/bin/etcd) on free ports of 127.0.0.1 (never 2379/2380: a system
etcd may listen there), each with its data directory and log file under a
directory the test owns, and talks to them through etcd's JSON gateway
(/v3/kv/*, /v3/maintenance/status; keys and values in base64), which is
what gtmd itself uses. Members are stopped and started again by index, to
test what a node does when etcd or its leader goes away. Every process is
stopped by its PID; nothing is removed (the directory belongs to the test).

    c = EtcdCluster(tmp_path, size=3)
    c.start_all()
    c.wait_healthy(10)
    c.put("/gtmd/x", "1")
    c.stop(c.leader_index())
    ...
    c.close()

The `etcd_cluster` fixture of conftest.py makes them and closes them at
teardown. Environment: GTMD_ETCD, the etcd binary (default /usr/bin/etcd).
"""

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ETCD = os.environ.get("GTMD_ETCD") or "/usr/bin/etcd"
RESERVED_PORTS = {2379, 2380}  # a system etcd's own

# Proxies from the environment must not see loopback requests.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def etcd_available():
    return os.access(ETCD, os.X_OK)


def free_tcp_ports(n, host="127.0.0.1"):
    """n distinct TCP ports free on host (none of RESERVED_PORTS): each
    bound to port 0, all held until every one is picked."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, 0))
            socks.append(s)
            port = s.getsockname()[1]
            if port not in RESERVED_PORTS and port not in ports:
                ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode(text or "")


def prefix_end(prefix):
    """The range_end that selects every key starting with prefix (bytes)."""
    p = bytearray(prefix)
    while p:
        if p[-1] < 0xFF:
            p[-1] += 1
            return bytes(p)
        p.pop()
    return b"\0"  # every key


class EtcdError(Exception):
    pass


class Member:
    def __init__(self, index, name, client_port, peer_port, data_dir, log_path):
        self.index = index
        self.name = name
        self.client_port = client_port
        self.peer_port = peer_port
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.proc = None
        self.started = False  # ever started: its data directory holds a member
        self.returncode = None

    @property
    def client_url(self):
        return "http://127.0.0.1:%d" % self.client_port

    @property
    def peer_url(self):
        return "http://127.0.0.1:%d" % self.peer_port

    def running(self):
        return self.proc is not None and self.proc.poll() is None


class EtcdCluster:
    """N etcd members on 127.0.0.1; see the module's docstring."""

    def __init__(self, workdir, size=1, heartbeat_ms=100, election_ms=1000, token=None):
        if size < 1:
            raise ValueError("size must be at least 1")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.heartbeat_ms = heartbeat_ms
        self.election_ms = election_ms
        # unique per cluster, so that members of two clusters never join
        self.token = token or "gtmd-test-%d-%d" % (os.getpid(), int(time.time() * 1e6))
        ports = free_tcp_ports(2 * size)
        self.members = [
            Member(i, "m%d" % i, ports[2 * i], ports[2 * i + 1],
                   self.workdir / ("m%d.etcd" % i), self.workdir / ("m%d.log" % i))
            for i in range(size)
        ]

    # -- processes ---------------------------------------------------------
    @property
    def size(self):
        return len(self.members)

    def _initial_cluster(self):
        return ",".join("%s=%s" % (m.name, m.peer_url) for m in self.members)

    def _argv(self, m, state):
        return [
            ETCD,
            "--name", m.name,
            "--data-dir", str(m.data_dir),
            "--listen-client-urls", m.client_url,
            "--advertise-client-urls", m.client_url,
            "--listen-peer-urls", m.peer_url,
            "--initial-advertise-peer-urls", m.peer_url,
            "--initial-cluster", self._initial_cluster(),
            "--initial-cluster-token", self.token,
            "--initial-cluster-state", state,
            "--heartbeat-interval", str(self.heartbeat_ms),
            "--election-timeout", str(self.election_ms),
            "--logger", "zap",
            "--log-outputs", "stderr",
        ]

    def start(self, i):
        """Starts member i: new the first time, then again from its data
        directory (--initial-cluster-state existing). No-op if running."""
        m = self.members[i]
        if m.running():
            return
        state = "existing" if m.started else "new"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}
        with open(m.log_path, "ab") as log:
            log.write(("==== %s: %s\n" % (time.strftime("%H:%M:%S"), state)).encode())
            log.flush()
            m.proc = subprocess.Popen(
                self._argv(m, state),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=str(self.workdir),
                env=env,
            )
        m.started = True
        m.returncode = None

    def start_all(self):
        for i in range(self.size):
            self.start(i)

    def stop(self, i, sig=signal.SIGTERM, timeout=10):
        """Sends sig to member i (by PID) and waits for it to exit (SIGKILL
        after timeout). Returns its exit status, None if it was not running."""
        m = self.members[i]
        if m.proc is None:
            return None
        if m.proc.poll() is None:
            try:
                os.kill(m.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                m.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(m.proc.pid, signal.SIGKILL)
                m.proc.wait()
        m.returncode = m.proc.returncode
        m.proc = None
        return m.returncode

    def kill(self, i):
        return self.stop(i, signal.SIGKILL)

    def stop_all(self, sig=signal.SIGTERM):
        for i in range(self.size):
            self.stop(i, sig)

    def close(self):
        """Stops every member it started; removes nothing."""
        self.stop_all()

    def running(self):
        return [m.index for m in self.members if m.running()]

    def pids(self):
        return [m.proc.pid if m.running() else None for m in self.members]

    def logs(self, tail=4000):
        out = []
        for m in self.members:
            try:
                text = m.log_path.read_text(errors="replace")
            except FileNotFoundError:
                text = ""
            out.append("==== etcd %s (%s, client %s)\n%s"
                       % (m.name, "running" if m.running() else "stopped", m.client_url,
                          text[-tail:]))
        return "\n".join(out)

    # -- addresses ---------------------------------------------------------
    def client_urls(self):
        return [m.client_url for m in self.members]

    def urls_arg(self):
        """The client URLs as --etcd takes them: "http://..,http://..."."""
        return ",".join(self.client_urls())

    # -- HTTP --------------------------------------------------------------
    def _http(self, m, path, body=None, timeout=2.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(m.client_url + path, data=data,
                                     method="GET" if body is None else "POST")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with _OPENER.open(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}")

    def call(self, path, body, member=None, timeout=10.0):
        """POSTs body (JSON) to the gateway path of member (an index), or of
        the running members in turn, retrying while none can answer (refused
        connections, 503/504: an election, a member starting) until timeout
        passes. Any other error is raised at once (EtcdError). A retried
        write may have been applied already: use idempotent ones. Returns
        the decoded reply."""
        deadline = time.time() + timeout
        last = None
        while True:
            order = [member] if member is not None else self.running()
            for i in order:
                m = self.members[i]
                if not m.running():
                    last = "member %s is not running" % m.name
                    continue
                left = max(0.2, min(2.0, deadline - time.time()))
                try:
                    reply = self._http(m, path, body, timeout=left)
                except urllib.error.HTTPError as e:
                    text = e.read()[:300].decode(errors="replace")
                    last = "%s: HTTP %d %s" % (m.name, e.code, text)
                    if e.code not in (503, 504):  # not "no leader" nor "timed out": final
                        raise EtcdError("%s: %s" % (path, last)) from None
                    continue
                except (OSError, ValueError) as e:
                    last = "%s: %r" % (m.name, e)
                    continue
                return reply
            if not order:
                last = "no member is running"
            if time.time() >= deadline:
                raise EtcdError("%s failed for %.1fs: %s" % (path, timeout, last))
            time.sleep(0.05)

    # -- health and leadership ---------------------------------------------
    def health(self, i, timeout=1.0):
        """True when member i answers GET /health with health "true"."""
        m = self.members[i]
        if not m.running():
            return False
        try:
            return self._http(m, "/health", timeout=timeout).get("health") == "true"
        except (OSError, ValueError):
            return False

    def wait_healthy(self, timeout=10.0):
        """Waits until every running member is healthy (it has a leader and
        serves reads); raises EtcdError with the logs otherwise."""
        deadline = time.time() + timeout
        while True:
            sick = [i for i in self.running() if not self.health(i)]
            if not sick and self.running():
                return self
            if time.time() >= deadline:
                raise EtcdError("etcd members %s not healthy after %.1fs\n%s"
                                % ([self.members[i].name for i in sick] or "(none running)",
                                   timeout, self.logs()))
            time.sleep(0.05)

    def status(self, i, timeout=1.0):
        """POST /v3/maintenance/status of member i, or None."""
        try:
            return self._http(self.members[i], "/v3/maintenance/status", {}, timeout=timeout)
        except (OSError, ValueError):
            return None

    def leader_index(self):
        """The index of the running member that is the leader (its own
        member_id is the leader it reports), or None."""
        for i in self.running():
            st = self.status(i)
            if st and st.get("leader") and st.get("header", {}).get("member_id") == st["leader"]:
                return i
        return None

    def wait_leader(self, timeout=10.0, exclude=()):
        """Waits for a leader among the running members (not in exclude)."""
        deadline = time.time() + timeout
        while True:
            i = self.leader_index()
            if i is not None and i not in exclude:
                return i
            if time.time() >= deadline:
                raise EtcdError("no leader after %.1fs\n%s" % (timeout, self.logs()))
            time.sleep(0.05)

    # -- keys --------------------------------------------------------------
    def put(self, key, value, member=None, timeout=10.0):
        """Writes key = value (str or bytes); returns the revision."""
        r = self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)}, member, timeout)
        return int(r["header"]["revision"])

    def range(self, key, range_end=None, member=None, timeout=10.0, **extra):
        """POST /v3/kv/range as is (key, range_end as str or bytes)."""
        body = {"key": b64(key)}
        if range_end is not None:
            body["range_end"] = b64(range_end)
        body.update(extra)
        return self.call("/v3/kv/range", body, member, timeout)

    def get(self, key, member=None, timeout=10.0):
        """The value of key as str (bytes if it is not UTF-8), or None."""
        kvs = self.range(key, member=member, timeout=timeout).get("kvs") or []
        if not kvs:
            return None
        v = unb64(kvs[0].get("value"))
        try:
            return v.decode()
        except UnicodeDecodeError:
            return v

    def get_prefix(self, prefix, member=None, timeout=10.0):
        """{key: value} (str) of every key starting with prefix."""
        p = prefix.encode() if isinstance(prefix, str) else prefix
        r = self.range(p, prefix_end(p), member=member, timeout=timeout)
        out = {}
        for kv in r.get("kvs") or []:
            k, v = unb64(kv.get("key")), unb64(kv.get("value"))
            out[k.decode(errors="replace")] = v.decode(errors="replace")
        return out

    def delete(self, key, prefix=False, member=None, timeout=10.0):
        """Deletes key (every key under it with prefix=True); returns how many."""
        k = key.encode() if isinstance(key, str) else key
        body = {"key": b64(k)}
        if prefix:
            body["range_end"] = b64(prefix_end(k))
        r = self.call("/v3/kv/deleterange", body, member, timeout)
        return int(r.get("deleted", 0))

    def revision(self, member=None, timeout=10.0):
        """The store's current revision."""
        return int(self.range("\0", member=member, timeout=timeout)["header"]["revision"])

    def compact(self, revision, physical=True, member=None, timeout=10.0):
        """Compacts the history up to revision (watches from before it then
        fail with "compacted")."""
        self.call("/v3/kv/compaction", {"revision": str(int(revision)), "physical": physical},
                  member, timeout)
