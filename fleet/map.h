/* map.h: a string-keyed hash table of the fleet's views (probes by id,
 * profiles by name, overrides, nodes): chained, doubling, one allocation
 * per entry with the key inside. Loop thread only. */
#ifndef GTM_FLEET_MAP_H
#define GTM_FLEET_MAP_H

#include <stddef.h>
#include <stdint.h>

struct map_entry {
    struct map_entry *next;
    uint32_t hash;
    void *val;   /* the owner's; freed by the free function given to map_clear */
    int64_t rev; /* the etcd revision it was last changed at */
    char key[];
};

struct map {
    struct map_entry **b;
    size_t cap, n;
};

/* map_get: the entry of key, or NULL. */
struct map_entry *map_get(const struct map *m, const char *key);

/* map_put: the entry of key, made (val NULL, rev 0) when absent. */
struct map_entry *map_put(struct map *m, const char *key);

/* map_del: removes key's entry; returns its val (the caller frees it). */
void *map_del(struct map *m, const char *key);

/* map_clear: removes every entry, calling free_val (may be NULL) on each val. */
void map_clear(struct map *m, void (*free_val)(void *));

/* map_each: fn on every entry (not to add or remove any). */
void map_each(const struct map *m, void (*fn)(void *arg, struct map_entry *e), void *arg);

#endif
