/* The engagement part of the daily report: what the checks finished in the
 * period tell (posts read, their totals, the best post, checks failed and
 * gone), and its renderings. */
#include "report_engagement.h"

#include "ltm/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ntf_engagement_init(ntf_engagement *e)
{
    memset(e, 0, sizeof *e);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        e->totals[i] = -1;
}

/* qsort has no context argument: the records being sorted. */
static const ntf_record *reading_base;

/* A check that will not be tried again: read, gone, blocked, or failed for
 * good. */
void ntf_engagement_count(ntf_engagement *e, const ntf_record *r)
{
    if (r->status == LTM_RESULT_READ)
        e->checks_read++;
    else if (r->status == LTM_RESULT_GONE)
        e->checks_gone++;
    else if (r->final && ltm_result_class_blocked(r->error_class))
        e->checks_blocked++;
    else if (r->final)
        e->checks_failed++;
}

/* Readings grouped by account and post, the latest (greatest age, then the
 * later finish, then the later line) first. */
static int cmp_reading(const void *a, const void *b)
{
    const ntf_record *x = &reading_base[*(const size_t *)a], *y = &reading_base[*(const size_t *)b];
    int c = strcmp(x->account, y->account);
    if (c == 0)
        c = strcmp(x->post_job_id, y->post_job_id);
    if (c == 0)
        c = (y->age_ms > x->age_ms) - (y->age_ms < x->age_ms);
    if (c == 0)
        c = (y->finished_ms > x->finished_ms) - (y->finished_ms < x->finished_ms);
    if (c == 0)
        c = (*(const size_t *)b > *(const size_t *)a) - (*(const size_t *)b < *(const size_t *)a);
    return c;
}

/* The best post engaged most (reactions + comments + shares + saves), then
 * had more impressions, then has the smaller job id: one answer for any
 * order of the records. */
static int better(const ntf_record *a, const ntf_record *b)
{
    int64_t ea = ltm_figures_engagement(&a->figures), eb = ltm_figures_engagement(&b->figures);
    if (ea != eb)
        return ea > eb;
    if (a->figures.impressions != b->figures.impressions)
        return a->figures.impressions > b->figures.impressions;
    return strcmp(a->post_job_id, b->post_job_id) < 0;
}

void ntf_engagement_add_reading(ntf_engagement *e, const ntf_record *r)
{
    e->posts_read++;
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        int64_t v = ltm_figure_get(&r->figures, i);
        if (v >= 0)
            e->totals[i] = (e->totals[i] > 0 ? e->totals[i] : 0) + v;
    }
    if (!e->best || better(r, e->best))
        e->best = r;
}

size_t ntf_latest_readings(const ntf_record *records, size_t *reads, size_t n)
{
    reading_base = records;
    qsort(reads, n, sizeof *reads, cmp_reading);
    size_t kept = 0;
    for (size_t k = 0; k < n; k++) {
        const ntf_record *r = &records[reads[k]];
        const ntf_record *prev = kept ? &records[reads[kept - 1]] : NULL;
        if (prev && strcmp(prev->account, r->account) == 0 &&
            strcmp(prev->post_job_id, r->post_job_id) == 0)
            continue;
        reads[kept++] = reads[k];
    }
    return kept;
}

/* A post's figures as the array the totals are kept in (-1: not offered). */
static const int64_t *figure_values(const ltm_figures *f, int64_t v[LTM_FIGURE_COUNT])
{
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        v[i] = ltm_figure_get(f, i);
    return v;
}

static void add_figures(cJSON *parent, const char *key, const int64_t v[LTM_FIGURE_COUNT])
{
    cJSON *o = cJSON_AddObjectToObject(parent, key);
    for (int i = 0; o && i < LTM_FIGURE_COUNT; i++) {
        if (v[i] >= 0)
            cJSON_AddNumberToObject(o, ltm_figure_names[i], (double)v[i]);
    }
}

static void figures_text(ntf_buf *b, const int64_t v[LTM_FIGURE_COUNT])
{
    const char *sep = "; ";
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        if (v[i] < 0)
            continue;
        ntf_buf_printf(b, "%s%s %lld", sep, ltm_figure_names[i], (long long)v[i]);
        sep = ", ";
    }
    if (sep[0] == ';')
        ntf_buf_printf(b, "; no figure offered");
}

/* Ids can be 1 KiB long (a URL): the message shows the first 100 bytes, cut
 * on a character boundary; the JSON has them whole. */
static void clipped(ntf_buf *b, const char *text)
{
    size_t n = strlen(text);
    if (n <= 100) {
        ntf_buf_escaped(b, text);
        return;
    }
    char head[104];
    n = 100;
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    memcpy(head, text, n);
    head[n] = '\0';
    ntf_buf_escaped(b, head);
    ntf_buf_printf(b, "\u2026");
}

static void age_text(ntf_buf *b, int64_t ms)
{
    if (ms >= 86400000 && ms % 86400000 == 0)
        ntf_buf_printf(b, "%lldd", (long long)(ms / 86400000));
    else if (ms >= 3600000 && ms % 3600000 == 0)
        ntf_buf_printf(b, "%lldh", (long long)(ms / 3600000));
    else
        ntf_buf_printf(b, "%lldmin", (long long)(ms / 60000));
}

cJSON *ntf_engagement_json(const ntf_engagement *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "posts_read", (double)e->posts_read);
    add_figures(o, "totals", e->totals);
    cJSON_AddNumberToObject(o, "checks_read", (double)e->checks_read);
    cJSON_AddNumberToObject(o, "checks_failed", (double)e->checks_failed);
    cJSON_AddNumberToObject(o, "checks_gone", (double)e->checks_gone);
    cJSON_AddNumberToObject(o, "checks_blocked", (double)e->checks_blocked);
    if (!e->best) {
        cJSON_AddNullToObject(o, "best_post");
        return o;
    }
    const ntf_record *r = e->best;
    cJSON *best = cJSON_AddObjectToObject(o, "best_post");
    ltm_json_add_str(best, "post_job_id", r->post_job_id);
    ltm_json_add_str(best, "remote_id", r->remote_id);
    cJSON_AddNumberToObject(best, "age_ms", (double)r->age_ms);
    cJSON_AddNumberToObject(best, "engagement", (double)ltm_figures_engagement(&r->figures));
    int64_t v[LTM_FIGURE_COUNT];
    add_figures(best, "figures", figure_values(&r->figures, v));
    return o;
}

void ntf_engagement_text(ntf_buf *b, const ntf_engagement *e)
{
    if (e->posts_read) {
        ntf_buf_printf(b, "\nengagement: %llu posts read", (unsigned long long)e->posts_read);
        figures_text(b, e->totals);
        const ntf_record *r = e->best;
        ntf_buf_printf(b, "\nbest post: ");
        clipped(b, r->post_job_id);
        if (r->remote_id) {
            ntf_buf_printf(b, " (");
            clipped(b, r->remote_id);
            ntf_buf_printf(b, ")");
        }
        ntf_buf_printf(b, " at ");
        age_text(b, r->age_ms);
        ntf_buf_printf(b, ", engagement %lld", (long long)ltm_figures_engagement(&r->figures));
        int64_t v[LTM_FIGURE_COUNT];
        figures_text(b, figure_values(&r->figures, v));
    }
    if (e->checks_failed || e->checks_gone || e->checks_blocked) {
        ntf_buf_printf(b, "\nengagement checks: %llu failed, %llu gone",
                       (unsigned long long)e->checks_failed, (unsigned long long)e->checks_gone);
        if (e->checks_blocked)
            ntf_buf_printf(b, ", %llu blocked (no permission, quota or rate limit)",
                           (unsigned long long)e->checks_blocked);
    }
}
