/* cookies.c: the fleet's DNS cookie secrets in etcd (fleet/cookies.h says
 * what and why). One timer drives every write: it fires when the key must
 * be made (absent, deleted, or not a secret) and when the current secret
 * is due for rotation; each write is a transaction on the mod revision
 * last read, and its outcome is applied like any value from the watch. */
#include "config.h"
#include "fleet/cookies.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf/conf.h"
#include "dns/cookie.h"
#include "fleet/etcd.h"
#include "gtm/alloc.h"
#include "gtm/clock.h"
#include "gtm/ctx.h"
#include "gtm/err.h"
#include "gtm/log.h"

#define RETRY_S   5 /* after a write etcd could not take */
#define MAKER_MAX 64
#define SINCE_MAX (INT64_C(1) << 40) /* a time in seconds, far enough to add to */

struct fleet_cookies {
    struct gtm_ctx *ctx;
    struct etcd *etcd;
    char *key;        /* prefix + FCOOKIES_KEY */
    const char *node; /* this node */
    unsigned rotate_s;
    struct event *timer;
    int64_t mod_rev; /* the key's mod revision as last applied; 0: absent (or not read) */
    int64_t since;   /* when the current secret was made (unix s), as etcd says */
    int64_t due;     /* when this node rotates it (monotonic s): since + rotate, taken at
                      * most one period ahead of our clock (a maker's clock ahead) */
    char maker[MAKER_MAX];
    uint8_t cur[DNS_COOKIE_SECRET_LEN], prev[DNS_COOKIE_SECRET_LEN];
    bool has_prev;
    bool shared;     /* the secrets in use are etcd's */
    bool need_write; /* the key must be made: absent, deleted, or not a secret */
    bool busy;       /* a transaction, or the read after a failed one, in flight */
    bool warned;     /* said that etcd could not be reached */
    char *pending;   /* the value being written (a secret: cleansed after) */
    size_t pending_len;
    bool rotating;   /* it rotates the key read (else it makes the key) */
    uint64_t writes; /* values this node wrote (made or rotated) */
};

static void arm(struct fleet_cookies *fc, int64_t in_s);

static void
hex_of(const uint8_t *b, char out[2 * DNS_COOKIE_SECRET_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < DNS_COOKIE_SECRET_LEN; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * DNS_COOKIE_SECRET_LEN] = 0;
}

static int
nibble(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A secret from its 32 hex digits; false when text is not that. */
static bool
secret_of(const char *text, uint8_t *out)
{
    if (!text || strlen(text) != 2 * DNS_COOKIE_SECRET_LEN)
        return false;
    for (int i = 0; i < DNS_COOKIE_SECRET_LEN; i++) {
        int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static void
pending_drop(struct fleet_cookies *fc)
{
    if (fc->pending)
        OPENSSL_cleanse(fc->pending, fc->pending_len);
    free(fc->pending);
    fc->pending = NULL;
    fc->pending_len = 0;
}

/* ---- what etcd holds, applied ---- */

/* The key is absent (or to be replaced): the timer makes it. */
static void
want_write(struct fleet_cookies *fc)
{
    fc->need_write = true;
    arm(fc, 0);
}

void
fcookies_apply(struct fleet_cookies *fc, const char *value, size_t len, int64_t mod_rev,
               bool resync)
{
    if (!fc || (!resync && mod_rev <= fc->mod_rev))
        return; /* this node's own write, or older */
    if (!value) {
        fc->mod_rev = 0;
        log_info("fleet: cookies: %s is not in etcd: making it (%s)", fc->key,
                 fc->shared ? "the current secret becomes the previous one"
                            : "this node's own secret meanwhile");
        want_write(fc);
        return;
    }
    if (resync && fc->shared && !fc->need_write && mod_rev == fc->mod_rev)
        return; /* what is in use */
    fc->mod_rev = mod_rev;
    json_t *v = json_loadb(value, len, 0, NULL);
    json_t *prev = json_object_get(v, "previous");
    const char *maker = json_string_value(json_object_get(v, "node"));
    uint8_t cur[DNS_COOKIE_SECRET_LEN], old[DNS_COOKIE_SECRET_LEN];
    bool ok = json_is_object(v) &&
              secret_of(json_string_value(json_object_get(v, "current")), cur) &&
              json_is_integer(json_object_get(v, "since")) &&
              json_integer_value(json_object_get(v, "since")) >= 0 &&
              json_integer_value(json_object_get(v, "since")) <= SINCE_MAX &&
              (!prev || json_is_null(prev) || secret_of(json_string_value(prev), old));
    bool has_prev = prev && !json_is_null(prev);
    if (!ok) {
        /* never the value in the log: it may hold a secret */
        log_warn("fleet: cookies: %s at revision %lld is not a cookie secret: replacing it",
                 fc->key, (long long)mod_rev);
        json_decref(v);
        want_write(fc);
        return;
    }
    fc->since = json_integer_value(json_object_get(v, "since"));
    snprintf(fc->maker, sizeof fc->maker, "%s", maker ? maker : "?");
    json_decref(v);
    bool changed = !fc->shared || memcmp(cur, fc->cur, sizeof cur) != 0 ||
                   has_prev != fc->has_prev || (has_prev && memcmp(old, fc->prev, sizeof old) != 0);
    if (changed) {
        memcpy(fc->cur, cur, sizeof cur);
        memcpy(fc->prev, has_prev ? old : cur, sizeof old);
        fc->has_prev = has_prev;
        dns_cookie_secrets_set(fc->ctx->cookies, fc->cur, has_prev ? fc->prev : NULL);
        log_info("fleet: cookies: using the fleet's secret of revision %lld, made by node %s "
                 "%lld s ago%s",
                 (long long)mod_rev, fc->maker, (long long)(time(NULL) - fc->since),
                 has_prev ? " (the previous one still accepted)" : "");
    }
    OPENSSL_cleanse(cur, sizeof cur);
    OPENSSL_cleanse(old, sizeof old);
    fc->shared = true;
    fc->need_write = false;
    fc->warned = false;
    int64_t left = fc->since + (int64_t)fc->rotate_s - (int64_t)time(NULL);
    if (left > (int64_t)fc->rotate_s) { /* made by a clock ahead of ours */
        log_rl_warn("fleet: cookies: %s was made %lld s in the future by our clock: rotating "
                    "it one period from now",
                    fc->key, (long long)(fc->since - (int64_t)time(NULL)));
        left = (int64_t)fc->rotate_s;
    }
    fc->due = clock_mono_s() + (left > 0 ? left : 0);
    arm(fc, left);
}

void
fcookies_ranged(struct fleet_cookies *fc, bool seen)
{
    if (fc && !seen)
        fcookies_apply(fc, NULL, 0, 0, true);
}

void
fcookies_unreachable(struct fleet_cookies *fc, const char *why)
{
    if (!fc || fc->shared || fc->warned)
        return;
    fc->warned = true;
    log_warn("fleet: cookies: the fleet's secret cannot be read (%s): this node makes cookies "
             "under its own secret, and those of the other nodes are not valid here, until etcd "
             "answers",
             why ? why : "etcd does not answer");
}

/* ---- writes: one at a time, each a transaction on the revision read ---- */

static void
on_reread(void *arg, int err, const char *why, int64_t revision, const struct etcd_kv *kvs,
          size_t n)
{
    struct fleet_cookies *fc = arg;
    (void)revision;
    fc->busy = false;
    if (err) {
        log_debug("fleet: cookies: cannot read %s: %s", fc->key, why ? why : gtm_strerror(err));
        arm(fc, RETRY_S);
        return;
    }
    size_t kl = strlen(fc->key);
    for (size_t i = 0; i < n; i++)
        if (kvs[i].key_len == kl && memcmp(kvs[i].key, fc->key, kl) == 0) {
            fcookies_apply(fc, kvs[i].value, kvs[i].value_len, kvs[i].mod_rev, true);
            return;
        }
    fcookies_apply(fc, NULL, 0, 0, true);
}

static void
on_written(void *arg, int err, const char *why, int64_t rev)
{
    struct fleet_cookies *fc = arg;
    fc->busy = false;
    if (err == 0) {
        fc->writes++;
        log_info("fleet: cookies: node %s %s the fleet's secret (etcd revision %lld)", fc->node,
                 fc->rotating ? "rotated" : "made", (long long)rev);
        fcookies_apply(fc, fc->pending, fc->pending_len, rev, false);
    } else if (err == GTM_EEXIST) {
        /* another node wrote it first (both timers fired): read its value */
        log_debug("fleet: cookies: %s changed meanwhile (%s): reading it", fc->key, why ? why : "");
        if (etcd_range_prefix(fc->etcd, fc->key, on_reread, fc) == 0)
            fc->busy = true;
        else
            arm(fc, RETRY_S);
    } else {
        log_rl_warn("fleet: cookies: cannot write %s: %s; keeping the secrets held, trying "
                    "again in %d s",
                    fc->key, why ? why : gtm_strerror(err), RETRY_S);
        arm(fc, RETRY_S);
    }
    pending_drop(fc);
}

/* Writes a new random current secret, the one in use (when it is etcd's)
 * becoming the previous one, if the key is still at fc->mod_rev. */
static void
write_secret(struct fleet_cookies *fc)
{
    uint8_t next[DNS_COOKIE_SECRET_LEN];
    if (RAND_bytes(next, sizeof next) != 1) {
        log_warn("fleet: cookies: no random bytes for a new secret; keeping the current one");
        arm(fc, RETRY_S);
        return;
    }
    char cur_hex[2 * DNS_COOKIE_SECRET_LEN + 1], prev_hex[2 * DNS_COOKIE_SECRET_LEN + 1];
    hex_of(next, cur_hex);
    hex_of(fc->cur, prev_hex);
    json_t *v = json_pack("{s:s,s:I,s:s}", "current", cur_hex, "since", (json_int_t)time(NULL),
                          "node", fc->node);
    if (v && fc->shared)
        json_object_set_new(v, "previous", json_string(prev_hex));
    pending_drop(fc);
    fc->pending = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(v); /* jansson frees its strings without cleansing: a short-lived copy */
    OPENSSL_cleanse(next, sizeof next);
    OPENSSL_cleanse(cur_hex, sizeof cur_hex);
    OPENSSL_cleanse(prev_hex, sizeof prev_hex);
    if (!fc->pending) {
        arm(fc, RETRY_S);
        return;
    }
    fc->pending_len = strlen(fc->pending);
    fc->rotating = !fc->need_write;
    if (etcd_cas(fc->etcd, fc->key, fc->pending, fc->pending_len, fc->mod_rev, on_written, fc) !=
        0) {
        pending_drop(fc);
        arm(fc, RETRY_S);
        return;
    }
    fc->busy = true;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fleet_cookies *fc = arg;
    (void)fd;
    (void)what;
    if (fc->busy)
        return; /* its outcome arms the timer again */
    if (fc->need_write) {
        write_secret(fc);
        return;
    }
    if (!fc->shared)
        return; /* nothing read yet: the range comes first */
    int64_t left = fc->due - clock_mono_s();
    if (left > 0)
        arm(fc, left);
    else
        write_secret(fc); /* due: whichever node comes first rotates */
}

static void
arm(struct fleet_cookies *fc, int64_t in_s)
{
    struct timeval tv = {(time_t)(in_s > 0 ? in_s : 0), 0};
    event_add(fc->timer, &tv);
}

/* ---- start, stop, observability ---- */

struct fleet_cookies *
fcookies_new(struct gtm_ctx *ctx, struct etcd *e, const char *prefix, const char *node,
             unsigned rotate_s)
{
    if (!ctx->cookies || ctx->opt->cookie_secret_given)
        return NULL; /* off, or a fixed secret: every node is given it */
    struct fleet_cookies *fc = xcalloc(1, sizeof *fc);
    fc->ctx = ctx;
    fc->etcd = e;
    size_t n = strlen(prefix) + sizeof FCOOKIES_KEY;
    fc->key = xmalloc(n);
    snprintf(fc->key, n, "%s%s", prefix, FCOOKIES_KEY);
    fc->node = node;
    fc->rotate_s = rotate_s ? rotate_s : 1;
    fc->timer = evtimer_new(ctx->base, timer_cb, fc);
    if (!fc->timer) {
        log_err("fleet: cookies: cannot make a timer");
        abort();
    }
    return fc;
}

void
fcookies_free(struct fleet_cookies *fc)
{
    if (!fc)
        return;
    event_free(fc->timer);
    pending_drop(fc);
    OPENSSL_cleanse(fc->cur, sizeof fc->cur);
    OPENSSL_cleanse(fc->prev, sizeof fc->prev);
    free(fc->key);
    free(fc);
}

json_t *
fcookies_json(const struct fleet_cookies *fc)
{
    if (!fc)
        return NULL;
    return json_pack("{s:b,s:I,s:I,s:s,s:I}", "shared", fc->shared, "revision",
                     (json_int_t)fc->mod_rev, "since", (json_int_t)fc->since, "node",
                     fc->shared ? fc->maker : "", "writes", (json_int_t)fc->writes);
}

void
fcookies_metrics(const struct fleet_cookies *fc, struct evbuffer *b)
{
    if (!fc)
        return;
    evbuffer_add_printf(b,
                        "# HELP gtmd_fleet_cookie_secret_shared 1 when the DNS cookie secrets "
                        "in use are the fleet's (from etcd)\n"
                        "# TYPE gtmd_fleet_cookie_secret_shared gauge\n"
                        "gtmd_fleet_cookie_secret_shared %d\n"
                        "# HELP gtmd_fleet_cookie_secret_writes_total DNS cookie secrets this "
                        "node made or rotated in etcd\n"
                        "# TYPE gtmd_fleet_cookie_secret_writes_total counter\n"
                        "gtmd_fleet_cookie_secret_writes_total %llu\n",
                        fc->shared ? 1 : 0, (unsigned long long)fc->writes);
}
