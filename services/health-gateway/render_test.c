#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture_test.h"
#include "render.h"

#include <cjson/cJSON.h>

static const char *const required[] = {"poster", "scheduler"};

static gw_view view(int connected, int64_t mono)
{
    gw_view v = {
        .required = required,
        .required_count = 2,
        .fresh = {.default_interval_ms = 10000, .stale_factor = 3},
        .broker_connected = connected,
        .now_ms = T_NOW_MS,
        .now_mono = mono,
        .started_ms = T_NOW_MS - 60000,
        .started_mono = T_MONO - 60000,
        .version = "0.1.0",
        .instance = "gw1",
    };
    return v;
}

static void fill_state(gw_state *s)
{
    gw_state_init(s, 20);
    assert_int_equal(feed(s, "ltm/status/poster/p1", "status_poster_online.json", 0, T_MONO),
                     GW_APPLIED);
    assert_int_equal(feed(s, "ltm/status/scheduler/s1", "status_scheduler_detail.json", 0, T_MONO),
                     GW_APPLIED);
}

static cJSON *health(const gw_state *s, const gw_view *v, int *code)
{
    char *text = gw_render_health(s, v, code);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    free(text);
    return j;
}

static void health_ok_when_all_required_are_up(void **unused)
{
    (void)unused;
    gw_state s;
    fill_state(&s);
    gw_view v = view(1, T_MONO);
    int code = 0;
    cJSON *j = health(&s, &v, &code);
    assert_int_equal(code, 200);
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "ok");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "failing")), 0);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "services"), "poster")->valuestring, "online");
    cJSON_Delete(j);
    gw_state_clear(&s);
}

/* Each failing check is named with a reason a person can act on. */
static void health_names_what_fails(void **unused)
{
    (void)unused;
    gw_state s;
    fill_state(&s);
    assert_int_equal(feed(&s, "ltm/status/poster/p1", "status_poster_offline.json", 0, T_MONO),
                     GW_APPLIED);
    gw_view v = view(0, T_MONO + 31000); /* the scheduler's heartbeat is now stale */
    int code = 0;
    cJSON *j = health(&s, &v, &code);
    assert_int_equal(code, 503);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "failing"));
    assert_non_null(
        strstr(text, "{\"check\":\"broker\",\"reason\":\"not connected to the broker\"}"));
    assert_non_null(strstr(
        text,
        "{\"check\":\"poster\",\"reason\":\"offline (last heartbeat 2026-11-25T18:51:29.113Z)\"}"));
    assert_non_null(strstr(text, "{\"check\":\"scheduler\",\"reason\":\"no heartbeat for 31.0 s "
                                 "(expected every 10.0 s)\"}"));
    free(text);
    cJSON_Delete(j);

    gw_state empty;
    gw_state_init(&empty, 20);
    v = view(1, T_MONO);
    j = health(&empty, &v, &code);
    assert_int_equal(code, 503);
    text = cJSON_PrintUnformatted(j);
    assert_non_null(strstr(text, "{\"check\":\"poster\",\"reason\":\"no status received\"}"));
    assert_non_null(strstr(text, "\"scheduler\":\"missing\""));
    free(text);
    cJSON_Delete(j);
    gw_state_clear(&empty);
    gw_state_clear(&s);
}

static void status_shows_services_detail_results_alerts_system(void **unused)
{
    (void)unused;
    gw_state s;
    fill_state(&s);
    feed(&s, "ltm/results", "result_published.json", 0, T_MONO);
    feed(&s, "ltm/alerts", "alert_cpu_firing.json", 0, T_MONO);
    feed(&s, "ltm/metrics/system", "metrics_system.json", 0, T_MONO);
    feed(&s, "ltm/metrics/poster", "metrics_poster.json", 0, T_MONO);
    feed(&s, "ltm/status/sysmonitor/m1", "status_poster_online.json", 0, T_MONO); /* rejected */
    gw_view v = view(1, T_MONO + 2000);
    char *text = gw_render_status(&s, &v);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "health")->valuestring, "ok");
    cJSON *gw = cJSON_GetObjectItem(j, "gateway");
    assert_true(cJSON_GetObjectItem(gw, "uptime_s")->valuedouble == 62.0);
    cJSON *services = cJSON_GetObjectItem(j, "services");
    assert_int_equal(cJSON_GetArraySize(services), 2); /* sorted by name */
    cJSON *poster = cJSON_GetArrayItem(services, 0);
    assert_string_equal(cJSON_GetObjectItem(poster, "name")->valuestring, "poster");
    assert_string_equal(cJSON_GetObjectItem(poster, "state")->valuestring, "online");
    assert_string_equal(cJSON_GetObjectItem(poster, "version")->valuestring, "0.1.0");
    assert_int_equal(cJSON_GetObjectItem(poster, "replicas_seen")->valueint, 1);
    cJSON *replica = cJSON_GetArrayItem(cJSON_GetObjectItem(poster, "replicas"), 0);
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(replica, "process"), "rss_bytes")->valuedouble,
        6569984);
    /* The scheduler's detail object goes out exactly as it came. */
    cJSON *sched = cJSON_GetArrayItem(services, 1);
    char *detail = cJSON_PrintUnformatted(cJSON_GetObjectItem(sched, "detail"));
    assert_string_equal(
        detail, "{\"next_due\":[{\"account\":\"demo\",\"kind\":\"post\","
                "\"slot\":\"2026-11-26T08:00:00.000Z\"}],\"pending_retries\":2,\"in_flight\":1}");
    free(detail);
    cJSON *result = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
    assert_string_equal(cJSON_GetObjectItem(result, "remote_id")->valuestring, "urn:li:share:7");
    cJSON *alert = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "alerts"), 0);
    assert_string_equal(cJSON_GetObjectItem(alert, "key")->valuestring, "host.cpu");
    cJSON *cpu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "system"), "cpu");
    assert_true(cJSON_GetObjectItem(cpu, "percent")->valuedouble == 42.5);
    cJSON *counters = cJSON_GetObjectItem(j, "counters");
    assert_int_equal(cJSON_GetObjectItem(counters, "gateway_rejected")->valueint, 1);
    cJSON_Delete(j);
    free(text);
    gw_state_clear(&s);
}

static void status_lists_required_services_never_seen(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    gw_view v = view(1, T_MONO);
    char *text = gw_render_status(&s, &v);
    cJSON *j = cJSON_Parse(text);
    cJSON *services = cJSON_GetObjectItem(j, "services");
    assert_int_equal(cJSON_GetArraySize(services), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(services, 0), "state")->valuestring,
                        "missing");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "system")));
    cJSON_Delete(j);
    free(text);
    gw_state_clear(&s);
}

/* /status: the scheduler's recent posts and pauses as it sent them (only
 * objects kept), with what the gateway counted from the results. */
static void status_shows_recent_posts_and_engagement(void **unused)
{
    (void)unused;
    gw_state s;
    gw_state_init(&s, 20);
    assert_int_equal(
        feed(&s, "ltm/status/scheduler/s1", "status_scheduler_engagement.json", 0, T_MONO),
        GW_APPLIED);
    feed(&s, "ltm/results", "result_engagement_read.json", 0, T_MONO);
    feed(&s, "ltm/results", "result_engagement_failed.json", 0, T_MONO);
    gw_view v = view(1, T_MONO);
    char *text = gw_render_status(&s, &v);
    cJSON *j = cJSON_Parse(text);
    cJSON *e = cJSON_GetObjectItem(j, "engagement");
    cJSON *posts = cJSON_GetObjectItem(e, "recent_posts");
    assert_int_equal(cJSON_GetArraySize(posts), 2);
    char *latest = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetArrayItem(posts, 0), "latest"));
    assert_string_equal(latest, "{\"age_ms\":86400000,\"read_at\":\"2026-11-26T12:00:01.391Z\","
                                "\"figures\":{\"impressions\":1200,\"reach\":800,\"reactions\":35,"
                                "\"comments\":4,\"shares\":2}}");
    free(latest);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(posts, 1), "state")->valuestring,
                        "gone");
    assert_int_equal(cJSON_GetObjectItem(e, "due")->valueint, 3);
    /* The scheduler lists 20 sources at most; its totals pass through. */
    assert_int_equal(cJSON_GetObjectItem(e, "paused_total")->valueint, 41);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "paused"), 0), "source")
            ->valuestring,
        "rapidapi");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e, "blocked")), 1);
    cJSON *acc = cJSON_GetArrayItem(cJSON_GetObjectItem(e, "accounts"), 0);
    char *acc_text = cJSON_PrintUnformatted(acc);
    assert_string_equal(acc_text,
                        "{\"checks\":{\"read\":1,\"gone\":0,\"failed\":0,\"blocked\":1},\"account\":\"demo\","
                        "\"posts\":1,\"figures\":{\"impressions\":1200,\"reach\":800,"
                        "\"reactions\":35,\"comments\":4,\"shares\":2}}");
    free(acc_text);
    assert_int_equal(cJSON_GetObjectItem(e, "posts_tracked")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(e, "posts_max")->valueint, GW_MAX_POSTS);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e, "last_checks")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "results")), 0);
    cJSON_Delete(j);
    free(text);
    /* No scheduler detail yet: empty lists, due unknown. */
    gw_state_clear(&s);
    gw_state_init(&s, 20);
    text = gw_render_status(&s, &v);
    j = cJSON_Parse(text);
    e = cJSON_GetObjectItem(j, "engagement");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e, "recent_posts")), 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "due")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "paused_total")));
    cJSON_Delete(j);
    free(text);
    gw_state_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_ok_when_all_required_are_up),
        cmocka_unit_test(health_names_what_fails),
        cmocka_unit_test(status_shows_services_detail_results_alerts_system),
        cmocka_unit_test(status_lists_required_services_never_seen),
        cmocka_unit_test(status_shows_recent_posts_and_engagement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
