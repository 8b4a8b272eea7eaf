/* ltm/status/<service>/<instance> messages: encoding and decoding of the retained
 * ltm_status (ltm/msg.h). */
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 64
#define DAY_MS (86400LL * 1000)

void ltm_status_clear(ltm_status *s)
{
    free(s->service);
    free(s->instance);
    free(s->version);
    free(s->host);
    free(s->detail_json);
    memset(s, 0, sizeof *s);
}

int ltm_status_decode(const char *json, size_t len, ltm_status *out, char reason[LTM_REASON_SIZE])
{
    memset(out, 0, sizeof *out);
    cJSON *root = ltm_json_parse_object(json, len, reason, LTM_REASON_SIZE);
    if (!root)
        return LTM_EINVAL;
    char *state = NULL;
    long long pid = 0, interval = 0;
    int rc = ltm_json_str(root, "service", 1, NAME_MAX_LEN, &out->service, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "instance", 1, NAME_MAX_LEN, &out->instance, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "state", 1, 16, &state, reason, LTM_REASON_SIZE);
    if (!rc) {
        if (strcmp(state, "online") == 0) {
            out->online = 1;
        } else if (strcmp(state, "offline") != 0) {
            snprintf(reason, LTM_REASON_SIZE, "field state: expected online or offline");
            rc = LTM_EINVAL;
        }
    }
    if (!rc)
        rc = ltm_json_str(root, "version", 0, NAME_MAX_LEN, &out->version, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "host", 0, 255, &out->host, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "pid", 0, 0, 1LL << 31, &pid, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_time(root, "started_at", 0, &out->started_ms, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_time(root, "heartbeat_at", 0, &out->heartbeat_ms, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "heartbeat_interval_ms", 0, 0, DAY_MS, &interval, reason,
                          LTM_REASON_SIZE);
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(root, "detail");
    if (!rc && detail && !cJSON_IsNull(detail)) {
        if (!cJSON_IsObject(detail)) {
            snprintf(reason, LTM_REASON_SIZE, "field detail: expected an object");
            rc = LTM_EINVAL;
        } else if (!(out->detail_json = cJSON_PrintUnformatted(detail))) {
            rc = LTM_ENOMEM;
        }
    }
    free(state);
    cJSON_Delete(root);
    if (rc) {
        ltm_status_clear(out);
        return LTM_EINVAL;
    }
    out->pid = (int)pid;
    out->heartbeat_interval_ms = interval;
    return LTM_OK;
}

char *ltm_status_encode(const ltm_status *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "service", s->service);
    rc |= ltm_json_add_str(o, "instance", s->instance);
    rc |= ltm_json_add_str(o, "state", s->online ? "online" : "offline");
    rc |= ltm_json_add_str(o, "version", s->version);
    rc |= ltm_json_add_str(o, "host", s->host);
    if (s->pid > 0)
        rc |= cJSON_AddNumberToObject(o, "pid", s->pid) ? 0 : LTM_ENOMEM;
    if (s->started_ms > 0)
        rc |= ltm_json_add_time(o, "started_at", s->started_ms);
    if (s->heartbeat_ms > 0)
        rc |= ltm_json_add_time(o, "heartbeat_at", s->heartbeat_ms);
    if (s->heartbeat_interval_ms > 0)
        rc |= cJSON_AddNumberToObject(o, "heartbeat_interval_ms", (double)s->heartbeat_interval_ms)
                  ? 0
                  : LTM_ENOMEM;
    if (s->detail_json) {
        cJSON *detail = cJSON_Parse(s->detail_json);
        if (!detail || !cJSON_AddItemToObject(o, "detail", detail)) {
            cJSON_Delete(detail);
            rc |= LTM_EINVAL;
        }
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}
