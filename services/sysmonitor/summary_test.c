#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "summary.h"

#include "ltm/error.h"

#include <string.h>

#define NOW 1795640000000LL
#define HOUR (3600LL * 1000)

/* Ten post attempts of "a" in the last hour (durations 10..100 ms, the last
 * two retries, one failed), a story of "b" two hours ago, a report three
 * days ago. */
static size_t build(history_entry *e)
{
    size_t n = 0;
    for (int i = 1; i <= 10; i++) {
        e[n++] = (history_entry){.job_id = "p", .account = "a", .kind = LTM_JOB_POST,
                                 .status = i == 10 ? LTM_RESULT_FAILED : LTM_RESULT_PUBLISHED,
                                 .attempt = i >= 9 ? 2 : 1, .finished_ms = NOW - i * 60000,
                                 .generate_ms = i * 10};
    }
    e[n++] = (history_entry){.job_id = "s", .account = "b", .kind = LTM_JOB_STORY,
                             .status = LTM_RESULT_PUBLISHED, .attempt = 1,
                             .finished_ms = NOW - 2 * HOUR, .publish_ms = 500};
    e[n++] = (history_entry){.job_id = "r", .kind = LTM_JOB_REPORT,
                             .status = LTM_RESULT_PUBLISHED, .attempt = 1,
                             .finished_ms = NOW - 72 * HOUR, .generate_ms = 7};
    return n;
}

static void percentiles_nearest_rank(void **state)
{
    (void)state;
    int64_t v[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    assert_int_equal(summary_percentile(v, 10, 50), 50);
    assert_int_equal(summary_percentile(v, 10, 95), 100);
    assert_int_equal(summary_percentile(v, 1, 50), 10);
    assert_int_equal(summary_percentile(v, 10, 0), 10);
}

static void stats_per_period_kind_and_account(void **state)
{
    (void)state;
    history_entry e[16];
    size_t n = build(e);
    summary_stats s;
    assert_int_equal(summary_compute(e, n, NOW - HOUR, NOW, -1, NULL, &s), LTM_OK);
    assert_int_equal(s.count, 10);
    assert_int_equal(s.succeeded, 9);
    assert_int_equal(s.retries, 2);
    assert_float_equal(s.success_rate, 0.9, 1e-12);
    assert_int_equal(s.p50_ms, 50);
    assert_int_equal(s.p95_ms, 100);
    assert_int_equal(s.max_ms, 100);
    assert_int_equal(summary_compute(e, n, NOW - 24 * HOUR, NOW, LTM_JOB_STORY, NULL, &s), LTM_OK);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.max_ms, 500);
    assert_int_equal(summary_compute(e, n, NOW - 24 * HOUR, NOW, -1, "b", &s), LTM_OK);
    assert_int_equal(s.count, 1);
    assert_int_equal(summary_compute(e, n, NOW - HOUR, NOW, -1, "nobody", &s), LTM_OK);
    assert_int_equal(s.count, 0);
    assert_float_equal(s.success_rate, 0, 0);
}

static void json_has_hour_day_week(void **state)
{
    (void)state;
    history_entry e[16];
    size_t n = build(e);
    cJSON *o = summary_build(e, n, NOW);
    assert_non_null(o);
    cJSON *p = cJSON_GetObjectItem(o, "periods");
    cJSON *hour = cJSON_GetObjectItem(p, "hour"), *day = cJSON_GetObjectItem(p, "day");
    cJSON *week = cJSON_GetObjectItem(p, "week");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(hour, "all"), "count")->valueint, 10);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(day, "all"), "count")->valueint, 11);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(week, "all"), "count")->valueint, 12);
    cJSON *kinds = cJSON_GetObjectItem(week, "kinds");
    assert_non_null(cJSON_GetObjectItem(kinds, "report"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(hour, "kinds"), "story"));
    cJSON *acc = cJSON_GetObjectItem(day, "accounts");
    assert_int_equal(cJSON_GetArraySize(acc), 2);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(acc, "a"), "retries")->valueint, 2);
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_nearest_rank),
        cmocka_unit_test(stats_per_period_kind_and_account),
        cmocka_unit_test(json_has_hour_day_week),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
