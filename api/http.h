/* http.h: what the API's handlers share: the request as parsed once, and
 * replies (api/http.c); the route handlers. Private to api/ (and its unit
 * tests). Loop thread only. */
#ifndef GTM_API_HTTP_H
#define GTM_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "gtm/compiler.h"

struct gtm_ctx;
struct arm_extra;
struct api_issuer;

#define API_MAX_SEGMENTS 16
#define API_MAX_BODY     (1024 * 1024)

struct api_req {
    struct gtm_ctx *ctx;
    struct evhttp_request *req;
    enum evhttp_cmd_type method;
    char *seg[API_MAX_SEGMENTS]; /* the path's segments, percent-decoded */
    unsigned nseg;
    struct evkeyvalq query;          /* query parameters */
    bool can_write;                  /* authenticated for changes */
    bool loopback;                   /* the client is on 127.0.0.0/8 or ::1 */
    struct arm_extra *extra;         /* the state of api/arm_extra.c's routes (NULL: none) */
    const struct api_issuer *issuer; /* --api-clients' token issuer (NULL: none) */
    /* Tests: when set, the reply goes here instead of to the client (its
     * headers are still set on req). */
    void (*capture)(void *arg, int code, const char *body, size_t len);
    void *capture_arg;
};

/* api_seg_is: segment i equals s, ignoring case (ARM paths are case-insensitive). */
bool api_seg_is(const struct api_req *r, unsigned i, const char *s);

/* api_query: a query parameter, or NULL. */
const char *api_query(const struct api_req *r, const char *name);

/* api_body_json: the request body parsed as a JSON object; on failure
 * replies 400 itself and returns NULL. Returns new reference. */
json_t *api_body_json(struct api_req *r);

/* api_reply_json: sends code with body (stolen; NULL: empty body). */
void api_reply_json(struct api_req *r, int code, json_t *body);

/* api_reply: sends code with a body of the given content type. */
void api_reply(struct api_req *r, int code, const char *content_type, const char *body, size_t len);

/* api_error: Azure's error shape {"error":{"code":..,"message":..}}. */
void api_error(struct api_req *r, int code, const char *azure_code, const char *fmt, ...)
    GTM_PRINTF(4, 5);

/* api_not_allowed: 405 MethodNotAllowed with the Allow header (RFC 9110
 * §15.5.6) naming the methods allow lists ("GET, HEAD"). */
void api_not_allowed(struct api_req *r, const char *allow);

/* arm_valid_resource_group: Azure's rule for a resource group name (api/arm.c). */
bool arm_valid_resource_group(const char *s);

/* Route handlers: each returns true when it took the request (and replied). */
bool arm_route(struct api_req *r);
bool lab_route(struct api_req *r);
bool obs_route(struct api_req *r);

#endif
