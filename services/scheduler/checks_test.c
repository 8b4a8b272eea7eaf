/* Engagement checks (issue 15) on a fake clock: recorded once per
 * publication, dispatched with the post they read, story expiry, the call
 * budget, source pauses and blocks with their alerts, gone posts, readings
 * as a time series, the status detail and retention. */
#include "engine_harness_test.h"
#include "ledger_files_test.h"

#include <sqlite3.h>

#define M (60 * S)
#define H (3600 * S)
#define D (24 * H)

static engine_settings defaults(void)
{
    engine_settings s = {.max_attempts = 3, .post_base_ms = 30 * S, .story_base_ms = 60 * S,
                         .report_base_ms = 60 * S, .lease_ms = 600 * S, .grace_ms = 3600 * S,
                         .rate_limit_ms = 900 * S, .report_minute = -1,
                         .engagement_base_ms = 300 * S, .quota_pause_ms = H, .recent_posts = 10};
    char err[200];
    assert_int_equal(engagement_ages_parse("1h,24h,7d", 0, &s.post_ages, err, sizeof err), 0);
    assert_int_equal(engagement_ages_parse("1h,23h", D, &s.story_ages, err, sizeof err), 0);
    return s;
}

static ltm_alert alert_at(int i)
{
    ltm_alert a;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_alert_decode(out[i].json, strlen(out[i].json), &a, reason), 0);
    return a;
}

static int count_topic(const char *topic, int from)
{
    int n = 0;
    for (int i = from; i < nout; i++)
        n += strcmp(out[i].topic, topic) == 0;
    return n;
}

/* The index of the last message on topic, -1 when none. */
static int last_on(const char *topic)
{
    for (int i = nout - 1; i >= 0; i--) {
        if (strcmp(out[i].topic, topic) == 0)
            return i;
    }
    return -1;
}

static void publish_result(engine *e, const char *job_id, int attempt, const char *channel,
                           const char *remote_id, const char *theme, int64_t now)
{
    ltm_result r = {0};
    r.job_id = (char *)job_id;
    r.kind = strncmp(job_id, "story", 5) == 0 ? LTM_JOB_STORY : LTM_JOB_POST;
    r.account = "acme";
    r.attempt = attempt;
    r.status = LTM_RESULT_PUBLISHED;
    r.final = 1;
    r.channel = (char *)channel;
    r.remote_id = (char *)remote_id;
    r.theme = (char *)theme;
    r.worker = "ltm-poster-1";
    r.finished_ms = now;
    assert_int_equal(engine_on_result(e, &r, now), 0);
}

static ltm_figures figures(int64_t impressions, int64_t reactions)
{
    ltm_figures f;
    ltm_figures_unset(&f);
    f.impressions = impressions;
    f.reactions = reactions;
    f.comments = 1;
    return f;
}

/* A worker's answer to a check. */
static void check_result(engine *e, const char *job_id, int attempt, ltm_result_status status,
                         const char *cls, int retryable, int64_t retry_after,
                         const ltm_figures *f, int64_t now)
{
    ltm_result r = {0};
    r.job_id = (char *)job_id;
    r.kind = LTM_JOB_ENGAGEMENT;
    r.account = "acme";
    r.attempt = attempt;
    r.status = status;
    r.retryable = retryable;
    r.final = status != LTM_RESULT_FAILED || !retryable;
    r.error_class = (char *)cls;
    r.error = cls ? "as the API said" : NULL;
    r.retry_after_ms = retry_after;
    r.worker = "ltm-poster-1";
    r.finished_ms = now;
    r.post_job_id = "whatever the worker says";
    r.age_ms = 1;
    if (f) {
        r.has_figures = 1;
        r.figures = *f;
    }
    assert_int_equal(engine_on_result(e, &r, now), 0);
}

static void expect_job(engine *e, const char *job_id, const char *state, int attempt,
                       int64_t due_ms)
{
    ledger_job j;
    assert_int_equal(ledger_job_get(engine_ledger(e), job_id, &j), 0);
    assert_string_equal(j.state, state);
    assert_int_equal(j.attempt, attempt);
    if (due_ms >= 0)
        assert_int_equal(j.due_ms, due_ms);
    ledger_job_clear(&j);
}

static char *reason_of(engine *e, const char *job_id, char *buf, size_t size)
{
    ledger_job j;
    assert_int_equal(ledger_job_get(engine_ledger(e), job_id, &j), 0);
    snprintf(buf, size, "%s", j.reason);
    ledger_job_clear(&j);
    return buf;
}

static const char *ACME = "{\"accounts\":[{\"name\":\"acme\",\"timezone\":\"Europe/Berlin\","
                          "\"schedule\":{\"posts\":[\"09:00\"]}}]}";
static const char *WITH_STORIES = "{\"accounts\":[{\"name\":\"acme\",\"timezone\":"
                                  "\"Europe/Berlin\",\"schedule\":{\"posts\":[\"09:00\"],"
                                  "\"stories\":[\"10:00\"]}}]}";
/* 09:00 in Berlin, a Wednesday. */
static const char *POST = "post:acme:2026-11-25T08:00:00Z";
static const char *CHECK_1H = "engagement:post:acme:2026-11-25T08:00:00Z@1h";
static const char *CHECK_24H = "engagement:post:acme:2026-11-25T08:00:00Z@24h";
static const char *CHECK_7D = "engagement:post:acme:2026-11-25T08:00:00Z@7d";

/* Starts the engine a minute before the post slot, dispatches the post and
 * answers it published 2 s after its slot; returns the publication instant. */
static int64_t published_post(engine *e, const char *channel)
{
    int64_t t0 = iso("2026-11-25T08:00:00Z");
    assert_int_equal(engine_start(e, t0 - M), 0);
    assert_int_equal(engine_run(e, t0), 0);
    assert_int_equal(count_topic("ltm/jobs/post", 0), 1);
    publish_result(e, POST, 1, channel, "urn:li:share:7", "tips", t0 + 2 * S);
    return t0 + 2 * S;
}

static void checks_recorded_once_per_published_result(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    ledger_post p;
    assert_int_equal(ledger_post_get(l, POST, &p), 0);
    assert_string_equal(p.channel, "linkedin");
    assert_string_equal(p.remote_id, "urn:li:share:7");
    assert_string_equal(p.theme, "tips");
    assert_string_equal(p.state, "live");
    assert_int_equal(p.published_ms, pub);
    assert_int_equal(p.weekday, 2);           /* Wednesday, in Berlin */
    assert_int_equal(p.local_minute, 9 * 60); /* 09:00 there, 08:00 UTC */
    expect_job(e, CHECK_1H, "waiting", 0, pub + H);
    expect_job(e, CHECK_24H, "waiting", 0, pub + D);
    expect_job(e, CHECK_7D, "waiting", 0, pub + 7 * D);
    ledger_job j;
    assert_int_equal(ledger_job_get(l, CHECK_24H, &j), 0);
    assert_int_equal(j.kind, LTM_JOB_ENGAGEMENT);
    assert_string_equal(j.origin, "system");
    assert_string_equal(j.account, "acme");
    assert_int_equal(j.slot_ms, pub + D);
    assert_int_equal(j.max_attempts, 3);
    ledger_job_clear(&j);
    ledger_post cp;
    int64_t age = 0;
    assert_int_equal(ledger_check_get(l, CHECK_7D, &cp, &age), 0);
    assert_int_equal(age, 7 * D);

    /* The same result again, and once more 10 s later: nothing new. */
    publish_result(e, POST, 1, "linkedin", "urn:li:share:7", "tips", pub);
    publish_result(e, POST, 1, "linkedin", "urn:li:share:8", "other", pub + 10 * S);
    assert_int_equal(ledger_post_get(l, POST, &p), 0);
    assert_string_equal(p.remote_id, "urn:li:share:7");
    char *detail = engine_detail_json(e, pub + 20 * S);
    assert_non_null(strstr(detail, "\"engagement\":{\"due\":3,"));
    free(detail);
    /* Checks are not posts: the daily limits see one. */
    int posts = -1;
    assert_int_equal(ledger_count_posts(l, "acme", 0, INT64_MAX, &posts), 0);
    assert_int_equal(posts, 1);
    int64_t last = 0;
    assert_int_equal(ledger_last_post(l, "acme", INT64_MAX, &last), 0);
    assert_int_equal(last, iso("2026-11-25T08:00:00Z"));
    reset();
    engine_free(e);
    ledger_close(l);
}

static void story_ages_and_webhook(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(WITH_STORIES, &s, l);
    int64_t pub = published_post(e, "webhook");
    /* A webhook has nothing to read: the post is recorded, no check. */
    ledger_post p;
    assert_int_equal(ledger_post_get(l, POST, &p), 0);
    ledger_job j;
    assert_int_equal(ledger_job_get(l, CHECK_1H, &j), LTM_ENOTFOUND);
    int64_t story_slot = iso("2026-11-25T09:00:00Z");
    assert_int_equal(engine_run(e, story_slot), 0);
    const char *story = "story:acme:2026-11-25T09:00:00Z";
    publish_result(e, story, 1, "instagram", "17895695668004550", NULL, story_slot + 5 * S);
    expect_job(e, "engagement:story:acme:2026-11-25T09:00:00Z@1h", "waiting", 0,
               story_slot + 5 * S + H);
    expect_job(e, "engagement:story:acme:2026-11-25T09:00:00Z@23h", "waiting", 0,
               story_slot + 5 * S + 23 * H);
    assert_int_equal(ledger_job_get(l, "engagement:story:acme:2026-11-25T09:00:00Z@24h", &j),
                     LTM_ENOTFOUND);
    assert_int_equal(ledger_post_get(l, story, &p), 0);
    assert_int_equal(p.kind, LTM_JOB_STORY);
    assert_string_equal(p.theme, "");
    assert_int_equal(p.local_minute, 10 * 60);
    (void)pub;
    reset();
    engine_free(e);
    ledger_close(l);
}

/* A worker whose clock runs ahead does not push the checks later. */
static void publication_time_never_ahead_of_the_scheduler(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T08:00:00Z");
    assert_int_equal(engine_start(e, t0 - M), 0);
    assert_int_equal(engine_run(e, t0), 0);
    ltm_result r = {0};
    r.job_id = (char *)POST;
    r.kind = LTM_JOB_POST;
    r.account = "acme";
    r.attempt = 1;
    r.status = LTM_RESULT_PUBLISHED;
    r.final = 1;
    r.channel = "instagram";
    r.remote_id = "1789";
    r.worker = "ltm-poster-1";
    r.finished_ms = t0 + 2 * H;
    assert_int_equal(engine_on_result(e, &r, t0 + 3 * S), 0);
    ledger_post p;
    assert_int_equal(ledger_post_get(l, POST, &p), 0);
    assert_int_equal(p.published_ms, t0 + 3 * S);
    expect_job(e, CHECK_1H, "waiting", 0, t0 + 3 * S + H);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void dispatched_when_due_with_the_post(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    assert_int_equal(engine_next_wake(e, pub, 2 * H), H);
    assert_int_equal(engine_run(e, pub + H - 1), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 0);
    assert_int_equal(engine_run(e, pub + H), 0);
    int i = last_on("ltm/jobs/engagement");
    assert_true(i >= 0);
    ltm_job j = job_at(i);
    assert_string_equal(j.job_id, CHECK_1H);
    assert_int_equal(j.kind, LTM_JOB_ENGAGEMENT);
    assert_string_equal(j.account, "acme");
    assert_int_equal(j.attempt, 1);
    assert_int_equal(j.max_attempts, 3);
    assert_int_equal(j.slot_ms, pub + H);
    assert_string_equal(j.post_job_id, POST);
    assert_int_equal(j.post_kind, LTM_JOB_POST);
    assert_string_equal(j.channel, "linkedin");
    assert_string_equal(j.remote_id, "urn:li:share:7");
    assert_int_equal(j.published_ms, pub);
    assert_int_equal(j.age_ms, H);
    ltm_job_clear(&j);
    expect_job(e, CHECK_1H, "in_flight", 1, pub + H + 600 * S);

    /* A retryable failure waits n x the engagement base (5 min). */
    check_result(e, CHECK_1H, 1, LTM_RESULT_FAILED, "server", 1, 0, NULL, pub + H + S);
    expect_job(e, CHECK_1H, "waiting", 1, pub + H + S + 300 * S);
    assert_int_equal(engine_run(e, pub + H + 301 * S), 0);
    expect_job(e, CHECK_1H, "in_flight", 2, -1);
    ltm_figures f = figures(120, 7);
    check_result(e, CHECK_1H, 2, LTM_RESULT_READ, NULL, 0, 0, &f, pub + H + 302 * S);
    expect_job(e, CHECK_1H, "read", 2, 0);
    /* Read again (a repeated delivery): one reading, counted once. */
    check_result(e, CHECK_1H, 2, LTM_RESULT_READ, NULL, 0, 0, &f, pub + H + 303 * S);
    char *detail = engine_detail_json(e, pub + H + 304 * S);
    assert_non_null(strstr(detail, "\"dispatched\":2,\"read\":1,\"gone\":0,\"failed\":0"));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void late_checks_are_read_after_a_downtime(void **state)
{
    (void)state;
    char path[512];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    ledger *l = open_ledger(path);
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    engine_free(e);
    ledger_close(l);
    reset();
    /* Down for two days, far past the missed-slot grace: the slots of
     * those days are missed, the checks due meanwhile still go out. */
    l = open_ledger(path);
    e = make(ACME, &s, l);
    int64_t back = pub + 2 * D + 2 * H;
    assert_int_equal(engine_start(e, back), 0);
    assert_int_equal(engine_run(e, back), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 2);
    assert_int_equal(count_topic("ltm/jobs/post", 0), 0);
    expect_job(e, CHECK_1H, "in_flight", 1, -1);
    expect_job(e, CHECK_24H, "in_flight", 1, -1);
    expect_job(e, CHECK_7D, "waiting", 0, pub + 7 * D);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

static void story_check_expires_after_24_hours(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(WITH_STORIES, &s, l);
    int64_t story_slot = iso("2026-11-25T09:00:00Z");
    assert_int_equal(engine_start(e, story_slot - M), 0);
    assert_int_equal(engine_run(e, story_slot), 0);
    const char *story = "story:acme:2026-11-25T09:00:00Z";
    const char *check = "engagement:story:acme:2026-11-25T09:00:00Z@23h";
    int64_t pub = story_slot + S;
    publish_result(e, story, 1, "instagram", "1789", NULL, pub);
    assert_int_equal(engine_run(e, pub + 23 * H), 0);
    expect_job(e, check, "in_flight", 1, -1);
    /* Rate limited for two hours: by then the story's insights are gone. */
    check_result(e, check, 1, LTM_RESULT_FAILED, "rate_limited", 1, 2 * H, NULL, pub + 23 * H + S);
    expect_job(e, check, "waiting", 1, pub + 25 * H + S);
    reset();
    assert_int_equal(engine_run(e, pub + 25 * H + S), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 0);
    char reason[256];
    expect_job(e, check, "failed", 1, 0);
    assert_non_null(strstr(reason_of(e, check, reason, sizeof reason), "story's insights are gone"));
    int i = last_on("ltm/results");
    assert_true(i >= 0);
    ltm_result r = result_at(i);
    assert_string_equal(r.job_id, check);
    assert_int_equal(r.kind, LTM_JOB_ENGAGEMENT);
    assert_int_equal(r.status, LTM_RESULT_FAILED);
    assert_true(r.final);
    assert_string_equal(r.error_class, "expired");
    assert_string_equal(r.post_job_id, story);
    assert_int_equal(r.age_ms, 23 * H);
    ltm_result_clear(&r);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void budget_defers_checks_never_drops_them(void **state)
{
    (void)state;
    engine_settings s = defaults();
    char err[200];
    /* Two LinkedIn checks (5 calls each) per day for the source. */
    assert_int_equal(engagement_budget_parse("linkedin=10/1d", &s.budget, err, sizeof err), 0);
    assert_int_equal(engagement_ages_parse("1h,2h,3h", 0, &s.post_ages, err, sizeof err), 0);
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    const char *c1 = "engagement:post:acme:2026-11-25T08:00:00Z@1h";
    const char *c2 = "engagement:post:acme:2026-11-25T08:00:00Z@2h";
    const char *c3 = "engagement:post:acme:2026-11-25T08:00:00Z@3h";
    ltm_figures f = figures(10, 1);
    assert_int_equal(engine_run(e, pub + H), 0);
    check_result(e, c1, 1, LTM_RESULT_READ, NULL, 0, 0, &f, pub + H + S);
    assert_int_equal(engine_run(e, pub + 2 * H), 0);
    check_result(e, c2, 1, LTM_RESULT_READ, NULL, 0, 0, &f, pub + 2 * H + S);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 2);
    assert_int_equal(engine_run(e, pub + 3 * H), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 2);
    /* Room once the first dispatch leaves the one-day window. */
    expect_job(e, c3, "waiting", 0, pub + H + D);
    char reason[256];
    assert_non_null(strstr(reason_of(e, c3, reason, sizeof reason), "budget: linkedin:acme"));
    char *detail = engine_detail_json(e, pub + 3 * H);
    assert_non_null(strstr(detail, "\"deferred\":1"));
    free(detail);
    assert_int_equal(engine_run(e, pub + H + D - 1), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 2);
    assert_int_equal(engine_run(e, pub + H + D), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 3);
    expect_job(e, c3, "in_flight", 1, -1);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void rate_limit_pauses_the_source_not_the_posts(void **state)
{
    (void)state;
    engine_settings s = defaults();
    char err[200];
    assert_int_equal(engagement_ages_parse("1h,90m", 0, &s.post_ages, err, sizeof err), 0);
    const char *two = "{\"accounts\":[{\"name\":\"acme\",\"timezone\":\"Europe/Berlin\","
                      "\"schedule\":{\"posts\":[\"09:00\",\"10:05\"]}}]}";
    ledger *l = open_ledger(":memory:");
    engine *e = make(two, &s, l);
    int64_t pub = published_post(e, "linkedin");
    const char *c90 = "engagement:post:acme:2026-11-25T08:00:00Z@90m";
    assert_int_equal(engine_run(e, pub + H), 0);
    check_result(e, CHECK_1H, 1, LTM_RESULT_FAILED, "rate_limited", 1, 40 * M, NULL, pub + H + S);
    /* The check waits without burning an attempt... */
    ledger_job j;
    assert_int_equal(ledger_job_get(l, CHECK_1H, &j), 0);
    assert_string_equal(j.state, "waiting");
    assert_int_equal(j.due_ms, pub + H + S + 40 * M);
    assert_int_equal(j.failures, 0);
    ledger_job_clear(&j);
    /* ...the account's publishing is not paused... */
    int paused = 1;
    int64_t until = 1;
    assert_int_equal(ledger_pause_get(l, "acme", &paused, &until), 0);
    assert_int_equal(paused, 0);
    assert_int_equal(until, 0);
    char *detail = engine_detail_json(e, pub + H + 2 * S);
    assert_non_null(strstr(detail, "\"paused\":[{\"source\":\"linkedin:acme\",\"until\":"));
    free(detail);
    reset();
    int64_t post2 = iso("2026-11-25T09:05:00Z");
    assert_int_equal(engine_run(e, post2), 0);
    assert_int_equal(count_topic("ltm/jobs/post", 0), 1);
    /* ...while the source's other check is held back with it. */
    assert_int_equal(engine_run(e, pub + 90 * M), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 0);
    expect_job(e, c90, "waiting", 0, pub + H + S + 40 * M);
    assert_int_equal(engine_run(e, pub + H + S + 40 * M), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 2);
    int i = last_on("ltm/jobs/engagement");
    ltm_job first = job_at(i - 1), second = job_at(i);
    /* The rate-limited check goes out again with a max_attempts raised by one. */
    const ltm_job *again = strcmp(first.job_id, CHECK_1H) == 0 ? &first : &second;
    assert_int_equal(again->attempt, 2);
    assert_int_equal(again->max_attempts, 4);
    ltm_job_clear(&first);
    ltm_job_clear(&second);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void quota_pauses_with_one_alert_then_resolved(void **state)
{
    (void)state;
    char path[512];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    char err[200];
    assert_int_equal(engagement_ages_parse("1h,61m,62m", 0, &s.post_ages, err, sizeof err), 0);
    ledger *l = open_ledger(path);
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "rapidapi");
    const char *c61 = "engagement:post:acme:2026-11-25T08:00:00Z@61m";
    const char *c62 = "engagement:post:acme:2026-11-25T08:00:00Z@62m";
    assert_int_equal(engine_run(e, pub + H), 0);
    assert_int_equal(engine_run(e, pub + 61 * M), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 2);
    reset();
    /* Both checks in flight meet the exhausted quota: one alert. */
    int64_t t = pub + 61 * M + S;
    check_result(e, CHECK_1H, 1, LTM_RESULT_FAILED, "quota", 0, 0, NULL, t);
    check_result(e, c61, 1, LTM_RESULT_FAILED, "quota", 0, 0, NULL, t + S);
    assert_int_equal(count_topic("ltm/alerts", 0), 1);
    ltm_alert a = alert_at(last_on("ltm/alerts"));
    assert_string_equal(a.key, "engagement.quota.rapidapi.acme");
    assert_true(a.firing);
    assert_string_equal(a.severity, "warning");
    assert_string_equal(a.source, "scheduler");
    assert_non_null(strstr(a.summary, "rapidapi"));
    assert_non_null(strstr(a.summary, "acme"));
    char at[LTM_ISO_SIZE];
    assert_non_null(strstr(a.summary, ltm_time_format_iso(t + H, at)));
    ltm_alert_clear(&a);
    expect_job(e, CHECK_1H, "waiting", 1, t + H);
    expect_job(e, c61, "waiting", 1, t + S + H);
    char *detail = engine_detail_json(e, t + 2 * S);
    assert_non_null(strstr(detail, "\"source\":\"rapidapi:acme\""));
    assert_non_null(strstr(detail, "quota exhausted"));
    free(detail);
    reset();
    /* The pause survives a restart. */
    engine_free(e);
    ledger_close(l);
    l = open_ledger(path);
    e = make(ACME, &s, l);
    assert_int_equal(engine_start(e, t + 10 * M), 0);
    assert_int_equal(engine_run(e, t + 10 * M), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 0);
    expect_job(e, c62, "waiting", 0, t + S + H); /* pushed to the pause's end */
    assert_int_equal(engine_run(e, t + S + H), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 3);
    assert_int_equal(count_topic("ltm/alerts", 0), 0);
    ltm_figures f = figures(5, 0);
    check_result(e, c62, 1, LTM_RESULT_READ, NULL, 0, 0, &f, t + S + H + S);
    assert_int_equal(count_topic("ltm/alerts", 0), 1);
    a = alert_at(last_on("ltm/alerts"));
    assert_string_equal(a.key, "engagement.quota.rapidapi.acme");
    assert_false(a.firing);
    ltm_alert_clear(&a);
    /* Further reads resolve nothing more. */
    check_result(e, CHECK_1H, 2, LTM_RESULT_READ, NULL, 0, 0, &f, t + S + H + 2 * S);
    check_result(e, c61, 2, LTM_RESULT_READ, NULL, 0, 0, &f, t + S + H + 3 * S);
    assert_int_equal(count_topic("ltm/alerts", 0), 1);
    detail = engine_detail_json(e, t + S + H + 4 * S);
    assert_non_null(
        strstr(detail, "\"paused\":[],\"paused_total\":0,\"blocked\":[],\"blocked_total\":0"));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

static void permission_blocks_the_source_until_resume(void **state)
{
    (void)state;
    engine_settings s = defaults();
    char err[200];
    assert_int_equal(engagement_ages_parse("1h,2h,3h", 0, &s.post_ages, err, sizeof err), 0);
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    const char *c2 = "engagement:post:acme:2026-11-25T08:00:00Z@2h";
    const char *c3 = "engagement:post:acme:2026-11-25T08:00:00Z@3h";
    assert_int_equal(engine_run(e, pub + H), 0);
    reset();
    check_result(e, CHECK_1H, 1, LTM_RESULT_FAILED, "permission", 0, 0, NULL, pub + H + S);
    expect_job(e, CHECK_1H, "failed", 1, 0);
    assert_int_equal(count_topic("ltm/alerts", 0), 1);
    ltm_alert a = alert_at(last_on("ltm/alerts"));
    assert_string_equal(a.key, "engagement.permission.linkedin.acme");
    assert_true(a.firing);
    assert_non_null(strstr(a.summary, "ltmctl resume acme"));
    ltm_alert_clear(&a);
    /* The worker said final: the scheduler repeats nothing. */
    assert_int_equal(count_topic("ltm/results", 0), 0);
    reset();
    /* The next check of the source ends without a call, and with no new alert. */
    assert_int_equal(engine_run(e, pub + 2 * H), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 0);
    assert_int_equal(count_topic("ltm/alerts", 0), 0);
    expect_job(e, c2, "failed", 0, 0);
    ltm_result r = result_at(last_on("ltm/results"));
    assert_string_equal(r.job_id, c2);
    assert_string_equal(r.error_class, "permission");
    assert_non_null(strstr(r.error, "not read"));
    assert_non_null(strstr(r.error, "needs a person"));
    assert_true(r.final);
    ltm_result_clear(&r);
    char *detail = engine_detail_json(e, pub + 2 * H);
    assert_non_null(strstr(detail, "\"blocked\":[{\"source\":\"linkedin:acme\",\"since\":"));
    assert_non_null(strstr(detail, "\"failed\":2"));
    free(detail);
    reset();
    char why[200];
    assert_int_equal(engine_set_paused(e, "acme", 0, pub + 2 * H + M, why, sizeof why), 0);
    assert_int_equal(count_topic("ltm/alerts", 0), 1);
    a = alert_at(last_on("ltm/alerts"));
    assert_string_equal(a.key, "engagement.permission.linkedin.acme");
    assert_false(a.firing);
    ltm_alert_clear(&a);
    assert_int_equal(engine_run(e, pub + 3 * H), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 1);
    expect_job(e, c3, "in_flight", 1, -1);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void gone_ends_the_remaining_checks(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    assert_int_equal(engine_run(e, pub + H), 0);
    check_result(e, CHECK_1H, 1, LTM_RESULT_GONE, NULL, 0, 0, NULL, pub + H + S);
    expect_job(e, CHECK_1H, "gone", 1, 0);
    expect_job(e, CHECK_24H, "gone", 0, 0);
    expect_job(e, CHECK_7D, "gone", 0, 0);
    ledger_post p;
    assert_int_equal(ledger_post_get(l, POST, &p), 0);
    assert_string_equal(p.state, "gone");
    reset();
    assert_int_equal(engine_run(e, pub + 8 * D), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 0);
    char *detail = engine_detail_json(e, pub + 8 * D);
    assert_non_null(strstr(detail, "\"due\":0,\"dispatched\":1,\"read\":0,\"gone\":3"));
    assert_non_null(strstr(detail, "\"state\":\"gone\""));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void readings_are_a_time_series(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    ltm_figures f1 = figures(100, 4), f24 = figures(900, 31);
    f24.shares = 2;
    assert_int_equal(engine_run(e, pub + H), 0);
    check_result(e, CHECK_1H, 1, LTM_RESULT_READ, NULL, 0, 0, &f1, pub + H + 3 * S);
    assert_int_equal(engine_run(e, pub + D), 0);
    check_result(e, CHECK_24H, 1, LTM_RESULT_READ, NULL, 0, 0, &f24, pub + D + 4 * S);
    ledger_reading r[4];
    int n = 0;
    assert_int_equal(ledger_readings(l, POST, r, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].age_ms, H);
    assert_int_equal(r[0].read_ms, pub + H + 3 * S);
    assert_int_equal(r[0].figures.impressions, 100);
    assert_int_equal(r[0].figures.shares, -1);
    assert_int_equal(r[1].age_ms, D);
    assert_int_equal(r[1].figures.impressions, 900);
    assert_int_equal(r[1].figures.reactions, 31);
    assert_int_equal(r[1].figures.shares, 2);
    assert_int_equal(r[1].figures.saves, -1);
    char *detail = engine_detail_json(e, pub + D + 5 * S);
    assert_non_null(strstr(detail,
        "\"recent_posts\":[{\"job_id\":\"post:acme:2026-11-25T08:00:00Z\",\"account\":\"acme\","
        "\"kind\":\"post\",\"channel\":\"linkedin\",\"remote_id\":\"urn:li:share:7\","
        "\"published_at\":\"2026-11-25T08:00:02.000Z\",\"slot_local\":\"Wed 09:00\","
        "\"theme\":\"tips\",\"state\":\"live\",\"readings\":2,\"latest\":{\"figures\":"
        "{\"impressions\":900,\"reactions\":31,\"comments\":1,\"shares\":2},"
        "\"age_ms\":86400000,\"read_at\":\"2026-11-26T08:00:06.000Z\"}}]"));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void recent_posts_newest_first_and_limited(void **state)
{
    (void)state;
    engine_settings s = defaults();
    s.recent_posts = 2;
    const char *three = "{\"accounts\":[{\"name\":\"acme\",\"timezone\":\"UTC\","
                        "\"schedule\":{\"posts\":[\"08:00\",\"09:00\",\"10:00\"]}}]}";
    ledger *l = open_ledger(":memory:");
    engine *e = make(three, &s, l);
    int64_t t0 = iso("2026-11-25T08:00:00Z");
    assert_int_equal(engine_start(e, t0 - M), 0);
    const char *ids[] = {"post:acme:2026-11-25T08:00:00Z", "post:acme:2026-11-25T09:00:00Z",
                         "post:acme:2026-11-25T10:00:00Z"};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(engine_run(e, t0 + k * H), 0);
        publish_result(e, ids[k], 1, "sandbox", "sandbox-1", NULL, t0 + k * H + S);
    }
    char *detail = engine_detail_json(e, t0 + 3 * H);
    char *nine = strstr(detail, ids[1]), *ten = strstr(detail, ids[2]);
    assert_non_null(ten);
    assert_non_null(nine);
    assert_true(ten < nine);
    assert_null(strstr(detail, ids[0]));
    assert_non_null(strstr(detail, "\"readings\":0,\"latest\":null"));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
}

static void retention_prunes_posts_checks_and_readings(void **state)
{
    (void)state;
    engine_settings s = defaults();
    s.retention_ms = 30 * D;
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    ltm_figures f = figures(1, 1);
    const char *checks[] = {CHECK_1H, CHECK_24H, CHECK_7D};
    int64_t ages[] = {H, D, 7 * D};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(engine_run(e, pub + ages[k]), 0);
        check_result(e, checks[k], 1, LTM_RESULT_READ, NULL, 0, 0, &f, pub + ages[k] + S);
    }
    ledger_post p;
    int64_t age;
    assert_int_equal(ledger_check_get(l, CHECK_7D, &p, &age), 0);
    assert_int_equal(engine_run(e, pub + 29 * D), 0);
    assert_int_equal(ledger_post_get(l, POST, &p), 0);
    assert_int_equal(engine_run(e, pub + 31 * D + 2 * H), 0);
    assert_int_equal(ledger_post_get(l, POST, &p), LTM_ENOTFOUND);
    assert_int_equal(ledger_check_get(l, CHECK_7D, &p, &age), LTM_ENOTFOUND);
    ledger_reading r[4];
    int n = -1;
    assert_int_equal(ledger_readings(l, POST, r, 4, &n), 0);
    assert_int_equal(n, 0);
    ledger_job j;
    assert_int_equal(ledger_job_get(l, CHECK_7D, &j), LTM_ENOTFOUND);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* The note the ledger kept with the results of job_id, "|"-separated, and
 * how many of them counted. */
static void result_notes(const char *path, const char *job_id, char *notes, size_t size,
                         int *counted)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT counted, note FROM results WHERE job_id = ?"
                                            " ORDER BY id", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
    notes[0] = '\0';
    *counted = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        *counted += sqlite3_column_int(st, 0);
        const char *n = (const char *)sqlite3_column_text(st, 1);
        size_t used = strlen(notes);
        snprintf(notes + used, size - used, "%s|", n ? n : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The detail rides on a retained message the broker drops over 256 KiB:
 * whatever the ledger holds, it stays small. */
static void detail_stays_small_with_many_sources(void **state)
{
    (void)state;
    engine_settings s = defaults();
    s.recent_posts = 100; /* above the cap: the detail still shows 20 */
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t now = iso("2026-11-25T08:00:00Z");
    char key[128], reason[256], long_text[1100];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    /* "x" then two-byte characters: the cut at 200 bytes falls inside one. */
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    for (size_t i = 1; i + 2 < sizeof long_text; i += 2)
        memcpy(long_text + i, "\xc3\xa9", 2);
    assert_int_equal(ledger_begin(l), 0);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "engagement:rapidapi:account-%04d", i);
        /* account-0999 ends first */
        assert_int_equal(ledger_pause_set(l, key, 0, now + (1000 - i) * M, reason, now - S), 0);
    }
    for (int i = 0; i < 30; i++) {
        snprintf(key, sizeof key, "engagement:linkedin:account-%04d", i);
        /* account-0029 blocked last */
        assert_int_equal(ledger_pause_set(l, key, 1, 0, reason, now - (30 - i) * M), 0);
    }
    for (int i = 0; i < 30; i++) {
        ledger_post p = {0};
        snprintf(p.job_id, sizeof p.job_id, "post:acme:2026-11-%02dT08:00:00Z", i + 1);
        snprintf(p.account, sizeof p.account, "acme");
        p.kind = LTM_JOB_POST;
        snprintf(p.channel, sizeof p.channel, "linkedin");
        memcpy(p.remote_id, long_text, sizeof p.remote_id - 1);
        memcpy(p.theme, long_text, sizeof p.theme - 1);
        snprintf(p.state, sizeof p.state, "live");
        p.slot_ms = p.published_ms = now - (30 - i) * D;
        assert_int_equal(ledger_post_insert(l, &p), 1);
    }
    assert_int_equal(ledger_commit(l), 0);
    char *detail = engine_detail_json(e, now);
    assert_true(strlen(detail) < 64 * 1024);
    cJSON *o = cJSON_Parse(detail);
    assert_non_null(o);
    cJSON *g = cJSON_GetObjectItem(o, "engagement");
    assert_int_equal(cJSON_GetObjectItem(g, "paused_total")->valueint, 1000);
    assert_int_equal(cJSON_GetObjectItem(g, "blocked_total")->valueint, 30);
    cJSON *paused = cJSON_GetObjectItem(g, "paused"), *blocked = cJSON_GetObjectItem(g, "blocked");
    assert_int_equal(cJSON_GetArraySize(paused), 20);
    assert_int_equal(cJSON_GetArraySize(blocked), 20);
    /* The soonest to end first; the most recent block first. */
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(paused, 0), "source")->valuestring,
                        "rapidapi:account-0999");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(paused, 19), "source")->valuestring,
                        "rapidapi:account-0980");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(blocked, 0), "source")->valuestring,
                        "linkedin:account-0029");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(blocked, 19), "source")->valuestring,
                        "linkedin:account-0010");
    const char *r0 =
        cJSON_GetObjectItem(cJSON_GetArrayItem(paused, 0), "reason")->valuestring;
    assert_true(strlen(r0) <= 203);
    cJSON *posts = cJSON_GetObjectItem(o, "recent_posts");
    assert_int_equal(cJSON_GetArraySize(posts), 20);
    cJSON *newest = cJSON_GetArrayItem(posts, 0);
    assert_string_equal(cJSON_GetObjectItem(newest, "job_id")->valuestring,
                        "post:acme:2026-11-30T08:00:00Z");
    const char *theme = cJSON_GetObjectItem(newest, "theme")->valuestring;
    size_t n = strlen(theme);
    assert_true(n <= 203);
    assert_string_equal(theme + n - 3, "...");
    /* The byte before "..." ends a character: no lone lead byte. */
    assert_true(((unsigned char)theme[n - 4] & 0xC0) != 0xC0);
    assert_true(strlen(cJSON_GetObjectItem(newest, "remote_id")->valuestring) <= 203);
    cJSON_Delete(o);
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* A post job created long before its publication (ltmctl --at, a hold,
 * retries) stays with its readings while its checks are due. */
static void prune_keeps_posts_with_checks_due(void **state)
{
    (void)state;
    engine_settings s = defaults();
    s.retention_ms = 30 * D;
    const char *evening = "{\"accounts\":[{\"name\":\"acme\",\"timezone\":\"UTC\","
                          "\"schedule\":{\"posts\":[\"20:00\"]}}]}";
    ledger *l = open_ledger(":memory:");
    engine *e = make(evening, &s, l);
    int64_t t0 = iso("2026-11-25T08:00:00Z");
    ledger_job j = {0};
    snprintf(j.job_id, sizeof j.job_id, "%s", POST);
    j.kind = LTM_JOB_POST;
    snprintf(j.account, sizeof j.account, "acme");
    j.slot_ms = t0;
    snprintf(j.state, sizeof j.state, LEDGER_WAITING);
    j.max_attempts = 3;
    j.due_ms = t0;
    snprintf(j.origin, sizeof j.origin, "ltmctl");
    j.created_ms = t0 - 40 * D;
    assert_int_equal(ledger_job_insert(l, &j), 1);
    assert_int_equal(engine_start(e, t0 - M), 0);
    assert_int_equal(engine_run(e, t0), 0);
    expect_job(e, POST, "in_flight", 1, -1);
    int64_t pub = t0 + 2 * S;
    publish_result(e, POST, 1, "linkedin", "urn:li:share:7", "tips", pub);
    ltm_figures f = figures(1, 1);
    const char *checks[] = {CHECK_1H, CHECK_24H, CHECK_7D};
    int64_t ages[] = {H, D, 7 * D};
    ledger_post p;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(engine_run(e, pub + ages[k]), 0);
        expect_job(e, checks[k], "in_flight", 1, -1);
        check_result(e, checks[k], 1, LTM_RESULT_READ, NULL, 0, 0, &f, pub + ages[k] + S);
        expect_job(e, checks[k], "read", 1, 0);
        assert_int_equal(ledger_post_get(l, POST, &p), 0);
    }
    /* Every check read, published 8 days ago: still within the retention. */
    assert_int_equal(engine_run(e, pub + 8 * D), 0);
    assert_int_equal(ledger_post_get(l, POST, &p), 0);
    ledger_reading r[4];
    int n = -1;
    assert_int_equal(ledger_readings(l, POST, r, 4, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(engine_run(e, pub + 31 * D), 0);
    assert_int_equal(ledger_post_get(l, POST, &p), LTM_ENOTFOUND);
    assert_int_equal(ledger_readings(l, POST, r, 4, &n), 0);
    assert_int_equal(n, 0);
    reset();
    engine_free(e);
    ledger_close(l);
}

/* A result whose kind is not its job's is recorded with a note and leaves
 * the job alone. */
static void result_of_another_kind_changes_nothing(void **state)
{
    (void)state;
    char path[512];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    ledger *l = open_ledger(path);
    engine *e = make(ACME, &s, l);
    int64_t t0 = iso("2026-11-25T08:00:00Z");
    assert_int_equal(engine_start(e, t0 - M), 0);
    assert_int_equal(engine_run(e, t0), 0);
    /* A check's read result under the post's id: the post is not failed. */
    ltm_figures f = figures(3, 1);
    check_result(e, POST, 1, LTM_RESULT_READ, NULL, 0, 0, &f, t0 + S);
    expect_job(e, POST, "in_flight", 1, -1);
    char notes[512];
    int counted = -1;
    result_notes(path, POST, notes, sizeof notes, &counted);
    assert_int_equal(counted, 0);
    assert_string_equal(notes, "kind engagement does not match the job's kind post|");
    /* The real result still counts. */
    publish_result(e, POST, 1, "linkedin", "urn:li:share:7", "tips", t0 + 2 * S);
    expect_job(e, POST, "published", 1, 0);
    int64_t pub = t0 + 2 * S;
    assert_int_equal(engine_run(e, pub + H), 0);
    expect_job(e, CHECK_1H, "in_flight", 1, -1);
    /* A post's published result under a check's id: the check is not failed. */
    publish_result(e, CHECK_1H, 1, "linkedin", "urn:li:share:9", NULL, pub + H + S);
    expect_job(e, CHECK_1H, "in_flight", 1, -1);
    result_notes(path, CHECK_1H, notes, sizeof notes, &counted);
    assert_int_equal(counted, 0);
    assert_string_equal(notes, "kind post does not match the job's kind engagement|");
    check_result(e, CHECK_1H, 1, LTM_RESULT_READ, NULL, 0, 0, &f, pub + H + 2 * S);
    expect_job(e, CHECK_1H, "read", 1, 0);
    char *detail = engine_detail_json(e, pub + H + 3 * S);
    assert_non_null(strstr(detail, "\"results_ignored\":2,"));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

/* Every check of a gone post ends with a result the notifier and the
 * gateway see; a worker's late read of one changes nothing. */
static void gone_publishes_a_final_for_each_other_check(void **state)
{
    (void)state;
    char path[512];
    assert_int_equal(temp_ledger_path(path, sizeof path), 0);
    engine_settings s = defaults();
    char err[200];
    assert_int_equal(engagement_ages_parse("1h,61m,7d", 0, &s.post_ages, err, sizeof err), 0);
    ledger *l = open_ledger(path);
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    const char *c61 = "engagement:post:acme:2026-11-25T08:00:00Z@61m";
    assert_int_equal(engine_run(e, pub + 61 * M), 0);
    expect_job(e, CHECK_1H, "in_flight", 1, -1);
    expect_job(e, c61, "in_flight", 1, -1);
    reset();
    check_result(e, CHECK_1H, 1, LTM_RESULT_GONE, NULL, 0, 0, NULL, pub + 61 * M + S);
    expect_job(e, c61, "gone", 1, 0);
    expect_job(e, CHECK_7D, "gone", 0, 0);
    /* The worker answered for the 1h check; the scheduler for the other two. */
    assert_int_equal(count_topic("ltm/results", 0), 2);
    const char *ids[] = {c61, CHECK_7D};
    int64_t ages[] = {61 * M, 7 * D};
    for (int k = 0; k < 2; k++) {
        ltm_result r = result_at(k);
        assert_string_equal(out[k].topic, "ltm/results");
        assert_string_equal(r.job_id, ids[k]);
        assert_int_equal(r.kind, LTM_JOB_ENGAGEMENT);
        assert_int_equal(r.status, LTM_RESULT_GONE);
        assert_true(r.final);
        assert_string_equal(r.post_job_id, POST);
        assert_int_equal(r.age_ms, ages[k]);
        assert_string_equal(r.worker, "ltm-scheduler-test");
        assert_non_null(strstr(r.error, "deleted"));
        ltm_result_clear(&r);
    }
    /* The 61m check was in flight: its worker's read comes late. */
    ltm_figures f = figures(8, 1);
    check_result(e, c61, 1, LTM_RESULT_READ, NULL, 0, 0, &f, pub + 61 * M + 2 * S);
    expect_job(e, c61, "gone", 1, 0);
    char notes[256];
    int counted = -1;
    result_notes(path, c61, notes, sizeof notes, &counted);
    assert_int_equal(counted, 0);
    assert_string_equal(notes, "late: the job had already ended|");
    ledger_reading rd[4];
    int n = -1;
    assert_int_equal(ledger_readings(l, POST, rd, 4, &n), 0);
    assert_int_equal(n, 0);
    char *detail = engine_detail_json(e, pub + 61 * M + 3 * S);
    assert_non_null(strstr(detail, "\"read\":0,\"gone\":3"));
    free(detail);
    reset();
    engine_free(e);
    ledger_close(l);
    remove_ledger(path);
}

/* A check found at dispatch with its post already gone ends with the
 * scheduler's result too. */
static void gone_post_found_at_dispatch_gets_a_result(void **state)
{
    (void)state;
    engine_settings s = defaults();
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "linkedin");
    assert_int_equal(ledger_post_set_state(l, POST, "gone"), 0);
    reset();
    assert_int_equal(engine_run(e, pub + H), 0);
    assert_int_equal(count_topic("ltm/jobs/engagement", 0), 0);
    expect_job(e, CHECK_1H, "gone", 0, 0);
    expect_job(e, CHECK_24H, "gone", 0, 0);
    expect_job(e, CHECK_7D, "gone", 0, 0);
    assert_int_equal(count_topic("ltm/results", 0), 3);
    for (int k = 0; k < nout; k++) {
        if (strcmp(out[k].topic, "ltm/results") != 0)
            continue;
        ltm_result r = result_at(k);
        assert_int_equal(r.status, LTM_RESULT_GONE);
        assert_true(r.final);
        assert_string_equal(r.post_job_id, POST);
        ltm_result_clear(&r);
    }
    reset();
    engine_free(e);
    ledger_close(l);
}

/* Quota then permission on one source: the block closes the quota episode,
 * resume lifts the block: no alert is left firing. */
static void every_alert_resolved_after_quota_then_block(void **state)
{
    (void)state;
    engine_settings s = defaults();
    char err[200];
    assert_int_equal(engagement_ages_parse("1h,61m,2h", 0, &s.post_ages, err, sizeof err), 0);
    ledger *l = open_ledger(":memory:");
    engine *e = make(ACME, &s, l);
    int64_t pub = published_post(e, "rapidapi");
    const char *c61 = "engagement:post:acme:2026-11-25T08:00:00Z@61m";
    assert_int_equal(engine_run(e, pub + 61 * M), 0);
    reset();
    check_result(e, CHECK_1H, 1, LTM_RESULT_FAILED, "quota", 0, 0, NULL, pub + 61 * M + S);
    check_result(e, c61, 1, LTM_RESULT_FAILED, "permission", 0, 0, NULL, pub + 61 * M + 2 * S);
    char why[200];
    assert_int_equal(engine_set_paused(e, "acme", 0, pub + 62 * M, why, sizeof why), 0);
    /* Every key's alerts alternate firing, resolved, and end resolved. */
    const char *keys[] = {"engagement.quota.rapidapi.acme", "engagement.permission.rapidapi.acme"};
    for (int k = 0; k < 2; k++) {
        int firing = 0, seen = 0;
        for (int i = 0; i < nout; i++) {
            if (strcmp(out[i].topic, "ltm/alerts") != 0)
                continue;
            ltm_alert a = alert_at(i);
            if (strcmp(a.key, keys[k]) == 0) {
                assert_int_equal(a.firing, !firing);
                firing = a.firing;
                seen++;
            }
            ltm_alert_clear(&a);
        }
        assert_int_equal(seen, 2);
        assert_false(firing);
    }
    reset();
    engine_free(e);
    ledger_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(checks_recorded_once_per_published_result, setup),
        cmocka_unit_test_setup(story_ages_and_webhook, setup),
        cmocka_unit_test_setup(publication_time_never_ahead_of_the_scheduler, setup),
        cmocka_unit_test_setup(dispatched_when_due_with_the_post, setup),
        cmocka_unit_test_setup(late_checks_are_read_after_a_downtime, setup),
        cmocka_unit_test_setup(story_check_expires_after_24_hours, setup),
        cmocka_unit_test_setup(budget_defers_checks_never_drops_them, setup),
        cmocka_unit_test_setup(rate_limit_pauses_the_source_not_the_posts, setup),
        cmocka_unit_test_setup(quota_pauses_with_one_alert_then_resolved, setup),
        cmocka_unit_test_setup(permission_blocks_the_source_until_resume, setup),
        cmocka_unit_test_setup(gone_ends_the_remaining_checks, setup),
        cmocka_unit_test_setup(readings_are_a_time_series, setup),
        cmocka_unit_test_setup(recent_posts_newest_first_and_limited, setup),
        cmocka_unit_test_setup(retention_prunes_posts_checks_and_readings, setup),
        cmocka_unit_test_setup(detail_stays_small_with_many_sources, setup),
        cmocka_unit_test_setup(prune_keeps_posts_with_checks_due, setup),
        cmocka_unit_test_setup(result_of_another_kind_changes_nothing, setup),
        cmocka_unit_test_setup(gone_publishes_a_final_for_each_other_check, setup),
        cmocka_unit_test_setup(gone_post_found_at_dispatch_gets_a_result, setup),
        cmocka_unit_test_setup(every_alert_resolved_after_quota_then_block, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
