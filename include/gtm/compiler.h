/* compiler.h: attributes and branch hints used across gtmd. */
#ifndef GTM_GTM_COMPILER_H
#define GTM_GTM_COMPILER_H

#define GTM_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define GTM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define GTM_WUR          __attribute__((warn_unused_result))
#define GTM_UNUSED       __attribute__((unused))
#define GTM_NORETURN     __attribute__((noreturn))
#define GTM_MALLOC       __attribute__((malloc))
#define likely(x)        __builtin_expect(!!(x), 1)
#define unlikely(x)      __builtin_expect(!!(x), 0)
#define GTM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
