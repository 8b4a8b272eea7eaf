/* The image stage: a Replicate prediction, created and polled. */
#include "publishing/image_replicate.h"
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ltm_replicate_body(const char *version, const char *prompt, int story)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *in = cJSON_CreateObject();
    if (!o || !in || !cJSON_AddItemToObject(o, "input", in)) {
        cJSON_Delete(o);
        cJSON_Delete(in);
        return NULL;
    }
    ltm_json_add_str(o, "version", version);
    ltm_json_add_str(in, "prompt", prompt);
    ltm_json_add_str(in, "aspect_ratio", story ? "9:16" : "1:1");
    ltm_json_add_str(in, "output_format", "jpg");
    return ltm_json_finish(o);
}

static int http_url(const char *s)
{
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0);
}

int ltm_replicate_parse(const char *body, size_t len, char **output, char **poll_url,
                        ltm_outcome *o)
{
    *output = *poll_url = NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    const char *st = cJSON_IsString(status) ? status->valuestring : NULL;
    int rc = LTM_EINVAL;
    if (!st) {
        ltm_outcome_fail(o, "server", 1, "Replicate answer without a status (malformed)");
    } else if (strcmp(st, "succeeded") == 0) {
        const cJSON *out = cJSON_GetObjectItemCaseSensitive(root, "output");
        if (cJSON_IsArray(out))
            out = cJSON_GetArrayItem(out, 0);
        if (cJSON_IsString(out) && http_url(out->valuestring)) {
            *output = strdup(out->valuestring);
            rc = *output ? 1 : LTM_ENOMEM;
        } else {
            ltm_outcome_fail(o, "server", 1, "Replicate prediction succeeded without an image URL");
        }
    } else if (strcmp(st, "failed") == 0 || strcmp(st, "canceled") == 0) {
        char why[300] = "";
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        if (cJSON_IsString(err))
            ltm_api_message(LTM_API_REPLICATE, err->valuestring, strlen(err->valuestring), why,
                            sizeof why);
        /* Nothing was published yet, so another attempt is safe; a failed
         * prediction is often a busy GPU, sometimes a refused prompt. */
        ltm_outcome_fail(o, "server", 1, "Replicate prediction %s: %s", st, why[0] ? why : "-");
    } else {
        const cJSON *urls = cJSON_GetObjectItemCaseSensitive(root, "urls");
        const cJSON *get = cJSON_IsObject(urls) ? cJSON_GetObjectItemCaseSensitive(urls, "get") : NULL;
        if (cJSON_IsString(get) && http_url(get->valuestring)) {
            *poll_url = strdup(get->valuestring);
            rc = *poll_url ? 0 : LTM_ENOMEM;
        } else {
            ltm_outcome_fail(o, "server", 1, "Replicate prediction %s without urls.get", st);
        }
    }
    if (rc == LTM_ENOMEM) {
        ltm_outcome_fail(o, "internal", 1, "out of memory");
        rc = LTM_EINVAL;
    }
    cJSON_Delete(root);
    return rc;
}

static void poll_now(ltm_task *t);

static void on_prediction(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_REPLICATE, 0, r, NULL, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    char *output = NULL, *poll = NULL;
    int rc = ltm_replicate_parse(r->body, r->body_len, &output, &poll, &t->outcome);
    if (rc == 1) {
        free(t->image_url);
        t->image_url = output;
        ltm_outcome_published(&t->outcome, NULL);
        ltm_task_finish(t);
    } else if (rc == 0) {
        free(t->ref);
        t->ref = poll;
        if (ltm_mono_ms() >= t->deadline_mono) {
            ltm_task_fail(t, "server", 1, "Replicate image not ready within LTM_REPLICATE_TIMEOUT");
            return;
        }
        ltm_task_sleep(t, t->env->replicate_poll_ms, poll_now);
    } else {
        ltm_task_finish(t);
    }
}

static void poll_now(ltm_task *t)
{
    char auth[600];
    ltm_bearer(auth, sizeof auth, t->env->replicate_token);
    const char *headers[] = {auth};
    ltm_task_http(t, "GET", t->ref, headers, 1, NULL, 0, 1u << 20, on_prediction);
}

void ltm_replicate_image(ltm_task *t, const char *prompt)
{
    const ltm_publish_env *env = t->env;
    const char *model = env->replicate_model;
    const char *colon = strchr(model, ':');
    char url[2400], auth[600], prefer[32], version[128] = "";
    int n;
    if (colon) {
        snprintf(version, sizeof version, "%s", colon + 1);
        n = snprintf(url, sizeof url, "%s/v1/predictions", env->replicate_base);
    } else {
        n = snprintf(url, sizeof url, "%s/v1/models/%s/predictions", env->replicate_base, model);
    }
    /* The held answer must come back well within the HTTP total timeout. */
    long wait_s = (long)(env->replicate_timeout_ms / 1000);
    if (wait_s > env->timeout_ms / 1000 - 2)
        wait_s = env->timeout_ms / 1000 - 2;
    snprintf(prefer, sizeof prefer, "Prefer: wait=%ld", wait_s < 1 ? 1 : wait_s > 60 ? 60 : wait_s);
    char *body = ltm_replicate_body(colon ? version : NULL, prompt, t->job->kind == LTM_JOB_STORY);
    if (!body || n >= (int)sizeof url || ltm_bearer(auth, sizeof auth, env->replicate_token)) {
        free(body);
        ltm_task_fail(t, "internal", 1, "cannot build the Replicate request");
        return;
    }
    t->deadline_mono = ltm_mono_ms() + env->replicate_timeout_ms;
    const char *headers[] = {auth, "Content-Type: application/json", prefer};
    ltm_task_http(t, "POST", url, headers, 3, body, strlen(body), 1u << 20, on_prediction);
    free(body);
}
