/* ltm/jobs/<kind> messages: encoding and decoding of ltm_job (ltm/msg.h). */
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 200
#define ACCOUNT_MAX 64
#define TEXT_MAX 16000
#define URL_MAX 2048
#define HOUR_MS (3600LL * 1000)

#define REMOTE_MAX 1024
#define YEAR_MS (366LL * 24 * HOUR_MS)

static const char *kind_names[LTM_JOB_KIND_COUNT] = {"post", "story", "report", "engagement"};

const char *ltm_job_kind_name(ltm_job_kind kind)
{
    return (unsigned)kind < LTM_JOB_KIND_COUNT ? kind_names[kind] : "unknown";
}

int ltm_job_kind_parse(const char *text, ltm_job_kind *out)
{
    for (int i = 0; text && i < LTM_JOB_KIND_COUNT; i++) {
        if (strcmp(text, kind_names[i]) == 0) {
            *out = (ltm_job_kind)i;
            return LTM_OK;
        }
    }
    return LTM_EINVAL;
}

void ltm_job_clear(ltm_job *job)
{
    free(job->job_id);
    free(job->account);
    free(job->text);
    free(job->prompt);
    free(job->image_url);
    free(job->post_job_id);
    free(job->channel);
    free(job->remote_id);
    memset(job, 0, sizeof *job);
}

/* The post an engagement check reads: required on such a job, refused on
 * any other (a post job naming a remote id would be a different thing). */
static int decode_target(const cJSON *root, ltm_job *out, char reason[LTM_REASON_SIZE])
{
    int engagement = out->kind == LTM_JOB_ENGAGEMENT;
    static const char *const fields[] = {"post_job_id", "post_kind", "channel", "remote_id",
                                         "published_at", "age_ms"};
    if (!engagement) {
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            if (cJSON_GetObjectItemCaseSensitive(root, fields[i])) {
                snprintf(reason, LTM_REASON_SIZE, "field %s: only for engagement jobs", fields[i]);
                return LTM_EINVAL;
            }
        }
        return LTM_OK;
    }
    char *post_kind = NULL;
    long long age = 0;
    int rc = ltm_json_str(root, "post_job_id", 1, ID_MAX, &out->post_job_id, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "post_kind", 1, 16, &post_kind, reason, LTM_REASON_SIZE);
    if (!rc && (ltm_job_kind_parse(post_kind, &out->post_kind) != LTM_OK ||
                (out->post_kind != LTM_JOB_POST && out->post_kind != LTM_JOB_STORY))) {
        snprintf(reason, LTM_REASON_SIZE, "field post_kind: expected post or story");
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_str(root, "channel", 1, 32, &out->channel, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "remote_id", 1, REMOTE_MAX, &out->remote_id, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_time(root, "published_at", 1, &out->published_ms, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "age_ms", 1, 0, YEAR_MS, &age, reason, LTM_REASON_SIZE);
    out->age_ms = age;
    free(post_kind);
    return rc;
}

int ltm_job_decode(const char *json, size_t len, ltm_job *out, char reason[LTM_REASON_SIZE])
{
    memset(out, 0, sizeof *out);
    cJSON *root = ltm_json_parse_object(json, len, reason, LTM_REASON_SIZE);
    if (!root)
        return LTM_EINVAL;
    char *kind = NULL;
    long long attempt = 1, max_attempts = 3, lease_ms = 0;
    int rc = ltm_json_str(root, "job_id", 1, ID_MAX, &out->job_id, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "kind", 1, 16, &kind, reason, LTM_REASON_SIZE);
    if (!rc && ltm_job_kind_parse(kind, &out->kind) != LTM_OK) {
        snprintf(reason, LTM_REASON_SIZE, "field kind: expected post, story, report or engagement");
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_str(root, "account", out->kind != LTM_JOB_REPORT, ACCOUNT_MAX, &out->account,
                          reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "attempt", 1, 1, 100, &attempt, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "max_attempts", 0, 1, 100, &max_attempts, reason, LTM_REASON_SIZE);
    if (!rc && attempt > max_attempts) {
        snprintf(reason, LTM_REASON_SIZE, "field attempt: greater than max_attempts");
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_time(root, "slot", 1, &out->slot_ms, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_time(root, "dispatched_at", 1, &out->dispatched_ms, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "lease_ms", 0, 1, 24 * HOUR_MS, &lease_ms, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "text", 0, TEXT_MAX, &out->text, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "prompt", 0, TEXT_MAX, &out->prompt, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "image_url", 0, URL_MAX, &out->image_url, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = decode_target(root, out, reason);
    free(kind);
    cJSON_Delete(root);
    if (rc) {
        ltm_job_clear(out);
        return LTM_EINVAL;
    }
    out->attempt = (int)attempt;
    out->max_attempts = (int)max_attempts;
    out->lease_ms = lease_ms;
    return LTM_OK;
}

char *ltm_job_encode(const ltm_job *job)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "job_id", job->job_id);
    rc |= ltm_json_add_str(o, "kind", ltm_job_kind_name(job->kind));
    rc |= ltm_json_add_str(o, "account", job->account);
    rc |= cJSON_AddNumberToObject(o, "attempt", job->attempt) ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddNumberToObject(o, "max_attempts", job->max_attempts) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_time(o, "slot", job->slot_ms);
    rc |= ltm_json_add_time(o, "dispatched_at", job->dispatched_ms);
    if (job->lease_ms > 0)
        rc |= cJSON_AddNumberToObject(o, "lease_ms", (double)job->lease_ms) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_str(o, "text", job->text);
    rc |= ltm_json_add_str(o, "prompt", job->prompt);
    rc |= ltm_json_add_str(o, "image_url", job->image_url);
    if (job->kind == LTM_JOB_ENGAGEMENT) {
        rc |= ltm_json_add_str(o, "post_job_id", job->post_job_id);
        rc |= ltm_json_add_str(o, "post_kind", ltm_job_kind_name(job->post_kind));
        rc |= ltm_json_add_str(o, "channel", job->channel);
        rc |= ltm_json_add_str(o, "remote_id", job->remote_id);
        rc |= ltm_json_add_time(o, "published_at", job->published_ms);
        rc |= cJSON_AddNumberToObject(o, "age_ms", (double)job->age_ms) ? 0 : LTM_ENOMEM;
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}
