#include "heap.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

static void pops_in_order(void **state)
{
    (void)state;
    sched_heap h;
    sched_heap_init(&h);
    assert_null(sched_heap_top(&h));
    srand(7);
    enum { N = 10000 };
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(sched_heap_push(&h, rand() % 1000, i), 0);
    sched_heap_entry prev = {-1, 0}, e;
    int n = 0;
    while (sched_heap_pop(&h, &e)) {
        assert_true(e.due_ms > prev.due_ms || (e.due_ms == prev.due_ms && e.id > prev.id));
        prev = e;
        n++;
    }
    assert_int_equal(n, N);
    assert_int_equal(sched_heap_pop(&h, &e), 0);
    sched_heap_clear(&h);
}

static void top_is_the_earliest(void **state)
{
    (void)state;
    sched_heap h;
    sched_heap_init(&h);
    sched_heap_push(&h, 50, 1);
    sched_heap_push(&h, 20, 2);
    sched_heap_push(&h, 70, 3);
    assert_int_equal(sched_heap_top(&h)->id, 2);
    sched_heap_entry e;
    sched_heap_pop(&h, &e);
    sched_heap_push(&h, 10, 4);
    assert_int_equal(sched_heap_top(&h)->due_ms, 10);
    sched_heap_clear(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_order),
        cmocka_unit_test(top_is_the_earliest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
