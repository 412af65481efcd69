/* alloc.h: allocation that dies on OOM, and arenas for immutable snapshots. */
#ifndef GTM_GTM_ALLOC_H
#define GTM_GTM_ALLOC_H

#include <stddef.h>

#include "gtm/compiler.h"

/* x*alloc: like malloc & co, but abort with a log line on out-of-memory. */
void *xmalloc(size_t n) GTM_MALLOC;
void *xcalloc(size_t n, size_t size) GTM_MALLOC;
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s) GTM_MALLOC;

/* An arena: bump allocation in chunks, freed as one. Not thread-safe while
 * being filled; read-only sharing afterwards is fine. */
struct arena;

/* arena_new: returns a new empty arena; free with arena_free. */
struct arena *arena_new(void);
/* arena_new_small: an arena for a few kilobytes (one profile): its first
 * chunk holds about first bytes, each next one twice as many, up to
 * arena_new's chunks. */
struct arena *arena_new_small(size_t first);
/* arena_free: releases every allocation of the arena. NULL is a no-op. */
void arena_free(struct arena *a);
/* arena_alloc: n zeroed bytes aligned for any type; lives as long as the arena. */
void *arena_alloc(struct arena *a, size_t n) GTM_NONNULL(1);
/* arena_memdup/strdup: copies into the arena. */
void *arena_memdup(struct arena *a, const void *p, size_t n) GTM_NONNULL(1);
char *arena_strdup(struct arena *a, const char *s) GTM_NONNULL(1, 2);
/* arena_size: bytes obtained from the system for this arena. */
size_t arena_size(const struct arena *a);

#endif
