#include "test_util.h"
#include "report.h"

#include <cjson/cJSON.h>
#include <string.h>

#define HOUR 3600000LL
#define DAY (24 * HOUR)

static ntf_record rec(const char *job, const char *account, ltm_job_kind kind,
                      ltm_result_status status, int attempt, int final, int64_t publish,
                      int64_t finished)
{
    ntf_record r = {0};
    r.job_id = strdup(job);
    r.account = strdup(account);
    r.kind = kind;
    r.status = status;
    r.attempt = attempt;
    r.final = final;
    r.publish_ms = publish;
    r.finished_ms = finished;
    return r;
}

static double num(const cJSON *o, const char *path1, const char *path2)
{
    const cJSON *v = cJSON_GetObjectItem(o, path1);
    if (path2)
        v = cJSON_GetObjectItem(v, path2);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void figures_per_account_and_overall(void **state)
{
    (void)state;
    int64_t to = 1000 * DAY, from = to - DAY;
    ntf_record r[] = {
        rec("p1", "acme", LTM_JOB_POST, LTM_RESULT_PUBLISHED, 1, 1, 100, from + 1),
        rec("p2", "acme", LTM_JOB_POST, LTM_RESULT_PUBLISHED, 1, 1, 300, from + 2),
        rec("p2", "acme", LTM_JOB_POST, LTM_RESULT_PUBLISHED, 1, 1, 300, from + 2), /* dup */
        rec("s1", "acme", LTM_JOB_STORY, LTM_RESULT_PUBLISHED, 1, 1, 200, from + 3),
        rec("p3", "acme", LTM_JOB_POST, LTM_RESULT_FAILED, 1, 0, 0, from + 4),
        rec("p3", "acme", LTM_JOB_POST, LTM_RESULT_UNCONFIRMED, 2, 1, 0, from + 5),
        rec("p4", "acme", LTM_JOB_POST, LTM_RESULT_MISSED, 1, 1, 0, from + 6),
        rec("b1", "beta", LTM_JOB_POST, LTM_RESULT_DUPLICATE, 1, 1, 0, from + 7),
        rec("old", "acme", LTM_JOB_POST, LTM_RESULT_PUBLISHED, 1, 1, 9999, from - 1),
        rec("new", "acme", LTM_JOB_POST, LTM_RESULT_PUBLISHED, 1, 1, 9999, to),
    };
    size_t n = sizeof r / sizeof r[0];
    char *json, *text;
    assert_int_equal(ntf_report_build("2026-11-25", "report:2026-11-25", from, to, r, n, NULL,
                                      NULL, to, &json, &text),
                     0);
    cJSON *o = cJSON_Parse(json);
    const cJSON *overall = cJSON_GetObjectItem(o, "overall");
    assert_int_equal(num(overall, "posts_published", NULL), 2);
    assert_int_equal(num(overall, "stories_published", NULL), 1);
    assert_int_equal(num(overall, "failed", NULL), 1);
    assert_int_equal(num(overall, "retried", NULL), 1);
    assert_int_equal(num(overall, "missed", NULL), 1);
    assert_int_equal(num(overall, "duplicates", NULL), 1);
    assert_float_equal(num(overall, "success_rate", NULL), 75.0, 1e-9);
    assert_float_equal(num(overall, "publish_ms", "median"), 200, 1e-9);
    assert_float_equal(num(overall, "publish_ms", "p95"), 300, 1e-9);
    const cJSON *accs = cJSON_GetObjectItem(o, "accounts");
    assert_int_equal(cJSON_GetArraySize(accs), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(accs, 0), "account")->valuestring,
                        "acme");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(accs, 1), "success_rate")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "host")));
    assert_non_null(strstr(text, "<b>acme</b>: 2 posts and 1 stories published, 1 failed"));
    assert_non_null(strstr(text, "no host data"));
    assert_non_null(strstr(text, "<b>Active alerts</b>: none"));
    cJSON_Delete(o);
    free(json);
    free(text);
    for (size_t i = 0; i < n; i++)
        ntf_record_clear(&r[i]);
}

static void host_metrics_from_the_fixture(void **state)
{
    (void)state;
    static ntf_host h;
    memset(&h, 0, sizeof h);
    char r[160];
    size_t len;
    char *m = fixture("metrics_system.json", &len);
    char *other = fixture("metrics_system_other.json", &len);
    int64_t t = 500 * DAY + 10 * HOUR;
    assert_int_equal(ntf_host_add(&h, m, strlen(m), t, r, sizeof r), 1);
    assert_int_equal(ntf_host_add(&h, other, strlen(other), t, r, sizeof r), 0); /* no usable field */
    assert_non_null(strstr(r, "no cpu, memory or disk percentage"));
    assert_int_equal(ntf_host_add(&h, "nope", 4, t, r, sizeof r), 0);
    assert_non_null(strstr(r, "not valid JSON"));
    char *nested = fixture("metrics_system_sysmonitor.json", &len);
    assert_int_equal(ntf_host_add(&h, nested, len, t, r, sizeof r), 1);
    free(nested);
    assert_int_equal(h.samples, 2);
    assert_int_equal(h.unusable, 2);
    /* Round trip through the state file. */
    cJSON *j = ntf_host_to_json(&h);
    static ntf_host g;
    memset(&g, 0, sizeof g);
    ntf_host_from_json(&g, j);
    cJSON_Delete(j);
    char *json, *text;
    ntf_engine e;
    ntf_engine_opts eo = {1, 1000};
    ntf_engine_init(&e, &eo);
    ntf_engine_fire(&e, "host.disk<", 2, "disk & co", NULL, 0, t);
    assert_int_equal(ntf_report_build("d", "report:d", t - HOUR, t + HOUR, NULL, 0, &g, &e, t,
                                      &json, &text),
                     0);
    cJSON *o = cJSON_Parse(json);
    const cJSON *host = cJSON_GetObjectItem(o, "host");
    assert_float_equal(num(host, "cpu", "peak"), 87.5, 1e-9);
    assert_float_equal(num(host, "cpu", "avg"), 65.0, 1e-9);
    assert_float_equal(num(host, "memory", "avg"), (61.0 + 33.25) / 2, 1e-9);
    const cJSON *disks = cJSON_GetObjectItem(host, "disks");
    assert_int_equal(cJSON_GetArraySize(disks), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(disks, 1), "mount")->valuestring,
                        "/var/lib/ltm");
    assert_float_equal(num(cJSON_GetArrayItem(disks, 0), "peak", NULL), 71.2, 1e-9);
    assert_float_equal(num(cJSON_GetArrayItem(disks, 0), "avg", NULL), (71.2 + 55.5) / 2, 1e-9);
    assert_non_null(strstr(text, "- [critical] host.disk&lt;: disk &amp; co"));
    cJSON_Delete(o);
    free(json);
    free(text);
    free(m);
    free(other);
    ntf_engine_clear(&e);
}

static void record_lines_round_trip(void **state)
{
    (void)state;
    ltm_result res = {0};
    res.job_id = "post:a:1";
    res.kind = LTM_JOB_STORY;
    res.account = "a";
    res.attempt = 2;
    res.status = LTM_RESULT_UNCONFIRMED;
    res.final = 1;
    res.publish_ms = 42;
    res.finished_ms = 123456;
    char *line = ntf_record_line(&res);
    assert_int_equal(line[strlen(line) - 1], '\n');
    ntf_record r;
    assert_int_equal(ntf_record_parse(line, strlen(line) - 1, &r), 0);
    assert_string_equal(r.job_id, "post:a:1");
    assert_int_equal(r.kind, LTM_JOB_STORY);
    assert_int_equal(r.status, LTM_RESULT_UNCONFIRMED);
    assert_int_equal(r.publish_ms, 42);
    assert_int_equal(r.finished_ms, 123456);
    ntf_record_clear(&r);
    free(line);
    assert_int_equal(ntf_record_parse("{\"job_id\":1}", 12, &r), -2);
}

/* Found by tests/fuzz/fuzz_notifier: an hour of 1e300 in the state file
 * was converted to a negative instant (undefined) and indexed the ring
 * before its start. */
static void host_hour_out_of_range_is_skipped(void **state)
{
    (void)state;
    cJSON *j = cJSON_Parse("[{\"hour_ms\":1e300,\"cpu\":{\"max\":1,\"sum\":1,\"n\":1e300}},"
                           "{\"hour_ms\":-5}]");
    static ntf_host h;
    memset(&h, 0, sizeof h);
    ntf_host_from_json(&h, j);
    cJSON_Delete(j);
    for (int i = 0; i < NTF_HOST_BUCKETS; i++)
        assert_int_equal(h.buckets[i].hour_ms, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(figures_per_account_and_overall),
        cmocka_unit_test(host_metrics_from_the_fixture),
        cmocka_unit_test(host_hour_out_of_range_is_skipped),
        cmocka_unit_test(record_lines_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
