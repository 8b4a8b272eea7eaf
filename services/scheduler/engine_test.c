/* The retry, lease, duplicate, missed-slot, restart and daily-limit policy
 * of issue 5 on a fake clock: every instant is given, nothing sleeps. */
#include "engine_harness_test.h"
#include "ledger_files_test.h"

#include <sqlite3.h>
#include <unistd.h>

static engine_settings defaults(void)
{
    engine_settings s = {.max_attempts = 3, .post_base_ms = 30 * S, .story_base_ms = 60 * S,
                         .report_base_ms = 60 * S, .lease_ms = 600 * S, .grace_ms = 3600 * S,
                         .rate_limit_ms = 900 * S, .report_minute = -1};
    return s;
}

static void answer(engine *e, const char *job_id, int attempt, ltm_result_status status,
                   int retryable, const char *cls, int64_t retry_after, int64_t now)
{
    ltm_result r = {0};
    r.job_id = (char *)job_id;
    r.kind = strncmp(job_id, "story", 5) == 0    ? LTM_JOB_STORY
             : strncmp(job_id, "report", 6) == 0 ? LTM_JOB_REPORT
                                                 : LTM_JOB_POST;
    r.account = r.kind == LTM_JOB_REPORT ? NULL : "acme";
    r.attempt = attempt;
    r.status = status;
    r.retryable = retryable;
    r.error_class = (char *)cls;
    r.retry_after_ms = retry_after;
    r.worker = "ltm-poster-1";
    r.finished_ms = now;
    assert_int_equal(engine_on_result(e, &r, now), 0);
}

static void expect_state(engine *e, const char *job_id, const char *state, int attempt)
{
    ledger_job j;
    assert_int_equal(ledger_job_get(engine_ledger(e), job_id, &j), 0);
    assert_string_equal(j.state, state);
    assert_int_equal(j.attempt, attempt);
    ledger_job_clear(&j);
}

static const char *ACME = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":{\"posts\":[\"09:00\"]}}]}";
static const char *ID = "post:acme:2026-11-25T09:00:00Z";

static void three_attempts_with_exact_delays_then_final(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    assert_int_equal(engine_start(e, t0 - 60 * S), 0);
    assert_int_equal(engine_next_wake(e, t0 - 60 * S, 3600 * S), 60 * S);
    engine_run(e, t0 - 1);
    assert_int_equal(nout, 0);
    engine_run(e, t0);
    assert_int_equal(nout, 1);
    assert_string_equal(out[0].topic, "ltm/jobs/post");
    ltm_job j = job_at(0);
    assert_string_equal(j.job_id, ID);
    assert_int_equal(j.attempt, 1);
    assert_int_equal(j.max_attempts, 3);
    assert_int_equal(j.slot_ms, t0);
    assert_int_equal(j.lease_ms, 600 * S);
    ltm_job_clear(&j);

    answer(e, ID, 1, LTM_RESULT_FAILED, 1, "server", 0, t0 + 1 * S);
    assert_int_equal(engine_next_wake(e, t0 + 1 * S, 3600 * S), 30 * S); /* 1 x 30 s */
    char *detail = engine_detail_json(e, t0 + 1 * S);
    assert_non_null(strstr(detail, "\"pending\":1,\"pending_retries\":1,\"waiting\":0,\"in_flight\":0"));
    assert_non_null(strstr(detail, "\"next_due\":[{\"kind\":\"post\",\"account\":\"acme\","
                                   "\"at\":\"2026-11-26T09:00:00.000Z\"}]"));
    free(detail);
    engine_run(e, t0 + 31 * S - 1);
    assert_int_equal(nout, 1);
    engine_run(e, t0 + 31 * S);
    assert_int_equal(nout, 2);
    j = job_at(1);
    assert_int_equal(j.attempt, 2);
    ltm_job_clear(&j);

    answer(e, ID, 2, LTM_RESULT_FAILED, 1, "network", 0, t0 + 32 * S);
    assert_int_equal(engine_next_wake(e, t0 + 32 * S, 3600 * S), 60 * S); /* 2 x 30 s */
    engine_run(e, t0 + 92 * S);
    assert_int_equal(nout, 3);
    j = job_at(2);
    assert_int_equal(j.attempt, 3);
    ltm_job_clear(&j);

    answer(e, ID, 3, LTM_RESULT_FAILED, 1, "server", 0, t0 + 93 * S);
    assert_int_equal(nout, 4);
    assert_string_equal(out[3].topic, "ltm/results");
    ltm_result r = result_at(3);
    assert_string_equal(r.job_id, ID);
    assert_int_equal(r.status, LTM_RESULT_FAILED);
    assert_true(r.final);
    assert_int_equal(r.attempt, 3);
    assert_string_equal(r.error_class, "server");
    assert_non_null(strstr(r.error, "3 attempts failed"));
    ltm_result_clear(&r);
    expect_state(e, ID, "failed", 3);
    engine_run(e, t0 + 3600 * S);
    assert_int_equal(nout, 4);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* No slot at all (no schedule, no daily report): the status detail still
 * renders, with nothing due (an empty heap once reached memcpy with NULL). */
static void detail_without_any_slot(void **state)
{
    (void)state;
    ledger *l = open_ledger(":memory:");
    engine_settings s = defaults();
    engine *e = make("{\"accounts\":[{\"name\":\"acme\",\"timezone\":\"UTC\"}]}", &s, l);
    char *detail = engine_detail_json(e, iso("2026-11-25T12:00:00Z"));
    assert_non_null(detail);
    assert_non_null(strstr(detail, "\"next_due\":[]"));
    free(detail);
    engine_free(e);
    ledger_close(l);
}

static void fails_twice_then_publishes_once(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    engine_start(e, t0 - S);
    engine_run(e, t0);
    answer(e, ID, 1, LTM_RESULT_FAILED, 1, "server", 0, t0 + S);
    engine_run(e, t0 + 31 * S);
    answer(e, ID, 2, LTM_RESULT_FAILED, 1, "server", 0, t0 + 32 * S);
    engine_run(e, t0 + 92 * S);
    answer(e, ID, 3, LTM_RESULT_PUBLISHED, 0, NULL, 0, t0 + 93 * S);
    assert_int_equal(nout, 3); /* three dispatches, no final failure */
    expect_state(e, ID, "published", 3);
    /* The same result again is recorded, not counted. */
    answer(e, ID, 3, LTM_RESULT_PUBLISHED, 0, NULL, 0, t0 + 94 * S);
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.results_counted, 3);
    assert_int_equal(c.results_ignored, 1);
    assert_int_equal(c.dispatched, 3);
    assert_int_equal(nout, 3);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void lease_expiry_and_late_results(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    engine_start(e, t0 - S);
    engine_run(e, t0);
    assert_int_equal(engine_next_wake(e, t0, 3600 * S), 600 * S);
    engine_run(e, t0 + 600 * S - 1);
    assert_int_equal(nout, 1);
    engine_run(e, t0 + 600 * S); /* the worker died: the attempt failed */
    expect_state(e, ID, "waiting", 1);
    engine_run(e, t0 + 630 * S);
    assert_int_equal(nout, 2);
    expect_state(e, ID, "in_flight", 2);
    /* Attempt 1's late failure changes nothing... */
    answer(e, ID, 1, LTM_RESULT_FAILED, 1, "network", 0, t0 + 631 * S);
    expect_state(e, ID, "in_flight", 2);
    /* ...its late success ends the job: attempt 2 must not count again. */
    answer(e, ID, 1, LTM_RESULT_PUBLISHED, 0, NULL, 0, t0 + 632 * S);
    expect_state(e, ID, "published", 2);
    answer(e, ID, 2, LTM_RESULT_PUBLISHED, 0, NULL, 0, t0 + 633 * S);
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.results_counted, 1);
    assert_int_equal(c.results_ignored, 2);
    assert_int_equal(c.lease_expired, 1);
    assert_int_equal(nout, 2);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void last_attempt_lease_expiry_is_final(void **state)
{
    (void)state;
    engine_settings s = defaults();
    s.max_attempts = 1;
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    engine_start(e, t0 - S);
    engine_run(e, t0);
    engine_run(e, t0 + 600 * S);
    assert_int_equal(nout, 2);
    ltm_result r = result_at(1);
    assert_true(r.final);
    assert_string_equal(r.error_class, "lease_expired");
    ltm_result_clear(&r);
    expect_state(e, ID, "failed", 1);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void not_retryable_and_rate_limits(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make("{\"accounts\":[{\"name\":\"acme\",\"schedule\":{\"posts\":[\"09:00\"],"
                     "\"stories\":[\"09:00\"]}}]}", &s, l);
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    engine_start(e, t0 - S);
    engine_run(e, t0);
    assert_int_equal(nout, 2);
    const char *story = "story:acme:2026-11-25T09:00:00Z";
    /* A dead token needs a person: final at once, reported by us since the
     * worker did not say final. */
    answer(e, ID, 1, LTM_RESULT_FAILED, 0, "auth", 0, t0 + S);
    expect_state(e, ID, "failed", 1);
    assert_int_equal(nout, 3);
    ltm_result r = result_at(2);
    assert_true(r.final);
    assert_string_equal(r.error_class, "auth");
    ltm_result_clear(&r);
    /* A rate limit holds the account back without burning an attempt. */
    answer(e, story, 1, LTM_RESULT_FAILED, 1, "rate_limited", 120 * S, t0 + 2 * S);
    expect_state(e, story, "waiting", 1);
    assert_int_equal(engine_next_wake(e, t0 + 2 * S, 3600 * S), 120 * S);
    engine_run(e, t0 + 122 * S);
    assert_int_equal(nout, 4);
    ltm_job j = job_at(3);
    assert_int_equal(j.attempt, 2);
    assert_int_equal(j.max_attempts, 4);
    ltm_job_clear(&j);
    ledger_job lj;
    ledger_job_get(l, story, &lj);
    assert_int_equal(lj.failures, 0);
    ledger_job_clear(&lj);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void restart_keeps_pending_retries_and_dispatches_once(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    ledger *l = open_ledger(path);
    engine *e = make(ACME, &s, l);
    engine_start(e, t0 - S);
    engine_run(e, t0);
    answer(e, ID, 1, LTM_RESULT_FAILED, 1, "server", 0, t0 + S);
    engine_free(e);
    ledger_close(l);
    /* Restarted at the very instant: the slot is not dispatched again, the
     * retry is still due at t0 + 31 s. */
    l = open_ledger(path);
    e = make(ACME, &s, l);
    engine_start(e, t0 + 2 * S);
    engine_run(e, t0 + 2 * S);
    assert_int_equal(nout, 1);
    assert_int_equal(engine_next_wake(e, t0 + 2 * S, 3600 * S), 29 * S);
    engine_run(e, t0 + 31 * S);
    assert_int_equal(nout, 2);
    ltm_job j = job_at(1);
    assert_int_equal(j.attempt, 2);
    ltm_job_clear(&j);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

static void missed_slots_after_downtime(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    const char *hourly = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":{\"posts\":"
                         "[\"09:00\",\"10:00\",\"11:00\",\"12:00\"]}}]}";
    engine_settings s = defaults();
    ledger *l = open_ledger(path);
    engine *e = make(hourly, &s, l);
    engine_start(e, iso("2026-11-25T08:30:00Z"));
    engine_free(e);
    ledger_close(l);
    /* Down from 08:30 to 11:30 with a 1 h grace: 09:00 and 10:00 are
     * missed, 11:00 still goes out, 12:00 waits for its time. */
    l = open_ledger(path);
    e = make(hourly, &s, l);
    int64_t now = iso("2026-11-25T11:30:00Z");
    engine_start(e, now);
    engine_run(e, now);
    assert_int_equal(nout, 3);
    ltm_result r = result_at(0);
    assert_string_equal(r.job_id, "post:acme:2026-11-25T09:00:00Z");
    assert_int_equal(r.status, LTM_RESULT_MISSED);
    assert_true(r.final);
    ltm_result_clear(&r);
    r = result_at(1);
    assert_string_equal(r.job_id, "post:acme:2026-11-25T10:00:00Z");
    ltm_result_clear(&r);
    ltm_job j = job_at(2);
    assert_string_equal(j.job_id, "post:acme:2026-11-25T11:00:00Z");
    ltm_job_clear(&j);
    /* The next wake-up is the lease of the 11:00 job, before the 12:00 slot. */
    assert_int_equal(engine_next_wake(e, now, 7200 * S), 600 * S);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

static void stale_slots_while_running_are_missed(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    engine_start(e, iso("2026-11-25T08:00:00Z"));
    /* The process was frozen for two days: the 09:00 slots of the 25th and
     * 26th are older than the grace period, the 27th's is on time. */
    engine_run(e, iso("2026-11-27T09:00:00Z"));
    assert_int_equal(nout, 3);
    assert_string_equal(out[0].topic, "ltm/results");
    assert_string_equal(out[1].topic, "ltm/results");
    assert_string_equal(out[2].topic, "ltm/jobs/post");
    expect_state(e, ID, "missed", 0);
    expect_state(e, "post:acme:2026-11-27T09:00:00Z", "in_flight", 1);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void daily_limits(void **state)
{
    (void)state;
    engine_settings s = defaults();
    s.grace_ms = 86400 * S; /* the clock jumps over several slots at once */
    ledger *l = open_ledger(":memory:");
    engine *e = make("{\"accounts\":[{\"name\":\"acme\",\"timezone\":\"Europe/Berlin\","
                     "\"schedule\":{\"posts\":[\"09:00\",\"09:30\",\"11:00\",\"12:00\"],"
                     "\"max_posts_per_day\":2,\"min_minutes_between_posts\":60}}]}", &s, l);
    engine_start(e, iso("2026-11-25T07:00:00Z"));
    engine_run(e, iso("2026-11-25T12:00:00Z")); /* 09:00..12:00 CET */
    assert_int_equal(nout, 2);
    ltm_job j = job_at(0);
    assert_string_equal(j.job_id, "post:acme:2026-11-25T08:00:00Z");
    ltm_job_clear(&j);
    j = job_at(1);
    assert_string_equal(j.job_id, "post:acme:2026-11-25T10:00:00Z");
    ltm_job_clear(&j);
    expect_state(e, "post:acme:2026-11-25T08:30:00Z", "skipped", 0);
    expect_state(e, "post:acme:2026-11-25T11:00:00Z", "skipped", 0);
    /* The next local day starts a new count. */
    engine_run(e, iso("2026-11-26T08:00:00Z"));
    assert_int_equal(nout, 3);
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.skipped, 2);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void report_job_pause_and_on_demand(void **state)
{
    (void)state;
    engine_settings s = defaults();
    s.report_minute = 6 * 60;
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    engine_start(e, iso("2026-11-25T05:00:00Z"));
    engine_run(e, iso("2026-11-25T06:00:00Z"));
    assert_int_equal(nout, 1);
    assert_string_equal(out[0].topic, "ltm/jobs/report");
    ltm_job j = job_at(0);
    assert_string_equal(j.job_id, "report:2026-11-25");
    assert_int_equal(j.kind, LTM_JOB_REPORT);
    assert_null(j.account);
    ltm_job_clear(&j);
    answer(e, "report:2026-11-25", 1, LTM_RESULT_PUBLISHED, 0, NULL, 0, iso("2026-11-25T06:00:01Z"));
    expect_state(e, "report:2026-11-25", "published", 1);
    char err[200], id[200];
    assert_int_equal(engine_set_paused(e, "acme", 1, iso("2026-11-25T07:00:00Z"), err, sizeof err), 0);
    engine_run(e, iso("2026-11-25T09:00:00Z"));
    assert_int_equal(nout, 1);
    expect_state(e, ID, "skipped", 0);
    assert_int_equal(engine_set_paused(e, "nobody", 1, 0, err, sizeof err), LTM_ENOTFOUND);
    assert_int_equal(engine_set_paused(e, "acme", 0, iso("2026-11-25T09:10:00Z"), err, sizeof err), 0);
    int64_t now = iso("2026-11-25T09:20:00Z");
    ledger_begin(l);
    assert_int_equal(engine_submit(e, LTM_JOB_POST, "acme", "req-1", "hello", NULL, NULL, 0, now,
                                   id, sizeof id, err, sizeof err), 0);
    ledger_commit(l);
    assert_string_equal(id, "post:acme:ondemand:req-1");
    engine_run(e, now);
    assert_int_equal(nout, 2);
    j = job_at(1);
    assert_string_equal(j.text, "hello");
    assert_int_equal(j.attempt, 1);
    ltm_job_clear(&j);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* Ten accounts with a post at 09:00: more than the first dispatch batch. */
static const char *TEN =
    "{\"accounts\":[{\"name\":\"a0\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a1\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a2\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a3\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a4\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a5\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a6\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a7\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a8\",\"schedule\":{\"posts\":[\"09:00\"]}},"
    "{\"name\":\"a9\",\"schedule\":{\"posts\":[\"09:00\"]}}]}";

/* From another connection: the ledger refuses any job after the first
 * eight (a disk that fills up between two batches), or accepts them again. */
static void ledger_refuses_after_eight(const char *path, int on)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, on ? "CREATE TRIGGER full BEFORE INSERT ON jobs"
                                           " WHEN (SELECT COUNT(*) FROM jobs) >= 8"
                                           " BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
                                         : "DROP TRIGGER full;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}

static int count_in_flight(ledger *l)
{
    int waiting, retries, in_flight, held;
    assert_int_equal(ledger_active_counts(l, &waiting, &retries, &in_flight, &held), 0);
    return in_flight;
}

/* A burst larger than one batch, interrupted after the first batch's
 * commit: the slots of the later batches are neither lost at the restart
 * (the ledger must not claim the whole instant was handled) nor in the
 * running process (a batch rolled back must not advance the slots). */
static void burst_interrupted_between_batches(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    /* Killed after the first batch: the restart dispatches the other two. */
    ledger *l = open_ledger(path);
    engine *e = make(TEN, &s, l);
    engine_start(e, t0 - S);
    ledger_refuses_after_eight(path, 1);
    assert_int_not_equal(engine_run(e, t0), 0);
    assert_int_equal(nout, 8);
    engine_free(e);
    ledger_close(l);
    ledger_refuses_after_eight(path, 0);
    l = open_ledger(path);
    e = make(TEN, &s, l);
    engine_start(e, t0 + S);
    engine_run(e, t0 + S);
    assert_int_equal(nout, 10);
    assert_int_equal(count_in_flight(l), 10);
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
    reset();

    /* The same failure in a process that keeps running: the next pass
     * fires what the failed batch did not record. */
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    l = open_ledger(path);
    e = make(TEN, &s, l);
    engine_start(e, t0 - S);
    ledger_refuses_after_eight(path, 1);
    assert_int_not_equal(engine_run(e, t0), 0);
    assert_int_equal(nout, 8);
    ledger_refuses_after_eight(path, 0);
    assert_int_equal(engine_run(e, t0 + S), 0);
    assert_int_equal(nout, 10);
    assert_int_equal(count_in_flight(l), 10);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

/* Jobs held while an account was paused in the accounts file wait for the
 * file to change; at the restart that applies the change they go out, or
 * fail with a reason when the account is gone, instead of staying held
 * for ever (ltmctl resume does not know a removed account). */
static void held_jobs_after_the_accounts_file_changed(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    const char *paused = "{\"accounts\":[{\"name\":\"acme\",\"paused\":true,\"schedule\":"
                         "{\"posts\":[\"09:00\"]}},{\"name\":\"beta\",\"paused\":true,"
                         "\"schedule\":{\"posts\":[\"09:00\"]}}]}";
    int64_t now = iso("2026-11-25T10:00:00Z");
    ledger *l = open_ledger(path);
    engine *e = make(paused, &s, l);
    engine_start(e, now);
    char err[200], id[200];
    ledger_begin(l);
    assert_int_equal(engine_submit(e, LTM_JOB_POST, "acme", "req-1", "hi", NULL, NULL, 0, now,
                                   id, sizeof id, err, sizeof err), 0);
    assert_int_equal(engine_submit(e, LTM_JOB_POST, "beta", "req-2", "hi", NULL, NULL, 0, now,
                                   id, sizeof id, err, sizeof err), 0);
    ledger_commit(l);
    engine_run(e, now);
    expect_state(e, "post:acme:ondemand:req-1", "held", 0);
    expect_state(e, "post:beta:ondemand:req-2", "held", 0);
    assert_int_equal(nout, 0);
    engine_free(e);
    ledger_close(l);
    /* acme no longer paused, beta removed. */
    l = open_ledger(path);
    e = make(ACME, &s, l);
    engine_start(e, now + 60 * S);
    engine_run(e, now + 60 * S);
    expect_state(e, "post:acme:ondemand:req-1", "in_flight", 1);
    expect_state(e, "post:beta:ondemand:req-2", "failed", 0);
    assert_int_equal(nout, 2);
    reset();
    engine_free(e);
    ledger_close(l);
    /* Still paused after a restart: still held, nothing sent. */
    l = open_ledger(path);
    e = make(paused, &s, l);
    ledger_begin(l);
    assert_int_equal(engine_submit(e, LTM_JOB_POST, "acme", "req-3", "hi", NULL, NULL, 0,
                                   now + 120 * S, id, sizeof id, err, sizeof err), 0);
    ledger_commit(l);
    engine_start(e, now + 120 * S);
    engine_run(e, now + 120 * S);
    engine_free(e);
    ledger_close(l);
    l = open_ledger(path);
    e = make(paused, &s, l);
    engine_start(e, now + 180 * S);
    engine_run(e, now + 180 * S);
    expect_state(e, "post:acme:ondemand:req-3", "held", 0);
    assert_int_equal(nout, 0);
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

/* A slot skipped while the account is both paused and rate limited keeps
 * the reason it was skipped for. */
static void skipped_slot_keeps_its_reason_under_a_rate_limit(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    engine_start(e, t0 - 60 * S);
    ledger_begin(l);
    assert_int_equal(ledger_pause_set(l, "acme", 1, t0 + 600 * S, "operator", t0 - 30 * S), 0);
    ledger_commit(l);
    engine_run(e, t0);
    assert_int_equal(nout, 0);
    ledger_job j;
    assert_int_equal(ledger_job_get(l, ID, &j), 0);
    assert_string_equal(j.state, "skipped");
    assert_string_equal(j.reason, "account paused");
    ledger_job_clear(&j);
    engine_free(e);
    ledger_close(l);
}

/* After a downtime of more than MAX_MISSED_PER_SLOT days the cap limits the
 * missed records, not the slot that is still within the grace period. */
static void very_long_downtime_still_dispatches_the_recent_slot(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    ledger *l = open_ledger(path);
    engine *e = make(ACME, &s, l);
    engine_start(e, iso("2025-10-01T10:00:00Z"));
    engine_free(e);
    ledger_close(l);
    l = open_ledger(path);
    e = make(ACME, &s, l);
    int64_t now = iso("2026-11-25T09:10:00Z");
    engine_start(e, now);
    expect_state(e, ID, "in_flight", 1);
    assert_string_equal(out[nout - 1].topic, "ltm/jobs/post");
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.missed, 400);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

/* ---- slots armed ahead of their instant (issue 14 item 6) ---------------- */

static engine_settings armed_defaults(void)
{
    engine_settings s = defaults();
    s.dispatch_ahead_ms = 10 * S;
    return s;
}

/* The attempts of a job as the ledger lists them for ltmctl; dispatched_at
 * of the first in *first_ms. */
static int attempts_of(ledger *l, const char *job_id, int64_t *first_ms)
{
    cJSON *jobs = NULL;
    assert_int_equal(ledger_jobs_json(l, NULL, 0, 1000, &jobs), 0);
    int n = -1;
    const cJSON *j;
    cJSON_ArrayForEach(j, jobs) {
        if (strcmp(cJSON_GetObjectItem(j, "job_id")->valuestring, job_id) != 0)
            continue;
        const cJSON *a = cJSON_GetObjectItem(j, "attempts");
        n = cJSON_GetArraySize(a);
        if (n > 0 && first_ms)
            assert_int_equal(ltm_time_parse_iso(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0),
                                                                    "dispatched_at")->valuestring,
                                                first_ms), 0);
    }
    cJSON_Delete(jobs);
    return n;
}

/* Recorded ten seconds ahead (job in flight, attempt dispatched at the slot
 * instant), published at the instant and not a millisecond before. */
static void armed_ahead_and_published_at_the_slot(void **state)
{
    (void)state;
    engine_settings s = armed_defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    assert_int_equal(engine_start(e, t0 - 60 * S), 0);
    assert_int_equal(engine_next_wake(e, t0 - 60 * S, 3600 * S), 50 * S);
    assert_int_equal(engine_run(e, t0 - 10 * S), 0);
    assert_int_equal(nout, 0);
    expect_state(e, ID, "in_flight", 1);
    int64_t dispatched = 0;
    assert_int_equal(attempts_of(l, ID, &dispatched), 1);
    assert_int_equal(dispatched, t0);
    int64_t sent_ms = 0;
    assert_int_equal(ledger_meta_get_int(l, "sent_through_ms", &sent_ms), 0);
    assert_true(sent_ms < t0);
    assert_int_equal(engine_next_wake(e, t0 - 10 * S, 3600 * S), 10 * S);
    char *detail = engine_detail_json(e, t0 - 10 * S);
    assert_non_null(strstr(detail, "\"armed\":1"));
    free(detail);
    assert_int_equal(engine_run(e, t0 - 1), 0);
    assert_int_equal(nout, 0);
    assert_int_equal(engine_run(e, t0), 0);
    assert_int_equal(nout, 1);
    ltm_job j = job_at(0);
    assert_string_equal(j.job_id, ID);
    assert_int_equal(j.attempt, 1);
    assert_int_equal(j.dispatched_ms, t0);
    ltm_job_clear(&j);
    assert_int_equal(ledger_meta_get_int(l, "sent_through_ms", &sent_ms), 0);
    assert_int_equal(sent_ms, t0);
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.dispatched, 1);
    answer(e, ID, 1, LTM_RESULT_PUBLISHED, 0, NULL, 0, t0 + S);
    expect_state(e, ID, "published", 1);
    assert_int_equal(engine_run(e, t0 + 2 * S), 0);
    assert_int_equal(nout, 1);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* Killed while slots are armed: those never sent are recorded again and go
 * out once, at the restart when their instant passed, else at their
 * instant; those sent before the kill are not sent again (their lease
 * covers a message lost on the way). */
static void armed_jobs_across_a_crash(void **state)
{
    (void)state;
    engine_settings s = armed_defaults();
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    int64_t restart_at[3] = {t0 + 5 * S, t0 - 5 * S, t0 + 5 * S};
    for (int k = 0; k < 3; k++) {
        char path[4096];
        assert_int_equal(temp_ledger_path(path, sizeof path), 0);
        ledger *l = open_ledger(path);
        engine *e = make(TEN, &s, l);
        assert_int_equal(engine_start(e, t0 - 60 * S), 0);
        assert_int_equal(engine_run(e, t0 - 9 * S), 0);
        assert_int_equal(count_in_flight(l), 10);
        if (k == 2) { /* the third kill comes after the instant */
            assert_int_equal(engine_run(e, t0), 0);
            assert_int_equal(nout, 10);
        }
        assert_int_equal(nout, k == 2 ? 10 : 0);
        engine_free(e); /* the kill: nothing more reaches the ledger */
        ledger_close(l);
        l = open_ledger(path);
        e = make(TEN, &s, l);
        assert_int_equal(engine_start(e, restart_at[k]), 0);
        assert_int_equal(engine_run(e, restart_at[k]), 0);
        assert_int_equal(nout, k == 0 ? 10 : k == 1 ? 0 : 10);
        assert_int_equal(engine_run(e, t0), 0);
        assert_int_equal(engine_run(e, t0 + 6 * S), 0);
        assert_int_equal(nout, 10);
        for (int i = 0; i < 10; i++) {
            ltm_job j = job_at(i);
            assert_int_equal(j.attempt, 1);
            int64_t dispatched = 0;
            assert_int_equal(attempts_of(l, j.job_id, &dispatched), 1);
            assert_int_equal(dispatched, j.dispatched_ms);
            assert_int_equal(j.dispatched_ms, k == 0 ? restart_at[k] : t0);
            for (int m = 0; m < i; m++) {
                ltm_job other = job_at(m);
                assert_string_not_equal(other.job_id, j.job_id);
                ltm_job_clear(&other);
            }
            ltm_job_clear(&j);
        }
        assert_int_equal(count_in_flight(l), 10);
        reset();
        engine_free(e);
        ledger_close(l);
        remove_ledger(path);
    }
}

/* A pause or a rate limit that comes after the slot was armed applies to
 * it as it would have at its instant: skipped, or held until the limit
 * ends; nothing goes out at the instant. */
static void pause_and_rate_limit_take_armed_jobs_back(void **state)
{
    (void)state;
    engine_settings s = armed_defaults();
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    char err[200];
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    assert_int_equal(engine_start(e, t0 - 60 * S), 0);
    assert_int_equal(engine_run(e, t0 - 10 * S), 0);
    assert_int_equal(engine_set_paused(e, "acme", 1, t0 - 5 * S, err, sizeof err), 0);
    assert_int_equal(engine_run(e, t0), 0);
    assert_int_equal(engine_run(e, t0 + 60 * S), 0);
    assert_int_equal(nout, 0);
    expect_state(e, ID, "skipped", 0);
    assert_int_equal(attempts_of(l, ID, NULL), 0);
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.skipped, 1);
    assert_int_equal(c.dispatched, 0);
    engine_free(e);
    ledger_close(l);

    /* 08:59 goes out, its rate limit arrives while 09:00 is armed. */
    const char *two = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":"
                      "{\"posts\":[\"08:59\",\"09:00\"]}}]}";
    const char *first = "post:acme:2026-11-25T08:59:00Z";
    l = open_ledger(":memory:");
    e = make(two, &s, l);
    assert_int_equal(engine_start(e, t0 - 120 * S), 0);
    assert_int_equal(engine_run(e, t0 - 70 * S), 0);
    assert_int_equal(engine_run(e, t0 - 60 * S), 0);
    assert_int_equal(nout, 1);
    assert_int_equal(engine_run(e, t0 - 10 * S), 0);
    expect_state(e, ID, "in_flight", 1);
    answer(e, first, 1, LTM_RESULT_FAILED, 1, "rate_limited", 120 * S, t0 - 5 * S);
    expect_state(e, ID, "waiting", 0);
    assert_int_equal(attempts_of(l, ID, NULL), 0);
    assert_int_equal(engine_run(e, t0), 0);
    assert_int_equal(nout, 1);
    assert_int_equal(engine_run(e, t0 + 115 * S), 0);
    assert_int_equal(nout, 3);
    ltm_job j = job_at(2);
    assert_int_equal(j.attempt, 1);
    assert_int_equal(j.dispatched_ms, t0 + 115 * S);
    ltm_job_clear(&j);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* A ledger that refuses the arming transaction: nothing is armed, the slots
 * are armed by a later pass and each goes out once at its instant. */
static void arming_refused_by_the_ledger(void **state)
{
    (void)state;
    char path[4096];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = armed_defaults();
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    ledger *l = open_ledger(path);
    engine *e = make(TEN, &s, l);
    assert_int_equal(engine_start(e, t0 - 60 * S), 0);
    ledger_refuses_after_eight(path, 1);
    assert_int_not_equal(engine_run(e, t0 - 10 * S), 0);
    assert_int_equal(count_in_flight(l), 0);
    ledger_refuses_after_eight(path, 0);
    assert_int_equal(engine_run(e, t0 - 9 * S), 0);
    assert_int_equal(count_in_flight(l), 10);
    assert_int_equal(nout, 0);
    assert_int_equal(engine_run(e, t0), 0);
    assert_int_equal(engine_run(e, t0 + S), 0);
    assert_int_equal(nout, 10);
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.dispatched, 10);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

/* A rate limit that ends before an armed slot's instant leaves it armed;
 * a process frozen past the grace period finds its armed slot missed. */
static void short_rate_limit_and_frozen_process(void **state)
{
    (void)state;
    engine_settings s = armed_defaults();
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    const char *two = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":"
                      "{\"posts\":[\"08:59\",\"09:00\"]}}]}";
    ledger *l = open_ledger(":memory:");
    engine *e = make(two, &s, l);
    assert_int_equal(engine_start(e, t0 - 120 * S), 0);
    assert_int_equal(engine_run(e, t0 - 70 * S), 0);
    assert_int_equal(engine_run(e, t0 - 60 * S), 0);
    assert_int_equal(engine_run(e, t0 - 10 * S), 0);
    answer(e, "post:acme:2026-11-25T08:59:00Z", 1, LTM_RESULT_FAILED, 1, "rate_limited", 2 * S,
           t0 - 5 * S);
    expect_state(e, ID, "in_flight", 1);
    assert_int_equal(engine_run(e, t0), 0);
    assert_int_equal(nout, 3); /* 09:00 at its instant, then 08:59's retry */
    ltm_job j = job_at(1);
    assert_string_equal(j.job_id, ID);
    assert_int_equal(j.dispatched_ms, t0);
    ltm_job_clear(&j);
    reset();
    engine_free(e);
    ledger_close(l);

    l = open_ledger(":memory:");
    e = make(ACME, &s, l);
    assert_int_equal(engine_start(e, t0 - 60 * S), 0);
    assert_int_equal(engine_run(e, t0 - 10 * S), 0);
    assert_int_equal(engine_run(e, t0 + 3601 * S), 0);
    expect_state(e, ID, "missed", 0);
    assert_int_equal(attempts_of(l, ID, NULL), 0);
    assert_int_equal(nout, 1);
    assert_string_equal(out[0].topic, "ltm/results");
    ltm_result r = result_at(0);
    assert_int_equal(r.status, LTM_RESULT_MISSED);
    assert_string_equal(r.job_id, ID);
    ltm_result_clear(&r);
    engine_counters c;
    engine_get_counters(e, &c);
    assert_int_equal(c.missed, 1);
    assert_int_equal(c.dispatched, 0);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* Slots armed for several instants at once go out each at its own instant,
 * while the armed list is compacted behind the ones sent. */
static void several_instants_armed_at_once(void **state)
{
    (void)state;
    engine_settings s = armed_defaults();
    s.dispatch_ahead_ms = 300 * S;
    int64_t t0 = iso("2026-11-25T09:00:00Z");
    const char *three = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":"
                        "{\"posts\":[\"09:00\",\"09:01\",\"09:02\"]}}]}";
    ledger *l = open_ledger(":memory:");
    engine *e = make(three, &s, l);
    assert_int_equal(engine_start(e, t0 - 300 * S), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(engine_run(e, t0 - 170 * S), 0);
    assert_int_equal(count_in_flight(l), 3);
    assert_int_equal(nout, 0);
    for (int m = 0; m < 3; m++) {
        assert_int_equal(engine_run(e, t0 + m * 60 * S - 1), 0);
        assert_int_equal(nout, m);
        assert_int_equal(engine_run(e, t0 + m * 60 * S), 0);
        assert_int_equal(nout, m + 1);
        ltm_job j = job_at(m);
        assert_int_equal(j.slot_ms, t0 + m * 60 * S);
        ltm_job_clear(&j);
    }
    char *detail = engine_detail_json(e, t0 + 120 * S);
    assert_non_null(strstr(detail, "\"armed\":0"));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(three_attempts_with_exact_delays_then_final, setup),
        cmocka_unit_test_setup(detail_without_any_slot, setup),
        cmocka_unit_test_setup(fails_twice_then_publishes_once, setup),
        cmocka_unit_test_setup(lease_expiry_and_late_results, setup),
        cmocka_unit_test_setup(last_attempt_lease_expiry_is_final, setup),
        cmocka_unit_test_setup(not_retryable_and_rate_limits, setup),
        cmocka_unit_test_setup(restart_keeps_pending_retries_and_dispatches_once, setup),
        cmocka_unit_test_setup(missed_slots_after_downtime, setup),
        cmocka_unit_test_setup(stale_slots_while_running_are_missed, setup),
        cmocka_unit_test_setup(daily_limits, setup),
        cmocka_unit_test_setup(report_job_pause_and_on_demand, setup),
        cmocka_unit_test_setup(burst_interrupted_between_batches, setup),
        cmocka_unit_test_setup(held_jobs_after_the_accounts_file_changed, setup),
        cmocka_unit_test_setup(skipped_slot_keeps_its_reason_under_a_rate_limit, setup),
        cmocka_unit_test_setup(very_long_downtime_still_dispatches_the_recent_slot, setup),
        cmocka_unit_test_setup(armed_ahead_and_published_at_the_slot, setup),
        cmocka_unit_test_setup(armed_jobs_across_a_crash, setup),
        cmocka_unit_test_setup(pause_and_rate_limit_take_armed_jobs_back, setup),
        cmocka_unit_test_setup(arming_refused_by_the_ledger, setup),
        cmocka_unit_test_setup(short_rate_limit_and_frozen_process, setup),
        cmocka_unit_test_setup(several_instants_armed_at_once, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
