/* xfr.c: the TSIG key file, --allow-transfer and --notify (see xfr.h).
 * Every input is bounded and checked; an error names the file and line of
 * the key file, or the value as written. */
#include "config.h"
#include "conf/xfr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"

/* The algorithms ldns 1.8 signs and verifies with. (Its hmac-sha384 is
 * misspelt inside ldns and never matches; hmac-sha224 it does not know;
 * hmac-md5 RFC 8945 advises against.) */
static const char *const algorithms[] = {"hmac-sha1.", "hmac-sha256.", "hmac-sha512."};

static const char *
algorithm_of(const char *text)
{
    size_t n = strlen(text);
    if (n && text[n - 1] == '.')
        n--;
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
        if (strlen(algorithms[i]) == n + 1 && strncasecmp(algorithms[i], text, n) == 0)
            return algorithms[i];
    return NULL;
}

/* ---- the key file: a small tokenizer ---- */

enum tok { TOK_END, TOK_WORD, TOK_STRING, TOK_OPEN, TOK_CLOSE, TOK_SEMI, TOK_ERROR };

#define TOKEN_MAX 1024

struct lexer {
    const char *p, *end;
    unsigned line;
    unsigned tok_line; /* where the last token started */
    char text[TOKEN_MAX + 1];
    const char *err;
};

static enum tok
next_token(struct lexer *lx)
{
    for (;;) {
        while (lx->p < lx->end && isspace((unsigned char)*lx->p)) {
            if (*lx->p == '\n')
                lx->line++;
            lx->p++;
        }
        if (lx->p >= lx->end)
            return TOK_END;
        if (*lx->p == '#' || (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
            continue;
        }
        if (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
            unsigned start = lx->line;
            lx->p += 2;
            while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
                if (*lx->p == '\n')
                    lx->line++;
                lx->p++;
            }
            if (lx->p + 1 >= lx->end) {
                lx->tok_line = start;
                lx->err = "a comment that does not end";
                return TOK_ERROR;
            }
            lx->p += 2;
            continue;
        }
        break;
    }
    lx->tok_line = lx->line;
    char c = *lx->p;
    if (c == '{' || c == '}' || c == ';') {
        lx->p++;
        lx->text[0] = c;
        lx->text[1] = 0;
        return c == '{' ? TOK_OPEN : c == '}' ? TOK_CLOSE : TOK_SEMI;
    }
    size_t n = 0;
    if (c == '"') {
        lx->p++;
        while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n') {
            if (n == TOKEN_MAX) {
                lx->err = "a string longer than 1024 bytes";
                return TOK_ERROR;
            }
            lx->text[n++] = *lx->p++;
        }
        if (lx->p >= lx->end || *lx->p != '"') {
            lx->err = "a string that does not end on its line";
            return TOK_ERROR;
        }
        lx->p++;
        lx->text[n] = 0;
        return TOK_STRING;
    }
    while (lx->p < lx->end && !isspace((unsigned char)*lx->p) && !strchr("{};\"", *lx->p)) {
        if (n == TOKEN_MAX) {
            lx->err = "a word longer than 1024 bytes";
            return TOK_ERROR;
        }
        if ((unsigned char)*lx->p < 0x20 || (unsigned char)*lx->p >= 0x7f) {
            lx->err = "a control or non-ASCII character";
            return TOK_ERROR;
        }
        lx->text[n++] = *lx->p++;
    }
    lx->text[n] = 0;
    return TOK_WORD;
}

/* Adds one key after checking each part; why names only the problem. */
static int
key_add(struct xfr_conf *c, const char *name, const char *alg, const char *secret, char *why,
        size_t n)
{
    if (c->nkeys == XFR_KEYS_MAX) {
        snprintf(why, n, "more than %d keys", XFR_KEYS_MAX);
        return -1;
    }
    uint8_t wire[DNAME_MAXLEN];
    int wl = dname_from_text(name, wire);
    if (wl <= 1) {
        snprintf(why, n, "key name '%.64s' is not a domain name", name);
        return -1;
    }
    const char *a = algorithm_of(alg);
    if (!a) {
        snprintf(why, n,
                 "key %.64s: algorithm '%.32s' is not hmac-sha1, hmac-sha256 or hmac-sha512", name,
                 alg);
        return -1;
    }
    size_t slen = strlen(secret);
    bool b64 = slen > 0 && slen % 4 == 0 && slen / 4 * 3 <= XFR_SECRET_MAX + 2;
    for (size_t i = 0; b64 && i < slen; i++)
        b64 = isalnum((unsigned char)secret[i]) || secret[i] == '+' || secret[i] == '/' ||
              (secret[i] == '=' && i >= slen - 2);
    ldns_rdf *rd = NULL;
    size_t raw_len = 0;
    if (b64 && ldns_str2rdf_b64(&rd, secret) == LDNS_STATUS_OK && rd)
        raw_len = ldns_rdf_size(rd);
    ldns_rdf_deep_free(rd);
    if (raw_len == 0 || raw_len > XFR_SECRET_MAX) {
        snprintf(why, n, "key %.64s: the secret is not base64 of 1 to %d bytes", name,
                 XFR_SECRET_MAX);
        return -1;
    }
    for (unsigned i = 0; i < c->nkeys; i++)
        if (c->keys[i].wire_len == wl && memcmp(c->keys[i].wire, wire, (size_t)wl) == 0) {
            snprintf(why, n, "key %.64s is defined twice", name);
            return -1;
        }
    c->keys = xrealloc(c->keys, (c->nkeys + 1) * sizeof *c->keys);
    struct tsig_key *k = &c->keys[c->nkeys++];
    memset(k, 0, sizeof *k);
    memcpy(k->wire, wire, (size_t)wl);
    k->wire_len = (uint8_t)wl;
    char text[4 * DNAME_MAXLEN + 2];
    k->name = xstrdup(dname_to_text(wire, text, sizeof text));
    k->alg = a;
    k->secret = xstrdup(secret);
    return 0;
}

/* key "NAME" { algorithm ALG; secret "B64"; }; with "key" read already. */
static int
parse_bind_key(struct xfr_conf *c, struct lexer *lx, char *why, size_t n)
{
    char name[TOKEN_MAX + 1], alg[TOKEN_MAX + 1] = "", secret[TOKEN_MAX + 1] = "";
    enum tok t = next_token(lx);
    if (t != TOK_STRING && t != TOK_WORD) {
        snprintf(why, n, "expected a key name after 'key'");
        return -1;
    }
    snprintf(name, sizeof name, "%s", lx->text);
    if (next_token(lx) != TOK_OPEN) {
        snprintf(why, n, "expected '{' after key \"%.64s\"", name);
        return -1;
    }
    for (;;) {
        t = next_token(lx);
        if (t == TOK_CLOSE)
            break;
        if (t != TOK_WORD) {
            snprintf(why, n, "key %.64s: expected algorithm, secret or '}'", name);
            return -1;
        }
        char *field = NULL;
        if (strcasecmp(lx->text, "algorithm") == 0)
            field = alg;
        else if (strcasecmp(lx->text, "secret") == 0)
            field = secret;
        else {
            snprintf(why, n, "key %.64s: unknown field '%.32s' (algorithm, secret)", name,
                     lx->text);
            return -1;
        }
        if (*field) {
            snprintf(why, n, "key %.64s: %s given twice", name,
                     field == alg ? "algorithm" : "secret");
            return -1;
        }
        t = next_token(lx);
        if ((t != TOK_WORD && t != TOK_STRING) || !lx->text[0]) {
            snprintf(why, n, "key %.64s: %s needs a value", name,
                     field == alg ? "algorithm" : "secret");
            return -1;
        }
        snprintf(field, TOKEN_MAX + 1, "%s", lx->text);
        if (next_token(lx) != TOK_SEMI) {
            snprintf(why, n, "key %.64s: expected ';' after the %s", name,
                     field == alg ? "algorithm" : "secret");
            return -1;
        }
    }
    if (next_token(lx) != TOK_SEMI) {
        snprintf(why, n, "key %.64s: expected ';' after '}'", name);
        return -1;
    }
    if (!*alg || !*secret) {
        snprintf(why, n, "key %.64s: no %s", name, *alg ? "secret" : "algorithm");
        return -1;
    }
    return key_add(c, name, alg, secret, why, n);
}

/* NAME:ALG:SECRET (or ALG:NAME:SECRET, dig -y's order). */
static int
parse_colon_key(struct xfr_conf *c, const char *word, char *why, size_t n)
{
    const char *a = strchr(word, ':');
    const char *b = a ? strchr(a + 1, ':') : NULL;
    if (!a || !b || strchr(b + 1, ':') || a == word || b == a + 1 || !b[1]) {
        /* (the word is not repeated: it may hold a secret) */
        snprintf(why, n,
                 "expected 'key \"NAME\" { ... };' or NAME:ALGORITHM:SECRET, got a word of %zu "
                 "characters with %s",
                 strlen(word), a ? (b ? "three or more colons" : "one colon") : "no colon");
        return -1;
    }
    char first[TOKEN_MAX + 1], second[TOKEN_MAX + 1];
    snprintf(first, sizeof first, "%.*s", (int)(a - word), word);
    snprintf(second, sizeof second, "%.*s", (int)(b - a - 1), a + 1);
    if (algorithm_of(first) && !algorithm_of(second))
        return key_add(c, second, first, b + 1, why, n);
    return key_add(c, first, second, b + 1, why, n);
}

int
tsig_keys_parse(struct xfr_conf *c, const char *file, const char *text, size_t len, char *why,
                size_t whylen)
{
    if (memchr(text, 0, len)) {
        snprintf(why, whylen, "%s: holds a NUL byte: not a key file", file);
        return -1;
    }
    struct lexer lx = {.p = text, .end = text + len, .line = 1};
    char msg[256];
    for (;;) {
        enum tok t = next_token(&lx);
        unsigned line = lx.tok_line;
        int rc = 0;
        if (t == TOK_END)
            return 0;
        if (t == TOK_WORD && strcasecmp(lx.text, "key") == 0)
            rc = parse_bind_key(c, &lx, msg, sizeof msg);
        else if (t == TOK_WORD)
            rc = parse_colon_key(c, lx.text, msg, sizeof msg);
        else if (t != TOK_ERROR) {
            if (t == TOK_STRING) /* (not repeated: it may be a secret) */
                snprintf(msg, sizeof msg, "unexpected quoted string");
            else
                snprintf(msg, sizeof msg, "unexpected '%.32s'", lx.text);
            rc = -1;
        }
        if (lx.err) {
            snprintf(msg, sizeof msg, "%s", lx.err);
            line = lx.tok_line;
            rc = -1;
        }
        if (rc) {
            snprintf(why, whylen, "%s:%u: %s", file, lx.err ? line : lx.tok_line, msg);
            return -1;
        }
    }
}

int
tsig_keys_load(struct xfr_conf *c, const char *file, char *why, size_t whylen)
{
    FILE *fp = fopen(file, "r");
    if (!fp) {
        snprintf(why, whylen, "%s: cannot open: %s", file, strerror(errno));
        return -1;
    }
    char *buf = xmalloc(XFR_KEYFILE_BYTES + 1);
    size_t len = fread(buf, 1, XFR_KEYFILE_BYTES + 1, fp);
    int err = ferror(fp);
    fclose(fp);
    int rc = -1;
    if (err)
        snprintf(why, whylen, "%s: read error", file);
    else if (len > XFR_KEYFILE_BYTES)
        snprintf(why, whylen, "%s: larger than %d bytes", file, XFR_KEYFILE_BYTES);
    else
        rc = tsig_keys_parse(c, file, buf, len, why, whylen);
    free(buf);
    if (rc == 0) {
        free(c->keys_file);
        c->keys_file = xstrdup(file);
    }
    return rc;
}

const struct tsig_key *
tsig_key_find(const struct xfr_conf *c, const uint8_t *wire, size_t len)
{
    for (unsigned i = 0; c && i < c->nkeys; i++)
        if (c->keys[i].wire_len == len && dname_equal(c->keys[i].wire, wire, len))
            return &c->keys[i];
    return NULL;
}

/* "key:NAME" -> the key; -1 with why when it is not one of the file's. */
static int
key_ref(const struct xfr_conf *c, const char *opt, const char *text, const struct tsig_key **out,
        char *why, size_t n)
{
    uint8_t wire[DNAME_MAXLEN];
    int wl = dname_from_text(text + 4, wire);
    if (wl <= 1) {
        snprintf(why, n, "%s: '%.64s' is not a key name", opt, text + 4);
        return -1;
    }
    *out = tsig_key_find(c, wire, (size_t)wl);
    if (!*out) {
        snprintf(why, n, "%s: no key %.64s in %s (give tsig-keys first)", opt, text + 4,
                 c->keys_file ? c->keys_file : "the tsig-keys file");
        return -1;
    }
    return 0;
}

/* The words of a value: at most two, separated by blanks. */
static int
split2(const char *text, char *a, char *b, size_t cap)
{
    a[0] = b[0] = 0;
    char extra[8];
    int n = sscanf(text, "%95s %95s %7s", a, b, extra);
    (void)cap;
    return n;
}

int
xfr_acl_add(struct xfr_conf *c, const char *text, char *why, size_t n)
{
    if (c->nacl == XFR_ACL_MAX) {
        snprintf(why, n, "allow-transfer: at most %d entries", XFR_ACL_MAX);
        return -1;
    }
    struct xfr_acl e = {0};
    snprintf(e.text, sizeof e.text, "%s", text);
    char w[2][96];
    int words = strlen(text) < 190 ? split2(text, w[0], w[1], sizeof w[0]) : 0;
    if (words < 1 || words > 2) {
        snprintf(why, n, "allow-transfer: '%.64s' is not CIDR, key:NAME or 'CIDR key:NAME'", text);
        return -1;
    }
    for (int i = 0; i < words; i++) {
        if (strncasecmp(w[i], "key:", 4) == 0) {
            if (e.key) {
                snprintf(why, n, "allow-transfer: '%.64s' names two keys", text);
                return -1;
            }
            if (key_ref(c, "allow-transfer", w[i], &e.key, why, n) != 0)
                return -1;
            continue;
        }
        if (e.family) {
            snprintf(why, n, "allow-transfer: '%.64s' names two networks", text);
            return -1;
        }
        char addr[64];
        char *slash = strchr(w[i], '/');
        size_t al = slash ? (size_t)(slash - w[i]) : strlen(w[i]);
        if (al >= sizeof addr) {
            snprintf(why, n, "allow-transfer: '%.64s' is not an address or network", w[i]);
            return -1;
        }
        memcpy(addr, w[i], al);
        addr[al] = 0;
        unsigned max;
        if (inet_pton(AF_INET, addr, e.addr) == 1) {
            e.family = AF_INET;
            max = 32;
        } else if (inet_pton(AF_INET6, addr, e.addr) == 1) {
            e.family = AF_INET6;
            max = 128;
        } else {
            snprintf(why, n, "allow-transfer: '%.64s' is not an address or network", w[i]);
            return -1;
        }
        unsigned long p = max;
        if (slash) {
            char *end;
            errno = 0;
            p = strtoul(slash + 1, &end, 10);
            if (!isdigit((unsigned char)slash[1]) || *end || errno || p > max) {
                snprintf(why, n, "allow-transfer: '%.64s': the prefix length is not 0 to %u", w[i],
                         max);
                return -1;
            }
        }
        e.prefix = (uint8_t)p;
        /* bits past the prefix: cleared, so that matching is a compare */
        for (unsigned b = (unsigned)p; b < max; b++)
            e.addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    }
    c->acl = xrealloc(c->acl, (c->nacl + 1) * sizeof *c->acl);
    c->acl[c->nacl++] = e;
    return 0;
}

static bool
prefix_match(const uint8_t *net, const uint8_t *addr, unsigned prefix)
{
    unsigned whole = prefix / 8, rest = prefix % 8;
    if (memcmp(net, addr, whole) != 0)
        return false;
    return !rest || ((net[whole] ^ addr[whole]) & (uint8_t)(0xFF00u >> rest)) == 0;
}

const struct xfr_acl *
xfr_acl_match(const struct xfr_conf *c, const struct sockaddr *sa, const struct tsig_key *key)
{
    int family = 0;
    uint8_t addr[16];
    if (sa && sa->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            memcpy(addr, a6->s6_addr + 12, 4);
        } else {
            family = AF_INET6;
            memcpy(addr, a6->s6_addr, 16);
        }
    }
    for (unsigned i = 0; c && i < c->nacl; i++) {
        const struct xfr_acl *e = &c->acl[i];
        if (e->key && e->key != key)
            continue;
        if (e->family && (e->family != family || !prefix_match(e->addr, addr, e->prefix)))
            continue;
        return e;
    }
    return NULL;
}

int
xfr_notify_add(struct xfr_conf *c, const char *text, char *why, size_t n)
{
    if (c->nnotify == XFR_NOTIFY_MAX) {
        snprintf(why, n, "notify: at most %d targets", XFR_NOTIFY_MAX);
        return -1;
    }
    struct xfr_notify t = {0};
    snprintf(t.text, sizeof t.text, "%s", text);
    char w[2][96];
    int words = strlen(text) < 190 ? split2(text, w[0], w[1], sizeof w[0]) : 0;
    if (words < 1 || words > 2 || (words == 2 && strncasecmp(w[1], "key:", 4) != 0)) {
        snprintf(why, n, "notify: '%.64s' is not ADDR[:PORT] [key:NAME]", text);
        return -1;
    }
    if (words == 2 && key_ref(c, "notify", w[1], &t.key, why, n) != 0)
        return -1;
    char host[64];
    const char *port = NULL, *s = w[0];
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || (size_t)(end - s - 1) >= sizeof host || (end[1] && end[1] != ':')) {
            snprintf(why, n, "notify: '%.64s' is not ADDR[:PORT]", s);
            return -1;
        }
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = 0;
        port = end[1] ? end + 2 : NULL;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        size_t hl = colon ? (size_t)(colon - s) : strlen(s);
        if (hl >= sizeof host) {
            snprintf(why, n, "notify: '%.64s' is not ADDR[:PORT]", s);
            return -1;
        }
        memcpy(host, s, hl);
        host[hl] = 0;
        port = colon ? colon + 1 : NULL;
    }
    t.port = 53;
    if (port) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(port, &end, 10);
        if (!isdigit((unsigned char)*port) || *end || errno || v < 1 || v > 65535) {
            snprintf(why, n, "notify: '%.64s': the port is not 1 to 65535", s);
            return -1;
        }
        t.port = (uint16_t)v;
    }
    if (inet_pton(AF_INET, host, t.addr) == 1)
        t.family = AF_INET;
    else if (inet_pton(AF_INET6, host, t.addr) == 1)
        t.family = AF_INET6;
    else {
        snprintf(why, n, "notify: '%.64s' is not a numeric IPv4 or IPv6 address", host);
        return -1;
    }
    c->notify = xrealloc(c->notify, (c->nnotify + 1) * sizeof *c->notify);
    c->notify[c->nnotify++] = t;
    return 0;
}

void
xfr_conf_free(struct xfr_conf *c)
{
    for (unsigned i = 0; i < c->nkeys; i++) {
        free(c->keys[i].name);
        free(c->keys[i].secret);
    }
    free(c->keys);
    free(c->keys_file);
    free(c->acl);
    free(c->notify);
    memset(c, 0, sizeof *c);
}
