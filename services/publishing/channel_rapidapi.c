/* The RapidAPI channel: a POST to the account's host and path with its fixed
 * body; engagement reads through the account's optional stats request. */
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

/* ---- engagement reads ------------------------------------------------------ */

/* RapidAPI providers differ in everything: the account names its stats
 * request and where each count sits (docs/accounts.md). The LinkedIn data
 * providers there scrape public pages: reactions, comments and reposts at
 * best, never impressions, reach or saves (docs/research/traffic-apis.md). */

char *ltm_rapidapi_stats_url(const ltm_channel *ch, const char *base, const char *remote_id)
{
    if (!ch->stats_path || !remote_id)
        return NULL;
    char *id = ltm_url_encode(remote_id), *out = NULL;
    const char *at = strstr(ch->stats_path, "{id}");
    if (id && at &&
        asprintf(&out, "%s%s%.*s%s%s", base ? base : "https://", base ? "" : ch->host,
                 (int)(at - ch->stats_path), ch->stats_path, id, at + 4) < 0)
        out = NULL;
    free(id);
    return out;
}

static const cJSON *at_path(const cJSON *root, const char *path)
{
    const cJSON *node = root;
    char seg[201];
    while (node && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, path, n);
        seg[n] = '\0';
        path += n + (path[n] == '.');
        if (cJSON_IsObject(node))
            node = cJSON_GetObjectItemCaseSensitive(node, seg);
        else if (cJSON_IsArray(node) && n > 0 && n < 7 && strspn(seg, "0123456789") == n)
            node = cJSON_GetArrayItem(node, atoi(seg));
        else
            node = NULL;
    }
    return cJSON_IsNull(node) ? NULL : node;
}

static int count_of(const cJSON *v, int64_t *out)
{
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
        v->valuedouble == (double)(int64_t)v->valuedouble) {
        *out = (int64_t)v->valuedouble;
        return 1;
    }
    if (cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) <= 15 &&
        strspn(v->valuestring, "0123456789") == strlen(v->valuestring)) {
        *out = strtoll(v->valuestring, NULL, 10);
        return 1;
    }
    return 0;
}

int ltm_rapidapi_stats_parse(const ltm_channel *ch, const char *body, size_t len,
                             ltm_figures *out, int *found, char *reason, size_t reason_size)
{
    ltm_figures f;
    ltm_figures_unset(&f);
    *found = 0;
    cJSON *root = cJSON_ParseWithLength(body, len);
    int rc = LTM_OK;
    if (!cJSON_IsObject(root) && !cJSON_IsArray(root)) {
        snprintf(reason, reason_size, "not a JSON object");
        rc = LTM_EINVAL;
    }
    for (int i = 0; rc == LTM_OK && i < LTM_FIGURE_COUNT; i++) {
        if (!ch->stats_fields[i])
            continue;
        const cJSON *v = at_path(root, ch->stats_fields[i]);
        if (!v)
            continue;
        if (!count_of(v, ltm_figure_at(&f, i))) {
            snprintf(reason, reason_size, "%s (%s): not a whole number >= 0", ltm_figure_names[i],
                     ch->stats_fields[i]);
            rc = LTM_EINVAL;
        } else {
            (*found)++;
        }
    }
    cJSON_Delete(root);
    if (rc == LTM_OK)
        *out = f;
    else
        *found = 0;
    return rc;
}

static void on_stats(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_read_failure(LTM_API_RAPIDAPI, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    ltm_figures f;
    int found;
    char why[300];
    if (ltm_rapidapi_stats_parse(t->channel, r->body, r->body_len, &f, &found, why, sizeof why) !=
        LTM_OK)
        ltm_task_fail(t, "server", 1, "RapidAPI stats of post %s unreadable: %s",
                      t->job->remote_id, why);
    else if (found == 0)
        ltm_task_fail(t, "server", 1,
                      "RapidAPI stats of post %s hold none of the account's stats_fields",
                      t->job->remote_id);
    else
        ltm_task_read(t, &f);
}

static void rapidapi_read(ltm_task *t)
{
    const ltm_channel *ch = t->channel;
    const ltm_job *j = t->job;
    if (!ch->stats_path) {
        ltm_task_fail(t, "config", 0,
                      "account %s's rapidapi channel names no stats_path: figures are not read",
                      j->account);
        return;
    }
    if (!j->remote_id || !j->remote_id[0] || strncmp(j->remote_id, "rapidapi:", 9) == 0) {
        /* Our own stand-in id: the provider named none when publishing. */
        ltm_task_fail(t, "config", 0,
                      "the RapidAPI provider of account %s gave no post id when publishing "
                      "(channel.id_field): figures cannot be read", j->account);
        return;
    }
    char key[600], host[300];
    char *url = ltm_rapidapi_stats_url(ch, t->env->rapidapi_base, j->remote_id);
    int k = snprintf(key, sizeof key, "X-RapidAPI-Key: %s", ch->token ? ch->token : "");
    snprintf(host, sizeof host, "X-RapidAPI-Host: %s", ch->host);
    if (!url || k >= (int)sizeof key) {
        free(url);
        ltm_task_fail(t, "internal", 1, "cannot build the RapidAPI stats request");
        return;
    }
    const char *headers[] = {key, host};
    ltm_task_http(t, "GET", url, headers, 2, NULL, 0, 1u << 20, on_stats);
    free(url);
}

const ltm_channel_ops ltm_rapidapi_ops = {LTM_CHANNEL_RAPIDAPI, rapidapi_publish, NULL,
                                          rapidapi_read};
