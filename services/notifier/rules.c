#include "rules.h"
#include "report_engagement.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An online status whose heartbeat is older than this many intervals counts
 * as offline: the process hangs or the broker has not noticed yet. */
#define STALE_INTERVALS 3

void ntf_rules_init(ntf_rules *r, const ntf_rules_opts *opts, int64_t now_ms)
{
    memset(r, 0, sizeof *r);
    r->opts = *opts;
    r->last_success_ms = now_ms;
    r->observing_since_ms = now_ms;
}

void ntf_rules_clear(ntf_rules *r)
{
    free(r->accounts);
    free(r->instances);
    r->accounts = NULL;
    r->instances = NULL;
    r->account_count = r->instance_count = 0;
}

static ntf_account_count *account(ntf_rules *r, const char *name)
{
    for (size_t i = 0; i < r->account_count; i++) {
        if (strcmp(r->accounts[i].account, name) == 0)
            return &r->accounts[i];
    }
    ntf_account_count *p = realloc(r->accounts, (r->account_count + 1) * sizeof *p);
    if (!p)
        return NULL;
    r->accounts = p;
    ntf_account_count *a = &p[r->account_count++];
    memset(a, 0, sizeof *a);
    snprintf(a->account, sizeof a->account, "%s", name);
    return a;
}

static int failure_alerts(ntf_rules *r, ntf_engine *e, const ltm_result *res,
                          const ntf_account_count *a, int64_t now_ms)
{
    char key[129], summary[2400];
    int rc = LTM_OK;
    if (a->consecutive > r->opts.failure_threshold) {
        snprintf(key, sizeof key, "results.failures.%s", a->account);
        snprintf(summary, sizeof summary,
                 "%d consecutive final failures for account %s; last: %s %s (%s)%s%.2000s",
                 a->consecutive, a->account, ltm_job_kind_name(res->kind), res->job_id,
                 res->error_class ? res->error_class : ltm_result_status_name(res->status),
                 res->error ? ": " : "", res->error ? res->error : "");
        rc = ntf_engine_fire(e, key, NTF_CRITICAL, summary, "notifier", 0, now_ms);
    }
    if (!rc && r->overall_consecutive > r->opts.failure_threshold) {
        snprintf(summary, sizeof summary,
                 "%d consecutive final failures across all accounts; last: account %s, %s",
                 r->overall_consecutive, a->account, res->job_id);
        rc = ntf_engine_fire(e, "results.failures", NTF_CRITICAL, summary, "notifier", 0, now_ms);
    }
    return rc;
}

/* A check that keeps failing (an expired token, an API that changed)
 * leaves the figures unread: a person should know, but nothing is
 * unpublished, hence a warning of its own. A block is not such a failure:
 * the scheduler alerts once for a missing permission (then ends every check
 * of that source the same way) and re-sends checks held by a quota or a rate
 * limit; counting them would repeat its alert under another key. */
static int engagement_result(ntf_rules *r, ntf_engine *e, const ltm_result *res,
                             ntf_account_count *a, int64_t now_ms)
{
    char key[129], summary[2400];
    snprintf(key, sizeof key, "engagement.failures.%s", a->account);
    if (res->status == LTM_RESULT_READ || res->status == LTM_RESULT_GONE) {
        a->engagement_consecutive = 0;
        ntf_engine_resolve(e, key, "an engagement check succeeded again", now_ms);
        return LTM_OK;
    }
    if (!res->final || (res->status != LTM_RESULT_FAILED && res->status != LTM_RESULT_UNCONFIRMED) ||
        ltm_result_class_blocked(res->error_class))
        return LTM_OK;
    if (++a->engagement_consecutive <= r->opts.failure_threshold)
        return LTM_OK;
    snprintf(summary, sizeof summary,
             "%d consecutive engagement checks failed for account %s; last: %s (%s)%s%.2000s",
             a->engagement_consecutive, a->account, res->job_id,
             res->error_class ? res->error_class : ltm_result_status_name(res->status),
             res->error ? ": " : "", res->error ? res->error : "");
    return ntf_engine_fire(e, key, NTF_WARNING, summary, "notifier", 0, now_ms);
}

int ntf_rules_result(ntf_rules *r, ntf_engine *e, const ltm_result *res, int64_t now_ms)
{
    if (res->kind == LTM_JOB_REPORT || !res->account)
        return LTM_OK;
    ntf_account_count *a = account(r, res->account);
    if (!a)
        return LTM_ENOMEM;
    if (res->kind == LTM_JOB_ENGAGEMENT)
        return engagement_result(r, e, res, a, now_ms);
    char key[129];
    snprintf(key, sizeof key, "results.failures.%s", a->account);
    if (res->status == LTM_RESULT_PUBLISHED) {
        a->consecutive = 0;
        r->overall_consecutive = 0;
        r->last_success_ms = now_ms;
        r->due_since_ms = 0;
        ntf_engine_resolve(e, key, "a post was published again", now_ms);
        ntf_engine_resolve(e, "results.failures", "a post was published again", now_ms);
        ntf_engine_resolve(e, "results.inactive", "a post was published again", now_ms);
        return LTM_OK;
    }
    /* Any other answer means a job was due and did not succeed. */
    if (r->due_since_ms == 0)
        r->due_since_ms = now_ms;
    int failed = res->status == LTM_RESULT_FAILED || res->status == LTM_RESULT_UNCONFIRMED;
    if (!res->final || !failed)
        return LTM_OK;
    a->consecutive++;
    r->overall_consecutive++;
    return failure_alerts(r, e, res, a, now_ms);
}

int ntf_instance_online(const ntf_instance *in, int64_t now_ms)
{
    if (!in->online)
        return 0;
    int64_t interval = in->interval_ms > 0 ? in->interval_ms : 10000;
    return now_ms - in->heartbeat_ms <= STALE_INTERVALS * interval;
}

int ntf_rules_status(ntf_rules *r, const char *service, const char *instance,
                     const ltm_status *st, int64_t now_ms)
{
    ntf_instance *in = NULL;
    size_t i;
    for (i = 0; i < r->instance_count; i++) {
        if (strcmp(r->instances[i].service, service) == 0 &&
            strcmp(r->instances[i].instance, instance) == 0) {
            in = &r->instances[i];
            break;
        }
    }
    if (!st) {
        if (in) {
            memmove(in, in + 1, (r->instance_count - i - 1) * sizeof *in);
            r->instance_count--;
        }
        return LTM_OK;
    }
    if (!in) {
        ntf_instance *p = realloc(r->instances, (r->instance_count + 1) * sizeof *p);
        if (!p)
            return LTM_ENOMEM;
        r->instances = p;
        in = &p[r->instance_count++];
        memset(in, 0, sizeof *in);
        snprintf(in->service, sizeof in->service, "%s", service);
        snprintf(in->instance, sizeof in->instance, "%s", instance);
    }
    int was_online = in->online;
    in->online = st->online;
    in->started_ms = st->started_ms;
    /* A status without heartbeat_at is as fresh as its arrival. */
    in->heartbeat_ms = st->heartbeat_ms > 0 ? st->heartbeat_ms : now_ms;
    in->interval_ms = st->heartbeat_interval_ms;
    if (!st->online && (was_online || in->offline_since_ms == 0)) {
        /* The offline status carries the time it was written (a clean stop)
         * or the time the Will was prepared at start (a crash): the later of
         * that and the last heartbeat we saw is the best estimate. */
        int64_t t = st->heartbeat_ms > 0 && st->heartbeat_ms <= now_ms ? st->heartbeat_ms : now_ms;
        in->offline_since_ms = t;
    }
    if (st->online)
        in->offline_since_ms = 0;
    return LTM_OK;
}

static int64_t offline_since(const ntf_instance *in)
{
    if (!in->online)
        return in->offline_since_ms;
    int64_t interval = in->interval_ms > 0 ? in->interval_ms : 10000;
    return in->heartbeat_ms + interval;
}

static void forget_old(ntf_rules *r, int64_t now_ms)
{
    for (size_t i = 0; i < r->instance_count;) {
        ntf_instance *in = &r->instances[i];
        if (!ntf_instance_online(in, now_ms) && now_ms - offline_since(in) > r->opts.forget_after_ms) {
            memmove(in, in + 1, (r->instance_count - i - 1) * sizeof *in);
            r->instance_count--;
            continue;
        }
        i++;
    }
}

/* A service is down when none of its instances is online; it went down when
 * the last of them went offline. The grace counts at least from our own
 * start: after a restart of the whole system the retained statuses still say
 * "offline since hours ago" for services that are just starting. */
static int check_service(ntf_rules *r, ntf_engine *e, const char *service, int64_t now_ms)
{
    if (r->opts.self_service && strcmp(service, r->opts.self_service) == 0)
        return LTM_OK;
    int64_t down_since = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->instance_count; i++) {
        const ntf_instance *in = &r->instances[i];
        if (strcmp(in->service, service) != 0)
            continue;
        if (ntf_instance_online(in, now_ms))
            return LTM_OK;
        n++;
        if (offline_since(in) > down_since)
            down_since = offline_since(in);
    }
    char key[129];
    snprintf(key, sizeof key, "service.down.%s", service);
    int64_t counted_from = down_since > r->observing_since_ms ? down_since : r->observing_since_ms;
    if (n == 0 || now_ms - counted_from <= r->opts.offline_grace_ms || ntf_engine_is_firing(e, key))
        return LTM_OK;
    char summary[300];
    snprintf(summary, sizeof summary, "no instance of %s is online (%zu known, all offline)",
             service, n);
    return ntf_engine_fire(e, key, NTF_CRITICAL, summary, "notifier", down_since, now_ms);
}

static int resolve_services(ntf_rules *r, ntf_engine *e, int64_t now_ms)
{
    for (size_t i = 0; i < e->count; i++) {
        const ntf_alert *a = &e->items[i];
        if (!a->firing || strncmp(a->key, "service.down.", 13) != 0)
            continue;
        const char *service = a->key + 13;
        int known = 0, online = 0;
        for (size_t j = 0; j < r->instance_count; j++) {
            if (strcmp(r->instances[j].service, service) == 0) {
                known = 1;
                online |= ntf_instance_online(&r->instances[j], now_ms);
            }
        }
        if (online || !known) {
            char key[129];
            snprintf(key, sizeof key, "%s", a->key);
            ntf_engine_resolve(e, key,
                               online ? "an instance is online again"
                                      : "its offline instances were forgotten or removed",
                               now_ms);
        }
    }
    return LTM_OK;
}

int ntf_rules_tick(ntf_rules *r, ntf_engine *e, int64_t now_ms)
{
    int rc = LTM_OK;
    if (r->due_since_ms && now_ms - r->last_success_ms > r->opts.inactivity_ms &&
        !ntf_engine_is_firing(e, "results.inactive")) {
        char summary[200];
        snprintf(summary, sizeof summary,
                 "no post or story published for %lld min while jobs were due",
                 (long long)((now_ms - r->last_success_ms) / 60000));
        rc = ntf_engine_fire(e, "results.inactive", NTF_CRITICAL, summary, "notifier",
                             r->last_success_ms, now_ms);
    }
    forget_old(r, now_ms);
    for (size_t i = 0; !rc && i < r->instance_count; i++)
        rc = check_service(r, e, r->instances[i].service, now_ms);
    if (!rc)
        rc = resolve_services(r, e, now_ms);
    return rc;
}

int ntf_is_system_start(const ntf_rules *r, const char *own_service, int64_t own_start_ms,
                        int64_t last_notice_ms, int64_t window_ms, int64_t now_ms)
{
    if (last_notice_ms > 0 && now_ms - last_notice_ms <= window_ms)
        return 0;
    for (size_t i = 0; i < r->instance_count; i++) {
        const ntf_instance *in = &r->instances[i];
        if (strcmp(in->service, own_service) == 0 || !ntf_instance_online(in, now_ms))
            continue;
        if (in->started_ms > 0 && in->started_ms < own_start_ms - window_ms)
            return 0;
    }
    return 1;
}

cJSON *ntf_rules_to_json(const ntf_rules *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *acc = cJSON_AddObjectToObject(o, "consecutive_failures");
    if (!acc) {
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t i = 0; i < r->account_count; i++) {
        if (r->accounts[i].consecutive)
            cJSON_AddNumberToObject(acc, r->accounts[i].account, r->accounts[i].consecutive);
    }
    cJSON *eng = cJSON_AddObjectToObject(o, "engagement_consecutive_failures");
    for (size_t i = 0; eng && i < r->account_count; i++) {
        if (r->accounts[i].engagement_consecutive)
            cJSON_AddNumberToObject(eng, r->accounts[i].account,
                                    r->accounts[i].engagement_consecutive);
    }
    cJSON_AddNumberToObject(o, "overall_consecutive", r->overall_consecutive);
    cJSON_AddNumberToObject(o, "last_success_ms", (double)r->last_success_ms);
    cJSON_AddNumberToObject(o, "due_since_ms", (double)r->due_since_ms);
    return o;
}

/* A count from the state file, kept far from INT_MAX so ++ cannot overflow. */
static int counter(const cJSON *it)
{
    return it->valueint <= 0 ? 0 : it->valueint > 1000000 ? 1000000 : it->valueint;
}

void ntf_rules_from_json(ntf_rules *r, const cJSON *o)
{
    const cJSON *acc = cJSON_GetObjectItemCaseSensitive(o, "consecutive_failures");
    const cJSON *it;
    cJSON_ArrayForEach(it, acc)
    {
        if (!cJSON_IsNumber(it) || !it->string || strlen(it->string) > 64)
            continue;
        ntf_account_count *a = account(r, it->string);
        if (a)
            a->consecutive = counter(it);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "engagement_consecutive_failures"))
    {
        if (!cJSON_IsNumber(it) || !it->string || strlen(it->string) > 64)
            continue;
        ntf_account_count *a = account(r, it->string);
        if (a)
            a->engagement_consecutive = counter(it);
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "overall_consecutive");
    if (cJSON_IsNumber(v) && v->valueint > 0)
        r->overall_consecutive = v->valueint;
    int64_t ms = ltm_json_count(cJSON_GetObjectItemCaseSensitive(o, "last_success_ms"));
    if (ms > 0)
        r->last_success_ms = ms;
    ms = ltm_json_count(cJSON_GetObjectItemCaseSensitive(o, "due_since_ms"));
    if (ms > 0)
        r->due_since_ms = ms;
}
