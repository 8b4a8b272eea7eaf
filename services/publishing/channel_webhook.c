/* The webhook channel: the publication POSTed as JSON to the account's URL. */
#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ltm_webhook_body(const ltm_job *job, const char *text, const char *image_url,
                       const char *worker)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "job_id", job->job_id);
    rc |= ltm_json_add_str(o, "kind", ltm_job_kind_name(job->kind));
    rc |= ltm_json_add_str(o, "account", job->account);
    rc |= cJSON_AddNumberToObject(o, "attempt", job->attempt) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_time(o, "slot", job->slot_ms);
    rc |= ltm_json_add_str(o, "text", text);
    rc |= ltm_json_add_str(o, "image_url", image_url);
    rc |= ltm_json_add_str(o, "worker", worker);
    rc |= ltm_json_add_time(o, "sent_at", ltm_now_ms());
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}

static void on_answer(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_WEBHOOK, 1, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    /* The receiver may name what it created; otherwise the job id is the
     * reference both sides know. */
    cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    char ref[300];
    if (cJSON_IsString(id) && id->valuestring[0] && strlen(id->valuestring) < sizeof ref)
        snprintf(ref, sizeof ref, "%s", id->valuestring);
    else if (cJSON_IsNumber(id))
        snprintf(ref, sizeof ref, "%.0f", id->valuedouble);
    else
        snprintf(ref, sizeof ref, "webhook:%s", t->job->job_id);
    cJSON_Delete(root);
    ltm_outcome_published(&t->outcome, ref);
    ltm_task_finish(t);
}

static void webhook_publish(ltm_task *t)
{
    char *body = ltm_webhook_body(t->job, t->text, t->image_url, t->env->worker_id);
    char auth[600], key[300];
    const char *headers[3] = {"Content-Type: application/json", key, auth};
    size_t n = 2;
    /* Receivers that de-duplicate can use the job id, stable across attempts. */
    snprintf(key, sizeof key, "Idempotency-Key: %s", t->job->job_id);
    if (t->channel->token && ltm_bearer(auth, sizeof auth, t->channel->token) == LTM_OK)
        n = 3;
    if (!body) {
        ltm_task_fail(t, "internal", 1, "out of memory");
        return;
    }
    if (ltm_task_publishing(t))
        ltm_task_http(t, "POST", t->channel->url, headers, n, body, strlen(body), 64 * 1024, on_answer);
    free(body);
}

const ltm_channel_ops ltm_webhook_ops = {LTM_CHANNEL_WEBHOOK, webhook_publish, NULL, NULL};
