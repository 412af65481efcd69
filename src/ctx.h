/* ctx.h: what src/ does with the daemon's context (gtm/ctx.h): publish a
 * snapshot, reload (in the background on SIGHUP, or now), change one
 * profile, and the control loop's own events. Implemented in ctx.c
 * (signals, lifetime) and reload.c (load, publish, reclaim, and
 * reload_profile, the one way a single profile changes). For src/ and the
 * tests: the API reaches reload and reload_profile through the context's
 * pointers. */
#ifndef GTM_SRC_CTX_H
#define GTM_SRC_CTX_H

#include "gtm/ctx.h"

struct config_errors;

/* ctx_publish: makes snap the one new queries see; the previous one is freed
 * when every worker has passed a quiescent point. Loop thread only. */
void ctx_publish(struct gtm_ctx *ctx, struct gtm_snapshot *snap);

/* ctx_reload: loads everything again in the background (SIGHUP), in a
 * thread at the lowest CPU priority, so that under a load that takes every
 * CPU the reload waits for idle time instead of taking it from the
 * answering threads, and the control loop goes on probing and serving the
 * API meanwhile. The result is published on the loop when it is ready; on
 * any error the current snapshot stays and each error is logged. A call
 * while a reload runs makes another one follow it. Loop thread. */
void ctx_reload(struct gtm_ctx *ctx);

/* ctx_reload_errors: loads everything again now, on the loop (the API's
 * reload route, whose reply waits for it); on any error keeps
 * the current snapshot and returns GTM_ECONFIG after logging each error
 * and passing it to out (when not NULL). A background reload that started
 * before it is dropped when it ends, and runs again. Loop thread only. */
int ctx_reload_errors(struct gtm_ctx *ctx, struct config_errors *out);

/* reload_profile: the entry point for a change of one profile: checks np
 * against the profiles served (one rule for name clashes, then nesting and
 * loops), stores it, builds the next snapshot sharing every other profile
 * and zone with the current one (snapshot_change), and publishes it, as a
 * reload does (same log line and counters). np is taken in every case
 * (freed unless published). old and the current snapshot are invalid once
 * it returns CHANGE_OK. Loop thread only. */
int reload_profile(struct gtm_ctx *ctx, struct profile_change *c, struct config_errors *out);

/* ctx_init_events/ctx_cleanup_events: the control loop's own events:
 * signals (HUP reloads, TERM and INT stop the loop), reclamation, the
 * background reload. cleanup also frees the snapshots. */
void ctx_init_events(struct gtm_ctx *ctx);
void ctx_cleanup_events(struct gtm_ctx *ctx);

/* reload_init_events/reload_cleanup_events: reload.c's part of them. */
void reload_init_events(struct gtm_ctx *ctx);
void reload_cleanup_events(struct gtm_ctx *ctx);

#endif
