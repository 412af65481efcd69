/* test_etcd.c: fleet/etcd.c against a real etcd (3.4, /usr/bin/etcd) that
 * the test starts itself on free loopback ports (never 2379/2380, so a
 * system etcd does not matter) and kills at the end: puts and ranges of
 * binary values under prefixes, compare-and-swap, the asynchronous calls
 * on an event_base, the watch (puts, deletes with prev_kv, a compacted
 * start, etcd killed under it), leases (keepalive, revoke, expiry), URL
 * failover, an unreachable etcd, authentication with a token that expires,
 * and the user file's errors. Every test but the last needs the etcd of
 * the group setup; without /usr/bin/etcd they are skipped. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "fleet/etcd.h"
#include "gtm/err.h"
#include "unit.h"

#define ETCD_BIN "/usr/bin/etcd" /* $GTM_ETCD overrides it (a missing one: the tests skip) */

static pid_t etcd_pid;
static char *tmp; /* the data dir, the log, the user files */
static char url[64], closed_url[64];
static bool have_etcd;
static bool auth_on; /* test_auth turned authentication on */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* free_ports: n distinct loopback ports nobody listens on (bound to port 0
 * together, then closed). */
static int
free_ports(int *ports, int n)
{
    int fds[4];
    for (int i = 0; i < n; i++) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&sa, &len) != 0)
            return -1;
        ports[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
    return 0;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* post: a blocking POST of body to url+path outside the client under test
 * (health checks, compaction); returns the HTTP status, 0 on no answer. */
static long
post(const char *path, const char *body)
{
    char full[128];
    snprintf(full, sizeof full, "%s%s", url, path);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    return code;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void
stop_etcd(void)
{
    if (etcd_pid > 0) {
        kill(etcd_pid, SIGKILL);
        waitpid(etcd_pid, NULL, 0);
        etcd_pid = 0;
    }
}

static int
group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    tmp = tmpdir_new();
    if (!tmp)
        return -1;
    const char *bin = getenv("GTM_ETCD") ? getenv("GTM_ETCD") : ETCD_BIN;
    if (access(bin, X_OK) != 0)
        return 0; /* every test that needs etcd skips */
    int ports[3];
    if (free_ports(ports, 3) != 0)
        return -1;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ports[0]);
    snprintf(closed_url, sizeof closed_url, "http://127.0.0.1:%d", ports[2]);
    char peer[64], cluster[80], data[4200], log[4200];
    snprintf(peer, sizeof peer, "http://127.0.0.1:%d", ports[1]);
    snprintf(cluster, sizeof cluster, "t=%s", peer);
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(log, sizeof log, "%s/etcd.log", tmp);
    etcd_pid = fork();
    if (etcd_pid < 0)
        return -1;
    if (etcd_pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        /* a short election: the test's etcd is ready sooner; a short token
         * life: the test sees a token expire */
        execl(bin, "etcd", "--name", "t", "--data-dir", data, "--listen-client-urls", url,
              "--advertise-client-urls", url, "--listen-peer-urls", peer,
              "--initial-advertise-peer-urls", peer, "--initial-cluster", cluster,
              "--heartbeat-interval", "50", "--election-timeout", "500", "--auth-token", "simple",
              "--auth-token-ttl", "1", (char *)NULL);
        _exit(127);
    }
    double deadline = now_s() + 15;
    while (now_s() < deadline) {
        if (post("/health", NULL) == 200 && post("/v3/kv/range", "{\"key\":\"eA==\"}") == 200) {
            have_etcd = true;
            return 0;
        }
        if (waitpid(etcd_pid, NULL, WNOHANG) == etcd_pid) {
            etcd_pid = 0;
            break;
        }
        usleep(50 * 1000);
    }
    fprintf(stderr, "# etcd did not start; its log: %s\n", log);
    stop_etcd();
    return -1;
}

static int
group_teardown(void **state)
{
    (void)state;
    stop_etcd();
    if (tmp)
        nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(tmp);
    curl_global_cleanup();
    return 0;
}

#define NEED_ETCD()                                                                                \
    do {                                                                                           \
        if (!have_etcd)                                                                            \
            skip();                                                                                \
    } while (0)

static struct etcd *
client(struct event_base *base, const char *urls, const char *user_file)
{
    struct etcd_config cfg = {.urls = urls, .user_file = user_file, .timeout_ms = 2000};
    char why[256] = "";
    struct etcd *e = etcd_new(base, &cfg, why, sizeof why);
    if (!e)
        fail_msg("etcd_new: %s", why);
    return e;
}

/* ---- running the loop until the callbacks came ---- */

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(bool *)arg = true;
}

/* run: turns base until *count reaches want (fails after 5 s). */
static void
run(struct event_base *base, int *count, int want)
{
    bool late = false;
    struct event *t = evtimer_new(base, on_deadline, &late);
    struct timeval tv = {5, 0};
    evtimer_add(t, &tv);
    while (*count < want && !late)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    assert_false(late);
}

/* run_for: turns base for ms milliseconds. */
static void
run_for(struct event_base *base, int ms)
{
    bool late = false;
    struct event *t = evtimer_new(base, on_deadline, &late);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!late)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
}

/* What the callbacks saw. */
#define MAXKV 16
struct seen {
    struct etcd *e; /* on_done_free frees it */
    int calls;
    int err;
    char why[256];
    int64_t rev, id, ttl;
    size_t n;
    struct {
        char key[64];
        char value[64];
        size_t value_len;
        int64_t mod_rev, lease;
    } kv[MAXKV];
};

static void
on_range(void *arg, int err, const char *why, int64_t revision, const struct etcd_kv *kvs, size_t n)
{
    struct seen *s = arg;
    s->calls++;
    s->err = err;
    snprintf(s->why, sizeof s->why, "%s", why ? why : "");
    s->rev = revision;
    s->n = n;
    for (size_t i = 0; i < n && i < MAXKV; i++) {
        assert_true(kvs[i].key_len < sizeof s->kv[i].key);
        assert_true(kvs[i].value_len < sizeof s->kv[i].value);
        assert_int_equal(kvs[i].value[kvs[i].value_len], '\0');
        memcpy(s->kv[i].key, kvs[i].key, kvs[i].key_len + 1);
        memcpy(s->kv[i].value, kvs[i].value, kvs[i].value_len);
        s->kv[i].value_len = kvs[i].value_len;
        s->kv[i].mod_rev = kvs[i].mod_rev;
        s->kv[i].lease = kvs[i].lease;
    }
}

static void
on_done(void *arg, int err, const char *why, int64_t revision)
{
    struct seen *s = arg;
    s->calls++;
    s->err = err;
    snprintf(s->why, sizeof s->why, "%s", why ? why : "");
    s->rev = revision;
}

static void
on_lease(void *arg, int err, const char *why, int64_t id, int64_t ttl)
{
    struct seen *s = arg;
    s->calls++;
    s->err = err;
    snprintf(s->why, sizeof s->why, "%s", why ? why : "");
    s->id = id;
    s->ttl = ttl;
}

/* range: every key under prefix, read asynchronously through e. */
static void
range(struct event_base *base, struct etcd *e, const char *prefix, struct seen *s)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(etcd_range_prefix(e, prefix, on_range, s), 0);
    run(base, &s->calls, 1);
    assert_int_equal(s->calls, 1);
}

static void
put(struct etcd *e, const char *key, const void *v, size_t len, int64_t *rev)
{
    char why[256] = "";
    int rc = etcd_put_sync(e, key, v, len, rev, why, sizeof why);
    if (rc != 0)
        fail_msg("put %s: %s", key, why);
}

/* ---- the tests ---- */

static void
test_user_file(void **state)
{
    (void)state;
    struct {
        const char *text; /* NULL: no such file */
        const char *urls;
        const char *why;
    } cases[] = {
        {NULL, "http://127.0.0.1:1", "No such file"},
        {"nocolon\n", "http://127.0.0.1:1", "expected user:password"},
        {":pw\n", "http://127.0.0.1:1", "expected user:password"},
        {"u:pw\nmore\n", "http://127.0.0.1:1", "more than one line"},
        {"u:pw\n", NULL, "no URL"},
        {"u:pw\n", " , ", "no URL"},
        {"u:pw\n", "ftp://127.0.0.1:1", "ftp://127.0.0.1:1: not an http:// or https:// URL"},
        {"u:pw\n", "http://127.0.0.1:1,127.0.0.1:2", "127.0.0.1:2: not an http"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32], *path;
        snprintf(name, sizeof name, "user%zu", i);
        if (cases[i].text) {
            path = tmpfile_write(tmp, name, cases[i].text);
        } else {
            path = malloc(4200);
            snprintf(path, 4200, "%s/absent", tmp);
        }
        struct etcd_config cfg = {.urls = cases[i].urls, .user_file = path};
        char why[256] = "";
        struct etcd *e = etcd_new(NULL, &cfg, why, sizeof why);
        assert_null(e);
        if (!strstr(why, cases[i].why))
            fail_msg("case %zu: %s", i, why);
        free(path);
    }
    /* a good one: "user:pass:word" (the password may hold a colon), no
     * end of line; trailing slashes of URLs are dropped */
    char *path = tmpfile_write(tmp, "good", "u:pass:word");
    struct etcd_config cfg = {.urls = " http://127.0.0.1:1/ , https://h:2", .user_file = path};
    char why[256] = "";
    struct etcd *e = etcd_new(NULL, &cfg, why, sizeof why);
    assert_non_null(e);
    assert_string_equal(etcd_url(e), "http://127.0.0.1:1");
    /* a client without a loop makes no asynchronous call */
    struct seen s = {0};
    assert_int_equal(etcd_put(e, "k", "v", 1, 0, on_done, &s), GTM_EINVAL);
    assert_int_equal(etcd_range_prefix(e, "k", on_range, &s), GTM_EINVAL);
    etcd_free(e);
    etcd_free(NULL);
    free(path);
}

static void
test_put_range(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    /* values of every length modulo 3 (base64 padding), NUL and 0xff
     * bytes, the empty value */
    static const struct {
        const char *key;
        const char *value;
        size_t len;
    } kvs[] = {
        {"p/a", "", 0},
        {"p/b", "\0", 1},
        {"p/c", "\xff\0x", 3},
        {"p/d", "ab\0\xfe", 4},
        {"p/\xff", "end", 3},
        {"p0", "after p/", 8},
        {"q\xff"
         "1",
         "q", 1},
        {"r", "r", 1},
        {"o", "before", 6},
    };
    int64_t last = 0;
    for (size_t i = 0; i < sizeof kvs / sizeof kvs[0]; i++) {
        int64_t rev = 0;
        put(e, kvs[i].key, kvs[i].value, kvs[i].len, &rev);
        assert_true(rev > last);
        last = rev;
    }
    struct seen s;
    range(base, e, "p/", &s);
    assert_int_equal(s.err, 0);
    assert_true(s.rev >= last);
    assert_int_equal(s.n, 5); /* not p0: range_end is "p0" */
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(s.kv[i].key, kvs[i].key);
        assert_int_equal(s.kv[i].value_len, kvs[i].len);
        assert_memory_equal(s.kv[i].value, kvs[i].value, kvs[i].len);
        assert_true(s.kv[i].mod_rev > 0);
    }
    /* a prefix ending in 0xff: range_end is "r" */
    range(base, e, "q\xff", &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.kv[0].key, "q\xff"
                                     "1");
    range(base, e, "nothing/", &s);
    assert_int_equal(s.err, 0);
    assert_int_equal(s.n, 0);
    assert_true(s.rev >= last);
    /* the empty prefix: every key */
    range(base, e, "", &s);
    assert_true(s.n >= sizeof kvs / sizeof kvs[0]);
    etcd_free(e);
    event_base_free(base);
}

static void
test_cas(void **state)
{
    (void)state;
    NEED_ETCD();
    struct etcd *e = client(NULL, url, NULL);
    char why[256] = "";
    int64_t r1 = 0, r2 = 0, rev = -1;
    assert_int_equal(etcd_cas_sync(e, "cas/k", "one", 3, 0, &r1, why, sizeof why), 0);
    assert_true(r1 > 0);
    /* absent expected, present found: its mod revision comes back */
    assert_int_equal(etcd_cas_sync(e, "cas/k", "two", 3, 0, &rev, why, sizeof why), GTM_EEXIST);
    assert_int_equal(rev, r1);
    assert_int_equal(etcd_cas_sync(e, "cas/k", "two", 3, r1 + 100, &rev, why, sizeof why),
                     GTM_EEXIST);
    assert_int_equal(rev, r1);
    assert_int_equal(etcd_cas_sync(e, "cas/k", "two", 3, r1, &r2, why, sizeof why), 0);
    assert_true(r2 > r1);
    /* a delete that compares */
    assert_int_equal(etcd_cas_sync(e, "cas/k", NULL, 0, r1, &rev, why, sizeof why), GTM_EEXIST);
    assert_int_equal(rev, r2);
    int64_t r3 = 0;
    assert_int_equal(etcd_cas_sync(e, "cas/k", NULL, 0, r2, &r3, why, sizeof why), 0);
    assert_true(r3 > r2);
    /* the key is gone: a compare on it sees 0 */
    assert_int_equal(etcd_cas_sync(e, "cas/k", "x", 1, r2, &rev, why, sizeof why), GTM_EEXIST);
    assert_int_equal(rev, 0);
    assert_int_equal(etcd_cas_sync(e, "cas/k", "x", 1, 0, &rev, why, sizeof why), 0);
    /* unconditional delete; an absent key is no error */
    int64_t r4 = 0, r5 = 0;
    assert_int_equal(etcd_delete_sync(e, "cas/k", &r4, why, sizeof why), 0);
    assert_true(r4 > r3);
    assert_int_equal(etcd_delete_sync(e, "cas/k", &r5, why, sizeof why), 0);
    assert_int_equal(etcd_delete_sync(e, "cas/k", NULL, why, sizeof why), 0);
    etcd_free(e);
}

/* The asynchronous transaction: two creators at once, one wins (the other
 * learns the winner's revision); then a compare on the revision read. */
static void
test_cas_async(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    struct seen a = {0}, b = {0}, c = {0}, s;
    assert_int_equal(etcd_cas(e, "acas/k", "a", 1, 0, on_done, &a), 0);
    assert_int_equal(etcd_cas(e, "acas/k", "b", 1, 0, on_done, &b), 0);
    run(base, &a.calls, 1);
    run(base, &b.calls, 1);
    struct seen *won = a.err == 0 ? &a : &b, *lost = a.err == 0 ? &b : &a;
    assert_int_equal(won->err, 0);
    assert_int_equal(lost->err, GTM_EEXIST);
    assert_int_equal(lost->rev, won->rev); /* the key's mod revision now */
    assert_non_null(strstr(lost->why, "expected 0"));
    range(base, e, "acas/", &s);
    assert_int_equal(s.n, 1);
    assert_memory_equal(s.kv[0].value, won == &a ? "a" : "b", 1);
    /* a stale revision fails, the one read succeeds */
    assert_int_equal(etcd_cas(e, "acas/k", "c", 1, won->rev - 1, on_done, &c), 0);
    run(base, &c.calls, 1);
    assert_int_equal(c.err, GTM_EEXIST);
    memset(&c, 0, sizeof c);
    assert_int_equal(etcd_cas(e, "acas/k", "c", 1, won->rev, on_done, &c), 0);
    run(base, &c.calls, 1);
    assert_int_equal(c.err, 0);
    assert_true(c.rev > won->rev);
    range(base, e, "acas/", &s);
    assert_memory_equal(s.kv[0].value, "c", 1);
    assert_int_equal(s.kv[0].mod_rev, c.rev);
    assert_int_equal(etcd_cas(e, "", "x", 1, 0, on_done, &c), GTM_EINVAL);
    etcd_free(e);
    event_base_free(base);
}

static void
test_async(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    struct seen p1 = {0}, p2 = {0}, d = {0}, s;
    assert_int_equal(etcd_put(e, "as/1", "v1", 2, 0, on_done, &p1), 0);
    assert_int_equal(etcd_put(e, "as/2", "v2", 2, 0, on_done, &p2), 0);
    assert_int_equal(p1.calls + p2.calls, 0); /* never before the loop runs */
    run(base, &p1.calls, 1);
    run(base, &p2.calls, 1);
    assert_int_equal(p1.err, 0);
    assert_int_equal(p2.err, 0);
    assert_true(p1.rev > 0 && p2.rev > 0 && p1.rev != p2.rev);
    range(base, e, "as/", &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.kv[1].value_len, 2);
    assert_memory_equal(s.kv[1].value, "v2", 2);
    assert_int_equal(etcd_delete(e, "as/1", on_done, &d), 0);
    run(base, &d.calls, 1);
    assert_int_equal(d.err, 0);
    assert_true(d.rev > p2.rev || d.rev > p1.rev);
    range(base, e, "as/", &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.kv[0].key, "as/2");
    /* calls in flight when the client goes: no callback */
    struct seen late = {0};
    assert_int_equal(etcd_put(e, "as/3", "x", 1, 0, on_done, &late), 0);
    assert_int_equal(etcd_range_prefix(e, "as/", on_range, &late), 0);
    etcd_free(e);
    run_for(base, 100);
    assert_int_equal(late.calls, 0);
    event_base_free(base);
}

/* The watch's callbacks: events flattened, the end. */
struct watched {
    int events, ends;
    int quiet; /* responses without events: the watch created, progress */
    struct etcd *e;
    bool cancel_in_cb;
    int end_err;
    char end_why[256];
    int64_t compact;
    struct {
        bool is_delete;
        char key[32], value[32], prev[32];
        bool has_prev;
        int64_t mod_rev;
    } ev[MAXKV];
};

static void
on_watch(void *arg, int64_t revision, const struct etcd_event *ev, size_t n)
{
    struct watched *w = arg;
    if (n == 0) {
        assert_null(ev);
        w->quiet++;
        return;
    }
    assert_true(revision > 0);
    for (size_t i = 0; i < n && w->events < MAXKV; i++, w->events++) {
        assert_true(ev[i].kv.mod_rev <= revision);
        w->ev[w->events].is_delete = ev[i].is_delete;
        snprintf(w->ev[w->events].key, sizeof w->ev[0].key, "%s", ev[i].kv.key);
        snprintf(w->ev[w->events].value, sizeof w->ev[0].value, "%s", ev[i].kv.value);
        w->ev[w->events].mod_rev = ev[i].kv.mod_rev;
        w->ev[w->events].has_prev = ev[i].prev != NULL;
        if (ev[i].prev)
            snprintf(w->ev[w->events].prev, sizeof w->ev[0].prev, "%s", ev[i].prev->value);
    }
    if (w->cancel_in_cb)
        etcd_watch_cancel(w->e);
}

static void
on_watch_end(void *arg, int err, const char *why, int64_t compact_revision)
{
    struct watched *w = arg;
    w->ends++;
    w->end_err = err;
    snprintf(w->end_why, sizeof w->end_why, "%s", why ? why : "");
    w->compact = compact_revision;
}

static void
test_watch(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    int64_t r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    put(e, "w/a", "1", 1, &r0);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "w/", r0, on_watch, on_watch_end, &w), 0);
    /* the first event is older than the watch: it comes from r0 on */
    run(base, &w.events, 1);
    assert_int_equal(w.quiet, 1); /* "created" came first, with no events */
    put(e, "w/a", "2", 1, &r1);
    put(e, "x/other", "no", 2, NULL);
    put(e, "w/b", "3", 1, &r2);
    char why[256];
    assert_int_equal(etcd_delete_sync(e, "w/a", &r3, why, sizeof why), 0);
    run(base, &w.events, 4);
    run_for(base, 100);
    assert_int_equal(w.events, 4);
    assert_int_equal(w.ends, 0);
    assert_false(w.ev[0].is_delete);
    assert_string_equal(w.ev[0].key, "w/a");
    assert_string_equal(w.ev[0].value, "1");
    assert_int_equal(w.ev[0].mod_rev, r0);
    assert_false(w.ev[0].has_prev);
    assert_string_equal(w.ev[1].value, "2");
    assert_true(w.ev[1].has_prev);
    assert_string_equal(w.ev[1].prev, "1");
    assert_int_equal(w.ev[1].mod_rev, r1);
    assert_string_equal(w.ev[2].key, "w/b");
    assert_int_equal(w.ev[2].mod_rev, r2);
    assert_false(w.ev[2].has_prev);
    assert_true(w.ev[3].is_delete);
    assert_string_equal(w.ev[3].key, "w/a");
    assert_string_equal(w.ev[3].value, "");
    assert_int_equal(w.ev[3].mod_rev, r3);
    assert_true(w.ev[3].has_prev);
    assert_string_equal(w.ev[3].prev, "2");
    /* canceled from its own callback: no more events, no end */
    w.cancel_in_cb = true;
    put(e, "w/c", "4", 1, NULL);
    run(base, &w.events, 5);
    put(e, "w/d", "5", 1, NULL);
    run_for(base, 200);
    assert_int_equal(w.events, 5);
    assert_int_equal(w.ends, 0);
    /* a second watch replaces the first; freeing the client ends it
     * without a callback */
    struct watched w2 = {.e = e}, w3 = {.e = e};
    assert_int_equal(etcd_watch(e, "w/", r0, on_watch, on_watch_end, &w2), 0);
    assert_int_equal(etcd_watch(e, "w/", r3, on_watch, on_watch_end, &w3), 0);
    run(base, &w3.events, 1);
    run_for(base, 100);
    assert_int_equal(w2.events + w2.ends, 0);
    assert_true(w3.ev[0].is_delete);
    etcd_free(e);
    run_for(base, 50);
    assert_int_equal(w3.ends, 0);
    event_base_free(base);
}

static void
test_watch_compacted(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    int64_t r1 = 0, r2 = 0;
    put(e, "c/k", "1", 1, &r1);
    put(e, "c/k", "2", 1, &r2);
    char body[64];
    snprintf(body, sizeof body, "{\"revision\":\"%lld\",\"physical\":true}", (long long)r2);
    assert_int_equal(post("/v3/kv/compaction", body), 200);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "c/", r1, on_watch, on_watch_end, &w), 0);
    run(base, &w.ends, 1);
    assert_int_equal(w.events, 0);
    assert_int_equal(w.end_err, GTM_EIO);
    assert_int_equal(w.compact, r2);
    assert_non_null(strstr(w.end_why, "compacted"));
    etcd_free(e);
    event_base_free(base);
}

static void
test_lease(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    struct seen g = {0}, k = {0}, p = {0}, s;
    assert_int_equal(etcd_lease_grant(e, 30, on_lease, &g), 0);
    run(base, &g.calls, 1);
    assert_int_equal(g.err, 0);
    assert_true(g.id != 0);
    assert_int_equal(g.ttl, 30);
    assert_int_equal(etcd_lease_keepalive(e, g.id, on_lease, &k), 0);
    run(base, &k.calls, 1);
    assert_int_equal(k.err, 0);
    assert_int_equal(k.id, g.id);
    assert_true(k.ttl > 0 && k.ttl <= 30);
    assert_int_equal(etcd_put(e, "l/node", "up", 2, g.id, on_done, &p), 0);
    run(base, &p.calls, 1);
    assert_int_equal(p.err, 0);
    range(base, e, "l/", &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.kv[0].lease, g.id);
    char why[256] = "";
    assert_int_equal(etcd_lease_revoke_sync(e, g.id, why, sizeof why), 0);
    range(base, e, "l/", &s);
    assert_int_equal(s.n, 0);
    /* revoked: a keepalive says it is gone; revoking again is no error */
    memset(&k, 0, sizeof k);
    assert_int_equal(etcd_lease_keepalive(e, g.id, on_lease, &k), 0);
    run(base, &k.calls, 1);
    assert_int_equal(k.err, 0);
    assert_true(k.ttl <= 0);
    assert_int_equal(etcd_lease_revoke_sync(e, g.id, why, sizeof why), 0);

    /* a lease that nobody keeps alive expires */
    memset(&g, 0, sizeof g);
    assert_int_equal(etcd_lease_grant(e, 2, on_lease, &g), 0);
    run(base, &g.calls, 1);
    assert_int_equal(g.err, 0);
    memset(&p, 0, sizeof p);
    assert_int_equal(etcd_put(e, "l/short", "x", 1, g.id, on_done, &p), 0);
    run(base, &p.calls, 1);
    assert_int_equal(p.err, 0);
    usleep(3200 * 1000);
    memset(&k, 0, sizeof k);
    assert_int_equal(etcd_lease_keepalive(e, g.id, on_lease, &k), 0);
    run(base, &k.calls, 1);
    assert_int_equal(k.err, 0);
    assert_true(k.ttl <= 0);
    range(base, e, "l/", &s);
    assert_int_equal(s.n, 0);
    etcd_free(e);
    event_base_free(base);
}

static void
test_failover(void **state)
{
    (void)state;
    NEED_ETCD();
    char urls[160];
    snprintf(urls, sizeof urls, "%s,%s", closed_url, url);
    struct etcd *e = client(NULL, urls, NULL);
    assert_string_equal(etcd_url(e), closed_url);
    int64_t rev = 0;
    put(e, "f/sync", "1", 1, &rev);
    assert_true(rev > 0);
    assert_string_equal(etcd_url(e), url); /* and it starts there next time */
    put(e, "f/sync", "2", 1, &rev);
    etcd_free(e);

    struct event_base *base = event_base_new();
    e = client(base, urls, NULL);
    struct seen p = {0}, s;
    assert_int_equal(etcd_put(e, "f/async", "1", 1, 0, on_done, &p), 0);
    run(base, &p.calls, 1);
    assert_int_equal(p.err, 0);
    assert_string_equal(etcd_url(e), url);
    range(base, e, "f/", &s);
    assert_int_equal(s.n, 2);
    etcd_free(e);

    /* the watch fails over too */
    e = client(base, urls, NULL);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "f/", rev, on_watch, on_watch_end, &w), 0);
    run(base, &w.events, 2);
    assert_int_equal(w.ends, 0);
    etcd_free(e);
    event_base_free(base);
}

static void
test_unreachable(void **state)
{
    (void)state;
    NEED_ETCD(); /* for closed_url */
    struct event_base *base = event_base_new();
    char urls[160];
    snprintf(urls, sizeof urls, "%s,%s/", closed_url, closed_url);
    struct etcd *e = client(base, urls, NULL);
    char why[256] = "";
    double t0 = now_s();
    assert_int_equal(etcd_put_sync(e, "u", "x", 1, NULL, why, sizeof why), GTM_EIO);
    assert_true(now_s() - t0 < 1.5);
    assert_non_null(strstr(why, closed_url));
    int64_t rev = 1;
    assert_int_equal(etcd_cas_sync(e, "u", "x", 1, 0, &rev, why, sizeof why), GTM_EIO);
    assert_int_equal(etcd_delete_sync(e, "u", NULL, why, sizeof why), GTM_EIO);
    assert_int_equal(etcd_lease_revoke_sync(e, 1, why, sizeof why), GTM_EIO);
    struct seen p = {0}, r = {0}, l = {0};
    assert_int_equal(etcd_put(e, "u", "x", 1, 0, on_done, &p), 0);
    assert_int_equal(etcd_range_prefix(e, "u", on_range, &r), 0);
    assert_int_equal(etcd_lease_grant(e, 5, on_lease, &l), 0);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "u", 1, on_watch, on_watch_end, &w), 0);
    run(base, &p.calls, 1);
    run(base, &r.calls, 1);
    run(base, &l.calls, 1);
    run(base, &w.ends, 1);
    assert_true(now_s() - t0 < 3);
    assert_int_equal(p.err, GTM_EIO);
    assert_non_null(strstr(p.why, closed_url));
    assert_int_equal(r.err, GTM_EIO);
    assert_int_equal(r.n, 0);
    assert_int_equal(l.err, GTM_EIO);
    assert_int_equal(w.end_err, GTM_EIO);
    assert_non_null(strstr(w.end_why, closed_url));
    etcd_free(e);
    event_base_free(base);
}

/* Frees the client from its own callback. */
static void
on_done_free(void *arg, int err, const char *why, int64_t revision)
{
    struct seen *s = arg;
    on_done(arg, err, why, revision);
    etcd_free(s->e);
}

static void
test_free_in_callback(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    struct seen a = {.e = e}, b = {0};
    int64_t rev = 0;
    put(e, "fr/0", "0", 1, &rev);
    assert_int_equal(etcd_put(e, "fr/a", "1", 1, 0, on_done_free, &a), 0);
    assert_int_equal(etcd_put(e, "fr/b", "1", 1, 0, on_done, &b), 0);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "fr/", rev, on_watch, on_watch_end, &w), 0);
    run(base, &a.calls, 1);
    run_for(base, 200);
    assert_int_equal(a.calls, 1);
    assert_int_equal(w.ends, 0);
    event_base_free(base);
}

static void
test_auth(void **state)
{
    (void)state;
    NEED_ETCD();
    /* root with the root role, then authentication on, through the gateway */
    assert_int_equal(post("/v3/auth/role/add", "{\"name\":\"root\"}"), 200);
    assert_int_equal(post("/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"pw\"}"), 200);
    assert_int_equal(post("/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}"), 200);
    assert_int_equal(post("/v3/auth/enable", "{}"), 200);

    struct event_base *base = event_base_new();
    char *good = tmpfile_write(tmp, "root", "root:pw\n");
    char *bad = tmpfile_write(tmp, "bad", "root:wrong\n");
    struct etcd *e = client(base, url, good);
    struct etcd *anon = client(NULL, url, NULL);
    struct etcd *wrong = client(NULL, url, bad);
    char why[256] = "";
    int64_t rev = 0;
    assert_int_equal(etcd_put_sync(anon, "a/k", "1", 1, NULL, why, sizeof why), GTM_EIO);
    assert_int_equal(etcd_put_sync(wrong, "a/k", "1", 1, NULL, why, sizeof why), GTM_EIO);
    assert_non_null(strstr(why, "authentication failed"));
    put(e, "a/k", "1", 1, &rev);
    struct seen s;
    range(base, e, "a/", &s);
    assert_int_equal(s.err, 0);
    assert_int_equal(s.n, 1);
    /* the token lives 1 s (--auth-token-ttl; etcd checks every second):
     * the next call, and then the next watch, get a new one */
    usleep(2300 * 1000);
    put(e, "a/k", "2", 1, &rev);
    usleep(2300 * 1000);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "a/", rev, on_watch, on_watch_end, &w), 0);
    run(base, &w.events, 1);
    assert_string_equal(w.ev[0].value, "2");
    etcd_watch_cancel(e);

    auth_on = true; /* stays on: the next test authenticates too */
    etcd_free(e);
    etcd_free(anon);
    etcd_free(wrong);
    event_base_free(base);
    free(good);
    free(bad);
}

/* A large value: bodies over 1 KiB, a watch object over many chunks. */
#define BIG (600 * 1024)
static unsigned char big[BIG];
static int big_seen;

static void
on_big_range(void *arg, int err, const char *why, int64_t revision, const struct etcd_kv *kvs,
             size_t n)
{
    (void)why;
    (void)revision;
    assert_int_equal(err, 0);
    assert_int_equal(n, 1);
    assert_int_equal(kvs[0].value_len, BIG);
    assert_memory_equal(kvs[0].value, big, BIG);
    (*(int *)arg)++;
}

static void
on_big_watch(void *arg, int64_t revision, const struct etcd_event *ev, size_t n)
{
    (void)revision;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i].kv.value_len, BIG);
        assert_memory_equal(ev[i].kv.value, big, BIG);
        if (big_seen > 0) { /* the second put: its prev is the first */
            assert_non_null(ev[i].prev);
            assert_int_equal(ev[i].prev->value_len, BIG);
        }
        ((struct watched *)arg)->events++;
        big_seen++;
    }
}

static void
test_big_value(void **state)
{
    (void)state;
    NEED_ETCD();
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 7 + i / 251);
    struct event_base *base = event_base_new();
    struct etcd *e = client(base, url, NULL);
    int64_t rev = 0;
    put(e, "big/1", big, BIG, &rev);
    int ranges = 0;
    assert_int_equal(etcd_range_prefix(e, "big/", on_big_range, &ranges), 0);
    run(base, &ranges, 1);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "big/", rev, on_big_watch, on_watch_end, &w), 0);
    run(base, &w.events, 1);
    put(e, "big/1", big, BIG, NULL);
    run(base, &w.events, 2);
    assert_int_equal(w.ends, 0);
    /* over etcd's default request limit: refused here */
    char why[256];
    static unsigned char huge[2 * 1024 * 1024];
    assert_int_equal(etcd_put_sync(e, "big/2", huge, sizeof huge, NULL, why, sizeof why),
                     GTM_EINVAL);
    struct seen s = {0};
    assert_int_equal(etcd_put(e, "big/2", huge, sizeof huge, 0, on_done, &s), GTM_EINVAL);
    assert_int_equal(etcd_put(e, "", "x", 1, 0, on_done, &s), GTM_EINVAL);
    etcd_free(e);
    event_base_free(base);
}

/* ---- a hostile etcd: an HTTP server in the test answering garbage ---- */

static struct {
    int code;
    const char *body;
    size_t big;  /* > 0: a body of this size instead, an unclosed JSON string */
    bool stream; /* chunked, as the watch's stream */
    int requests;
} fake;

static void
fake_cb(struct evhttp_request *req, void *arg)
{
    (void)arg;
    fake.requests++;
    struct evbuffer *b = evbuffer_new();
    if (fake.big) {
        evbuffer_add_printf(b, "{\"result\":{\"x\":\"");
        char chunk[4096];
        memset(chunk, 'a', sizeof chunk);
        for (size_t n = 0; n < fake.big; n += sizeof chunk)
            evbuffer_add(b, chunk, sizeof chunk);
    } else {
        evbuffer_add(b, fake.body, strlen(fake.body));
    }
    if (fake.stream) {
        evhttp_send_reply_start(req, fake.code, "x");
        /* the end follows at once (an open reply would leak in evhttp): the
         * client must still report what the object says, not the end */
        evhttp_send_reply_chunk(req, b);
        evhttp_send_reply_end(req);
    } else {
        evhttp_send_reply(req, fake.code, "x", b);
    }
    evbuffer_free(b);
}

static void
test_hostile(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_gencb(http, fake_cb, NULL);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    assert_non_null(sock);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(evhttp_bound_socket_get_fd(sock), (void *)&sa, &len), 0);
    char urls[128], first[64];
    snprintf(first, sizeof first, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    snprintf(urls, sizeof urls, "%s,%s", first, first);
    struct etcd *e = client(base, urls, NULL);
    enum { RANGE, PUT, GRANT, KEEPALIVE, WATCH };
    static const struct {
        int call;
        int code;
        const char *body;
        size_t big;
        const char *why;
    } cases[] = {
        {RANGE, 200, "not json", 0, "malformed response"},
        {RANGE, 200, "[1]", 0, "malformed response"},
        {RANGE, 200, "", 0, "malformed response"},
        {RANGE, 200, "{\"kvs\":5}", 0, "malformed range response"},
        {RANGE, 200, "{\"kvs\":[{\"key\":\"!!!!\"}]}", 0, "malformed range response"},
        {RANGE, 200, "{\"kvs\":[{\"key\":\"YQ=\"}]}", 0, "malformed range response"},
        {RANGE, 200, "{\"kvs\":[{\"value\":\"YQ==\"}]}", 0, "malformed range response"},
        {RANGE, 200, "{\"kvs\":[{\"key\":\"YQ=a\"}]}", 0, "malformed range response"},
        {RANGE, 200, "{\"kvs\":[{\"key\":\"YQ==\",\"version\":\"1x\"}]}", 0,
         "malformed range response"},
        {RANGE, 200, "{\"kvs\":[5]}", 0, "malformed range response"},
        {RANGE, 200, "{\"header\":{\"revision\":{}}}", 0, "malformed range response"},
        {RANGE, 200, "{\"header\":[]}", 0, "malformed range response"},
        {RANGE, 503,
         "{\"error\":\"etcdserver: no leader\",\"code\":14,\"message\":\"etcdserver: no "
         "leader\"}",
         0, "etcdserver: no leader"},
        {RANGE, 200, "{\"error\":{\"message\":\"stream error\"}}", 0, "stream error"},
        {RANGE, 404, "404 page not found", 0, "HTTP 404"},
        {PUT, 200, "", 100 * 1024, "larger than"},
        {PUT, 200, "{\"header\":{\"revision\":true}}", 0, "malformed response"},
        {GRANT, 200, "{\"ID\":\"1\"}", 0, "malformed lease response"},
        {GRANT, 200, "{\"ID\":\"1\",\"TTL\":\"99999999999999999999\"}", 0,
         "malformed lease response"},
        {KEEPALIVE, 200, "{\"result\":5}", 0, "malformed lease response"},
        {KEEPALIVE, 200, "{\"ID\":\"1\",\"TTL\":\"5\"}", 0, "malformed lease response"},
        {WATCH, 200, "{\"result\":{\"created\":true}}garbage", 0, "malformed stream"},
        {WATCH, 200, "{\"result\":{\"events\":[{\"type\":\"BOGUS\",\"kv\":{\"key\":\"YQ==\"}}]}}",
         0, "malformed watch event"},
        {WATCH, 200, "{\"result\":{\"events\":[{\"kv\":{\"key\":5}}]}}", 0,
         "malformed watch event"},
        {WATCH, 200, "{\"result\":{\"events\":{}}}", 0, "malformed watch event"},
        {WATCH, 200, "{\"result\":{\"canceled\":\"yes\"}}", 0, "malformed watch response"},
        {WATCH, 200, "{\"result\":{\"canceled\":true,\"cancel_reason\":\"bye\"}}", 0, "bye"},
        {WATCH, 200, "{\"error\":{\"grpc_code\":14,\"message\":\"no leader\"}}", 0, "no leader"},
        {WATCH, 200, "", 5 * 1024 * 1024, "larger than 4 MiB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake.code = cases[i].code;
        fake.body = cases[i].body;
        fake.big = cases[i].big;
        fake.stream = cases[i].call == WATCH;
        fake.requests = 0;
        struct seen s = {0};
        struct watched w = {.e = e};
        switch (cases[i].call) {
        case RANGE:
            assert_int_equal(etcd_range_prefix(e, "k", on_range, &s), 0);
            break;
        case PUT:
            assert_int_equal(etcd_put(e, "k", "v", 1, 0, on_done, &s), 0);
            break;
        case GRANT:
            assert_int_equal(etcd_lease_grant(e, 5, on_lease, &s), 0);
            break;
        case KEEPALIVE:
            assert_int_equal(etcd_lease_keepalive(e, 1, on_lease, &s), 0);
            break;
        case WATCH:
            assert_int_equal(etcd_watch(e, "k", 1, on_watch, on_watch_end, &w), 0);
            run(base, &w.ends, 1);
            s.calls = 1;
            s.err = w.end_err;
            snprintf(s.why, sizeof s.why, "%s", w.end_why);
            break;
        }
        run(base, &s.calls, 1);
        if (s.err != GTM_EIO || !strstr(s.why, cases[i].why))
            fail_msg("case %zu: err %d why \"%s\"", i, s.err, s.why);
        assert_int_equal(w.events, 0);
        /* what etcd answers is not retried on the next URL */
        assert_int_equal(fake.requests, 1);
    }
    etcd_free(e);
    evhttp_free(http);
    event_base_free(base);
}

/* Last: etcd goes away under a watch. */
static void
test_etcd_killed(void **state)
{
    (void)state;
    NEED_ETCD();
    struct event_base *base = event_base_new();
    char user[4200];
    snprintf(user, sizeof user, "%s/root", tmp);
    struct etcd *e = client(base, url, auth_on ? user : NULL);
    int64_t rev = 0;
    put(e, "k/a", "1", 1, &rev);
    struct watched w = {.e = e};
    assert_int_equal(etcd_watch(e, "k/", rev, on_watch, on_watch_end, &w), 0);
    run(base, &w.events, 1);
    assert_int_equal(w.ends, 0);
    stop_etcd();
    run(base, &w.ends, 1);
    assert_int_equal(w.end_err, GTM_EIO);
    assert_non_null(strstr(w.end_why, url));
    etcd_free(e);
    event_base_free(base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_file),
        cmocka_unit_test(test_put_range),
        cmocka_unit_test(test_cas),
        cmocka_unit_test(test_cas_async),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_watch_compacted),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_free_in_callback),
        cmocka_unit_test(test_big_value),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_etcd_killed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
