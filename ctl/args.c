/* args.c: gtmctl's command line. */
#include "config.h"
#include "ctl/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gtm/compiler.h"

static const char usage_text[] =
    "Usage: gtmctl [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "gtmctl: command-line client of the gtmd management API.\n"
    "\n"
    "Commands:\n"
    "  status [PROFILE]                       profiles and endpoints: state, last probe, latency\n"
    "  profiles                               list the profiles\n"
    "  endpoints PROFILE                      list the endpoints of PROFILE\n"
    "  enable PROFILE ENDPOINT                set the endpoint's endpointStatus to Enabled\n"
    "  disable PROFILE ENDPOINT               set the endpoint's endpointStatus to Disabled\n"
    "  override PROFILE ENDPOINT online|degraded|clear\n"
    "                                         force the monitor status for a drill, or clear it\n"
    "  history PROFILE ENDPOINT               the endpoint's recent state transitions\n"
    "  resolve NAME [--client IP] [--type T]  the answer a client would get, and why\n"
    "  reload                                 reload profiles, zones and tables\n"
    "  fleet                                  a fleet's nodes and each endpoint's verdicts\n"
    "  fleet import DIR|FILE --etcd URL       put profile files into a fleet's etcd, once\n"
    "\n"
    "Options:\n"
    "  --api URL              the API [$GTMCTL_API, else " CTL_DEFAULT_API "]\n"
    "  --token-file FILE      bearer token: first line of FILE [else $GTMCTL_TOKEN]\n"
    "  --cacert FILE          verify the API's certificate against FILE [$GTMCTL_CACERT]\n"
    "  --state-dir DIR        verify against gtmd's self-signed DIR/api.crt\n"
    "  -k, --insecure         do not verify the API's certificate\n"
    "  --subscription S       ARM subscription [$GTMCTL_SUBSCRIPTION, "
    "else " CTL_DEFAULT_SUBSCRIPTION "]\n"
    "  -g, --resource-group G ARM resource group [$GTMCTL_RESOURCE_GROUP, else found]\n"
    "  --timeout SECONDS      give up on a request after SECONDS [30]\n"
    "  --json                 print the API's JSON instead of tables\n"
    "  --etcd URL[,URL...]    fleet import: the fleet's etcd\n"
    "  --etcd-prefix PREFIX   fleet import: the fleet's keys [/gtmd/]\n"
    "  --etcd-cacert FILE, --etcd-cert FILE, --etcd-key FILE, --etcd-user-file FILE\n"
    "                         fleet import: TLS and authentication to etcd\n"
    "  --force                fleet import: replace profiles etcd holds already\n"
    "  -h, --help             print this help and exit\n"
    "  -V, --version          print the version and exit\n"
    "\n"
    "Exit status: 0 done, 1 usage, 2 API unreachable, 3 API refused.\n"
    "See gtmctl(1).\n";

const char *
ctl_usage(void)
{
    return usage_text;
}

struct command_def {
    const char *name;
    enum ctl_command cmd;
    unsigned min, max; /* operands */
    const char *synopsis;
};

static const struct command_def commands[] = {
    {"status", CMD_STATUS, 0, 1, "status [PROFILE]"},
    {"profiles", CMD_PROFILES, 0, 0, "profiles"},
    {"endpoints", CMD_ENDPOINTS, 1, 1, "endpoints PROFILE"},
    {"enable", CMD_ENABLE, 2, 2, "enable PROFILE ENDPOINT"},
    {"disable", CMD_DISABLE, 2, 2, "disable PROFILE ENDPOINT"},
    {"override", CMD_OVERRIDE, 3, 3, "override PROFILE ENDPOINT online|degraded|clear"},
    {"history", CMD_HISTORY, 2, 2, "history PROFILE ENDPOINT"},
    {"resolve", CMD_RESOLVE, 1, 1, "resolve NAME [--client IP] [--type TYPE]"},
    {"reload", CMD_RELOAD, 0, 0, "reload"},
    {"fleet", CMD_FLEET, 0, 2, "fleet [import DIR|FILE --etcd URL]"},
    {"help", CMD_HELP, 0, 1, "help"},
};

enum opt_id {
    OPT_API,
    OPT_TOKEN_FILE,
    OPT_CACERT,
    OPT_STATE_DIR,
    OPT_INSECURE,
    OPT_SUBSCRIPTION,
    OPT_RESOURCE_GROUP,
    OPT_TIMEOUT,
    OPT_JSON,
    OPT_CLIENT,
    OPT_TYPE,
    OPT_HELP,
    OPT_VERSION,
    OPT_ETCD,
    OPT_ETCD_PREFIX,
    OPT_ETCD_CACERT,
    OPT_ETCD_CERT,
    OPT_ETCD_KEY,
    OPT_ETCD_USER_FILE,
    OPT_FORCE,
};

struct option_def {
    const char *name; /* long name without "--" */
    char short_name;  /* 0: none */
    bool has_value;
    enum opt_id id;
};

static const struct option_def options[] = {
    {"api", 0, true, OPT_API},
    {"token-file", 0, true, OPT_TOKEN_FILE},
    {"cacert", 0, true, OPT_CACERT},
    {"state-dir", 0, true, OPT_STATE_DIR},
    {"insecure", 'k', false, OPT_INSECURE},
    {"subscription", 0, true, OPT_SUBSCRIPTION},
    {"resource-group", 'g', true, OPT_RESOURCE_GROUP},
    {"timeout", 0, true, OPT_TIMEOUT},
    {"json", 0, false, OPT_JSON},
    {"client", 0, true, OPT_CLIENT},
    {"type", 0, true, OPT_TYPE},
    {"help", 'h', false, OPT_HELP},
    {"version", 'V', false, OPT_VERSION},
    {"etcd", 0, true, OPT_ETCD},
    {"etcd-prefix", 0, true, OPT_ETCD_PREFIX},
    {"etcd-cacert", 0, true, OPT_ETCD_CACERT},
    {"etcd-cert", 0, true, OPT_ETCD_CERT},
    {"etcd-key", 0, true, OPT_ETCD_KEY},
    {"etcd-user-file", 0, true, OPT_ETCD_USER_FILE},
    {"force", 0, false, OPT_FORCE},
};

GTM_PRINTF(3, 4)
static enum ctl_status
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CTL_USAGE;
}

static const struct option_def *
find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < GTM_ARRAY_LEN(options); i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

static const struct option_def *
find_short(char c)
{
    for (size_t i = 0; i < GTM_ARRAY_LEN(options); i++)
        if (options[i].short_name && options[i].short_name == c)
            return &options[i];
    return NULL;
}

static const char *
from_env(ctl_getenv_fn *env, const char *name)
{
    const char *v = env ? env(name) : NULL;
    return v && *v ? v : NULL;
}

static enum ctl_status
apply(struct ctl_args *a, const struct option_def *o, const char *spelled, const char *value,
      char *err, size_t errlen)
{
    if (o->has_value && (!value || !*value))
        return fail(err, errlen, "option '%s' needs a value", spelled);
    switch (o->id) {
    case OPT_API:
        a->api = value;
        break;
    case OPT_TOKEN_FILE:
        a->token_file = value;
        break;
    case OPT_CACERT:
        a->cacert = value;
        break;
    case OPT_STATE_DIR:
        a->state_dir = value;
        break;
    case OPT_INSECURE:
        a->insecure = true;
        break;
    case OPT_SUBSCRIPTION:
        a->subscription = value;
        break;
    case OPT_RESOURCE_GROUP:
        a->resource_group = value;
        break;
    case OPT_TIMEOUT: {
        char *end;
        errno = 0;
        long t = strtol(value ? value : "", &end, 10);
        if (errno || *end || t < 1 || t > 3600)
            return fail(err, errlen, "option '%s': '%s' is not a number of seconds in [1, 3600]",
                        spelled, value);
        a->timeout = t;
        break;
    }
    case OPT_JSON:
        a->json = true;
        break;
    case OPT_CLIENT:
        a->client = value;
        break;
    case OPT_TYPE:
        a->type = value;
        break;
    case OPT_HELP:
        a->help = true;
        break;
    case OPT_ETCD:
        a->etcd = value;
        break;
    case OPT_ETCD_PREFIX:
        a->etcd_prefix = value;
        break;
    case OPT_ETCD_CACERT:
        a->etcd_cacert = value;
        break;
    case OPT_ETCD_CERT:
        a->etcd_cert = value;
        break;
    case OPT_ETCD_KEY:
        a->etcd_key = value;
        break;
    case OPT_ETCD_USER_FILE:
        a->etcd_user_file = value;
        break;
    case OPT_FORCE:
        a->force = true;
        break;
    case OPT_VERSION:
        a->version = true;
        break;
    }
    return CTL_OK;
}

/* One option at argv[*i]; advances *i past its value. */
static enum ctl_status
parse_option(struct ctl_args *a, int argc, char *const argv[], int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i];
    const struct option_def *o;
    const char *value = NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = find_long(name, len);
        if (!o)
            return fail(err, errlen, "unknown option '%.*s'", (int)(len + 2), arg);
        if (eq) {
            if (!o->has_value)
                return fail(err, errlen, "option '--%s' takes no value", o->name);
            value = eq + 1;
        }
    } else {
        if (arg[2] != 0)
            return fail(err, errlen, "unknown option '%s'", arg);
        o = find_short(arg[1]);
        if (!o)
            return fail(err, errlen, "unknown option '%s'", arg);
    }
    if (o->has_value && !value) {
        if (*i + 1 >= argc)
            return fail(err, errlen, "option '%s' needs a value", arg);
        value = argv[++*i];
    }
    char spelled[32];
    snprintf(spelled, sizeof spelled, "--%s", o->name);
    return apply(a, o, spelled, value, err, errlen);
}

static enum ctl_status
check_command(struct ctl_args *a, char *err, size_t errlen)
{
    const struct command_def *c = NULL;
    for (size_t i = 0; i < GTM_ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, a->cmd_name) == 0)
            c = &commands[i];
    if (!c)
        return fail(err, errlen, "unknown command '%s' (try 'gtmctl --help')", a->cmd_name);
    a->cmd = c->cmd;
    if (a->noperands < c->min || a->noperands > c->max)
        return fail(err, errlen, "usage: gtmctl %s", c->synopsis);
    if ((a->client || a->type) && a->cmd != CMD_RESOLVE)
        return fail(err, errlen, "--client and --type go with 'resolve' only");
    bool importing = a->cmd == CMD_FLEET && a->noperands >= 1;
    if (a->cmd == CMD_FLEET && a->noperands >= 1 &&
        (strcmp(a->operand[0], "import") != 0 || a->noperands != 2))
        return fail(err, errlen, "usage: gtmctl %s", c->synopsis);
    if (importing && !a->etcd)
        return fail(err, errlen, "fleet import: --etcd URL is required");
    if (!importing && (a->etcd || a->etcd_prefix || a->etcd_cacert || a->etcd_cert || a->etcd_key ||
                       a->etcd_user_file || a->force))
        return fail(err, errlen, "--etcd and its options go with 'fleet import' only");
    if (a->cmd == CMD_OVERRIDE) {
        const char *s = a->operand[2];
        if (strcasecmp(s, "online") != 0 && strcasecmp(s, "degraded") != 0 &&
            strcasecmp(s, "clear") != 0)
            return fail(err, errlen, "override: '%s' is not online, degraded or clear", s);
    }
    return CTL_OK;
}

enum ctl_status
ctl_args_parse(struct ctl_args *a, int argc, char *const argv[], ctl_getenv_fn *env, char *err,
               size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->timeout = CTL_DEFAULT_TIMEOUT;
    if (errlen)
        err[0] = 0;
    bool options_end = false;
    bool too_many = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_end && strcmp(arg, "--") == 0) {
            options_end = true;
            continue;
        }
        if (!options_end && arg[0] == '-' && arg[1] != 0) {
            enum ctl_status st = parse_option(a, argc, argv, &i, err, errlen);
            if (st != CTL_OK)
                return st;
            continue;
        }
        if (!a->cmd_name)
            a->cmd_name = arg;
        else if (a->noperands < CTL_MAX_OPERANDS)
            a->operand[a->noperands++] = arg;
        else
            too_many = true;
    }
    if (a->help || a->version)
        return CTL_OK;

    if (!a->api)
        a->api = from_env(env, "GTMCTL_API");
    if (!a->api)
        a->api = CTL_DEFAULT_API;
    if (strncasecmp(a->api, "https://", 8) != 0 || a->api[8] == 0)
        return fail(err, errlen, "--api '%s' is not an https:// URL", a->api);
    if (!a->cacert && !a->insecure && !a->state_dir)
        a->cacert = from_env(env, "GTMCTL_CACERT");
    if ((a->cacert != NULL) + (a->state_dir != NULL) + a->insecure > 1)
        return fail(err, errlen, "--cacert, --state-dir and --insecure exclude each other");
    if (!a->subscription)
        a->subscription = from_env(env, "GTMCTL_SUBSCRIPTION");
    if (!a->subscription)
        a->subscription = CTL_DEFAULT_SUBSCRIPTION;
    if (!a->resource_group)
        a->resource_group = from_env(env, "GTMCTL_RESOURCE_GROUP");

    if (!a->cmd_name)
        return fail(err, errlen, "no command given (try 'gtmctl --help')");
    if (too_many) {
        a->noperands = CTL_MAX_OPERANDS + 1; /* reported by check_command */
        enum ctl_status st = check_command(a, err, errlen);
        a->noperands = CTL_MAX_OPERANDS;
        return st == CTL_OK ? fail(err, errlen, "too many arguments") : st;
    }
    enum ctl_status st = check_command(a, err, errlen);
    if (st == CTL_OK && a->cmd == CMD_HELP)
        a->help = true;
    return st;
}
