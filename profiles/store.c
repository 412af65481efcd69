/* store.c: atomic replacement of files in the profiles directory: temporary
 * file, write, fsync, rename, fsync of the directory. */
#include "config.h"
#include "profiles/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static int
write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

void
store_sweep_ext(const char *dir, const char *ext)
{
    /* Only one thread of one process writes, and removes its temporary
     * file when a write fails: any that exists at start is stale. */
    DIR *d = opendir(dir);
    if (!d)
        return;
    char suffix[32];
    int sl = snprintf(suffix, sizeof suffix, "%s.", ext);
    if (sl < 2 || (size_t)sl >= sizeof suffix) {
        closedir(d);
        return;
    }
    size_t sn = (size_t)sl;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *f = e->d_name;
        size_t n = strlen(f);
        if (f[0] == '.' && n > 1 + sn + 6 && strncmp(f + n - 6 - sn, suffix, sn) == 0)
            unlinkat(dirfd(d), f, 0);
    }
    closedir(d);
}

void
store_sweep(const char *dir)
{
    store_sweep_ext(dir, ".json");
}

int
store_write(const char *dir, const char *name, const char *text, size_t len)
{
    return store_write_mode(dir, name, text, len, 0);
}

int
store_write_mode(const char *dir, const char *name, const char *text, size_t len, mode_t fmode)
{
    if (!*name || strchr(name, '/'))
        return -EINVAL;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -errno;

    size_t plen = strlen(dir) + strlen(name) + 16;
    char *path = malloc(plen), *tmp = malloc(plen);
    if (!path || !tmp) {
        free(path);
        free(tmp);
        return -ENOMEM;
    }
    snprintf(path, plen, "%s/%s", dir, name);
    snprintf(tmp, plen, "%s/.%s.XXXXXX", dir, name);

    int rc = 0;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    struct stat st;
    mode_t mode = fmode ? fmode : stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    if (fchmod(fd, mode) != 0 || (rc = write_all(fd, text, len)) != 0 || fsync(fd) != 0) {
        if (rc == 0)
            rc = -errno;
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0) {
        rc = -errno;
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        goto out;
    }
    rc = sync_dir(dir);
out:
    free(path);
    free(tmp);
    return rc;
}

int
store_remove(const char *dir, const char *name)
{
    if (!*name || strchr(name, '/'))
        return -EINVAL;
    size_t plen = strlen(dir) + strlen(name) + 2;
    char *path = malloc(plen);
    if (!path)
        return -ENOMEM;
    snprintf(path, plen, "%s/%s", dir, name);
    int rc = unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
    free(path);
    return rc == 0 ? sync_dir(dir) : rc;
}
