/* xfr.h: what zone transfers and NOTIFY are configured with: the TSIG keys
 * (--tsig-keys FILE), who may transfer (--allow-transfer) and whom to
 * notify (--notify). Parsed once at start-up by the option setters
 * (conf/xfr.c); read by dns/xfr.c (the answering threads: never written
 * after options_load) and src/dnsnotify.c. */
#ifndef GTM_CONF_XFR_H
#define GTM_CONF_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gtm/dname.h"

struct sockaddr;

/* Bounds on what the key file and the lists may hold. */
#define XFR_KEYS_MAX      256
#define XFR_ACL_MAX       256
#define XFR_NOTIFY_MAX    64
#define XFR_SECRET_MAX    512 /* bytes of a decoded secret */
#define XFR_KEYFILE_BYTES 1048576

/* One TSIG key (RFC 8945): its name, its algorithm as ldns names it
 * ("hmac-sha256.") and its secret in base64, as ldns takes it. */
struct tsig_key {
    char *name;                 /* presentation form, lowercase, with the final dot */
    uint8_t wire[DNAME_MAXLEN]; /* lowercase wire */
    uint8_t wire_len;
    const char *alg; /* static: "hmac-sha256." ... */
    char *secret;    /* base64 */
};

/* One --allow-transfer entry: a network, a key, or both (both must match). */
struct xfr_acl {
    int family; /* AF_INET, AF_INET6, or 0: any address */
    uint8_t addr[16];
    uint8_t prefix;
    const struct tsig_key *key; /* NULL: no signature required */
    char text[96];              /* as written, for the log */
};

/* One --notify target: an address, a port, and the key NOTIFY is signed with. */
struct xfr_notify {
    int family;
    uint8_t addr[16];
    uint16_t port;
    const struct tsig_key *key; /* NULL: unsigned */
    char text[96];
};

struct xfr_conf {
    struct tsig_key *keys;
    unsigned nkeys;
    char *keys_file;
    struct xfr_acl *acl;
    unsigned nacl;
    struct xfr_notify *notify;
    unsigned nnotify;
};

/* tsig_keys_parse: the key file's text (len bytes; NUL bytes refused) into
 * c->keys. Two forms, one statement each, mixed freely:
 *   key "NAME" { algorithm ALG; secret "BASE64"; };     (BIND)
 *   NAME:ALG:BASE64                                     (one per line)
 * with # and // comments to the end of the line and C comments. ALG is
 * hmac-sha1, hmac-sha256 or hmac-sha512. Returns 0, or -1 with
 * "FILE:LINE: message" in why. */
int tsig_keys_parse(struct xfr_conf *c, const char *file, const char *text, size_t len, char *why,
                    size_t whylen);

/* tsig_keys_load: reads FILE (at most XFR_KEYFILE_BYTES) and parses it. */
int tsig_keys_load(struct xfr_conf *c, const char *file, char *why, size_t whylen);

/* tsig_key_find: the key of that lowercase wire name, or NULL. */
const struct tsig_key *tsig_key_find(const struct xfr_conf *c, const uint8_t *wire, size_t len);

/* xfr_acl_add: one --allow-transfer entry: "CIDR", "key:NAME" or
 * "CIDR key:NAME" (an address alone is a /32 or /128). Returns 0 or -1
 * with the reason in why. */
int xfr_acl_add(struct xfr_conf *c, const char *text, char *why, size_t whylen);

/* xfr_acl_match: the entry that lets a client at sa (which verified the
 * request's TSIG with key, or NULL: unsigned) transfer, or NULL. */
const struct xfr_acl *xfr_acl_match(const struct xfr_conf *c, const struct sockaddr *sa,
                                    const struct tsig_key *key);

/* xfr_notify_add: one --notify target: "ADDR[:PORT]" ("[V6]:PORT"),
 * optionally followed by " key:NAME". Port 53 by default. */
int xfr_notify_add(struct xfr_conf *c, const char *text, char *why, size_t whylen);

/* xfr_conf_free: what the functions above allocated. */
void xfr_conf_free(struct xfr_conf *c);

#endif
