/* arm.c: (being written) */
#include "config.h"
#include "api/http.h"

bool
arm_route(struct api_req *r)
{
    (void)r;
    return false;
}
