/* gtmctl.c: the command-line client of the gtmd management API (SPEC §7):
 * tables for people, the API's JSON for scripts (--json). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl/args.h"
#include "ctl/client.h"
#include "ctl/import.h"
#include "ctl/path.h"
#include "ctl/render.h"

#define ARM_API_VERSION "2022-04-01"
#define ARM_PROVIDER    "Microsoft.Network"
#define ARM_TYPE        "trafficmanagerprofiles"
#define MAX_LIST_PAGES  100000 /* pages of a list followed at most (a guard against loops) */

static const char *
env_get(const char *name)
{
    return getenv(name);
}

/* ---- ARM helpers ---- */

/* /subscriptions/S/resourceGroups/G/providers/Microsoft.Network/trafficmanagerprofiles/P */
static void
arm_profile_path(struct ctl_path *p, const char *sub, const char *rg, const char *name)
{
    ctl_path_raw(p, "/subscriptions");
    ctl_path_seg(p, sub);
    ctl_path_raw(p, "/resourceGroups");
    ctl_path_seg(p, rg);
    ctl_path_raw(p, "/providers/" ARM_PROVIDER "/" ARM_TYPE);
    ctl_path_seg(p, name);
}

/* past: the page ends with a name after stop (any case): the list is in
 * name order, so stop is behind. */
static bool
past(const json_t *value, const char *stop)
{
    const char *last = json_string_value(
        json_object_get(json_array_get(value, json_array_size(value) - 1), "name"));
    return stop && last && strcasecmp(last, stop) > 0;
}

/* The profiles of the subscription (or of --resource-group) in name order,
 * every page (nextLink after nextLink) joined into one {"value":[...]};
 * *out is new. after: start after this name (NULL: at the first); stop:
 * no page after the one that passes this name (NULL: to the end). */
static enum ctl_status
list_walk(struct ctl_client *c, const char *after, const char *stop, json_t **out)
{
    const struct ctl_args *a = c->args;
    struct ctl_path p;
    ctl_path_init(&p);
    ctl_path_raw(&p, "/subscriptions");
    ctl_path_seg(&p, a->subscription);
    if (a->resource_group) {
        ctl_path_raw(&p, "/resourceGroups");
        ctl_path_seg(&p, a->resource_group);
    }
    ctl_path_raw(&p, "/providers/" ARM_PROVIDER "/" ARM_TYPE);
    ctl_path_query(&p, "api-version", ARM_API_VERSION);
    ctl_path_query(&p, "$skiptoken", after);

    json_t *all = json_array();
    char *path = strdup(p.s);
    ctl_path_cleanup(&p);
    enum ctl_status st = CTL_OK;
    for (unsigned page = 0; path && page < MAX_LIST_PAGES; page++) {
        struct ctl_reply r;
        st = ctl_request(c, "GET", path, NULL, &r);
        free(path);
        path = NULL;
        if (st != CTL_OK) {
            ctl_reply_cleanup(&r);
            break;
        }
        json_array_extend(all, json_object_get(r.json, "value"));
        /* nextLink is absolute, on the host the request named: its path
         * and query go to the same API (the token never goes elsewhere). */
        const char *next = json_string_value(json_object_get(r.json, "nextLink"));
        const char *host = next ? strstr(next, "://") : NULL;
        const char *rest = host ? strchr(host + 3, '/') : NULL;
        if (rest)
            path = strdup(rest);
        json_t *value = json_object_get(r.json, "value");
        if (path && (json_array_size(value) == 0 || past(value, stop))) {
            free(path); /* nothing on it leads nowhere; or what is sought is behind */
            path = NULL;
        }
        ctl_reply_cleanup(&r);
    }
    free(path);
    if (st != CTL_OK) {
        json_decref(all);
        return st;
    }
    *out = json_pack("{s:o}", "value", all);
    return CTL_OK;
}

static enum ctl_status
list_profiles(struct ctl_client *c, json_t **out)
{
    return list_walk(c, NULL, NULL, out);
}

/* skip_to: a profile name just before name in the list's order (a proper
 * prefix of it that is a profile name: 1 to 63 letters, digits, '-', '_'
 * or '.', ending with a letter or digit) into buf, or NULL: from the
 * start. The list then reaches name in a page or so. */
static const char *
skip_to(const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63 || n >= cap)
        return NULL;
    memcpy(buf, name, n + 1);
    while (n > 1) {
        buf[--n] = 0;
        unsigned char last = (unsigned char)buf[n - 1];
        if ((last >= '0' && last <= '9') || ((last | 0x20) >= 'a' && (last | 0x20) <= 'z'))
            return buf;
    }
    return NULL;
}

/* A profile by name: GET it under --resource-group, or find its resource
 * group in the subscription's list (the pages around its name). *out is
 * new; *rg (size rglen) gets its resource group. */
static enum ctl_status
get_profile(struct ctl_client *c, const char *name, json_t **out, char *rg, size_t rglen)
{
    const struct ctl_args *a = c->args;
    if (a->resource_group) {
        snprintf(rg, rglen, "%s", a->resource_group);
    } else {
        /* gtmd lists in name order and continues after a name: its list
         * from just before name, up to the page that passes it */
        json_t *list;
        char from[64];
        enum ctl_status st = list_walk(c, skip_to(name, from, sizeof from), name, &list);
        if (st != CTL_OK)
            return st;
        unsigned found = 0;
        char groups[512] = "";
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(list, "value"), i, p)
        {
            const char *pn = json_string_value(json_object_get(p, "name"));
            char buf[256];
            const char *g = ctl_id_part(json_string_value(json_object_get(p, "id")),
                                        "resourceGroups", buf, sizeof buf);
            if (!pn || !g || strcasecmp(pn, name) != 0)
                continue;
            if (found++ == 0)
                snprintf(rg, rglen, "%s", g);
            size_t used = strlen(groups);
            snprintf(groups + used, sizeof groups - used, "%s%s", used ? ", " : "", g);
        }
        json_decref(list);
        if (found == 0) {
            fprintf(stderr,
                    "gtmctl: API refused (ResourceNotFound): no profile '%s' in subscription %s\n",
                    name, a->subscription);
            return CTL_REFUSED;
        }
        if (found > 1) {
            fprintf(stderr,
                    "gtmctl: profile '%s' is in several resource groups (%s): give "
                    "--resource-group\n",
                    name, groups);
            return CTL_USAGE;
        }
    }
    struct ctl_path p;
    ctl_path_init(&p);
    arm_profile_path(&p, a->subscription, rg, name);
    ctl_path_query(&p, "api-version", ARM_API_VERSION);
    struct ctl_reply r;
    enum ctl_status st = ctl_request(c, "GET", p.s, NULL, &r);
    ctl_path_cleanup(&p);
    if (st == CTL_OK && !json_is_object(r.json)) {
        fprintf(stderr, "gtmctl: the API sent no profile for '%s'\n", name);
        st = CTL_UNREACHABLE;
    }
    if (st == CTL_OK)
        *out = json_incref(r.json);
    ctl_reply_cleanup(&r);
    return st;
}

/* ---- commands ---- */

static enum ctl_status
cmd_profiles(struct ctl_client *c)
{
    json_t *list;
    enum ctl_status st = list_profiles(c, &list);
    if (st != CTL_OK)
        return st;
    if (c->args->json)
        render_json(list, stdout);
    else
        render_profiles(list, stdout);
    json_decref(list);
    return CTL_OK;
}

static enum ctl_status
cmd_endpoints(struct ctl_client *c)
{
    json_t *prof;
    char rg[256];
    enum ctl_status st = get_profile(c, c->args->operand[0], &prof, rg, sizeof rg);
    if (st != CTL_OK)
        return st;
    const json_t *eps = json_prop(prof, "endpoints");
    if (c->args->json) {
        json_t *empty = json_array();
        render_json(eps ? eps : empty, stdout);
        json_decref(empty);
    } else {
        render_endpoints(prof, stdout);
    }
    json_decref(prof);
    return CTL_OK;
}

/* enable/disable: PATCH the endpoint's endpointStatus through ARM. */
static enum ctl_status
cmd_endpoint_status(struct ctl_client *c, const char *value)
{
    const struct ctl_args *a = c->args;
    const char *pname = a->operand[0], *ename = a->operand[1];
    json_t *prof;
    char rg[256];
    enum ctl_status st = get_profile(c, pname, &prof, rg, sizeof rg);
    if (st != CTL_OK)
        return st;
    const json_t *ep = NULL, *e;
    size_t i;
    json_array_foreach(json_prop(prof, "endpoints"), i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcasecmp(n, ename) == 0)
            ep = e;
    }
    const char *kind =
        ep ? ctl_endpoint_kind(json_string_value(json_object_get(ep, "type"))) : NULL;
    if (!ep) {
        fprintf(stderr, "gtmctl: API refused (NotFound): profile '%s' has no endpoint '%s'\n",
                pname, ename);
        json_decref(prof);
        return CTL_REFUSED;
    }
    if (!kind) {
        fprintf(stderr, "gtmctl: endpoint '%s' of profile '%s' has no endpoint type\n", ename,
                pname);
        json_decref(prof);
        return CTL_UNREACHABLE;
    }
    const char *was = json_string_value(json_prop(ep, "endpointStatus"));
    char wasbuf[32];
    snprintf(wasbuf, sizeof wasbuf, "%s", was ? was : "-");
    const char *real_p = json_string_value(json_object_get(prof, "name"));
    const char *real_e = json_string_value(json_object_get(ep, "name"));

    struct ctl_path p;
    ctl_path_init(&p);
    arm_profile_path(&p, a->subscription, rg, real_p ? real_p : pname);
    ctl_path_seg(&p, kind);
    ctl_path_seg(&p, real_e);
    ctl_path_query(&p, "api-version", ARM_API_VERSION);
    json_t *body = json_pack("{s:{s:s}}", "properties", "endpointStatus", value);
    struct ctl_reply r;
    st = ctl_request(c, "PATCH", p.s, body, &r);
    json_decref(body);
    ctl_path_cleanup(&p);
    if (st == CTL_OK) {
        if (a->json && r.json) {
            render_json(r.json, stdout);
        } else if (!a->json) {
            const char *now = json_string_value(json_prop(r.json, "endpointStatus"));
            printf("%s/%s: endpointStatus %s (was %s)\n", real_p ? real_p : pname, real_e,
                   now ? now : value, wasbuf);
        }
    }
    ctl_reply_cleanup(&r);
    json_decref(prof);
    return st;
}

/* /gtmd/v1/profiles/P/endpoints/E/LEAF */
static void
lab_endpoint_path(struct ctl_path *p, const char *profile, const char *endpoint, const char *leaf)
{
    ctl_path_raw(p, "/gtmd/v1/profiles");
    ctl_path_seg(p, profile);
    ctl_path_raw(p, "/endpoints");
    ctl_path_seg(p, endpoint);
    ctl_path_seg(p, leaf);
}

/* A lab request whose reply is shown with render (or as JSON). */
static enum ctl_status
lab_show(struct ctl_client *c, const char *method, const char *path, json_t *body,
         void (*render)(const json_t *, FILE *))
{
    struct ctl_reply r;
    enum ctl_status st = ctl_request(c, method, path, body, &r);
    if (st == CTL_OK) {
        if (c->args->json && r.json)
            render_json(r.json, stdout);
        else if (!c->args->json && render)
            render(r.json, stdout);
    }
    ctl_reply_cleanup(&r);
    return st;
}

static enum ctl_status
cmd_status(struct ctl_client *c)
{
    const char *filter = c->args->noperands ? c->args->operand[0] : NULL;
    struct ctl_reply r;
    enum ctl_status st = ctl_request(c, "GET", "/gtmd/v1/status", NULL, &r);
    if (st == CTL_OK) {
        if (c->args->json) {
            render_json(r.json, stdout);
        } else if (render_status(r.json, filter, stdout) == 0 && filter) {
            fprintf(stderr, "gtmctl: API refused (NotFound): no profile '%s'\n", filter);
            st = CTL_REFUSED;
        }
    }
    ctl_reply_cleanup(&r);
    return st;
}

static enum ctl_status
cmd_override(struct ctl_client *c)
{
    const struct ctl_args *a = c->args;
    const char *what = a->operand[2];
    struct ctl_path p;
    ctl_path_init(&p);
    lab_endpoint_path(&p, a->operand[0], a->operand[1], "override");
    enum ctl_status st;
    if (strcasecmp(what, "clear") == 0) {
        st = lab_show(c, "DELETE", p.s, NULL, render_override);
    } else {
        const char *status = strcasecmp(what, "online") == 0 ? "Online" : "Degraded";
        json_t *body = json_pack("{s:s}", "status", status);
        st = lab_show(c, "PUT", p.s, body, render_override);
        json_decref(body);
    }
    ctl_path_cleanup(&p);
    return st;
}

static enum ctl_status
cmd_history(struct ctl_client *c)
{
    struct ctl_path p;
    ctl_path_init(&p);
    lab_endpoint_path(&p, c->args->operand[0], c->args->operand[1], "history");
    enum ctl_status st = lab_show(c, "GET", p.s, NULL, render_history);
    ctl_path_cleanup(&p);
    return st;
}

static enum ctl_status
cmd_resolve(struct ctl_client *c)
{
    struct ctl_path p;
    ctl_path_init(&p);
    ctl_path_raw(&p, "/gtmd/v1/resolve");
    ctl_path_query(&p, "name", c->args->operand[0]);
    ctl_path_query(&p, "client", c->args->client);
    ctl_path_query(&p, "type", c->args->type);
    enum ctl_status st = lab_show(c, "GET", p.s, NULL, render_resolve);
    ctl_path_cleanup(&p);
    return st;
}

static enum ctl_status
cmd_reload(struct ctl_client *c)
{
    return lab_show(c, "POST", "/gtmd/v1/reload", NULL, render_reload);
}

static enum ctl_status
cmd_fleet(struct ctl_client *c)
{
    struct ctl_reply f, s;
    enum ctl_status st = ctl_request(c, "GET", "/gtmd/v1/fleet", NULL, &f);
    if (st == CTL_OK && c->args->json) {
        render_json(f.json, stdout);
    } else if (st == CTL_OK) {
        st = ctl_request(c, "GET", "/gtmd/v1/status", NULL, &s);
        if (st == CTL_OK)
            render_fleet(f.json, s.json, stdout);
        ctl_reply_cleanup(&s);
    }
    ctl_reply_cleanup(&f);
    return st;
}

static enum ctl_status
run(struct ctl_client *c)
{
    switch (c->args->cmd) {
    case CMD_STATUS:
        return cmd_status(c);
    case CMD_PROFILES:
        return cmd_profiles(c);
    case CMD_ENDPOINTS:
        return cmd_endpoints(c);
    case CMD_ENABLE:
        return cmd_endpoint_status(c, "Enabled");
    case CMD_DISABLE:
        return cmd_endpoint_status(c, "Disabled");
    case CMD_OVERRIDE:
        return cmd_override(c);
    case CMD_HISTORY:
        return cmd_history(c);
    case CMD_RESOLVE:
        return cmd_resolve(c);
    case CMD_RELOAD:
        return cmd_reload(c);
    case CMD_FLEET:
        return cmd_fleet(c);
    case CMD_NONE:
    case CMD_HELP:
        break;
    }
    return CTL_USAGE;
}

int
main(int argc, char **argv)
{
    struct ctl_args a;
    char err[512];
    if (ctl_args_parse(&a, argc, argv, env_get, err, sizeof err) != CTL_OK) {
        fprintf(stderr, "gtmctl: %s\n", err);
        return CTL_USAGE;
    }
    if (a.help) {
        fputs(ctl_usage(), stdout);
        return fflush(stdout) == 0 ? CTL_OK : CTL_USAGE;
    }
    if (a.version) {
        printf("gtmctl %s (%s)\n", PACKAGE_VERSION, curl_version());
        return fflush(stdout) == 0 ? CTL_OK : CTL_USAGE;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("gtmctl: cannot initialise libcurl\n", stderr);
        return CTL_UNREACHABLE;
    }
    if (a.cmd == CMD_FLEET && a.noperands) { /* straight to etcd: no gtmd needed */
        enum ctl_status st = ctl_fleet_import(&a, stdout, stderr);
        curl_global_cleanup();
        return fflush(stdout) == 0 ? st : CTL_USAGE;
    }
    struct ctl_client c;
    enum ctl_status st = ctl_client_init(&c, &a, env_get);
    if (st == CTL_OK)
        st = run(&c);
    ctl_client_cleanup(&c);
    curl_global_cleanup();
    if (fflush(stdout) != 0) {
        perror("gtmctl: stdout");
        if (st == CTL_OK)
            st = CTL_USAGE;
    }
    return st;
}
