/* text.h: escaping for the API's text outputs (Prometheus label values,
 * HTML) and time stamps. Pure but for the buffer they append to. */
#ifndef GTM_API_TEXT_H
#define GTM_API_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* prom_label_value: appends s escaped as a Prometheus text-format label
 * value (backslash, double quote and line feed escaped; no quotes added). */
void prom_label_value(struct evbuffer *b, const char *s);

/* html_text: appends s with &, <, >, " and ' as character references, so
 * that it is safe both as element text and inside a quoted attribute. */
void html_text(struct evbuffer *b, const char *s);

/* time_iso8601: ms since the epoch as "2024-01-02T03:04:05.678Z" into
 * out[cap] (at least 25 bytes); returns out. */
char *time_iso8601(int64_t ms, char *out, size_t cap);

#endif
