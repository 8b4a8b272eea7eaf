#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alarm.h"

#include <math.h>

static const alarm_rule rule = {.threshold = 80, .hysteresis = 5, .hold = 3, .clear = 2};

static void fires_after_hold_samples(void **state)
{
    (void)state;
    alarm_state a;
    alarm_init(&a, "host.cpu");
    assert_int_equal(alarm_update(&a, &rule, 90, 1000), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 95, 2000), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 91, 3000), ALARM_FIRED);
    assert_true(a.firing);
    assert_int_equal(a.since_ms, 1000); /* the incident began at the first sample above */
    assert_float_equal(a.value, 91, 0);
    /* Still above: no second event. */
    assert_int_equal(alarm_update(&a, &rule, 99, 4000), ALARM_NONE);
}

static void a_dip_restarts_the_hold(void **state)
{
    (void)state;
    alarm_state a;
    alarm_init(&a, "host.cpu");
    alarm_update(&a, &rule, 90, 1000);
    alarm_update(&a, &rule, 90, 2000);
    assert_int_equal(alarm_update(&a, &rule, 80, 3000), ALARM_NONE); /* equal is not above */
    assert_int_equal(alarm_update(&a, &rule, 90, 4000), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 90, 5000), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 90, 6000), ALARM_FIRED);
    assert_int_equal(a.since_ms, 4000);
}

static void hysteresis_before_resolving(void **state)
{
    (void)state;
    alarm_state a;
    alarm_init(&a, "host.memory");
    for (int i = 0; i < 3; i++)
        alarm_update(&a, &rule, 90, i * 1000);
    assert_true(a.firing);
    /* Below the threshold but inside the hysteresis band: keeps firing. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(alarm_update(&a, &rule, 76, 10000 + i), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 74.9, 20000), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 80, 21000), ALARM_NONE); /* back in: streak reset */
    assert_int_equal(alarm_update(&a, &rule, 70, 22000), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 60, 23000), ALARM_RESOLVED);
    assert_false(a.firing);
    assert_int_equal(a.since_ms, 0); /* the resolved event still names the incident's start */
    /* A new incident needs the full hold again. */
    assert_int_equal(alarm_update(&a, &rule, 90, 30000), ALARM_NONE);
}

static void nan_changes_nothing(void **state)
{
    (void)state;
    alarm_state a;
    alarm_init(&a, "host.disk:/");
    alarm_update(&a, &rule, 90, 1);
    alarm_update(&a, &rule, 90, 2);
    assert_int_equal(alarm_update(&a, &rule, NAN, 3), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &rule, 90, 4), ALARM_FIRED);
    assert_string_equal(a.key, "host.disk:/");
}

static void hold_of_one_fires_at_once(void **state)
{
    (void)state;
    const alarm_rule now = {.threshold = 0.5, .hysteresis = 0, .hold = 1, .clear = 1};
    alarm_state a;
    alarm_init(&a, "broker.dropped");
    assert_int_equal(alarm_update(&a, &now, 0, 1), ALARM_NONE);
    assert_int_equal(alarm_update(&a, &now, 3, 2), ALARM_FIRED);
    assert_int_equal(alarm_update(&a, &now, 0, 3), ALARM_RESOLVED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fires_after_hold_samples),
        cmocka_unit_test(a_dip_restarts_the_hold),
        cmocka_unit_test(hysteresis_before_resolving),
        cmocka_unit_test(nan_changes_nothing),
        cmocka_unit_test(hold_of_one_fires_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
