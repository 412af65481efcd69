/* fuzz_conf.c: any bytes as a config file (gtmd -c FILE) never crash the
 * parser, and every error it reports names the file at a line > 0. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtm/err.h"
#include "gtm/snapshot.h"
#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];

struct seen {
    unsigned n;
};

static void
sink(void *arg, const char *file, unsigned line, const char *msg)
{
    struct seen *s = arg;
    s->n++;
    if (strcmp(file, path) != 0 || line == 0 || !msg[0]) {
        fprintf(stderr, "fuzz_conf: error without the file's name and line: %s:%u: %s\n", file,
                line, msg);
        abort();
    }
}

static void
remove_path(void)
{
    unlink(path);
}

/* One temporary file per process, rewritten for every input. */
static void
init(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/fuzz_conf-XXXXXX", base && *base ? base : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("fuzz_conf: mkstemp");
        abort();
    }
    close(fd);
    atexit(remove_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0])
        init();
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
        abort();

    char a0[] = "gtmd", a1[] = "-c";
    char *argv[] = {a0, a1, path, NULL};
    struct seen seen = {0};
    struct config_errors errs = {0, sink, &seen};
    struct gtm_options opt;
    int rc = options_load(3, argv, &opt, &errs);
    if (seen.n != errs.count || (rc == 0) != (errs.count == 0) || (rc != 0 && rc != GTM_ECONFIG))
        abort();
    if (rc == 0 && (opt.nlisten == 0 || !opt.listen || !opt.domain || opt.workers < 1 ||
                    opt.workers > 64 || opt.tcp_timeout < 1 || opt.tcp_clients < 1))
        abort();
    options_cleanup(&opt);
    return 0;
}
