/* map.c: the fleet's string-keyed tables. */
#include "config.h"
#include "fleet/map.h"

#include <stdlib.h>
#include <string.h>

#include "gtm/alloc.h"
#include "gtm/dname.h"

static uint32_t
hash_of(const char *key)
{
    return dname_hash((const uint8_t *)key, strlen(key)); /* the project's one hash */
}

struct map_entry *
map_get(const struct map *m, const char *key)
{
    if (!m->cap)
        return NULL;
    uint32_t h = hash_of(key);
    for (struct map_entry *e = m->b[h & (m->cap - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void
grow(struct map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct map_entry **b = xcalloc(cap, sizeof *b);
    for (size_t i = 0; i < m->cap; i++) {
        struct map_entry *e = m->b[i];
        while (e) {
            struct map_entry *next = e->next;
            e->next = b[e->hash & (cap - 1)];
            b[e->hash & (cap - 1)] = e;
            e = next;
        }
    }
    free(m->b);
    m->b = b;
    m->cap = cap;
}

struct map_entry *
map_put(struct map *m, const char *key)
{
    struct map_entry *e = map_get(m, key);
    if (e)
        return e;
    if (m->n + 1 > m->cap)
        grow(m);
    size_t len = strlen(key);
    e = xcalloc(1, sizeof *e + len + 1);
    memcpy(e->key, key, len + 1);
    e->hash = hash_of(key);
    e->next = m->b[e->hash & (m->cap - 1)];
    m->b[e->hash & (m->cap - 1)] = e;
    m->n++;
    return e;
}

void *
map_del(struct map *m, const char *key)
{
    if (!m->cap)
        return NULL;
    uint32_t h = hash_of(key);
    for (struct map_entry **pe = &m->b[h & (m->cap - 1)]; *pe; pe = &(*pe)->next) {
        struct map_entry *e = *pe;
        if (e->hash == h && strcmp(e->key, key) == 0) {
            *pe = e->next;
            void *val = e->val;
            free(e);
            m->n--;
            return val;
        }
    }
    return NULL;
}

void
map_clear(struct map *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        struct map_entry *e = m->b[i];
        while (e) {
            struct map_entry *next = e->next;
            if (free_val)
                free_val(e->val);
            free(e);
            e = next;
        }
    }
    free(m->b);
    *m = (struct map){0};
}

void
map_each(const struct map *m, void (*fn)(void *arg, struct map_entry *e), void *arg)
{
    for (size_t i = 0; i < m->cap; i++)
        for (struct map_entry *e = m->b[i]; e; e = e->next)
            fn(arg, e);
}
