/* path.c: request paths with percent-encoded segments and query values. */
#include "config.h"
#include "ctl/path.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
reserve(struct ctl_path *p, size_t more)
{
    if (p->len + more + 1 <= p->cap)
        return;
    size_t cap = p->cap ? p->cap : 128;
    while (cap < p->len + more + 1)
        cap *= 2;
    char *s = realloc(p->s, cap);
    if (!s) {
        fputs("gtmctl: out of memory\n", stderr);
        abort();
    }
    p->s = s;
    p->cap = cap;
}

static void
add(struct ctl_path *p, const char *text, size_t n)
{
    reserve(p, n);
    memcpy(p->s + p->len, text, n);
    p->len += n;
    p->s[p->len] = 0;
}

static bool
unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void
add_encoded(struct ctl_path *p, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (unreserved(*c)) {
            add(p, (const char *)c, 1);
        } else {
            char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            add(p, e, 3);
        }
    }
}

void
ctl_path_init(struct ctl_path *p)
{
    memset(p, 0, sizeof *p);
    reserve(p, 0);
    p->s[0] = 0;
}

void
ctl_path_cleanup(struct ctl_path *p)
{
    free(p->s);
    memset(p, 0, sizeof *p);
}

void
ctl_path_raw(struct ctl_path *p, const char *text)
{
    add(p, text, strlen(text));
}

void
ctl_path_seg(struct ctl_path *p, const char *segment)
{
    add(p, "/", 1);
    add_encoded(p, segment);
}

void
ctl_path_query(struct ctl_path *p, const char *key, const char *value)
{
    if (!value)
        return;
    add(p, p->nquery++ ? "&" : "?", 1);
    add_encoded(p, key);
    add(p, "=", 1);
    add_encoded(p, value);
}
