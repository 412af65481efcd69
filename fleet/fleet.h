/* fleet.h: fleet mode (SPEC §11): several gtmd share profiles, health
 * verdicts and drill overrides through etcd and give the same answer.
 *
 * What a node does: it keeps serving from its snapshot and its cache
 * (the profiles directory) whatever etcd does; in the background it holds
 * a lease, publishes its membership and its own verdict on each probe
 * (only when that verdict changes, attached to the lease), reads every key
 * of the fleet once (range) and then follows them (watch from the revision
 * after), applying remote profile changes through reload_profile and
 * remote verdicts and overrides through the monitor. The answering threads
 * never see any of it but the health slots the monitor writes. When etcd
 * goes away the node retries with backoff and resyncs when it comes back.
 *
 * Keys under --etcd-prefix: profiles/<name> (lower case), health/<probe
 * id>/<node>, overrides/<profile>/<endpoint> (lower case), nodes/<node>,
 * cookie-secret (the DNS cookie secrets, fleet/cookies.h).
 * A probe id is the first 32 hex digits of the SHA-256 of the probe's key
 * (gtm/probe.h): every node derives the same id from the same profile.
 *
 * Loop thread only. */
#ifndef GTM_FLEET_FLEET_H
#define GTM_FLEET_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct gtm_ctx;
struct fleet;
struct evbuffer;

/* fleet_start: fleet mode for ctx (ctx->opt->etcd set, the first snapshot
 * published, ctx->monitor made): from now on the monitor publishes the
 * fleet's verdicts. Connects in the background and never waits for etcd.
 * Returns NULL after logging why (an unreadable --etcd-user-file). */
struct fleet *fleet_start(struct gtm_ctx *ctx);

/* fleet_stop: leaves the fleet (revokes the lease, so this node's verdicts
 * and membership go at once; at most a second) and frees. NULL: no-op. */
void fleet_stop(struct fleet *f);

/* fleet_node: this node's name. */
const char *fleet_node(const struct fleet *f);

/* fleet_commit_profile: the API's write of profile name (text: the
 * document; NULL: delete it), committed to etcd before it is applied here,
 * in a transaction on the revision this node last applied for it. Returns
 * 0 (committed), GTM_EEXIST (another node changed it since: why says which
 * revision; this node catches up through its watch), or GTM_EIO (etcd
 * cannot commit now: why). Blocks for at most the etcd timeout. */
int fleet_commit_profile(struct fleet *f, const char *name, const char *text, char *why,
                         size_t whylen);

/* fleet_commit_override: the API's drill override of profile/endpoint
 * (state EPS_ONLINE or EPS_DEGRADED, or MONITOR_UNFORCE to clear it),
 * committed to etcd; the caller then applies it here (monitor_force).
 * Returns 0 or GTM_EIO with why. */
int fleet_commit_override(struct fleet *f, const char *profile, const char *endpoint, int state,
                          char *why, size_t whylen);

/* fleet_probe_json: what the fleet knows of probe key: {"node": this
 * node, "quorum": needed, "voters", "degraded", "state", "disagree",
 * "nodes": {name: {"state","failures","lastResult","time"}}}. Returns new;
 * NULL when f is NULL. */
json_t *fleet_probe_json(const struct fleet *f, const char *key);

/* fleet_json: the fleet as this node sees it (GET /gtmd/v1/fleet, gtmctl
 * fleet): {"node","etcd":{"url","reachable","revision","lease"},"quorum",
 * "nodes":[{"name","version","api","started","self"}],"disagreements",
 * "cookieSecret" (when shared: fleet/cookies.h)}. Returns new. */
json_t *fleet_json(const struct fleet *f);

/* fleet_metrics: the gtmd_fleet_* families, Prometheus text format. */
void fleet_metrics(const struct fleet *f, struct evbuffer *out);

/* fleet_probe_id: the id of probe key in the fleet's keys (33 bytes with
 * the NUL). */
void fleet_probe_id(const char *key, char id[33]);

#endif
