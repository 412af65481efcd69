/* guid.h: the one rule for a GUID as ARM writes subscription ids:
 * 8-4-4-4-12 hexadecimal digits, any case. */
#ifndef GTM_GUID_H
#define GTM_GUID_H

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define GTM_GUID_LEN 36

static inline bool
gtm_guid_valid(const char *s)
{
    if (strlen(s) != GTM_GUID_LEN)
        return false;
    for (size_t i = 0; i < GTM_GUID_LEN; i++)
        if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

#endif
