/* json.h: two helpers over jansson that documents from outside need: a
 * member looked up as Azure reads it (any case), and a bound on nesting.
 * Pure. Implemented in lib/json.c. */
#ifndef GTM_GTM_JSON_H
#define GTM_GTM_JSON_H

#include <stdbool.h>

#include <jansson.h>

/* gtm_json_member: key's value in object o: the member spelled exactly so,
 * else the first member whose name equals key ignoring case; NULL when
 * there is none or o is not an object. */
json_t *gtm_json_member(const json_t *o, const char *key);

/* gtm_json_depth_ok: v nests at most max objects and arrays. */
bool gtm_json_depth_ok(const json_t *v, unsigned max);

#endif
