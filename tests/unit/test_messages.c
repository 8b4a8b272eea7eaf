#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"
#include "ltm/timeutil.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define GOOD_JOB                                                                                 \
    "{\"job_id\":\"post:acme:2026-11-25T08:00:00Z\",\"kind\":\"post\",\"account\":\"acme\","    \
    "\"attempt\":2,\"max_attempts\":3,\"slot\":\"2026-11-25T08:00:00Z\","                        \
    "\"dispatched_at\":\"2026-11-25T08:00:00.250Z\",\"lease_ms\":600000,\"text\":\"Hello\"}"

static void job_decodes(void **state)
{
    (void)state;
    ltm_job job;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_job_decode(GOOD_JOB, strlen(GOOD_JOB), &job, reason), LTM_OK);
    assert_string_equal(job.job_id, "post:acme:2026-11-25T08:00:00Z");
    assert_int_equal(job.kind, LTM_JOB_POST);
    assert_string_equal(job.account, "acme");
    assert_int_equal(job.attempt, 2);
    assert_int_equal(job.max_attempts, 3);
    assert_int_equal(job.slot_ms, 1795593600000LL);
    assert_int_equal(job.dispatched_ms, 1795593600250LL);
    assert_int_equal(job.lease_ms, 600000);
    assert_string_equal(job.text, "Hello");
    assert_null(job.prompt);

    char *again = ltm_job_encode(&job);
    ltm_job copy;
    assert_int_equal(ltm_job_decode(again, strlen(again), &copy, reason), LTM_OK);
    assert_string_equal(copy.job_id, job.job_id);
    assert_int_equal(copy.slot_ms, job.slot_ms);
    assert_int_equal(copy.dispatched_ms, job.dispatched_ms);
    free(again);
    ltm_job_clear(&copy);
    ltm_job_clear(&job);
    assert_null(job.job_id);
}

/* Each bad payload must be rejected with a reason that names the problem. */
static void job_rejects_bad_input(void **state)
{
    (void)state;
    struct { const char *payload; const char *reason_part; } cases[] = {
        {"", "empty"},
        {"not json", "not valid JSON"},
        {"[1,2]", "not an object"},
        {"{\"job_id\":\"a\"} trailing", "trailing"},
        {"{}", "job_id"},
        {"{\"job_id\":\"\",\"kind\":\"post\"}", "job_id"},
        {"{\"job_id\":\"a\",\"kind\":\"tweet\"}", "kind"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\"}", "attempt"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":1.5}", "attempt"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":\"1\"}", "attempt"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":4,\"max_attempts\":3}",
         "attempt"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":1,"
         "\"slot\":\"yesterday\"}",
         "slot"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":1,"
         "\"slot\":\"2026-02-30T00:00:00Z\"}",
         "slot"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":1,"
         "\"slot\":\"2026-11-25T08:00:00Z\"}",
         "dispatched_at"},
        {"{\"job_id\":\"a\",\"kind\":\"post\",\"account\":123,\"attempt\":1}", "account"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ltm_job job;
        char reason[LTM_REASON_SIZE] = "";
        assert_int_equal(ltm_job_decode(cases[i].payload, strlen(cases[i].payload), &job, reason),
                         LTM_EINVAL);
        if (!strstr(reason, cases[i].reason_part))
            fail_msg("case %zu: reason \"%s\" does not mention \"%s\"", i, reason,
                     cases[i].reason_part);
        assert_null(job.job_id);
    }
    /* A NUL byte inside the payload is rejected, not truncated. */
    const char with_nul[] = "{\"job_id\":\"a\0b\"}";
    ltm_job job;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_job_decode(with_nul, sizeof with_nul - 1, &job, reason), LTM_EINVAL);
}

/* What cJSON alone accepts but a decoder must not (docs/topics.md: every
 * message is a UTF-8 JSON object). */
static void job_rejects_bad_text(void **state)
{
    (void)state;
    static const struct {
        const char *payload;
        const char *reason_part;
    } cases[] = {
        {"{\"job_id\":\"a\xff\"}", "not valid UTF-8 (byte 12)"},
        {"{\"job_id\":\"\xc0\xaf\"}", "not valid UTF-8"},        /* overlong '/' */
        {"{\"job_id\":\"\xed\xa0\x80\"}", "not valid UTF-8"},    /* a surrogate */
        {"{\"job_id\":\"\xe2\x82\"}", "not valid UTF-8"},        /* cut short */
        {"{\"job_id\":\"a\x07" "b\"}", "raw control character 0x07 (byte 12)"},
        {"{\"job_id\":\"a\nb\"}", "raw control character 0x0a"},
        {"{\"job_id\":\x01\"a\"}", "raw control character 0x01"},
        {"{\"job_id\":\"a\\u0000b\"}", "escape \\u0000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ltm_job job;
        char reason[LTM_REASON_SIZE];
        assert_int_equal(ltm_job_decode(cases[i].payload, strlen(cases[i].payload), &job, reason),
                         LTM_EINVAL);
        if (!strstr(reason, cases[i].reason_part))
            fail_msg("case %zu: reason \"%s\" does not mention \"%s\"", i, reason,
                     cases[i].reason_part);
    }
    /* Whitespace between tokens, escapes and multi-byte text stay fine. */
    const char *fine = "{\r\n\t\"a\":\"\\\\u0000 \\\" \\u00e9 \xc3\xa9 \xf0\x9f\x98\x80\"}";
    char reason[LTM_REASON_SIZE];
    cJSON *o = ltm_json_parse_object(fine, strlen(fine), reason, sizeof reason);
    if (!o)
        fail_msg("rejected: %s", reason);
    cJSON_Delete(o);

    /* 10,000 levels: cJSON's nesting limit refuses it, the stack is safe. */
    size_t depth = 10000;
    char *deep = malloc(2 * depth + 1);
    assert_non_null(deep);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    deep[0] = '{'; /* not an object anyway; the parser must fail first, not crash */
    assert_null(ltm_json_parse_object(deep, 2 * depth, reason, sizeof reason));
    free(deep);
}

static void result_round_trips(void **state)
{
    (void)state;
    ltm_result r = {0};
    r.job_id = "story:acme:2026-11-25T18:00:00Z";
    r.kind = LTM_JOB_STORY;
    r.account = "acme";
    r.attempt = 3;
    r.status = LTM_RESULT_FAILED;
    r.retryable = 1;
    r.final = 1;
    r.error_class = "rate_limited";
    r.error = "429 from instagram";
    r.channel = "instagram";
    r.retry_after_ms = 30000;
    r.publish_ms = 120;
    r.finished_ms = 1795629600123LL;
    char *json = ltm_result_encode(&r);
    assert_non_null(json);
    ltm_result d;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_result_decode(json, strlen(json), &d, reason), LTM_OK);
    assert_int_equal(d.kind, LTM_JOB_STORY);
    assert_int_equal(d.status, LTM_RESULT_FAILED);
    assert_true(d.retryable && d.final);
    assert_string_equal(d.error_class, "rate_limited");
    assert_int_equal(d.retry_after_ms, 30000);
    assert_int_equal(d.publish_ms, 120);
    assert_int_equal(d.finished_ms, r.finished_ms);
    ltm_result_clear(&d);
    free(json);
}

/* The accounts file accepts a weekday theme of up to 500 bytes and the poster
 * attaches it to every published post: the wire must carry as much. */
static void result_carries_the_longest_theme(void **state)
{
    (void)state;
    char theme[502];
    memset(theme, 't', 501);
    theme[500] = '\0';
    ltm_result r = {0};
    r.job_id = "post:acme:2026-11-25T08:00:00Z";
    r.kind = LTM_JOB_POST;
    r.account = "acme";
    r.attempt = 1;
    r.status = LTM_RESULT_PUBLISHED;
    r.final = 1;
    r.finished_ms = 1795629600123LL;
    r.theme = theme;
    char *json = ltm_result_encode(&r);
    assert_non_null(json);
    ltm_result d;
    char reason[LTM_REASON_SIZE];
    if (ltm_result_decode(json, strlen(json), &d, reason) != LTM_OK)
        fail_msg("a 500-byte theme is refused: %s", reason);
    assert_int_equal(strlen(d.theme), 500);
    ltm_result_clear(&d);
    free(json);

    theme[500] = 't';
    theme[501] = '\0';
    json = ltm_result_encode(&r);
    assert_non_null(json);
    assert_int_equal(ltm_result_decode(json, strlen(json), &d, reason), LTM_EINVAL);
    assert_non_null(strstr(reason, "theme"));
    free(json);
}

static void result_rejects_contradictions(void **state)
{
    (void)state;
    const char *published_with_error =
        "{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":1,"
        "\"status\":\"published\",\"retryable\":true,\"final\":true,"
        "\"finished_at\":\"2026-11-25T08:00:00Z\"}";
    const char *failed_without_class =
        "{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":1,"
        "\"status\":\"failed\",\"retryable\":true,\"final\":false,"
        "\"finished_at\":\"2026-11-25T08:00:00Z\"}";
    const char *unknown_status =
        "{\"job_id\":\"a\",\"kind\":\"post\",\"account\":\"x\",\"attempt\":1,"
        "\"status\":\"maybe\",\"retryable\":true,\"final\":false,"
        "\"finished_at\":\"2026-11-25T08:00:00Z\"}";
    ltm_result d;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_result_decode(published_with_error, strlen(published_with_error), &d,
                                       reason), LTM_EINVAL);
    assert_int_equal(ltm_result_decode(failed_without_class, strlen(failed_without_class), &d,
                                       reason), LTM_EINVAL);
    assert_non_null(strstr(reason, "error_class"));
    assert_int_equal(ltm_result_decode(unknown_status, strlen(unknown_status), &d, reason),
                     LTM_EINVAL);
    assert_non_null(strstr(reason, "status"));
}

static void status_round_trips_with_detail(void **state)
{
    (void)state;
    ltm_status s = {0};
    s.service = "scheduler";
    s.instance = "1";
    s.online = 1;
    s.version = "0.1.0";
    s.pid = 42;
    s.started_ms = 1795593600000LL;
    s.heartbeat_ms = 1795593610000LL;
    s.heartbeat_interval_ms = 10000;
    s.detail_json = "{\"pending_retries\":2}";
    char *json = ltm_status_encode(&s);
    ltm_status d;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_status_decode(json, strlen(json), &d, reason), LTM_OK);
    assert_true(d.online);
    assert_string_equal(d.service, "scheduler");
    assert_int_equal(d.pid, 42);
    assert_int_equal(d.heartbeat_interval_ms, 10000);
    assert_string_equal(d.detail_json, "{\"pending_retries\":2}");
    ltm_status_clear(&d);
    free(json);
    const char *bad = "{\"service\":\"x\",\"instance\":\"1\",\"state\":\"sleeping\"}";
    assert_int_equal(ltm_status_decode(bad, strlen(bad), &d, reason), LTM_EINVAL);
}

static void alert_round_trips(void **state)
{
    (void)state;
    ltm_alert a = {0};
    a.key = "host.cpu";
    a.firing = 1;
    a.severity = "warning";
    a.summary = "CPU 93% > 80% for 3 samples";
    a.source = "sysmonitor";
    a.value = 93.5;
    a.threshold = 80;
    a.since_ms = 1795593600000LL;
    a.at_ms = 1795593630000LL;
    char *json = ltm_alert_encode(&a);
    ltm_alert d;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_alert_decode(json, strlen(json), &d, reason), LTM_OK);
    assert_true(d.firing);
    assert_string_equal(d.key, "host.cpu");
    assert_true(d.value > 93.4 && d.value < 93.6);
    ltm_alert_clear(&d);
    free(json);
    const char *bad = "{\"key\":\"k\",\"state\":\"firing\",\"severity\":\"apocalyptic\","
                      "\"summary\":\"s\",\"since\":\"2026-11-25T08:00:00Z\",\"at\":\"2026-11-25T08:00:00Z\"}";
    assert_int_equal(ltm_alert_decode(bad, strlen(bad), &d, reason), LTM_EINVAL);
    assert_non_null(strstr(reason, "severity"));
}

static void dead_letter_keeps_any_payload(void **state)
{
    (void)state;
    const char text[] = "{\"broken\":";
    char *json = ltm_dlq_encode("poster", "1", "ltm/jobs/post", text, sizeof text - 1,
                                "payload is not valid JSON", 0);
    cJSON *j = cJSON_Parse(json);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "payload")->valuestring, text);
    assert_string_equal(cJSON_GetObjectItem(j, "reason")->valuestring,
                        "payload is not valid JSON");
    cJSON_Delete(j);
    free(json);

    const unsigned char binary[] = {0xff, 0x00, 0xc3, 0x28};
    json = ltm_dlq_encode("poster", "1", "ltm/jobs/post", binary, sizeof binary, "bad", 0);
    j = cJSON_Parse(json);
    assert_non_null(j);
    assert_null(cJSON_GetObjectItem(j, "payload"));
    assert_string_equal(cJSON_GetObjectItem(j, "payload_base64")->valuestring, "/wDDKA==");
    cJSON_Delete(j);
    free(json);
}

/* A dead letter of a payload at the broker's limit (262,144 bytes), every
 * byte escaped six-fold, still fits under that limit. */
static void dead_letter_fits_under_the_broker_limit(void **state)
{
    (void)state;
    size_t len = 262144;
    char *payload = malloc(len);
    assert_non_null(payload);
    memset(payload, 0x01, len);
    char *json = ltm_dlq_encode("poster", "1", "ltm/jobs/post", payload, len,
                                "payload has a raw control character", 0);
    assert_non_null(json);
    assert_true(strlen(json) < 262144);
    cJSON *j = cJSON_Parse(json);
    assert_non_null(j);
    assert_int_equal(cJSON_GetObjectItem(j, "payload_bytes")->valuedouble, 262144);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "payload_truncated")));
    assert_int_equal(strlen(cJSON_GetObjectItem(j, "payload")->valuestring), LTM_DLQ_PAYLOAD_MAX);
    cJSON_Delete(j);
    free(json);

    /* Cut on a character boundary: 2-byte characters across the limit. */
    payload[0] = 'x';
    for (size_t i = 1; i + 1 < len; i += 2) {
        payload[i] = (char)0xc3;
        payload[i + 1] = (char)0xa9;
    }
    json = ltm_dlq_encode("poster", "1", "t", payload, len - 1, "r", 0);
    j = cJSON_Parse(json);
    const cJSON *text = cJSON_GetObjectItem(j, "payload"); /* text, not base64 */
    assert_non_null(text);
    assert_int_equal(strlen(text->valuestring), LTM_DLQ_PAYLOAD_MAX - 1);
    cJSON_Delete(j);
    free(json);
    json = ltm_dlq_encode("poster", "1", "t", payload, 100, "r", 0);
    j = cJSON_Parse(json);
    assert_null(cJSON_GetObjectItem(j, "payload_truncated"));
    cJSON_Delete(j);
    free(json);
    free(payload);
}

static void iso_times(void **state)
{
    (void)state;
    int64_t ms;
    char buf[LTM_ISO_SIZE];
    assert_int_equal(ltm_time_parse_iso("2026-03-29T02:30:00+02:00", &ms), LTM_OK);
    assert_string_equal(ltm_time_format_iso(ms, buf), "2026-03-29T00:30:00.000Z");
    assert_int_equal(ltm_time_parse_iso("1970-01-01T00:00:00.5Z", &ms), LTM_OK);
    assert_int_equal(ms, 500);
    assert_string_equal(ltm_time_format_iso(-1, buf), "1969-12-31T23:59:59.999Z");
    assert_int_equal(ltm_time_parse_iso("2026-11-25 08:00:00Z", &ms), LTM_OK);
    /* Found by tests/fuzz/fuzz_msg: a job slot in the year 26 decoded, was
     * re-encoded as "26-11-25..." and then refused. */
    assert_int_equal(ltm_time_parse_iso("0026-11-25T12:00:00.125Z", &ms), LTM_OK);
    assert_string_equal(ltm_time_format_iso(ms, buf), "0026-11-25T12:00:00.125Z");
    const char *bad[] = {"2026-11-25", "2026-11-25T08:00:00", "2026-13-01T00:00:00Z",
                         "2026-11-25T24:00:00Z", "2026-11-25T08:00:00+2", "2026-11-25T08:00:00Zjunk",
                         "2026-02-29T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ltm_time_parse_iso(bad[i], &ms), LTM_EINVAL);
}

#define ENGAGEMENT_JOB                                                                           \
    "{\"job_id\":\"engagement:post:acme:2026-11-25T08:00:00Z@1h\",\"kind\":\"engagement\","     \
    "\"account\":\"acme\",\"attempt\":1,\"max_attempts\":3,\"slot\":\"2026-11-25T09:00:01Z\","      \
    "\"dispatched_at\":\"2026-11-25T09:00:01.100Z\",\"post_job_id\":\"post:acme:2026-11-25T08:00:00Z\"," \
    "\"post_kind\":\"story\",\"channel\":\"instagram\",\"remote_id\":\"1789\","                 \
    "\"published_at\":\"2026-11-25T08:00:01Z\",\"age_ms\":3600000}"

static void engagement_job_round_trips(void **state)
{
    (void)state;
    ltm_job job, copy;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_job_decode(ENGAGEMENT_JOB, strlen(ENGAGEMENT_JOB), &job, reason), LTM_OK);
    assert_int_equal(job.kind, LTM_JOB_ENGAGEMENT);
    assert_string_equal(job.post_job_id, "post:acme:2026-11-25T08:00:00Z");
    assert_int_equal(job.post_kind, LTM_JOB_STORY);
    assert_string_equal(job.channel, "instagram");
    assert_string_equal(job.remote_id, "1789");
    assert_int_equal(job.published_ms, 1795593601000LL);
    assert_int_equal(job.age_ms, 3600000);
    char *again = ltm_job_encode(&job);
    assert_int_equal(ltm_job_decode(again, strlen(again), &copy, reason), LTM_OK);
    assert_string_equal(copy.remote_id, "1789");
    assert_int_equal(copy.post_kind, LTM_JOB_STORY);
    assert_int_equal(copy.age_ms, job.age_ms);
    free(again);
    ltm_job_clear(&copy);
    ltm_job_clear(&job);

    /* The target is required on a check and refused on any other job. */
    const char *bad[][2] = {
        {"{\"job_id\":\"e\",\"kind\":\"engagement\",\"account\":\"a\",\"attempt\":1,\"slot\":\"2026-11-25T08:00:00Z\","
         "\"dispatched_at\":\"2026-11-25T08:00:00Z\"}",
         "post_job_id"},
        {"{\"job_id\":\"e\",\"kind\":\"engagement\",\"account\":\"a\",\"attempt\":1,\"slot\":\"2026-11-25T08:00:00Z\","
         "\"dispatched_at\":\"2026-11-25T08:00:00Z\",\"post_job_id\":\"p\",\"post_kind\":\"report\","
         "\"channel\":\"x\",\"remote_id\":\"1\",\"published_at\":\"2026-11-25T08:00:00Z\",\"age_ms\":1}",
         "post_kind"},
        {"{\"job_id\":\"p\",\"kind\":\"post\",\"account\":\"a\",\"attempt\":1,\"slot\":\"2026-11-25T08:00:00Z\","
         "\"dispatched_at\":\"2026-11-25T08:00:00Z\",\"remote_id\":\"1\"}",
         "only for engagement"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ltm_job_decode(bad[i][0], strlen(bad[i][0]), &job, reason), LTM_EINVAL);
        if (!strstr(reason, bad[i][1]))
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, reason, bad[i][1]);
    }
}

static void engagement_result_carries_figures(void **state)
{
    (void)state;
    const char *json =
        "{\"job_id\":\"engagement:p@1h\",\"kind\":\"engagement\",\"account\":\"acme\","
        "\"attempt\":1,\"status\":\"read\",\"retryable\":false,\"final\":true,"
        "\"finished_at\":\"2026-11-25T09:00:02Z\",\"post_job_id\":\"p\",\"age_ms\":3600000,"
        "\"figures\":{\"impressions\":1200,\"reach\":800,\"reactions\":0}}";
    ltm_result r, copy;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_result_decode(json, strlen(json), &r, reason), LTM_OK);
    assert_int_equal(r.status, LTM_RESULT_READ);
    assert_true(r.has_figures);
    assert_int_equal(r.figures.impressions, 1200);
    assert_int_equal(r.figures.reach, 800);
    assert_int_equal(r.figures.reactions, 0);
    assert_int_equal(r.figures.comments, -1); /* not offered: absent, not 0 */
    assert_int_equal(ltm_figures_engagement(&r.figures), 0);
    char *again = ltm_result_encode(&r);
    assert_null(strstr(again, "comments"));
    assert_int_equal(ltm_result_decode(again, strlen(again), &copy, reason), LTM_OK);
    assert_int_equal(copy.figures.impressions, 1200);
    assert_int_equal(copy.figures.saves, -1);
    assert_string_equal(copy.post_job_id, "p");
    free(again);
    ltm_result_clear(&copy);
    ltm_result_clear(&r);

    const char *bad[][2] = {
        /* figures missing on a read result */
        {"{\"job_id\":\"e\",\"kind\":\"engagement\",\"account\":\"a\",\"attempt\":1,"
         "\"status\":\"read\",\"retryable\":false,\"final\":true,\"finished_at\":\"2026-11-25T09:00:02Z\","
         "\"post_job_id\":\"p\",\"age_ms\":1}",
         "figures"},
        {"{\"job_id\":\"e\",\"kind\":\"engagement\",\"account\":\"a\",\"attempt\":1,"
         "\"status\":\"read\",\"retryable\":false,\"final\":true,\"finished_at\":\"2026-11-25T09:00:02Z\","
         "\"post_job_id\":\"p\",\"age_ms\":1,\"figures\":{\"impresions\":3}}",
         "expected only"},
        {"{\"job_id\":\"e\",\"kind\":\"engagement\",\"account\":\"a\",\"attempt\":1,"
         "\"status\":\"read\",\"retryable\":false,\"final\":true,\"finished_at\":\"2026-11-25T09:00:02Z\","
         "\"post_job_id\":\"p\",\"age_ms\":1,\"figures\":{\"reach\":-3}}",
         "figures.reach"},
        {"{\"job_id\":\"p\",\"kind\":\"post\",\"account\":\"a\",\"attempt\":1,"
         "\"status\":\"gone\",\"retryable\":false,\"final\":true,\"finished_at\":\"2026-11-25T09:00:02Z\"}",
         "engagement"},
        {"{\"job_id\":\"e\",\"kind\":\"engagement\",\"account\":\"a\",\"attempt\":1,"
         "\"status\":\"published\",\"retryable\":false,\"final\":true,\"finished_at\":\"2026-11-25T09:00:02Z\","
         "\"post_job_id\":\"p\",\"age_ms\":1}",
         "read, not published"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ltm_result_decode(bad[i][0], strlen(bad[i][0]), &r, reason), LTM_EINVAL);
        if (!strstr(reason, bad[i][1]))
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, reason, bad[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_decodes),
        cmocka_unit_test(job_rejects_bad_input),
        cmocka_unit_test(result_round_trips),
        cmocka_unit_test(result_rejects_contradictions),
        cmocka_unit_test(status_round_trips_with_detail),
        cmocka_unit_test(alert_round_trips),
        cmocka_unit_test(dead_letter_keeps_any_payload),
        cmocka_unit_test(dead_letter_fits_under_the_broker_limit),
        cmocka_unit_test(job_rejects_bad_text),
        cmocka_unit_test(iso_times),
        cmocka_unit_test(engagement_job_round_trips),
        cmocka_unit_test(engagement_result_carries_figures),
        cmocka_unit_test(result_carries_the_longest_theme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
