/* test_dnstap.c: the dnstap encoder: a message made by dnstap_encode, read
 * back with the protobuf-c code of dns/dnstap.proto, has the fields of the
 * standard dnstap schema (identity, version, type, addresses, ports, times,
 * the DNS message) for UDP and TCP, IPv4 and IPv6, queries and responses;
 * and a writer to a file: every message a thread logs is queued or counted
 * dropped, and every queued one is in the file once the writer is closed. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns/dnstap.h"

#ifdef HAVE_DNSTAP
#include <fstrm.h>

#include "dns/dnstap.pb-c.h"

static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0,   1, 0, 0, 0, 0, 0,
                                0,    3,    'w',  'w',  'w', 0, 0, 1, 0, 1};

static struct sockaddr_in
sin_of(const char *a, unsigned port)
{
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
    return s;
}

static Dnstap__Dnstap *
roundtrip(const char *identity, const char *version, const struct dnstap_msg *m)
{
    size_t len = 0;
    uint8_t *buf = dnstap_encode(identity, version, m, &len);
    assert_non_null(buf);
    assert_true(len > 0);
    Dnstap__Dnstap *d = dnstap__dnstap__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(d);
    assert_int_equal(d->type, DNSTAP__DNSTAP__TYPE__MESSAGE);
    assert_non_null(d->message);
    return d;
}

static void
test_query_udp4(void **state)
{
    (void)state;
    struct sockaddr_in client = sin_of("192.0.2.7", 40000), local = sin_of("127.0.0.1", 53);
    struct dnstap_msg m = {.type = DNSTAP_AUTH_QUERY,
                           .proto = DNS_PROTO_UDP,
                           .client = (struct sockaddr *)&client,
                           .local = (struct sockaddr *)&local,
                           .qtime = {1700000000, 123456789},
                           .wire = query,
                           .len = sizeof query};
    Dnstap__Dnstap *d = roundtrip("lab-1", "gtmd 0.1.0", &m);
    assert_true(d->has_identity);
    assert_int_equal(d->identity.len, 5);
    assert_memory_equal(d->identity.data, "lab-1", 5);
    assert_true(d->has_version);
    assert_memory_equal(d->version.data, "gtmd 0.1.0", 10);
    assert_false(d->has_extra);
    const Dnstap__Message *msg = d->message;
    assert_int_equal(msg->type, DNSTAP__MESSAGE__TYPE__AUTH_QUERY);
    assert_true(msg->has_socket_family && msg->has_socket_protocol);
    assert_int_equal(msg->socket_family, DNSTAP__SOCKET_FAMILY__INET);
    assert_int_equal(msg->socket_protocol, DNSTAP__SOCKET_PROTOCOL__UDP);
    assert_true(msg->has_query_address);
    assert_int_equal(msg->query_address.len, 4);
    assert_memory_equal(msg->query_address.data, "\xc0\x00\x02\x07", 4);
    assert_true(msg->has_query_port);
    assert_int_equal(msg->query_port, 40000);
    assert_true(msg->has_response_address);
    assert_memory_equal(msg->response_address.data, "\x7f\x00\x00\x01", 4);
    assert_int_equal(msg->response_port, 53);
    assert_int_equal(msg->query_time_sec, 1700000000);
    assert_int_equal(msg->query_time_nsec, 123456789);
    assert_true(msg->has_query_message);
    assert_int_equal(msg->query_message.len, sizeof query);
    assert_memory_equal(msg->query_message.data, query, sizeof query);
    assert_false(msg->has_response_message);
    assert_false(msg->has_response_time_sec);
    dnstap__dnstap__free_unpacked(d, NULL);
}

static void
test_response_tcp6_wildcard(void **state)
{
    (void)state;
    struct sockaddr_in6 client = {.sin6_family = AF_INET6, .sin6_port = htons(5300)};
    struct sockaddr_in6 local = {.sin6_family = AF_INET6, .sin6_port = htons(5353)}; /* :: */
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &client.sin6_addr), 1);
    uint8_t resp[sizeof query];
    memcpy(resp, query, sizeof query);
    resp[2] |= 0x80;
    struct dnstap_msg m = {.type = DNSTAP_AUTH_RESPONSE,
                           .proto = DNS_PROTO_TCP,
                           .client = (struct sockaddr *)&client,
                           .local = (struct sockaddr *)&local,
                           .qtime = {1700000000, 1},
                           .rtime = {1700000001, 2},
                           .wire = resp,
                           .len = sizeof resp};
    Dnstap__Dnstap *d = roundtrip(NULL, NULL, &m);
    assert_false(d->has_identity);
    assert_false(d->has_version);
    const Dnstap__Message *msg = d->message;
    assert_int_equal(msg->type, DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE);
    assert_int_equal(msg->socket_family, DNSTAP__SOCKET_FAMILY__INET6);
    assert_int_equal(msg->socket_protocol, DNSTAP__SOCKET_PROTOCOL__TCP);
    assert_int_equal(msg->query_address.len, 16);
    assert_memory_equal(msg->query_address.data, &client.sin6_addr, 16);
    assert_int_equal(msg->query_port, 5300);
    /* a wildcard listening address is not the address the query went to:
     * the port only */
    assert_false(msg->has_response_address);
    assert_true(msg->has_response_port);
    assert_int_equal(msg->response_port, 5353);
    assert_int_equal(msg->query_time_sec, 1700000000);
    assert_int_equal(msg->query_time_nsec, 1);
    assert_true(msg->has_response_time_sec && msg->has_response_time_nsec);
    assert_int_equal(msg->response_time_sec, 1700000001);
    assert_int_equal(msg->response_time_nsec, 2);
    assert_false(msg->has_query_message);
    assert_true(msg->has_response_message);
    assert_memory_equal(msg->response_message.data, resp, sizeof resp);
    dnstap__dnstap__free_unpacked(d, NULL);
}

/* The bytes themselves, against the schema's numbers: Dnstap.type is field
 * 15 (varint), message field 14; Message.type field 1. */
static void
test_wire_numbers(void **state)
{
    (void)state;
    struct dnstap_msg m = {.type = DNSTAP_AUTH_QUERY, .wire = query, .len = sizeof query};
    size_t len = 0;
    uint8_t *buf = dnstap_encode(NULL, NULL, &m, &len);
    assert_non_null(buf);
    /* no address (client NULL): message (14, length-delimited), then type */
    assert_int_equal(buf[0], (14 << 3) | 2);
    size_t mlen = buf[1];
    assert_int_equal(buf[2], (1 << 3) | 0); /* Message.type */
    assert_int_equal(buf[3], 1);            /* AUTH_QUERY */
    assert_int_equal(buf[4], (3 << 3) | 0); /* socket_protocol */
    assert_int_equal(buf[5], 1);            /* UDP */
    assert_int_equal(len, 2 + mlen + 2);
    assert_int_equal(buf[2 + mlen], (15 << 3) | 0); /* Dnstap.type */
    assert_int_equal(buf[3 + mlen], 1);             /* MESSAGE */
    free(buf);
}

static void
test_file_counts(void **state)
{
    (void)state;
    char path[] = "/tmp/test_dnstap_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct dnstap *d = NULL;
    assert_int_equal(dnstap_open(path, "unit", "gtmd test", 1, true, true, &d), 0);
    struct dnstap_tap t = {0}, spare = {0};
    assert_int_equal(dnstap_tap_init(&t, d), 0);
    assert_int_not_equal(dnstap_tap_init(&spare, d), 0); /* one queue only */
    struct sockaddr_in client = sin_of("127.0.0.1", 1234);
    struct timespec now = {1700000000, 0};
    enum { N = 3000 }; /* three times the queue: some may be dropped */
    for (int i = 0; i < N; i++)
        dnstap_log(&t, DNS_PROTO_UDP, (struct sockaddr *)&client, NULL, &now, query, sizeof query,
                   query, sizeof query);
    uint64_t sent = atomic_load(&t.sent), dropped = atomic_load(&t.dropped);
    assert_int_equal(sent + dropped, 2 * N);
    dnstap_close(d); /* writes what is queued and ends the stream */

    struct fstrm_file_options *fopt = fstrm_file_options_init();
    fstrm_file_options_set_file_path(fopt, path);
    struct fstrm_reader *r = fstrm_file_reader_init(fopt, NULL);
    fstrm_file_options_destroy(&fopt);
    assert_non_null(r);
    assert_int_equal(fstrm_reader_open(r), fstrm_res_success);
    uint64_t frames = 0;
    const uint8_t *data;
    size_t len;
    while (fstrm_reader_read(r, &data, &len) == fstrm_res_success) {
        Dnstap__Dnstap *m = dnstap__dnstap__unpack(NULL, len, data);
        assert_non_null(m);
        dnstap__dnstap__free_unpacked(m, NULL);
        frames++;
    }
    fstrm_reader_destroy(&r);
    unlink(path);
    print_message("# %llu queued, %llu dropped, %llu in the file\n", (unsigned long long)sent,
                  (unsigned long long)dropped, (unsigned long long)frames);
    assert_int_equal(frames, sent);
}

static void
test_available(void **state)
{
    (void)state;
    assert_true(dnstap_available());
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_available),
        cmocka_unit_test(test_query_udp4),
        cmocka_unit_test(test_response_tcp6_wildcard),
        cmocka_unit_test(test_wire_numbers),
        cmocka_unit_test(test_file_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

static void
test_not_built(void **state)
{
    (void)state;
    assert_false(dnstap_available());
    skip();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_not_built)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
