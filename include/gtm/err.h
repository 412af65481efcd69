/* err.h: error codes. Fallible functions return 0 or a negative GTM_E*. */
#ifndef GTM_GTM_ERR_H
#define GTM_GTM_ERR_H

#include <errno.h>

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

#endif
