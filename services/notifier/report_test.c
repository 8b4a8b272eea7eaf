#include "test_util.h"
#include "report.h"
#include "text.h"

#include "ltm/error.h"

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

/* An engagement check's record; figures as impressions, reach, reactions,
 * comments, shares, saves (-1: not offered); NULL figures: not a read. */
static ntf_record check(const char *job, const char *account, const char *post, const char *remote,
                        ltm_result_status status, int final, int64_t age, int64_t finished,
                        const int64_t *figures)
{
    ntf_record r = rec(job, account, LTM_JOB_ENGAGEMENT, status, 1, final, 0, finished);
    r.post_job_id = strdup(post);
    r.remote_id = remote ? strdup(remote) : NULL;
    r.age_ms = age;
    ltm_figures_unset(&r.figures);
    for (int i = 0; figures && i < LTM_FIGURE_COUNT; i++)
        *ltm_figure_at(&r.figures, i) = figures[i];
    r.has_figures = figures != NULL;
    return r;
}

static const cJSON *account_of(const cJSON *report, const char *name)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItem(report, "accounts"))
    {
        if (strcmp(cJSON_GetObjectItem(a, "account")->valuestring, name) == 0)
            return a;
    }
    fail_msg("account %s not in the report", name);
    return NULL;
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

/* Posts read, their totals from each post's latest reading (greatest age),
 * the best post with its tie-break, checks failed and gone; publications
 * counted as before and not mixed with the checks. */
static void engagement_readings(void **state)
{
    (void)state;
    int64_t to = 1000 * DAY, from = to - DAY;
    const int64_t p1_24h[] = {1200, 800, 35, 4, 2, -1}, p1_1h[] = {100, 80, 5, 1, -1, -1};
    const int64_t p2_1h[] = {2000, -1, 30, 10, 1, -1}, p3_7d[] = {9000, 9000, 900, 90, 9, 9};
    const int64_t b1[] = {7, -1, -1, -1, -1, -1};
    ntf_record r[] = {
        rec("post:acme:1", "acme", LTM_JOB_POST, LTM_RESULT_PUBLISHED, 1, 1, 100, from + 1),
        check("engagement:post:acme:1@24h", "acme", "post:acme:1", "urn:li:share:1",
              LTM_RESULT_READ, 1, 24 * HOUR, from + 5 * HOUR, p1_24h),
        check("engagement:post:acme:1@24h", "acme", "post:acme:1", "urn:li:share:1",
              LTM_RESULT_READ, 1, 24 * HOUR, from + 5 * HOUR, p1_24h), /* delivered twice */
        /* redelivered late: a later line, a smaller age; the 24 h reading stays the latest */
        check("engagement:post:acme:1@1h", "acme", "post:acme:1", "urn:li:share:1",
              LTM_RESULT_READ, 1, HOUR, from + 6 * HOUR, p1_1h),
        /* engagement 41 as post 1, more impressions: the best */
        check("engagement:post:acme:2@1h", "acme", "post:acme:2", "urn:li:share:2",
              LTM_RESULT_READ, 1, HOUR, from + 7 * HOUR, p2_1h),
        check("engagement:post:acme:3@7d", "acme", "post:acme:3", "urn:li:share:3",
              LTM_RESULT_READ, 1, 7 * DAY, from - 1, p3_7d), /* before the period */
        check("engagement:post:acme:4@24h", "acme", "post:acme:4", NULL, LTM_RESULT_GONE, 1,
              24 * HOUR, from + 8 * HOUR, NULL),
        check("engagement:post:acme:5@1h", "acme", "post:acme:5", NULL, LTM_RESULT_FAILED, 0,
              HOUR, from + 9 * HOUR, NULL), /* retried: not counted */
        check("engagement:post:acme:5@1h", "acme", "post:acme:5", NULL, LTM_RESULT_FAILED, 1,
              HOUR, from + 10 * HOUR, NULL),
        check("engagement:story:beta:1@1h", "beta", "story:beta:1", "1789", LTM_RESULT_READ, 1,
              HOUR, from + 11 * HOUR, b1),
        /* blocks, not failures: the scheduler's own alert, its own re-sending */
        check("engagement:post:acme:6@24h", "acme", "post:acme:6", NULL, LTM_RESULT_FAILED, 1,
              24 * HOUR, from + 12 * HOUR, NULL),
        check("engagement:post:acme:7@1h", "acme", "post:acme:7", NULL, LTM_RESULT_FAILED, 1,
              HOUR, from + 13 * HOUR, NULL),
        check("engagement:post:acme:8@1h", "acme", "post:acme:8", NULL, LTM_RESULT_FAILED, 1,
              HOUR, from + 14 * HOUR, NULL),
    };
    r[8].attempt = 2;
    r[8].error_class = strdup("auth");
    r[10].error_class = strdup("permission");
    r[11].error_class = strdup("quota");
    r[12].error_class = strdup("rate_limited");
    size_t n = sizeof r / sizeof r[0];
    char *json, *text;
    assert_int_equal(ntf_report_build("d", "report:d", from, to, r, n, NULL, NULL, to, &json,
                                      &text),
                     0);
    cJSON *o = cJSON_Parse(json);
    const cJSON *acme = account_of(o, "acme"), *beta = account_of(o, "beta");
    assert_int_equal(num(acme, "posts_published", NULL), 1);
    assert_int_equal(num(acme, "failed", NULL), 0);
    assert_float_equal(num(acme, "success_rate", NULL), 100.0, 1e-9);
    const cJSON *e = cJSON_GetObjectItem(acme, "engagement");
    assert_int_equal(num(e, "posts_read", NULL), 2);
    assert_int_equal(num(e, "checks_read", NULL), 3);
    assert_int_equal(num(e, "checks_failed", NULL), 1);
    assert_int_equal(num(e, "checks_gone", NULL), 1);
    assert_int_equal(num(e, "checks_blocked", NULL), 3);
    char *totals = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "totals"));
    assert_string_equal(totals, "{\"impressions\":3200,\"reach\":800,\"reactions\":65,"
                                "\"comments\":14,\"shares\":3}"); /* saves: none offered */
    free(totals);
    char *best = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "best_post"));
    assert_string_equal(best, "{\"post_job_id\":\"post:acme:2\",\"remote_id\":\"urn:li:share:2\","
                              "\"age_ms\":3600000,\"engagement\":41,\"figures\":{\"impressions\":"
                              "2000,\"reactions\":30,\"comments\":10,\"shares\":1}}");
    free(best);
    e = cJSON_GetObjectItem(beta, "engagement");
    assert_int_equal(num(e, "posts_read", NULL), 1);
    assert_int_equal(num(e, "posts_read", NULL), 1);
    assert_int_equal(num(beta, "posts_published", NULL), 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(beta, "success_rate")));
    const cJSON *all = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "overall"), "engagement");
    assert_int_equal(num(all, "posts_read", NULL), 3);
    assert_int_equal(num(all, "totals", "impressions"), 3207);
    assert_int_equal(num(all, "totals", "reach"), 800);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(all, "best_post"), "post_job_id")->valuestring,
        "post:acme:2");
    assert_non_null(strstr(text, "<b>acme</b>: 1 posts and 0 stories published"));
    assert_non_null(strstr(text, "\nengagement: 2 posts read; impressions 3200, reach 800, "
                                 "reactions 65, comments 14, shares 3\nbest post: post:acme:2 "
                                 "(urn:li:share:2) at 1h, engagement 41; impressions 2000, "
                                 "reactions 30, comments 10, shares 1\nengagement checks: 1 "
                                 "failed, 1 gone, 3 blocked (no permission, quota or rate "
                                 "limit)"));
    assert_non_null(strstr(text, "<b>beta</b>: 0 posts and 0 stories published"));
    assert_non_null(strstr(text, "\nengagement: 1 posts read; impressions 7\nbest post: "
                                 "story:beta:1 (1789) at 1h, engagement 0; impressions 7"));
    assert_null(strstr(text, "No post or story was due"));
    cJSON_Delete(o);
    free(json);
    free(text);
    for (size_t i = 0; i < n; i++)
        ntf_record_clear(&r[i]);
}

/* 80 accounts with 1 KiB remote ids: the message clips the ids and splits
 * into parts Telegram takes (4,096 characters at most). */
static void long_report_fits_telegram(void **state)
{
    (void)state;
    int64_t to = 1000 * DAY, from = to - DAY;
    const int64_t f[] = {1, 2, 3, 4, 5, 6};
    enum { N = 80 };
    ntf_record r[N];
    char remote[1025];
    memset(remote, 'x', 1024);
    memcpy(remote + 99, "\xc3\xa9", 2); /* a 2-byte character across the cut at 100 */
    remote[1024] = '\0';
    for (int i = 0; i < N; i++) {
        char account[32], job[96], post[64];
        snprintf(account, sizeof account, "account-%02d", i);
        snprintf(post, sizeof post, "post:%s:1", account);
        snprintf(job, sizeof job, "engagement:%s@1h", post);
        r[i] = check(job, account, post, remote, LTM_RESULT_READ, 1, HOUR, from + i, f);
    }
    char *json, *text, **parts;
    size_t count;
    assert_int_equal(ntf_report_build("d", "report:d", from, to, r, N, NULL, NULL, to, &json,
                                      &text),
                     0);
    assert_null(strstr(text, remote));
    char clipped[110] = "(";
    memset(clipped + 1, 'x', 99); /* the character is left out whole */
    strcpy(clipped + 100, "\u2026)");
    assert_non_null(strstr(text, clipped));
    assert_non_null(strstr(json, remote)); /* whole in the JSON */
    assert_int_equal(ntf_split(text, 4096, &parts, &count), 0);
    assert_true(count > 1);
    for (size_t i = 0; i < count; i++)
        assert_true(strlen(parts[i]) <= 4096);
    ntf_parts_free(parts, count);
    free(json);
    free(text);
    for (int i = 0; i < N; i++)
        ntf_record_clear(&r[i]);
}

static void engagement_record_lines_round_trip(void **state)
{
    (void)state;
    ltm_result res = {0};
    res.job_id = "engagement:post:a:1@24h";
    res.kind = LTM_JOB_ENGAGEMENT;
    res.account = "a";
    res.attempt = 1;
    res.status = LTM_RESULT_READ;
    res.final = 1;
    res.finished_ms = 123456;
    res.post_job_id = "post:a:1";
    res.remote_id = "urn:li:share:7";
    res.age_ms = 24 * HOUR;
    res.has_figures = 1;
    ltm_figures_unset(&res.figures);
    res.figures.impressions = 0; /* a real 0 stays 0, an absent figure stays absent */
    res.figures.comments = 4;
    char *line = ntf_record_line(&res);
    ntf_record r;
    assert_int_equal(ntf_record_parse(line, strlen(line) - 1, &r), 0);
    assert_string_equal(r.post_job_id, "post:a:1");
    assert_string_equal(r.remote_id, "urn:li:share:7");
    assert_int_equal(r.age_ms, 24 * HOUR);
    assert_true(r.has_figures);
    assert_int_equal(r.figures.impressions, 0);
    assert_int_equal(r.figures.comments, 4);
    assert_int_equal(r.figures.reach, -1);
    assert_int_equal(r.figures.saves, -1);
    assert_null(r.error_class);
    ntf_record_clear(&r);
    free(line);
    res.status = LTM_RESULT_FAILED;
    res.has_figures = 0;
    res.error_class = "permission";
    line = ntf_record_line(&res);
    assert_int_equal(ntf_record_parse(line, strlen(line) - 1, &r), 0);
    assert_string_equal(r.error_class, "permission");
    ntf_record_clear(&r);
    free(line);
    const char *bad[] = {
        /* an engagement record without its post */
        "{\"job_id\":\"e\",\"account\":\"a\",\"kind\":\"engagement\",\"status\":\"gone\","
        "\"attempt\":1,\"final\":true,\"publish_ms\":0,\"finished_ms\":1,\"age_ms\":1}",
        /* a read without figures */
        "{\"job_id\":\"e\",\"account\":\"a\",\"kind\":\"engagement\",\"status\":\"read\","
        "\"attempt\":1,\"final\":true,\"publish_ms\":0,\"finished_ms\":1,\"age_ms\":1,"
        "\"post_job_id\":\"p\"}",
        /* a negative figure */
        "{\"job_id\":\"e\",\"account\":\"a\",\"kind\":\"engagement\",\"status\":\"read\","
        "\"attempt\":1,\"final\":true,\"publish_ms\":0,\"finished_ms\":1,\"age_ms\":1,"
        "\"post_job_id\":\"p\",\"figures\":{\"reach\":-1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ntf_record_parse(bad[i], strlen(bad[i]), &r), LTM_EINVAL);
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
        cmocka_unit_test(engagement_readings),
        cmocka_unit_test(long_report_fits_telegram),
        cmocka_unit_test(engagement_record_lines_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
