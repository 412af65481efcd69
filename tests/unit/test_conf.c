/* test_conf.c: options_load (command line + config file) and
 * listen_addr_parse, with the exact error lines. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "gtm/err.h"
#include "gtm/geoip.h"
#include "gtm/log.h"
#include "conf/conf.h"
#include "unit.h"

static char *dir;
static struct errbuf eb;
static struct gtm_options opt;

/* argv of the previous load, kept until the next one has run: see
 * test_repeated_load_freed_argv. */
static char *prev_argv[32];

static void
free_argv(char **argv)
{
    for (int i = 0; argv[i]; i++) {
        free(argv[i]);
        argv[i] = NULL;
    }
}

static int
setup(void **state)
{
    (void)state;
    dir = tmpdir_new();
    return dir ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    free_argv(prev_argv);
    tmpdir_remove(dir);
    free(dir);
    return 0;
}

static int
cleanup_opt(void **state)
{
    (void)state;
    options_cleanup(&opt);
    return 0;
}

/* load: options_load on "gtmd" + the NULL-terminated arguments; fills opt
 * (freed after each test) and eb. */
static int
load(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = strdup("gtmd");
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(argc < 31);
        argv[argc++] = strdup(a);
    }
    va_end(ap);
    argv[argc] = NULL;
    options_cleanup(&opt);
    struct config_errors errs = errs_init(&eb);
    int rc = options_load(argc, argv, &opt, &errs);
    assert_int_equal(errs.count, eb.n);
    assert_int_equal(rc == 0, errs.count == 0);
    assert_true(rc == 0 || rc == GTM_ECONFIG);
    free_argv(prev_argv);
    memcpy(prev_argv, argv, sizeof argv);
    return rc;
}

/* conf: writes a config file and returns its path (static until the next call). */
static const char *
conf(const char *text)
{
    static char *path;
    free(path);
    path = tmpfile_write(dir, "gtmd.conf", text);
    assert_non_null(path);
    return path;
}

/* expect_file_errors: loading the config text fails with these errors,
 * each "LINE: msg" in want standing for "PATH:LINE: error: msg". */
static void
expect_file_errors(const char *text, const char *want)
{
    const char *path = conf(text);
    assert_int_equal(load("-c", path, NULL), GTM_ECONFIG);
    char full[8192] = "";
    for (const char *p = want; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        size_t at = strlen(full);
        snprintf(full + at, sizeof full - at, "%s:%.*s", path, (int)n, p);
        p += n;
    }
    assert_string_equal(eb.text, full);
}

static void
test_defaults(void **state)
{
    (void)state;
    assert_int_equal(load(NULL), 0);
    assert_string_equal(eb.text, "");
    assert_null(opt.config);
    assert_string_equal(opt.domain, "trafficmanager.net");
    assert_null(opt.zones);
    assert_true(opt.workers >= 1 && opt.workers <= 64);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(opt.workers, cpus < 1 ? 1 : cpus > 64 ? 64 : cpus);
    assert_int_equal(opt.tcp_timeout, 10);
    assert_int_equal(opt.tcp_clients, 256);
    assert_int_equal(opt.log_level, LOG_LEVEL_INFO);
    assert_false(opt.check_config || opt.demo || opt.help || opt.version);
    assert_true(opt.listen_default);
    assert_int_equal(opt.nlisten, 2);
    assert_int_equal(opt.listen[0].family, AF_INET);
    assert_int_equal(opt.listen[0].port, 5353);
    static const uint8_t lo4[4] = {127, 0, 0, 1};
    assert_memory_equal(opt.listen[0].addr, lo4, 4);
    assert_int_equal(opt.listen[1].family, AF_INET6);
    assert_int_equal(opt.listen[1].port, 5353);
    static const uint8_t lo6[16] = {[15] = 1};
    assert_memory_equal(opt.listen[1].addr, lo6, 16);
}

static void
test_command_line(void **state)
{
    (void)state;
    assert_int_equal(load("-l", "127.0.0.2:53", "--listen", "[::1]:54", "--domain", "gtm.example",
                          "-z", "/zones", "--workers", "3", "--tcp-timeout", "5", "--tcp-clients",
                          "9", "--log-level", "debug", "--check-config", "--demo", NULL),
                     0);
    assert_string_equal(eb.text, "");
    assert_false(opt.listen_default);
    assert_int_equal(opt.nlisten, 2);
    assert_int_equal(opt.listen[0].port, 53);
    assert_string_equal(opt.listen[0].text, "127.0.0.2:53");
    assert_int_equal(opt.listen[1].port, 54);
    assert_int_equal(opt.listen[1].family, AF_INET6);
    assert_string_equal(opt.domain, "gtm.example");
    assert_string_equal(opt.zones, "/zones");
    assert_int_equal(opt.workers, 3);
    assert_int_equal(opt.tcp_timeout, 5);
    assert_int_equal(opt.tcp_clients, 9);
    assert_int_equal(opt.log_level, LOG_LEVEL_DEBUG);
    assert_true(opt.check_config);
    assert_true(opt.demo);

    assert_int_equal(load("-h", NULL), 0);
    assert_true(opt.help);
    assert_int_equal(load("--version", NULL), 0);
    assert_true(opt.version);
    assert_int_equal(load("-V", NULL), 0);
    assert_true(opt.version);
    assert_int_equal(load("--workers=7", NULL), 0);
    assert_int_equal(opt.workers, 7);
}

static void
test_command_line_errors(void **state)
{
    (void)state;
    assert_int_equal(load("--lisen", "127.0.0.1", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: unknown option '--lisen'\n"
                                 "command line: error: unexpected argument '127.0.0.1'\n");
    assert_int_equal(load("-x", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: unknown option '-x'\n");
    assert_int_equal(load("--workers", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: option '--workers' needs a value\n");
    assert_int_equal(load("-l", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: option '-l' needs a value\n");
    assert_int_equal(load("--workers", "0", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text,
                        "command line: error: workers: '0' is not an integer in [1, 64]\n");
    assert_int_equal(load("-l", "localhost", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: listen: 'localhost' is not ADDR[:PORT] "
                                 "with a numeric address\n");
    assert_int_equal(load("--log-level", "loud", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: log-level: unknown level 'loud' (debug, "
                                 "info, warn, error)\n");
    assert_int_equal(load("--demo=yes", NULL), GTM_ECONFIG);
    assert_int_equal(eb.n, 1);
    assert_int_equal(load("-c", "/nonexistent/gtmd.conf", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text,
                        "/nonexistent/gtmd.conf: error: cannot open: No such file or directory\n");
    /* Given twice on the command line: the last one wins. */
    assert_int_equal(load("--workers", "2", "--workers", "4", NULL), 0);
    assert_int_equal(opt.workers, 4);
}

static void
test_file(void **state)
{
    (void)state;
    const char *path = conf("# gtmd.conf\n"
                            "\n"
                            "  listen = 192.0.2.1:53  \n"
                            "listen=[2001:db8::1]:53\n"
                            "\t# indented comment\n"
                            "domain = gtm.example.net\n"
                            "zones = /etc/gtmd/zones\n"
                            "workers = 64\n"
                            "tcp-timeout = 3600\n"
                            "tcp-clients = 1\n"
                            "log-level = warn\n");
    assert_int_equal(load("-c", path, NULL), 0);
    assert_string_equal(eb.text, "");
    assert_string_equal(opt.config, path);
    assert_int_equal(opt.nlisten, 2);
    assert_false(opt.listen_default);
    assert_string_equal(opt.listen[0].text, "192.0.2.1:53");
    assert_int_equal(opt.listen[1].family, AF_INET6);
    assert_string_equal(opt.domain, "gtm.example.net");
    assert_string_equal(opt.zones, "/etc/gtmd/zones");
    assert_int_equal(opt.workers, 64);
    assert_int_equal(opt.tcp_timeout, 3600);
    assert_int_equal(opt.tcp_clients, 1);
    assert_int_equal(opt.log_level, LOG_LEVEL_WARN);

    /* An empty file: the defaults. */
    path = conf("");
    assert_int_equal(load("-c", path, NULL), 0);
    assert_true(opt.listen_default);
    assert_int_equal(opt.tcp_timeout, 10);
}

static void
test_command_line_wins(void **state)
{
    (void)state;
    const char *path = conf("listen = 192.0.2.1:53\n"
                            "listen = 192.0.2.2:53\n"
                            "workers = 4\n"
                            "domain = file.example\n"
                            "log-level = error\n");
    assert_int_equal(load("--workers", "2", "-c", path, "-l", "127.0.0.1:5300", NULL), 0);
    assert_string_equal(eb.text, "");
    assert_int_equal(opt.workers, 2);
    assert_int_equal(opt.nlisten, 1); /* replaced, not merged */
    assert_string_equal(opt.listen[0].text, "127.0.0.1:5300");
    assert_string_equal(opt.domain, "file.example");
    assert_int_equal(opt.log_level, LOG_LEVEL_ERROR);

    /* A bad command-line value is reported as the command line's. */
    path = conf("workers = 4\n");
    assert_int_equal(load("-c", path, "--workers", "0", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text,
                        "command line: error: workers: '0' is not an integer in [1, 64]\n");
}

static void
test_file_unknown_option(void **state)
{
    (void)state;
    expect_file_errors("# comment\n"
                       "workers = 2\n"
                       "lisen = 127.0.0.1\n",
                       "3: error: unknown option 'lisen'\n");
    expect_file_errors("--workers = 2\n", "1: error: unknown option '--workers'\n");
    expect_file_errors("Workers = 2\n", "1: error: unknown option 'Workers'\n");
}

static void
test_file_missing_equals(void **state)
{
    (void)state;
    expect_file_errors("\n"
                       "workers 4\n",
                       "2: error: expected 'name = value', got 'workers 4'\n");
    expect_file_errors("demo\n", "1: error: expected 'name = value', got 'demo'\n");
    expect_file_errors("workers =\n", "1: error: option 'workers' needs a value\n");
    expect_file_errors("= 4\n", "1: error: unknown option ''\n");
}

static void
test_file_twice(void **state)
{
    (void)state;
    expect_file_errors("workers = 2\n"
                       "domain = a.example\n"
                       "\n"
                       "workers = 3\n",
                       "4: error: option 'workers' given twice (first on line 1)\n");
    /* listen may repeat. */
    const char *path = conf("listen = 127.0.0.1:1\nlisten = 127.0.0.1:2\nlisten = ::1\n");
    assert_int_equal(load("-c", path, NULL), 0);
    assert_int_equal(opt.nlisten, 3);
    assert_int_equal(opt.listen[2].port, 5353);
}

static void
test_file_range(void **state)
{
    (void)state;
    expect_file_errors("workers = 0\n", "1: error: workers: '0' is not an integer in [1, 64]\n");
    expect_file_errors("workers = 65\n", "1: error: workers: '65' is not an integer in [1, 64]\n");
    expect_file_errors("\ntcp-timeout = 3601\n",
                       "2: error: tcp-timeout: '3601' is not an integer in [1, 3600]\n");
    expect_file_errors("tcp-clients = -1\n",
                       "1: error: tcp-clients: '-1' is not an integer in [1, 65536]\n");
    expect_file_errors("tcp-clients = 99999999999999999999999\n",
                       "1: error: tcp-clients: '99999999999999999999999' is not an integer in [1, "
                       "65536]\n");
    expect_file_errors("workers = 4 # four\n",
                       "1: error: workers: '4 # four' is not an integer in [1, 64]\n");
    expect_file_errors("workers = 0x10\n",
                       "1: error: workers: '0x10' is not an integer in [1, 64]\n");
    expect_file_errors("log-level = verbose\n",
                       "1: error: log-level: unknown level 'verbose' (debug, info, warn, error)\n");
}

static void
test_file_command_line_only(void **state)
{
    (void)state;
    expect_file_errors("config = /etc/other.conf\n"
                       "demo = yes\n"
                       "check-config = 1\n"
                       "help = 1\n"
                       "version = 1\n",
                       "1: error: option 'config' is for the command line only\n"
                       "2: error: option 'demo' is for the command line only\n"
                       "3: error: option 'check-config' is for the command line only\n"
                       "4: error: option 'help' is for the command line only\n"
                       "5: error: option 'version' is for the command line only\n");
}

static void
test_file_bad_listen(void **state)
{
    (void)state;
    expect_file_errors("listen = 127.0.0.1:53\n"
                       "listen = localhost:53\n"
                       "listen = [::1]:0\n",
                       "2: error: listen: 'localhost:53' is not ADDR[:PORT] with a numeric "
                       "address\n"
                       "3: error: listen: '[::1]:0' is not ADDR[:PORT] with a numeric address\n");
}

static void
test_file_every_error(void **state)
{
    (void)state;
    /* The whole file is checked: every error, in line order. */
    expect_file_errors("lisen = 1\n"
                       "workers\n"
                       "workers = 100\n"
                       "demo = 1\n"
                       "tcp-timeout = 0\n",
                       "1: error: unknown option 'lisen'\n"
                       "2: error: expected 'name = value', got 'workers'\n"
                       "4: error: option 'demo' is for the command line only\n"
                       "3: error: workers: '100' is not an integer in [1, 64]\n"
                       "5: error: tcp-timeout: '0' is not an integer in [1, 3600]\n");
}

static void
test_file_long_line(void **state)
{
    (void)state;
    char *text = malloc(10000);
    assert_non_null(text);
    int at = snprintf(text, 10000, "workers = 2\ndomain = ");
    assert_true(at > 0 && at < 4000);
    memset(text + at, 'a', 5000);
    snprintf(text + at + 5000, 10000 - (size_t)at - 5000, "\nworkers = 3\n");
    expect_file_errors(text, "2: error: line longer than 4094 bytes\n"
                             "3: error: option 'workers' given twice (first on line 1)\n");
    free(text);
}

/* tls-cert and tls-key go together; the error names where the lone one was
 * written: the config file and its line, or the command line. */
static void
test_tls_pair(void **state)
{
    (void)state;
    expect_file_errors("workers = 2\n"
                       "tls-key = x\n",
                       "2: error: tls-key given without tls-cert: tls-cert and tls-key go "
                       "together\n");
    expect_file_errors("tls-cert = /etc/gtmd/api.crt\n",
                       "1: error: tls-cert given without tls-key: tls-cert and tls-key go "
                       "together\n");
    assert_int_equal(load("--tls-key", "x", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: tls-key given without tls-cert: tls-cert "
                                 "and tls-key go together\n");
    /* One in the file, the other on the command line: a pair. */
    const char *path = conf("tls-key = /k.pem\n");
    assert_int_equal(load("-c", path, "--tls-cert", "/c.pem", NULL), 0);
    assert_string_equal(opt.tls_cert, "/c.pem");
    assert_string_equal(opt.tls_key, "/k.pem");
}

static void
test_repeated_load_freed_argv(void **state)
{
    (void)state;
    char a0[] = "gtmd", a1[] = "-h";
    char *first[] = {strdup(a0), strdup(a1), NULL};
    struct config_errors errs = errs_init(&eb);
    assert_int_equal(options_load(2, first, &opt, &errs), 0);
    free(first[0]);
    free(first[1]);
    /* Reuse the freed memory (glibc's tcache hands it back). */
    char *junk1 = strdup("MMMMMMMMMMMMMMMM"), *junk2 = strdup("MMMMMMMMMMMMMMMM");
    char *second[] = {a0, NULL};
    options_cleanup(&opt);
    errs = errs_init(&eb);
    assert_int_equal(options_load(1, second, &opt, &errs), 0);
    assert_string_equal(eb.text, "");
    free(junk1);
    free(junk2);
}

/* ---- listen_addr_parse ---- */

static void
check_addr(const char *text, int family, const char *addr, unsigned port)
{
    struct listen_addr a;
    assert_int_equal(listen_addr_parse(text, &a), 0);
    assert_int_equal(a.family, family);
    assert_int_equal(a.port, port);
    assert_string_equal(a.text, text);
    uint8_t want[16];
    assert_int_equal(inet_pton(family, addr, want), 1);
    assert_memory_equal(a.addr, want, family == AF_INET ? 4 : 16);
}

static void
test_listen_forms(void **state)
{
    (void)state;
    check_addr("127.0.0.1", AF_INET, "127.0.0.1", 5353);
    check_addr("127.0.0.1:53", AF_INET, "127.0.0.1", 53);
    check_addr("0.0.0.0:65535", AF_INET, "0.0.0.0", 65535);
    check_addr("::1", AF_INET6, "::1", 5353);
    check_addr("::", AF_INET6, "::", 5353);
    check_addr("2001:db8::53", AF_INET6, "2001:db8::53", 5353);
    check_addr("[::1]:53", AF_INET6, "::1", 53);
    check_addr("[::1]", AF_INET6, "::1", 5353);
    check_addr("[2001:db8::1]:1", AF_INET6, "2001:db8::1", 1);
    check_addr("::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1", 5353);
}

static void
test_listen_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:abc",
        "127.0.0.1:",
        "127.0.0.1:-1",
        "127.0.0.1:+53",
        "127.0.0.1: 53",
        "127.0.0.1:53x",
        "[::1]:0",
        "[::1]:65536",
        "[::1]:",
        "[::1]x",
        "[::1",
        "::1]:53",
        "[127.0.0.1]:53x",
        "localhost",
        "localhost:53",
        "",
        ":53",
        "256.0.0.1",
        "1.2.3",
        "garbage",
        "[]",
        "[]:53",
        "::1:53:",
        "127.0.0.1:99999999999999999999",
        "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:53"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct listen_addr a;
        if (listen_addr_parse(bad[i], &a) != GTM_EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
    }
}

/* ---- the option table, walked row by row ---- */

/* A value for row d that differs from its default and passes its check. */
static const char *
sample(const struct opt_def *d)
{
    static char buf[64];
    static const struct {
        const char *name, *value;
    } special[] = {{"listen", "192.0.2.1:53"},
                   {"api", "192.0.2.1:8444"},
                   {"on-change", "true"},
                   {"node", "lab-1"},
                   {"etcd", "http://192.0.2.1:2379"},
                   {"etcd-prefix", "/sample/"},
                   {"probe-source", "192.0.2.7"},
                   {"quorum", "2"},
                   {"tsig-keys", "/dev/null"}, /* no keys: a file that parses */
                   {"allow-transfer", "192.0.2.0/24"},
                   {"notify", "192.0.2.1:5300"},
                   {"cookies", "require"},
                   {"cookie-secret", "e5e973e5a6b2a43f48e7dc849e37bfcf"},
                   {"dnstap-queries", "no"},
                   {"dnstap-responses", "no"},
                   {"api-subscription", "0a0b0c0d-1111-2222-3333-444444444444"}};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (strcmp(d->name, special[i].name) == 0)
            return special[i].value;
    switch (d->type) {
    case OPT_UINT:
        snprintf(buf, sizeof buf, "%u",
                 d->def && strtoul(d->def, NULL, 10) == d->max ? d->min : d->max);
        return buf;
    case OPT_LEVEL:
        return "error";
    case OPT_BOOL:
    case OPT_FLAG:
        return NULL;
    default:
        snprintf(buf, sizeof buf, "/sample/%s", d->name);
        return buf;
    }
}

/* The bound field of d in o as text, to compare loads (static buffer). */
static const char *
field_text(const struct opt_def *d, const struct gtm_options *o)
{
    static char buf[2][128];
    static int which;
    char *out = buf[which ^= 1];
    const void *f = (const char *)o + d->field; /* the field, aligned for its type */
    switch (d->type) {
    case OPT_UINT:
        snprintf(out, 128, "%u", *(const unsigned *)f);
        break;
    case OPT_LEVEL:
        snprintf(out, 128, "%d", *(const int *)f);
        break;
    case OPT_BOOL:
    case OPT_FLAG:
        snprintf(out, 128, "%s", *(const bool *)f ? "true" : "false");
        break;
    default:
        snprintf(out, 128, "%s", *(char *const *)f ? *(char *const *)f : "(null)");
        break;
    }
    return out;
}

/* --node: the host name by default (no NSID); a name of 1 to 63 bytes of
 * [A-Za-z0-9._-] when written (then also the NSID); anything else is an
 * error naming the option. */
static void
test_node(void **state)
{
    (void)state;
    assert_int_equal(load(NULL), 0);
    assert_non_null(opt.node);
    size_t len = strlen(opt.node);
    assert_true(len >= 1 && len <= GTM_NODE_MAX);
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    assert_int_equal(strspn(opt.node, ok), len);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) == 0 && host[0] && strlen(host) <= GTM_NODE_MAX &&
        strspn(host, ok) == strlen(host))
        assert_string_equal(opt.node, host); /* a valid host name is taken as it is */
    assert_false(opt.node_given);
    assert_null(options_nsid(&opt));

    assert_int_equal(load("--node", "lab-1", NULL), 0);
    assert_string_equal(opt.node, "lab-1");
    assert_true(opt.node_given);
    assert_string_equal(options_nsid(&opt), "lab-1");

    char name63[64];
    memset(name63, 'a', 63);
    name63[63] = 0;
    assert_int_equal(load("--node", name63, NULL), 0);
    assert_string_equal(options_nsid(&opt), name63);
    assert_int_equal(load("--node", "Node_2.dc-1", NULL), 0);

    static const char *const bad[] = {"",
                                      "lab 1",
                                      "lab/1",
                                      "l\xc3\xa4"
                                      "b",
                                      "a:b",
                                      NULL};
    char name64[65];
    memset(name64, 'a', 64);
    name64[64] = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *b = bad[i] ? bad[i] : name64;
        assert_int_equal(load("--node", b, NULL), GTM_ECONFIG);
        char want[256];
        snprintf(want, sizeof want,
                 "command line: error: node: '%s' is not 1 to 63 of the characters A-Z a-z 0-9 . "
                 "_ -\n",
                 b);
        assert_string_equal(eb.text, want);
    }
    expect_file_errors("node = lab/1\n",
                       "1: error: node: 'lab/1' is not 1 to 63 of the characters A-Z a-z 0-9 . _ "
                       "-\n");
    assert_int_equal(load("-c", conf("node = lab-2\n"), NULL), 0);
    assert_string_equal(options_nsid(&opt), "lab-2");
}

/* The fleet's options (SPEC §11): their checks, defaults, and NSID in
 * fleet mode. */
static void
test_fleet_options(void **state)
{
    (void)state;
    assert_int_equal(load(NULL), 0);
    assert_null(opt.etcd);
    assert_string_equal(opt.etcd_prefix, "/gtmd/");
    assert_int_equal(opt.quorum, 0);
    assert_null(opt.probe_source);

    assert_int_equal(load("--etcd", "http://127.0.0.1:2379,https://[::1]:2379", "--etcd-prefix",
                          "/lab", "--quorum", "2", "--probe-source", "127.0.0.12", NULL),
                     0);
    assert_string_equal(opt.etcd, "http://127.0.0.1:2379,https://[::1]:2379");
    assert_string_equal(opt.etcd_prefix, "/lab/"); /* never the start of another prefix */
    assert_int_equal(opt.quorum, 2);
    assert_string_equal(opt.probe_source, "127.0.0.12");
    /* a fleet's node always answers NSID, its name the host's by default */
    assert_false(opt.node_given);
    assert_string_equal(options_nsid(&opt), opt.node);
    assert_int_equal(load("--quorum", "majority", "--probe-source", "::1", NULL), 0);
    assert_int_equal(opt.quorum, 0);

    assert_int_equal(load("--etcd", "127.0.0.1:2379", NULL), GTM_ECONFIG);
    assert_string_equal(
        eb.text, "command line: error: etcd: '127.0.0.1:2379' is not an http:// or https:// URL\n");
    assert_int_equal(load("--etcd", "http://a:1,,http://b:1", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text,
                        "command line: error: etcd: '' is not an http:// or https:// URL\n");
    assert_int_equal(load("--quorum", "0", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: quorum: '0' is not a number of nodes from 1 "
                                 "to 64, or majority\n");
    assert_int_equal(load("--quorum", "65", NULL), GTM_ECONFIG);
    assert_int_equal(load("--quorum", "-1", NULL), GTM_ECONFIG);
    assert_int_equal(load("--probe-source", "lo", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: probe-source: 'lo' is not a numeric IPv4 "
                                 "or IPv6 address\n");
    assert_int_equal(load("--etcd-prefix", "/a b/", NULL), GTM_ECONFIG);
    expect_file_errors("quorum = most\n",
                       "1: error: quorum: 'most' is not a number of nodes from 1 to 64, or "
                       "majority\n");
}

/* cookies, cookie-secret, cookie-rotate: their defaults, values, errors;
 * the secret never in a message. */
static void
test_dnstap_options(void **state)
{
    (void)state;
    assert_int_equal(load(NULL), 0);
    assert_null(opt.dnstap);
    assert_true(opt.dnstap_queries);
    assert_true(opt.dnstap_responses);
#ifdef HAVE_DNSTAP
    assert_int_equal(load("--dnstap", "unix:/run/tap.sock", "--dnstap-queries", "no", NULL), 0);
    assert_string_equal(opt.dnstap, "unix:/run/tap.sock");
    assert_false(opt.dnstap_queries);
    assert_true(opt.dnstap_responses);
    assert_int_equal(load("--dnstap", "unix:", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: dnstap: 'unix:' names no file or socket\n");
#else
    assert_int_equal(load("--dnstap", "/tmp/x.tap", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: dnstap: '/tmp/x.tap': gtmd was built "
                                 "without dnstap (libfstrm, libprotobuf-c)\n");
#endif
    assert_int_equal(load("--dnstap-responses", "maybe", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text,
                        "command line: error: dnstap-responses: expected yes or no, got 'maybe'\n");
}

static void
test_cookie_options(void **state)
{
    (void)state;
    assert_int_equal(load(NULL), 0);
    assert_int_equal(opt.cookies, 1); /* on */
    assert_false(opt.cookie_secret_given);
    assert_int_equal(opt.cookie_rotate, 86400);
    assert_int_equal(load("--cookies", "off", "--cookie-secret", "E5E973E5A6B2A43F48E7DC849E37BFCF",
                          "--cookie-rotate", "3600", NULL),
                     0);
    assert_int_equal(opt.cookies, 0);
    assert_true(opt.cookie_secret_given);
    static const uint8_t want[16] = {0xe5, 0xe9, 0x73, 0xe5, 0xa6, 0xb2, 0xa4, 0x3f,
                                     0x48, 0xe7, 0xdc, 0x84, 0x9e, 0x37, 0xbf, 0xcf};
    assert_memory_equal(opt.cookie_secret, want, 16);
    assert_int_equal(opt.cookie_rotate, 3600);
    assert_int_equal(load("--cookies", "require", NULL), 0);
    assert_int_equal(opt.cookies, 2);

    assert_int_equal(load("--cookies", "yes", NULL), GTM_ECONFIG);
    assert_string_equal(eb.text, "command line: error: cookies: 'yes' is not on, off or require\n");
    static const char *const bad[] = {
        "e5e973e5a6b2a43f48e7dc849e37bf", /* 15 bytes */
        "e5e973e5a6b2a43f48e7dc849e37bfcf00", "e5e973e5a6b2a43f48e7dc849e37bfcg",
        "0x5e973e5a6b2a43f48e7dc849e37bfc", " e5e973e5a6b2a43f48e7dc849e37bfc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(load("--cookie-secret", bad[i], NULL), GTM_ECONFIG);
        assert_string_equal(eb.text,
                            "command line: error: cookie-secret: not 32 hex digits (16 bytes)\n");
    }
    assert_int_equal(load("--cookie-rotate", "0", NULL), GTM_ECONFIG);
    expect_file_errors("cookies = sometimes\n",
                       "1: error: cookies: 'sometimes' is not on, off or require\n");
}

/* Every row binds a field (or has a setter), and a value written for it,
 * on the command line or in the file, lands there and nowhere else. */
static void
test_table_binds_fields(void **state)
{
    (void)state;
    char *empty = tmpfile_write(dir, "empty.conf", "# nothing\n");
    assert_non_null(empty);
    for (int i = 0; i < OPT_ID_COUNT; i++) {
        const struct opt_def *d = &opt_schema[i];
        print_message("# %s\n", d->name);
        assert_true(d->field != OPT_NOFIELD || d->set);
        assert_true(d->field == OPT_NOFIELD || d->field < sizeof(struct gtm_options));
        assert_true(d->given == OPT_NOFIELD || d->given < sizeof(struct gtm_options));
        if (d->type == OPT_ADDR)
            assert_non_null(d->set);
        const char *value = d->type == OPT_STRING && i == OPT_ID_CONFIG ? empty : sample(d);
        /* tls-cert and tls-key go together: each is written with the other */
        const char *partner = i == OPT_ID_TLS_CERT  ? "tls-key"
                              : i == OPT_ID_TLS_KEY ? "tls-cert"
                                                    : NULL;
        char arg[80], parg[80], line[160];
        snprintf(arg, sizeof arg, "--%s", d->name);
        snprintf(parg, sizeof parg, "--%s", partner ? partner : "");
        snprintf(line, sizeof line, "%s = %s\n%s%s%s", d->name, value ? value : "yes",
                 partner ? partner : "", partner ? " = /partner" : "", partner ? "\n" : "");
        if (i == OPT_ID_GEOIP && !geoip_available()) {
            assert_int_equal(load(arg, value, NULL), GTM_ECONFIG);
            assert_string_equal(
                eb.text, "command line: error: geoip: gtmd was built without libmaxminddb\n");
            continue;
        }
#ifndef HAVE_DNSTAP
        if (i == OPT_ID_DNSTAP) {
            assert_int_equal(load(arg, value, NULL), GTM_ECONFIG);
            assert_non_null(strstr(eb.text, "gtmd was built without dnstap"));
            continue;
        }
#endif

        /* before: the defaults */
        assert_int_equal(load(NULL), 0);
        char before[128] = "";
        if (d->field != OPT_NOFIELD)
            snprintf(before, sizeof before, "%s", field_text(d, &opt));
        if (d->given != OPT_NOFIELD)
            assert_false(*(bool *)((char *)&opt + d->given));

        /* written on the command line */
        if (partner)
            assert_int_equal(load(arg, value, parg, "/partner", NULL), 0);
        else
            assert_int_equal(load(arg, value, NULL), 0);
        assert_string_equal(eb.text, "");
        char cli[128] = "";
        if (d->field != OPT_NOFIELD) {
            snprintf(cli, sizeof cli, "%s", field_text(d, &opt));
            assert_string_not_equal(cli, before);
            if (value && d->type != OPT_UINT && d->type != OPT_LEVEL)
                assert_string_equal(cli, value);
        }
        if (d->given != OPT_NOFIELD)
            assert_true(*(bool *)((char *)&opt + d->given));
        if (i == OPT_ID_LISTEN) {
            assert_false(opt.listen_default);
            assert_int_equal(opt.nlisten, 1);
            assert_string_equal(opt.listen[0].text, value);
        }
        if (i == OPT_ID_API) {
            assert_false(opt.api_off);
            assert_string_equal(opt.api.text, value);
            assert_int_equal(opt.api.port, 8444);
        }

        /* written in the file: the same value in the same field */
        if (!d->in_file)
            continue;
        assert_int_equal(load("-c", conf(line), NULL), 0);
        assert_string_equal(eb.text, "");
        if (d->field != OPT_NOFIELD)
            assert_string_equal(field_text(d, &opt), cli);
        if (d->given != OPT_NOFIELD)
            assert_true(*(bool *)((char *)&opt + d->given));
        if (i == OPT_ID_LISTEN)
            assert_string_equal(opt.listen[0].text, value);
        if (i == OPT_ID_API)
            assert_string_equal(opt.api.text, value);
    }
    free(empty);
}

/* The switch: yes/no in the file, alone on the command line, and stored in
 * its own field (it was once written to strict whatever the option). */
static void
test_bool_switch(void **state)
{
    (void)state;
    static const char *const yes[] = {"yes", "YES", "true", "1", "on"};
    static const char *const no[] = {"no", "False", "0", "off"};
    char line[64];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(line, sizeof line, "strict = %s\n", yes[i]);
        assert_int_equal(load("-c", conf(line), NULL), 0);
        assert_true(opt.strict);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(line, sizeof line, "strict = %s\n", no[i]);
        assert_int_equal(load("-c", conf(line), NULL), 0);
        assert_false(opt.strict);
    }
    assert_int_equal(load("--strict", NULL), 0);
    assert_true(opt.strict);
    assert_false(opt.check_config || opt.demo || opt.help || opt.version);
    const char *path = conf("strict = maybe\n");
    assert_int_equal(load("-c", path, NULL), GTM_ECONFIG);
    assert_false(opt.strict);
    char want[4200];
    snprintf(want, sizeof want, "%s:1: error: strict: expected yes or no, got 'maybe'\n", path);
    assert_string_equal(eb.text, want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_defaults, cleanup_opt),
        cmocka_unit_test_teardown(test_command_line, cleanup_opt),
        cmocka_unit_test_teardown(test_command_line_errors, cleanup_opt),
        cmocka_unit_test_teardown(test_file, cleanup_opt),
        cmocka_unit_test_teardown(test_command_line_wins, cleanup_opt),
        cmocka_unit_test_teardown(test_file_unknown_option, cleanup_opt),
        cmocka_unit_test_teardown(test_file_missing_equals, cleanup_opt),
        cmocka_unit_test_teardown(test_file_twice, cleanup_opt),
        cmocka_unit_test_teardown(test_file_range, cleanup_opt),
        cmocka_unit_test_teardown(test_file_command_line_only, cleanup_opt),
        cmocka_unit_test_teardown(test_file_bad_listen, cleanup_opt),
        cmocka_unit_test_teardown(test_file_every_error, cleanup_opt),
        cmocka_unit_test_teardown(test_file_long_line, cleanup_opt),
        cmocka_unit_test_teardown(test_tls_pair, cleanup_opt),
        cmocka_unit_test_teardown(test_repeated_load_freed_argv, cleanup_opt),
        cmocka_unit_test_teardown(test_node, cleanup_opt),
        cmocka_unit_test_teardown(test_fleet_options, cleanup_opt),
        cmocka_unit_test_teardown(test_cookie_options, cleanup_opt),
        cmocka_unit_test_teardown(test_dnstap_options, cleanup_opt),
        cmocka_unit_test_teardown(test_table_binds_fields, cleanup_opt),
        cmocka_unit_test_teardown(test_bool_switch, cleanup_opt),
        cmocka_unit_test(test_listen_forms),
        cmocka_unit_test(test_listen_bad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
