/* fuzz_api_arm.c: the API's own JSON handling (api/arm_doc.c,
 * api/arm_render.c) on any input. The input is a profile document, then
 * optionally a NUL byte and a second document used as a PATCH body and as
 * an endpoint PUT body. Checked:
 * - normalising (ARM or flattened shape, any key case) never crashes, gives
 *   an object for an object, and is idempotent;
 * - the normalised document means the same to profile_parse as the input
 *   (accepted or refused alike; same name, method, endpoints...);
 * - a response rendered from an accepted profile, prepared for storing,
 *   parses again into the same profile (the GET-then-PUT round trip of
 *   Azure clients), but for toleratedNumberOfFailures, echoed as 3 when
 *   absent as Azure does;
 * - merging a patch or adding an endpoint never crashes, and whatever
 *   results is accepted or refused by profile_parse without a crash. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/arm_doc.h"
#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "profiles/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "fuzz/api.json"

static void
sink(void *arg, const char *file, unsigned line, const char *msg)
{
    (void)arg;
    (void)file;
    (void)line;
    (void)msg;
}

/* parse: text (a dumped document) through profile_parse. */
static struct profile *
parse(struct arena *a, const char *text, size_t len, bool strict)
{
    struct config_errors errs = {0, sink, NULL};
    struct profile *p = NULL;
    if (profile_parse(a, FILE_NAME, text, len, strict, &errs, &p) != 0)
        return NULL;
    return p;
}

static struct profile *
parse_doc(struct arena *a, const json_t *doc, bool strict)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text)
        abort(); /* a normalised object always dumps */
    struct profile *p = parse(a, text, strlen(text), strict);
    free(text);
    return p;
}

static bool
str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* same: what the two parsed profiles serve and probe is the same. */
static void
same(const struct profile *a, const struct profile *b, bool tolerated_too)
{
    if (strcmp(a->name, b->name) != 0 || strcmp(a->relative_name, b->relative_name) != 0 ||
        a->ttl != b->ttl || a->enabled != b->enabled || a->method != b->method ||
        a->max_return != b->max_return || a->nendpoints != b->nendpoints ||
        a->mon.protocol != b->mon.protocol || a->mon.port != b->mon.port ||
        !str_eq(a->mon.path, b->mon.path) || a->mon.interval_s != b->mon.interval_s ||
        a->mon.timeout_s != b->mon.timeout_s || a->mon.nranges != b->mon.nranges ||
        a->mon.nheaders != b->mon.nheaders ||
        (tolerated_too && a->mon.tolerated != b->mon.tolerated))
        abort();
    for (uint32_t i = 0; i < a->nendpoints; i++) {
        const struct endpoint *x = &a->endpoints[i], *y = &b->endpoints[i];
        if (strcmp(x->name, y->name) != 0 || x->kind != y->kind || !str_eq(x->target, y->target) ||
            x->enabled != y->enabled || x->always_serve != y->always_serve ||
            x->priority != y->priority || x->weight != y->weight ||
            !str_eq(x->location, y->location) || x->ngeo != y->ngeo || x->nsubnets != y->nsubnets ||
            !str_eq(x->child, y->child) || x->min_child != y->min_child ||
            x->nheaders != y->nheaders)
            abort();
    }
}

static void
round_trip(const struct profile *p, const json_t *doc, bool strict)
{
    struct arm_view v = {"sub", "rg", "tm.test", NULL};
    json_t *out = arm_render_profile(p, doc, &v);
    if (!json_is_object(out))
        abort();
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        json_t *e = arm_render_endpoint(p, doc, i, &v);
        if (!json_is_object(e))
            abort();
        json_decref(e);
    }
    json_t *again = arm_doc_profile(out);
    arm_doc_prepare(again);
    struct arena *a = arena_new();
    struct profile *q = parse_doc(a, again, strict);
    if (!q)
        abort();
    same(p, q, false);
    arena_free(a);
    json_decref(again);
    json_decref(out);
}

static void
patched(const json_t *doc, const json_t *patch, bool strict)
{
    json_t *merged = json_deep_copy(doc);
    json_t *np = arm_doc_profile(patch);
    arm_doc_merge(merged, np);
    arm_doc_prepare(merged);
    json_t *ep = arm_doc_endpoint(patch);
    json_t *arr = arm_doc_endpoints(merged);
    if (arr) {
        const char *n = json_string_value(json_object_get(ep, "name"));
        long idx = n ? arm_doc_find_endpoint(arr, n) : -1;
        if (idx >= 0)
            arm_doc_merge(json_array_get(arr, (size_t)idx), ep);
        else
            json_array_append(arr, ep);
        arm_doc_prepare_endpoint(json_array_get(arr, json_array_size(arr) - 1));
    }
    struct arena *a = arena_new();
    struct profile *p = parse_doc(a, merged, strict);
    if (p)
        round_trip(p, merged, strict);
    arena_free(a);
    json_decref(ep);
    json_decref(np);
    json_decref(merged);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        log_set_level(LOG_LEVEL_ERROR); /* lab warnings are expected */
        quiet = true;
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t len = nul ? (size_t)(nul - data) : size;
    json_t *raw = json_loadb((const char *)data, len, 0, NULL);
    if (!json_is_object(raw)) {
        json_decref(raw);
        return 0;
    }
    json_t *patch = nul ? json_loadb((const char *)nul + 1, size - len - 1, 0, NULL) : NULL;

    json_t *doc = arm_doc_profile(raw);
    json_t *twice = arm_doc_profile(doc);
    if (!json_is_object(doc) || !json_equal(doc, twice))
        abort();
    for (int strict = 0; strict < 2; strict++) {
        struct arena *a = arena_new();
        struct profile *p = parse(a, (const char *)data, len, strict);
        struct profile *q = parse_doc(a, doc, strict);
        if ((p == NULL) != (q == NULL))
            abort();
        if (p) {
            same(p, q, true);
            round_trip(q, doc, strict);
        }
        if (json_is_object(patch))
            patched(doc, patch, strict);
        arena_free(a);
    }
    json_decref(twice);
    json_decref(doc);
    json_decref(patch);
    json_decref(raw);
    return 0;
}
