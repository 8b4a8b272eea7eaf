/* Private to worker.c and worker_attempt.c: the worker's state. */
#ifndef LTM_WORKER_IMPL_H
#define LTM_WORKER_IMPL_H

#include "ltm/accounts.h"
#include "publishing/http.h"
#include "ltm/msg.h"
#include "publishing/pubstore.h"
#include "ltm/service.h"
#include "publishing/task.h"
#include "publishing/worker.h"

#include <stddef.h>
#include <stdint.h>

typedef struct attempt attempt;

struct ltm_worker {
    ltm_service *svc;
    ltm_worker_def def;
    int live;
    size_t inflight_limit;
    int64_t drain_timeout_ms;
    int64_t retention_ms;
    ltm_http *http;
    ltm_publish_env env;
    ltm_accounts *accounts;   /* NULL: sandbox mode without an accounts file */
    ltm_pubstore *store;
    char outbox_path[4096];
    int64_t quota_pause_ms;
    struct {
        char key[96];         /* "openai", "replicate" or "publish:<account>" */
        int64_t until_mono;
        char why[240];
    } pauses[32];             /* exhausted quotas: no call until they expire */
    attempt *active;
    size_t active_count;
    int accepting;            /* 0 once the drain at shutdown is over */
    int refilling;            /* guards ltm_worker_refill against re-entry */
    uint64_t published, failed, unconfirmed, duplicates, rereported, joined;
    uint64_t reads, gone, read_failed; /* engagement checks */
};

struct attempt {
    ltm_task task;            /* task.owner points back here */
    ltm_worker *w;
    ltm_job job;
    int stage;                /* enum in worker_attempt.c */
    int recovering;           /* checking an earlier attempt's unknown outcome */
    int64_t stage_mono;
    int64_t generate_ms, image_ms, publish_ms; /* publish_ms: the read, for a check */
    const char *theme;        /* the weekday theme the text is written on; in w->accounts */
    int extra_attempts[8];    /* re-deliveries of this job while it ran */
    size_t extra_count;
    attempt *prev, *next;
};

/* worker_attempt.c: takes one message off the inbox (DLQ when undecodable). */
void ltm_worker_handle(ltm_worker *w, const ltm_mqtt_message *m);

/* worker.c: starts jobs from the inbox while there is room. Called from the
 * loop and whenever an attempt ends, so a freed slot is used at once instead
 * of after every other completion of the same poll round. */
void ltm_worker_refill(ltm_worker *w);

#endif
