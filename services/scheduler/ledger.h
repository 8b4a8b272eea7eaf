#ifndef SCHED_LEDGER_H
#define SCHED_LEDGER_H

#include "ltm/msg.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* The scheduler's durable job ledger in SQLite (WAL): every job, every
 * attempt with its outcome, every result received (counted or not), the
 * pauses set by operators or by rate limits, and the instant the scheduler
 * was last alive (for the missed-slot policy). A job's id is its primary
 * key, so a slot is dispatched once even across restarts. */

typedef struct ledger ledger;

/* Job states. "waiting" and "in_flight" are active: due_ms says when the
 * scheduler acts next (dispatch, or the lease expiry). "held": waiting for
 * an operator to resume the account. The rest are final. */
#define LEDGER_WAITING "waiting"
#define LEDGER_IN_FLIGHT "in_flight"
#define LEDGER_HELD "held"

typedef struct {
    char job_id[200];
    ltm_job_kind kind;
    char account[65];       /* "" for system jobs */
    int64_t slot_ms;
    char state[16];
    int attempt;            /* number of the last dispatch, 0 before the first */
    int failures;           /* failed attempts that count against max_attempts */
    int max_attempts;
    int64_t due_ms;
    char origin[16];        /* schedule, ltmctl, system */
    char reason[256];       /* why the job ended or waits */
    char *text, *prompt, *image_url; /* owned; ledger_job_clear frees */
    int64_t created_ms, updated_ms;
} ledger_job;

void ledger_job_clear(ledger_job *job);

/* path is a file name or ":memory:". LTM_EDB with a sentence in err. */
int ledger_open(const char *path, ledger **out, char *err, size_t err_size);
void ledger_close(ledger *l);

int ledger_begin(ledger *l);
int ledger_commit(ledger *l);
void ledger_rollback(ledger *l);

/* 1 when inserted, 0 when a job with that id exists already, <0 on error. */
int ledger_job_insert(ledger *l, const ledger_job *job);
/* LTM_ENOTFOUND when absent. */
int ledger_job_get(ledger *l, const char *job_id, ledger_job *out);
/* Writes state, attempt, failures, max_attempts, due_ms, reason. */
int ledger_job_update(ledger *l, const ledger_job *job, int64_t now_ms);

int ledger_attempt_insert(ledger *l, const char *job_id, int attempt, int64_t dispatched_ms,
                          int64_t lease_until_ms);
int ledger_attempt_delete(ledger *l, const char *job_id, int attempt);
/* Sets (or replaces) the outcome of an attempt. */
int ledger_attempt_finish(ledger *l, const char *job_id, int attempt, const char *outcome,
                          const char *error_class, const char *error, int64_t at_ms);
/* The outcome of an attempt ("" while none); LTM_ENOTFOUND when there is no
 * such attempt. */
int ledger_attempt_outcome(ledger *l, const char *job_id, int attempt, char *out, size_t size);

int ledger_result_insert(ledger *l, const ltm_result *r, int counted, const char *note,
                         int64_t received_ms);

/* Earliest due_ms of an active job; LTM_ENOTFOUND when there is none. */
int ledger_next_due(ledger *l, int64_t *out_ms);
/* Ids of active jobs due at or before now, earliest first, at most max.
 * Caller frees each id and the array. */
int ledger_due_jobs(ledger *l, int64_t now_ms, int max, char ***ids, int *count);
/* Puts an account's held jobs (every account's when account is NULL) back
 * to waiting, due now. */
int ledger_release_held(ledger *l, const char *account, int64_t now_ms);

/* Posts of an account dispatched with slots in [from_ms, to_ms). */
int ledger_count_posts(ledger *l, const char *account, int64_t from_ms, int64_t to_ms, int *out);
/* Latest slot < before_ms of a dispatched post of the account; 0 when none. */
int ledger_last_post(ledger *l, const char *account, int64_t before_ms, int64_t *out_ms);

int ledger_meta_get_int(ledger *l, const char *key, int64_t *out);
int ledger_meta_set_int(ledger *l, const char *key, int64_t value);
/* The same in a transaction of its own committed without fsync (and
 * without a checkpoint): a process crash keeps it, a power loss may not. */
int ledger_meta_set_int_nosync(ledger *l, const char *key, int64_t value);

/* Deletes the jobs of slots (origin schedule or system, not engagement
 * checks) in flight with their first attempt dispatched after sent_ms, with
 * that attempt: armed ahead of their slot and never handed to MQTT.
 * *deleted gets their number. */
int ledger_disarm(ledger *l, int64_t sent_ms, int *deleted);

/* Operator pause of an account (persisted), and rate-limit pause. */
int ledger_pause_get(ledger *l, const char *account, int *paused, int64_t *until_ms);
int ledger_pause_set(ledger *l, const char *account, int paused, int64_t until_ms,
                     const char *reason, int64_t now_ms);

/* The same with the reason and when it was last set; reason "" when
 * none. Keys other than account names hold pauses of other things: the
 * engagement checks of a source are paused under "engagement:<channel>:<account>". */
int ledger_pause_read(ledger *l, const char *key, int *paused, int64_t *until_ms, char *reason,
                      size_t reason_size, int64_t *updated_ms);
int ledger_pause_delete(ledger *l, const char *key);
/* Calls each for every pause whose key starts with prefix, in key order. A
 * nonzero return from each stops the walk (negative: returned). */
int ledger_pauses_walk(ledger *l, const char *prefix,
                       int (*each)(void *ctx, const char *key, int paused, int64_t until_ms,
                                   const char *reason, int64_t updated_ms),
                       void *ctx);

/* Dispatch instants (ascending, at most max) of the attempts of engagement
 * checks of the account's posts on channel dispatched after since_ms: what
 * the source's call budget has spent. Caller frees *out. */
int ledger_check_dispatches(ledger *l, const char *account, const char *channel,
                            int64_t since_ms, int max, int64_t **out, int *count);
/* The id of an active (waiting, in flight or held) check of the post, the
 * youngest age first; LTM_ENOTFOUND when none is left. */
int ledger_check_next_active(ledger *l, const char *post_job_id, char *job_id, size_t size);
/* Engagement checks waiting for their dispatch. */
int ledger_checks_waiting(ledger *l, int *out);
int ledger_reading_count(ledger *l, const char *post_job_id, int *out);

/* Counts of active jobs: waiting for a first dispatch (--at jobs, rate-limit
 * holds), waiting for a retry, in flight, held by a pause. */
int ledger_active_counts(ledger *l, int *waiting, int *retries, int *in_flight, int *held);

/* Deletes up to max final jobs created before before_ms with their attempts
 * and results (a post job with its post row and readings, a check with its
 * check row), and up to max results received before it. *deleted gets the
 * number of jobs and results removed (max or more: call again). */
int ledger_prune(ledger *l, int64_t before_ms, int max, int *deleted);

/* Jobs (newest first) with their attempts, as a JSON array for ltmctl.
 * account may be NULL; since_ms filters on the creation time. */
int ledger_jobs_json(ledger *l, const char *account, int64_t since_ms, int limit, cJSON **out);

/* ---- traffic: what was published and how it did ----------------------- */

typedef struct {
    char job_id[200];       /* the post or story job */
    char account[65];
    ltm_job_kind kind;      /* post or story */
    char channel[32];
    char remote_id[1025];
    int64_t slot_ms;
    int64_t published_ms;
    int weekday;            /* 0 Monday .. 6 Sunday, of the slot in the account's time zone */
    int local_minute;       /* minute of the day of the slot, same zone */
    char theme[LTM_THEME_MAX + 1]; /* "" when the text was not written on a theme */
    char state[16];         /* "live", or "gone" once the network says it was deleted */
} ledger_post;

typedef struct {
    int64_t age_ms;
    int64_t read_ms;
    ltm_figures figures;    /* -1: not offered by the channel */
} ledger_reading;

/* 1 when inserted, 0 when the post was recorded already. */
int ledger_post_insert(ledger *l, const ledger_post *p);
int ledger_post_get(ledger *l, const char *job_id, ledger_post *out);
int ledger_post_set_state(ledger *l, const char *job_id, const char *state);
/* An engagement check job reading post_job_id at age_ms. */
int ledger_check_insert(ledger *l, const char *check_job_id, const char *post_job_id,
                        int64_t age_ms);
/* The post a check reads and its age; LTM_ENOTFOUND when unknown. */
int ledger_check_get(ledger *l, const char *check_job_id, ledger_post *post, int64_t *age_ms);
/* Keeps one reading per post and age (a repeated delivery replaces it). */
int ledger_reading_insert(ledger *l, const char *post_job_id, int64_t age_ms, int64_t read_ms,
                          const ltm_figures *f);
/* A post's readings, youngest age first, at most max. */
int ledger_readings(ledger *l, const char *post_job_id, ledger_reading *out, int max, int *count);
/* Calls each for every post published at or after since_ms (of one account
 * unless account is NULL), newest first, with its latest reading (NULL when
 * none yet). A nonzero return from each stops the walk (negative: returned). */
int ledger_posts_since(ledger *l, int64_t since_ms, const char *account,
                       int (*each)(void *ctx, const ledger_post *p, const ledger_reading *latest),
                       void *ctx);

/* The same walk with, instead of the latest reading, the reading at the
 * reference age of the post's kind (NULL when it has none yet): posts at
 * post_age_ms, stories at story_age_ms; an age <= 0 means no reference, and
 * every post of that kind comes with NULL. */
int ledger_posts_at_age(ledger *l, int64_t since_ms, const char *account, int64_t post_age_ms,
                        int64_t story_age_ms,
                        int (*each)(void *ctx, const ledger_post *p, const ledger_reading *r),
                        void *ctx);

#endif
