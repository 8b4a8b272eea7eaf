/* One attempt of one job: de-duplication, text, image, publish, check,
 * result; or, for an engagement check, the channel's read stage and its
 * result. Each stage ends in a callback of the task (ltm/task.h); this file
 * chains them and turns the outcome into the attempt's one result. */
#include "publishing/channels.h"
#include "ltm/error.h"
#include "publishing/generate_openai.h"
#include "publishing/image_replicate.h"
#include "ltm/log.h"
#include "publishing/text_rules.h"
#include "ltm/timeutil.h"
#include "worker_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STAGE_RECOVER, STAGE_GENERATE, STAGE_IMAGE, STAGE_PUBLISH, STAGE_VERIFY, STAGE_READ };

static void start_text(attempt *a);
static void start_image(attempt *a);
static void start_publish(attempt *a);
static void note_quota(attempt *a);

static ltm_channel_type channel_type(const attempt *a)
{
    return a->task.channel ? a->task.channel->type : LTM_CHANNEL_SANDBOX;
}

/* A text cut to fit a buffer may end inside a UTF-8 sequence: drop the
 * partial character so the result stays valid JSON text. */
static void utf8_trim_partial(char *s)
{
    size_t n = strlen(s), start = n;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0 || (unsigned char)s[start - 1] < 0xC0)
        return;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (n - (start - 1) < need)
        s[start - 1] = '\0';
}

/* Error texts may quote an API's answer; an API may echo what it was sent.
 * The worker registered every key and account token with the log
 * (worker.c), whose one list redacts them longest first. */
static void scrub(char *text, size_t size)
{
    char *clean = ltm_secrets_redacted(text, strlen(text));
    if (clean)
        snprintf(text, size, "%s", clean);
    else
        snprintf(text, size, "(error text not shown: out of memory)");
    free(clean);
    utf8_trim_partial(text);
}

static int is_final(const ltm_job *job, const ltm_outcome *o)
{
    if (o->status != LTM_RESULT_FAILED)
        return 1;
    /* The scheduler pauses the source and dispatches the check again without
     * burning an attempt, so such a check is never over here. */
    if (job->kind == LTM_JOB_ENGAGEMENT && ltm_reading_waits(o))
        return 0;
    return !o->retryable || job->attempt >= job->max_attempts;
}

static void publish_result(attempt *a, int attempt_no, const ltm_outcome *o)
{
    ltm_worker *w = a->w;
    ltm_result r = {0};
    r.job_id = a->job.job_id;
    r.kind = a->job.kind;
    r.account = a->job.account;
    r.attempt = attempt_no;
    r.status = o->status;
    r.retryable = o->status == LTM_RESULT_FAILED && o->retryable;
    ltm_job job = a->job;
    job.attempt = attempt_no;
    r.final = is_final(&job, o);
    r.error_class = (char *)o->error_class;
    r.error = o->error_class || (o->status == LTM_RESULT_GONE && o->error[0]) ? (char *)o->error
                                                                             : NULL;
    r.remote_id = o->remote_id[0] ? (char *)o->remote_id : NULL;
    r.channel = (char *)ltm_channel_type_name(channel_type(a));
    if (a->job.kind == LTM_JOB_ENGAGEMENT) {
        /* The post read, on the channel it was published on (the only one
         * a read can use: a check refused for a changed channel says so). */
        r.remote_id = a->job.remote_id;
        r.channel = a->job.channel;
        r.post_job_id = a->job.post_job_id;
        r.age_ms = a->job.age_ms;
        r.has_figures = o->status == LTM_RESULT_READ;
        r.figures = o->figures;
    }
    if (o->status == LTM_RESULT_PUBLISHED)
        r.theme = (char *)a->theme;
    r.worker = (char *)ltm_service_client_id(w->svc);
    r.retry_after_ms = r.retryable ? o->retry_after_ms : 0;
    r.generate_ms = a->generate_ms;
    r.image_ms = a->image_ms;
    r.publish_ms = a->publish_ms;
    r.finished_ms = ltm_now_ms();
    ltm_service_publish_json(w->svc, "ltm/results", ltm_result_encode(&r), 1, 0);
    ltm_log(o->status == LTM_RESULT_PUBLISHED || o->status == LTM_RESULT_READ ||
                    o->status == LTM_RESULT_GONE
                ? LTM_LOG_INFO
            : r.retryable                     ? LTM_LOG_WARN
                                              : LTM_LOG_ERROR,
            "attempt finished", "job_id", a->job.job_id, "account", a->job.account, "attempt",
            LTM_INT(attempt_no), "status", ltm_result_status_name(o->status), "channel", r.channel,
            "remote_id", r.remote_id, "age_ms",
            a->job.kind == LTM_JOB_ENGAGEMENT ? LTM_INT(a->job.age_ms) : NULL, "error_class",
            r.error_class, "error", r.error, "retryable",
            r.retryable ? "true" : "false", "final", r.final ? "true" : "false", "retry_after_ms",
            r.retry_after_ms ? LTM_INT(r.retry_after_ms) : NULL, "generate_ms",
            LTM_INT(a->generate_ms), "image_ms", LTM_INT(a->image_ms), "publish_ms",
            LTM_INT(a->publish_ms), NULL);
}

static void attempt_free(attempt *a)
{
    ltm_worker *w = a->w;
    if (a->prev)
        a->prev->next = a->next;
    else
        w->active = a->next;
    if (a->next)
        a->next->prev = a->prev;
    w->active_count--;
    ltm_task_clear(&a->task);
    ltm_job_clear(&a->job);
    free(a);
}

/* The end of every attempt: one result for it, and one for each delivery of
 * the same job that arrived while it ran (they share its outcome). */
static void finish(attempt *a)
{
    ltm_worker *w = a->w;
    ltm_outcome *o = &a->task.outcome;
    scrub(o->error, sizeof o->error);
    if (a->job.kind == LTM_JOB_ENGAGEMENT)
        ltm_reading_settle(o, 0); /* whichever reader path classified it */
    note_quota(a);
    switch (o->status) {
    case LTM_RESULT_PUBLISHED: w->published++; break;
    case LTM_RESULT_UNCONFIRMED: w->unconfirmed++; break;
    case LTM_RESULT_DUPLICATE: w->duplicates++; break;
    case LTM_RESULT_READ: w->reads++; break;
    case LTM_RESULT_GONE: w->gone++; break;
    default:
        if (a->job.kind == LTM_JOB_ENGAGEMENT)
            w->read_failed++;
        else
            w->failed++;
    }
    publish_result(a, a->job.attempt, o);
    for (size_t i = 0; i < a->extra_count; i++)
        publish_result(a, a->extra_attempts[i], o);
    attempt_free(a);
    ltm_worker_refill(w);
}

static int64_t stage_elapsed(attempt *a)
{
    int64_t now = ltm_mono_ms(), d = now - a->stage_mono;
    a->stage_mono = now;
    return d;
}

static int stage_ok(const attempt *a) { return a->task.outcome.status == LTM_RESULT_PUBLISHED; }

/* ---- exhausted quotas ---------------------------------------------------- */

/* After a quota answer the same call would fail the same way until a person
 * acts or the provider's period resets: later jobs fail at once (class quota)
 * instead of spending requests, for LTM_QUOTA_PAUSE. OpenAI and Replicate
 * quotas belong to the key, a channel's to the account. */
static const char *pause_key(const attempt *a, int stage, char *buf, size_t size)
{
    if (stage == STAGE_GENERATE)
        return "openai";
    if (stage == STAGE_IMAGE)
        return "replicate";
    snprintf(buf, size, "publish:%s", a->job.account);
    return buf;
}

static int paused(attempt *a, int stage)
{
    ltm_worker *w = a->w;
    char buf[96];
    const char *key = pause_key(a, stage, buf, sizeof buf);
    int64_t now = ltm_mono_ms();
    for (size_t i = 0; i < sizeof w->pauses / sizeof w->pauses[0]; i++) {
        if (w->pauses[i].until_mono > now && strcmp(w->pauses[i].key, key) == 0) {
            ltm_outcome_fail(&a->task.outcome, "quota", 0,
                             "not sent: quota exhausted on an earlier job (%s); paused for "
                             "LTM_QUOTA_PAUSE", w->pauses[i].why);
            return 1;
        }
    }
    return 0;
}

static void note_quota(attempt *a)
{
    ltm_worker *w = a->w;
    const ltm_outcome *o = &a->task.outcome;
    /* A read's quota is the scheduler's to pause (it holds each source's
     * budget across replicas); it must not stop this account's posts. */
    if (!o->error_class || strcmp(o->error_class, "quota") != 0 || !w->quota_pause_ms ||
        strncmp(o->error, "not sent:", 9) == 0 || a->job.kind == LTM_JOB_ENGAGEMENT)
        return;
    char buf[96];
    const char *key = pause_key(a, a->stage, buf, sizeof buf);
    size_t slot = 0;
    int64_t now = ltm_mono_ms();
    for (size_t i = 0; i < sizeof w->pauses / sizeof w->pauses[0]; i++) {
        if (strcmp(w->pauses[i].key, key) == 0 || w->pauses[i].until_mono <= now) {
            slot = i;
            break;
        }
    }
    snprintf(w->pauses[slot].key, sizeof w->pauses[slot].key, "%s", key);
    snprintf(w->pauses[slot].why, sizeof w->pauses[slot].why, "%.200s", o->error);
    utf8_trim_partial(w->pauses[slot].why);
    w->pauses[slot].until_mono = now + w->quota_pause_ms;
    ltm_warn("quota exhausted: later jobs fail at once until the pause ends", "job_id",
             a->job.job_id, "scope", key, "pause_ms", LTM_INT(w->quota_pause_ms));
}

static void record_published(attempt *a)
{
    ltm_worker *w = a->w;
    if (ltm_pubstore_published(w->store, a->job.job_id, ltm_channel_type_name(channel_type(a)),
                               a->task.outcome.remote_id, ltm_now_ms()) != LTM_OK) {
        /* The post exists; only our memory of it failed. Say so loudly: a
         * re-dispatch of this job would not be recognised. */
        ltm_service_count_error(w->svc);
        ltm_error("cannot record a publication in the database", "job_id", a->job.job_id,
                  "remote_id", a->task.outcome.remote_id);
    }
}

static void forget_intent(attempt *a)
{
    if (ltm_pubstore_forget(a->w->store, a->job.job_id) != LTM_OK) {
        ltm_service_count_error(a->w->svc);
        ltm_error("cannot clear a publication intent in the database", "job_id", a->job.job_id);
    }
}

/* After a retryable failure, a handle that can still be published (an
 * Instagram container found FINISHED) is kept for the next attempt, which
 * publishes it instead of creating a new one; otherwise the row goes. */
static void keep_or_forget(attempt *a)
{
    ltm_task *t = &a->task;
    if (!(t->outcome.status == LTM_RESULT_FAILED && t->outcome.retryable && t->ref_ready &&
          t->ref)) {
        forget_intent(a);
        return;
    }
    if (ltm_pubstore_prepared(a->w->store, a->job.job_id, ltm_channel_type_name(channel_type(a)),
                              t->ref, t->text, ltm_now_ms()) != LTM_OK) {
        /* The sending row stays: the next attempt checks before it sends. */
        ltm_service_count_error(a->w->svc);
        ltm_error("cannot record a prepared container in the database", "job_id", a->job.job_id,
                  "ref", t->ref);
    }
}

static int before_publish(ltm_task *t)
{
    attempt *a = t->owner;
    return ltm_pubstore_sending(a->w->store, a->job.job_id, ltm_channel_type_name(channel_type(a)),
                                t->ref, t->text, ltm_now_ms());
}

/* ---- checks after an unknown outcome ------------------------------------ */

static void after_verify(ltm_task *t)
{
    attempt *a = t->owner;
    a->publish_ms += stage_elapsed(a);
    ltm_outcome *o = &t->outcome;
    if (o->status == LTM_RESULT_FAILED && o->error_class && strcmp(o->error_class, "internal") == 0) {
        /* The worker could not even ask the channel (out of memory): that
         * proves nothing, so the intent row stays and nothing is sent again. */
        char why[200];
        snprintf(why, sizeof why, "%.199s", o->error);
        o->status = LTM_RESULT_UNCONFIRMED;
        o->error_class = "unconfirmed";
        o->retryable = 0;
        snprintf(o->error, sizeof o->error,
                 "the channel could not be checked after an unanswered publish (%s); check the "
                 "account", why);
    }
    if (o->status == LTM_RESULT_PUBLISHED) {
        record_published(a);
    } else if (o->status == LTM_RESULT_FAILED && o->retryable) {
        /* The check proved the post absent. */
        if (a->recovering && t->ref_ready) {
            a->recovering = 0;
            ltm_info("earlier attempt's container is ready and not published; publishing it",
                     "job_id", a->job.job_id, "ref", t->ref);
            t->ready_ref = t->ref;
            t->ref = NULL;
            start_publish(a);
            return;
        }
        if (a->recovering) {
            a->recovering = 0;
            forget_intent(a);
            ltm_info("earlier attempt proved unpublished; publishing now", "job_id", a->job.job_id);
            ltm_task_reset_stage(t);
            free(t->text);
            t->text = NULL;
            start_text(a);
            return;
        }
        keep_or_forget(a);
    }
    finish(a);
}

static void start_verify(attempt *a)
{
    const ltm_channel_ops *ops = ltm_channel_ops_of(channel_type(a));
    a->stage = STAGE_VERIFY;
    a->task.done = after_verify;
    ops->verify(&a->task);
}

static void recover(attempt *a, ltm_pub_record *rec)
{
    const ltm_channel_ops *ops = ltm_channel_ops_of(channel_type(a));
    int checkable = ops->verify && rec->channel &&
                    strcmp(rec->channel, ltm_channel_type_name(ops->type)) == 0;
    if (rec->state == LTM_PUB_PREPARED) {
        if (!checkable || !rec->ref) { /* the account's channel changed since */
            forget_intent(a);
            start_text(a);
            return;
        }
        ltm_info("an earlier attempt prepared this job; checking its container", "job_id",
                 a->job.job_id, "ref", rec->ref, "attempt", LTM_INT(a->job.attempt));
        a->task.ref_prepared = 1;
    } else {
        ltm_warn("an earlier attempt sent this job and its outcome is unknown; checking the "
                 "channel", "job_id", a->job.job_id, "channel", rec->channel, "attempt",
                 LTM_INT(a->job.attempt));
    }
    if (!checkable) {
        ltm_outcome *o = &a->task.outcome;
        memset(o, 0, sizeof *o);
        o->status = LTM_RESULT_UNCONFIRMED;
        o->error_class = "unconfirmed";
        snprintf(o->error, sizeof o->error,
                 "an earlier attempt sent the publish request to %s and its outcome is unknown; "
                 "%s offers no way to check, so it is not sent again: check the account",
                 rec->channel ? rec->channel : "the channel", rec->channel ? rec->channel : "it");
        finish(a);
        return;
    }
    a->recovering = 1;
    a->task.text = rec->text;
    a->task.ref = rec->ref;
    rec->text = rec->ref = NULL;
    start_verify(a);
}

/* ---- publish -------------------------------------------------------------- */

static void after_publish(ltm_task *t)
{
    attempt *a = t->owner;
    a->publish_ms += stage_elapsed(a);
    ltm_outcome *o = &t->outcome;
    ltm_service_observe(a->w->svc, "publish", a->publish_ms, o->status == LTM_RESULT_PUBLISHED);
    if (o->status == LTM_RESULT_PUBLISHED) {
        record_published(a);
    } else if (o->status == LTM_RESULT_UNCONFIRMED) {
        if (ltm_channel_ops_of(channel_type(a))->verify) {
            start_verify(a);
            return;
        }
        /* No check possible: the intent row stays, so a later dispatch of
         * this job also stops instead of sending it again. */
    } else if (t->publish_sent) {
        keep_or_forget(a); /* the channel answered: nothing was published */
    }
    finish(a);
}

static void start_publish(attempt *a)
{
    const ltm_channel_ops *ops = ltm_channel_ops_of(channel_type(a));
    a->stage = STAGE_PUBLISH;
    stage_elapsed(a);
    ltm_task_reset_stage(&a->task);
    if (ops->type != LTM_CHANNEL_SANDBOX && paused(a, STAGE_PUBLISH)) {
        finish(a);
        return;
    }
    a->task.done = after_publish;
    a->task.before_publish = before_publish;
    ops->publish(&a->task);
}

/* ---- image -------------------------------------------------------------- */

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void after_image(ltm_task *t)
{
    attempt *a = t->owner;
    a->image_ms += stage_elapsed(a);
    ltm_service_observe(a->w->svc, "image", a->image_ms, stage_ok(a));
    if (!stage_ok(a)) {
        finish(a);
        return;
    }
    start_publish(a);
}

static void start_image(attempt *a)
{
    ltm_task *t = &a->task;
    const ltm_image_source *src = t->account ? ltm_account_images(t->account, a->job.kind) : NULL;
    a->stage = STAGE_IMAGE;
    stage_elapsed(a);
    if (a->job.image_url) {
        t->image_url = strdup(a->job.image_url);
    } else if (src && src->prompt && a->w->env.replicate_token) {
        if (paused(a, STAGE_IMAGE)) {
            finish(a);
            return;
        }
        t->done = after_image;
        ltm_replicate_image(t, src->prompt);
        return;
    } else if (src && src->count) {
        /* The same job picks the same image on every attempt. */
        t->image_url = strdup(src->urls[fnv1a(a->job.job_id) % src->count]);
    }
    if (!t->image_url && a->job.kind == LTM_JOB_STORY) {
        ltm_task_fail(t, "config", 0, "account %s has no story image: set stories.image_urls, or "
                      "stories.image_prompt with REPLICATE_TOKEN", a->job.account);
        finish(a);
        return;
    }
    start_publish(a);
}

/* ---- text --------------------------------------------------------------- */

static void after_text(ltm_task *t)
{
    attempt *a = t->owner;
    a->generate_ms += stage_elapsed(a);
    if (a->stage == STAGE_GENERATE)
        ltm_service_observe(a->w->svc, "generate", a->generate_ms, stage_ok(a));
    if (!stage_ok(a)) {
        finish(a);
        return;
    }
    size_t figure = 0;
    const char *problem = t->text ? ltm_text_check(channel_type(a), t->text, &figure) : NULL;
    if (problem) {
        ltm_outcome_fail(&t->outcome, "validation", 0, "%s %zu; nothing was cut or sent", problem,
                         figure);
        finish(a);
        return;
    }
    start_image(a);
}

static void start_text(attempt *a)
{
    ltm_task *t = &a->task;
    stage_elapsed(a);
    ltm_outcome_published(&t->outcome, NULL);
    if (a->job.text) {
        t->text = ltm_trim_dup(a->job.text);
        if (!t->text)
            ltm_outcome_fail(&t->outcome, "internal", 1, "out of memory");
        after_text(t);
    } else if (a->job.kind == LTM_JOB_POST) {
        a->stage = STAGE_GENERATE;
        if (paused(a, STAGE_GENERATE)) {
            finish(a);
            return;
        }
        t->done = after_text;
        ltm_openai_generate(t);
    } else {
        after_text(t); /* a story needs no text */
    }
}

/* ---- engagement check ------------------------------------------------------ */

static void after_read(ltm_task *t)
{
    attempt *a = t->owner;
    a->publish_ms += stage_elapsed(a);
    ltm_outcome *o = &t->outcome;
    if (o->status == LTM_RESULT_FAILED && !o->error_class)
        ltm_outcome_fail(o, "internal", 1, "the read stage ended without an outcome");
    ltm_service_observe(a->w->svc, "read", a->publish_ms, o->status != LTM_RESULT_FAILED);
    finish(a);
}

/* Reads are idempotent: no de-duplication record, no text, no image. The
 * channel is the account's channel for the post's kind as configured now;
 * one that is not the channel the post went to cannot read it. */
static int start_read(attempt *a)
{
    ltm_task *t = &a->task;
    a->stage = STAGE_READ;
    const char *now = ltm_channel_type_name(channel_type(a));
    if (strcmp(a->job.channel, now) != 0) {
        ltm_outcome_fail(&t->outcome, "config", 0,
                         "the %s was published on %s but account %s's %s channel is now %s: its "
                         "figures cannot be read",
                         ltm_job_kind_name(a->job.post_kind), a->job.channel, a->job.account,
                         a->job.post_kind == LTM_JOB_STORY ? "stories" : "post", now);
        return 0;
    }
    const ltm_channel_ops *ops = ltm_channel_ops_of(channel_type(a));
    if (!ops->read) {
        ltm_outcome_fail(&t->outcome, "config", 0, "figures cannot be read from a %s channel",
                         now);
        return 0;
    }
    if (t->channel && ltm_channel_token_missing(t->channel)) {
        ltm_outcome_fail(&t->outcome, "config", 0,
                         "account %s's %s channel token is not set: environment variable %s is "
                         "not set in the poster's environment, which reads the figures",
                         a->job.account, a->job.post_kind == LTM_JOB_STORY ? "stories" : "post",
                         t->channel->token_env);
        return 0;
    }
    memset(&t->outcome, 0, sizeof t->outcome);
    t->outcome.status = LTM_RESULT_FAILED;
    t->done = after_read;
    ops->read(t);
    return 1;
}

/* ---- a job arrives ------------------------------------------------------- */

static attempt *find_active(ltm_worker *w, const char *job_id)
{
    for (attempt *a = w->active; a; a = a->next)
        if (strcmp(a->job.job_id, job_id) == 0)
            return a;
    return NULL;
}

static void join_running(ltm_worker *w, attempt *running, const ltm_job *job)
{
    /* Re-dispatched while still running here (its lease ran out): it must
     * not run twice; the running attempt answers for both. */
    w->joined++;
    ltm_info("job already in progress here; its result will answer this delivery too", "job_id",
             job->job_id, "attempt", LTM_INT(job->attempt));
    if (running->extra_count < sizeof running->extra_attempts / sizeof running->extra_attempts[0])
        running->extra_attempts[running->extra_count++] = job->attempt;
}

static int start(ltm_worker *w, attempt *a)
{
    ltm_task *t = &a->task;
    t->env = &w->env;
    t->job = &a->job;
    t->owner = a;
    t->account = ltm_accounts_find(w->accounts, a->job.account);
    a->stage_mono = ltm_mono_ms();
    int reading = a->job.kind == LTM_JOB_ENGAGEMENT;
    if (t->account && w->live)
        t->channel = ltm_account_channel(t->account, reading ? a->job.post_kind : a->job.kind);
    if (w->live && !t->account) {
        ltm_outcome_fail(&t->outcome, "config", 0, "account %s is not in the accounts file",
                         a->job.account);
        return 0;
    }
    if (reading)
        return start_read(a);
    /* A post's text, whichever attempt wrote it, is written on the slot's
     * theme unless the job brought its own; the sandbox reports it too, so
     * a sandbox run ranks themes like a live one. */
    if (a->job.kind == LTM_JOB_POST && !a->job.text)
        a->theme = ltm_slot_theme(t->account, a->job.slot_ms);
    ltm_pub_record rec;
    if (ltm_pubstore_get(w->store, a->job.job_id, &rec) != LTM_OK) {
        ltm_outcome_fail(&t->outcome, "internal", 1, "cannot read the worker's database");
        return 0;
    }
    if (rec.state == LTM_PUB_PUBLISHED) {
        w->rereported++;
        ltm_info("job already published; reporting it again instead of publishing twice",
                 "job_id", a->job.job_id, "remote_id", rec.remote_id);
        ltm_outcome_published(&t->outcome, rec.remote_id);
        ltm_pub_record_clear(&rec);
        return 0;
    }
    if (rec.state == LTM_PUB_SENDING || rec.state == LTM_PUB_PREPARED) {
        recover(a, &rec);
        ltm_pub_record_clear(&rec);
        return 1;
    }
    if (channel_type(a) == LTM_CHANNEL_SANDBOX)
        start_publish(a); /* nothing leaves the machine: no model, no image */
    else
        start_text(a);
    return 1;
}

void ltm_worker_handle(ltm_worker *w, const ltm_mqtt_message *m)
{
    char reason[LTM_REASON_SIZE];
    attempt *a = calloc(1, sizeof *a);
    if (!a) {
        ltm_service_dead_letter(w->svc, m, "worker out of memory");
        return;
    }
    if (ltm_job_decode(m->payload, m->len, &a->job, reason) != LTM_OK) {
        ltm_service_dead_letter(w->svc, m, reason);
        free(a);
        return;
    }
    char topic[64];
    snprintf(topic, sizeof topic, "ltm/jobs/%s", ltm_job_kind_name(a->job.kind));
    int taken = a->job.kind == w->def.kind ||
                (a->job.kind == LTM_JOB_ENGAGEMENT && w->def.reads_figures);
    if (!taken || strcmp(m->topic, topic) != 0) {
        snprintf(reason, sizeof reason, "job kind %s does not belong on %s",
                 ltm_job_kind_name(a->job.kind), m->topic);
        ltm_service_dead_letter(w->svc, m, reason);
        ltm_job_clear(&a->job);
        free(a);
        return;
    }
    attempt *running = find_active(w, a->job.job_id);
    if (running) {
        join_running(w, running, &a->job);
        ltm_job_clear(&a->job);
        free(a);
        return;
    }
    /* Debug only: the operator's line is the one "attempt finished" per attempt. */
    ltm_debug("job received", "job_id", a->job.job_id, "account", a->job.account, "attempt",
              LTM_INT(a->job.attempt));
    a->w = w;
    a->next = w->active;
    if (w->active)
        w->active->prev = a;
    w->active = a;
    w->active_count++;
    if (!start(w, a))
        finish(a);
}
