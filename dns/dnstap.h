/* dnstap.h: the query log (--dnstap): AUTH_QUERY and AUTH_RESPONSE messages
 * in dnstap's format (the protobuf schema NSD, Knot, BIND and Unbound write),
 * carried by libfstrm's Frame Streams to a file or a unix socket.
 *
 * An answering thread only encodes a message and puts it on its own bounded
 * queue (fstrm's single-producer input queue); fstrm's I/O thread writes.
 * A full queue drops the message and counts it: the answer never waits for
 * the log. With dnstap off a thread's tap is empty and the answer path pays
 * one branch (seat_tap in worker.h). */
#ifndef GTM_DNS_DNSTAP_H
#define GTM_DNS_DNSTAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns/handle.h"

struct dnstap;
struct fstrm_iothr_queue;
struct sockaddr;

/* dnstap_tap: what an answering thread logs through: the writer (NULL:
 * dnstap is off), its queue, and its counts, read by the control loop. */
struct dnstap_tap {
    struct dnstap *d;
    struct fstrm_iothr_queue *q;
    _Atomic uint64_t sent;    /* messages queued for the writer */
    _Atomic uint64_t dropped; /* messages dropped: the queue was full */
};

/* dnstap_available: whether gtmd was built with dnstap (libfstrm,
 * libprotobuf-c). */
bool dnstap_available(void);

/* dnstap_open: a writer to target, "unix:PATH" (a unix socket: a reader
 * such as fstrm_capture listens there; fstrm connects, and reconnects when
 * it goes), a path that is a unix socket now (the same), or else a file
 * (created or truncated). nqueues: one queue per thread that logs. identity
 * and version go into every message (NULL: none). Logs queries and/or
 * responses. Returns 0, or GTM_EIO after logging why. */
int dnstap_open(const char *target, const char *identity, const char *version, unsigned nqueues,
                bool queries, bool responses, struct dnstap **out);

/* dnstap_tap_init: t logs through d (NULL: off). Takes one of d's queues;
 * returns 0, or GTM_EIO when all are taken. On the control loop, before the
 * thread starts. */
int dnstap_tap_init(struct dnstap_tap *t, struct dnstap *d);

/* dnstap_close: writes what is queued, ends the stream (a file is complete
 * after it), stops fstrm's thread and frees d. After every thread that logs
 * has stopped. NULL: nothing. */
void dnstap_close(struct dnstap *d);

/* dnstap_log: the query q[0..qlen) received over proto from client at
 * qtime on the socket bound to local (NULL: not known), and its response
 * r[0..rlen) (rlen 0: none was sent), as the messages the writer logs.
 * Never blocks. Called by the answering thread that owns t. */
void dnstap_log(struct dnstap_tap *t, enum dns_proto proto, const struct sockaddr *client,
                const struct sockaddr *local, const struct timespec *qtime, const uint8_t *q,
                size_t qlen, const uint8_t *r, size_t rlen);

/* One message, as dnstap_encode takes it. */
enum dnstap_type { DNSTAP_AUTH_QUERY = 1, DNSTAP_AUTH_RESPONSE = 2 };
struct dnstap_msg {
    enum dnstap_type type;
    enum dns_proto proto;
    const struct sockaddr *client; /* AF_INET or AF_INET6, else no address is written */
    const struct sockaddr *local;  /* NULL, or the server's socket (a wildcard: port only) */
    struct timespec qtime;
    struct timespec rtime; /* AUTH_RESPONSE only */
    const uint8_t *wire;   /* the query (AUTH_QUERY) or the response (AUTH_RESPONSE) */
    size_t len;
};

/* dnstap_encode: m as one dnstap.Dnstap protobuf, in a malloc'd buffer of
 * *len bytes (NULL: out of memory, or gtmd was built without dnstap). */
uint8_t *dnstap_encode(const char *identity, const char *version, const struct dnstap_msg *m,
                       size_t *len);

#endif
