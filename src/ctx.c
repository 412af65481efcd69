/* ctx.c: publishing snapshots, freeing old ones safely (QSBR), reload. */
#include "config.h"
#include "gtm/ctx.h"

#include <sched.h>

#include <event2/event.h>

#include "dns/server.h"
#include "monitor/monitor.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "src/daemon.h"

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
    stats_carry(ctx->retired, atomic_load(&ctx->snap));
    snapshot_free(ctx->retired);
    ctx->retired = NULL;
}

void
ctx_publish(struct gtm_ctx *ctx, struct gtm_snapshot *snap)
{
    if (ctx->monitor)
        monitor_reconcile(ctx->monitor, snap); /* carries health over before anyone reads it */
    struct gtm_snapshot *old = atomic_exchange(&ctx->snap, snap);
    uint64_t epoch = atomic_fetch_add(&ctx->epoch, 1) + 1;
    snap->generation = epoch;
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
    ctx->retired_epoch = epoch;
    if (ctx->reclaim_ev)
        reclaim_cb(-1, 0, ctx);
    else {
        snapshot_free(old); /* no workers yet */
        ctx->retired = NULL;
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

int
ctx_reload(struct gtm_ctx *ctx)
{
    return ctx_reload_errors(ctx, NULL);
}

int
ctx_reload_errors(struct gtm_ctx *ctx, struct config_errors *out)
{
    struct tee t = {out};
    struct config_errors errs = {0, tee_sink, &t};
    struct gtm_snapshot *snap = daemon_load(ctx->opt, &errs);
    if (out)
        out->count += errs.count;
    if (!snap) {
        ctx->reloads_failed++;
        log_err("reload: %u error(s); still serving the previous configuration", errs.count);
        return GTM_ECONFIG;
    }
    ctx_publish(ctx, snap);
    ctx->reloads_ok++;
    log_info("reload: serving %u zone(s) and %u profile(s), %u probe(s), generation %llu",
             snap->nzones, snap->nprofiles, snap->nprobes, (unsigned long long)snap->generation);
    return 0;
}

void
ctx_init_events(struct gtm_ctx *ctx)
{
    ctx->reclaim_ev = evtimer_new(ctx->base, reclaim_cb, ctx);
}

void
ctx_cleanup_events(struct gtm_ctx *ctx)
{
    if (ctx->reclaim_ev)
        event_free(ctx->reclaim_ev);
    ctx->reclaim_ev = NULL;
}
