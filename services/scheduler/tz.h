#ifndef SCHED_TZ_H
#define SCHED_TZ_H

#include <stdint.h>

/* Local time in IANA zones from the system tzdata (/usr/share/zoneinfo, or
 * $TZDIR), read through GLib's GTimeZone: immutable, thread-safe objects, so
 * one process computes for many zones at once without touching the
 * process-global TZ that the log timestamps use (docs/scheduler.md has the
 * measurement that decided this). */

typedef struct sched_tz sched_tz;

typedef struct {
    int year, month, day; /* month 1-12 */
    int wday;             /* 0 = Sunday */
    int minute_of_day;    /* 0..1439 */
} sched_local;

/* LTM_ENOTFOUND when the zone is unknown to the system tzdata. Caller frees
 * with sched_tz_free. */
int sched_tz_open(const char *name, sched_tz **out);
void sched_tz_free(sched_tz *tz);
const char *sched_tz_name(const sched_tz *tz);

/* Offset from UTC in seconds at a UTC instant. */
int32_t sched_tz_offset_at(const sched_tz *tz, int64_t utc_s);

/* The local calendar date and time of a UTC instant. */
void sched_tz_local(const sched_tz *tz, int64_t utc_ms, sched_local *out);

/* The UTC instant of a local wall time on a date, with LTM's DST policy:
 * a time that happens twice (clocks go back) resolves to its first
 * occurrence; a time that does not exist (clocks go forward) resolves to the
 * first valid instant after the gap (02:30 in a 02:00-03:00 gap fires at
 * 03:00). Either way a slot fires exactly once that day. */
int64_t sched_tz_resolve(const sched_tz *tz, int year, int month, int day, int minute_of_day);

/* Days since 1970-01-01 of a civil date and back (proleptic Gregorian). */
int64_t sched_days_from_civil(int year, int month, int day);
void sched_civil_from_days(int64_t days, int *year, int *month, int *day);

#endif
