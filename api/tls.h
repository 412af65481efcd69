/* tls.h: the API's TLS context: a given certificate, or a self-signed one. */
#ifndef GTM_API_TLS_H
#define GTM_API_TLS_H

#include <openssl/ssl.h>

/* The TLS 1.2 cipher suites the API accepts: AEAD with forward secrecy
 * (Mozilla's "intermediate" list); no CBC, no static RSA key exchange. */
#define API_TLS12_CIPHERS                                                                          \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                                   \
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

/* api_tls_new: an SSL_CTX for the server. With cert and key files, those;
 * otherwise a self-signed P-256 certificate for localhost/127.0.0.1/::1,
 * reused from (or saved to) dir/api.crt and dir/api.key when dir is not
 * NULL. TLS 1.2 and 1.3; TLS 1.2 with API_TLS12_CIPHERS only. Returns NULL
 * after logging why. */
SSL_CTX *api_tls_new(const char *cert, const char *key, const char *dir);

#endif
