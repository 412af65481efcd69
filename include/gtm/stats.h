/* stats.h: query counters for /metrics. Each worker counts into its own
 * cache-line-aligned row of the snapshot (no shared line on the query path);
 * the control loop sums the rows, and folds a retired snapshot's totals into
 * the next one by profile and endpoint name, so counts survive reloads. */
#ifndef GTM_GTM_STATS_H
#define GTM_GTM_STATS_H

#include <stdint.h>

struct gtm_ctx;
struct profile;

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
    QR_DROPPED,
    QR_RCODES
};

/* stats_endpoint: answers that returned endpoint k of profile p. Loop thread. */
uint64_t stats_endpoint(const struct gtm_ctx *ctx, const struct profile *p, uint32_t k);
/* stats_profile: queries for p's name by outcome. Loop thread. */
uint64_t stats_profile(const struct gtm_ctx *ctx, const struct profile *p, enum tm_outcome o);
/* stats_rcode: every query by response code, since start. Loop thread. */
uint64_t stats_rcode(const struct gtm_ctx *ctx, enum q_rcode rc);
struct gtm_snapshot;
/* stats_carry: adds from's totals to to's by profile and endpoint name; call
 * when from is retired and no worker holds it any more. Loop thread. */
void stats_carry(const struct gtm_snapshot *from, struct gtm_snapshot *to);

/* stats_rcode_name: "NOERROR", "FORMERR", ..., "dropped". */
const char *stats_rcode_name(enum q_rcode rc);

#endif
