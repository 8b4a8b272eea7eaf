/* The RapidAPI channel: a POST to the account's host and path with its fixed body. */
#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ltm_rapidapi_body(const ltm_channel *ch, const char *text, const char *image_url)
{
    cJSON *o = ch->extra_json ? cJSON_Parse(ch->extra_json) : cJSON_CreateObject();
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return NULL;
    }
    /* Our fields win over fixed ones of the same name. */
    cJSON_DeleteItemFromObjectCaseSensitive(o, ch->text_field);
    int rc = ltm_json_add_str(o, ch->text_field, text);
    if (ch->image_field) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, ch->image_field);
        rc |= ltm_json_add_str(o, ch->image_field, image_url);
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}

char *ltm_rapidapi_id(const ltm_channel *ch, const char *body, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, ch->id_field);
    if (!id) {
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
        id = cJSON_IsObject(data) ? cJSON_GetObjectItemCaseSensitive(data, ch->id_field) : NULL;
    }
    char *out = NULL;
    if (cJSON_IsString(id) && id->valuestring[0] && strlen(id->valuestring) < 500)
        out = strdup(id->valuestring);
    else if (cJSON_IsNumber(id) && asprintf(&out, "%.0f", id->valuedouble) < 0)
        out = NULL;
    cJSON_Delete(root);
    return out;
}

static void on_answer(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_RAPIDAPI, 1, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    char *id = ltm_rapidapi_id(t->channel, r->body, r->body_len);
    char fallback[300];
    snprintf(fallback, sizeof fallback, "rapidapi:%s", t->job->job_id);
    ltm_outcome_published(&t->outcome, id ? id : fallback);
    free(id);
    ltm_task_finish(t);
}

static void rapidapi_publish(ltm_task *t)
{
    const ltm_channel *ch = t->channel;
    char url[2600], key[600], host[300];
    int n = t->env->rapidapi_base
                ? snprintf(url, sizeof url, "%s%s", t->env->rapidapi_base, ch->path)
                : snprintf(url, sizeof url, "https://%s%s", ch->host, ch->path);
    int k = snprintf(key, sizeof key, "X-RapidAPI-Key: %s", ch->token ? ch->token : "");
    snprintf(host, sizeof host, "X-RapidAPI-Host: %s", ch->host);
    char *body = ltm_rapidapi_body(ch, t->text, t->image_url);
    if (!body || n >= (int)sizeof url || k >= (int)sizeof key) {
        free(body);
        ltm_task_fail(t, "internal", 1, "cannot build the RapidAPI request");
        return;
    }
    const char *headers[] = {key, host, "Content-Type: application/json"};
    if (ltm_task_publishing(t))
        ltm_task_http(t, "POST", url, headers, 3, body, strlen(body), 256 * 1024, on_answer);
    free(body);
}

const ltm_channel_ops ltm_rapidapi_ops = {LTM_CHANNEL_RAPIDAPI, rapidapi_publish, NULL, NULL};
