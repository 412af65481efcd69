/* api.h: the management API (SPEC §7): HTTPS on --api, Azure's ARM REST
 * surface for traffic manager profiles, metrics, the status page and the
 * lab extensions. Runs on the control loop. */
#ifndef GTM_API_API_H
#define GTM_API_API_H

struct gtm_ctx;
struct gtm_options;
struct config_errors;
struct api;

/* api_check: the API's own files that --check-config and start-up read
 * before anything listens (--api-clients); each error reported through
 * errs, naming the file and line. Returns 0 or -1. */
int api_check(const struct gtm_options *o, struct config_errors *errs);

/* api_start: listens on ctx->opt->api with TLS (the given certificate, or a
 * self-signed one kept in the state directory). Returns NULL after logging
 * a one-line reason when it cannot (the caller exits 2). Loop thread. */
struct api *api_start(struct gtm_ctx *ctx);

/* api_free: stops listening and frees. NULL is a no-op. */
void api_free(struct api *a);

#endif
