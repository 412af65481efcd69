/* conf.h: options from the command line and the config file, one schema. */
#ifndef GTM_CONF_CONF_H
#define GTM_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gtm/snapshot.h"

enum opt_type {
    OPT_STRING, /* any text */
    OPT_UINT,   /* an integer in [min, max] */
    OPT_LEVEL,  /* a log level name */
    OPT_ADDR,   /* ADDR[:PORT], repeatable */
    OPT_FLAG,   /* no value; command line only */
    OPT_BOOL,   /* a switch: no value on the command line, yes/no in the file */
};

/* One option: the single source of names, defaults, ranges and help text. */
struct opt_def {
    const char *name;
    char short_name; /* 0: long only */
    enum opt_type type;
    bool in_file; /* may be written in the config file */
    unsigned min, max;
    const char *def; /* default as text, NULL: none */
    const char *arg; /* metavariable for --help */
    const char *doc;
};

enum opt_id {
    OPT_ID_CONFIG,
    OPT_ID_LISTEN,
    OPT_ID_DOMAIN,
    OPT_ID_PROFILES,
    OPT_ID_ZONES,
    OPT_ID_STATE_DIR,
    OPT_ID_STRICT,
    OPT_ID_API,
    OPT_ID_API_TOKEN_FILE,
    OPT_ID_TLS_CERT,
    OPT_ID_TLS_KEY,
    OPT_ID_LATENCY_TABLE,
    OPT_ID_GEO_TABLE,
    OPT_ID_GEOIP,
    OPT_ID_ON_CHANGE,
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
    char *profiles;      /* never NULL after options_load: <state-dir>/profiles by default */
    bool profiles_given; /* named explicitly: it must exist */
    char *zones;
    char *state_dir;
    bool strict;
    char *latency_table;
    char *geo_table;
    char *geoip;            /* --geoip FILE.mmdb */
    char *on_change;        /* command run on every endpoint transition, or NULL */
    struct listen_addr api; /* the management API's address */
    bool api_off;           /* --api off */
    bool api_given;         /* named explicitly: failing to listen is fatal */
    char *api_token_file;
    char *tls_cert, *tls_key;
    bool state_dir_given;
    unsigned workers;
    unsigned tcp_timeout;
    unsigned tcp_clients;
    int log_level;
    bool check_config, demo, help, version;
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

/* listen_addr_parse: "ADDR[:PORT]" (IPv6 as "::1" or "[::1]:53") -> out.
 * Returns 0 or GTM_EINVAL. */
int listen_addr_parse(const char *text, struct listen_addr *out);

#endif
