/* gtmd.c: main() only: options, the first load, sockets, workers, the API,
 * the control loop, the exit code. Everything else is in libgtm.a. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "api/api.h"
#include "dns/server.h"
#include "fleet/fleet.h"
#include "gtm/alloc.h"
#include "src/ctx.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "gtm/snapshot.h"
#include "monitor/monitor.h"
#include "src/daemon.h"
#include "src/demo.h"
#include "src/dnsnotify.h"
#include "src/hook.h"
#include "src/notify.h"
#include "conf/conf.h"
#include "zones/build.h"

enum { EXIT_OK = 0, EXIT_CONFIG = 1, EXIT_RUNTIME = 2 };

/* The open-files limit up to its hard limit, as NSD and Knot raise theirs:
 * every probe in flight and every TCP client holds a descriptor. */
static void
raise_open_files(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        log_debug("gtmd: open-files limit raised from %llu to %llu", (unsigned long long)was,
                  (unsigned long long)rl.rlim_max);
}

/* --state-dir when it is missing: made with its missing parents (0750 less
 * the umask), since the profiles, a fleet node's cache of them and the
 * API's certificate go there. 0, or -errno: what failed (ENOTDIR for a
 * file, or a link to nothing, in its place). */
static int
make_state_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
    char path[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0)
        return -ENOENT;
    if (n >= sizeof path)
        return -ENAMETOOLONG;
    memcpy(path, dir, n + 1);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0750) != 0 && errno != EEXIST)
            return -errno;
        *p = c;
        if (!c)
            break;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) /* EEXIST: a dangling link */
        return -ENOTDIR;
    log_info("gtmd: made the state directory %s", dir);
    return 0;
}

int
main(int argc, char **argv)
{
    /* A HUP before the loop's handler is in place (below) is ignored rather
     * than fatal: the configuration is read after this point anyway. */
    signal(SIGHUP, SIG_IGN);
    struct gtm_options opt;
    struct config_errors errs = {0, daemon_error_sink, (void *)1};
    int rc = options_load(argc, argv, &opt, &errs);
    if (opt.help) {
        options_usage(stdout, argv[0]);
        options_cleanup(&opt);
        return EXIT_OK;
    }
    if (opt.version) {
        printf("gtmd %s\n", PACKAGE_VERSION);
        options_cleanup(&opt);
        return EXIT_OK;
    }
    log_set_level((enum log_level)opt.log_level);

    struct gtm_snapshot *snap = rc == 0 ? daemon_load(&opt, &errs) : NULL;
    if (rc == 0 && api_check(&opt, &errs) != 0) {
        snapshot_free(snap);
        snap = NULL;
    }
    if (opt.check_config) {
        if (errs.count)
            fprintf(stderr, "gtmd: %u error(s)\n", errs.count);
        else
            printf("gtmd: configuration OK (%u zones, %u profiles)\n", snap->nzones,
                   snap->nprofiles);
        snapshot_free(snap);
        options_cleanup(&opt);
        return errs.count ? EXIT_CONFIG : EXIT_OK;
    }
    if (!snap) {
        fprintf(stderr, "gtmd: %u configuration error(s); not starting (see --help)\n", errs.count);
        options_cleanup(&opt);
        return EXIT_CONFIG;
    }

    int mk = opt.state_dir ? make_state_dir(opt.state_dir) : 0;
    if (mk != 0) {
        fprintf(stderr, "gtmd: --state-dir %s: cannot make it: %s\n", opt.state_dir, strerror(-mk));
        snapshot_free(snap);
        options_cleanup(&opt);
        return EXIT_CONFIG;
    }

    signal(SIGPIPE, SIG_IGN);
    int code = EXIT_RUNTIME;
    struct hooks *hooks = NULL;
    struct gtm_ctx ctx = {0};
    ctx.opt = &opt;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "gtmd: cannot initialise libcurl\n");
        snapshot_free(snap);
        options_cleanup(&opt);
        return EXIT_RUNTIME;
    }
    ctx.base = event_base_new();
    if (!ctx.base) {
        fprintf(stderr, "gtmd: cannot create the event loop\n");
        snapshot_free(snap);
        goto out;
    }
    ctx_init_events(&ctx); /* signals are caught from here on */
    raise_open_files();
    ctx.monitor = monitor_new(ctx.base);
    monitor_set_source(ctx.monitor, opt.probe_source);
    if (opt.max_probes_in_flight)
        monitor_set_max_in_flight(ctx.monitor, opt.max_probes_in_flight);
    log_debug("monitor: at most %u probes in flight", monitor_max_in_flight(ctx.monitor));
    /* --notify: the first publish notifies every static zone, once the loop runs */
    ctx.notifier = dns_notifier_new(ctx.base, &opt.xfr, ctx.notifies);
    ctx_publish(&ctx, snap);
    if (opt.demo && !(ctx.demo = demo_start(ctx.base))) {
        fprintf(stderr, "gtmd: cannot start the demo endpoints; see the error above\n");
        goto out;
    }
    struct worker_socks *socks;
    if (server_bind(&ctx, &socks) != 0) {
        fprintf(stderr, "gtmd: cannot listen; see the error above\n");
        goto out;
    }
    if (server_start(&ctx, socks) != 0)
        goto out;
    if (!opt.api_off && !(ctx.api = api_start(&ctx))) {
        if (opt.api_given) {
            fprintf(stderr, "gtmd: cannot start the API; see the error above\n");
            goto out;
        }
        log_warn("api: not started (the default address is taken?); DNS goes on without it");
    }
    /* --on-change: a failure here is logged; DNS goes on without the hook */
    hooks = opt.on_change ? hooks_new(&ctx, opt.on_change) : NULL;
    /* --etcd: joins the fleet in the background; DNS never waits for it */
    if (opt.etcd && !(ctx.fleet = fleet_start(&ctx))) {
        fprintf(stderr, "gtmd: cannot start fleet mode; see the error above\n");
        goto out;
    }

    if (opt.demo)
        demo_banner(&opt);
    log_info("gtmd: ready: %u zone(s), %u profile(s), %u probe(s), %u worker(s)", snap->nzones,
             snap->nprofiles, snap->nprobes, opt.workers);
    char status[160];
    snprintf(status, sizeof status, "answering: %u zone(s), %u profile(s), %u probe(s)",
             snap->nzones, snap->nprofiles, snap->nprobes);
    notify_ready(status); /* Type=notify: systemd starts what depends on gtmd now */
    event_base_dispatch(ctx.base);
    notify_stopping();
    code = EXIT_OK;

out:
    hooks_free(hooks); /* first: leaving the fleet is no transition to page anyone about */
    fleet_stop(ctx.fleet);
    api_free(ctx.api);
    server_stop(&ctx);
    dns_notifier_free(ctx.notifier);
    ctx.notifier = NULL;
    monitor_free(ctx.monitor);
    demo_free(ctx.demo);
    ctx_cleanup_events(&ctx); /* and the snapshots */
    if (ctx.base)
        event_base_free(ctx.base);
    curl_global_cleanup();
    options_cleanup(&opt);
    if (code == EXIT_OK)
        log_info("gtmd: stopped");
    return code;
}
