/* import.c: gtmctl fleet import. */
#include "config.h"
#include "ctl/import.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet/etcd.h"
#include "gtm/err.h"
#include "gtm/files.h"
#include "profiles/dir.h"
#include "profiles/profile.h"

static void
print_error(void *arg, const char *file, unsigned line, const char *msg)
{
    if (line)
        fprintf(arg, "%s:%u: error: %s\n", file, line, msg);
    else
        fprintf(arg, "%s: error: %s\n", file, msg);
}

/* One file: 0 done or kept, 1 refused, 2 etcd unreachable. */
static int
import_one(struct etcd *e, const struct ctl_args *a, const char *prefix, const char *path,
           FILE *out, FILE *err)
{
    struct config_errors errs = {0, print_error, err};
    size_t len = 0;
    char *text = profile_read_file(path, &len, &errs);
    struct profile *p = NULL;
    if (!text || profile_parse_owned(path, text, len, false, &errs, &p) != 0) {
        fprintf(err, "gtmctl: %s: not imported\n", path);
        free(text);
        return 1;
    }
    char key[600], why[320];
    size_t n = (size_t)snprintf(key, sizeof key, "%sprofiles/", prefix);
    for (const char *c = p->name; *c && n + 1 < sizeof key; c++)
        key[n++] = (char)tolower((unsigned char)*c);
    key[n] = 0;
    int64_t rev = 0;
    int rc = a->force ? etcd_put_sync(e, key, text, len, &rev, why, sizeof why)
                      : etcd_cas_sync(e, key, text, len, 0, &rev, why, sizeof why);
    int result = 0;
    if (rc == 0) {
        fprintf(out, "imported %s from %s (etcd revision %lld)\n", p->name, path, (long long)rev);
    } else if (rc == GTM_EEXIST) {
        fprintf(out, "kept %s: it exists in etcd already (revision %lld); --force replaces it\n",
                p->name, (long long)rev);
    } else {
        fprintf(err, "gtmctl: %s: etcd: %s\n", path, why);
        result = 2;
    }
    profile_discard(p);
    free(text);
    return result;
}

enum ctl_status
ctl_fleet_import(const struct ctl_args *a, FILE *out, FILE *err)
{
    const char *what = a->operand[1];
    char prefix[256];
    const char *pre = a->etcd_prefix ? a->etcd_prefix : "/gtmd/";
    size_t plen = strlen(pre);
    if (plen == 0 || plen + 2 > sizeof prefix) {
        fprintf(err, "gtmctl: --etcd-prefix '%s' must be 1 to 200 characters\n", pre);
        return CTL_USAGE;
    }
    snprintf(prefix, sizeof prefix, "%s%s", pre, pre[plen - 1] == '/' ? "" : "/");
    struct stat st;
    if (stat(what, &st) != 0) {
        fprintf(err, "gtmctl: %s: no such file or directory\n", what);
        return CTL_USAGE;
    }
    struct etcd_config cfg = {
        .urls = a->etcd,
        .cacert = a->etcd_cacert,
        .cert = a->etcd_cert,
        .key = a->etcd_key,
        .user_file = a->etcd_user_file,
        .timeout_ms = (uint32_t)a->timeout * 1000,
    };
    char why[320];
    struct etcd *e = etcd_new(NULL, &cfg, why, sizeof why);
    if (!e) {
        fprintf(err, "gtmctl: %s\n", why);
        return CTL_USAGE;
    }
    int worst = 0;
    if (S_ISDIR(st.st_mode)) {
        char **names;
        size_t n;
        if (files_sorted(what, ".json", &names, &n) != 0) {
            fprintf(err, "gtmctl: %s: cannot read the directory\n", what);
            etcd_free(e);
            return CTL_USAGE;
        }
        for (size_t i = 0; i < n && worst < 2; i++) {
            size_t len = strlen(what) + strlen(names[i]) + 2;
            char *path = malloc(len);
            if (!path)
                break;
            snprintf(path, len, "%s/%s", what, names[i]);
            int r = import_one(e, a, prefix, path, out, err);
            worst = r > worst ? r : worst;
            free(path);
        }
        if (n == 0) {
            fprintf(err, "gtmctl: %s holds no *.json file: nothing imported\n", what);
            worst = 1;
        }
        files_free(names, n);
    } else {
        worst = import_one(e, a, prefix, what, out, err);
    }
    etcd_free(e);
    return worst == 2 ? CTL_UNREACHABLE : worst == 1 ? CTL_USAGE : CTL_OK;
}
