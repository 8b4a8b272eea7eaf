#ifndef LTM_FSUTIL_H
#define LTM_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p; 0 or LTM_EIO with errno set. */
int ltm_mkdirs(const char *path, mode_t mode);

/* Replaces path with data so that a crash leaves either the old or the new
 * file, never half of one: temporary file, fsync, rename, fsync of the
 * directory. */
int ltm_write_file_atomic(const char *path, const void *data, size_t len);

/* Appends one record with a single write(2) on an O_APPEND descriptor and
 * fsyncs it, so concurrent writers never interleave inside a record. */
int ltm_append_record(const char *path, const void *data, size_t len);

/* Reads a whole file (at most max_bytes) into a NUL-terminated buffer the
 * caller frees. LTM_ENOTFOUND when absent, LTM_EFULL when larger. */
int ltm_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len);

#endif
