/* lab.c: (being written) */
#include "config.h"
#include "api/http.h"

bool
lab_route(struct api_req *r)
{
    (void)r;
    return false;
}
