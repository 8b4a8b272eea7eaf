#include "persist.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void backup_name(char *out, size_t size, const char *path, int n)
{
    snprintf(out, size, "%s.%d", path, n);
}

static int backup_due(const char *path, int64_t interval_ms, int64_t now_ms)
{
    if (interval_ms <= 0)
        return 1; /* every save takes a backup */
    char first[4200];
    backup_name(first, sizeof first, path, 1);
    struct stat st;
    if (stat(first, &st) != 0)
        return 1;
    int64_t mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return now_ms - mtime_ms >= interval_ms;
}

static int rotate(const char *path, int backups)
{
    char from[4200], to[4200];
    for (int n = backups; n >= 2; n--) {
        backup_name(from, sizeof from, path, n - 1);
        backup_name(to, sizeof to, path, n);
        if (rename(from, to) != 0 && errno != ENOENT)
            return LTM_EIO;
    }
    backup_name(to, sizeof to, path, 1);
    if (unlink(to) != 0 && errno != ENOENT)
        return LTM_EIO;
    if (link(path, to) != 0)
        return LTM_EIO;
    /* link() keeps the old mtime; the age of .1 must say when it was taken. */
    return utimensat(AT_FDCWD, to, NULL, 0) == 0 ? LTM_OK : LTM_EIO;
}

int persist_save(const char *path, const char *data, size_t len, int backups,
                 int64_t backup_interval_ms, int64_t now_ms)
{
    if (backups > 0 && access(path, F_OK) == 0 &&
        backup_due(path, backup_interval_ms, now_ms) && rotate(path, backups) != LTM_OK) {
        /* A failed backup must not stop the save itself. */
        ltm_warn("state backup failed", "path", path, "error", strerror(errno));
    }
    return ltm_write_file_atomic(path, data, len);
}

static void move_aside(const char *file, int64_t now_ms, const char *reason)
{
    char aside[4300];
    snprintf(aside, sizeof aside, "%s.corrupt-%lld", file, (long long)now_ms);
    if (rename(file, aside) == 0)
        ltm_warn("state file unusable, moved aside", "path", file, "moved_to", aside, "reason",
                 reason);
    else
        ltm_warn("state file unusable and could not be moved aside", "path", file, "reason",
                 reason, "error", strerror(errno));
}

int persist_load(const char *path, int backups, size_t max_bytes, int64_t now_ms,
                 persist_accept_fn accept, void *ctx, char *loaded_from, size_t size)
{
    for (int n = 0; n <= backups; n++) {
        char file[4200];
        if (n == 0)
            snprintf(file, sizeof file, "%s", path);
        else
            backup_name(file, sizeof file, path, n);
        char *text = NULL;
        size_t len = 0;
        int rc = ltm_read_file(file, max_bytes, &text, &len);
        if (rc == LTM_ENOTFOUND)
            continue;
        if (rc == LTM_ENOMEM)
            return rc; /* says nothing about the file */
        char reason[200] = "";
        if (rc == LTM_EFULL)
            snprintf(reason, sizeof reason, "larger than %zu bytes", max_bytes);
        else if (rc != LTM_OK)
            snprintf(reason, sizeof reason, "unreadable: %s", strerror(errno));
        else if (accept(text, len, ctx, reason, sizeof reason) == LTM_OK) {
            free(text);
            snprintf(loaded_from, size, "%s", file);
            return LTM_OK;
        }
        free(text);
        move_aside(file, now_ms, reason);
    }
    return LTM_ENOTFOUND;
}
