/* obs.c: (being written) */
#include "config.h"
#include "api/http.h"

bool
obs_route(struct api_req *r)
{
    (void)r;
    return false;
}
