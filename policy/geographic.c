/* geographic.c: Geographic routing: the client's code (the geo table's row
 * for it or, when no row covers it, the --geoip database), then state ->
 * country -> GEO-xx group -> WORLD, the first that an enabled endpoint's
 * geoMapping holds. The mapped endpoint answers whatever its health (a
 * region maps to one endpoint only); Stopped, or nothing mapped: NODATA. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy/methods.h"

/* The enabled endpoint whose geoMapping holds code, or NULL. */
static const struct endpoint *
geo_match(const struct profile *p, const char *code)
{
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *ep = &p->endpoints[i];
        if (!ep->enabled)
            continue; /* Disabled endpoints are skipped in matching */
        for (uint16_t k = 0; k < ep->ngeo; k++)
            if (strcmp(ep->geo[k], code) == 0)
                return ep;
    }
    return NULL;
}

static struct policy_choice
choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out, unsigned depth,
       struct policy_trace *t)
{
    (void)depth;
    const struct policy_client *cl = c->client;
    uint32_t rows = 0;
    const struct net_row *row =
        cl->family ? net_table_find(c->geo, cl->family, cl->addr, &rows) : NULL;
    const char *code = row ? row->name : NULL;
    struct geoip_match gm = {.prefix = 0};
    if (!row && c->geoip && cl->family && geoip_lookup(c->geoip, cl->family, cl->addr, &gm))
        code = gm.code;
    /* What to try, narrowest first: a state (US-CA), its country, the
     * country's group, then WORLD. */
    const char *tried[4];
    unsigned nt = 0;
    char country[8] = {0};
    if (code) {
        size_t clen = strcspn(code, "-");
        if (clen < sizeof country)
            memcpy(country, code, clen);
        if (code[clen] == '-')
            tried[nt++] = code;
        if (country[0])
            tried[nt++] = country;
        const char *group = country[0] ? geo_group(country) : NULL;
        if (group)
            tried[nt++] = group;
    }
    tried[nt++] = "WORLD";
    const struct endpoint *ep = NULL;
    unsigned k = 0;
    while (k < nt && !ep)
        ep = geo_match(p, tried[k++]);
    out->scope = cl->family ? net_table_scope(c->geo, cl->family, cl->addr, row) : 0;
    if (!row && gm.prefix > out->scope)
        out->scope = gm.prefix; /* the database's network for the client */
    if (t) {
        t->parts |= POLICY_TRACE_GEO;
        t->geo.table = c->geo != NULL;
        t->geo.database = c->geoip != NULL;
        t->geo.row = row;
        memcpy(t->geo.country, country, sizeof country);
        memcpy(t->geo.dbcode, gm.code, sizeof gm.code);
        t->geo.code = code == gm.code ? t->geo.dbcode : code;
        for (unsigned i = 0; i < k; i++)
            t->geo.tried[i] = tried[i] == code      ? t->geo.code
                              : tried[i] == country ? t->geo.country
                                                    : tried[i];
        t->geo.ntried = k;
        t->geo.matched = ep ? t->geo.tried[k - 1] : NULL;
        t->geo.ep = ep;
    }
    if (!ep)
        return (struct policy_choice){POLICY_NODATA, NULL};
    if (endpoint_status(p, ep, c->health) == EPS_STOPPED)
        return (struct policy_choice){POLICY_NODATA, NULL};
    return (struct policy_choice){POLICY_OK, ep};
}

static void
check(const struct endpoint *e, const struct policy_report *r)
{
    if (e->ngeo == 0)
        r->fail(r->arg, true, "geoMapping",
                "required for Geographic routing (at least one region code)");
}

static void
reason(const struct policy_trace *t, char *why, size_t cap)
{
    char who[80];
    if (t->geo.row)
        snprintf(who, sizeof who, "the client's code %s", t->geo.row->name);
    else if (t->geo.code)
        snprintf(who, sizeof who, "the client's code %s (GeoIP database)", t->geo.code);
    else
        snprintf(who, sizeof who, "a client outside the geo table%s",
                 t->geo.database ? " and the GeoIP database" : "");
    if (t->geo.ep)
        snprintf(why, cap,
                 "Geographic: %s maps to endpoint %s through geoMapping %s; the mapped endpoint "
                 "answers whatever its health",
                 who, t->geo.ep->name, t->geo.matched);
    else
        snprintf(why, cap, "Geographic: no endpoint maps %s, its groups or WORLD: NODATA", who);
}

const struct policy_ops policy_geographic = {
    .name = "Geographic",
    .nested_ok = true,
    .checks = POLICY_CHECK_GEO,
    .check = check,
    .choose = choose,
    .reason = reason,
};
