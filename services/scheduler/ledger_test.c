#include "ledger.h"
#include "ledger_files_test.h"

#include "ltm/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static ledger_job sample(const char *id, int64_t slot)
{
    ledger_job j = {0};
    snprintf(j.job_id, sizeof j.job_id, "%s", id);
    j.kind = LTM_JOB_POST;
    snprintf(j.account, sizeof j.account, "acme");
    j.slot_ms = slot;
    snprintf(j.state, sizeof j.state, LEDGER_WAITING);
    j.max_attempts = 3;
    j.due_ms = slot;
    snprintf(j.origin, sizeof j.origin, "schedule");
    j.created_ms = slot;
    return j;
}


static void a_job_id_is_recorded_once(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    ledger *l;
    char err[200];
    assert_int_equal(ledger_open(path, &l, err, sizeof err), 0);
    ledger_job j = sample("post:acme:2026-11-25T09:00:00Z", 1000);
    j.text = strdup("hello");
    assert_int_equal(ledger_job_insert(l, &j), 1);
    assert_int_equal(ledger_job_insert(l, &j), 0);
    ledger_job_clear(&j);
    ledger_close(l);
    /* Durable: a new process sees it. */
    assert_int_equal(ledger_open(path, &l, err, sizeof err), 0);
    ledger_job got;
    assert_int_equal(ledger_job_get(l, "post:acme:2026-11-25T09:00:00Z", &got), 0);
    assert_string_equal(got.text, "hello");
    assert_int_equal(got.due_ms, 1000);
    ledger_job_clear(&got);
    assert_int_equal(ledger_job_get(l, "nope", &got), LTM_ENOTFOUND);
    int64_t due;
    assert_int_equal(ledger_next_due(l, &due), 0);
    assert_int_equal(due, 1000);
    ledger_close(l);
    remove_ledger(path);
}

static void attempts_results_and_history(void **state)
{
    (void)state;
    ledger *l;
    char err[200];
    assert_int_equal(ledger_open(":memory:", &l, err, sizeof err), 0);
    ledger_job j = sample("post:acme:a", 1000);
    ledger_job_insert(l, &j);
    char outcome[32];
    assert_int_equal(ledger_attempt_outcome(l, j.job_id, 1, outcome, sizeof outcome), LTM_ENOTFOUND);
    assert_int_equal(ledger_attempt_insert(l, j.job_id, 1, 1000, 2000), 0);
    assert_int_equal(ledger_attempt_outcome(l, j.job_id, 1, outcome, sizeof outcome), 0);
    assert_string_equal(outcome, "");
    assert_int_equal(ledger_attempt_finish(l, j.job_id, 1, "failed", "server", "502", 1500), 0);
    assert_int_equal(ledger_attempt_outcome(l, j.job_id, 1, outcome, sizeof outcome), 0);
    assert_string_equal(outcome, "failed");
    ltm_result r = {.job_id = j.job_id, .attempt = 1, .status = LTM_RESULT_FAILED};
    assert_int_equal(ledger_result_insert(l, &r, 1, NULL, 1500), 0);
    cJSON *jobs = NULL;
    assert_int_equal(ledger_jobs_json(l, "acme", 0, 10, &jobs), 0);
    assert_int_equal(cJSON_GetArraySize(jobs), 1);
    cJSON *first = cJSON_GetArrayItem(jobs, 0);
    cJSON *attempts = cJSON_GetObjectItem(first, "attempts");
    assert_int_equal(cJSON_GetArraySize(attempts), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(attempts, 0), "outcome")->valuestring,
                        "failed");
    cJSON_Delete(jobs);
    assert_int_equal(ledger_jobs_json(l, "other", 0, 10, &jobs), 0);
    assert_int_equal(cJSON_GetArraySize(jobs), 0);
    cJSON_Delete(jobs);
    int count = -1;
    assert_int_equal(ledger_count_posts(l, "acme", 0, 5000, &count), 0);
    assert_int_equal(count, 1);
    int paused;
    int64_t until;
    assert_int_equal(ledger_pause_set(l, "acme", 1, 77, "operator", 5), 0);
    assert_int_equal(ledger_pause_get(l, "acme", &paused, &until), 0);
    assert_int_equal(paused, 1);
    assert_int_equal(until, 77);
    ledger_close(l);
}

static void prune_removes_old_final_jobs_only(void **state)
{
    (void)state;
    ledger *l;
    char err[200];
    assert_int_equal(ledger_open(":memory:", &l, err, sizeof err), 0);
    for (int i = 0; i < 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "post:acme:%d", i);
        ledger_job j = sample(id, 1000 + i);
        if (i < 3)
            snprintf(j.state, sizeof j.state, "published");
        ledger_job_insert(l, &j);
        ledger_attempt_insert(l, id, 1, 1000 + i, 2000);
        ltm_result r = {.job_id = id, .attempt = 1, .status = LTM_RESULT_PUBLISHED};
        ledger_result_insert(l, &r, 1, NULL, 1000 + i);
    }
    ltm_result stray = {.job_id = "post:ghost:1", .attempt = 1, .status = LTM_RESULT_FAILED};
    ledger_result_insert(l, &stray, 0, "unknown job", 500);
    int deleted = 0;
    /* Jobs 0 and 1 are old and final; 2 is final but recent; 3, 4 active. */
    assert_int_equal(ledger_prune(l, 1002, 100, &deleted), 0);
    assert_int_equal(deleted, 3); /* 2 jobs + the stray result */
    ledger_job got;
    assert_int_equal(ledger_job_get(l, "post:acme:0", &got), LTM_ENOTFOUND);
    assert_int_equal(ledger_job_get(l, "post:acme:2", &got), 0);
    ledger_job_clear(&got);
    char outcome[32];
    assert_int_equal(ledger_attempt_outcome(l, "post:acme:1", 1, outcome, sizeof outcome),
                     LTM_ENOTFOUND);
    assert_int_equal(ledger_prune(l, 1000000, 100, &deleted), 0);
    /* Job 2 goes; jobs 3 and 4 are active and stay, but their results are
     * older than the cut-off and go. */
    assert_int_equal(deleted, 1 + 2);
    assert_int_equal(ledger_job_get(l, "post:acme:4", &got), 0);
    ledger_job_clear(&got);
    ledger_close(l);
}

static void unopenable_path_is_reported(void **state)
{
    (void)state;
    ledger *l = NULL;
    char err[300] = "";
    assert_int_equal(ledger_open("/nonexistent-dir/x/ledger.db", &l, err, sizeof err), LTM_EDB);
    assert_non_null(strstr(err, "/nonexistent-dir/x/ledger.db"));
}

/* Only slot jobs in flight with their first attempt dispatched after the
 * "sent through" instant are armed jobs never sent: those go, with their
 * attempt; nothing else is touched. The note written without fsync reads
 * back, and a process that reopens the file sees it. */
static void disarm_removes_only_armed_jobs_never_sent(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    ledger *l;
    char err[200];
    assert_int_equal(ledger_open(path, &l, err, sizeof err), 0);
    struct {
        const char *id, *state, *origin;
        int attempt;
        int64_t dispatched;
        int gone;
    } cases[] = {
        {"post:acme:armed", LEDGER_IN_FLIGHT, "schedule", 1, 9000, 1},
        {"report:armed", LEDGER_IN_FLIGHT, "system", 1, 9000, 1},
        {"post:acme:sent", LEDGER_IN_FLIGHT, "schedule", 1, 5000, 0},
        {"post:acme:ondemand", LEDGER_IN_FLIGHT, "ltmctl", 1, 9000, 0},
        {"post:acme:retry", LEDGER_IN_FLIGHT, "schedule", 2, 9000, 0},
        {"post:acme:waiting", LEDGER_WAITING, "schedule", 1, 9000, 0},
        /* An engagement check (origin system) is never armed: never disarmed. */
        {"engagement:post:acme:x@1h", LEDGER_IN_FLIGHT, "system", 1, 9000, 0},
    };
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        ledger_job j = sample(cases[i].id, 9000);
        snprintf(j.state, sizeof j.state, "%s", cases[i].state);
        snprintf(j.origin, sizeof j.origin, "%s", cases[i].origin);
        if (strncmp(cases[i].id, "engagement:", 11) == 0)
            j.kind = LTM_JOB_ENGAGEMENT;
        j.attempt = cases[i].attempt;
        j.due_ms = cases[i].dispatched + 600000;
        assert_int_equal(ledger_job_insert(l, &j), 1);
        for (int a = 1; a <= cases[i].attempt; a++)
            assert_int_equal(ledger_attempt_insert(l, cases[i].id, a, cases[i].dispatched,
                                                   cases[i].dispatched + 600000), 0);
    }
    assert_int_equal(ledger_meta_set_int_nosync(l, "sent_through_ms", 5000), 0);
    int64_t sent = 0;
    assert_int_equal(ledger_meta_get_int(l, "sent_through_ms", &sent), 0);
    assert_int_equal(sent, 5000);
    ledger_close(l);
    assert_int_equal(ledger_open(path, &l, err, sizeof err), 0);
    assert_int_equal(ledger_meta_get_int(l, "sent_through_ms", &sent), 0);
    assert_int_equal(sent, 5000);
    assert_int_equal(ledger_begin(l), 0);
    int deleted = -1;
    assert_int_equal(ledger_disarm(l, sent, &deleted), 0);
    assert_int_equal(ledger_commit(l), 0);
    assert_int_equal(deleted, 2);
    for (size_t i = 0; i < n; i++) {
        ledger_job got;
        char outcome[32];
        assert_int_equal(ledger_job_get(l, cases[i].id, &got), cases[i].gone ? LTM_ENOTFOUND : 0);
        if (!cases[i].gone)
            ledger_job_clear(&got);
        assert_int_equal(ledger_attempt_outcome(l, cases[i].id, 1, outcome, sizeof outcome),
                         cases[i].gone ? LTM_ENOTFOUND : 0);
    }
    assert_int_equal(ledger_attempt_delete(l, "post:acme:retry", 2), 0);
    char outcome[32];
    assert_int_equal(ledger_attempt_outcome(l, "post:acme:retry", 2, outcome, sizeof outcome),
                     LTM_ENOTFOUND);
    assert_int_equal(ledger_attempt_outcome(l, "post:acme:retry", 1, outcome, sizeof outcome), 0);
    ledger_close(l);
    remove_ledger(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_job_id_is_recorded_once),
        cmocka_unit_test(attempts_results_and_history),
        cmocka_unit_test(prune_removes_old_final_jobs_only),
        cmocka_unit_test(unopenable_path_is_reported),
        cmocka_unit_test(disarm_removes_only_armed_jobs_never_sent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
