/* test_quorum.c: fleet/quorum.c: the fleet's verdict from its nodes'
 * verdicts (a table: live nodes, their verdicts, --quorum -> the state),
 * and the steps of following etcd (range, watch from the revision after,
 * backoff, a compacted revision, events of one revision, stale events),
 * without etcd; and fleet/map.c, the fleet's tables. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "fleet/fleet.h"
#include "fleet/map.h"
#include "fleet/quorum.h"
#include "gtm/profile.h"

#define C EPS_CHECKING
#define O EPS_ONLINE
#define D EPS_DEGRADED

struct row {
    const char *what;
    uint8_t states[8];
    unsigned n, quorum;
    uint8_t want;
    unsigned needed;
    bool disagree;
};

static const struct row table[] = {
    {"no node has a result yet", {C, C, C}, 3, 0, C, 0, false},
    {"no live node at all", {0}, 0, 0, C, 0, false},
    {"one node, Online", {O}, 1, 0, O, 1, false},
    {"one node, Degraded: the last node standing fails over", {D}, 1, 0, D, 1, false},
    {"1 of 3 Degraded: no failover (majority 2)", {O, D, O}, 3, 0, O, 2, true},
    {"2 of 3 Degraded: failover", {D, D, O}, 3, 0, D, 2, true},
    {"3 of 3 Degraded", {D, D, D}, 3, 0, D, 2, false},
    {"2 nodes, 1 Degraded: majority of 2 is 2", {D, O}, 2, 0, O, 2, true},
    {"2 nodes, both Degraded", {D, D}, 2, 0, D, 2, false},
    {"a node still checking does not vote", {D, C, O}, 3, 0, O, 2, true},
    {"checking nodes do not count: 1 of 1 voter", {D, C, C}, 3, 0, D, 1, false},
    {"5 nodes, 2 Degraded: majority 3", {D, D, O, O, O}, 5, 0, O, 3, true},
    {"5 nodes, 3 Degraded", {D, D, D, O, O}, 5, 0, D, 3, true},
    {"--quorum 1: any node's failure", {D, O, O}, 3, 1, D, 1, true},
    {"--quorum 3 of 3 voters, 2 Degraded", {D, D, O}, 3, 3, O, 3, true},
    {"--quorum 3 capped at 2 live voters", {D, D}, 2, 3, D, 2, false},
    {"--quorum 2, one voter left Degraded (capped at 1)", {D, C}, 2, 2, D, 1, false},
    {"--quorum 2, all Online", {O, O, O}, 3, 2, O, 2, false},
};

static void
test_quorum_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const struct row *r = &table[i];
        struct quorum_result q = quorum_decide(r->states, r->n, r->quorum);
        if (q.state != r->want || q.needed != r->needed || q.disagree != r->disagree)
            fail_msg("%s: state %u needed %u disagree %d, want %u %u %d", r->what, q.state,
                     q.needed, q.disagree, r->want, r->needed, r->disagree);
    }
}

static void
test_sync_steps(void **state)
{
    (void)state;
    struct sync s;
    sync_init(&s);
    assert_int_equal(s.next, SYNC_RANGE);
    /* etcd away before the first range: wait, then range (nothing read) */
    sync_failed(&s, 0);
    assert_int_equal(s.next, SYNC_WAIT);
    assert_int_equal(s.backoff_ms, SYNC_BACKOFF_MIN_MS);
    sync_failed(&s, 0);
    assert_int_equal(s.backoff_ms, 2 * SYNC_BACKOFF_MIN_MS);
    for (int i = 0; i < 20; i++)
        sync_failed(&s, 0);
    assert_int_equal(s.backoff_ms, SYNC_BACKOFF_MAX_MS);
    sync_retry(&s);
    assert_int_equal(s.next, SYNC_RANGE);
    sync_ok(&s);
    assert_int_equal(s.backoff_ms, SYNC_BACKOFF_MIN_MS);
    /* a range at 100: watch from 101 */
    sync_ranged(&s, 100);
    assert_int_equal(s.next, SYNC_WATCH);
    assert_int_equal(s.applied, 100);
    assert_int_equal(s.full_syncs, 1);
    /* events: newer ones apply; several of one revision all apply */
    assert_true(sync_event(&s, 101));
    assert_true(sync_event(&s, 105));
    assert_true(sync_event(&s, 105));
    assert_int_equal(s.applied, 105);
    /* an event older than what was applied (a range read it) is skipped */
    assert_false(sync_event(&s, 103));
    assert_int_equal(s.applied, 105);
    assert_true(sync_event(&s, 120));
    /* the watch breaks: wait, then watch again from applied + 1: no gap */
    sync_failed(&s, 0);
    assert_int_equal(s.next, SYNC_WAIT);
    sync_retry(&s);
    assert_int_equal(s.next, SYNC_WATCH);
    assert_int_equal(s.applied, 120);
    /* a watch that keeps failing before it brings anything: a range */
    sync_failed(&s, 0);
    sync_failed(&s, 0);
    sync_retry(&s);
    assert_int_equal(s.failures, SYNC_WATCH_TRIES);
    assert_int_equal(s.next, SYNC_RANGE);
    sync_ranged(&s, 121);
    sync_ok(&s);
    assert_int_equal(s.failures, 0);
    /* etcd compacted past 121: what came between is gone: range again */
    sync_failed(&s, 150);
    sync_retry(&s);
    assert_int_equal(s.next, SYNC_RANGE);
    assert_int_equal(s.applied, 0);
    sync_ranged(&s, 160);
    assert_int_equal(s.full_syncs, 3);
    assert_int_equal(s.next, SYNC_WATCH);
    /* a compaction at or below what was applied misses nothing */
    sync_failed(&s, 160);
    sync_retry(&s);
    assert_int_equal(s.next, SYNC_WATCH);
    assert_int_equal(s.applied, 160);
}

static void
test_probe_id(void **state)
{
    (void)state;
    char a[33], b[33], c[33];
    fleet_probe_id("HTTP|10.0.0.1|80|/|30000|10000|3", a);
    fleet_probe_id("HTTP|10.0.0.1|80|/|30000|10000|3", b);
    fleet_probe_id("HTTP|10.0.0.2|80|/|30000|10000|3", c);
    assert_int_equal(strlen(a), 32);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    for (int i = 0; i < 32; i++)
        assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
}

static void
count_cb(void *arg, struct map_entry *e)
{
    (void)e;
    (*(unsigned *)arg)++;
}

static void
test_map(void **state)
{
    (void)state;
    struct map m = {0};
    assert_null(map_get(&m, "x"));
    assert_null(map_del(&m, "x"));
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        struct map_entry *e = map_put(&m, key);
        e->rev = i;
    }
    assert_int_equal(m.n, 1000);
    assert_ptr_equal(map_put(&m, "k7"), map_get(&m, "k7"));
    assert_int_equal(map_get(&m, "k999")->rev, 999);
    for (int i = 0; i < 1000; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        map_del(&m, key);
    }
    assert_int_equal(m.n, 500);
    assert_null(map_get(&m, "k10"));
    assert_non_null(map_get(&m, "k11"));
    unsigned n = 0;
    map_each(&m, count_cb, &n);
    assert_int_equal(n, 500);
    map_clear(&m, NULL);
    assert_int_equal(m.n, 0);
    assert_null(map_get(&m, "k11"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quorum_table),
        cmocka_unit_test(test_sync_steps),
        cmocka_unit_test(test_probe_id),
        cmocka_unit_test(test_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
