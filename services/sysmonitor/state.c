#include "state.h"

#include "summary.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_NAME "ltm-sysmonitor-state"

static cJSON *alarms_to_json(const alarm_state *alarms, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        if (!alarms[i].firing)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            return NULL;
        }
        if (ltm_json_add_str(o, "key", alarms[i].key) ||
            ltm_json_add_time(o, "since", alarms[i].since_ms) ||
            !cJSON_AddNumberToObject(o, "value", alarms[i].value)) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} text_buf;

static void append(text_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends and frees a printed JSON text; NULL (out of memory) fails b. */
static void append_owned(text_buf *b, char *text)
{
    if (!text)
        b->failed = 1;
    else
        append(b, text, strlen(text));
    free(text);
}

static char *print(cJSON *item)
{
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    return text;
}

/* Written piece by piece: a history of 100,000 entries as one cJSON tree
 * would take about 100 MB for a moment, every save. */
char *state_encode(const history *h, const alarm_state *alarms, size_t nalarms, int64_t now_ms)
{
    text_buf b = {0};
    char saved[LTM_ISO_SIZE], head[160];
    snprintf(head, sizeof head, "{\"format\":\"%s\",\"version\":%d,\"saved_at\":\"%s\",\"history\":[",
             FORMAT_NAME, STATE_VERSION, ltm_time_format_iso(now_ms, saved));
    append(&b, head, strlen(head));
    const history_entry *e = history_entries(h);
    for (size_t i = 0; i < history_count(h) && !b.failed; i++) {
        if (i)
            append(&b, ",", 1);
        append_owned(&b, history_entry_to_text(&e[i]));
    }
    append(&b, "],\"alerts\":", 11);
    append_owned(&b, print(alarms_to_json(alarms, nalarms)));
    append(&b, ",\"summary\":", 11);
    append_owned(&b, print(summary_build(e, history_count(h), now_ms)));
    append(&b, "}", 1);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static int alarms_from_json(const cJSON *array, alarm_state *alarms, size_t max, size_t *n,
                            size_t *skipped)
{
    *n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, array)
    {
        char reason[LTM_REASON_SIZE];
        char *key = NULL;
        int64_t since = 0;
        double value = 0;
        int rc = ltm_json_str(o, "key", 1, ALARM_KEY_MAX - 1, &key, reason, sizeof reason);
        rc = rc ? rc : ltm_json_time(o, "since", 1, &since, reason, sizeof reason);
        rc = rc ? rc : ltm_json_double(o, "value", 0, &value, reason, sizeof reason);
        if (rc == LTM_OK && *n < max) {
            alarm_init(&alarms[*n], key);
            alarms[*n].firing = 1;
            alarms[*n].since_ms = since;
            alarms[*n].value = value;
            (*n)++;
        } else {
            (*skipped)++;
        }
        free(key);
    }
    return LTM_OK;
}

/* Loading a full history as one cJSON tree would take about 200 MB at start
 * (2 kB of nodes per entry), so the "history" array is cut out of the text:
 * the rest of the document is parsed and checked first, then each entry is
 * parsed on its own. The scan only needs JSON's lexical structure: strings
 * (with escapes) and nesting. */
typedef struct {
    size_t start, end; /* the '[' and the matching ']' */
} span;

/* Finds the array value of the top-level key "history". LTM_ENOTFOUND when
 * absent, LTM_EINVAL when the nesting is broken. */
static int find_history(const char *t, size_t len, span *out)
{
    int depth = 0, in_str = 0, esc = 0, key_is_history = 0, is_history = 0, found = 0;
    size_t str_start = 0;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"') {
                in_str = 0;
                if (depth == 1)
                    key_is_history = i - str_start == 7 && memcmp(t + str_start, "history", 7) == 0;
            }
            continue;
        }
        if (c == '"') {
            in_str = 1;
            str_start = i + 1;
        } else if (c == ':' && depth == 1) {
            is_history = key_is_history;
        } else if (c == ',' && depth == 1) {
            is_history = 0;
        } else if (c == '[' || c == '{') {
            if (depth == 1 && c == '[' && is_history && !found)
                out->start = i;
            depth++;
        } else if (c == ']' || c == '}') {
            if (--depth < 0)
                return LTM_EINVAL;
            if (depth == 1 && c == ']' && is_history && !found) {
                out->end = i;
                found = 1;
            }
        }
    }
    if (depth != 0 || in_str)
        return LTM_EINVAL;
    return found ? LTM_OK : LTM_ENOTFOUND;
}

/* The next element of an array whose body is t[*pos, end): its span in
 * [*elem_start, *elem_end). 0 when there is none left. */
static int next_element(const char *t, size_t *pos, size_t end, size_t *elem_start,
                        size_t *elem_end)
{
    size_t i = *pos;
    while (i < end && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t' || t[i] == ','))
        i++;
    if (i >= end)
        return 0;
    *elem_start = i;
    int depth = 0, in_str = 0, esc = 0;
    for (; i < end; i++) {
        char c = t[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    *elem_end = i;
    *pos = i;
    return 1;
}

static int check_document(const cJSON *root, char *reason, size_t reason_size)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "history");
    const cJSON *firing = cJSON_GetObjectItemCaseSensitive(root, "alerts");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, FORMAT_NAME) != 0)
        snprintf(reason, reason_size, "field format: expected \"%s\"", FORMAT_NAME);
    else if (!cJSON_IsNumber(version) || version->valuedouble != STATE_VERSION)
        snprintf(reason, reason_size, "field version: expected %d", STATE_VERSION);
    else if (!cJSON_IsArray(entries))
        snprintf(reason, reason_size, "field history: expected an array");
    else if (firing && !cJSON_IsArray(firing))
        snprintf(reason, reason_size, "field alerts: expected an array");
    else
        return LTM_OK;
    return LTM_EINVAL;
}

static int add_entries(history *h, const char *text, const span *arr, int64_t now_ms,
                       size_t *skipped)
{
    size_t pos = arr->start + 1, a, b;
    while (next_element(text, &pos, arr->end, &a, &b)) {
        cJSON *o = cJSON_ParseWithLength(text + a, b - a);
        int rc = o ? history_add_json(h, o, now_ms) : LTM_EINVAL;
        cJSON_Delete(o);
        if (rc == LTM_ENOMEM)
            return rc;
        if (rc != LTM_OK)
            (*skipped)++;
    }
    return LTM_OK;
}

int state_decode(const char *text, size_t len, int64_t now_ms, history *h, alarm_state *alarms,
                 size_t max_alarms, size_t *nalarms, size_t *skipped, char *reason,
                 size_t reason_size)
{
    *nalarms = 0;
    *skipped = 0;
    span arr = {0, 0};
    int cut = find_history(text, len, &arr) == LTM_OK;
    char *rest = NULL;
    if (cut) { /* the document with "history":[] */
        rest = malloc(len - (arr.end - arr.start) + 2);
        if (!rest) {
            snprintf(reason, reason_size, "out of memory");
            return LTM_ENOMEM;
        }
        memcpy(rest, text, arr.start + 1);
        memcpy(rest + arr.start + 1, text + arr.end, len - arr.end);
    }
    cJSON *root = ltm_json_parse_object(cut ? rest : text,
                                        cut ? len - (arr.end - arr.start - 1) : len, reason,
                                        reason_size);
    int rc = root ? check_document(root, reason, reason_size) : LTM_EINVAL;
    if (rc == LTM_OK) {
        rc = cut ? add_entries(h, text, &arr, now_ms, skipped)
                 : history_from_json(h, cJSON_GetObjectItemCaseSensitive(root, "history"),
                                     now_ms, skipped);
        const cJSON *firing = cJSON_GetObjectItemCaseSensitive(root, "alerts");
        if (rc == LTM_OK && firing)
            rc = alarms_from_json(firing, alarms, max_alarms, nalarms, skipped);
        if (rc != LTM_OK)
            snprintf(reason, reason_size, "out of memory");
    }
    cJSON_Delete(root);
    free(rest);
    return rc;
}
