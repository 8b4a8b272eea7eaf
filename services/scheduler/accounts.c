#include "accounts.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIMES 96
#define MAX_ACCOUNTS 1000000

static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

int sched_parse_hhmm(const char *text)
{
    if (strlen(text) != 5 || text[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (text[i] < '0' || text[i] > '9'))
            return -1;
    }
    int h = (text[0] - '0') * 10 + (text[1] - '0');
    int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}

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

static int fail(char *err, size_t err_size, const char *account, const char *field,
                const char *what)
{
    if (account)
        snprintf(err, err_size, "account \"%s\": field %s: %s", account, field, what);
    else
        snprintf(err, err_size, "%s: %s", field, what);
    return LTM_EINVAL;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int parse_times(const cJSON *sched, const char *key, const char *account, int **out,
                       size_t *count, char *err, size_t err_size)
{
    const cJSON *arr = sched ? cJSON_GetObjectItemCaseSensitive(sched, key) : NULL;
    char field[64];
    snprintf(field, sizeof field, "schedule.%s", key);
    if (!arr || cJSON_IsNull(arr))
        return LTM_OK;
    if (!cJSON_IsArray(arr))
        return fail(err, err_size, account, field, "expected an array of \"HH:MM\"");
    int n = cJSON_GetArraySize(arr);
    if (n > MAX_TIMES)
        return fail(err, err_size, account, field, "more than 96 times");
    if (n == 0)
        return LTM_OK;
    int *mins = calloc((size_t)n, sizeof *mins);
    if (!mins)
        return LTM_ENOMEM;
    *out = mins;
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(arr, i);
        snprintf(field, sizeof field, "schedule.%s[%d]", key, i);
        mins[i] = cJSON_IsString(it) ? sched_parse_hhmm(it->valuestring) : -1;
        if (mins[i] < 0)
            return fail(err, err_size, account, field, "expected HH:MM (00:00 to 23:59)");
    }
    qsort(mins, (size_t)n, sizeof *mins, cmp_int);
    *count = (size_t)n;
    for (int i = 1; i < n; i++) {
        if (mins[i] == mins[i - 1]) {
            snprintf(field, sizeof field, "schedule.%s", key);
            return fail(err, err_size, account, field, "the same time is listed twice");
        }
    }
    return LTM_OK;
}

static int parse_weekdays(const cJSON *sched, const char *account, unsigned *out, char *err,
                          size_t err_size)
{
    const cJSON *arr = sched ? cJSON_GetObjectItemCaseSensitive(sched, "weekdays") : NULL;
    *out = SCHED_ALL_DAYS;
    if (!arr || cJSON_IsNull(arr))
        return LTM_OK;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail(err, err_size, account, "schedule.weekdays",
                    "expected a non-empty array of mon, tue, wed, thu, fri, sat, sun");
    unsigned mask = 0;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        int found = -1;
        for (int d = 0; d < 7 && cJSON_IsString(it); d++) {
            if (strcmp(it->valuestring, day_names[d]) == 0)
                found = d;
        }
        if (found < 0) {
            char field[48];
            snprintf(field, sizeof field, "schedule.weekdays[%d]", i);
            return fail(err, err_size, account, field,
                        "expected one of mon, tue, wed, thu, fri, sat, sun");
        }
        mask |= 1u << found;
        i++;
    }
    *out = mask;
    return LTM_OK;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SCHED_NAME_MAX)
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    }
    return 1;
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

static int parse_limits(const cJSON *sched, sched_account *a, char *err, size_t err_size)
{
    char reason[160];
    long long v = 0;
    if (!sched)
        return LTM_OK;
    if (ltm_json_int(sched, "max_posts_per_day", 0, 1, MAX_TIMES, &v, reason, sizeof reason))
        return fail(err, err_size, a->name, "schedule.max_posts_per_day",
                    "expected an integer from 1 to 96");
    a->max_posts_per_day = (int)v;
    v = 0;
    if (ltm_json_int(sched, "min_minutes_between_posts", 0, 0, 1440, &v, reason, sizeof reason))
        return fail(err, err_size, a->name, "schedule.min_minutes_between_posts",
                    "expected an integer from 0 to 1440");
    a->min_minutes_between_posts = (int)v;
    return LTM_OK;
}

static int parse_account(sched_accounts *all, const cJSON *item, int index, sched_account *a,
                         char *err, size_t err_size)
{
    char field[48];
    snprintf(field, sizeof field, "accounts[%d]", index);
    if (!cJSON_IsObject(item))
        return fail(err, err_size, NULL, field, "expected an object");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
    if (!cJSON_IsString(name) || !valid_name(name->valuestring)) {
        snprintf(field, sizeof field, "accounts[%d].name", index);
        return fail(err, err_size, NULL, field, "expected 1 to 64 of A-Z a-z 0-9 - _ .");
    }
    snprintf(a->name, sizeof a->name, "%s", name->valuestring);
    const cJSON *tz = cJSON_GetObjectItemCaseSensitive(item, "timezone");
    const char *zone = "UTC";
    if (tz && !cJSON_IsNull(tz)) {
        if (!cJSON_IsString(tz) || strlen(tz->valuestring) == 0 || strlen(tz->valuestring) > 64)
            return fail(err, err_size, a->name, "timezone", "expected an IANA zone name");
        zone = tz->valuestring;
    }
    int rc = zone_for(all, zone, &a->tz);
    if (rc == LTM_ENOTFOUND)
        return fail(err, err_size, a->name, "timezone",
                    "unknown time zone (not in the system tzdata)");
    if (rc != LTM_OK)
        return rc;
    char reason[160];
    if (ltm_json_bool(item, "paused", 0, &a->paused, reason, sizeof reason))
        return fail(err, err_size, a->name, "paused", "expected true or false");
    const cJSON *sched = cJSON_GetObjectItemCaseSensitive(item, "schedule");
    if (sched && cJSON_IsNull(sched))
        sched = NULL;
    if (sched && !cJSON_IsObject(sched))
        return fail(err, err_size, a->name, "schedule", "expected an object");
    if ((rc = parse_weekdays(sched, a->name, &a->weekdays, err, err_size)) ||
        (rc = parse_times(sched, "posts", a->name, &a->post_minutes, &a->post_count, err,
                          err_size)) ||
        (rc = parse_times(sched, "stories", a->name, &a->story_minutes, &a->story_count, err,
                          err_size)))
        return rc;
    return parse_limits(sched, a, err, err_size);
}

static const sched_accounts *sort_ctx;

static int cmp_by_name(const void *a, const void *b)
{
    return strcmp(sort_ctx->items[*(const size_t *)a].name,
                  sort_ctx->items[*(const size_t *)b].name);
}

/* A sorted index: lookups by name and the duplicate check stay
 * O(log n) per account with 100,000 slots' worth of accounts. */
static int build_index(sched_accounts *all, char *err, size_t err_size)
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
    for (size_t i = 1; i < all->count; i++) {
        const char *name = all->items[all->by_name[i]].name;
        if (strcmp(all->items[all->by_name[i - 1]].name, name) == 0)
            return fail(err, err_size, name, "name", "another account has the same name");
    }
    return LTM_OK;
}

int sched_accounts_parse(const char *json, size_t len, sched_accounts *out, char *err,
                         size_t err_size)
{
    memset(out, 0, sizeof *out);
    char reason[160];
    cJSON *root = ltm_json_parse_object(json, len, reason, sizeof reason);
    if (!root)
        return fail(err, err_size, NULL, "accounts file", reason);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "accounts");
    int rc = LTM_OK;
    if (!cJSON_IsArray(arr)) {
        rc = fail(err, err_size, NULL, "accounts", "expected an array of accounts");
    } else if (cJSON_GetArraySize(arr) > MAX_ACCOUNTS) {
        rc = fail(err, err_size, NULL, "accounts", "more than 1000000 accounts");
    } else if (cJSON_GetArraySize(arr) > 0) {
        out->items = calloc((size_t)cJSON_GetArraySize(arr), sizeof *out->items);
        if (!out->items)
            rc = LTM_ENOMEM;
        const cJSON *item;
        int i = 0;
        cJSON_ArrayForEach(item, arr) {
            if (rc != LTM_OK)
                break;
            out->count++;
            rc = parse_account(out, item, i++, &out->items[out->count - 1], err, err_size);
        }
    }
    cJSON_Delete(root);
    if (rc == LTM_OK)
        rc = build_index(out, err, err_size);
    if (rc == LTM_ENOMEM)
        snprintf(err, err_size, "accounts file: out of memory");
    return rc;
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
