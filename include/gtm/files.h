/* files.h: the files of a directory that gtmd loads (zones, profiles), in
 * one order on every machine. Implemented in lib/files.c. */
#ifndef GTM_GTM_FILES_H
#define GTM_GTM_FILES_H

#include <stddef.h>

/* files_sorted: the names in directory dir that end in suffix and are
 * longer than it, hidden ones (a leading '.') left out, sorted bytewise
 * (strcmp). Returns 0 with *names (free with files_free) and *n, or -1
 * with errno set when dir cannot be opened. Loop thread. */
int files_sorted(const char *dir, const char *suffix, char ***names, size_t *n);

/* files_free: the n names and their array. */
void files_free(char **names, size_t n);

#endif
