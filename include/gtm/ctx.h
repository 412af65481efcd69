/* ctx.h: the daemon's one context: the control loop, the published snapshot
 * and the workers. The only mutable state shared across threads is the
 * snapshot pointer and the epoch counters below. A contract: the functions
 * that work on it are declared beside their code (src/ctx.h); what the
 * control plane asks of the wiring (a reload, a changed profile) it calls
 * through the two pointers below, set by src/reload.c. */
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
struct fleet;
struct reload_job;
struct config_errors;
struct profile_change;
struct dns_notifier;
struct dns_cookie_secrets;
struct dnstap;

struct gtm_ctx {
    struct event_base *base; /* the control loop: signals, reload, reclamation */
    const struct gtm_options *opt;
    _Atomic(struct gtm_snapshot *) snap; /* what workers answer from */
    _Atomic uint64_t epoch;              /* bumped on every publish */
    struct monitor *monitor;             /* probes; writes the published snapshot's health slots */
    struct demo *demo;                   /* --demo endpoints */
    struct api *api;                     /* the management API, or NULL */
    struct fleet *fleet;                 /* fleet mode (--etcd), or NULL */
    struct worker **workers;
    unsigned nworkers;
    struct dns_cookie_secrets *cookies; /* the server cookie secrets the workers read (dns/) */
    struct event *cookie_ev;            /* rotates them (no --cookie-secret, no --etcd) */
    struct dnstap *dnstap;              /* --dnstap's writer (dns/dnstap.h), or NULL */
    struct gtm_snapshot *retired;       /* the previous snapshot, freed once no worker holds it */
    struct gtm_snapshot *retired_next;  /* the one published over it: its counts go there */
    uint64_t retired_epoch;
    struct event *reclaim_ev;
    struct event *resign_ev; /* --keys: reloads every --rrsig-refresh seconds (src/reload.c) */
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
    struct dns_notifier *notifier; /* --notify (src/dnsnotify.c), or NULL */
    uint64_t notifies[3];          /* NOTIFYs sent, acknowledged, given up */
    int exit_code;
    /* Set by reload_init_events (src/reload.c), called by the API:
     * reload_now loads every file again now, on the loop (ctx_reload_errors);
     * change_profile applies one profile's change (reload_profile). */
    int (*reload_now)(struct gtm_ctx *ctx, struct config_errors *out);
    int (*change_profile)(struct gtm_ctx *ctx, struct profile_change *c, struct config_errors *out);
};

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

#endif
