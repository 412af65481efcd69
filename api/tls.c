/* tls.c: server TLS for the API (OpenSSL 3). */
#include "config.h"
#include "api/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gtm/log.h"

static void
log_ssl(const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    log_err("api: %s: %s", what, e ? buf : "unknown error");
}

static int
add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return -1;
    int rc = X509_add_ext(cert, ext, -1) ? 0 : -1;
    X509_EXTENSION_free(ext);
    return rc;
}

/* A self-signed certificate for the loopback names, valid one year. */
static int
make_self_signed(EVP_PKEY **pkey_out, X509 **cert_out)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    if (!pkey || !cert)
        goto fail;
    X509_set_version(cert, 2);
    unsigned char serial[16];
    FILE *r = fopen("/dev/urandom", "r");
    if (!r || fread(serial, 1, sizeof serial, r) != sizeof serial) {
        if (r)
            fclose(r);
        goto fail;
    }
    fclose(r);
    serial[0] &= 0x7F;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert))) {
        BN_free(bn);
        goto fail;
    }
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"gtmd", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    if (!X509_set_pubkey(cert, pkey) ||
        add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") != 0 ||
        add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        !X509_sign(cert, pkey, EVP_sha256()))
        goto fail;
    *pkey_out = pkey;
    *cert_out = cert;
    return 0;
fail:
    EVP_PKEY_free(pkey);
    X509_free(cert);
    return -1;
}

static int
save_pem(const char *path, mode_t mode, EVP_PKEY *pkey, X509 *cert)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        close(fd);
        return -1;
    }
    int ok =
        pkey ? PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(fp, cert);
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    if (fclose(fp) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

SSL_CTX *
api_tls_new(const char *cert_file, const char *key_file, const char *dir)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        log_ssl("cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* TLS 1.2: AEAD suites with forward secrecy only (Mozilla's
     * "intermediate"); TLS 1.3 keeps OpenSSL's defaults. DHE takes its group
     * from the key size (RFC 7919's ffdhe groups). */
    if (SSL_CTX_set_cipher_list(ctx, API_TLS12_CIPHERS) != 1 || SSL_CTX_set_dh_auto(ctx, 1) != 1) {
        log_ssl("cannot set the TLS 1.2 cipher suites");
        SSL_CTX_free(ctx);
        return NULL;
    }

    char crt_path[4096], key_path[4096];
    if (!cert_file && dir) {
        snprintf(crt_path, sizeof crt_path, "%s/api.crt", dir);
        snprintf(key_path, sizeof key_path, "%s/api.key", dir);
        if (access(crt_path, R_OK) == 0 && access(key_path, R_OK) == 0) {
            cert_file = crt_path;
            key_file = key_path;
        }
    }
    if (cert_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            log_ssl(cert_file);
            SSL_CTX_free(ctx);
            return NULL;
        }
        log_info("api: TLS certificate %s", cert_file);
        return ctx;
    }

    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    if (make_self_signed(&pkey, &cert) != 0 || SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
        log_ssl("cannot make a self-signed certificate");
        EVP_PKEY_free(pkey);
        X509_free(cert);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (dir) {
        if (save_pem(key_path, 0600, pkey, NULL) == 0 && save_pem(crt_path, 0644, NULL, cert) == 0)
            log_info("api: made a self-signed certificate: %s (trust it with gtmctl --cacert)",
                     crt_path);
        else
            log_warn("api: cannot save the self-signed certificate in %s: %s", dir,
                     strerror(errno));
    } else {
        log_info("api: serving a self-signed certificate made at start (kept in memory; "
                 "give --state-dir to keep it)");
    }
    EVP_PKEY_free(pkey);
    X509_free(cert);
    return ctx;
}
