// The application's Traffic Manager set-up, tested against the lab (run by
// lab.mjs): a Priority profile made with the Azure SDK for JavaScript, its
// primary failed, and the DNS answer checked to move to the secondary.
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { TrafficManagerManagementClient } from "@azure/arm-trafficmanager";

const { GTMD_URL, GTMD_DNS_PORT, GTMD_TOKEN } = process.env;
const EXTERNAL = "Microsoft.Network/trafficManagerProfiles/externalEndpoints";

// gtmd's --api-token-file token, as a TokenCredential.
const credential = {
  getToken: async () => ({ token: GTMD_TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }),
};
const tm = new TrafficManagerManagementClient(credential, "00000000-0000-0000-0000-000000000000", {
  endpoint: GTMD_URL,
  credentialScopes: [GTMD_URL + "/.default"],
});

const resolver = new Resolver({ timeout: 1000, tries: 1 });
resolver.setServers([`127.0.0.1:${GTMD_DNS_PORT}`]);
const answer = async (name) => (await resolver.resolve4(name)).sort();

async function eventually(check, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

// An endpoint's web server: GET answers 200 while healthy, 503 after.
function backend(address, port) {
  const b = { healthy: true };
  b.server = createServer((req, res) => res.writeHead(b.healthy ? 200 : 503).end());
  return new Promise((ok, fail) => {
    b.server.once("error", fail);
    b.server.listen(port, address, () => ok(b));
  });
}

// Two endpoints on one port (a profile probes all its endpoints there).
let primary, secondary, port;
before(async () => {
  for (;;) {
    primary = await backend("127.0.0.111", 0);
    port = primary.server.address().port;
    try {
      secondary = await backend("127.0.0.112", port);
      return;
    } catch {
      primary.server.close();
    }
  }
});
after(() => {
  primary.server.close();
  secondary.server.close();
});

test("the answer moves when the primary fails", async () => {
  // Probed every second, Degraded at the first failure (Azure's floor is
  // 10 s: gtmd takes 1 s with a warning).
  const p = await tm.profiles.createOrUpdate("lab", "app-js", {
    location: "global",
    trafficRoutingMethod: "Priority",
    dnsConfig: { relativeName: "app-js-lab", ttl: 0 },
    monitorConfig: { protocol: "HTTP", port, path: "/health", intervalInSeconds: 1,
                     timeoutInSeconds: 1, toleratedNumberOfFailures: 0 },
    endpoints: [
      { name: "primary", type: EXTERNAL, target: "127.0.0.111", priority: 1 },
      { name: "secondary", type: EXTERNAL, target: "127.0.0.112", priority: 2 },
    ],
  });
  const fqdn = p.dnsConfig.fqdn;
  assert.deepEqual(await answer(fqdn), ["127.0.0.111"]);
  primary.healthy = false;
  assert.ok(await eventually(async () => (await answer(fqdn))[0] === "127.0.0.112"));
  const ep = await tm.endpoints.get("lab", "app-js", "ExternalEndpoints", "primary");
  assert.equal(ep.endpointMonitorStatus, "Degraded");
  await tm.profiles.delete("lab", "app-js");
});
