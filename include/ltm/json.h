#ifndef LTM_JSON_H
#define LTM_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Typed field readers over cJSON for decoders of untrusted messages. Each
 * returns 0, or LTM_EINVAL with a reason naming the field. A JSON null counts
 * as absent. An absent optional field leaves *out untouched. */

int ltm_json_str(const cJSON *obj, const char *key, int required, size_t max_len, char **out,
                 char *reason, size_t reason_size);
int ltm_json_int(const cJSON *obj, const char *key, int required, long long min, long long max,
                 long long *out, char *reason, size_t reason_size);
int ltm_json_double(const cJSON *obj, const char *key, int required, double *out, char *reason,
                    size_t reason_size);
int ltm_json_bool(const cJSON *obj, const char *key, int required, int *out, char *reason,
                  size_t reason_size);
/* RFC 3339 string to milliseconds since the epoch. */
int ltm_json_time(const cJSON *obj, const char *key, int required, int64_t *out_ms, char *reason,
                  size_t reason_size);

/* A count or an instant read back from a service's own state file: the
 * item's value when it is a number from 0 to 2^53 (every integer a double
 * holds), else 0, so a damaged value reads as absent. Casting a double out
 * of an integer type's range (1e300) is undefined; this never does. */
int64_t ltm_json_count(const cJSON *item);

/* 1 when text is strict UTF-8 (no overlong forms, no surrogates) without a
 * NUL byte, else 0. */
int ltm_json_valid_utf8(const void *text, size_t len);

/* Parses text that must be a JSON object; reason on failure. Rejects what
 * cJSON alone would accept: invalid UTF-8, a NUL byte, a raw control
 * character inside a string, the escape \u0000. Caller frees with
 * cJSON_Delete. */
cJSON *ltm_json_parse_object(const char *text, size_t len, char *reason, size_t reason_size);

/* Builders: add nothing for a NULL string; a time as RFC 3339. Return 0 or
 * LTM_ENOMEM. */
int ltm_json_add_str(cJSON *obj, const char *key, const char *value);
int ltm_json_add_time(cJSON *obj, const char *key, int64_t ms);

/* Prints unformatted; caller frees with free(). Deletes obj. */
char *ltm_json_finish(cJSON *obj);

#endif
