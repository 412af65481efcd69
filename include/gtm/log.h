/* log.h: one-line log messages to stderr, filtered by level. Thread-safe. */
#ifndef GTM_GTM_LOG_H
#define GTM_GTM_LOG_H

#include <stdbool.h>
#include <stdlib.h>

#include "gtm/compiler.h"

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* log_set_level: messages below lvl are dropped. Call before threads start. */
void log_set_level(enum log_level lvl);
/* log_parse_level: "debug"|"info"|"warn"|"error" -> level; -1 when unknown. */
int log_parse_level(const char *s);
bool log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) GTM_PRINTF(2, 3);
/* log_rl: rate limited (per call site) for per-packet problems. */
void log_rl(enum log_level lvl, long *last, const char *fmt, ...) GTM_PRINTF(3, 4);

#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_DEBUG))                                                          \
            log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                                 \
    } while (0)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_err(...)  log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
/* At most one message a second from each call site. */
#define log_rl_warn(...)                                                                           \
    do {                                                                                           \
        static long rl_last_;                                                                      \
        log_rl(LOG_LEVEL_WARN, &rl_last_, __VA_ARGS__);                                            \
    } while (0)

#ifdef NDEBUG
#define GTM_ASSERT(x) ((void)0)
#else
#define GTM_ASSERT(x)                                                                              \
    do {                                                                                           \
        if (unlikely(!(x))) {                                                                      \
            log_msg(LOG_LEVEL_ERROR, "assertion failed: %s at %s:%d", #x, __FILE__, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
#endif

#endif
