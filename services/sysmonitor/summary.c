#include "summary.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS (3600LL * 1000)

static const struct {
    const char *name;
    int64_t ms;
} periods[] = {{"hour", HOUR_MS}, {"day", 24 * HOUR_MS}, {"week", 7 * 24 * HOUR_MS}};

int64_t summary_percentile(const int64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    return sorted[rank ? rank - 1 : 0];
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int matches(const history_entry *e, int64_t from_ms, int64_t to_ms, int kind,
                   const char *account)
{
    if (e->finished_ms < from_ms || e->finished_ms > to_ms)
        return 0;
    if (kind >= 0 && (int)e->kind != kind)
        return 0;
    return !account || (e->account && strcmp(e->account, account) == 0);
}

int summary_compute(const history_entry *entries, size_t n, int64_t from_ms, int64_t to_ms,
                    int kind, const char *account, summary_stats *out)
{
    memset(out, 0, sizeof *out);
    int64_t *d = malloc((n ? n : 1) * sizeof *d);
    if (!d)
        return LTM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const history_entry *e = &entries[i];
        if (!matches(e, from_ms, to_ms, kind, account))
            continue;
        d[out->count++] = history_duration_ms(e);
        out->succeeded += e->status == LTM_RESULT_PUBLISHED;
        out->retries += e->attempt > 1;
    }
    if (out->count) {
        qsort(d, out->count, sizeof *d, cmp_i64);
        out->success_rate = (double)out->succeeded / (double)out->count;
        out->p50_ms = summary_percentile(d, out->count, 50);
        out->p95_ms = summary_percentile(d, out->count, 95);
        out->max_ms = d[out->count - 1];
    }
    free(d);
    return LTM_OK;
}

static int add_stats(cJSON *parent, const char *key, const summary_stats *s)
{
    cJSON *o = cJSON_AddObjectToObject(parent, key);
    if (!o)
        return LTM_ENOMEM;
    int ok = cJSON_AddNumberToObject(o, "count", (double)s->count) &&
             cJSON_AddNumberToObject(o, "succeeded", (double)s->succeeded) &&
             cJSON_AddNumberToObject(o, "failed", (double)(s->count - s->succeeded)) &&
             cJSON_AddNumberToObject(o, "success_rate", s->success_rate) &&
             cJSON_AddNumberToObject(o, "retries", (double)s->retries) &&
             cJSON_AddNumberToObject(o, "p50_ms", (double)s->p50_ms) &&
             cJSON_AddNumberToObject(o, "p95_ms", (double)s->p95_ms) &&
             cJSON_AddNumberToObject(o, "max_ms", (double)s->max_ms);
    return ok ? LTM_OK : LTM_ENOMEM;
}

/* The distinct accounts seen in the period, found through the JSON object
 * itself: an account already added is skipped. */
static int add_accounts(cJSON *accounts, const history_entry *entries, size_t n, int64_t from,
                        int64_t to)
{
    for (size_t i = 0; i < n; i++) {
        const history_entry *e = &entries[i];
        if (!e->account || !matches(e, from, to, -1, NULL) ||
            cJSON_GetObjectItemCaseSensitive(accounts, e->account))
            continue;
        summary_stats s;
        if (summary_compute(entries, n, from, to, -1, e->account, &s) != LTM_OK ||
            add_stats(accounts, e->account, &s) != LTM_OK)
            return LTM_ENOMEM;
    }
    return LTM_OK;
}

static int add_period(cJSON *parent, const char *name, const history_entry *entries, size_t n,
                      int64_t from, int64_t to)
{
    cJSON *p = cJSON_AddObjectToObject(parent, name);
    cJSON *kinds = p ? cJSON_AddObjectToObject(p, "kinds") : NULL;
    cJSON *accounts = p ? cJSON_AddObjectToObject(p, "accounts") : NULL;
    if (!kinds || !accounts)
        return LTM_ENOMEM;
    summary_stats s;
    if (summary_compute(entries, n, from, to, -1, NULL, &s) != LTM_OK ||
        add_stats(p, "all", &s) != LTM_OK)
        return LTM_ENOMEM;
    for (int k = LTM_JOB_POST; k <= LTM_JOB_REPORT; k++) {
        if (summary_compute(entries, n, from, to, k, NULL, &s) != LTM_OK)
            return LTM_ENOMEM;
        if (s.count && add_stats(kinds, ltm_job_kind_name((ltm_job_kind)k), &s) != LTM_OK)
            return LTM_ENOMEM;
    }
    return add_accounts(accounts, entries, n, from, to);
}

cJSON *summary_build(const history_entry *entries, size_t n, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ps = o ? cJSON_AddObjectToObject(o, "periods") : NULL;
    if (!ps || ltm_json_add_time(o, "at", now_ms) != LTM_OK) {
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++) {
        if (add_period(ps, periods[i].name, entries, n, now_ms - periods[i].ms, now_ms) !=
            LTM_OK) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}
