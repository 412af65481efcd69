/* answer.h: renders a lookup result as a DNS response. Pure, no allocation. */
#ifndef GTM_DNS_ANSWER_H
#define GTM_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "dns/query.h"
#include "dns/plan.h"

/* dns_answer_build: writes the response to q (whose request bytes are req)
 * into out, at most limit bytes (limit >= the header, question and OPT).
 * r may be NULL for an error response carrying only rcode. Sets TC and drops
 * every record when the sections do not fit. Returns the length. */
size_t dns_answer_build(const struct dns_query *q, const uint8_t *req, uint16_t rcode,
                        const struct plan *r, uint8_t *out, size_t limit);

#endif
