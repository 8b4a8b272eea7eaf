#include "tz.h"

#include "ltm/error.h"

#include <glib.h>
#include <stdlib.h>

struct sched_tz {
    GTimeZone *zone;
};

int sched_tz_open(const char *name, sched_tz **out)
{
    /* g_time_zone_new_identifier returns NULL for an unknown identifier
     * instead of silently falling back to UTC like g_time_zone_new did. */
    GTimeZone *zone = g_time_zone_new_identifier(name);
    if (!zone)
        return LTM_ENOTFOUND;
    sched_tz *tz = malloc(sizeof *tz);
    if (!tz) {
        g_time_zone_unref(zone);
        return LTM_ENOMEM;
    }
    tz->zone = zone;
    *out = tz;
    return LTM_OK;
}

void sched_tz_free(sched_tz *tz)
{
    if (!tz)
        return;
    g_time_zone_unref(tz->zone);
    free(tz);
}

const char *sched_tz_name(const sched_tz *tz)
{
    return g_time_zone_get_identifier(tz->zone);
}

int32_t sched_tz_offset_at(const sched_tz *tz, int64_t utc_s)
{
    int interval = g_time_zone_find_interval(tz->zone, G_TIME_TYPE_UNIVERSAL, utc_s);
    return g_time_zone_get_offset(tz->zone, interval);
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t sched_days_from_civil(int year, int month, int day)
{
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sched_civil_from_days(int64_t days, int *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void sched_tz_local(const sched_tz *tz, int64_t utc_ms, sched_local *out)
{
    int64_t utc_s = floor_div(utc_ms, 1000);
    int64_t local_s = utc_s + sched_tz_offset_at(tz, utc_s);
    int64_t days = floor_div(local_s, 86400);
    int64_t secs = local_s - days * 86400;
    sched_civil_from_days(days, &out->year, &out->month, &out->day);
    out->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
    out->minute_of_day = (int)(secs / 60);
}

int64_t sched_tz_resolve(const sched_tz *tz, int year, int month, int day, int minute_of_day)
{
    int64_t local_s = sched_days_from_civil(year, month, day) * 86400 + (int64_t)minute_of_day * 60;
    /* The offsets in force a day before and a day after cover every zone
     * that changes its offset at most once within two days. */
    int32_t before = sched_tz_offset_at(tz, local_s - 86400);
    int32_t after = sched_tz_offset_at(tz, local_s + 86400);
    int64_t first = INT64_MAX;
    int32_t offsets[2] = {before, after};
    for (int i = 0; i < 2; i++) {
        int64_t candidate = local_s - offsets[i];
        if (sched_tz_offset_at(tz, candidate) == offsets[i] && candidate < first)
            first = candidate;
    }
    if (first != INT64_MAX)
        return first * 1000;
    /* In a gap: the first valid instant is the transition itself, the first
     * second at which the new offset is in force. */
    int64_t lo = local_s - (before > after ? before : after);
    int64_t hi = local_s - (before < after ? before : after);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (sched_tz_offset_at(tz, mid) == after)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo * 1000;
}
