#ifndef SCHED_ENGINE_H
#define SCHED_ENGINE_H

#include "accounts.h"
#include "engagement.h"
#include "ledger.h"
#include "ltm/msg.h"

#include <stdint.h>

/* Most posts the status detail lists: it rides on a retained message the
 * broker drops over its size limit. */
#define ENGINE_RECENT_POSTS_MAX 20

/* The scheduler's logic without I/O of its own: slots in a priority queue,
 * jobs and attempts in the ledger, retries and leases driven by results and
 * the clock it is given. Messages leave through the publish callback, only
 * after the ledger transaction that records them has committed. */

typedef struct {
    int max_attempts;          /* per job, counting failures (rate limits excluded) */
    int64_t post_base_ms;      /* retry n waits n x base */
    int64_t story_base_ms;
    int64_t report_base_ms;
    int64_t lease_ms;          /* an attempt without result by then has failed */
    int64_t grace_ms;          /* missed slots younger than this are dispatched at start */
    int64_t rate_limit_ms;     /* account pause after a rate limit that names no time */
    int report_minute;         /* UTC minute of day of the daily report job; -1: none */
    int64_t retention_ms;      /* final jobs older than this leave the ledger; 0: kept */
    int64_t dispatch_ahead_ms; /* slots are recorded this long before they are due and only
                                  published at the slot; 0: recorded at the slot */
    /* Engagement checks (docs/scheduler.md#engagement-checks). */
    engagement_ages post_ages, story_ages; /* when a published post / story is read */
    engagement_budget budget;              /* API calls per window per source */
    int64_t engagement_base_ms;            /* retry n of a check waits n x base */
    int64_t quota_pause_ms;                /* source pause after a quota that names no time */
    int recent_posts;                      /* posts shown in the status detail, at most
                                              ENGINE_RECENT_POSTS_MAX */
} engine_settings;

typedef struct {
    uint64_t dispatched, retries, results_counted, results_ignored, finals_published;
    uint64_t missed, skipped, lease_expired, ledger_errors, pruned;
    /* engagement checks: attempts sent, final outcomes, budget deferrals */
    uint64_t checks_dispatched, checks_read, checks_gone, checks_failed, checks_deferred;
} engine_counters;

/* Publishes json (taken over, freed by the callee) on topic, QoS 1, not
 * retained. */
typedef int (*engine_publish_fn)(void *ctx, const char *topic, char *json);

typedef struct engine engine;

/* Takes over *accounts (cleared on return) and borrows the ledger. */
int engine_new(const engine_settings *settings, sched_accounts *accounts, ledger *l,
               engine_publish_fn publish, void *ctx, const char *client_id, engine **out);
void engine_free(engine *e);

/* Applies the missed-slot policy for the time since the ledger last saw the
 * scheduler alive, then fills the priority queue. */
int engine_start(engine *e, int64_t now_ms);
/* Publishes the armed jobs now due (recorded ahead of their slot), fires due
 * slots, dispatches due jobs, expires leases, then records (arms) one batch
 * of the slots due within dispatch_ahead_ms. */
int engine_run(engine *e, int64_t now_ms);
/* ms until engine_run has work, at most cap_ms (0 while slots remain to be
 * armed). */
int64_t engine_next_wake(engine *e, int64_t now_ms, int64_t cap_ms);
/* Records a result and applies the retry policy. */
int engine_on_result(engine *e, const ltm_result *r, int64_t now_ms);

/* Operator requests. On refusal they return LTM_EINVAL/LTM_ENOTFOUND with a
 * sentence in err. */
int engine_submit(engine *e, ltm_job_kind kind, const char *account, const char *request_id,
                  const char *text, const char *prompt, const char *image_url, int64_t at_ms,
                  int64_t now_ms, char *job_id, size_t job_id_size, char *err, size_t err_size);
int engine_set_paused(engine *e, const char *account, int paused, int64_t now_ms, char *err,
                      size_t err_size);
ledger *engine_ledger(engine *e);
/* The settings the engine runs with (read-only, owned by the engine). */
const engine_settings *engine_get_settings(const engine *e);

/* The status detail: next due slots, pending retries, jobs in flight. */
char *engine_detail_json(engine *e, int64_t now_ms);
void engine_get_counters(const engine *e, engine_counters *out);
size_t engine_slot_count(const engine *e);

/* "2026-11-25T08:00:00Z" */
void engine_format_slot(int64_t ms, char out[24]);

#endif
