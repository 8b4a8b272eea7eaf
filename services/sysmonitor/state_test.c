#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "state.h"

#include "ltm/error.h"

#include <stdlib.h>
#include <string.h>

#define NOW 1795640000000LL
#define DAY (86400LL * 1000)

static void round_trip_with_firing_alerts(void **state)
{
    (void)state;
    history *h, *back;
    assert_int_equal(history_new(8 * DAY, 1000, &h), LTM_OK);
    history_entry e = {.job_id = "post:demo:1", .account = "demo", .kind = LTM_JOB_POST,
                       .status = LTM_RESULT_PUBLISHED, .attempt = 1, .final = 1,
                       .finished_ms = NOW - 5000, .generate_ms = 800, .publish_ms = 200};
    int added;
    assert_int_equal(history_add(h, &e, NOW, &added), LTM_OK);
    alarm_state alarms[3];
    alarm_init(&alarms[0], "host.cpu");
    alarm_init(&alarms[1], "host.disk:/var/lib/ltm");
    alarm_init(&alarms[2], "host.memory");
    alarms[1].firing = 1;
    alarms[1].since_ms = NOW - 60000;
    alarms[1].value = 93.5;
    char *text = state_encode(h, alarms, 3, NOW);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"summary\""));

    assert_int_equal(history_new(8 * DAY, 1000, &back), LTM_OK);
    alarm_state restored[4];
    size_t n, skipped;
    char reason[160];
    assert_int_equal(state_decode(text, strlen(text), NOW, back, restored, 4, &n, &skipped,
                                  reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(history_count(back), 1);
    assert_int_equal(history_entries(back)[0].generate_ms, 800);
    assert_int_equal(n, 1);
    assert_int_equal(skipped, 0);
    assert_string_equal(restored[0].key, "host.disk:/var/lib/ltm");
    assert_true(restored[0].firing);
    assert_int_equal(restored[0].since_ms, NOW - 60000);
    assert_float_equal(restored[0].value, 93.5, 1e-9);
    free(text);
    history_free(h);
    history_free(back);
}

static void rejects_what_is_not_ours(void **state)
{
    (void)state;
    history *h;
    assert_int_equal(history_new(8 * DAY, 1000, &h), LTM_OK);
    alarm_state restored[2];
    size_t n, skipped;
    char reason[160];
    static const char *const bad[] = {
        "",
        "{\"format\":\"ltm-sysmonitor-state\",\"version\":1,\"history\":[",
        "[]",
        "{\"format\":\"something-else\",\"version\":1,\"history\":[]}",
        "{\"format\":\"ltm-sysmonitor-state\",\"version\":2,\"history\":[]}",
        "{\"format\":\"ltm-sysmonitor-state\",\"version\":1,\"history\":{}}",
        "{\"format\":\"ltm-sysmonitor-state\",\"version\":1,\"history\":[],\"alerts\":3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(state_decode(bad[i], strlen(bad[i]), NOW, h, restored, 2, &n, &skipped,
                                      reason, sizeof reason),
                         LTM_EINVAL);
        assert_true(reason[0] != '\0');
    }
    const char *partly = "{\"format\":\"ltm-sysmonitor-state\",\"version\":1,\"history\":"
                         "[{\"job_id\":\"x\"}],\"alerts\":[{\"key\":\"host.cpu\"}]}";
    assert_int_equal(state_decode(partly, strlen(partly), NOW, h, restored, 2, &n, &skipped,
                                  reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(skipped, 2);
    assert_int_equal(n, 0);
    history_free(h);
}

/* The history is cut out of the text by a lexical scan: strings holding
 * brackets, braces, commas and escaped quotes must not confuse it. */
static void tricky_strings_and_broken_entries(void **state)
{
    (void)state;
    history *h, *back;
    assert_int_equal(history_new(8 * DAY, 1000, &h), LTM_OK);
    const char *ids[] = {"a\"],\"history\":[{", "b}{]\\", "c,\n\t\u00e9"};
    for (int i = 0; i < 3; i++) {
        history_entry e = {.job_id = (char *)ids[i], .account = "x\"y", .kind = LTM_JOB_POST,
                           .status = LTM_RESULT_PUBLISHED, .attempt = 1, .finished_ms = NOW};
        int added;
        assert_int_equal(history_add(h, &e, NOW, &added), LTM_OK);
    }
    char *text = state_encode(h, NULL, 0, NOW);
    assert_non_null(text);
    assert_int_equal(history_new(8 * DAY, 1000, &back), LTM_OK);
    alarm_state restored[1];
    size_t n, skipped;
    char reason[160];
    assert_int_equal(state_decode(text, strlen(text), NOW, back, restored, 1, &n, &skipped,
                                  reason, sizeof reason),
                     LTM_OK);
    assert_int_equal(history_count(back), 3);
    assert_int_equal(skipped, 0);
    for (int i = 0; i < 3; i++)
        assert_string_equal(history_entries(back)[i].job_id, ids[i]);
    /* Cut anywhere: never accepted, never a partial history. */
    history *empty;
    assert_int_equal(history_new(8 * DAY, 1000, &empty), LTM_OK);
    for (size_t cut = 0; cut < strlen(text); cut += 7) {
        int rc = state_decode(text, cut, NOW, empty, restored, 1, &n, &skipped, reason,
                              sizeof reason);
        assert_int_equal(rc, LTM_EINVAL);
        assert_int_equal(history_count(empty), 0);
    }
    /* A balanced but broken entry is skipped, the others kept. */
    const char *doc = "{\"format\":\"ltm-sysmonitor-state\",\"version\":1,\"history\":["
                      "{\"job_id\":\"ok\",\"attempt\":1,\"kind\":\"post\",\"status\":\"failed\","
                      "\"finished_at\":\"2026-11-25T00:00:00Z\"},{\"job_id\" \"no colon\"},[1,2]]}";
    history *some;
    assert_int_equal(history_new(366 * DAY, 1000, &some), LTM_OK);
    assert_int_equal(state_decode(doc, strlen(doc), NOW, some, restored, 1, &n, &skipped, reason,
                                  sizeof reason),
                     LTM_OK);
    assert_int_equal(history_count(some), 1);
    assert_int_equal(skipped, 2);
    free(text);
    history_free(h);
    history_free(back);
    history_free(empty);
    history_free(some);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_with_firing_alerts),
        cmocka_unit_test(rejects_what_is_not_ours),
        cmocka_unit_test(tricky_strings_and_broken_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
