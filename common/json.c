/* Typed readers of untrusted JSON fields, each failure naming the field. */
#include "ltm/json.h"
#include "ltm/error.h"
#include "ltm/timeutil.h"

#include <math.h>
#include <stdint.h>
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

/* Length of the UTF-8 sequence at s (strict: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n >= left)
        return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n + 1;
}

int ltm_json_valid_utf8(const void *text, size_t len)
{
    const unsigned char *s = text;
    for (size_t i = 0, n; i < len; i += n) {
        if (s[i] == 0 || (n = utf8_sequence(s + i, len - i)) == 0)
            return 0;
    }
    return 1;
}

/* What cJSON lets through but RFC 8259 and our decoders must not (a NUL byte
 * is checked before): bytes that
 * are not UTF-8 (they would be copied into logs, dead letters and re-encoded
 * messages as invalid JSON text), a raw control character inside a string,
 * and the escape \u0000 (cJSON cuts the string short there, so "a\u0000b"
 * would silently read as "a"). */
static int text_problem(const unsigned char *s, size_t len, char *reason, size_t reason_size)
{
    int in_string = 0;
    for (size_t i = 0, n; i < len; i += n) {
        unsigned char c = s[i];
        n = 1;
        if (c >= 0x80) {
            if ((n = utf8_sequence(s + i, len - i)) == 0) {
                snprintf(reason, reason_size, "payload is not valid UTF-8 (byte %zu)", i);
                return 1;
            }
        } else if (c < 0x20 && (in_string || (c != ' ' && c != '\t' && c != '\n' && c != '\r'))) {
            snprintf(reason, reason_size, "payload has a raw control character 0x%02x (byte %zu)",
                     c, i);
            return 1;
        } else if (in_string && c == '\\') {
            if (i + 5 < len && memcmp(s + i + 1, "u0000", 5) == 0) {
                snprintf(reason, reason_size, "payload has the escape \\u0000 (byte %zu)", i);
                return 1;
            }
            n = i + 1 < len ? 2 : 1; /* the escaped character cannot end the string */
        } else if (c == '"') {
            in_string = !in_string;
        }
    }
    return 0;
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
    if (text_problem((const unsigned char *)text, len, reason, reason_size))
        return NULL;
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
