/* monitor.h: health probes (HTTP, HTTPS, TCP) on libcurl multi, driven by
 * the control loop's libevent base. Loop thread only. */
#ifndef GTM_MONITOR_MONITOR_H
#define GTM_MONITOR_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/history.h"

struct event_base;
struct gtm_snapshot;
struct monitor;

/* The states a probe's slot can hold (EPS_CHECKING, EPS_ONLINE, EPS_DEGRADED):
 * transitions are counted by [from][to] over these. */
#define PROBE_STATES 3

/* What the monitor knows about one probe, for logs, the API and metrics. */
struct probe_info {
    uint8_t state;             /* enum ep_status: what answers see (the override, else probed) */
    uint8_t probed;            /* enum ep_status: what the probes alone say */
    bool forced;               /* a drill override holds: state is forced_state */
    uint8_t forced_state;      /* EPS_ONLINE or EPS_DEGRADED */
    uint8_t fails;             /* consecutive failures */
    bool last_ok;              /* the verdict of the last probe */
    int64_t last_probe_ms;     /* wall clock of the last result, 0: none yet */
    int64_t last_change_ms;    /* wall clock of the last transition */
    uint32_t last_rtt_us;      /* duration of the last successful probe */
    uint32_t last_duration_us; /* duration of the last probe, successful or not */
    uint64_t probes_ok, probes_failed;
    uint32_t transitions[PROBE_STATES][PROBE_STATES]; /* by [from][to] */
    struct latency_hist latency;                      /* durations of every probe that ran */
    char last_result[128]; /* "HTTP 200", "HTTP 503", "timeout after 10 s", "connection refused" */
};

/* One transition, as listeners get it. */
struct monitor_event {
    uint32_t idx;                /* the probe, in the snapshot last reconciled */
    const char *label;           /* "profile/endpoint" of the first endpoint probing it */
    const struct transition *tr; /* what changed; valid during the call only */
};

/* A listener: called on the loop thread for every transition of every probe,
 * after the new state is published (so a query sees it). */
typedef void (*monitor_listener_fn)(void *arg, const struct monitor_event *ev);

#define MONITOR_MAX_LISTENERS 4
#define MONITOR_UNFORCE       (-1) /* monitor_force: clear the override */

/* Where the monitor's time and its probes' results come from. Production
 * uses none (monitor_new): the loop's cached wall clock, libevent timers
 * and curl transfers. A test gives a clock of its own and steps it, running
 * the ticks due with monitor_run_due, and may replace the transfers: start
 * is called for each run, and the run's result is handed back with
 * monitor_result (at once, later, or never: a timeout). */
struct monitor_seams {
    int64_t (*now_ms)(void *arg); /* wall clock in ms; NULL: the loop's */
    void (*start)(void *arg, uint32_t idx, const char *label); /* NULL: curl */
    void *arg;
    uint64_t seed; /* spreads first runs; 0: random */
};

/* monitor_new: a monitor on base; probes nothing until monitor_reconcile. */
struct monitor *monitor_new(struct event_base *base);

/* monitor_new_seams: the same with the seams s (copied; NULL: none). With
 * a clock of its own the monitor arms no timers: see monitor_run_due. */
struct monitor *monitor_new_seams(struct event_base *base, const struct monitor_seams *s);

/* monitor_run_due: with a seam clock only: runs every tick due by its now,
 * earliest first, rescheduling each as libevent reschedules a persistent
 * timer (from when it was due; from now after a missed interval). */
void monitor_run_due(struct monitor *m);

/* monitor_result: with a seam start only: the result of the run of probe
 * idx that start began (text as in probe_info.last_result). Returns 0, or
 * GTM_EINVAL when no run of idx is in flight (a timeout already ended it). */
int monitor_result(struct monitor *m, uint32_t idx, bool ok, const char *text,
                   uint32_t duration_us);

/* monitor_reconcile: makes the monitor probe what snap->probes lists, from
 * now on writing results into snap->health. A probe whose key was in the
 * previous snapshot keeps its state and schedule (its slot in snap is set
 * from it here); new keys start as CheckingEndpoint, first probes spread
 * over their interval; keys that disappeared stop (a probe in flight is
 * abandoned). Call before publishing snap. */
void monitor_reconcile(struct monitor *m, struct gtm_snapshot *snap);

/* monitor_info: the state of probe idx of the snapshot last reconciled. */
const struct probe_info *monitor_info(const struct monitor *m, uint32_t idx);

/* monitor_history: the transitions of probe idx, or NULL when there is none. */
const struct history *monitor_history(const struct monitor *m, uint32_t idx);

/* monitor_listen: fn(arg, event) on every transition from now on. Returns 0,
 * or GTM_EINVAL when MONITOR_MAX_LISTENERS are registered already. */
int monitor_listen(struct monitor *m, monitor_listener_fn fn, void *arg);

/* monitor_unlisten: stops calling fn(arg, ...). */
void monitor_unlisten(struct monitor *m, monitor_listener_fn fn, void *arg);

/* monitor_force: a drill override of probe idx: state EPS_ONLINE or
 * EPS_DEGRADED is published at once and held whatever the probes say (they
 * go on, and their results are kept), or MONITOR_UNFORCE returns the probe
 * to what its probes say. A change of the published state is a transition
 * (reason "drill override" or "drill override cleared"). The override
 * stays across reloads that keep the probe's key. Returns 0, or GTM_EINVAL
 * for an unknown idx or state. */
int monitor_force(struct monitor *m, uint32_t idx, int state);

/* monitor_set_source: probes set up from now on connect from the numeric
 * address src (--probe-source; NULL: the kernel's choice). Call before the
 * first monitor_reconcile. */
void monitor_set_source(struct monitor *m, const char *src);

/* monitor_set_max_in_flight: at most n runs in flight at once
 * (--max-probes-in-flight; 0 counts as 1). A run due when n are under way
 * is skipped: counted, logged once, and its probe moved to a random time
 * of its interval, so a bunch spreads out and the others keep their
 * schedule. Default: monitor_default_max_in_flight(). */
void monitor_set_max_in_flight(struct monitor *m, uint32_t n);

/* monitor_max_in_flight: the budget in force. */
uint32_t monitor_max_in_flight(const struct monitor *m);

/* monitor_default_max_in_flight: a quarter of the open-files limit (a run
 * holds a socket, one to a host name also its resolver's, and the rest of
 * gtmd needs the others), from 16 to 1048576. */
uint32_t monitor_default_max_in_flight(void);

/* What the monitor's runs cost, for metrics. */
struct monitor_counts {
    uint32_t in_flight; /* runs under way */
    uint32_t runs;      /* runs pooled: the most ever under way at once */
    uint64_t skipped;   /* runs skipped for want of the budget */
};

/* monitor_counts: c [out] for m (NULL: zeros). */
void monitor_counts(const struct monitor *m, struct monitor_counts *c);

/* ---- fleet mode (SPEC §11): the state a probe publishes is the fleet's
 * verdict, of which this node's probes give one vote. ---- */
struct monitor_fleet {
    /* This node's own verdict on probe key changed (info: what the probes
     * say; info->probed is the new state), or the probe stopped (gone:
     * info is NULL). Called before the published state is decided. */
    void (*own)(void *arg, const char *key, const struct probe_info *info, bool gone);
    /* The state to publish for key, given this node's own verdict own
     * (enum ep_status); why [out]: the reason of a transition ("2 of 3
     * nodes see it Degraded, quorum 2"). */
    uint8_t (*verdict)(void *arg, const char *key, uint8_t own, char *why, size_t whylen);
    void *arg;
};

/* monitor_set_fleet: from now on the published state of every probe (a
 * drill override aside) is f->verdict's; NULL: each probe's own again.
 * Every probe is decided again now. f is copied. */
void monitor_set_fleet(struct monitor *m, const struct monitor_fleet *f);

/* monitor_fleet_changed: the fleet's view of probe key changed: asks
 * f->verdict again and publishes the result (a transition when it moved).
 * Returns 0, or GTM_ENOENT when no probe has that key. Cost: one lookup. */
int monitor_fleet_changed(struct monitor *m, const char *key);

/* monitor_key: the key of probe idx (NULL when out of range). */
const char *monitor_key(const struct monitor *m, uint32_t idx);

/* monitor_count: the number of probes of the snapshot last reconciled. */
uint32_t monitor_count(const struct monitor *m);

/* monitor_find: the index of the probe with key, or -1. */
int64_t monitor_find(const struct monitor *m, const char *key);

/* monitor_free: stops every probe and frees. NULL is a no-op. */
void monitor_free(struct monitor *m);

#endif
