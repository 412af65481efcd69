/* files.c: a directory's loadable files in name order (gtm/files.h). */
#include "config.h"
#include "gtm/files.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gtm/alloc.h"

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
files_sorted(const char *dir, const char *suffix, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t slen = strlen(suffix), count = 0, cap = 0;
    char **v = NULL;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= slen || strcmp(e->d_name + len - slen, suffix) != 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[count++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (count > 1) /* qsort(NULL, 0) is undefined */
        qsort(v, count, sizeof *v, name_cmp);
    *names = v;
    *n = count;
    return 0;
}

void
files_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
