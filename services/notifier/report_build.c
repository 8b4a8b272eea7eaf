/* The daily report's figures and its two renderings (JSON and message). */
#include "report.h"
#include "report_engagement.h"
#include "text.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL

typedef struct {
    const char *account; /* borrowed from the records; NULL: overall */
    uint64_t posts, stories, failed, retried, duplicates, missed;
    int64_t *times;
    size_t ntimes;
    ntf_engagement eng;
} figures;

static void figures_init(figures *f, const char *account)
{
    memset(f, 0, sizeof *f);
    f->account = account;
    ntf_engagement_init(&f->eng);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts record indexes by job id and attempt so duplicates (a result
 * delivered twice) sit side by side; the later one in the file wins. */
static const ntf_record *sort_base;
static int cmp_index(const void *a, const void *b)
{
    const ntf_record *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
    int c = strcmp(x->job_id, y->job_id);
    if (c == 0)
        c = (x->attempt > y->attempt) - (x->attempt < y->attempt);
    if (c == 0)
        c = (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
    return c;
}

static int cmp_account(const void *a, const void *b)
{
    return strcmp(((const figures *)a)->account, ((const figures *)b)->account);
}

static void count(figures *f, const ntf_record *r)
{
    switch (r->status) {
    case LTM_RESULT_PUBLISHED:
        if (r->kind == LTM_JOB_STORY)
            f->stories++;
        else
            f->posts++;
        f->times[f->ntimes++] = r->publish_ms;
        break;
    case LTM_RESULT_FAILED:
    case LTM_RESULT_UNCONFIRMED:
        if (r->final)
            f->failed++;
        else
            f->retried++;
        break;
    case LTM_RESULT_DUPLICATE:
        f->duplicates++;
        break;
    case LTM_RESULT_MISSED:
        f->missed++;
        break;
    case LTM_RESULT_READ: /* engagement checks are not publications */
    case LTM_RESULT_GONE:
        break;
    }
}

static figures *find_account(figures *accs, size_t *n, const char *account)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(accs[i].account, account) == 0)
            return &accs[i];
    }
    return NULL;
}

/* Fills overall and one figures per account (sorted by name). Returns the
 * account count or -1 when out of memory. */
static long tally(const ntf_record *records, size_t count_in, int64_t from_ms, int64_t to_ms,
                  figures *overall, figures **accounts_out)
{
    size_t *idx = malloc((count_in + 1) * sizeof *idx);
    size_t *reads = malloc((count_in + 1) * sizeof *reads);
    figures *accs = calloc(count_in + 1, sizeof *accs);
    overall->times = malloc((count_in + 1) * sizeof *overall->times);
    if (!idx || !reads || !accs || !overall->times) {
        free(idx);
        free(reads);
        free(accs);
        return -1;
    }
    size_t n = 0, naccs = 0, nreads = 0;
    for (size_t i = 0; i < count_in; i++) {
        if (records[i].finished_ms >= from_ms && records[i].finished_ms < to_ms &&
            records[i].kind != LTM_JOB_REPORT)
            idx[n++] = i;
    }
    sort_base = records;
    qsort(idx, n, sizeof *idx, cmp_index);
    for (size_t k = 0; k < n; k++) {
        const ntf_record *r = &records[idx[k]];
        if (k + 1 < n && strcmp(r->job_id, records[idx[k + 1]].job_id) == 0 &&
            r->attempt == records[idx[k + 1]].attempt)
            continue; /* a later copy of the same attempt follows */
        figures *f = find_account(accs, &naccs, r->account);
        if (!f) {
            f = &accs[naccs++];
            figures_init(f, r->account);
            f->times = malloc((count_in + 1) * sizeof *f->times);
            if (!f->times) {
                free(idx);
                free(reads);
                *accounts_out = accs;
                return -(long)naccs - 1;
            }
        }
        if (r->kind != LTM_JOB_ENGAGEMENT) {
            count(f, r);
            count(overall, r);
            continue;
        }
        ntf_engagement_count(&f->eng, r);
        ntf_engagement_count(&overall->eng, r);
        if (r->status == LTM_RESULT_READ && r->has_figures && r->post_job_id)
            reads[nreads++] = idx[k];
    }
    free(idx);
    /* Each post counts once, with its latest reading of the period. */
    nreads = ntf_latest_readings(records, reads, nreads);
    for (size_t k = 0; k < nreads; k++) {
        const ntf_record *r = &records[reads[k]];
        ntf_engagement_add_reading(&find_account(accs, &naccs, r->account)->eng, r);
        ntf_engagement_add_reading(&overall->eng, r);
    }
    free(reads);
    qsort(accs, naccs, sizeof *accs, cmp_account);
    *accounts_out = accs;
    return (long)naccs;
}

static cJSON *figures_json(const figures *f, char *line, size_t line_size)
{
    cJSON *o = cJSON_CreateObject();
    if (f->account)
        ltm_json_add_str(o, "account", f->account);
    cJSON_AddNumberToObject(o, "posts_published", (double)f->posts);
    cJSON_AddNumberToObject(o, "stories_published", (double)f->stories);
    cJSON_AddNumberToObject(o, "failed", (double)f->failed);
    cJSON_AddNumberToObject(o, "retried", (double)f->retried);
    cJSON_AddNumberToObject(o, "duplicates", (double)f->duplicates);
    cJSON_AddNumberToObject(o, "missed", (double)f->missed);
    uint64_t ok = f->posts + f->stories, tried = ok + f->failed;
    char rate[32] = "n/a", times[80] = "";
    if (tried) {
        double r = 100.0 * (double)ok / (double)tried;
        cJSON_AddNumberToObject(o, "success_rate", r);
        snprintf(rate, sizeof rate, "%.1f %%", r);
    } else {
        cJSON_AddNullToObject(o, "success_rate");
    }
    cJSON *pt = cJSON_AddObjectToObject(o, "publish_ms");
    cJSON_AddNumberToObject(pt, "count", (double)f->ntimes);
    if (f->ntimes) {
        qsort(f->times, f->ntimes, sizeof *f->times, cmp_i64);
        size_t n = f->ntimes;
        double median = n % 2 ? (double)f->times[n / 2]
                              : ((double)f->times[n / 2 - 1] + (double)f->times[n / 2]) / 2;
        size_t rank = (95 * n + 99) / 100; /* nearest rank */
        double p95 = (double)f->times[rank - 1];
        cJSON_AddNumberToObject(pt, "median", median);
        cJSON_AddNumberToObject(pt, "p95", p95);
        snprintf(times, sizeof times, "; publish time median %.1f s, p95 %.1f s", median / 1000,
                 p95 / 1000);
    } else {
        cJSON_AddNullToObject(pt, "median");
        cJSON_AddNullToObject(pt, "p95");
    }
    snprintf(line, line_size,
             "%llu posts and %llu stories published, %llu failed, %llu retried, %llu missed, "
             "%llu duplicates; success %s%s",
             (unsigned long long)f->posts, (unsigned long long)f->stories,
             (unsigned long long)f->failed, (unsigned long long)f->retried,
             (unsigned long long)f->missed, (unsigned long long)f->duplicates, rate, times);
    return o;
}

static cJSON *peak_avg(const ntf_stat *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "peak", s->max);
    cJSON_AddNumberToObject(o, "avg", s->n ? s->sum / (double)s->n : 0);
    return o;
}

static void merge_stat(ntf_stat *into, const ntf_stat *s)
{
    if (!s->n)
        return;
    if (!into->n || s->max > into->max)
        into->max = s->max;
    into->sum += s->sum;
    into->n += s->n;
}

static void host_section(cJSON *root, ntf_buf *b, const ntf_host *h, int64_t from_ms, int64_t to_ms)
{
    ntf_stat cpu = {0}, mem = {0}, disks[NTF_MAX_DISKS] = {{0}};
    char mounts[NTF_MAX_DISKS][64] = {{0}};
    for (int i = 0; h && i < NTF_HOST_BUCKETS; i++) {
        const ntf_host_bucket *bk = &h->buckets[i];
        if (!bk->hour_ms || bk->hour_ms + HOUR_MS <= from_ms || bk->hour_ms >= to_ms)
            continue;
        merge_stat(&cpu, &bk->cpu);
        merge_stat(&mem, &bk->memory);
        for (int d = 0; d < NTF_MAX_DISKS && bk->mounts[d][0]; d++) {
            for (int k = 0; k < NTF_MAX_DISKS; k++) {
                if (!mounts[k][0])
                    memcpy(mounts[k], bk->mounts[d], sizeof mounts[k]);
                if (strcmp(mounts[k], bk->mounts[d]) == 0) {
                    merge_stat(&disks[k], &bk->disks[d]);
                    break;
                }
            }
        }
    }
    if (!cpu.n && !mem.n && !mounts[0][0]) {
        cJSON_AddNullToObject(root, "host");
        ltm_json_add_str(root, "host_note", "no host data");
        ntf_buf_printf(b, "\n\n<b>Host</b>: no host data");
        return;
    }
    cJSON *host = cJSON_AddObjectToObject(root, "host");
    ntf_buf_printf(b, "\n\n<b>Host</b> (peak / average)");
    if (cpu.n) {
        cJSON_AddItemToObject(host, "cpu", peak_avg(&cpu));
        ntf_buf_printf(b, "\nCPU %.0f %% / %.0f %%", cpu.max, cpu.sum / (double)cpu.n);
    }
    if (mem.n) {
        cJSON_AddItemToObject(host, "memory", peak_avg(&mem));
        ntf_buf_printf(b, "\nmemory %.0f %% / %.0f %%", mem.max, mem.sum / (double)mem.n);
    }
    cJSON *arr = cJSON_AddArrayToObject(host, "disks");
    for (int k = 0; k < NTF_MAX_DISKS && mounts[k][0]; k++) {
        cJSON *d = peak_avg(&disks[k]);
        ltm_json_add_str(d, "mount", mounts[k]);
        cJSON_AddItemToArray(arr, d);
        ntf_buf_printf(b, "\ndisk ");
        ntf_buf_escaped(b, mounts[k]);
        ntf_buf_printf(b, " %.0f %% / %.0f %%", disks[k].max,
                       disks[k].n ? disks[k].sum / (double)disks[k].n : 0);
    }
}

static void alerts_section(cJSON *root, ntf_buf *b, const ntf_engine *alerts)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "active_alerts");
    int any = 0;
    ntf_buf_printf(b, "\n\n<b>Active alerts</b>:");
    for (size_t i = 0; alerts && i < alerts->count; i++) {
        const ntf_alert *a = &alerts->items[i];
        if (!a->firing)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        ltm_json_add_str(o, "key", a->key);
        ltm_json_add_str(o, "severity", ntf_severity_name(a->severity));
        ltm_json_add_str(o, "summary", a->summary);
        ltm_json_add_time(o, "since", a->since_ms);
        ntf_buf_printf(b, "\n- [%s] ", ntf_severity_name(a->severity));
        ntf_buf_escaped(b, a->key);
        ntf_buf_printf(b, ": ");
        ntf_buf_escaped(b, a->summary ? a->summary : "");
        any = 1;
    }
    if (!any)
        ntf_buf_printf(b, " none");
}

int ntf_report_build(const char *date, const char *job_id, int64_t from_ms, int64_t to_ms,
                     const ntf_record *records, size_t count_in, const ntf_host *host,
                     const ntf_engine *alerts, int64_t now_ms, char **json_out, char **text_out)
{
    figures overall, *accs = NULL;
    figures_init(&overall, NULL);
    long naccs = tally(records, count_in, from_ms, to_ms, &overall, &accs);
    cJSON *root = cJSON_CreateObject();
    ntf_buf b = {0};
    int rc = naccs < 0 || !root ? LTM_ENOMEM : LTM_OK;
    if (!rc) {
        char from[LTM_ISO_SIZE], to[LTM_ISO_SIZE], line[400];
        ltm_json_add_str(root, "date", date);
        ltm_json_add_str(root, "job_id", job_id);
        ltm_json_add_time(root, "from", from_ms);
        ltm_json_add_time(root, "to", to_ms);
        ltm_json_add_time(root, "generated_at", now_ms);
        ltm_time_format_iso(from_ms, from);
        ltm_time_format_iso(to_ms, to);
        ntf_buf_printf(&b, "<b>LTM daily report ");
        ntf_buf_escaped(&b, date);
        ntf_buf_printf(&b, "</b>\n%.16s to %.16s UTC", from, to);
        cJSON *o = figures_json(&overall, line, sizeof line);
        cJSON_AddItemToObject(o, "engagement", ntf_engagement_json(&overall.eng));
        cJSON_AddItemToObject(root, "overall", o);
        ntf_buf_printf(&b, "\n\n<b>Overall</b>: %s", line);
        ntf_engagement_text(&b, &overall.eng);
        cJSON *arr = cJSON_AddArrayToObject(root, "accounts");
        for (long i = 0; i < naccs; i++) {
            o = figures_json(&accs[i], line, sizeof line);
            cJSON_AddItemToObject(o, "engagement", ntf_engagement_json(&accs[i].eng));
            cJSON_AddItemToArray(arr, o);
            ntf_buf_printf(&b, "\n\n<b>");
            ntf_buf_escaped(&b, accs[i].account);
            ntf_buf_printf(&b, "</b>: %s", line);
            ntf_engagement_text(&b, &accs[i].eng);
        }
        if (overall.posts + overall.stories + overall.failed + overall.retried +
                overall.duplicates + overall.missed == 0)
            ntf_buf_printf(&b, "\n\nNo post or story was due in this period.");
        alerts_section(root, &b, alerts);
        host_section(root, &b, host, from_ms, to_ms);
    }
    long n = naccs < 0 ? -naccs - 1 : naccs;
    for (long i = 0; accs && i < n; i++)
        free(accs[i].times);
    free(accs);
    free(overall.times);
    *text_out = ntf_buf_finish(&b);
    *json_out = root ? ltm_json_finish(root) : NULL;
    if (rc || !*text_out || !*json_out) {
        free(*text_out);
        free(*json_out);
        *text_out = *json_out = NULL;
        return LTM_ENOMEM;
    }
    return LTM_OK;
}
