/* alloc.c: x*alloc (abort on OOM) and the snapshot arena. */
#include "config.h"
#include "gtm/alloc.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gtm/log.h"

GTM_NORETURN static void
oom(size_t n)
{
    log_err("out of memory allocating %zu bytes", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *
xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN alignof(max_align_t)

struct arena_chunk {
    struct arena_chunk *next;
    size_t cap, used;
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct arena_chunk *head;
    size_t total;
    size_t next_cap; /* the next chunk's size: grows to ARENA_CHUNK */
};

struct arena *
arena_new(void)
{
    struct arena *a = xcalloc(1, sizeof(struct arena));
    a->next_cap = ARENA_CHUNK;
    return a;
}

struct arena *
arena_new_small(size_t first)
{
    struct arena *a = xcalloc(1, sizeof(struct arena));
    first = (first + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    a->next_cap = first < 256 ? 256 : first > ARENA_CHUNK ? ARENA_CHUNK : first;
    return a;
}

void
arena_free(struct arena *a)
{
    if (!a)
        return;
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n)
        oom(n);
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > a->next_cap / 4 ? need : a->next_cap;
        bool regular = cap == a->next_cap;
        if (regular && a->next_cap < ARENA_CHUNK)
            a->next_cap *= 2;
        c = xmalloc(sizeof *c + cap);
        c->cap = cap;
        c->used = 0;
        a->total += sizeof *c + cap;
        if (regular || !a->head) {
            c->next = a->head;
            a->head = c;
        } else {
            /* A big one-off block goes behind the current chunk, which keeps its free space. */
            c->next = a->head->next;
            a->head->next = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    memset(p, 0, n);
    return p;
}

void *
arena_memdup(struct arena *a, const void *p, size_t n)
{
    void *q = arena_alloc(a, n);
    if (n)
        memcpy(q, p, n);
    return q;
}

char *
arena_strdup(struct arena *a, const char *s)
{
    return arena_memdup(a, s, strlen(s) + 1);
}

size_t
arena_size(const struct arena *a)
{
    return a->total;
}
