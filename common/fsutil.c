/* Files: mkdir -p, bounded reads and crash-safe replacement of a file. */
#include "ltm/fsutil.h"
#include "ltm/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A directory that exists is fine whatever mkdir says: on a read-only
 * file system it answers EROFS, not EEXIST, even for one that exists. */
static int make_dir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 1;
    int e = errno;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    errno = e;
    return 0;
}

int ltm_mkdirs(const char *path, mode_t mode)
{
    char buf[4096];
    if (!path || !*path || strlen(path) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return LTM_EIO;
    }
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (!make_dir(buf, mode))
            return LTM_EIO;
        *p = '/';
    }
    if (!make_dir(buf, mode))
        return LTM_EIO;
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return LTM_EIO;
    }
    /* Probe writability now, so a read-only volume is reported at start. */
    if (access(buf, W_OK) != 0)
        return LTM_EIO;
    return LTM_OK;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return LTM_EIO;
        p += n;
        len -= (size_t)n;
    }
    return LTM_OK;
}

int ltm_write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4096], dir[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return LTM_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return LTM_EIO;
    if (write_all(fd, data, len) != LTM_OK || fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return LTM_EIO;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return LTM_EIO;
    }
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return LTM_OK;
}

int ltm_append_record(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return LTM_EIO;
    int rc = write_all(fd, data, len);
    if (rc == LTM_OK && fsync(fd) != 0)
        rc = LTM_EIO;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int ltm_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? LTM_ENOTFOUND : LTM_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return LTM_EIO;
    }
    if ((size_t)st.st_size > max_bytes) {
        close(fd);
        return LTM_EFULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return LTM_ENOMEM;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    if (out_len)
        *out_len = got;
    return LTM_OK;
}
