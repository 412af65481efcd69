/* http.c: the helpers every API handler uses on the request it was given
 * (path segments, query parameters, the JSON body) and for its reply
 * (Azure's error shape included). Loop thread only. */
#include "config.h"
#include "api/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "gtm/json.h"
#include "gtm/profile.h"

/* ---- replies ---- */

void
api_reply(struct api_req *r, int code, const char *content_type, const char *body, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    if (content_type)
        evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (b && body && len)
        evbuffer_add(b, body, len);
    const char *reason = code == 200   ? "OK"
                         : code == 201 ? "Created"
                         : code == 204 ? "No Content"
                         : code == 400 ? "Bad Request"
                         : code == 401 ? "Unauthorized"
                         : code == 403 ? "Forbidden"
                         : code == 404 ? "Not Found"
                         : code == 405 ? "Method Not Allowed"
                         : code == 409 ? "Conflict"
                         : code == 413 ? "Payload Too Large"
                                       : "Error";
    if (r->capture)
        r->capture(r->capture_arg, code, body, len);
    else
        evhttp_send_reply(r->req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

void
api_reply_json(struct api_req *r, int code, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    api_reply(r, code, "application/json; charset=utf-8", text, text ? strlen(text) : 0);
    free(text);
    json_decref(body);
}

void
api_error(struct api_req *r, int code, const char *azure_code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    api_reply_json(r, code,
                   json_pack("{s:{s:s,s:s}}", "error", "code", azure_code, "message", msg));
}

void
api_not_allowed(struct api_req *r, const char *allow)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", allow);
    api_error(r, 405, "MethodNotAllowed", "This resource takes %s.", allow);
}

bool
api_seg_is(const struct api_req *r, unsigned i, const char *s)
{
    return i < r->nseg && strcasecmp(r->seg[i], s) == 0;
}

const char *
api_query(const struct api_req *r, const char *name)
{
    return evhttp_find_header(&((struct api_req *)r)->query, name);
}

json_t *
api_body_json(struct api_req *r)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    if (len == 0) {
        api_error(r, 400, "InvalidRequestContent", "The request content is empty.");
        return NULL;
    }
    const char *data = (const char *)evbuffer_pullup(in, -1);
    json_error_t err;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        api_error(r, 400, "InvalidRequestContent",
                  "The request content is not valid JSON: line %d column %d: %s", err.line,
                  err.column, err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        api_error(r, 400, "InvalidRequestContent", "The request content must be a JSON object.");
        return NULL;
    }
    if (!gtm_json_depth_ok(j, PROFILE_JSON_MAX_DEPTH)) {
        json_decref(j);
        api_error(r, 400, "InvalidRequestContent",
                  "The request content nests objects and arrays deeper than %d levels.",
                  PROFILE_JSON_MAX_DEPTH);
        return NULL;
    }
    return j;
}
