#ifndef SYSMON_PERSIST_H
#define SYSMON_PERSIST_H

#include <stddef.h>
#include <stdint.h>

/* The sysmonitor's state file and its rotated backups:
 *   <path>     the latest save, replaced atomically (ltm_write_file_atomic)
 *   <path>.1 .. <path>.N  older saves, newest first
 * A backup is taken when <path>.1 is older than backup_interval_ms (or
 * absent), by hard-linking the current file before it is replaced, so there
 * is never a moment without <path>. */

int persist_save(const char *path, const char *data, size_t len, int backups,
                 int64_t backup_interval_ms, int64_t now_ms);

/* Decides whether a file's text is usable (and takes what it needs from it).
 * 0 or LTM_EINVAL with a reason. */
typedef int (*persist_accept_fn)(const char *text, size_t len, void *ctx, char *reason,
                                 size_t reason_size);

/* Loads <path>, or when it is absent or rejected, the newest backup that is
 * accepted. A rejected file is renamed <file>.corrupt-<now_ms> with a
 * warning, never deleted. *loaded_from gets the file used (size bytes).
 * LTM_ENOTFOUND when nothing usable exists (a first start). */
int persist_load(const char *path, int backups, size_t max_bytes, int64_t now_ms,
                 persist_accept_fn accept, void *ctx, char *loaded_from, size_t size);

#endif
