/* err.h: error codes, and configuration errors. Fallible functions return
 * 0 or a negative GTM_E*; a configuration error is reported once, where it
 * is found, as "file:line: error: message", and counted. */
#ifndef GTM_GTM_ERR_H
#define GTM_GTM_ERR_H

#include <errno.h>

#include "gtm/compiler.h"

enum {
    GTM_EOK = 0,
    GTM_EINVAL = -EINVAL, /* bad input (configuration, arguments) */
    GTM_ENOMEM = -ENOMEM, /* out of memory */
    GTM_EIO = -EIO,       /* file or socket error */
    GTM_ERANGE = -ERANGE, /* value out of range */
    GTM_EEXIST = -EEXIST, /* duplicate */
    GTM_ENOENT = -ENOENT, /* not found */
    GTM_ECONFIG = -1000,  /* configuration has errors (details already reported) */
};

/* gtm_strerror: a static description of a GTM_E* code or negative errno. */
const char *gtm_strerror(int err);

/* Where configuration errors go: counted here, each handed to sink (the
 * daemon prints "file:line: error: message"; tests collect them). */
struct config_errors {
    unsigned count;
    void (*sink)(void *arg, const char *file, unsigned line, const char *msg);
    void *arg;
};

/* config_error: records and reports one error (line 0: no line is known). */
void config_error(struct config_errors *errs, const char *file, unsigned line, const char *fmt, ...)
    GTM_PRINTF(4, 5);
/* config_warning: reports a warning in the same format; does not count. */
void config_warning(const char *file, unsigned line, const char *fmt, ...) GTM_PRINTF(3, 4);

#endif
