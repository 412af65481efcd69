/* fields.h: the one table of the fields of a profile document (ARM shape):
 * for each, where it sits, its type, the range gtmd accepts and its
 * default, the narrower range Azure accepts (what --strict enforces), and
 * whether gtmd reads it or fills it in (read-only). The parser takes its
 * ranges and defaults from here, the ARM documents (api/arm_doc.c) their
 * keys and order, the renderer its defaults, and a unit test checks the
 * table against man/gtmd.8. Adding a field: a row here, then its meaning
 * (the parser and, if it has one, the struct profile member). */
#ifndef GTM_PROFILES_FIELDS_H
#define GTM_PROFILES_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

enum pf_id {
    PF_ROOT, /* the profile document itself */
    PF_ID,
    PF_NAME,
    PF_TYPE,
    PF_LOCATION,
    PF_TAGS,
    PF_ETAG,
    PF_PROPS,
    PF_RESOURCE_GROUP,
    PF_PROFILE_STATUS,
    PF_METHOD,
    PF_DNS,
    PF_DNS_RELATIVE_NAME,
    PF_DNS_FQDN,
    PF_DNS_TTL,
    PF_MON,
    PF_MON_STATUS,
    PF_MON_PROTOCOL,
    PF_MON_PORT,
    PF_MON_PATH,
    PF_MON_INTERVAL,
    PF_MON_TIMEOUT,
    PF_MON_TOLERATED,
    PF_MON_HEADERS,
    PF_MON_HEADER_NAME,
    PF_MON_HEADER_VALUE,
    PF_MON_RANGES,
    PF_MON_RANGE_MIN,
    PF_MON_RANGE_MAX,
    PF_ENDPOINTS,
    PF_TRAFFIC_VIEW,
    PF_ALLOWED_RECORD_TYPES,
    PF_MAX_RETURN,
    PF_RECORD_TYPE,
    PF_EP, /* an endpoint document (an item of endpoints) */
    PF_EP_ID,
    PF_EP_NAME,
    PF_EP_TYPE,
    PF_EP_PROPS,
    PF_EP_RESOURCE_GROUP,
    PF_EP_STATUS,
    PF_EP_MONITOR_STATUS,
    PF_EP_RESOURCE_ID,
    PF_EP_TARGET,
    PF_EP_WEIGHT,
    PF_EP_PRIORITY,
    PF_EP_LOCATION,
    PF_EP_ALWAYS_SERVE,
    PF_EP_MIN_CHILD,
    PF_EP_MIN_CHILD_V4,
    PF_EP_MIN_CHILD_V6,
    PF_EP_GEO,
    PF_EP_SUBNETS,
    PF_EP_SUBNET_FIRST,
    PF_EP_SUBNET_LAST,
    PF_EP_SUBNET_SCOPE,
    PF_EP_HEADERS,
    PF_EP_HEADER_NAME,
    PF_EP_HEADER_VALUE,
    PF_COUNT
};

enum pf_type {
    PFT_ANY,       /* kept as given, not read */
    PFT_STRING,    /* free text, or a name */
    PFT_ENUM,      /* one of a list of words (any case) */
    PFT_INT,       /* an integer in [min, max] */
    PFT_OBJECT,    /* its fields are the rows whose parent it is */
    PFT_LIST,      /* a list of objects: its items' fields are the rows whose parent it is */
    PFT_ENDPOINTS, /* the list of endpoint documents (PF_EP) */
};

enum {
    PFF_READ = 1 << 0,     /* gtmd reads it (documented in man/gtmd.8) */
    PFF_COMPUTED = 1 << 1, /* read-only: gtmd fills it in when it renders */
    PFF_DROP = 1 << 2,     /* never kept (az adds it; not part of the resource) */
};

struct profile_field {
    enum pf_id parent; /* the object or list it sits in (PF_ROOT, PF_EP: the documents) */
    const char *key;   /* Azure's spelling; rows of one parent in the order Azure prints */
    enum pf_type type;
    unsigned flags;
    long long min, max;       /* PFT_INT: what gtmd accepts */
    long long def;            /* PFT_INT: the default, when it is one number */
    long long az_min, az_max; /* PFT_INT: what Azure accepts (--strict); equal to min/max
                               * when Azure accepts as much */
    const long long *az_only; /* PFT_INT: or only these values (az_count of them) */
    unsigned az_count;
    const char *sdef; /* PFT_ENUM/PFT_STRING: the default shown when absent, or NULL */
};

extern const struct profile_field profile_fields[PF_COUNT];

/* pf_row: the row of id. */
static inline const struct profile_field *
pf_row(enum pf_id id)
{
    return &profile_fields[id];
}

/* pf_azure_accepts: v is in Azure's range of an integer field. */
bool pf_azure_accepts(enum pf_id id, long long v);

/* pf_doc_name: the name man/gtmd.8 gives a read field: its key, below
 * dnsConfig or monitorConfig prefixed with that ("monitorConfig.port").
 * Returns the length written into out (cap bytes), 0 when the row is not
 * documented by itself (not read, or inside a list's items). */
size_t pf_doc_name(enum pf_id id, char *out, size_t cap);

#endif
