#ifndef SCHED_TRAFFIC_H
#define SCHED_TRAFFIC_H

#include "engagement.h"
#include "ledger.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* The ranking behind `ltmctl traffic` (docs/ltmctl.md): published posts with
 * their reading at one reference age, grouped by account, by slot and by
 * theme, each group ranked by the median engagement of its posts. Pure: the
 * posts come from ledger_posts_at_age, nothing here reads the ledger.
 *
 * What counts (decided for issue 15):
 * - posts are compared at the same age: one reference age per kind
 *   (traffic_reference_age, or the asker's); ranked on each post's latest
 *   reading instead, a slot whose posts were only read at 1 h would lose to
 *   one read at 7 d for that reason alone;
 * - engagement of a post = ltm_figures_engagement of its reading at that age
 *   (reactions + comments + shares + saves, a figure not offered counts 0);
 * - a post without that reading yet is "unread": it is counted apart and
 *   never enters a median as a zero, which would rank a new slot below an
 *   old one;
 * - a gone post (deleted on the network) keeps its reading at that age if it
 *   was made: the traffic it drew while it was live is evidence about its
 *   slot and theme; gone before that age, it stays unread;
 * - the median of an even count is the mean of the two middle values, so it
 *   may end in .5; median impressions is over the posts whose reading offers
 *   impressions (none: no median);
 * - slots are grouped per account and kind: "acme post Mon 09:00" is the
 *   account's own local weekday and time. Accounts live in different time
 *   zones and have audiences of different sizes, so one account's "Mon 09:00"
 *   says nothing about another's, and a schedule is chosen per account and
 *   per kind (schedule.posts, schedule.stories) anyway. */

typedef struct traffic traffic;

typedef enum {
    TRAFFIC_BY_ACCOUNT,
    TRAFFIC_BY_SLOT,
    TRAFFIC_BY_THEME,
} traffic_grouping;

typedef struct {
    char key[LTM_THEME_MAX + 84]; /* account; "acme post Mon 09:00"; theme or "(none)" */
    char account[65];         /* by account and by slot */
    ltm_job_kind kind;        /* by slot */
    char weekday[4];          /* by slot: "Mon" */
    char time[6];             /* by slot: "09:00" */
    char theme[LTM_THEME_MAX + 1]; /* by theme: "" for none */
    int posts;                /* posts with a reading at the reference age */
    int unread;               /* posts without it (yet) */
    double median_engagement; /* meaningful when posts > 0 */
    int impressions_posts;    /* posts whose reading offers impressions */
    double median_impressions; /* meaningful when impressions_posts > 0 */
    int64_t total_engagement;
    char best_post[200];      /* job id of the most engaging post; "" when posts == 0 */
    int64_t best_engagement;
} traffic_row;

/* Caller frees with traffic_free (NULL accepted). NULL when out of memory. */
traffic *traffic_new(void);
void traffic_free(traffic *t);

/* The reference age of a kind by default: of the configured ages, the one
 * closest to a day (the younger on a tie), so posts are compared once their
 * day has passed. 0 when the kind has no ages (checks off). */
int64_t traffic_reference_age(const engagement_ages *ages);

/* Adds a post and its reading at the reference age (NULL when it has none).
 * Only the kind given to traffic_set_kind counts when one was set.
 * LTM_ENOMEM. */
int traffic_add(traffic *t, const ledger_post *p, const ledger_reading *reading);
/* Counts only posts of this kind from now on. */
void traffic_set_kind(traffic *t, ltm_job_kind kind);

/* Posts added (that passed the kind filter) and those of them unread. */
int traffic_posts(const traffic *t);
int traffic_unread(const traffic *t);

/* The ranking in order: median engagement descending, then posts with a
 * reading descending, then key; groups with no read post come last. *rows
 * is NULL when count is 0; caller frees it with free(). LTM_ENOMEM. */
int traffic_rank(const traffic *t, traffic_grouping by, traffic_row **rows, int *count);

/* {"accounts":[...],"slots":[...],"themes":[...]}, each row
 * {"key","posts","unread","median_engagement","median_impressions","total_engagement",
 *  "best_post"} (medians and best_post null when they have no value) plus
 * "account" (accounts, slots), "kind","weekday","time" (slots), "theme"
 * (themes). Each ranking keeps its top max_rows rows; totals gets the number
 * of rows of each (accounts, slots, themes) before that cut. NULL when out of
 * memory; caller deletes. */
cJSON *traffic_rankings_json(const traffic *t, int max_rows, int totals[3]);

/* One post with its readings for the reply's "posts" list: {"job_id",
 * "account","kind","channel","remote_id","slot","published_at","weekday",
 * "time","theme","state","readings":[{"age_ms","read_at","figures":{name:
 * value or null when not offered},"engagement"}]}. NULL when out of memory. */
cJSON *traffic_post_json(const ledger_post *p, const ledger_reading *readings, int count);

/* "Mon".."Sun" for 0..6, "?" otherwise; "HH:MM" of a minute of the day. */
const char *traffic_weekday_name(int weekday);
void traffic_format_minute(int minute, char out[6]);

#endif
