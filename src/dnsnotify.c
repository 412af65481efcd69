/* dnsnotify.c: NOTIFY (RFC 1996) of static zones to the --notify targets
 * (see dnsnotify.h). One non-blocking UDP socket per address family, read
 * by the control loop; one job per (zone, target), each with its own timer
 * and message ID. A job ends when a response with its ID comes from its
 * target (RFC 1996 3.6; signed with its key when it has one), or after
 * NOTIFY_TRIES tries. Messages are made and signed with ldns. */
#include "config.h"
#include "src/dnsnotify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/event.h>
#include <ldns/ldns.h>

#include "conf/xfr.h"
#include "dns/xfr.h"
#include "gtm/alloc.h"
#include "gtm/client.h"
#include "gtm/log.h"
#include "gtm/snapshot.h"

struct job {
    struct dns_notifier *n;
    const struct xfr_notify *target;
    uint8_t apex[DNAME_MAXLEN];
    uint8_t apex_len;
    char zone[4 * DNAME_MAXLEN + 2];
    uint32_t serial;
    uint16_t id;
    unsigned tries;
    uint8_t *wire; /* the NOTIFY as sent (the same bytes every try) */
    size_t wire_len;
    ldns_rdf *mac; /* its TSIG MAC, to check the response with */
    struct event *timer;
    struct job *next;
};

struct dns_notifier {
    struct event_base *base;
    const struct xfr_conf *conf;
    int fd4, fd6;
    struct event *ev4, *ev6;
    struct job *jobs;
    uint64_t *counts; /* sent, acked, failed */
};

static void
job_free(struct job *j)
{
    if (j->timer)
        event_free(j->timer);
    free(j->wire);
    ldns_rdf_deep_free(j->mac);
    free(j);
}

static void
job_remove(struct dns_notifier *n, struct job *j)
{
    for (struct job **p = &n->jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    job_free(j);
}

/* The NOTIFY: opcode 4, AA, the question zone/IN/SOA, signed with the
 * target's key when it has one. */
static int
job_make(struct job *j)
{
    ldns_pkt *p = ldns_pkt_new();
    ldns_rdf *owner = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, j->apex_len, j->apex);
    ldns_rr *q = ldns_rr_new();
    if (!p || !owner || !q) {
        ldns_pkt_free(p);
        ldns_rdf_deep_free(owner);
        ldns_rr_free(q);
        return -1;
    }
    ldns_rr_set_owner(q, owner);
    ldns_rr_set_type(q, LDNS_RR_TYPE_SOA);
    ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
    ldns_rr_set_question(q, true);
    ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
    ldns_pkt_set_id(p, j->id);
    ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY);
    ldns_pkt_set_aa(p, true);
    int rc = 0;
    const struct tsig_key *k = j->target->key;
    if (k && ldns_pkt_tsig_sign(p, k->name, k->secret, 300, k->alg, NULL) != LDNS_STATUS_OK)
        rc = -1;
    if (rc == 0 && k)
        j->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
    if (rc == 0 && ldns_pkt2wire(&j->wire, p, &j->wire_len) != LDNS_STATUS_OK)
        rc = -1;
    ldns_pkt_free(p);
    return rc;
}

static void
job_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct job *j = arg;
    struct dns_notifier *n = j->n;
    if (j->tries == NOTIFY_TRIES) {
        log_warn("notify: %s serial %u to %s: no answer after %u tries; giving up", j->zone,
                 j->serial, j->target->text, j->tries);
        n->counts[2]++;
        job_remove(n, j);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t sl =
        (socklen_t)sockaddr_make(j->target->family, j->target->addr, j->target->port, &ss);
    int s = j->target->family == AF_INET ? n->fd4 : n->fd6;
    j->tries++;
    n->counts[0]++;
    if (s < 0 || sendto(s, j->wire, j->wire_len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0)
        log_warn("notify: %s serial %u to %s: cannot send: %s", j->zone, j->serial, j->target->text,
                 s < 0 ? "no socket of that family" : strerror(errno));
    else
        log_debug("notify: %s serial %u to %s: sent (try %u)", j->zone, j->serial, j->target->text,
                  j->tries);
    struct timeval tv = {(time_t)NOTIFY_FIRST_WAIT << (j->tries - 1), 0};
    evtimer_add(j->timer, &tv);
}

static bool
same_peer(const struct xfr_notify *t, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET && t->family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return ntohs(a->sin_port) == t->port && memcmp(&a->sin_addr, t->addr, 4) == 0;
    }
    if (ss->ss_family == AF_INET6 && t->family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        return ntohs(a->sin6_port) == t->port && memcmp(&a->sin6_addr, t->addr, 16) == 0;
    }
    return false;
}

/* A response: the job with its ID and peer is done. */
static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct dns_notifier *n = arg;
    for (int i = 0; i < 64; i++) {
        uint8_t buf[4096];
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        ssize_t len = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
        if (len < 0)
            return;
        if (len < 12 || !(buf[2] & 0x80) || ((buf[2] >> 3) & 0x0F) != LDNS_PACKET_NOTIFY)
            continue;
        uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
        struct job *j = n->jobs;
        while (j && !(j->id == id && same_peer(j->target, &ss)))
            j = j->next;
        if (!j)
            continue;
        const struct tsig_key *k = j->target->key;
        if (k) {
            ldns_pkt *p = NULL;
            bool ok = ldns_wire2pkt(&p, buf, (size_t)len) == LDNS_STATUS_OK && ldns_pkt_tsig(p) &&
                      ldns_pkt_tsig_verify(p, buf, (size_t)len, k->name, k->secret, j->mac);
            ldns_pkt_free(p);
            if (!ok) {
                log_warn("notify: %s serial %u to %s: the answer is not signed with key %s; "
                         "ignored",
                         j->zone, j->serial, j->target->text, k->name);
                continue;
            }
        }
        unsigned rcode = buf[3] & 0x0F;
        if (rcode == LDNS_RCODE_NOERROR) {
            log_info("notify: %s serial %u to %s: acknowledged", j->zone, j->serial,
                     j->target->text);
            n->counts[1]++;
        } else {
            char *rc = ldns_pkt_rcode2str((ldns_pkt_rcode)rcode);
            log_warn("notify: %s serial %u to %s: answered %s; not retrying", j->zone, j->serial,
                     j->target->text, rc ? rc : "?");
            free(rc);
            n->counts[2]++;
        }
        job_remove(n, j);
    }
}

static int
open_socket(struct dns_notifier *n, int family, struct event **ev)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    *ev = event_new(n->base, fd, EV_READ | EV_PERSIST, read_cb, n);
    if (!*ev || event_add(*ev, NULL) != 0) {
        if (*ev)
            event_free(*ev);
        *ev = NULL;
        close(fd);
        return -1;
    }
    return fd;
}

struct dns_notifier *
dns_notifier_new(struct event_base *base, const struct xfr_conf *c, uint64_t *counts)
{
    if (!c || !c->nnotify)
        return NULL;
    struct dns_notifier *n = xcalloc(1, sizeof *n);
    n->base = base;
    n->conf = c;
    n->counts = counts;
    n->fd4 = n->fd6 = -1;
    bool v4 = false, v6 = false;
    for (unsigned i = 0; i < c->nnotify; i++) {
        v4 |= c->notify[i].family == AF_INET;
        v6 |= c->notify[i].family == AF_INET6;
    }
    if (v4 && (n->fd4 = open_socket(n, AF_INET, &n->ev4)) < 0)
        log_err("notify: cannot open an IPv4 UDP socket: %s", strerror(errno));
    if (v6 && (n->fd6 = open_socket(n, AF_INET6, &n->ev6)) < 0)
        log_err("notify: cannot open an IPv6 UDP socket: %s", strerror(errno));
    return n;
}

static void
notify_zone(struct dns_notifier *n, const struct zone *z)
{
    for (unsigned t = 0; t < n->conf->nnotify; t++) {
        const struct xfr_notify *target = &n->conf->notify[t];
        for (struct job *j = n->jobs; j; j = j->next)
            if (j->target == target && j->apex_len == z->apex_len &&
                memcmp(j->apex, z->apex, z->apex_len) == 0) {
                job_remove(n, j); /* superseded by the new serial */
                break;
            }
        struct job *j = xcalloc(1, sizeof *j);
        j->n = n;
        j->target = target;
        memcpy(j->apex, z->apex, z->apex_len);
        j->apex_len = z->apex_len;
        dname_to_text(z->apex, j->zone, sizeof j->zone);
        j->serial = zone_serial(z);
        if (getrandom(&j->id, sizeof j->id, 0) != sizeof j->id)
            j->id = (uint16_t)rand();
        j->timer = evtimer_new(n->base, job_cb, j);
        if (!j->timer || job_make(j) != 0) {
            log_err("notify: %s to %s: cannot make the message", j->zone, target->text);
            job_free(j);
            continue;
        }
        j->next = n->jobs;
        n->jobs = j;
        struct timeval now = {0, 0};
        evtimer_add(j->timer, &now); /* from the loop: after the workers listen */
    }
}

void
dns_notifier_publish(struct dns_notifier *n, const struct gtm_snapshot *old,
                     const struct gtm_snapshot *snap)
{
    if (!n || !snap)
        return;
    for (uint32_t i = 0; snap->ztable && i <= snap->zmask; i++) {
        const struct zone *z = snap->ztable[i];
        if (!z || z == snap->domain)
            continue;
        const struct zone *was = old ? snapshot_find_zone(old, z->apex, z->apex_len) : NULL;
        if (was && was != old->domain && zone_serial(was) == zone_serial(z))
            continue;
        notify_zone(n, z);
    }
}

void
dns_notifier_free(struct dns_notifier *n)
{
    if (!n)
        return;
    while (n->jobs) {
        struct job *j = n->jobs;
        n->jobs = j->next;
        job_free(j);
    }
    if (n->ev4)
        event_free(n->ev4);
    if (n->ev6)
        event_free(n->ev6);
    if (n->fd4 >= 0)
        close(n->fd4);
    if (n->fd6 >= 0)
        close(n->fd6);
    free(n);
}
