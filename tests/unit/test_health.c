/* test_health.c: fsm_next (monitor/fsm.h), the monitor's state machine,
 * as a table of (state, failures, fall, result) -> (state, failures,
 * changed). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include <cmocka.h>

#include "gtm/profile.h"
#include "monitor/fsm.h"

struct step {
    uint8_t state, fails;
    unsigned fall;
    bool ok;
    uint8_t want_state, want_fails;
    bool want_changed;
};

static const struct step steps[] = {
    /* a success: Online at once, from anywhere, failures forgotten */
    {EPS_CHECKING, 0, 3, true, EPS_ONLINE, 0, true},
    {EPS_CHECKING, 2, 3, true, EPS_ONLINE, 0, true},
    {EPS_ONLINE, 0, 3, true, EPS_ONLINE, 0, false},
    {EPS_ONLINE, 2, 3, true, EPS_ONLINE, 0, false},
    {EPS_DEGRADED, 7, 3, true, EPS_ONLINE, 0, true},
    /* failures below fall: counted, no change */
    {EPS_ONLINE, 0, 3, false, EPS_ONLINE, 1, false},
    {EPS_ONLINE, 1, 3, false, EPS_ONLINE, 2, false},
    {EPS_CHECKING, 0, 3, false, EPS_CHECKING, 1, false},
    {EPS_CHECKING, 1, 3, false, EPS_CHECKING, 2, false},
    /* the fall-th failure: Degraded, from Online and from CheckingEndpoint */
    {EPS_ONLINE, 2, 3, false, EPS_DEGRADED, 3, true},
    {EPS_CHECKING, 2, 3, false, EPS_DEGRADED, 3, true},
    /* more failures: stays Degraded, still counting */
    {EPS_DEGRADED, 3, 3, false, EPS_DEGRADED, 4, false},
    /* toleratedNumberOfFailures 0 -> fall 1: the first failure */
    {EPS_ONLINE, 0, 1, false, EPS_DEGRADED, 1, true},
    {EPS_CHECKING, 0, 1, false, EPS_DEGRADED, 1, true},
    /* toleratedNumberOfFailures 9 -> fall 10 */
    {EPS_ONLINE, 8, 10, false, EPS_ONLINE, 9, false},
    {EPS_ONLINE, 9, 10, false, EPS_DEGRADED, 10, true},
    /* a zero fall behaves as 1 */
    {EPS_ONLINE, 0, 0, false, EPS_DEGRADED, 1, true},
    /* the counter saturates */
    {EPS_DEGRADED, 255, 3, false, EPS_DEGRADED, 255, false},
};

static void
test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step *s = &steps[i];
        const struct fsm before = {.state = s->state, .fails = s->fails};
        struct fsm h = fsm_next(before, s->fall, s->ok);
        bool changed = h.state != before.state;
        if (h.state != s->want_state || h.fails != s->want_fails || changed != s->want_changed)
            fail_msg("row %zu: got state %u fails %u changed %d, want %u %u %d", i, h.state,
                     h.fails, changed, s->want_state, s->want_fails, s->want_changed);
    }
}

/* A whole timeline: ATM's documented default (3 tolerated -> the 4th
 * consecutive failure) and recovery after one success. */
static void
test_sequence(void **state)
{
    (void)state;
    static const struct {
        bool ok;
        uint8_t state;
        bool changed;
    } seq[] = {
        {false, EPS_CHECKING, false}, {true, EPS_ONLINE, true},   {false, EPS_ONLINE, false},
        {false, EPS_ONLINE, false},   {true, EPS_ONLINE, false},  {false, EPS_ONLINE, false},
        {false, EPS_ONLINE, false},   {false, EPS_ONLINE, false}, {false, EPS_DEGRADED, true},
        {false, EPS_DEGRADED, false}, {true, EPS_ONLINE, true},   {false, EPS_ONLINE, false},
    };
    struct fsm h = {.state = EPS_CHECKING, .fails = 0};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        uint8_t old = h.state;
        h = fsm_next(h, 4, seq[i].ok);
        bool changed = h.state != old;
        if (h.state != seq[i].state || changed != seq[i].changed)
            fail_msg("step %zu: got state %u changed %d, want %u %d", i, h.state, changed,
                     seq[i].state, seq[i].changed);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
