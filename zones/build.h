/* build.h: what zones/ makes of files and documents: the immutable
 * snapshot (gtm/snapshot.h) that the answering path reads, at start, on a
 * reload, and after a change of one profile. Build time only: nothing here
 * knows a query. Implemented in build.c and tm.c. */
#ifndef GTM_ZONES_BUILD_H
#define GTM_ZONES_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "gtm/snapshot.h"

struct arena;
struct config_errors;
struct profile;
struct gtm_nameserver;

/* Options that shape a snapshot. */
struct snapshot_params {
    const char *zones_dir;           /* NULL: no static zones */
    const char *profiles_dir;        /* NULL: no profiles */
    bool profiles_must_exist;        /* the directory was named explicitly */
    const char *demo_profile;        /* profile JSON embedded for --demo, or NULL */
    bool strict;                     /* reject what Azure rejects */
    const char *latency_table;       /* --latency-table FILE, or NULL */
    const char *geo_table;           /* --geo-table FILE, or NULL */
    const char *geoip;               /* --geoip FILE.mmdb, or NULL */
    unsigned nworkers;               /* rows of query counters to prepare (0: none) */
    const char *domain;              /* parent domain of profile names (presentation form) */
    const struct gtm_nameserver *ns; /* the --domain zone's name servers (when no zone file
                                      * holds it): its apex NS, A/AAAA, SOA MNAME */
    unsigned nns;
    const char *demo_zone;     /* zone text embedded for --demo, or NULL */
    const char *demo_origin;   /* its origin */
    const char *chaos_id;      /* id.server / hostname.bind CH TXT, or NULL: REFUSED */
    const char *chaos_version; /* version.bind / version.server CH TXT, or NULL: REFUSED */
    const char *nsid;          /* NSID (RFC 5001) to answer with, or NULL: none (at most
                                * SNAPSHOT_NSID_MAX bytes are kept) */
    const char *keys_dir;      /* --keys DIR: sign the zones it has keys for; NULL: none */
    uint32_t rrsig_lifetime;   /* seconds a signature is valid (0: 14 days) */
};

/* snapshot_load: parses and validates every zone into a new snapshot. Every
 * error is reported through errs; with any error the result is NULL. Never
 * exits. Loop thread only. Returns new; free with snapshot_free. */
struct gtm_snapshot *snapshot_load(const struct snapshot_params *p, struct config_errors *errs);

/* snapshot_change: the snapshot that follows cur when profile old (NULL:
 * none) is replaced by np (NULL: old is deleted). np is new (parsed with
 * profile_parse_owned, checked by profile_check); everything else is
 * shared with cur. A check that only the whole set can make (the name too
 * long, records at the name) is reported through errs and gives NULL, cur
 * untouched (np is then freed). Otherwise cur hands its slot index on and
 * must be published over and freed, never used to build again. Loop thread. */
struct gtm_snapshot *snapshot_change(struct gtm_snapshot *cur, const struct profile *old,
                                     struct profile *np, struct config_errors *errs);

/* snapshot_change_check: the one check of snapshot_change that can fail
 * (the name np makes in the --domain zone), made alone, without taking np
 * or touching cur: 0, or GTM_ECONFIG after reporting through errs. Lets a
 * caller make everything that can fail come before a store it cannot undo. */
int snapshot_change_check(const struct gtm_snapshot *cur, const struct profile *np,
                          struct config_errors *errs);

/* snapshot_find_profile: the profile named name (any case), or NULL. */
struct profile *snapshot_find_profile(const struct gtm_snapshot *s, const char *name);

/* snapshot_find_relative: the profile whose dnsConfig.relativeName is
 * relative_name (any case), or NULL: one lookup of the name it makes in
 * the --domain zone. */
const struct profile *snapshot_find_relative(const struct gtm_snapshot *s,
                                             const char *relative_name);

/* snapshot_free: releases a snapshot no reader can still see. NULL is a no-op. */
void snapshot_free(struct gtm_snapshot *s);

#endif
