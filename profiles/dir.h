/* dir.h: loading a directory of profile documents, and the checks
 * that span profiles (names, relative names, nesting). */
#ifndef GTM_PROFILES_DIR_H
#define GTM_PROFILES_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gtm/profile.h"

struct arena;
struct config_errors;

/* Files larger than this are rejected. */
#define PROFILE_FILE_MAX (1024 * 1024)

/* profile_read_file: the whole file at path (a regular file of at most
 * PROFILE_FILE_MAX bytes) into a new buffer (free it) and *len; NULL after
 * reporting the problem through errs. */
char *profile_read_file(const char *path, size_t *len, struct config_errors *errs);

/* profile_load_dir: parses every *.json file of dir (hidden ones skipped), in
 * name order, with profile_parse.
 * [in] a: the arena that receives the profiles and the array
 * [in] dir: the directory; must_exist: a missing directory is an error
 *      (otherwise it gives zero profiles)
 * [in] strict: reject what Azure rejects
 * [out] errs: every problem of every file, "file: error: json.path: msg"
 * [out] out, n: the profiles (array in a), set even when some failed.
 * Returns 0, or GTM_ECONFIG once all errors are reported. Loop thread only. */
int profile_load_dir(struct arena *a, const char *dir, bool must_exist, bool strict,
                     struct config_errors *errs, struct profile ***out, uint32_t *n);

/* profile_load_dir_owned: the same, but each profile in an arena of its own
 * (profile_parse_owned; a holds the array only): what snapshots load. */
int profile_load_dir_owned(struct arena *a, const char *dir, bool must_exist, bool strict,
                           struct config_errors *errs, struct profile ***out, uint32_t *n);

/* profile_link: checks across profiles and resolves nested endpoints.
 * Profile names and relative names must be unique (profile_same_name:
 * the one rule, also for a single change);
 * every nested endpoint's child must be loaded (sets child_profile); nesting
 * goes at most 10 profiles deep and never loops; a MultiValue profile has no
 * nested endpoints. Sorts v by name (case-insensitively).
 * Returns 0 or GTM_ECONFIG (errors reported through errs). */
int profile_link(struct profile **v, uint32_t n, struct config_errors *errs);

/* The deepest chain of nested profiles accepted, counting the top one. */
#define PROFILE_MAX_NESTING 10

#endif
