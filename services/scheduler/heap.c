#include "heap.h"

#include "ltm/error.h"

#include <stdlib.h>

void sched_heap_init(sched_heap *h)
{
    h->items = NULL;
    h->count = h->capacity = 0;
}

void sched_heap_clear(sched_heap *h)
{
    free(h->items);
    sched_heap_init(h);
}

/* Ties break on the id so the order is deterministic. */
static int before(const sched_heap_entry *a, const sched_heap_entry *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->id < b->id);
}

int sched_heap_push(sched_heap *h, int64_t due_ms, uint32_t id)
{
    if (h->count == h->capacity) {
        size_t cap = h->capacity ? h->capacity * 2 : 64;
        sched_heap_entry *grown = realloc(h->items, cap * sizeof *grown);
        if (!grown)
            return LTM_ENOMEM;
        h->items = grown;
        h->capacity = cap;
    }
    size_t i = h->count++;
    sched_heap_entry e = {due_ms, id};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&e, &h->items[parent]))
            break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = e;
    return LTM_OK;
}

const sched_heap_entry *sched_heap_top(const sched_heap *h)
{
    return h->count ? &h->items[0] : NULL;
}

int sched_heap_pop(sched_heap *h, sched_heap_entry *out)
{
    if (!h->count)
        return 0;
    *out = h->items[0];
    sched_heap_entry last = h->items[--h->count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->count)
            break;
        if (child + 1 < h->count && before(&h->items[child + 1], &h->items[child]))
            child++;
        if (!before(&h->items[child], &last))
            break;
        h->items[i] = h->items[child];
        i = child;
    }
    if (h->count)
        h->items[i] = last;
    return 1;
}
