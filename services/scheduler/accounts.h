#ifndef SCHED_ACCOUNTS_H
#define SCHED_ACCOUNTS_H

#include "tz.h"

#include <stddef.h>

/* The part of the accounts file (docs/accounts.md) the scheduler uses: each
 * account's name, time zone, paused flag and schedule. The workers parse and
 * validate the rest themselves. */

#define SCHED_NAME_MAX 64
#define SCHED_ALL_DAYS 0x7fu /* bit 0 = Sunday ... bit 6 = Saturday */

typedef struct {
    char name[SCHED_NAME_MAX + 1];
    sched_tz *tz;               /* shared with other accounts of the same zone */
    int paused;
    unsigned weekdays;          /* bit mask, SCHED_ALL_DAYS by default */
    int *post_minutes;          /* local minutes of the day, ascending */
    size_t post_count;
    int *story_minutes;
    size_t story_count;
    int max_posts_per_day;      /* 0: no cap */
    int min_minutes_between_posts;
} sched_account;

typedef struct {
    sched_account *items;
    size_t count;
    sched_tz **zones;           /* owned; one per distinct zone name */
    size_t zone_count;
    size_t *by_name;            /* indexes into items, sorted by name */
} sched_accounts;

/* Parses and validates the JSON text. On failure returns LTM_EINVAL (or
 * LTM_ENOMEM) and writes a sentence naming the account and the field:
 *   account "acme": field schedule.posts[1]: expected HH:MM
 * Free with sched_accounts_clear (also after a failure). */
int sched_accounts_parse(const char *json, size_t len, sched_accounts *out, char *err,
                         size_t err_size);
void sched_accounts_clear(sched_accounts *accounts);

/* NULL when there is no account of that name. */
sched_account *sched_accounts_find(const sched_accounts *accounts, const char *name);

/* "HH:MM" to minutes of the day; -1 when malformed. */
int sched_parse_hhmm(const char *text);

/* The first fire instant strictly after after_ms of a slot at minute_of_day
 * local time on the given weekdays, with the DST policy of sched_tz_resolve.
 * -1 when weekdays is empty. */
int64_t sched_next_fire(const sched_tz *tz, unsigned weekdays, int minute_of_day,
                        int64_t after_ms);

#endif
