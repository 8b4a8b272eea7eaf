#ifndef SYSMON_SUMMARY_H
#define SYSMON_SUMMARY_H

#include "history.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Period summaries of the execution history (pure functions). */

typedef struct {
    size_t count;     /* attempts */
    size_t succeeded; /* status "published" */
    size_t retries;   /* attempts after the first */
    double success_rate; /* 0..1; 0 when count is 0 */
    int64_t p50_ms, p95_ms, max_ms; /* attempt durations, nearest rank */
} summary_stats;

/* Stats of the entries finished in [from_ms, to_ms]; kind < 0 means every
 * kind, account NULL every account. */
int summary_compute(const history_entry *entries, size_t n, int64_t from_ms, int64_t to_ms,
                    int kind, const char *account, summary_stats *out);

/* {"at":..., "periods":{"hour":{"all":{...},"kinds":{...},"accounts":{...}},
 *  "day":..., "week":...}}; NULL when out of memory. */
cJSON *summary_build(const history_entry *entries, size_t n, int64_t now_ms);

/* Nearest-rank percentile of sorted values (n > 0). */
int64_t summary_percentile(const int64_t *sorted, size_t n, double p);

#endif
