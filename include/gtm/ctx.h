/* ctx.h: the daemon's one context: the control loop, the published snapshot
 * and the workers. The only mutable state shared across threads is the
 * snapshot pointer and the epoch counters below. */
#ifndef GTM_GTM_CTX_H
#define GTM_GTM_CTX_H

#include <stdatomic.h>
#include <stdint.h>

struct event_base;
struct event;
struct gtm_snapshot;
struct gtm_options;
struct worker;
struct monitor;
struct demo;
struct api;
struct api;

struct gtm_ctx {
    struct event_base *base; /* the control loop: signals, reload, reclamation */
    const struct gtm_options *opt;
    _Atomic(struct gtm_snapshot *) snap; /* what workers answer from */
    _Atomic uint64_t epoch;              /* bumped on every publish */
    struct monitor *monitor;             /* probes; writes the published snapshot's health slots */
    struct demo *demo;                   /* --demo endpoints */
    struct api *api;                     /* the management API, or NULL */
    struct worker **workers;
    unsigned nworkers;
    struct gtm_snapshot *retired; /* the previous snapshot, freed once no worker holds it */
    uint64_t retired_epoch;
    struct event *reclaim_ev;
    struct event *sig_hup, *sig_term, *sig_int;
    uint64_t reloads_ok, reloads_failed;
    int exit_code;
};

/* ctx_publish: makes snap the one new queries see; the previous one is freed
 * when every worker has passed a quiescent point. Loop thread only. */
void ctx_publish(struct gtm_ctx *ctx, struct gtm_snapshot *snap);

/* ctx_reload: loads everything again; on any error keeps the current
 * snapshot and returns GTM_ECONFIG after logging each error. Loop thread. */
int ctx_reload(struct gtm_ctx *ctx);

struct config_errors;
/* ctx_reload_errors: ctx_reload that also passes every error to out (when
 * not NULL), e.g. to put them in an API response. Loop thread only. */
int ctx_reload_errors(struct gtm_ctx *ctx, struct config_errors *out);

/* ctx_init_events/ctx_cleanup_events: the control loop's own timers. */
void ctx_init_events(struct gtm_ctx *ctx);
void ctx_cleanup_events(struct gtm_ctx *ctx);

#endif
