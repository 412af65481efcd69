/* table.c: aligned text tables. */
#include "config.h"
#include "ctl/table.h"

#include <stdlib.h>
#include <string.h>

static void *
must(void *p)
{
    if (!p) {
        fputs("gtmctl: out of memory\n", stderr);
        abort();
    }
    return p;
}

size_t
ctl_text_width(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

void
ctl_fputs_clean(const char *s, FILE *out)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7F ? '?' : *p, out);
}

/* A copy of s safe to print: control characters (C0, DEL) become '?'. */
static char *
clean_copy(const char *s)
{
    if (!s || !*s)
        s = "-";
    char *c = must(strdup(s));
    for (unsigned char *p = (unsigned char *)c; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            *p = '?';
    return c;
}

static void
append_row(struct table *t, const char *const cells[])
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cell = must(realloc(t->cell, t->cap * t->ncols * sizeof *t->cell));
    }
    char **row = t->cell + t->nrows * t->ncols;
    for (unsigned c = 0; c < t->ncols; c++) {
        row[c] = clean_copy(cells[c]);
        size_t w = ctl_text_width(row[c]);
        if (w > t->width[c])
            t->width[c] = w;
    }
    t->nrows++;
}

struct table *
table_new(unsigned ncols, const char *const headers[])
{
    if (ncols == 0 || ncols > TABLE_MAX_COLS)
        abort();
    struct table *t = must(calloc(1, sizeof *t));
    t->ncols = ncols;
    append_row(t, headers);
    return t;
}

void
table_free(struct table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t);
}

void
table_add(struct table *t, const char *const cells[])
{
    append_row(t, cells);
}

size_t
table_rows(const struct table *t)
{
    return t->nrows - 1;
}

void
table_print(const struct table *t, FILE *out)
{
    for (size_t r = 0; r < t->nrows; r++) {
        char *const *row = t->cell + r * t->ncols;
        /* The last column is not padded: no trailing blanks. */
        for (unsigned c = 0; c < t->ncols; c++) {
            fputs(row[c], out);
            if (c + 1 == t->ncols)
                break;
            size_t pad = t->width[c] - ctl_text_width(row[c]) + 2;
            for (size_t i = 0; i < pad; i++)
                fputc(' ', out);
        }
        fputc('\n', out);
    }
}
