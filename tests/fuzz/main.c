/* main.c: replays a fuzz target's corpus when libFuzzer is not linked in,
 * so that `make check` runs every saved input as a regression test (as in
 * Knot's tests-fuzz). Prints TAP: "1..N", then "ok N - file" per input.
 *
 * Inputs: every file under the directories (or the files) given as
 * arguments; without arguments, $GTM_SRCDIR/tests/fuzz/<name>.in/ where
 * <name> is this program's name, and for fuzz_dns_query also every file
 * under $GTM_SRCDIR/../shared/corpus when that directory exists (read in
 * place). Each input runs in a child process, so a crash is reported as
 * "not ok" with its signal and the other inputs still run; built with
 * AddressSanitizer, a leak is reported as exit status 1. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Built with AddressSanitizer (--enable-sanitizers): each child checks for
 * leaks before it exits, as libFuzzer does after every input (_exit skips
 * LeakSanitizer's own check at exit). */
#if defined(__SANITIZE_ADDRESS__)
#define GTM_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GTM_LSAN 1
#endif
#endif
#ifdef GTM_LSAN
#include <sanitizer/lsan_interface.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Extra corpora (relative to GTM_SRCDIR), read only when they exist. */
static const struct {
    const char *target;
    const char *dir;
} extra[] = {
    {"fuzz_dns_query", "../shared/corpus"},
};

struct list {
    char **v;
    size_t n, cap;
};

static void
list_add(struct list *l, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) {
            perror("realloc");
            exit(99);
        }
    }
    l->v[l->n] = strdup(path);
    if (!l->v[l->n]) {
        perror("strdup");
        exit(99);
    }
    l->n++;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* collect: path itself when it is a file, else every file below it. */
static int
collect(const char *path, struct list *l)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        if (S_ISREG(st.st_mode))
            list_add(l, path);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        collect(sub, l);
    }
    closedir(d);
    return 0;
}

static int
read_all(const char *path, uint8_t **data, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, fp)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    int err = ferror(fp) || !buf;
    fclose(fp);
    if (err) {
        free(buf);
        return -1;
    }
    /* An exact-size copy, so that a read past the end is caught by ASan. */
    *data = malloc(n ? n : 1);
    if (!*data) {
        free(buf);
        return -1;
    }
    memcpy(*data, buf, n);
    free(buf);
    *size = n;
    return 0;
}

/* run: one input in a child; returns a description of the failure or NULL. */
static const char *
run(const char *path)
{
    static char why[128];
    uint8_t *data;
    size_t size;
    if (read_all(path, &data, &size) != 0) {
        snprintf(why, sizeof why, "cannot read: %s", strerror(errno));
        return why;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        free(data);
        snprintf(why, sizeof why, "fork: %s", strerror(errno));
        return why;
    }
    if (pid == 0) {
        LLVMFuzzerTestOneInput(data, size);
        free(data);
#ifdef GTM_LSAN
        if (__lsan_do_recoverable_leak_check())
            _exit(1); /* LeakSanitizer printed what leaked */
#endif
        _exit(0);
    }
    free(data);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(why, sizeof why, "waitpid: %s", strerror(errno));
            return why;
        }
    if (WIFSIGNALED(status)) {
        snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
        return why;
    }
    if (WEXITSTATUS(status) != 0) {
        snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
        return why;
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    struct list files = {0};
    const char *slash = strrchr(argv[0], '/');
    const char *name = slash ? slash + 1 : argv[0];
    if (strncmp(name, "lt-", 3) == 0)
        name += 3;

    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (collect(argv[i], &files) != 0) {
                fprintf(stderr, "%s: cannot read %s\n", name, argv[i]);
                return 99;
            }
    } else {
        const char *srcdir = getenv("GTM_SRCDIR");
        char dir[4096];
        if (!srcdir || !*srcdir)
            srcdir = ".";
        snprintf(dir, sizeof dir, "%s/tests/fuzz/%s.in", srcdir, name);
        if (collect(dir, &files) != 0) {
            printf("Bail out! no corpus at %s (set GTM_SRCDIR)\n", dir);
            return 99;
        }
        for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
            if (strcmp(extra[i].target, name) != 0)
                continue;
            snprintf(dir, sizeof dir, "%s/%s", srcdir, extra[i].dir);
            struct stat st;
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
                collect(dir, &files);
        }
    }
    qsort(files.v, files.n, sizeof *files.v, str_cmp);

    /* Initialise the target once (a zero-length input), so children share it. */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);

    unsigned failed = 0;
    printf("1..%zu\n", files.n);
    for (size_t i = 0; i < files.n; i++) {
        const char *why = run(files.v[i]);
        if (why) {
            failed++;
            printf("not ok %zu - %s # %s\n", i + 1, files.v[i], why);
        } else {
            printf("ok %zu - %s\n", i + 1, files.v[i]);
        }
        free(files.v[i]);
    }
    free(files.v);
    if (files.n == 0)
        printf("# no inputs\n");
    return failed ? 1 : 0;
}
