#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX LTM_FIXTURES_DIR "/publishing/"

static char *fixture(const char *name, size_t *len)
{
    char path[512], *text = NULL;
    snprintf(path, sizeof path, FIX "%s", name);
    assert_int_equal(ltm_read_file(path, 1 << 20, &text, len), LTM_OK);
    return text;
}

static void linkedin_post_body(void **state)
{
    (void)state;
    char *b = ltm_linkedin_post_body("urn:li:person:abc", "PUBLIC", "Hi \\(all\\)", NULL);
    assert_string_equal(b, "{\"distribution\":{\"feedDistribution\":\"MAIN_FEED\",\"targetEntities\""
                           ":[],\"thirdPartyDistributionChannels\":[]},\"author\":\"urn:li:person:"
                           "abc\",\"commentary\":\"Hi \\\\(all\\\\)\",\"visibility\":\"PUBLIC\","
                           "\"lifecycleState\":\"PUBLISHED\",\"isReshareDisabledByAuthor\":false}");
    free(b);
    b = ltm_linkedin_post_body("urn:li:person:abc", NULL, "x", "urn:li:image:C4E");
    cJSON *o = cJSON_Parse(b);
    cJSON *media = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "content"), "media");
    assert_string_equal(cJSON_GetObjectItem(media, "id")->valuestring, "urn:li:image:C4E");
    cJSON_Delete(o);
    free(b);
}

static void linkedin_upload_and_recent_posts(void **state)
{
    (void)state;
    size_t len;
    char *up = fixture("linkedin-upload.json", &len), *url = NULL, *urn = NULL;
    assert_int_equal(ltm_linkedin_upload_parse(up, len, &url, &urn), LTM_OK);
    assert_string_equal(url, "https://www.linkedin.com/dms-uploads/sp/v2/D4E10AQ/upload");
    assert_string_equal(urn, "urn:li:image:C4E10AQ");
    free(url);
    free(urn);
    free(up);
    assert_int_equal(ltm_linkedin_upload_parse("{}", 2, &url, &urn), LTM_EINVAL);

    char *recent = fixture("linkedin-recent.json", &len), *id = NULL;
    assert_int_equal(ltm_linkedin_find_post(recent, len, "Teams \\(small\\) win {hashtag|\\#|always}",
                                            &id), 1);
    assert_string_equal(id, "urn:li:share:1");
    free(id);
    assert_int_equal(ltm_linkedin_find_post(recent, len, "Not there", &id), 0);
    assert_null(id);
    free(recent);
    assert_int_equal(ltm_linkedin_find_post("oops", 4, "x", &id), LTM_EINVAL);
}

static void url_encode(void **state)
{
    (void)state;
    char *e = ltm_url_encode("urn:li:organization:12345 a/b");
    assert_string_equal(e, "urn%3Ali%3Aorganization%3A12345%20a%2Fb");
    free(e);
}

static void instagram_bodies(void **state)
{
    (void)state;
    char *b = ltm_instagram_container_body("https://x/a.jpg", "Hello", 0);
    assert_string_equal(b, "{\"image_url\":\"https://x/a.jpg\",\"caption\":\"Hello\"}");
    free(b);
    b = ltm_instagram_container_body("https://x/s.jpg", "ignored", 1);
    assert_string_equal(b, "{\"image_url\":\"https://x/s.jpg\",\"media_type\":\"STORIES\"}");
    free(b);
    const char *created = "{\"id\":\"1789\"}";
    char *id = ltm_instagram_id(created, strlen(created));
    assert_string_equal(id, "1789");
    free(id);
    const char *status = "{\"status_code\":\"FINISHED\",\"id\":\"1\"}";
    char *st = ltm_instagram_status(status, strlen(status));
    assert_string_equal(st, "FINISHED");
    free(st);
    assert_null(ltm_instagram_id("{\"error\":{}}", 12));
}

static int limit_of(const char *body, ltm_instagram_limit *l, char *reason, size_t size)
{
    return ltm_instagram_limit_parse(body, strlen(body), l, reason, size);
}

static void instagram_publishing_limit(void **state)
{
    (void)state;
    size_t len;
    char reason[200] = "";
    ltm_instagram_limit l;
    char *text = fixture("instagram-content-publishing-limit.json", &len);
    assert_int_equal(ltm_instagram_limit_parse(text, len, &l, reason, sizeof reason), LTM_OK);
    assert_true(l.usage == 2 && l.total == 50 && l.duration_s == 86400);
    free(text);
    text = fixture("instagram-content-publishing-limit-used-up.json", &len);
    assert_int_equal(ltm_instagram_limit_parse(text, len, &l, reason, sizeof reason), LTM_OK);
    assert_true(l.usage == 50 && l.total == 50);
    free(text);

    /* Without a duration (it is only a label in the error text). */
    const char *no_duration = "{\"data\":[{\"quota_usage\":0,\"config\":{\"quota_total\":100}}]}";
    assert_int_equal(limit_of(no_duration, &l, reason, sizeof reason), LTM_OK);
    assert_true(l.usage == 0 && l.total == 100 && l.duration_s == 0);

    /* Anything else is unreadable, and l is left alone. */
    static const char *bad[] = {
        "",
        "{\"data\": [{\"quota_usage\": 3",
        "{\"data\":[]}",
        "{\"data\":{}}",
        "{\"data\":[{\"quota_usage\":2}]}", /* no config: the default fields */
        "{\"data\":[{\"config\":{\"quota_total\":50}}]}",
        "{\"data\":[{\"quota_usage\":\"2\",\"config\":{\"quota_total\":50}}]}",
        "{\"data\":[{\"quota_usage\":2.5,\"config\":{\"quota_total\":50}}]}",
        "{\"data\":[{\"quota_usage\":-1,\"config\":{\"quota_total\":50}}]}",
        "{\"data\":[{\"quota_usage\":2,\"config\":{\"quota_total\":0}}]}",
        "{\"error\":{\"message\":\"x\",\"code\":2}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ltm_instagram_limit untouched = {7, 7, 7};
        reason[0] = '\0';
        assert_int_equal(limit_of(bad[i], &untouched, reason, sizeof reason), LTM_EINVAL);
        assert_true(untouched.usage == 7 && untouched.total == 7 && untouched.duration_s == 7);
        assert_true(reason[0] != '\0');
    }
    assert_int_equal(limit_of(bad[6], &l, reason, sizeof reason), LTM_EINVAL);
    assert_non_null(strstr(reason, "quota_usage"));
}

static void rapidapi_body_and_id(void **state)
{
    (void)state;
    ltm_channel ch = {0};
    ch.text_field = "message";
    ch.image_field = "media_url";
    ch.id_field = "post_id";
    ch.extra_json = "{\"network\":\"linkedin\",\"message\":\"fixed\"}";
    char *b = ltm_rapidapi_body(&ch, "Hello", "https://x/a.jpg");
    assert_string_equal(b, "{\"network\":\"linkedin\",\"message\":\"Hello\",\"media_url\":\"https://x/a.jpg\"}");
    free(b);
    const char *numeric = "{\"post_id\": 12345}";
    char *id = ltm_rapidapi_id(&ch, numeric, strlen(numeric));
    assert_string_equal(id, "12345");
    free(id);
    const char *nested = "{\"data\":{\"post_id\":\"urn:li:share:9\"}}";
    id = ltm_rapidapi_id(&ch, nested, strlen(nested));
    assert_string_equal(id, "urn:li:share:9");
    free(id);
    assert_null(ltm_rapidapi_id(&ch, "{}", 2));
}

static ltm_job sample_job(void)
{
    ltm_job j = {0};
    j.job_id = "post:acme:2026-11-27T12:00:00Z";
    j.kind = LTM_JOB_POST;
    j.account = "acme";
    j.attempt = 2;
    j.max_attempts = 3;
    j.slot_ms = 1795780800000LL; /* 2026-11-27T12:00:00Z */
    return j;
}

static void webhook_body(void **state)
{
    (void)state;
    ltm_job j = sample_job();
    char *b = ltm_webhook_body(&j, "Hello", NULL, "ltm-poster-1");
    cJSON *o = cJSON_Parse(b);
    assert_string_equal(cJSON_GetObjectItem(o, "job_id")->valuestring, j.job_id);
    assert_string_equal(cJSON_GetObjectItem(o, "kind")->valuestring, "post");
    assert_int_equal(cJSON_GetObjectItem(o, "attempt")->valueint, 2);
    assert_string_equal(cJSON_GetObjectItem(o, "slot")->valuestring, "2026-11-27T12:00:00.000Z");
    assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring, "Hello");
    assert_null(cJSON_GetObjectItem(o, "image_url"));
    assert_string_equal(cJSON_GetObjectItem(o, "worker")->valuestring, "ltm-poster-1");
    assert_non_null(cJSON_GetObjectItem(o, "sent_at"));
    cJSON_Delete(o);
    free(b);
}

static void sandbox_record(void **state)
{
    (void)state;
    ltm_job j = sample_job();
    j.text = "Final";
    char *line = ltm_sandbox_record(&j, 1795780801000LL);
    assert_string_equal(line, "{\"remote_id\":\"sandbox:post:acme:2026-11-27T12:00:00Z\",\"job_id\":"
                              "\"post:acme:2026-11-27T12:00:00Z\",\"kind\":\"post\",\"account\":"
                              "\"acme\",\"attempt\":2,\"slot\":\"2026-11-27T12:00:00.000Z\","
                              "\"published_at\":\"2026-11-27T12:00:01.000Z\",\"text\":"
                              "\"[SANDBOX] Final\"}");
    free(line);
    j.text = NULL;
    j.prompt = "Be brief";
    char *text = ltm_sandbox_text(&j);
    assert_non_null(strstr(text, "[SANDBOX] Post for account acme"));
    assert_non_null(strstr(text, "Prompt: Be brief"));
    free(text);
}

static void linkedin_stats_urls(void **state)
{
    (void)state;
    char *u = ltm_linkedin_member_stats_url("http://li", "urn:li:share:714", "IMPRESSION");
    assert_string_equal(u, "http://li/rest/memberCreatorPostAnalytics?q=entity&entity=(share:urn%3Ali"
                           "%3Ashare%3A714)&queryType=IMPRESSION&aggregation=TOTAL");
    free(u);
    u = ltm_linkedin_member_stats_url("http://li", "urn:li:ugcPost:9", "RESHARE");
    assert_string_equal(u, "http://li/rest/memberCreatorPostAnalytics?q=entity&entity=(ugc:urn%3Ali"
                           "%3AugcPost%3A9)&queryType=RESHARE&aggregation=TOTAL");
    free(u);
    u = ltm_linkedin_share_stats_url("http://li", "urn:li:organization:12345", "urn:li:share:7");
    assert_string_equal(u, "http://li/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                           "&organizationalEntity=urn%3Ali%3Aorganization%3A12345&shares=List(urn%3Ali"
                           "%3Ashare%3A7)");
    free(u);
    u = ltm_linkedin_share_stats_url("http://li", "urn:li:organization:1", "urn:li:ugcPost:8");
    assert_non_null(strstr(u, "&ugcPosts=List(urn%3Ali%3AugcPost%3A8)"));
    free(u);
    assert_null(ltm_linkedin_member_stats_url("http://li", "urn:li:image:C4E", "IMPRESSION"));
    assert_null(ltm_linkedin_share_stats_url("http://li", "urn:li:organization:1", "urn:li:share:"));
}

static void linkedin_member_stat(void **state)
{
    (void)state;
    size_t len;
    char reason[160];
    int64_t n;
    char *b = fixture("linkedin-member-stat-nested.json", &len);
    assert_int_equal(ltm_linkedin_member_stat_parse(b, len, "IMPRESSION", &n, reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(n, 1204);
    /* An answer for another metric is not taken for this one. */
    assert_int_equal(ltm_linkedin_member_stat_parse(b, len, "COMMENT", &n, reason, sizeof reason),
                     LTM_EINVAL);
    assert_non_null(strstr(reason, "metricType IMPRESSION"));
    free(b);
    b = fixture("linkedin-member-stat-string.json", &len);
    assert_int_equal(ltm_linkedin_member_stat_parse(b, len, "REACTION", &n, reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(n, 37);
    free(b);
    b = fixture("linkedin-member-stat-empty.json", &len);
    assert_int_equal(ltm_linkedin_member_stat_parse(b, len, "COMMENT", &n, reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(n, -1); /* nothing counted: no figure, not 0 */
    free(b);
    const char *bad[] = {"<html>busy</html>", "{\"elements\":{}}", "{\"paging\":{}}",
                         "{\"elements\":[{\"metricType\":\"COMMENT\",\"count\":\"3\"}]}",
                         "{\"elements\":[{\"metricType\":\"COMMENT\",\"count\":-2}]}",
                         "{\"elements\":[{\"metricType\":\"COMMENT\",\"count\":2.5}]}",
                         "{\"elements\":[{\"metricType\":{\"a\":1},\"count\":2}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reason[0] = '\0';
        assert_int_equal(ltm_linkedin_member_stat_parse(bad[i], strlen(bad[i]), "COMMENT", &n,
                                                        reason, sizeof reason),
                         LTM_EINVAL);
        assert_true(reason[0] != '\0');
    }
}

/* Counts LinkedIn sums past what the wire carries stay just past it, never
 * wrap (signed overflow), and the read then fails naming the figure. */
static void linkedin_member_sum_beyond_the_wire(void **state)
{
    (void)state;
    char reason[160];
    int64_t n;
    const char *three = "{\"elements\":[{\"count\":9000000000000000},"
                        "{\"count\":9000000000000000},{\"count\":1}]}";
    assert_int_equal(ltm_linkedin_member_stat_parse(three, strlen(three), "IMPRESSION", &n, reason,
                                                    sizeof reason),
                     LTM_OK);
    assert_int_equal(n, LTM_FIGURE_MAX + 1);
    /* 1100 x 9e15 would overflow int64_t many times over. */
    size_t size = 32 + 1100 * 30;
    char *many = malloc(size);
    assert_non_null(many);
    size_t at = (size_t)snprintf(many, size, "{\"elements\":[");
    for (int i = 0; i < 1100; i++)
        at += (size_t)snprintf(many + at, size - at, "%s{\"count\":9000000000000000}",
                               i ? "," : "");
    snprintf(many + at, size - at, "]}");
    assert_int_equal(ltm_linkedin_member_stat_parse(many, strlen(many), "IMPRESSION", &n, reason,
                                                    sizeof reason),
                     LTM_OK);
    assert_int_equal(n, LTM_FIGURE_MAX + 1);
    free(many);
    const char *huge = "{\"elements\":[{\"count\":1e300}]}";
    assert_int_equal(ltm_linkedin_member_stat_parse(huge, strlen(huge), "IMPRESSION", &n, reason,
                                                    sizeof reason),
                     LTM_EINVAL);

    ltm_figures f;
    ltm_figures_unset(&f);
    f.impressions = LTM_FIGURE_MAX;
    ltm_outcome o;
    ltm_outcome_read(&o, &f);
    assert_int_equal(o.status, LTM_RESULT_READ);
    assert_int_equal(o.figures.impressions, LTM_FIGURE_MAX);
    f.reach = LTM_FIGURE_MAX + 1;
    ltm_outcome_read(&o, &f);
    assert_int_equal(o.status, LTM_RESULT_FAILED);
    assert_string_equal(o.error_class, "server");
    assert_true(o.retryable);
    assert_non_null(strstr(o.error, "figure reach out of range: 1000000000001"));
    ltm_figures_unset(&f);
    f.saves = 9000000000000000LL; /* Instagram's and RapidAPI's parsers accept this much */
    ltm_outcome_read(&o, &f);
    assert_int_equal(o.status, LTM_RESULT_FAILED);
    assert_non_null(strstr(o.error, "figure saves out of range"));
}

static void linkedin_share_stats(void **state)
{
    (void)state;
    size_t len;
    char reason[160];
    ltm_figures f;
    char *b = fixture("linkedin-share-stats.json", &len);
    assert_int_equal(ltm_linkedin_share_stats_parse(b, len, "urn:li:share:7132564752928563200", &f,
                                                    reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(f.impressions, 500);
    assert_int_equal(f.reach, 410);
    assert_int_equal(f.reactions, 30);
    assert_int_equal(f.comments, 4);
    assert_int_equal(f.shares, 2);
    assert_int_equal(f.saves, -1); /* not offered for organization posts */
    assert_int_equal(ltm_linkedin_share_stats_parse(b, len, "urn:li:ugcPost:7132564752928563999",
                                                    &f, reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(f.impressions, 7);
    assert_int_equal(f.reactions, 0); /* likeCount -1 after an unlike */
    /* Left out of the answer: no activity yet. */
    assert_int_equal(ltm_linkedin_share_stats_parse(b, len, "urn:li:share:1", &f, reason,
                                                    sizeof reason),
                     LTM_OK);
    assert_int_equal(f.impressions, 0);
    assert_int_equal(f.shares, 0);
    free(b);
    const char *bad[] = {"not json", "{\"paging\":{}}",
                         "{\"elements\":[{\"share\":\"urn:li:share:1\"}]}",
                         ("{\"elements\":[{\"share\":\"urn:li:share:1\",\"totalShareStatistics\":"
                          "{\"impressionCount\":5}}]}")};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reason[0] = '\0';
        assert_int_equal(ltm_linkedin_share_stats_parse(bad[i], strlen(bad[i]), "urn:li:share:1",
                                                        &f, reason, sizeof reason),
                         LTM_EINVAL);
        assert_true(reason[0] != '\0');
        assert_int_equal(f.impressions, -1);
    }
}

/* The formula of docs/publishing.md; the values come from its Python form. */
static void sandbox_figures(void **state)
{
    (void)state;
    const char *id = "sandbox:post:acme:2026-11-27T12:00:00Z";
    ltm_figures f;
    ltm_sandbox_figures(id, 3600000, 0, &f);
    ltm_figures hour = {467, 396, 11, 1, 1, 1};
    assert_memory_equal(&f, &hour, sizeof f);
    ltm_sandbox_figures(id, 86400000, 0, &f);
    ltm_figures day = {1892, 1608, 48, 4, 6, 6};
    assert_memory_equal(&f, &day, sizeof f);
    ltm_figures earlier = f;
    ltm_sandbox_figures(id, 604800000, 0, &f);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        assert_true(ltm_figure_get(&f, i) >= ltm_figure_get(&earlier, i));
    assert_true(f.impressions >= f.reach && f.reach >= f.reactions && f.reactions >= f.comments);
    ltm_sandbox_figures("sandbox:story:acme:2026-11-27T12:00:00Z", 3600000, 1, &f);
    ltm_figures story = {1141, 718, -1, 3, 1, -1};
    assert_memory_equal(&f, &story, sizeof f);
}

static void channel_table(void **state)
{
    (void)state;
    assert_non_null(ltm_channel_ops_of(LTM_CHANNEL_LINKEDIN)->verify);
    assert_non_null(ltm_channel_ops_of(LTM_CHANNEL_INSTAGRAM)->verify);
    assert_null(ltm_channel_ops_of(LTM_CHANNEL_RAPIDAPI)->verify);
    assert_null(ltm_channel_ops_of(LTM_CHANNEL_WEBHOOK)->verify);
    assert_non_null(ltm_channel_ops_of(LTM_CHANNEL_LINKEDIN)->read);
    assert_non_null(ltm_channel_ops_of(LTM_CHANNEL_SANDBOX)->read);
    assert_null(ltm_channel_ops_of(LTM_CHANNEL_WEBHOOK)->read);
    assert_int_equal(ltm_channel_ops_of(LTM_CHANNEL_SANDBOX)->type, LTM_CHANNEL_SANDBOX);
    assert_false(ltm_channel_has_stories(LTM_CHANNEL_LINKEDIN));
    assert_false(ltm_channel_has_stories(LTM_CHANNEL_RAPIDAPI));
    assert_true(ltm_channel_has_stories(LTM_CHANNEL_INSTAGRAM));
}

/* ---- engagement read-back ------------------------------------------------ */

static void instagram_insights_metric_lists(void **state)
{
    (void)state;
    char list[200];
    assert_int_equal(ltm_instagram_insights_metrics(LTM_JOB_POST, 0, list, sizeof list), 6);
    assert_string_equal(list, "views,reach,likes,comments,shares,saved");
    assert_int_equal(ltm_instagram_insights_metrics(LTM_JOB_STORY, 0, list, sizeof list), 4);
    assert_string_equal(list, "views,reach,replies,shares");
    /* shares refused (index 5): left out, the others still asked. */
    assert_int_equal(ltm_instagram_insights_metrics(LTM_JOB_POST, 1u << 5, list, sizeof list), 5);
    assert_string_equal(list, "views,reach,likes,comments,saved");
    assert_int_equal(ltm_instagram_insights_metrics(LTM_JOB_STORY, 0x7f, list, sizeof list), 0);
    assert_string_equal(list, "");
    assert_int_equal(ltm_instagram_insights_metrics(LTM_JOB_POST, 0, list, 10), 0);
}

static void instagram_insights_of_a_post_and_a_story(void **state)
{
    (void)state;
    size_t len;
    ltm_figures f;
    int found;
    char why[200];
    char *post = fixture("instagram-insights-post.json", &len);
    assert_int_equal(ltm_instagram_insights_parse(post, len, &f, &found, why, sizeof why), LTM_OK);
    assert_int_equal(found, 6);
    assert_int_equal(f.impressions, 1520);
    assert_int_equal(f.reach, 1204);
    assert_int_equal(f.reactions, 87);
    assert_int_equal(f.comments, 9);
    assert_int_equal(f.shares, 4);
    assert_int_equal(f.saves, 12);
    free(post);
    /* A story: views in the total_value shape, replies as comments, no likes
     * or saves (absent, not 0), navigation ignored. */
    char *story = fixture("instagram-insights-story.json", &len);
    assert_int_equal(ltm_instagram_insights_parse(story, len, &f, &found, why, sizeof why), LTM_OK);
    assert_int_equal(found, 4);
    assert_int_equal(f.impressions, 340);
    assert_int_equal(f.reach, 301);
    assert_int_equal(f.comments, 3);
    assert_int_equal(f.shares, 0);
    assert_int_equal(f.reactions, -1);
    assert_int_equal(f.saves, -1);
    free(story);
    /* "an empty data set instead of 0". */
    assert_int_equal(ltm_instagram_insights_parse("{\"data\":[]}", 11, &f, &found, why, sizeof why),
                     LTM_OK);
    assert_int_equal(found, 0);
    assert_int_equal(f.impressions, -1);
}

static void instagram_insights_malformed(void **state)
{
    (void)state;
    ltm_figures f;
    int found = 7;
    char why[200];
    const char *bad[] = {
        "<html>busy</html>",
        "{\"data\":{}}",
        "{\"data\":[{\"name\":\"reach\",\"values\":[{\"value\":-3}]}]}",
        "{\"data\":[{\"name\":\"reach\",\"values\":[{\"value\":\"12\"}]}]}",
        "{\"data\":[{\"name\":\"views\",\"values\":[{\"value\":1.5}]}]}",
        "{\"data\":[{\"name\":\"likes\",\"values\":[]}]}",
        "{\"data\":[{\"name\":\"saved\",\"values\":[{\"value\":1e300}]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_int_equal(ltm_instagram_insights_parse(bad[i], strlen(bad[i]), &f, &found, why,
                                                      sizeof why), LTM_EINVAL);
        assert_int_equal(found, 0);
        assert_true(why[0] != '\0');
    }
    const char *odd = "{\"data\":[{\"name\":\"follows\",\"values\":[{\"value\":\"x\"}]},"
                      "{\"values\":[{\"value\":2}]},{\"name\":\"likes\",\"values\":[{\"value\":2}]}]}";
    assert_int_equal(ltm_instagram_insights_parse(odd, strlen(odd), &f, &found, why, sizeof why),
                     LTM_OK);
    assert_int_equal(found, 1);
    assert_int_equal(f.reactions, 2);
}

static void instagram_unsupported_metric(void **state)
{
    (void)state;
    size_t len;
    char *body = fixture("instagram-insights-unsupported.json", &len);
    assert_int_equal(ltm_instagram_unsupported_metric(body, len, LTM_JOB_POST, 0), 5);
    /* Already left out, or not asked of a story's list: not ours to drop. */
    assert_int_equal(ltm_instagram_unsupported_metric(body, len, LTM_JOB_POST, 1u << 5), -1);
    free(body);
    const char *views = "{\"error\":{\"message\":\"(#100) The Media Insights API does not support "
                        "the views metric for this media product type.\",\"code\":100}}";
    assert_int_equal(ltm_instagram_unsupported_metric(views, strlen(views), LTM_JOB_STORY, 0), 0);
    const char *saved = "{\"error\":{\"message\":\"(#100) The metric saved is not supported for "
                        "this media type\",\"code\":100}}";
    assert_int_equal(ltm_instagram_unsupported_metric(saved, strlen(saved), LTM_JOB_STORY, 0), -1);
    const char *every = "{\"error\":{\"message\":\"(#100) metric[0] must be one of the following "
                        "values: views, reach, likes, comments, shares, saved\",\"code\":100}}";
    assert_int_equal(ltm_instagram_unsupported_metric(every, strlen(every), LTM_JOB_POST, 0), -1);
    const char *other = "{\"error\":{\"message\":\"(#10) The metric shares is not supported\","
                        "\"code\":10}}";
    assert_int_equal(ltm_instagram_unsupported_metric(other, strlen(other), LTM_JOB_POST, 0), -1);
    const char *word = "{\"error\":{\"message\":\"The metric reach_total is not supported\","
                       "\"code\":100}}";
    assert_int_equal(ltm_instagram_unsupported_metric(word, strlen(word), LTM_JOB_POST, 0), -1);
    assert_int_equal(ltm_instagram_unsupported_metric("nope", 4, LTM_JOB_POST, 0), -1);
    /* All the named ones at once, for the single retry. */
    const char *two = "{\"error\":{\"message\":\"(#100) The metrics shares and saved are not "
                      "supported for this media type\",\"code\":100}}";
    int refusal;
    assert_int_equal(ltm_instagram_refused_metrics(two, strlen(two), LTM_JOB_POST, 0, &refusal),
                     1u << 5 | 1u << 6);
    assert_true(refusal);
    const char *none = "{\"error\":{\"message\":\"(#100) This metric is not supported\","
                       "\"code\":100}}";
    assert_int_equal(ltm_instagram_refused_metrics(none, strlen(none), LTM_JOB_POST, 0, &refusal),
                     0);
    assert_true(refusal);
    assert_int_equal(ltm_instagram_refused_metrics(every, strlen(every), LTM_JOB_POST, 0, &refusal),
                     0);
    assert_false(refusal);
}

static void rapidapi_stats_url_and_figures(void **state)
{
    (void)state;
    ltm_channel ch = {.type = LTM_CHANNEL_RAPIDAPI, .host = "li-data.p.rapidapi.com"};
    assert_null(ltm_rapidapi_stats_url(&ch, NULL, "urn:li:share:7"));
    ch.stats_path = "/get-post?urn={id}&full=1";
    char *url = ltm_rapidapi_stats_url(&ch, NULL, "urn:li:share:7");
    assert_string_equal(url, "https://li-data.p.rapidapi.com/get-post?urn=urn%3Ali%3Ashare%3A7&full=1");
    free(url);
    url = ltm_rapidapi_stats_url(&ch, "http://127.0.0.1:9", "a b/c");
    assert_string_equal(url, "http://127.0.0.1:9/get-post?urn=a%20b%2Fc&full=1");
    free(url);

    ch.stats_fields[2] = "data.totalReactionCount";
    ch.stats_fields[3] = "data.commentsCount";
    ch.stats_fields[4] = "data.reposts.0.count";
    ch.stats_fields[5] = "data.saves";
    const char *body = "{\"success\":true,\"data\":{\"totalReactionCount\":57,\"commentsCount\":"
                       "\"6\",\"reposts\":[{\"count\":2}],\"saves\":null,\"likeCount\":40}}";
    ltm_figures f;
    int found;
    char why[300];
    assert_int_equal(ltm_rapidapi_stats_parse(&ch, body, strlen(body), &f, &found, why, sizeof why),
                     LTM_OK);
    assert_int_equal(found, 3);
    assert_int_equal(f.reactions, 57);
    assert_int_equal(f.comments, 6); /* digits in a string count */
    assert_int_equal(f.shares, 2);
    assert_int_equal(f.saves, -1); /* null: not given */
    assert_int_equal(f.impressions, -1);
    assert_int_equal(f.reach, -1);
    const char *bad[] = {
        "<html>",
        "{\"data\":{\"totalReactionCount\":-1}}",
        "{\"data\":{\"totalReactionCount\":\"12k\"}}",
        "{\"data\":{\"commentsCount\":{\"n\":1}}}",
        "{\"data\":{\"commentsCount\":2.5}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_int_equal(ltm_rapidapi_stats_parse(&ch, bad[i], strlen(bad[i]), &f, &found, why,
                                                  sizeof why), LTM_EINVAL);
        assert_int_equal(found, 0);
        assert_true(why[0] != '\0');
    }
    /* Paths that lead nowhere are absent, not errors. */
    const char *elsewhere = "{\"data\":[1,2],\"items\":{}}";
    assert_int_equal(ltm_rapidapi_stats_parse(&ch, elsewhere, strlen(elsewhere), &f, &found, why,
                                              sizeof why), LTM_OK);
    assert_int_equal(found, 0);
    ch.stats_fields[2] = "items.1.n";
    const char *list = "{\"items\":[{\"n\":1},{\"n\":9}]}";
    assert_int_equal(ltm_rapidapi_stats_parse(&ch, list, strlen(list), &f, &found, why, sizeof why),
                     LTM_OK);
    assert_int_equal(f.reactions, 9);
}

static void read_stages(void **state)
{
    (void)state;
    assert_non_null(ltm_channel_ops_of(LTM_CHANNEL_INSTAGRAM)->read);
    assert_non_null(ltm_channel_ops_of(LTM_CHANNEL_RAPIDAPI)->read);
    assert_null(ltm_channel_ops_of(LTM_CHANNEL_WEBHOOK)->read);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linkedin_post_body),
        cmocka_unit_test(linkedin_upload_and_recent_posts),
        cmocka_unit_test(url_encode),
        cmocka_unit_test(instagram_bodies),
        cmocka_unit_test(instagram_publishing_limit),
        cmocka_unit_test(rapidapi_body_and_id),
        cmocka_unit_test(webhook_body),
        cmocka_unit_test(sandbox_record),
        cmocka_unit_test(linkedin_stats_urls),
        cmocka_unit_test(linkedin_member_stat),
        cmocka_unit_test(linkedin_share_stats),
        cmocka_unit_test(linkedin_member_sum_beyond_the_wire),
        cmocka_unit_test(sandbox_figures),
        cmocka_unit_test(channel_table),
        cmocka_unit_test(instagram_insights_metric_lists),
        cmocka_unit_test(instagram_insights_of_a_post_and_a_story),
        cmocka_unit_test(instagram_insights_malformed),
        cmocka_unit_test(instagram_unsupported_metric),
        cmocka_unit_test(rapidapi_stats_url_and_figures),
        cmocka_unit_test(read_stages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
