#include "commands.h"

#include "ltm/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static int drop(void *ctx, const char *topic, char *json)
{
    (void)ctx;
    (void)topic;
    free(json);
    return 0;
}

typedef struct {
    ledger *l;
    engine *e;
} fixture;

#define DAY_MS (86400LL * 1000)

static int setup(void **state)
{
    static fixture f;
    char err[300];
    const char *json = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":{\"posts\":[\"09:00\"]}}]}";
    sched_accounts a;
    assert_int_equal(sched_accounts_parse(json, strlen(json), &a, err, sizeof err), 0);
    assert_int_equal(ledger_open(":memory:", &f.l, err, sizeof err), 0);
    engine_settings s = {.max_attempts = 3, .post_base_ms = 1, .story_base_ms = 1,
                         .report_base_ms = 1, .lease_ms = 1000, .grace_ms = 0,
                         .rate_limit_ms = 1, .report_minute = -1};
    assert_int_equal(engagement_ages_parse("1h,24h,7d", 0, &s.post_ages, err, sizeof err), 0);
    assert_int_equal(engagement_ages_parse("1h,23h", DAY_MS, &s.story_ages, err, sizeof err), 0);
    assert_int_equal(engine_new(&s, &a, f.l, drop, NULL, "me", &f.e), 0);
    assert_int_equal(engine_start(f.e, 1000), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    engine_free(f->e);
    ledger_close(f->l);
    return 0;
}

static cJSON *call_at(fixture *f, int64_t now, const char *request, char **topic,
                     int expect_rc)
{
    char *reply = NULL, reason[160] = "";
    int rc = commands_handle(f->e, request, strlen(request), now, topic, &reply, reason,
                             sizeof reason);
    assert_int_equal(rc, expect_rc);
    if (!reply)
        return NULL;
    cJSON *o = cJSON_Parse(reply);
    free(reply);
    assert_non_null(o);
    return o;
}

static cJSON *call(fixture *f, const char *request, char **topic, int expect_rc)
{
    return call_at(f, 5000, request, topic, expect_rc);
}

static void post_then_jobs(void **state)
{
    fixture *f = *state;
    char *topic = NULL;
    cJSON *o = call(f, "{\"request_id\":\"r1\",\"command\":\"post\",\"account\":\"acme\","
                       "\"text\":\"hi\"}", &topic, 0);
    assert_string_equal(topic, "ltm/replies/r1");
    free(topic);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "job_id")->valuestring, "post:acme:ondemand:r1");
    cJSON_Delete(o);
    o = call(f, "{\"request_id\":\"r2\",\"command\":\"jobs\",\"account\":\"acme\"}", &topic, 0);
    free(topic);
    cJSON *jobs = cJSON_GetObjectItem(o, "jobs");
    assert_int_equal(cJSON_GetArraySize(jobs), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(jobs, 0), "state")->valuestring,
                        "waiting");
    cJSON_Delete(o);
}

static void refusals_have_codes(void **state)
{
    fixture *f = *state;
    char *topic = NULL;
    cJSON *o = call(f, "{\"request_id\":\"r3\",\"command\":\"pause\",\"account\":\"ghost\"}",
                    &topic, 0);
    free(topic);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "not_found");
    cJSON_Delete(o);
    /* Unknown command: answered and dead-lettered. */
    o = call(f, "{\"request_id\":\"r4\",\"command\":\"explode\"}", &topic, LTM_EINVAL);
    free(topic);
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "invalid");
    assert_non_null(strstr(cJSON_GetObjectItem(o, "error")->valuestring, "unknown \"explode\""));
    cJSON_Delete(o);
    /* Malformed field: answered and dead-lettered. */
    o = call(f, "{\"request_id\":\"r5\",\"command\":\"post\",\"at\":\"tomorrow\"}", &topic,
             LTM_EINVAL);
    free(topic);
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "invalid");
    cJSON_Delete(o);
    /* No usable request id: nobody to answer. */
    topic = NULL;
    assert_null(call(f, "{\"request_id\":\"../x\",\"command\":\"jobs\"}", &topic, LTM_EINVAL));
    assert_null(topic);
    assert_null(call(f, "not json", &topic, LTM_EINVAL));
    assert_null(topic);
}

#define DAY (86400LL * 1000)

static void add_post(fixture *f, const char *id, const char *account, int64_t published_ms,
                     const char *theme, int64_t reactions, int64_t impressions)
{
    ledger_post p = {.kind = LTM_JOB_POST, .slot_ms = published_ms, .published_ms = published_ms,
                     .weekday = 0, .local_minute = 540};
    snprintf(p.job_id, sizeof p.job_id, "%s", id);
    snprintf(p.account, sizeof p.account, "%s", account);
    snprintf(p.theme, sizeof p.theme, "%s", theme);
    snprintf(p.channel, sizeof p.channel, "sandbox");
    snprintf(p.remote_id, sizeof p.remote_id, "sandbox:%s", id);
    assert_int_equal(ledger_post_insert(f->l, &p), 1);
    if (reactions < 0)
        return;
    ltm_figures fig;
    ltm_figures_unset(&fig);
    fig.impressions = impressions;
    fig.reactions = reactions / 2;
    assert_int_equal(ledger_reading_insert(f->l, id, 3600000, published_ms + 3600000, &fig), 0);
    fig.reactions = reactions;
    assert_int_equal(ledger_reading_insert(f->l, id, DAY, published_ms + DAY, &fig), 0);
}

static const char *error_of(fixture *f, const char *request)
{
    static char text[300];
    char *topic = NULL;
    cJSON *o = call(f, request, &topic, LTM_EINVAL);
    free(topic);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "invalid");
    snprintf(text, sizeof text, "%s", cJSON_GetObjectItem(o, "error")->valuestring);
    cJSON_Delete(o);
    return text;
}

static void traffic_refuses_bad_fields(void **state)
{
    fixture *f = *state;
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"days\":0}"),
                        "field days: expected an integer from 1 to 365");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"days\":366}"),
                        "field days: expected an integer from 1 to 365");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"days\":1.5}"),
                        "field days: expected an integer from 1 to 365");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"limit\":1001}"),
                        "field limit: expected an integer from 1 to 1000");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"limit\":0}"),
                        "field limit: expected an integer from 1 to 1000");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"posts\":1}"),
                        "field posts: expected true or false");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"kind\":\"report\"}"),
                        "field kind: expected post or story");
    assert_non_null(strstr(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"account\":7}"),
                           "field account"));
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"age_ms\":999}"),
                        "field age_ms: expected an integer from 1000 to 31622400000");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\","
                                    "\"age_ms\":31622400001}"),
                        "field age_ms: expected an integer from 1000 to 31622400000");
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"traffic\",\"age_ms\":\"1h\"}"),
                        "field age_ms: expected an integer from 1000 to 31622400000");
    /* The jobs command keeps its own cap. */
    assert_string_equal(error_of(f, "{\"request_id\":\"t\",\"command\":\"jobs\",\"limit\":501}"),
                        "field limit: expected an integer from 1 to 500");
}

static void traffic_reply_shape(void **state)
{
    fixture *f = *state;
    const int64_t now = 40 * DAY;
    add_post(f, "p1", "acme", 39 * DAY, "hiring", 10, 100);
    add_post(f, "p2", "acme", 38 * DAY, "", 30, -1);
    add_post(f, "p3", "acme", 37 * DAY, "", -1, -1); /* not read yet */
    add_post(f, "p4", "beta", 36 * DAY, "", 4, 40);
    add_post(f, "old", "acme", 5 * DAY, "", 1000, 1000); /* before the 30 days */
    char *topic = NULL;
    cJSON *o = call_at(f, now, "{\"request_id\":\"t1\",\"command\":\"traffic\",\"posts\":true}",
                       &topic, 0);
    assert_string_equal(topic, "ltm/replies/t1");
    free(topic);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "since")->valuestring, "1970-01-11T00:00:00.000Z");
    assert_int_equal(cJSON_GetObjectItem(o, "days")->valueint, 30);
    assert_int_equal(cJSON_GetObjectItem(o, "posts_total")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItem(o, "unread")->valueint, 1);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "truncated")));
    cJSON *totals = cJSON_GetObjectItem(o, "rows_total");
    assert_int_equal(cJSON_GetObjectItem(totals, "accounts")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(totals, "slots")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(totals, "themes")->valueint, 2);
    cJSON *accounts = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rankings"), "accounts");
    assert_int_equal(cJSON_GetArraySize(accounts), 2);
    cJSON *acme = cJSON_GetArrayItem(accounts, 0);
    assert_string_equal(cJSON_GetObjectItem(acme, "key")->valuestring, "acme");
    /* Latest readings (24 h): 10 and 30; p3 unread. */
    assert_true(cJSON_GetObjectItem(acme, "median_engagement")->valuedouble == 20.0);
    assert_true(cJSON_GetObjectItem(acme, "median_impressions")->valuedouble == 100.0);
    assert_int_equal(cJSON_GetObjectItem(acme, "unread")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(acme, "best_post")->valuestring, "p2");
    cJSON *slots = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rankings"), "slots");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(slots, 0), "key")->valuestring,
                        "acme post Mon 09:00");
    cJSON *themes = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rankings"), "themes");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(themes, 0), "key")->valuestring,
                        "(none)"); /* 30 and 4: 17 > 10 */
    cJSON *posts = cJSON_GetObjectItem(o, "posts");
    assert_int_equal(cJSON_GetArraySize(posts), 4);
    cJSON *p1 = cJSON_GetArrayItem(posts, 0); /* newest first */
    assert_string_equal(cJSON_GetObjectItem(p1, "job_id")->valuestring, "p1");
    cJSON *readings = cJSON_GetObjectItem(p1, "readings");
    assert_int_equal(cJSON_GetArraySize(readings), 2);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(readings, 0), "age_ms")->valueint,
                     3600000);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(readings, 1), "engagement")->valueint,
                     10);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(posts, 2),
                                                            "readings")), 0);
    cJSON_Delete(o);

    /* Without posts:true no list; days, account, kind and limit filter. */
    o = call_at(f, now, "{\"request_id\":\"t2\",\"command\":\"traffic\",\"days\":3,"
                        "\"account\":\"acme\"}", &topic, 0);
    free(topic);
    assert_null(cJSON_GetObjectItem(o, "posts"));
    assert_int_equal(cJSON_GetObjectItem(o, "posts_total")->valueint, 3);
    assert_string_equal(cJSON_GetObjectItem(o, "account")->valuestring, "acme");
    cJSON_Delete(o);
    o = call_at(f, now, "{\"request_id\":\"t3\",\"command\":\"traffic\",\"posts\":true,"
                        "\"limit\":1,\"kind\":\"story\"}", &topic, 0);
    free(topic);
    assert_int_equal(cJSON_GetObjectItem(o, "posts_total")->valueint, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "posts")), 0);
    cJSON_Delete(o);
    o = call_at(f, now, "{\"request_id\":\"t4\",\"command\":\"traffic\",\"posts\":true,"
                        "\"limit\":1}", &topic, 0);
    free(topic);
    posts = cJSON_GetObjectItem(o, "posts");
    assert_int_equal(cJSON_GetArraySize(posts), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(posts, 0), "job_id")->valuestring,
                        "p1");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "truncated")));
    cJSON_Delete(o);
}

static void add_reading(fixture *f, const char *id, int64_t age_ms, int64_t reactions)
{
    ltm_figures fig;
    ltm_figures_unset(&fig);
    fig.reactions = reactions;
    assert_int_equal(ledger_reading_insert(f->l, id, age_ms, age_ms + 1, &fig), 0);
}

static const cJSON *row_of(const cJSON *reply, const char *ranking, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "rankings"), ranking),
                              i);
}

static double field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* Posts are compared at one age: a post read only at 1 h so far is unread
 * at 24 h, not compared with another's 7 d figures. */
static void traffic_compares_posts_at_one_age(void **state)
{
    fixture *f = *state;
    const int64_t H = 3600000, now = 40 * DAY;
    add_post(f, "old", "acme", 30 * DAY, "", -1, -1);
    add_reading(f, "old", H, 5);
    add_reading(f, "old", DAY, 10);
    add_reading(f, "old", 7 * DAY, 1000);
    add_post(f, "new", "acme", now - 2 * H, "", -1, -1);
    add_reading(f, "new", H, 50);
    ledger_post story = {.kind = LTM_JOB_STORY, .slot_ms = 35 * DAY, .published_ms = 35 * DAY,
                         .local_minute = 600};
    snprintf(story.job_id, sizeof story.job_id, "story:beta:1");
    snprintf(story.account, sizeof story.account, "beta");
    snprintf(story.channel, sizeof story.channel, "sandbox");
    assert_int_equal(ledger_post_insert(f->l, &story), 1);
    add_reading(f, "story:beta:1", H, 1);
    add_reading(f, "story:beta:1", 23 * H, 70);
    char *topic = NULL;
    cJSON *o = call_at(f, now, "{\"request_id\":\"a\",\"command\":\"traffic\"}", &topic, 0);
    free(topic);
    /* Default: the configured age closest to 24 h, per kind. */
    const cJSON *ages = cJSON_GetObjectItem(o, "ages");
    assert_true(field(ages, "post") == (double)DAY);
    assert_true(field(ages, "story") == (double)(23 * H));
    assert_true(field(o, "posts_total") == 3);
    assert_true(field(o, "unread") == 1);
    const cJSON *beta = row_of(o, "accounts", 0), *acme = row_of(o, "accounts", 1);
    assert_string_equal(cJSON_GetObjectItem(acme, "key")->valuestring, "acme");
    assert_true(field(acme, "posts") == 1);
    assert_true(field(acme, "unread") == 1);
    assert_true(field(acme, "median_engagement") == 10); /* not 7 d's 1000, not 1 h's 50 */
    assert_string_equal(cJSON_GetObjectItem(acme, "best_post")->valuestring, "old");
    assert_string_equal(cJSON_GetObjectItem(beta, "key")->valuestring, "beta");
    assert_true(field(beta, "median_engagement") == 70); /* ranked on latest: acme 525 first */
    /* --posts still lists every reading. */
    cJSON_Delete(o);
    o = call_at(f, now, "{\"request_id\":\"b\",\"command\":\"traffic\",\"posts\":true}", &topic,
                0);
    free(topic);
    const cJSON *old = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "posts"), 2);
    assert_string_equal(cJSON_GetObjectItem(old, "job_id")->valuestring, "old");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(old, "readings")), 3);
    cJSON_Delete(o);
    /* age_ms overrides both kinds. */
    o = call_at(f, now, "{\"request_id\":\"c\",\"command\":\"traffic\",\"age_ms\":3600000}",
                &topic, 0);
    free(topic);
    ages = cJSON_GetObjectItem(o, "ages");
    assert_true(field(ages, "post") == (double)H);
    assert_true(field(ages, "story") == (double)H);
    assert_true(field(o, "unread") == 0);
    acme = row_of(o, "accounts", 0);
    assert_string_equal(cJSON_GetObjectItem(acme, "key")->valuestring, "acme");
    assert_true(field(acme, "posts") == 2);
    assert_true(field(acme, "median_engagement") == 27.5);
    assert_string_equal(cJSON_GetObjectItem(acme, "best_post")->valuestring, "new");
    cJSON_Delete(o);
}

/* A kind whose checks are off has no reference age: null, all unread. */
static void traffic_without_ages_has_no_reference(void **state)
{
    (void)state;
    char err[300];
    const char *json = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":{\"posts\":[\"09:00\"]}}]}";
    sched_accounts a;
    fixture f;
    assert_int_equal(sched_accounts_parse(json, strlen(json), &a, err, sizeof err), 0);
    assert_int_equal(ledger_open(":memory:", &f.l, err, sizeof err), 0);
    engine_settings s = {.max_attempts = 3, .post_base_ms = 1, .story_base_ms = 1,
                         .report_base_ms = 1, .lease_ms = 1000, .rate_limit_ms = 1,
                         .report_minute = -1};
    assert_int_equal(engagement_ages_parse("3s,8s", 0, &s.post_ages, err, sizeof err), 0);
    assert_int_equal(engine_new(&s, &a, f.l, drop, NULL, "me", &f.e), 0);
    add_post(&f, "p", "acme", DAY, "", 10, 1); /* read at 1 h and 24 h: neither is 8 s */
    char *topic = NULL;
    cJSON *o = call_at(&f, 2 * DAY, "{\"request_id\":\"n\",\"command\":\"traffic\"}", &topic, 0);
    free(topic);
    const cJSON *ages = cJSON_GetObjectItem(o, "ages");
    assert_true(field(ages, "post") == 8000); /* 3s,8s: 8 s is the closer to 24 h */
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(ages, "story")));
    assert_true(field(o, "unread") == 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(row_of(o, "accounts", 0), "median_engagement")));
    cJSON_Delete(o);
    engine_free(f.e);
    ledger_close(f.l);
}

/* 1000 posts with long themes and remote ids: far over 256 KiB in full. */
static void traffic_reply_fits_one_message(void **state)
{
    fixture *f = *state;
    char theme[257], id[64];
    ledger_begin(f->l);
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "post:acme:%04d", i);
        memset(theme, 'a' + i % 26, 250);
        snprintf(theme + 250, 7, "%06d", i);
        add_post(f, id, "acme", DAY + i * 60000LL, theme, i, 10 * i);
    }
    ledger_commit(f->l);
    const char *request = "{\"request_id\":\"big\",\"command\":\"traffic\",\"posts\":true,"
                          "\"limit\":1000}";
    char *topic = NULL, *reply = NULL, reason[160];
    assert_int_equal(commands_handle(f->e, request, strlen(request), 10 * DAY, &topic, &reply,
                                     reason, sizeof reason), 0);
    free(topic);
    assert_non_null(reply);
    assert_true(strlen(reply) <= 240000);
    cJSON *o = cJSON_Parse(reply);
    free(reply);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "truncated")));
    assert_int_equal(cJSON_GetObjectItem(o, "posts_total")->valueint, 1000);
    /* Every post went before a ranking row did; the top rows stayed. */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "posts")), 0);
    cJSON *themes = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rankings"), "themes");
    assert_true(cJSON_GetArraySize(themes) > 100 && cJSON_GetArraySize(themes) < 1000);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rows_total"), "themes")->valueint,
                     1000);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(themes, 0), "median_engagement")
                         ->valueint, 999);
    cJSON *accounts = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rankings"), "accounts");
    assert_int_equal(cJSON_GetArraySize(accounts), 1);
    cJSON_Delete(o);
    /* The last 100 posts: the list fits, newest first. */
    request = "{\"request_id\":\"big2\",\"command\":\"traffic\",\"posts\":true,"
              "\"limit\":50,\"days\":1}";
    assert_int_equal(commands_handle(f->e, request, strlen(request), 2 * DAY + 900 * 60000LL,
                                     &topic, &reply, reason, sizeof reason), 0);
    free(topic);
    o = cJSON_Parse(reply);
    assert_true(strlen(reply) <= 240000);
    free(reply);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "truncated")));
    assert_int_equal(cJSON_GetObjectItem(o, "posts_total")->valueint, 100);
    cJSON *posts = cJSON_GetObjectItem(o, "posts");
    assert_int_equal(cJSON_GetArraySize(posts), 50);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(posts, 0), "job_id")->valuestring,
                        "post:acme:0999");
    cJSON_Delete(o);
}

/* More groups than a reply holds rows: the top 1000 and the total. */
static void traffic_rankings_keep_their_top_rows(void **state)
{
    fixture *f = *state;
    char theme[16], id[32];
    ledger_begin(f->l);
    for (int i = 0; i < 1200; i++) {
        snprintf(id, sizeof id, "p%04d", i);
        snprintf(theme, sizeof theme, "t%04d", i);
        add_post(f, id, "acme", DAY + i, theme, i, 1);
    }
    ledger_commit(f->l);
    char *topic = NULL;
    cJSON *o = call_at(f, 2 * DAY, "{\"request_id\":\"rows\",\"command\":\"traffic\"}",
                       &topic, 0);
    free(topic);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "truncated")));
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rows_total"), "themes")->valueint,
                     1200);
    cJSON *themes = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rankings"), "themes");
    assert_int_equal(cJSON_GetArraySize(themes), 1000);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(themes, 0), "key")->valuestring,
                        "t1199");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(themes, 999), "key")->valuestring,
                        "t0200");
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(post_then_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_have_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(traffic_refuses_bad_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(traffic_reply_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(traffic_compares_posts_at_one_age, setup, teardown),
        cmocka_unit_test(traffic_without_ages_has_no_reference),
        cmocka_unit_test_setup_teardown(traffic_reply_fits_one_message, setup, teardown),
        cmocka_unit_test_setup_teardown(traffic_rankings_keep_their_top_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
