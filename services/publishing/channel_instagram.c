/* The Instagram channel: media containers, their polling, publish and verify. */
#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Instagram Graph API content publishing: create a media container from an
 * image URL, wait until Instagram has fetched and processed it, then publish
 * it. The container id is the handle for the check after a lost answer: a
 * container that is FINISHED but not PUBLISHED can still be published, one
 * that is PUBLISHED must not be again; the worker keeps a FINISHED one for
 * the next attempt (t->ready_ref), which publishes it instead of creating
 * another. Before anything is created or published, the account's 24 h
 * publishing limit is read: a full quota fails the attempt as rate_limited
 * without spending a container. The token travels in the Authorization
 * header, never in a URL. */

char *ltm_instagram_container_body(const char *image_url, const char *caption, int story)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "image_url", image_url);
    if (story)
        rc |= ltm_json_add_str(o, "media_type", "STORIES");
    else
        rc |= ltm_json_add_str(o, "caption", caption);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}

static char *string_field(const char *body, size_t len, const char *key)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    char *out = NULL;
    if (cJSON_IsString(v) && v->valuestring[0] && strlen(v->valuestring) < 200)
        out = strdup(v->valuestring);
    cJSON_Delete(root);
    return out;
}

char *ltm_instagram_id(const char *body, size_t len) { return string_field(body, len, "id"); }

char *ltm_instagram_status(const char *body, size_t len)
{
    return string_field(body, len, "status_code");
}

int ltm_instagram_limit_parse(const char *body, size_t len, ltm_instagram_limit *out, char *reason,
                              size_t reason_size)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *entry = cJSON_IsArray(data) ? cJSON_GetArrayItem(data, 0) : NULL;
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(entry, "config");
    ltm_instagram_limit l = {0, 0, 0};
    int rc = LTM_OK;
    if (!cJSON_IsObject(entry) || !cJSON_IsObject(config)) {
        snprintf(reason, reason_size, "%s", !root ? "not JSON" : "no data[0].config object");
        rc = LTM_EINVAL;
    }
    if (rc == LTM_OK)
        rc = ltm_json_int(entry, "quota_usage", 1, 0, 1000000, &l.usage, reason, reason_size);
    if (rc == LTM_OK)
        rc = ltm_json_int(config, "quota_total", 1, 1, 1000000, &l.total, reason, reason_size);
    if (rc == LTM_OK)
        rc = ltm_json_int(config, "quota_duration", 0, 1, 31LL * 86400, &l.duration_s, reason,
                          reason_size);
    cJSON_Delete(root);
    if (rc == LTM_OK)
        *out = l;
    return rc;
}

static void headers_for(ltm_task *t, char *auth, size_t size, const char *list[2])
{
    ltm_bearer(auth, size, t->channel->token);
    list[0] = auth;
    list[1] = "Content-Type: application/json";
}

static void on_published(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_INSTAGRAM, 1, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    char *id = ltm_instagram_id(r->body, r->body_len);
    if (!id) {
        /* A 2xx we cannot read: Instagram may have published. */
        ltm_task_unconfirmed(t, "Instagram answered media_publish without a media id");
        return;
    }
    ltm_outcome_published(&t->outcome, id);
    free(id);
    ltm_task_finish(t);
}

static void publish_container(ltm_task *t)
{
    char url[2200], auth[600], *body = NULL;
    const char *headers[2];
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s/media_publish", t->env->instagram_base, t->channel->user_id);
    cJSON *o = cJSON_CreateObject();
    if (o && ltm_json_add_str(o, "creation_id", t->ref) == LTM_OK)
        body = ltm_json_finish(o);
    else
        cJSON_Delete(o);
    if (!body) {
        ltm_task_fail(t, "internal", 1, "out of memory");
        return;
    }
    if (ltm_task_publishing(t))
        ltm_task_http(t, "POST", url, headers, 2, body, strlen(body), 64 * 1024, on_published);
    free(body);
}

static void poll_container(ltm_task *t);

static void on_container_status(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_INSTAGRAM, 0, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    char *status = ltm_instagram_status(r->body, r->body_len);
    const char *s = status ? status : "";
    if (strcmp(s, "FINISHED") == 0) {
        t->ref_ready = 1;
        publish_container(t);
    } else if (strcmp(s, "PUBLISHED") == 0) {
        ltm_outcome_published(&t->outcome, t->ref);
        ltm_task_finish(t);
    } else if (strcmp(s, "ERROR") == 0) {
        ltm_task_fail(t, "validation", 0,
                      "Instagram could not process the image (container status ERROR): JPEG "
                      "only, feed 4:5 to 1.91:1, stories 9:16");
    } else if (strcmp(s, "EXPIRED") == 0) {
        ltm_task_fail(t, "server", 1, "the Instagram container expired before it was published");
    } else if (ltm_mono_ms() >= t->deadline_mono) {
        ltm_task_fail(t, "server", 1,
                      "the Instagram container was not ready within LTM_INSTAGRAM_CONTAINER_TIMEOUT "
                      "(status %s)", s[0] ? s : "unknown");
    } else {
        ltm_task_sleep(t, t->env->instagram_poll_ms, poll_container);
    }
    free(status);
}

static void poll_container(ltm_task *t)
{
    char url[2200], auth[600];
    const char *headers[2];
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s?fields=status_code", t->env->instagram_base, t->ref);
    ltm_task_http(t, "GET", url, headers, 1, NULL, 0, 64 * 1024, on_container_status);
}

static void on_container(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_INSTAGRAM, 0, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    char *id = ltm_instagram_id(r->body, r->body_len);
    if (!id || strspn(id, "0123456789") != strlen(id)) {
        free(id);
        ltm_task_fail(t, "server", 1, "Instagram created no readable container id");
        return;
    }
    free(t->ref);
    t->ref = id;
    t->deadline_mono = ltm_mono_ms() + t->env->instagram_timeout_ms;
    poll_container(t);
}

static void create_container(ltm_task *t)
{
    char url[2200], auth[600];
    const char *headers[2];
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s/media", t->env->instagram_base, t->channel->user_id);
    char *body =
        ltm_instagram_container_body(t->image_url, t->text, t->job->kind == LTM_JOB_STORY);
    if (!body) {
        ltm_task_fail(t, "internal", 1, "out of memory");
        return;
    }
    ltm_task_http(t, "POST", url, headers, 2, body, strlen(body), 64 * 1024, on_container);
    free(body);
}

/* Stories count toward the same limit as feed posts (Meta's content
 * publishing docs), so both are checked. A check that fails blocks nothing:
 * the limit is also enforced by the publish answer (code 9, classify.c). */
static void on_limit(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    ltm_instagram_limit l;
    char why[480] = "";
    if (!ltm_http_ok(r)) {
        ltm_outcome o;
        ltm_classify_failure(LTM_API_INSTAGRAM, 0, r, t->job->account, &o);
        snprintf(why, sizeof why, "%s", o.error);
    } else if (ltm_instagram_limit_parse(r->body, r->body_len, &l, why, sizeof why) == LTM_OK &&
               l.usage >= l.total) {
        char window[32] = "24 h";
        if (l.duration_s % 3600 == 0 && l.duration_s)
            snprintf(window, sizeof window, "%lld h", l.duration_s / 3600);
        else if (l.duration_s)
            snprintf(window, sizeof window, "%lld s", l.duration_s);
        ltm_outcome *o = &t->outcome;
        o->retry_after_ms = LTM_INSTAGRAM_LIMIT_RETRY_MS;
        ltm_outcome_fail(o, "rate_limited", 1,
                         "Instagram publishing limit reached for account %s: %lld of %lld "
                         "API-published posts in %s used (content_publishing_limit); nothing "
                         "was sent", t->job->account, l.usage, l.total, window);
        ltm_task_finish(t);
        return;
    }
    if (why[0])
        ltm_warn("cannot read the Instagram publishing limit; publishing without it", "job_id",
                 t->job->job_id, "account", t->job->account, "reason", why);
    if (t->ref)
        publish_container(t);
    else
        create_container(t);
}

static void check_limit(ltm_task *t)
{
    char url[2200], auth[600];
    const char *headers[2];
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s/content_publishing_limit?fields=quota_usage,config",
             t->env->instagram_base, t->channel->user_id);
    ltm_task_http(t, "GET", url, headers, 1, NULL, 0, 64 * 1024, on_limit);
}

static int is_jpeg(const char *url)
{
    size_t n = strcspn(url, "?#");
    return (n >= 4 && strncasecmp(url + n - 4, ".jpg", 4) == 0) ||
           (n >= 5 && strncasecmp(url + n - 5, ".jpeg", 5) == 0);
}

static void instagram_publish(ltm_task *t)
{
    int story = t->job->kind == LTM_JOB_STORY;
    if (t->ready_ref) {
        /* An earlier attempt's container, checked FINISHED: it carries the
         * image and caption already. */
        t->ref = t->ready_ref;
        t->ready_ref = NULL;
        t->ref_ready = 1;
        check_limit(t);
        return;
    }
    if (!t->image_url) {
        ltm_task_fail(t, "config", 0,
                      "Instagram needs an image: give the account %s or set REPLICATE_TOKEN with "
                      "an image_prompt", story ? "stories.image_urls" : "content.image_urls");
        return;
    }
    if (!is_jpeg(t->image_url)) {
        ltm_task_fail(t, "validation", 0, "Instagram takes JPEG only: the image URL does not end "
                                          "in .jpg or .jpeg");
        return;
    }
    check_limit(t);
}

/* A readable answer that the container can never be published: its status
 * is EXPIRED or ERROR, or Instagram no longer knows it (a 4xx answer with
 * code 100). A transport error, a 5xx, throttling, an expired token or an
 * answer without a status is not one. */
static int container_unusable(const ltm_http_response *r, const char *status)
{
    if (status)
        return strcmp(status, "EXPIRED") == 0 || strcmp(status, "ERROR") == 0;
    if (r->transport_error || r->truncated || r->status < 400 || r->status >= 500 ||
        r->status == 429)
        return 0;
    cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    int unknown = cJSON_IsNumber(code) && code->valueint == 100;
    cJSON_Delete(root);
    return unknown;
}

static void on_check(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    char *status = ltm_http_ok(r) ? ltm_instagram_status(r->body, r->body_len) : NULL;
    if (status && strcmp(status, "PUBLISHED") == 0) {
        ltm_outcome_published(&t->outcome, t->ref);
        ltm_task_finish(t);
    } else if (status && strcmp(status, "FINISHED") == 0) {
        t->ref_ready = 1;
        ltm_task_fail(t, "network", 1,
                      "the publish request got no answer; container %s is ready and not "
                      "published: the next attempt publishes it", t->ref);
    } else if (t->ref_prepared && container_unusable(r, status)) {
        /* FINISHED and unpublished when it was recorded, and Instagram now
         * says it can never be published (EXPIRED, ERROR, unknown): a new
         * container is safe. A status that cannot be read proves nothing: a
         * publish request lost before the row was written may have been
         * carried out since, so that case is unconfirmed like any other. */
        ltm_task_fail(t, "network", 1, "the container of an earlier attempt cannot be published "
                                       "(%s); a new one is created", status ? status : "unknown");
    } else {
        ltm_task_unconfirmed(t, "the publish request got no answer and the container's status "
                                "could not be read (%s); check the account",
                             status ? status : "no status");
    }
    free(status);
}

static void instagram_verify(ltm_task *t)
{
    if (!t->ref) {
        ltm_task_unconfirmed(t, "the publish request got no answer and no container id is known "
                                "to check; check the account");
        return;
    }
    char url[2200], auth[600];
    const char *headers[2];
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s?fields=status_code", t->env->instagram_base, t->ref);
    ltm_task_http(t, "GET", url, headers, 1, NULL, 0, 64 * 1024, on_check);
}

const ltm_channel_ops ltm_instagram_ops = {LTM_CHANNEL_INSTAGRAM, instagram_publish,
                                           instagram_verify, ltm_instagram_read};
