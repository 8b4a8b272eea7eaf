#ifndef SCHED_ENGAGEMENT_H
#define SCHED_ENGAGEMENT_H

#include <stddef.h>
#include <stdint.h>

/* The pure part of engagement checks (docs/scheduler.md#engagement-checks):
 * the ages at which a post is read, the per-source call budget and what one
 * check costs. No I/O; the engine applies them. */

#define ENGAGEMENT_AGES_MAX 8
#define ENGAGEMENT_LIMITS_MAX 8
#define ENGAGEMENT_DAY_MS 86400000LL

typedef struct {
    int64_t ms;
    char label[16]; /* as written in the setting: the tail of the check's job id */
} engagement_age;

typedef struct {
    engagement_age items[ENGAGEMENT_AGES_MAX]; /* ascending */
    int count;                                  /* 0: no checks ("off") */
} engagement_ages;

/* "1h,24h,7d" (durations as LTM settings take them, at most 8, distinct,
 * 1 s to 365 d), or "off". below_ms > 0 refuses ages >= it (stories: their
 * insights live 24 h). LTM_EINVAL with the sentence after "expected" in
 * err. */
int engagement_ages_parse(const char *text, int64_t below_ms, engagement_ages *out, char *err,
                          size_t err_size);

typedef struct {
    char channel[16];
    int64_t calls;     /* API calls allowed per window per source */
    int64_t window_ms;
} engagement_limit;

typedef struct {
    engagement_limit items[ENGAGEMENT_LIMITS_MAX];
    int count; /* 0: no budget at all */
} engagement_budget;

/* "linkedin=500/1d,instagram=150/1h,rapidapi=100/1d" or "off": calls per
 * window per source (channel and account) for each channel named; a channel
 * not named is not limited. Channels: linkedin, instagram, rapidapi,
 * sandbox; a limit below the cost of one check is refused. */
int engagement_budget_parse(const char *text, engagement_budget *out, char *err,
                            size_t err_size);
/* The limit of a channel, NULL when it has none. */
const engagement_limit *engagement_budget_find(const engagement_budget *b, const char *channel);

/* API calls one check makes on a channel: LinkedIn member-post analytics
 * take one call per metric (impressions, reach, reactions, comments,
 * reposts), the others one call for all figures. */
int engagement_check_cost(const char *channel);

/* Whether a channel has figures to read: linkedin, instagram, rapidapi and
 * sandbox (a webhook has none; an unknown name neither). */
int engagement_channel_readable(const char *channel);

/* The earliest instant >= now at which one more check of cost calls fits
 * the limit, given the dispatch instants (ascending) of the source's check
 * attempts within the window ending at now: an attempt at d counts while
 * now < d + window. */
int64_t engagement_budget_next(const engagement_limit *limit, int cost, const int64_t *dispatched,
                               int count, int64_t now);

/* "Mon 09:00" of a weekday (0 Monday .. 6 Sunday) and a minute of the day. */
void engagement_slot_local(int weekday, int minute, char out[16]);

#endif
