/* issuer.h: the API's built-in OAuth2 token issuer for labs (api/issuer.c),
 * in the shape of an AD FS authority: az, MSAL and the Azure SDKs log in
 * to it with the client-credentials grant, offline, and the bearer tokens
 * it issues are accepted by the API like the static ones. Private to api/
 * (and its unit tests). Loop thread only. */
#ifndef GTM_API_ISSUER_H
#define GTM_API_ISSUER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct api_req;
struct api_issuer;

#define ISSUER_MAX_CLIENTS    256
#define ISSUER_ID_MAX         128 /* bytes of a client id */
#define ISSUER_SECRET_MAX     256 /* bytes of a client secret */
#define ISSUER_TOKEN_MAX      2048
#define ISSUER_TENANT_DEFAULT "adfs"

/* issuer_load: the clients of FILE (lines "client_id secret"; blank lines
 * and '#' comments skipped), tokens valid for lifetime seconds. On error
 * writes what is wrong into why, its line into *line (0: the whole file)
 * and returns NULL. */
struct api_issuer *issuer_load(const char *file, unsigned lifetime, char *why, size_t whylen,
                               unsigned *line);
void issuer_free(struct api_issuer *is);

/* issuer_clients: how many clients were loaded. */
unsigned issuer_clients(const struct api_issuer *is);

enum issuer_grant_rc {
    ISSUER_GRANTED = 0,
    ISSUER_BAD_CLIENT = -1,  /* unknown client or wrong secret: one answer for both */
    ISSUER_BAD_REQUEST = -2, /* the audience is not 1 to 511 bytes of printable ASCII */
    ISSUER_FAILED = -3,      /* no randomness, or out is too small */
};

/* issuer_grant: checks client_id and secret (in constant time over the
 * secret) and writes a signed token for it, valid from now for the
 * issuer's lifetime, into out (ISSUER_TOKEN_MAX bytes hold any). */
enum issuer_grant_rc issuer_grant(const struct api_issuer *is, const char *client_id,
                                  const char *secret, const char *audience, const char *iss,
                                  time_t now, char *out, size_t cap);

enum issuer_token_rc {
    ISSUER_TOKEN_OK,
    ISSUER_TOKEN_BAD,     /* not signed by this issuer, or malformed */
    ISSUER_TOKEN_EXPIRED, /* signed by it, but past its exp (or before its nbf) */
};

/* issuer_verify: whether token was issued by is (signature checked in
 * constant time) and is valid at now. */
enum issuer_token_rc issuer_verify(const struct api_issuer *is, const char *token, time_t now);

/* issuer_counts: token requests granted and refused (bad client) so far. */
void issuer_counts(const struct api_issuer *is, unsigned long long *granted,
                   unsigned long long *refused);

/* issuer_audience_ok: whether a is an audience a token may name: 1 to 511
 * bytes of printable ASCII without blanks. */
bool issuer_audience_ok(const char *a);

/* issuer_basic: the client id and secret of an Authorization: Basic
 * credential (the text after "Basic "): 0, or -1 when it is not base64(id
 * ":" secret) within bounds. RFC 6749 §2.3.1 form-urlencodes both before
 * base64 (form_decode); curl -u and Python's requests do not, so the
 * token endpoint tries both. */
int issuer_basic(const char *b64, bool form_decode, char id[ISSUER_ID_MAX + 1],
                 char secret[ISSUER_SECRET_MAX + 1]);

/* issuer_lifetime: seconds a token lives. */
unsigned issuer_lifetime(const struct api_issuer *is);

/* issuer_route: the unauthenticated routes of the authority
 * (/adfs/.well-known/openid-configuration, /adfs/oauth2/token, keys). */
bool issuer_route(struct api_issuer *is, struct api_req *r);

/* account_route: the unauthenticated /metadata/endpoints (Azure Stack's
 * discovery document az reads on `az cloud register`); issuer tells
 * whether a login endpoint exists. */
bool account_meta_route(struct api_req *r, bool have_issuer);

/* account_route: GET /subscriptions and /subscriptions/{id}. */
bool account_route(struct api_req *r);

/* api_base_url: https://HOST[:PORT] the client used (its Host header when
 * well formed, else the API's own address), into buf. */
const char *api_base_url(const struct api_req *r, char *buf, size_t cap);

#endif
