/* zonefile.h: RFC 1035 master files, read with ldns. Loop thread only. */
#ifndef GTM_ZONES_ZONEFILE_H
#define GTM_ZONES_ZONEFILE_H

#include <stdio.h>

#include <ldns/ldns.h>

#include "gtm/err.h"

/* A parsed zone, before it is built into a snapshot. */
struct zone_src {
    char *file;     /* for messages */
    ldns_rdf *apex; /* the SOA owner */
    ldns_rr_list
        *rrs;        /* every record, SOA included, sorted by owner and type, duplicates removed */
    unsigned *lines; /* the line of each record in rrs */
};

/* zonefile_parse: reads a zone from fp. origin is the default origin (a
 * $ORIGIN in the file overrides it). Every error is reported as
 * "file:line: error: ..." through errs. Returns 0 and fills out (free with
 * zone_src_cleanup), or GTM_ECONFIG. */
int zonefile_parse(FILE *fp, const char *file, const char *origin, struct config_errors *errs,
                   struct zone_src *out);

/* zone_src_cleanup: frees what zonefile_parse filled in. */
void zone_src_cleanup(struct zone_src *z);

#endif
