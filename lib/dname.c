/* dname.c: conversions between presentation and wire names. */
#include "config.h"
#include "gtm/dname.h"

#include <stdio.h>
#include <string.h>

#include "gtm/err.h"

int
dname_from_text(const char *text, uint8_t *out)
{
    size_t len = 0;
    const char *p = text;
    if (strcmp(p, ".") == 0) {
        out[0] = 0;
        return 1;
    }
    while (*p) {
        uint8_t label[63];
        size_t ll = 0;
        while (*p && *p != '.') {
            unsigned c = (unsigned char)*p++;
            if (c == '\\') {
                if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                    p[2] <= '9') {
                    c = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
                    if (c > 255)
                        return GTM_EINVAL;
                    p += 3;
                } else if (*p) {
                    c = (unsigned char)*p++;
                } else {
                    return GTM_EINVAL;
                }
            }
            if (ll == sizeof label)
                return GTM_EINVAL;
            label[ll++] = dname_lower((uint8_t)c);
        }
        if (ll == 0)
            return GTM_EINVAL; /* empty label: "a..b" or leading dot */
        if (len + 1 + ll + 1 > DNAME_MAXLEN)
            return GTM_EINVAL;
        out[len++] = (uint8_t)ll;
        memcpy(out + len, label, ll);
        len += ll;
        if (*p == '.')
            p++;
    }
    out[len++] = 0;
    return (int)len;
}

char *
dname_to_text(const uint8_t *name, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return out;
    if (name[0] == 0) {
        snprintf(out, cap, ".");
        return out;
    }
    for (size_t i = 0; name[i] && o + 1 < cap;) {
        uint8_t ll = name[i++];
        for (uint8_t j = 0; j < ll && o + 1 < cap; j++) {
            uint8_t c = name[i + j];
            if (c == '.' || c == '\\') {
                if (o + 2 >= cap)
                    break;
                out[o++] = '\\';
                out[o++] = (char)c;
            } else if (c <= 0x20 || c >= 0x7f) {
                if (o + 4 >= cap)
                    break;
                snprintf(out + o, cap - o, "\\%03u", c);
                o += 4;
            } else {
                out[o++] = (char)c;
            }
        }
        i += ll;
        if (o + 1 < cap)
            out[o++] = '.';
    }
    out[o] = 0;
    return out;
}

unsigned
dname_labels(const uint8_t *name)
{
    unsigned n = 0;
    for (size_t i = 0; name[i]; i += (size_t)name[i] + 1)
        n++;
    return n;
}

bool
dname_is_subdomain(const uint8_t *name, size_t name_len, const uint8_t *parent, size_t parent_len)
{
    if (parent_len > name_len)
        return false;
    size_t off = 0;
    while (name_len - off > parent_len)
        off += (size_t)name[off] + 1;
    return name_len - off == parent_len && memcmp(name + off, parent, parent_len) == 0;
}
