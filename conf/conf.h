/* conf.h: the daemon's options: one table (opt_schema, in schema.c) whose
 * rows bind each option to its field of struct gtm_options, with its check,
 * default and doc; the command line and the config file are parsed through
 * it (conf.c). */
#ifndef GTM_CONF_CONF_H
#define GTM_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gtm/nameserver.h"
#include "conf/xfr.h"

#include "gtm/err.h"

struct gtm_options;

/* How a value is checked and where it is stored: the field a row binds
 * (struct opt_def.field) has the C type named here. */
enum opt_type {
    OPT_STRING, /* any text; char * (a copy) */
    OPT_UINT,   /* an integer in [min, max]; unsigned */
    OPT_LEVEL,  /* a log level name; int (enum log_level) */
    OPT_ADDR,   /* ADDR[:PORT], repeatable; stored by the row's setter only */
    OPT_FLAG,   /* no value; command line only; bool */
    OPT_BOOL,   /* a switch: no value on the command line, yes/no in the file; bool */
};

/* OPT_NOFIELD: a row that binds no field (its setter stores the value), or
 * has no "given" flag. */
#define OPT_NOFIELD ((size_t)-1)

/* opt_set_fn: checks text and stores it into o. Returns 0, or -1 after
 * writing the complete error message (without "file:line: error: ") into
 * why. For an OPT_ADDR row it is called once per value written. */
typedef int (*opt_set_fn)(struct gtm_options *o, const char *text, char *why, size_t whylen);

/* opt_derive_fn: gives the field its default when the option was not
 * written and the default is not a constant (it depends on the machine or
 * on another option). Called after every written value is stored. */
typedef void (*opt_derive_fn)(struct gtm_options *o);

/* One option: the single source of its names, type, range, default, help
 * text, and of the field its value goes to. */
struct opt_def {
    const char *name;
    char short_name; /* 0: long only */
    enum opt_type type;
    bool in_file; /* may be written in the config file */
    unsigned min, max;
    const char *def; /* default as text (parsed like a written value), NULL: none */
    const char *arg; /* metavariable for --help */
    const char *doc;
    size_t field;        /* offsetof(struct gtm_options, ...) of the value, or OPT_NOFIELD */
    opt_set_fn set;      /* stores the value instead of its type's rule, or NULL */
    size_t given;        /* offsetof a bool set when the option is written, or OPT_NOFIELD */
    opt_derive_fn deriv; /* the default when it is not def, or NULL */
};

enum opt_id {
    OPT_ID_CONFIG,
    OPT_ID_LISTEN,
    OPT_ID_DOMAIN,
    OPT_ID_NS,
    OPT_ID_PROFILES,
    OPT_ID_ZONES,
    OPT_ID_KEYS,
    OPT_ID_RRSIG_LIFETIME,
    OPT_ID_RRSIG_REFRESH,
    OPT_ID_TSIG_KEYS,
    OPT_ID_ALLOW_TRANSFER,
    OPT_ID_NOTIFY,
    OPT_ID_STATE_DIR,
    OPT_ID_STRICT,
    OPT_ID_API,
    OPT_ID_API_TOKEN_FILE,
    OPT_ID_API_CLIENTS,
    OPT_ID_API_TOKEN_LIFETIME,
    OPT_ID_API_SUBSCRIPTION,
    OPT_ID_API_LIST_PAGE,
    OPT_ID_TLS_CERT,
    OPT_ID_TLS_KEY,
    OPT_ID_LATENCY_TABLE,
    OPT_ID_GEO_TABLE,
    OPT_ID_GEOIP,
    OPT_ID_ON_CHANGE,
    OPT_ID_ETCD,
    OPT_ID_ETCD_PREFIX,
    OPT_ID_ETCD_CACERT,
    OPT_ID_ETCD_CERT,
    OPT_ID_ETCD_KEY,
    OPT_ID_ETCD_USER_FILE,
    OPT_ID_PROBE_SOURCE,
    OPT_ID_MAX_PROBES_IN_FLIGHT,
    OPT_ID_QUORUM,
    OPT_ID_NODE,
    OPT_ID_NSID,
    OPT_ID_IDENTITY,
    OPT_ID_SERVER_VERSION,
    OPT_ID_COOKIES,
    OPT_ID_COOKIE_SECRET,
    OPT_ID_COOKIE_ROTATE,
    OPT_ID_DNSTAP,
    OPT_ID_DNSTAP_QUERIES,
    OPT_ID_DNSTAP_RESPONSES,
    OPT_ID_RRL,
    OPT_ID_RRL_SLIP,
    OPT_ID_RRL_TABLE_SIZE,
    OPT_ID_WORKERS,
    OPT_ID_TCP_TIMEOUT,
    OPT_ID_TCP_CLIENTS,
    OPT_ID_LOG_LEVEL,
    OPT_ID_CHECK_CONFIG,
    OPT_ID_DEMO,
    OPT_ID_HELP,
    OPT_ID_VERSION,
    OPT_ID_COUNT
};

extern const struct opt_def opt_schema[OPT_ID_COUNT];

#define GTM_DEFAULT_PORT     5353
#define GTM_DEFAULT_API_PORT 8443

struct listen_addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned short port;
    char text[64]; /* as written, for messages */
};

/* The validated configuration. */
struct gtm_options {
    char *config;
    struct listen_addr *listen;
    size_t nlisten;
    bool listen_default; /* listen not given: the loopback defaults */
    char *domain;
    struct gtm_nameserver *ns; /* --ns, in the order given */
    unsigned nns;
    char *profiles;      /* never NULL after options_load: <state-dir>/profiles by default */
    bool profiles_given; /* named explicitly: it must exist */
    char *zones;
    char *keys;              /* --keys DIR: DNSSEC signing keys, or NULL */
    unsigned rrsig_lifetime; /* seconds a signature made at load is valid */
    unsigned rrsig_refresh;  /* seconds between reloads that sign again */
    struct xfr_conf xfr;     /* --tsig-keys, --allow-transfer, --notify */
    char *state_dir;
    bool strict;
    char *latency_table;
    char *geo_table;
    char *geoip;       /* --geoip FILE.mmdb */
    char *on_change;   /* command run on every endpoint transition, or NULL */
    char *etcd;        /* --etcd URL[,URL...]: fleet mode (SPEC §11), or NULL */
    char *etcd_prefix; /* every key of the fleet under it; ends with '/' */
    char *etcd_cacert, *etcd_cert, *etcd_key, *etcd_user_file;
    char *probe_source;            /* source address of this node's probes, or NULL */
    unsigned max_probes_in_flight; /* --max-probes-in-flight; 0: the monitor's default */
    unsigned quorum;               /* nodes that must see a failure; 0: a majority */
    char *node;                    /* this node's name: never NULL after options_load (host name) */
    bool node_given;               /* named explicitly: it is also the NSID (options_nsid) */
    char *nsid;                    /* --nsid: the NSID, or "off"; NULL: options_nsid's default */
    char *identity;                /* --identity: id.server's TXT, or "off"; NULL: as the NSID */
    char *server_version;          /* --server-version: version.bind's TXT, "on", or NULL: none */
    struct listen_addr api;        /* the management API's address */
    bool api_off;                  /* --api off */
    bool api_given;                /* named explicitly: failing to listen is fatal */
    char *api_token_file;
    char *api_clients;           /* --api-clients FILE: the built-in token issuer's clients */
    unsigned api_token_lifetime; /* seconds an issued token lives */
    char *api_subscription;      /* the subscription GET /subscriptions names first */
    unsigned api_list_page;      /* profiles in a page of an ARM list; 0: one page */
    char *tls_cert, *tls_key;
    bool state_dir_given;
    unsigned workers;
    unsigned tcp_timeout;
    unsigned tcp_clients;
    int log_level;
    bool check_config, demo, help, version;
    /* DNS cookies: --cookies (0 off, 1 on, 2 require: enum dns_cookie_mode),
     * --cookie-secret (when given), --cookie-rotate (seconds between new
     * random secrets when it is not). */
    int cookies;
    unsigned char cookie_secret[16];
    bool cookie_secret_given;
    unsigned cookie_rotate;
    /* --dnstap: the query log's file or "unix:SOCKET", or NULL; what it logs. */
    char *dnstap;
    bool dnstap_queries, dnstap_responses;
    /* Response rate limiting (dns/rrl.h): --rrl (responses per second per
     * client network and class; 0 off), --rrl-slip, --rrl-table-size. */
    unsigned rrl;
    unsigned rrl_slip;
    unsigned rrl_table_size;
};

/* options_load: parses argv, then the config file it names (-c), applies
 * defaults and validates. The command line wins over the file. Every error
 * goes through errs ("file:line: error: ..." for the file, "command line: ..."
 * otherwise). Returns 0 or GTM_ECONFIG; out is filled either way (free with
 * options_cleanup). */
int options_load(int argc, char **argv, struct gtm_options *out, struct config_errors *errs);

/* options_cleanup: frees what options_load allocated. */
void options_cleanup(struct gtm_options *o);

/* options_usage: the --help text, generated from the schema. */
void options_usage(FILE *fp, const char *prog);

/* Longest node name (--node): one DNS label, and an etcd key component. */
#define GTM_NODE_MAX 63

/* options_nsid: the NSID (RFC 5001) this node answers with: its name when
 * --node was given or in fleet mode (--etcd), else NULL (no NSID). The one
 * place that decides it. */
const char *options_nsid(const struct gtm_options *o);

/* options_identity: what id.server and hostname.bind (CH TXT) answer, or
 * NULL: REFUSED. --identity when given ("off": NULL), else the NSID. */
const char *options_identity(const struct gtm_options *o);

/* options_server_version: what version.bind and version.server (CH TXT)
 * answer, or NULL (the default: operators hide it). "on": "gtmd VERSION".
 * buf holds the text it makes. */
const char *options_server_version(const struct gtm_options *o, char *buf, size_t cap);

/* listen_addr_parse: "ADDR[:PORT]" (IPv6 as "::1" or "[::1]:53") -> out.
 * Returns 0 or GTM_EINVAL. */
int listen_addr_parse(const char *text, struct listen_addr *out);

#endif
