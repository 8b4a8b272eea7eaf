#ifndef LTM_LOG_H
#define LTM_LOG_H

#include <stddef.h>
#include <stdint.h>

/* One line per event on stdout, written with a single write(2) so lines from
 * several threads never interleave. Text format:
 *   2026-11-25T18:41:44.123+0000 INFO poster: job received job_id=p-1 attempt=1
 * JSON format (LTM_LOG_FORMAT=json): one object per line with ts, level,
 * service, msg and the fields. */

typedef enum {
    LTM_LOG_DEBUG = 0,
    LTM_LOG_INFO,
    LTM_LOG_WARN,
    LTM_LOG_ERROR,
} ltm_log_level;

typedef enum {
    LTM_LOG_TEXT = 0,
    LTM_LOG_JSON,
} ltm_log_format;

/* service is copied. Call once at start, before other threads exist. */
void ltm_log_init(const char *service, ltm_log_level level, ltm_log_format format);

/* Accepts debug, info, warn, warning, error (any case). */
int ltm_log_level_parse(const char *text, ltm_log_level *out);
int ltm_log_format_parse(const char *text, ltm_log_format *out);
const char *ltm_log_level_name(ltm_log_level level);

/* Registers a secret value: any occurrence in a later log line is replaced by
 * "[redacted]". A second line of defence; code must not log secrets anyway.
 * The value is copied; values shorter than 4 bytes are ignored. */
void ltm_log_add_secret(const char *value);

/* A NUL-terminated copy of text[0..len) with every registered secret
 * replaced by "[redacted]"; NULL when out of memory. For text that is cut
 * or quoted later (an API's error message): a cut through a secret would
 * leave a piece that no later redaction recognises. */
char *ltm_secrets_redacted(const char *text, size_t len);

/* Logs msg followed by key/value string pairs, terminated by NULL:
 *   ltm_log(LTM_LOG_INFO, "job received", "job_id", id, "attempt", LTM_INT(n), NULL);
 * A pair whose value is NULL is left out. */
void ltm_log(ltm_log_level level, const char *msg, ...)
    __attribute__((sentinel));

/* Same, with the fields in an array of 2*npairs strings (key, value, ...). */
void ltm_log_pairs(ltm_log_level level, const char *msg, const char *const *pairs,
                   size_t npairs);

/* Formats numbers for ltm_log's fields; the buffer lives until the end of the
 * enclosing full expression's block, which covers the call. */
const char *ltm_fmt_int(char buf[24], long long value);
const char *ltm_fmt_double(char buf[32], double value);
#define LTM_INT(v) ltm_fmt_int((char[24]){0}, (long long)(v))
#define LTM_DBL(v) ltm_fmt_double((char[32]){0}, (double)(v))

#define ltm_debug(...) ltm_log(LTM_LOG_DEBUG, __VA_ARGS__, NULL)
#define ltm_info(...) ltm_log(LTM_LOG_INFO, __VA_ARGS__, NULL)
#define ltm_warn(...) ltm_log(LTM_LOG_WARN, __VA_ARGS__, NULL)
#define ltm_error(...) ltm_log(LTM_LOG_ERROR, __VA_ARGS__, NULL)

/* Test hook: lines go to this fd instead of stdout. */
void ltm_log_set_fd(int fd);

#endif
