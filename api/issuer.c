/* issuer.c: a lab's OAuth2 authority inside the API, in the shape of AD FS
 * (the authority az and MSAL accept without asking Microsoft's instance
 * discovery): the OpenID discovery document, the token endpoint for the
 * client-credentials grant (RFC 6749 §4.4) and an empty key set.
 *
 * Clients come from --api-clients FILE ("client_id secret" lines). Only
 * the SHA-256 of each secret is kept, and a presented secret is hashed and
 * compared with CRYPTO_memcmp, so the time taken says nothing about it.
 * Tokens are JWTs signed with HMAC-SHA-256 (RFC 7519, RFC 7518 "HS256"):
 * nothing is stored per token, and checking one is a hash and a compare.
 * The key is derived from the clients file, so tokens survive a restart
 * and every node of a fleet given the same file accepts the tokens of
 * the others; changing any secret revokes every token. */
#include "config.h"
#include "api/issuer.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "api/http.h"
#include "gtm/alloc.h"
#include "gtm/ctx.h"
#include "gtm/log.h"
#include "conf/conf.h"

#define CLIENTS_FILE_MAX (256 * 1024) /* bytes of --api-clients */
#define TOKEN_BODY_MAX   (16 * 1024)  /* bytes of a token request */
#define CLOCK_SKEW       60           /* seconds a token's nbf may lie ahead */

struct client {
    char id[ISSUER_ID_MAX + 1];
    unsigned char secret_hash[SHA256_DIGEST_LENGTH];
};

struct api_issuer {
    struct client *clients;
    unsigned nclients;
    unsigned lifetime;
    unsigned char key[SHA256_DIGEST_LENGTH];
    unsigned long long granted, refused; /* token requests, for /metrics */
};

/* ---- base64url (RFC 4648 §5), no padding ---- */

static size_t
b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
    size_t need = 4 * ((n + 2) / 3) + 1;
    if (need > cap)
        return 0;
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = 0;
    for (int i = 0; i < len; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    return (size_t)len;
}

/* Decodes n characters of base64url into out (room for cap bytes); returns
 * the length, or -1 when the text is not base64url. */
static long
b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    if (n % 4 == 1 || n + 4 > ISSUER_TOKEN_MAX || (n + 3) / 4 * 3 > cap)
        return -1;
    char buf[ISSUER_TOKEN_MAX];
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!isalnum((unsigned char)c))
            return -1;
        buf[i] = c;
    }
    size_t pad = (4 - n % 4) % 4;
    memset(buf + n, '=', pad);
    int len = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)(n + pad));
    return len < 0 ? -1 : (long)len - (long)pad;
}

/* ---- clients ---- */

static bool
id_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

static void
hash_secret(const char *secret, size_t n, unsigned char out[SHA256_DIGEST_LENGTH])
{
    SHA256((const unsigned char *)secret, n, out);
}

/* parse_line: one "client_id secret" line into c; 0, or -1 with why. */
static int
parse_line(char *line, struct client *c, char *why, size_t whylen)
{
    char *p = line;
    char *id = p;
    while (*p && id_char((unsigned char)*p))
        p++;
    size_t idn = (size_t)(p - id);
    if (*p && *p != ' ' && *p != '\t') {
        snprintf(why, whylen, "the client id holds a byte that is not printable ASCII");
        return -1;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    char *secret = p;
    while (*p && id_char((unsigned char)*p))
        p++;
    size_t sn = (size_t)(p - secret);
    while (*p == ' ' || *p == '\t')
        p++;
    if (sn == 0) {
        snprintf(why, whylen, "expected 'client_id secret'");
        return -1;
    }
    if (*p) {
        snprintf(why, whylen, "expected 'client_id secret', found more (a secret holds no blank)");
        return -1;
    }
    if (idn > ISSUER_ID_MAX) {
        snprintf(why, whylen, "client id longer than %d bytes", ISSUER_ID_MAX);
        return -1;
    }
    if (sn > ISSUER_SECRET_MAX) {
        snprintf(why, whylen, "secret longer than %d bytes", ISSUER_SECRET_MAX);
        return -1;
    }
    if (sn < 16) {
        snprintf(why, whylen, "secret shorter than 16 bytes");
        return -1;
    }
    memcpy(c->id, id, idn);
    c->id[idn] = 0;
    hash_secret(secret, sn, c->secret_hash);
    return 0;
}

struct api_issuer *
issuer_load(const char *file, unsigned lifetime, char *why, size_t whylen, unsigned *lineout)
{
    *lineout = 0;
    FILE *fp = fopen(file, "r");
    if (!fp) {
        snprintf(why, whylen, "%s", strerror(errno));
        return NULL;
    }
    struct api_issuer *is = xcalloc(1, sizeof *is);
    is->lifetime = lifetime;
    is->clients = xcalloc(ISSUER_MAX_CLIENTS, sizeof *is->clients);
    /* The key: HMAC over a fixed label, keyed by the whole file. */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, "gtmd api token key 1\n", 21);

    char line[ISSUER_ID_MAX + ISSUER_SECRET_MAX + 64];
    unsigned lineno = 0;
    size_t total = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        size_t n = strlen(line);
        total += n;
        EVP_DigestUpdate(md, line, n);
        if (total > CLIENTS_FILE_MAX) {
            snprintf(why, whylen, "larger than %d bytes", CLIENTS_FILE_MAX);
            rc = -1;
            break;
        }
        if (n > 0 && line[n - 1] != '\n' && !feof(fp)) {
            *lineout = lineno;
            snprintf(why, whylen, "line longer than %zu bytes", sizeof line - 2);
            rc = -1;
            break;
        }
        line[strcspn(line, "\r\n")] = 0;
        char *t = line;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t == 0 || *t == '#')
            continue;
        if (is->nclients == ISSUER_MAX_CLIENTS) {
            *lineout = lineno;
            snprintf(why, whylen, "more than %d clients", ISSUER_MAX_CLIENTS);
            rc = -1;
            break;
        }
        struct client *c = &is->clients[is->nclients];
        if (parse_line(t, c, why, whylen) != 0) {
            *lineout = lineno;
            rc = -1;
            break;
        }
        for (unsigned i = 0; i < is->nclients && rc == 0; i++)
            if (strcmp(is->clients[i].id, c->id) == 0) {
                *lineout = lineno;
                snprintf(why, whylen, "client '%s' is listed twice", c->id);
                rc = -1;
            }
        is->nclients++;
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(why, whylen, "%s", strerror(errno));
        rc = -1;
    }
    fclose(fp);
    OPENSSL_cleanse(line, sizeof line);
    unsigned int kl = 0;
    EVP_DigestFinal_ex(md, is->key, &kl);
    EVP_MD_CTX_free(md);
    if (rc == 0 && is->nclients == 0) {
        snprintf(why, whylen, "holds no client ('client_id secret' lines)");
        rc = -1;
    }
    if (rc != 0) {
        issuer_free(is);
        return NULL;
    }
    return is;
}

void
issuer_free(struct api_issuer *is)
{
    if (!is)
        return;
    OPENSSL_cleanse(is->clients, ISSUER_MAX_CLIENTS * sizeof *is->clients);
    OPENSSL_cleanse(is->key, sizeof is->key);
    free(is->clients);
    free(is);
}

unsigned
issuer_clients(const struct api_issuer *is)
{
    return is->nclients;
}

unsigned
issuer_lifetime(const struct api_issuer *is)
{
    return is->lifetime;
}

/* ---- tokens ---- */

/* sign: base64url(HMAC-SHA-256(key, data[0..n])) into out (>= 44 bytes). */
static void
sign(const struct api_issuer *is, const char *data, size_t n, char out[48])
{
    unsigned char mac[SHA256_DIGEST_LENGTH];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), is->key, sizeof is->key, (const unsigned char *)data, n, mac, &ml);
    b64url_encode(mac, ml, out, 48);
}

void
issuer_counts(const struct api_issuer *is, unsigned long long *granted, unsigned long long *refused)
{
    *granted = is->granted;
    *refused = is->refused;
}

bool
issuer_audience_ok(const char *a)
{
    size_t n = strnlen(a, 512);
    if (n == 0 || n > 511)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= 0x20 || (unsigned char)a[i] >= 0x7f)
            return false;
    return true;
}

enum issuer_grant_rc
issuer_grant(const struct api_issuer *is, const char *client_id, const char *secret,
             const char *audience, const char *iss, time_t now, char *out, size_t cap)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    hash_secret(secret, strlen(secret), h);
    const struct client *found = NULL;
    for (unsigned i = 0; i < is->nclients; i++)
        if (strcmp(is->clients[i].id, client_id) == 0)
            found = &is->clients[i];
    /* An unknown client costs the same compare as a wrong secret. */
    static const unsigned char none[SHA256_DIGEST_LENGTH];
    bool ok = CRYPTO_memcmp(h, found ? found->secret_hash : none, sizeof h) == 0 && found;
    OPENSSL_cleanse(h, sizeof h);
    if (!ok)
        return ISSUER_BAD_CLIENT;
    if (!issuer_audience_ok(audience) || !issuer_audience_ok(iss))
        return ISSUER_BAD_REQUEST;

    unsigned char jti[12];
    if (RAND_bytes(jti, sizeof jti) != 1)
        return ISSUER_FAILED;
    char jtis[24];
    b64url_encode(jti, sizeof jti, jtis, sizeof jtis);
    json_t *claims = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "aud", audience, "iss",
                               iss, "iat", (json_int_t)now, "nbf", (json_int_t)now, "exp",
                               (json_int_t)now + is->lifetime, "appid", client_id, "sub", client_id,
                               "tid", ISSUER_TENANT_DEFAULT, "ver", "1.0", "jti", jtis);
    char *payload = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
    json_decref(claims);
    if (!payload)
        return ISSUER_FAILED;
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char hb[64];
    size_t hn = b64url_encode((const unsigned char *)header, sizeof header - 1, hb, sizeof hb);
    size_t pl = strlen(payload);
    enum issuer_grant_rc rc = ISSUER_FAILED;
    size_t need = hn + 1 + 4 * ((pl + 2) / 3) + 1 + 44 + 1;
    if (need <= cap && need <= ISSUER_TOKEN_MAX) {
        memcpy(out, hb, hn);
        out[hn] = '.';
        size_t pn = b64url_encode((const unsigned char *)payload, pl, out + hn + 1, cap - hn - 1);
        size_t signed_len = hn + 1 + pn;
        char sig[48];
        sign(is, out, signed_len, sig);
        snprintf(out + signed_len, cap - signed_len, ".%s", sig);
        rc = ISSUER_GRANTED;
    }
    free(payload);
    return rc;
}

enum issuer_token_rc
issuer_verify(const struct api_issuer *is, const char *token, time_t now)
{
    size_t n = strnlen(token, ISSUER_TOKEN_MAX);
    if (n >= ISSUER_TOKEN_MAX)
        return ISSUER_TOKEN_BAD;
    const char *dot1 = memchr(token, '.', n);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - token)))
        return ISSUER_TOKEN_BAD;
    char sig[48];
    sign(is, token, (size_t)(dot2 - token), sig);
    size_t sn = strlen(sig);
    const char *given = dot2 + 1;
    if (strlen(given) != sn || CRYPTO_memcmp(sig, given, sn) != 0)
        return ISSUER_TOKEN_BAD;
    /* Signed by this issuer: the claims are its own; only time is checked. */
    unsigned char claims[ISSUER_TOKEN_MAX];
    long cl = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), claims, sizeof claims);
    if (cl <= 0)
        return ISSUER_TOKEN_BAD;
    json_t *j = json_loadb((const char *)claims, (size_t)cl, 0, NULL);
    json_t *exp = json_object_get(j, "exp"), *nbf = json_object_get(j, "nbf");
    enum issuer_token_rc rc = ISSUER_TOKEN_BAD;
    if (json_is_integer(exp) && json_is_integer(nbf))
        rc = (json_int_t)now < json_integer_value(exp) &&
                     json_integer_value(nbf) <= (json_int_t)now + CLOCK_SKEW
                 ? ISSUER_TOKEN_OK
                 : ISSUER_TOKEN_EXPIRED;
    json_decref(j);
    return rc;
}

/* ---- the routes ---- */

int
issuer_basic(const char *b64, bool form_decode, char id[ISSUER_ID_MAX + 1],
             char secret[ISSUER_SECRET_MAX + 1])
{
    /* Room for the longest id and secret, each byte percent-encoded; a
     * longer credential is refused whole, never read in part. */
    unsigned char dec[3 * (ISSUER_ID_MAX + ISSUER_SECRET_MAX) + 8];
    const size_t max = 4 * ((sizeof dec - 1) / 3);
    size_t bn = strnlen(b64, max + 2);
    while (bn > 0 && b64[bn - 1] == ' ')
        bn--;
    if (bn == 0 || bn > max || bn % 4 != 0)
        return -1;
    if (b64[bn] != 0 && b64[bn + strspn(b64 + bn, " ")] != 0)
        return -1; /* something after the blanks that end it */
    int dl = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)bn);
    for (size_t k = bn; dl > 0 && k > 0 && b64[k - 1] == '='; k--)
        dl--;
    int rc = -1;
    char *colon = dl > 0 ? memchr(dec, ':', (size_t)dl) : NULL;
    if (colon && !memchr(dec, 0, (size_t)dl)) {
        dec[dl] = 0;
        *colon = 0;
        size_t il = strlen((char *)dec), sl = strlen(colon + 1);
        char *did = form_decode ? evhttp_uridecode((char *)dec, 1, &il) : (char *)dec;
        char *dsec = form_decode ? evhttp_uridecode(colon + 1, 1, &sl) : colon + 1;
        if (did && dsec && il > 0 && il <= ISSUER_ID_MAX && sl <= ISSUER_SECRET_MAX &&
            strlen(did) == il && strlen(dsec) == sl) {
            memcpy(id, did, il + 1);
            memcpy(secret, dsec, sl + 1);
            rc = 0;
        }
        if (form_decode) {
            if (dsec)
                OPENSSL_cleanse(dsec, sl);
            free(did);
            free(dsec);
        }
    }
    OPENSSL_cleanse(dec, sizeof dec);
    return rc;
}

const char *
api_base_url(const struct api_req *r, char *buf, size_t cap)
{
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Host");
    bool ok = host && *host && strlen(host) <= 260;
    for (const char *p = host; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr(".-:[]", *p);
    if (ok) {
        snprintf(buf, cap, "https://%s", host);
    } else {
        const struct listen_addr *a = &r->ctx->opt->api;
        snprintf(buf, cap, "https://%s", a->text);
    }
    return buf;
}

static void
oauth_error(struct api_req *r, int code, const char *error, const char *description)
{
    if (code == 401)
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
                          "Basic realm=\"gtmd\"");
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Pragma", "no-cache");
    api_reply_json(r, code,
                   json_pack("{s:s,s:s}", "error", error, "error_description", description));
}

static void
openid_configuration(struct api_req *r)
{
    char base[300], u[5][400];
    api_base_url(r, base, sizeof base);
    snprintf(u[0], sizeof u[0], "%s/adfs", base);
    snprintf(u[1], sizeof u[1], "%s/adfs/oauth2/authorize/", base);
    snprintf(u[2], sizeof u[2], "%s/adfs/oauth2/token/", base);
    snprintf(u[3], sizeof u[3], "%s/adfs/discovery/keys", base);
    snprintf(u[4], sizeof u[4], "%s/adfs/services/trust", base);
    api_reply_json(r, 200,
                   json_pack("{s:s,s:s,s:s,s:s,s:s,s:[],s:[s],s:[s,s],s:[s],s:[s],s:[s]}", "issuer",
                             u[0], "authorization_endpoint", u[1], "token_endpoint", u[2],
                             "jwks_uri", u[3], "access_token_issuer", u[4],
                             "response_types_supported", "grant_types_supported",
                             "client_credentials", "token_endpoint_auth_methods_supported",
                             "client_secret_post", "client_secret_basic", "subject_types_supported",
                             "pairwise", "id_token_signing_alg_values_supported", "HS256",
                             "scopes_supported", "openid"));
}

/* One token request's client credentials: client_secret_basic (RFC 6749
 * §2.3.1) or client_secret_post, never both. */
struct creds {
    char id[ISSUER_ID_MAX + 1];
    char secret[ISSUER_SECRET_MAX + 1];
    const char *basic; /* the Authorization header's credential, or NULL */
};

/* credentials: into c; 0, or replies and returns -1. */
static int
credentials(struct api_req *r, const struct evkeyvalq *form, struct creds *c)
{
    const char *auth =
        evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    const char *pid = evhttp_find_header(form, "client_id");
    const char *psecret = evhttp_find_header(form, "client_secret");
    c->basic = auth && strncasecmp(auth, "Basic ", 6) == 0 ? auth + 6 : NULL;
    if (c->basic) {
        if (psecret) {
            oauth_error(r, 400, "invalid_request",
                        "Use one way to authenticate the client: the Authorization header or "
                        "client_secret, not both.");
            return -1;
        }
        if (issuer_basic(c->basic, true, c->id, c->secret) != 0 &&
            issuer_basic(c->basic, false, c->id, c->secret) != 0) {
            oauth_error(r, 401, "invalid_client",
                        "The Authorization header is not Basic base64(client_id:secret).");
            return -1;
        }
        return 0;
    }
    if (!pid || !psecret) {
        oauth_error(r, 400, "invalid_request",
                    "The request needs client_id and client_secret (or an Authorization: Basic "
                    "header).");
        return -1;
    }
    if (strlen(pid) > ISSUER_ID_MAX || strlen(psecret) > ISSUER_SECRET_MAX) {
        oauth_error(r, 401, "invalid_client", "Client authentication failed.");
        return -1;
    }
    memcpy(c->id, pid, strlen(pid) + 1);
    memcpy(c->secret, psecret, strlen(psecret) + 1);
    return 0;
}

/* audience_of: the resource a token is for: scope "RESOURCE/.default"
 * (v2) or resource=RESOURCE (v1); the API's own URL when neither.
 * Returns 0, or -1 when the one named is not a valid audience. */
static int
audience_of(struct api_req *r, const struct evkeyvalq *form, char *out, size_t cap)
{
    const char *resource = evhttp_find_header(form, "resource");
    const char *scope = evhttp_find_header(form, "scope");
    if (resource && *resource) {
        if (!issuer_audience_ok(resource) || strlen(resource) >= cap)
            return -1;
        memcpy(out, resource, strlen(resource) + 1);
        return 0;
    }
    if (scope) {
        for (const char *p = scope; *p;) {
            size_t n = strcspn(p, " ");
            if (n > 9 && memcmp(p + n - 9, "/.default", 9) == 0) {
                if (n - 8 >= cap)
                    return -1;
                memcpy(out, p, n - 8); /* keep the '/' */
                out[n - 8] = 0;
                return issuer_audience_ok(out) ? 0 : -1;
            }
            p += n;
            p += strspn(p, " ");
        }
    }
    char base[300];
    snprintf(out, cap, "%s/", api_base_url(r, base, sizeof base));
    return 0;
}

/* repeated: the first parameter the form names twice (RFC 6749 §3.2:
 * parameters must not be included more than once), or NULL. */
static const char *
repeated(const struct evkeyvalq *form)
{
    const struct evkeyval *a, *b;
    TAILQ_FOREACH (a, form, next)
        for (b = TAILQ_NEXT(a, next); b; b = TAILQ_NEXT(b, next))
            if (strcmp(a->key, b->key) == 0)
                return a->key;
    return NULL;
}

static void
safe_text(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    for (const char *p = in; *p && k < cap - 1; p++)
        out[k++] = id_char((unsigned char)*p) ? *p : '?';
    out[k] = 0;
}

/* grant: the token for c, or the error reply. */
static void
grant(struct api_issuer *is, struct api_req *r, const struct evkeyvalq *form, struct creds *c)
{
    char audience[512], iss[320], base[300], token[ISSUER_TOKEN_MAX];
    if (audience_of(r, form, audience, sizeof audience) != 0) {
        oauth_error(r, 400, "invalid_request",
                    "resource or scope must name 1 to 511 bytes of printable ASCII.");
        return;
    }
    snprintf(iss, sizeof iss, "%s/adfs", api_base_url(r, base, sizeof base));
    time_t now = time(NULL);
    enum issuer_grant_rc rc =
        issuer_grant(is, c->id, c->secret, audience, iss, now, token, sizeof token);
    if (rc == ISSUER_BAD_CLIENT && c->basic) {
        /* A Basic credential that was sent without form-encoding (curl -u,
         * requests) and whose secret holds '+' or '%': try it as sent. */
        struct creds raw;
        if (issuer_basic(c->basic, false, raw.id, raw.secret) == 0 &&
            (strcmp(raw.id, c->id) != 0 || strcmp(raw.secret, c->secret) != 0)) {
            rc = issuer_grant(is, raw.id, raw.secret, audience, iss, now, token, sizeof token);
            if (rc == ISSUER_GRANTED)
                memcpy(c->id, raw.id, sizeof raw.id);
        }
        OPENSSL_cleanse(&raw, sizeof raw);
    }
    char shown[ISSUER_ID_MAX + 1];
    safe_text(c->id, shown, sizeof shown);
    switch (rc) {
    case ISSUER_GRANTED: {
        is->granted++;
        log_info("api: token issued to client '%s' for %s, valid %u s", shown, audience,
                 is->lifetime);
        json_t *reply = json_pack("{s:s,s:I,s:I,s:s}", "token_type", "Bearer", "expires_in",
                                  (json_int_t)is->lifetime, "ext_expires_in",
                                  (json_int_t)is->lifetime, "access_token", token);
        const char *resource = evhttp_find_header(form, "resource");
        if (resource)
            json_object_set_new(reply, "resource", json_string(audience));
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Pragma", "no-cache");
        api_reply_json(r, 200, reply);
        OPENSSL_cleanse(token, sizeof token);
        break;
    }
    case ISSUER_BAD_CLIENT:
        is->refused++;
        /* Anyone may ask: at most one line a second (the count is in /metrics). */
        log_rl_warn("api: token refused: client '%s': unknown client or wrong secret", shown);
        oauth_error(r, 401, "invalid_client",
                    "Client authentication failed: unknown client or wrong secret.");
        break;
    case ISSUER_BAD_REQUEST:
        oauth_error(r, 400, "invalid_request",
                    "resource or scope must name 1 to 511 bytes of printable ASCII.");
        break;
    case ISSUER_FAILED:
        oauth_error(r, 500, "server_error", "The token could not be made; see gtmd's log.");
        log_err("api: a token could not be made (no randomness from OpenSSL?)");
        break;
    }
}

static void
token_request(struct api_issuer *is, struct api_req *r)
{
    if (r->method != EVHTTP_REQ_POST) {
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", "POST");
        oauth_error(r, 405, "invalid_request", "The token endpoint takes POST.");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    if (len > TOKEN_BODY_MAX) {
        oauth_error(r, 400, "invalid_request", "The token request is too large.");
        return;
    }
    char body[TOKEN_BODY_MAX + 1];
    evbuffer_copyout(in, body, len);
    body[len] = 0;
    struct evkeyvalq form;
    TAILQ_INIT(&form);
    if (memchr(body, 0, len) || strstr(body, "%00") ||
        (len && evhttp_parse_query_str(body, &form) != 0)) {
        OPENSSL_cleanse(body, len);
        evhttp_clear_headers(&form);
        oauth_error(r, 400, "invalid_request",
                    "The token request is not application/x-www-form-urlencoded.");
        return;
    }
    OPENSSL_cleanse(body, len);
    const char *grant_type = evhttp_find_header(&form, "grant_type");
    const char *twice = repeated(&form);
    struct creds c;
    if (twice) {
        char shown[64], what[128];
        safe_text(twice, shown, sizeof shown);
        snprintf(what, sizeof what, "The parameter '%s' is given more than once.", shown);
        oauth_error(r, 400, "invalid_request", what);
    } else if (!grant_type) {
        oauth_error(r, 400, "invalid_request", "The request needs grant_type.");
    } else if (strcmp(grant_type, "client_credentials") != 0) {
        oauth_error(r, 400, "unsupported_grant_type",
                    "gtmd issues tokens for the client_credentials grant only.");
    } else if (credentials(r, &form, &c) == 0) {
        grant(is, r, &form, &c);
        OPENSSL_cleanse(&c, sizeof c);
    }
    struct evkeyval *kv;
    TAILQ_FOREACH (kv, &form, next)
        if (strcmp(kv->key, "client_secret") == 0)
            OPENSSL_cleanse(kv->value, strlen(kv->value));
    evhttp_clear_headers(&form);
}

bool
issuer_route(struct api_issuer *is, struct api_req *r)
{
    if (!is || r->nseg < 2 || !api_seg_is(r, 0, "adfs"))
        return false;
    /* /adfs[/TENANT]/...: az asks under the tenant it was given when that
     * is not a GUID. */
    unsigned k = r->nseg == 4 ? 2 : 1;
    bool two = r->nseg == 3 || r->nseg == 4;
    if (two && api_seg_is(r, k, ".well-known") && api_seg_is(r, k + 1, "openid-configuration")) {
        if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
            api_not_allowed(r, "GET, HEAD");
        else
            openid_configuration(r);
        return true;
    }
    if (two && api_seg_is(r, k, "oauth2") && api_seg_is(r, k + 1, "token")) {
        token_request(is, r);
        return true;
    }
    if (two && api_seg_is(r, k, "oauth2") && api_seg_is(r, k + 1, "authorize")) {
        oauth_error(r, 400, "unsupported_response_type",
                    "gtmd's issuer serves the client_credentials grant only: use a service "
                    "principal (az login --service-principal).");
        return true;
    }
    if (r->nseg == 3 && api_seg_is(r, 1, "discovery") && api_seg_is(r, 2, "keys")) {
        api_reply_json(r, 200, json_pack("{s:[]}", "keys"));
        return true;
    }
    return false;
}
