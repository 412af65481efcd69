/* args.h: gtmctl's command line: global options, the command and its
 * operands, parsed without side effects so that unit tests can drive it. */
#ifndef GTM_CTL_ARGS_H
#define GTM_CTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_DEFAULT_API          "https://127.0.0.1:8443"
#define CTL_DEFAULT_SUBSCRIPTION "00000000-0000-0000-0000-000000000000"
#define CTL_DEFAULT_TIMEOUT      30
#define CTL_MAX_OPERANDS         3

/* The exit statuses of gtmctl; every command returns one. */
enum ctl_status {
    CTL_OK = 0,          /* done */
    CTL_USAGE = 1,       /* bad command line or local file */
    CTL_UNREACHABLE = 2, /* no usable answer: connection, TLS, timeout, garbled reply */
    CTL_REFUSED = 3,     /* the API answered with an error (4xx/5xx) */
};

enum ctl_command {
    CMD_NONE = 0,
    CMD_HELP,
    CMD_STATUS,
    CMD_PROFILES,
    CMD_ENDPOINTS,
    CMD_ENABLE,
    CMD_DISABLE,
    CMD_OVERRIDE,
    CMD_HISTORY,
    CMD_RESOLVE,
    CMD_RELOAD,
    CMD_FLEET,
};

/* Every string borrows from argv or the environment. */
struct ctl_args {
    const char *api;            /* --api, $GTMCTL_API, else CTL_DEFAULT_API */
    const char *token_file;     /* --token-file */
    const char *cacert;         /* --cacert, $GTMCTL_CACERT */
    const char *state_dir;      /* --state-dir: trust DIR/api.crt */
    bool insecure;              /* --insecure */
    const char *subscription;   /* --subscription, $GTMCTL_SUBSCRIPTION */
    const char *resource_group; /* --resource-group, $GTMCTL_RESOURCE_GROUP, else NULL */
    const char *client;         /* resolve --client */
    const char *type;           /* resolve --type */
    const char *etcd;           /* fleet import --etcd URL[,URL...] */
    const char *etcd_prefix;    /* fleet import --etcd-prefix, else "/gtmd/" */
    const char *etcd_cacert, *etcd_cert, *etcd_key, *etcd_user_file;
    bool force;   /* fleet import --force: replace what etcd holds */
    long timeout; /* --timeout seconds */
    bool json;    /* --json */
    bool help;    /* -h, --help */
    bool version; /* -V, --version */
    enum ctl_command cmd;
    const char *cmd_name;
    const char *operand[CTL_MAX_OPERANDS];
    unsigned noperands;
};

/* ctl_getenv_fn: how ctl_args_parse reads the environment (getenv, or a
 * table in tests). */
typedef const char *ctl_getenv_fn(const char *name);

/* ctl_args_parse: fills a from argv (options may come before or after the
 * command; "--" ends them) and the environment through env (NULL: none).
 * [out] a; [in] argc, argv; [out] err, errlen: the reason on failure.
 * Returns CTL_OK, or CTL_USAGE with err set. A help or version request
 * returns CTL_OK with a->help or a->version set and no command checks. */
enum ctl_status ctl_args_parse(struct ctl_args *a, int argc, char *const argv[], ctl_getenv_fn *env,
                               char *err, size_t errlen);

/* ctl_usage: the short help text (commands and options). */
const char *ctl_usage(void);

#endif
