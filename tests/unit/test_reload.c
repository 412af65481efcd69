/* test_reload.c: src/reload.c and one API route, linked from libgtm.a. A
 * directory of profiles is loaded as gtmd loads it (daemon_load), then
 * changed one profile at a time through reload_profile and through the ARM
 * handler itself (arm_route, its reply captured): each change is served at
 * once, shares every other profile with the snapshot before it, keeps the
 * health table without holes and each endpoint on the slot of what it
 * probes (with the label a full load gives it), refuses clashes and broken
 * nesting with the current snapshot untouched, and keeps the counters of
 * the profiles it does not change. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/http.h"
#include "src/ctx.h"
#include "gtm/err.h"
#include "gtm/health.h"
#include "gtm/probe.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "monitor/monitor.h"
#include "src/daemon.h"
#include "unit.h"
#include "conf/conf.h"
#include "profiles/profile.h"
#include "zones/build.h"
#include "zones/stats.h"
#include "zones/tm.h"
#include "dns/worker.h"

#define DOMAIN "tm.example"
#define SUB    "00000000-0000-0000-0000-000000000001"

static char *dir;
static struct gtm_options opt;
static struct gtm_ctx ctx;
static struct errbuf eb;
static struct config_errors errs;

/* The resource group some profiles' ids name (the others have no id: in
 * every list). */
static const char *
owner_rg(const char *name)
{
    static const char *const owned[][2] = {
        {"b", "rg-b"}, {"d", "rg-d"}, {"qa", "rg-q"}, {"qb", "rg-q"}, {"x", "rg-b"}};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        if (strcmp(owned[i][0], name) == 0)
            return owned[i][1];
    return NULL;
}

/* A Priority profile probing each target over TCP port 80. */
static void
write_profile(const char *name, const char *rel, const char *t1, const char *t2)
{
    char text[2048], file[256], id[256] = "";
    if (owner_rg(name))
        snprintf(id, sizeof id,
                 "\"id\":\"/subscriptions/" SUB "/resourceGroups/%s/providers/"
                 "Microsoft.Network/trafficManagerProfiles/%s\",",
                 owner_rg(name), name);
    snprintf(text, sizeof text,
             "{%s\"name\":\"%s\",\"properties\":{\"trafficRoutingMethod\":\"Priority\","
             "\"dnsConfig\":{\"relativeName\":\"%s\",\"ttl\":30},"
             "\"monitorConfig\":{\"protocol\":\"TCP\",\"port\":80},\"endpoints\":["
             "{\"name\":\"one\",\"type\":\"externalEndpoints\",\"properties\":"
             "{\"target\":\"%s\",\"priority\":1}},"
             "{\"name\":\"two\",\"type\":\"externalEndpoints\",\"properties\":"
             "{\"target\":\"%s\",\"priority\":2}}]}}\n",
             id, name, rel, t1, t2);
    snprintf(file, sizeof file, "%s.json", name);
    free(tmpfile_write(dir, file, text));
}

/* A profile with one nested endpoint to child. */
static void
write_parent(const char *name, const char *child)
{
    char text[2048], file[256];
    snprintf(text, sizeof text,
             "{\"name\":\"%s\",\"properties\":{\"trafficRoutingMethod\":\"Priority\","
             "\"dnsConfig\":{\"relativeName\":\"%s\",\"ttl\":30},\"endpoints\":["
             "{\"name\":\"to-%s\",\"type\":\"nestedEndpoints\",\"properties\":"
             "{\"targetResourceId\":\"/subscriptions/" SUB "/resourceGroups/rg/providers/"
             "Microsoft.Network/trafficManagerProfiles/%s\"}}]}}\n",
             name, name, child, child);
    snprintf(file, sizeof file, "%s.json", name);
    free(tmpfile_write(dir, file, text));
}

static int
setup(void **state)
{
    (void)state;
    dir = tmpdir_new();
    if (!dir)
        return -1;
    /* a and b share the probe of 192.0.2.2; c is the child of p */
    write_profile("a", "a", "192.0.2.1", "192.0.2.2");
    write_profile("b", "b", "192.0.2.2", "192.0.2.3");
    write_profile("c", "c", "192.0.2.4", "192.0.2.5");
    write_parent("p", "c");
    const char *args[] = {"gtmd",  "--profiles", dir,      "--domain", DOMAIN,
                          "--api", "off",        "--node", "lab-1"};
    enum { NARGS = sizeof args / sizeof args[0] };
    char *argv[NARGS + 1] = {0};
    for (int i = 0; i < NARGS; i++)
        argv[i] = strdup(args[i]);
    errs = errs_init(&eb);
    int rc = options_load(NARGS, argv, &opt, &errs);
    for (int i = 0; i < NARGS; i++)
        free(argv[i]);
    if (rc != 0) {
        print_error("%s", eb.text);
        return -1;
    }
    ctx.opt = &opt;
    ctx.base = event_base_new();
    ctx.reload_now = ctx_reload_errors; /* as reload_init_events wires them */
    ctx.change_profile = reload_profile;
    ctx.monitor = monitor_new(ctx.base);
    struct gtm_snapshot *s = daemon_load(&opt, &errs);
    if (!s) {
        print_error("%s", eb.text);
        return -1;
    }
    ctx_publish(&ctx, s);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    monitor_free(ctx.monitor);
    ctx_cleanup_events(&ctx);
    event_base_free(ctx.base);
    options_cleanup(&opt);
    tmpdir_remove(dir);
    free(dir);
    return 0;
}

static struct gtm_snapshot *
current(void)
{
    return atomic_load(&ctx.snap);
}

/* Every probed endpoint sits on the slot of what it probes, every slot is
 * used (and lists the endpoints that use it), and no two slots probe the
 * same thing: what a full load of the same files gives, up to the order of
 * the slots. The API's list orders are those of the full load, of the
 * profiles served. */
static void
check_slots(const struct gtm_snapshot *s)
{
    struct errbuf fb;
    struct config_errors fe = errs_init(&fb);
    struct gtm_snapshot *full = daemon_load(&opt, &fe);
    assert_non_null(full);
    assert_int_equal(s->nprobes, full->nprobes);
    assert_int_equal(s->nprofiles, full->nprofiles);
    uint32_t *users = calloc(s->nprobes + 1, sizeof *users);
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i], *q = full->profiles[i];
        assert_string_equal(p->name, q->name);
        assert_int_equal(p->nendpoints, q->nendpoints);
        for (uint32_t k = 0; k < p->nendpoints; k++) {
            uint32_t hi = p->endpoints[k].health_idx, fi = q->endpoints[k].health_idx;
            assert_int_equal(hi == HEALTH_NONE, fi == HEALTH_NONE);
            if (hi == HEALTH_NONE)
                continue;
            assert_true(hi < s->nprobes);
            assert_string_equal(s->probes[hi].key, full->probes[fi].key);
            assert_string_equal(s->probes[hi].label, full->probes[fi].label);
            users[hi]++;
            if (p->endpoints[k].kind == EP_NESTED)
                assert_non_null(p->endpoints[k].child_profile);
        }
        for (uint32_t k = 0; k < p->nendpoints; k++)
            if (p->endpoints[k].kind == EP_NESTED)
                assert_ptr_equal(p->endpoints[k].child_profile,
                                 snapshot_find_profile(s, p->endpoints[k].child));
    }
    for (uint32_t i = 0; i < s->nprobes; i++) {
        assert_true(users[i] > 0);
        for (uint32_t j = 0; j < i; j++)
            assert_string_not_equal(s->probes[i].key, s->probes[j].key);
        const struct tm_user *who;
        assert_int_equal(tm_users(s->tmi, i, &who), users[i]);
        for (uint32_t k = 0; k < users[i]; k++) {
            const struct profile *p = snapshot_find_profile(s, who[k].profile);
            assert_non_null(p);
            assert_true(who[k].index < p->nendpoints);
            assert_int_equal(p->endpoints[who[k].index].health_idx, i);
            assert_string_equal(p->endpoints[who[k].index].name, who[k].endpoint);
        }
    }
    assert_int_equal(s->nunowned, full->nunowned);
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        assert_string_equal(s->by_sub[i]->name, full->by_sub[i]->name);
        assert_string_equal(s->by_rg[i]->name, full->by_rg[i]->name);
        assert_ptr_equal(s->by_sub[i], snapshot_find_profile(s, s->by_sub[i]->name));
        assert_ptr_equal(s->by_rg[i], snapshot_find_profile(s, s->by_rg[i]->name));
    }
    free(users);
    snapshot_free(full);
}

/* The profile whose name the snapshot serves at rel.DOMAIN. */
static const struct profile *
served(const struct gtm_snapshot *s, const char *rel)
{
    char text[256];
    uint8_t wire[DNAME_MAXLEN];
    snprintf(text, sizeof text, "%s." DOMAIN ".", rel);
    int len = dname_from_text(text, wire);
    assert_true(len > 0);
    const struct zone_node *n =
        snapshot_find_name(s, wire, (size_t)len, dname_hash(wire, (size_t)len));
    return n ? n->profile : NULL;
}

static void
rm_profile(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    unlink(path);
}

static struct profile *
parse(const char *name, const char *rel, const char *t1, const char *t2)
{
    write_profile(name, rel, t1, t2);
    char path[4096], text[4096];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t len = fread(text, 1, sizeof text, fp);
    fclose(fp);
    struct profile *p = NULL;
    assert_int_equal(profile_parse_owned(path, text, len, false, &errs, &p), 0);
    return p;
}

static void
test_add_shares_the_rest(void **state)
{
    (void)state;
    struct gtm_snapshot *before = current();
    struct profile *keep[8];
    uint32_t n = before->nprofiles;
    memcpy(keep, before->profiles, n * sizeof *keep);
    uint64_t gen = before->generation;
    assert_int_equal(before->nsid_len, 5);
    assert_memory_equal(before->nsid, "lab-1", 5);

    struct profile *d = parse("d", "d", "192.0.2.6", "192.0.2.1");
    struct profile_change c = {.np = d};
    assert_int_equal(reload_profile(&ctx, &c, &errs), CHANGE_OK);
    struct gtm_snapshot *s = current();
    assert_ptr_not_equal(s, before);
    assert_true(s->generation > gen);
    assert_int_equal(s->nprofiles, n + 1);
    assert_ptr_equal(served(s, "d"), d);
    for (uint32_t i = 0; i < n; i++) /* the others: the very same objects */
        assert_ptr_equal(snapshot_find_profile(s, keep[i]->name), keep[i]);
    assert_ptr_equal(served(s, "a"), snapshot_find_profile(s, "a"));
    check_slots(s);
    /* The NSID (--node) came with the load and goes on with the change. */
    assert_int_equal(s->nsid_len, 5);
    assert_memory_equal(s->nsid, "lab-1", 5);
}

static void
test_replace_and_delete_keep_slots(void **state)
{
    (void)state;
    /* b's first endpoint moves off the probe it shared with a: that slot
     * stays (a uses it); b's second probe goes, and the last slot fills
     * the hole. */
    struct gtm_snapshot *s = current();
    const struct profile *old = snapshot_find_profile(s, "b");
    struct profile *nb = parse("b", "b", "192.0.2.7", "192.0.2.8");
    struct profile_change c = {.old = old, .np = nb};
    assert_int_equal(reload_profile(&ctx, &c, &errs), CHANGE_OK);
    assert_ptr_equal(served(current(), "b"), nb);
    check_slots(current());

    /* a goes: its probes with it, but 192.0.2.1 is d's too */
    s = current();
    rm_profile("a");
    struct profile_change del = {.old = snapshot_find_profile(s, "a")};
    assert_int_equal(reload_profile(&ctx, &del, &errs), CHANGE_OK);
    assert_null(served(current(), "a"));
    assert_null(snapshot_find_profile(current(), "a"));
    check_slots(current());
}

static void
test_child_replaced_parent_follows(void **state)
{
    (void)state;
    struct gtm_snapshot *s = current();
    const struct profile *old = snapshot_find_profile(s, "c");
    struct profile *nc = parse("c", "c", "192.0.2.9", "192.0.2.5");
    struct profile_change c = {.old = old, .np = nc};
    assert_int_equal(reload_profile(&ctx, &c, &errs), CHANGE_OK);
    const struct profile *p = snapshot_find_profile(current(), "p");
    assert_ptr_equal(p->endpoints[0].child_profile, nc);
    assert_ptr_equal(served(current(), "p"), p);
    check_slots(current());
}

static void
test_refusals_leave_it_served(void **state)
{
    (void)state;
    struct gtm_snapshot *s = current();
    /* the DNS name of b, any case */
    struct profile *e = parse("e", "B", "192.0.2.10", "192.0.2.11");
    struct profile_change c = {.np = e};
    assert_int_equal(reload_profile(&ctx, &c, &errs), CHANGE_CLASH);
    assert_ptr_equal(c.clash, snapshot_find_profile(s, "b"));
    rm_profile("e");

    /* c has a parent */
    errs = errs_init(&eb);
    struct profile_change del = {.old = snapshot_find_profile(s, "c")};
    assert_int_equal(reload_profile(&ctx, &del, &errs), CHANGE_LINK);
    assert_non_null(strstr(eb.text, "no profile named 'c' is loaded"));
    assert_ptr_equal(current(), s);

    /* a name too long for the domain: refused when the snapshot is built */
    errs = errs_init(&eb);
    char rel[300];
    memset(rel, 'x', 250);
    rel[250] = 0;
    for (int i = 60; i < 250; i += 61)
        rel[i] = '.';
    struct profile *f = parse("f", rel, "192.0.2.12", "192.0.2.13");
    struct profile_change cf = {.np = f};
    assert_int_equal(reload_profile(&ctx, &cf, &errs), CHANGE_REFUSED);
    assert_non_null(strstr(eb.text, "makes the name"));
    assert_ptr_equal(current(), s);
    rm_profile("f");
    errs = errs_init(&eb);
}

/* ---- through the ARM handler ---- */

struct reply {
    int code;
    char body[8192];
};

static void
capture(void *arg, int code, const char *body, size_t len)
{
    struct reply *r = arg;
    r->code = code;
    snprintf(r->body, sizeof r->body, "%.*s", (int)len, body ? body : "");
}

/* One request to arm_route: method, the path's segments, a JSON body. */
static struct reply
request(enum evhttp_cmd_type method, const char *path, const char *body)
{
    static struct reply rep;
    memset(&rep, 0, sizeof rep);
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    if (body)
        evbuffer_add(evhttp_request_get_input_buffer(req), body, strlen(body));
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    struct api_req r = {.ctx = &ctx,
                        .req = req,
                        .method = method,
                        .can_write = true,
                        .capture = capture,
                        .capture_arg = &rep};
    TAILQ_INIT(&r.query);
    evhttp_add_header(&r.query, "api-version", "2022-04-01");
    for (char *save = NULL, *seg = strtok_r(buf, "/", &save); seg && r.nseg < API_MAX_SEGMENTS;
         seg = strtok_r(NULL, "/", &save))
        r.seg[r.nseg++] = seg;
    assert_true(arm_route(&r));
    evhttp_clear_headers(&r.query);
    evhttp_request_free(req);
    return rep;
}

#define RG_PATH                                                                                    \
    "/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.Network/trafficmanagerprofiles/"

static void
test_put_through_the_handler(void **state)
{
    (void)state;
    struct gtm_snapshot *s = current();
    const struct profile *keep = snapshot_find_profile(s, "p");
    /* answers counted for p, to see that the changes leave them */
    s->stats_base[keep->stats_slot + TM_ANSWER] += 7;

    struct reply r = request(
        EVHTTP_REQ_PUT, RG_PATH "web",
        "{\"location\":\"global\",\"properties\":{\"trafficRoutingMethod\":\"Weighted\","
        "\"dnsConfig\":{\"relativeName\":\"web\",\"ttl\":60},"
        "\"monitorConfig\":{\"protocol\":\"HTTP\",\"port\":80,\"path\":\"/\"},"
        "\"endpoints\":[{\"name\":\"x\",\"type\":\"Microsoft.Network/trafficManagerProfiles/"
        "externalEndpoints\",\"properties\":{\"target\":\"192.0.2.20\"}}]}}");
    assert_int_equal(r.code, 201);
    assert_non_null(strstr(r.body, "\"relativeName\":\"web\""));
    assert_non_null(strstr(r.body, "\"trafficRoutingMethod\":\"Weighted\""));
    struct gtm_snapshot *now = current();
    const struct profile *web = served(now, "web");
    assert_non_null(web);
    assert_int_equal(web->ttl, 60);
    assert_ptr_equal(snapshot_find_profile(now, "p"), keep);
    /* written before the reply */
    char path[4096];
    snprintf(path, sizeof path, "%s/web.json", dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    fclose(fp);
    /* the counters of p are p's still */
    assert_int_equal(stats_profile(&ctx, keep, TM_ANSWER), 7);
    check_slots(now);

    /* the same name again in another case: a clash, nothing changes */
    r = request(EVHTTP_REQ_PUT, RG_PATH "web2",
                "{\"properties\":{\"trafficRoutingMethod\":\"Priority\","
                "\"dnsConfig\":{\"relativeName\":\"WEB\"},\"endpoints\":[{\"name\":\"y\","
                "\"type\":\"Microsoft.Network/trafficManagerProfiles/externalEndpoints\","
                "\"properties\":{\"target\":\"192.0.2.21\"}}]}}");
    assert_int_equal(r.code, 409);
    assert_non_null(strstr(r.body, "is already used by profile 'web'"));
    assert_ptr_equal(current(), now);

    r = request(EVHTTP_REQ_DELETE, RG_PATH "web", NULL);
    assert_int_equal(r.code, 200);
    assert_null(served(current(), "web"));
    fp = fopen(path, "r");
    assert_null(fp);
    assert_int_equal(stats_profile(&ctx, keep, TM_ANSWER), 7);
    check_slots(current());
}

/* A replaced profile keeps its counts (outcomes, and endpoints by name); a
 * deleted one takes them along. */
static void
test_counts_follow_the_name(void **state)
{
    (void)state;
    struct gtm_snapshot *s = current();
    const struct profile *old = snapshot_find_profile(s, "d");
    s->stats_base[old->stats_slot + TM_ANSWER] += 5;
    s->stats_base[old->endpoints[1].stats_slot] += 3; /* "two" */
    /* d again, its endpoints in the other order */
    char text[2048], path[4096];
    snprintf(text, sizeof text,
             "{\"name\":\"d\",\"properties\":{\"trafficRoutingMethod\":\"Priority\","
             "\"dnsConfig\":{\"relativeName\":\"d\",\"ttl\":30},"
             "\"monitorConfig\":{\"protocol\":\"TCP\",\"port\":80},\"endpoints\":["
             "{\"name\":\"two\",\"properties\":{\"target\":\"192.0.2.1\"}},"
             "{\"name\":\"one\",\"properties\":{\"target\":\"192.0.2.6\"}}]}}\n");
    snprintf(path, sizeof path, "%s/d.json", dir);
    free(tmpfile_write(dir, "d.json", text));
    struct profile *nd = NULL;
    assert_int_equal(profile_parse_owned(path, text, strlen(text), false, &errs, &nd), 0);
    struct profile_change c = {.old = old, .np = nd};
    assert_int_equal(reload_profile(&ctx, &c, &errs), CHANGE_OK);
    assert_int_equal(stats_profile(&ctx, nd, TM_ANSWER), 5);
    assert_int_equal(stats_endpoint(&ctx, nd, 0), 3); /* "two" is first now */
    assert_int_equal(stats_endpoint(&ctx, nd, 1), 0);
    check_slots(current());

    /* deleted, then made again: from zero */
    rm_profile("d");
    struct profile_change del = {.old = nd};
    assert_int_equal(reload_profile(&ctx, &del, &errs), CHANGE_OK);
    struct profile *again = parse("d", "d", "192.0.2.6", "192.0.2.1");
    struct profile_change add = {.np = again};
    assert_int_equal(reload_profile(&ctx, &add, &errs), CHANGE_OK);
    assert_int_equal(stats_profile(&ctx, again, TM_ANSWER), 0);
    assert_int_equal(stats_endpoint(&ctx, again, 0), 0);
    assert_int_equal(stats_endpoint(&ctx, again, 1), 0);
    check_slots(current());
}

/* The node of rel.DOMAIN, profile or not (an empty non-terminal). */
static const struct zone_node *
node_of(const struct gtm_snapshot *s, const char *rel)
{
    char text[256];
    uint8_t wire[DNAME_MAXLEN];
    snprintf(text, sizeof text, "%s." DOMAIN ".", rel);
    int len = dname_from_text(text, wire);
    assert_true(len > 0);
    return zone_find_node(s->domain, wire, (size_t)len);
}

/* Dotted names make empty non-terminals, which come and go with them. */
static void
test_dotted_names(void **state)
{
    (void)state;
    struct profile *x = parse("x", "x.app", "192.0.2.30", "192.0.2.31");
    struct profile_change cx = {.np = x};
    assert_int_equal(reload_profile(&ctx, &cx, &errs), CHANGE_OK);
    const struct zone_node *ent = node_of(current(), "app");
    assert_non_null(ent); /* app.DOMAIN exists: NODATA, not NXDOMAIN */
    assert_null(ent->profile);
    assert_ptr_equal(served(current(), "x.app"), x);

    struct profile *app = parse("app", "app", "192.0.2.32", "192.0.2.33");
    struct profile_change ca = {.np = app};
    assert_int_equal(reload_profile(&ctx, &ca, &errs), CHANGE_OK);
    assert_ptr_equal(served(current(), "app"), app);
    check_slots(current());

    rm_profile("app");
    struct profile_change da = {.old = app};
    assert_int_equal(reload_profile(&ctx, &da, &errs), CHANGE_OK);
    ent = node_of(current(), "app");
    assert_non_null(ent);
    assert_null(ent->profile);

    rm_profile("x");
    struct profile_change dx = {.old = x};
    assert_int_equal(reload_profile(&ctx, &dx, &errs), CHANGE_OK);
    assert_null(node_of(current(), "app")); /* NXDOMAIN again */
    assert_null(node_of(current(), "x.app"));
    check_slots(current());
}

/* Two changes published before the snapshot the first replaced is quiet
 * (a worker still in a batch begun before it): each snapshot's counts go
 * into the one published over it, in order, none lost or counted twice. */
static void
test_counts_across_quick_changes(void **state)
{
    (void)state;
    reload_init_events(&ctx); /* reclamation now waits for the workers */
    struct worker w;
    memset(&w, 0, sizeof w);
    struct worker *ws[1] = {&w};
    ctx.workers = ws;
    ctx.nworkers = 1;

    struct profile_change add1 = {.np = parse("qa", "qa", "192.0.2.40", "192.0.2.41")};
    assert_int_equal(reload_profile(&ctx, &add1, &errs), CHANGE_OK);
    struct profile_change add2 = {.np = parse("qb", "qb", "192.0.2.42", "192.0.2.43")};
    assert_int_equal(reload_profile(&ctx, &add2, &errs), CHANGE_OK);
    assert_null(ctx.retired);
    atomic_store(&w.seat.seen, atomic_load(&ctx.epoch)); /* in a batch of the current one */

    struct gtm_snapshot *s = current();
    const struct profile *a = snapshot_find_profile(s, "qa");
    const struct profile *b = snapshot_find_profile(s, "qb");
    assert_non_null(a);
    assert_non_null(b);
    uint64_t a0 = stats_endpoint(&ctx, a, 0), b0 = stats_endpoint(&ctx, b, 0);
    s->stats_base[a->endpoints[0].stats_slot] += 7;
    s->stats_base[b->endpoints[0].stats_slot] += 4;

    struct profile *na = parse("qa", "qa", "192.0.2.40", "192.0.2.44");
    struct profile_change ca = {.old = a, .np = na};
    assert_int_equal(reload_profile(&ctx, &ca, &errs), CHANGE_OK);
    assert_non_null(ctx.retired); /* the worker holds it */

    atomic_store(&w.seat.seen, 0); /* idle: both can go, oldest first */
    struct profile *nb = parse("qb", "qb", "192.0.2.42", "192.0.2.45");
    struct profile_change cb = {.old = snapshot_find_profile(current(), "qb"), .np = nb};
    assert_int_equal(reload_profile(&ctx, &cb, &errs), CHANGE_OK);
    assert_null(ctx.retired);
    assert_int_equal(stats_endpoint(&ctx, na, 0), a0 + 7);
    assert_int_equal(stats_endpoint(&ctx, nb, 0), b0 + 4);
    check_slots(current());

    ctx.workers = NULL;
    ctx.nworkers = 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_shares_the_rest),
        cmocka_unit_test(test_replace_and_delete_keep_slots),
        cmocka_unit_test(test_child_replaced_parent_follows),
        cmocka_unit_test(test_refusals_leave_it_served),
        cmocka_unit_test(test_put_through_the_handler),
        cmocka_unit_test(test_counts_follow_the_name),
        cmocka_unit_test(test_dotted_names),
        cmocka_unit_test(test_counts_across_quick_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
