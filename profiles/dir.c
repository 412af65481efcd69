/* dir.c: every *.json of a profiles directory, in name order. */
#include "config.h"
#include "profiles/dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/files.h"
#include "gtm/snapshot.h"
#include "profiles/profile.h"

char *
profile_read_file(const char *path, size_t *len, struct config_errors *errs)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        config_error(errs, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0) {
        config_error(errs, path, 0, "cannot stat: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        config_error(errs, path, 0, "not a regular file");
    } else if (st.st_size > PROFILE_FILE_MAX) {
        config_error(errs, path, 0, "larger than %d bytes (1 MiB)", PROFILE_FILE_MAX);
    } else {
        /* A buffer of the file's size and a byte (the file may grow
         * meanwhile; then it grows, up to one byte more than the limit):
         * not the limit for every file, which cost a mapping per file. */
        size_t cap = (size_t)st.st_size + 1, got = 0;
        if (cap > PROFILE_FILE_MAX + 1)
            cap = PROFILE_FILE_MAX + 1;
        buf = xmalloc(cap);
        while (got <= PROFILE_FILE_MAX) {
            if (got == cap) {
                cap = cap * 2 > PROFILE_FILE_MAX + 1 ? PROFILE_FILE_MAX + 1 : cap * 2;
                buf = xrealloc(buf, cap);
            }
            ssize_t r = read(fd, buf + got, cap - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                config_error(errs, path, 0, "read error: %s", strerror(errno));
                free(buf);
                buf = NULL;
                break;
            }
            if (r == 0)
                break;
            got += (size_t)r;
        }
        if (buf && got > PROFILE_FILE_MAX) {
            config_error(errs, path, 0, "larger than %d bytes (1 MiB)", PROFILE_FILE_MAX);
            free(buf);
            buf = NULL;
        }
        *len = got;
    }
    close(fd);
    return buf;
}

static int
load_dir(struct arena *a, bool own, const char *dir, bool must_exist, bool strict,
         struct config_errors *errs, struct profile ***out, uint32_t *n)
{
    unsigned before = errs->count;
    *out = NULL;
    *n = 0;
    char **names;
    size_t count;
    if (files_sorted(dir, ".json", &names, &count) != 0) {
        if (errno == ENOENT && !must_exist)
            return 0;
        config_error(errs, dir, 0, "cannot open profiles directory: %s", strerror(errno));
        return GTM_ECONFIG;
    }

    struct profile **v = arena_alloc(a, (count ? count : 1) * sizeof *v);
    uint32_t got = 0;
    for (size_t i = 0; i < count; i++) {
        size_t plen = strlen(dir) + 1 + strlen(names[i]) + 1;
        char *path = xmalloc(plen);
        snprintf(path, plen, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *text = profile_read_file(path, &len, errs);
        if (!text) {
            free(path);
            continue;
        }
        struct profile *p;
        if (own ? profile_parse_owned(path, text, len, strict, errs, &p) == 0
                : profile_parse(a, path, text, len, strict, errs, &p) == 0)
            v[got++] = p;
        free(text);
        free(path);
    }
    files_free(names, count);
    *out = v;
    *n = got;
    return errs->count != before ? GTM_ECONFIG : 0;
}

int
profile_load_dir(struct arena *a, const char *dir, bool must_exist, bool strict,
                 struct config_errors *errs, struct profile ***out, uint32_t *n)
{
    return load_dir(a, false, dir, must_exist, strict, errs, out, n);
}

int
profile_load_dir_owned(struct arena *a, const char *dir, bool must_exist, bool strict,
                       struct config_errors *errs, struct profile ***out, uint32_t *n)
{
    return load_dir(a, true, dir, must_exist, strict, errs, out, n);
}
