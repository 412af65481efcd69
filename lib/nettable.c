/* nettable.c: latency and geo tables: parse, sort, longest-prefix match. */
#include "config.h"
#include "gtm/nettable.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gtm/alloc.h"
#include "gtm/err.h"

#define LINE_MAX_LEN 1024
#define TABLE_MAX    1000000

static bool
prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, full) != 0)
        return false;
    return rest == 0 || ((a[full] ^ net[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

const char *
net_parse(const char *text, uint8_t *family, uint8_t addr[16], uint8_t *prefix, bool *had_prefix)
{
    char buf[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen >= sizeof buf)
        return "not an IPv4 or IPv6 address";
    memcpy(buf, text, alen);
    buf[alen] = 0;
    memset(addr, 0, 16);
    unsigned max;
    if (inet_pton(AF_INET, buf, addr) == 1) {
        *family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, addr) == 1) {
        *family = AF_INET6;
        max = 128;
    } else {
        return "not an IPv4 or IPv6 address";
    }
    *had_prefix = slash != NULL;
    *prefix = (uint8_t)max;
    if (!slash)
        return NULL;
    char *end;
    errno = 0;
    unsigned long len = strtoul(slash + 1, &end, 10);
    if (!isdigit((unsigned char)slash[1]) || *end || errno || len > max)
        return "bad prefix length";
    *prefix = (uint8_t)len;
    return NULL;
}

bool
net_mask(uint8_t addr[16], unsigned prefix)
{
    bool set = false;
    for (unsigned i = prefix / 8; i < 16; i++) {
        uint8_t keep = i == prefix / 8 && prefix % 8 ? (uint8_t)(0xFF << (8 - prefix % 8)) : 0;
        set |= (addr[i] & (uint8_t)~keep) != 0;
        addr[i] &= keep;
    }
    return set;
}

/* "addr/len" -> row; 0 or an error text. The address must be the network's. */
static const char *
parse_cidr(const char *text, struct net_row *r)
{
    if (!strchr(text, '/'))
        return "expected ADDRESS/PREFIX";
    bool had_prefix;
    const char *why = net_parse(text, &r->family, r->addr, &r->prefix, &had_prefix);
    if (why)
        return why;
    if (net_mask(r->addr, r->prefix))
        return "address has bits set past the prefix (not a network address)";
    return NULL;
}

static int
row_cmp(const void *pa, const void *pb)
{
    const struct net_row *a = pa, *b = pb;
    if (a->prefix != b->prefix)
        return a->prefix > b->prefix ? -1 : 1;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int c = memcmp(a->addr, b->addr, 16);
    if (c)
        return c;
    return (a->latency_ms > b->latency_ms) - (a->latency_ms < b->latency_ms);
}

const struct net_table *
net_table_load(struct arena *a, const char *file, enum net_table_kind kind,
               struct config_errors *errs)
{
    unsigned before = errs->count;
    FILE *fp = fopen(file, "r");
    if (!fp) {
        config_error(errs, file, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct net_row *rows = NULL;
    size_t n = 0, cap = 0;
    char line[LINE_MAX_LEN];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *f[4];
        int nf = 0;
        for (char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save); tok && nf < 4;
             tok = strtok_r(NULL, " \t\r\n", &save))
            f[nf++] = tok;
        if (nf == 0)
            continue;
        int want = kind == NET_TABLE_LATENCY ? 3 : 2;
        if (nf != want) {
            config_error(errs, file, lineno, "expected %s",
                         kind == NET_TABLE_LATENCY ? "'CIDR region latency_ms'" : "'CIDR code'");
            continue;
        }
        struct net_row r = {0};
        const char *why = parse_cidr(f[0], &r);
        if (why) {
            config_error(errs, file, lineno, "'%s': %s", f[0], why);
            continue;
        }
        char name[128];
        size_t k = 0;
        for (const char *c = f[1]; *c && k + 1 < sizeof name; c++)
            name[k++] = kind == NET_TABLE_LATENCY ? (char)tolower((unsigned char)*c)
                                                  : (char)toupper((unsigned char)*c);
        name[k] = 0;
        if (kind == NET_TABLE_LATENCY) {
            char *end;
            errno = 0;
            unsigned long ms = strtoul(f[2], &end, 10);
            if (!isdigit((unsigned char)f[2][0]) || *end || errno || ms > 600000) {
                config_error(errs, file, lineno, "'%s': latency must be 0..600000 ms", f[2]);
                continue;
            }
            r.latency_ms = (uint32_t)ms;
        }
        if (n == TABLE_MAX) {
            config_error(errs, file, lineno, "more than %d rows", TABLE_MAX);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        r.name = arena_strdup(a, name);
        rows[n++] = r;
    }
    if (ferror(fp))
        config_error(errs, file, lineno, "read error");
    fclose(fp);
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(rows, n, sizeof *rows, row_cmp);
    if (kind == NET_TABLE_GEO)
        for (size_t i = 1; i < n; i++)
            if (rows[i].prefix == rows[i - 1].prefix && rows[i].family == rows[i - 1].family &&
                memcmp(rows[i].addr, rows[i - 1].addr, 16) == 0)
                config_error(errs, file, 0, "network listed twice (%s and %s)", rows[i - 1].name,
                             rows[i].name);
    struct net_table *t = NULL;
    if (errs->count == before) {
        t = arena_alloc(a, sizeof *t);
        t->n = (uint32_t)n;
        t->rows = arena_memdup(a, rows, n * sizeof *rows);
    }
    free(rows);
    return t;
}

const struct net_row *
net_table_find(const struct net_table *t, uint8_t family, const uint8_t *addr, uint32_t *count)
{
    if (!t)
        return NULL;
    for (uint32_t i = 0; i < t->n; i++) {
        const struct net_row *r = &t->rows[i];
        if (r->family != family || !prefix_match(addr, r->addr, r->prefix))
            continue;
        uint32_t j = i + 1;
        while (j < t->n && t->rows[j].prefix == r->prefix && t->rows[j].family == r->family &&
               memcmp(t->rows[j].addr, r->addr, 16) == 0)
            j++;
        *count = j - i;
        return r;
    }
    return NULL;
}

unsigned
net_common_prefix(const uint8_t *a, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x)
            return (unsigned)(i * 8 + (size_t)__builtin_clz((unsigned)x) - 24);
    }
    return (unsigned)(len * 8);
}

uint8_t
net_table_scope(const struct net_table *t, uint8_t family, const uint8_t *addr,
                const struct net_row *match)
{
    size_t alen = family == AF_INET ? 4 : 16;
    unsigned scope = match ? match->prefix : 0;
    if (!t)
        return (uint8_t)scope;
    uint32_t end = match ? (uint32_t)(match - t->rows) : t->n;
    for (uint32_t i = 0; i < end; i++) {
        const struct net_row *r = &t->rows[i];
        if (r->family != family || r->prefix <= scope)
            continue;
        if (match && !prefix_match(r->addr, match->addr, match->prefix))
            continue; /* not inside the matched network */
        unsigned cp = net_common_prefix(addr, r->addr, alen);
        if (cp < r->prefix && cp + 1 > scope)
            scope = cp + 1; /* the client's /scope network stays clear of r */
    }
    return (uint8_t)scope;
}
