/* check.h: a candidate profile against the profiles a snapshot serves: the
 * checks across profiles, for one change, with the rules and messages of
 * the whole-directory load (profile_link). Loop thread only. */
#ifndef GTM_PROFILES_CHECK_H
#define GTM_PROFILES_CHECK_H

#include <stdbool.h>

struct gtm_snapshot;
struct profile;
struct config_errors;

/* profile_same_name: the one rule for names that clash, both profile
 * names and DNS names (relativeName): equal ignoring ASCII case. */
bool profile_same_name(const char *a, const char *b);

/* profile_clash: the profile of s, other than old, whose DNS name
 * (relativeName) np would also take, or NULL. */
const struct profile *profile_clash(const struct gtm_snapshot *s, const struct profile *old,
                                    const struct profile *np);

/* profile_check: whether the profiles of s with old (NULL: none) replaced
 * by np (NULL: old deleted) still nest well: every nested endpoint's child
 * loaded, no loop, at most PROFILE_MAX_NESTING deep, no nesting under
 * MultiValue. Each problem is reported through errs as profile_link
 * reports it. Only the profiles that nest or are nested are looked at;
 * nothing of s or np changes. Returns 0 or GTM_ECONFIG. */
int profile_check(const struct gtm_snapshot *s, const struct profile *old, const struct profile *np,
                  struct config_errors *errs);

#endif
