/* path.h: request paths for the gtmd API, each segment and query value
 * percent-encoded (RFC 3986: everything but unreserved characters). */
#ifndef GTM_CTL_PATH_H
#define GTM_CTL_PATH_H

#include <stddef.h>

struct ctl_path {
    char *s; /* NUL-terminated; "" before the first add */
    size_t len, cap;
    unsigned nquery; /* query parameters added */
};

/* ctl_path_init / ctl_path_cleanup: an empty path; cleanup frees it. */
void ctl_path_init(struct ctl_path *p);
void ctl_path_cleanup(struct ctl_path *p);

/* ctl_path_raw: appends text as is (for fixed parts, e.g. "/gtmd/v1"). */
void ctl_path_raw(struct ctl_path *p, const char *text);

/* ctl_path_seg: appends "/" and the segment, percent-encoded. */
void ctl_path_seg(struct ctl_path *p, const char *segment);

/* ctl_path_query: appends "?key=value" (the first) or "&key=value", the
 * value percent-encoded; a NULL value adds nothing. */
void ctl_path_query(struct ctl_path *p, const char *key, const char *value);

#endif
