/* clock.h: the monotonic clock, in the units its callers count in. One
 * place for what src/hook.c, fleet/ and monitor/ each wrote for itself. */
#ifndef GTM_CLOCK_H
#define GTM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Microseconds of CLOCK_MONOTONIC (a probe's round trip). */
static inline int64_t
clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Milliseconds of CLOCK_MONOTONIC (a hook's run time, etcd contact). */
static inline int64_t
clock_mono_ms(void)
{
    return clock_mono_us() / 1000;
}

/* Seconds of CLOCK_MONOTONIC (cookie secret rotation). */
static inline int64_t
clock_mono_s(void)
{
    return clock_mono_us() / 1000000;
}

#endif
