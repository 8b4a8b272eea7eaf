#include "ltm/channels.h"
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Instagram Graph API content publishing: create a media container from an
 * image URL, wait until Instagram has fetched and processed it, then publish
 * it. The container id is the handle for the check after a lost answer: a
 * container that is FINISHED but not PUBLISHED can still be published, one
 * that is PUBLISHED must not be again. The token travels in the
 * Authorization header, never in a URL. */

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

static int is_jpeg(const char *url)
{
    size_t n = strcspn(url, "?#");
    return (n >= 4 && strncasecmp(url + n - 4, ".jpg", 4) == 0) ||
           (n >= 5 && strncasecmp(url + n - 5, ".jpeg", 5) == 0);
}

static void instagram_publish(ltm_task *t)
{
    int story = t->job->kind == LTM_JOB_STORY;
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
    char url[2200], auth[600];
    const char *headers[2];
    headers_for(t, auth, sizeof auth, headers);
    snprintf(url, sizeof url, "%s/%s/media", t->env->instagram_base, t->channel->user_id);
    char *body = ltm_instagram_container_body(t->image_url, t->text, story);
    if (!body) {
        ltm_task_fail(t, "internal", 1, "out of memory");
        return;
    }
    ltm_task_http(t, "POST", url, headers, 2, body, strlen(body), 64 * 1024, on_container);
    free(body);
}

static void on_check(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    char *status = ltm_http_ok(r) ? ltm_instagram_status(r->body, r->body_len) : NULL;
    if (status && strcmp(status, "PUBLISHED") == 0) {
        ltm_outcome_published(&t->outcome, t->ref);
        ltm_task_finish(t);
    } else if (status && strcmp(status, "FINISHED") == 0) {
        ltm_task_fail(t, "network", 1,
                      "the publish request got no answer; container %s is ready and not "
                      "published, so it was not published", t->ref);
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
                                           instagram_verify};
