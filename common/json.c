/* Typed readers of untrusted JSON fields, each failure naming the field. */
#include "ltm/json.h"
#include "ltm/error.h"
#include "ltm/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(item) ? NULL : item;
}

static int missing(const char *key, char *reason, size_t reason_size)
{
    snprintf(reason, reason_size, "field %s is required", key);
    return LTM_EINVAL;
}

int ltm_json_str(const cJSON *obj, const char *key, int required, size_t max_len, char **out,
                 char *reason, size_t reason_size)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return required ? missing(key, reason, reason_size) : LTM_OK;
    if (!cJSON_IsString(item)) {
        snprintf(reason, reason_size, "field %s: expected a string", key);
        return LTM_EINVAL;
    }
    size_t len = strlen(item->valuestring);
    if (required && len == 0) {
        snprintf(reason, reason_size, "field %s: must not be empty", key);
        return LTM_EINVAL;
    }
    if (len > max_len) {
        snprintf(reason, reason_size, "field %s: longer than %zu bytes", key, max_len);
        return LTM_EINVAL;
    }
    char *copy = strdup(item->valuestring);
    if (!copy) {
        snprintf(reason, reason_size, "out of memory");
        return LTM_ENOMEM;
    }
    free(*out);
    *out = copy;
    return LTM_OK;
}

int ltm_json_int(const cJSON *obj, const char *key, int required, long long min, long long max,
                 long long *out, char *reason, size_t reason_size)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return required ? missing(key, reason, reason_size) : LTM_OK;
    double v = cJSON_IsNumber(item) ? item->valuedouble : NAN;
    if (!isfinite(v) || v != floor(v) || v < (double)min || v > (double)max) {
        snprintf(reason, reason_size, "field %s: expected an integer from %lld to %lld", key, min,
                 max);
        return LTM_EINVAL;
    }
    *out = (long long)v;
    return LTM_OK;
}

int ltm_json_double(const cJSON *obj, const char *key, int required, double *out, char *reason,
                    size_t reason_size)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return required ? missing(key, reason, reason_size) : LTM_OK;
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        snprintf(reason, reason_size, "field %s: expected a number", key);
        return LTM_EINVAL;
    }
    *out = item->valuedouble;
    return LTM_OK;
}

int ltm_json_bool(const cJSON *obj, const char *key, int required, int *out, char *reason,
                  size_t reason_size)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return required ? missing(key, reason, reason_size) : LTM_OK;
    if (!cJSON_IsBool(item)) {
        snprintf(reason, reason_size, "field %s: expected true or false", key);
        return LTM_EINVAL;
    }
    *out = cJSON_IsTrue(item);
    return LTM_OK;
}

int ltm_json_time(const cJSON *obj, const char *key, int required, int64_t *out_ms, char *reason,
                  size_t reason_size)
{
    const cJSON *item = field(obj, key);
    if (!item)
        return required ? missing(key, reason, reason_size) : LTM_OK;
    if (!cJSON_IsString(item) || ltm_time_parse_iso(item->valuestring, out_ms) != LTM_OK) {
        snprintf(reason, reason_size,
                 "field %s: expected an RFC 3339 time such as 2026-11-25T09:00:00Z", key);
        return LTM_EINVAL;
    }
    return LTM_OK;
}

int64_t ltm_json_count(const cJSON *item)
{
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= 0) ||
        item->valuedouble > 9007199254740992.0)
        return 0;
    return (int64_t)item->valuedouble;
}

cJSON *ltm_json_parse_object(const char *text, size_t len, char *reason, size_t reason_size)
{
    if (!text || len == 0) {
        snprintf(reason, reason_size, "empty payload");
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        snprintf(reason, reason_size, "payload contains a NUL byte");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t offset = end && end >= text ? (size_t)(end - text) : 0;
        snprintf(reason, reason_size, "payload is not valid JSON (error near byte %zu)", offset);
        return NULL;
    }
    while (end && end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    if (end && end < text + len) {
        snprintf(reason, reason_size, "payload has trailing bytes after the JSON value");
        cJSON_Delete(root);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(reason, reason_size, "payload is JSON but not an object");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int ltm_json_add_str(cJSON *obj, const char *key, const char *value)
{
    if (!value)
        return LTM_OK;
    return cJSON_AddStringToObject(obj, key, value) ? LTM_OK : LTM_ENOMEM;
}

int ltm_json_add_time(cJSON *obj, const char *key, int64_t ms)
{
    char iso[LTM_ISO_SIZE];
    return cJSON_AddStringToObject(obj, key, ltm_time_format_iso(ms, iso)) ? LTM_OK : LTM_ENOMEM;
}

char *ltm_json_finish(cJSON *obj)
{
    if (!obj)
        return NULL;
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    return text;
}
