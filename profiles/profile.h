/* profile.h: what profiles/ does with a profile (gtm/profile.h): parse a
 * document, and the lifetime of a profile shared between snapshots.
 * Implemented in parse.c and own.c. */
#ifndef GTM_PROFILES_PROFILE_H
#define GTM_PROFILES_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "gtm/profile.h"

struct arena;
struct config_errors;

/* profile_parse: one profile document (text[0..len), from file) into a
 * profile allocated in arena a. Every problem is reported through errs as
 * "file: error: <json.path>: message" (syntax errors with line:column);
 * with strict, values Azure rejects are errors, otherwise warnings where a
 * lab can use them (e.g. intervalInSeconds 1). Returns 0 and *out, or
 * GTM_ECONFIG. Loop thread only. */
int profile_parse(struct arena *a, const char *file, const char *text, size_t len, bool strict,
                  struct config_errors *errs, struct profile **out);

/* profile_parse_owned: profile_parse into an arena of the profile's own
 * (freed with its last profile_unref). Returns 0 and *out (no holder yet),
 * or GTM_ECONFIG. Loop thread only. */
int profile_parse_owned(const char *file, const char *text, size_t len, bool strict,
                        struct config_errors *errs, struct profile **out);

/* Longest subscription or resource group name an id gives an owner, NUL
 * included. */
#define PROFILE_OWNER_MAX 128

/* profile_id_owner: the subscription and resource group of an ARM id
 * ("/subscriptions/S/resourceGroups/G/...", the words in any case) into
 * sub and rg; false when id is not one (or a name is empty or longer than
 * PROFILE_OWNER_MAX - 1). profile_parse keeps them as owner_sub, owner_rg. */
bool profile_id_owner(const char *id, char sub[PROFILE_OWNER_MAX], char rg[PROFILE_OWNER_MAX]);

/* profile_clone: a copy of p that can take other health, counter and child
 * links (its endpoints are its own; every other part is p's, shared). It
 * holds its original. Returns new, no holder yet. Loop thread only. */
struct profile *profile_clone(const struct profile *p);

/* profile_copy: the same copy in a, holding nothing: it must not outlive p
 * (for checks that link copies). Returns new, in a. */
struct profile *profile_copy(struct arena *a, const struct profile *p);

/* profile_ref/profile_unref: one holder more or less; the last unref of an
 * owned profile frees it (any thread: snapshots are freed in the
 * background). A profile without an arena of its own is never freed here. */
void profile_ref(struct profile *p);
void profile_unref(struct profile *p);
/* profile_discard: frees a profile nobody holds yet. NULL is a no-op. */
void profile_discard(struct profile *p);

#endif
