/* arm_doc.c: profile and endpoint documents brought to ARM shape with
 * Azure's key spellings, merged, stripped; resource ids and endpoint types. */
#include "config.h"
#include "api/arm_doc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gtm/compiler.h"
#include "gtm/json.h"
#include "profiles/fields.h"

/* ---- the shapes: the rows of profiles/fields.h, in the order Azure
 * prints them; an object's keys are the rows whose parent it is ---- */

/* The rows of parent's object, in order (the documents are their own parents). */
#define FOR_KEYS(id, parent)                                                                       \
    for (enum pf_id id = 0; id < PF_COUNT; id++)                                                   \
        if (pf_row(id)->parent == (parent) && id != (parent))

/* ---- normalising ---- */

static bool
spec_has(enum pf_id parent, const char *key)
{
    FOR_KEYS(id, parent)
    {
        if (strcasecmp(pf_row(id)->key, key) == 0)
            return true;
    }
    return false;
}

static json_t *norm_obj(const json_t *src, enum pf_id parent);
static json_t *lift(const json_t *src, enum pf_id top);

static json_t *
norm_value(const json_t *v, enum pf_id id)
{
    enum pf_type t = pf_row(id)->type;
    if (t == PFT_OBJECT && json_is_object(v))
        return norm_obj(v, id);
    if ((t == PFT_LIST || t == PFT_ENDPOINTS) && json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_object(item))
                json_array_append_new(out, json_deep_copy(item));
            else if (t == PFT_ENDPOINTS)
                json_array_append_new(out, lift(item, PF_EP));
            else
                json_array_append_new(out, norm_obj(item, id));
        }
        return out;
    }
    return json_deep_copy(v);
}

/* norm_obj: known keys first, in the table's order and spelling (nulls
 * dropped), then the unknown ones as they were. */
static json_t *
norm_obj(const json_t *src, enum pf_id parent)
{
    json_t *out = json_object();
    FOR_KEYS(id, parent)
    {
        const struct profile_field *f = pf_row(id);
        json_t *v = gtm_json_member(src, f->key);
        if (!v || json_is_null(v) || (f->flags & PFF_DROP))
            continue;
        json_object_set_new(out, f->key, norm_value(v, id));
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v)
    {
        if (!spec_has(parent, key))
            json_object_set_new(out, key, json_deep_copy(v));
    }
    return out;
}

/* lift: a resource in ARM shape (it has properties) or flattened (every
 * member that is not a top-level one belongs in properties), normalised. */
static json_t *
lift(const json_t *src, enum pf_id top)
{
    if (!json_is_object(src))
        return json_deep_copy(src);
    json_t *props = gtm_json_member(src, "properties");
    if (props && !json_is_null(props))
        return norm_obj(src, top);
    json_t *shaped = json_object(), *pp = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v)
    {
        if (spec_has(top, key))
            json_object_set(shaped, key, v);
        else
            json_object_set(pp, key, v);
    }
    json_object_set_new(shaped, "properties", pp);
    json_t *out = norm_obj(shaped, top);
    json_decref(shaped);
    return out;
}

json_t *
arm_doc_profile(const json_t *doc)
{
    return lift(doc, PF_ROOT);
}

json_t *
arm_doc_endpoint(const json_t *doc)
{
    return lift(doc, PF_EP);
}

json_t *
arm_doc_load(const char *text)
{
    json_t *raw = json_loads(text, 0, NULL);
    if (!raw)
        return NULL;
    json_t *doc = arm_doc_profile(raw);
    json_decref(raw);
    return doc;
}

/* ---- merge and strip ---- */

/* without_nulls: a copy of v with the null members of its objects removed
 * (RFC 7396: what a patch member becomes where the target has no object). */
static json_t *
without_nulls(const json_t *v)
{
    if (!json_is_object(v))
        return json_deep_copy(v);
    json_t *out = json_object();
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x)
    {
        if (!json_is_null(x))
            json_object_set_new(out, key, without_nulls(x));
    }
    return out;
}

void
arm_doc_merge(json_t *target, const json_t *patch)
{
    if (!json_is_object(target) || !json_is_object(patch))
        return;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v)
    {
        json_t *t = json_object_get(target, key);
        if (json_is_null(v))
            json_object_del(target, key);
        else if (json_is_object(v) && json_is_object(t))
            arm_doc_merge(t, v);
        else
            json_object_set_new(target, key, without_nulls(v));
    }
}

/* Takes out what gtmd fills in when it renders (read-only fields), below
 * parent's object o. */
static void
strip_computed(json_t *o, enum pf_id parent)
{
    if (!json_is_object(o))
        return;
    FOR_KEYS(id, parent)
    {
        const struct profile_field *f = pf_row(id);
        if (f->flags & PFF_COMPUTED)
            json_object_del(o, f->key);
        else if (f->type == PFT_OBJECT)
            strip_computed(json_object_get(o, f->key), id);
    }
}

void
arm_doc_prepare_endpoint(json_t *ep)
{
    if (!json_is_object(ep))
        return;
    strip_computed(ep, PF_EP);
    enum endpoint_kind k;
    const char *type = json_string_value(json_object_get(ep, "type"));
    if (type && arm_endpoint_kind(type, &k) == 0)
        json_object_set_new(ep, "type", json_string(arm_endpoint_type(k)));
}

void
arm_doc_prepare(json_t *doc)
{
    json_t *props = json_object_get(doc, "properties");
    if (!json_is_object(props))
        return;
    strip_computed(props, PF_PROPS);
    json_t *eps = json_object_get(props, "endpoints");
    size_t i;
    json_t *ep;
    json_array_foreach(eps, i, ep)
    {
        arm_doc_prepare_endpoint(ep);
    }
}

json_t *
arm_doc_endpoints(json_t *doc)
{
    json_t *props = json_object_get(doc, "properties");
    if (!props) {
        props = json_object();
        json_object_set_new(doc, "properties", props);
    }
    if (!json_is_object(props))
        return NULL;
    json_t *eps = json_object_get(props, "endpoints");
    if (!eps) {
        eps = json_array();
        json_object_set_new(props, "endpoints", eps);
    }
    return json_is_array(eps) ? eps : NULL;
}

long
arm_doc_find_endpoint(const json_t *arr, const char *name)
{
    size_t i;
    json_t *ep;
    json_array_foreach(arr, i, ep)
    {
        const char *n = json_string_value(json_object_get(ep, "name"));
        if (n && strcasecmp(n, name) == 0)
            return (long)i;
    }
    return -1;
}

/* ---- ids and types ---- */

static const char *const kind_types[] = {
    [EP_AZURE] = ARM_PROFILE_TYPE "/azureEndpoints",
    [EP_EXTERNAL] = ARM_PROFILE_TYPE "/externalEndpoints",
    [EP_NESTED] = ARM_PROFILE_TYPE "/nestedEndpoints",
};

int
arm_endpoint_kind(const char *s, enum endpoint_kind *out)
{
    static const char prefix[] = ARM_PROFILE_TYPE "/";
    if (strncasecmp(s, prefix, sizeof prefix - 1) == 0)
        s += sizeof prefix - 1;
    for (size_t i = 0; i < GTM_ARRAY_LEN(kind_types); i++) {
        if (strcasecmp(s, kind_types[i] + sizeof prefix - 1) == 0) {
            *out = (enum endpoint_kind)i;
            return 0;
        }
    }
    return -1;
}

const char *
arm_endpoint_type(enum endpoint_kind k)
{
    return (unsigned)k < GTM_ARRAY_LEN(kind_types) ? kind_types[k] : kind_types[EP_EXTERNAL];
}
