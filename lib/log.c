/* log.c: one line per message on stderr: "TIME gtmd[PID]: LEVEL: message". */
#include "config.h"
#include "gtm/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_set_level(enum log_level lvl)
{
    min_level = lvl;
}

int
log_parse_level(const char *s)
{
    for (size_t i = 0; i < GTM_ARRAY_LEN(level_names); i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return (int)i;
    return -1;
}

bool
log_enabled(enum log_level lvl)
{
    return lvl >= min_level;
}

GTM_PRINTF(2, 0) static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ gtmd[%ld]: %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, (long)getpid(), level_names[lvl]);
    if (n < 0)
        return;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    /* One message, one line: control characters from input never split it. */
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    fprintf(stderr, "%s\n", line);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (!log_enabled(lvl))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lvl, fmt, ap);
    va_end(ap);
}

void
log_rl(enum log_level lvl, long *last, const char *fmt, ...)
{
    if (!log_enabled(lvl))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    long prev = __atomic_load_n(last, __ATOMIC_RELAXED);
    if (prev == (long)ts.tv_sec || !__atomic_compare_exchange_n(last, &prev, (long)ts.tv_sec, false,
                                                                __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lvl, fmt, ap);
    va_end(ap);
}
