/* schema.c: every option of gtmd, once: its names, type, range, default,
 * help text and the field of struct gtm_options it is stored in (or the
 * setter that stores it, for the few whose check is more than their
 * type's). Defaults live here and nowhere else; man/gtmd.conf.5 is checked
 * against this table by a unit test (tests/unit/test_schema_man.c). */
#include "config.h"
#include "conf/conf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "gtm/alloc.h"
#include "gtm/compiler.h"
#include "gtm/dname.h"
#include "gtm/geoip.h"
#include "gtm/guid.h"
#include "gtm/snapshot.h"

/* ---- setters and derived defaults, for the rows that need one ---- */

/* api: ADDR:PORT (a port is required, an IPv6 address in brackets), or off. */
static int
set_api(struct gtm_options *o, const char *text, char *why, size_t n)
{
    if (strcasecmp(text, "off") == 0) {
        o->api_off = true;
        return 0;
    }
    if (listen_addr_parse(text, &o->api) != 0 || !strchr(text, ':') ||
        (text[0] != '[' && strchr(text, ':') != strrchr(text, ':'))) {
        snprintf(why, n, "api: '%s' is not ADDR:PORT (or off)", text);
        return -1;
    }
    return 0;
}

/* api-subscription: a GUID, as ARM's subscription ids are. */
static int
set_api_subscription(struct gtm_options *o, const char *text, char *why, size_t n)
{
    if (!gtm_guid_valid(text)) {
        snprintf(why, n, "api-subscription: '%s' is not a GUID (8-4-4-4-12 hex digits)", text);
        return -1;
    }
    free(o->api_subscription);
    o->api_subscription = xstrdup(text);
    return 0;
}

/* ns: NAME[=ADDR[,ADDR...]], repeatable: a name server of --domain. The
 * name is checked as a domain name; the addresses are numeric. Whether
 * the name lies inside the domain (and so needs addresses) is the zone's
 * business, once the domain is known. */
static int
set_ns(struct gtm_options *o, const char *text, char *why, size_t n)
{
    if (o->nns == GTM_NS_MAX) {
        snprintf(why, n, "ns: at most %d name servers", GTM_NS_MAX);
        return -1;
    }
    const char *eq = strchr(text, '=');
    size_t nl = eq ? (size_t)(eq - text) : strlen(text);
    uint8_t wire[DNAME_MAXLEN];
    char name[4 * DNAME_MAXLEN + 2]; /* room for escapes */
    if (nl == 0 || nl >= sizeof name) {
        snprintf(why, n, "ns: '%s' is not NAME[=ADDR[,ADDR]]", text);
        return -1;
    }
    memcpy(name, text, nl);
    name[nl] = 0;
    if (dname_from_text(name, wire) < 0 || strchr(name, ' ') || strcmp(name, ".") == 0) {
        snprintf(why, n, "ns: '%s' is not a domain name", name);
        return -1;
    }
    struct gtm_nameserver ns = {0};
    for (const char *p = eq ? eq + 1 : NULL; p;) {
        const char *comma = strchr(p, ',');
        size_t al = comma ? (size_t)(comma - p) : strlen(p);
        char addr[INET6_ADDRSTRLEN + 2];
        if (ns.naddr == GTM_NS_MAX_ADDR) {
            snprintf(why, n, "ns: %s has more than %d addresses", name, GTM_NS_MAX_ADDR);
            return -1;
        }
        struct gtm_ns_addr *a = &ns.addr[ns.naddr];
        if (al >= sizeof addr) {
            snprintf(why, n, "ns: '%.*s' is not an IPv4 or IPv6 address", (int)al, p);
            return -1;
        }
        memcpy(addr, p, al);
        addr[al] = 0;
        if (inet_pton(AF_INET, addr, a->addr) == 1)
            a->family = AF_INET;
        else if (inet_pton(AF_INET6, addr, a->addr) == 1)
            a->family = AF_INET6;
        else {
            snprintf(why, n, "ns: '%s' is not an IPv4 or IPv6 address", addr);
            return -1;
        }
        ns.naddr++;
        p = comma ? comma + 1 : NULL;
    }
    for (unsigned i = 0; i < o->nns; i++)
        if (strcasecmp(o->ns[i].name, name) == 0) {
            snprintf(why, n, "ns: %s is given twice", name);
            return -1;
        }
    ns.name = xstrdup(name);
    o->ns = xrealloc(o->ns, (o->nns + 1) * sizeof *o->ns);
    o->ns[o->nns++] = ns;
    return 0;
}

/* geoip: only when gtmd was built with libmaxminddb. */
static int
set_geoip(struct gtm_options *o, const char *text, char *why, size_t n)
{
    if (!geoip_available()) {
        snprintf(why, n, "geoip: gtmd was built without libmaxminddb");
        return -1;
    }
    free(o->geoip);
    o->geoip = xstrdup(text);
    return 0;
}

/* on-change: a command, so not blank. */
static int
set_on_change(struct gtm_options *o, const char *text, char *why, size_t n)
{
    if (text[strspn(text, " \t")] == 0) {
        snprintf(why, n, "on-change: the command is empty");
        return -1;
    }
    free(o->on_change);
    o->on_change = xstrdup(text);
    return 0;
}

/* A node name's bytes: [A-Za-z0-9._-] (a DNS label's letters, and a
 * component of etcd keys without escaping). */
static bool
node_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* node: 1 to GTM_NODE_MAX bytes of [A-Za-z0-9._-]. */
static int
set_node(struct gtm_options *o, const char *text, char *why, size_t n)
{
    size_t len = strlen(text);
    size_t bad = 0;
    while (bad < len && node_char(text[bad]))
        bad++;
    if (len == 0 || len > GTM_NODE_MAX || bad < len) {
        snprintf(why, n, "node: '%s' is not 1 to %d of the characters A-Z a-z 0-9 . _ -", text,
                 GTM_NODE_MAX);
        return -1;
    }
    free(o->node);
    o->node = xstrdup(text);
    return 0;
}

/* node not written: the host name, its first label when the whole name is
 * too long, with any other character as '-'; "gtmd" when there is none. */
static void
derive_node(struct gtm_options *o)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = 0;
    host[sizeof host - 1] = 0;
    size_t len = strlen(host);
    if (len > GTM_NODE_MAX)
        len = strcspn(host, ".");
    if (len > GTM_NODE_MAX)
        len = GTM_NODE_MAX;
    host[len] = 0;
    for (size_t i = 0; i < len; i++)
        if (!node_char(host[i]))
            host[i] = '-';
    o->node = xstrdup(len ? host : "gtmd");
}

const char *
options_nsid(const struct gtm_options *o)
{
    if (o->nsid)
        return strcmp(o->nsid, "off") == 0 ? NULL : o->nsid;
    return o->node_given || o->etcd ? o->node : NULL; /* a fleet's nodes always say who answered */
}

const char *
options_identity(const struct gtm_options *o)
{
    if (o->identity)
        return strcmp(o->identity, "off") == 0 ? NULL : o->identity;
    return options_nsid(o);
}

const char *
options_server_version(const struct gtm_options *o, char *buf, size_t cap)
{
    if (!o->server_version || strcmp(o->server_version, "off") == 0)
        return NULL;
    if (strcmp(o->server_version, "on") != 0)
        return o->server_version;
    snprintf(buf, cap, "gtmd %s", PACKAGE_VERSION);
    return buf;
}

/* nsid, identity, server-version: printable ASCII of at most max bytes
 * (a TXT string holds 255, the snapshot keeps an NSID of 63). */
static int
set_text(char **field, const char *name, size_t max, const char *text, char *why, size_t n)
{
    size_t len = strlen(text);
    bool ok = len > 0 && len <= max;
    for (size_t i = 0; ok && i < len; i++)
        ok = text[i] >= 0x20 && text[i] < 0x7f;
    if (!ok) {
        snprintf(why, n, "%s: '%s' is not 1 to %zu printable ASCII characters", name, text, max);
        return -1;
    }
    free(*field);
    *field = xstrdup(text);
    return 0;
}

static int
set_nsid(struct gtm_options *o, const char *text, char *why, size_t n)
{
    return set_text(&o->nsid, "nsid", SNAPSHOT_NSID_MAX, text, why, n);
}

static int
set_identity(struct gtm_options *o, const char *text, char *why, size_t n)
{
    return set_text(&o->identity, "identity", 255, text, why, n);
}

static int
set_server_version(struct gtm_options *o, const char *text, char *why, size_t n)
{
    return set_text(&o->server_version, "server-version", 255, text, why, n);
}

/* cookies: off, on or require (the order of enum dns_cookie_mode). */
static int
set_cookies(struct gtm_options *o, const char *text, char *why, size_t n)
{
    static const char *const modes[] = {"off", "on", "require"};
    for (size_t i = 0; i < GTM_ARRAY_LEN(modes); i++)
        if (strcasecmp(text, modes[i]) == 0) {
            o->cookies = (int)i;
            return 0;
        }
    snprintf(why, n, "cookies: '%s' is not on, off or require", text);
    return -1;
}

/* cookie-secret: 32 hex digits, the 16 bytes of RFC 9018's secret. */
static int
set_cookie_secret(struct gtm_options *o, const char *text, char *why, size_t n)
{
    unsigned char buf[sizeof o->cookie_secret];
    bool ok = strlen(text) == 2 * sizeof buf;
    for (size_t i = 0; ok && i < sizeof buf; i++) {
        char pair[3] = {text[2 * i], text[2 * i + 1], 0};
        char *end;
        ok = isxdigit((unsigned char)pair[0]) && isxdigit((unsigned char)pair[1]);
        buf[i] = (unsigned char)strtoul(pair, &end, 16);
    }
    if (!ok) {
        snprintf(why, n, "cookie-secret: not 32 hex digits (16 bytes)");
        return -1; /* the secret itself stays out of the message and the logs */
    }
    memcpy(o->cookie_secret, buf, sizeof buf);
    return 0;
}

#ifdef HAVE_DNSTAP
#define DNSTAP_DOC ""
#else
#define DNSTAP_DOC " (not available: gtmd was built without dnstap)"
#endif

/* dnstap: a file, or unix:PATH; only when gtmd was built with dnstap. */
static int
set_dnstap(struct gtm_options *o, const char *text, char *why, size_t n)
{
#ifndef HAVE_DNSTAP
    (void)o;
    snprintf(why, n, "dnstap: '%s': gtmd was built without dnstap (libfstrm, libprotobuf-c)", text);
    return -1;
#else
    if (!*text || strcmp(text, "unix:") == 0) {
        snprintf(why, n, "dnstap: '%s' names no file or socket", text);
        return -1;
    }
    free(o->dnstap);
    o->dnstap = xstrdup(text);
    return 0;
#endif
}

static int
set_yes_no(bool *b, const char *name, const char *text, char *why, size_t n)
{
    if (!strcasecmp(text, "yes") || !strcasecmp(text, "on") || !strcasecmp(text, "true"))
        *b = true;
    else if (!strcasecmp(text, "no") || !strcasecmp(text, "off") || !strcasecmp(text, "false"))
        *b = false;
    else {
        snprintf(why, n, "%s: expected yes or no, got '%s'", name, text);
        return -1;
    }
    return 0;
}

static int
set_dnstap_queries(struct gtm_options *o, const char *text, char *why, size_t n)
{
    return set_yes_no(&o->dnstap_queries, "dnstap-queries", text, why, n);
}

static int
set_dnstap_responses(struct gtm_options *o, const char *text, char *why, size_t n)
{
    return set_yes_no(&o->dnstap_responses, "dnstap-responses", text, why, n);
}

/* listen: one more address (kept, for its text, even when it is wrong). */
static int
set_listen(struct gtm_options *o, const char *text, char *why, size_t n)
{
    o->listen = xrealloc(o->listen, (o->nlisten + 1) * sizeof *o->listen);
    struct listen_addr *la = &o->listen[o->nlisten++];
    if (listen_addr_parse(text, la) != 0) {
        snprintf(why, n, "%s: '%s' is not ADDR[:PORT] with a numeric address", "listen", text);
        return -1;
    }
    return 0;
}

/* listen not written: the IPv4 and IPv6 loopback addresses, port 5353. */
static void
derive_listen(struct gtm_options *o)
{
    static const char *const loopback[] = {"127.0.0.1", "[::1]"};
    o->listen_default = true;
    o->nlisten = GTM_ARRAY_LEN(loopback);
    o->listen = xcalloc(o->nlisten, sizeof *o->listen);
    for (size_t i = 0; i < o->nlisten; i++)
        listen_addr_parse(loopback[i], &o->listen[i]);
}

/* profiles not written: STATE-DIR/profiles. */
static void
derive_profiles(struct gtm_options *o)
{
    const char *dir = o->state_dir ? o->state_dir : ".";
    size_t n = strlen(dir) + sizeof "/profiles";
    o->profiles = xmalloc(n);
    snprintf(o->profiles, n, "%s/profiles", dir);
}

/* workers not written: one per online CPU, at most 64. */
static void
derive_workers(struct gtm_options *o)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->workers = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* etcd: URL[,URL...], each http:// or https:// (the client endpoints of
 * one etcd cluster). */
static int
set_etcd(struct gtm_options *o, const char *text, char *why, size_t n)
{
    const char *p = text;
    do {
        size_t len = strcspn(p, ",");
        if (!((len > 7 && strncasecmp(p, "http://", 7) == 0) ||
              (len > 8 && strncasecmp(p, "https://", 8) == 0))) {
            snprintf(why, n, "etcd: '%.*s' is not an http:// or https:// URL", (int)len, p);
            return -1;
        }
        p += len;
    } while (*p++ == ',');
    free(o->etcd);
    o->etcd = xstrdup(text);
    return 0;
}

/* etcd-prefix: printable, no blanks; a '/' is added at the end when missing,
 * so that one fleet's prefix is never the start of another's. */
static int
set_etcd_prefix(struct gtm_options *o, const char *text, char *why, size_t n)
{
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] <= ' ' || (unsigned char)text[i] >= 0x7f) {
            snprintf(why, n, "etcd-prefix: '%s' holds a blank or a control character", text);
            return -1;
        }
    if (len == 0 || len > 200) {
        snprintf(why, n, "etcd-prefix: '%s' must be 1 to 200 characters", text);
        return -1;
    }
    free(o->etcd_prefix);
    o->etcd_prefix = xmalloc(len + 2);
    memcpy(o->etcd_prefix, text, len + 1);
    if (text[len - 1] != '/')
        memcpy(o->etcd_prefix + len, "/", 2);
    return 0;
}

/* probe-source: a numeric IPv4 or IPv6 address of this machine. */
static int
set_probe_source(struct gtm_options *o, const char *text, char *why, size_t n)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, text, buf) != 1 && inet_pton(AF_INET6, text, buf) != 1) {
        snprintf(why, n, "probe-source: '%s' is not a numeric IPv4 or IPv6 address", text);
        return -1;
    }
    free(o->probe_source);
    o->probe_source = xstrdup(text);
    return 0;
}

/* quorum: a number of nodes (1-64), or majority (stored as 0). */
static int
set_quorum(struct gtm_options *o, const char *text, char *why, size_t n)
{
    if (strcasecmp(text, "majority") == 0) {
        o->quorum = 0;
        return 0;
    }
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || *end || text[0] == '-' || v < 1 || v > 64) {
        snprintf(why, n, "quorum: '%s' is not a number of nodes from 1 to 64, or majority", text);
        return -1;
    }
    o->quorum = (unsigned)v;
    return 0;
}

/* tsig-keys: the key file, read now (the lists below name its keys). */
static int
set_tsig_keys(struct gtm_options *o, const char *text, char *why, size_t n)
{
    char msg[400];
    if (tsig_keys_load(&o->xfr, text, msg, sizeof msg) != 0) {
        snprintf(why, n, "tsig-keys: %s", msg);
        return -1;
    }
    return 0;
}

static int
set_allow_transfer(struct gtm_options *o, const char *text, char *why, size_t n)
{
    return xfr_acl_add(&o->xfr, text, why, n);
}

static int
set_notify(struct gtm_options *o, const char *text, char *why, size_t n)
{
    return xfr_notify_add(&o->xfr, text, why, n);
}

/* ---- the table ---- */

#define FIELD(f)       offsetof(struct gtm_options, f)
#define NO             OPT_NOFIELD
#define GEOIP_DOC_HAVE "Geographic routing: a MaxMind DB (country, subdivision) for clients "
#define GEOIP_DOC_NONE "Geographic routing from a MaxMind DB (not available: gtmd was built "

/* Columns: name, short, type, in the file, min, max, default, metavariable,
 * doc, field, setter, "given" flag, derived default. */
const struct opt_def opt_schema[OPT_ID_COUNT] = {
    [OPT_ID_CONFIG] = {"config", 'c', OPT_STRING, false, 0, 0, NULL, "FILE",
                       "read options from FILE (name = value lines)", FIELD(config), NULL, NO,
                       NULL},
    [OPT_ID_LISTEN] = {"listen", 'l', OPT_ADDR, true, 0, 0, "127.0.0.1:5353 [::1]:5353",
                       "ADDR[:PORT]", "answer DNS on UDP and TCP there; repeatable", NO, set_listen,
                       NO, derive_listen},
    [OPT_ID_DOMAIN] = {"domain", 0, OPT_STRING, true, 0, 0, "trafficmanager.net", "NAME",
                       "parent domain of profile names; SOA and NS at its apex", FIELD(domain),
                       NULL, NO, NULL},
    [OPT_ID_NS] = {"ns", 0, OPT_ADDR, true, 0, 0, NULL, "NAME[=ADDR[,ADDR]]",
                   "a name server of --domain (its apex NS; a name inside the domain gets the "
                   "addresses as A/AAAA); repeatable (default: ns1.DOMAIN at the listen "
                   "addresses)",
                   NO, set_ns, NO, NULL},
    [OPT_ID_PROFILES] = {"profiles", 'p', OPT_STRING, true, 0, 0, NULL, "DIR",
                         "Azure Traffic Manager profiles, one JSON file each (default: "
                         "STATE-DIR/profiles)",
                         FIELD(profiles), NULL, FIELD(profiles_given), derive_profiles},
    [OPT_ID_STATE_DIR] = {"state-dir", 0, OPT_STRING, true, 0, 0, ".", "DIR",
                          "where gtmd keeps its state (profiles/ by default)", FIELD(state_dir),
                          NULL, FIELD(state_dir_given), NULL},
    [OPT_ID_STRICT] = {"strict", 0, OPT_BOOL, true, 0, 0, NULL, NULL,
                       "reject profile values that Azure Traffic Manager rejects", FIELD(strict),
                       NULL, NO, NULL},
    [OPT_ID_API] = {"api", 0, OPT_STRING, true, 0, 0, "127.0.0.1:8443", "ADDR:PORT|off",
                    "management API (HTTPS): Azure's REST surface, /metrics, status page", NO,
                    set_api, FIELD(api_given), NULL},
    [OPT_ID_API_TOKEN_FILE] = {"api-token-file", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                               "bearer tokens, one per line (without it: read-only, loopback)",
                               FIELD(api_token_file), NULL, NO, NULL},
    [OPT_ID_API_CLIENTS] = {"api-clients", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                            "built-in token issuer (AD FS shape, for az and the SDKs): "
                            "'client_id secret' lines",
                            FIELD(api_clients), NULL, NO, NULL},
    [OPT_ID_API_TOKEN_LIFETIME] = {"api-token-lifetime", 0, OPT_UINT, true, 5, 86400, "3600",
                                   "SECONDS", "how long a token of the issuer is valid",
                                   FIELD(api_token_lifetime), NULL, NO, NULL},
    [OPT_ID_API_SUBSCRIPTION] = {"api-subscription", 0, OPT_STRING, true, 0, 0,
                                 "00000000-0000-0000-0000-000000000000", "GUID",
                                 "the subscription GET /subscriptions lists first (login)",
                                 FIELD(api_subscription), set_api_subscription, NO, NULL},
    [OPT_ID_API_LIST_PAGE] = {"api-list-page", 0, OPT_UINT, true, 0, 1000000, "100", "N",
                              "profiles in a page of an ARM list, more through nextLink (0: "
                              "every profile in one reply, as Azure's SDKs always get them)",
                              FIELD(api_list_page), NULL, NO, NULL},
    [OPT_ID_TLS_CERT] = {"tls-cert", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                         "API certificate chain, PEM (default: self-signed)", FIELD(tls_cert), NULL,
                         NO, NULL},
    [OPT_ID_TLS_KEY] = {"tls-key", 0, OPT_STRING, true, 0, 0, NULL, "FILE", "API private key, PEM",
                        FIELD(tls_key), NULL, NO, NULL},
    [OPT_ID_LATENCY_TABLE] = {"latency-table", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                              "Performance routing: rows 'CIDR region latency_ms'",
                              FIELD(latency_table), NULL, NO, NULL},
    [OPT_ID_GEO_TABLE] = {"geo-table", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                          "Geographic routing: rows 'CIDR code' (US, US-CA, ...)", FIELD(geo_table),
                          NULL, NO, NULL},
#ifdef HAVE_MAXMINDDB
    [OPT_ID_GEOIP] = {"geoip", 0, OPT_STRING, true, 0, 0, NULL, "FILE.mmdb",
                      GEOIP_DOC_HAVE "the geo table does not cover", FIELD(geoip), set_geoip, NO,
                      NULL},
#else
    [OPT_ID_GEOIP] = {"geoip", 0, OPT_STRING, true, 0, 0, NULL, "FILE.mmdb",
                      GEOIP_DOC_NONE "without libmaxminddb)", FIELD(geoip), set_geoip, NO, NULL},
#endif
    [OPT_ID_ON_CHANGE] = {"on-change", 0, OPT_STRING, true, 0, 0, NULL, "CMD",
                          "run CMD (split on blanks, no shell) on every endpoint state "
                          "transition",
                          FIELD(on_change), set_on_change, NO, NULL},
    [OPT_ID_ETCD] = {"etcd", 0, OPT_STRING, true, 0, 0, NULL, "URL[,URL...]",
                     "fleet mode: share profiles, verdicts and drills through this etcd cluster",
                     FIELD(etcd), set_etcd, NO, NULL},
    [OPT_ID_ETCD_PREFIX] = {"etcd-prefix", 0, OPT_STRING, true, 0, 0, "/gtmd/", "PREFIX",
                            "the fleet's keys live under PREFIX (two fleets may share one etcd)",
                            FIELD(etcd_prefix), set_etcd_prefix, NO, NULL},
    [OPT_ID_ETCD_CACERT] = {"etcd-cacert", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                            "CA bundle that signed etcd's certificates, PEM", FIELD(etcd_cacert),
                            NULL, NO, NULL},
    [OPT_ID_ETCD_CERT] = {"etcd-cert", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                          "client certificate for etcd, PEM", FIELD(etcd_cert), NULL, NO, NULL},
    [OPT_ID_ETCD_KEY] = {"etcd-key", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                         "private key of --etcd-cert, PEM", FIELD(etcd_key), NULL, NO, NULL},
    [OPT_ID_ETCD_USER_FILE] = {"etcd-user-file", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                               "etcd authentication: FILE holds user:password",
                               FIELD(etcd_user_file), NULL, NO, NULL},
    [OPT_ID_PROBE_SOURCE] = {"probe-source", 0, OPT_STRING, true, 0, 0, NULL, "ADDR",
                             "source address of this node's health probes", FIELD(probe_source),
                             set_probe_source, NO, NULL},
    [OPT_ID_MAX_PROBES_IN_FLIGHT] =
        {"max-probes-in-flight", 0, OPT_UINT, true, 1, 1048576, NULL, "N",
         "at most N health probes under way at once; more due are "
         "skipped and spread (default: a quarter of the open-files limit)",
         FIELD(max_probes_in_flight), NULL, NO, NULL},
    [OPT_ID_QUORUM] = {"quorum", 0, OPT_STRING, true, 0, 0, "majority", "N|majority",
                       "fleet: live nodes that must see an endpoint fail to call it Degraded", NO,
                       set_quorum, NO, NULL},
    [OPT_ID_NODE] = {"node", 0, OPT_STRING, true, 0, 0, NULL, "NAME",
                     "this node's name in a fleet; answered as NSID (RFC 5001) when given "
                     "(default: the host name)",
                     FIELD(node), set_node, FIELD(node_given), derive_node},
    [OPT_ID_NSID] = {"nsid", 0, OPT_STRING, true, 0, 0, NULL, "TEXT|off",
                     "the NSID (RFC 5001) answered to who asks (default: --node's name when "
                     "given or in a fleet, else none)",
                     FIELD(nsid), set_nsid, NO, NULL},
    [OPT_ID_IDENTITY] = {"identity", 0, OPT_STRING, true, 0, 0, NULL, "TEXT|off",
                         "what id.server and hostname.bind (CH TXT) answer (default: the NSID; "
                         "none: REFUSED)",
                         FIELD(identity), set_identity, NO, NULL},
    [OPT_ID_SERVER_VERSION] = {"server-version", 0, OPT_STRING, true, 0, 0, "off", "on|off|TEXT",
                               "what version.bind and version.server (CH TXT) answer; on: gtmd's "
                               "version",
                               FIELD(server_version), set_server_version, NO, NULL},
    [OPT_ID_COOKIES] = {"cookies", 0, OPT_STRING, true, 0, 0, "on", "on|off|require",
                        "DNS cookies (RFC 7873, RFC 9018): a server cookie in every answer to "
                        "a client cookie; require: BADCOOKIE over UDP without a valid one",
                        NO, set_cookies, NO, NULL},
    [OPT_ID_COOKIE_SECRET] = {"cookie-secret", 0, OPT_STRING, true, 0, 0, NULL, "HEX",
                              "the 16-byte server cookie secret, 32 hex digits: the same on "
                              "every server of an anycast group (default: random, rotated; "
                              "with --etcd, shared by the fleet)",
                              NO, set_cookie_secret, FIELD(cookie_secret_given), NULL},
    [OPT_ID_COOKIE_ROTATE] = {"cookie-rotate", 0, OPT_UINT, true, 1, 366 * 86400, "86400",
                              "SECONDS",
                              "without --cookie-secret: a new random secret this often (the "
                              "previous one is still accepted until the next; with --etcd, "
                              "the fleet's)",
                              FIELD(cookie_rotate), NULL, NO, NULL},
    [OPT_ID_DNSTAP] = {"dnstap", 0, OPT_STRING, true, 0, 0, NULL, "FILE|unix:SOCKET",
                       "log queries and responses in dnstap format to FILE (replaced at start) "
                       "or the unix SOCKET a reader listens on; never delays an "
                       "answer" DNSTAP_DOC,
                       FIELD(dnstap), set_dnstap, NO, NULL},
    [OPT_ID_DNSTAP_QUERIES] = {"dnstap-queries", 0, OPT_STRING, true, 0, 0, "yes", "yes|no",
                               "--dnstap logs every query received (AUTH_QUERY)", NO,
                               set_dnstap_queries, NO, NULL},
    [OPT_ID_DNSTAP_RESPONSES] = {"dnstap-responses", 0, OPT_STRING, true, 0, 0, "yes", "yes|no",
                                 "--dnstap logs every response sent (AUTH_RESPONSE)", NO,
                                 set_dnstap_responses, NO, NULL},
    [OPT_ID_RRL] = {"rrl", 0, OPT_UINT, true, 0, 1000000, "0", "RATE",
                    "response rate limiting: at most RATE UDP responses a second to a client "
                    "network (/24, /56) per answer class and name; 0: off",
                    FIELD(rrl), NULL, NO, NULL},
    [OPT_ID_RRL_SLIP] = {"rrl-slip", 0, OPT_UINT, true, 0, 100, "2", "N",
                         "every Nth response the rate limit drops goes out truncated (TC), so "
                         "that real clients retry over TCP; 0: never",
                         FIELD(rrl_slip), NULL, NO, NULL},
    [OPT_ID_RRL_TABLE_SIZE] = {"rrl-table-size", 0, OPT_UINT, true, 1024, 16777216, "65536", "N",
                               "buckets of the rate limit per UDP thread (16 bytes each, a power "
                               "of two)",
                               FIELD(rrl_table_size), NULL, NO, NULL},
    [OPT_ID_ZONES] = {"zones", 'z', OPT_STRING, true, 0, 0, NULL, "DIR",
                      "serve the static zone files DIR/*.zone", FIELD(zones), NULL, NO, NULL},
    [OPT_ID_KEYS] = {"keys", 0, OPT_STRING, true, 0, 0, NULL, "DIR",
                     "DNSSEC: sign each zone DIR has K<zone>+<alg>+<id>.key/.private files for",
                     FIELD(keys), NULL, NO, NULL},
    [OPT_ID_RRSIG_LIFETIME] = {"rrsig-lifetime", 0, OPT_UINT, true, 1, 366 * 86400, "1209600",
                               "SECONDS", "DNSSEC: how long a signature made at (re)load is valid",
                               FIELD(rrsig_lifetime), NULL, NO, NULL},
    [OPT_ID_RRSIG_REFRESH] = {"rrsig-refresh", 0, OPT_UINT, true, 0, 366 * 86400, "604800",
                              "SECONDS", "DNSSEC: reload (and so sign again) this often (0: never)",
                              FIELD(rrsig_refresh), NULL, NO, NULL},
    [OPT_ID_TSIG_KEYS] = {"tsig-keys", 0, OPT_STRING, true, 0, 0, NULL, "FILE",
                          "TSIG keys (RFC 8945) for transfers and NOTIFY: BIND 'key' statements "
                          "or NAME:ALGORITHM:SECRET lines",
                          NO, set_tsig_keys, NO, NULL},
    [OPT_ID_ALLOW_TRANSFER] = {"allow-transfer", 0, OPT_ADDR, true, 0, 0, NULL,
                               "CIDR|key:NAME|'CIDR key:NAME'",
                               "who may transfer (AXFR, IXFR) the static zones; repeatable "
                               "(default: nobody)",
                               NO, set_allow_transfer, NO, NULL},
    [OPT_ID_NOTIFY] = {"notify", 0, OPT_ADDR, true, 0, 0, NULL, "ADDR[:PORT][ key:NAME]",
                       "send NOTIFY there when a static zone's serial changes; repeatable", NO,
                       set_notify, NO, NULL},
    [OPT_ID_WORKERS] = {"workers", 0, OPT_UINT, true, 1, 64, NULL, "N",
                        "workers, each with its own sockets (default: number of CPUs)",
                        FIELD(workers), NULL, NO, derive_workers},
    [OPT_ID_TCP_TIMEOUT] = {"tcp-timeout", 0, OPT_UINT, true, 1, 3600, "10", "SECONDS",
                            "close a TCP connection idle this long", FIELD(tcp_timeout), NULL, NO,
                            NULL},
    [OPT_ID_TCP_CLIENTS] = {"tcp-clients", 0, OPT_UINT, true, 1, 65536, "256", "N",
                            "at most N TCP connections per worker", FIELD(tcp_clients), NULL, NO,
                            NULL},
    [OPT_ID_LOG_LEVEL] = {"log-level", 0, OPT_LEVEL, true, 0, 0, "info", "LEVEL",
                          "debug, info, warn or error", FIELD(log_level), NULL, NO, NULL},
    [OPT_ID_CHECK_CONFIG] = {"check-config", 0, OPT_FLAG, false, 0, 0, NULL, NULL,
                             "validate the configuration and zones, print errors, exit 0 or 1",
                             FIELD(check_config), NULL, NO, NULL},
    [OPT_ID_DEMO] = {"demo", 0, OPT_FLAG, false, 0, 0, NULL, NULL,
                     "the embedded demo: example.com, and app.<domain> over two endpoints gtmd "
                     "runs",
                     FIELD(demo), NULL, NO, NULL},
    [OPT_ID_HELP] = {"help", 'h', OPT_FLAG, false, 0, 0, NULL, NULL, "print this help and exit",
                     FIELD(help), NULL, NO, NULL},
    [OPT_ID_VERSION] = {"version", 'V', OPT_FLAG, false, 0, 0, NULL, NULL,
                        "print the version and exit", FIELD(version), NULL, NO, NULL},
};
