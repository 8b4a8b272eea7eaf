#ifndef SCHED_HEAP_H
#define SCHED_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Binary min-heap of (due instant, slot id): the scheduler sleeps until the
 * top is due instead of scanning every slot. */

typedef struct {
    int64_t due_ms;
    uint32_t id;
} sched_heap_entry;

typedef struct {
    sched_heap_entry *items;
    size_t count, capacity;
} sched_heap;

void sched_heap_init(sched_heap *h);
void sched_heap_clear(sched_heap *h);
int sched_heap_push(sched_heap *h, int64_t due_ms, uint32_t id); /* LTM_ENOMEM */
/* The earliest entry; NULL when empty. */
const sched_heap_entry *sched_heap_top(const sched_heap *h);
/* Removes the earliest entry into *out; 0 when empty, 1 otherwise. */
int sched_heap_pop(sched_heap *h, sched_heap_entry *out);

#endif
