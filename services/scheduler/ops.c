/* Operator requests (ltmctl) and the status detail. */
#include "engine_internal.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEXT_DUE_SHOWN 5

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int engine_submit(engine *e, ltm_job_kind kind, const char *account, const char *request_id,
                  const char *text, const char *prompt, const char *image_url, int64_t at_ms,
                  int64_t now, char *job_id, size_t job_id_size, char *err, size_t err_size)
{
    const sched_account *a = account ? sched_accounts_find(&e->accounts, account) : NULL;
    if (!a) {
        snprintf(err, err_size, "unknown account \"%s\"", account ? account : "");
        return LTM_ENOTFOUND;
    }
    ledger_job j = {0};
    /* The request id is unique per ltmctl run, so the job id is too, and a
     * request that arrives twice creates one job. */
    snprintf(j.job_id, sizeof j.job_id, "%s:%s:ondemand:%s", ltm_job_kind_name(kind), a->name,
             request_id);
    j.kind = kind;
    snprintf(j.account, sizeof j.account, "%s", a->name);
    j.slot_ms = at_ms > now ? at_ms : now;
    snprintf(j.state, sizeof j.state, "%s", LEDGER_WAITING);
    j.max_attempts = e->set.max_attempts;
    j.due_ms = j.slot_ms;
    snprintf(j.origin, sizeof j.origin, "ltmctl");
    j.created_ms = now;
    j.text = dup_or_null(text);
    j.prompt = dup_or_null(prompt);
    j.image_url = dup_or_null(image_url);
    snprintf(job_id, job_id_size, "%s", j.job_id);
    int rc = (text && !j.text) || (prompt && !j.prompt) || (image_url && !j.image_url)
                 ? LTM_ENOMEM
                 : ledger_job_insert(e->l, &j);
    ledger_job_clear(&j);
    if (rc < 0) {
        snprintf(err, err_size, "the ledger refused the job");
        return rc;
    }
    ltm_info("on-demand job accepted", "job_id", job_id, "request_id", request_id, "new",
             rc == 1 ? "true" : "false");
    return LTM_OK;
}

int engine_set_paused(engine *e, const char *account, int paused, int64_t now, char *err,
                      size_t err_size)
{
    const sched_account *a = account ? sched_accounts_find(&e->accounts, account) : NULL;
    if (!a) {
        snprintf(err, err_size, "unknown account \"%s\"", account ? account : "");
        return LTM_ENOTFOUND;
    }
    if (!paused && a->paused) {
        snprintf(err, err_size, "account \"%s\" is paused in the accounts file; change "
                                "\"paused\" there", a->name);
        return LTM_EINVAL;
    }
    int old = 0;
    int64_t until = 0;
    if (ledger_begin(e->l) != LTM_OK) {
        snprintf(err, err_size, "ledger unavailable");
        return LTM_EDB;
    }
    int rc = ledger_pause_get(e->l, a->name, &old, &until);
    if (rc == LTM_OK)
        rc = ledger_pause_set(e->l, a->name, paused, until, paused ? "operator" : NULL, now);
    if (rc == LTM_OK && !paused)
        rc = ledger_release_held(e->l, a->name, now);
    if (rc == LTM_OK && !paused)
        rc = checks_resume(e, a->name, now);
    if (rc == LTM_OK && paused)
        rc = engine_cancel_armed(e, a->name, 1, 0, now);
    if (rc == LTM_OK)
        rc = ledger_commit(e->l);
    if (rc != LTM_OK) {
        ledger_rollback(e->l);
        engine_discard(e);
        snprintf(err, err_size, "ledger error");
        return rc;
    }
    engine_flush(e);
    ltm_info(paused ? "account paused" : "account resumed", "account", a->name);
    return LTM_OK;
}

static void add_next_due(engine *e, cJSON *o)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "next_due");
    sched_heap copy = {0};
    copy.count = copy.capacity = e->heap.count;
    copy.items = malloc((copy.count ? copy.count : 1) * sizeof *copy.items);
    if (!arr || !copy.items) {
        free(copy.items);
        return;
    }
    /* A full copy is O(slots), which is fine at heartbeat frequency and
     * leaves the live heap untouched. */
    if (copy.count) /* an empty heap may have no array at all */
        memcpy(copy.items, e->heap.items, copy.count * sizeof *copy.items);
    sched_heap_entry top;
    for (int i = 0; i < NEXT_DUE_SHOWN && sched_heap_pop(&copy, &top); i++) {
        const slot *s = &e->slots[top.id];
        cJSON *item = cJSON_CreateObject();
        if (!item)
            break;
        cJSON_AddItemToArray(arr, item);
        ltm_json_add_str(item, "kind", ltm_job_kind_name((ltm_job_kind)s->kind));
        if (s->account != REPORT_ACCOUNT)
            ltm_json_add_str(item, "account", e->accounts.items[s->account].name);
        ltm_json_add_time(item, "at", top.due_ms);
    }
    free(copy.items);
}

char *engine_detail_json(engine *e, int64_t now)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int waiting = 0, retries = 0, in_flight = 0, held = 0;
    ledger_active_counts(e->l, &waiting, &retries, &in_flight, &held);
    cJSON_AddNumberToObject(o, "slots", (double)e->slot_count);
    cJSON_AddNumberToObject(o, "accounts", (double)e->accounts.count);
    add_next_due(e, o);
    cJSON_AddNumberToObject(o, "pending", retries + waiting);
    cJSON_AddNumberToObject(o, "pending_retries", retries);
    cJSON_AddNumberToObject(o, "waiting", waiting);
    cJSON_AddNumberToObject(o, "in_flight", in_flight);
    cJSON_AddNumberToObject(o, "held", held);
    cJSON_AddNumberToObject(o, "armed", (double)(e->armed_count - e->armed_head));
    cJSON_AddNumberToObject(o, "dispatched", (double)e->c.dispatched);
    cJSON_AddNumberToObject(o, "retries", (double)e->c.retries);
    cJSON_AddNumberToObject(o, "results_counted", (double)e->c.results_counted);
    cJSON_AddNumberToObject(o, "results_ignored", (double)e->c.results_ignored);
    cJSON_AddNumberToObject(o, "finals_published", (double)e->c.finals_published);
    cJSON_AddNumberToObject(o, "lease_expired", (double)e->c.lease_expired);
    cJSON_AddNumberToObject(o, "missed", (double)e->c.missed);
    cJSON_AddNumberToObject(o, "skipped", (double)e->c.skipped);
    cJSON_AddNumberToObject(o, "ledger_errors", (double)e->c.ledger_errors);
    cJSON_AddNumberToObject(o, "pruned", (double)e->c.pruned);
    checks_detail(e, o, now);
    return ltm_json_finish(o);
}
