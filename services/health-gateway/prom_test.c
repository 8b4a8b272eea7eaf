#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture_test.h"
#include "render.h"

#include "ltm/error.h"

#include <regex.h>

static const char *const required[] = {"poster", "scheduler"};
static const gw_http_count http[] = {{"health", 200, 12}, {"other", 404, 1}};

static char *metrics(void)
{
    gw_state s;
    gw_state_init(&s, 20);
    feed(&s, "ltm/status/poster/p1", "status_poster_online.json", 0, T_MONO);
    feed(&s, "ltm/metrics/poster", "metrics_poster.json", 0, T_MONO);
    feed(&s, "ltm/metrics/system", "metrics_system.json", 0, T_MONO);
    feed(&s, "ltm/results", "result_published.json", 0, T_MONO);
    feed(&s, "ltm/results", "result_failed_retry.json", 0, T_MONO);
    feed(&s, "ltm/alerts", "alert_cpu_firing.json", 0, T_MONO);
    feed(&s, "ltm/dlq", "dlq_poster.json", 0, T_MONO);
    feed(&s, "ltm/results", "result_engagement_read.json", 0, T_MONO);
    feed(&s, "ltm/results", "result_engagement_read_1h.json", 0, T_MONO);
    feed(&s, "ltm/results", "result_engagement_failed.json", 0, T_MONO);
    /* An account name is any text: quotes, backslashes, newlines. */
    char reason[LTM_REASON_SIZE];
    assert_int_equal(
        feed_text(&s, "ltm/results",
                  "{\"job_id\":\"e1\",\"kind\":\"engagement\",\"account\":\"q\\\"uote\\\\back"
                  "\\nline\",\"attempt\":1,\"status\":\"read\",\"retryable\":false,\"final\":true,"
                  "\"post_job_id\":\"p1\",\"age_ms\":1,\"figures\":{\"reactions\":3},"
                  "\"finished_at\":\"2026-11-25T12:00:01Z\"}",
                  T_MONO, reason),
        GW_APPLIED);
    gw_view v = {
        .required = required,
        .required_count = 2,
        .fresh = {.default_interval_ms = 10000, .stale_factor = 3},
        .broker_connected = 1,
        .now_ms = T_NOW_MS,
        .now_mono = T_MONO,
        .started_ms = T_NOW_MS,
        .started_mono = T_MONO - 1500,
        .version = "0.1.0",
        .instance = "gw1",
        .http = http,
        .http_count = 2,
    };
    char *text = gw_render_metrics(&s, &v);
    gw_state_clear(&s);
    assert_non_null(text);
    return text;
}

static void has_line(const char *text, const char *line)
{
    char *want = malloc(strlen(line) + 3);
    sprintf(want, "\n%s\n", line);
    if (!strstr(text, want))
        fail_msg("missing line: %s", line);
    free(want);
}

static void samples_carry_the_state(void **unused)
{
    (void)unused;
    char *text = metrics();
    has_line(text, "ltm_gateway_broker_connected 1");
    has_line(text, "ltm_gateway_uptime_seconds 1.500");
    has_line(text, "ltm_health_ok 0"); /* the scheduler never reported */
    has_line(text, "ltm_gateway_http_requests_total{route=\"health\",code=\"200\"} 12");
    has_line(text, "ltm_job_results_total{kind=\"post\",status=\"published\"} 1");
    has_line(text, "ltm_job_results_total{kind=\"story\",status=\"failed\"} 1");
    has_line(text, "ltm_job_retries_total{kind=\"story\"} 1");
    has_line(text, "ltm_dlq_messages_total{service=\"poster\"} 1");
    has_line(text, "ltm_publish_duration_seconds_bucket{kind=\"post\",le=\"0.25\"} 1");
    has_line(text, "ltm_publish_duration_seconds_bucket{kind=\"post\",le=\"+Inf\"} 1");
    has_line(text, "ltm_publish_duration_seconds_count{kind=\"story\"} 1");
    has_line(text, "ltm_publish_duration_seconds_sum{kind=\"story\"} 3.200000");
    has_line(text, "ltm_engagement_checks_total{account=\"demo\",status=\"read\"} 2");
    has_line(text, "ltm_engagement_checks_total{account=\"demo\",status=\"gone\"} 0");
    has_line(text, "ltm_engagement_checks_total{account=\"demo\",status=\"failed\"} 0");
    has_line(text, "ltm_engagement_checks_total{account=\"demo\",status=\"blocked\"} 1");
    has_line(text, "ltm_engagement_posts{account=\"demo\"} 1");
    has_line(text, "ltm_engagement_figure{account=\"demo\",figure=\"impressions\"} 1200");
    has_line(text, "ltm_engagement_figure{account=\"demo\",figure=\"reach\"} 800");
    has_line(text, "ltm_engagement_figure{account=\"demo\",figure=\"reactions\"} 35");
    has_line(text, "ltm_engagement_figure{account=\"demo\",figure=\"comments\"} 4");
    has_line(text, "ltm_engagement_figure{account=\"demo\",figure=\"shares\"} 2");
    assert_null(strstr(text, "account=\"demo\",figure=\"saves\"")); /* not offered: absent */
    has_line(text, "ltm_engagement_figure{account=\"q\\\"uote\\\\back\\nline\","
                   "figure=\"reactions\"} 3");
    has_line(text, "ltm_gateway_dropped_total{what=\"engagement_posts\"} 0");
    /* The checks are not job results of a kind of their own. */
    assert_null(strstr(text, "kind=\"engagement\""));
    has_line(text, "ltm_host_cpu_usage_ratio 0.425");
    has_line(text, "ltm_host_memory_usage_ratio 0.6125");
    has_line(text, "ltm_host_load1 0.75");
    has_line(text, "ltm_host_disk_usage_ratio{mount=\"/\"} 0.71");
    /* Label values come from messages: quotes and backslashes are escaped. */
    has_line(text, "ltm_host_disk_usage_ratio{mount=\"/var/lib/ltm \\\"data\\\"\"} 0.125");
    has_line(text, "ltm_service_up{service=\"poster\"} 1");
    has_line(text, "ltm_service_up{service=\"scheduler\"} 0");
    has_line(text, "ltm_service_replicas{service=\"poster\",state=\"online\"} 1");
    has_line(text, "ltm_service_resident_memory_bytes{service=\"poster\",instance=\"p1\"} 6569984");
    has_line(text, "ltm_service_cpu_seconds_total{service=\"poster\",instance=\"p1\"} 1.5");
    has_line(text, "ltm_alerts_firing{severity=\"warning\"} 1");
    free(text);
}

/* The format's rules promtool checks too: every sample belongs to a family
 * announced by HELP and TYPE, counters end in _total, every line parses. */
static void every_line_is_well_formed(void **unused)
{
    (void)unused;
    char *text = metrics();
    regex_t help, type, sample;
    assert_int_equal(regcomp(&help, "^# HELP ([a-z_][a-z0-9_]*) [^\n]+$", REG_EXTENDED), 0);
    assert_int_equal(
        regcomp(&type, "^# TYPE ([a-z_][a-z0-9_]*) (gauge|counter|histogram)$", REG_EXTENDED), 0);
    assert_int_equal(regcomp(&sample,
                             "^([a-z_][a-z0-9_]*)(\\{([a-z_]+=\"([^\"\\\\]|\\\\.)*\",?)+\\})? "
                             "-?[0-9]+(\\.[0-9]+)?(e[-+]?[0-9]+)?$",
                             REG_EXTENDED),
                     0);
    char family[128] = "", family_type[16] = "";
    int samples = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        regmatch_t m[3];
        if (regexec(&help, line, 2, m, 0) == 0) {
            snprintf(family, sizeof family, "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
                     line + m[1].rm_so);
        } else if (regexec(&type, line, 3, m, 0) == 0) {
            assert_int_equal(strncmp(line + m[1].rm_so, family, strlen(family)), 0);
            snprintf(family_type, sizeof family_type, "%.*s", (int)(m[2].rm_eo - m[2].rm_so),
                     line + m[2].rm_so);
            size_t n = strlen(family);
            int total = n > 6 && strcmp(family + n - 6, "_total") == 0;
            assert_int_equal(total, strcmp(family_type, "counter") == 0);
        } else if (regexec(&sample, line, 0, NULL, 0) == 0) {
            if (strncmp(line, family, strlen(family)) != 0)
                fail_msg("sample outside its family %s: %s", family, line);
            samples++;
        } else {
            fail_msg("malformed line: %s", line);
        }
    }
    assert_true(samples > 50);
    regfree(&help);
    regfree(&type);
    regfree(&sample);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(samples_carry_the_state),
        cmocka_unit_test(every_line_is_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
