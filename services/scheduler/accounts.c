/* The scheduler's view of the accounts file and the next fire instant of a
 * slot. Reading and checking the file is ltm_accounts_parse's (common/). */
#include "accounts.h"

#include "ltm/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t sched_next_fire(const sched_tz *tz, unsigned weekdays, int minute_of_day,
                        int64_t after_ms)
{
    if ((weekdays & SCHED_ALL_DAYS) == 0)
        return -1;
    sched_local now;
    sched_tz_local(tz, after_ms, &now);
    int64_t today = sched_days_from_civil(now.year, now.month, now.day);
    /* Start a day early: near a transition the resolved instant of
     * yesterday's date can still lie after after_ms. */
    for (int64_t d = today - 1; d <= today + 8; d++) {
        int wday = (int)((d % 7 + 11) % 7);
        if (!(weekdays & (1u << wday)))
            continue;
        int y, m, day;
        sched_civil_from_days(d, &y, &m, &day);
        int64_t at = sched_tz_resolve(tz, y, m, day, minute_of_day);
        if (at > after_ms)
            return at;
    }
    return -1;
}

static int zone_for(sched_accounts *all, const char *name, sched_tz **out)
{
    for (size_t i = 0; i < all->zone_count; i++) {
        if (strcmp(sched_tz_name(all->zones[i]), name) == 0) {
            *out = all->zones[i];
            return LTM_OK;
        }
    }
    sched_tz **grown = realloc(all->zones, (all->zone_count + 1) * sizeof *grown);
    if (!grown)
        return LTM_ENOMEM;
    all->zones = grown;
    int rc = sched_tz_open(name, &all->zones[all->zone_count]);
    if (rc != LTM_OK)
        return rc;
    *out = all->zones[all->zone_count++];
    return LTM_OK;
}

static int *copy_minutes(const int *minutes, size_t count)
{
    int *out = count ? malloc(count * sizeof *out) : NULL;
    if (out)
        memcpy(out, minutes, count * sizeof *out);
    return out;
}

static int view_account(sched_accounts *all, const ltm_account *src, sched_account *a, char *err,
                        size_t err_size)
{
    snprintf(a->name, sizeof a->name, "%s", src->name);
    a->paused = src->paused;
    a->weekdays = src->schedule.weekdays;
    a->max_posts_per_day = src->schedule.max_posts_per_day;
    a->min_minutes_between_posts = src->schedule.min_minutes_between_posts;
    a->post_count = src->schedule.post_count;
    a->story_count = src->schedule.story_count;
    if ((a->post_count && !(a->post_minutes = copy_minutes(src->schedule.post_minutes,
                                                           a->post_count))) ||
        (a->story_count && !(a->story_minutes = copy_minutes(src->schedule.story_minutes,
                                                             a->story_count))))
        return LTM_ENOMEM;
    int rc = zone_for(all, src->timezone ? src->timezone : "UTC", &a->tz);
    if (rc == LTM_ENOTFOUND) /* the reader checked it; the tzdata changed since */
        snprintf(err, err_size, "account \"%s\": field timezone: unknown time zone (not in the "
                 "system tzdata)", src->name);
    return rc == LTM_ENOTFOUND ? LTM_EINVAL : rc;
}

static const sched_accounts *sort_ctx;

static int cmp_by_name(const void *a, const void *b)
{
    return strcmp(sort_ctx->items[*(const size_t *)a].name,
                  sort_ctx->items[*(const size_t *)b].name);
}

/* A sorted index: lookups by name stay O(log n) with 100,000 slots' worth
 * of accounts. The reader has refused duplicate names already. */
static int build_index(sched_accounts *all)
{
    if (all->count == 0)
        return LTM_OK;
    all->by_name = malloc(all->count * sizeof *all->by_name);
    if (!all->by_name)
        return LTM_ENOMEM;
    for (size_t i = 0; i < all->count; i++)
        all->by_name[i] = i;
    sort_ctx = all;
    qsort(all->by_name, all->count, sizeof *all->by_name, cmp_by_name);
    return LTM_OK;
}

int sched_accounts_view(const ltm_accounts *src, sched_accounts *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    int rc = LTM_OK;
    if (src->count && !(out->items = calloc(src->count, sizeof *out->items)))
        rc = LTM_ENOMEM;
    for (size_t i = 0; rc == LTM_OK && i < src->count; i++) {
        out->count++;
        rc = view_account(out, &src->items[i], &out->items[i], err, err_size);
    }
    if (rc == LTM_OK)
        rc = build_index(out);
    if (rc == LTM_ENOMEM)
        snprintf(err, err_size, "accounts file: out of memory");
    return rc;
}

/* Takes src (NULL after a failed read) and frees it. */
static int view_of(int rc, ltm_accounts *src, sched_accounts *out, char *err, size_t err_size)
{
    if (rc == LTM_OK)
        rc = sched_accounts_view(src, out, err, err_size);
    ltm_accounts_free(src);
    return rc;
}

int sched_accounts_parse(const char *json, size_t len, sched_accounts *out, char *err,
                         size_t err_size)
{
    memset(out, 0, sizeof *out);
    ltm_accounts *src = NULL;
    int rc = ltm_accounts_parse(json, len, &src, err, err_size);
    return view_of(rc, src, out, err, err_size);
}

int sched_accounts_load(const char *path, sched_accounts *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    ltm_accounts *src = NULL;
    int rc = ltm_accounts_load(path, &src, err, err_size);
    return view_of(rc, src, out, err, err_size);
}

void sched_accounts_clear(sched_accounts *accounts)
{
    for (size_t i = 0; i < accounts->count; i++) {
        free(accounts->items[i].post_minutes);
        free(accounts->items[i].story_minutes);
    }
    for (size_t i = 0; i < accounts->zone_count; i++)
        sched_tz_free(accounts->zones[i]);
    free(accounts->items);
    free(accounts->zones);
    free(accounts->by_name);
    memset(accounts, 0, sizeof *accounts);
}

sched_account *sched_accounts_find(const sched_accounts *accounts, const char *name)
{
    size_t lo = 0, hi = accounts->by_name ? accounts->count : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        sched_account *a = &accounts->items[accounts->by_name[mid]];
        int c = strcmp(a->name, name);
        if (c == 0)
            return a;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
