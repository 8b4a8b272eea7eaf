#ifndef GW_ENGAGEMENT_H
#define GW_ENGAGEMENT_H

#include "ltm/msg.h"

#include <stddef.h>
#include <stdint.h>

/* What the gateway learns from engagement results on ltm/results: checks
 * answered per account, and the latest reading (greatest age) of each post,
 * summed per account for /metrics. Pure, and bounded: at most
 * GW_MAX_POSTS posts (the one first heard longest ago is evicted, its
 * figures leave the sums, counted in evicted) and GW_MAX_ENGAGEMENT_ACCOUNTS
 * accounts (results of further accounts are counted in accounts_dropped and
 * otherwise ignored). docs/health-gateway.md describes both bounds. */

#define GW_MAX_POSTS 10000
#define GW_MAX_ENGAGEMENT_ACCOUNTS 256

/* Checks by outcome: read, gone, blocked (a permission, quota or rate limit:
 * the scheduler pauses or blocks the source and alerts on it itself), failed
 * (any other answer). */
enum { GW_CHECK_READ = 0, GW_CHECK_GONE, GW_CHECK_FAILED, GW_CHECK_BLOCKED, GW_CHECK_STATUSES };
extern const char *const gw_check_status_names[GW_CHECK_STATUSES];

typedef struct {
    char name[65];                       /* as the result carries it: any UTF-8, up to 64 bytes */
    uint64_t checks[GW_CHECK_STATUSES];  /* every attempt answered */
    uint64_t posts;                      /* posts tracked with a reading */
    int64_t sums[LTM_FIGURE_COUNT];      /* over those posts' latest readings */
    uint64_t offering[LTM_FIGURE_COUNT]; /* how many of them offer the figure (0: absent) */
} gw_eng_account;

typedef struct {
    char *post_job_id; /* NULL: free slot */
    size_t account;    /* index in accounts */
    int64_t age_ms;
    ltm_figures figures;
} gw_post_reading;

typedef struct {
    gw_eng_account *accounts; /* allocated on the first engagement result */
    size_t account_count;
    gw_post_reading *posts; /* ring in the order posts were first heard */
    size_t post_head, post_count;
    size_t max_posts;       /* GW_MAX_POSTS; tests set a smaller bound before the first result */
    int32_t *buckets, *next; /* hash chains of post indexes, -1 ends */
    size_t nbuckets;
    uint64_t evicted, accounts_dropped;
} gw_engagement;

void gw_engagement_init(gw_engagement *e);
void gw_engagement_clear(gw_engagement *e);

/* Takes a decoded engagement result. LTM_OK, or LTM_ENOMEM (nothing changed). */
int gw_engagement_add(gw_engagement *e, const ltm_result *r);

/* The latest reading kept for a post; NULL when not tracked. */
const gw_post_reading *gw_engagement_find(const gw_engagement *e, const char *post_job_id);

#endif
