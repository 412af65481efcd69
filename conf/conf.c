/* conf.c: argv and `name = value` config files, validated against schema.c. */
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
#include "gtm/geoip.h"
#include "gtm/log.h"

#define CONF_LINE_MAX 4096

/* A value as written, with where it was written. */
struct raw {
    char *text;
    const char *file; /* NULL: the command line */
    unsigned line;
};

struct raw_set {
    struct raw v[OPT_ID_COUNT];
    struct raw *listen;
    size_t nlisten;
};

static void
raw_set_cleanup(struct raw_set *s)
{
    for (int i = 0; i < OPT_ID_COUNT; i++)
        free(s->v[i].text);
    for (size_t i = 0; i < s->nlisten; i++)
        free(s->listen[i].text);
    free(s->listen);
}

static void
raw_put(struct raw_set *s, enum opt_id id, const char *text, const char *file, unsigned line,
        struct config_errors *errs)
{
    if (id == OPT_ID_LISTEN) {
        s->listen = xrealloc(s->listen, (s->nlisten + 1) * sizeof *s->listen);
        s->listen[s->nlisten++] = (struct raw){xstrdup(text), file, line};
        return;
    }
    if (s->v[id].text && file) {
        config_error(errs, file, line, "option '%s' given twice (first on line %u)",
                     opt_schema[id].name, s->v[id].line);
        return;
    }
    free(s->v[id].text);
    s->v[id] = (struct raw){xstrdup(text ? text : ""), file, line};
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

static void
apply(const struct raw_set *s, struct gtm_options *o, struct config_errors *errs)
{
    for (int id = 0; id < OPT_ID_COUNT; id++) {
        const struct opt_def *d = &opt_schema[id];
        const struct raw *r = &s->v[id];
        const char *text = r->text ? r->text : d->def;
        if (!text || d->type == OPT_ADDR)
            continue;
        switch (d->type) {
        case OPT_UINT: {
            char *end;
            errno = 0;
            unsigned long v = strtoul(text, &end, 10);
            if (!isdigit((unsigned char)*text) || *end || errno || v < d->min || v > d->max) {
                char range[64];
                snprintf(range, sizeof range, "'%s' is not an integer in [%u, %u]", text, d->min,
                         d->max);
                where_error(errs, r, "%s: %s", d->name, range);
                continue;
            }
            if (id == OPT_ID_WORKERS)
                o->workers = (unsigned)v;
            else if (id == OPT_ID_TCP_TIMEOUT)
                o->tcp_timeout = (unsigned)v;
            else if (id == OPT_ID_TCP_CLIENTS)
                o->tcp_clients = (unsigned)v;
            break;
        }
        case OPT_LEVEL:
            o->log_level = log_parse_level(text);
            if (o->log_level < 0) {
                where_error(errs, r, "%s: unknown level '%s' (debug, info, warn, error)", d->name,
                            text);
                o->log_level = LOG_LEVEL_INFO;
            }
            break;
        case OPT_STRING:
            if (id == OPT_ID_CONFIG)
                o->config = xstrdup(text);
            else if (id == OPT_ID_DOMAIN)
                o->domain = xstrdup(text);
            else if (id == OPT_ID_ZONES)
                o->zones = xstrdup(text);
            else if (id == OPT_ID_PROFILES)
                o->profiles = xstrdup(text);
            else if (id == OPT_ID_STATE_DIR)
                o->state_dir = xstrdup(text);
            else if (id == OPT_ID_API_TOKEN_FILE)
                o->api_token_file = xstrdup(text);
            else if (id == OPT_ID_TLS_CERT)
                o->tls_cert = xstrdup(text);
            else if (id == OPT_ID_TLS_KEY)
                o->tls_key = xstrdup(text);
            else if (id == OPT_ID_API) {
                o->api_given = r->text != NULL;
                if (strcasecmp(text, "off") == 0)
                    o->api_off = true;
                else if (listen_addr_parse(text, &o->api) != 0 || !strchr(text, ':') ||
                         (text[0] != '[' && strchr(text, ':') != strrchr(text, ':')))
                    where_error(errs, r, "api: '%s' is not ADDR:PORT (or off)", text);
            } else if (id == OPT_ID_LATENCY_TABLE)
                o->latency_table = xstrdup(text);
            else if (id == OPT_ID_GEO_TABLE)
                o->geo_table = xstrdup(text);
            else if (id == OPT_ID_GEOIP) {
                if (!geoip_available())
                    where_error(errs, r, "geoip: gtmd was built without libmaxminddb");
                else
                    o->geoip = xstrdup(text);
            } else if (id == OPT_ID_ON_CHANGE) {
                if (text[strspn(text, " \t")] == 0)
                    where_error(errs, r, "on-change: the command is empty");
                else
                    o->on_change = xstrdup(text);
            }
            break;
        case OPT_BOOL:
            if (!strcmp(text, "") || !strcasecmp(text, "yes") || !strcasecmp(text, "true") ||
                !strcmp(text, "1") || !strcasecmp(text, "on"))
                o->strict = true;
            else if (!strcasecmp(text, "no") || !strcasecmp(text, "false") || !strcmp(text, "0") ||
                     !strcasecmp(text, "off"))
                o->strict = false;
            else
                where_error(errs, r, "%s: expected yes or no, got '%s'", d->name, text);
            break;
        case OPT_FLAG:
            if (id == OPT_ID_CHECK_CONFIG)
                o->check_config = true;
            else if (id == OPT_ID_DEMO)
                o->demo = true;
            else if (id == OPT_ID_HELP)
                o->help = true;
            else if (id == OPT_ID_VERSION)
                o->version = true;
            break;
        case OPT_ADDR:
            break;
        }
    }

    o->nlisten = s->nlisten;
    o->listen_default = s->nlisten == 0;
    if (o->listen_default) {
        static const char *const defaults[] = {"127.0.0.1", "[::1]"};
        o->nlisten = GTM_ARRAY_LEN(defaults);
        o->listen = xcalloc(o->nlisten, sizeof *o->listen);
        for (size_t i = 0; i < o->nlisten; i++)
            listen_addr_parse(defaults[i], &o->listen[i]);
        return;
    }
    o->listen = xcalloc(o->nlisten, sizeof *o->listen);
    for (size_t i = 0; i < s->nlisten; i++)
        if (listen_addr_parse(s->listen[i].text, &o->listen[i]) != 0)
            where_error(errs, &s->listen[i], "%s: '%s' is not ADDR[:PORT] with a numeric address",
                        "listen", s->listen[i].text);
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
    out->log_level = LOG_LEVEL_INFO;
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

    if (cli.v[OPT_ID_CONFIG].text)
        read_file(cli.v[OPT_ID_CONFIG].text, &file, errs);

    /* The command line wins; its listen list replaces the file's. */
    for (int i = 0; i < OPT_ID_COUNT; i++)
        if (!cli.v[i].text && file.v[i].text) {
            cli.v[i] = file.v[i];
            file.v[i].text = NULL;
        }
    if (!cli.nlisten) {
        cli.listen = file.listen;
        cli.nlisten = file.nlisten;
        file.listen = NULL;
        file.nlisten = 0;
    }
    apply(&cli, out, errs);
    out->profiles_given = out->profiles != NULL;
    out->state_dir_given = cli.v[OPT_ID_STATE_DIR].text != NULL;
    if (!out->tls_cert != !out->tls_key) {
        /* Reported where the one given was written: the file's line, or
         * the command line. */
        bool cert = out->tls_cert != NULL;
        where_error(errs, &cli.v[cert ? OPT_ID_TLS_CERT : OPT_ID_TLS_KEY],
                    "%s given without %s: tls-cert and tls-key go together",
                    cert ? "tls-cert" : "tls-key", cert ? "tls-key" : "tls-cert");
    }
    if (!out->profiles) {
        size_t n = strlen(out->state_dir) + sizeof "/profiles";
        out->profiles = xmalloc(n);
        snprintf(out->profiles, n, "%s/profiles", out->state_dir);
    }
    if (!out->workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        out->workers = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
    }
    raw_set_cleanup(&cli);
    raw_set_cleanup(&file);
    return errs->count == before ? 0 : GTM_ECONFIG;
}

void
options_cleanup(struct gtm_options *o)
{
    free(o->config);
    free(o->listen);
    free(o->domain);
    free(o->zones);
    free(o->profiles);
    free(o->state_dir);
    free(o->api_token_file);
    free(o->tls_cert);
    free(o->tls_key);
    free(o->latency_table);
    free(o->geo_table);
    free(o->geoip);
    free(o->on_change);
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
