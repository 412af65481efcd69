/* hook.h: --on-change: runs a command on every endpoint state transition
 * (SPEC §8), with the transition in its environment. Bounded: at most
 * HOOK_MAX_RUNNING at once, HOOK_MAX_QUEUED waiting, each killed after
 * HOOK_TIMEOUT_S. Loop thread only. */
#ifndef GTM_SRC_HOOK_H
#define GTM_SRC_HOOK_H

#define HOOK_MAX_RUNNING 4
#define HOOK_MAX_QUEUED  256
#define HOOK_TIMEOUT_S   10

struct gtm_ctx;
struct hooks;

/* hooks_new: splits cmd on blanks (no shell) and listens to ctx->monitor's
 * transitions, running cmd once per endpoint of the probe that changed.
 * Children are reaped on SIGCHLD (a libevent signal event on ctx->base).
 * Returns NULL after logging when cmd is empty or the events cannot be set
 * up. Free with hooks_free. */
struct hooks *hooks_new(struct gtm_ctx *ctx, const char *cmd);

/* hooks_free: kills the commands still running (and reaps them), drops the
 * queue, and frees. NULL is a no-op. */
void hooks_free(struct hooks *h);

#endif
