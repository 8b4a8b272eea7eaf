#include "test_util.h"
#include "rules.h"

#include <string.h>

#define S 1000LL
#define MIN (60 * S)
#define HOUR (60 * MIN)
static const ntf_rules_opts ropts = {3, 6 * HOUR, 2 * MIN, 7 * 24 * HOUR, "notifier"};
static const ntf_engine_opts eopts = {30 * S, 4 * HOUR};

static ltm_result res(const char *account, ltm_result_status st, int final)
{
    ltm_result r = {0};
    r.job_id = "post:x:1";
    r.kind = LTM_JOB_POST;
    r.account = (char *)account;
    r.attempt = 1;
    r.status = st;
    r.final = final;
    r.error_class = st == LTM_RESULT_PUBLISHED ? NULL : "server";
    return r;
}

static void more_than_three_final_failures_fire_per_account_and_overall(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_engine e;
    ntf_rules_init(&r, &ropts, 0);
    ntf_engine_init(&e, &eopts);
    ltm_result fail = res("a", LTM_RESULT_FAILED, 1), retry = res("a", LTM_RESULT_FAILED, 0);
    ltm_result unconf = res("b", LTM_RESULT_UNCONFIRMED, 1), dup = res("a", LTM_RESULT_DUPLICATE, 1);
    for (int i = 0; i < 5; i++)
        ntf_rules_result(&r, &e, &retry, 1);
    ntf_rules_result(&r, &e, &dup, 1);
    for (int i = 0; i < 3; i++)
        ntf_rules_result(&r, &e, &fail, 1);
    assert_false(ntf_engine_is_firing(&e, "results.failures.a"));
    ntf_rules_result(&r, &e, &unconf, 1); /* 4th overall, 1st for b */
    assert_true(ntf_engine_is_firing(&e, "results.failures"));
    assert_false(ntf_engine_is_firing(&e, "results.failures.b"));
    ntf_rules_result(&r, &e, &fail, 1);
    assert_true(ntf_engine_is_firing(&e, "results.failures.a"));
    ltm_result ok = res("a", LTM_RESULT_PUBLISHED, 1);
    ntf_rules_result(&r, &e, &ok, 2);
    assert_false(ntf_engine_is_firing(&e, "results.failures.a"));
    assert_false(ntf_engine_is_firing(&e, "results.failures"));
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

static void inactivity_needs_due_jobs(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_engine e;
    ntf_rules_init(&r, &ropts, 0);
    ntf_engine_init(&e, &eopts);
    ntf_rules_tick(&r, &e, 7 * HOUR);
    assert_false(ntf_engine_is_firing(&e, "results.inactive")); /* nothing was due */
    ltm_result missed = res("a", LTM_RESULT_MISSED, 1);
    ntf_rules_result(&r, &e, &missed, 7 * HOUR);
    ntf_rules_tick(&r, &e, 7 * HOUR + 1);
    assert_true(ntf_engine_is_firing(&e, "results.inactive"));
    ltm_result ok = res("a", LTM_RESULT_PUBLISHED, 1);
    ntf_rules_result(&r, &e, &ok, 8 * HOUR);
    assert_false(ntf_engine_is_firing(&e, "results.inactive"));
    ntf_rules_result(&r, &e, &missed, 9 * HOUR);
    ntf_rules_tick(&r, &e, 13 * HOUR);
    assert_false(ntf_engine_is_firing(&e, "results.inactive")); /* 5 h since success */
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

static ltm_result check(const char *account, ltm_result_status st, int final)
{
    ltm_result r = {0};
    r.job_id = "engagement:post:x:1@24h";
    r.kind = LTM_JOB_ENGAGEMENT;
    r.account = (char *)account;
    r.attempt = 3;
    r.status = st;
    r.final = final;
    r.post_job_id = "post:x:1";
    r.age_ms = 24 * HOUR;
    r.error_class = st == LTM_RESULT_FAILED ? "auth" : NULL;
    r.error = st == LTM_RESULT_FAILED ? "the token expired" : NULL;
    return r;
}

/* Engagement checks publish nothing: failed ones never raise the publishing
 * alerts, read ones never resolve them nor stop the inactivity clock. */
static void engagement_checks_are_not_publications(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_engine e;
    ntf_rules_init(&r, &ropts, 0);
    ntf_engine_init(&e, &eopts);
    ltm_result failed = check("a", LTM_RESULT_FAILED, 1), read = check("a", LTM_RESULT_READ, 1);
    ltm_result gone = check("a", LTM_RESULT_GONE, 1), retry = check("a", LTM_RESULT_FAILED, 0);
    for (int i = 0; i < 10; i++)
        ntf_rules_result(&r, &e, &retry, 1);
    for (int i = 0; i < 3; i++)
        ntf_rules_result(&r, &e, &failed, 1);
    assert_false(ntf_engine_is_firing(&e, "engagement.failures.a"));
    ntf_rules_result(&r, &e, &failed, 1);
    assert_true(ntf_engine_is_firing(&e, "engagement.failures.a"));
    assert_false(ntf_engine_is_firing(&e, "results.failures.a"));
    assert_false(ntf_engine_is_firing(&e, "results.failures"));
    assert_int_equal(r.overall_consecutive, 0);
    assert_int_equal(r.due_since_ms, 0); /* no publication was due */
    const ntf_alert *al = &e.items[0];
    assert_int_equal(al->severity, NTF_WARNING);
    assert_non_null(strstr(al->summary, "4 consecutive engagement checks failed for account a; "
                                        "last: engagement:post:x:1@24h (auth): the token"));
    /* Counters survive a restart through the state file. */
    cJSON *j = ntf_rules_to_json(&r);
    ntf_rules r2;
    ntf_rules_init(&r2, &ropts, 0);
    ntf_rules_from_json(&r2, j);
    cJSON_Delete(j);
    assert_int_equal(r2.accounts[0].engagement_consecutive, 4);
    assert_int_equal(r2.accounts[0].consecutive, 0);
    ntf_rules_clear(&r2);
    ntf_rules_result(&r, &e, &gone, 2); /* the check got an answer: the reading works */
    assert_false(ntf_engine_is_firing(&e, "engagement.failures.a"));

    /* A day of reads and no publication while posts were due: inactive. */
    ltm_result missed = res("a", LTM_RESULT_MISSED, 1);
    ntf_rules_result(&r, &e, &missed, HOUR);
    for (int i = 0; i < 20; i++)
        ntf_rules_result(&r, &e, &read, HOUR + i * HOUR / 4);
    ntf_rules_tick(&r, &e, 7 * HOUR);
    assert_true(ntf_engine_is_firing(&e, "results.inactive"));
    /* Publishing failures are counted as before, checks between them change nothing. */
    ltm_result fail = res("a", LTM_RESULT_FAILED, 1);
    for (int i = 0; i < 4; i++) {
        ntf_rules_result(&r, &e, &fail, 8 * HOUR);
        ntf_rules_result(&r, &e, &read, 8 * HOUR);
    }
    assert_true(ntf_engine_is_firing(&e, "results.failures.a"));
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

/* A permission block is the scheduler's alert (sent once, then every check of
 * the source ends failed/permission); quota and rate limits make it wait and
 * re-send: none of them is a check failing, none counts or resets the rule. */
static void blocked_checks_are_not_engagement_failures(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_engine e;
    ntf_rules_init(&r, &ropts, 0);
    ntf_engine_init(&e, &eopts);
    static const char *const blocks[] = {"permission", "quota", "rate_limited"};
    ltm_result blocked = check("a", LTM_RESULT_FAILED, 1);
    for (int i = 0; i < 12; i++) {
        blocked.error_class = (char *)blocks[i % 3];
        ntf_rules_result(&r, &e, &blocked, 1);
    }
    assert_false(ntf_engine_is_firing(&e, "engagement.failures.a"));
    assert_int_equal(r.accounts[0].engagement_consecutive, 0);
    /* Between real failures a block neither counts nor resets the count. */
    ltm_result failed = check("a", LTM_RESULT_FAILED, 1);
    blocked.error_class = "permission";
    for (int i = 0; i < 3; i++) {
        ntf_rules_result(&r, &e, &failed, 2);
        ntf_rules_result(&r, &e, &blocked, 2);
    }
    assert_false(ntf_engine_is_firing(&e, "engagement.failures.a"));
    ntf_rules_result(&r, &e, &failed, 3);
    assert_true(ntf_engine_is_firing(&e, "engagement.failures.a"));
    assert_int_equal(r.accounts[0].engagement_consecutive, 4);
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

static ltm_status st(const char *svc, const char *inst, int online, int64_t started, int64_t hb)
{
    ltm_status s = {0};
    s.service = (char *)svc;
    s.instance = (char *)inst;
    s.online = online;
    s.started_ms = started;
    s.heartbeat_ms = hb;
    s.heartbeat_interval_ms = 10 * S;
    return s;
}

static void service_down_only_when_no_instance_is_online(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_engine e;
    ntf_rules_init(&r, &ropts, 0);
    ntf_engine_init(&e, &eopts);
    int64_t t = 10 * HOUR;
    ltm_status p1 = st("poster", "1", 1, 0, t), p2 = st("poster", "2", 0, 0, t);
    ntf_rules_status(&r, "poster", "1", &p1, t);
    ntf_rules_status(&r, "poster", "2", &p2, t); /* scaled away: poster 1 serves */
    ntf_rules_tick(&r, &e, t + 20 * S);
    assert_false(ntf_engine_is_firing(&e, "service.down.poster"));
    p1.online = 0;
    p1.heartbeat_ms = t + 20 * S;
    ntf_rules_status(&r, "poster", "1", &p1, t + 21 * S);
    ntf_rules_tick(&r, &e, t + 20 * S + 2 * MIN);
    assert_false(ntf_engine_is_firing(&e, "service.down.poster")); /* within grace */
    ntf_rules_tick(&r, &e, t + 21 * S + 2 * MIN);
    assert_true(ntf_engine_is_firing(&e, "service.down.poster"));
    p2.online = 1;
    p2.heartbeat_ms = t + 5 * MIN;
    ntf_rules_status(&r, "poster", "2", &p2, t + 5 * MIN);
    ntf_rules_tick(&r, &e, t + 5 * MIN);
    assert_false(ntf_engine_is_firing(&e, "service.down.poster"));
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

static void stale_heartbeat_counts_as_offline_and_old_instances_are_forgotten(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_engine e;
    ntf_rules_init(&r, &ropts, 0);
    ntf_engine_init(&e, &eopts);
    int64_t t = 100 * HOUR;
    ltm_status hung = st("scheduler", "1", 1, 0, t);
    ntf_rules_status(&r, "scheduler", "1", &hung, t);
    ntf_rules_tick(&r, &e, t + 30 * S);
    assert_false(ntf_engine_is_firing(&e, "service.down.scheduler"));
    ntf_rules_tick(&r, &e, t + 10 * S + 2 * MIN + 1);
    assert_true(ntf_engine_is_firing(&e, "service.down.scheduler"));
    ntf_rules_tick(&r, &e, t + 8 * 24 * HOUR);
    assert_int_equal(r.instance_count, 0);
    assert_false(ntf_engine_is_firing(&e, "service.down.scheduler"));
    /* An offline status from long ago is forgotten before it can alert. */
    ltm_status old = st("story-publisher", "9", 0, 0, t);
    ntf_rules_status(&r, "story-publisher", "9", &old, t + 9 * 24 * HOUR);
    ntf_rules_tick(&r, &e, t + 9 * 24 * HOUR);
    assert_false(ntf_engine_is_firing(&e, "service.down.story-publisher"));
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

static void grace_counts_from_our_start_and_we_never_alert_about_ourselves(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_engine e;
    int64_t start = 20 * HOUR;
    ntf_rules_init(&r, &ropts, start);
    ntf_engine_init(&e, &eopts);
    /* Retained from before a whole-system restart: offline for 5 hours. */
    ltm_status poster = st("poster", "1", 0, 0, start - 5 * HOUR);
    ltm_status me = st("notifier", "n1", 0, 0, start - 5 * HOUR);
    ntf_rules_status(&r, "poster", "1", &poster, start + S);
    ntf_rules_status(&r, "notifier", "n1", &me, start + S);
    ntf_rules_tick(&r, &e, start + MIN);
    assert_false(ntf_engine_is_firing(&e, "service.down.poster")); /* may still be starting */
    ntf_rules_tick(&r, &e, start + 2 * MIN + 1);
    assert_true(ntf_engine_is_firing(&e, "service.down.poster"));
    assert_false(ntf_engine_is_firing(&e, "service.down.notifier"));
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

static void system_start_decision(void **state)
{
    (void)state;
    ntf_rules r;
    ntf_rules_init(&r, &ropts, 0);
    int64_t now = 50 * HOUR, window = 2 * MIN;
    assert_true(ntf_is_system_start(&r, "notifier", now, 0, window, now));
    ltm_status me = st("notifier", "n1", 1, now - 10 * HOUR, now); /* other notifier: ignored */
    ntf_rules_status(&r, "notifier", "n2", &me, now);
    ltm_status fresh = st("poster", "1", 1, now - 30 * S, now);
    ntf_rules_status(&r, "poster", "1", &fresh, now);
    assert_true(ntf_is_system_start(&r, "notifier", now, 0, window, now));
    assert_false(ntf_is_system_start(&r, "notifier", now, now - MIN, window, now)); /* announced */
    ltm_status old = st("scheduler", "1", 1, now - HOUR, now);
    ntf_rules_status(&r, "scheduler", "1", &old, now);
    assert_false(ntf_is_system_start(&r, "notifier", now, 0, window, now));
    ntf_rules_clear(&r);
}

static void counters_survive_a_round_trip(void **state)
{
    (void)state;
    ntf_rules r, q;
    ntf_engine e;
    ntf_rules_init(&r, &ropts, 5);
    ntf_rules_init(&q, &ropts, 99);
    ntf_engine_init(&e, &eopts);
    ltm_result fail = res("acme", LTM_RESULT_FAILED, 1);
    ntf_rules_result(&r, &e, &fail, 7);
    ntf_rules_result(&r, &e, &fail, 8);
    cJSON *j = ntf_rules_to_json(&r);
    ntf_rules_from_json(&q, j);
    cJSON_Delete(j);
    assert_int_equal(q.overall_consecutive, 2);
    assert_int_equal(q.account_count, 1);
    assert_int_equal(q.accounts[0].consecutive, 2);
    assert_int_equal(q.last_success_ms, 5);
    assert_int_equal(q.due_since_ms, 7);
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
    ntf_rules_clear(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(more_than_three_final_failures_fire_per_account_and_overall),
        cmocka_unit_test(inactivity_needs_due_jobs),
        cmocka_unit_test(engagement_checks_are_not_publications),
        cmocka_unit_test(blocked_checks_are_not_engagement_failures),
        cmocka_unit_test(service_down_only_when_no_instance_is_online),
        cmocka_unit_test(stale_heartbeat_counts_as_offline_and_old_instances_are_forgotten),
        cmocka_unit_test(grace_counts_from_our_start_and_we_never_alert_about_ourselves),
        cmocka_unit_test(system_start_decision),
        cmocka_unit_test(counters_survive_a_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
