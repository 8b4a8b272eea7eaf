#include "report.h"
#include "text.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL

char *ntf_record_line(const ltm_result *res)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    ltm_json_add_str(o, "job_id", res->job_id);
    ltm_json_add_str(o, "account", res->account);
    ltm_json_add_str(o, "kind", ltm_job_kind_name(res->kind));
    ltm_json_add_str(o, "status", ltm_result_status_name(res->status));
    cJSON_AddNumberToObject(o, "attempt", res->attempt);
    cJSON_AddBoolToObject(o, "final", res->final);
    cJSON_AddNumberToObject(o, "publish_ms", (double)res->publish_ms);
    cJSON_AddNumberToObject(o, "finished_ms", (double)res->finished_ms);
    if (res->kind == LTM_JOB_ENGAGEMENT) {
        ltm_json_add_str(o, "post_job_id", res->post_job_id);
        ltm_json_add_str(o, "remote_id", res->remote_id);
        cJSON_AddNumberToObject(o, "age_ms", (double)res->age_ms);
        if (res->error_class)
            ltm_json_add_str(o, "error_class", res->error_class);
        cJSON *f = res->has_figures ? cJSON_AddObjectToObject(o, "figures") : NULL;
        for (int i = 0; f && i < LTM_FIGURE_COUNT; i++) {
            int64_t v = ltm_figure_get(&res->figures, i);
            if (v >= 0)
                cJSON_AddNumberToObject(f, ltm_figure_names[i], (double)v);
        }
    }
    char *line = ltm_json_finish(o);
    if (!line)
        return NULL;
    size_t n = strlen(line);
    char *p = realloc(line, n + 2);
    if (!p) {
        free(line);
        return NULL;
    }
    p[n] = '\n';
    p[n + 1] = '\0';
    return p;
}

void ntf_record_clear(ntf_record *r)
{
    free(r->job_id);
    free(r->account);
    free(r->post_job_id);
    free(r->remote_id);
    free(r->error_class);
    memset(r, 0, sizeof *r);
}

/* The engagement part of a record line: the same bounds as on ltm/results. */
static int parse_engagement(const cJSON *o, ntf_record *out, char *reason, size_t reason_size)
{
    long long age = 0;
    int rc = ltm_json_str(o, "post_job_id", 1, 200, &out->post_job_id, reason, reason_size);
    rc = rc ? rc : ltm_json_str(o, "remote_id", 0, 1024, &out->remote_id, reason, reason_size);
    rc = rc ? rc : ltm_json_int(o, "age_ms", 1, 0, 1LL << 40, &age, reason, reason_size);
    /* Absent from the lines written before it was recorded. */
    rc = rc ? rc : ltm_json_str(o, "error_class", 0, 32, &out->error_class, reason, reason_size);
    out->age_ms = age;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "figures");
    ltm_figures_unset(&out->figures);
    if (rc || out->status != LTM_RESULT_READ)
        return rc ? rc : (f ? LTM_EINVAL : LTM_OK);
    if (!cJSON_IsObject(f))
        return LTM_EINVAL;
    for (int i = 0; !rc && i < LTM_FIGURE_COUNT; i++) {
        long long v = -1; /* stays -1 when absent */
        rc = ltm_json_int(f, ltm_figure_names[i], 0, 0, LTM_FIGURE_MAX, &v, reason, reason_size);
        *ltm_figure_at(&out->figures, i) = v;
    }
    out->has_figures = 1;
    return rc;
}

int ntf_record_parse(const char *line, size_t len, ntf_record *out)
{
    memset(out, 0, sizeof *out);
    char reason[128];
    cJSON *o = ltm_json_parse_object(line, len, reason, sizeof reason);
    if (!o)
        return LTM_EINVAL;
    char *kind = NULL, *status = NULL;
    long long attempt = 0, publish = 0, finished = 0;
    int rc = ltm_json_str(o, "job_id", 1, 200, &out->job_id, reason, sizeof reason);
    rc = rc ? rc : ltm_json_str(o, "account", 1, 64, &out->account, reason, sizeof reason);
    rc = rc ? rc : ltm_json_str(o, "kind", 1, 16, &kind, reason, sizeof reason);
    rc = rc ? rc : ltm_json_str(o, "status", 1, 16, &status, reason, sizeof reason);
    rc = rc ? rc : ltm_json_int(o, "attempt", 1, 0, 100, &attempt, reason, sizeof reason);
    rc = rc ? rc : ltm_json_bool(o, "final", 1, &out->final, reason, sizeof reason);
    rc = rc ? rc : ltm_json_int(o, "publish_ms", 1, 0, 86400000, &publish, reason, sizeof reason);
    rc = rc ? rc : ltm_json_int(o, "finished_ms", 1, 0, 1LL << 50, &finished, reason, sizeof reason);
    if (!rc && (ltm_job_kind_parse(kind, &out->kind) || ltm_result_status_parse(status, &out->status)))
        rc = LTM_EINVAL;
    if (!rc && out->kind == LTM_JOB_ENGAGEMENT)
        rc = parse_engagement(o, out, reason, sizeof reason);
    free(kind);
    free(status);
    cJSON_Delete(o);
    if (rc) {
        ntf_record_clear(out);
        return LTM_EINVAL;
    }
    out->attempt = (int)attempt;
    out->publish_ms = publish;
    out->finished_ms = finished;
    return LTM_OK;
}

static void stat_add(ntf_stat *s, double v)
{
    if (s->n == 0 || v > s->max)
        s->max = v;
    s->sum += v;
    s->n++;
}

static int percent(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble > 100)
        return 0;
    *out = v->valuedouble;
    return 1;
}

int ntf_host_add(ntf_host *h, const char *json, size_t len, int64_t now_ms, char *reason,
                 size_t reason_size)
{
    cJSON *o = ltm_json_parse_object(json, len, reason, reason_size);
    if (!o) {
        h->unusable++;
        return 0;
    }
    int64_t hour = now_ms - now_ms % HOUR_MS;
    ntf_host_bucket *b = &h->buckets[(hour / HOUR_MS) % NTF_HOST_BUCKETS];
    if (b->hour_ms != hour) {
        memset(b, 0, sizeof *b);
        b->hour_ms = hour;
    }
    int used = 0;
    double v;
    /* Both shapes: flat (cpu_percent) and the sysmonitor's nested
     * (cpu.percent, disks[].path); docs/notifier.md lists them. */
    if (percent(o, "cpu_percent", &v) ||
        percent(cJSON_GetObjectItemCaseSensitive(o, "cpu"), "percent", &v))
        stat_add(&b->cpu, v), used = 1;
    if (percent(o, "memory_percent", &v) ||
        percent(cJSON_GetObjectItemCaseSensitive(o, "memory"), "percent", &v))
        stat_add(&b->memory, v), used = 1;
    const cJSON *disk;
    cJSON_ArrayForEach(disk, cJSON_GetObjectItemCaseSensitive(o, "disks"))
    {
        const char *mount = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(disk, "mount"));
        if (!mount)
            mount = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(disk, "path"));
        if (!mount || strlen(mount) >= sizeof b->mounts[0] || !percent(disk, "percent", &v))
            continue;
        for (int i = 0; i < NTF_MAX_DISKS; i++) {
            if (b->mounts[i][0] == '\0')
                snprintf(b->mounts[i], sizeof b->mounts[i], "%s", mount);
            if (strcmp(b->mounts[i], mount) == 0) {
                stat_add(&b->disks[i], v);
                used = 1;
                break;
            }
        }
    }
    cJSON_Delete(o);
    if (used) {
        h->samples++;
    } else {
        h->unusable++;
        snprintf(reason, reason_size, "no cpu, memory or disk percentage (a number from 0 to "
                                      "100) in the sample");
    }
    return used;
}

static cJSON *stat_json(const ntf_stat *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "max", s->max);
    cJSON_AddNumberToObject(o, "sum", s->sum);
    cJSON_AddNumberToObject(o, "n", (double)s->n);
    return o;
}

static void stat_from(ntf_stat *s, const cJSON *o)
{
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(o, "max");
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(o, "sum");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "n");
    if (cJSON_IsNumber(max) && cJSON_IsNumber(sum) && cJSON_IsNumber(n) && n->valuedouble >= 0) {
        s->max = max->valuedouble;
        s->sum = sum->valuedouble;
        s->n = (uint64_t)ltm_json_count(n);
    }
}

cJSON *ntf_host_to_json(const ntf_host *h)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; arr && i < NTF_HOST_BUCKETS; i++) {
        const ntf_host_bucket *b = &h->buckets[i];
        if (!b->hour_ms)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "hour_ms", (double)b->hour_ms);
        cJSON_AddItemToObject(o, "cpu", stat_json(&b->cpu));
        cJSON_AddItemToObject(o, "memory", stat_json(&b->memory));
        cJSON *disks = cJSON_AddObjectToObject(o, "disks");
        for (int d = 0; d < NTF_MAX_DISKS && b->mounts[d][0]; d++)
            cJSON_AddItemToObject(disks, b->mounts[d], stat_json(&b->disks[d]));
    }
    return arr;
}

void ntf_host_from_json(ntf_host *h, const cJSON *arr)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        const cJSON *hour = cJSON_GetObjectItemCaseSensitive(o, "hour_ms");
        int64_t ms = ltm_json_count(hour);
        if (ms <= 0)
            continue;
        ms -= ms % HOUR_MS;
        ntf_host_bucket *b = &h->buckets[(ms / HOUR_MS) % NTF_HOST_BUCKETS];
        memset(b, 0, sizeof *b);
        b->hour_ms = ms;
        stat_from(&b->cpu, cJSON_GetObjectItemCaseSensitive(o, "cpu"));
        stat_from(&b->memory, cJSON_GetObjectItemCaseSensitive(o, "memory"));
        const cJSON *d;
        int i = 0;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(o, "disks"))
        {
            if (i == NTF_MAX_DISKS || !d->string || strlen(d->string) >= sizeof b->mounts[0])
                continue;
            snprintf(b->mounts[i], sizeof b->mounts[i], "%s", d->string);
            stat_from(&b->disks[i++], d);
        }
    }
}
