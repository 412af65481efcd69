/* test_obs.c: the pure parts of observability: the transition ring, the
 * probe duration histogram, label and HTML escaping, time stamps; and the
 * monitor's drill override, history and listeners on a probe that never
 * runs (its first tick is an hour away), without a loop. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "api/text.h"
#include "gtm/err.h"
#include "gtm/health.h"
#include "gtm/probe.h"
#include "gtm/snapshot.h"
#include "monitor/history.h"
#include "monitor/monitor.h"

/* ---- the ring ---- */

static void
push(struct history *h, int64_t at, uint8_t from, uint8_t to, const char *reason)
{
    struct transition t = {.at_ms = at, .from = from, .to = to, .fails = 3};
    snprintf(t.reason, sizeof t.reason, "%s", reason);
    history_push(h, &t);
}

static void
test_history_empty(void **state)
{
    (void)state;
    struct history h = {0};
    assert_int_equal(history_count(&h), 0);
    assert_null(history_get(&h, 0));
}

static void
test_history_order(void **state)
{
    (void)state;
    struct history h = {0};
    push(&h, 1000, EPS_CHECKING, EPS_ONLINE, "HTTP 200");
    push(&h, 2000, EPS_ONLINE, EPS_DEGRADED, "HTTP 503");
    assert_int_equal(history_count(&h), 2);
    const struct transition *t = history_get(&h, 0);
    assert_non_null(t);
    assert_int_equal(t->at_ms, 2000);
    assert_int_equal(t->from, EPS_ONLINE);
    assert_int_equal(t->to, EPS_DEGRADED);
    assert_int_equal(t->fails, 3);
    assert_string_equal(t->reason, "HTTP 503");
    assert_int_equal(history_get(&h, 1)->at_ms, 1000);
    assert_null(history_get(&h, 2));
    history_free(&h);
    assert_int_equal(history_count(&h), 0);
}

/* The ring grows by doubling as transitions come, keeping their order, and
 * stops growing at HISTORY_LEN: an idle probe holds one or two entries. */
static void
test_history_grows(void **state)
{
    (void)state;
    struct history h = {0};
    for (unsigned n = 1; n <= HISTORY_LEN + 3; n++) {
        push(&h, n, EPS_ONLINE, EPS_DEGRADED, "x");
        unsigned cap = 1;
        while (cap < n && cap < HISTORY_LEN)
            cap *= 2;
        assert_int_equal(h.cap, cap);
        unsigned held = n < HISTORY_LEN ? n : HISTORY_LEN;
        assert_int_equal(history_count(&h), held);
        for (unsigned i = 0; i < held; i++)
            assert_int_equal(history_get(&h, i)->at_ms, (int64_t)(n - i));
        assert_null(history_get(&h, held));
    }
    history_free(&h);
}

/* Past HISTORY_LEN the oldest go: the newest HISTORY_LEN remain, in order. */
static void
test_history_wraps(void **state)
{
    (void)state;
    struct history *h = calloc(1, sizeof *h);
    assert_non_null(h);
    const unsigned n = HISTORY_LEN * 2 + 5;
    for (unsigned i = 0; i < n; i++) {
        char r[32];
        snprintf(r, sizeof r, "r%u", i);
        push(h, i, EPS_ONLINE, EPS_DEGRADED, r);
    }
    assert_int_equal(history_count(h), HISTORY_LEN);
    assert_int_equal(h->total, n);
    for (unsigned i = 0; i < HISTORY_LEN; i++) {
        const struct transition *t = history_get(h, i);
        char r[32];
        snprintf(r, sizeof r, "r%u", n - 1 - i);
        assert_int_equal(t->at_ms, (int64_t)(n - 1 - i));
        assert_string_equal(t->reason, r);
    }
    assert_null(history_get(h, HISTORY_LEN));
    history_free(h);
    free(h);
}

static void
test_history_long_reason(void **state)
{
    (void)state;
    struct history h = {0};
    struct transition t = {.at_ms = 5};
    memset(t.reason, 'x', sizeof t.reason - 1);
    t.reason[sizeof t.reason - 1] = 0;
    history_push(&h, &t);
    assert_int_equal(strlen(history_get(&h, 0)->reason), HISTORY_REASON_LEN - 1);
    history_free(&h);
}

/* ---- the histogram ---- */

static void
test_latency_buckets(void **state)
{
    (void)state;
    struct latency_hist h = {0};
    /* a bound is inclusive (le = "less or equal") */
    latency_observe(&h, 0);
    latency_observe(&h, 500);
    latency_observe(&h, 501);
    latency_observe(&h, 1000);
    latency_observe(&h, 10000000); /* 10 s */
    latency_observe(&h, 30000001); /* past the last bound: only +Inf */
    assert_int_equal(h.count, 6);
    assert_int_equal(h.sum_us, 0 + 500 + 501 + 1000 + 10000000 + 30000001ull);
    assert_int_equal(h.bucket[0], 2);
    assert_int_equal(h.bucket[1], 2);
    assert_int_equal(h.bucket[LATENCY_BUCKETS], 1);
    assert_int_equal(latency_cumulative(&h, 0), 2);
    assert_int_equal(latency_cumulative(&h, 1), 4);
    assert_int_equal(latency_cumulative(&h, 12), 4); /* le=5 */
    assert_int_equal(latency_cumulative(&h, 13), 5); /* le=10 */
    assert_int_equal(latency_cumulative(&h, LATENCY_BUCKETS - 1), 5);
    assert_int_equal(latency_cumulative(&h, LATENCY_BUCKETS), 6); /* +Inf == count */
    /* the bounds ascend */
    for (unsigned i = 1; i < LATENCY_BUCKETS; i++)
        assert_true(latency_bounds_us[i] > latency_bounds_us[i - 1]);
    assert_int_equal(latency_bounds_us[13], 10000000);
}

/* ---- escaping ---- */

static char *
drain(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    assert_non_null(s);
    evbuffer_remove(b, s, n);
    s[n] = 0;
    return s;
}

static void
check_prom(const char *in, const char *want)
{
    struct evbuffer *b = evbuffer_new();
    prom_label_value(b, in);
    char *got = drain(b);
    assert_string_equal(got, want);
    free(got);
    evbuffer_free(b);
}

static void
check_html(const char *in, const char *want)
{
    struct evbuffer *b = evbuffer_new();
    html_text(b, in);
    char *got = drain(b);
    assert_string_equal(got, want);
    free(got);
    evbuffer_free(b);
}

static void
test_prom_escape(void **state)
{
    (void)state;
    check_prom("", "");
    check_prom("plain-name_1", "plain-name_1");
    check_prom("a\"b", "a\\\"b");
    check_prom("a\\b", "a\\\\b");
    check_prom("line\nbreak", "line\\nbreak");
    check_prom("\\\"\n", "\\\\\\\"\\n");
    check_prom("{x=\"}", "{x=\\\"}");
    check_prom("caf\xc3\xa9", "caf\xc3\xa9"); /* UTF-8 as is */
}

static void
test_html_escape(void **state)
{
    (void)state;
    check_html("", "");
    check_html("app", "app");
    check_html("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    check_html("a&b \"q\"", "a&amp;b &quot;q&quot;");
    check_html("&amp;", "&amp;amp;");
}

static void
test_time_iso8601(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(time_iso8601(0, buf, sizeof buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(time_iso8601(1700000000123, buf, sizeof buf), "2023-11-14T22:13:20.123Z");
}

/* ---- the monitor's override, history and listeners ---- */

struct heard {
    unsigned n;
    uint32_t idx[8];
    uint8_t from[8], to[8];
    char reason[8][HISTORY_REASON_LEN];
};

static void
listener(void *arg, const struct monitor_event *ev)
{
    struct heard *h = arg;
    if (h->n < 8) {
        h->idx[h->n] = ev->idx;
        h->from[h->n] = ev->tr->from;
        h->to[h->n] = ev->tr->to;
        snprintf(h->reason[h->n], sizeof h->reason[h->n], "%s", ev->tr->reason);
    }
    h->n++;
}

/* A TCP probe of 127.0.0.1 whose first run is up to an hour away. */
static struct probe_spec
idle_spec(const char *key, const char *label)
{
    struct probe_spec s = {0};
    s.proto = PROBE_TCP;
    s.host = "127.0.0.1";
    s.port = 9; /* never connected to: the test does not run the loop */
    s.interval_ms = 3600 * 1000;
    s.timeout_ms = 1000;
    s.fall = 3;
    s.key = key;
    s.label = label;
    return s;
}

static uint8_t
slot(const struct health_slot *h)
{
    return atomic_load(&h->status);
}

static void
test_monitor_force(void **state)
{
    (void)state;
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    struct event_base *base = event_base_new();
    struct monitor *m = monitor_new(base);
    struct heard heard = {0};
    assert_int_equal(monitor_listen(m, listener, &heard), 0);

    struct probe_spec specs[2] = {idle_spec("tcp|a", "p/a"), idle_spec("tcp|b", "p/b")};
    struct health_slot slots[2];
    atomic_init(&slots[0].status, EPS_CHECKING);
    atomic_init(&slots[1].status, EPS_CHECKING);
    atomic_init(&slots[0].rtt_us, 0);
    atomic_init(&slots[1].rtt_us, 0);
    struct gtm_snapshot snap = {.probes = specs, .health = slots, .nprobes = 2};
    monitor_reconcile(m, &snap);

    /* bad arguments */
    assert_int_equal(monitor_force(m, 2, EPS_DEGRADED), GTM_EINVAL);
    assert_int_equal(monitor_force(m, 0, EPS_CHECKING), GTM_EINVAL);
    assert_int_equal(monitor_force(m, 0, EPS_DISABLED), GTM_EINVAL);
    /* clearing what is not forced changes nothing */
    assert_int_equal(monitor_force(m, 0, MONITOR_UNFORCE), 0);
    assert_int_equal(heard.n, 0);

    /* forcing publishes at once, keeps what the probes say apart */
    assert_int_equal(monitor_force(m, 1, EPS_DEGRADED), 0);
    assert_int_equal(slot(&slots[1]), EPS_DEGRADED);
    assert_int_equal(slot(&slots[0]), EPS_CHECKING);
    const struct probe_info *pi = monitor_info(m, 1);
    assert_true(pi->forced);
    assert_int_equal(pi->forced_state, EPS_DEGRADED);
    assert_int_equal(pi->state, EPS_DEGRADED);
    assert_int_equal(pi->probed, EPS_CHECKING);
    assert_int_equal(pi->transitions[EPS_CHECKING][EPS_DEGRADED], 1);
    assert_int_equal(heard.n, 1);
    assert_int_equal(heard.idx[0], 1);
    assert_int_equal(heard.from[0], EPS_CHECKING);
    assert_int_equal(heard.to[0], EPS_DEGRADED);
    assert_string_equal(heard.reason[0], "drill override");
    const struct history *h = monitor_history(m, 1);
    assert_int_equal(history_count(h), 1);
    assert_string_equal(history_get(h, 0)->reason, "drill override");
    assert_int_equal(history_count(monitor_history(m, 0)), 0);

    /* the same state again: no transition */
    assert_int_equal(monitor_force(m, 1, EPS_DEGRADED), 0);
    assert_int_equal(heard.n, 1);

    /* a reload that keeps key b (now at index 0) and drops a keeps the
     * override, the history, and publishes the forced state in the new slot */
    struct probe_spec specs2[2] = {idle_spec("tcp|b", "q/b"), idle_spec("tcp|c", "q/c")};
    struct health_slot slots2[2];
    atomic_init(&slots2[0].status, EPS_CHECKING);
    atomic_init(&slots2[1].status, EPS_ONLINE);
    atomic_init(&slots2[0].rtt_us, 0);
    atomic_init(&slots2[1].rtt_us, 0);
    struct gtm_snapshot snap2 = {.probes = specs2, .health = slots2, .nprobes = 2};
    monitor_reconcile(m, &snap2);
    assert_int_equal(slot(&slots2[0]), EPS_DEGRADED);
    assert_int_equal(slot(&slots2[1]), EPS_CHECKING);
    assert_true(monitor_info(m, 0)->forced);
    assert_false(monitor_info(m, 1)->forced);
    assert_int_equal(history_count(monitor_history(m, 0)), 1);

    /* Online over Degraded, then clearing: back to what the probes say */
    assert_int_equal(monitor_force(m, 0, EPS_ONLINE), 0);
    assert_int_equal(slot(&slots2[0]), EPS_ONLINE);
    assert_int_equal(monitor_force(m, 0, MONITOR_UNFORCE), 0);
    assert_int_equal(slot(&slots2[0]), EPS_CHECKING);
    assert_false(monitor_info(m, 0)->forced);
    assert_int_equal(heard.n, 3);
    assert_int_equal(heard.idx[2], 0);
    assert_int_equal(heard.from[2], EPS_ONLINE);
    assert_int_equal(heard.to[2], EPS_CHECKING);
    assert_string_equal(heard.reason[2], "drill override cleared");
    h = monitor_history(m, 0);
    assert_int_equal(history_count(h), 3);
    assert_string_equal(history_get(h, 0)->reason, "drill override cleared");
    assert_string_equal(history_get(h, 2)->reason, "drill override");
    assert_null(monitor_history(m, 2));

    /* listeners: a full table refuses, unlisten stops the calls */
    monitor_unlisten(m, listener, &heard);
    assert_int_equal(monitor_force(m, 1, EPS_DEGRADED), 0);
    assert_int_equal(heard.n, 3);
    for (int i = 0; i < MONITOR_MAX_LISTENERS; i++)
        assert_int_equal(monitor_listen(m, listener, &heard), 0);
    assert_int_equal(monitor_listen(m, listener, &heard), GTM_EINVAL);

    monitor_free(m);
    event_base_free(base);
    curl_global_cleanup();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_empty),       cmocka_unit_test(test_history_order),
        cmocka_unit_test(test_history_grows),       cmocka_unit_test(test_history_wraps),
        cmocka_unit_test(test_history_long_reason), cmocka_unit_test(test_latency_buckets),
        cmocka_unit_test(test_prom_escape),         cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_time_iso8601),        cmocka_unit_test(test_monitor_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
