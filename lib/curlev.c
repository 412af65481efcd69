/* curlev.c: libcurl's multi socket interface on a libevent event_base.
 * curl tells us which sockets to watch (socket callback) and when to wake it
 * (timer callback); libevent tells curl what happened through
 * curl_multi_socket_action. The timer callback only arms an evtimer: curl is
 * never called from inside its own callbacks. */
#include "config.h"
#include "gtm/curlev.h"

#include <stdbool.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/log.h"

/* One socket curl asked us to watch; linked so that curlev_free can release
 * what curl_multi_cleanup did not report as removed. */
struct sockev {
    struct event ev;
    struct curlev *c;
    struct sockev *prev, *next;
};

struct curlev {
    struct event_base *base;
    CURLM *multi;
    struct event timer;
    curlev_done_fn *done;
    void *arg;
    struct sockev *socks;
    struct sockev *spare; /* freed watchers, reused: none is allocated per transfer */
};

static void
sock_unlink(struct curlev *c, struct sockev *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

/* Reports every finished transfer, after taking it out of the multi. */
static void
drain(struct curlev *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        curl_multi_remove_handle(c->multi, easy); /* msg is invalid from here */
        c->done(easy, result, c->arg);
    }
}

static void
act(struct curlev *c, curl_socket_t fd, int mask)
{
    int running;
    CURLMcode rc = curl_multi_socket_action(c->multi, fd, mask, &running);
    if (rc != CURLM_OK)
        log_rl_warn("monitor: curl_multi_socket_action: %s", curl_multi_strerror(rc));
    drain(c);
}

static void
on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct sockev *s = arg;
    GTM_ASSERT(s && s->c);
    int mask = 0;
    if (what & EV_READ)
        mask |= CURL_CSELECT_IN;
    if (what & EV_WRITE)
        mask |= CURL_CSELECT_OUT;
    act(s->c, fd, mask); /* s may be gone after this */
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    act(arg, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_SOCKETFUNCTION */
static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *clientp, void *socketp)
{
    struct curlev *c = clientp;
    struct sockev *s = socketp;
    (void)easy;
    GTM_ASSERT(c);
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            event_del(&s->ev);
            sock_unlink(c, s);
            s->next = c->spare;
            c->spare = s;
        }
        return 0;
    }
    if (!s) {
        s = c->spare;
        if (s)
            c->spare = s->next;
        else
            s = xmalloc(sizeof *s);
        *s = (struct sockev){.c = c};
        s->next = c->socks;
        if (c->socks)
            c->socks->prev = s;
        c->socks = s;
        curl_multi_assign(c->multi, fd, s);
    } else {
        event_del(&s->ev);
    }
    short flags = EV_PERSIST;
    if (what & CURL_POLL_IN)
        flags |= EV_READ;
    if (what & CURL_POLL_OUT)
        flags |= EV_WRITE;
    event_assign(&s->ev, c->base, fd, flags, on_socket, s);
    if ((flags & (EV_READ | EV_WRITE)) && event_add(&s->ev, NULL) != 0) {
        log_err("monitor: cannot watch socket %d", (int)fd);
        return -1;
    }
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: arm or disarm our timer, nothing else. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *clientp)
{
    struct curlev *c = clientp;
    (void)multi;
    GTM_ASSERT(c);
    if (timeout_ms < 0) {
        evtimer_del(&c->timer);
        return 0;
    }
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    return evtimer_add(&c->timer, &tv) == 0 ? 0 : -1;
}

struct curlev *
curlev_new(struct event_base *base, curlev_done_fn *done, void *arg)
{
    struct curlev *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->done = done;
    c->arg = arg;
    c->multi = curl_multi_init();
    if (!c->multi) {
        log_err("monitor: curl_multi_init failed");
        abort();
    }
    evtimer_assign(&c->timer, base, on_timer, c);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L); /* unlimited */
    return c;
}

int
curlev_add(struct curlev *c, CURL *easy, const char **why)
{
    CURLMcode rc = curl_multi_add_handle(c->multi, easy);
    if (rc != CURLM_OK) {
        *why = curl_multi_strerror(rc);
        return GTM_EIO;
    }
    return 0;
}

void
curlev_remove(struct curlev *c, CURL *easy)
{
    curl_multi_remove_handle(c->multi, easy);
}

void
curlev_free(struct curlev *c)
{
    if (!c)
        return;
    curl_multi_cleanup(c->multi); /* may still report sockets as removed */
    while (c->socks) {
        struct sockev *s = c->socks;
        event_del(&s->ev);
        sock_unlink(c, s);
        free(s);
    }
    while (c->spare) {
        struct sockev *s = c->spare;
        c->spare = s->next;
        free(s);
    }
    evtimer_del(&c->timer);
    free(c);
}
