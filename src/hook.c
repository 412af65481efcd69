/* hook.c: --on-change. Each transition queues one job per endpoint of the
 * probe that changed; up to HOOK_MAX_RUNNING jobs run at once, each a
 * child spawned with posix_spawnp in its own process group, with stdin from
 * /dev/null and the transition in GTMD_* environment variables. Children
 * are reaped on SIGCHLD (a libevent signal event, so never in a signal
 * handler) and killed, with their group, when HOOK_TIMEOUT_S passes. */
#include "config.h"
#include "src/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "gtm/alloc.h"
#include "gtm/clock.h"
#include "gtm/ctx.h"
#include "gtm/log.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "monitor/monitor.h"
#include "conf/conf.h"

#define HOOK_MAX_ARGS 64
#define HOOK_REAP_MS  200 /* after a kill: how often to look for the child again */

enum hook_var { V_PROFILE, V_ENDPOINT, V_TARGET, V_OLD, V_NEW, V_REASON, V_NODE, V_COUNT };

static const char *const var_names[V_COUNT] = {
    "GTMD_PROFILE",   "GTMD_ENDPOINT", "GTMD_TARGET", "GTMD_OLD_STATE",
    "GTMD_NEW_STATE", "GTMD_REASON",   "GTMD_NODE",
};

/* One run to do: the values of the variables, each "NAME=value". */
struct hook_job {
    char *env[V_COUNT];
};

struct hook_run {
    struct hooks *h;
    pid_t pid; /* 0: a free slot */
    bool killed;
    int64_t started_ms; /* monotonic */
    struct hook_job job;
    struct event timer;
};

struct hooks {
    struct gtm_ctx *ctx;
    char *cmd; /* as given, for messages */
    char *words;
    char *argv[HOOK_MAX_ARGS + 1];
    struct event *sigchld;
    struct hook_job queue[HOOK_MAX_QUEUED];
    unsigned qhead, qlen;
    struct hook_run run[HOOK_MAX_RUNNING];
    unsigned nrunning;
};

extern char **environ;

static char *
env_entry(enum hook_var v, const char *value)
{
    size_t n = strlen(var_names[v]) + 1 + strlen(value) + 1;
    char *s = xmalloc(n);
    snprintf(s, n, "%s=%s", var_names[v], value);
    return s;
}

static const char *
env_value(const struct hook_job *j, enum hook_var v)
{
    return j->env[v] + strlen(var_names[v]) + 1;
}

static void
job_free(struct hook_job *j)
{
    for (int v = 0; v < V_COUNT; v++) {
        free(j->env[v]);
        j->env[v] = NULL;
    }
}

/* "profile/endpoint Online -> Degraded", for messages. */
static void
job_describe(const struct hook_job *j, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s %s -> %s", env_value(j, V_PROFILE), env_value(j, V_ENDPOINT),
             env_value(j, V_OLD), env_value(j, V_NEW));
}

/* gtmd's environment without our variables, then ours: a new array whose
 * strings are borrowed. */
static char **
make_envp(const struct hook_job *j)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **envp = xcalloc(n + V_COUNT + 1, sizeof *envp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool ours = false;
        for (int v = 0; v < V_COUNT && !ours; v++) {
            size_t len = strlen(var_names[v]);
            ours = strncmp(environ[i], var_names[v], len) == 0 && environ[i][len] == '=';
        }
        if (!ours)
            envp[k++] = environ[i];
    }
    for (int v = 0; v < V_COUNT; v++)
        envp[k++] = j->env[v];
    envp[k] = NULL;
    return envp;
}

static void pump(struct hooks *h);

static void
finish(struct hook_run *r, int status)
{
    char what[600];
    job_describe(&r->job, what, sizeof what);
    long long ms = (long long)(clock_mono_ms() - r->started_ms);
    if (r->killed)
        log_warn("on-change: pid %ld (%s) killed after %d s", (long)r->pid, what, HOOK_TIMEOUT_S);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        log_info("on-change: pid %ld (%s) exited 0 after %lld ms", (long)r->pid, what, ms);
    else if (WIFEXITED(status))
        log_warn("on-change: pid %ld (%s) exited with status %d after %lld ms", (long)r->pid, what,
                 WEXITSTATUS(status), ms);
    else if (WIFSIGNALED(status))
        log_warn("on-change: pid %ld (%s) killed by signal %d after %lld ms", (long)r->pid, what,
                 WTERMSIG(status), ms);
    event_del(&r->timer);
    job_free(&r->job);
    r->pid = 0;
    r->killed = false;
    r->h->nrunning--;
}

/* Reaps r's child if it has ended; returns true when it did. */
static bool
reap(struct hook_run *r)
{
    int status = 0;
    pid_t got = waitpid(r->pid, &status, WNOHANG);
    if (got == 0)
        return false;
    if (got < 0) {
        if (errno == EINTR)
            return false;
        log_warn("on-change: waitpid %ld: %s", (long)r->pid, strerror(errno));
        status = 0;
    }
    finish(r, status);
    return true;
}

static void
sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
    struct hooks *h = arg;
    (void)sig;
    (void)what;
    for (unsigned i = 0; i < HOOK_MAX_RUNNING; i++)
        if (h->run[i].pid)
            reap(&h->run[i]);
    pump(h);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct hook_run *r = arg;
    struct hooks *h = r->h;
    (void)fd;
    (void)what;
    if (reap(r)) {
        pump(h);
        return;
    }
    if (!r->killed) {
        char desc[600];
        job_describe(&r->job, desc, sizeof desc);
        log_warn("on-change: pid %ld (%s) still running after %d s: killing it", (long)r->pid, desc,
                 HOOK_TIMEOUT_S);
        r->killed = true;
        kill(-r->pid, SIGKILL); /* its process group: whatever it started too */
        kill(r->pid, SIGKILL);
    }
    /* SIGCHLD reaps it; look again in case the signal was merged with another. */
    struct timeval again = {0, HOOK_REAP_MS * 1000};
    event_add(&r->timer, &again);
}

/* Starts job j in the free slot r; on failure logs and frees j. */
static void
spawn(struct hooks *h, struct hook_run *r, struct hook_job *j)
{
    char desc[600];
    job_describe(j, desc, sizeof desc);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, deflt;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&deflt);
    sigaddset(&deflt, SIGPIPE); /* ignored by gtmd: would stay ignored across exec */
    sigaddset(&deflt, SIGCHLD);
    sigaddset(&deflt, SIGHUP);
    sigaddset(&deflt, SIGINT);
    sigaddset(&deflt, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &deflt);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    char **envp = make_envp(j);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, h->argv[0], &fa, &attr, h->argv, envp);
    free(envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        log_warn("on-change: cannot run '%s' for %s: %s", h->cmd, desc, strerror(rc));
        job_free(j);
        return;
    }
    r->pid = pid;
    r->killed = false;
    r->started_ms = clock_mono_ms();
    r->job = *j;
    memset(j, 0, sizeof *j);
    h->nrunning++;
    struct timeval tmo = {HOOK_TIMEOUT_S, 0};
    event_add(&r->timer, &tmo);
    log_info("on-change: pid %ld runs '%s' for %s", (long)pid, h->cmd, desc);
}

/* Starts queued jobs while there is room. */
static void
pump(struct hooks *h)
{
    while (h->qlen && h->nrunning < HOOK_MAX_RUNNING) {
        struct hook_job j = h->queue[h->qhead];
        memset(&h->queue[h->qhead], 0, sizeof h->queue[h->qhead]);
        h->qhead = (h->qhead + 1) % HOOK_MAX_QUEUED;
        h->qlen--;
        struct hook_run *r = NULL;
        for (unsigned i = 0; i < HOOK_MAX_RUNNING && !r; i++)
            if (!h->run[i].pid)
                r = &h->run[i];
        GTM_ASSERT(r);
        spawn(h, r, &j);
    }
}

static void
enqueue(struct hooks *h, const struct profile *p, const struct endpoint *e,
        const struct monitor_event *ev)
{
    struct hook_job j;
    j.env[V_PROFILE] = env_entry(V_PROFILE, p->name);
    j.env[V_ENDPOINT] = env_entry(V_ENDPOINT, e->name);
    j.env[V_TARGET] = env_entry(V_TARGET, e->target ? e->target : "");
    j.env[V_OLD] = env_entry(V_OLD, ep_status_name((enum ep_status)ev->tr->from));
    j.env[V_NEW] = env_entry(V_NEW, ep_status_name((enum ep_status)ev->tr->to));
    j.env[V_REASON] = env_entry(V_REASON, ev->tr->reason);
    j.env[V_NODE] = env_entry(V_NODE, h->ctx->opt->node ? h->ctx->opt->node : "");
    if (h->qlen == HOOK_MAX_QUEUED) {
        char desc[600];
        job_describe(&j, desc, sizeof desc);
        log_warn("on-change: %d commands waiting already: %s dropped", HOOK_MAX_QUEUED, desc);
        job_free(&j);
        return;
    }
    h->queue[(h->qhead + h->qlen) % HOOK_MAX_QUEUED] = j;
    h->qlen++;
}

/* monitor_listener_fn: one job for each endpoint the probe serves. */
static void
on_transition(void *arg, const struct monitor_event *ev)
{
    struct hooks *h = arg;
    const struct gtm_snapshot *s = atomic_load(&h->ctx->snap);
    for (uint32_t i = 0; s && i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i];
        for (uint32_t k = 0; k < p->nendpoints; k++)
            if (p->endpoints[k].health_idx == ev->idx)
                enqueue(h, p, &p->endpoints[k], ev);
    }
    pump(h);
}

struct hooks *
hooks_new(struct gtm_ctx *ctx, const char *cmd)
{
    struct hooks *h = xcalloc(1, sizeof *h);
    h->ctx = ctx;
    h->cmd = xstrdup(cmd);
    h->words = xstrdup(cmd);
    unsigned argc = 0;
    for (char *save = NULL, *w = strtok_r(h->words, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        if (argc == HOOK_MAX_ARGS) {
            log_err("on-change: more than %d words in '%s'", HOOK_MAX_ARGS, cmd);
            goto fail;
        }
        h->argv[argc++] = w;
    }
    if (argc == 0) {
        log_err("on-change: the command is empty");
        goto fail;
    }
    for (unsigned i = 0; i < HOOK_MAX_RUNNING; i++) {
        h->run[i].h = h;
        evtimer_assign(&h->run[i].timer, ctx->base, timer_cb, &h->run[i]);
    }
    h->sigchld = evsignal_new(ctx->base, SIGCHLD, sigchld_cb, h);
    if (!h->sigchld || event_add(h->sigchld, NULL) != 0) {
        log_err("on-change: cannot watch SIGCHLD");
        goto fail;
    }
    if (monitor_listen(ctx->monitor, on_transition, h) != 0) {
        log_err("on-change: cannot listen to the monitor");
        goto fail;
    }
    log_info("on-change: '%s' runs on every endpoint transition", cmd);
    return h;
fail:
    hooks_free(h);
    return NULL;
}

void
hooks_free(struct hooks *h)
{
    if (!h)
        return;
    if (h->ctx->monitor)
        monitor_unlisten(h->ctx->monitor, on_transition, h);
    for (unsigned i = 0; i < HOOK_MAX_RUNNING; i++) {
        struct hook_run *r = &h->run[i];
        if (!r->pid)
            continue;
        char desc[600];
        job_describe(&r->job, desc, sizeof desc);
        log_warn("on-change: stopping: pid %ld (%s) killed", (long)r->pid, desc);
        kill(-r->pid, SIGKILL);
        kill(r->pid, SIGKILL);
        while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        event_del(&r->timer);
        job_free(&r->job);
        r->pid = 0;
    }
    if (h->qlen)
        log_warn("on-change: stopping: %u queued command(s) not run", h->qlen);
    for (unsigned i = 0; i < h->qlen; i++)
        job_free(&h->queue[(h->qhead + i) % HOOK_MAX_QUEUED]);
    if (h->sigchld)
        event_free(h->sigchld);
    free(h->words);
    free(h->cmd);
    free(h);
}
