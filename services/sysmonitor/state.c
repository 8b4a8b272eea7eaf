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

int state_decode(const char *text, size_t len, int64_t now_ms, history *h, alarm_state *alarms,
                 size_t max_alarms, size_t *nalarms, size_t *skipped, char *reason,
                 size_t reason_size)
{
    *nalarms = 0;
    *skipped = 0;
    cJSON *root = ltm_json_parse_object(text, len, reason, reason_size);
    if (!root)
        return LTM_EINVAL;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "history");
    const cJSON *firing = cJSON_GetObjectItemCaseSensitive(root, "alerts");
    int rc = LTM_EINVAL;
    if (!cJSON_IsString(format) || strcmp(format->valuestring, FORMAT_NAME) != 0)
        snprintf(reason, reason_size, "field format: expected \"%s\"", FORMAT_NAME);
    else if (!cJSON_IsNumber(version) || version->valuedouble != STATE_VERSION)
        snprintf(reason, reason_size, "field version: expected %d", STATE_VERSION);
    else if (!cJSON_IsArray(entries))
        snprintf(reason, reason_size, "field history: expected an array");
    else if (firing && !cJSON_IsArray(firing))
        snprintf(reason, reason_size, "field alerts: expected an array");
    else
        rc = LTM_OK;
    if (rc == LTM_OK) {
        rc = history_from_json(h, entries, now_ms, skipped);
        if (rc == LTM_OK && firing)
            rc = alarms_from_json(firing, alarms, max_alarms, nalarms, skipped);
        if (rc != LTM_OK)
            snprintf(reason, reason_size, "out of memory");
    }
    cJSON_Delete(root);
    return rc;
}
