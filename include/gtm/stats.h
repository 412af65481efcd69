/* stats.h: query counters for /metrics. Each worker counts into its own
 * cache-line-aligned row of the snapshot (no shared line on the query path);
 * the control loop sums the rows, and folds a retired snapshot's totals into
 * the next one by profile and endpoint name, so counts survive reloads. */
#ifndef GTM_GTM_STATS_H
#define GTM_GTM_STATS_H

#include <stdint.h>

/* Answers for a traffic manager name, by outcome. */
enum tm_outcome { TM_ANSWER, TM_NODATA, TM_NXDOMAIN, TM_OUTCOMES };

/* All queries, by response code (the ones gtmd sends) and dropped. */
enum q_rcode {
    QR_NOERROR,
    QR_FORMERR,
    QR_NXDOMAIN,
    QR_NOTIMP,
    QR_REFUSED,
    QR_BADVERS,
    QR_SERVFAIL, /* a zone transfer that could not be made */
    QR_NOTAUTH,  /* a zone transfer: not our zone, or a bad TSIG */
    QR_BADCOOKIE,
    QR_DROPPED,
    QR_RCODES
};

/* stats_rcode_name: "NOERROR", "FORMERR", ..., "dropped". */
static inline const char *
stats_rcode_name(enum q_rcode rc)
{
    static const char *const names[QR_RCODES] = {"NOERROR",   "FORMERR", "NXDOMAIN", "NOTIMP",
                                                 "REFUSED",   "BADVERS", "SERVFAIL", "NOTAUTH",
                                                 "BADCOOKIE", "dropped"};
    return (unsigned)rc < QR_RCODES ? names[rc] : "unknown";
}

#endif
