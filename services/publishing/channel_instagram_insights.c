/* The Instagram read stage: a published media's figures from its insights. */
#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* GET {base}/{media-id}/insights?metric=... with the token in the
 * Authorization header, like publishing (docs/publishing.md, "Reading
 * figures back"). Instagram answers for several metrics at once but fails
 * the whole call when one of them does not apply to the media; the lists
 * below follow Meta's table, and a metric Instagram still refuses
 * (third parties report `shares` refused on some images) is left out and
 * the call made again, that figure then absent. Story insights live 24 h:
 * a later check ends as "expired" without a call. */

#define STORY_INSIGHTS_MS (24LL * 3600 * 1000)

typedef struct {
    const char *metric;
    int figure;   /* index in ltm_figures (ltm_figure_names) */
    int in_post;  /* asked for a feed post */
    int in_story; /* asked for a story */
} ig_metric;

/* Figure indexes in the order of ltm_figures: impressions, reach,
 * reactions, comments, shares, saves. */
static const ig_metric metrics[LTM_IG_METRIC_COUNT] = {
    {"views", 0, 1, 1},    {"reach", 1, 1, 1},  {"likes", 2, 1, 0}, {"comments", 3, 1, 0},
    {"replies", 3, 0, 1},  {"shares", 4, 1, 1}, {"saved", 5, 1, 0},
};

static int asked(ltm_job_kind kind, int i)
{
    return kind == LTM_JOB_STORY ? metrics[i].in_story : metrics[i].in_post;
}

int ltm_instagram_insights_metrics(ltm_job_kind post_kind, unsigned dropped, char *out,
                                   size_t size)
{
    size_t used = 0;
    int n = 0;
    out[0] = '\0';
    for (int i = 0; i < LTM_IG_METRIC_COUNT; i++) {
        if (!asked(post_kind, i) || (dropped & (1u << i)))
            continue;
        int w = snprintf(out + used, size - used, "%s%s", n ? "," : "", metrics[i].metric);
        if (w < 0 || (size_t)w >= size - used) {
            out[0] = '\0';
            return 0;
        }
        used += (size_t)w;
        n++;
    }
    return n;
}

/* values[0].value (the documented lifetime shape) or total_value.value (the
 * shape of account insights and of breakdowns; Meta moves metrics to it). */
static const cJSON *metric_value(const cJSON *item)
{
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(item, "values");
    const cJSON *first = cJSON_IsArray(values) ? cJSON_GetArrayItem(values, 0) : NULL;
    const cJSON *v = cJSON_IsObject(first) ? cJSON_GetObjectItemCaseSensitive(first, "value") : NULL;
    if (v)
        return v;
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(item, "total_value");
    return cJSON_IsObject(total) ? cJSON_GetObjectItemCaseSensitive(total, "value") : NULL;
}

int ltm_instagram_insights_parse(const char *body, size_t len, ltm_figures *out, int *found,
                                 char *reason, size_t reason_size)
{
    ltm_figures f;
    ltm_figures_unset(&f);
    *found = 0;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    int rc = LTM_OK;
    if (!cJSON_IsArray(data)) {
        snprintf(reason, reason_size, "%s", root ? "no data array" : "not JSON");
        rc = LTM_EINVAL;
    }
    const cJSON *item, *items = rc == LTM_OK ? data : NULL;
    cJSON_ArrayForEach(item, items)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        int i = 0;
        while (cJSON_IsString(name) && i < LTM_IG_METRIC_COUNT &&
               strcmp(name->valuestring, metrics[i].metric) != 0)
            i++;
        if (!cJSON_IsString(name) || i == LTM_IG_METRIC_COUNT)
            continue; /* a metric not asked for, or a future field */
        const cJSON *v = metric_value(item);
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740992.0 ||
            v->valuedouble != (double)(int64_t)v->valuedouble) {
            snprintf(reason, reason_size, "metric %s: no whole number >= 0 in values[0].value",
                     metrics[i].metric);
            rc = LTM_EINVAL;
            break;
        }
        *ltm_figure_at(&f, metrics[i].figure) = (int64_t)v->valuedouble;
        (*found)++;
    }
    cJSON_Delete(root);
    if (rc == LTM_OK)
        *out = f;
    else
        *found = 0;
    return rc;
}

static int word_at(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        int before = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        int after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (before && after)
            return 1;
    }
    return 0;
}

/* Seen in the wild: "(#100) The metric shares is not supported for this
 * media type", "(#100) The Media Insights API does not support the views
 * metric for this media product type". The invalid-value answer ("metric[0]
 * must be one of the following values: ...") names every metric and is not
 * one of these. */
unsigned ltm_instagram_refused_metrics(const char *body, size_t len, ltm_job_kind post_kind,
                                       unsigned dropped, int *refusal)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    unsigned named = 0;
    *refusal = 0;
    if (cJSON_IsNumber(code) && code->valueint == 100 && cJSON_IsString(message) &&
        strcasestr(message->valuestring, "not support") &&
        strcasestr(message->valuestring, "metric")) {
        /* "metric": a deleted object's answer "does not support this
         * operation" too. */
        *refusal = 1;
        for (int i = 0; i < LTM_IG_METRIC_COUNT; i++)
            if (asked(post_kind, i) && !(dropped & (1u << i)) &&
                word_at(message->valuestring, metrics[i].metric))
                named |= 1u << i;
    }
    cJSON_Delete(root);
    return named;
}

int ltm_instagram_unsupported_metric(const char *body, size_t len, ltm_job_kind post_kind,
                                     unsigned dropped)
{
    int refusal;
    unsigned named = ltm_instagram_refused_metrics(body, len, post_kind, dropped, &refusal);
    for (int i = 0; i < LTM_IG_METRIC_COUNT; i++)
        if (named == 1u << i)
            return i;
    return -1;
}

/* ---- the stage ----------------------------------------------------------- */

/* t->stage holds the mask of metrics left out after Instagram refused them,
 * and RETRIED once the one retry was made. */
#define ALL_METRICS ((1u << LTM_IG_METRIC_COUNT) - 1)
#define BASE_METRICS (1u << 0 | 1u << 1) /* views, reach */
#define RETRIED (1u << 16)

static void headers_for(ltm_task *t, char *auth, size_t size, const char *list[1])
{
    ltm_bearer(auth, size, t->channel->token);
    list[0] = auth;
}

static void ask_insights(ltm_task *t);

static void on_media(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    const ltm_job *j = t->job;
    if (!ltm_http_ok(r)) {
        /* Gone only when the media itself is unknown too. */
        ltm_classify_instagram_read(r, j->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    if (j->post_kind == LTM_JOB_STORY) {
        ltm_task_fail(t, "expired", 0,
                      "Instagram keeps no insights of story %s any more (code 100, subcode 33 "
                      "while the media exists): story insights live 24 h", j->remote_id);
        return;
    }
    ltm_task_fail(t, "server", 1,
                  "Instagram refused the insights of media %s (code 100, subcode 33) though the "
                  "media exists; tried again later", j->remote_id);
}

static void check_media(ltm_task *t)
{
    char url[2200], auth[600];
    const char *headers[1];
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s?fields=id", t->env->instagram_base, t->job->remote_id);
    ltm_task_http(t, "GET", url, headers, 1, NULL, 0, 64 * 1024, on_media);
}

static void on_insights(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    const ltm_job *j = t->job;
    if (ltm_http_ok(r)) {
        ltm_figures f;
        int found;
        char why[200];
        if (ltm_instagram_insights_parse(r->body, r->body_len, &f, &found, why, sizeof why) !=
            LTM_OK) {
            ltm_task_fail(t, "server", 1, "Instagram insights of media %s unreadable: %s",
                          j->remote_id, why);
        } else if (found == 0) {
            /* "an empty data set instead of 0": not yet measured, or a story
             * past its 24 h. */
            ltm_task_fail(t, "server", 1,
                          "Instagram has no insights of media %s yet (they can lag up to 48 h)",
                          j->remote_id);
        } else {
            ltm_task_read(t, &f);
        }
        return;
    }
    if (!r->transport_error && !r->truncated && t->stage == 0) {
        /* One retry at most, so a check costs at most 3 calls (this one, the
         * retry, the media check): every metric the refusal names is left
         * out, or, when it names none we know, only views and reach asked. */
        int refusal;
        unsigned named = ltm_instagram_refused_metrics(r->body, r->body_len, j->post_kind, 0,
                                                       &refusal);
        unsigned drop = named ? named : refusal ? ~BASE_METRICS : 0;
        char left[200];
        if (drop && ltm_instagram_insights_metrics(j->post_kind, drop, left, sizeof left) > 0) {
            t->stage = (int)((drop & ALL_METRICS) | RETRIED);
            ltm_info("Instagram refused insights metrics for this media; asking once more "
                     "without them", "job_id", j->job_id, "media", j->remote_id, "left", left);
            ask_insights(t);
            return;
        }
    }
    ltm_classify_instagram_read(r, j->account, &t->outcome);
    if (t->outcome.status == LTM_RESULT_GONE) {
        /* 100/33 also answers a missing permission on the object, and
         * sometimes throttling: only the media itself being unknown proves it
         * deleted. */
        check_media(t);
        return;
    }
    ltm_task_finish(t);
}

static void ask_insights(ltm_task *t)
{
    char url[2200], auth[600], list[200];
    const char *headers[1];
    ltm_instagram_insights_metrics(t->job->post_kind, (unsigned)t->stage, list, sizeof list);
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s/insights?metric=%s", t->env->instagram_base,
             t->job->remote_id, list);
    ltm_task_http(t, "GET", url, headers, 1, NULL, 0, 256 * 1024, on_insights);
}

void ltm_instagram_read(ltm_task *t)
{
    const ltm_job *j = t->job;
    const char *id = j->remote_id ? j->remote_id : "";
    if (!id[0] || strlen(id) > 64 || strspn(id, "0123456789") != strlen(id)) {
        ltm_task_fail(t, "validation", 0, "'%.64s' is not an Instagram media id", id);
        return;
    }
    if (j->post_kind == LTM_JOB_STORY && ltm_now_ms() - j->published_ms >= STORY_INSIGHTS_MS) {
        ltm_task_fail(t, "expired", 0,
                      "story %s was published over 24 h ago: Instagram keeps story insights "
                      "24 h only", id);
        return;
    }
    t->stage = 0;
    ask_insights(t);
}
