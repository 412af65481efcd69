/* ctx.c: the control loop's context over its lifetime: the signal events
 * (SIGHUP reloads, SIGTERM and SIGINT stop the loop) and, at the end, the
 * snapshots still held. */
#include "config.h"
#include "src/ctx.h"

#include <signal.h>
#include <stdatomic.h>

#include <event2/event.h>

#include "gtm/log.h"
#include "src/notify.h"
#include "gtm/snapshot.h"
#include "zones/build.h"

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct gtm_ctx *ctx = arg;
    (void)what;
    if (sig == SIGHUP) {
        log_info("reload: SIGHUP received");
        if (ctx->job_done_ev && !ctx->job)
            notify_reloading(); /* READY=1 again when the job is done */
        ctx_reload(ctx);
        return;
    }
    log_info("stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopbreak(ctx->base);
}

void
ctx_init_events(struct gtm_ctx *ctx)
{
    /* Signals are caught from here on and handled once the loop runs, so a
     * HUP or TERM that comes while we start up is neither fatal nor lost. */
    ctx->sig_hup = evsignal_new(ctx->base, SIGHUP, signal_cb, ctx);
    ctx->sig_term = evsignal_new(ctx->base, SIGTERM, signal_cb, ctx);
    ctx->sig_int = evsignal_new(ctx->base, SIGINT, signal_cb, ctx);
    event_add(ctx->sig_hup, NULL);
    event_add(ctx->sig_term, NULL);
    event_add(ctx->sig_int, NULL);
    reload_init_events(ctx);
}

void
ctx_cleanup_events(struct gtm_ctx *ctx)
{
    reload_cleanup_events(ctx);
    if (ctx->sig_hup) {
        event_free(ctx->sig_hup);
        event_free(ctx->sig_term);
        event_free(ctx->sig_int);
    }
    ctx->sig_hup = ctx->sig_term = ctx->sig_int = NULL;
    snapshot_free(ctx->retired);
    ctx->retired = ctx->retired_next = NULL;
    snapshot_free(atomic_exchange(&ctx->snap, NULL));
}
