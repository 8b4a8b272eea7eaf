#ifndef SCHED_ENGINE_INTERNAL_H
#define SCHED_ENGINE_INTERNAL_H

/* Shared by engine.c (slots, start, status) and outcome.c (dispatch,
 * results, leases); nothing outside the engine includes it. */

#include "engine.h"
#include "heap.h"

#include <cjson/cJSON.h>

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
/* The retry policy after a counted failure of attempt j->attempt, and a
 * job's end in failure (with the scheduler's final result when publish). */
int engine_after_failure(engine *e, ledger_job *j, const char *error_class, const char *error,
                         int retryable, int worker_final, int64_t retry_after_ms, int64_t now);
int engine_fail_final(engine *e, ledger_job *j, const char *error_class, const char *why,
                      int publish, int64_t now);
void engine_set_state(ledger_job *j, const char *state, int64_t due_ms, const char *reason);

/* Engagement checks (checks.c). */
typedef struct {
    ledger_post post;
    int64_t age_ms;
} check_target;
/* After a counted published result of a post or story job: records the
 * post and its checks (once: ids are keys). */
int checks_record(engine *e, const ledger_job *post_job, const ltm_result *r, int64_t now);
/* Before a check goes out: 1 with *target filled when it may, 0 when it
 * was dealt with instead (ended, deferred, held back), <0 on error. */
int checks_gate(engine *e, ledger_job *j, check_target *target, int64_t now);
/* A counted result of a check. */
int checks_apply(engine *e, ledger_job *j, const ltm_result *r, int64_t now);
/* ltmctl resume: lifts the account's blocked sources (inside a transaction). */
int checks_resume(engine *e, const char *account, int64_t now);
/* The "engagement" and "recent_posts" members of the status detail. */
void checks_detail(engine *e, cJSON *detail, int64_t now);

/* Publishes the scheduler's own final result for a job. */
int engine_final_result(engine *e, const ledger_job *j, ltm_result_status status,
                        const char *error_class, const char *error, int64_t now_ms);

#endif
