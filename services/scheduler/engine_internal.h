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

/* A job recorded in the ledger ahead of its slot (in flight, attempt 1,
 * dispatched at the slot instant) whose message waits for that instant. */
typedef struct {
    int64_t due_ms;
    const char *topic; /* static */
    char *json;
    char *job_id;
    char *account;
    int cancelling; /* taken back by the open transaction (pause, rate limit) */
} armed_job;

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
    armed_job *armed; /* in slot order; [armed_head, armed_count) wait */
    size_t armed_head, armed_count, armed_cap;
    int arming;               /* engine_queue'd job messages go to armed, due at arm_due_ms */
    int64_t arm_due_ms;
    int64_t sent_through_ms;  /* "sent_through_ms": every attempt dispatched up to it may
                                 have been handed to MQTT */
};

/* Ends the open transaction: commits it and publishes what it queued when
 * rc is LTM_OK, else (or when the commit fails) rolls it back, drops that
 * and counts a ledger error. Returns the outcome. */
int engine_finish(engine *e, int rc);
/* Queues a message for after the commit (json taken over); a job's
 * dispatch is logged when it goes out, not when it is queued. */
int engine_queue(engine *e, const char *topic, char *json);
int engine_queue_job(engine *e, const char *topic, char *json, const char *job_id, int attempt,
                     int64_t lateness_ms);
void engine_flush(engine *e);
void engine_discard(engine *e);

/* While arming: keeps a job message for its slot instant instead (json
 * taken over). */
int engine_arm(engine *e, const ledger_job *j, const char *topic, char *json);
/* Takes back the account's armed jobs in the open transaction: a pause
 * skips them (state "skipped"), a rate limit makes them wait until
 * until_ms. They leave the armed list when the transaction commits. */
int engine_cancel_armed(engine *e, const char *account, int paused, int64_t until_ms,
                        int64_t now_ms);

/* Dispatches or expires one due job (inside a transaction). */
int engine_process_due(engine *e, const char *job_id, int64_t now_ms);
/* Records a new job with its first attempt and queues it (inside a
 * transaction); nothing when the job id exists already. */
int engine_dispatch_new(engine *e, ledger_job *j, int64_t now_ms);
/* Publishes the scheduler's own final result for a job. */
int engine_final_result(engine *e, const ledger_job *j, ltm_result_status status,
                        const char *error_class, const char *error, int64_t now_ms);

#endif
