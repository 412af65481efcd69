/* answer.h: renders a lookup result as a DNS response. Pure, no allocation. */
#ifndef GTM_DNS_ANSWER_H
#define GTM_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "dns/query.h"
#include "dns/plan.h"

struct gtm_snapshot;

/* dns_answer_build: writes the response to q (whose request bytes are req)
 * that plan r made into out, at most limit bytes (limit >= the header,
 * question and OPT; else nothing is written and 0 returned). snap
 * (borrowed, may be NULL) gives the NSID that the OPT carries when q asks
 * for it. Sets TC and drops every record when the sections do not fit.
 * Returns the length. */
size_t dns_answer_build(const struct dns_query *q, const uint8_t *req, const struct plan *r,
                        const struct gtm_snapshot *snap, uint8_t *out, size_t limit);

/* dns_answer_error: the same for a response that carries only rcode
 * (FORMERR, NOTIMP, REFUSED, BADVERS: no plan). */
size_t dns_answer_error(const struct dns_query *q, const uint8_t *req, uint16_t rcode,
                        const struct gtm_snapshot *snap, uint8_t *out, size_t limit);

/* dns_answer_truncate: makes the response resp[0..len) that build wrote
 * for q (with snap) the empty truncated one of its code: TC set, the
 * question and OPT (its COOKIE, NSID, ECS) kept, every record dropped, so
 * that the client asks again over TCP (RRL's slip). Returns the new
 * length (never more than len), or 0 when resp is not what build writes. */
size_t dns_answer_truncate(const struct dns_query *q, const struct gtm_snapshot *snap,
                           uint8_t *resp, size_t len);

#endif
