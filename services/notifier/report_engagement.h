#ifndef NTF_REPORT_ENGAGEMENT_H
#define NTF_REPORT_ENGAGEMENT_H

#include "report.h"
#include "text.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* The daily report's engagement figures, per account or overall, from the
 * engagement check records of the period (report_build.c deduplicates them
 * first). Pure. */

typedef struct {
    uint64_t checks_read, checks_failed, checks_gone; /* final answers */
    uint64_t checks_blocked; /* ended by a block, not a failure: ltm_result_class_blocked */
    uint64_t posts_read;              /* distinct posts with a read check */
    int64_t totals[LTM_FIGURE_COUNT]; /* over those posts' latest readings; -1: none offered it */
    const ntf_record *best;           /* latest reading of the best post; NULL: none */
} ntf_engagement;

void ntf_engagement_init(ntf_engagement *e);
/* A check's answer: read, gone, blocked, or failed for good (retried attempts
 * are not counted). */
void ntf_engagement_count(ntf_engagement *e, const ntf_record *r);
/* Keeps, of the read checks at records[reads[i]], one per account and post:
 * its latest reading (the greatest age, then the later finish, then the later
 * line). Reorders reads and returns how many are kept at its start. */
size_t ntf_latest_readings(const ntf_record *records, size_t *reads, size_t n);
/* One post's latest reading: counted, added to the totals, and the best post
 * if it engaged most (ties: more impressions, then the smaller job id). */
void ntf_engagement_add_reading(ntf_engagement *e, const ntf_record *r);

/* The "engagement" object of the report's JSON; NULL when out of memory. */
cJSON *ntf_engagement_json(const ntf_engagement *e);
/* Up to three message lines (none when nothing was read, failed or gone). */
void ntf_engagement_text(ntf_buf *b, const ntf_engagement *e);

#endif
