/* The LinkedIn channel: the Posts API request, its answer, publish and verify;
 * the analytics endpoints for engagement reads. */
#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/json.h"
#include "publishing/text_rules.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LinkedIn Posts API (docs/publishing.md, LinkedIn section). A text post is
 * one POST; an image post first copies the image (download, then
 * initializeUpload and PUT of the bytes) because LinkedIn takes no image
 * URL, and a Replicate output must be copied within the hour anyway. */

#define IMAGE_MAX (10u << 20)
#define VERIFY_COUNT 10

char *ltm_url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c)) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

char *ltm_linkedin_post_body(const char *author, const char *visibility, const char *commentary,
                             const char *image_urn)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *dist = cJSON_CreateObject();
    if (!o || !dist || !cJSON_AddItemToObject(o, "distribution", dist)) {
        cJSON_Delete(o);
        cJSON_Delete(dist);
        return NULL;
    }
    int rc = ltm_json_add_str(o, "author", author);
    rc |= ltm_json_add_str(o, "commentary", commentary);
    rc |= ltm_json_add_str(o, "visibility", visibility ? visibility : "PUBLIC");
    rc |= ltm_json_add_str(dist, "feedDistribution", "MAIN_FEED");
    rc |= cJSON_AddArrayToObject(dist, "targetEntities") ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddArrayToObject(dist, "thirdPartyDistributionChannels") ? 0 : LTM_ENOMEM;
    if (image_urn) {
        cJSON *content = cJSON_AddObjectToObject(o, "content");
        cJSON *media = content ? cJSON_AddObjectToObject(content, "media") : NULL;
        rc |= media ? ltm_json_add_str(media, "id", image_urn) : LTM_ENOMEM;
    }
    rc |= ltm_json_add_str(o, "lifecycleState", "PUBLISHED");
    rc |= cJSON_AddFalseToObject(o, "isReshareDisabledByAuthor") ? 0 : LTM_ENOMEM;
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}

int ltm_linkedin_upload_parse(const char *body, size_t len, char **upload_url, char **image_urn)
{
    *upload_url = *image_urn = NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, "value");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(value, "uploadUrl");
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(value, "image");
    int rc = LTM_EINVAL;
    if (cJSON_IsString(u) && cJSON_IsString(i) && strncmp(u->valuestring, "http", 4) == 0 &&
        strncmp(i->valuestring, "urn:li:image:", 13) == 0) {
        *upload_url = strdup(u->valuestring);
        *image_urn = strdup(i->valuestring);
        rc = *upload_url && *image_urn ? LTM_OK : LTM_ENOMEM;
    }
    cJSON_Delete(root);
    if (rc) {
        free(*upload_url);
        free(*image_urn);
        *upload_url = *image_urn = NULL;
    }
    return rc;
}

int ltm_linkedin_find_post(const char *body, size_t len, const char *commentary, char **id)
{
    *id = NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *elements = cJSON_GetObjectItemCaseSensitive(root, "elements");
    if (!cJSON_IsArray(elements)) {
        cJSON_Delete(root);
        return LTM_EINVAL;
    }
    int found = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, elements)
    {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "commentary");
        const cJSON *i = cJSON_GetObjectItemCaseSensitive(e, "id");
        if (cJSON_IsString(c) && cJSON_IsString(i) && strcmp(c->valuestring, commentary) == 0) {
            *id = strdup(i->valuestring);
            found = *id != NULL;
            break;
        }
    }
    cJSON_Delete(root);
    return found;
}

typedef struct {
    char auth[600];
    char version[64];
    const char *list[4];
} li_headers;

static void headers_for(ltm_task *t, li_headers *h)
{
    ltm_bearer(h->auth, sizeof h->auth, t->channel->token);
    snprintf(h->version, sizeof h->version, "LinkedIn-Version: %s", t->env->linkedin_version);
    h->list[0] = h->auth;
    h->list[1] = h->version;
    h->list[2] = "X-Restli-Protocol-Version: 2.0.0";
    h->list[3] = "Content-Type: application/json";
}

static void on_post(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_LINKEDIN, 1, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    /* 201 with an empty body: the post's URN is only in this header. */
    char *id = ltm_http_header(r->headers, "x-restli-id");
    if (!id)
        id = ltm_http_header(r->headers, "x-linkedin-id");
    ltm_outcome_published(&t->outcome, id ? id : "");
    free(id);
    ltm_task_finish(t);
}

static void send_post(ltm_task *t, const char *image_urn)
{
    char *commentary = ltm_linkedin_escape(t->text ? t->text : "");
    char *body = commentary ? ltm_linkedin_post_body(t->channel->author, t->channel->visibility,
                                                     commentary, image_urn)
                            : NULL;
    free(commentary);
    char url[2200];
    li_headers h;
    headers_for(t, &h);
    if (!body || snprintf(url, sizeof url, "%s/rest/posts", t->env->linkedin_base) >= (int)sizeof url) {
        free(body);
        ltm_task_fail(t, "internal", 1, "cannot build the LinkedIn request");
        return;
    }
    if (ltm_task_publishing(t))
        ltm_task_http(t, "POST", url, h.list, 4, body, strlen(body), 64 * 1024, on_post);
    free(body);
}

static void on_upload(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_LINKEDIN, 0, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    free(t->bytes);
    t->bytes = NULL;
    send_post(t, t->ref);
}

static void on_initialize(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_LINKEDIN, 0, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    char *upload = NULL, *urn = NULL;
    if (ltm_linkedin_upload_parse(r->body, r->body_len, &upload, &urn) != LTM_OK) {
        ltm_task_fail(t, "server", 1, "LinkedIn initializeUpload answer without uploadUrl/image");
        return;
    }
    free(t->scratch);
    free(t->ref);
    t->scratch = upload;
    t->ref = urn;
    li_headers h;
    headers_for(t, &h);
    const char *headers[] = {h.auth, "Content-Type: application/octet-stream"};
    ltm_task_http(t, "PUT", t->scratch, headers, 2, t->bytes, t->bytes_len, 64 * 1024, on_upload);
}

static void on_download(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_classify_failure(LTM_API_DOWNLOAD, 0, r, t->job->account, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    if (r->body_len == 0) {
        ltm_task_fail(t, "validation", 0, "the image URL answered with no bytes");
        return;
    }
    free(t->bytes);
    if (!(t->bytes = malloc(r->body_len))) {
        ltm_task_fail(t, "internal", 1, "out of memory");
        return;
    }
    memcpy(t->bytes, r->body, r->body_len);
    t->bytes_len = r->body_len;
    char url[2200], *body = NULL;
    li_headers h;
    headers_for(t, &h);
    snprintf(url, sizeof url, "%s/rest/images?action=initializeUpload", t->env->linkedin_base);
    cJSON *o = cJSON_CreateObject();
    cJSON *req = o ? cJSON_AddObjectToObject(o, "initializeUploadRequest") : NULL;
    if (req && ltm_json_add_str(req, "owner", t->channel->author) == LTM_OK)
        body = ltm_json_finish(o);
    else
        cJSON_Delete(o);
    if (!body) {
        ltm_task_fail(t, "internal", 1, "out of memory");
        return;
    }
    ltm_task_http(t, "POST", url, h.list, 4, body, strlen(body), 64 * 1024, on_initialize);
    free(body);
}

static void linkedin_publish(ltm_task *t)
{
    if (t->image_url)
        ltm_task_download(t, t->image_url, IMAGE_MAX, on_download);
    else
        send_post(t, NULL);
}

static void on_recent(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        ltm_outcome o;
        ltm_classify_failure(LTM_API_LINKEDIN, 0, r, t->job->account, &o);
        ltm_task_unconfirmed(t,
                             "the publish request got no answer and LinkedIn's list of recent "
                             "posts could not be read to check (%s); check the account",
                             o.error);
        return;
    }
    char *commentary = ltm_linkedin_escape(t->text ? t->text : "");
    char *id = NULL;
    int found = commentary ? ltm_linkedin_find_post(r->body, r->body_len, commentary, &id) : -1;
    if (found == 0 && commentary && t->text)
        found = ltm_linkedin_find_post(r->body, r->body_len, t->text, &id);
    free(commentary);
    if (found == 1) {
        ltm_outcome_published(&t->outcome, id);
        free(id);
        ltm_task_finish(t);
    } else if (found == 0) {
        ltm_task_fail(t, "network", 1,
                      "the publish request got no answer; the author's %d most recent posts do "
                      "not contain it, so it was not published",
                      VERIFY_COUNT);
    } else {
        ltm_task_unconfirmed(t, "the publish request got no answer and LinkedIn's list of "
                                "recent posts was unreadable; check the account");
    }
}

static void linkedin_verify(ltm_task *t)
{
    char *author = ltm_url_encode(t->channel->author);
    char url[2400];
    li_headers h;
    headers_for(t, &h);
    if (!author || snprintf(url, sizeof url, "%s/rest/posts?author=%s&q=author&count=%d&sortBy=LAST_MODIFIED",
                            t->env->linkedin_base, author, VERIFY_COUNT) >= (int)sizeof url) {
        free(author);
        ltm_task_unconfirmed(t, "cannot build the LinkedIn check request");
        return;
    }
    free(author);
    ltm_task_http(t, "GET", url, h.list, 3, NULL, 0, 4u << 20, on_recent);
}

/* ---- figures: memberCreatorPostAnalytics, organizationalEntityShareStatistics ---- */

/* A post URN's kind: the analytics calls name shares and ugcPosts apart. */
static const char *urn_kind(const char *urn)
{
    if (strncmp(urn, "urn:li:share:", 13) == 0 && urn[13])
        return "share";
    if (strncmp(urn, "urn:li:ugcPost:", 15) == 0 && urn[15])
        return "ugc";
    return NULL;
}

char *ltm_linkedin_member_stats_url(const char *base, const char *post_urn, const char *query_type)
{
    const char *kind = urn_kind(post_urn);
    char *urn = kind ? ltm_url_encode(post_urn) : NULL;
    char *url = NULL;
    /* entity is a Rest.li union: its parentheses and colon stay as they
     * are, the URN inside is percent-encoded. */
    if (urn && asprintf(&url, "%s/rest/memberCreatorPostAnalytics?q=entity&entity=(%s:%s)"
                              "&queryType=%s&aggregation=TOTAL",
                        base, kind, urn, query_type) < 0)
        url = NULL;
    free(urn);
    return url;
}

char *ltm_linkedin_share_stats_url(const char *base, const char *org_urn, const char *post_urn)
{
    const char *kind = urn_kind(post_urn);
    char *org = kind ? ltm_url_encode(org_urn) : NULL;
    char *urn = org ? ltm_url_encode(post_urn) : NULL;
    char *url = NULL;
    if (urn && asprintf(&url, "%s/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                              "&organizationalEntity=%s&%s=List(%s)",
                        base, org, strcmp(kind, "share") == 0 ? "shares" : "ugcPosts", urn) < 0)
        url = NULL;
    free(org);
    free(urn);
    return url;
}

static int whole_count(const cJSON *n, int64_t *out)
{
    /* The range first: converting a double beyond int64_t is undefined. */
    if (!cJSON_IsNumber(n) || !(n->valuedouble <= 9e15 && n->valuedouble >= -9e15) ||
        n->valuedouble != (double)(int64_t)n->valuedouble)
        return 0;
    *out = (int64_t)n->valuedouble;
    return 1;
}

/* metricType: "IMPRESSION", or {"com.linkedin....CreatorPostAnalyticsMetricTypeV1": "IMPRESSION"}. */
static const char *metric_name(const cJSON *m)
{
    if (cJSON_IsString(m))
        return m->valuestring;
    if (cJSON_IsObject(m) && m->child && !m->child->next && cJSON_IsString(m->child))
        return m->child->valuestring;
    return NULL;
}

int ltm_linkedin_member_stat_parse(const char *body, size_t len, const char *query_type,
                                   int64_t *count, char *reason, size_t reason_size)
{
    *count = -1;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *elements = cJSON_GetObjectItemCaseSensitive(root, "elements");
    int rc = LTM_OK;
    int64_t total = 0;
    size_t n = 0;
    const cJSON *e;
    if (!cJSON_IsArray(elements)) {
        snprintf(reason, reason_size, "no elements array");
        rc = LTM_EINVAL;
    }
    const cJSON *list = rc == LTM_OK ? elements : NULL;
    cJSON_ArrayForEach(e, list)
    {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "metricType");
        const char *name = metric_name(m);
        int64_t c;
        if (m && !name) {
            snprintf(reason, reason_size, "element %zu: unreadable metricType", n);
            rc = LTM_EINVAL;
        } else if (name && strcmp(name, query_type) != 0) {
            snprintf(reason, reason_size, "element %zu: metricType %.40s, asked for %s", n, name,
                     query_type);
            rc = LTM_EINVAL;
        } else if (!whole_count(cJSON_GetObjectItemCaseSensitive(e, "count"), &c) || c < 0) {
            snprintf(reason, reason_size, "element %zu: count is not a whole number >= 0", n);
            rc = LTM_EINVAL;
        } else if (c > LTM_FIGURE_MAX - total) {
            /* Past what the wire carries: kept just past it, never wrapped
             * (signed overflow), so ltm_outcome_read fails it by name. */
            total = LTM_FIGURE_MAX + 1;
        } else {
            total += c;
        }
        if (rc != LTM_OK)
            break;
        n++;
    }
    cJSON_Delete(root);
    if (rc == LTM_OK && n > 0)
        *count = total;
    return rc;
}

int ltm_linkedin_share_stats_parse(const char *body, size_t len, const char *post_urn,
                                   ltm_figures *out, char *reason, size_t reason_size)
{
    static const char *const names[] = {"impressionCount", "uniqueImpressionsCount", "likeCount",
                                        "commentCount", "shareCount"};
    ltm_figures_unset(out);
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *elements = cJSON_GetObjectItemCaseSensitive(root, "elements");
    const cJSON *mine = NULL, *e;
    const cJSON *list = cJSON_IsArray(elements) ? elements : NULL;
    cJSON_ArrayForEach(e, list)
    {
        const cJSON *share = cJSON_GetObjectItemCaseSensitive(e, "share");
        const cJSON *ugc = cJSON_GetObjectItemCaseSensitive(e, "ugcPost");
        if ((cJSON_IsString(share) && strcmp(share->valuestring, post_urn) == 0) ||
            (cJSON_IsString(ugc) && strcmp(ugc->valuestring, post_urn) == 0))
            mine = e;
    }
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(mine, "totalShareStatistics");
    int rc = LTM_OK;
    if (!cJSON_IsArray(elements)) {
        snprintf(reason, reason_size, "no elements array");
        rc = LTM_EINVAL;
    } else if (mine && !cJSON_IsObject(stats)) {
        snprintf(reason, reason_size, "the post's element has no totalShareStatistics");
        rc = LTM_EINVAL;
    }
    for (int i = 0; rc == LTM_OK && i < 5; i++) {
        int64_t v = 0;
        if (mine && !whole_count(cJSON_GetObjectItemCaseSensitive(stats, names[i]), &v)) {
            snprintf(reason, reason_size, "totalShareStatistics.%s is not a whole number",
                     names[i]);
            rc = LTM_EINVAL;
        }
        /* likeCount drops below 0 when members unlike a sponsored share. */
        *ltm_figure_at(out, i) = v < 0 ? 0 : v;
    }
    cJSON_Delete(root);
    if (rc != LTM_OK)
        ltm_figures_unset(out);
    return rc;
}

/* The member metrics, one call each, in the order of ltm_figures. */
static const char *const member_metrics[] = {"IMPRESSION", "MEMBERS_REACHED", "REACTION",
                                             "COMMENT", "RESHARE"};
#define MEMBER_SCOPE "r_member_postAnalytics"
#define ORGANIZATION_SCOPE "rw_organization_admin"

static void read_member_metric(ltm_task *t);

/* GET url (an analytics request; NULL when it could not be built, which
 * fails the read), its answer to done. Takes url. */
static void ask_analytics(ltm_task *t, char *url, ltm_http_callback done)
{
    if (!url) {
        ltm_task_fail(t, "internal", 1, "cannot build the LinkedIn analytics request");
        return;
    }
    li_headers h;
    headers_for(t, &h);
    ltm_task_http(t, "GET", url, h.list, 3, NULL, 0, 1u << 20, done);
    free(url);
}

static int read_answer_ok(ltm_task *t, const ltm_http_response *r, const char *scope)
{
    if (ltm_http_ok(r))
        return 1;
    ltm_linkedin_read_failure(r, t->job->account, scope, ltm_now_ms(), &t->outcome);
    ltm_task_finish(t);
    return 0;
}

static void on_member_metric(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!read_answer_ok(t, r, MEMBER_SCOPE))
        return;
    char reason[160];
    int64_t count;
    const char *metric = member_metrics[t->stage];
    if (ltm_linkedin_member_stat_parse(r->body, r->body_len, metric, &count, reason,
                                       sizeof reason) != LTM_OK) {
        ltm_task_fail(t, "server", 1, "LinkedIn's %s answer for the post is malformed: %s", metric,
                      reason);
        return;
    }
    *ltm_figure_at(&t->figures, t->stage) = count;
    if (++t->stage < (int)(sizeof member_metrics / sizeof member_metrics[0])) {
        read_member_metric(t);
        return;
    }
    ltm_task_read(t, &t->figures);
}

/* Sequential, not in parallel: LinkedIn counts every call against the
 * member's small daily budget, and a failure stops the rest. */
static void read_member_metric(ltm_task *t)
{
    ask_analytics(t, ltm_linkedin_member_stats_url(t->env->linkedin_base, t->job->remote_id,
                                                   member_metrics[t->stage]),
                  on_member_metric);
}

static void on_share_stats(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!read_answer_ok(t, r, ORGANIZATION_SCOPE))
        return;
    char reason[160];
    ltm_figures f;
    if (ltm_linkedin_share_stats_parse(r->body, r->body_len, t->job->remote_id, &f, reason,
                                       sizeof reason) != LTM_OK) {
        ltm_task_fail(t, "server", 1,
                      "LinkedIn's share statistics answer for the post is malformed: %s", reason);
        return;
    }
    ltm_task_read(t, &f);
}

static void linkedin_read(ltm_task *t)
{
    const char *author = t->channel->author;
    ltm_figures_unset(&t->figures);
    t->stage = 0;
    if (!urn_kind(t->job->remote_id)) {
        ltm_task_fail(t, "validation", 0,
                      "remote id %.200s is not a LinkedIn share or ugcPost URN: its figures "
                      "cannot be asked for", t->job->remote_id);
        return;
    }
    if (strncmp(author, "urn:li:person:", 14) == 0) {
        read_member_metric(t);
        return;
    }
    ask_analytics(t,
                  ltm_linkedin_share_stats_url(t->env->linkedin_base, author, t->job->remote_id),
                  on_share_stats);
}

const ltm_channel_ops ltm_linkedin_ops = {LTM_CHANNEL_LINKEDIN, linkedin_publish, linkedin_verify,
                                          linkedin_read};
