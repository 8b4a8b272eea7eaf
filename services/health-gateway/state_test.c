#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture_test.h"
#include "state.h"

#include "ltm/error.h"

static const gw_freshness fresh = {.default_interval_ms = 10000, .stale_factor = 3};

static void live_status_counts_from_arrival(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    assert_int_equal(feed(&s, "ltm/status/poster/p1", "status_poster_online.json", 0, T_MONO),
                     GW_APPLIED);
    const gw_service *svc = gw_state_find(&s, "poster");
    assert_non_null(svc);
    assert_int_equal(svc->replica_count, 1);
    assert_string_equal(svc->replicas[0].version, "0.1.0");
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO), GW_UP);
    /* 3 x 10 s is the limit: still up at 30 s, stale just after. */
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO + 30000), GW_UP);
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO + 30001), GW_STALE);
    gw_state_clear(&s);
}

static void retained_status_counts_from_its_heartbeat(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    /* The fixture's heartbeat is 0.875 s before T_NOW_MS: fresh. */
    assert_int_equal(feed(&s, "ltm/status/poster/p1", "status_poster_online.json", 1, T_MONO),
                     GW_APPLIED);
    const gw_service *svc = gw_state_find(&s, "poster");
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO), GW_UP);
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO + 29200), GW_STALE);
    /* An hour-old retained "online" (a host lost while the broker was down) is stale at once. */
    char *text = fixture("status_poster_online.json");
    char reason[LTM_REASON_SIZE];
    assert_int_equal(gw_state_apply(&s, "ltm/status/poster/p1", text, strlen(text), 1,
                                    T_NOW_MS + 3600000, T_MONO, reason),
                     GW_APPLIED);
    free(text);
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO), GW_STALE);
    gw_state_clear(&s);
}

static void offline_and_cleared_statuses(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    feed(&s, "ltm/status/poster/p1", "status_poster_online.json", 0, T_MONO);
    feed(&s, "ltm/status/poster/p2", "status_poster_online.json", 0,
         T_MONO); /* mismatch: rejected */
    assert_int_equal(gw_state_find(&s, "poster")->replica_count, 1);
    assert_int_equal(s.rejected, 1);
    assert_int_equal(feed(&s, "ltm/status/poster/p1", "status_poster_offline.json", 0, T_MONO),
                     GW_APPLIED);
    assert_int_equal(gw_service_liveness(gw_state_find(&s, "poster"), &fresh, T_MONO), GW_DOWN);
    char reason[LTM_REASON_SIZE];
    assert_int_equal(gw_state_apply(&s, "ltm/status/poster/p1", "", 0, 1, T_NOW_MS, T_MONO, reason),
                     GW_APPLIED);
    assert_int_equal(gw_service_liveness(gw_state_find(&s, "poster"), &fresh, T_MONO), GW_MISSING);
    assert_int_equal(gw_service_liveness(NULL, &fresh, T_MONO), GW_MISSING);
    gw_state_clear(&s);
}

static void one_replica_up_is_enough(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    char reason[LTM_REASON_SIZE];
    const char *a = "{\"service\":\"poster\",\"instance\":\"a\",\"state\":\"offline\"}";
    const char *b = "{\"service\":\"poster\",\"instance\":\"b\",\"state\":\"online\","
                    "\"heartbeat_interval_ms\":1000}";
    assert_int_equal(feed_text(&s, "ltm/status/poster/a", a, T_MONO, reason), GW_APPLIED);
    assert_int_equal(feed_text(&s, "ltm/status/poster/b", b, T_MONO, reason), GW_APPLIED);
    const gw_service *svc = gw_state_find(&s, "poster");
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO + 2999), GW_UP);
    assert_string_equal(gw_service_best(svc, &fresh, T_MONO)->instance, "b");
    /* Its own 1 s interval, not the default 10 s, decides. */
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO + 3001), GW_STALE);
    gw_state_clear(&s);
}

static void malformed_messages_are_rejected_with_a_reason(void **unused)
{
    (void)unused;
    struct {
        const char *topic, *payload, *reason_part;
    } cases[] = {
        {"ltm/status/poster", "{}", "ltm/status/<service>/<instance>"},
        {"ltm/status/po ster/1", "{}", "ltm/status/<service>/<instance>"},
        {"ltm/status/poster/1", "not json", "JSON"},
        {"ltm/status/poster/1", "{\"service\":\"poster\",\"instance\":\"1\",\"state\":\"up\"}",
         "state"},
        {"ltm/results", "{\"job_id\":\"x\"}", "kind"},
        {"ltm/alerts", "{\"key\":\"k\",\"state\":\"firing\",\"severity\":\"loud\"}", "severity"},
        {"ltm/metrics/poster", "{\"rss_bytes\":1}", "instance"},
        {"ltm/metrics/poster", "{\"instance\":\"a/b\"}", "instance"},
        {"ltm/metrics/a/b", "{}", "ltm/metrics/<source>"},
        {"ltm/metrics/system", "[1]", "object"},
    };
    gw_state s;
    gw_state_init(&s, 20);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char reason[LTM_REASON_SIZE];
        int rc = feed_text(&s, cases[i].topic, cases[i].payload, T_MONO, reason);
        if (rc != LTM_EINVAL || !strstr(reason, cases[i].reason_part))
            fail_msg("case %zu (%s): rc %d reason \"%s\"", i, cases[i].topic, rc, reason);
    }
    assert_int_equal(s.rejected, sizeof cases / sizeof cases[0]);
    assert_int_equal(s.service_count, 0);
    char reason[LTM_REASON_SIZE];
    assert_int_equal(feed_text(&s, "ltm/reports/daily", "{}", T_MONO, reason), GW_IGNORED);
    gw_state_clear(&s);
}

static void results_keep_the_last_n_and_count(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 3);
    char reason[LTM_REASON_SIZE];
    for (int i = 1; i <= 5; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"job_id\":\"j%d\",\"kind\":\"post\",\"account\":\"demo\",\"attempt\":%d,"
                 "\"status\":\"published\",\"retryable\":false,\"final\":true,"
                 "\"durations_ms\":{\"publish\":%d},\"finished_at\":\"2026-11-25T12:00:01Z\"}",
                 i, i, i * 100);
        assert_int_equal(feed_text(&s, "ltm/results", text, T_MONO, reason), GW_APPLIED);
    }
    assert_int_equal(gw_state_result_count(&s), 3);
    assert_non_null(strstr(gw_state_result(&s, 0), "\"j5\""));
    assert_non_null(strstr(gw_state_result(&s, 2), "\"j3\""));
    assert_null(gw_state_result(&s, 3));
    assert_int_equal(s.results_by[LTM_JOB_POST][LTM_RESULT_PUBLISHED], 5);
    assert_int_equal(s.retries[LTM_JOB_POST], 4);
    assert_int_equal(feed(&s, "ltm/results", "result_failed_retry.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(s.results_by[LTM_JOB_STORY][LTM_RESULT_FAILED], 1);
    /* Histogram: 0.1..0.5 s for posts; buckets are cumulative. */
    assert_int_equal(s.publish_count[LTM_JOB_POST], 5);
    assert_int_equal(s.publish_buckets[LTM_JOB_POST][0], 0); /* <= 0.05 */
    assert_int_equal(s.publish_buckets[LTM_JOB_POST][1], 1); /* <= 0.1 */
    assert_int_equal(s.publish_buckets[LTM_JOB_POST][2], 2); /* <= 0.25 */
    assert_int_equal(s.publish_buckets[LTM_JOB_POST][3], 5); /* <= 0.5 */
    assert_true(s.publish_sum_s[LTM_JOB_POST] > 1.49 && s.publish_sum_s[LTM_JOB_POST] < 1.51);
    assert_int_equal(s.publish_buckets[LTM_JOB_STORY][5], 0); /* 3.2 s > 2.5 */
    assert_int_equal(s.publish_buckets[LTM_JOB_STORY][6], 1); /* <= 5 */
    gw_state_clear(&s);
}

static void alerts_fire_and_resolve_by_key(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    assert_int_equal(feed(&s, "ltm/alerts", "alert_cpu_firing.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(feed(&s, "ltm/alerts", "alert_cpu_firing.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(s.alert_count, 1);
    assert_string_equal(s.alerts[0].key, "host.cpu");
    assert_int_equal(feed(&s, "ltm/alerts", "alert_cpu_resolved.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(s.alert_count, 0);
    /* A resolved alert the gateway never saw firing changes nothing. */
    assert_int_equal(feed(&s, "ltm/alerts", "alert_cpu_resolved.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(s.alert_count, 0);
    gw_state_clear(&s);
}

static void dead_letters_are_counted_by_service(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    char reason[LTM_REASON_SIZE];
    assert_int_equal(feed(&s, "ltm/dlq", "dlq_poster.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(feed(&s, "ltm/dlq", "dlq_poster.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(feed_text(&s, "ltm/dlq", "garbage", T_MONO, reason), GW_APPLIED);
    assert_int_equal(s.dlq_total, 3);
    assert_int_equal(s.dlq_source_count, 2);
    assert_string_equal(s.dlq_by[0].name, "poster");
    assert_int_equal(s.dlq_by[0].count, 2);
    assert_string_equal(s.dlq_by[1].name, "unknown");
    assert_int_equal(s.rejected, 0);
    gw_state_clear(&s);
}

static void system_and_process_metrics(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    assert_int_equal(feed(&s, "ltm/metrics/system", "metrics_system.json", 0, T_MONO), GW_APPLIED);
    assert_true(s.host.has_cpu && s.host.has_memory && s.host.has_load);
    assert_true(s.host.cpu_ratio > 0.4249 && s.host.cpu_ratio < 0.4251);
    assert_true(s.host.memory_ratio > 0.6124 && s.host.memory_ratio < 0.6126);
    assert_int_equal(s.host.disk_count, 2);
    assert_string_equal(s.host.disks[0].mount, "/");
    assert_non_null(s.system_json);
    /* Process metrics before any status: kept, but the service is not "seen". */
    assert_int_equal(feed(&s, "ltm/metrics/poster", "metrics_poster.json", 0, T_MONO), GW_APPLIED);
    const gw_service *svc = gw_state_find(&s, "poster");
    assert_non_null(svc);
    assert_true(svc->replicas[0].has_metrics);
    assert_true(svc->replicas[0].cpu_s > 1.49 && svc->replicas[0].cpu_s < 1.51);
    assert_int_equal(gw_service_liveness(svc, &fresh, T_MONO), GW_MISSING);
    gw_state_clear(&s);
}

static void bounds_are_kept_and_counted(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    char reason[LTM_REASON_SIZE];
    for (int i = 0; i < GW_MAX_SERVICES + 3; i++) {
        char topic[64], text[256];
        snprintf(topic, sizeof topic, "ltm/status/svc%d/1", i);
        snprintf(text, sizeof text,
                 "{\"service\":\"svc%d\",\"instance\":\"1\",\"state\":\"online\"}", i);
        assert_int_equal(feed_text(&s, topic, text, T_MONO, reason), GW_APPLIED);
    }
    assert_int_equal(s.service_count, GW_MAX_SERVICES);
    assert_int_equal(s.dropped[GW_DROP_SERVICES], 3);
    for (int i = 0; i < GW_MAX_ALERTS + 2; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"key\":\"k%d\",\"state\":\"firing\",\"severity\":\"info\",\"summary\":\"s\","
                 "\"since\":\"2026-11-25T18:50:00Z\",\"at\":\"2026-11-25T18:50:00Z\"}",
                 i);
        assert_int_equal(feed_text(&s, "ltm/alerts", text, T_MONO, reason), GW_APPLIED);
    }
    assert_int_equal(s.alert_count, GW_MAX_ALERTS);
    assert_int_equal(s.dropped[GW_DROP_ALERTS], 2);
    gw_state_clear(&s);
}

static void engagement_keeps_the_latest_reading_per_post(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    assert_int_equal(feed(&s, "ltm/results", "result_published.json", 0, T_MONO), GW_APPLIED);
    assert_int_equal(feed(&s, "ltm/results", "result_engagement_read.json", 0, T_MONO), GW_APPLIED);
    /* The 1 h check redelivered after the 24 h one: the 24 h reading stays. */
    assert_int_equal(feed(&s, "ltm/results", "result_engagement_read_1h.json", 0, T_MONO),
                     GW_APPLIED);
    assert_int_equal(feed(&s, "ltm/results", "result_engagement_failed.json", 0, T_MONO),
                     GW_APPLIED);
    assert_int_equal(s.eng.account_count, 1);
    const gw_eng_account *a = &s.eng.accounts[0];
    assert_string_equal(a->name, "demo");
    assert_int_equal(a->checks[GW_CHECK_READ], 2);
    assert_int_equal(a->checks[GW_CHECK_BLOCKED], 1); /* a permission answer */
    assert_int_equal(a->checks[GW_CHECK_FAILED], 0);
    assert_int_equal(a->checks[GW_CHECK_GONE], 0);
    assert_int_equal(a->posts, 1);
    assert_int_equal(a->sums[0], 1200); /* impressions */
    assert_int_equal(a->sums[1], 800);
    assert_int_equal(a->sums[2], 35);
    assert_int_equal(a->sums[4], 2);
    assert_int_equal(a->offering[5], 0); /* saves: not offered */
    const gw_post_reading *p = gw_engagement_find(&s.eng, "post:demo:2026-11-25T12:00:00Z");
    assert_non_null(p);
    assert_int_equal(p->age_ms, 86400000);
    /* Checks publish nothing: the publication counters and list keep only the post. */
    assert_int_equal(gw_state_result_count(&s), 1);
    assert_non_null(strstr(gw_state_result(&s, 0), "\"kind\":\"post\""));
    assert_int_equal(gw_state_check_count(&s), 3);
    assert_non_null(strstr(gw_state_check(&s, 0), "permission"));
    uint64_t total = 0;
    for (int k = 0; k < GW_JOB_KINDS; k++)
        for (int st = 0; st < GW_RESULT_STATUSES; st++)
            total += s.results_by[k][st];
    assert_int_equal(total, 1);
    assert_int_equal(s.publish_count[LTM_JOB_POST], 1);
    /* A later reading of the same post naming another account moves it: the
     * figures are counted once, under the account of the latest reading. */
    char reason[LTM_REASON_SIZE];
    assert_int_equal(
        feed_text(&s, "ltm/results",
                  "{\"job_id\":\"e7d\",\"kind\":\"engagement\",\"account\":\"other\","
                  "\"attempt\":1,\"status\":\"read\",\"retryable\":false,\"final\":true,"
                  "\"post_job_id\":\"post:demo:2026-11-25T12:00:00Z\",\"age_ms\":604800000,"
                  "\"figures\":{\"impressions\":1500},\"finished_at\":\"2026-12-02T12:00:01Z\"}",
                  T_MONO, reason),
        GW_APPLIED);
    assert_int_equal(a->posts, 0);
    assert_int_equal(a->offering[0], 0);
    assert_int_equal(a->sums[0], 0);
    assert_int_equal(s.eng.accounts[1].posts, 1);
    assert_int_equal(s.eng.accounts[1].sums[0], 1500);
    assert_int_equal(s.eng.accounts[1].offering[1], 0);
    gw_state_clear(&s);
}

static void engagement_bounds_evict_the_oldest_post(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    s.eng.max_posts = 3;
    char reason[LTM_REASON_SIZE];
    for (int i = 1; i <= 5; i++) {
        char text[600];
        snprintf(text, sizeof text,
                 "{\"job_id\":\"engagement:post:a:%d@1h\",\"kind\":\"engagement\","
                 "\"account\":\"a\",\"attempt\":1,\"status\":\"read\",\"retryable\":false,"
                 "\"final\":true,\"post_job_id\":\"post:a:%d\",\"age_ms\":3600000,"
                 "\"figures\":{\"impressions\":%d,\"saves\":%d},"
                 "\"finished_at\":\"2026-11-25T12:00:01Z\"}",
                 i, i, i * 10, i);
        assert_int_equal(feed_text(&s, "ltm/results", text, T_MONO, reason), GW_APPLIED);
    }
    assert_int_equal(s.eng.post_count, 3);
    assert_int_equal(s.eng.evicted, 2);
    assert_null(gw_engagement_find(&s.eng, "post:a:1"));
    assert_null(gw_engagement_find(&s.eng, "post:a:2"));
    assert_non_null(gw_engagement_find(&s.eng, "post:a:5"));
    assert_int_equal(s.eng.accounts[0].posts, 3);
    assert_int_equal(s.eng.accounts[0].sums[0], 30 + 40 + 50);
    assert_int_equal(s.eng.accounts[0].sums[5], 3 + 4 + 5);
    assert_int_equal(s.eng.accounts[0].checks[GW_CHECK_READ], 5);
    /* More accounts than the bound: their results are counted as dropped. */
    for (int i = 0; i < GW_MAX_ENGAGEMENT_ACCOUNTS + 4; i++) {
        char text[600];
        snprintf(text, sizeof text,
                 "{\"job_id\":\"engagement:post:b%d:1@1h\",\"kind\":\"engagement\","
                 "\"account\":\"b%d\",\"attempt\":1,\"status\":\"gone\",\"retryable\":false,"
                 "\"final\":true,\"post_job_id\":\"post:b%d:1\",\"age_ms\":3600000,"
                 "\"finished_at\":\"2026-11-25T12:00:01Z\"}",
                 i, i, i);
        assert_int_equal(feed_text(&s, "ltm/results", text, T_MONO, reason), GW_APPLIED);
    }
    assert_int_equal(s.eng.account_count, GW_MAX_ENGAGEMENT_ACCOUNTS);
    assert_int_equal(s.eng.accounts_dropped, 5);
    gw_state_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_status_counts_from_arrival),
        cmocka_unit_test(retained_status_counts_from_its_heartbeat),
        cmocka_unit_test(offline_and_cleared_statuses),
        cmocka_unit_test(one_replica_up_is_enough),
        cmocka_unit_test(malformed_messages_are_rejected_with_a_reason),
        cmocka_unit_test(results_keep_the_last_n_and_count),
        cmocka_unit_test(alerts_fire_and_resolve_by_key),
        cmocka_unit_test(dead_letters_are_counted_by_service),
        cmocka_unit_test(system_and_process_metrics),
        cmocka_unit_test(bounds_are_kept_and_counted),
        cmocka_unit_test(engagement_keeps_the_latest_reading_per_post),
        cmocka_unit_test(engagement_bounds_evict_the_oldest_post),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
