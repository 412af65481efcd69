/* test_profile_link.c: profile_load_dir (order, hidden files, size limit,
 * missing directory) and profile_link (duplicate names and relative names,
 * unknown children, loops, depth, MultiValue parents), and the bundled
 * examples loading cleanly with --strict. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "profiles/dir.h"
#include "unit.h"

static struct arena *arena;
static struct errbuf eb;
static struct config_errors errs;
static char *dir;

static int
setup(void **state)
{
    (void)state;
    arena = arena_new();
    errs = errs_init(&eb);
    dir = tmpdir_new();
    return dir ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    arena_free(arena);
    tmpdir_remove(dir);
    free(dir);
    return 0;
}

/* A profile document: name, relative name, and its endpoints' JSON. */
static char *
profile_json(const char *name, const char *rel, const char *method, const char *endpoints)
{
    char *buf = malloc(8192);
    snprintf(buf, 8192,
             "{\"name\":\"%s\",\"properties\":{\"trafficRoutingMethod\":\"%s\","
             "\"dnsConfig\":{\"relativeName\":\"%s\"},\"endpoints\":[%s]}}",
             name, method, rel, endpoints);
    return buf;
}

static void
write_profile(const char *file, const char *name, const char *rel, const char *endpoints)
{
    char *text = profile_json(name, rel, "Priority", endpoints);
    free(tmpfile_write(dir, file, text));
    free(text);
}

/* A nested endpoint to child, in ARM shape. */
static char *
nested_ep(const char *child)
{
    char *buf = malloc(512);
    snprintf(buf, 512,
             "{\"name\":\"to-%s\",\"type\":\"nestedEndpoints\",\"properties\":"
             "{\"targetResourceId\":\"/subscriptions/s/resourceGroups/rg/providers/"
             "Microsoft.Network/trafficManagerProfiles/%s\"}}",
             child, child);
    return buf;
}

static const char ext_ep[] =
    "{\"name\":\"web\",\"type\":\"externalEndpoints\",\"properties\":{\"target\":\"192.0.2.1\"}}";

static int
load(bool strict, struct profile ***v, uint32_t *n)
{
    return profile_load_dir(arena, dir, true, strict, &errs, v, n);
}

static char *
path_of(const char *file)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/%s", dir, file);
    return p;
}

/* ---- profile_load_dir ---- */

static void
test_load_dir(void **state)
{
    (void)state;
    write_profile("b.json", "b", "b", ext_ep);
    write_profile("a.json", "a", "a", ext_ep);
    write_profile(".hidden.json", "h", "h", ext_ep);
    free(tmpfile_write(dir, "notes.txt", "not a profile"));
    free(tmpfile_write(dir, "c.json", "{\"name\": \"c\",\n  bad}"));
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(false, &v, &n), GTM_ECONFIG);
    char *c = path_of("c.json"), want[8192];
    snprintf(want, sizeof want, "%s:2: error: column 5: string or '}' expected near 'bad'\n", c);
    assert_string_equal(eb.text, want);
    assert_int_equal(n, 2);
    assert_string_equal(v[0]->name, "a");
    assert_string_equal(v[1]->name, "b");
    char *a = path_of("a.json");
    assert_string_equal(v[0]->file, a);
    free(a);
    free(c);
}

static void
test_load_dir_missing(void **state)
{
    (void)state;
    struct profile **v = (struct profile **)&v;
    uint32_t n = 7;
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    assert_int_equal(profile_load_dir(arena, missing, false, false, &errs, &v, &n), 0);
    assert_int_equal(n, 0);
    assert_string_equal(eb.text, "");
    assert_int_equal(profile_load_dir(arena, missing, true, false, &errs, &v, &n), GTM_ECONFIG);
    char want[8192];
    snprintf(want, sizeof want,
             "%s: error: cannot open profiles directory: No such file or directory\n", missing);
    assert_string_equal(eb.text, want);
}

static void
test_load_dir_too_big(void **state)
{
    (void)state;
    size_t size = PROFILE_FILE_MAX + 2;
    char *big = malloc(size);
    memset(big, ' ', size - 1);
    big[size - 1] = 0;
    memcpy(big, "{}", 2);
    free(tmpfile_write(dir, "big.json", big));
    free(big);
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(false, &v, &n), GTM_ECONFIG);
    char *p = path_of("big.json"), want[8192];
    snprintf(want, sizeof want, "%s: error: larger than 1048576 bytes (1 MiB)\n", p);
    assert_string_equal(eb.text, want);
    assert_int_equal(n, 0);
    free(p);
}

static void
test_load_dir_name_from_file(void **state)
{
    (void)state;
    free(tmpfile_write(dir, "From-File.json",
                       "{\"trafficRoutingMethod\":\"Weighted\",\"endpoints\":[]}"));
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(false, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0]->name, "From-File");
    assert_string_equal(v[0]->relative_name, "from-file");
}

/* ---- profile_link ---- */

static void
test_link_ok(void **state)
{
    (void)state;
    char *to_child = nested_ep("Child");
    write_profile("parent.json", "parent", "app", to_child);
    write_profile("child.json", "child", "app-child", ext_ep);
    free(to_child);
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(true, &v, &n), 0);
    assert_int_equal(profile_link(v, n, &errs), 0);
    assert_string_equal(eb.text, "");
    assert_string_equal(v[0]->name, "child");
    assert_string_equal(v[1]->name, "parent");
    assert_ptr_equal(v[1]->endpoints[0].child_profile, v[0]);
    assert_null(v[0]->endpoints[0].child_profile);
}

static void
test_link_duplicates(void **state)
{
    (void)state;
    write_profile("a.json", "app", "same", ext_ep);
    write_profile("b.json", "APP", "other", ext_ep);
    write_profile("c.json", "c", "Same", ext_ep);
    /* a flattened one, so the path has no "properties." */
    free(tmpfile_write(dir, "d.json",
                       "{\"name\":\"d\",\"trafficRoutingMethod\":\"Weighted\","
                       "\"dnsConfig\":{\"relativeName\":\"same\"}}"));
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(true, &v, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(profile_link(v, n, &errs), GTM_ECONFIG);
    char *a = path_of("a.json"), *b = path_of("b.json"), *c = path_of("c.json"),
         *d = path_of("d.json");
    char want[8192];
    snprintf(want, sizeof want,
             "%s: error: name: profile 'APP' is also defined in %s\n"
             "%s: error: properties.dnsConfig.relativeName: 'same' is also the relativeName of "
             "profile 'app' in %s\n"
             "%s: error: dnsConfig.relativeName: 'same' is also the relativeName of profile "
             "'app' in %s\n",
             b, a, c, a, d, a);
    assert_string_equal(eb.text, want);
    free(a);
    free(b);
    free(c);
    free(d);
}

static void
test_link_unknown_child(void **state)
{
    (void)state;
    char eps[1024];
    char *to = nested_ep("nope");
    snprintf(eps, sizeof eps, "%s,%s", ext_ep, to);
    free(to);
    char *text = profile_json("p", "p", "Weighted", eps);
    free(tmpfile_write(dir, "p.json", text));
    free(text);
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(false, &v, &n), 0);
    assert_int_equal(profile_link(v, n, &errs), GTM_ECONFIG);
    char *p = path_of("p.json"), want[8192];
    snprintf(want, sizeof want,
             "%s: error: properties.endpoints[1].properties.targetResourceId: no profile named "
             "'nope' is loaded\n",
             p);
    assert_string_equal(eb.text, want);
    free(p);
}

static void
test_link_loop(void **state)
{
    (void)state;
    char *to_b = nested_ep("b"), *to_c = nested_ep("c"), *to_a = nested_ep("a");
    write_profile("a.json", "a", "a", to_b);
    write_profile("b.json", "b", "b", to_c);
    write_profile("c.json", "c", "c", to_a);
    /* a self-loop, flattened */
    free(tmpfile_write(dir, "s.json",
                       "{\"name\":\"s\",\"trafficRoutingMethod\":\"Priority\","
                       "\"dnsConfig\":{\"relativeName\":\"s\"},\"endpoints\":[{\"name\":\"w\","
                       "\"target\":\"192.0.2.1\"},{\"name\":\"me\",\"type\":\"nestedEndpoints\","
                       "\"targetResourceId\":\"s\"}]}"));
    free(to_a);
    free(to_b);
    free(to_c);
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(false, &v, &n), 0);
    assert_int_equal(profile_link(v, n, &errs), GTM_ECONFIG);
    char *a = path_of("a.json"), *s = path_of("s.json"), want[8192];
    snprintf(want, sizeof want,
             "%s: error: properties.endpoints[0].properties.targetResourceId: nested profiles "
             "form a loop: a -> b -> c -> a\n"
             "%s: error: endpoints[1].targetResourceId: nested profiles form a loop: s -> s\n",
             a, s);
    assert_string_equal(eb.text, want);
    free(a);
    free(s);
}

/* A chain p01 -> p02 -> ... -> pNN. */
static void
write_chain(int len)
{
    for (int i = 1; i <= len; i++) {
        char name[16], file[32], next[16];
        snprintf(name, sizeof name, "p%02d", i);
        snprintf(file, sizeof file, "%s.json", name);
        snprintf(next, sizeof next, "p%02d", i + 1);
        char *ep = i < len ? nested_ep(next) : NULL;
        write_profile(file, name, name, ep ? ep : ext_ep);
        free(ep);
    }
}

static void
test_link_depth_10(void **state)
{
    (void)state;
    write_chain(10);
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(true, &v, &n), 0);
    assert_int_equal(profile_link(v, n, &errs), 0);
    assert_string_equal(eb.text, "");
}

static void
test_link_depth_11(void **state)
{
    (void)state;
    write_chain(11);
    /* a second root onto the same chain: p02 is reported only once, as part of both */
    char *to = nested_ep("p02");
    write_profile("q.json", "q", "q", to);
    free(to);
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(true, &v, &n), 0);
    assert_int_equal(profile_link(v, n, &errs), GTM_ECONFIG);
    char *p = path_of("p01.json"), *q = path_of("q.json"), want[8192];
    snprintf(want, sizeof want,
             "%s: error: properties.endpoints[0].properties.targetResourceId: nested profiles go "
             "11 levels deep, more than 10: p01 -> p02 -> p03 -> p04 -> p05 -> p06 -> p07 -> "
             "p08 -> p09 -> p10 -> p11\n"
             "%s: error: properties.endpoints[0].properties.targetResourceId: nested profiles go "
             "11 levels deep, more than 10: q -> p02 -> p03 -> p04 -> p05 -> p06 -> p07 -> "
             "p08 -> p09 -> p10 -> p11\n",
             p, q);
    assert_string_equal(eb.text, want);
    free(p);
    free(q);
}

static void
test_link_multivalue_parent(void **state)
{
    (void)state;
    char *to = nested_ep("child");
    write_profile("parent.json", "parent", "parent", to);
    write_profile("child.json", "child", "child", ext_ep);
    free(to);
    struct profile **v;
    uint32_t n;
    assert_int_equal(load(false, &v, &n), 0);
    /* profile_parse already refuses nested endpoints in MultiValue; link checks again */
    v[1]->method = ROUTE_MULTIVALUE;
    assert_int_equal(profile_link(v, n, &errs), GTM_ECONFIG);
    char *p = path_of("parent.json"), want[8192];
    snprintf(want, sizeof want,
             "%s: error: properties.endpoints[0].type: a MultiValue profile cannot have nested "
             "endpoints\n",
             p);
    assert_string_equal(eb.text, want);
    free(p);
}

static void
test_link_empty(void **state)
{
    (void)state;
    assert_int_equal(profile_link(NULL, 0, &errs), 0);
}

/* ---- the bundled examples ---- */

static void
test_examples_strict(void **state)
{
    (void)state;
    const char *src = getenv("GTM_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/profiles", src && *src ? src : ".");
    struct profile **v;
    uint32_t n;
    assert_int_equal(profile_load_dir(arena, path, true, true, &errs, &v, &n), 0);
    assert_int_equal(profile_link(v, n, &errs), 0);
    assert_string_equal(eb.text, "");
    assert_int_equal(n, 10); /* one per routing method, and docs/DR-SWITCH.md's mirror-dr */
    bool methods[ROUTE_ROUNDROBIN + 1] = {false};
    for (uint32_t i = 0; i < n; i++)
        methods[v[i]->method] = true;
    for (int m = 0; m <= ROUTE_ROUNDROBIN; m++)
        assert_true(methods[m]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_dir_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_dir_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_dir_name_from_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_unknown_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_depth_10, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_depth_11, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_multivalue_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_examples_strict, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
