// sdk_test.js: the official Azure Traffic Manager management SDK for
// JavaScript (@azure/arm-trafficmanager) driving gtmd's ARM API, unchanged
// but for where it points. Run by tests/system/test_api_sdk.py:
//
//   node sdk_test.js URL TOKEN SUBSCRIPTION RESOURCE_GROUP PROFILE RELATIVE_NAME
//
// Each step prints one JSON line {"step", "ok", "result" | "error"} and
// then waits for a line on stdin, so that the test can check the DNS
// answers between steps. The bearer token is a static TokenCredential.
"use strict";

const readline = require("readline");
const { TrafficManagerManagementClient } = require("@azure/arm-trafficmanager");

const [url, token, subscription, rg, name, relative] = process.argv.slice(2);
const TYPE = "Microsoft.Network/trafficManagerProfiles";

const credential = {
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600 * 1000 }),
};
const client = new TrafficManagerManagementClient(credential, subscription, {
  $host: url,
  endpoint: url,
  credentialScopes: ["https://management.azure.com/.default"],
  retryOptions: { maxRetries: 0 },
});

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function step(label, fn) {
  let out;
  try {
    out = { step: label, ok: true, result: await fn() };
  } catch (e) {
    out = {
      step: label,
      ok: false,
      error: { statusCode: e.statusCode, code: e.code, message: e.message },
    };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
  const next = await lines.next();
  if (next.done || next.value.trim() === "stop") process.exit(0);
}

async function collect(iter) {
  const out = [];
  for await (const x of iter) out.push(x);
  return out;
}

async function main() {
  await step("name-free", () =>
    client.profiles.checkTrafficManagerNameAvailabilityV2({ name: relative, type: TYPE }));
  await step("create", () =>
    client.profiles.createOrUpdate(rg, name, {
      location: "global",
      tags: { purpose: "sdk-test" },
      profileStatus: "Enabled",
      trafficRoutingMethod: "Priority",
      dnsConfig: { relativeName: relative, ttl: 30 },
      monitorConfig: { protocol: "HTTP", port: 80, path: "/", intervalInSeconds: 10,
                       timeoutInSeconds: 5, toleratedNumberOfFailures: 2 },
      endpoints: [
        { name: "primary", type: TYPE + "/externalEndpoints", target: "127.0.0.41",
          endpointStatus: "Enabled", priority: 1, alwaysServe: "Enabled" },
        { name: "secondary", type: TYPE + "/externalEndpoints", target: "127.0.0.42",
          endpointStatus: "Enabled", priority: 2, alwaysServe: "Enabled" },
      ],
    }));
  await step("get", () => client.profiles.get(rg, name));
  await step("endpoint-disable", () =>
    client.endpoints.update(rg, name, "ExternalEndpoints", "primary", {
      endpointStatus: "Disabled",
    }));
  await step("endpoint-create", () =>
    client.endpoints.createOrUpdate(rg, name, "ExternalEndpoints", "third", {
      target: "127.0.0.43", endpointStatus: "Enabled", priority: 3, alwaysServe: "Enabled",
    }));
  await step("endpoint-get", () => client.endpoints.get(rg, name, "ExternalEndpoints", "third"));
  await step("update", () =>
    client.profiles.update(rg, name, { tags: { purpose: "sdk-test", changed: "yes" },
                                       dnsConfig: { ttl: 7 } }));
  await step("list-rg", () => collect(client.profiles.listByResourceGroup(rg)));
  await step("list-sub", () => collect(client.profiles.listBySubscription()));
  await step("name-taken", () =>
    client.profiles.checkTrafficManagerRelativeDnsNameAvailability({ name: relative, type: TYPE }));
  await step("get-missing", () => client.profiles.get(rg, name + "-missing"));
  await step("create-invalid", () =>
    client.profiles.createOrUpdate(rg, name + "-bad", {
      location: "global", trafficRoutingMethod: "Priority",
      dnsConfig: { relativeName: "bad name!" },
    }));
  await step("endpoint-delete", () =>
    client.endpoints.delete(rg, name, "ExternalEndpoints", "secondary"));
  await step("delete", () => client.profiles.delete(rg, name));
  await step("get-deleted", () => client.profiles.get(rg, name));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(String((e && e.stack) || e) + "\n");
    process.exit(1);
  });
