/* Time zones and DST (issue 5 item 2): Europe/Berlin spring and autumn,
 * America/Sao_Paulo (midnight DST changes until 2019, none since). */
#include "accounts.h"
#include "tz.h"

#include "ltm/error.h"
#include "ltm/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static int64_t iso(const char *s)
{
    int64_t ms = 0;
    assert_int_equal(ltm_time_parse_iso(s, &ms), 0);
    return ms;
}

static sched_tz *zone(const char *name)
{
    sched_tz *tz = NULL;
    assert_int_equal(sched_tz_open(name, &tz), LTM_OK);
    return tz;
}

static void berlin_spring_gap_fires_at_first_valid_instant(void **state)
{
    (void)state;
    sched_tz *tz = zone("Europe/Berlin");
    /* 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z. */
    assert_int_equal(sched_tz_resolve(tz, 2026, 3, 29, 2 * 60 + 30), iso("2026-03-29T01:00:00Z"));
    assert_int_equal(sched_tz_resolve(tz, 2026, 3, 29, 2 * 60), iso("2026-03-29T01:00:00Z"));
    assert_int_equal(sched_tz_resolve(tz, 2026, 3, 29, 3 * 60 + 30), iso("2026-03-29T01:30:00Z"));
    assert_int_equal(sched_tz_resolve(tz, 2026, 3, 29, 1 * 60 + 59), iso("2026-03-29T00:59:00Z"));
    /* A daily 02:30 slot fires once on each day around the change. */
    int minute = 2 * 60 + 30;
    int64_t t = sched_next_fire(tz, SCHED_ALL_DAYS, minute, iso("2026-03-28T00:00:00Z"));
    assert_int_equal(t, iso("2026-03-28T01:30:00Z"));
    t = sched_next_fire(tz, SCHED_ALL_DAYS, minute, t);
    assert_int_equal(t, iso("2026-03-29T01:00:00Z"));
    t = sched_next_fire(tz, SCHED_ALL_DAYS, minute, t);
    assert_int_equal(t, iso("2026-03-30T00:30:00Z"));
    sched_tz_free(tz);
}

static void berlin_autumn_repeat_fires_once(void **state)
{
    (void)state;
    sched_tz *tz = zone("Europe/Berlin");
    /* 2026-10-25: 03:00 CEST goes back to 02:00 CET at 01:00Z; 02:30 happens
     * at 00:30Z and again at 01:30Z. The first one fires, the second not. */
    assert_int_equal(sched_tz_resolve(tz, 2026, 10, 25, 2 * 60 + 30), iso("2026-10-25T00:30:00Z"));
    int minute = 2 * 60 + 30;
    int64_t t = sched_next_fire(tz, SCHED_ALL_DAYS, minute, iso("2026-10-24T12:00:00Z"));
    assert_int_equal(t, iso("2026-10-25T00:30:00Z"));
    t = sched_next_fire(tz, SCHED_ALL_DAYS, minute, t);
    assert_int_equal(t, iso("2026-10-26T01:30:00Z"));
    /* 09:00 keeps its local time across the change. */
    assert_int_equal(sched_next_fire(tz, SCHED_ALL_DAYS, 9 * 60, iso("2026-10-24T08:00:00Z")),
                     iso("2026-10-25T08:00:00Z"));
    assert_int_equal(sched_next_fire(tz, SCHED_ALL_DAYS, 9 * 60, iso("2026-10-24T06:00:00Z")),
                     iso("2026-10-24T07:00:00Z"));
    sched_tz_free(tz);
}

static void sao_paulo_midnight_changes(void **state)
{
    (void)state;
    sched_tz *tz = zone("America/Sao_Paulo");
    /* 2018-11-04: 00:00 -03 jumped to 01:00 -02; 00:30 did not exist. */
    assert_int_equal(sched_tz_resolve(tz, 2018, 11, 4, 30), iso("2018-11-04T03:00:00Z"));
    assert_int_equal(sched_next_fire(tz, SCHED_ALL_DAYS, 30, iso("2018-11-03T03:30:00Z")),
                     iso("2018-11-04T03:00:00Z"));
    /* 2019-02-17: 00:00 -02 went back to 23:00 -03 of the 16th; 23:30 of
     * 2019-02-16 happened twice and fires at the first (-02). */
    int64_t t = sched_next_fire(tz, SCHED_ALL_DAYS, 23 * 60 + 30, iso("2019-02-16T12:00:00Z"));
    assert_int_equal(t, iso("2019-02-17T01:30:00Z"));
    assert_int_equal(sched_next_fire(tz, SCHED_ALL_DAYS, 23 * 60 + 30, t),
                     iso("2019-02-18T02:30:00Z"));
    /* No DST since 2019: -03 all year. */
    assert_int_equal(sched_tz_resolve(tz, 2026, 1, 15, 9 * 60), iso("2026-01-15T12:00:00Z"));
    assert_int_equal(sched_tz_resolve(tz, 2026, 7, 15, 9 * 60), iso("2026-07-15T12:00:00Z"));
    sched_tz_free(tz);
}

static void weekdays_and_local_dates(void **state)
{
    (void)state;
    sched_tz *tz = zone("Europe/Berlin");
    unsigned weekdays = 0x3e; /* mon..fri */
    /* Saturday 2026-11-28 10:00 local: next weekday 09:00 is Monday. */
    assert_int_equal(sched_next_fire(tz, weekdays, 9 * 60, iso("2026-11-28T09:00:00Z")),
                     iso("2026-11-30T08:00:00Z"));
    assert_int_equal(sched_next_fire(tz, 0, 9 * 60, iso("2026-11-28T09:00:00Z")), -1);
    sched_local l;
    sched_tz_local(tz, iso("2026-11-28T23:30:00Z"), &l);
    assert_int_equal(l.year, 2026);
    assert_int_equal(l.month, 11);
    assert_int_equal(l.day, 29);
    assert_int_equal(l.wday, 0);
    assert_int_equal(l.minute_of_day, 30);
    /* Beyond the last explicit transition the zone's rule still applies. */
    assert_int_equal(sched_tz_resolve(tz, 2045, 7, 1, 9 * 60), iso("2045-07-01T07:00:00Z"));
    assert_int_equal(sched_tz_resolve(tz, 2045, 12, 1, 9 * 60), iso("2045-12-01T08:00:00Z"));
    sched_tz_free(tz);
}

static void unknown_zone_and_civil_days(void **state)
{
    (void)state;
    sched_tz *tz = NULL;
    assert_int_equal(sched_tz_open("Mars/Olympus_Mons", &tz), LTM_ENOTFOUND);
    assert_int_equal(sched_tz_open("../../etc/passwd", &tz), LTM_ENOTFOUND);
    assert_int_equal(sched_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(sched_days_from_civil(2000, 3, 1), 11017);
    int y, m, d;
    sched_civil_from_days(20417, &y, &m, &d);
    assert_int_equal(y, 2025);
    assert_int_equal(m, 11);
    assert_int_equal(d, 25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(berlin_spring_gap_fires_at_first_valid_instant),
        cmocka_unit_test(berlin_autumn_repeat_fires_once),
        cmocka_unit_test(sao_paulo_midnight_changes),
        cmocka_unit_test(weekdays_and_local_dates),
        cmocka_unit_test(unknown_zone_and_civil_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
