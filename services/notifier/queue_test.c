#include "test_util.h"
#include "engine.h"
#include "queue.h"
#include "ltm/error.h"

#include <string.h>

static void fifo_and_round_trip(void **state)
{
    (void)state;
    ntf_queue q, r;
    ntf_queue_init(&q, 10, 4096);
    ntf_queue_push(&q, NTF_INFO, "one", 1);
    ntf_queue_push(&q, NTF_CRITICAL, "<b>two</b>", 2);
    ntf_queue_head(&q)->attempts = 3;
    char *json = ntf_queue_serialize(&q);
    ntf_queue_init(&r, 10, 4096);
    assert_int_equal(ntf_queue_parse(&r, json, strlen(json)), 0);
    free(json);
    assert_int_equal(r.count, 2);
    assert_string_equal(ntf_queue_head(&r)->text, "one");
    assert_int_equal(ntf_queue_head(&r)->attempts, 3);
    ntf_queue_pop(&r);
    assert_string_equal(ntf_queue_head(&r)->text, "<b>two</b>");
    assert_int_equal(ntf_queue_head(&r)->severity, NTF_CRITICAL);
    ntf_queue_push(&r, NTF_INFO, "three", 3);
    assert_true(r.items[1].id > r.items[0].id);
    ntf_queue_clear(&q);
    ntf_queue_clear(&r);
}

static void malformed_file_is_refused(void **state)
{
    (void)state;
    ntf_queue q;
    ntf_queue_init(&q, 10, 4096);
    assert_int_equal(ntf_queue_parse(&q, "{\"entries\":3}", 13), -2);
    assert_int_equal(ntf_queue_parse(&q, "[", 1), -2);
    assert_int_equal(q.count, 0);
}

/* Found by tests/fuzz/fuzz_notifier: numbers too large for the fields they
 * fill were converted anyway (undefined behaviour). They read as absent. */
static void out_of_range_numbers_read_as_absent(void **state)
{
    (void)state;
    const char *json = "{\"next_id\":1e300,\"summarised\":1e20,\"entries\":[{\"id\":1e300,"
                       "\"severity\":\"info\",\"text\":\"x\",\"created_ms\":1e300,"
                       "\"attempts\":1e300,\"merged\":1.8e107}]}";
    ntf_queue q;
    ntf_queue_init(&q, 10, 4096);
    assert_int_equal(ntf_queue_parse(&q, json, strlen(json)), 0);
    assert_int_equal(q.count, 1);
    assert_int_equal(q.summarised, 0);
    assert_int_equal(q.items[0].id, 0);
    assert_int_equal(q.items[0].created_ms, 0);
    assert_int_equal(q.items[0].attempts, 0);
    assert_int_equal(q.items[0].merged, 1);
    assert_int_equal(q.next_id, 1);
    ntf_queue_clear(&q);
}

static void full_queue_summarises_low_severity_first(void **state)
{
    (void)state;
    ntf_queue q;
    ntf_queue_init(&q, 4, 4096);
    ntf_queue_push(&q, NTF_CRITICAL, "<b>crit 1</b>\nbody", 1);
    ntf_queue_push(&q, NTF_INFO, "<b>info 1</b>\nbody", 2);
    ntf_queue_push(&q, NTF_CRITICAL, "<b>crit 2</b>", 3);
    ntf_queue_push(&q, NTF_INFO, "<b>info 2</b> &amp; more", 4);
    ntf_queue_push(&q, NTF_INFO, "info 3", 5);
    assert_int_equal(q.count, 4);
    assert_int_equal(q.summarised, 2);
    /* The criticals are untouched; the two infos became one entry. */
    assert_string_equal(q.items[0].text, "<b>crit 1</b>\nbody");
    assert_string_equal(q.items[2].text, "<b>crit 2</b>");
    const char *summary = q.items[1].text;
    assert_non_null(strstr(summary, "<b>2 notifications summarised</b>"));
    assert_non_null(strstr(summary, "\n- info 1 / body\n"));
    assert_non_null(strstr(summary, "\n- info 2 &amp; more"));
    assert_int_equal(q.items[1].merged, 2);
    /* Next overflow folds one more into the same summary. */
    ntf_queue_push(&q, NTF_INFO, "info 4", 6);
    assert_int_equal(q.summarised, 3);
    assert_non_null(strstr(q.items[1].text, "<b>3 notifications summarised</b>"));
    assert_non_null(strstr(q.items[1].text, "\n- info 3"));
    ntf_queue_clear(&q);
}

static void all_critical_are_merged_never_dropped(void **state)
{
    (void)state;
    ntf_queue q;
    ntf_queue_init(&q, 3, 4096);
    ntf_queue_push(&q, NTF_CRITICAL, "c1", 1);
    q.head_busy = 1; /* being sent: must not change under the request */
    ntf_queue_push(&q, NTF_CRITICAL, "c2", 2);
    ntf_queue_push(&q, NTF_CRITICAL, "c3", 3);
    ntf_queue_push(&q, NTF_CRITICAL, "c4", 4);
    assert_string_equal(q.items[0].text, "c1");
    assert_non_null(strstr(q.items[1].text, "- c2\n- c3"));
    assert_int_equal(q.items[1].severity, NTF_CRITICAL);
    assert_string_equal(q.items[2].text, "c4");
    ntf_queue_clear(&q);
}

/* The entry that overflows the queue is a candidate for the summary too:
 * with the head being sent, a critical and one warning queued, a second
 * warning merges with the first and the critical keeps its own message. */
static void arriving_entry_is_merged_before_a_critical(void **state)
{
    (void)state;
    ntf_queue q;
    ntf_queue_init(&q, 3, 4096);
    ntf_queue_push(&q, NTF_INFO, "startup", 1);
    q.head_busy = 1;
    ntf_queue_push(&q, NTF_CRITICAL, "crit", 2);
    ntf_queue_push(&q, NTF_WARNING, "warn 1", 3);
    assert_int_equal(ntf_queue_push(&q, NTF_WARNING, "warn 2", 4), LTM_OK);
    assert_int_equal(q.count, 3);
    assert_string_equal(q.items[0].text, "startup");
    assert_string_equal(q.items[1].text, "crit");
    assert_non_null(strstr(q.items[2].text, "- warn 1\n- warn 2"));
    /* A lone info arriving merges with the lowest entry above it, not the critical. */
    assert_int_equal(ntf_queue_push(&q, NTF_INFO, "info", 5), LTM_OK);
    assert_string_equal(q.items[1].text, "crit");
    assert_non_null(strstr(q.items[2].text, "<b>3 notifications summarised</b>"));
    ntf_queue_clear(&q);
}

static void summary_stays_within_the_message_limit(void **state)
{
    (void)state;
    ntf_queue q;
    ntf_queue_init(&q, 3, 300);
    char line[120];
    for (int i = 0; i < 40; i++) {
        snprintf(line, sizeof line, "notification number %d with a fairly long first line", i);
        ntf_queue_push(&q, NTF_INFO, line, i);
        for (size_t k = 0; k < q.count; k++)
            assert_true(strlen(q.items[k].text) <= 300);
    }
    assert_non_null(strstr(q.items[0].text, "notifications summarised"));
    ntf_queue_clear(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_and_round_trip),
        cmocka_unit_test(malformed_file_is_refused),
        cmocka_unit_test(out_of_range_numbers_read_as_absent),
        cmocka_unit_test(full_queue_summarises_low_severity_first),
        cmocka_unit_test(all_critical_are_merged_never_dropped),
        cmocka_unit_test(arriving_entry_is_merged_before_a_critical),
        cmocka_unit_test(summary_stays_within_the_message_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
