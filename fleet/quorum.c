/* quorum.c: the fleet's verdict from its nodes' verdicts, and the steps of
 * following etcd. Pure. */
#include "config.h"
#include "fleet/quorum.h"

#include "gtm/profile.h"

struct quorum_result
quorum_decide(const uint8_t *states, unsigned n, unsigned quorum)
{
    struct quorum_result r = {.state = EPS_CHECKING};
    unsigned online = 0;
    for (unsigned i = 0; i < n; i++) {
        if (states[i] == EPS_DEGRADED)
            r.degraded++;
        else if (states[i] == EPS_ONLINE)
            online++;
    }
    r.voters = r.degraded + online;
    if (!r.voters)
        return r;
    r.needed = quorum ? (quorum < r.voters ? quorum : r.voters) : r.voters / 2 + 1;
    r.state = r.degraded >= r.needed ? EPS_DEGRADED : EPS_ONLINE;
    r.disagree = r.degraded && online;
    return r;
}

void
sync_init(struct sync *s)
{
    *s = (struct sync){.backoff_ms = SYNC_BACKOFF_MIN_MS, .next = SYNC_RANGE};
}

void
sync_ranged(struct sync *s, int64_t rev)
{
    s->applied = rev;
    s->next = SYNC_WATCH;
    s->full_syncs++;
}

bool
sync_event(struct sync *s, int64_t rev)
{
    if (rev < s->applied)
        return false; /* older than what a range already gave */
    /* equal: several events of one revision (a lease's keys all go at once) */
    s->applied = rev;
    return true;
}

void
sync_failed(struct sync *s, int64_t compact_rev)
{
    if (compact_rev > 0 && compact_rev > s->applied) {
        /* what happened between applied and the compaction is gone */
        s->applied = 0;
    }
    s->failures++;
    if (s->failures > 1) {
        s->backoff_ms *= 2;
        if (s->backoff_ms > SYNC_BACKOFF_MAX_MS)
            s->backoff_ms = SYNC_BACKOFF_MAX_MS;
    }
    s->next = SYNC_WAIT;
}

void
sync_retry(struct sync *s)
{
    /* A watch that fails again and again before it brings anything (say
     * a catch-up batch it cannot take) is given up for a range. */
    s->next = s->applied > 0 && s->failures < SYNC_WATCH_TRIES ? SYNC_WATCH : SYNC_RANGE;
}

void
sync_ok(struct sync *s)
{
    s->failures = 0;
    s->backoff_ms = SYNC_BACKOFF_MIN_MS;
}
