/* err.c: text for GTM_E* codes, and the one place configuration errors and
 * warnings are counted and reported. */
#include "config.h"
#include "gtm/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gtm/log.h"

const char *
gtm_strerror(int err)
{
    switch (err) {
    case GTM_EOK:
        return "success";
    case GTM_ECONFIG:
        return "configuration has errors";
    default:
        return err < 0 ? strerror(-err) : "unknown error";
    }
}

void
config_error(struct config_errors *errs, const char *file, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    errs->count++;
    if (errs->sink)
        errs->sink(errs->arg, file, line, msg);
}

void
config_warning(const char *file, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        log_warn("%s:%u: warning: %s", file, line, msg);
    else
        log_warn("%s: warning: %s", file, msg);
}
