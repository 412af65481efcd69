/* fuzz_issuer.c: what a client hands the token issuer (api/issuer.c):
 * the first byte chooses the parser, the rest is its input.
 * - 0: a bearer token: issuer_verify never crashes, and accepts nothing
 *   but what issuer_grant made (the input is checked against a fresh
 *   grant of the same claims only when it verifies: it must then be a
 *   well-formed three-part token);
 * - 1 and 3: an Authorization: Basic credential, form-decoded (3) or not:
 *   issuer_basic never crashes and what it returns is within bounds;
 * - otherwise: a grant for (client id, secret) split at the first NUL,
 *   then its token verifies, and a token with one byte changed does not. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/issuer.h"

#define SECRET "fuzz-secret-0123456789"
#define NOW    ((time_t)1800000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct api_issuer *
issuer(void)
{
    static struct api_issuer *is;
    if (!is) {
        char path[] = "/tmp/gtmd-fuzz-issuer-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0)
            abort();
        static const char text[] = "fuzz " SECRET "\n";
        if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1))
            abort();
        close(fd);
        char why[256];
        unsigned line;
        is = issuer_load(path, 600, why, sizeof why, &line);
        unlink(path);
        if (!is)
            abort();
    }
    return is;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    struct api_issuer *is = issuer();
    if (data[0] == 0) {
        if (issuer_verify(is, text, NOW) != ISSUER_TOKEN_BAD) {
            /* Only a token of this issuer verifies: three parts. */
            char *d1 = strchr(text, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
            if (!d2 || strchr(d2 + 1, '.'))
                abort();
        }
    } else if (data[0] == 1 || data[0] == 3) {
        char id[ISSUER_ID_MAX + 1], secret[ISSUER_SECRET_MAX + 1];
        if (issuer_basic(text, (data[0] & 2) != 0, id, secret) == 0 &&
            (strlen(id) == 0 || strlen(id) > ISSUER_ID_MAX || strlen(secret) > ISSUER_SECRET_MAX))
            abort();
    } else {
        size_t idn = strlen(text);
        const char *secret = idn + 1 < size - 1 ? text + idn + 1 : "";
        char tok[ISSUER_TOKEN_MAX];
        int rc = issuer_grant(is, text, secret, "https://127.0.0.1/", "https://127.0.0.1/adfs", NOW,
                              tok, sizeof tok);
        bool right = strcmp(text, "fuzz") == 0 && strcmp(secret, SECRET) == 0;
        if ((rc == ISSUER_GRANTED) != right)
            abort();
        if (rc == ISSUER_GRANTED) {
            if (issuer_verify(is, tok, NOW) != ISSUER_TOKEN_OK ||
                issuer_verify(is, tok, NOW + 600) != ISSUER_TOKEN_EXPIRED)
                abort();
            size_t n = strlen(tok);
            size_t at = (size_t)data[0] * 7 % n;
            tok[at] = tok[at] == 'x' ? 'y' : 'x';
            if (issuer_verify(is, tok, NOW) != ISSUER_TOKEN_BAD)
                abort();
        }
    }
    free(text);
    return 0;
}
