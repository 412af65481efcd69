/* etcd.h: the fleet's etcd client (SPEC §11): etcd's v3 API through its
 * JSON gateway (POST /v3/kv/range, /v3/kv/put, /v3/kv/txn,
 * /v3/kv/deleterange, /v3/watch, /v3/lease/grant, /v3/lease/keepalive,
 * /v3/lease/revoke, /v3/auth/authenticate), over libcurl, bodies by
 * jansson. Keys and values are plain bytes here: the gateway's base64 and
 * its int64-as-string fields are this file's business.
 *
 * Two ways to call it. Asynchronous calls run on the control loop's
 * event_base through a curl multi (gtm/curlev.h) and report to a callback
 * on the loop: the watch, leases, the node's own verdicts, resyncs. The
 * synchronous calls (suffix _sync) block the caller for at most the
 * configured timeout: the API's writes, which must not be acknowledged
 * before etcd committed them, and gtmctl. The answering threads never call
 * either.
 *
 * Endpoints: the URLs are tried in order, starting from the last that
 * answered; a URL that cannot be reached (connection refused, timeout) is
 * skipped for the next one within the same call. An error that etcd itself
 * returns (no leader, compare failed...) is not retried here.
 *
 * Loop thread only (or one thread of gtmctl). */
#ifndef GTM_FLEET_ETCD_H
#define GTM_FLEET_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct etcd;

struct etcd_config {
    const char *urls;      /* "http://127.0.0.1:2379[,URL...]" (comma-separated) */
    const char *cacert;    /* TLS: CA bundle that signed etcd's certificates, or NULL */
    const char *cert;      /* TLS client certificate, or NULL */
    const char *key;       /* its key, or NULL */
    const char *user_file; /* a file holding "user:password", or NULL: no authentication */
    uint32_t timeout_ms;   /* one request (the watch excepted); 0: 3000 */
};

/* One key-value pair as etcd holds it. key and value point into memory
 * valid during the callback only; value is not NUL-terminated in general
 * (value[value_len] is a NUL this file adds, for convenience). */
struct etcd_kv {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    int64_t create_rev, mod_rev, version, lease;
};

/* One change seen by a watch. For a delete, kv.value is empty, kv.mod_rev
 * is the deletion's revision, and prev (when the watch asked for it: it
 * always does) holds the value that was deleted, or is NULL. */
struct etcd_event {
    bool is_delete;
    struct etcd_kv kv;
    const struct etcd_kv *prev;
};

/* etcd_new: a client for cfg (strings copied). base: the loop the
 * asynchronous calls run on, or NULL for a client of synchronous calls
 * only. Reads cfg->user_file now. Returns NULL with the reason in why
 * (an unreadable or malformed user file, no URL, a URL that is not
 * http:// or https://). */
struct etcd *etcd_new(struct event_base *base, const struct etcd_config *cfg, char *why,
                      size_t whylen);

/* etcd_free: cancels every call in flight (no callback for them) and frees.
 * NULL is a no-op. */
void etcd_free(struct etcd *e);

/* etcd_url: the URL that answered last (for logs and metrics). */
const char *etcd_url(const struct etcd *e);

/* ---- asynchronous calls: each returns 0 (the callback will come, on a
 * later loop turn, exactly once unless etcd_free runs first) or GTM_EINVAL
 * (a client without a base, an empty key, a key and value together over
 * 1.5 MiB (etcd's default request limit), ttl_s or start_rev <= 0; no
 * callback). err in the callbacks: 0, or GTM_EIO with why: a short text,
 * valid during the callback, naming the URL and what went wrong
 * ("http://127.0.0.1:2379: connection refused", "etcdserver: no leader").
 * No callback runs inside curl: a callback may start calls, cancel or
 * replace the watch, or etcd_free the client. ---- */

/* A range's result: revision is the store's revision when it was read;
 * kvs[0..n) every key under the prefix, in key order. */
typedef void etcd_range_fn(void *arg, int err, const char *why, int64_t revision,
                           const struct etcd_kv *kvs, size_t n);

/* etcd_range_prefix: every key that starts with prefix. */
int etcd_range_prefix(struct etcd *e, const char *prefix, etcd_range_fn *cb, void *arg);

/* A put's or delete's result: revision is the revision of the change. */
typedef void etcd_done_fn(void *arg, int err, const char *why, int64_t revision);

/* etcd_put: key = value[0..len), attached to lease (0: none). */
int etcd_put(struct etcd *e, const char *key, const void *value, size_t len, int64_t lease,
             etcd_done_fn *cb, void *arg);

/* etcd_delete: deletes key (a key that is absent is no error). */
int etcd_delete(struct etcd *e, const char *key, etcd_done_fn *cb, void *arg);

/* etcd_cas: in one transaction, if key's mod revision is expect_mod (0:
 * the key is absent), puts value[0..len) (value NULL: deletes the key).
 * The callback's err: 0 (revision: the change's), GTM_EEXIST (the compare
 * failed; revision: the key's mod revision now, 0 if absent; why says
 * so), or GTM_EIO. */
int etcd_cas(struct etcd *e, const char *key, const void *value, size_t len, int64_t expect_mod,
             etcd_done_fn *cb, void *arg);

/* A lease's result: id and its ttl in seconds; for a keepalive, ttl <= 0
 * (err 0) means the lease is gone (expired or revoked). */
typedef void etcd_lease_fn(void *arg, int err, const char *why, int64_t id, int64_t ttl);

/* etcd_lease_grant: a new lease of ttl_s seconds. */
int etcd_lease_grant(struct etcd *e, int64_t ttl_s, etcd_lease_fn *cb, void *arg);

/* etcd_lease_keepalive: renews lease id once (the gateway's keepalive
 * stream, one request, one response). */
int etcd_lease_keepalive(struct etcd *e, int64_t id, etcd_lease_fn *cb, void *arg);

/* The watch: every event of one response of the stream, in revision order.
 * revision is the response header's (the store's revision when sent: in a
 * catch-up batch it is later than the batch's last event, so only a
 * response with no events, n == 0, says that everything up to it was
 * seen). n == 0 also for the response that says the watch was created: the
 * stream is up. */
typedef void etcd_watch_fn(void *arg, int64_t revision, const struct etcd_event *ev, size_t n);

/* The watch ended: err GTM_EIO with why (the stream broke, etcd went
 * away, or the watch was canceled by etcd); compact_revision > 0 when etcd
 * canceled it because start_rev had been compacted (the caller must range
 * again). Not called after etcd_watch_cancel. */
typedef void etcd_watch_end_fn(void *arg, int err, const char *why, int64_t compact_revision);

/* etcd_watch: watches every key under prefix from start_rev (> 0) on,
 * with prev_kv; one watch per client (a second call cancels the first).
 * The stream is read as it comes: each event is reported on the loop turn
 * its bytes arrive. */
int etcd_watch(struct etcd *e, const char *prefix, int64_t start_rev, etcd_watch_fn *cb,
               etcd_watch_end_fn *end, void *arg);

/* etcd_watch_cancel: stops the watch (no more callbacks). */
void etcd_watch_cancel(struct etcd *e);

/* ---- synchronous calls: block for at most the timeout per URL tried.
 * Return 0, GTM_EEXIST when a compare failed (the key's revision is no
 * longer expect_mod), GTM_EINVAL (an empty key, a key and value over
 * 1.5 MiB), or GTM_EIO with why. ---- */

/* etcd_cas_sync: in one transaction, if key's mod revision is expect_mod
 * (0: the key is absent), puts value[0..len) (value NULL: deletes the
 * key). *rev: the revision of the change (on success), or the key's mod
 * revision now, 0 if absent (on GTM_EEXIST). */
int etcd_cas_sync(struct etcd *e, const char *key, const void *value, size_t len,
                  int64_t expect_mod, int64_t *rev, char *why, size_t whylen);

/* etcd_put_sync, etcd_delete_sync: unconditional; *rev (may be NULL): the
 * revision of the change. */
int etcd_put_sync(struct etcd *e, const char *key, const void *value, size_t len, int64_t *rev,
                  char *why, size_t whylen);
int etcd_delete_sync(struct etcd *e, const char *key, int64_t *rev, char *why, size_t whylen);

/* etcd_lease_revoke_sync: revokes lease id (at shutdown: the node's keys
 * go at once instead of at the lease's end). A lease etcd no longer knows
 * (expired, revoked already) is no error: its keys are gone too. */
int etcd_lease_revoke_sync(struct etcd *e, int64_t id, char *why, size_t whylen);

#endif
