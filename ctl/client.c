/* client.c: gtmctl's HTTPS client (libcurl over OpenSSL). */
#include "config.h"
#include "ctl/client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl/table.h"

/* ---- local files ---- */

char *
ctl_read_token(const char *file, char *err, size_t errlen)
{
    FILE *fp = fopen(file, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return NULL;
    }
    char line[CTL_MAX_TOKEN_LEN + 2];
    char *token = NULL;
    unsigned lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t n = strcspn(line, "\r\n");
        if (line[n] == 0 && !feof(fp)) {
            snprintf(err, errlen, "%s:%u: token longer than %d bytes", file, lineno,
                     CTL_MAX_TOKEN_LEN);
            break;
        }
        line[n] = 0;
        char *t = line + strspn(line, " \t");
        size_t len = strlen(t);
        while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
            t[--len] = 0;
        if (len == 0 || t[0] == '#')
            continue;
        bool printable = true;
        for (const unsigned char *c = (const unsigned char *)t; *c; c++)
            if (*c < 0x20 || *c == 0x7F)
                printable = false;
        if (!printable)
            snprintf(err, errlen, "%s:%u: the token holds control characters", file, lineno);
        else if (!(token = strdup(t)))
            snprintf(err, errlen, "out of memory");
        break;
    }
    if (!token && ferror(fp))
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
    else if (!token && !err[0])
        snprintf(err, errlen, "%s holds no token", file);
    explicit_bzero(line, sizeof line);
    fclose(fp);
    return token;
}

static enum ctl_status
usage_error(const char *what, const char *why)
{
    fprintf(stderr, "gtmctl: %s%s%s\n", what, *what ? ": " : "", why);
    return CTL_USAGE;
}

enum ctl_status
ctl_client_init(struct ctl_client *c, const struct ctl_args *a, ctl_getenv_fn *env)
{
    memset(c, 0, sizeof *c);
    c->args = a;
    size_t n = strlen(a->api);
    while (n > 8 && a->api[n - 1] == '/')
        n--;
    c->base = strndup(a->api, n);
    if (!c->base)
        return usage_error("", "out of memory");

    char err[512] = "";
    if (a->token_file) {
        c->token = ctl_read_token(a->token_file, err, sizeof err);
        if (!c->token)
            return usage_error("--token-file", err);
    } else {
        const char *t = env ? env("GTMCTL_TOKEN") : NULL;
        if (t && *t) {
            for (const unsigned char *p = (const unsigned char *)t; *p; p++)
                if (*p < 0x20 || *p == 0x7F)
                    return usage_error("GTMCTL_TOKEN", "holds control characters");
            if (strlen(t) > CTL_MAX_TOKEN_LEN)
                return usage_error("GTMCTL_TOKEN", "longer than 512 bytes");
            c->token = strdup(t);
        }
    }

    if (a->state_dir) {
        size_t len = strlen(a->state_dir) + sizeof "/api.crt";
        c->cacert = malloc(len);
        if (c->cacert)
            snprintf(c->cacert, len, "%s/api.crt", a->state_dir);
    } else if (a->cacert) {
        c->cacert = strdup(a->cacert);
    }
    if ((a->state_dir || a->cacert) && !c->cacert)
        return usage_error("", "out of memory");
    if (c->cacert && access(c->cacert, R_OK) != 0) {
        snprintf(err, sizeof err, "%s: %s", c->cacert, strerror(errno));
        return usage_error(a->state_dir ? "--state-dir" : "--cacert", err);
    }

    c->curl = curl_easy_init();
    if (!c->curl)
        return usage_error("", "cannot initialise libcurl");
    return CTL_OK;
}

void
ctl_client_cleanup(struct ctl_client *c)
{
    if (c->token) {
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
    }
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->base);
    free(c->cacert);
    memset(c, 0, sizeof *c);
}

/* ---- requests ---- */

struct sink {
    char *buf;
    size_t len, cap;
    bool too_large;
    bool no_memory;
};

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (n > CTL_MAX_REPLY - s->len) {
        s->too_large = true;
        return 0;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->no_memory = true;
            return 0;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = 0;
    return n;
}

void
ctl_reply_cleanup(struct ctl_reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* Prints Azure's {"error":{"code","message","details":[...]}} or, failing
 * that, the HTTP status and the start of the body. */
static void
report_refusal(const struct ctl_client *c, const char *method, const char *path,
               const struct ctl_reply *r)
{
    json_t *e = json_object_get(r->json, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (code || msg) {
        fprintf(stderr, "gtmctl: API refused (HTTP %ld ", r->code);
        ctl_fputs_clean(code ? code : "-", stderr);
        fputs("): ", stderr);
        ctl_fputs_clean(msg ? msg : "(no message)", stderr);
        fputc('\n', stderr);
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(e, "details"), i, d)
        {
            const char *dm = json_string_value(json_object_get(d, "message"));
            if (dm) {
                fputs("  ", stderr);
                ctl_fputs_clean(dm, stderr);
                fputc('\n', stderr);
            }
        }
        return;
    }
    fprintf(stderr, "gtmctl: API refused (HTTP %ld) %s %s%s\n", r->code, method, c->base, path);
}

/* The API answered TLS, but its certificate is not trusted (or the trust
 * file is unusable). */
static bool
is_trust_failure(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_CERTPROBLEM;
}

static enum ctl_status
report_transport(struct ctl_client *c, CURLcode rc, const struct sink *s)
{
    if (s->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        fprintf(stderr, "gtmctl: %s: the reply is larger than %u MiB\n", c->base,
                CTL_MAX_REPLY / (1024 * 1024));
        return CTL_UNREACHABLE;
    }
    if (s->no_memory) {
        fprintf(stderr, "gtmctl: out of memory reading the reply of %s\n", c->base);
        return CTL_UNREACHABLE;
    }
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    long os_errno = 0;
    if (rc == CURLE_COULDNT_CONNECT &&
        curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno)
        why = strerror((int)os_errno);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        fprintf(stderr, "gtmctl: cannot reach %s: no answer within %ld s\n", c->base,
                c->args->timeout);
    } else if (is_trust_failure(rc)) {
        fprintf(stderr, "gtmctl: cannot verify the certificate of %s: %s\n", c->base, why);
        if (!c->cacert)
            fprintf(stderr, "gtmctl: give --cacert FILE, --state-dir DIR (to trust gtmd's "
                            "self-signed DIR/api.crt) or --insecure\n");
    } else {
        fprintf(stderr, "gtmctl: cannot reach %s: %s\n", c->base, why);
    }
    return CTL_UNREACHABLE;
}

static CURLcode
setup(struct ctl_client *c, const char *method, const char *url, const char *body,
      struct curl_slist *headers, struct sink *s)
{
    CURL *h = c->curl;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)
    curl_easy_reset(h);
    c->errbuf[0] = 0;
    SET(CURLOPT_ERRORBUFFER, c->errbuf);
    SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "https");
#else
    SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROXY, ""); /* the API is reached directly, never through $https_proxy */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_TIMEOUT, c->args->timeout);
    SET(CURLOPT_CONNECTTIMEOUT, c->args->timeout < 10 ? c->args->timeout : 10L);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CTL_MAX_REPLY);
    SET(CURLOPT_USERAGENT, "gtmctl/" PACKAGE_VERSION);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, s);
    if (c->args->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (c->cacert)
            SET(CURLOPT_CAINFO, c->cacert);
    }
    if (body) {
        SET(CURLOPT_POSTFIELDS, body);
        SET(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "POST") == 0) {
        SET(CURLOPT_POSTFIELDS, "");
        SET(CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        SET(CURLOPT_CUSTOMREQUEST, method);
#undef SET
    return rc;
}

enum ctl_status
ctl_request(struct ctl_client *c, const char *method, const char *path, json_t *body,
            struct ctl_reply *r)
{
    memset(r, 0, sizeof *r);
    size_t ulen = strlen(c->base) + strlen(path) + 1;
    char *url = malloc(ulen);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct curl_slist *headers = NULL, *h;
    char *auth = NULL;
    struct sink s = {0};
    enum ctl_status st = CTL_UNREACHABLE;

    if (!url || (body && !text)) {
        fputs("gtmctl: out of memory\n", stderr);
        goto out;
    }
    snprintf(url, ulen, "%s%s", c->base, path);
    static const char *const fixed[] = {"Accept: application/json", "Expect:"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        if (!(h = curl_slist_append(headers, fixed[i])))
            goto nomem;
        headers = h;
    }
    if (text) {
        if (!(h = curl_slist_append(headers, "Content-Type: application/json")))
            goto nomem;
        headers = h;
    }
    if (c->token) {
        size_t alen = strlen(c->token) + sizeof "Authorization: Bearer ";
        if (!(auth = malloc(alen)))
            goto nomem;
        snprintf(auth, alen, "Authorization: Bearer %s", c->token);
        if (!(h = curl_slist_append(headers, auth)))
            goto nomem;
        headers = h;
    }

    CURLcode rc = setup(c, method, url, text, headers, &s);
    if (rc != CURLE_OK) {
        fprintf(stderr, "gtmctl: libcurl: %s\n", curl_easy_strerror(rc));
        goto out;
    }
    rc = curl_easy_perform(c->curl);
    if (rc != CURLE_OK) {
        st = report_transport(c, rc, &s);
        goto out;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->code);
    r->body = s.buf ? s.buf : strdup("");
    r->len = s.len;
    s.buf = NULL;
    if (!r->body)
        goto nomem;
    if (r->len) {
        json_error_t jerr;
        r->json = json_loadb(r->body, r->len, 0, &jerr);
        if (!r->json && r->code >= 200 && r->code < 300) {
            fprintf(stderr, "gtmctl: %s %s%s: the reply is not JSON: line %d: %s\n", method,
                    c->base, path, jerr.line, jerr.text);
            goto out;
        }
    }
    if (r->code >= 200 && r->code < 300) {
        st = CTL_OK;
    } else {
        report_refusal(c, method, path, r);
        st = CTL_REFUSED;
    }
    goto out;
nomem:
    fputs("gtmctl: out of memory\n", stderr);
out:
    if (auth) {
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    curl_slist_free_all(headers);
    free(s.buf);
    free(text);
    free(url);
    return st;
}
