/* Failure classes of every provider's answers and their retry delays (classify.h). */
#include "publishing/classify.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define WEEK_MS (7LL * 86400 * 1000)
#define DAY_MS (86400LL * 1000)

static const char *api_names[] = {"OpenAI", "Replicate", "LinkedIn", "Instagram",
                                  "RapidAPI", "webhook",  "image download"};

const char *ltm_api_name(ltm_api api)
{
    return (unsigned)api < sizeof api_names / sizeof api_names[0] ? api_names[api] : "API";
}

void ltm_outcome_published(ltm_outcome *o, const char *remote_id)
{
    memset(o, 0, sizeof *o);
    o->status = LTM_RESULT_PUBLISHED;
    snprintf(o->remote_id, sizeof o->remote_id, "%s", remote_id ? remote_id : "");
}

void ltm_outcome_read(ltm_outcome *o, const ltm_figures *figures)
{
    /* A figure the results message cannot carry would make the whole result
     * undecodable (a dead letter, the check lost): fail it as the answer's
     * fault instead. -1 is "not offered". */
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        int64_t v = ltm_figure_get(figures, i);
        if (v < -1 || v > LTM_FIGURE_MAX) {
            memset(o, 0, sizeof *o);
            ltm_outcome_fail(o, "server", 1, "figure %s out of range: %lld (at most %lld)",
                             ltm_figure_names[i], (long long)v, (long long)LTM_FIGURE_MAX);
            return;
        }
    }
    memset(o, 0, sizeof *o);
    o->status = LTM_RESULT_READ;
    o->figures = *figures;
}

void ltm_outcome_gone(ltm_outcome *o, const char *fmt, ...)
{
    memset(o, 0, sizeof *o);
    o->status = LTM_RESULT_GONE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
}

void ltm_outcome_fail(ltm_outcome *o, const char *error_class, int retryable, const char *fmt, ...)
{
    int64_t keep_retry = o->retry_after_ms;
    memset(o, 0, sizeof *o);
    o->status = LTM_RESULT_FAILED;
    o->retryable = retryable;
    o->error_class = error_class;
    o->retry_after_ms = retryable ? keep_retry : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
}

int ltm_http_ok(const ltm_http_response *r)
{
    return !r->transport_error && !r->truncated && r->status >= 200 && r->status < 300;
}

/* A delay in seconds from an answer, as milliseconds capped at a week. The
 * cap comes before the conversion: "1e300" or "inf" would not fit an
 * int64_t, and converting such a double is undefined. NaN gives 0. */
static int64_t seconds_to_ms(double seconds)
{
    if (!(seconds > 0))
        return 0;
    if (seconds * 1000.0 >= (double)WEEK_MS)
        return WEEK_MS;
    return (int64_t)(seconds * 1000.0);
}

int64_t ltm_retry_after_ms(const char *value, int64_t now_ms)
{
    if (!value || !*value)
        return 0;
    char *end;
    double seconds = strtod(value, &end);
    if (end != value && *end == '\0')
        return seconds_to_ms(seconds);
    struct tm tm = {0};
    const char *rest = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!rest || *rest)
        return 0;
    int64_t at = (int64_t)timegm(&tm) * 1000;
    int64_t ms = at - now_ms;
    return ms <= 0 ? 0 : ms > WEEK_MS ? WEEK_MS : ms;
}

int64_t ltm_reset_duration_ms(const char *value)
{
    if (!value)
        return 0;
    double total = 0;
    const char *p = value;
    while (*p) {
        char *end;
        double n = strtod(p, &end);
        if (end == p || !(n >= 0)) /* also NaN: "nans" */
            return 0;
        if (strncmp(end, "ms", 2) == 0) {
            total += n;
            end += 2;
        } else if (*end == 's') {
            total += n * 1000;
            end++;
        } else if (*end == 'm') {
            total += n * 60000;
            end++;
        } else if (*end == 'h') {
            total += n * 3600000;
            end++;
        } else {
            return 0;
        }
        p = end;
    }
    return total > (double)WEEK_MS ? WEEK_MS : (int64_t)total;
}

static void printable_copy(const char *src, size_t len, char *out, size_t size)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < size; i++) {
        unsigned char c = (unsigned char)src[i];
        out[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[j] = '\0';
    /* Never leave half of a UTF-8 sequence at the end of a cut text. */
    while (j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0x80)
        out[--j] = '\0';
    if (j > 0 && ((unsigned char)out[j - 1] & 0xC0) == 0xC0)
        out[--j] = '\0';
}

static const char *json_string_at(const cJSON *root, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, a);
    if (b)
        x = cJSON_IsObject(x) ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

void ltm_api_message(ltm_api api, const char *body, size_t len, char *out, size_t size)
{
    out[0] = '\0';
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const char *m = NULL;
    if (cJSON_IsObject(root)) {
        m = json_string_at(root, "error", "message");
        if (!m)
            m = json_string_at(root, "message", NULL);
        if (!m)
            m = json_string_at(root, "detail", NULL);
        if (!m)
            m = json_string_at(root, "error", NULL);
    }
    (void)api;
    /* Redacted before it is cut: an API may echo the key it was sent, and a
     * cut through it would leave a prefix no later redaction recognises. */
    char *clean = NULL;
    if (m)
        clean = ltm_secrets_redacted(m, strlen(m));
    else if (body && len)
        clean = ltm_secrets_redacted(body, len);
    size_t clean_len = clean ? strlen(clean) : 0;
    if (clean)
        printable_copy(clean, m || clean_len < 200 ? clean_len : 200, out, size);
    else if (m || (body && len))
        snprintf(out, size, "(answer not shown: out of memory)");
    free(clean);
    cJSON_Delete(root);
}

static int json_error_code(const char *body, size_t len, const char *key, char *code, size_t size)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *c = cJSON_IsObject(err) ? cJSON_GetObjectItemCaseSensitive(err, key) : NULL;
    int n = -1;
    code[0] = '\0';
    if (cJSON_IsNumber(c))
        n = c->valueint;
    else if (cJSON_IsString(c))
        snprintf(code, size, "%s", c->valuestring);
    cJSON_Delete(root);
    return n;
}

static int64_t asked_delay(ltm_api api, const ltm_http_response *r)
{
    int64_t ms = 0;
    char *v = ltm_http_header(r->headers, "Retry-After");
    ms = ltm_retry_after_ms(v, ltm_now_ms());
    free(v);
    if (ms == 0 && api == LTM_API_OPENAI) {
        const char *names[] = {"x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"};
        for (int i = 0; i < 2; i++) {
            v = ltm_http_header(r->headers, names[i]);
            int64_t d = ltm_reset_duration_ms(v);
            free(v);
            if (d > ms)
                ms = d;
        }
    }
    if (ms == 0 && api == LTM_API_REPLICATE) {
        cJSON *root = cJSON_ParseWithLength(r->body, r->body_len);
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(root, "retry_after");
        if (cJSON_IsNumber(ra))
            ms = seconds_to_ms(ra->valuedouble);
        cJSON_Delete(root);
    }
    return ms > WEEK_MS ? WEEK_MS : ms;
}

static void by_status(ltm_api api, const ltm_http_response *r, const char *account,
                      const char *msg, ltm_outcome *o)
{
    const char *who = ltm_api_name(api);
    long s = r->status;
    if ((s == 401 || s == 403) && account)
        ltm_outcome_fail(o, "auth", 0, "%s refused the credentials of account %s (%ld): %s", who,
                         account, s, msg);
    else if (s == 401 || s == 403)
        ltm_outcome_fail(o, "auth", 0, "%s refused the API key (%ld): %s", who, s, msg);
    else if (s == 402)
        ltm_outcome_fail(o, "quota", 0, "%s: payment required (402): %s", who, msg);
    else if (s == 429 || s == 408)
        ltm_outcome_fail(o, "rate_limited", 1, "%s throttled the request (%ld): %s", who, s, msg);
    else if (s >= 500)
        ltm_outcome_fail(o, "server", 1, "%s server error (%ld): %s", who, s, msg);
    else
        ltm_outcome_fail(o, "validation", 0, "%s rejected the request (%ld): %s", who, s, msg);
}

static void instagram(const ltm_http_response *r, const char *account, const char *msg,
                      ltm_outcome *o)
{
    char unused[8];
    int code = json_error_code(r->body, r->body_len, "code", unused, sizeof unused);
    int subcode = json_error_code(r->body, r->body_len, "error_subcode", unused, sizeof unused);
    if (code == 9 || subcode == 2207042) {
        /* The publishing limit: retried, not failed (classify.h). */
        o->retry_after_ms = LTM_INSTAGRAM_LIMIT_RETRY_MS;
        ltm_outcome_fail(o, "rate_limited", 1,
                         "Instagram publishing limit reached for account %s (posts per 24 h): %s",
                         account ? account : "-", msg);
        return;
    }
    if (ltm_meta_throttle_code(code)) {
        /* Meta says when the limit frees up in its usage headers, not in
         * Retry-After (throttling answers are mostly HTTP 400). */
        int64_t wait = ltm_meta_quota_wait_ms(r->headers);
        o->retry_after_ms = wait ? wait : asked_delay(LTM_API_INSTAGRAM, r);
        ltm_outcome_fail(o, "rate_limited", 1, "Instagram throttled the account (code %d): %s",
                         code, msg);
        return;
    }
    switch (code) {
    case 190:
        ltm_outcome_fail(o, "auth", 0,
                         "Instagram token of account %s expired or is invalid (code 190): %s",
                         account ? account : "-", msg);
        return;
    case 10:
    case 200:
        ltm_outcome_fail(o, "auth", 0, "Instagram permission missing for account %s (code %d): %s",
                         account ? account : "-", code, msg);
        return;
    case 1:
    case 2:
        ltm_outcome_fail(o, "server", 1, "Instagram temporary error (code %d): %s", code, msg);
        return;
    case 100:
        ltm_outcome_fail(o, "validation", 0, "Instagram rejected a parameter (code 100): %s", msg);
        return;
    default:
        by_status(LTM_API_INSTAGRAM, r, account, msg, o);
    }
}

static void transport(ltm_api api, int publishing, const ltm_http_response *r, ltm_outcome *o)
{
    const char *why = r->transport_error ? r->transport_msg : "answer longer than expected";
    if (publishing && r->sent)
        ltm_outcome_fail(o, "unconfirmed", 0,
                         "no complete answer from %s after the publish request was sent: %s",
                         ltm_api_name(api), why);
    else
        ltm_outcome_fail(o, "network", 1, "%s: %s", ltm_api_name(api), why);
    if (publishing && r->sent)
        o->status = LTM_RESULT_UNCONFIRMED;
}

void ltm_classify_failure(ltm_api api, int publishing, const ltm_http_response *r,
                          const char *account, ltm_outcome *o)
{
    memset(o, 0, sizeof *o);
    if (r->transport_error || r->truncated || r->status == 0) {
        transport(api, publishing, r, o);
        return;
    }
    char msg[300];
    ltm_api_message(api, r->body, r->body_len, msg, sizeof msg);
    o->retry_after_ms = (r->status == 429 || r->status == 503) ? asked_delay(api, r) : 0;
    char code[64];
    switch (api) {
    case LTM_API_OPENAI:
        json_error_code(r->body, r->body_len, "code", code, sizeof code);
        if (r->status == 429 && strcmp(code, "insufficient_quota") == 0)
            ltm_outcome_fail(o, "quota", 0, "OpenAI quota exhausted (insufficient_quota): %s", msg);
        else
            by_status(api, r, account, msg, o);
        return;
    case LTM_API_LINKEDIN:
        if (r->status == 401)
            ltm_outcome_fail(o, "auth", 0,
                             "LinkedIn token of account %s expired or was revoked (401): %s",
                             account ? account : "-", msg);
        else if (r->status == 426)
            ltm_outcome_fail(o, "version", 0,
                             "LinkedIn retired the API version in LTM_LINKEDIN_VERSION (426): %s",
                             msg);
        else if (r->status == 422 && strstr(r->body, "DUPLICATE_POST")) {
            ltm_outcome_fail(o, "duplicate", 0,
                             "LinkedIn says this text was already posted (DUPLICATE_POST)");
            o->status = LTM_RESULT_DUPLICATE;
        } else
            by_status(api, r, account, msg, o);
        return;
    case LTM_API_INSTAGRAM:
        instagram(r, account, msg, o);
        return;
    case LTM_API_RAPIDAPI:
        /* RapidAPI answers 429 for both limits; only the text tells them
         * apart, and only the per-second one goes away by waiting. */
        if (r->status == 429 && (strcasestr(msg, "quota") || strcasestr(msg, "monthly")))
            ltm_outcome_fail(o, "quota", 0, "RapidAPI plan quota exhausted: %s", msg);
        else
            by_status(api, r, account, msg, o);
        return;
    default:
        by_status(api, r, account, msg, o);
    }
}

/* ---- engagement reads ---------------------------------------------------- */

int ltm_meta_throttle_code(int code)
{
    return code == 4 || code == 17 || code == 32 || code == 613 || code == 80001 ||
           code == 80002;
}

static int usage_full(const cJSON *o)
{
    static const char *const pct[] = {"call_count", "total_cputime", "total_time"};
    for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, pct[i]);
        if (cJSON_IsNumber(v) && v->valuedouble >= 100)
            return 1;
    }
    return 0;
}

/* X-App-Usage: {"call_count":N,"total_cputime":N,"total_time":N}, percentages
 * of a rolling hour. X-Business-Use-Case-Usage: {"<business id>":[{"type":
 * "instagram","call_count":N,...,"estimated_time_to_regain_access":M}]}, M in
 * minutes (developers.facebook.com/docs/graph-api/overview/rate-limiting). */
int64_t ltm_meta_quota_wait_ms(const char *headers)
{
    if (!headers)
        return 0;
    int full = 0;
    double regain_min = 0;
    char *app = ltm_http_header(headers, "X-App-Usage");
    cJSON *root = app ? cJSON_Parse(app) : NULL;
    if (cJSON_IsObject(root))
        full |= usage_full(root);
    cJSON_Delete(root);
    free(app);
    char *buc = ltm_http_header(headers, "X-Business-Use-Case-Usage");
    root = buc ? cJSON_Parse(buc) : NULL;
    const cJSON *business, *businesses = cJSON_IsObject(root) ? root : NULL;
    cJSON_ArrayForEach(business, businesses)
    {
        const cJSON *entry, *entries = cJSON_IsArray(business) ? business : NULL;
        cJSON_ArrayForEach(entry, entries)
        {
            if (!cJSON_IsObject(entry))
                continue;
            full |= usage_full(entry);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(entry,
                                                              "estimated_time_to_regain_access");
            if (cJSON_IsNumber(t) && t->valuedouble > regain_min)
                regain_min = t->valuedouble;
        }
    }
    cJSON_Delete(root);
    free(buc);
    if (regain_min > 0)
        return seconds_to_ms(regain_min * 60.0);
    return full ? LTM_META_QUOTA_WAIT_MS : 0;
}

void ltm_classify_instagram_read(const ltm_http_response *r, const char *account, ltm_outcome *o)
{
    const char *who = account ? account : "-";
    if (r->transport_error || r->truncated || r->status == 0) {
        ltm_classify_failure(LTM_API_INSTAGRAM, 0, r, account, o);
        return;
    }
    char unused[8], msg[300];
    int code = json_error_code(r->body, r->body_len, "code", unused, sizeof unused);
    int subcode = json_error_code(r->body, r->body_len, "error_subcode", unused, sizeof unused);
    ltm_api_message(LTM_API_INSTAGRAM, r->body, r->body_len, msg, sizeof msg);
    memset(o, 0, sizeof *o);
    if (code == 10 && strcasestr(msg, "not enough viewers")) {
        /* A story seen by fewer than 5 accounts: a reading, without figures. */
        ltm_figures none;
        ltm_figures_unset(&none);
        ltm_outcome_read(o, &none);
    } else if (code == 10 || (code >= 200 && code <= 299)) {
        ltm_outcome_fail(o, "permission", 0,
                         "Instagram token of account %s may not read insights (code %d): grant it "
                         "instagram_manage_insights (instagram_business_manage_insights with "
                         "Instagram Login): %s", who, code, msg);
    } else if (code == 100 && subcode == 33) {
        ltm_outcome_gone(o, "Instagram media does not exist any more (code 100, subcode 33): %s",
                         msg);
    } else if (code == 100 && subcode == 2108006) {
        ltm_outcome_fail(o, "expired", 0,
                         "Instagram keeps no insights of media posted before account %s became a "
                         "business account (subcode 2108006): %s", who, msg);
    } else if (ltm_meta_throttle_code(code) || r->status == 429) {
        int64_t wait = ltm_meta_quota_wait_ms(r->headers);
        if (wait) {
            o->retry_after_ms = wait;
            ltm_outcome_fail(o, "quota", 1,
                             "Instagram API quota of account %s used up (code %d); usable again "
                             "in about %lld min: %s", who, code, (long long)(wait / 60000), msg);
        } else {
            o->retry_after_ms = asked_delay(LTM_API_INSTAGRAM, r);
            ltm_outcome_fail(o, "rate_limited", 1,
                             "Instagram throttled the account (code %d, HTTP %ld): %s", code,
                             r->status, msg);
        }
    } else {
        ltm_classify_read_failure(LTM_API_INSTAGRAM, r, account, o);
    }
}

int ltm_reading_waits(const ltm_outcome *o)
{
    return o->status == LTM_RESULT_FAILED && o->error_class &&
           (strcmp(o->error_class, "quota") == 0 || strcmp(o->error_class, "rate_limited") == 0);
}

void ltm_reading_settle(ltm_outcome *o, int64_t asked_ms)
{
    if (!ltm_reading_waits(o))
        return;
    o->retryable = 1;
    if (o->retry_after_ms == 0)
        o->retry_after_ms = asked_ms;
}

void ltm_classify_read_failure(ltm_api api, const ltm_http_response *r, const char *account,
                               ltm_outcome *o)
{
    ltm_classify_failure(api, 0, r, account, o);
    if (ltm_reading_waits(o))
        ltm_reading_settle(o, asked_delay(api, r));
}

void ltm_linkedin_read_failure(const ltm_http_response *r, const char *account, const char *scope,
                               int64_t now_ms, ltm_outcome *o)
{
    memset(o, 0, sizeof *o);
    if (r->transport_error || r->truncated || r->status == 0) {
        transport(LTM_API_LINKEDIN, 0, r, o);
        return;
    }
    char msg[300];
    ltm_api_message(LTM_API_LINKEDIN, r->body, r->body_len, msg, sizeof msg);
    const char *who = account ? account : "-";
    if (r->status == 403) {
        ltm_outcome_fail(o, "permission", 0,
                         "LinkedIn refused to read the figures of account %s (403): the token "
                         "lacks the scope %s; a person must grant it: %s",
                         who, scope, msg);
    } else if (r->status == 404 || r->status == 410) {
        ltm_outcome_gone(o, "LinkedIn no longer knows the post (%ld): %s", r->status, msg);
    } else if (r->status == 429 && (strstr(msg, "DAY") || strcasestr(msg, "daily"))) {
        /* The application's or the member's calls of the day are used up:
         * nothing helps before the reset, which LinkedIn puts at midnight UTC. */
        int64_t wait = asked_delay(LTM_API_LINKEDIN, r);
        if (wait == 0)
            wait = DAY_MS - ((now_ms % DAY_MS) + DAY_MS) % DAY_MS;
        o->retry_after_ms = wait;
        ltm_outcome_fail(o, "quota", 1, "LinkedIn daily call limit reached for account %s: %s",
                         who, msg);
    } else {
        ltm_classify_read_failure(LTM_API_LINKEDIN, r, account, o);
    }
}
