/* ltm/results messages: encoding and decoding of ltm_result (ltm/msg.h). */
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 200
#define SHORT_MAX 64
#define ERROR_MAX 2000
#define REMOTE_MAX 1024
#define DAY_MS (86400LL * 1000)

static const char *status_names[] = {"published", "failed", "unconfirmed", "duplicate",
                                     "missed",    "read",   "gone"};
#define YEAR_MS (366 * DAY_MS)

const char *const ltm_figure_names[LTM_FIGURE_COUNT] = {"impressions", "reach",  "reactions",
                                                        "comments",    "shares", "saves"};

int64_t *ltm_figure_at(ltm_figures *f, int i)
{
    int64_t *all[LTM_FIGURE_COUNT] = {&f->impressions, &f->reach,  &f->reactions,
                                      &f->comments,    &f->shares, &f->saves};
    return all[i];
}

int64_t ltm_figure_get(const ltm_figures *f, int i)
{
    return *ltm_figure_at((ltm_figures *)f, i);
}

void ltm_figures_unset(ltm_figures *f)
{
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        *ltm_figure_at(f, i) = -1;
}

int64_t ltm_figures_engagement(const ltm_figures *f)
{
    int64_t sum = 0;
    const int64_t parts[] = {f->reactions, f->comments, f->shares, f->saves};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        sum += parts[i] > 0 ? parts[i] : 0;
    return sum;
}
#define STATUS_COUNT (sizeof status_names / sizeof status_names[0])

const char *ltm_result_status_name(ltm_result_status status)
{
    return (unsigned)status < STATUS_COUNT ? status_names[status] : "unknown";
}

int ltm_result_class_blocked(const char *error_class)
{
    static const char *const classes[] = {"permission", "quota", "rate_limited"};
    for (size_t i = 0; error_class && i < sizeof classes / sizeof classes[0]; i++) {
        if (strcmp(error_class, classes[i]) == 0)
            return 1;
    }
    return 0;
}

int ltm_result_status_parse(const char *text, ltm_result_status *out)
{
    for (size_t i = 0; text && i < STATUS_COUNT; i++) {
        if (strcmp(text, status_names[i]) == 0) {
            *out = (ltm_result_status)i;
            return LTM_OK;
        }
    }
    return LTM_EINVAL;
}

void ltm_result_clear(ltm_result *r)
{
    free(r->job_id);
    free(r->account);
    free(r->error_class);
    free(r->error);
    free(r->remote_id);
    free(r->channel);
    free(r->worker);
    free(r->theme);
    free(r->post_job_id);
    memset(r, 0, sizeof *r);
}

static int read_duration(const cJSON *durations, const char *key, int64_t *out, char *reason)
{
    long long v = 0;
    int rc = ltm_json_int(durations, key, 0, 0, DAY_MS, &v, reason, LTM_REASON_SIZE);
    *out = v;
    return rc;
}

/* "figures": {"impressions": 1200, ...}: each a whole number >= 0 or absent;
 * unknown names are refused, so a typo does not read as "not offered". */
static int decode_figures(const cJSON *figures, ltm_figures *out, char reason[LTM_REASON_SIZE])
{
    if (!cJSON_IsObject(figures)) {
        snprintf(reason, LTM_REASON_SIZE, "field figures: expected an object");
        return LTM_EINVAL;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, figures)
    {
        int known = 0;
        for (int i = 0; i < LTM_FIGURE_COUNT; i++)
            known |= item->string && strcmp(item->string, ltm_figure_names[i]) == 0;
        if (!known) {
            snprintf(reason, LTM_REASON_SIZE,
                     "field figures: expected only impressions, reach, reactions, comments, "
                     "shares, saves");
            return LTM_EINVAL;
        }
    }
    ltm_figures_unset(out);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        long long v = -1;
        char sub[LTM_REASON_SIZE];
        if (ltm_json_int(figures, ltm_figure_names[i], 0, 0, LTM_FIGURE_MAX, &v, sub,
                         sizeof sub) != LTM_OK) {
            snprintf(reason, LTM_REASON_SIZE, "figures.%.*s", LTM_REASON_SIZE - 16, sub + 6);
            return LTM_EINVAL;
        }
        *ltm_figure_at(out, i) = v;
    }
    return LTM_OK;
}

/* Engagement results name the post and the age; a "read" one carries its
 * figures, and no other status may. */
static int decode_engagement(const cJSON *root, ltm_result *out, char reason[LTM_REASON_SIZE])
{
    int engagement = out->kind == LTM_JOB_ENGAGEMENT;
    const cJSON *figures = cJSON_GetObjectItemCaseSensitive(root, "figures");
    if (!engagement && (out->status == LTM_RESULT_READ || out->status == LTM_RESULT_GONE)) {
        snprintf(reason, LTM_REASON_SIZE, "field status: read and gone are for engagement jobs");
        return LTM_EINVAL;
    }
    if (engagement && out->status == LTM_RESULT_PUBLISHED) {
        snprintf(reason, LTM_REASON_SIZE, "field status: an engagement check is read, not published");
        return LTM_EINVAL;
    }
    if (figures && out->status != LTM_RESULT_READ) {
        snprintf(reason, LTM_REASON_SIZE, "field figures: only on a read result");
        return LTM_EINVAL;
    }
    if (out->status == LTM_RESULT_READ) {
        if (!figures) {
            snprintf(reason, LTM_REASON_SIZE, "field figures: missing");
            return LTM_EINVAL;
        }
        if (decode_figures(figures, &out->figures, reason) != LTM_OK)
            return LTM_EINVAL;
        out->has_figures = 1;
    }
    if (!engagement) {
        if (cJSON_GetObjectItemCaseSensitive(root, "post_job_id") ||
            cJSON_GetObjectItemCaseSensitive(root, "age_ms")) {
            snprintf(reason, LTM_REASON_SIZE, "fields post_job_id, age_ms: only for engagement");
            return LTM_EINVAL;
        }
        return LTM_OK;
    }
    long long age = 0;
    int rc = ltm_json_str(root, "post_job_id", 1, ID_MAX, &out->post_job_id, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "age_ms", 1, 0, YEAR_MS, &age, reason, LTM_REASON_SIZE);
    out->age_ms = age;
    return rc;
}

int ltm_result_decode(const char *json, size_t len, ltm_result *out, char reason[LTM_REASON_SIZE])
{
    memset(out, 0, sizeof *out);
    cJSON *root = ltm_json_parse_object(json, len, reason, LTM_REASON_SIZE);
    if (!root)
        return LTM_EINVAL;
    char *kind = NULL, *status = NULL;
    long long attempt = 0, retry_after = 0;
    int rc = ltm_json_str(root, "job_id", 1, ID_MAX, &out->job_id, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "kind", 1, 16, &kind, reason, LTM_REASON_SIZE);
    if (!rc && ltm_job_kind_parse(kind, &out->kind) != LTM_OK) {
        snprintf(reason, LTM_REASON_SIZE, "field kind: expected post, story, report or engagement");
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_str(root, "account", out->kind != LTM_JOB_REPORT, SHORT_MAX, &out->account,
                          reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "attempt", 1, 0, 100, &attempt, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "status", 1, 16, &status, reason, LTM_REASON_SIZE);
    if (!rc && ltm_result_status_parse(status, &out->status) != LTM_OK) {
        snprintf(reason, LTM_REASON_SIZE,
                 "field status: expected published, failed, unconfirmed, duplicate, missed, "
                 "read or gone");
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_bool(root, "retryable", 1, &out->retryable, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_bool(root, "final", 1, &out->final, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "error_class",
                          out->status != LTM_RESULT_PUBLISHED && out->status != LTM_RESULT_READ &&
                              out->status != LTM_RESULT_GONE,
                          SHORT_MAX,
                          &out->error_class, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "error", 0, ERROR_MAX, &out->error, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "remote_id", 0, REMOTE_MAX, &out->remote_id, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "channel", 0, SHORT_MAX, &out->channel, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_str(root, "worker", 0, 2 * SHORT_MAX, &out->worker, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_int(root, "retry_after_ms", 0, 0, 7 * DAY_MS, &retry_after, reason,
                          LTM_REASON_SIZE);
    if (!rc)
        rc = ltm_json_time(root, "finished_at", 1, &out->finished_ms, reason, LTM_REASON_SIZE);
    const cJSON *durations = cJSON_GetObjectItemCaseSensitive(root, "durations_ms");
    if (!rc && durations && !cJSON_IsNull(durations)) {
        if (!cJSON_IsObject(durations)) {
            snprintf(reason, LTM_REASON_SIZE, "field durations_ms: expected an object");
            rc = LTM_EINVAL;
        }
        if (!rc)
            rc = read_duration(durations, "generate", &out->generate_ms, reason);
        if (!rc)
            rc = read_duration(durations, "image", &out->image_ms, reason);
        if (!rc)
            rc = read_duration(durations, "publish", &out->publish_ms, reason);
    }
    if (!rc && out->status == LTM_RESULT_PUBLISHED && (out->retryable || out->error_class)) {
        snprintf(reason, LTM_REASON_SIZE, "a published result cannot be retryable or have an error");
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_str(root, "theme", 0, LTM_THEME_MAX, &out->theme, reason, LTM_REASON_SIZE);
    if (!rc)
        rc = decode_engagement(root, out, reason);
    free(kind);
    free(status);
    cJSON_Delete(root);
    if (rc) {
        ltm_result_clear(out);
        return LTM_EINVAL;
    }
    out->attempt = (int)attempt;
    out->retry_after_ms = retry_after;
    return LTM_OK;
}

char *ltm_result_encode(const ltm_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *d = cJSON_CreateObject();
    if (!o || !d || !cJSON_AddItemToObject(o, "durations_ms", d)) {
        cJSON_Delete(o);
        cJSON_Delete(d);
        return NULL;
    }
    int rc = ltm_json_add_str(o, "job_id", r->job_id);
    rc |= ltm_json_add_str(o, "kind", ltm_job_kind_name(r->kind));
    rc |= ltm_json_add_str(o, "account", r->account);
    rc |= cJSON_AddNumberToObject(o, "attempt", r->attempt) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_str(o, "status", ltm_result_status_name(r->status));
    rc |= cJSON_AddBoolToObject(o, "retryable", r->retryable) ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddBoolToObject(o, "final", r->final) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_str(o, "error_class", r->error_class);
    rc |= ltm_json_add_str(o, "error", r->error);
    rc |= ltm_json_add_str(o, "remote_id", r->remote_id);
    rc |= ltm_json_add_str(o, "channel", r->channel);
    rc |= ltm_json_add_str(o, "worker", r->worker);
    if (r->retry_after_ms > 0)
        rc |= cJSON_AddNumberToObject(o, "retry_after_ms", (double)r->retry_after_ms) ? 0
                                                                                      : LTM_ENOMEM;
    rc |= cJSON_AddNumberToObject(d, "generate", (double)r->generate_ms) ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddNumberToObject(d, "image", (double)r->image_ms) ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddNumberToObject(d, "publish", (double)r->publish_ms) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_time(o, "finished_at", r->finished_ms);
    rc |= ltm_json_add_str(o, "theme", r->theme);
    if (r->kind == LTM_JOB_ENGAGEMENT) {
        rc |= ltm_json_add_str(o, "post_job_id", r->post_job_id);
        rc |= cJSON_AddNumberToObject(o, "age_ms", (double)r->age_ms) ? 0 : LTM_ENOMEM;
    }
    if (r->status == LTM_RESULT_READ) {
        cJSON *f = cJSON_AddObjectToObject(o, "figures");
        rc |= f ? 0 : LTM_ENOMEM;
        for (int i = 0; f && i < LTM_FIGURE_COUNT; i++) {
            int64_t v = r->has_figures ? ltm_figure_get(&r->figures, i) : -1;
            if (v >= 0)
                rc |= cJSON_AddNumberToObject(f, ltm_figure_names[i], (double)v) ? 0 : LTM_ENOMEM;
        }
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}
