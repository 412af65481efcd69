/* explain.h: why a profile answers a client as it does, for
 * GET /gtmd/v1/resolve: the routing method, every endpoint with its state
 * and whether it is a candidate, best effort, and what the method matched
 * (the latency table row, the geographic code, the subnet range). Reads
 * what policy_choose reads and changes nothing; the answer itself comes
 * from the real lookup, whose RRsets mark the endpoints served. Loop
 * thread (it allocates). */
#ifndef GTM_POLICY_EXPLAIN_H
#define GTM_POLICY_EXPLAIN_H

#include <jansson.h>

#include "policy/policy.h"

struct rrset;

/* policy_explain: p for the client and health of c [in]; served [in] holds
 * the nserved RRsets of the answer (endpoints whose RRset is among them are
 * marked served, nested ones when a descendant is). Returns new. */
json_t *policy_explain(const struct profile *p, const struct policy_ctx *c,
                       const struct rrset *const *served, unsigned nserved);

/* policy_client_text: "203.0.113.0/24" into out[cap] ("unknown" for family
 * 0); returns out. */
char *policy_client_text(const struct policy_client *cl, char *out, size_t cap);

#endif
