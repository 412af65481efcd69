/* unit.h: helpers shared by the cmocka unit tests: an error sink that
 * records "file:line: error: msg" lines, and temporary files. */
#ifndef GTM_TESTS_UNIT_H
#define GTM_TESTS_UNIT_H

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtm/snapshot.h"

/* Every error reported, one line each, as gtmd --check-config prints them. */
struct errbuf {
    char text[8192];
    size_t len;
    unsigned n;
};

static inline void
errbuf_sink(void *arg, const char *file, unsigned line, const char *msg)
{
    struct errbuf *b = arg;
    int n;
    if (line)
        n = snprintf(b->text + b->len, sizeof b->text - b->len, "%s:%u: error: %s\n", file, line,
                     msg);
    else
        n = snprintf(b->text + b->len, sizeof b->text - b->len, "%s: error: %s\n", file, msg);
    if (n > 0)
        b->len += (size_t)n < sizeof b->text - b->len ? (size_t)n : sizeof b->text - b->len - 1;
    b->n++;
}

/* errs_init: a config_errors whose sink records into b. */
static inline struct config_errors
errs_init(struct errbuf *b)
{
    memset(b, 0, sizeof *b);
    return (struct config_errors){0, errbuf_sink, b};
}

/* tmpdir_new: a new empty directory under $TMPDIR (or /tmp); free the result. */
static inline char *
tmpdir_new(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/gtmd-unit-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    return dir ? strdup(dir) : NULL;
}

/* tmpfile_write: writes text to dir/name and returns the path (free it). */
static inline char *
tmpfile_write(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return NULL;
    fputs(text, fp);
    if (fclose(fp) != 0)
        return NULL;
    return strdup(path);
}

/* tmpdir_remove: removes dir and the plain files in it. */
static inline void
tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            char path[4096];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* man_open: man/<page> of the source tree ($GTM_SRCDIR, else the current
 * directory) for reading, or NULL after saying on stderr why. */
static inline FILE *
man_open(const char *page)
{
    const char *srcdir = getenv("GTM_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/man/%s", srcdir && *srcdir ? srcdir : ".", page);
    FILE *fp = fopen(path, "r");
    if (!fp)
        fprintf(stderr, "cannot open %s (set GTM_SRCDIR to the source tree)\n", path);
    return fp;
}

#endif
