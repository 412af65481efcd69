/* test_schema_man.c: the OPTIONS of man/gtmd.conf.5 are exactly the
 * options of the schema that the config file accepts; the OPTIONS of
 * man/gtmd.8 are exactly every option of the schema; every row of the
 * schema binds a field or a setter and has its doc. */
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

#include "conf/conf.h"
#include "unit.h"

#define MAX_NAMES 64

static char *names[MAX_NAMES];
static unsigned nnames;

/* Reads every ".TP" line followed by ".B name" of the manual page. */
static int
setup(void **state)
{
    (void)state;
    FILE *fp = man_open("gtmd.conf.5");
    if (!fp)
        return -1;
    char line[1024];
    bool after_tp = false;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        if (after_tp && strncmp(line, ".B ", 3) == 0 && nnames < MAX_NAMES)
            names[nnames++] = strdup(line + 3);
        after_tp = strcmp(line, ".TP") == 0;
    }
    fclose(fp);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (unsigned i = 0; i < nnames; i++)
        free(names[i]);
    return 0;
}

static bool
in_man(const char *name)
{
    for (unsigned i = 0; i < nnames; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Each list of names below is empty when all is well; a non-empty one
 * shows up as such in the TAP output. */

static void
test_schema_in_man(void **state)
{
    (void)state;
    char missing[1024] = "";
    for (int i = 0; i < OPT_ID_COUNT; i++)
        if (opt_schema[i].in_file && !in_man(opt_schema[i].name)) {
            size_t at = strlen(missing);
            snprintf(missing + at, sizeof missing - at, "%s ", opt_schema[i].name);
        }
    /* Options the config file accepts but man/gtmd.conf.5 does not document. */
    assert_string_equal(missing, "");
}

static void
test_man_in_schema(void **state)
{
    (void)state;
    assert_true(nnames > 0);
    char unknown[1024] = "", cli_only[1024] = "";
    for (unsigned i = 0; i < nnames; i++) {
        int id = -1;
        for (int k = 0; k < OPT_ID_COUNT; k++)
            if (strcmp(opt_schema[k].name, names[i]) == 0)
                id = k;
        char *list = id < 0 ? unknown : !opt_schema[id].in_file ? cli_only : NULL;
        if (list) {
            size_t at = strlen(list);
            snprintf(list + at, 1024 - at, "%s ", names[i]);
        }
    }
    /* Documented in man/gtmd.conf.5 but not in the schema. */
    assert_string_equal(unknown, "");
    /* Documented as file options but command line only in the schema. */
    assert_string_equal(cli_only, "");
}

static void
test_man_no_duplicates(void **state)
{
    (void)state;
    for (unsigned i = 0; i < nnames; i++)
        for (unsigned k = i + 1; k < nnames; k++)
            if (strcmp(names[i], names[k]) == 0)
                fail_msg("man/gtmd.conf.5 documents '%s' twice", names[i]);
}

static void
test_schema_sane(void **state)
{
    (void)state;
    for (int i = 0; i < OPT_ID_COUNT; i++) {
        const struct opt_def *d = &opt_schema[i];
        assert_non_null(d->name);
        assert_non_null(d->doc);
        assert_true(d->doc[0] != 0);
        /* the value goes somewhere: a field of its type's, or a setter */
        assert_true(d->field != OPT_NOFIELD || d->set != NULL);
        if (d->type == OPT_ADDR)
            assert_non_null(d->set);
        /* a default written as text, or one derived, not both */
        assert_false(d->def && d->deriv && d->type != OPT_ADDR);
        /* Flags are for the command line only; switches (flags and booleans)
         * take no value there, anything else names its value in --help. */
        if (d->type == OPT_FLAG)
            assert_false(d->in_file);
        if (d->type != OPT_FLAG && d->type != OPT_BOOL)
            assert_non_null(d->arg);
        if (d->type == OPT_UINT)
            assert_true(d->min <= d->max);
        for (int k = i + 1; k < OPT_ID_COUNT; k++) {
            assert_string_not_equal(d->name, opt_schema[k].name);
            if (d->field != OPT_NOFIELD)
                assert_int_not_equal(d->field, opt_schema[k].field);
            if (d->short_name)
                assert_int_not_equal(d->short_name, opt_schema[k].short_name);
        }
    }
}

/* The option names (long "--x", short "-x") that man/gtmd.8 documents in
 * its OPTIONS section: those written in the line after each .TP. */
static unsigned
man8_names(char names8[][64], unsigned max)
{
    FILE *fp = man_open("gtmd.8");
    assert_non_null(fp);
    char line[1024];
    bool options = false, after_tp = false;
    unsigned n = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strncmp(line, ".SH", 3) == 0)
            options = strcmp(line, ".SH OPTIONS") == 0;
        if (options && after_tp) {
            /* "\-\-name\-with\-dashes" or "\-c": roff's escaped hyphens */
            for (const char *p = line; (p = strstr(p, "\\-")) != NULL;) {
                char name[64];
                size_t k = 0;
                name[k++] = '-';
                p += 2;
                if (strncmp(p, "\\-", 2) == 0) {
                    name[k++] = '-';
                    p += 2;
                }
                while (k < sizeof name - 1 &&
                       (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) ||
                        (strncmp(p, "\\-", 2) == 0 && k > 2))) {
                    if (*p == '\\') {
                        name[k++] = '-';
                        p += 2;
                    } else {
                        name[k++] = *p++;
                    }
                }
                name[k] = 0;
                if (k > 1 && n < max)
                    snprintf(names8[n++], 64, "%s", name);
            }
        }
        after_tp = strcmp(line, ".TP") == 0;
    }
    fclose(fp);
    return n;
}

static void
test_schema_in_man8(void **state)
{
    (void)state;
    char names8[2 * MAX_NAMES][64];
    unsigned n = man8_names(names8, 2 * MAX_NAMES);
    assert_true(n > 0);
    char missing[1024] = "", unknown[1024] = "";
    for (int i = 0; i < OPT_ID_COUNT; i++) {
        const struct opt_def *d = &opt_schema[i];
        char want[2][64];
        snprintf(want[0], sizeof want[0], "--%s", d->name);
        snprintf(want[1], sizeof want[1], "-%c", d->short_name);
        for (int w = 0; w < (d->short_name ? 2 : 1); w++) {
            bool found = false;
            for (unsigned k = 0; k < n; k++)
                found = found || strcmp(names8[k], want[w]) == 0;
            if (!found) {
                size_t at = strlen(missing);
                snprintf(missing + at, sizeof missing - at, "%s ", want[w]);
            }
        }
    }
    for (unsigned k = 0; k < n; k++) {
        bool found = false;
        for (int i = 0; i < OPT_ID_COUNT; i++) {
            const struct opt_def *d = &opt_schema[i];
            found = found || (names8[k][1] == '-' && strcmp(names8[k] + 2, d->name) == 0) ||
                    (names8[k][1] != '-' && names8[k][2] == 0 && names8[k][1] == d->short_name);
        }
        if (!found) {
            size_t at = strlen(unknown);
            snprintf(unknown + at, sizeof unknown - at, "%s ", names8[k]);
        }
    }
    /* Options of the schema that man/gtmd.8 does not document. */
    assert_string_equal(missing, "");
    /* Options man/gtmd.8 documents that the schema does not have. */
    assert_string_equal(unknown, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_in_man),     cmocka_unit_test(test_man_in_schema),
        cmocka_unit_test(test_man_no_duplicates), cmocka_unit_test(test_schema_sane),
        cmocka_unit_test(test_schema_in_man8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
