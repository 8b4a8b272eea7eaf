/* Ranking of published posts by engagement: see traffic.h for what counts
 * and why. */
#include "traffic.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strings are owned copies of their own length: a year of posts of many
 * accounts is hundreds of thousands of entries. */
typedef struct {
    char *job_id, *account, *theme;
    ltm_job_kind kind;
    int weekday, minute;
    int64_t published_ms;
    int read;                 /* has a reading */
    int64_t engagement;
    int64_t impressions;      /* -1: not offered */
} entry;

struct traffic {
    entry *entries;
    int count, capacity;
    int unread;
    int filter_kind;
    ltm_job_kind kind;
};

traffic *traffic_new(void)
{
    return calloc(1, sizeof(traffic));
}

void traffic_free(traffic *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->count; i++) {
        free(t->entries[i].job_id);
        free(t->entries[i].account);
        free(t->entries[i].theme);
    }
    free(t->entries);
    free(t);
}

void traffic_set_kind(traffic *t, ltm_job_kind kind)
{
    t->filter_kind = 1;
    t->kind = kind;
}

int64_t traffic_reference_age(const engagement_ages *ages)
{
    int64_t best = 0, best_distance = 0;
    for (int i = 0; i < ages->count; i++) {
        int64_t ms = ages->items[i].ms;
        int64_t distance = ms > ENGAGEMENT_DAY_MS ? ms - ENGAGEMENT_DAY_MS : ENGAGEMENT_DAY_MS - ms;
        if (i == 0 || distance < best_distance) { /* ascending: a tie keeps the younger */
            best = ms;
            best_distance = distance;
        }
    }
    return best;
}

int traffic_add(traffic *t, const ledger_post *p, const ledger_reading *reading)
{
    if (t->filter_kind && p->kind != t->kind)
        return LTM_OK;
    if (t->count == t->capacity) {
        int cap = t->capacity ? t->capacity * 2 : 64;
        entry *grown = realloc(t->entries, (size_t)cap * sizeof *grown);
        if (!grown)
            return LTM_ENOMEM;
        t->entries = grown;
        t->capacity = cap;
    }
    entry *e = &t->entries[t->count];
    memset(e, 0, sizeof *e);
    e->job_id = strdup(p->job_id);
    e->account = strdup(p->account);
    e->theme = strdup(p->theme);
    if (!e->job_id || !e->account || !e->theme) {
        free(e->job_id);
        free(e->account);
        free(e->theme);
        return LTM_ENOMEM;
    }
    t->count++;
    e->kind = p->kind;
    e->weekday = p->weekday;
    e->minute = p->local_minute;
    e->published_ms = p->published_ms;
    e->read = reading != NULL;
    e->impressions = -1;
    if (reading) {
        e->engagement = ltm_figures_engagement(&reading->figures);
        e->impressions = reading->figures.impressions;
    } else {
        t->unread++;
    }
    return LTM_OK;
}

int traffic_posts(const traffic *t)
{
    return t->count;
}

int traffic_unread(const traffic *t)
{
    return t->unread;
}

const char *traffic_weekday_name(int weekday)
{
    static const char *const names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    return weekday >= 0 && weekday < 7 ? names[weekday] : "?";
}

void traffic_format_minute(int minute, char out[6])
{
    if (minute < 0 || minute >= 1440)
        snprintf(out, 6, "??:??");
    else
        snprintf(out, 6, "%02d:%02d", minute / 60, minute % 60);
}

/* ---- grouping ---------------------------------------------------------- */

static int by_account(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    return strcmp(x->account, y->account);
}

static int by_slot(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    int c = strcmp(x->account, y->account);
    if (c)
        return c;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->weekday != y->weekday)
        return x->weekday < y->weekday ? -1 : 1;
    return x->minute < y->minute ? -1 : x->minute > y->minute;
}

static int by_theme(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    return strcmp(x->theme, y->theme);
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts values in place. The mean of the two middle values for an even n. */
static double median(int64_t *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, compare_int64);
    if (n % 2)
        return (double)values[n / 2];
    return ((double)values[n / 2 - 1] + (double)values[n / 2]) / 2.0;
}

/* Most engaging; on a tie the newest, then the smaller id, so the answer
 * does not depend on the order the posts came in. */
static int better(const entry *e, const traffic_row *row, int64_t best_published)
{
    if (!row->best_post[0])
        return 1;
    if (e->engagement != row->best_engagement)
        return e->engagement > row->best_engagement;
    if (e->published_ms != best_published)
        return e->published_ms > best_published;
    return strcmp(e->job_id, row->best_post) < 0;
}

static void describe(traffic_row *row, const entry *e, traffic_grouping by)
{
    memset(row, 0, sizeof *row);
    if (by == TRAFFIC_BY_ACCOUNT) {
        snprintf(row->account, sizeof row->account, "%s", e->account);
        snprintf(row->key, sizeof row->key, "%s", e->account);
    } else if (by == TRAFFIC_BY_SLOT) {
        snprintf(row->account, sizeof row->account, "%s", e->account);
        row->kind = e->kind;
        snprintf(row->weekday, sizeof row->weekday, "%s", traffic_weekday_name(e->weekday));
        traffic_format_minute(e->minute, row->time);
        snprintf(row->key, sizeof row->key, "%s %s %s %s", e->account,
                 ltm_job_kind_name(e->kind), row->weekday, row->time);
    } else {
        snprintf(row->theme, sizeof row->theme, "%s", e->theme);
        snprintf(row->key, sizeof row->key, "%s", e->theme[0] ? e->theme : "(none)");
    }
}

/* One row from the n entries of a group; scratch holds n values. */
static void summarise(traffic_row *row, entry *const *group, int n, traffic_grouping by,
                      int64_t *scratch)
{
    describe(row, group[0], by);
    int64_t best_published = 0;
    for (int i = 0; i < n; i++) {
        const entry *e = group[i];
        if (!e->read) {
            row->unread++;
            continue;
        }
        scratch[row->posts++] = e->engagement;
        row->total_engagement += e->engagement;
        if (better(e, row, best_published)) {
            snprintf(row->best_post, sizeof row->best_post, "%s", e->job_id);
            row->best_engagement = e->engagement;
            best_published = e->published_ms;
        }
    }
    if (row->posts)
        row->median_engagement = median(scratch, row->posts);
    for (int i = 0; i < n; i++) {
        if (group[i]->read && group[i]->impressions >= 0)
            scratch[row->impressions_posts++] = group[i]->impressions;
    }
    if (row->impressions_posts)
        row->median_impressions = median(scratch, row->impressions_posts);
}

static int rank_order(const void *a, const void *b)
{
    const traffic_row *x = a, *y = b;
    if ((x->posts > 0) != (y->posts > 0))
        return x->posts > 0 ? -1 : 1;
    if (x->median_engagement != y->median_engagement)
        return x->median_engagement > y->median_engagement ? -1 : 1;
    if (x->posts != y->posts)
        return x->posts > y->posts ? -1 : 1;
    return strcmp(x->key, y->key);
}

int traffic_rank(const traffic *t, traffic_grouping by, traffic_row **rows, int *count)
{
    *rows = NULL;
    *count = 0;
    if (t->count == 0)
        return LTM_OK;
    int (*same)(const void *, const void *) =
        by == TRAFFIC_BY_ACCOUNT ? by_account : by == TRAFFIC_BY_SLOT ? by_slot : by_theme;
    entry **sorted = malloc((size_t)t->count * sizeof *sorted);
    int64_t *scratch = malloc((size_t)t->count * sizeof *scratch);
    traffic_row *out = NULL;
    int groups = 0;
    if (sorted) {
        for (int i = 0; i < t->count; i++)
            sorted[i] = &t->entries[i];
        qsort(sorted, (size_t)t->count, sizeof *sorted, same);
        for (int i = 0; i < t->count; i++)
            groups += i == 0 || same(&sorted[i - 1], &sorted[i]) != 0;
        out = malloc((size_t)groups * sizeof *out); /* a row is ~1 KiB: one per group */
    }
    if (!sorted || !scratch || !out) {
        free(sorted);
        free(scratch);
        free(out);
        return LTM_ENOMEM;
    }
    int n = 0;
    for (int start = 0, end; start < t->count; start = end) {
        for (end = start + 1; end < t->count && same(&sorted[start], &sorted[end]) == 0; end++)
            ;
        summarise(&out[n++], sorted + start, end - start, by, scratch);
    }
    qsort(out, (size_t)n, sizeof *out, rank_order);
    free(sorted);
    free(scratch);
    *rows = out;
    *count = n;
    return LTM_OK;
}

/* ---- JSON -------------------------------------------------------------- */

static cJSON *row_json(const traffic_row *r, traffic_grouping by)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    ltm_json_add_str(o, "key", r->key);
    if (by != TRAFFIC_BY_THEME)
        ltm_json_add_str(o, "account", r->account);
    if (by == TRAFFIC_BY_SLOT) {
        ltm_json_add_str(o, "kind", ltm_job_kind_name(r->kind));
        ltm_json_add_str(o, "weekday", r->weekday);
        ltm_json_add_str(o, "time", r->time);
    }
    if (by == TRAFFIC_BY_THEME)
        ltm_json_add_str(o, "theme", r->theme);
    cJSON_AddNumberToObject(o, "posts", r->posts);
    cJSON_AddNumberToObject(o, "unread", r->unread);
    if (r->posts)
        cJSON_AddNumberToObject(o, "median_engagement", r->median_engagement);
    else
        cJSON_AddNullToObject(o, "median_engagement");
    if (r->impressions_posts)
        cJSON_AddNumberToObject(o, "median_impressions", r->median_impressions);
    else
        cJSON_AddNullToObject(o, "median_impressions");
    cJSON_AddNumberToObject(o, "total_engagement", (double)r->total_engagement);
    if (r->best_post[0])
        ltm_json_add_str(o, "best_post", r->best_post);
    else
        cJSON_AddNullToObject(o, "best_post");
    return o;
}

static int add_ranking(cJSON *parent, const char *name, const traffic *t, traffic_grouping by,
                       int max_rows, int *total)
{
    traffic_row *rows;
    int n;
    if (traffic_rank(t, by, &rows, &n) != LTM_OK)
        return LTM_ENOMEM;
    *total = n;
    cJSON *arr = cJSON_AddArrayToObject(parent, name);
    int rc = arr ? LTM_OK : LTM_ENOMEM;
    for (int i = 0; rc == LTM_OK && i < n && i < max_rows; i++) {
        cJSON *o = row_json(&rows[i], by);
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = LTM_ENOMEM;
        }
    }
    free(rows);
    return rc;
}

cJSON *traffic_rankings_json(const traffic *t, int max_rows, int totals[3])
{
    cJSON *o = cJSON_CreateObject();
    if (!o || add_ranking(o, "accounts", t, TRAFFIC_BY_ACCOUNT, max_rows, &totals[0]) ||
        add_ranking(o, "slots", t, TRAFFIC_BY_SLOT, max_rows, &totals[1]) ||
        add_ranking(o, "themes", t, TRAFFIC_BY_THEME, max_rows, &totals[2])) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *reading_json(const ledger_reading *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *figures = o ? cJSON_CreateObject() : NULL;
    if (!figures) {
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddNumberToObject(o, "age_ms", (double)r->age_ms);
    ltm_json_add_time(o, "read_at", r->read_ms);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        int64_t v = ltm_figure_get(&r->figures, i);
        if (v >= 0)
            cJSON_AddNumberToObject(figures, ltm_figure_names[i], (double)v);
        else
            cJSON_AddNullToObject(figures, ltm_figure_names[i]);
    }
    cJSON_AddItemToObject(o, "figures", figures);
    cJSON_AddNumberToObject(o, "engagement", (double)ltm_figures_engagement(&r->figures));
    return o;
}

cJSON *traffic_post_json(const ledger_post *p, const ledger_reading *readings, int count)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = o ? cJSON_CreateArray() : NULL;
    if (!arr) {
        cJSON_Delete(o);
        return NULL;
    }
    char time[6];
    traffic_format_minute(p->local_minute, time);
    ltm_json_add_str(o, "job_id", p->job_id);
    ltm_json_add_str(o, "account", p->account);
    ltm_json_add_str(o, "kind", ltm_job_kind_name(p->kind));
    ltm_json_add_str(o, "channel", p->channel);
    ltm_json_add_str(o, "remote_id", p->remote_id);
    ltm_json_add_time(o, "slot", p->slot_ms);
    ltm_json_add_time(o, "published_at", p->published_ms);
    ltm_json_add_str(o, "weekday", traffic_weekday_name(p->weekday));
    ltm_json_add_str(o, "time", time);
    ltm_json_add_str(o, "theme", p->theme);
    ltm_json_add_str(o, "state", p->state);
    cJSON_AddItemToObject(o, "readings", arr);
    for (int i = 0; i < count; i++) {
        cJSON *r = reading_json(&readings[i]);
        if (!r) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToArray(arr, r);
    }
    return o;
}
