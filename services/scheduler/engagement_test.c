/* The settings of engagement checks and the budget arithmetic, pure. */
#include "engagement.h"

#include "ltm/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define S 1000LL
#define H (3600 * S)
#define D (24 * H)

static void ages_default_and_off(void **state)
{
    (void)state;
    engagement_ages a;
    char err[200] = "";
    assert_int_equal(engagement_ages_parse("7d, 1h ,24h", 0, &a, err, sizeof err), LTM_OK);
    assert_int_equal(a.count, 3);
    assert_int_equal(a.items[0].ms, H);
    assert_string_equal(a.items[0].label, "1h");
    assert_int_equal(a.items[1].ms, D);
    assert_string_equal(a.items[1].label, "24h");
    assert_int_equal(a.items[2].ms, 7 * D);
    assert_string_equal(a.items[2].label, "7d");
    assert_int_equal(engagement_ages_parse("2s,4s", 0, &a, err, sizeof err), LTM_OK);
    assert_int_equal(a.count, 2);
    assert_int_equal(a.items[1].ms, 4 * S);
    assert_string_equal(a.items[1].label, "4s");
    assert_int_equal(engagement_ages_parse("off", 0, &a, err, sizeof err), LTM_OK);
    assert_int_equal(a.count, 0);
    assert_int_equal(engagement_ages_parse("1h,23h", D, &a, err, sizeof err), LTM_OK);
    assert_int_equal(a.count, 2);
}

static void ages_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", ",", "1h,", ",1h", "1h,,2h", "soon", "1x", "-1h", "0s", "500ms", "366d",
        "1h,60m" /* the same age twice */, "1h 2h", "1h;2h", "1h,2h,3h,4h,5h,6h,7h,8h,9h",
        "12345678901234567s", "1h@x", "1e3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        engagement_ages a;
        char err[200] = "";
        assert_int_equal(engagement_ages_parse(bad[i], 0, &a, err, sizeof err), LTM_EINVAL);
        assert_true(strlen(err) > 0);
    }
    engagement_ages a;
    char err[200];
    /* Story insights live 24 h: an age of 24 h or more reads nothing. */
    assert_int_equal(engagement_ages_parse("1h,24h", D, &a, err, sizeof err), LTM_EINVAL);
    assert_non_null(strstr(err, "24 h"));
    assert_non_null(strstr(err, "24h"));
    assert_int_equal(engagement_ages_parse("1d", D, &a, err, sizeof err), LTM_EINVAL);
    assert_int_equal(engagement_ages_parse("1h,1h", 0, &a, err, sizeof err), LTM_EINVAL);
    assert_non_null(strstr(err, "distinct"));
}

static void budget_default_and_off(void **state)
{
    (void)state;
    engagement_budget b;
    char err[200] = "";
    assert_int_equal(engagement_budget_parse("linkedin=500/1d,instagram=150/1h,rapidapi=100/1d",
                                             &b, err, sizeof err),
                     LTM_OK);
    assert_int_equal(b.count, 3);
    const engagement_limit *l = engagement_budget_find(&b, "linkedin");
    assert_non_null(l);
    assert_int_equal(l->calls, 500);
    assert_int_equal(l->window_ms, D);
    l = engagement_budget_find(&b, "instagram");
    assert_int_equal(l->calls, 150);
    assert_int_equal(l->window_ms, H);
    assert_null(engagement_budget_find(&b, "sandbox"));
    assert_null(engagement_budget_find(&b, "webhook"));
    assert_int_equal(engagement_budget_parse(" sandbox=2/10s ", &b, err, sizeof err), LTM_OK);
    assert_int_equal(b.count, 1);
    assert_int_equal(engagement_budget_find(&b, "sandbox")->window_ms, 10 * S);
    assert_int_equal(engagement_budget_parse("off", &b, err, sizeof err), LTM_OK);
    assert_int_equal(b.count, 0);
}

static void budget_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "linkedin", "linkedin=500", "linkedin=/1d", "linkedin=500/", "linkedin=x/1d",
        "linkedin=0/1d", "linkedin=-5/1d", "linkedin=500/0s", "linkedin=500/40d",
        "linkedin=500/1d,", "facebook=10/1h", "webhook=10/1h", "linkedin=500/1d,linkedin=5/1h",
        "=500/1d", "linkedin=500/1d instagram=1/1h",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        engagement_budget b;
        char err[200] = "";
        assert_int_equal(engagement_budget_parse(bad[i], &b, err, sizeof err), LTM_EINVAL);
        assert_true(strlen(err) > 0);
    }
    /* A LinkedIn check makes 5 calls: a budget of 4 would never let one go. */
    engagement_budget b;
    char err[200];
    assert_int_equal(engagement_budget_parse("linkedin=4/1d", &b, err, sizeof err), LTM_EINVAL);
    assert_non_null(strstr(err, "5 calls"));
    assert_int_equal(engagement_budget_parse("linkedin=5/1d", &b, err, sizeof err), LTM_OK);
}

static void costs(void **state)
{
    (void)state;
    assert_int_equal(engagement_check_cost("linkedin"), 5);
    assert_int_equal(engagement_check_cost("instagram"), 3);
    assert_int_equal(engagement_check_cost("rapidapi"), 1);
    assert_int_equal(engagement_check_cost("sandbox"), 1);
    assert_true(engagement_channel_readable("linkedin"));
    assert_true(engagement_channel_readable("sandbox"));
    assert_false(engagement_channel_readable("webhook"));
    assert_false(engagement_channel_readable(""));
    assert_false(engagement_channel_readable("fake"));
    assert_false(engagement_channel_readable(NULL));
}

static void budget_room(void **state)
{
    (void)state;
    engagement_limit l = {"linkedin", 15, D}; /* three checks of 5 calls a day */
    int64_t now = 10 * D;
    assert_int_equal(engagement_budget_next(NULL, 5, NULL, 0, now), now);
    assert_int_equal(engagement_budget_next(&l, 5, NULL, 0, now), now);
    int64_t two[] = {now - 5 * H, now - H};
    assert_int_equal(engagement_budget_next(&l, 5, two, 2, now), now);
    int64_t three[] = {now - 5 * H, now - 2 * H, now - H};
    /* Full: room once the oldest leaves the window. */
    assert_int_equal(engagement_budget_next(&l, 5, three, 3, now), now - 5 * H + D);
    /* An attempt exactly one window old has left it. */
    int64_t aged[] = {now - D, now - 2 * H, now - H};
    assert_int_equal(engagement_budget_next(&l, 5, aged, 3, now), now);
    /* Over the limit (rate-limited retries also called): as many leave as needed. */
    int64_t five[] = {now - 9 * H, now - 8 * H, now - 3 * H, now - 2 * H, now - H};
    assert_int_equal(engagement_budget_next(&l, 5, five, 5, now), now - 3 * H + D);
    engagement_limit ig = {"instagram", 3, H};
    int64_t calls[] = {now - 50 * 60 * S, now - 10 * 60 * S, now - 60 * S};
    assert_int_equal(engagement_budget_next(&ig, 1, calls, 3, now), now + 10 * 60 * S);
}

static void slot_local(void **state)
{
    (void)state;
    char out[16];
    engagement_slot_local(0, 9 * 60, out);
    assert_string_equal(out, "Mon 09:00");
    engagement_slot_local(6, 23 * 60 + 59, out);
    assert_string_equal(out, "Sun 23:59");
    engagement_slot_local(7, 0, out);
    assert_string_equal(out, "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ages_default_and_off),
        cmocka_unit_test(ages_refused),
        cmocka_unit_test(budget_default_and_off),
        cmocka_unit_test(budget_refused),
        cmocka_unit_test(costs),
        cmocka_unit_test(budget_room),
        cmocka_unit_test(slot_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
