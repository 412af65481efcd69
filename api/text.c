/* text.c: escaping for Prometheus and HTML output, ISO 8601 times. */
#include "config.h"
#include "api/text.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

void
prom_label_value(struct evbuffer *b, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\\\"\n");
        evbuffer_add(b, s, n);
        s += n;
        if (*s == 0)
            break;
        evbuffer_add(b, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n", 2);
        s++;
    }
}

void
html_text(struct evbuffer *b, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "&<>\"'");
        evbuffer_add(b, s, n);
        s += n;
        switch (*s) {
        case 0:
            return;
        case '&':
            evbuffer_add(b, "&amp;", 5);
            break;
        case '<':
            evbuffer_add(b, "&lt;", 4);
            break;
        case '>':
            evbuffer_add(b, "&gt;", 4);
            break;
        case '"':
            evbuffer_add(b, "&quot;", 6);
            break;
        default:
            evbuffer_add(b, "&#39;", 5);
            break;
        }
        s++;
    }
}

char *
time_iso8601(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, cap, "1970-01-01T00:00:00.000Z");
        return out;
    }
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return out;
}
