/* ltm/alerts messages: encoding and decoding of ltm_alert (ltm/msg.h). */
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ltm_alert_clear(ltm_alert *a)
{
    free(a->key);
    free(a->severity);
    free(a->summary);
    free(a->source);
    memset(a, 0, sizeof *a);
}

static int severity_known(const char *s)
{
    return strcmp(s, "info") == 0 || strcmp(s, "warning") == 0 || strcmp(s, "critical") == 0;
}

int ltm_alert_decode(const char *json, size_t len, ltm_alert *out, char reason[LTM_REASON_SIZE])
{
    memset(out, 0, sizeof *out);
    cJSON *root = ltm_json_parse_object(json, len, reason, LTM_REASON_SIZE);
    if (!root)
        return LTM_EINVAL;
    char *state = NULL;
    int rc = ltm_json_str(root, "key", 1, 128, &out->key, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "state", 1, 16, &state, reason, LTM_REASON_SIZE);
    if (!rc) {
        if (strcmp(state, "firing") == 0) {
            out->firing = 1;
        } else if (strcmp(state, "resolved") != 0) {
            snprintf(reason, LTM_REASON_SIZE, "field state: expected firing or resolved");
            rc = LTM_EINVAL;
        }
    }
    if (!rc)
        rc = ltm_json_str(root, "severity", 1, 16, &out->severity, reason, LTM_REASON_SIZE);
    if (!rc && !severity_known(out->severity)) {
        snprintf(reason, LTM_REASON_SIZE, "field severity: expected info, warning or critical");
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_str(root, "summary", 1, 1000, &out->summary, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "source", 0, 64, &out->source, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_double(root, "value", 0, &out->value, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_double(root, "threshold", 0, &out->threshold, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_time(root, "since", 1, &out->since_ms, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_time(root, "at", 1, &out->at_ms, reason, LTM_REASON_SIZE);
    free(state);
    cJSON_Delete(root);
    if (rc) {
        ltm_alert_clear(out);
        return LTM_EINVAL;
    }
    return LTM_OK;
}

char *ltm_alert_encode(const ltm_alert *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "key", a->key);
    rc |= ltm_json_add_str(o, "state", a->firing ? "firing" : "resolved");
    rc |= ltm_json_add_str(o, "severity", a->severity);
    rc |= ltm_json_add_str(o, "summary", a->summary);
    rc |= ltm_json_add_str(o, "source", a->source);
    rc |= cJSON_AddNumberToObject(o, "value", a->value) ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddNumberToObject(o, "threshold", a->threshold) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_time(o, "since", a->since_ms);
    rc |= ltm_json_add_time(o, "at", a->at_ms);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}
