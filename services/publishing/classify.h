#ifndef LTM_CLASSIFY_H
#define LTM_CLASSIFY_H

#include "publishing/http.h"
#include "ltm/msg.h"

#include <stdint.h>

/* What one attempt came to, and why, in the terms of ltm_result: every HTTP
 * answer of every provider is turned into one of these by a pure function of
 * (status, headers, body), so each rule of docs/publishing.md is tested on
 * fixtures. The rule that matters most: a publish request that went out and
 * got no answer is never "retryable" here; the worker checks the channel. */

typedef struct {
    ltm_result_status status;  /* published, failed, unconfirmed or duplicate */
    int retryable;
    const char *error_class;   /* static string; NULL when published */
    char error[480];           /* for people; never a secret */
    int64_t retry_after_ms;    /* what the API asked for; 0: nothing */
    char remote_id[512];
    ltm_figures figures;       /* status read */
} ltm_outcome;

/* The provider an answer came from; each speaks its own error dialect. */
typedef enum {
    LTM_API_OPENAI,
    LTM_API_REPLICATE,
    LTM_API_LINKEDIN,
    LTM_API_INSTAGRAM,
    LTM_API_RAPIDAPI,
    LTM_API_WEBHOOK,
    LTM_API_DOWNLOAD, /* fetching image bytes */
} ltm_api;

const char *ltm_api_name(ltm_api api);

/* Instagram's limit of API-published posts per rolling 24 h: nothing says
 * when a slot frees up (it depends on when the oldest of them was
 * published), so a job that meets it is retried in an hour, whether the
 * adapter's check found the quota used up or the publish answered code 9. */
#define LTM_INSTAGRAM_LIMIT_RETRY_MS (60LL * 60 * 1000)

void ltm_outcome_published(ltm_outcome *o, const char *remote_id);
/* Engagement checks: the figures read, or the post no longer exists. A
 * figure beyond LTM_FIGURE_MAX (or below -1, "not offered") fails the read,
 * class server, retryable: "figure <name> out of range: <value> ...". */
void ltm_outcome_read(ltm_outcome *o, const ltm_figures *figures);
void ltm_outcome_gone(ltm_outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ltm_outcome_fail(ltm_outcome *o, const char *error_class, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Classifies an answer that is not a success: a transport failure, or any
 * status outside 2xx. publishing says whether this was the request that
 * publishes (a transport failure after it was sent is then "unconfirmed"
 * instead of retryable). account names the account in auth errors. */
void ltm_classify_failure(ltm_api api, int publishing, const ltm_http_response *resp,
                          const char *account, ltm_outcome *out);

/* Classifies a failed answer of LinkedIn's analytics endpoints (an
 * engagement read): 403 is a missing scope (class permission, not retried;
 * the error names scope), 404/410 the post is gone, a 429 naming the daily
 * (DAY) limit is the quota (retried at its reset: Retry-After, else the next
 * UTC midnight after now_ms), any other 429 rate_limited; the rest as for
 * any LinkedIn call. */
void ltm_linkedin_read_failure(const ltm_http_response *resp, const char *account,
                               const char *scope, int64_t now_ms, ltm_outcome *out);

/* 1 when the answer is a 2xx that arrived whole. */
int ltm_http_ok(const ltm_http_response *resp);

/* Retry-After: delay-seconds or an HTTP-date, relative to now_ms. 0 when
 * absent or unreadable; capped at 7 days. */
int64_t ltm_retry_after_ms(const char *value, int64_t now_ms);
/* OpenAI's x-ratelimit-reset-* durations: "20ms", "1s", "6m0s", "1h2m3.5s". */
int64_t ltm_reset_duration_ms(const char *value);

/* Copies the API's own error message (from the provider's JSON error shape,
 * else the start of the body) into out, printable characters only. */
void ltm_api_message(ltm_api api, const char *body, size_t len, char *out, size_t size);

/* ---- engagement reads (issue 15) ---------------------------------------- */

/* Meta's throttling codes: 4 (app), 17 (user), 32 (Page), 613 (custom),
 * 80001 (Page) and 80002 (Instagram) business use case limits. */
int ltm_meta_throttle_code(int code);
/* When a throttling answer's X-Business-Use-Case-Usage or X-App-Usage shows
 * a usage at 100 % or an estimated_time_to_regain_access (minutes), the wait
 * it asks for: that time, or LTM_META_QUOTA_WAIT_MS when it names none;
 * 0 when the headers show no exhausted quota (or are absent/unreadable). */
#define LTM_META_QUOTA_WAIT_MS (60LL * 60 * 1000)
int64_t ltm_meta_quota_wait_ms(const char *headers);

/* Classifies an answer to Instagram media insights (GET /{media-id}/insights)
 * or to the media check after it that is not a success:
 *   code 10 "Not enough viewers" (a story under 5 viewers) -> read, with
 *     every figure absent;
 *   code 10 otherwise, 200-299 -> failed "permission", not retryable, naming
 *     instagram_manage_insights;
 *   code 100 subcode 33 (object does not exist) -> gone;
 *   code 100 subcode 2108006 (posted before the business conversion) ->
 *     failed "expired", not retryable: its insights never exist;
 *   throttling (ltm_meta_throttle_code, or 429) -> failed "quota" with the
 *     wait of ltm_meta_quota_wait_ms when the usage headers say so, else
 *     "rate_limited" with Retry-After when given; both retryable;
 *   anything else as ltm_classify_failure (190 auth, 1/2 and 5xx server,
 *     other 100 validation, transport network). */
void ltm_classify_instagram_read(const ltm_http_response *resp, const char *account,
                                 ltm_outcome *out);

/* An engagement read that meets a quota or a rate limit is not over: the
 * scheduler pauses the source and dispatches the check again
 * (docs/scheduler.md, "Engagement checks"). 1 when o is such a failure
 * (class quota or rate_limited). */
int ltm_reading_waits(const ltm_outcome *o);
/* Makes such an outcome retryable, keeping the delay it carries or, when the
 * classification dropped it (a publish's quota is not retried), asked_ms.
 * Other outcomes are left alone. */
void ltm_reading_settle(ltm_outcome *o, int64_t asked_ms);
/* ltm_classify_failure for a read (nothing was published), then
 * ltm_reading_settle with the delay the answer asked for: a RapidAPI monthly
 * quota or a 402 waits instead of ending the check. */
void ltm_classify_read_failure(ltm_api api, const ltm_http_response *resp, const char *account,
                               ltm_outcome *out);

#endif
