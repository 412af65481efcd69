/* ctx.h: the daemon's one context: the control loop, the published snapshot
 * and the workers. The only mutable state shared across threads is the
 * snapshot pointer and the epoch counters below. Implemented in src/:
 * ctx.c (signals, lifetime) and reload.c (load, publish, reclaim, and
 * reload_profile, the one way a single profile changes). */
#ifndef GTM_GTM_CTX_H
#define GTM_GTM_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct event;
struct gtm_snapshot;
struct gtm_options;
struct worker;
struct monitor;
struct demo;
struct api;
struct reload_job;

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
    pthread_t freer; /* frees retired snapshots in the background */
    bool freeing;
    struct reload_job *job; /* the background reload in flight, or NULL */
    struct event *job_done_ev;
    int job_done_fd;  /* eventfd: the job's thread says it is done */
    bool job_again;   /* a SIGHUP came while the job ran: load again after it */
    uint64_t loads;   /* loads started; a job older than the last foreground load is dropped */
    uint64_t fg_load; /* the number of the last foreground load */
    uint64_t reloads_ok, reloads_failed;
    int exit_code;
};

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

struct config_errors;
/* ctx_reload_errors: loads everything again now, on the loop (the API's
 * reload route, whose reply waits for it); on any error keeps
 * the current snapshot and returns GTM_ECONFIG after logging each error
 * and passing it to out (when not NULL). A background reload that started
 * before it is dropped when it ends, and runs again. Loop thread only. */
int ctx_reload_errors(struct gtm_ctx *ctx, struct config_errors *out);

struct profile;
/* One profile created, replaced or deleted (the API's writes; the fleet's
 * remote changes): what reload_profile takes. */
struct profile_change {
    const struct profile *old; /* the profile served now, or NULL: a new one */
    struct profile *np;        /* the new one (profile_parse_owned), or NULL: delete old */
    /* The caller's steps, each optional; arg is theirs: */
    int (*precheck)(void *arg); /* after the name check: 0 to go on (it replies itself) */
    int (*store)(void *arg);    /* makes the change durable: 0, or a negative errno */
    void (*unstore)(void *arg); /* undoes store when the snapshot is refused */
    void *arg;
    const struct profile *clash; /* out: the profile whose DNS name np would take */
    int store_err;               /* out: what store returned */
};

enum change_result {
    CHANGE_OK,       /* stored and published */
    CHANGE_CLASH,    /* np's DNS name is taken: c->clash */
    CHANGE_PRECHECK, /* the caller's precheck said no */
    CHANGE_LINK,     /* nesting: reported through out */
    CHANGE_STORE,    /* store failed: c->store_err */
    CHANGE_REFUSED,  /* the new snapshot was refused (out; logged): unstore ran */
};

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
