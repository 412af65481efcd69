/* read.h: the parse context and the helpers shared by the readers of a
 * profile document (parse.c, endpoint.c); private to profiles/. */
#ifndef GTM_PROFILES_READ_H
#define GTM_PROFILES_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gtm/compiler.h"
#include "gtm/profile.h"
#include "profiles/fields.h"

struct arena;
struct config_errors;

#define PATH_MAX_LEN 160
#define IPATH_LEN    (PATH_MAX_LEN + 32) /* a path with an index or a field added */

/* ---- parse context, paths and messages ---- */

struct pctx {
    struct arena *a;
    const char *file;
    bool strict;
    struct config_errors *errs;
};

/* "Enabled", "Disabled": profileStatus, endpointStatus, alwaysServe. */
extern const char *const pr_onoff_names[2];

/* pr_path_join: base + key as a JSON path: "a.b", "a[3]", or either alone
 * when the other is empty. */
void pr_path_join(char *out, size_t cap, const char *base, const char *key);

/* pr_fail: an error at base.key. */
GTM_PRINTF(4, 5)
void pr_fail(struct pctx *c, const char *base, const char *key, const char *fmt, ...);

/* pr_lab: something Azure rejects but a lab can use: an error with --strict,
 * else a warning. */
GTM_PRINTF(4, 5)
void pr_lab(struct pctx *c, const char *base, const char *key, const char *fmt, ...);

/* pr_show: s made safe to print in a message (quoted by the caller). */
const char *pr_show(const char *s, char *buf, size_t cap);

#define SHOW(s) pr_show((s), (char[96]){0}, 96)

/* pr_type_name: "an object", "a string", ... for messages. */
const char *pr_type_name(const json_t *v);

/* ---- typed member access: 1 present and well typed, 0 absent (or null), -1 reported ---- */

/* pr_member: key's value in o (any case), NULL when absent or null. */
json_t *pr_member(const json_t *o, const char *key);

enum want { W_STRING, W_INTEGER, W_OBJECT, W_ARRAY };

/* pr_check: v (already fetched, may be NULL) has type w. */
int pr_check(struct pctx *c, const json_t *v, const char *base, const char *key, enum want w);
int pr_get(struct pctx *c, const json_t *o, const char *base, const char *key, enum want w,
           json_t **out);
int pr_get_str(struct pctx *c, const json_t *o, const char *base, const char *key,
               const char **out);
/* pr_get_int: an integer in [lo, hi]; *out untouched unless 1 is returned. */
int pr_get_int(struct pctx *c, const json_t *o, const char *base, const char *key, long long lo,
               long long hi, long long *out);
/* pr_get_field: an integer field of profiles/fields.h, in its range, by
 * its key; *out untouched unless 1 is returned. */
int pr_get_field(struct pctx *c, const json_t *o, const char *base, enum pf_id id, long long *out);
/* pr_get_enum: a string matching one of names (any case); *out its index. */
int pr_get_enum(struct pctx *c, const json_t *o, const char *base, const char *key,
                const char *const *names, size_t n, int *out);

/* ---- value syntax ---- */

bool pr_is_alnum(unsigned char ch);

/* pr_valid_dns_name: labels of 1..63 chars from [A-Za-z0-9-] (plus '_' when
 * underscore), at most 253 chars; a trailing dot only when absolute_ok. */
bool pr_valid_dns_name(const char *s, bool underscore, bool absolute_ok);

/* ---- the parts of a profile ---- */

/* pr_parse_headers (parse.c): customHeaders: [{name, value}], at most 8,
 * no header injection. */
void pr_parse_headers(struct pctx *c, const json_t *o, const char *base, struct header_kv *out,
                      uint8_t *n);

/* pr_parse_endpoints (endpoint.c): props' endpoints -> p->endpoints,
 * each checked, then the checks across them (those that depend on the
 * routing method only when method_ok). */
void pr_parse_endpoints(struct pctx *c, const json_t *props, const char *pbase, struct profile *p,
                        bool method_ok);

#endif
