/* Dispatch, results, leases and retries: what happens to a job after its
 * slot fired (issue 5, items 4 and 5). */
#include "engine_internal.h"

#include "ltm/error.h"
#include "ltm/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The job message's attempt field is capped at 100 by its decoder; rate
 * limits do not burn the budget but still use attempt numbers. */
#define MAX_ATTEMPT_NUMBER 100

static int64_t base_delay(const engine *e, ltm_job_kind kind)
{
    return kind == LTM_JOB_STORY        ? e->set.story_base_ms
           : kind == LTM_JOB_REPORT     ? e->set.report_base_ms
           : kind == LTM_JOB_ENGAGEMENT ? e->set.engagement_base_ms
                                        : e->set.post_base_ms;
}

static const char *job_topic(ltm_job_kind kind)
{
    return kind == LTM_JOB_STORY        ? "ltm/jobs/story"
           : kind == LTM_JOB_REPORT     ? "ltm/jobs/report"
           : kind == LTM_JOB_ENGAGEMENT ? "ltm/jobs/engagement"
                                        : "ltm/jobs/post";
}

void engine_set_state(ledger_job *j, const char *state, int64_t due_ms, const char *reason)
{
    snprintf(j->state, sizeof j->state, "%s", state);
    j->due_ms = due_ms;
    snprintf(j->reason, sizeof j->reason, "%s", reason ? reason : "");
}

static int is_active(const ledger_job *j)
{
    return strcmp(j->state, LEDGER_WAITING) == 0 || strcmp(j->state, LEDGER_IN_FLIGHT) == 0 ||
           strcmp(j->state, LEDGER_HELD) == 0;
}

int engine_final_result(engine *e, const ledger_job *j, ltm_result_status status,
                        const char *error_class, const char *error, int64_t now)
{
    ltm_result r = {0};
    r.job_id = (char *)j->job_id;
    r.kind = j->kind;
    r.account = j->account[0] ? (char *)j->account : NULL;
    r.attempt = j->attempt;
    r.status = status;
    r.final = 1;
    r.error_class = (char *)error_class;
    r.error = (char *)error;
    r.worker = e->client_id;
    r.finished_ms = now;
    /* A check's result names its post: consumers refuse one without. */
    ledger_post post;
    int64_t age = 0;
    if (j->kind == LTM_JOB_ENGAGEMENT) {
        if (ledger_check_get(e->l, j->job_id, &post, &age) != LTM_OK) {
            memset(&post, 0, sizeof post);
            snprintf(post.job_id, sizeof post.job_id, "unknown");
        }
        r.post_job_id = post.job_id;
        r.age_ms = age;
        r.channel = post.channel[0] ? post.channel : NULL;
        r.remote_id = post.remote_id[0] ? post.remote_id : NULL;
    }
    e->c.finals_published++;
    return engine_queue(e, "ltm/results", ltm_result_encode(&r));
}

int engine_fail_final(engine *e, ledger_job *j, const char *error_class, const char *why,
                      int publish, int64_t now)
{
    engine_set_state(j, "failed", 0, why);
    int rc = ledger_job_update(e->l, j, now);
    e->c.checks_failed += j->kind == LTM_JOB_ENGAGEMENT;
    ltm_warn("job failed for good", "job_id", j->job_id, "attempt", LTM_INT(j->attempt),
             "error_class", error_class, "reason", why);
    if (rc == LTM_OK && publish)
        rc = engine_final_result(e, j, LTM_RESULT_FAILED, error_class, why, now);
    return rc;
}

/* Pause state of the job's account: 1 held by an operator or the accounts
 * file, 0 free; *until_ms > now when a rate limit holds it back. */
static int account_hold(engine *e, const ledger_job *j, int64_t *until_ms)
{
    *until_ms = 0;
    if (j->kind == LTM_JOB_REPORT)
        return 0;
    const sched_account *a = sched_accounts_find(&e->accounts, j->account);
    int paused = 0;
    ledger_pause_get(e->l, j->account, &paused, until_ms);
    return paused || (a && a->paused);
}

/* Writes the next attempt of the job and queues its message. A new job is
 * inserted with its first attempt in one go (the common case of a slot
 * that fires), unless its id exists: then it was dispatched before, by us
 * before a restart, and nothing is sent again. */
static int send_attempt(engine *e, ledger_job *j, const check_target *t, int64_t now,
                        int is_new)
{
    j->attempt++;
    engine_set_state(j, LEDGER_IN_FLIGHT, now + e->set.lease_ms, NULL);
    int rc = is_new ? ledger_job_insert(e->l, j) : ledger_job_update(e->l, j, now);
    if (rc == 0 && is_new)
        return LTM_OK;
    if (rc < 0)
        return rc;
    rc = ledger_attempt_insert(e->l, j->job_id, j->attempt, now, j->due_ms);
    if (rc != LTM_OK)
        return rc;
    /* Attempts held back by rate limits do not count: the budget the worker
     * sees ends where the scheduler's does. */
    int budget = j->max_attempts + (j->attempt - 1 - j->failures);
    ltm_job m = {0};
    m.job_id = j->job_id;
    m.kind = j->kind;
    m.account = j->account[0] ? j->account : NULL;
    m.attempt = j->attempt;
    m.max_attempts = budget > MAX_ATTEMPT_NUMBER ? MAX_ATTEMPT_NUMBER : budget;
    m.slot_ms = j->slot_ms;
    m.dispatched_ms = now;
    m.lease_ms = e->set.lease_ms;
    m.text = j->text;
    m.prompt = j->prompt;
    m.image_url = j->image_url;
    if (t) {
        m.post_job_id = (char *)t->post.job_id;
        m.post_kind = t->post.kind;
        m.channel = (char *)t->post.channel;
        m.remote_id = (char *)t->post.remote_id;
        m.published_ms = t->post.published_ms;
        m.age_ms = t->age_ms;
        e->c.checks_dispatched++;
    }
    if (e->arming) /* counted and logged when it goes out */
        return engine_arm(e, j, job_topic(j->kind), ltm_job_encode(&m));
    e->c.dispatched++;
    if (j->attempt > 1)
        e->c.retries++;
    return engine_queue_job(e, job_topic(j->kind), ltm_job_encode(&m), j->job_id, j->attempt,
                            j->attempt == 1 ? now - j->slot_ms : 0);
}

static int dispatch(engine *e, ledger_job *j, int64_t now)
{
    if (j->kind != LTM_JOB_REPORT && !sched_accounts_find(&e->accounts, j->account))
        return engine_fail_final(e, j, "config", "the account is no longer in the accounts file",
                                 1, now);
    int64_t until;
    if (account_hold(e, j, &until)) {
        engine_set_state(j, LEDGER_HELD, 0, "account paused");
        return ledger_job_update(e->l, j, now);
    }
    /* A check answers to its source's pauses and budget, not to the
     * account's publishing rate limits. */
    check_target target;
    if (j->kind == LTM_JOB_ENGAGEMENT) {
        int go = checks_gate(e, j, &target, now);
        if (go <= 0)
            return go;
    } else if (until > now) {
        engine_set_state(j, LEDGER_WAITING, until, "account rate limited");
        return ledger_job_update(e->l, j, now);
    }
    if (j->attempt >= MAX_ATTEMPT_NUMBER)
        return engine_fail_final(e, j, "rate_limited",
                                 "too many attempts held back by rate limits", 1, now);
    return send_attempt(e, j, j->kind == LTM_JOB_ENGAGEMENT ? &target : NULL, now, 0);
}

int engine_dispatch_new(engine *e, ledger_job *j, int64_t now)
{
    return send_attempt(e, j, NULL, now, 1);
}

/* A counted failure of attempt j->attempt: retry after n x base (or later
 * when the result asks for it), or end the job. */
int engine_after_failure(engine *e, ledger_job *j, const char *error_class, const char *error,
                         int retryable, int worker_final, int64_t retry_after_ms, int64_t now)
{
    j->failures++;
    char why[256];
    snprintf(why, sizeof why, "attempt %d: %s%s%s", j->attempt, error_class,
             error && *error ? ": " : "", error ? error : "");
    if (!retryable || worker_final || j->failures >= j->max_attempts) {
        if (retryable && !worker_final && j->failures >= j->max_attempts) {
            char last[256];
            snprintf(last, sizeof last, "%d attempts failed; last %.200s", j->failures, why);
            return engine_fail_final(e, j, error_class, last, 1, now);
        }
        /* A worker that already said final has told everyone; repeating it
         * would count the failure twice. */
        return engine_fail_final(e, j, error_class, why, !worker_final, now);
    }
    int64_t due = now + (int64_t)j->failures * base_delay(e, j->kind);
    if (retry_after_ms > 0 && now + retry_after_ms > due)
        due = now + retry_after_ms;
    engine_set_state(j, LEDGER_WAITING, due, why);
    ltm_info("retry scheduled", "job_id", j->job_id, "attempt", LTM_INT(j->attempt + 1),
             "in_ms", LTM_INT(due - now), "reason", why);
    return ledger_job_update(e->l, j, now);
}

static int expire_lease(engine *e, ledger_job *j, int64_t now)
{
    e->c.lease_expired++;
    char error[96];
    snprintf(error, sizeof error, "no result within the lease of %lld ms",
             (long long)e->set.lease_ms);
    int rc = ledger_attempt_finish(e->l, j->job_id, j->attempt, "lease_expired", "lease_expired",
                                   error, now);
    ltm_warn("lease expired", "job_id", j->job_id, "attempt", LTM_INT(j->attempt));
    return rc != LTM_OK ? rc : engine_after_failure(e, j, "lease_expired", error, 1, 0, 0, now);
}

int engine_process_due(engine *e, const char *job_id, int64_t now)
{
    ledger_job j;
    int rc = ledger_job_get(e->l, job_id, &j);
    if (rc != LTM_OK)
        return rc;
    rc = strcmp(j.state, LEDGER_IN_FLIGHT) == 0 ? expire_lease(e, &j, now) : dispatch(e, &j, now);
    ledger_job_clear(&j);
    return rc;
}

static int rate_limited(engine *e, ledger_job *j, const ltm_result *r, int64_t now)
{
    int64_t until = now + (r->retry_after_ms > 0 ? r->retry_after_ms : e->set.rate_limit_ms);
    int paused = 0;
    int64_t old_until = 0;
    ledger_pause_get(e->l, j->account, &paused, &old_until);
    int rc = ledger_pause_set(e->l, j->account, paused, until > old_until ? until : old_until,
                              "rate limited", now);
    engine_set_state(j, LEDGER_WAITING, until, "account rate limited");
    ltm_warn("account rate limited: dispatches paused", "job_id", j->job_id, "account",
             j->account, "for_ms", LTM_INT(until - now));
    if (rc == LTM_OK)
        rc = engine_cancel_armed(e, j->account, 0, until, now);
    return rc != LTM_OK ? rc : ledger_job_update(e->l, j, now);
}

/* Applies a counted result to an active job. */
static int apply(engine *e, ledger_job *j, const ltm_result *r, int64_t now)
{
    if (j->kind == LTM_JOB_ENGAGEMENT)
        return checks_apply(e, j, r, now);
    int rc;
    switch (r->status) {
    case LTM_RESULT_PUBLISHED:
    case LTM_RESULT_DUPLICATE:
        engine_set_state(j, r->status == LTM_RESULT_PUBLISHED ? "published" : "duplicate", 0,
                  r->status == LTM_RESULT_DUPLICATE ? "the channel already had this text" : NULL);
        rc = ledger_job_update(e->l, j, now);
        if (rc == LTM_OK && r->status == LTM_RESULT_PUBLISHED &&
            (j->kind == LTM_JOB_POST || j->kind == LTM_JOB_STORY))
            rc = checks_record(e, j, r, now);
        return rc;
    case LTM_RESULT_UNCONFIRMED:
        engine_set_state(j, "unconfirmed", 0, "sent, never confirmed by the channel: not retried");
        if (ledger_job_update(e->l, j, now) != LTM_OK)
            return LTM_EDB;
        return r->final ? LTM_OK
                        : engine_final_result(e, j, LTM_RESULT_UNCONFIRMED, "unconfirmed",
                                              j->reason, now);
    default:
        break;
    }
    const char *cls = r->error_class ? r->error_class : "internal";
    if (r->status == LTM_RESULT_FAILED && r->retryable && !r->final &&
        strcmp(cls, "rate_limited") == 0 && j->kind != LTM_JOB_REPORT)
        return rate_limited(e, j, r, now);
    return engine_after_failure(e, j, cls, r->error,
                                r->status == LTM_RESULT_FAILED && r->retryable, r->final,
                                r->retry_after_ms, now);
}

/* Decides whether a result counts. Every result is recorded; one that
 * repeats an outcome already known, or arrives after the job ended, is
 * recorded with a note and changes nothing. */
static int classify(engine *e, ledger_job *j, const ltm_result *r, const char **note,
                    int *had_outcome)
{
    char outcome[32] = "";
    int rc = ledger_attempt_outcome(e->l, j->job_id, r->attempt, outcome, sizeof outcome);
    /* For a check, figures read (or the post found gone) are its success. */
    int success = r->status == LTM_RESULT_PUBLISHED || r->status == LTM_RESULT_DUPLICATE ||
                  r->status == LTM_RESULT_READ || r->status == LTM_RESULT_GONE;
    if (rc == LTM_ENOTFOUND) {
        *note = "no such attempt";
        return 0;
    }
    if (rc != LTM_OK)
        return rc;
    *had_outcome = outcome[0] != '\0';
    if (outcome[0] && strcmp(outcome, "lease_expired") != 0) {
        *note = "duplicate result";
        return 0;
    }
    if (!is_active(j)) {
        *note = r->status == LTM_RESULT_PUBLISHED || r->status == LTM_RESULT_DUPLICATE
                    ? "late: published after the job had ended (check the channel)"
                        : "late: the job had already ended";
        return 0;
    }
    /* After a lease expired, only news that the post went out still
     * matters: it ends the job instead of a further attempt publishing twice. */
    if (outcome[0] && !success) {
        *note = "late: attempt already counted as lost (lease expired)";
        return 0;
    }
    if (r->attempt != j->attempt && !success) {
        *note = "late: a newer attempt exists";
        return 0;
    }
    return 1;
}

static int handle_result(engine *e, const ltm_result *r, int64_t now)
{
    ledger_job j;
    int rc = ledger_job_get(e->l, r->job_id, &j);
    if (rc == LTM_ENOTFOUND) {
        e->c.results_ignored++;
        ltm_warn("result for an unknown job recorded", "job_id", r->job_id);
        return ledger_result_insert(e->l, r, 0, "unknown job", now);
    }
    if (rc != LTM_OK)
        return rc;
    if (r->kind != j.kind) {
        /* Another job's answer under this id (a worker bug or a forged
         * message): applying it would end the job with the wrong outcome. */
        char note[96];
        snprintf(note, sizeof note, "kind %s does not match the job's kind %s",
                 ltm_job_kind_name(r->kind), ltm_job_kind_name(j.kind));
        e->c.results_ignored++;
        ltm_warn("result recorded, not counted", "job_id", r->job_id, "attempt",
                 LTM_INT(r->attempt), "note", note);
        ledger_job_clear(&j);
        return ledger_result_insert(e->l, r, 0, note, now);
    }
    const char *note = NULL;
    int had_outcome = 0;
    int counted = classify(e, &j, r, &note, &had_outcome);
    if (counted < 0) {
        ledger_job_clear(&j);
        return counted;
    }
    rc = ledger_result_insert(e->l, r, counted, note, now);
    /* An attempt keeps the first outcome it got, unless a counted result
     * replaces a lease expiry. */
    if (rc == LTM_OK && (counted || !had_outcome))
        rc = ledger_attempt_finish(e->l, j.job_id, r->attempt, ltm_result_status_name(r->status),
                                   r->error_class, r->error, now);
    if (rc == LTM_OK && counted) {
        e->c.results_counted++;
        ltm_info("result", "job_id", r->job_id, "attempt", LTM_INT(r->attempt), "status",
                 ltm_result_status_name(r->status), "error_class", r->error_class, "worker",
                 r->worker);
        rc = apply(e, &j, r, now);
    } else if (rc == LTM_OK) {
        e->c.results_ignored++;
        ltm_log(strncmp(note, "late: published", 15) == 0 ? LTM_LOG_WARN : LTM_LOG_INFO,
                "result recorded, not counted", "job_id", r->job_id, "attempt",
                LTM_INT(r->attempt), "status", ltm_result_status_name(r->status), "note", note,
                NULL);
    }
    ledger_job_clear(&j);
    return rc;
}

int engine_on_result(engine *e, const ltm_result *r, int64_t now)
{
    /* Our own final and missed results come back on ltm/results too. */
    if (r->worker && strcmp(r->worker, e->client_id) == 0)
        return LTM_OK;
    if (ledger_begin(e->l) != LTM_OK)
        return LTM_EDB;
    return engine_finish(e, handle_result(e, r, now));
}
