/* reload.c: the one way configuration reaches the answering threads:
 * load (every file, at start and on SIGHUP, or one profile from the API) ->
 * validate -> reconcile health -> publish -> reclaim the snapshot replaced
 * once no worker can hold it (QSBR). */
#include "config.h"
#include "src/ctx.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns/server.h"
#include "monitor/monitor.h"
#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "profiles/check.h"
#include "src/daemon.h"
#include "src/demo.h"
#include "src/dnsnotify.h"
#include "src/notify.h"
#include "profiles/profile.h"
#include "zones/build.h"
#include "zones/stats.h"

void
daemon_error_sink(void *arg, const char *file, unsigned line, const char *msg)
{
    if (arg) { /* plain: for --check-config and startup, where editors read it */
        if (line)
            fprintf(stderr, "%s:%u: error: %s\n", file, line, msg);
        else
            fprintf(stderr, "%s: error: %s\n", file, msg);
    } else if (line) {
        log_err("%s:%u: error: %s", file, line, msg);
    } else {
        log_err("%s: error: %s", file, msg);
    }
}

struct gtm_snapshot *
daemon_load(const struct gtm_options *o, struct config_errors *errs)
{
    /* Without --ns: ns1.<domain>, at the addresses gtmd listens on (not an
     * unspecified one: which address a client used is not known). */
    struct gtm_nameserver def_ns = {0};
    for (size_t i = 0; i < o->nlisten && def_ns.naddr < GTM_NS_MAX_ADDR; i++) {
        const struct listen_addr *l = &o->listen[i];
        static const unsigned char zero[16];
        bool seen = false;
        for (unsigned k = 0; k < def_ns.naddr; k++)
            seen |=
                def_ns.addr[k].family == l->family && memcmp(def_ns.addr[k].addr, l->addr, 16) == 0;
        if (seen || memcmp(l->addr, zero, l->family == AF_INET ? 4 : 16) == 0)
            continue;
        def_ns.addr[def_ns.naddr].family = l->family;
        memcpy(def_ns.addr[def_ns.naddr].addr, l->addr, 16);
        def_ns.naddr++;
    }
    char version[64];
    struct snapshot_params p = {
        .zones_dir = o->zones,
        .profiles_dir = o->profiles,
        .profiles_must_exist = o->profiles_given,
        .demo_profile = o->demo ? demo_profile_json() : NULL,
        .strict = o->strict,
        .latency_table = o->latency_table,
        .geo_table = o->geo_table,
        .geoip = o->geoip,
        .nworkers = o->check_config ? 0 : server_threads(o),
        .domain = o->domain,
        .ns = o->nns ? o->ns : &def_ns,
        .nns = 1 > o->nns ? 1 : o->nns,
        .demo_zone = o->demo ? demo_zone_text : NULL,
        .demo_origin = demo_zone_origin,
        .nsid = options_nsid(o),
        .chaos_id = options_identity(o),
        .chaos_version = options_server_version(o, version, sizeof version),
        .keys_dir = o->keys,
        .rrsig_lifetime = o->rrsig_lifetime,
    };
    if (o->keys && o->rrsig_refresh && o->rrsig_refresh >= o->rrsig_lifetime) {
        config_error(errs, "--rrsig-refresh", 0,
                     "%u seconds: signatures would expire (--rrsig-lifetime %u) before they "
                     "are made again",
                     o->rrsig_refresh, o->rrsig_lifetime);
        return NULL;
    }
    return snapshot_load(&p, errs);
}

/* ---- work in the background, below the answering threads ----
 * A reload's loading and the freeing of the snapshot it replaces run in
 * threads at nice 19 (Linux: a thread id names one thread), with every
 * signal blocked. bench/reload-saturation: while other processes also
 * loaded the machine, reloads at nice 0 on the control loop (loading 2,000
 * profiles, then freeing the old ones: 10-45 ms of the loop each time)
 * took CPU from the answering threads and queries were lost; with the
 * control thread at nice 19, none were. Under a load that takes every CPU
 * a reload now takes longer (about a second for 2,000 profiles), and the
 * loop goes on probing and answering the API meanwhile. */

struct low_start {
    void *(*fn)(void *);
    void *arg;
};

static void *
low_main(void *arg)
{
    struct low_start st = *(struct low_start *)arg;
    free(arg);
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
        log_debug("cannot lower a background thread's priority: %s", strerror(errno));
    return st.fn(st.arg);
}

/* Starts fn(arg) in a joinable thread at nice 19; 0, or an errno value. */
static int
spawn_low(pthread_t *t, void *(*fn)(void *), void *arg)
{
    struct low_start *st = xmalloc(sizeof *st);
    st->fn = fn;
    st->arg = arg;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, low_main, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        free(st);
    return rc;
}

static void *
free_main(void *arg)
{
    snapshot_free(arg);
    return NULL;
}

/* Frees a snapshot that no reader can see any more, in the background. */
static void
retire_free(struct gtm_ctx *ctx, struct gtm_snapshot *s)
{
    if (ctx->freeing) {
        pthread_join(ctx->freer, NULL);
        ctx->freeing = false;
    }
    if (ctx->job_done_ev && spawn_low(&ctx->freer, free_main, s) == 0)
        ctx->freeing = true;
    else
        snapshot_free(s);
}

/* Frees the retired snapshot once every worker has been seen idle or in a
 * callback that started after the publish. Polled from the loop. */
static void
reclaim_cb(evutil_socket_t fd, short what, void *arg)
{
    struct gtm_ctx *ctx = arg;
    (void)fd;
    (void)what;
    if (!ctx->retired)
        return;
    if (!server_quiescent(ctx, ctx->retired_epoch)) {
        static const struct timeval again = {0, 2000};
        event_add(ctx->reclaim_ev, &again);
        return;
    }
    /* Into the snapshot published over it, not the newest: a change
     * shares its counters with the snapshot before it and moves only its
     * own profile's, so the carries go in the order of the publishes. */
    stats_carry(ctx->retired, ctx->retired_next);
    retire_free(ctx, ctx->retired);
    ctx->retired = ctx->retired_next = NULL;
}

void
ctx_publish(struct gtm_ctx *ctx, struct gtm_snapshot *snap)
{
    if (ctx->monitor)
        monitor_reconcile(ctx->monitor, snap); /* carries health over before anyone reads it */
    /* its generation before anyone can see it (only this thread publishes) */
    snap->generation = atomic_load(&ctx->epoch) + 1;
    struct gtm_snapshot *old = atomic_exchange(&ctx->snap, snap);
    uint64_t epoch = atomic_fetch_add(&ctx->epoch, 1) + 1;
    dns_notifier_publish(ctx->notifier, old, snap); /* reads old: before it is retired */
    if (!old)
        return;
    if (ctx->retired) {
        /* A reload before the last one was reclaimed: wait for both. */
        while (ctx->retired) {
            reclaim_cb(-1, 0, ctx);
            if (ctx->retired)
                sched_yield();
        }
    }
    ctx->retired = old;
    ctx->retired_next = snap;
    ctx->retired_epoch = epoch;
    if (ctx->reclaim_ev)
        reclaim_cb(-1, 0, ctx);
    else {
        stats_carry(old, snap);
        snapshot_free(old); /* no workers yet */
        ctx->retired = ctx->retired_next = NULL;
    }
}

/* Logs each error, then passes it on to the caller's sink. */
struct tee {
    struct config_errors *to;
};

static void
tee_sink(void *arg, const char *file, unsigned line, const char *msg)
{
    struct tee *t = arg;
    daemon_error_sink(NULL, file, line, msg);
    if (t->to && t->to->sink)
        t->to->sink(t->to->arg, file, line, msg);
}

/* Publishes a loaded snapshot, or says that the load failed. */
static int
finish_load(struct gtm_ctx *ctx, struct gtm_snapshot *snap, unsigned errors)
{
    if (!snap) {
        ctx->reloads_failed++;
        log_err("reload: %u error(s); still serving the previous configuration", errors);
        return GTM_ECONFIG;
    }
    ctx_publish(ctx, snap);
    ctx->reloads_ok++;
    log_info("reload: serving %u zone(s) and %u profile(s), %u probe(s), generation %llu",
             snap->nzones, snap->nprofiles, snap->nprobes, (unsigned long long)snap->generation);
    return 0;
}

int
ctx_reload_errors(struct gtm_ctx *ctx, struct config_errors *out)
{
    struct tee t = {out};
    struct config_errors errs = {0, tee_sink, &t};
    ctx->fg_load = ++ctx->loads;
    struct gtm_snapshot *snap = daemon_load(ctx->opt, &errs);
    if (out)
        out->count += errs.count;
    return finish_load(ctx, snap, errs.count);
}

/* ---- one profile ---- */

int
reload_profile(struct gtm_ctx *ctx, struct profile_change *c, struct config_errors *out)
{
    struct gtm_snapshot *cur = atomic_load(&ctx->snap);
    c->clash = profile_clash(cur, c->old, c->np);
    if (c->clash || (c->precheck && c->precheck(c->arg) != 0)) {
        profile_discard(c->np);
        return c->clash ? CHANGE_CLASH : CHANGE_PRECHECK;
    }
    if (profile_check(cur, c->old, c->np, out) != 0) {
        profile_discard(c->np);
        return CHANGE_LINK;
    }
    /* Every check that can refuse comes before the store (in a fleet,
     * etcd's commit, which other nodes apply at once): after it, only a
     * failure to allocate could still refuse the snapshot. */
    struct tee ct = {out};
    struct config_errors cerrs = {0, tee_sink, &ct};
    if (snapshot_change_check(cur, c->np, &cerrs) != 0) {
        if (out)
            out->count += cerrs.count;
        profile_discard(c->np);
        finish_load(ctx, NULL, cerrs.count);
        return CHANGE_REFUSED;
    }
    if (c->store && (c->store_err = c->store(c->arg)) != 0) {
        profile_discard(c->np);
        return CHANGE_STORE;
    }
    /* Written: from here on what is served follows, or the file goes back. */
    struct tee t = {out};
    struct config_errors errs = {0, tee_sink, &t};
    ctx->fg_load = ++ctx->loads; /* a background load started before misses this */
    struct gtm_snapshot *snap = snapshot_change(cur, c->old, c->np, &errs);
    if (out)
        out->count += errs.count;
    if (!snap && c->unstore)
        c->unstore(c->arg);
    return finish_load(ctx, snap, errs.count) == 0 ? CHANGE_OK : CHANGE_REFUSED;
}

/* ---- reloads in the background ---- */

struct reload_job {
    pthread_t thread;
    const struct gtm_options *opt;
    int done_fd;
    uint64_t number; /* ctx->loads when it started */
    struct gtm_snapshot *snap;
    unsigned errors;
};

static void *
job_main(void *arg)
{
    struct reload_job *j = arg;
    struct config_errors errs = {0, daemon_error_sink, NULL};
    j->snap = daemon_load(j->opt, &errs);
    j->errors = errs.count;
    uint64_t one = 1;
    while (write(j->done_fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void
job_start(struct gtm_ctx *ctx)
{
    struct reload_job *j = xcalloc(1, sizeof *j);
    j->opt = ctx->opt;
    j->done_fd = ctx->job_done_fd;
    j->number = ++ctx->loads;
    int rc = spawn_low(&j->thread, job_main, j);
    if (rc != 0) {
        log_warn("reload: no thread for it (%s); loading on the control loop", strerror(rc));
        free(j);
        ctx_reload_errors(ctx, NULL);
        return;
    }
    ctx->job = j;
    ctx->job_again = false;
}

/* Waits for the job and frees it; returns its snapshot (NULL after errors). */
static struct gtm_snapshot *
job_end(struct gtm_ctx *ctx, unsigned *errors, uint64_t *number)
{
    struct reload_job *j = ctx->job;
    pthread_join(j->thread, NULL);
    struct gtm_snapshot *snap = j->snap;
    *errors = j->errors;
    *number = j->number;
    free(j);
    ctx->job = NULL;
    return snap;
}

static void
job_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct gtm_ctx *ctx = arg;
    (void)what;
    uint64_t n;
    if (read(fd, &n, sizeof n) < 0 || !ctx->job)
        return;
    unsigned errors;
    uint64_t number;
    struct gtm_snapshot *snap = job_end(ctx, &errors, &number);
    if (number < ctx->fg_load) {
        /* An API write loaded everything after this job started: its
         * snapshot may miss that write. Load again. */
        if (snap)
            retire_free(ctx, snap);
        ctx->job_again = true;
    } else {
        bool ok = finish_load(ctx, snap, errors) == 0;
        if (!ctx->job_again) { /* the reload SIGHUP asked for is over */
            const struct gtm_snapshot *s = atomic_load(&ctx->snap);
            char status[160];
            snprintf(status, sizeof status, "answering: %u zone(s), %u profile(s)%s", s->nzones,
                     s->nprofiles, ok ? "" : "; the last reload failed (see the log)");
            notify_ready(status);
        }
    }
    if (ctx->job_again)
        job_start(ctx);
}

void
ctx_reload(struct gtm_ctx *ctx)
{
    if (ctx->job) {
        ctx->job_again = true;
        log_info("reload: one is running; another follows it");
        return;
    }
    if (!ctx->job_done_ev) {
        ctx_reload_errors(ctx, NULL);
        return;
    }
    job_start(ctx);
}

/* DNSSEC: signatures are made at load time, valid --rrsig-lifetime; a
 * reload every --rrsig-refresh seconds makes them again, well before they
 * expire (Knot's rrsig-refresh). A reload that fails keeps the old ones
 * serving and says so; the next period tries again. */
static void
resign_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct gtm_ctx *ctx = arg;
    log_info("dnssec: reloading to sign again (--rrsig-refresh %u s)", ctx->opt->rrsig_refresh);
    ctx_reload(ctx);
}

void
reload_init_events(struct gtm_ctx *ctx)
{
    if (ctx->opt && ctx->opt->keys && ctx->opt->rrsig_refresh) {
        struct timeval tv = {(time_t)ctx->opt->rrsig_refresh, 0};
        ctx->resign_ev = event_new(ctx->base, -1, EV_PERSIST, resign_cb, ctx);
        if (ctx->resign_ev)
            event_add(ctx->resign_ev, &tv);
    }
    ctx->reload_now = ctx_reload_errors;
    ctx->change_profile = reload_profile;
    ctx->reclaim_ev = evtimer_new(ctx->base, reclaim_cb, ctx);
    ctx->job_done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ctx->job_done_fd >= 0) {
        ctx->job_done_ev =
            event_new(ctx->base, ctx->job_done_fd, EV_READ | EV_PERSIST, job_done_cb, ctx);
        if (ctx->job_done_ev)
            event_add(ctx->job_done_ev, NULL);
    }
}

void
reload_cleanup_events(struct gtm_ctx *ctx)
{
    if (ctx->resign_ev)
        event_free(ctx->resign_ev);
    ctx->resign_ev = NULL;
    if (ctx->job) {
        unsigned errors;
        uint64_t number;
        snapshot_free(job_end(ctx, &errors, &number));
    }
    if (ctx->freeing)
        pthread_join(ctx->freer, NULL);
    ctx->freeing = false;
    if (ctx->job_done_ev)
        event_free(ctx->job_done_ev);
    ctx->job_done_ev = NULL;
    if (ctx->job_done_fd > 0)
        close(ctx->job_done_fd);
    ctx->job_done_fd = -1;
    if (ctx->reclaim_ev)
        event_free(ctx->reclaim_ev);
    ctx->reclaim_ev = NULL;
}
