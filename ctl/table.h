/* table.h: aligned text tables for gtmctl's human output. */
#ifndef GTM_CTL_TABLE_H
#define GTM_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 12

struct table {
    unsigned ncols;
    size_t width[TABLE_MAX_COLS]; /* in characters (UTF-8 code points) */
    char **cell;                  /* rows * ncols, row 0 is the header */
    size_t nrows, cap;
};

/* table_new: a table with the given column headers (ncols of them, at
 * most TABLE_MAX_COLS). Returns new; free with table_free. Aborts on OOM. */
struct table *table_new(unsigned ncols, const char *const headers[]);

/* table_free: NULL is a no-op. */
void table_free(struct table *t);

/* table_add: appends a row of t->ncols cells (copied; NULL or "" shows as
 * "-"; control characters show as '?', so that a reply cannot drive the
 * terminal). */
void table_add(struct table *t, const char *const cells[]);

/* table_rows: the number of rows, not counting the header. */
size_t table_rows(const struct table *t);

/* table_print: writes the header and the rows, columns separated by two
 * spaces and padded to the widest cell; no trailing blanks. */
void table_print(const struct table *t, FILE *out);

/* ctl_fputs_clean: writes s with control characters shown as '?' (text
 * from the API never drives the terminal). */
void ctl_fputs_clean(const char *s, FILE *out);

/* ctl_text_width: the display width of UTF-8 text, in code points. */
size_t ctl_text_width(const char *s);

#endif
