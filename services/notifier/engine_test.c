#include "test_util.h"
#include "engine.h"

#include "ltm/error.h"

#include <string.h>

#define S 1000
static const ntf_engine_opts opts = {30 * S, 4 * 3600 * S};

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void storm_gives_one_message_then_one_repeat(void **state)
{
    (void)state;
    ntf_engine e;
    ntf_engine_init(&e, &opts);
    int64_t t = 1000000;
    for (int i = 0; i < 500; i++) /* 1000 in one minute: the first half */
        assert_int_equal(ntf_engine_fire(&e, "host.cpu", NTF_WARNING, "CPU 93%", "sysmonitor", 0,
                                         t + i * 60), 0);
    int sev;
    /* Nothing before the group window closes. */
    assert_null(ntf_engine_flush(&e, t + 29 * S, &sev));
    assert_int_equal(ntf_engine_next_due(&e), t + 30 * S);
    char *first = ntf_engine_flush(&e, t + 30 * S, &sev);
    assert_non_null(first);
    assert_int_equal(sev, NTF_WARNING);
    assert_non_null(strstr(first, "[WARNING] <b>host.cpu</b>: CPU 93%"));
    assert_non_null(strstr(first, "; 500 occurrences"));
    free(first);
    for (int i = 500; i < 1000; i++)
        ntf_engine_fire(&e, "host.cpu", NTF_WARNING, "CPU 93%", "sysmonitor", 0, t + i * 60);
    /* The rest of the storm: counted, not sent. */
    for (int64_t now = t + 31 * S; now < t + 4 * 3600 * S + 30 * S; now += 60 * S)
        assert_null(ntf_engine_flush(&e, now, &sev));
    char *repeat = ntf_engine_flush(&e, t + 4 * 3600 * S + 30 * S, &sev);
    assert_non_null(repeat);
    assert_non_null(strstr(repeat, "<b>LTM alerts</b>: 1 still firing: host.cpu\n"));
    assert_non_null(strstr(repeat, "Still firing"));
    assert_non_null(strstr(repeat, "500 repeats suppressed since the last message, 1000 in total"));
    free(repeat);
    ntf_engine_clear(&e);
}

static void alerts_in_one_window_share_a_message(void **state)
{
    (void)state;
    ntf_engine e;
    ntf_engine_init(&e, &opts);
    ntf_engine_fire(&e, "a", NTF_INFO, "first", NULL, 0, 0);
    ntf_engine_fire(&e, "b", NTF_CRITICAL, "second", NULL, 0, 10 * S);
    ntf_engine_fire(&e, "c", NTF_WARNING, "third", NULL, 0, 29 * S);
    int sev;
    char *text = ntf_engine_flush(&e, 30 * S, &sev);
    assert_int_equal(sev, NTF_CRITICAL);
    assert_int_equal(count_of(text, "[INFO]") + count_of(text, "[CRITICAL]") +
                         count_of(text, "[WARNING]"),
                     3);
    assert_non_null(strstr(text, "<b>LTM alerts</b>: 3 firing: a, b, c\n"));
    free(text);
    for (int i = 0; i < 5; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        ntf_engine_fire(&e, k, NTF_INFO, "x", NULL, 0, 40 * S);
    }
    ntf_engine_resolve(&e, "a", "ok", 41 * S);
    text = ntf_engine_flush(&e, 70 * S, &sev);
    assert_non_null(strstr(text, "<b>LTM alerts</b>: 5 firing, 1 resolved: k0, k1, k2, ...\n"));
    free(text);
    /* A key arriving after the window opens its own. */
    ntf_engine_fire(&e, "d", NTF_INFO, "late", NULL, 0, 71 * S);
    assert_int_equal(ntf_engine_next_due(&e), 101 * S);
    ntf_engine_clear(&e);
}

static void resolved_sends_one_message_and_forgets(void **state)
{
    (void)state;
    ntf_engine e;
    ntf_engine_init(&e, &opts);
    int sev;
    ntf_engine_fire(&e, "disk", NTF_CRITICAL, "disk 95%", NULL, 0, 0);
    free(ntf_engine_flush(&e, 30 * S, &sev));
    assert_int_equal(ntf_engine_resolve(&e, "disk", "disk 40%", 100 * S), 0);
    assert_int_equal(ntf_engine_resolve(&e, "disk", "again", 101 * S), LTM_ENOTFOUND);
    char *text = ntf_engine_flush(&e, 130 * S, &sev);
    assert_non_null(strstr(text, "[RESOLVED] <b>disk</b>: disk 40%"));
    assert_non_null(strstr(text, "<b>LTM alerts</b>: 1 resolved: disk\n"));
    assert_null(strstr(text, "within the group window"));
    free(text);
    assert_int_equal(e.count, 0);
    assert_int_equal(ntf_engine_next_due(&e), 0);
    ntf_engine_clear(&e);
}

static void flapping_before_the_resolved_message_stays_one_episode(void **state)
{
    (void)state;
    ntf_engine e;
    ntf_engine_init(&e, &opts);
    int sev;
    ntf_engine_fire(&e, "k", NTF_WARNING, "x", NULL, 0, 0);
    free(ntf_engine_flush(&e, 30 * S, &sev));
    ntf_engine_resolve(&e, "k", "ok", 40 * S);
    ntf_engine_fire(&e, "k", NTF_WARNING, "x", NULL, 0, 50 * S);
    assert_null(ntf_engine_flush(&e, 70 * S, &sev));
    assert_true(ntf_engine_is_firing(&e, "k"));
    ntf_engine_clear(&e);
}

static void fired_and_resolved_in_one_window_is_still_told(void **state)
{
    (void)state;
    ntf_engine e;
    ntf_engine_init(&e, &opts);
    int sev;
    ntf_engine_fire(&e, "blip", NTF_WARNING, "x", NULL, 0, 0);
    ntf_engine_resolve(&e, "blip", "gone", 5 * S);
    char *text = ntf_engine_flush(&e, 30 * S, &sev);
    assert_non_null(strstr(text, "fired and resolved within the group window"));
    free(text);
    ntf_engine_clear(&e);
}

static void hostile_keys_and_summaries_are_escaped(void **state)
{
    (void)state;
    ntf_engine e;
    ntf_engine_init(&e, &opts);
    int sev;
    ntf_engine_fire(&e, "k<&>", NTF_WARNING, "</b><script>&", "s<", 0, 0);
    char *text = ntf_engine_flush(&e, 30 * S, &sev);
    assert_non_null(strstr(text, "<b>k&lt;&amp;&gt;</b>: &lt;/b&gt;&lt;script&gt;&amp;"));
    assert_non_null(strstr(text, "from s&lt;"));
    free(text);
    ntf_engine_clear(&e);
}

/* Found by tests/fuzz/fuzz_notifier: a number too large for its field was
 * converted anyway (undefined behaviour). It now reads as absent. */
static void damaged_state_numbers_read_as_absent(void **state)
{
    (void)state;
    ntf_engine e;
    ntf_engine_init(&e, &opts);
    cJSON *j = cJSON_Parse("[{\"key\":\"k\",\"since_ms\":1.764e23,\"last_ms\":1764000000000,"
                           "\"total\":-1,\"unsent\":1e300}]");
    size_t skipped = 0;
    assert_int_equal(ntf_engine_from_json(&e, j, &skipped), 0);
    cJSON_Delete(j);
    const ntf_alert *a = ntf_engine_find(&e, "k");
    assert_non_null(a);
    assert_int_equal(a->since_ms, 0);
    assert_int_equal(a->last_ms, 1764000000000);
    assert_int_equal(a->total, 0);
    assert_int_equal(a->unsent, 0);
    ntf_engine_clear(&e);
}

static void state_survives_a_round_trip(void **state)
{
    (void)state;
    ntf_engine e, f;
    ntf_engine_init(&e, &opts);
    ntf_engine_init(&f, &opts);
    int sev;
    ntf_engine_fire(&e, "sent", NTF_CRITICAL, "s", "src", 0, 0);
    free(ntf_engine_flush(&e, 30 * S, &sev));
    ntf_engine_fire(&e, "sent", NTF_CRITICAL, "s", "src", 0, 40 * S);
    ntf_engine_fire(&e, "waiting", NTF_INFO, "w", NULL, 0, 50 * S);
    cJSON *j = ntf_engine_to_json(&e);
    cJSON_AddItemToArray(j, cJSON_CreateString("garbage"));
    size_t skipped = 0;
    assert_int_equal(ntf_engine_from_json(&f, j, &skipped), 0);
    cJSON_Delete(j);
    assert_int_equal(skipped, 1);
    const ntf_alert *a = ntf_engine_find(&f, "sent");
    assert_non_null(a);
    assert_true(a->notified);
    assert_int_equal(a->total, 2);
    assert_int_equal(a->unsent, 1);
    assert_string_equal(a->source, "src");
    /* The change that waited for its window goes out right after a restart. */
    assert_true(ntf_engine_next_due(&f) <= 60 * S);
    char *text = ntf_engine_flush(&f, 60 * S, &sev);
    assert_non_null(strstr(text, "<b>waiting</b>"));
    assert_null(strstr(text, "<b>sent</b>"));
    free(text);
    ntf_engine_clear(&e);
    ntf_engine_clear(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(storm_gives_one_message_then_one_repeat),
        cmocka_unit_test(alerts_in_one_window_share_a_message),
        cmocka_unit_test(resolved_sends_one_message_and_forgets),
        cmocka_unit_test(flapping_before_the_resolved_message_stays_one_episode),
        cmocka_unit_test(fired_and_resolved_in_one_window_is_still_told),
        cmocka_unit_test(hostile_keys_and_summaries_are_escaped),
        cmocka_unit_test(state_survives_a_round_trip),
        cmocka_unit_test(damaged_state_numbers_read_as_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
