#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "history.h"
#include "summary.h"

#include "ltm/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1795640000000LL
#define HOUR (3600LL * 1000)

static history_entry entry(const char *job, int attempt, int64_t at)
{
    history_entry e = {.job_id = (char *)job, .account = "demo", .kind = LTM_JOB_POST,
                       .status = LTM_RESULT_PUBLISHED, .attempt = attempt, .final = 1,
                       .finished_ms = at, .generate_ms = 10, .publish_ms = 5};
    return e;
}

static void duplicates_count_once(void **state)
{
    (void)state;
    history *h;
    assert_int_equal(history_new(24 * HOUR, 1000, &h), LTM_OK);
    history_entry e = entry("post:demo:1", 1, NOW);
    int added;
    assert_int_equal(history_add(h, &e, NOW, &added), LTM_OK);
    assert_true(added);
    assert_int_equal(history_add(h, &e, NOW, &added), LTM_OK);
    assert_false(added);
    e.attempt = 2; /* the retry is another attempt */
    assert_int_equal(history_add(h, &e, NOW, &added), LTM_OK);
    assert_true(added);
    assert_int_equal(history_count(h), 2);
    assert_int_equal(history_duration_ms(&history_entries(h)[0]), 15);
    history_free(h);
}

static void from_results_with_bad_clock(void **state)
{
    (void)state;
    const char *json = "{\"job_id\":\"j1\",\"kind\":\"story\",\"account\":\"a\",\"attempt\":1,"
                       "\"status\":\"failed\",\"retryable\":true,\"final\":false,"
                       "\"error_class\":\"network\",\"error\":\"timeout\","
                       "\"durations_ms\":{\"generate\":3,\"image\":4,\"publish\":5},"
                       "\"finished_at\":\"2099-01-01T00:00:00Z\"}";
    ltm_result r;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_result_decode(json, strlen(json), &r, reason), LTM_OK);
    history *h;
    assert_int_equal(history_new(24 * HOUR, 1000, &h), LTM_OK);
    int added;
    assert_int_equal(history_add_result(h, &r, NOW, &added), LTM_OK);
    assert_true(added);
    const history_entry *e = history_entries(h);
    assert_int_equal(e->finished_ms, NOW); /* 2099 is a broken clock: time of receipt */
    assert_string_equal(e->error_class, "network");
    assert_int_equal(e->kind, LTM_JOB_STORY);
    assert_int_equal(history_duration_ms(e), 12);
    ltm_result_clear(&r);
    history_free(h);
}

static void bounded_by_age_and_count(void **state)
{
    (void)state;
    history *h;
    assert_int_equal(history_new(10 * HOUR, 100, &h), LTM_OK);
    int added;
    history_entry old = entry("old", 1, NOW - 11 * HOUR);
    assert_int_equal(history_add(h, &old, NOW, &added), LTM_OK);
    assert_false(added); /* already beyond the retention */
    char id[32];
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof id, "job-%d", i);
        history_entry e = entry(id, 1, NOW - 9 * HOUR + i);
        assert_int_equal(history_add(h, &e, NOW, &added), LTM_OK);
        assert_true(added);
        assert_true(history_count(h) <= 100);
    }
    /* The newest survive, and the index still finds them. */
    assert_string_equal(history_entries(h)[history_count(h) - 1].job_id, "job-499");
    history_entry again = entry("job-499", 1, NOW);
    assert_int_equal(history_add(h, &again, NOW, &added), LTM_OK);
    assert_false(added);
    size_t before = history_count(h);
    assert_int_equal(history_prune(h, NOW + 2 * HOUR), before); /* all older than 10 h now */
    assert_int_equal(history_count(h), 0);
    history_free(h);
}

static void json_round_trip_skips_bad_entries(void **state)
{
    (void)state;
    history *h, *back;
    assert_int_equal(history_new(24 * HOUR, 1000, &h), LTM_OK);
    int added;
    history_entry a = entry("a", 1, NOW - 1000), b = entry("b", 2, NOW);
    b.account = NULL;
    b.kind = LTM_JOB_REPORT;
    b.status = LTM_RESULT_FAILED;
    b.error_class = "internal";
    history_add(h, &a, NOW, &added);
    history_add(h, &b, NOW, &added);
    cJSON *j = history_to_json(h);
    assert_non_null(j);
    cJSON *bad = cJSON_CreateObject();
    cJSON_AddStringToObject(bad, "job_id", "x");
    cJSON_AddItemToArray(j, bad);
    assert_int_equal(history_new(24 * HOUR, 1000, &back), LTM_OK);
    size_t skipped;
    assert_int_equal(history_from_json(back, j, NOW, &skipped), LTM_OK);
    assert_int_equal(skipped, 1);
    assert_int_equal(history_count(back), 2);
    const history_entry *e = history_entries(back);
    assert_string_equal(e[0].account, "demo");
    assert_int_equal(e[0].finished_ms, NOW - 1000);
    assert_null(e[1].account);
    assert_int_equal(e[1].status, LTM_RESULT_FAILED);
    assert_string_equal(e[1].error_class, "internal");
    assert_int_equal(e[1].attempt, 2);
    cJSON_Delete(j);
    history_free(h);
    history_free(back);
}

/* Engagement checks publish nothing: a failed or read check must not move
 * the publications' counts, success rate or durations. */
static void engagement_results_are_not_counted(void **state)
{
    (void)state;
    const char *read = "{\"job_id\":\"engagement:post:a:1@1h\",\"kind\":\"engagement\","
                       "\"account\":\"a\",\"attempt\":1,\"status\":\"read\",\"retryable\":false,"
                       "\"final\":true,\"post_job_id\":\"post:a:1\",\"age_ms\":3600000,"
                       "\"figures\":{\"impressions\":5},\"durations_ms\":{\"publish\":900000},"
                       "\"finished_at\":\"2026-11-25T12:00:00Z\"}";
    const char *failed = "{\"job_id\":\"engagement:post:a:1@24h\",\"kind\":\"engagement\","
                         "\"account\":\"a\",\"attempt\":3,\"status\":\"failed\","
                         "\"retryable\":false,\"final\":true,\"error_class\":\"permission\","
                         "\"post_job_id\":\"post:a:1\",\"age_ms\":86400000,"
                         "\"finished_at\":\"2026-11-25T12:00:00Z\"}";
    history *h;
    assert_int_equal(history_new(24 * HOUR, 1000, &h), LTM_OK);
    history_entry published = entry("post:a:1", 1, NOW - HOUR);
    int added;
    assert_int_equal(history_add(h, &published, NOW, &added), LTM_OK);
    const char *msgs[] = {read, failed};
    for (size_t i = 0; i < 2; i++) {
        ltm_result r;
        char reason[LTM_REASON_SIZE];
        assert_int_equal(ltm_result_decode(msgs[i], strlen(msgs[i]), &r, reason), LTM_OK);
        assert_false(history_takes_result(&r));
        assert_int_equal(history_add_result(h, &r, NOW, &added), LTM_OK);
        assert_false(added);
        ltm_result_clear(&r);
    }
    /* Nor through the saved state, whatever wrote it there. */
    history_entry check = entry("engagement:post:a:1@7d", 1, NOW);
    check.kind = LTM_JOB_ENGAGEMENT;
    check.status = LTM_RESULT_FAILED;
    assert_int_equal(history_add(h, &check, NOW, &added), LTM_OK);
    assert_false(added);
    assert_int_equal(history_count(h), 1);
    summary_stats s;
    assert_int_equal(summary_compute(history_entries(h), history_count(h), NOW - 24 * HOUR, NOW,
                                     -1, "demo", &s),
                     LTM_OK);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.succeeded, 1);
    assert_int_equal(s.max_ms, 15);
    history_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duplicates_count_once),
        cmocka_unit_test(from_results_with_bad_clock),
        cmocka_unit_test(bounded_by_age_and_count),
        cmocka_unit_test(json_round_trip_skips_bad_entries),
        cmocka_unit_test(engagement_results_are_not_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
