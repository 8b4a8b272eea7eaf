#include "engine_internal.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
/* A scheduler down for longer than this records at most this many missed
 * occurrences per slot: enough for a year of daily slots. */
#define MAX_MISSED_PER_SLOT 400
/* Slots fired and jobs dispatched per transaction: each batch costs one
 * fsync and nothing of it is published before the commit. Batches start
 * small so the first jobs of a burst go out at once, and grow so a burst of
 * thousands of slots at 09:00 does not pay one fsync per few jobs. */
#define FIRST_BATCH 8
#define MAX_BATCH 256
/* Slots armed per transaction (one fsync each), ahead of their instant;
 * one batch per engine_run so results and commands are served between. */
#define ARM_BATCH 1024

void engine_format_slot(int64_t ms, char out[24])
{
    int64_t s = ms / 1000 - (ms % 1000 < 0);
    int64_t days = s / 86400 - (s % 86400 < 0);
    int64_t secs = s - days * 86400;
    int y, m, d;
    sched_civil_from_days(days, &y, &m, &d);
    snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", y % 10000, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

/* Room for one more item in a growing array: items itself, or a larger
 * copy; NULL (items untouched) when memory ran out. */
static void *grow(void *items, size_t *cap, size_t count, size_t item_size, size_t first)
{
    if (count < *cap)
        return items;
    size_t n = *cap ? *cap * 2 : first;
    void *grown = realloc(items, n * item_size);
    if (grown)
        *cap = n;
    return grown;
}

int engine_queue(engine *e, const char *topic, char *json)
{
    return engine_queue_job(e, topic, json, NULL, 0, 0);
}

int engine_queue_job(engine *e, const char *topic, char *json, const char *job_id, int attempt,
                     int64_t lateness_ms)
{
    if (!json)
        return LTM_ENOMEM;
    outgoing *out = grow(e->out, &e->out_cap, e->out_count, sizeof *out, 32);
    if (!out) {
        free(json);
        return LTM_ENOMEM;
    }
    e->out = out;
    char *t = strdup(topic);
    char *id = job_id ? strdup(job_id) : NULL;
    if (!t || (job_id && !id)) {
        free(t);
        free(id);
        free(json);
        return LTM_ENOMEM;
    }
    e->out[e->out_count++] = (outgoing){t, json, id, attempt, lateness_ms};
    return LTM_OK;
}

int engine_finish(engine *e, int rc)
{
    if (rc == LTM_OK && (rc = ledger_commit(e->l)) == LTM_OK) {
        engine_flush(e);
        return LTM_OK;
    }
    ledger_rollback(e->l);
    engine_discard(e);
    e->c.ledger_errors++;
    return rc;
}

static void armed_free(armed_job *a)
{
    free(a->json);
    free(a->job_id);
    free(a->account);
}

int engine_arm(engine *e, const ledger_job *j, const char *topic, char *json)
{
    if (!json)
        return LTM_ENOMEM;
    armed_job *armed = grow(e->armed, &e->armed_cap, e->armed_count, sizeof *armed, 256);
    if (!armed) {
        free(json);
        return LTM_ENOMEM;
    }
    e->armed = armed;
    armed_job a = {e->arm_due_ms, topic, json, strdup(j->job_id), strdup(j->account), 0};
    if (!a.job_id || !a.account) {
        armed_free(&a);
        return LTM_ENOMEM;
    }
    e->armed[e->armed_count++] = a;
    return LTM_OK;
}

/* Armed jobs taken back by a committed transaction leave the list. */
static void armed_compact(engine *e, int committed)
{
    size_t kept = e->armed_head;
    for (size_t i = e->armed_head; i < e->armed_count; i++) {
        if (e->armed[i].cancelling && committed) {
            armed_free(&e->armed[i]);
            continue;
        }
        e->armed[i].cancelling = 0;
        e->armed[kept++] = e->armed[i];
    }
    e->armed_count = kept;
}

void engine_flush(engine *e)
{
    for (size_t i = 0; i < e->out_count; i++) {
        outgoing *o = &e->out[i];
        if (o->job_id)
            ltm_info("job dispatched", "job_id", o->job_id, "attempt", LTM_INT(o->attempt),
                     "lateness_ms", LTM_INT(o->lateness_ms));
        e->publish(e->ctx, o->topic, o->json);
        free(o->topic);
        free(o->job_id);
    }
    e->out_count = 0;
    e->committed = e->c;
    armed_compact(e, 1);
}

void engine_discard(engine *e)
{
    for (size_t i = 0; i < e->out_count; i++) {
        free(e->out[i].topic);
        free(e->out[i].json);
        free(e->out[i].job_id);
    }
    e->out_count = 0;
    /* What the rolled-back transaction counted did not happen; the failed
     * writes themselves and the pruning (its own transactions) stay. */
    uint64_t errors = e->c.ledger_errors, pruned = e->c.pruned;
    e->c = e->committed;
    e->c.ledger_errors = errors;
    e->c.pruned = pruned;
    armed_compact(e, 0);
}

static const char MISSED_REASON[] =
    "the scheduler was down at the slot and for longer than the grace period";

/* Gives an armed job, in the open transaction, what it would have met at
 * its instant: its attempt removed, the state, due time and reason set
 * (and for a missed one the final result queued). It leaves the armed list
 * when the transaction commits. */
static int take_back(engine *e, armed_job *a, const char *state, int64_t due_ms,
                     const char *reason, int64_t now)
{
    ledger_job j = {0};
    int rc = ledger_job_get(e->l, a->job_id, &j);
    if (rc == LTM_OK)
        rc = ledger_attempt_delete(e->l, j.job_id, j.attempt);
    if (rc == LTM_OK) {
        j.attempt--;
        snprintf(j.state, sizeof j.state, "%s", state);
        j.due_ms = due_ms;
        snprintf(j.reason, sizeof j.reason, "%s", reason);
        rc = ledger_job_update(e->l, &j, now);
    }
    if (rc == LTM_OK && strcmp(state, "missed") == 0)
        rc = engine_final_result(e, &j, LTM_RESULT_MISSED, "missed", reason, now);
    ledger_job_clear(&j);
    if (rc != LTM_OK)
        return rc;
    a->cancelling = 1;
    ltm_info("armed job taken back", "job_id", a->job_id, "state", state, "reason", reason);
    return LTM_OK;
}

int engine_cancel_armed(engine *e, const char *account, int paused, int64_t until_ms,
                        int64_t now)
{
    for (size_t i = e->armed_head; i < e->armed_count; i++) {
        armed_job *a = &e->armed[i];
        if (a->cancelling || strcmp(a->account, account) != 0)
            continue;
        /* A paused account's slot is skipped; a rate limit holds back only
         * the slots it still covers at their instant. */
        int rc = LTM_OK;
        if (paused) {
            rc = take_back(e, a, "skipped", 0, "account paused", now);
            e->c.skipped += rc == LTM_OK;
        } else if (a->due_ms < until_ms) {
            rc = take_back(e, a, LEDGER_WAITING, until_ms, "account rate limited", now);
        }
        if (rc != LTM_OK)
            return rc;
    }
    return LTM_OK;
}

static int add_slot(engine *e, uint32_t account, ltm_job_kind kind, int minute)
{
    slot *grown = realloc(e->slots, (e->slot_count + 1) * sizeof *grown);
    if (!grown)
        return LTM_ENOMEM;
    e->slots = grown;
    e->slots[e->slot_count++] = (slot){account, (uint8_t)kind, (uint16_t)minute};
    return LTM_OK;
}

static int build_slots(engine *e)
{
    size_t total = e->set.report_minute >= 0;
    for (size_t i = 0; i < e->accounts.count; i++)
        total += e->accounts.items[i].post_count + e->accounts.items[i].story_count;
    if (total > UINT32_MAX - 1)
        return LTM_EINVAL;
    e->slots = malloc((total ? total : 1) * sizeof *e->slots);
    if (!e->slots)
        return LTM_ENOMEM;
    for (size_t i = 0; i < e->accounts.count; i++) {
        const sched_account *a = &e->accounts.items[i];
        for (size_t k = 0; k < a->post_count; k++)
            e->slots[e->slot_count++] = (slot){(uint32_t)i, LTM_JOB_POST, (uint16_t)a->post_minutes[k]};
        for (size_t k = 0; k < a->story_count; k++)
            e->slots[e->slot_count++] = (slot){(uint32_t)i, LTM_JOB_STORY, (uint16_t)a->story_minutes[k]};
    }
    return e->set.report_minute >= 0 ? add_slot(e, REPORT_ACCOUNT, LTM_JOB_REPORT,
                                                 e->set.report_minute)
                                     : LTM_OK;
}

int engine_new(const engine_settings *settings, sched_accounts *accounts, ledger *l,
               engine_publish_fn publish, void *ctx, const char *client_id, engine **out)
{
    engine *e = calloc(1, sizeof *e);
    if (!e)
        return LTM_ENOMEM;
    e->set = *settings;
    e->accounts = *accounts;
    memset(accounts, 0, sizeof *accounts);
    e->l = l;
    e->publish = publish;
    e->ctx = ctx;
    snprintf(e->client_id, sizeof e->client_id, "%s", client_id);
    sched_heap_init(&e->heap);
    int rc = sched_tz_open("UTC", &e->utc);
    if (rc == LTM_OK)
        rc = build_slots(e);
    if (rc != LTM_OK) {
        engine_free(e);
        return rc;
    }
    *out = e;
    return LTM_OK;
}

void engine_free(engine *e)
{
    if (!e)
        return;
    engine_discard(e);
    free(e->out);
    for (size_t i = e->armed_head; i < e->armed_count; i++)
        armed_free(&e->armed[i]);
    free(e->armed);
    sched_heap_clear(&e->heap);
    free(e->slots);
    sched_tz_free(e->utc);
    sched_accounts_clear(&e->accounts);
    free(e);
}

ledger *engine_ledger(engine *e) { return e->l; }
const engine_settings *engine_get_settings(const engine *e) { return &e->set; }
size_t engine_slot_count(const engine *e) { return e->slot_count; }
void engine_get_counters(const engine *e, engine_counters *out) { *out = e->c; }

static const sched_account *slot_account(const engine *e, const slot *s)
{
    return s->account == REPORT_ACCOUNT ? NULL : &e->accounts.items[s->account];
}

static int64_t slot_next(const engine *e, const slot *s, int64_t after_ms)
{
    const sched_account *a = slot_account(e, s);
    return a ? sched_next_fire(a->tz, a->weekdays, s->minute, after_ms)
             : sched_next_fire(e->utc, SCHED_ALL_DAYS, s->minute, after_ms);
}

static void slot_job_id(const engine *e, const slot *s, int64_t at_ms, char *out, size_t size)
{
    char iso[24];
    engine_format_slot(at_ms, iso);
    const sched_account *a = slot_account(e, s);
    if (a)
        snprintf(out, size, "%s:%s:%s", ltm_job_kind_name((ltm_job_kind)s->kind), a->name, iso);
    else
        snprintf(out, size, "report:%.10s", iso);
}

static void init_job(ledger_job *j, const engine *e, const slot *s, int64_t at_ms, int64_t now)
{
    memset(j, 0, sizeof *j);
    slot_job_id(e, s, at_ms, j->job_id, sizeof j->job_id);
    j->kind = (ltm_job_kind)s->kind;
    const sched_account *a = slot_account(e, s);
    snprintf(j->account, sizeof j->account, "%s", a ? a->name : "");
    j->slot_ms = at_ms;
    j->max_attempts = e->set.max_attempts;
    j->due_ms = at_ms;
    snprintf(j->origin, sizeof j->origin, "%s", a ? "schedule" : "system");
    j->created_ms = now;
}

/* Why a post slot must not go out under the account's daily limits, or
 * NULL. Both limits look at posts dispatched (or waiting) in the ledger, so
 * on-demand posts count too. */
static const char *post_limit(engine *e, const sched_account *a, int64_t at_ms, char *why,
                              size_t size)
{
    if (a->max_posts_per_day > 0) {
        sched_local day;
        sched_tz_local(a->tz, at_ms, &day);
        int64_t start = sched_tz_resolve(a->tz, day.year, day.month, day.day, 0);
        int y, m, d;
        sched_civil_from_days(sched_days_from_civil(day.year, day.month, day.day) + 1, &y, &m, &d);
        int64_t end = sched_tz_resolve(a->tz, y, m, d, 0);
        int count = 0;
        if (ledger_count_posts(e->l, a->name, start, end, &count) == LTM_OK &&
            count >= a->max_posts_per_day) {
            snprintf(why, size, "daily limit: %d posts already on this local day (max_posts_per_day)",
                     count);
            return why;
        }
    }
    if (a->min_minutes_between_posts > 0) {
        int64_t last = 0;
        if (ledger_last_post(e->l, a->name, at_ms, &last) == LTM_OK && last > 0 &&
            at_ms - last < (int64_t)a->min_minutes_between_posts * 60000) {
            snprintf(why, size, "daily limit: previous post %lld min earlier (min_minutes_between_posts %d)",
                     (long long)((at_ms - last) / 60000), a->min_minutes_between_posts);
            return why;
        }
    }
    return NULL;
}

/* Records a due slot occurrence as a job and, when nothing holds it back,
 * dispatches its first attempt in the same write. */
static int fire_slot(engine *e, const slot *s, int64_t at_ms, int64_t now)
{
    ledger_job j;
    init_job(&j, e, s, at_ms, now);
    snprintf(j.state, sizeof j.state, "%s", LEDGER_WAITING);
    const sched_account *a = slot_account(e, s);
    char why[200];
    int paused = 0;
    int64_t until = 0;
    if (a)
        ledger_pause_get(e->l, a->name, &paused, &until);
    /* A paused account's slots are recorded as skipped, not held: resuming
     * must not release a backlog of stale posts. */
    if (a && (paused || a->paused)) {
        snprintf(j.state, sizeof j.state, "skipped");
        snprintf(j.reason, sizeof j.reason, "account paused");
        j.due_ms = 0;
    } else if (a && s->kind == LTM_JOB_POST && post_limit(e, a, at_ms, why, sizeof why)) {
        snprintf(j.state, sizeof j.state, "skipped");
        snprintf(j.reason, sizeof j.reason, "%s", why);
        j.due_ms = 0;
    }
    int waiting = strcmp(j.state, LEDGER_WAITING) == 0;
    if (waiting && until <= now)
        return engine_dispatch_new(e, &j, now);
    /* A skipped slot keeps its reason: the rate limit only delays the ones
     * that go out. */
    if (waiting) {
        j.due_ms = until;
        snprintf(j.reason, sizeof j.reason, "account rate limited");
    }
    int rc = ledger_job_insert(e->l, &j);
    if (rc == 1 && strcmp(j.state, "skipped") == 0) {
        e->c.skipped++;
        ltm_info("slot skipped", "job_id", j.job_id, "reason", j.reason);
    }
    return rc < 0 ? rc : LTM_OK;
}

static int record_missed(engine *e, const slot *s, int64_t at_ms, int64_t now)
{
    ledger_job j;
    init_job(&j, e, s, at_ms, now);
    snprintf(j.state, sizeof j.state, "missed");
    j.due_ms = 0;
    snprintf(j.reason, sizeof j.reason, "%s", MISSED_REASON);
    int rc = ledger_job_insert(e->l, &j);
    if (rc != 1)
        return rc < 0 ? rc : LTM_OK;
    e->c.missed++;
    ltm_warn("slot missed", "job_id", j.job_id, "reason", j.reason);
    return engine_final_result(e, &j, LTM_RESULT_MISSED, "missed", j.reason, now);
}

/* Occurrences between the last instant the ledger saw us alive and now:
 * those within the grace period are dispatched once (the job id makes a
 * second start harmless), older ones are recorded and reported as missed. */
static int catch_up(engine *e, const slot *s, int64_t last_alive, int64_t now, int64_t *next)
{
    int64_t t = slot_next(e, s, last_alive);
    int recorded = 0;
    for (; t >= 0 && t <= now; t = slot_next(e, s, t)) {
        /* The cap bounds the missed records, never the occurrences still
         * within the grace period (the newest ones). */
        int rc = now - t <= e->set.grace_ms       ? fire_slot(e, s, t, now)
                 : recorded++ < MAX_MISSED_PER_SLOT ? record_missed(e, s, t, now)
                                                    : LTM_OK;
        if (rc != LTM_OK)
            return rc;
    }
    *next = t;
    return LTM_OK;
}

int engine_start(engine *e, int64_t now)
{
    int64_t last_alive = -1;
    int have_last = ledger_meta_get_int(e->l, "last_alive_ms", &last_alive) == LTM_OK;
    int64_t sent = -1;
    int have_sent = ledger_meta_get_int(e->l, "sent_through_ms", &sent) == LTM_OK;
    if (ledger_begin(e->l) != LTM_OK)
        return LTM_EDB;
    /* Held jobs wait for a pause to end, and the accounts file may have
     * ended it (or removed the account) while we were down: they are looked
     * at again now, and those still paused are held again. */
    int rc = ledger_release_held(e->l, NULL, now);
    /* Slots armed before a crash whose instant the process never reached
     * (dispatched after "sent_through_ms") were never handed to MQTT: they
     * are forgotten and fire again below, or when due, like any slot. Their
     * instants all lie after last_alive_ms (it never passes an armed slot
     * not yet sent), so the catch-up covers those already past. */
    int disarmed = 0;
    if (rc == LTM_OK && have_sent)
        rc = ledger_disarm(e->l, sent, &disarmed);
    if (rc == LTM_OK && disarmed > 0)
        ltm_warn("armed jobs never sent before the restart are recorded again", "jobs",
                 LTM_INT(disarmed), "sent_through_ms", LTM_INT(sent));
    e->sent_through_ms = have_sent && sent > now ? sent : now;
    for (size_t i = 0; i < e->slot_count && rc == LTM_OK; i++) {
        int64_t next = -1;
        if (have_last && last_alive < now)
            rc = catch_up(e, &e->slots[i], last_alive, now, &next);
        else
            next = slot_next(e, &e->slots[i], now);
        if (rc == LTM_OK && next >= 0)
            rc = sched_heap_push(&e->heap, next, (uint32_t)i);
    }
    if (rc == LTM_OK)
        rc = ledger_meta_set_int(e->l, "last_alive_ms", now);
    if (rc == LTM_OK)
        rc = ledger_meta_set_int(e->l, "sent_through_ms", e->sent_through_ms);
    if (rc == LTM_OK && (rc = ledger_commit(e->l)) == LTM_OK) {
        e->alive_written_ms = e->alive_committed_ms = now;
        engine_flush(e);
        return LTM_OK;
    }
    ledger_rollback(e->l);
    engine_discard(e);
    return rc;
}

static int run_slots(engine *e, int64_t now, int batch, int *more)
{
    const sched_heap_entry *top;
    int fired = 0;
    while ((top = sched_heap_top(&e->heap)) && top->due_ms <= now) {
        if (fired++ == batch) {
            *more = 1;
            break;
        }
        sched_heap_entry due;
        sched_heap_pop(&e->heap, &due);
        const slot *s = &e->slots[due.id];
        /* The same policy as at start when the process was stopped rather
         * than down (a suspended VM, a clock that jumped forward). */
        int rc = now - due.due_ms > e->set.grace_ms ? record_missed(e, s, due.due_ms, now)
                                                     : fire_slot(e, s, due.due_ms, now);
        int64_t next = slot_next(e, s, due.due_ms);
        if (next >= 0 && sched_heap_push(&e->heap, next, due.id) != LTM_OK)
            rc = LTM_ENOMEM;
        if (rc != LTM_OK)
            return rc;
    }
    return LTM_OK;
}

static int run_due_jobs(engine *e, int64_t now, int batch, int *more)
{
    char **ids;
    int count;
    int rc = ledger_due_jobs(e->l, now, batch, &ids, &count);
    for (int i = 0; i < count; i++) {
        if (rc == LTM_OK)
            rc = engine_process_due(e, ids[i], now);
        free(ids[i]);
    }
    free(ids);
    *more |= count == batch;
    return rc;
}

/* The instant written as "last_alive_ms" with a batch: the missed-slot
 * policy at the next start takes every slot up to it as recorded, so while
 * slots due by now are still in the queue (the burst goes on in the next
 * batch) it stays just before the earliest of them. Slots of that instant
 * that did make it are fired again harmlessly: their job ids exist. */
static int64_t alive_mark(const engine *e, int64_t now)
{
    const sched_heap_entry *top = sched_heap_top(&e->heap);
    return top && top->due_ms <= now ? top->due_ms - 1 : now;
}

/* After a batch was rolled back the queue has moved past slots the ledger
 * never recorded: it is rebuilt from the last committed mark, as at a
 * start, and the next pass fires them (once: the job ids dedupe). */
static void rewind_slots(engine *e)
{
    e->heap.count = 0;
    for (size_t i = 0; i < e->slot_count; i++) {
        int64_t next = slot_next(e, &e->slots[i], e->alive_committed_ms);
        if (next >= 0 && sched_heap_push(&e->heap, next, (uint32_t)i) != LTM_OK)
            ltm_error("cannot rebuild the slot queue", "error", "out of memory");
    }
}

/* One transaction per pass: a batch of dispatches costs one fsync, and
 * nothing is published before the ledger holds it. */
/* Whether engine_run has anything to write: a due slot or job, or the
 * once-a-second note that we are alive (the missed-slot policy reads it). */
static int has_work(engine *e, int64_t now)
{
    const sched_heap_entry *top = sched_heap_top(&e->heap);
    int64_t due;
    return (top && top->due_ms <= now) || now - e->alive_written_ms >= 1000 ||
           now < e->alive_written_ms ||
           (ledger_next_due(e->l, &due) == LTM_OK && due <= now);
}

#define PRUNE_BATCH 2000
#define PRUNE_EVERY_MS 3600000

/* Old final jobs leave the ledger in small transactions, so the loop never
 * stalls on a big delete; a full batch means more is left, soon. */
static void prune(engine *e, int64_t now)
{
    if (e->set.retention_ms <= 0 || now < e->next_prune_ms)
        return;
    int deleted = 0;
    int rc = ledger_begin(e->l);
    if (rc == LTM_OK)
        rc = ledger_prune(e->l, now - e->set.retention_ms, PRUNE_BATCH, &deleted);
    if (rc == LTM_OK)
        rc = ledger_commit(e->l);
    if (rc != LTM_OK) {
        ledger_rollback(e->l);
        e->c.ledger_errors++;
        deleted = 0;
    }
    e->c.pruned += (uint64_t)deleted;
    e->next_prune_ms = now + (deleted >= PRUNE_BATCH ? 1000 : PRUNE_EVERY_MS);
    if (deleted > 0)
        ltm_info("ledger pruned", "rows", LTM_INT(deleted), "older_than_ms",
                 LTM_INT(e->set.retention_ms));
}

/* Hands the armed jobs now due to MQTT: nothing to write for them but the
 * note that they may be out ("sent_through_ms"), which a restart reads to
 * tell armed jobs never sent (recorded again) from those that may have
 * been (left to their lease). The note is committed without waiting for
 * the disk: a process crash keeps it; a power loss may lose it, and the
 * jobs then go out again with the same job id and attempt, which workers
 * take as the duplicate delivery QoS 1 allows anyway. */
/* Armed slots found more than the grace period late (the process was
 * frozen, the clock jumped forward) are missed, as they would be unarmed. */
static int miss_stale_armed(engine *e, int64_t now)
{
    /* The list is in slot order: the oldest is first. */
    size_t i = e->armed_head;
    if (i == e->armed_count || now - e->armed[i].due_ms <= e->set.grace_ms)
        return LTM_OK;
    int rc = ledger_begin(e->l);
    for (; rc == LTM_OK && i < e->armed_count; i++) {
        armed_job *a = &e->armed[i];
        if (now - a->due_ms <= e->set.grace_ms)
            continue;
        rc = take_back(e, a, "missed", 0, MISSED_REASON, now);
        if (rc == LTM_OK) {
            e->c.missed++;
            ltm_warn("slot missed", "job_id", a->job_id, "reason", MISSED_REASON);
        }
    }
    return engine_finish(e, rc);
}

static int publish_armed(engine *e, int64_t now)
{
    int rc = miss_stale_armed(e, now);
    if (rc != LTM_OK)
        return rc;
    size_t end = e->armed_head;
    while (end < e->armed_count && e->armed[end].due_ms <= now)
        end++;
    if (end == e->armed_head)
        return LTM_OK;
    int64_t through = e->armed[end - 1].due_ms;
    if (through > e->sent_through_ms) {
        if (ledger_meta_set_int_nosync(e->l, "sent_through_ms", through) != LTM_OK) {
            e->c.ledger_errors++;
            return LTM_EDB;
        }
        e->sent_through_ms = through;
    }
    for (size_t i = e->armed_head; i < end; i++) {
        e->publish(e->ctx, e->armed[i].topic, e->armed[i].json);
        e->armed[i].json = NULL;
    }
    /* Logged once every job of the instant is out. */
    for (size_t i = e->armed_head; i < end; i++) {
        /* Outside any transaction: a later rollback must not take it back. */
        e->c.dispatched++;
        e->committed.dispatched++;
        ltm_info("job dispatched", "job_id", e->armed[i].job_id, "attempt", LTM_INT(1),
                 "lateness_ms", LTM_INT(now - e->armed[i].due_ms), "armed", "true");
        armed_free(&e->armed[i]);
    }
    e->armed_head = end;
    /* Slots keep being armed while earlier ones go out: the array moves
     * back to its start once the sent part is the larger, so it stays
     * the size of what is armed. */
    if (e->armed_head * 2 >= e->armed_count) {
        memmove(e->armed, e->armed + e->armed_head,
                (e->armed_count - e->armed_head) * sizeof *e->armed);
        e->armed_count -= e->armed_head;
        e->armed_head = 0;
    }
    return LTM_OK;
}

/* Records one batch of the slots due within dispatch_ahead_ms, each as the
 * job and first attempt it would get at its instant, in one transaction;
 * the messages wait in memory for their instant. */
static int arm_slots(engine *e, int64_t now)
{
    const sched_heap_entry *top = sched_heap_top(&e->heap);
    if (e->set.dispatch_ahead_ms <= 0 || !top || top->due_ms <= now ||
        top->due_ms > now + e->set.dispatch_ahead_ms)
        return LTM_OK;
    if (ledger_begin(e->l) != LTM_OK) {
        e->c.ledger_errors++;
        return LTM_EDB;
    }
    size_t before = e->armed_count;
    int rc = LTM_OK, n = 0;
    e->arming = 1;
    while (rc == LTM_OK && n++ < ARM_BATCH && (top = sched_heap_top(&e->heap)) &&
           top->due_ms > now && top->due_ms <= now + e->set.dispatch_ahead_ms) {
        sched_heap_entry due;
        sched_heap_pop(&e->heap, &due);
        const slot *s = &e->slots[due.id];
        e->arm_due_ms = due.due_ms;
        rc = fire_slot(e, s, due.due_ms, due.due_ms);
        int64_t next = slot_next(e, s, due.due_ms);
        if (next >= 0 && sched_heap_push(&e->heap, next, due.id) != LTM_OK && rc == LTM_OK)
            rc = LTM_ENOMEM;
    }
    e->arming = 0;
    if (rc == LTM_OK)
        rc = ledger_commit(e->l);
    if (rc != LTM_OK) {
        ledger_rollback(e->l);
        for (size_t i = before; i < e->armed_count; i++)
            armed_free(&e->armed[i]);
        e->armed_count = before;
        engine_discard(e);
        rewind_slots(e);
        e->c.ledger_errors++;
        return rc;
    }
    if (e->armed_count > before) {
        char iso[24];
        engine_format_slot(e->armed[before].due_ms, iso);
        ltm_info("slots armed", "jobs", LTM_INT((int64_t)(e->armed_count - before)), "first_due",
                 iso);
    }
    engine_flush(e);
    return LTM_OK;
}

int engine_run(engine *e, int64_t now)
{
    /* First, before anything may write a later "last_alive_ms". */
    int rc = publish_armed(e, now);
    if (rc != LTM_OK)
        return rc;
    prune(e, now);
    if (!has_work(e, now))
        return arm_slots(e, now);
    e->alive_written_ms = now;
    int more = 1;
    for (int batch = FIRST_BATCH; more; batch = batch * 2 > MAX_BATCH ? MAX_BATCH : batch * 2) {
        more = 0;
        if (ledger_begin(e->l) != LTM_OK) {
            e->c.ledger_errors++;
            return LTM_EDB;
        }
        rc = run_slots(e, now, batch, &more);
        if (rc == LTM_OK)
            rc = run_due_jobs(e, now, batch, &more);
        int64_t mark = alive_mark(e, now);
        if (rc == LTM_OK)
            rc = ledger_meta_set_int(e->l, "last_alive_ms", mark);
        /* What this batch dispatches goes out after the commit: a restart
         * must take it as possibly sent. */
        int64_t sent = now > e->sent_through_ms ? now : e->sent_through_ms;
        if (rc == LTM_OK)
            rc = ledger_meta_set_int(e->l, "sent_through_ms", sent);
        if (rc == LTM_OK)
            rc = ledger_commit(e->l);
        if (rc != LTM_OK) {
            ledger_rollback(e->l);
            engine_discard(e);
            rewind_slots(e);
            e->c.ledger_errors++;
            return rc;
        }
        e->alive_committed_ms = mark;
        e->sent_through_ms = sent;
        engine_flush(e);
    }
    return arm_slots(e, now);
}

int64_t engine_next_wake(engine *e, int64_t now, int64_t cap_ms)
{
    int64_t wake = now + cap_ms;
    const sched_heap_entry *top = sched_heap_top(&e->heap);
    if (top && top->due_ms < wake)
        wake = top->due_ms;
    if (top && e->set.dispatch_ahead_ms > 0 && top->due_ms - e->set.dispatch_ahead_ms < wake)
        wake = top->due_ms - e->set.dispatch_ahead_ms;
    if (e->armed_head < e->armed_count && e->armed[e->armed_head].due_ms < wake)
        wake = e->armed[e->armed_head].due_ms;
    int64_t due;
    if (ledger_next_due(e->l, &due) == LTM_OK && due < wake)
        wake = due;
    return wake > now ? wake - now : 0;
}
