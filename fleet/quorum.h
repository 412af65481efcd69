/* quorum.h: the fleet's verdict on one endpoint from its nodes' verdicts
 * (SPEC §11), and the order in which a node follows etcd (range, then watch
 * from the revision after it; a compacted revision means range again). Pure:
 * no clock, no I/O, table-tested in tests/unit/test_quorum.c. */
#ifndef GTM_FLEET_QUORUM_H
#define GTM_FLEET_QUORUM_H

#include <stdbool.h>
#include <stdint.h>

/* The fleet's verdict and how it was reached. */
struct quorum_result {
    uint8_t state;     /* enum ep_status */
    unsigned voters;   /* nodes with a result (Online or Degraded) */
    unsigned degraded; /* of them, those that say Degraded */
    unsigned needed;   /* Degraded votes that make it Degraded */
    bool disagree;     /* the voters do not all say the same */
};

/* quorum_decide: states[0..n) are the verdicts (enum ep_status) of the
 * live nodes that have one for the endpoint; quorum is --quorum (0: a
 * majority of the voters). Degraded when at least `needed` voters say so,
 * where needed is quorum, capped at the number of voters (so that the last
 * node standing still fails over), or a majority of them; Online otherwise
 * once any node has a result; CheckingEndpoint while none has. */
struct quorum_result quorum_decide(const uint8_t *states, unsigned n, unsigned quorum);

/* ---- following etcd ---- */

enum sync_step {
    SYNC_RANGE, /* read every key (again) and apply the difference */
    SYNC_WATCH, /* watch from sync.applied + 1 */
    SYNC_WAIT,  /* etcd is away: try again after sync.backoff_ms */
};

struct sync {
    int64_t applied;     /* the last revision applied; 0: nothing read yet */
    unsigned backoff_ms; /* the wait before the next try */
    unsigned failures;   /* in a row */
    enum sync_step next; /* what to do now */
    uint64_t full_syncs; /* ranges done */
};

#define SYNC_BACKOFF_MIN_MS 250
#define SYNC_BACKOFF_MAX_MS 5000
#define SYNC_WATCH_TRIES    3 /* failures in a row after which a range replaces the watch */

/* sync_init: nothing read: range first. */
void sync_init(struct sync *s);

/* sync_ranged: a range read the store at revision rev: from there on, the
 * watch. */
void sync_ranged(struct sync *s, int64_t rev);

/* sync_event: an event at revision rev came: true when it is to be applied,
 * false when it is older than what was applied (a range read it already).
 * Several events share a revision when one transaction or a lease's end
 * changed several keys: each of them applies. */
bool sync_event(struct sync *s, int64_t rev);

/* sync_failed: a call failed or the watch broke: wait (backoff doubling
 * from SYNC_BACKOFF_MIN_MS to SYNC_BACKOFF_MAX_MS), then watch again from
 * applied + 1 (or range, when nothing was read yet). compact_rev > 0: etcd
 * compacted past applied + 1, so changes may have been missed: range. */
void sync_failed(struct sync *s, int64_t compact_rev);

/* sync_retry: the wait is over: the step it was waiting for: the watch
 * from applied + 1, or a range when nothing was read yet or after
 * SYNC_WATCH_TRIES failures in a row. */
void sync_retry(struct sync *s);

/* sync_ok: a range, or a watch that brought events, went through: the
 * failures are forgotten and the backoff starts again from the least. */
void sync_ok(struct sync *s);

#endif
