#ifndef SCHED_ENGINE_INTERNAL_H
#define SCHED_ENGINE_INTERNAL_H

/* Shared by engine.c (slots, start, status) and outcome.c (dispatch,
 * results, leases); nothing outside the engine includes it. */

#include "engine.h"
#include "heap.h"

#define REPORT_ACCOUNT UINT32_MAX

typedef struct {
    uint32_t account; /* index into accounts.items, or REPORT_ACCOUNT */
    uint8_t kind;     /* ltm_job_kind */
    uint16_t minute;  /* local minute of the day */
} slot;

typedef struct {
    char *topic;
    char *json;
    char *job_id; /* a job's dispatch: logged once it is committed and sent */
    int attempt;
    int64_t lateness_ms;
} outgoing;

struct engine {
    engine_settings set;
    sched_accounts accounts;
    sched_tz *utc;
    ledger *l;
    engine_publish_fn publish;
    void *ctx;
    char client_id[160];
    slot *slots;
    size_t slot_count;
    sched_heap heap;
    outgoing *out; /* held until the transaction that records them commits */
    size_t out_count, out_cap;
    engine_counters c;
    engine_counters committed; /* c as of the last commit: a rollback returns to it */
    int64_t alive_written_ms; /* last "last_alive_ms" written to the ledger */
    int64_t alive_committed_ms; /* committed "last_alive_ms": every slot up to it is recorded */
    int64_t next_prune_ms;
};

/* Queues a message for after the commit (json taken over); a job's
 * dispatch is logged when it goes out, not when it is queued. */
int engine_queue(engine *e, const char *topic, char *json);
int engine_queue_job(engine *e, const char *topic, char *json, const char *job_id, int attempt,
                     int64_t lateness_ms);
void engine_flush(engine *e);
void engine_discard(engine *e);

/* Dispatches or expires one due job (inside a transaction). */
int engine_process_due(engine *e, const char *job_id, int64_t now_ms);
/* Records a new job with its first attempt and queues it (inside a
 * transaction); nothing when the job id exists already. */
int engine_dispatch_new(engine *e, ledger_job *j, int64_t now_ms);
/* Publishes the scheduler's own final result for a job. */
int engine_final_result(engine *e, const ledger_job *j, ltm_result_status status,
                        const char *error_class, const char *error, int64_t now_ms);

#endif
