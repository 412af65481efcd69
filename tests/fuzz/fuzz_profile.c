/* fuzz_profile.c: any bytes as a profile document never crash profile_parse
 * (strict or not), every error is counted, and an accepted profile holds
 * what its contract promises. profile_link runs on each accepted one. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "profiles/dir.h"
#include "profiles/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    unsigned n;
};

static void
sink(void *arg, const char *file, unsigned line, const char *msg)
{
    struct seen *s = arg;
    (void)line;
    s->n++;
    if (strcmp(file, "fuzz/profile.json") != 0 || !msg[0]) {
        fprintf(stderr, "fuzz_profile: error without the file's name or a message\n");
        abort();
    }
}

static void
check_profile(const struct profile *p, size_t size)
{
    if (!p->name || !p->relative_name || !p->json || strlen(p->json) > size || !p->mon.nranges ||
        p->mon.nranges > PROFILE_MAX_RANGES || p->mon.nheaders > PROFILE_MAX_HEADERS ||
        p->nendpoints > PROFILE_MAX_ENDPOINTS || (p->nendpoints && !p->endpoints) ||
        p->max_return < 1 || p->max_return > 10 || p->mon.interval_s < 1 || p->mon.timeout_s < 1)
        abort();
    if ((p->mon.protocol == PROBE_TCP) != (p->mon.path == NULL))
        abort();
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *e = &p->endpoints[i];
        if (!e->name || e->priority < 1 || e->priority > 1000 || e->weight < 1 ||
            e->weight > 1000 || e->health_idx != HEALTH_NONE || e->nheaders > PROFILE_MAX_HEADERS)
            abort();
        if ((e->kind == EP_NESTED) != (e->tkind == TARGET_NONE))
            abort();
        if (e->kind == EP_NESTED && (!e->child || !*e->child))
            abort();
        if (e->tkind == TARGET_NAME && (!e->target_wire || !e->target_wire_len))
            abort();
        for (uint16_t k = 0; k < e->nsubnets; k++)
            if (memcmp(e->subnets[k].first, e->subnets[k].last, 16) > 0)
                abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        log_set_level(LOG_LEVEL_ERROR); /* warnings for lab values are expected */
        quiet = true;
    }
    for (int strict = 0; strict < 2; strict++) {
        struct arena *a = arena_new();
        struct seen seen = {0};
        struct config_errors errs = {0, sink, &seen};
        struct profile *p = NULL;
        int rc = profile_parse(a, "fuzz/profile.json", (const char *)data, size, strict, &errs, &p);
        if (seen.n != errs.count || (rc == 0) != (errs.count == 0) ||
            (rc != 0 && rc != GTM_ECONFIG) || (rc == 0) != (p != NULL))
            abort();
        if (rc == 0) {
            check_profile(p, size);
            struct profile *v[1] = {p};
            profile_link(v, 1, &errs);
            if (seen.n != errs.count)
                abort();
        }
        arena_free(a);
    }
    return 0;
}
