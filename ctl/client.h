/* client.h: gtmctl's HTTPS client for the gtmd API (libcurl, OpenSSL):
 * one connection reused for every request, bounded replies, and the error
 * messages and exit statuses of gtmctl. */
#ifndef GTM_CTL_CLIENT_H
#define GTM_CTL_CLIENT_H

#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl/args.h"

#define CTL_MAX_REPLY     (16u * 1024 * 1024)
#define CTL_MAX_TOKEN_LEN 512

struct ctl_client {
    CURL *curl;
    const struct ctl_args *args;
    char *base;   /* the API URL without a trailing '/' */
    char *cacert; /* the file to verify against, or NULL */
    char *token;  /* bearer token, or NULL */
    char errbuf[CURL_ERROR_SIZE];
};

struct ctl_reply {
    long code;    /* HTTP status */
    char *body;   /* NUL-terminated */
    size_t len;   /* bytes in body */
    json_t *json; /* body parsed, or NULL when empty */
};

/* ctl_client_init: sets c up from a: the token (a->token_file, else
 * $GTMCTL_TOKEN read through env) and TLS trust. Prints the reason and
 * returns CTL_USAGE when a local file is unusable. Clean up with
 * ctl_client_cleanup in every case. */
enum ctl_status ctl_client_init(struct ctl_client *c, const struct ctl_args *a, ctl_getenv_fn *env);

/* ctl_client_cleanup: frees what c holds (the token is wiped first). */
void ctl_client_cleanup(struct ctl_client *c);

/* ctl_request: sends method path (from the API's root, with its query,
 * already escaped: see ctl_path_*) with body (borrowed; NULL: none) and
 * fills r. Returns CTL_OK on 2xx. Otherwise prints why on stderr and
 * returns CTL_UNREACHABLE (connection, TLS, timeout, reply too large or
 * not JSON) or CTL_REFUSED (any other HTTP status: Azure's error code and
 * message). r is valid (possibly empty) in every case; free it with
 * ctl_reply_cleanup. */
enum ctl_status ctl_request(struct ctl_client *c, const char *method, const char *path,
                            json_t *body, struct ctl_reply *r);

/* ctl_reply_cleanup: frees r's contents. */
void ctl_reply_cleanup(struct ctl_reply *r);

/* ctl_read_token: the first line of file that is neither blank nor a '#'
 * comment, trimmed. Returns a new string (free it), or NULL after writing
 * the reason into err. */
char *ctl_read_token(const char *file, char *err, size_t errlen);

#endif
