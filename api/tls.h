/* tls.h: the API's TLS context: a given certificate, or a self-signed one. */
#ifndef GTM_API_TLS_H
#define GTM_API_TLS_H

#include <openssl/ssl.h>

/* api_tls_new: an SSL_CTX for the server. With cert and key files, those;
 * otherwise a self-signed P-256 certificate for localhost/127.0.0.1/::1,
 * reused from (or saved to) dir/api.crt and dir/api.key when dir is not
 * NULL. Returns NULL after logging why. */
SSL_CTX *api_tls_new(const char *cert, const char *key, const char *dir);

#endif
