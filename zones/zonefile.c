/* zonefile.c: parse one master file record by record with ldns, so that
 * every error carries its line, and check what makes a zone servable. */
#include "config.h"
#include "zones/zonefile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/snapshot.h" /* RR_TYPE_ALIAS */

#define ZONE_DEFAULT_TTL 3600

struct rr_line {
    ldns_rr *rr;
    unsigned line;
};

static int
pair_cmp(const void *a, const void *b)
{
    const struct rr_line *x = a, *y = b;
    int c = ldns_dname_compare(ldns_rr_owner(x->rr), ldns_rr_owner(y->rr));
    if (c == 0)
        c = (ldns_rr_get_type(x->rr) > ldns_rr_get_type(y->rr)) -
            (ldns_rr_get_type(x->rr) < ldns_rr_get_type(y->rr));
    if (c == 0)
        c = ldns_rr_compare(x->rr, y->rr);
    if (c == 0)
        c = (x->line > y->line) - (x->line < y->line);
    return c;
}

static bool
is_dnssec_meta(ldns_rr_type t)
{
    return t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3;
}

static void
rr_name_text(const ldns_rdf *d, char *buf, size_t cap)
{
    char *s = ldns_rdf2str(d);
    snprintf(buf, cap, "%s", s ? s : "?");
    free(s);
}

/* An SOA's RDATA as ldns's descriptor has it, field by field: ldns takes a
 * generic "\\# N HEX" in the middle of the fields, and the SOA it makes
 * then goes out malformed in every negative answer. */
static bool
soa_fields_ok(const ldns_rr *rr)
{
    const ldns_rr_descriptor *d = ldns_rr_descript(LDNS_RR_TYPE_SOA);
    if (!d || ldns_rr_rd_count(rr) != ldns_rr_descriptor_minimum(d) ||
        ldns_rr_rd_count(rr) != ldns_rr_descriptor_maximum(d))
        return false;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        if (!f || ldns_rdf_get_type(f) != ldns_rr_descriptor_field_type(d, i))
            return false;
    }
    return true;
}

/* Checks that need the whole zone: apex SOA, data outside the zone, CNAME
 * next to other data. rrs are sorted, so one owner's records are adjacent. */
static void
check_zone(struct zone_src *z, const char *file, struct config_errors *errs)
{
    char owner[LDNS_MAX_DOMAINLEN * 4 + 8];
    size_t n = ldns_rr_list_rr_count(z->rrs);
    unsigned soa_count = 0, last_soa_line = 0;
    bool apex_ns = false;

    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
            if (ldns_dname_compare(ldns_rr_owner(rr), z->apex) != 0) {
                rr_name_text(ldns_rr_owner(rr), owner, sizeof owner);
                config_error(errs, file, z->lines[i],
                             "SOA record at %s, which is not the zone apex", owner);
            }
            soa_count++;
            if (z->lines[i] > last_soa_line)
                last_soa_line = z->lines[i]; /* with two, the later one is the extra */
        }
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
            ldns_dname_compare(ldns_rr_owner(rr), z->apex) == 0)
            apex_ns = true;
        if (!ldns_dname_is_subdomain(ldns_rr_owner(rr), z->apex) &&
            ldns_dname_compare(ldns_rr_owner(rr), z->apex) != 0) {
            rr_name_text(ldns_rr_owner(rr), owner, sizeof owner);
            config_error(errs, file, z->lines[i], "record for %s is outside the zone", owner);
        }
    }
    if (soa_count > 1)
        config_error(errs, file, last_soa_line, "zone has %u SOA records, expected one", soa_count);
    if (!apex_ns)
        config_warning(file, 0, "zone has no NS records at its apex");

    /* CNAME and other data (RFC 1034 3.6.2, RFC 2181 10.1); an ALIAS goes
     * where a CNAME cannot, but alone: one per name, no CNAME beside it,
     * and no A or AAAA, which it gives itself. */
    for (size_t i = 0; i < n;) {
        size_t j = i, alias_at = 0;
        unsigned cnames = 0, others = 0, aliases = 0, addrs = 0;
        const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(z->rrs, i));
        for (; j < n && ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(z->rrs, j)), o) == 0;
             j++) {
            ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(z->rrs, j));
            if (t == LDNS_RR_TYPE_CNAME) {
                cnames++;
            } else if ((uint16_t)t == RR_TYPE_ALIAS) {
                if (aliases++ == 0)
                    alias_at = j;
                else if (z->lines[j] > z->lines[alias_at])
                    alias_at = j; /* with two, the later one is the extra */
            } else if (!is_dnssec_meta(t)) {
                others++;
                addrs += t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA;
            }
        }
        if (cnames > 1 || (cnames && others)) {
            rr_name_text(o, owner, sizeof owner);
            config_error(errs, file, z->lines[i], "%s has a CNAME and other data", owner);
        }
        if (aliases) {
            rr_name_text(o, owner, sizeof owner);
            if (aliases > 1)
                config_error(errs, file, z->lines[alias_at],
                             "%s has %u ALIAS records: a name has at most one", owner, aliases);
            if (cnames)
                config_error(errs, file, z->lines[alias_at],
                             "%s has an ALIAS and a CNAME: a name with a CNAME has nothing else",
                             owner);
            if (addrs)
                config_error(errs, file, z->lines[alias_at],
                             "%s has an ALIAS and A/AAAA records: the ALIAS gives its addresses",
                             owner);
        }
        i = j;
    }
}

/* ---- IPSECKEY, checked before ldns sees it ----
 * libldns (1.8.3) leaks on error paths of ldns_str2rdf_ipseckey: the
 * gateway and key strings it copied when there are more than five rdata
 * fields, the gateway's bytes (ldns_rdf_free, not deep) when the key is not
 * base64; 4 to 15 bytes a record, so that a reload loop over such a file
 * grows without bound. It also reads numbers with atoi, modulo 256. So an
 * IPSECKEY record (RFC 4025 2.6) is checked here first, strictly, and only
 * one that ldns parses without an error reaches it. */

#define IPSECKEY_SEP " \t\n\r" /* ldns_bget_token's, and \r, which it reads as a blank */

GTM_PRINTF(3, 4)
static int
why_not(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* next_token: the token at *p (length *n), advancing *p past it; NULL at the end. */
static const char *
next_token(const char **p, size_t *n)
{
    const char *t = *p + strspn(*p, IPSECKEY_SEP);
    if (!*t)
        return NULL;
    *n = strcspn(t, IPSECKEY_SEP);
    *p = t + *n;
    return t;
}

/* A decimal in [0, max], digits only. */
static bool
small_uint(const char *t, size_t n, unsigned max)
{
    if (n == 0 || n > 3 || strspn(t, "0123456789") < n)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(t[i] - '0');
    return v <= max;
}

/* Base64 with its padding (RFC 4648 4), at least one quantum, canonical
 * (RFC 4648 3.5). */
static bool
is_base64(const char *t, size_t n)
{
    if (n == 0 || n % 4)
        return false;
    size_t pad = t[n - 1] == '=' ? t[n - 2] == '=' ? 2 : 1 : 0;
    for (size_t i = 0; i < n - pad; i++)
        if (!isalnum((unsigned char)t[i]) && t[i] != '+' && t[i] != '/')
            return false;
    if (!pad)
        return true;
    /* Canonical: the bits past the last byte are zero (ldns_b64_pton
     * refuses "N3m=" for "N3k="). */
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned last = (unsigned)(strchr(digits, t[n - pad - 1]) - digits);
    return (last & (pad == 1 ? 0x3u : 0xFu)) == 0;
}

/* is_directive: rec is $ORIGIN, $TTL or $INCLUDE, as read_rr takes them. */
static bool
is_directive(const char *rec)
{
    return (strncmp(rec, "$ORIGIN", 7) == 0 && isspace((unsigned char)rec[7])) ||
           (strncmp(rec, "$TTL", 4) == 0 && isspace((unsigned char)rec[4])) ||
           strncmp(rec, "$INCLUDE", 8) == 0;
}

/* rr_type_token: the type of rec (one record as ldns_rr_new_frm_fp_l reads
 * it: comments and parentheses gone), read as ldns_rr_new_frm_str reads it,
 * with its own tokenizer and names: an owner unless the line starts with a
 * blank, a TTL when the next token starts with a digit, a class when ldns
 * knows the token as one, then the type. Fills tok[cap] with the type's
 * token and *at with where it starts in rec; returns where the rdata
 * starts, or NULL when ldns would not read that far. */
static const char *
rr_type_token(const char *rec, char *tok, size_t cap, size_t *at)
{
    size_t len = strlen(rec);
    ldns_buffer *b = ldns_buffer_new(len + 1);
    if (!b)
        return NULL;
    ldns_buffer_write(b, rec, len);
    ldns_buffer_flip(b);
    const char *rdata = NULL;
    if (ldns_bget_token(b, tok, "\t\n ", cap - 1) == -1) /* owner */
        goto done;
    *at = ldns_buffer_position(b);
    if (ldns_bget_token(b, tok, "\t\n ", cap - 1) == -1) /* TTL, class or type */
        goto done;
    /* As ldns: a token that is empty (a stray parenthesis after a quote
     * gives one) or starts with a digit is a TTL, and a class may follow;
     * a class is followed by the type; anything else is the type. */
    bool ttl = !tok[0] || isdigit((unsigned char)tok[0]);
    if (ttl || ldns_get_rr_class_by_name(tok) != 0) {
        *at = ldns_buffer_position(b);
        if (ldns_bget_token(b, tok, "\t\n ", cap - 1) == -1)
            goto done;
        if (ttl && ldns_get_rr_class_by_name(tok) != 0) {
            *at = ldns_buffer_position(b);
            if (ldns_bget_token(b, tok, "\t\n ", cap - 1) == -1)
                goto done;
        }
    }
    rdata = rec + ldns_buffer_position(b);
done:
    ldns_buffer_free(b);
    return rdata;
}

/* ipseckey_rdata: when rec (as for rr_type_token) is an IPSECKEY record in
 * presentation form, its rdata, else NULL. */
static const char *
ipseckey_rdata(const char *rec)
{
    /* The type's name, or "TYPE": ldns reads TYPEnnn with atoi, so that
     * TYPE45, TYPE045 and TYPE65581 are all IPSECKEY. Most records have
     * neither. */
    bool maybe = false;
    for (const char *c = rec; *c && !maybe; c++)
        maybe = strncasecmp(c, "type", 4) == 0 || strncasecmp(c, "ipseckey", 8) == 0;
    if (!maybe || is_directive(rec))
        return NULL;
    /* Larger than ldns's limits: a token it refuses is no IPSECKEY for it. */
    char tok[LDNS_MAX_DOMAINLEN * 4 + 2];
    size_t at;
    const char *rdata = rr_type_token(rec, tok, sizeof tok, &at);
    if (rdata && (uint16_t)ldns_get_rr_type_by_name(tok) == LDNS_RR_TYPE_IPSECKEY)
        return rdata;
    return NULL;
}

/* ipseckey_check: rec as for ipseckey_rdata. Returns 0 when it is no
 * IPSECKEY or a well-formed one, else -1 with why. */
static int
ipseckey_check(const char *rec, char *why, size_t cap)
{
    const char *p = ipseckey_rdata(rec);
    if (!p)
        return 0;
    p += strspn(p, IPSECKEY_SEP);
    if (strncmp(p, "\\#", 2) == 0 && (!p[2] || p[2] == ' '))
        return 0; /* RFC 3597 generic rdata: ldns reads it as hex */
    if (strpbrk(p, "\"();\\"))
        return why_not(why, cap, "IPSECKEY: quotes and escapes are not allowed in its rdata");
    const char *f[6];
    size_t fn[6];
    int k = 0;
    while (k < 6 && (f[k] = next_token(&p, &fn[k])) != NULL)
        k++;
    if (k != 5)
        return why_not(why, cap,
                       "IPSECKEY: expected precedence, gateway type, algorithm, gateway and "
                       "public key (5 fields), got %d%s",
                       k, k == 6 ? " or more" : "");
    if (!small_uint(f[0], fn[0], 255))
        return why_not(why, cap, "IPSECKEY: precedence '%.*s' is not an integer in [0, 255]",
                       (int)fn[0] > 64 ? 64 : (int)fn[0], f[0]);
    if (!small_uint(f[1], fn[1], 3))
        return why_not(why, cap, "IPSECKEY: gateway type '%.*s' is not 0, 1, 2 or 3",
                       (int)fn[1] > 64 ? 64 : (int)fn[1], f[1]);
    if (!small_uint(f[2], fn[2], 255))
        return why_not(why, cap, "IPSECKEY: algorithm '%.*s' is not an integer in [0, 255]",
                       (int)fn[2] > 64 ? 64 : (int)fn[2], f[2]);
    int gwtype = f[1][fn[1] - 1] - '0';
    char gw[LDNS_MAX_DOMAINLEN * 4 + 1];
    unsigned char addr[16];
    static const char *const need[] = {"'.' (no gateway)", "an IPv4 address", "an IPv6 address",
                                       "a domain name"};
    bool ok = fn[3] < sizeof gw;
    if (ok) {
        memcpy(gw, f[3], fn[3]);
        gw[fn[3]] = 0;
    }
    if (ok && gwtype == 0)
        ok = strcmp(gw, ".") == 0;
    else if (ok && gwtype == 1)
        ok = inet_pton(AF_INET, gw, addr) == 1;
    else if (ok && gwtype == 2)
        ok = inet_pton(AF_INET6, gw, addr) == 1;
    else if (ok) {
        ldns_rdf *d = NULL;
        ok = ldns_str2rdf_dname(&d, gw) == LDNS_STATUS_OK;
        ldns_rdf_deep_free(d);
    }
    if (!ok)
        return why_not(why, cap, "IPSECKEY: gateway type %d needs %s, got '%.*s'", gwtype,
                       need[gwtype], (int)fn[3] > 64 ? 64 : (int)fn[3], f[3]);
    if (!is_base64(f[4], fn[4]))
        return why_not(why, cap, "IPSECKEY: the public key is not base64");
    return 0;
}

/* ldns_strip_ws as ldns has it (static there): blanks off both ends of
 * line, in place, but not a blank escaped with a backslash. */
static char *
strip_ws(char *line)
{
    char *s = line, *e;
    while (*s && isspace((unsigned char)*s))
        s++;
    for (e = strchr(s, 0); e > s + 2 && isspace((unsigned char)e[-1]) && e[-2] != '\\'; e--)
        ;
    *e = 0;
    return s;
}

/* ---- ALIAS ----
 * ldns knows no ALIAS type. Its rdata is one domain name, as a CNAME's: a
 * record whose type token is ALIAS is handed to ldns with CNAME in its place
 * (the same length, written over it), so that ldns reads the target as it
 * reads a CNAME's (relative names completed with $ORIGIN, escapes, limits),
 * and the record gets type RR_TYPE_ALIAS back. TYPE65401 written any other
 * way is refused: its generic rdata would be served as it is. */

/* alias_rewrite: when rec is an ALIAS record, writes CNAME over its type
 * and returns 1; 0 when it is none; -1 with why when its rdata is not a
 * name ldns reads as a CNAME's. */
static int
alias_rewrite(char *rec, char *why, size_t cap)
{
    bool maybe = false;
    for (const char *c = rec; *c && !maybe; c++)
        maybe = strncasecmp(c, "alias", 5) == 0;
    if (!maybe || is_directive(rec))
        return 0;
    char tok[LDNS_MAX_DOMAINLEN * 4 + 2];
    size_t at = 0;
    const char *rdata = rr_type_token(rec, tok, sizeof tok, &at);
    if (!rdata || strcasecmp(tok, "ALIAS") != 0 || strncasecmp(rec + at, "ALIAS", 5) != 0)
        return 0;
    rdata += strspn(rdata, IPSECKEY_SEP);
    if (strncmp(rdata, "\\#", 2) == 0)
        return why_not(why, cap, "ALIAS: write the target as a domain name, not as generic rdata");
    if (!*rdata)
        return why_not(why, cap, "ALIAS: the target name is missing");
    memcpy(rec + at, "CNAME", 5);
    return 1;
}

#define STATUS_WHY (-1) /* not an ldns_status: the record was refused, why says why */

/* read_rr: ldns_rr_new_frm_fp_l of libldns 1.8 (same arguments), with a
 * look at the record between reading and parsing it: one record read into
 * *rec (of *cap bytes, grown as needed; free it) as ldns reads it, with
 * comments, parentheses and NULs gone; the $ORIGIN, $TTL and $INCLUDE
 * directives taken as ldns takes them; then an IPSECKEY record checked
 * and an ALIAS record made readable (STATUS_WHY with why when either is
 * malformed) before ldns_rr_new_frm_str parses the record. */
static int
read_rr(FILE *fp, char **rec, size_t *cap, ldns_rr **rr, uint32_t *default_ttl, ldns_rdf **origin,
        ldns_rdf **prev, int *line, char *why, size_t whycap)
{
    uint32_t ttl = *default_ttl;
    ldns_status st = ldns_fget_token_l_st(fp, rec, cap, false, LDNS_PARSE_SKIP_SPACE, line);
    if (st != LDNS_STATUS_OK)
        return st;
    char *r = *rec;
    if (strncmp(r, "$ORIGIN", 7) == 0 && isspace((unsigned char)r[7])) {
        ldns_rdf_deep_free(*origin);
        *origin = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_DNAME, strip_ws(r + 8));
        return *origin ? LDNS_STATUS_SYNTAX_ORIGIN : LDNS_STATUS_SYNTAX_DNAME_ERR;
    }
    if (strncmp(r, "$TTL", 4) == 0 && isspace((unsigned char)r[4])) {
        const char *end;
        *default_ttl = ldns_str2period(strip_ws(r + 5), &end);
        return LDNS_STATUS_SYNTAX_TTL;
    }
    if (strncmp(r, "$INCLUDE", 8) == 0)
        return LDNS_STATUS_SYNTAX_INCLUDE;
    if (!*strip_ws(r))
        return LDNS_STATUS_SYNTAX_EMPTY;
    if (ipseckey_check(r, why, whycap) != 0)
        return STATUS_WHY; /* (ldns would have taken its owner as prev: moot in a
                            * file that no longer loads) */
    int alias = alias_rewrite(r, why, whycap);
    if (alias < 0)
        return STATUS_WHY;
    ldns_status st2 = ldns_rr_new_frm_str(rr, r, ttl, *origin, prev);
    if (st2 != LDNS_STATUS_OK)
        return st2;
    if (alias) {
        ldns_rr_set_type(*rr, (ldns_rr_type)RR_TYPE_ALIAS);
    } else if ((uint16_t)ldns_rr_get_type(*rr) == RR_TYPE_ALIAS) {
        ldns_rr_free(*rr);
        *rr = NULL;
        why_not(why, whycap, "TYPE%u is ALIAS: write it as 'NAME ALIAS target.'", RR_TYPE_ALIAS);
        return STATUS_WHY;
    }
    return LDNS_STATUS_OK;
}

#define ZONE_FILE_MAX ((size_t)1 << 30)

/* Line numbers from file offsets: ldns's own counter misses comment-only
 * lines, so we count the newlines before where each record starts. */
struct linemap {
    const char *buf;
    size_t len, pos;
    unsigned line;
};

/* The line of the first byte of content at or after off (blanks and
 * comments skipped), counting forward from the last call. */
static unsigned
record_line(struct linemap *m, size_t off)
{
    while (off < m->len) {
        char c = m->buf[off];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            off++;
        else if (c == ';')
            while (off < m->len && m->buf[off] != '\n')
                off++;
        else
            break;
    }
    for (; m->pos < off && m->pos < m->len; m->pos++)
        if (m->buf[m->pos] == '\n')
            m->line++;
    return m->line;
}

static int parse_text(FILE *fp, struct linemap *lm, const char *file, const char *origin_text,
                      struct config_errors *errs, struct zone_src *out);

int
zonefile_parse(FILE *in, const char *file, const char *origin_text, struct config_errors *errs,
               struct zone_src *out)
{
    /* Read it whole (bounded), then let ldns parse from memory. */
    size_t len = 0, cap = 64 * 1024;
    char *buf = xmalloc(cap);
    for (size_t n; (n = fread(buf + len, 1, cap - len, in)) > 0;) {
        len += n;
        if (len == cap) {
            if (cap >= ZONE_FILE_MAX) {
                free(buf);
                memset(out, 0, sizeof *out);
                config_error(errs, file, 0, "larger than %zu bytes", ZONE_FILE_MAX);
                return GTM_ECONFIG;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    if (ferror(in)) {
        free(buf);
        memset(out, 0, sizeof *out);
        config_error(errs, file, 0, "read error");
        return GTM_ECONFIG;
    }
    struct linemap lm = {buf, len, 0, 1};
    FILE *fp = len ? fmemopen(buf, len, "r") : fopen("/dev/null", "r");
    if (!fp) {
        free(buf);
        memset(out, 0, sizeof *out);
        config_error(errs, file, 0, "cannot read: %s", strerror(errno));
        return GTM_ECONFIG;
    }
    int rc = parse_text(fp, &lm, file, origin_text, errs, out);
    fclose(fp);
    free(buf);
    return rc;
}

static int
parse_text(FILE *fp, struct linemap *lm, const char *file, const char *origin_text,
           struct config_errors *errs, struct zone_src *out)
{
    char *rec = NULL; /* one record at a time (read_rr) */
    size_t rec_cap = 0;
    unsigned before = errs->count;
    uint32_t ttl = ZONE_DEFAULT_TTL;
    ldns_rdf *origin = NULL, *prev = NULL;
    int line = 1;
    ldns_rr *soa = NULL;
    struct rr_line *pairs = NULL;
    size_t npairs = 0, cap = 0;

    memset(out, 0, sizeof *out);
    out->file = strdup(file);
    out->rrs = ldns_rr_list_new();
    if (!out->file || !out->rrs) {
        config_error(errs, file, 0, "out of memory");
        goto done;
    }
    if (ldns_str2rdf_dname(&origin, origin_text) != LDNS_STATUS_OK) {
        config_error(errs, file, 0, "bad origin '%s'", origin_text);
        goto done;
    }
    prev = ldns_rdf_clone(origin);

    while (!feof(fp)) {
        ldns_rr *rr = NULL;
        long at = ftell(fp);
        int start = (int)record_line(lm, at < 0 ? 0 : (size_t)at);
        char why[256];
        int st = read_rr(fp, &rec, &rec_cap, &rr, &ttl, &origin, &prev, &line, why, sizeof why);
        switch (st) {
        case LDNS_STATUS_OK:
            break;
        case LDNS_STATUS_SYNTAX_EMPTY:
        case LDNS_STATUS_SYNTAX_TTL:
        case LDNS_STATUS_SYNTAX_ORIGIN:
            continue;
        case LDNS_STATUS_SYNTAX_INCLUDE:
            config_error(errs, file, (unsigned)start, "$INCLUDE is not supported");
            continue;
        case STATUS_WHY:
            config_error(errs, file, (unsigned)start, "%s", why);
            continue;
        default:
            config_error(errs, file, (unsigned)start, "%s",
                         ldns_get_errorstr_by_id((ldns_status)st));
            continue;
        }
        if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
            config_error(errs, file, (unsigned)start, "class other than IN");
            ldns_rr_free(rr);
            continue;
        }
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && !soa_fields_ok(rr)) {
            config_error(errs, file, (unsigned)start,
                         "SOA record: RDATA must be MNAME RNAME SERIAL REFRESH RETRY EXPIRE "
                         "MINIMUM");
            ldns_rr_free(rr);
            continue;
        }
        ldns_dname2canonical(ldns_rr_owner(rr));
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && !soa)
            soa = rr;
        if (npairs == cap) {
            cap = cap ? cap * 2 : 64;
            pairs = xrealloc(pairs, cap * sizeof *pairs);
        }
        pairs[npairs].rr = rr;
        pairs[npairs++].line = (unsigned)start;
    }
    if (ferror(fp))
        config_error(errs, file, (unsigned)line, "read error");
    if (!soa) {
        if (errs->count == before)
            config_error(errs, file, 0, "no SOA record: a zone file needs one at its apex");
        goto done;
    }
    out->apex = ldns_rdf_clone(ldns_rr_owner(soa));

    /* Sort by owner then type and drop exact duplicates (an RRset is a set). */
    if (npairs > 1) /* qsort(NULL, 0) is undefined */
        qsort(pairs, npairs, sizeof *pairs, pair_cmp);
    out->lines = xmalloc((npairs ? npairs : 1) * sizeof *out->lines);
    for (size_t i = 0; i < npairs; i++) {
        size_t k = ldns_rr_list_rr_count(out->rrs);
        if (k && ldns_rr_compare(ldns_rr_list_rr(out->rrs, k - 1), pairs[i].rr) == 0) {
            ldns_rr_free(pairs[i].rr);
        } else {
            ldns_rr_list_push_rr(out->rrs, pairs[i].rr);
            out->lines[k] = pairs[i].line;
        }
        pairs[i].rr = NULL;
    }
    check_zone(out, file, errs);

done:
    for (size_t i = 0; i < npairs; i++)
        ldns_rr_free(pairs[i].rr);
    free(pairs);
    free(rec);
    ldns_rdf_deep_free(origin);
    ldns_rdf_deep_free(prev);
    if (errs->count != before) {
        zone_src_cleanup(out);
        return GTM_ECONFIG;
    }
    return 0;
}

void
zone_src_cleanup(struct zone_src *z)
{
    free(z->file);
    free(z->lines);
    ldns_rdf_deep_free(z->apex);
    ldns_rr_list_deep_free(z->rrs);
    memset(z, 0, sizeof *z);
}
