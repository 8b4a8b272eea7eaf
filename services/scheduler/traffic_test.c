#include "traffic.h"

#include "ltm/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* A post of the fixture: engagement -1 = no reading yet; the engagement is
 * spread over reactions and comments so the sum is what is checked. */
typedef struct {
    const char *id, *account, *theme, *state;
    ltm_job_kind kind;
    int weekday, minute;
    int64_t published_ms;
    int64_t engagement, impressions; /* impressions -1: not offered */
} fixture_post;

#define READ(id, acc, theme, wd, min, pub, eng, imp)                                         \
    {id, acc, theme, "live", LTM_JOB_POST, wd, min, pub, eng, imp}

static void add_all(traffic *t, const fixture_post *posts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const fixture_post *f = &posts[i];
        ledger_post p = {.kind = f->kind, .weekday = f->weekday, .local_minute = f->minute,
                         .published_ms = f->published_ms, .slot_ms = f->published_ms};
        snprintf(p.job_id, sizeof p.job_id, "%s", f->id);
        snprintf(p.account, sizeof p.account, "%s", f->account);
        snprintf(p.theme, sizeof p.theme, "%s", f->theme);
        snprintf(p.state, sizeof p.state, "%s", f->state);
        ledger_reading r = {.age_ms = 3600000, .read_ms = f->published_ms + 3600000};
        ltm_figures_unset(&r.figures);
        r.figures.reactions = f->engagement - f->engagement / 3;
        r.figures.comments = f->engagement / 3;
        r.figures.impressions = f->impressions;
        assert_int_equal(traffic_add(t, &p, f->engagement < 0 ? NULL : &r), LTM_OK);
    }
}

static traffic_row *rank(const fixture_post *posts, size_t n, traffic_grouping by, int *count)
{
    traffic *t = traffic_new();
    assert_non_null(t);
    add_all(t, posts, n);
    traffic_row *rows;
    assert_int_equal(traffic_rank(t, by, &rows, count), LTM_OK);
    traffic_free(t);
    return rows;
}

static void medians_odd_and_even(void **state)
{
    (void)state;
    const fixture_post posts[] = {
        READ("a1", "acme", "", 0, 540, 1000, 10, 100),
        READ("a2", "acme", "", 0, 540, 2000, 30, -1),
        READ("a3", "acme", "", 0, 540, 3000, 20, 300),
        READ("b1", "beta", "", 0, 540, 1000, 1, 10),
        READ("b2", "beta", "", 0, 540, 2000, 10, 20),
        READ("b3", "beta", "", 0, 540, 3000, 3, 30),
        READ("b4", "beta", "", 0, 540, 4000, 2, 45),
    };
    int n;
    traffic_row *rows = rank(posts, 7, TRAFFIC_BY_ACCOUNT, &n);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].key, "acme");
    assert_int_equal(rows[0].posts, 3);
    assert_true(rows[0].median_engagement == 20.0);      /* 10 20 30 */
    assert_int_equal(rows[0].impressions_posts, 2);       /* a2 offers none */
    assert_true(rows[0].median_impressions == 200.0);    /* 100 300 */
    assert_int_equal(rows[0].total_engagement, 60);
    assert_string_equal(rows[0].best_post, "a2");
    assert_string_equal(rows[1].key, "beta");
    assert_true(rows[1].median_engagement == 2.5);       /* 1 2 | 3 10 */
    assert_true(rows[1].median_impressions == 25.0);     /* 10 20 | 30 45 */
    assert_int_equal(rows[1].total_engagement, 16);
    free(rows);
}

static void ties_by_posts_then_key(void **state)
{
    (void)state;
    const fixture_post posts[] = {
        READ("z1", "zed", "", 0, 0, 1000, 5, 1),  READ("z2", "zed", "", 0, 0, 2000, 5, 1),
        READ("d1", "abd", "", 0, 0, 1000, 5, 1),  READ("c1", "abc", "", 0, 0, 1000, 5, 1),
        READ("t1", "top", "", 0, 0, 1000, 6, 1),
    };
    int n;
    traffic_row *rows = rank(posts, 5, TRAFFIC_BY_ACCOUNT, &n);
    assert_int_equal(n, 4);
    assert_string_equal(rows[0].key, "top");
    assert_string_equal(rows[1].key, "zed"); /* same median, more posts */
    assert_string_equal(rows[2].key, "abc"); /* same median and posts: key */
    assert_string_equal(rows[3].key, "abd");
    /* Best post among equals: the newest. */
    assert_string_equal(rows[1].best_post, "z2");
    free(rows);
}

static void unread_posts_are_not_zeros(void **state)
{
    (void)state;
    const fixture_post posts[] = {
        READ("a1", "acme", "", 0, 0, 1000, 10, 100),
        READ("a2", "acme", "", 0, 0, 2000, -1, -1),
        READ("n1", "new", "", 0, 0, 2000, -1, -1),
        READ("n2", "new", "", 0, 0, 3000, -1, -1),
        READ("l1", "low", "", 0, 0, 1000, 0, 0),
    };
    traffic *t = traffic_new();
    add_all(t, posts, 5);
    assert_int_equal(traffic_posts(t), 5);
    assert_int_equal(traffic_unread(t), 3);
    traffic_row *rows;
    int n;
    assert_int_equal(traffic_rank(t, TRAFFIC_BY_ACCOUNT, &rows, &n), LTM_OK);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].key, "acme");
    assert_true(rows[0].median_engagement == 10.0); /* not (0 + 10) / 2 */
    assert_int_equal(rows[0].posts, 1);
    assert_int_equal(rows[0].unread, 1);
    assert_string_equal(rows[1].key, "low");      /* a real 0 ranks above no reading */
    assert_string_equal(rows[2].key, "new");
    assert_int_equal(rows[2].posts, 0);
    assert_int_equal(rows[2].unread, 2);
    assert_string_equal(rows[2].best_post, "");
    free(rows);
    /* In JSON: null, not 0. */
    int totals[3];
    cJSON *j = traffic_rankings_json(t, 1000, totals);
    assert_int_equal(totals[0], 3);
    cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "accounts"), 2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(row, "median_engagement")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(row, "median_impressions")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(row, "best_post")));
    assert_int_equal(cJSON_GetObjectItem(row, "unread")->valueint, 2);
    cJSON_Delete(j);
    traffic_free(t);
}

static void gone_posts_keep_their_reading(void **state)
{
    (void)state;
    fixture_post posts[] = {
        READ("g1", "acme", "", 0, 0, 1000, 40, 400),
        READ("g2", "acme", "", 0, 0, 2000, -1, -1),
        READ("l1", "acme", "", 0, 0, 3000, 2, 20),
    };
    posts[0].state = posts[1].state = "gone";
    traffic *t = traffic_new();
    add_all(t, posts, 3);
    traffic_row *rows;
    int n;
    assert_int_equal(traffic_rank(t, TRAFFIC_BY_ACCOUNT, &rows, &n), LTM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].posts, 2);
    assert_int_equal(rows[0].unread, 1);         /* gone before the reference age */
    assert_true(rows[0].median_engagement == 21.0);
    assert_string_equal(rows[0].best_post, "g1");
    free(rows);
    traffic_free(t);
}

static void themes_and_none(void **state)
{
    (void)state;
    const fixture_post posts[] = {
        READ("a1", "acme", "", 0, 0, 1000, 3, 1),
        READ("b1", "beta", "", 0, 0, 1000, 5, 1),
        READ("a2", "acme", "AI at work", 0, 0, 1000, 8, 1),
        READ("b2", "beta", "AI at work", 0, 0, 1000, 2, 1),
        READ("a3", "acme", "hiring", 0, 0, 1000, 1, 1),
    };
    int n;
    traffic_row *rows = rank(posts, 5, TRAFFIC_BY_THEME, &n);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].key, "AI at work"); /* median 5, 2 posts */
    assert_string_equal(rows[0].theme, "AI at work");
    assert_string_equal(rows[1].key, "(none)");     /* median 4, 2 posts */
    assert_string_equal(rows[1].theme, "");
    assert_true(rows[1].median_engagement == 4.0);
    assert_string_equal(rows[2].key, "hiring");
    free(rows);
}

static void slots_per_account_and_kind(void **state)
{
    (void)state;
    fixture_post posts[] = {
        READ("a1", "acme", "", 0, 540, 1000, 10, 1),
        READ("a2", "acme", "", 0, 540, 2000, 20, 1),
        READ("b1", "beta", "", 0, 540, 1000, 100, 1),   /* beta's Mon 09:00: its own row */
        READ("a3", "acme", "", 4, 1095, 1000, 12, 1),
        READ("s1", "acme", "", 0, 540, 1000, 1, 1),     /* a story at the same time */
    };
    posts[4].kind = LTM_JOB_STORY;
    int n;
    traffic_row *rows = rank(posts, 5, TRAFFIC_BY_SLOT, &n);
    assert_int_equal(n, 4);
    assert_string_equal(rows[0].key, "beta post Mon 09:00");
    assert_string_equal(rows[1].key, "acme post Mon 09:00");
    assert_true(rows[1].median_engagement == 15.0);
    assert_int_equal(rows[1].posts, 2);
    assert_string_equal(rows[1].weekday, "Mon");
    assert_string_equal(rows[1].time, "09:00");
    assert_string_equal(rows[1].account, "acme");
    assert_string_equal(rows[2].key, "acme post Fri 18:15");
    assert_string_equal(rows[3].key, "acme story Mon 09:00");
    assert_int_equal(rows[3].kind, LTM_JOB_STORY);
    free(rows);
    /* With a kind filter only that kind counts. */
    traffic *t = traffic_new();
    traffic_set_kind(t, LTM_JOB_STORY);
    add_all(t, posts, 5);
    assert_int_equal(traffic_posts(t), 1);
    traffic_free(t);
}

static void empty_and_json_shape(void **state)
{
    (void)state;
    traffic *t = traffic_new();
    traffic_row *rows;
    int n;
    assert_int_equal(traffic_rank(t, TRAFFIC_BY_SLOT, &rows, &n), LTM_OK);
    assert_int_equal(n, 0);
    assert_null(rows);
    const fixture_post posts[] = {READ("a1", "acme", "", 2, 61, 1000, 7, -1),
                                  READ("b1", "beta", "x", 3, 60, 1000, 1, -1)};
    add_all(t, posts, 2);
    /* The top row of each ranking only; the totals say how many there were. */
    int totals[3];
    cJSON *j = traffic_rankings_json(t, 1, totals);
    assert_int_equal(totals[0], 2);
    assert_int_equal(totals[1], 2);
    assert_int_equal(totals[2], 2);
    char *text = cJSON_PrintUnformatted(j);
    assert_string_equal(text,
        "{\"accounts\":[{\"key\":\"acme\",\"account\":\"acme\",\"posts\":1,\"unread\":0,"
        "\"median_engagement\":7,\"median_impressions\":null,\"total_engagement\":7,"
        "\"best_post\":\"a1\"}],"
        "\"slots\":[{\"key\":\"acme post Wed 01:01\",\"account\":\"acme\",\"kind\":\"post\","
        "\"weekday\":\"Wed\",\"time\":\"01:01\",\"posts\":1,\"unread\":0,"
        "\"median_engagement\":7,\"median_impressions\":null,\"total_engagement\":7,"
        "\"best_post\":\"a1\"}],"
        "\"themes\":[{\"key\":\"(none)\",\"theme\":\"\",\"posts\":1,\"unread\":0,"
        "\"median_engagement\":7,\"median_impressions\":null,\"total_engagement\":7,"
        "\"best_post\":\"a1\"}]}");
    free(text);
    cJSON_Delete(j);
    traffic_free(t);
}

static void post_json_with_readings(void **state)
{
    (void)state;
    ledger_post p = {.job_id = "post:acme:1", .account = "acme", .kind = LTM_JOB_POST,
                     .channel = "linkedin", .remote_id = "urn:li:share:1", .slot_ms = 0,
                     .published_ms = 1000, .weekday = 6, .local_minute = 1439,
                     .theme = "hiring", .state = "gone"};
    ledger_reading r[2];
    ltm_figures_unset(&r[0].figures);
    ltm_figures_unset(&r[1].figures);
    r[0].age_ms = 3600000;
    r[0].read_ms = 3601000;
    r[0].figures.impressions = 50;
    r[0].figures.reactions = 4;
    r[1].age_ms = 86400000;
    r[1].read_ms = 86401000;
    r[1].figures.impressions = 90;
    r[1].figures.reactions = 6;
    r[1].figures.comments = 1;
    cJSON *o = traffic_post_json(&p, r, 2);
    char *text = cJSON_PrintUnformatted(o);
    assert_string_equal(text,
        "{\"job_id\":\"post:acme:1\",\"account\":\"acme\",\"kind\":\"post\",\"channel\":"
        "\"linkedin\",\"remote_id\":\"urn:li:share:1\",\"slot\":\"1970-01-01T00:00:00.000Z\","
        "\"published_at\":\"1970-01-01T00:00:01.000Z\",\"weekday\":\"Sun\",\"time\":\"23:59\","
        "\"theme\":\"hiring\",\"state\":\"gone\",\"readings\":["
        "{\"age_ms\":3600000,\"read_at\":\"1970-01-01T01:00:01.000Z\",\"figures\":"
        "{\"impressions\":50,\"reach\":null,\"reactions\":4,\"comments\":null,\"shares\":null,"
        "\"saves\":null},\"engagement\":4},"
        "{\"age_ms\":86400000,\"read_at\":\"1970-01-02T00:00:01.000Z\",\"figures\":"
        "{\"impressions\":90,\"reach\":null,\"reactions\":6,\"comments\":1,\"shares\":null,"
        "\"saves\":null},\"engagement\":7}]}");
    free(text);
    cJSON_Delete(o);
    char hhmm[6];
    traffic_format_minute(1440, hhmm);
    assert_string_equal(hhmm, "??:??");
    assert_string_equal(traffic_weekday_name(7), "?");
}

static int64_t reference(const char *ages, int64_t below_ms)
{
    engagement_ages a;
    char err[200];
    assert_int_equal(engagement_ages_parse(ages, below_ms, &a, err, sizeof err), 0);
    return traffic_reference_age(&a);
}

static void reference_age_is_the_one_closest_to_a_day(void **state)
{
    (void)state;
    const int64_t H = 3600000;
    assert_int_equal(reference("1h,24h,7d", 0), 24 * H);
    assert_int_equal(reference("1h,23h", 24 * H), 23 * H);   /* stories */
    assert_int_equal(reference("3s,8s", 0), 8000);           /* the tests' compressed ages */
    assert_int_equal(reference("12h,36h", 0), 12 * H);       /* a tie: the younger */
    assert_int_equal(reference("2d,7d,30d", 0), 48 * H);
    assert_int_equal(reference("off", 0), 0);                /* no reference at all */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(medians_odd_and_even),
        cmocka_unit_test(ties_by_posts_then_key),
        cmocka_unit_test(unread_posts_are_not_zeros),
        cmocka_unit_test(gone_posts_keep_their_reading),
        cmocka_unit_test(reference_age_is_the_one_closest_to_a_day),
        cmocka_unit_test(themes_and_none),
        cmocka_unit_test(slots_per_account_and_kind),
        cmocka_unit_test(empty_and_json_shape),
        cmocka_unit_test(post_json_with_readings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
