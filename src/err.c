/* err.c: text for GTM_E* codes. */
#include "config.h"
#include "gtm/err.h"

#include <string.h>

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
