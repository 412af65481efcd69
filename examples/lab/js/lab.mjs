// The test session: a gtmd standing in for Azure Traffic Manager on free
// loopback ports, `node --test` run against it, gtmd stopped by PID.
//
// The tests find gtmd through GTMD_URL, GTMD_DNS_PORT and GTMD_TOKEN, and
// trust its self-signed certificate through NODE_EXTRA_CA_CERTS, which
// node reads only when it starts: so the tests run in a child process
// started after gtmd has made its certificate. GTMD names the gtmd binary
// (default: gtmd on PATH).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

// A port free for UDP and TCP on 127.0.0.1.
async function freePort() {
  for (;;) {
    const udp = createSocket("udp4");
    await new Promise((ok) => udp.bind(0, "127.0.0.1", ok));
    const port = udp.address().port;
    const tcp = createServer();
    const free = await new Promise((ok) => {
      tcp.once("error", () => ok(false));
      tcp.listen(port, "127.0.0.1", () => ok(true));
    });
    udp.close();
    if (free) {
      await new Promise((ok) => tcp.close(ok));
      return port;
    }
  }
}

const accepts = (port) =>
  new Promise((ok) => {
    const s = connect(port, "127.0.0.1", () => ok(s.end() && true));
    s.once("error", () => ok(false));
  });

const state = mkdtempSync(join(tmpdir(), "gtmd-lab-"));
const token = randomBytes(24).toString("hex");
writeFileSync(join(state, "tokens"), token + "\n", { mode: 0o600 });
const dnsPort = await freePort();
let apiPort;
do apiPort = await freePort();
while (apiPort === dnsPort);
const log = join(state, "gtmd.log");
const gtmd = spawn(
  process.env.GTMD || "gtmd",
  ["--listen", `127.0.0.1:${dnsPort}`, "--api", `127.0.0.1:${apiPort}`, "--state-dir", state,
   "--api-token-file", join(state, "tokens"), "--workers", "1"],
  { stdio: ["ignore", openSync(log, "w"), openSync(log, "a")] },
);
let spawnError = null; // e.g. no gtmd binary: spawn reports it here, not by exit
gtmd.on("error", (e) => (spawnError = e));
const running = () => gtmd.pid !== undefined && gtmd.exitCode === null && gtmd.signalCode === null;
const cert = join(state, "api.crt");
let status = 1;
try {
  const deadline = Date.now() + 5000;
  while (!(existsSync(cert) && (await accepts(apiPort)))) {
    if (!running() || Date.now() > deadline) {
      await sleep(10); // spawn's 'error' event, if any, comes after this tick
      if (spawnError) throw new Error(`cannot run ${gtmd.spawnfile}: ${spawnError.message}`);
      throw new Error("gtmd did not start:\n" + readFileSync(log, "utf8"));
    }
    await sleep(50);
  }
  const args = ["--test", "--test-reporter=spec", ...process.argv.slice(2)];
  const tests = spawn(process.execPath, args, {
    stdio: "inherit",
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: cert,
      NO_PROXY: "127.0.0.1",
      GTMD_URL: `https://127.0.0.1:${apiPort}`,
      GTMD_DNS_PORT: String(dnsPort),
      GTMD_TOKEN: token,
    },
  });
  status = await new Promise((ok) => tests.on("exit", (code) => ok(code ?? 1)));
} finally {
  if (running()) {
    const exited = new Promise((ok) => gtmd.once("exit", ok));
    gtmd.kill("SIGTERM"); // by its PID
    await exited;
  }
  if (status !== 0 && existsSync(log)) process.stderr.write(readFileSync(log, "utf8"));
  rmSync(state, { recursive: true, force: true });
}
process.exit(status);
