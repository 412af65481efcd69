/* conf.c: argv and `name = value` config files, parsed through the option
 * table of schema.c: each written value is checked and stored by its row
 * (its type's rule into its field, or its setter), defaults come from the
 * row too. Nothing here knows a particular option but -c, which names the
 * file, and the tls-cert/tls-key pair. */
#include "config.h"
#include "conf/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/log.h"

#define CONF_LINE_MAX 4096

/* A value as written, with where it was written. */
struct raw {
    char *text;
    const char *file; /* NULL: the command line */
    unsigned line;
};

/* What was written for each option: at most one value, or a list for a
 * repeatable (OPT_ADDR) option. */
struct raw_set {
    struct {
        struct raw *v;
        size_t n;
    } opt[OPT_ID_COUNT];
};

static void
raw_set_cleanup(struct raw_set *s)
{
    for (int i = 0; i < OPT_ID_COUNT; i++) {
        for (size_t k = 0; k < s->opt[i].n; k++)
            free(s->opt[i].v[k].text);
        free(s->opt[i].v);
    }
}

/* The value written last for id, or NULL. */
static const struct raw *
raw_get(const struct raw_set *s, enum opt_id id)
{
    return s->opt[id].n ? &s->opt[id].v[s->opt[id].n - 1] : NULL;
}

static void
raw_put(struct raw_set *s, enum opt_id id, const char *text, const char *file, unsigned line,
        struct config_errors *errs)
{
    const struct opt_def *d = &opt_schema[id];
    struct raw r = {xstrdup(text ? text : ""), file, line};
    if (d->type != OPT_ADDR && s->opt[id].n) {
        if (file) {
            config_error(errs, file, line, "option '%s' given twice (first on line %u)", d->name,
                         s->opt[id].v[0].line);
            free(r.text);
            return;
        }
        free(s->opt[id].v[0].text); /* the command line: the last one wins */
        s->opt[id].v[0] = r;
        return;
    }
    s->opt[id].v = xrealloc(s->opt[id].v, (s->opt[id].n + 1) * sizeof *s->opt[id].v);
    s->opt[id].v[s->opt[id].n++] = r;
}

static int
find_opt(const char *name)
{
    for (int i = 0; i < OPT_ID_COUNT; i++)
        if (strcmp(opt_schema[i].name, name) == 0)
            return i;
    return -1;
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

static void
read_file(const char *path, struct raw_set *s, struct config_errors *errs)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        config_error(errs, path, 0, "cannot open: %s", strerror(errno));
        return;
    }
    char buf[CONF_LINE_MAX];
    unsigned line = 0;
    while (fgets(buf, sizeof buf, fp)) {
        line++;
        size_t len = strlen(buf);
        if (len == sizeof buf - 1 && buf[len - 1] != '\n' && !feof(fp)) {
            config_error(errs, path, line, "line longer than %d bytes", CONF_LINE_MAX - 2);
            int c;
            while ((c = fgetc(fp)) != EOF && c != '\n')
                ;
            continue;
        }
        char *p = trim(buf);
        if (*p == 0 || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            config_error(errs, path, line, "expected 'name = value', got '%s'", p);
            continue;
        }
        *eq = 0;
        char *name = trim(p), *value = trim(eq + 1);
        int id = find_opt(name);
        if (id < 0) {
            config_error(errs, path, line, "unknown option '%s'", name);
            continue;
        }
        if (!opt_schema[id].in_file) {
            config_error(errs, path, line, "option '%s' is for the command line only", name);
            continue;
        }
        if (*value == 0) {
            config_error(errs, path, line, "option '%s' needs a value", name);
            continue;
        }
        raw_put(s, (enum opt_id)id, value, path, line, errs);
    }
    if (ferror(fp))
        config_error(errs, path, line, "read error");
    fclose(fp);
}

int
listen_addr_parse(const char *text, struct listen_addr *out)
{
    char host[64];
    const char *port = NULL;
    memset(out, 0, sizeof *out);
    snprintf(out->text, sizeof out->text, "%s", text);
    if (text[0] == '[') {
        const char *end = strchr(text, ']');
        if (!end || (size_t)(end - text - 1) >= sizeof host)
            return GTM_EINVAL;
        memcpy(host, text + 1, (size_t)(end - text - 1));
        host[end - text - 1] = 0;
        if (end[1] == ':')
            port = end + 2;
        else if (end[1])
            return GTM_EINVAL;
    } else {
        const char *colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        size_t n = colon ? (size_t)(colon - text) : strlen(text);
        if (n >= sizeof host)
            return GTM_EINVAL;
        memcpy(host, text, n);
        host[n] = 0;
        if (colon)
            port = colon + 1;
    }
    out->port = GTM_DEFAULT_PORT;
    if (port) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(port, &end, 10);
        if (!*port || *end || errno || v < 1 || v > 65535 || !isdigit((unsigned char)*port))
            return GTM_EINVAL;
        out->port = (unsigned short)v;
    }
    if (inet_pton(AF_INET, host, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, host, out->addr) == 1)
        out->family = AF_INET6;
    else
        return GTM_EINVAL;
    return 0;
}

GTM_PRINTF(3, 4)
static void
where_error(struct config_errors *errs, const struct raw *r, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->file)
        config_error(errs, r->file, r->line, "%s", msg);
    else
        config_error(errs, "command line", 0, "%s", msg);
}

/* ---- the rules of each type: check the text, store it into the field ---- */

static int
store_string(void *field, const struct opt_def *d, const char *text, char *why, size_t n)
{
    (void)d;
    (void)why;
    (void)n;
    char **p = field;
    free(*p);
    *p = xstrdup(text);
    return 0;
}

static int
store_uint(void *field, const struct opt_def *d, const char *text, char *why, size_t n)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (!isdigit((unsigned char)*text) || *end || errno || v < d->min || v > d->max) {
        char range[64];
        snprintf(range, sizeof range, "'%s' is not an integer in [%u, %u]", text, d->min, d->max);
        snprintf(why, n, "%s: %s", d->name, range);
        return -1;
    }
    *(unsigned *)field = (unsigned)v;
    return 0;
}

static int
store_level(void *field, const struct opt_def *d, const char *text, char *why, size_t n)
{
    int level = log_parse_level(text);
    if (level < 0) {
        snprintf(why, n, "%s: unknown level '%s' (debug, info, warn, error)", d->name, text);
        return -1;
    }
    *(int *)field = level;
    return 0;
}

/* A switch: written alone on the command line (""), yes or no in the file. */
static int
store_bool(void *field, const struct opt_def *d, const char *text, char *why, size_t n)
{
    bool *b = field;
    if (!strcmp(text, "") || !strcasecmp(text, "yes") || !strcasecmp(text, "true") ||
        !strcmp(text, "1") || !strcasecmp(text, "on"))
        *b = true;
    else if (!strcasecmp(text, "no") || !strcasecmp(text, "false") || !strcmp(text, "0") ||
             !strcasecmp(text, "off"))
        *b = false;
    else {
        snprintf(why, n, "%s: expected yes or no, got '%s'", d->name, text);
        return -1;
    }
    return 0;
}

static int
store_flag(void *field, const struct opt_def *d, const char *text, char *why, size_t n)
{
    (void)d;
    (void)text;
    (void)why;
    (void)n;
    *(bool *)field = true;
    return 0;
}

typedef int (*store_fn)(void *field, const struct opt_def *d, const char *text, char *why,
                        size_t n);

/* By enum opt_type; NULL: the row's setter stores it. */
static const store_fn store_by_type[] = {
    [OPT_STRING] = store_string, [OPT_UINT] = store_uint, [OPT_LEVEL] = store_level,
    [OPT_ADDR] = NULL,           [OPT_FLAG] = store_flag, [OPT_BOOL] = store_bool,
};

/* opt_store: text for row d, into o, through the row's setter or its type's
 * rule. Returns 0, or -1 with the message in why. */
static int
opt_store(const struct opt_def *d, struct gtm_options *o, const char *text, char *why, size_t n)
{
    if (d->set)
        return d->set(o, text, why, n);
    GTM_ASSERT(d->field != OPT_NOFIELD && store_by_type[d->type]);
    return store_by_type[d->type]((char *)o + d->field, d, text, why, n);
}

/* Every written value into its field, in table order; a value that fails
 * its check is reported where it was written and leaves the default.
 * Single values come first, then lists (listen), as errors always have. */
static void
apply(const struct raw_set *s, struct gtm_options *o, struct config_errors *errs)
{
    char why[256];
    for (int lists = 0; lists < 2; lists++)
        for (int id = 0; id < OPT_ID_COUNT; id++) {
            const struct opt_def *d = &opt_schema[id];
            if ((d->type == OPT_ADDR) != lists)
                continue;
            size_t n = s->opt[id].n;
            if (n && d->given != OPT_NOFIELD)
                *(bool *)((char *)o + d->given) = true;
            for (size_t k = 0; k < n; k++) {
                const struct raw *r = &s->opt[id].v[k];
                if (opt_store(d, o, r->text, why, sizeof why) == 0)
                    continue;
                where_error(errs, r, "%s", why);
                if (d->def && d->type != OPT_ADDR)
                    opt_store(d, o, d->def, why, sizeof why);
            }
            if (!n && d->def && !d->deriv && opt_store(d, o, d->def, why, sizeof why) != 0)
                where_error(errs, &(struct raw){0}, "%s (the default)", why);
        }
}

int
options_load(int argc, char **argv, struct gtm_options *out, struct config_errors *errs)
{
    unsigned before = errs->count;
    struct raw_set cli = {0}, file = {0};
    struct option longopts[OPT_ID_COUNT + 1];
    char shortopts[2 * OPT_ID_COUNT + 2] = ":";
    size_t sp = 1;

    memset(out, 0, sizeof *out);
    for (int i = 0; i < OPT_ID_COUNT; i++) {
        const struct opt_def *d = &opt_schema[i];
        bool noarg = d->type == OPT_FLAG || d->type == OPT_BOOL;
        longopts[i] =
            (struct option){d->name, noarg ? no_argument : required_argument, NULL, 1000 + i};
        if (d->short_name) {
            shortopts[sp++] = d->short_name;
            if (!noarg)
                shortopts[sp++] = ':';
        }
    }
    longopts[OPT_ID_COUNT] = (struct option){0};
    shortopts[sp] = 0;

    opterr = 0;
    optind = 0; /* glibc: 0 (not 1) also forgets a half-parsed short-option cluster */
    for (int c; (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1;) {
        int id = -1;
        if (c >= 1000) {
            id = c - 1000;
        } else if (c == '?' || c == ':') {
            char bad[64];
            if (optopt && optopt < 1000)
                snprintf(bad, sizeof bad, "-%c", optopt);
            else
                snprintf(bad, sizeof bad, "%s", argv[optind - 1]);
            config_error(errs, "command line", 0,
                         c == '?' ? "unknown option '%s'" : "option '%s' needs a value", bad);
            continue;
        } else {
            for (int i = 0; i < OPT_ID_COUNT; i++)
                if (opt_schema[i].short_name == c)
                    id = i;
        }
        if (id >= 0)
            raw_put(&cli, (enum opt_id)id, optarg, NULL, 0, errs);
    }
    if (optind < argc)
        config_error(errs, "command line", 0, "unexpected argument '%s'", argv[optind]);

    const struct raw *config = raw_get(&cli, OPT_ID_CONFIG);
    if (config)
        read_file(config->text, &file, errs);

    /* The command line wins, option by option; a list written there
     * replaces the file's whole list. */
    for (int i = 0; i < OPT_ID_COUNT; i++)
        if (!cli.opt[i].n && file.opt[i].n) {
            cli.opt[i] = file.opt[i];
            file.opt[i].v = NULL;
            file.opt[i].n = 0;
        }
    apply(&cli, out, errs);
    if (!out->tls_cert != !out->tls_key) {
        /* Reported where the one given was written: the file's line, or
         * the command line. */
        bool cert = out->tls_cert != NULL;
        where_error(errs, raw_get(&cli, cert ? OPT_ID_TLS_CERT : OPT_ID_TLS_KEY),
                    "%s given without %s: tls-cert and tls-key go together",
                    cert ? "tls-cert" : "tls-key", cert ? "tls-key" : "tls-cert");
    }
    /* Defaults that depend on the machine or on other options. */
    for (int i = 0; i < OPT_ID_COUNT; i++)
        if (!cli.opt[i].n && opt_schema[i].deriv)
            opt_schema[i].deriv(out);
    raw_set_cleanup(&cli);
    raw_set_cleanup(&file);
    return errs->count == before ? 0 : GTM_ECONFIG;
}

void
options_cleanup(struct gtm_options *o)
{
    for (int i = 0; i < OPT_ID_COUNT; i++)
        if (opt_schema[i].type == OPT_STRING && opt_schema[i].field != OPT_NOFIELD)
            free(*(char **)(void *)((char *)o + opt_schema[i].field));
    free(o->listen);
    for (unsigned i = 0; i < o->nns; i++)
        free(o->ns[i].name);
    free(o->ns);
    xfr_conf_free(&o->xfr);
    memset(o, 0, sizeof *o);
}

void
options_usage(FILE *fp, const char *prog)
{
    fprintf(fp,
            "Usage: %s [options]\n\ngtmd: authoritative DNS server and global traffic manager.\n\n",
            prog);
    for (int i = 0; i < OPT_ID_COUNT; i++) {
        const struct opt_def *d = &opt_schema[i];
        char left[64];
        int n = d->short_name ? snprintf(left, sizeof left, "-%c, --%s", d->short_name, d->name)
                              : snprintf(left, sizeof left, "    --%s", d->name);
        if (d->arg && n > 0)
            snprintf(left + n, sizeof left - (size_t)n, " %s", d->arg);
        fprintf(fp, "  %-28s %s", left, d->doc);
        if (d->def)
            fprintf(fp, " [%s]", d->def);
        fputc('\n', fp);
    }
    fprintf(fp, "\nSignals: HUP reloads profiles, zones and tables; TERM and INT stop.\n"
                "See gtmd(8) and gtmd.conf(5).\n");
}
