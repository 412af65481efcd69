/* client.c: who a client is, for shares of connections (gtm/client.h). */
#include "config.h"
#include "gtm/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void
client_key_of(struct client_key *k, const struct sockaddr *sa)
{
    memset(k, 0, sizeof *k);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        k->family = AF_INET;
        memcpy(k->addr, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            k->family = AF_INET;
            memcpy(k->addr, a->s6_addr + 12, 4);
        } else {
            k->family = AF_INET6;
            memcpy(k->addr, a->s6_addr, 8);
        }
    }
}

bool
client_key_eq(const struct client_key *a, const struct client_key *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

const char *
client_key_text(const struct client_key *k, char *buf, size_t len)
{
    if (k->family == AF_INET) {
        if (!inet_ntop(AF_INET, k->addr, buf, (socklen_t)len))
            snprintf(buf, len, "?");
    } else if (k->family == AF_INET6) {
        uint8_t full[16] = {0};
        memcpy(full, k->addr, 8);
        char a[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, full, a, sizeof a))
            snprintf(buf, len, "%s/64", a);
        else
            snprintf(buf, len, "?");
    } else {
        snprintf(buf, len, "?");
    }
    return buf;
}

unsigned
sockaddr_make(int family, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        memcpy(&a->sin_addr, addr, 4);
        return sizeof *a;
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    memcpy(&a->sin6_addr, addr, 16);
    return sizeof *a;
}
