#include "state.h"

#include "summary.h"

#include "ltm/error.h"
#include "ltm/json.h"

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

char *state_encode(const history *h, const alarm_state *alarms, size_t nalarms, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "format", FORMAT_NAME);
    rc |= cJSON_AddNumberToObject(o, "version", STATE_VERSION) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_time(o, "saved_at", now_ms);
    cJSON *items[3] = {history_to_json(h), alarms_to_json(alarms, nalarms),
                       summary_build(history_entries(h), history_count(h), now_ms)};
    static const char *const names[3] = {"history", "alerts", "summary"};
    for (int i = 0; i < 3; i++) {
        if (!items[i] || !cJSON_AddItemToObject(o, names[i], items[i])) {
            cJSON_Delete(items[i]);
            rc = LTM_ENOMEM;
        }
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
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
