/* monitor.c: runs every probe of the current snapshot on its own schedule
 * and publishes each state change into the snapshot's health slots.
 *
 * Each probe has an EV_PERSIST timer: the first run comes at a random
 * offset within the interval (so probes spread), later runs at the previous
 * scheduled time + interval (libevent reschedules persistent timers from
 * when they were due, not from when they ran), so probes never bunch up.
 * A run still in flight at its next tick counts as a timeout when its
 * timeout is as long as the interval (its window is over, even if a stall
 * of ours started it late) or when it has used its whole timeout; only a
 * shorter timeout that a late start has not used up skips the tick.
 *
 * Two seams (struct monitor_seams) let a test run this file as it is:
 * a clock of its own, whose ticks then run in monitor_run_due at the times
 * the timers would have fired (the same rule as libevent's), and a start
 * function that replaces the curl transfer, its results coming back through
 * monitor_result. Without seams (monitor_new) the cost is one test of a
 * pointer per clock read and per run.
 * Loop thread only. */
#include "config.h"
#include "monitor/monitor.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "gtm/alloc.h"
#include "gtm/dname.h"
#include "gtm/err.h"
#include "gtm/health.h"
#include "gtm/probe.h"
#include "gtm/log.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "gtm/curlev.h"
#include "monitor/fsm.h"
#include "monitor/probe.h"

#define MIN_INTERVAL_MS    100 /* a guard against a zero interval, not a default */
#define TICK_SLACK_MS      10  /* timer jitter tolerated when deciding a run is overdue */
#define MONITOR_MULTIS     16  /* libcurl multis: each walks its own transfers in flight */
#define MONITOR_COMMON_MAX 32  /* intervals given a common timeout (libevent allows 256) */

struct mprobe {
    struct monitor *m;
    char *key;   /* copied from the snapshot */
    char *label; /* copied from the snapshot */
    uint32_t idx;
    uint32_t interval_ms;
    uint8_t fall;
    uint8_t shard;       /* its libcurl multi */
    uint8_t fleet_state; /* fleet mode: the fleet's verdict, published unless forced */
    bool ready;          /* t is usable; else setup_err says why */
    bool in_flight;      /* a run is under way (run, unless a seam runs it) */
    bool first;          /* the tick due is the first (random offset) one */
    int64_t started_ms;
    int64_t due_ms; /* the tick due next, on the seam clock (own clock only) */
    struct fsm fsm;
    struct probe_info info;
    struct history history;
    char *setup_err;       /* why t could not be set up, or NULL */
    struct probe_run *run; /* the run in flight, from the pool, or NULL */
    struct event tick;
    struct probe_target t;
};

struct monitor {
    struct event_base *base;
    struct curlev *cev[MONITOR_MULTIS]; /* a probe's runs go to cev[its key's hash % n] */
    struct mprobe **probes;             /* indexed like the last reconciled snapshot's probes */
    uint32_t nprobes;
    struct health_slot *health; /* that snapshot's slots */
    uint64_t rng;
    struct {
        monitor_listener_fn fn;
        void *arg;
    } listeners[MONITOR_MAX_LISTENERS];
    unsigned nlisteners;
    struct monitor_seams seams; /* all NULL: the loop's clock, libevent timers, curl */
    char *source;               /* --probe-source, or NULL */
    struct monitor_fleet fleet; /* fleet mode when fleet.verdict is set */
    uint32_t *keys;             /* key hash -> probe index + 1 (0: empty), open addressing */
    size_t keys_cap;            /* a power of two, at least twice nprobes */
    union probe_addr src;       /* source, parsed, for direct TCP runs */
    bool has_src;
    struct probe_run *idle; /* the pool: runs not in use, each with its easy handle */
    uint32_t nruns;         /* runs the pool made: the most ever in flight at once */
    uint32_t in_flight;     /* runs under way */
    uint32_t max_in_flight; /* --max-probes-in-flight */
    uint64_t skipped;       /* runs not started for want of the budget */
    bool skip_logged;
    /* libevent common timeouts, one per interval in use: a tick's timer
     * goes into its interval's queue in O(1) instead of the heap */
    struct {
        uint32_t ms;
        const struct timeval *tv;
    } common[MONITOR_COMMON_MAX];
    unsigned ncommon;
};

/* The clock: the seam's, else the loop's (wall time, cached per loop
 * turn), in milliseconds. */
static int64_t
now_ms(const struct monitor *m)
{
    if (unlikely(m->seams.now_ms != NULL))
        return m->seams.now_ms(m->seams.arg);
    struct timeval tv;
    if (event_base_gettimeofday_cached(m->base, &tv) != 0)
        gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* splitmix64: only spreads first runs, needs no quality beyond that. */
static uint64_t
rng_next(struct monitor *m)
{
    uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static struct timeval
ms_to_tv(uint32_t ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

/* The timeout to give event_add for a tick every ms: the interval's common
 * timeout (every tick of one interval is due in the order it was added, so
 * libevent keeps them in a queue), else *plain, set from ms. */
static const struct timeval *
interval_tv(struct monitor *m, uint32_t ms, struct timeval *plain)
{
    *plain = ms_to_tv(ms);
    for (unsigned i = 0; i < m->ncommon; i++)
        if (m->common[i].ms == ms)
            return m->common[i].tv;
    if (m->ncommon < MONITOR_COMMON_MAX) {
        const struct timeval *tv = event_base_init_common_timeout(m->base, plain);
        if (tv) {
            m->common[m->ncommon].ms = ms;
            m->common[m->ncommon++].tv = tv;
            return tv;
        }
    }
    return plain;
}

/* The state answers see: a drill's, else the fleet's, else the probes'. */
static uint8_t
effective(const struct mprobe *p)
{
    if (p->info.forced)
        return p->info.forced_state;
    return p->m->fleet.verdict ? p->fleet_state : p->fsm.state;
}

/* A change of the published state: the slot, the counters, the history,
 * the log line and the listeners. probed: the probes made it (not a drill). */
static void
transition(struct mprobe *p, uint8_t from, uint8_t to, const char *reason, bool probed)
{
    struct monitor *m = p->m;
    struct transition t = {.at_ms = now_ms(m), .from = from, .to = to, .fails = p->fsm.fails};
    snprintf(t.reason, sizeof t.reason, "%s", reason);
    p->info.state = to;
    p->info.last_change_ms = t.at_ms;
    if (from < PROBE_STATES && to < PROBE_STATES)
        p->info.transitions[from][to]++;
    history_push(&p->history, &t);
    atomic_store_explicit(&m->health[p->idx].status, to, memory_order_release);
    if (probed && to == EPS_DEGRADED)
        log_info("monitor: endpoint %s %s -> %s after %u failures: %s", p->label,
                 ep_status_name((enum ep_status)from), ep_status_name((enum ep_status)to),
                 (unsigned)t.fails, reason);
    else
        log_info("monitor: endpoint %s %s -> %s: %s", p->label,
                 ep_status_name((enum ep_status)from), ep_status_name((enum ep_status)to), reason);
    struct monitor_event ev = {.idx = p->idx, .label = p->label, .tr = &t};
    for (unsigned i = 0; i < m->nlisteners; i++)
        m->listeners[i].fn(m->listeners[i].arg, &ev);
}

/* Fleet mode: this node's verdict on p changed (text: the probe result
 * that changed it, NULL: none): the fleet hears it, then decides. */
static void
fleet_decide(struct mprobe *p, const char *text)
{
    struct monitor *m = p->m;
    if (text && m->fleet.own)
        m->fleet.own(m->fleet.arg, p->key, &p->info, false);
    char why[160] = "";
    uint8_t before = effective(p);
    p->fleet_state = m->fleet.verdict(m->fleet.arg, p->key, p->fsm.state, why, sizeof why);
    uint8_t after = effective(p);
    if (after != before) {
        char reason[HISTORY_REASON_LEN];
        if (text) /* what this node saw, then how the fleet counted */
            snprintf(reason, sizeof reason, "%s; %s", text, why[0] ? why : "fleet verdict");
        else
            snprintf(reason, sizeof reason, "%s", why[0] ? why : "fleet verdict");
        transition(p, before, after, reason, text != NULL);
    } else if (text) {
        log_info("monitor: endpoint %s probed %s here: %s; %s: stays %s", p->label,
                 ep_status_name((enum ep_status)p->fsm.state), text,
                 p->info.forced ? "a drill override holds it" : why,
                 ep_status_name((enum ep_status)after));
    }
}

/* One result: the state machine, the info, the slot and the log. ran: the
 * probe ran for duration_us (not a setup failure). */
static void
record(struct mprobe *p, bool ok, const char *text, uint32_t duration_us, bool ran)
{
    struct monitor *m = p->m;
    uint8_t old = p->fsm.state;
    p->fsm = fsm_next(p->fsm, p->fall, ok);
    bool changed = p->fsm.state != old;

    p->info.probed = p->fsm.state;
    p->info.fails = p->fsm.fails;
    p->info.last_probe_ms = now_ms(m);
    p->info.last_ok = ok;
    if (ran) {
        p->info.last_duration_us = duration_us;
        latency_observe(&p->info.latency, duration_us);
    }
    if (ok) {
        p->info.probes_ok++;
        p->info.last_rtt_us = duration_us;
        atomic_store_explicit(&m->health[p->idx].rtt_us, duration_us, memory_order_relaxed);
    } else {
        p->info.probes_failed++;
    }
    snprintf(p->info.last_result, sizeof p->info.last_result, "%s", text);
    log_debug("monitor: %s: %s: %s", p->label, ok ? "up" : "down", text);
    if (!changed)
        return;
    if (m->fleet.verdict) {
        fleet_decide(p, text);
        return;
    }
    if (p->info.forced) {
        log_info("monitor: endpoint %s probed %s -> %s: %s (drill override holds it %s)", p->label,
                 ep_status_name((enum ep_status)old), ep_status_name((enum ep_status)p->fsm.state),
                 text, ep_status_name((enum ep_status)p->info.forced_state));
        return;
    }
    transition(p, old, p->fsm.state, text, true);
}

/* The pool: a run for a probe about to start. */
static struct probe_run *
run_get(struct monitor *m)
{
    struct probe_run *r = m->idle;
    if (r) {
        m->idle = r->next;
    } else {
        r = xmalloc(sizeof *r);
        probe_run_init(r);
        m->nruns++;
    }
    r->next = NULL;
    return r;
}

/* The pool takes a run back once nothing of it is in use. */
static void
run_put(struct monitor *m, struct probe_run *r)
{
    r->owner = NULL;
    r->next = m->idle;
    m->idle = r;
}

/* p's run ended (or was abandoned): the budget and the pool get it back. */
static void
run_over(struct mprobe *p)
{
    struct monitor *m = p->m;
    p->in_flight = false;
    m->in_flight--;
    if (p->run)
        run_put(m, p->run);
    p->run = NULL;
}

/* The probe whose run r finished: it must be in flight on r. */
static struct mprobe *
run_owner(const struct probe_run *r)
{
    GTM_ASSERT(r && r->owner);
    struct mprobe *p = r->owner;
    GTM_ASSERT(p->in_flight && p->run == r);
    return p;
}

/* A run's verdict is in: the run goes back to the pool, the result counts. */
static void
run_finished(struct mprobe *p, bool ok, const char *text, uint32_t rtt_us)
{
    run_over(p);
    record(p, ok, text, rtt_us, true);
}

/* curlev_done_fn: a run finished (its handle is out of the multi). */
static void
on_done(CURL *easy, CURLcode result, void *arg)
{
    (void)arg;
    struct probe_run *r = probe_run_of(easy);
    struct mprobe *p = run_owner(r);
    char text[sizeof p->info.last_result];
    uint32_t rtt_us = 0;
    bool ok = probe_verdict(r, &p->t, result, text, sizeof text, &rtt_us);
    run_finished(p, ok, text, rtt_us);
}

/* A direct TCP run's socket became writable, or its timeout came. */
static void
on_connect(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct probe_run *r = arg;
    struct mprobe *p = run_owner(r);
    char text[sizeof p->info.last_result];
    uint32_t rtt_us = 0;
    bool ok = probe_tcp_finish(r, (what & EV_TIMEOUT) != 0, text, sizeof text, &rtt_us);
    run_finished(p, ok, text, rtt_us);
}

/* A first run, or one the budget skipped, comes at a random time within
 * the interval; the interval is counted from it. */
static void
schedule_spread(struct mprobe *p)
{
    struct monitor *m = p->m;
    uint32_t offset = (uint32_t)(rng_next(m) % p->interval_ms);
    p->first = true;
    if (m->seams.now_ms) {
        p->due_ms = now_ms(m) + offset; /* monitor_run_due runs it */
        return;
    }
    struct timeval first = ms_to_tv(offset);
    event_del(&p->tick);
    event_add(&p->tick, &first);
}

/* The budget of runs in flight is spent: this run is skipped (counted, the
 * first one logged) and the probe moves to another time of its interval,
 * so a bunch that cannot run at once spreads out; the others keep theirs. */
static void
skip_run(struct mprobe *p)
{
    struct monitor *m = p->m;
    m->skipped++;
    if (!m->skip_logged) {
        m->skip_logged = true;
        log_warn("monitor: %u probes in flight, the most --max-probes-in-flight allows: probes "
                 "due meanwhile (%s first) are skipped and moved within their interval; "
                 "gtmd_probes_skipped_total counts them (logged once)",
                 (unsigned)m->in_flight, p->label);
    }
    schedule_spread(p);
}

/* Starts a direct TCP run: over at once, or watched until writable. */
static void
start_direct(struct mprobe *p, struct probe_run *r)
{
    struct monitor *m = p->m;
    char text[sizeof p->info.last_result];
    uint32_t rtt_us = 0;
    bool ok = false;
    if (probe_tcp_start(r, &p->t, m->has_src ? &m->src : NULL, p, &ok, text, sizeof text,
                        &rtt_us)) {
        run_put(m, r);
        record(p, ok, text, rtt_us, true);
        return;
    }
    struct timeval tv = ms_to_tv(r->timeout_ms);
    event_assign(&r->ev, m->base, r->fd, EV_WRITE, on_connect, r);
    if (event_add(&r->ev, &tv) != 0) {
        probe_tcp_finish(r, true, text, sizeof text, &rtt_us); /* closes */
        run_put(m, r);
        record(p, false, "cannot start: cannot watch the socket", 0, false);
        return;
    }
    p->run = r;
    p->in_flight = true;
    m->in_flight++;
    p->started_ms = now_ms(m);
}

static void
start_run(struct mprobe *p)
{
    struct monitor *m = p->m;
    if (!p->ready) {
        record(p, false, p->setup_err, 0, false);
        return;
    }
    if (m->in_flight >= m->max_in_flight) {
        skip_run(p);
        return;
    }
    if (m->seams.start) {
        /* the result comes back through monitor_result, now or later */
        p->in_flight = true;
        m->in_flight++;
        p->started_ms = now_ms(m);
        m->seams.start(m->seams.arg, p->idx, p->label);
        return;
    }
    struct probe_run *r = run_get(m);
    if (p->t.direct) {
        start_direct(p, r);
        return;
    }
    char why[96];
    const char *cwhy = why;
    if (probe_run_prepare(r, &p->t, m->source, p, why, sizeof why) != 0 ||
        curlev_add(m->cev[p->shard], r->easy, &cwhy) != 0) {
        char text[sizeof p->info.last_result];
        snprintf(text, sizeof text, "cannot start: %s", cwhy);
        run_put(m, r);
        record(p, false, text, 0, false);
        return;
    }
    p->run = r;
    p->in_flight = true;
    m->in_flight++;
    p->started_ms = now_ms(m);
}

/* A run in flight is abandoned: its transfer or socket goes. */
static void
abandon_run(struct mprobe *p)
{
    struct probe_run *r = p->run;
    if (r && r->direct) {
        event_del(&r->ev);
        probe_tcp_abandon(r);
    } else if (r) {
        curlev_remove(p->m->cev[p->shard], r->easy);
    }
    run_over(p);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct mprobe *p = arg;
    (void)fd;
    (void)what;
    GTM_ASSERT(p && p->m);
    if (p->first) {
        /* from now on every interval, counted from this (scheduled) run */
        struct timeval plain;
        p->first = false;
        if (!p->m->seams.now_ms)
            event_add(&p->tick, interval_tv(p->m, p->interval_ms, &plain));
    }
    if (p->in_flight) {
        int64_t elapsed = now_ms(p->m) - p->started_ms;
        /* A timeout as long as the interval ends at this tick whenever the
         * run started (a late start must not cost the endpoint a round);
         * a shorter one only ends once it has really run that long. */
        bool window_over = (int64_t)p->t.timeout_ms + TICK_SLACK_MS >= (int64_t)p->interval_ms;
        if (!window_over && elapsed + TICK_SLACK_MS < (int64_t)p->t.timeout_ms) {
            log_debug("monitor: %s: previous probe still running after %lld ms, round skipped",
                      p->label, (long long)elapsed);
            return;
        }
        /* its time is up: curl's own timer just has not fired yet */
        abandon_run(p);
        char text[sizeof p->info.last_result];
        snprintf(text, sizeof text, "timeout after %u ms", (unsigned)p->t.timeout_ms);
        uint64_t us = (uint64_t)(elapsed > 0 ? elapsed : 0) * 1000;
        record(p, false, text, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us, true);
    }
    start_run(p);
}

static uint32_t key_hash(const char *s);

static struct mprobe *
probe_new(struct monitor *m, const struct probe_spec *spec, uint32_t idx)
{
    struct mprobe *p = xcalloc(1, sizeof *p);
    p->m = m;
    p->key = xstrdup(spec->key ? spec->key : "");
    p->shard = (uint8_t)(key_hash(p->key) % MONITOR_MULTIS);
    p->label = xstrdup(spec->label ? spec->label : p->key);
    p->idx = idx;
    p->interval_ms = spec->interval_ms < MIN_INTERVAL_MS ? MIN_INTERVAL_MS : spec->interval_ms;
    p->fall = spec->fall;
    p->fsm.state = EPS_CHECKING;
    p->info.state = EPS_CHECKING;
    p->info.probed = EPS_CHECKING;
    char why[96];
    if (probe_target_init(&p->t, spec, why, sizeof why) == 0) {
        p->ready = true;
    } else {
        p->setup_err = xstrdup(why);
        log_err("monitor: %s: cannot set up the probe: %s", p->label, why);
    }
    event_assign(&p->tick, m->base, -1, EV_PERSIST, on_tick, p);
    schedule_spread(p);
    return p;
}

static void
probe_free(struct mprobe *p)
{
    if (!p)
        return;
    if (p->in_flight)
        abandon_run(p);
    event_del(&p->tick);
    probe_target_cleanup(&p->t);
    history_free(&p->history);
    free(p->setup_err);
    free(p->key);
    free(p->label);
    free(p);
}

static uint32_t
key_hash(const char *s)
{
    return dname_hash((const uint8_t *)s, strlen(s)); /* the project's one hash */
}

struct monitor *
monitor_new(struct event_base *base)
{
    return monitor_new_seams(base, NULL);
}

struct monitor *
monitor_new_seams(struct event_base *base, const struct monitor_seams *seams)
{
    struct monitor *m = xcalloc(1, sizeof *m);
    m->base = base;
    if (seams)
        m->seams = *seams;
    for (unsigned i = 0; i < MONITOR_MULTIS; i++)
        m->cev[i] = curlev_new(base, on_done, m);
    uint64_t seed = m->seams.seed; /* a test's: first runs at known offsets */
    if (!seed && getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid() ^
               (uint64_t)(uintptr_t)m;
    }
    m->rng = seed;
    m->max_in_flight = monitor_default_max_in_flight();
    curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (v && !(v->features & CURL_VERSION_ASYNCHDNS))
        log_warn("monitor: libcurl %s resolves names synchronously: probes of host names may "
                 "stall the loop",
                 v->version);
    return m;
}

static void index_keys(struct monitor *m);

uint32_t
monitor_default_max_in_flight(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 1u << 20;
    rlim_t quarter = rl.rlim_cur / 4;
    return quarter < 16 ? 16 : quarter > (1u << 20) ? 1u << 20 : (uint32_t)quarter;
}

void
monitor_reconcile(struct monitor *m, struct gtm_snapshot *snap)
{
    uint32_t n = snap ? snap->nprobes : 0;
    struct mprobe **next = n ? xcalloc(n, sizeof *next) : NULL;

    /* index the current probes by key */
    size_t cap = 1;
    while (cap < (size_t)m->nprobes * 2)
        cap <<= 1;
    uint32_t *table = xcalloc(cap, sizeof *table); /* probe index + 1; 0 = empty */
    for (uint32_t j = 0; j < m->nprobes; j++) {
        size_t i = key_hash(m->probes[j]->key) & (cap - 1);
        while (table[i])
            i = (i + 1) & (cap - 1);
        table[i] = j + 1;
    }

    uint32_t kept = 0, added = 0, removed;
    for (uint32_t k = 0; k < n; k++) {
        const struct probe_spec *spec = &snap->probes[k];
        const char *key = spec->key ? spec->key : "";
        struct mprobe *p = NULL;
        for (size_t i = key_hash(key) & (cap - 1); m->nprobes && table[i];
             i = (i + 1) & (cap - 1)) {
            uint32_t j = table[i] - 1;
            if (m->probes[j] && strcmp(m->probes[j]->key, key) == 0) {
                p = m->probes[j];
                m->probes[j] = NULL; /* taken */
                break;
            }
        }
        if (p) {
            p->idx = k;
            if (spec->label && strcmp(spec->label, p->label) != 0) {
                free(p->label);
                p->label = xstrdup(spec->label);
            }
            kept++;
        } else {
            p = probe_new(m, spec, k);
            if (m->fleet.verdict) { /* other nodes may have judged it already */
                p->fleet_state = m->fleet.verdict(m->fleet.arg, p->key, p->fsm.state, NULL, 0);
                p->info.state = effective(p); /* where it starts: no transition */
            }
            added++;
        }
        next[k] = p;
        atomic_store_explicit(&snap->health[k].status, effective(p), memory_order_release);
        atomic_store_explicit(&snap->health[k].rtt_us, p->info.last_rtt_us, memory_order_relaxed);
    }
    free(table);

    removed = 0;
    for (uint32_t j = 0; j < m->nprobes; j++) {
        if (m->probes[j]) {
            if (m->fleet.own)
                m->fleet.own(m->fleet.arg, m->probes[j]->key, NULL, true);
            probe_free(m->probes[j]);
            removed++;
        }
    }
    free(m->probes);
    m->probes = next;
    m->nprobes = n;
    index_keys(m);
    m->health = snap ? snap->health : NULL;
    log_debug("monitor: %u probes (%u kept, %u new, %u stopped)", (unsigned)n, (unsigned)kept,
              (unsigned)added, (unsigned)removed);
}

/* Rebuilds the key table for the probes of the snapshot just reconciled. */
static void
index_keys(struct monitor *m)
{
    size_t cap = 8;
    while (cap < (size_t)m->nprobes * 2)
        cap <<= 1;
    if (cap != m->keys_cap) {
        free(m->keys);
        m->keys = xmalloc(cap * sizeof *m->keys);
        m->keys_cap = cap;
    }
    memset(m->keys, 0, cap * sizeof *m->keys);
    for (uint32_t j = 0; j < m->nprobes; j++) {
        size_t i = key_hash(m->probes[j]->key) & (cap - 1);
        while (m->keys[i])
            i = (i + 1) & (cap - 1);
        m->keys[i] = j + 1;
    }
}

int64_t
monitor_find(const struct monitor *m, const char *key)
{
    if (!m->keys_cap)
        return -1;
    for (size_t i = key_hash(key) & (m->keys_cap - 1); m->keys[i]; i = (i + 1) & (m->keys_cap - 1))
        if (strcmp(m->probes[m->keys[i] - 1]->key, key) == 0)
            return (int64_t)m->keys[i] - 1;
    return -1;
}

const char *
monitor_key(const struct monitor *m, uint32_t idx)
{
    return m && idx < m->nprobes ? m->probes[idx]->key : NULL;
}

uint32_t
monitor_count(const struct monitor *m)
{
    return m ? m->nprobes : 0;
}

void
monitor_set_source(struct monitor *m, const char *src)
{
    free(m->source);
    m->source = src ? xstrdup(src) : NULL;
    m->has_src = src && probe_parse_source(&m->src, src) == 0;
}

void
monitor_set_max_in_flight(struct monitor *m, uint32_t n)
{
    m->max_in_flight = n ? n : 1;
}

uint32_t
monitor_max_in_flight(const struct monitor *m)
{
    return m->max_in_flight;
}

void
monitor_counts(const struct monitor *m, struct monitor_counts *c)
{
    *c = (struct monitor_counts){
        .in_flight = m ? m->in_flight : 0, .runs = m ? m->nruns : 0, .skipped = m ? m->skipped : 0};
}

void
monitor_set_fleet(struct monitor *m, const struct monitor_fleet *f)
{
    if (f)
        m->fleet = *f;
    else
        memset(&m->fleet, 0, sizeof m->fleet);
    for (uint32_t j = 0; j < m->nprobes; j++) {
        struct mprobe *p = m->probes[j];
        uint8_t before = p->info.state;
        if (m->fleet.verdict)
            p->fleet_state = m->fleet.verdict(m->fleet.arg, p->key, p->fsm.state, NULL, 0);
        uint8_t after = effective(p);
        if (after != before)
            transition(p, before, after, f ? "fleet mode" : "fleet mode off", false);
    }
}

int
monitor_fleet_changed(struct monitor *m, const char *key)
{
    int64_t j = monitor_find(m, key);
    if (j < 0)
        return GTM_ENOENT;
    if (m->fleet.verdict)
        fleet_decide(m->probes[j], NULL);
    return 0;
}

const struct probe_info *
monitor_info(const struct monitor *m, uint32_t idx)
{
    if (!m || idx >= m->nprobes)
        return NULL;
    return &m->probes[idx]->info;
}

const struct history *
monitor_history(const struct monitor *m, uint32_t idx)
{
    if (!m || idx >= m->nprobes)
        return NULL;
    return &m->probes[idx]->history;
}

int
monitor_listen(struct monitor *m, monitor_listener_fn fn, void *arg)
{
    if (m->nlisteners == MONITOR_MAX_LISTENERS)
        return GTM_EINVAL;
    m->listeners[m->nlisteners].fn = fn;
    m->listeners[m->nlisteners].arg = arg;
    m->nlisteners++;
    return 0;
}

void
monitor_unlisten(struct monitor *m, monitor_listener_fn fn, void *arg)
{
    for (unsigned i = 0; i < m->nlisteners; i++)
        if (m->listeners[i].fn == fn && m->listeners[i].arg == arg) {
            m->listeners[i] = m->listeners[--m->nlisteners];
            return;
        }
}

int
monitor_force(struct monitor *m, uint32_t idx, int state)
{
    if (!m || idx >= m->nprobes ||
        (state != EPS_ONLINE && state != EPS_DEGRADED && state != MONITOR_UNFORCE))
        return GTM_EINVAL;
    struct mprobe *p = m->probes[idx];
    uint8_t before = effective(p);
    if (state == MONITOR_UNFORCE) {
        if (!p->info.forced)
            return 0;
        p->info.forced = false;
    } else {
        p->info.forced = true;
        p->info.forced_state = (uint8_t)state;
    }
    uint8_t after = effective(p);
    if (after != before)
        transition(p, before, after,
                   state == MONITOR_UNFORCE ? "drill override cleared" : "drill override", false);
    else if (state == MONITOR_UNFORCE)
        log_info("monitor: endpoint %s: drill override cleared (state unchanged)", p->label);
    else
        log_info("monitor: endpoint %s: drill override holds it %s (state unchanged)", p->label,
                 ep_status_name((enum ep_status)after));
    return 0;
}

void
monitor_run_due(struct monitor *m)
{
    GTM_ASSERT(m->seams.now_ms);
    for (;;) {
        int64_t now = now_ms(m);
        struct mprobe *next = NULL;
        for (uint32_t j = 0; j < m->nprobes; j++)
            if (m->probes[j]->due_ms <= now && (!next || m->probes[j]->due_ms < next->due_ms))
                next = m->probes[j];
        if (!next)
            return;
        /* as libevent reschedules a persistent timer: from when it was due,
         * or from now when a whole interval was missed */
        next->due_ms += next->interval_ms;
        if (next->due_ms < now)
            next->due_ms = now + next->interval_ms;
        on_tick(-1, EV_TIMEOUT, next);
    }
}

int
monitor_result(struct monitor *m, uint32_t idx, bool ok, const char *text, uint32_t duration_us)
{
    if (!m || !m->seams.start || idx >= m->nprobes || !m->probes[idx]->in_flight)
        return GTM_EINVAL;
    struct mprobe *p = m->probes[idx];
    run_over(p);
    record(p, ok, text, duration_us, true);
    return 0;
}

void
monitor_free(struct monitor *m)
{
    if (!m)
        return;
    for (uint32_t j = 0; j < m->nprobes; j++)
        probe_free(m->probes[j]);
    while (m->idle) {
        struct probe_run *r = m->idle;
        m->idle = r->next;
        probe_run_cleanup(r);
        free(r);
    }
    free(m->probes);
    free(m->keys);
    free(m->source);
    for (unsigned i = 0; i < MONITOR_MULTIS; i++)
        curlev_free(m->cev[i]);
    free(m);
}
