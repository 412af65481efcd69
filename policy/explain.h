/* explain.h: why a profile answered a client as it did, for
 * GET /gtmd/v1/resolve: the routing method, every endpoint with its state
 * and whether it is a candidate, best effort, and what the method matched
 * (the latency table row, the geographic code, the subnet range), rendered
 * from the trace the method filled while the real query was answered; the
 * answer's RRsets mark the endpoints served. Loop thread (it allocates). */
#ifndef GTM_POLICY_EXPLAIN_H
#define GTM_POLICY_EXPLAIN_H

#include <jansson.h>

#include "policy/policy.h"

struct rrset;

/* policy_explain: the trace t [in] (t[0], and t[1]... for nested levels)
 * of a profile, the endpoint statuses read from health; served [in] holds
 * the nserved RRsets of the answer (endpoints whose RRset is among them are
 * marked served, nested ones when a descendant is). Returns new. */
json_t *policy_explain(const struct policy_trace *t, const struct health_slot *health,
                       const struct rrset *const *served, unsigned nserved);

/* policy_client_text: "203.0.113.0/24" into out[cap] ("unknown" for family
 * 0); returns out. */
char *policy_client_text(const struct policy_client *cl, char *out, size_t cap);

#endif
