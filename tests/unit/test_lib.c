/* test_lib.c: small pieces of lib/: a directory's files in name order
 * (files.c) and the JSON helpers (json.c). */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gtm/files.h"
#include "gtm/json.h"
#include "unit.h"

static void
test_files_sorted(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    static const char *const make[] = {"b.zone",     "a.zone", "B.zone", ".hidden.zone", ".zone",
                                       "c.zone.bak", "d.json", "zone",   "a.zone~"};
    for (size_t i = 0; i < sizeof make / sizeof *make; i++)
        free(tmpfile_write(dir, make[i], ""));
    char **names;
    size_t n;
    assert_int_equal(files_sorted(dir, ".zone", &names, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "B.zone"); /* bytewise: capitals first */
    assert_string_equal(names[1], "a.zone");
    assert_string_equal(names[2], "b.zone");
    files_free(names, n);
    assert_int_equal(files_sorted(dir, ".json", &names, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "d.json");
    files_free(names, n);

    char missing[4200];
    snprintf(missing, sizeof missing, "%s/none", dir);
    errno = 0;
    assert_int_equal(files_sorted(missing, ".zone", &names, &n), -1);
    assert_int_equal(errno, ENOENT);
    assert_null(names);
    assert_int_equal(n, 0);
    tmpdir_remove(dir);
    free(dir);
}

static void
test_json_member(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:i,s:i,s:i}", "TTL", 1, "ttl", 2, "Endpoints", 3);
    assert_int_equal(json_integer_value(gtm_json_member(o, "ttl")), 2); /* exact first */
    assert_int_equal(json_integer_value(gtm_json_member(o, "TTL")), 1);
    assert_int_equal(json_integer_value(gtm_json_member(o, "endpoints")), 3);
    assert_null(gtm_json_member(o, "end"));
    json_t *a = json_pack("[i]", 1);
    assert_null(gtm_json_member(a, "x"));
    assert_null(gtm_json_member(NULL, "x"));
    json_decref(a);
    json_decref(o);
}

static void
test_json_depth(void **state)
{
    (void)state;
    json_t *v = json_integer(1);
    assert_true(gtm_json_depth_ok(v, 0));
    for (int d = 1; d <= 70; d++) {
        json_t *wrap = d % 2 ? json_pack("{s:o}", "k", v) : json_pack("[o]", v);
        v = wrap;
        assert_true(gtm_json_depth_ok(v, (unsigned)d));
        assert_false(gtm_json_depth_ok(v, (unsigned)d - 1));
    }
    json_decref(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_sorted),
        cmocka_unit_test(test_json_member),
        cmocka_unit_test(test_json_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
