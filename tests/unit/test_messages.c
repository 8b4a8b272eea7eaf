#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/error.h"
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
        cmocka_unit_test(iso_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
