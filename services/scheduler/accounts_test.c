#include "accounts.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LTM_FIXTURES_DIR, name);
    char *text = NULL;
    assert_int_equal(ltm_read_file(path, 1 << 20, &text, len), LTM_OK);
    return text;
}

static void parses_the_documented_example(void **state)
{
    (void)state;
    size_t len;
    char *text = fixture("accounts.json", &len);
    sched_accounts a;
    char err[300] = "";
    assert_int_equal(sched_accounts_parse(text, len, &a, err, sizeof err), LTM_OK);
    assert_int_equal(a.count, 3);
    sched_account *acme = sched_accounts_find(&a, "acme");
    assert_non_null(acme);
    assert_string_equal(sched_tz_name(acme->tz), "Europe/Berlin");
    assert_int_equal(acme->weekdays, 0x3e);
    assert_int_equal(acme->post_count, 3);
    assert_int_equal(acme->post_minutes[0], 9 * 60); /* sorted */
    assert_int_equal(acme->post_minutes[2], 19 * 60);
    assert_int_equal(acme->story_count, 3);
    assert_int_equal(acme->max_posts_per_day, 3);
    assert_int_equal(acme->min_minutes_between_posts, 60);
    sched_account *beta = sched_accounts_find(&a, "beta.co");
    assert_non_null(beta);
    assert_int_equal(beta->weekdays, SCHED_ALL_DAYS);
    assert_int_equal(beta->story_count, 0);
    sched_account *quiet = sched_accounts_find(&a, "quiet");
    assert_non_null(quiet);
    assert_true(quiet->paused);
    assert_string_equal(sched_tz_name(quiet->tz), "UTC");
    assert_null(sched_accounts_find(&a, "nobody"));
    assert_int_equal(a.zone_count, 3);
    sched_accounts_clear(&a);
    free(text);
}

static void errors_name_the_account_and_the_field(void **state)
{
    (void)state;
    size_t len;
    char *text = fixture("bad_cases.txt", &len);
    int cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        sched_accounts a;
        char err[300] = "";
        int rc = sched_accounts_parse(line, strlen(line), &a, err, sizeof err);
        if (rc != LTM_EINVAL || strcmp(err, tab + 1) != 0)
            fail_msg("input %s\n  got rc=%d \"%s\"\n  want \"%s\"", line, rc, err, tab + 1);
        sched_accounts_clear(&a);
        cases++;
    }
    assert_true(cases >= 14);
    free(text);
}

static void hhmm(void **state)
{
    (void)state;
    assert_int_equal(ltm_time_parse_hhmm("00:00"), 0);
    assert_int_equal(ltm_time_parse_hhmm("23:59"), 1439);
    assert_int_equal(ltm_time_parse_hhmm("9:00"), -1);
    assert_int_equal(ltm_time_parse_hhmm("12:60"), -1);
    assert_int_equal(ltm_time_parse_hhmm("12:5a"), -1);
    assert_int_equal(ltm_time_parse_hhmm("12:00 "), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_the_documented_example),
        cmocka_unit_test(errors_name_the_account_and_the_field),
        cmocka_unit_test(hhmm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
