#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "publishing/classify.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX LTM_FIXTURES_DIR "/publishing/"

static char *fixture(const char *name)
{
    char path[512], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, FIX "%s", name);
    assert_int_equal(ltm_read_file(path, 1 << 20, &text, &len), LTM_OK);
    return text;
}

/* An answer as the HTTP layer hands it over. */
static ltm_outcome classify(ltm_api api, int publishing, long status, const char *body,
                            const char *headers)
{
    ltm_http_response r = {0};
    r.status = status;
    r.body = (char *)(body ? body : "");
    r.body_len = strlen(r.body);
    r.headers = (char *)(headers ? headers : "");
    r.sent = 1;
    ltm_outcome o;
    ltm_classify_failure(api, publishing, &r, "acme", &o);
    return o;
}

static void expect(const ltm_outcome *o, ltm_result_status status, const char *cls, int retryable)
{
    assert_int_equal(o->status, status);
    assert_string_equal(o->error_class, cls);
    assert_int_equal(o->retryable, retryable);
    assert_true(o->error[0] != '\0');
}

static void openai_rate_limit_versus_quota(void **state)
{
    (void)state;
    char *rate = fixture("openai-rate.json"), *quota = fixture("openai-quota.json");
    ltm_outcome o = classify(LTM_API_OPENAI, 0, 429, rate, "HTTP/1.1 429\r\nRetry-After: 20\r\n");
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 20000);
    o = classify(LTM_API_OPENAI, 0, 429, rate, "x-ratelimit-reset-requests: 1m30s\r\n"
                                               "x-ratelimit-reset-tokens: 250ms\r\n");
    assert_int_equal(o.retry_after_ms, 90000);
    o = classify(LTM_API_OPENAI, 0, 429, quota, "Retry-After: 20\r\n");
    expect(&o, LTM_RESULT_FAILED, "quota", 0);
    assert_int_equal(o.retry_after_ms, 0);
    assert_non_null(strstr(o.error, "You exceeded your current quota"));
    o = classify(LTM_API_OPENAI, 0, 503, "", NULL);
    expect(&o, LTM_RESULT_FAILED, "server", 1);
    o = classify(LTM_API_OPENAI, 0, 401, "{\"error\":{\"message\":\"bad key\"}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "auth", 0);
    free(rate);
    free(quota);
}

static void linkedin_answers(void **state)
{
    (void)state;
    char *dup = fixture("linkedin-duplicate.json");
    ltm_outcome o = classify(LTM_API_LINKEDIN, 1, 401, "{\"message\":\"revoked\"}", NULL);
    expect(&o, LTM_RESULT_FAILED, "auth", 0);
    assert_non_null(strstr(o.error, "account acme"));
    o = classify(LTM_API_LINKEDIN, 1, 426, "{\"code\":\"NONEXISTENT_VERSION\"}", NULL);
    expect(&o, LTM_RESULT_FAILED, "version", 0);
    o = classify(LTM_API_LINKEDIN, 1, 422, dup, NULL);
    expect(&o, LTM_RESULT_DUPLICATE, "duplicate", 0);
    o = classify(LTM_API_LINKEDIN, 1, 422, "{\"message\":\"/visibility :: bad\"}", NULL);
    expect(&o, LTM_RESULT_FAILED, "validation", 0);
    assert_non_null(strstr(o.error, "/visibility :: bad"));
    o = classify(LTM_API_LINKEDIN, 1, 429, "{}", NULL); /* often no header at all */
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 0);
    o = classify(LTM_API_LINKEDIN, 1, 500, "", NULL);
    expect(&o, LTM_RESULT_FAILED, "server", 1);
    free(dup);
}

static void instagram_error_codes(void **state)
{
    (void)state;
    char *expired = fixture("instagram-expired.json"), *throttled = fixture("instagram-throttled.json");
    ltm_outcome o = classify(LTM_API_INSTAGRAM, 0, 400, expired, NULL);
    expect(&o, LTM_RESULT_FAILED, "auth", 0);
    assert_non_null(strstr(o.error, "code 190"));
    o = classify(LTM_API_INSTAGRAM, 0, 400, throttled, NULL);
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    o = classify(LTM_API_INSTAGRAM, 0, 500, "{\"error\":{\"message\":\"x\",\"code\":2}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "server", 1);
    o = classify(LTM_API_INSTAGRAM, 0, 400, "{\"error\":{\"message\":\"x\",\"code\":100}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "validation", 0);
    char *limit = fixture("instagram-publishing-limit.json");
    o = classify(LTM_API_INSTAGRAM, 1, 400, limit, NULL);
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 3600000);
    assert_non_null(strstr(o.error, "publishing limit reached for account acme"));
    free(limit);
    free(expired);
    free(throttled);
}

static void rapidapi_rate_limit_versus_monthly_quota(void **state)
{
    (void)state;
    char *rate = fixture("rapidapi-rate.json"), *quota = fixture("rapidapi-quota.json");
    ltm_outcome o = classify(LTM_API_RAPIDAPI, 1, 429, rate, NULL);
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    o = classify(LTM_API_RAPIDAPI, 1, 429, quota, NULL);
    expect(&o, LTM_RESULT_FAILED, "quota", 0);
    o = classify(LTM_API_RAPIDAPI, 1, 403, "{\"message\":\"You are not subscribed to this API.\"}",
                 NULL);
    expect(&o, LTM_RESULT_FAILED, "auth", 0);
    free(rate);
    free(quota);
}

static void replicate_retry_after_in_body(void **state)
{
    (void)state;
    char *t = fixture("replicate-throttled.json");
    ltm_outcome o = classify(LTM_API_REPLICATE, 0, 429, t, NULL);
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 3000);
    o = classify(LTM_API_REPLICATE, 0, 402, "{\"detail\":\"Insufficient credit\"}", NULL);
    expect(&o, LTM_RESULT_FAILED, "quota", 0);
    free(t);
}

static void transport_failures_depend_on_what_was_sent(void **state)
{
    (void)state;
    ltm_http_response r = {0};
    r.body = r.headers = (char *)"";
    r.transport_error = 28;
    snprintf(r.transport_msg, sizeof r.transport_msg, "Timeout was reached");
    ltm_outcome o;
    r.sent = 0;
    ltm_classify_failure(LTM_API_LINKEDIN, 1, &r, "acme", &o);
    expect(&o, LTM_RESULT_FAILED, "network", 1);
    r.sent = 1;
    ltm_classify_failure(LTM_API_LINKEDIN, 1, &r, "acme", &o);
    expect(&o, LTM_RESULT_UNCONFIRMED, "unconfirmed", 0);
    ltm_classify_failure(LTM_API_OPENAI, 0, &r, "acme", &o); /* generation: nothing published */
    expect(&o, LTM_RESULT_FAILED, "network", 1);
    r.transport_error = 0;
    r.status = 200;
    r.truncated = 1;
    ltm_classify_failure(LTM_API_WEBHOOK, 1, &r, "acme", &o);
    expect(&o, LTM_RESULT_UNCONFIRMED, "unconfirmed", 0);
}

static void retry_after_forms(void **state)
{
    (void)state;
    int64_t now = 1764000000000LL; /* 2025-11-24T16:00:00Z */
    assert_int_equal(ltm_retry_after_ms("120", now), 120000);
    assert_int_equal(ltm_retry_after_ms("1.5", now), 1500);
    assert_int_equal(ltm_retry_after_ms("Mon, 24 Nov 2025 16:00:30 GMT", now), 30000);
    assert_int_equal(ltm_retry_after_ms("Mon, 24 Nov 2025 15:00:00 GMT", now), 0);
    assert_int_equal(ltm_retry_after_ms("soon", now), 0);
    assert_int_equal(ltm_retry_after_ms("99999999", now), 7LL * 86400 * 1000);
    assert_int_equal(ltm_reset_duration_ms("6m0s"), 360000);
    assert_int_equal(ltm_reset_duration_ms("20ms"), 20);
    assert_int_equal(ltm_reset_duration_ms("1h2m3.5s"), 3723500);
    assert_int_equal(ltm_reset_duration_ms("3 days"), 0);
}

/* Found by tests/fuzz/fuzz_classify: a delay too large for an int64_t, or
 * NaN, was converted before it was capped (undefined; INT64_MIN on x86). */
static void delays_out_of_range(void **state)
{
    (void)state;
    int64_t now = 1764000000000LL, week = 7LL * 86400 * 1000;
    assert_int_equal(ltm_retry_after_ms("88888888888888888888888", now), week);
    assert_int_equal(ltm_retry_after_ms("1e300", now), week);
    assert_int_equal(ltm_retry_after_ms("inf", now), week);
    assert_int_equal(ltm_retry_after_ms("nan", now), 0);
    assert_int_equal(ltm_reset_duration_ms("nans"), 0);
    assert_int_equal(ltm_reset_duration_ms("1e300h"), week);
    ltm_outcome o = classify(LTM_API_REPLICATE, 0, 429, "{\"retry_after\":1e300}", NULL);
    assert_int_equal(o.retry_after_ms, week);
}

/* An API that echoes the key it was sent, with the key where the message is
 * cut: no piece of it may survive into the error text. */
static void echoed_key_cut_at_the_limit_leaves_no_piece(void **state)
{
    (void)state;
    const char *key = "sk-live-0123456789abcdefXYZ";
    ltm_log_add_secret(key);
    char pad[400], body[700], out[300];
    for (size_t n = 0; n < 5; n++) {
        size_t at = sizeof out - 1 - 10 + n * 4; /* the cut falls inside the key */
        memset(pad, 'a', at);
        pad[at] = '\0';
        snprintf(body, sizeof body, "{\"error\":{\"message\":\"%s%s rejected\"}}", pad, key);
        ltm_api_message(LTM_API_OPENAI, body, strlen(body), out, sizeof out);
        assert_null(strstr(out, "sk-live"));
        assert_true(strlen(out) <= sizeof out - 1);
    }
    memset(pad, 'b', 195);
    pad[195] = '\0';
    snprintf(body, sizeof body, "<html>%s%s</html>", pad, key); /* not JSON: cut at 200 */
    ltm_api_message(LTM_API_LINKEDIN, body, strlen(body), out, sizeof out);
    assert_null(strstr(out, "sk-"));
    snprintf(body, sizeof body, "{\"message\":\"bad key %s\"}", key);
    ltm_api_message(LTM_API_RAPIDAPI, body, strlen(body), out, sizeof out);
    assert_string_equal(out, "bad key [redacted]");
}

static void api_message_is_printable_and_bounded(void **state)
{
    (void)state;
    char out[16];
    ltm_api_message(LTM_API_WEBHOOK, "line1\nline2\tmore text here", 26, out, sizeof out);
    assert_string_equal(out, "line1 line2 mor");
    ltm_api_message(LTM_API_WEBHOOK, "ação ação ação", strlen("ação ação ação"), out, 7);
    assert_string_equal(out, "ação"); /* never half a character */
}

static ltm_outcome read_failure(long status, const char *body, const char *headers, int64_t now)
{
    ltm_http_response r = {0};
    r.status = status;
    r.body = (char *)(body ? body : "");
    r.body_len = strlen(r.body);
    r.headers = (char *)(headers ? headers : "");
    r.sent = 1;
    ltm_outcome o;
    ltm_linkedin_read_failure(&r, "acme", "r_member_postAnalytics", now, &o);
    return o;
}

static void linkedin_read_answers(void **state)
{
    (void)state;
    const int64_t now = 1795780800000LL + 3600000; /* 2026-11-27 13:00 UTC */
    ltm_log_add_secret("li-secret-token-9");
    ltm_outcome o = read_failure(403, "{\"status\":403,\"serviceErrorCode\":100,\"code\":"
                                      "\"ACCESS_DENIED\",\"message\":\"Not enough permissions to "
                                      "access: memberCreatorPostAnalytics.FINDER-entity.20251101 "
                                      "li-secret-token-9\"}", NULL, now);
    expect(&o, LTM_RESULT_FAILED, "permission", 0);
    assert_non_null(strstr(o.error, "r_member_postAnalytics"));
    assert_non_null(strstr(o.error, "account acme"));
    assert_null(strstr(o.error, "li-secret-token-9"));
    o = read_failure(404, "{\"status\":404,\"message\":\"Not Found\"}", NULL, now);
    assert_int_equal(o.status, LTM_RESULT_GONE);
    assert_null(o.error_class);
    assert_non_null(strstr(o.error, "404"));
    o = read_failure(410, "", NULL, now);
    assert_int_equal(o.status, LTM_RESULT_GONE);
    o = read_failure(429, "{\"status\":429,\"message\":\"Resource level throttle\"}",
                     "Retry-After: 3\r\n", now);
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 3000);
    /* The day's calls used up: retried at the next midnight UTC, 11 h away. */
    o = read_failure(429, "{\"status\":429,\"message\":\"Resource level throttle APPLICATION DAY "
                          "limit for calls to this resource is reached.\"}", NULL, now);
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 11 * 3600000LL);
    o = read_failure(429, "{\"message\":\"MEMBER DAY limit reached\"}", "Retry-After: 60\r\n", now);
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 60000);
    o = read_failure(503, "upstream", NULL, now);
    expect(&o, LTM_RESULT_FAILED, "server", 1);
    /* A quota that ends no publish: the check waits (docs/scheduler.md). */
    o = read_failure(402, "{\"message\":\"Payment required\"}", "Retry-After: 90\r\n", now);
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 90000);
    o = read_failure(401, "{\"message\":\"revoked\"}", NULL, now);
    expect(&o, LTM_RESULT_FAILED, "auth", 0);
    ltm_http_response r = {0};
    r.transport_error = 28;
    r.sent = 1;
    r.body = r.headers = (char *)"";
    snprintf(r.transport_msg, sizeof r.transport_msg, "Timeout was reached");
    ltm_linkedin_read_failure(&r, "acme", "r_member_postAnalytics", now, &o);
    expect(&o, LTM_RESULT_FAILED, "network", 1); /* a read is never "unconfirmed" */
}

/* ---- engagement reads ---------------------------------------------------- */

static ltm_outcome classify_read(long status, const char *body, const char *headers)
{
    ltm_http_response r = {0};
    r.status = status;
    r.body = (char *)(body ? body : "");
    r.body_len = strlen(r.body);
    r.headers = (char *)(headers ? headers : "");
    r.sent = 1;
    ltm_outcome o;
    ltm_classify_instagram_read(&r, "acme", &o);
    return o;
}

/* What ends a publish ends no read: every reader's quota and rate limit
 * waits, retryable, with the delay the answer asked for. */
static ltm_outcome classify_any_read(ltm_api api, long status, const char *body,
                                     const char *headers)
{
    ltm_http_response r = {0};
    r.status = status;
    r.body = (char *)(body ? body : "");
    r.body_len = strlen(r.body);
    r.headers = (char *)(headers ? headers : "");
    ltm_outcome o;
    ltm_classify_read_failure(api, &r, "acme", &o);
    return o;
}

static void read_quota_and_rate_limits_wait(void **state)
{
    (void)state;
    char *rate = fixture("rapidapi-rate.json"), *quota = fixture("rapidapi-quota.json");
    ltm_outcome o = classify_any_read(LTM_API_RAPIDAPI, 429, quota, "Retry-After: 3600\r\n");
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 3600000);
    assert_true(ltm_reading_waits(&o));
    o = classify_any_read(LTM_API_RAPIDAPI, 429, quota, NULL);
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 0); /* the scheduler's own pause then */
    o = classify_any_read(LTM_API_RAPIDAPI, 402, "{\"message\":\"pay\"}", "Retry-After: 5\r\n");
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 5000);
    o = classify_any_read(LTM_API_RAPIDAPI, 429, rate, "Retry-After: 2\r\n");
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 2000);
    o = classify_any_read(LTM_API_RAPIDAPI, 403, "{\"message\":\"not subscribed\"}", NULL);
    expect(&o, LTM_RESULT_FAILED, "auth", 0);
    assert_false(ltm_reading_waits(&o));
    /* Instagram's 402 too; a publish's quota keeps its rule. */
    o = classify_read(402, "{\"error\":{\"message\":\"pay\",\"code\":999}}", "Retry-After: 7\r\n");
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 7000);
    o = classify(LTM_API_RAPIDAPI, 1, 429, quota, "Retry-After: 3600\r\n");
    expect(&o, LTM_RESULT_FAILED, "quota", 0);
    assert_int_equal(o.retry_after_ms, 0);
    /* Settling a failure of another class changes nothing. */
    o = classify(LTM_API_RAPIDAPI, 0, 500, "boom", NULL);
    ltm_reading_settle(&o, 1000);
    expect(&o, LTM_RESULT_FAILED, "server", 1);
    assert_int_equal(o.retry_after_ms, 0);
    free(rate);
    free(quota);
}

static void instagram_read_gone_permission_viewers(void **state)
{
    (void)state;
    char *deleted = fixture("instagram-insights-deleted.json");
    ltm_outcome o = classify_read(400, deleted, NULL);
    assert_int_equal(o.status, LTM_RESULT_GONE);
    assert_non_null(strstr(o.error, "subcode 33"));
    free(deleted);

    const char *token = "EAAOcIgReadToken123";
    ltm_log_add_secret(token);
    char *perm = fixture("instagram-insights-permission.json");
    o = classify_read(400, perm, NULL);
    expect(&o, LTM_RESULT_FAILED, "permission", 0);
    assert_non_null(strstr(o.error, "instagram_manage_insights"));
    assert_non_null(strstr(o.error, "account acme"));
    free(perm);
    o = classify_read(403, "{\"error\":{\"message\":\"(#200) Requires instagram_manage_insights "
                           "permission, token EAAOcIgReadToken123\",\"code\":200}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "permission", 0);
    assert_null(strstr(o.error, token));
    o = classify_read(400, "{\"error\":{\"message\":\"x\",\"code\":299}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "permission", 0);

    /* A story under 5 viewers: a reading without figures, not a failure. */
    char *few = fixture("instagram-insights-few-viewers.json");
    o = classify_read(400, few, NULL);
    assert_int_equal(o.status, LTM_RESULT_READ);
    assert_int_equal(o.figures.impressions, -1);
    assert_int_equal(o.figures.reach, -1);
    assert_int_equal(o.figures.saves, -1);
    free(few);

    o = classify_read(400, "{\"error\":{\"message\":\"Invalid parameter\",\"code\":100,"
                           "\"error_subcode\":2108006,\"error_user_title\":\"Media posted before "
                           "business account conversion\"}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "expired", 0);
    o = classify_read(400, "{\"error\":{\"message\":\"bad\",\"code\":100}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "validation", 0);
    o = classify_read(400, "{\"error\":{\"message\":\"expired\",\"code\":190}}", NULL);
    expect(&o, LTM_RESULT_FAILED, "auth", 0);
    o = classify_read(502, "<html>Bad gateway</html>", NULL);
    expect(&o, LTM_RESULT_FAILED, "server", 1);
}

static void instagram_read_throttling_and_quota(void **state)
{
    (void)state;
    char *app = fixture("instagram-throttled.json"), *buc = fixture("instagram-insights-buc-throttled.json");
    /* Code 4 with the app's hourly usage at 100 %: quota, one hour. */
    ltm_outcome o = classify_read(400, app, "HTTP/1.1 400 Bad Request\r\nX-App-Usage: "
                                            "{\"call_count\":100,\"total_cputime\":20,"
                                            "\"total_time\":31}\r\n");
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 3600000);
    /* Code 80002 with a regain time of 7 minutes. */
    o = classify_read(400, buc, "x-business-use-case-usage: {\"17841400000000001\":[{\"type\":"
                                "\"instagram\",\"call_count\":96,\"total_cputime\":12,"
                                "\"total_time\":14,\"estimated_time_to_regain_access\":7}]}\r\n");
    expect(&o, LTM_RESULT_FAILED, "quota", 1);
    assert_int_equal(o.retry_after_ms, 7 * 60000);
    assert_non_null(strstr(o.error, "about 7 min"));
    /* Below the limits, with Retry-After: a short throttle. */
    o = classify_read(400, buc, "X-App-Usage: {\"call_count\":40}\r\nRetry-After: 30\r\n");
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 30000);
    o = classify_read(429, "", NULL);
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 0);
    /* Unreadable usage headers count as none. */
    o = classify_read(400, app, "X-App-Usage: {call_count:100\r\nX-Business-Use-Case-Usage: []\r\n");
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(ltm_meta_quota_wait_ms(NULL), 0);
    assert_int_equal(ltm_meta_quota_wait_ms("X-Business-Use-Case-Usage: {\"1\":[{\"type\":"
                                            "\"instagram\",\"total_time\":100}]}\r\n"),
                     3600000);
    assert_int_equal(ltm_meta_quota_wait_ms("X-Business-Use-Case-Usage: {\"1\":[{"
                                            "\"estimated_time_to_regain_access\":1e30}]}\r\n"),
                     7LL * 86400 * 1000);
    /* The publishing path keeps rate_limited but waits what Meta names. */
    o = classify(LTM_API_INSTAGRAM, 1, 400, buc, "X-Business-Use-Case-Usage: {\"1\":[{"
                                                "\"estimated_time_to_regain_access\":2}]}\r\n");
    expect(&o, LTM_RESULT_FAILED, "rate_limited", 1);
    assert_int_equal(o.retry_after_ms, 120000);
    /* A transport failure is the network's. */
    ltm_http_response r = {0};
    r.transport_error = 28;
    snprintf(r.transport_msg, sizeof r.transport_msg, "Timeout was reached");
    r.body = (char *)"";
    r.headers = (char *)"";
    ltm_classify_instagram_read(&r, "acme", &o);
    expect(&o, LTM_RESULT_FAILED, "network", 1);
    free(app);
    free(buc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openai_rate_limit_versus_quota),
        cmocka_unit_test(linkedin_answers),
        cmocka_unit_test(linkedin_read_answers),
        cmocka_unit_test(read_quota_and_rate_limits_wait),
        cmocka_unit_test(instagram_error_codes),
        cmocka_unit_test(rapidapi_rate_limit_versus_monthly_quota),
        cmocka_unit_test(replicate_retry_after_in_body),
        cmocka_unit_test(transport_failures_depend_on_what_was_sent),
        cmocka_unit_test(retry_after_forms),
        cmocka_unit_test(delays_out_of_range),
        cmocka_unit_test(api_message_is_printable_and_bounded),
        cmocka_unit_test(echoed_key_cut_at_the_limit_leaves_no_piece),
        cmocka_unit_test(instagram_read_gone_permission_viewers),
        cmocka_unit_test(instagram_read_throttling_and_quota),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
