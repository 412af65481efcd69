/* json.c: member lookup as Azure reads documents, and a nesting bound
 * (gtm/json.h). */
#include "config.h"
#include "gtm/json.h"

#include <strings.h>

json_t *
gtm_json_member(const json_t *o, const char *key)
{
    if (!json_is_object(o))
        return NULL;
    json_t *v = json_object_get(o, key);
    if (v)
        return v;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)o, k, x)
    {
        if (strcasecmp(k, key) == 0)
            return x;
    }
    return NULL;
}

bool
gtm_json_depth_ok(const json_t *v, unsigned max)
{
    if (!json_is_object(v) && !json_is_array(v))
        return true;
    if (max == 0)
        return false;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!gtm_json_depth_ok(json_array_get(v, i), max - 1))
                return false;
        return true;
    }
    const char *k;
    json_t *m;
    json_object_foreach((json_t *)v, k, m)
    {
        if (!gtm_json_depth_ok(m, max - 1))
            return false;
    }
    return true;
}
