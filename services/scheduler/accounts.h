#ifndef SCHED_ACCOUNTS_H
#define SCHED_ACCOUNTS_H

#include "tz.h"

#include "ltm/accounts.h"

#include <stddef.h>

/* The scheduler's view of the accounts file: each account's name, opened
 * time zone, paused flag and schedule, indexed by name. The file itself is
 * read and checked by the one reader, ltm/accounts.h, which the workers use
 * too; this file only turns its result into what the engine needs, and
 * holds the schedule arithmetic (sched_next_fire). */

#define SCHED_NAME_MAX LTM_ACCOUNT_NAME_MAX
#define SCHED_ALL_DAYS LTM_ALL_DAYS /* bit 0 = Sunday ... bit 6 = Saturday */

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

/* The schedule view of accounts ltm_accounts_parse accepted. */
int sched_accounts_view(const ltm_accounts *src, sched_accounts *out, char *err, size_t err_size);

/* ltm_accounts_parse (or _load) followed by sched_accounts_view. On failure
 * returns LTM_EINVAL (or LTM_ENOMEM; _load also LTM_ENOTFOUND) and writes the
 * reader's sentence naming the account and the field:
 *   account "acme": field schedule.posts[1]: expected HH:MM
 * Free with sched_accounts_clear (also after a failure). */
int sched_accounts_parse(const char *json, size_t len, sched_accounts *out, char *err,
                         size_t err_size);
int sched_accounts_load(const char *path, sched_accounts *out, char *err, size_t err_size);
void sched_accounts_clear(sched_accounts *accounts);

/* NULL when there is no account of that name. */
sched_account *sched_accounts_find(const sched_accounts *accounts, const char *name);

/* The first fire instant strictly after after_ms of a slot at minute_of_day
 * local time on the given weekdays, with the DST policy of sched_tz_resolve.
 * -1 when weekdays is empty. */
int64_t sched_next_fire(const sched_tz *tz, unsigned weekdays, int minute_of_day,
                        int64_t after_ms);

#endif
