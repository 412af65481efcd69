/* test_profile_man.c: the profile field table (profiles/fields.h) against
 * man/gtmd.8: every field gtmd reads is documented under "Profile fields"
 * or "Endpoint fields", every field documented there is in the table, and
 * the ranges and defaults the page gives for integer fields are the
 * table's. */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "profiles/fields.h"
#include "unit.h"

#define MAX_ENTRIES 64

struct entry {
    char name[96];
    char text[2048]; /* the paragraph, roff requests and all */
};

struct section {
    struct entry e[MAX_ENTRIES];
    unsigned n;
};

static struct section prof, ep;

/* ".B name" or ".BR a \", \" b" after ".TP": one entry per name. */
static void
add_names(struct section *s, const char *line)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", line + (strncmp(line, ".BR ", 4) == 0 ? 4 : 3));
    for (char *save = NULL, *t = strtok_r(buf, " \",", &save); t; t = strtok_r(NULL, " \",", &save))
        if (s->n < MAX_ENTRIES)
            snprintf(s->e[s->n++].name, sizeof s->e[0].name, "%s", t);
}

static int
setup(void **state)
{
    (void)state;
    FILE *fp = man_open("gtmd.8");
    if (!fp)
        return -1;
    char line[1024];
    struct section *cur = NULL;
    bool after_tp = false;
    unsigned first = 0; /* the entries the current paragraph describes */
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strncmp(line, ".SS ", 4) == 0 || strncmp(line, ".SH ", 4) == 0) {
            cur = strcmp(line, ".SS Profile fields") == 0    ? &prof
                  : strcmp(line, ".SS Endpoint fields") == 0 ? &ep
                                                             : NULL;
            after_tp = false;
            continue;
        }
        if (!cur)
            continue;
        if (after_tp && (strncmp(line, ".B ", 3) == 0 || strncmp(line, ".BR ", 4) == 0)) {
            first = cur->n;
            add_names(cur, line);
        } else {
            for (unsigned i = first; i < cur->n; i++) {
                size_t at = strlen(cur->e[i].text);
                snprintf(cur->e[i].text + at, sizeof cur->e[i].text - at, "%s\n", line);
            }
        }
        after_tp = strcmp(line, ".TP") == 0;
    }
    fclose(fp);
    return prof.n && ep.n ? 0 : -1;
}

/* Whether id's document is an endpoint's. */
static bool
in_endpoint(enum pf_id id)
{
    while (id != PF_ROOT && id != PF_EP)
        id = pf_row(id)->parent;
    return id == PF_EP;
}

static const struct entry *
find(const struct section *s, const char *name)
{
    for (unsigned i = 0; i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0)
            return &s->e[i];
    return NULL;
}

/* Each list below is empty when all is well; a non-empty one shows up as
 * such in the TAP output. */

static void
test_table_in_man(void **state)
{
    (void)state;
    char missing[1024] = "";
    for (enum pf_id id = 0; id < PF_COUNT; id++) {
        char name[96];
        if (!pf_doc_name(id, name, sizeof name))
            continue;
        if (!find(in_endpoint(id) ? &ep : &prof, name)) {
            size_t at = strlen(missing);
            snprintf(missing + at, sizeof missing - at, "%s ", name);
        }
    }
    /* Fields gtmd reads that man/gtmd.8 does not document. */
    assert_string_equal(missing, "");
}

static void
test_man_in_table(void **state)
{
    (void)state;
    char extra[1024] = "";
    const struct section *secs[] = {&prof, &ep};
    for (unsigned k = 0; k < 2; k++)
        for (unsigned i = 0; i < secs[k]->n; i++) {
            bool found = false;
            for (enum pf_id id = 0; id < PF_COUNT && !found; id++) {
                char name[96];
                found = pf_doc_name(id, name, sizeof name) && in_endpoint(id) == (k == 1) &&
                        strcmp(name, secs[k]->e[i].name) == 0;
            }
            if (!found) {
                size_t at = strlen(extra);
                snprintf(extra + at, sizeof extra - at, "%s ", secs[k]->e[i].name);
            }
        }
    /* Fields man/gtmd.8 documents that the table does not have. */
    assert_string_equal(extra, "");
}

/* The number after word in text (any case), or -1 when there is none. */
static long long
number_after(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; *p; p++)
        if (strncasecmp(p, word, n) == 0) {
            const char *q = p + n;
            while (*q == ' ')
                q++;
            return isdigit((unsigned char)*q) ? strtoll(q, NULL, 10) : -1;
        }
    return -1;
}

static void
test_ranges_and_defaults(void **state)
{
    (void)state;
    char wrong[2048] = "";
    for (enum pf_id id = 0; id < PF_COUNT; id++) {
        const struct profile_field *f = pf_row(id);
        char name[96];
        if (f->type != PFT_INT || !pf_doc_name(id, name, sizeof name))
            continue;
        const struct entry *e = find(in_endpoint(id) ? &ep : &prof, name);
        if (!e)
            continue; /* test_table_in_man says so */
        long long lo = number_after(e->text, "from "), def = number_after(e->text, "Default: ");
        char hi_text[64];
        snprintf(hi_text, sizeof hi_text, "to %lld", f->max);
        bool ok =
            (lo < 0 || (lo == f->min && strstr(e->text, hi_text))) && (def < 0 || def == f->def);
        if (!ok) {
            size_t at = strlen(wrong);
            snprintf(wrong + at, sizeof wrong - at, "%s (table [%lld, %lld] default %lld) ", name,
                     f->min, f->max, f->def);
        }
    }
    /* Integer fields whose range or default differs between the two. */
    assert_string_equal(wrong, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_in_man),
        cmocka_unit_test(test_man_in_table),
        cmocka_unit_test(test_ranges_and_defaults),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
