/* fleet.c: a node of a gtmd fleet (SPEC §11; fleet/fleet.h says what it
 * does). The order of things, all on the control loop:
 *
 *   connect: grant a lease -> put nodes/<node> and this node's verdicts
 *            under it -> range the prefix -> apply the difference -> watch
 *            from the range's revision + 1
 *   watch:   each event applied as it comes (profiles through
 *            ctx->change_profile, verdicts through the monitor, overrides
 *            through monitor_force)
 *   keepalive every third of the lease's TTL; a lease found gone is
 *            granted again and everything under it put again
 *   etcd gone: nothing changes in what is served; retry with backoff
 *            (fleet/quorum.h's sync), then watch again from the revision
 *            after the last applied, or range again after a compaction.
 *
 * Costs: a remote change costs its own size (one profile through
 * reload_profile, one verdict through one monitor lookup); only a full
 * resync (start, compaction) costs the size of the fleet. etcd writes are
 * proportional to verdict changes and lease renewals, never to probes. */
#include "config.h"
#include "fleet/fleet.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "conf/conf.h"
#include "fleet/cookies.h"
#include "fleet/etcd.h"
#include "fleet/map.h"
#include "fleet/quorum.h"
#include "gtm/alloc.h"
#include "gtm/clock.h"
#include "gtm/ctx.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "gtm/probe.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "monitor/monitor.h"
#include "profiles/dir.h"
#include "profiles/profile.h"
#include "profiles/store.h"
#include "zones/build.h"

#define MAX_VOTERS      64 /* verdicts counted per probe: more nodes than that share no fleet */
#define LEASE_MIN_S     10
#define VALUE_MAX       (64 * 1024) /* a verdict, an override or a node: small JSON */
#define NODE_NAME_MAX   64
#define ETCD_TIMEOUT_MS 2000 /* a write the API waits for, per etcd URL tried */

/* One other node's verdict on one probe. */
struct verdict {
    char node[NODE_NAME_MAX];
    uint8_t state; /* enum ep_status */
    uint8_t fails;
    int64_t at_ms;
    char last[96];
};

/* What the fleet knows of one probe (by id): the others' verdicts. */
struct fprobe {
    char *key; /* the probe's key text, when known (from a verdict or from here) */
    struct verdict *v;
    unsigned nv, cap;
};

struct fleet {
    struct gtm_ctx *ctx;
    const struct gtm_options *opt;
    struct etcd *etcd;
    const char *node;
    char *prefix;
    size_t prefix_len;
    int64_t lease;      /* 0: none held */
    int64_t lease_ttl;  /* seconds */
    bool range_pending; /* a range was asked for, its answer not in yet */
    bool watch_pending; /* a watch was asked for, etcd has not said it is up */
    bool watching;      /* etcd said the watch is up (writes are tried only then) */
    bool reachable;     /* the last call to etcd went through */
    struct sync sync;
    struct event *retry_ev, *keepalive_ev;
    struct map probes;    /* probe id -> struct fprobe */
    struct map profiles;  /* lower-case profile name -> rev (val unused) */
    struct map overrides; /* "profile/endpoint" lower case -> (intptr_t)state, rev */
    struct map nodes;     /* node name -> json_t * (its record) */
    int64_t started_ms;
    /* counters, for the metrics */
    uint64_t writes, write_errors, applied_profiles, refused_profiles, resyncs, lease_grants;
    double watch_delay_s; /* the last verdict's way from its writer to here */
    int64_t contact_ms;   /* the last exchange with etcd that went through (monotonic) */
    bool verdicts_dirty;  /* a verdict's write failed: put them all again when etcd answers */
    bool ranging;         /* a range is being applied: the monitor decides at its end */
    bool alone;           /* no word from etcd for a lease's time: own probes decide */
    struct fleet_cookies *cookies; /* the shared DNS cookie secrets, or NULL (fleet/cookies.h) */
};

static int64_t
wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void
fleet_probe_id(const char *key, char id[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(key, strlen(key), md, &len, EVP_sha256(), NULL);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        id[2 * i] = hex[md[i] >> 4];
        id[2 * i + 1] = hex[md[i] & 15];
    }
    id[32] = 0;
}

/* The full etcd key of what (printf-like), into buf. */
static const char *
key_of(const struct fleet *f, char *buf, size_t n, const char *kind, const char *a, const char *b)
{
    if (b)
        snprintf(buf, n, "%s%s/%s/%s", f->prefix, kind, a, b);
    else
        snprintf(buf, n, "%s%s/%s", f->prefix, kind, a);
    return buf;
}

static void
lower_copy(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = 0;
}

/* ---- verdicts ---- */

static struct fprobe *
fprobe_get(struct fleet *f, const char *id, bool make)
{
    struct map_entry *e = make ? map_put(&f->probes, id) : map_get(&f->probes, id);
    if (e && !e->val)
        e->val = xcalloc(1, sizeof(struct fprobe));
    return e ? e->val : NULL;
}

static void
fprobe_free(void *v)
{
    struct fprobe *fp = v;
    if (!fp)
        return;
    free(fp->key);
    free(fp->v);
    free(fp);
}

static struct verdict *
verdict_find(struct fprobe *fp, const char *node)
{
    for (unsigned i = 0; i < fp->nv; i++)
        if (strcmp(fp->v[i].node, node) == 0)
            return &fp->v[i];
    return NULL;
}

static void
verdict_drop(struct fprobe *fp, const char *node)
{
    struct verdict *v = verdict_find(fp, node);
    if (v)
        *v = fp->v[--fp->nv];
}

/* The states this node counts for probe key: its own and the others' (but
 * its own alone once etcd has been silent for a lease's time: the others'
 * verdicts are then as stale as a dead node's, which etcd would have
 * dropped, and a DR switch must still fail over on what it sees). */
static struct quorum_result
decide(const struct fleet *f, const char *key, uint8_t own)
{
    uint8_t states[MAX_VOTERS + 1];
    unsigned n = 0;
    states[n++] = own;
    if (f->alone)
        return quorum_decide(states, n, f->opt->quorum);
    char id[33];
    fleet_probe_id(key, id);
    struct map_entry *e = map_get(&f->probes, id);
    const struct fprobe *fp = e ? e->val : NULL;
    for (unsigned i = 0; fp && i < fp->nv && n < MAX_VOTERS + 1; i++)
        states[n++] = fp->v[i].state;
    return quorum_decide(states, n, f->opt->quorum);
}

/* monitor_fleet.verdict */
static uint8_t
on_verdict(void *arg, const char *key, uint8_t own, char *why, size_t whylen)
{
    struct fleet *f = arg;
    struct quorum_result r = decide(f, key, own);
    if (why && whylen)
        snprintf(why, whylen, "fleet: %u of %u node(s) see it Degraded, quorum %u", r.degraded,
                 r.voters, r.needed);
    return r.state;
}

/* Every probe's fleet verdict decided again (a resync, or deciding alone
 * starts or ends): the size of the monitor, on those rare occasions only. */
static void
decide_all(struct fleet *f)
{
    struct monitor *m = f->ctx->monitor;
    for (uint32_t i = 0, n = monitor_count(m); i < n; i++)
        monitor_fleet_changed(m, monitor_key(m, i));
}

/* An exchange with etcd went through. */
static void
contact(struct fleet *f)
{
    f->reachable = true;
    f->contact_ms = clock_mono_ms();
    if (f->alone) {
        f->alone = false;
        log_info("fleet: etcd answers again: the other nodes' verdicts count again");
        decide_all(f);
    }
}

static void after_put(void *arg, int err, const char *why, int64_t rev);

/* Publishes this node's verdict on probe key (info: what its probes say). */
static void
put_verdict(struct fleet *f, const char *key, const struct probe_info *info)
{
    if (!f->lease || info->probed == EPS_CHECKING)
        return; /* put again, with every other, once a lease is held */
    char id[33], k[512];
    fleet_probe_id(key, id);
    json_t *v =
        json_pack("{s:s,s:s,s:s,s:i,s:s,s:I}", "probe", key, "node", f->node, "state",
                  ep_status_name((enum ep_status)info->probed), "failures", (int)info->fails,
                  "lastResult", info->last_result, "at", (json_int_t)wall_ms());
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text)
        return;
    if (etcd_put(f->etcd, key_of(f, k, sizeof k, "health", id, f->node), text, strlen(text),
                 f->lease, after_put, f) == 0)
        f->writes++;
    free(text);
}

/* monitor_fleet.own */
static void
on_own(void *arg, const char *key, const struct probe_info *info, bool gone)
{
    struct fleet *f = arg;
    if (!gone) {
        put_verdict(f, key, info);
        return;
    }
    char id[33], k[512];
    fleet_probe_id(key, id);
    if (f->lease &&
        etcd_delete(f->etcd, key_of(f, k, sizeof k, "health", id, f->node), after_put, f) == 0)
        f->writes++;
}

static void
after_put(void *arg, int err, const char *why, int64_t rev)
{
    struct fleet *f = arg;
    (void)rev;
    if (err) {
        f->write_errors++;
        f->reachable = false;
        log_debug("fleet: a write to etcd failed: %s", why ? why : gtm_strerror(err));
        f->verdicts_dirty = true; /* put again once the watch is back */
    } else {
        contact(f);
    }
}

/* Every verdict of this node, put again (a new lease). */
static void
put_all_verdicts(struct fleet *f)
{
    struct monitor *m = f->ctx->monitor;
    for (uint32_t i = 0, n = monitor_count(m); i < n; i++)
        put_verdict(f, monitor_key(m, i), monitor_info(m, i));
}

/* A verdict of another node, from etcd: node's verdict on probe id is
 * value (NULL: gone). */
static void
apply_verdict(struct fleet *f, const char *id, const char *node, const char *value, size_t len)
{
    if (strcmp(node, f->node) == 0)
        return; /* ours: the monitor knows better */
    json_t *v = NULL;
    if (value) {
        v = json_loadb(value, len, 0, NULL);
        if (!json_is_object(v) || strlen(node) >= NODE_NAME_MAX) {
            log_warn("fleet: verdict %s/%s: not a verdict; ignored", id, node);
            json_decref(v);
            return;
        }
    }
    struct fprobe *fp = fprobe_get(f, id, value != NULL);
    if (!fp)
        return;
    if (!value) {
        verdict_drop(fp, node);
    } else {
        const char *st = json_string_value(json_object_get(v, "state"));
        const char *probe = json_string_value(json_object_get(v, "probe"));
        uint8_t state = st && strcmp(st, "Degraded") == 0 ? EPS_DEGRADED
                        : st && strcmp(st, "Online") == 0 ? EPS_ONLINE
                                                          : EPS_CHECKING;
        if (probe && !fp->key) {
            char pid[33];
            fleet_probe_id(probe, pid);
            if (strcmp(pid, id) == 0) /* a key that is not its id's would mislead */
                fp->key = xstrdup(probe);
        }
        struct verdict *vd = verdict_find(fp, node);
        if (!vd) {
            if (fp->nv == MAX_VOTERS) {
                json_decref(v);
                return;
            }
            if (fp->nv == fp->cap) {
                fp->cap = fp->cap ? fp->cap * 2 : 4;
                fp->v = xrealloc(fp->v, fp->cap * sizeof *fp->v);
            }
            vd = &fp->v[fp->nv++];
            memset(vd, 0, sizeof *vd);
            snprintf(vd->node, sizeof vd->node, "%s", node);
        }
        vd->state = state;
        json_int_t fails = json_integer_value(json_object_get(v, "failures"));
        vd->fails = (uint8_t)(fails < 0 ? 0 : fails > 255 ? 255 : fails);
        vd->at_ms = json_integer_value(json_object_get(v, "at"));
        snprintf(vd->last, sizeof vd->last, "%s",
                 json_string_value(json_object_get(v, "lastResult"))
                     ? json_string_value(json_object_get(v, "lastResult"))
                     : "");
        if (vd->at_ms > 0)
            f->watch_delay_s = (double)(wall_ms() - vd->at_ms) / 1000.0;
        json_decref(v);
    }
    bool here = fp->key && monitor_find(f->ctx->monitor, fp->key) >= 0;
    if (here && !f->ranging)
        monitor_fleet_changed(f->ctx->monitor, fp->key);
    if (!here && fp->nv == 0) /* nobody's verdict on a probe this node does not run */
        fprobe_free(map_del(&f->probes, id));
}

/* ---- profiles ---- */

struct cache_step {
    const char *dir;
    char base[80];
    const char *text;
    size_t len;
};

static int
cache_store(void *arg)
{
    struct cache_step *s = arg;
    return s->text ? store_write(s->dir, s->base, s->text, s->len) : store_remove(s->dir, s->base);
}

static void
log_sink(void *arg, const char *file, unsigned line, const char *msg)
{
    (void)arg;
    if (line)
        log_err("fleet: %s:%u: %s", file, line, msg);
    else
        log_err("fleet: %s: %s", file, msg);
}

/* The base name of file when it lies directly in dir, else NULL. */
static const char *
base_in(const char *file, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (!file || strncmp(file, dir, n) != 0 || file[n] != '/' || strchr(file + n + 1, '/'))
        return NULL;
    return file + n + 1;
}

/* The profiles map's revisions: rev > 0, the key holds a document whose
 * mod revision is rev; rev < 0, the key was deleted at -rev; 0, nothing
 * known. */
static int64_t
seen_rev(const struct map_entry *me)
{
    return me->rev < 0 ? -me->rev : me->rev;
}

/* What a transaction expects the key's mod revision to be (0: absent). */
static int64_t
expect_rev(const struct map_entry *me)
{
    return me->rev > 0 ? me->rev : 0;
}

/* The cache file of a new profile: the document's own name (so every node
 * names it as the node that created it did), else lname. */
static void
cache_base(char *base, size_t n, const char *lname, const char *text, size_t len)
{
    json_t *doc = json_loadb(text, len, 0, NULL);
    const char *name = json_string_value(json_object_get(doc, "name"));
    bool ok = name && strlen(name) + sizeof ".json" <= n && strcasecmp(name, lname) == 0 &&
              strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
                  strlen(name);
    snprintf(base, n, "%s.json", ok ? name : lname);
    json_decref(doc);
}

/* Makes profile lname what etcd says at rev (text NULL: deleted), unless
 * this node applied rev or later already. */
static void
apply_profile(struct fleet *f, const char *lname, const char *text, size_t len, int64_t rev)
{
    struct map_entry *me = map_put(&f->profiles, lname);
    if (seen_rev(me) >= rev)
        return; /* this node's own write, or older */
    me->rev = text ? rev : -rev;
    struct gtm_ctx *ctx = f->ctx;
    const struct gtm_snapshot *s = atomic_load(&ctx->snap);
    const struct profile *old = snapshot_find_profile(s, lname);
    if (!text && !old)
        return;
    if (text && old && old->json && strlen(old->json) == len && memcmp(old->json, text, len) == 0)
        return; /* what is served already (a resync) */
    if (text && len > PROFILE_FILE_MAX) {
        log_err("fleet: profile %s at revision %lld: %zu bytes, more than a profile may hold "
                "(%d); still serving what was here",
                lname, (long long)rev, len, PROFILE_FILE_MAX);
        f->refused_profiles++;
        return;
    }
    const char *dir = f->opt->profiles;
    struct cache_step st = {.dir = dir, .text = text, .len = len};
    const char *ob = old ? base_in(old->file, dir) : NULL;
    if (old && !ob) {
        log_warn("fleet: profile %s comes from %s, not from the cache %s: etcd's revision %lld "
                 "is not applied here",
                 old->name, old->file ? old->file : "?", dir, (long long)rev);
        f->refused_profiles++;
        return;
    }
    snprintf(st.base, sizeof st.base, "%s", ob ? ob : "");
    struct config_errors errs = {0, log_sink, NULL};
    struct profile *np = NULL;
    if (text) {
        char path[600];
        if (!ob)
            cache_base(st.base, sizeof st.base, lname, text, len);
        snprintf(path, sizeof path, "%s/%s", dir, st.base);
        if (profile_parse_owned(path, text, len, f->opt->strict, &errs, &np) != 0) {
            log_err("fleet: profile %s at revision %lld does not parse; still serving what was "
                    "here",
                    lname, (long long)rev);
            f->refused_profiles++;
            return;
        }
        if (strcasecmp(np->name, lname) != 0) {
            log_err("fleet: key profiles/%s holds profile '%s'; ignored", lname, np->name);
            profile_discard(np);
            f->refused_profiles++;
            return;
        }
    }
    struct profile_change c = {.old = old, .np = np, .store = cache_store, .arg = &st};
    int rc = ctx->change_profile(ctx, &c, &errs);
    if (rc == CHANGE_OK) {
        f->applied_profiles++;
        log_info("fleet: profile %s %s (revision %lld)", lname, text ? "applied" : "deleted",
                 (long long)rev);
    } else {
        f->refused_profiles++;
        log_err("fleet: profile %s at revision %lld refused here (%s); still serving what was "
                "here",
                lname, (long long)rev,
                rc == CHANGE_CLASH   ? "its DNS name is taken"
                : rc == CHANGE_STORE ? "the cache cannot be written"
                                     : "see the errors above");
    }
}

/* Whether a write can be tried now: only while this node follows etcd (its
 * watch is up). Otherwise etcd is known to be away, and trying would hold
 * the control loop (and so the probes) for the timeout of every URL. */
static bool
in_step(const struct fleet *f, char *why, size_t whylen)
{
    if (f->watching)
        return true;
    snprintf(why, whylen,
             "this node is not in step with etcd now (%s; it reconnects in the background)",
             f->reachable ? "it is reading the fleet's keys" : "etcd does not answer");
    return false;
}

int
fleet_commit_profile(struct fleet *f, const char *name, const char *text, char *why, size_t whylen)
{
    if (!in_step(f, why, whylen))
        return GTM_EIO;
    char lname[80], k[512];
    lower_copy(lname, sizeof lname, name);
    struct map_entry *me = map_put(&f->profiles, lname);
    int64_t rev = 0;
    int rc = etcd_cas_sync(f->etcd, key_of(f, k, sizeof k, "profiles", lname, NULL), text,
                           text ? strlen(text) : 0, expect_rev(me), &rev, why, whylen);
    if (rc == 0) {
        me->rev = text ? rev : -rev;
        f->writes++;
        f->reachable = true;
    } else if (rc == GTM_EEXIST) {
        snprintf(why, whylen,
                 "profile '%s' was changed through another node (etcd revision %lld; this node "
                 "has %lld): read it again and retry",
                 name, (long long)rev, (long long)expect_rev(me));
    } else {
        f->write_errors++;
        f->reachable = false;
    }
    return rc;
}

/* ---- overrides ---- */

/* Applies the override of "profile/endpoint" (lower case) in what is
 * served: state, or MONITOR_UNFORCE. */
static void
force_here(struct fleet *f, const char *pe, int state)
{
    char pname[80];
    const char *slash = strchr(pe, '/');
    if (!slash || (size_t)(slash - pe) >= sizeof pname)
        return;
    memcpy(pname, pe, (size_t)(slash - pe));
    pname[slash - pe] = 0;
    const struct gtm_snapshot *s = atomic_load(&f->ctx->snap);
    const struct profile *p = snapshot_find_profile(s, pname);
    for (uint32_t k = 0; p && k < p->nendpoints; k++) {
        const struct endpoint *e = &p->endpoints[k];
        if (strcasecmp(e->name, slash + 1) != 0 || e->health_idx == HEALTH_NONE)
            continue;
        const struct probe_info *pi = monitor_info(f->ctx->monitor, e->health_idx);
        bool same = pi && ((state == MONITOR_UNFORCE && !pi->forced) ||
                           (pi->forced && pi->forced_state == state));
        if (!same)
            monitor_force(f->ctx->monitor, e->health_idx, state);
        return;
    }
}

static int
override_state(const char *value, size_t len)
{
    json_t *v = json_loadb(value, len, 0, NULL);
    const char *st = json_string_value(json_object_get(v, "status"));
    int state = st && strcasecmp(st, "Degraded") == 0 ? EPS_DEGRADED
                : st && strcasecmp(st, "Online") == 0 ? EPS_ONLINE
                                                      : MONITOR_UNFORCE;
    json_decref(v);
    return state;
}

static void
apply_override(struct fleet *f, const char *pe, const char *value, size_t len, int64_t rev)
{
    struct map_entry *e = map_put(&f->overrides, pe);
    if (e->rev > rev)
        return;
    e->rev = rev;
    int state = value ? override_state(value, len) : MONITOR_UNFORCE;
    e->val = (void *)(intptr_t)state;
    force_here(f, pe, state);
    if (state == MONITOR_UNFORCE)
        map_del(&f->overrides, pe);
}

int
fleet_commit_override(struct fleet *f, const char *profile, const char *endpoint, int state,
                      char *why, size_t whylen)
{
    if (!in_step(f, why, whylen))
        return GTM_EIO;
    char lp[80], le[280], pe[400], k[700];
    lower_copy(lp, sizeof lp, profile);
    lower_copy(le, sizeof le, endpoint);
    snprintf(pe, sizeof pe, "%s/%s", lp, le);
    key_of(f, k, sizeof k, "overrides", lp, le);
    int64_t rev = 0;
    int rc;
    if (state == MONITOR_UNFORCE) {
        rc = etcd_delete_sync(f->etcd, k, &rev, why, whylen);
    } else {
        char body[64];
        snprintf(body, sizeof body, "{\"status\":\"%s\"}", ep_status_name((enum ep_status)state));
        rc = etcd_put_sync(f->etcd, k, body, strlen(body), &rev, why, whylen);
    }
    if (rc != 0) {
        f->write_errors++;
        f->reachable = false;
        return rc;
    }
    f->writes++;
    f->reachable = true;
    struct map_entry *e = map_put(&f->overrides, pe);
    e->rev = rev;
    e->val = (void *)(intptr_t)state;
    if (state == MONITOR_UNFORCE)
        map_del(&f->overrides, pe);
    return 0;
}

/* Every override etcd holds, applied again (after a profile came: its
 * endpoints may have one). Overrides are few: drills. */
static void
reapply_override(void *arg, struct map_entry *e)
{
    force_here(arg, e->key, (int)(intptr_t)e->val);
}

/* ---- nodes ---- */

static void
apply_node(struct fleet *f, const char *name, const char *value, size_t len)
{
    if (!value) {
        json_decref(map_del(&f->nodes, name));
        log_info("fleet: node %s left", name);
        return;
    }
    json_t *v = json_loadb(value, len, 0, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return;
    }
    struct map_entry *e = map_put(&f->nodes, name);
    if (!e->val && strcmp(name, f->node) != 0)
        log_info("fleet: node %s joined", name);
    json_decref(e->val);
    e->val = v;
}

static void
node_free(void *v)
{
    json_decref(v);
}

/* ---- one key, from a range or the watch ---- */

/* Splits "a/b" at its first '/' into a and b (copied, bounded). */
static bool
split2(const char *s, char *a, size_t an, const char **b)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1] || (size_t)(slash - s) >= an || strchr(slash + 1, '/'))
        return false;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = 0;
    *b = slash + 1;
    return true;
}

static void
apply_key(struct fleet *f, const struct etcd_kv *kv, bool deleted)
{
    if (kv->key_len <= f->prefix_len || kv->key_len > 700 || memchr(kv->key, 0, kv->key_len))
        return;
    char key[701];
    memcpy(key, kv->key + f->prefix_len, kv->key_len - f->prefix_len);
    key[kv->key_len - f->prefix_len] = 0;
    const char *value = deleted ? NULL : kv->value;
    size_t len = deleted ? 0 : kv->value_len;
    if (!deleted && len > VALUE_MAX && strncmp(key, "profiles/", 9) != 0) {
        log_warn("fleet: %s%s: %zu bytes, more than a value of its kind holds; ignored", f->prefix,
                 key, len);
        return;
    }
    char a[128];
    const char *b;
    if (strncmp(key, "profiles/", 9) == 0 && key[9] && !strchr(key + 9, '/')) {
        char lname[80];
        lower_copy(lname, sizeof lname, key + 9);
        if (strcmp(lname, key + 9) == 0)
            apply_profile(f, lname, value, len, kv->mod_rev);
    } else if (strncmp(key, "health/", 7) == 0 && split2(key + 7, a, sizeof a, &b) &&
               strlen(a) == 32) {
        apply_verdict(f, a, b, value, len);
    } else if (strncmp(key, "overrides/", 10) == 0 && strchr(key + 10, '/')) {
        apply_override(f, key + 10, value, len, kv->mod_rev);
    } else if (strncmp(key, "nodes/", 6) == 0 && key[6] && !strchr(key + 6, '/')) {
        apply_node(f, key + 6, value, len);
    } else if (strcmp(key, FCOOKIES_KEY) == 0) {
        fcookies_apply(f->cookies, value, len, kv->mod_rev, f->ranging);
    }
}

/* ---- the connect sequence ---- */

/* The keepalive tick: a third of the lease's time from now. */
static void
arm_keepalive(struct fleet *f)
{
    struct timeval iv = {f->lease_ttl / 3 > 0 ? f->lease_ttl / 3 : 1, 0};
    event_add(f->keepalive_ev, &iv);
}

static void schedule_retry(struct fleet *f, int64_t compact_rev);
static void start_watch(struct fleet *f);
static void start_range(struct fleet *f);

/* Profiles served from the cache that etcd no longer holds: deleted while
 * this node was away. */
static void
drop_absent_profiles(struct fleet *f, const struct map *seen)
{
    const struct gtm_snapshot *s = atomic_load(&f->ctx->snap);
    char(*gone)[80] = NULL;
    size_t ngone = 0;
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i];
        char lname[80];
        lower_copy(lname, sizeof lname, p->name);
        if (map_get(seen, lname) || !base_in(p->file, f->opt->profiles))
            continue;
        gone = xrealloc(gone, (ngone + 1) * sizeof *gone);
        memcpy(gone[ngone++], lname, sizeof lname);
    }
    for (size_t i = 0; i < ngone; i++) {
        struct map_entry *me = map_put(&f->profiles, gone[i]);
        me->rev = 0;
        log_info("fleet: profile %s is not in etcd (deleted while this node was away, or never "
                 "imported: gtmctl fleet import): removed here",
                 gone[i]);
        apply_profile(f, gone[i], NULL, 0, f->sync.applied > 0 ? f->sync.applied : 1);
    }
    free(gone);
}

static void
clear_verdicts(void *arg, struct map_entry *e)
{
    (void)arg;
    struct fprobe *fp = e->val;
    if (fp)
        fp->nv = 0;
}

/* Verdict entries left with no verdict, for probes this node does not
 * run, go (after a range replaced every verdict). */
static void
drop_empty(struct fleet *f)
{
    char(*ids)[33] = f->probes.n ? xmalloc(f->probes.n * sizeof *ids) : NULL;
    size_t n = 0;
    for (size_t i = 0; i < f->probes.cap; i++)
        for (struct map_entry *e = f->probes.b[i]; e; e = e->next) {
            struct fprobe *fp = e->val;
            if (fp && fp->nv == 0 && (!fp->key || monitor_find(f->ctx->monitor, fp->key) < 0))
                snprintf(ids[n++], sizeof ids[0], "%s", e->key);
        }
    for (size_t i = 0; i < n; i++)
        fprobe_free(map_del(&f->probes, ids[i]));
    free(ids);
}

/* Overrides cleared while this node was away: a probe forced here that no
 * override in etcd covers (endpoints that probe the same thing share one
 * probe, so one override covers them all). */
static void
unforce_absent(struct fleet *f, const struct map *seen_over)
{
    struct monitor *m = f->ctx->monitor;
    uint32_t np = monitor_count(m);
    if (!np)
        return;
    bool *covered = xcalloc(np, sizeof *covered);
    const struct gtm_snapshot *s = atomic_load(&f->ctx->snap);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < s->nprofiles; i++) {
            const struct profile *p = s->profiles[i];
            for (uint32_t k = 0; k < p->nendpoints; k++) {
                const struct endpoint *e = &p->endpoints[k];
                if (e->health_idx == HEALTH_NONE || e->health_idx >= np)
                    continue;
                char pe[400];
                snprintf(pe, sizeof pe, "%s/%s", p->name, e->name);
                lower_copy(pe, sizeof pe, pe);
                if (pass == 0) {
                    if (map_get(seen_over, pe))
                        covered[e->health_idx] = true;
                    continue;
                }
                const struct probe_info *pi = monitor_info(m, e->health_idx);
                if (pi && pi->forced && !covered[e->health_idx]) {
                    monitor_force(m, e->health_idx, MONITOR_UNFORCE);
                    covered[e->health_idx] = true; /* once */
                }
            }
        }
    free(covered);
}

/* The name after prefix + what in kv's key, copied into out (n bytes), or
 * false when the key is not of that kind or too long. */
static bool
key_rest(const struct fleet *f, const struct etcd_kv *kv, const char *what, char *out, size_t n)
{
    size_t wl = strlen(what);
    if (kv->key_len <= f->prefix_len + wl || memcmp(kv->key + f->prefix_len, what, wl) != 0)
        return false;
    size_t l = kv->key_len - f->prefix_len - wl;
    if (l >= n)
        return false;
    memcpy(out, kv->key + f->prefix_len + wl, l);
    out[l] = 0;
    return true;
}

static void
on_range(void *arg, int err, const char *why, int64_t revision, const struct etcd_kv *kvs, size_t n)
{
    struct fleet *f = arg;
    f->range_pending = false;
    if (err) {
        log_warn("fleet: cannot read etcd: %s", why ? why : gtm_strerror(err));
        fcookies_unreachable(f->cookies, why);
        f->reachable = false;
        schedule_retry(f, 0);
        return;
    }
    contact(f);
    f->resyncs++;
    /* Verdicts and nodes are replaced whole; profiles and overrides are
     * compared with what is served. The monitor decides once, at the end,
     * on the whole view: not on each verdict of a view half read. */
    map_each(&f->probes, clear_verdicts, NULL);
    map_clear(&f->nodes, node_free);
    struct map seen = {0}, seen_over = {0};
    bool seen_cookies = false;
    f->ranging = true;
    for (size_t i = 0; i < n; i++) {
        char name[701];
        if (kvs[i].key_len == f->prefix_len + strlen(FCOOKIES_KEY) &&
            memcmp(kvs[i].key + f->prefix_len, FCOOKIES_KEY, strlen(FCOOKIES_KEY)) == 0)
            seen_cookies = true;
        if (key_rest(f, &kvs[i], "profiles/", name, 80))
            map_put(&seen, name);
        else if (key_rest(f, &kvs[i], "overrides/", name, sizeof name))
            map_put(&seen_over, name);
        apply_key(f, &kvs[i], false);
    }
    f->ranging = false;
    sync_ranged(&f->sync, revision);
    if (seen.n == 0 && atomic_load(&f->ctx->snap)->nprofiles > 0)
        log_warn("fleet: etcd holds no profile under %s: keeping the profiles this node has "
                 "(put them into etcd with gtmctl fleet import, or delete them through the API)",
                 f->prefix);
    else
        drop_absent_profiles(f, &seen);
    /* overrides come before profiles in key order: now that every profile
     * is here, each override finds its endpoint */
    map_each(&f->overrides, reapply_override, f);
    unforce_absent(f, &seen_over);
    map_clear(&seen, NULL);
    map_clear(&seen_over, NULL);
    drop_empty(f);
    decide_all(f); /* every probe's fleet verdict, from the view just read */
    fcookies_ranged(f->cookies, seen_cookies);
    log_info("fleet: in step with etcd at revision %lld (%zu key(s), %zu node(s))",
             (long long)revision, n, f->nodes.n);
    start_watch(f);
}

static void
on_watch(void *arg, int64_t revision, const struct etcd_event *ev, size_t n)
{
    struct fleet *f = arg;
    contact(f);
    if (!f->watching) {
        /* the watch is up: writes may be tried; verdicts whose write
         * failed meanwhile go out again */
        f->watching = true;
        f->watch_pending = false;
        if (f->verdicts_dirty) {
            f->verdicts_dirty = false;
            put_all_verdicts(f);
        }
    }
    if (n == 0) {
        /* "created" (this node asks for no progress notices). Its
         * revision is the store's now, not what was seen: the events
         * from the start revision on come after it. Likewise a catch-up
         * batch's header may be past the batch. Only events move
         * applied. */
        (void)revision;
        return;
    }
    sync_ok(&f->sync);
    bool profiles = false;
    for (size_t i = 0; i < n; i++) {
        if (!sync_event(&f->sync, ev[i].kv.mod_rev))
            continue;
        apply_key(f, &ev[i].kv, ev[i].is_delete);
        profiles |= ev[i].kv.key_len > f->prefix_len + 9 &&
                    memcmp(ev[i].kv.key + f->prefix_len, "profiles/", 9) == 0 && !ev[i].is_delete;
    }
    if (profiles && f->overrides.n)
        map_each(&f->overrides, reapply_override, f);
}

static void
on_watch_end(void *arg, int err, const char *why, int64_t compact_rev)
{
    struct fleet *f = arg;
    f->watching = f->watch_pending = false;
    if (compact_rev > 0)
        log_warn("fleet: etcd compacted past revision %lld: reading everything again",
                 (long long)f->sync.applied + 1);
    else
        log_warn("fleet: the watch on etcd ended: %s; serving the last view and this node's "
                 "probes meanwhile",
                 why ? why : gtm_strerror(err));
    f->reachable = compact_rev > 0;
    schedule_retry(f, compact_rev);
}

static void
start_watch(struct fleet *f)
{
    f->watching = false;
    if (etcd_watch(f->etcd, f->prefix, f->sync.applied + 1, on_watch, on_watch_end, f) != 0) {
        schedule_retry(f, 0);
        return;
    }
    f->watch_pending = true;
}

static void
start_range(struct fleet *f)
{
    if (f->range_pending)
        return; /* its answer leads on */
    if (etcd_range_prefix(f->etcd, f->prefix, on_range, f) != 0) {
        schedule_retry(f, 0);
        return;
    }
    f->range_pending = true;
}

/* The step the sync is at: watch from the revision after the last applied,
 * or read everything. Never a second range or watch beside one in flight. */
static void
follow(struct fleet *f)
{
    if (f->range_pending || f->watch_pending || f->watching)
        return;
    if (f->sync.next == SYNC_WATCH && f->sync.applied > 0)
        start_watch(f);
    else
        start_range(f);
}

static void
put_node(struct fleet *f)
{
    char k[512];
    json_t *v =
        json_pack("{s:s,s:s,s:s,s:I}", "name", f->node, "version", PACKAGE_VERSION, "api",
                  f->opt->api_off ? "" : f->opt->api.text, "started", (json_int_t)f->started_ms);
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (text && etcd_put(f->etcd, key_of(f, k, sizeof k, "nodes", f->node, NULL), text,
                         strlen(text), f->lease, after_put, f) == 0)
        f->writes++;
    free(text);
}

static void
on_grant(void *arg, int err, const char *why, int64_t id, int64_t ttl)
{
    struct fleet *f = arg;
    if (err || ttl <= 0) {
        log_warn("fleet: cannot reach etcd at %s: %s; serving this node's profiles and probes, "
                 "trying again",
                 f->opt->etcd, why ? why : "the lease was not granted");
        fcookies_unreachable(f->cookies, why);
        f->reachable = false;
        schedule_retry(f, 0);
        return;
    }
    contact(f);
    f->lease = id;
    f->lease_grants++;
    log_info("fleet: node %s holds lease %llx (%lld s) at %s", f->node, (unsigned long long)id,
             (long long)ttl, etcd_url(f->etcd));
    put_node(f);
    f->verdicts_dirty = false;
    put_all_verdicts(f);
    arm_keepalive(f);
    follow(f);
}

static void
connect_now(struct fleet *f)
{
    if (f->lease) {
        /* The lease may have outlived the outage: keep it (the keepalive
         * finds out), and resync. */
        follow(f);
        return;
    }
    if (etcd_lease_grant(f->etcd, f->lease_ttl, on_grant, f) != 0)
        schedule_retry(f, 0);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fleet *f = arg;
    sync_retry(&f->sync);
    connect_now(f);
}

static void
schedule_retry(struct fleet *f, int64_t compact_rev)
{
    etcd_watch_cancel(f->etcd);
    f->watching = f->watch_pending = false;
    sync_failed(&f->sync, compact_rev);
    unsigned ms = compact_rev > 0 ? 0 : f->sync.backoff_ms;
    struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};
    event_add(f->retry_ev, &tv);
}

static void
on_keepalive(void *arg, int err, const char *why, int64_t id, int64_t ttl)
{
    struct fleet *f = arg;
    (void)id;
    if (err) {
        f->reachable = false;
        log_debug("fleet: lease keepalive failed: %s", why ? why : gtm_strerror(err));
        return;
    }
    contact(f);
    if (ttl <= 0 && f->lease) {
        log_warn("fleet: lease %llx expired (etcd was out of reach longer than %lld s): "
                 "joining again",
                 (unsigned long long)f->lease, (long long)f->lease_ttl);
        f->lease = 0;
        if (etcd_lease_grant(f->etcd, f->lease_ttl, on_grant, f) != 0)
            schedule_retry(f, 0);
    }
}

static void
keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fleet *f = arg;
    arm_keepalive(f);
    if (!f->alone && clock_mono_ms() - f->contact_ms > f->lease_ttl * 1000) {
        f->alone = true;
        log_warn("fleet: no word from etcd for %lld s: deciding on this node's probes alone "
                 "until it answers",
                 (long long)f->lease_ttl);
        decide_all(f);
    }
    if (f->lease)
        etcd_lease_keepalive(f->etcd, f->lease, on_keepalive, f);
}

/* ---- start, stop ---- */

/* The lease's TTL: 3 x the shortest probe interval, at least 10 s. */
static int64_t
lease_ttl(const struct gtm_snapshot *s)
{
    uint32_t min_ms = 0;
    for (uint32_t i = 0; i < s->nprobes; i++)
        if (!min_ms || s->probes[i].interval_ms < min_ms)
            min_ms = s->probes[i].interval_ms;
    int64_t ttl = (int64_t)min_ms * 3 / 1000;
    return ttl < LEASE_MIN_S ? LEASE_MIN_S : ttl;
}

struct fleet *
fleet_start(struct gtm_ctx *ctx)
{
    const struct gtm_options *o = ctx->opt;
    char why[256];
    struct etcd_config cfg = {
        .urls = o->etcd,
        .cacert = o->etcd_cacert,
        .cert = o->etcd_cert,
        .key = o->etcd_key,
        .user_file = o->etcd_user_file,
        .timeout_ms = ETCD_TIMEOUT_MS,
    };
    struct etcd *e = etcd_new(ctx->base, &cfg, why, sizeof why);
    if (!e) {
        log_err("fleet: %s", why);
        return NULL;
    }
    struct fleet *f = xcalloc(1, sizeof *f);
    f->ctx = ctx;
    f->opt = o;
    f->etcd = e;
    f->node = o->node;
    f->prefix = xstrdup(o->etcd_prefix);
    f->prefix_len = strlen(f->prefix);
    f->started_ms = wall_ms();
    f->lease_ttl = lease_ttl(atomic_load(&ctx->snap));
    sync_init(&f->sync);
    f->retry_ev = evtimer_new(ctx->base, retry_cb, f);
    f->keepalive_ev = evtimer_new(ctx->base, keepalive_cb, f);
    /* the cache counts as a view of the fleet until a lease passes */
    f->contact_ms = clock_mono_ms();
    f->cookies = fcookies_new(ctx, e, f->prefix, f->node, o->cookie_rotate);
    arm_keepalive(f);
    struct monitor_fleet mf = {.own = on_own, .verdict = on_verdict, .arg = f};
    monitor_set_fleet(ctx->monitor, &mf);
    log_info("fleet: node %s, etcd %s, prefix %s, quorum %s%.0u", f->node, o->etcd, f->prefix,
             o->quorum ? "" : "majority", o->quorum);
    connect_now(f);
    return f;
}

void
fleet_stop(struct fleet *f)
{
    if (!f)
        return;
    monitor_set_fleet(f->ctx->monitor, NULL);
    etcd_watch_cancel(f->etcd);
    if (f->lease && f->watching) { /* when etcd is away, the lease ends by itself */
        char why[256];
        if (etcd_lease_revoke_sync(f->etcd, f->lease, why, sizeof why) == 0)
            log_info("fleet: node %s left (lease revoked)", f->node);
        else
            log_warn("fleet: cannot revoke lease: %s; this node's keys go when it ends", why);
    }
    etcd_free(f->etcd); /* no callback after it: the cookies' state may go */
    fcookies_free(f->cookies);
    event_free(f->retry_ev);
    event_free(f->keepalive_ev);
    map_clear(&f->probes, fprobe_free);
    map_clear(&f->profiles, NULL);
    map_clear(&f->overrides, NULL);
    map_clear(&f->nodes, node_free);
    free(f->prefix);
    free(f);
}

const char *
fleet_node(const struct fleet *f)
{
    return f->node;
}

/* ---- observability ---- */

json_t *
fleet_probe_json(const struct fleet *f, const char *key)
{
    if (!f || !key)
        return NULL;
    struct monitor *m = f->ctx->monitor;
    int64_t idx = monitor_find(m, key);
    const struct probe_info *pi = idx >= 0 ? monitor_info(m, (uint32_t)idx) : NULL;
    uint8_t own = pi ? pi->probed : EPS_CHECKING;
    struct quorum_result r = decide(f, key, own);
    json_t *nodes = json_object();
    if (pi)
        json_object_set_new(nodes, f->node,
                            json_pack("{s:s,s:i,s:s,s:b}", "state",
                                      ep_status_name((enum ep_status)own), "failures",
                                      (int)pi->fails, "lastResult", pi->last_result, "self", 1));
    char id[33];
    fleet_probe_id(key, id);
    struct map_entry *e = map_get(&f->probes, id);
    const struct fprobe *fp = e ? e->val : NULL;
    for (unsigned i = 0; fp && i < fp->nv; i++)
        json_object_set_new(nodes, fp->v[i].node,
                            json_pack("{s:s,s:i,s:s,s:I}", "state",
                                      ep_status_name((enum ep_status)fp->v[i].state), "failures",
                                      (int)fp->v[i].fails, "lastResult", fp->v[i].last, "at",
                                      (json_int_t)fp->v[i].at_ms));
    return json_pack("{s:s,s:s,s:i,s:i,s:i,s:b,s:o}", "node", f->node, "state",
                     ep_status_name((enum ep_status)r.state), "quorum", (int)r.needed, "voters",
                     (int)r.voters, "degraded", (int)r.degraded, "disagree", r.disagree, "nodes",
                     nodes);
}

struct count_arg {
    const struct fleet *f;
    unsigned disagree;
};

static void
count_disagree(void *arg, struct map_entry *e)
{
    struct count_arg *c = arg;
    struct fprobe *fp = e->val;
    if (!fp || !fp->key || !fp->nv)
        return;
    struct monitor *m = c->f->ctx->monitor;
    int64_t idx = monitor_find(m, fp->key);
    const struct probe_info *pi = idx >= 0 ? monitor_info(m, (uint32_t)idx) : NULL;
    if (decide(c->f, fp->key, pi ? pi->probed : EPS_CHECKING).disagree)
        c->disagree++;
}

static void
node_json(void *arg, struct map_entry *e)
{
    json_array_append(arg, e->val);
}

json_t *
fleet_json(const struct fleet *f)
{
    struct count_arg c = {f, 0};
    map_each(&f->probes, count_disagree, &c);
    json_t *nodes = json_array();
    map_each(&f->nodes, node_json, nodes);
    if (!f->nodes.n || !map_get(&f->nodes, f->node)) /* before the first sync */
        json_array_append_new(nodes,
                              json_pack("{s:s,s:s}", "name", f->node, "version", PACKAGE_VERSION));
    char quorum[16];
    snprintf(quorum, sizeof quorum, "%u", f->opt->quorum);
    json_t *out =
        json_pack("{s:s,s:{s:s,s:s,s:b,s:I,s:I,s:I},s:s,s:o,s:i}", "node", f->node, "etcd", "url",
                  etcd_url(f->etcd), "prefix", f->prefix, "reachable", f->reachable, "revision",
                  (json_int_t)f->sync.applied, "lease", (json_int_t)f->lease, "leaseTtl",
                  (json_int_t)f->lease_ttl, "quorum", f->opt->quorum ? quorum : "majority", "nodes",
                  nodes, "disagreements", (int)c.disagree);
    json_t *cookies = fcookies_json(f->cookies);
    if (out && cookies)
        json_object_set_new(out, "cookieSecret", cookies);
    else
        json_decref(cookies);
    return out;
}

void
fleet_metrics(const struct fleet *f, struct evbuffer *b)
{
    struct count_arg c = {f, 0};
    map_each(&f->probes, count_disagree, &c);
#define GAUGE(name, help, fmt, v)                                                                  \
    evbuffer_add_printf(b, "# HELP " name " " help "\n# TYPE " name " gauge\n" name " " fmt "\n", v)
#define COUNTER(name, help, v)                                                                     \
    evbuffer_add_printf(b, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %llu\n",   \
                        (unsigned long long)(v))
    GAUGE("gtmd_fleet_etcd_reachable", "1 when the last call to etcd went through", "%d",
          f->reachable ? 1 : 0);
    GAUGE("gtmd_fleet_live_nodes", "nodes holding a lease, as this node last saw", "%zu",
          f->nodes.n ? f->nodes.n : 1);
    GAUGE("gtmd_fleet_revision_applied", "the etcd revision this node is in step with", "%lld",
          (long long)f->sync.applied);
    GAUGE("gtmd_fleet_watch_delay_seconds",
          "from a verdict's write by another node to its arrival here (the last)", "%.6f",
          f->watch_delay_s);
    GAUGE("gtmd_fleet_verdict_disagreements", "probes whose nodes do not all agree", "%u",
          c.disagree);
    COUNTER("gtmd_fleet_etcd_writes_total", "writes to etcd (verdicts, membership, API)",
            f->writes);
    COUNTER("gtmd_fleet_etcd_write_errors_total", "writes to etcd that failed", f->write_errors);
    COUNTER("gtmd_fleet_resyncs_total", "full reads of the fleet's keys", f->resyncs);
    COUNTER("gtmd_fleet_profiles_applied_total", "profile changes from etcd applied here",
            f->applied_profiles);
    COUNTER("gtmd_fleet_profiles_refused_total", "profile changes from etcd refused here",
            f->refused_profiles);
    COUNTER("gtmd_fleet_lease_grants_total", "leases granted to this node", f->lease_grants);
    fcookies_metrics(f->cookies, b);
#undef GAUGE
#undef COUNTER
}
