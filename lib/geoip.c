/* geoip.c: --geoip FILE.mmdb through libmaxminddb (see gtm/geoip.h). The
 * database is mapped once per snapshot; a lookup walks the search tree and
 * decodes two short paths from the mapped data section, on the stack. */
#include "config.h"
#include "gtm/geoip.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtm/err.h"

#ifdef HAVE_MAXMINDDB

#include <maxminddb.h>
#include <netinet/in.h>

struct geoip {
    MMDB_s db;
};

bool
geoip_available(void)
{
    return true;
}

struct geoip *
geoip_open(const char *file, struct config_errors *errs)
{
    struct geoip *g = calloc(1, sizeof *g);
    if (!g) {
        config_error(errs, file, 0, "cannot open GeoIP database: out of memory");
        return NULL;
    }
    int rc = MMDB_open(file, MMDB_MODE_MMAP, &g->db);
    if (rc != MMDB_SUCCESS) {
        int fd = rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR
                     ? open(file, O_RDONLY | O_CLOEXEC)
                     : -2;
        if (fd == -1) /* say why, which libmaxminddb does not keep */
            config_error(errs, file, 0, "cannot open GeoIP database: %s", strerror(errno));
        else
            config_error(errs, file, 0, "cannot open GeoIP database: %s", MMDB_strerror(rc));
        if (fd >= 0)
            close(fd);
        free(g);
        return NULL;
    }
    if (g->db.metadata.ip_version != 4 && g->db.metadata.ip_version != 6) {
        config_error(errs, file, 0, "GeoIP database: ip_version %u is neither 4 nor 6",
                     (unsigned)g->db.metadata.ip_version);
        MMDB_close(&g->db);
        free(g);
        return NULL;
    }
    /* libmaxminddb may cache where IPv4 starts in an IPv6 tree on the first
     * IPv4 lookup, writing to the handle: do it here, before any worker
     * sees the snapshot, so that lookups only read. */
    struct geoip_match m;
    if (g->db.metadata.ip_version == 6)
        (void)geoip_lookup(g, AF_INET, (const uint8_t[4]){0}, &m);
    return g;
}

void
geoip_close(struct geoip *g)
{
    if (!g)
        return;
    MMDB_close(&g->db);
    free(g);
}

/* Copies an ISO code of 1..max letters or digits, uppercase, to dst;
 * returns its length, or 0 when it is not one. */
static size_t
iso_copy(char *dst, const MMDB_entry_data_s *d, size_t max)
{
    if (!d->has_data || d->type != MMDB_DATA_TYPE_UTF8_STRING || d->data_size == 0 ||
        d->data_size > max)
        return 0;
    for (uint32_t i = 0; i < d->data_size; i++) {
        unsigned char c = (unsigned char)d->utf8_string[i];
        if (!isalnum(c))
            return 0;
        dst[i] = (char)toupper(c);
    }
    return d->data_size;
}

bool
geoip_lookup(const struct geoip *g, uint8_t family, const uint8_t *addr, struct geoip_match *out)
{
    static const char *const country_path[] = {"country", "iso_code", NULL};
    static const char *const registered_path[] = {"registered_country", "iso_code", NULL};
    static const char *const subdivision_path[] = {"subdivisions", "0", "iso_code", NULL};

    out->code[0] = 0;
    out->prefix = 0;
    if (!g)
        return false;
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } su;
    memset(&su, 0, sizeof su);
    if (family == AF_INET) {
        su.in.sin_family = AF_INET;
        memcpy(&su.in.sin_addr, addr, 4);
    } else if (family == AF_INET6) {
        su.in6.sin6_family = AF_INET6;
        memcpy(&su.in6.sin6_addr, addr, 16);
    } else {
        return false;
    }
    int err = MMDB_SUCCESS;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&g->db, &su.sa, &err);
    if (err != MMDB_SUCCESS)
        return false; /* e.g. IPv6 in an IPv4 database */
    unsigned mask = r.netmask;
    if (family == AF_INET && g->db.metadata.ip_version == 6)
        mask = mask > 96 ? mask - 96 : 0; /* IPv4 lives at ::/96 */
    out->prefix = (uint8_t)mask;
    if (!r.found_entry)
        return false;

    /* MMDB_aget_value with a fixed path: MMDB_get_value would calloc one. */
    MMDB_entry_data_s d;
    size_t n = 0;
    if (MMDB_aget_value(&r.entry, &d, country_path) == MMDB_SUCCESS)
        n = iso_copy(out->code, &d, 3);
    if (n == 0 && MMDB_aget_value(&r.entry, &d, registered_path) == MMDB_SUCCESS)
        n = iso_copy(out->code, &d, 3);
    if (n == 0)
        return false;
    out->code[n] = 0;
    if (MMDB_aget_value(&r.entry, &d, subdivision_path) == MMDB_SUCCESS) {
        size_t k = iso_copy(out->code + n + 1, &d, GEOIP_CODE_MAX - n - 2);
        if (k) {
            out->code[n] = '-';
            out->code[n + 1 + k] = 0;
        }
    }
    return true;
}

#else /* !HAVE_MAXMINDDB */

bool
geoip_available(void)
{
    return false;
}

struct geoip *
geoip_open(const char *file, struct config_errors *errs)
{
    config_error(errs, file, 0, "gtmd was built without libmaxminddb: --geoip is not available");
    return NULL;
}

void
geoip_close(struct geoip *g)
{
    (void)g;
}

bool
geoip_lookup(const struct geoip *g, uint8_t family, const uint8_t *addr, struct geoip_match *out)
{
    (void)g;
    (void)family;
    (void)addr;
    out->code[0] = 0;
    out->prefix = 0;
    return false;
}

#endif
