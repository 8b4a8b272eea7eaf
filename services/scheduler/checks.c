/* Engagement checks (issue 15, docs/scheduler.md#engagement-checks): jobs
 * recorded when a post or story is published, one per age; dispatched when
 * due within their source's pauses and call budget; their results store
 * readings, end the checks of a deleted post, or pause and block the source.
 * A source is a channel and an account ("linkedin:acme"): the unit the
 * APIs count calls against. */
#include "engine_internal.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pause rows of sources live in the pauses table under this prefix. */
#define SOURCE_KEY_PREFIX "engagement:"
/* A story's insights are gone 24 h after its publication. */
#define STORY_LIFE_MS ENGAGEMENT_DAY_MS
/* Dispatches looked at per budget decision: far more than any window
 * allows, so the count is exact. */
#define BUDGET_SCAN_MAX 1000000
#define BLOCKS_MAX 16

static void source_name(const char *channel, const char *account, char *out, size_t size)
{
    snprintf(out, size, "%s:%s", channel, account);
}

static void source_key(const char *channel, const char *account, char *out, size_t size)
{
    snprintf(out, size, SOURCE_KEY_PREFIX "%s:%s", channel, account);
}

/* ---- recording --------------------------------------------------------- */

static void describe_post(engine *e, const ledger_job *job, const ltm_result *r, int64_t now,
                          ledger_post *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->job_id, sizeof p->job_id, "%s", job->job_id);
    snprintf(p->account, sizeof p->account, "%s", job->account);
    p->kind = job->kind;
    snprintf(p->channel, sizeof p->channel, "%s", r->channel);
    snprintf(p->remote_id, sizeof p->remote_id, "%s", r->remote_id);
    p->slot_ms = job->slot_ms;
    /* The worker's clock, but never ahead of ours: a check must not wait
     * for a publication that has not happened yet by our clock. */
    p->published_ms = r->finished_ms > 0 && r->finished_ms < now ? r->finished_ms : now;
    /* The slot as the account sees it, so ranking slots is a query. */
    const sched_account *a = sched_accounts_find(&e->accounts, job->account);
    sched_local local;
    sched_tz_local(a ? a->tz : e->utc, job->slot_ms, &local);
    p->weekday = (local.wday + 6) % 7;
    p->local_minute = local.minute_of_day;
    snprintf(p->theme, sizeof p->theme, "%s", r->theme ? r->theme : "");
    snprintf(p->state, sizeof p->state, "live");
}

int checks_record(engine *e, const ledger_job *post_job, const ltm_result *r, int64_t now)
{
    if (!r->remote_id || !*r->remote_id || !r->channel || !*r->channel) {
        ltm_warn("published without a remote id or channel: no engagement checks", "job_id",
                 post_job->job_id);
        return LTM_OK;
    }
    ledger_post p;
    describe_post(e, post_job, r, now, &p);
    int rc = ledger_post_insert(e->l, &p);
    if (rc <= 0) /* recorded already (a repeated result): so are its checks */
        return rc;
    if (!engagement_channel_readable(p.channel)) {
        ltm_info("no engagement checks: the channel has no figures to read", "job_id", p.job_id,
                 "channel", p.channel);
        return LTM_OK;
    }
    const engagement_ages *ages =
        p.kind == LTM_JOB_STORY ? &e->set.story_ages : &e->set.post_ages;
    for (int i = 0; i < ages->count; i++) {
        ledger_job c = {0};
        int n = snprintf(c.job_id, sizeof c.job_id, "engagement:%s@%s", p.job_id,
                         ages->items[i].label);
        if (n < 0 || (size_t)n >= sizeof c.job_id) /* ids are bounded well below: a bug */
            return LTM_EINVAL;
        c.kind = LTM_JOB_ENGAGEMENT;
        snprintf(c.account, sizeof c.account, "%s", p.account);
        c.slot_ms = p.published_ms + ages->items[i].ms;
        snprintf(c.state, sizeof c.state, "%s", LEDGER_WAITING);
        c.max_attempts = e->set.max_attempts;
        c.due_ms = c.slot_ms;
        snprintf(c.origin, sizeof c.origin, "system");
        c.created_ms = now;
        rc = ledger_job_insert(e->l, &c);
        if (rc >= 0)
            rc = ledger_check_insert(e->l, c.job_id, p.job_id, ages->items[i].ms);
        if (rc < 0)
            return rc;
    }
    ltm_info("engagement checks recorded", "job_id", p.job_id, "channel", p.channel, "checks",
             LTM_INT(ages->count));
    return LTM_OK;
}

/* ---- source pauses, blocks and their alerts ---------------------------- */

static int alert(engine *e, const char *what, const ledger_post *p, int firing,
                 const char *summary, int64_t since, int64_t now)
{
    char key[128];
    snprintf(key, sizeof key, "engagement.%s.%s.%s", what, p->channel, p->account);
    ltm_alert a = {0};
    a.key = key;
    a.firing = firing;
    a.severity = "warning";
    a.summary = (char *)summary;
    a.source = "scheduler";
    a.since_ms = since;
    a.at_ms = now;
    ltm_log(firing ? LTM_LOG_WARN : LTM_LOG_INFO, firing ? "alert raised" : "alert resolved",
            "key", key, "summary", summary, NULL);
    /* Queued: it goes out with the commit that records the pause. */
    return engine_queue(e, "ltm/alerts", ltm_alert_encode(&a));
}

static int is_quota(const char *reason)
{
    return strncmp(reason, "quota", 5) == 0;
}

/* Holds the source's checks back until until_ms. A quota pause raises one
 * alert per episode: the row keeps saying "quota" until a check of the
 * source is read again, whatever pauses come in between. */
static int pause_source(engine *e, const ledger_post *p, const char *cause, const char *error,
                        int64_t until, int64_t now)
{
    char key[128], old_reason[256], source[128];
    int blocked = 0;
    int64_t old_until = 0, since = 0;
    source_key(p->channel, p->account, key, sizeof key);
    source_name(p->channel, p->account, source, sizeof source);
    int rc = ledger_pause_read(e->l, key, &blocked, &old_until, old_reason, sizeof old_reason,
                               &since);
    if (rc != LTM_OK)
        return rc;
    int quota = strcmp(cause, "quota") == 0;
    int alerted = is_quota(old_reason);
    char reason[256];
    if (alerted || blocked) /* the episode (or the block) goes on */
        snprintf(reason, sizeof reason, "%s", old_reason);
    else
        snprintf(reason, sizeof reason, "%s: %.200s", quota ? "quota exhausted" : cause,
                 error ? error : "");
    if (old_until > until)
        until = old_until;
    rc = ledger_pause_set(e->l, key, blocked, until, reason, now);
    char at[LTM_ISO_SIZE];
    ltm_time_format_iso(until, at);
    ltm_warn("engagement source paused", "source", source, "until", at, "reason", reason);
    if (rc != LTM_OK || !quota || alerted || blocked)
        return rc;
    char summary[700];
    snprintf(summary, sizeof summary,
             "%s API quota for engagement checks of account %s exhausted: checks paused until "
             "%s (%.200s)",
             p->channel, p->account, at, error ? error : "no detail");
    return alert(e, "quota", p, 1, summary, now, now);
}

/* A token without the analytics scope: reading is stopped for the source
 * until an operator fixes it and resumes the account. */
static int block_source(engine *e, const ledger_post *p, const char *error, int64_t now)
{
    char key[128], old_reason[256];
    int blocked = 0;
    int64_t until = 0, since = 0;
    source_key(p->channel, p->account, key, sizeof key);
    int rc = ledger_pause_read(e->l, key, &blocked, &until, old_reason, sizeof old_reason, &since);
    if (rc != LTM_OK || blocked)
        return rc;
    char reason[256];
    snprintf(reason, sizeof reason, "permission: %.200s", error ? error : "");
    rc = ledger_pause_set(e->l, key, 1, until, reason, now);
    if (rc != LTM_OK)
        return rc;
    char summary[700];
    /* The block replaces the row that remembered the quota episode: close
     * the episode now, or its alert would fire forever. */
    if (is_quota(old_reason)) {
        snprintf(summary, sizeof summary,
                 "%s API quota episode of account %s closed: the source is blocked by a "
                 "permission error instead (see engagement.permission.%s.%s)",
                 p->channel, p->account, p->channel, p->account);
        rc = alert(e, "quota", p, 0, summary, since, now);
        if (rc != LTM_OK)
            return rc;
    }
    snprintf(summary, sizeof summary,
             "%s token of account %s cannot read post figures (%.200s): engagement checks "
             "stopped; fix the token's scope, then ltmctl resume %s",
             p->channel, p->account, error ? error : "permission denied", p->account);
    return alert(e, "permission", p, 1, summary, now, now);
}

/* A check of the source was read: a quota episode that has ended is
 * resolved, an expired rate-limit pause forgotten. */
static int source_read(engine *e, const ledger_post *p, int64_t now)
{
    char key[128], reason[256];
    int blocked = 0;
    int64_t until = 0, since = 0;
    source_key(p->channel, p->account, key, sizeof key);
    int rc = ledger_pause_read(e->l, key, &blocked, &until, reason, sizeof reason, &since);
    if (rc != LTM_OK || blocked || until > now || (!until && !reason[0]))
        return rc;
    rc = ledger_pause_delete(e->l, key);
    if (rc != LTM_OK || !is_quota(reason))
        return rc;
    char summary[300];
    snprintf(summary, sizeof summary,
             "%s API quota for engagement checks of account %s available again: a check was read",
             p->channel, p->account);
    return alert(e, "quota", p, 0, summary, since, now);
}

typedef struct {
    const char *account;
    char keys[BLOCKS_MAX][128];
    int count;
} blocks;

static int collect_block(void *ctx, const char *key, int paused, int64_t until_ms,
                         const char *reason, int64_t updated_ms)
{
    (void)until_ms;
    (void)reason;
    (void)updated_ms;
    blocks *b = ctx;
    const char *colon = strchr(key + strlen(SOURCE_KEY_PREFIX), ':');
    if (paused && colon && strcmp(colon + 1, b->account) == 0 && b->count < BLOCKS_MAX)
        snprintf(b->keys[b->count++], sizeof b->keys[0], "%s", key);
    return 0;
}

int checks_resume(engine *e, const char *account, int64_t now)
{
    blocks b = {.account = account};
    int rc = ledger_pauses_walk(e->l, SOURCE_KEY_PREFIX, collect_block, &b);
    for (int i = 0; rc == LTM_OK && i < b.count; i++) {
        ledger_post p = {0};
        const char *channel = b.keys[i] + strlen(SOURCE_KEY_PREFIX);
        snprintf(p.channel, sizeof p.channel, "%.*s", (int)(strchr(channel, ':') - channel),
                 channel);
        snprintf(p.account, sizeof p.account, "%s", account);
        rc = ledger_pause_delete(e->l, b.keys[i]);
        char summary[300];
        snprintf(summary, sizeof summary,
                 "engagement checks of %s account %s unblocked by ltmctl resume", p.channel,
                 account);
        if (rc == LTM_OK)
            rc = alert(e, "permission", &p, 0, summary, now, now);
    }
    return rc;
}

/* ---- dispatch ---------------------------------------------------------- */

#define GONE_WHY "the post was deleted on the network: not read"

/* Ends a check gone without a call: the scheduler publishes its final
 * result, so the notifier and the gateway see every check end. */
static int end_check_gone(engine *e, ledger_job *j, const char *why, int64_t now)
{
    engine_set_state(j, "gone", 0, why);
    int rc = ledger_job_update(e->l, j, now);
    e->c.checks_gone++;
    return rc != LTM_OK ? rc : engine_final_result(e, j, LTM_RESULT_GONE, NULL, why, now);
}

/* The post is gone: j ends gone (with a final result of ours unless the
 * worker's gone result ended it), and so does every other active check of
 * the post. */
static int end_gone(engine *e, ledger_job *j, const char *post_job_id, const char *why,
                    int worker_said, int64_t now)
{
    int rc;
    if (worker_said) {
        engine_set_state(j, "gone", 0, why);
        rc = ledger_job_update(e->l, j, now);
        e->c.checks_gone++;
    } else {
        rc = end_check_gone(e, j, why, now);
    }
    if (rc == LTM_OK)
        rc = ledger_post_set_state(e->l, post_job_id, "gone");
    int ended = 0;
    char id[sizeof j->job_id];
    /* Each turn ends the check it found, so the loop ends. */
    while (rc == LTM_OK && (rc = ledger_check_next_active(e->l, post_job_id, id, sizeof id)) ==
                               LTM_OK) {
        ledger_job other;
        rc = ledger_job_get(e->l, id, &other);
        if (rc == LTM_OK) {
            rc = end_check_gone(e, &other, GONE_WHY, now);
            ledger_job_clear(&other);
            ended++;
        }
    }
    if (rc == LTM_ENOTFOUND)
        rc = LTM_OK;
    ltm_info("post gone: its checks end", "job_id", j->job_id, "post_job_id", post_job_id,
             "other_checks_ended", LTM_INT(ended));
    return rc;
}

static int defer(engine *e, ledger_job *j, int64_t due, const char *why, int64_t now)
{
    engine_set_state(j, LEDGER_WAITING, due, why);
    return ledger_job_update(e->l, j, now);
}

/* Room in the source's call budget now, or the instant there will be. */
static int budget_room(engine *e, const ledger_post *p, int64_t now, int64_t *room)
{
    *room = now;
    const engagement_limit *limit = engagement_budget_find(&e->set.budget, p->channel);
    if (!limit)
        return LTM_OK;
    int64_t *times = NULL;
    int count = 0;
    int rc = ledger_check_dispatches(e->l, p->account, p->channel, now - limit->window_ms,
                                     BUDGET_SCAN_MAX, &times, &count);
    if (rc == LTM_OK)
        *room = engagement_budget_next(limit, engagement_check_cost(p->channel), times, count,
                                       now);
    free(times);
    return rc;
}

int checks_gate(engine *e, ledger_job *j, check_target *t, int64_t now)
{
    int rc = ledger_check_get(e->l, j->job_id, &t->post, &t->age_ms);
    if (rc == LTM_ENOTFOUND)
        return engine_fail_final(e, j, "internal", "the ledger has no record of the post to read",
                                 1, now);
    if (rc != LTM_OK)
        return rc;
    const ledger_post *p = &t->post;
    if (strcmp(p->state, "gone") == 0)
        return end_gone(e, j, p->job_id, GONE_WHY, 0, now);
    char why[512], at[LTM_ISO_SIZE], source[128];
    if (p->kind == LTM_JOB_STORY && now >= p->published_ms + STORY_LIFE_MS) {
        snprintf(why, sizeof why,
                 "not read: the story's insights are gone 24 h after its publication (%s)",
                 ltm_time_format_iso(p->published_ms, at));
        return engine_fail_final(e, j, "expired", why, 1, now);
    }
    char key[128], reason[256];
    int blocked = 0;
    int64_t until = 0, since = 0;
    source_key(p->channel, p->account, key, sizeof key);
    source_name(p->channel, p->account, source, sizeof source);
    rc = ledger_pause_read(e->l, key, &blocked, &until, reason, sizeof reason, &since);
    if (rc != LTM_OK)
        return rc;
    if (blocked) {
        snprintf(why, sizeof why, "not read: %s cannot read figures (%.120s); needs a person: "
                                  "fix the token, then ltmctl resume %s",
                 source, reason, p->account);
        return engine_fail_final(e, j, "permission", why, 1, now);
    }
    if (until > now) {
        snprintf(why, sizeof why, "source %s paused until %s: %.150s", source,
                 ltm_time_format_iso(until, at), reason);
        return defer(e, j, until, why, now);
    }
    int64_t room;
    if ((rc = budget_room(e, p, now, &room)) != LTM_OK)
        return rc;
    if (room > now) {
        const engagement_limit *limit = engagement_budget_find(&e->set.budget, p->channel);
        snprintf(why, sizeof why, "budget: %s used its %lld calls per %lld s; next room at %s",
                 source, (long long)limit->calls, (long long)(limit->window_ms / 1000),
                 ltm_time_format_iso(room, at));
        e->c.checks_deferred++;
        ltm_info("engagement check deferred", "job_id", j->job_id, "reason", why);
        return defer(e, j, room, why, now);
    }
    return 1;
}

/* ---- results ----------------------------------------------------------- */

int checks_apply(engine *e, ledger_job *j, const ltm_result *r, int64_t now)
{
    check_target t;
    int rc = ledger_check_get(e->l, j->job_id, &t.post, &t.age_ms);
    if (rc == LTM_ENOTFOUND)
        return engine_fail_final(e, j, "internal", "the ledger has no record of the post read",
                                 1, now);
    if (rc != LTM_OK)
        return rc;
    const ledger_post *p = &t.post;
    if (r->status == LTM_RESULT_READ) {
        /* The ledger's post and age, not the result's copy of them. */
        rc = ledger_reading_insert(e->l, p->job_id, t.age_ms,
                                   r->finished_ms > 0 ? r->finished_ms : now, &r->figures);
        engine_set_state(j, "read", 0, NULL);
        if (rc == LTM_OK)
            rc = ledger_job_update(e->l, j, now);
        if (rc == LTM_OK)
            rc = source_read(e, p, now);
        e->c.checks_read++;
        return rc;
    }
    if (r->status == LTM_RESULT_GONE)
        return end_gone(e, j, p->job_id,
                        r->error && *r->error ? r->error
                                              : "the post no longer exists on the network",
                        1, now);
    const char *cls = r->error_class ? r->error_class : "internal";
    int limited = strcmp(cls, "rate_limited") == 0 && r->retryable;
    /* A quota or a rate limit holds the source back; the check waits
     * without losing an attempt, whatever the worker said about retrying:
     * the scheduler, which holds the budget, decides. */
    if (limited || strcmp(cls, "quota") == 0) {
        int64_t pause = limited ? e->set.rate_limit_ms : e->set.quota_pause_ms;
        int64_t until = now + (r->retry_after_ms > 0 ? r->retry_after_ms : pause);
        rc = pause_source(e, p, limited ? "rate limited" : "quota", r->error, until, now);
        char why[256], source[128];
        source_name(p->channel, p->account, source, sizeof source);
        snprintf(why, sizeof why, "source %s %s", source, limited ? "rate limited" : "out of quota");
        return rc != LTM_OK ? rc : defer(e, j, until, why, now);
    }
    if (strcmp(cls, "permission") == 0) {
        rc = block_source(e, p, r->error, now);
        return rc != LTM_OK ? rc : engine_after_failure(e, j, cls, r->error, 0, r->final, 0, now);
    }
    return engine_after_failure(e, j, cls, r->error,
                                r->status == LTM_RESULT_FAILED && r->retryable, r->final,
                                r->retry_after_ms, now);
}

/* ---- status detail ----------------------------------------------------- */

/* The detail rides on a retained status message: the broker drops one
 * over message_size_limit (256 KiB) and the scheduler then looks down.
 * Lists are capped and long strings cut so the whole stays well under
 * 64 KiB whatever the ledger holds. */
#define DETAIL_SOURCES_MAX 20
#define DETAIL_TEXT_MAX 200

/* Copies s into out (DETAIL_TEXT_MAX + 4 bytes), cut on a UTF-8 character
 * boundary and marked with "..." when longer. */
static const char *cut(const char *s, char *out)
{
    size_t n = strlen(s);
    if (n <= DETAIL_TEXT_MAX)
        return s;
    n = DETAIL_TEXT_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
    return out;
}

typedef struct {
    char source[128];
    char reason[256];
    int64_t at; /* until (paused) or since (blocked) */
} pause_row;

typedef struct {
    pause_row paused[DETAIL_SOURCES_MAX], blocked[DETAIL_SOURCES_MAX];
    int paused_n, blocked_n, paused_total, blocked_total;
    int64_t now;
} pause_lists;

/* Inserts r into rows[], kept sorted by at and cut at DETAIL_SOURCES_MAX. */
static void keep_first(pause_row *rows, int *n, const pause_row *r, int later_first)
{
    int i = *n < DETAIL_SOURCES_MAX ? (*n)++ : DETAIL_SOURCES_MAX;
    while (i > 0 && (later_first ? r->at > rows[i - 1].at : r->at < rows[i - 1].at)) {
        if (i < DETAIL_SOURCES_MAX)
            rows[i] = rows[i - 1];
        i--;
    }
    if (i < DETAIL_SOURCES_MAX)
        rows[i] = *r;
}

static int add_pause(void *ctx, const char *key, int paused, int64_t until_ms,
                     const char *reason, int64_t updated_ms)
{
    pause_lists *pl = ctx;
    if (!paused && until_ms <= pl->now)
        return 0;
    pause_row r;
    snprintf(r.source, sizeof r.source, "%s", key + strlen(SOURCE_KEY_PREFIX));
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    r.at = paused ? updated_ms : until_ms;
    /* Paused: the soonest to end first; blocked: the most recent first. */
    if (paused) {
        pl->blocked_total++;
        keep_first(pl->blocked, &pl->blocked_n, &r, 1);
    } else {
        pl->paused_total++;
        keep_first(pl->paused, &pl->paused_n, &r, 0);
    }
    return 0;
}

static void add_pause_rows(cJSON *arr, const pause_row *rows, int n, const char *at_name)
{
    char buf[DETAIL_TEXT_MAX + 4];
    for (int i = 0; i < n; i++) {
        cJSON *item = cJSON_CreateObject();
        if (!item)
            return;
        cJSON_AddItemToArray(arr, item);
        ltm_json_add_str(item, "source", rows[i].source);
        ltm_json_add_time(item, at_name, rows[i].at);
        ltm_json_add_str(item, "reason", cut(rows[i].reason, buf));
    }
}

typedef struct {
    engine *e;
    cJSON *arr;
    int left;
} recent;

static int add_post(void *ctx, const ledger_post *p, const ledger_reading *latest)
{
    recent *rp = ctx;
    if (rp->left-- <= 0)
        return 1;
    cJSON *item = cJSON_CreateObject();
    if (!item)
        return LTM_ENOMEM;
    cJSON_AddItemToArray(rp->arr, item);
    char local[16];
    engagement_slot_local(p->weekday, p->local_minute, local);
    int readings = 0;
    ledger_reading_count(rp->e->l, p->job_id, &readings);
    ltm_json_add_str(item, "job_id", p->job_id);
    ltm_json_add_str(item, "account", p->account);
    ltm_json_add_str(item, "kind", ltm_job_kind_name(p->kind));
    ltm_json_add_str(item, "channel", p->channel);
    char buf[DETAIL_TEXT_MAX + 4];
    ltm_json_add_str(item, "remote_id", cut(p->remote_id, buf));
    ltm_json_add_time(item, "published_at", p->published_ms);
    ltm_json_add_str(item, "slot_local", local);
    ltm_json_add_str(item, "theme", cut(p->theme, buf));
    ltm_json_add_str(item, "state", p->state);
    cJSON_AddNumberToObject(item, "readings", readings);
    if (!latest) {
        cJSON_AddNullToObject(item, "latest");
        return 0;
    }
    cJSON *l = cJSON_AddObjectToObject(item, "latest");
    cJSON *f = l ? cJSON_AddObjectToObject(l, "figures") : NULL;
    if (!f)
        return LTM_ENOMEM;
    cJSON_AddNumberToObject(l, "age_ms", (double)latest->age_ms);
    ltm_json_add_time(l, "read_at", latest->read_ms);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        int64_t v = ltm_figure_get(&latest->figures, i);
        if (v >= 0) /* a figure the channel does not offer stays absent */
            cJSON_AddNumberToObject(f, ltm_figure_names[i], (double)v);
    }
    return 0;
}

void checks_detail(engine *e, cJSON *o, int64_t now)
{
    cJSON *g = cJSON_AddObjectToObject(o, "engagement");
    if (!g)
        return;
    int due = 0;
    ledger_checks_waiting(e->l, &due);
    cJSON_AddNumberToObject(g, "due", due);
    cJSON_AddNumberToObject(g, "dispatched", (double)e->c.checks_dispatched);
    cJSON_AddNumberToObject(g, "read", (double)e->c.checks_read);
    cJSON_AddNumberToObject(g, "gone", (double)e->c.checks_gone);
    cJSON_AddNumberToObject(g, "failed", (double)e->c.checks_failed);
    cJSON_AddNumberToObject(g, "deferred", (double)e->c.checks_deferred);
    pause_lists *pl = calloc(1, sizeof *pl);
    if (!pl)
        return;
    pl->now = now;
    ledger_pauses_walk(e->l, SOURCE_KEY_PREFIX, add_pause, pl);
    cJSON *paused = cJSON_AddArrayToObject(g, "paused");
    if (paused)
        add_pause_rows(paused, pl->paused, pl->paused_n, "until");
    cJSON_AddNumberToObject(g, "paused_total", pl->paused_total);
    cJSON *blocked = cJSON_AddArrayToObject(g, "blocked");
    if (blocked)
        add_pause_rows(blocked, pl->blocked, pl->blocked_n, "since");
    cJSON_AddNumberToObject(g, "blocked_total", pl->blocked_total);
    free(pl);
    int shown = e->set.recent_posts < ENGINE_RECENT_POSTS_MAX ? e->set.recent_posts
                                                              : ENGINE_RECENT_POSTS_MAX;
    recent rp = {e, cJSON_AddArrayToObject(o, "recent_posts"), shown};
    /* Newest first; the walk stops after the last one shown. */
    if (rp.arr && rp.left > 0)
        ledger_posts_since(e->l, 0, NULL, add_post, &rp);
}
