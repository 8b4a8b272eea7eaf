#ifndef NTF_REPORT_H
#define NTF_REPORT_H

#include "engine.h"

#include "ltm/msg.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* The daily report: per account and overall, what was published, failed,
 * retried and missed, publish times, what the engagement checks read (posts
 * read, their totals, the best post), the alerts firing, and the host's load.
 * Inputs are kept between reports: one record per result (appended to a
 * file in the data dir) and hourly buckets of the host metrics. Pure. */

typedef struct {
    char *job_id;
    char *account;
    ltm_job_kind kind;
    ltm_result_status status;
    int attempt;
    int final;
    int64_t publish_ms;
    int64_t finished_ms;
    /* Engagement checks only: the post read, the age of the check and, for
     * a read one (has_figures), its figures (-1: not offered). */
    char *post_job_id;
    char *remote_id;
    int64_t age_ms;
    int has_figures;
    ltm_figures figures;
    char *error_class; /* a check that did not read: why (NULL when none) */
} ntf_record;

/* One JSON line for the records file, and back (LTM_EINVAL if malformed). */
char *ntf_record_line(const ltm_result *res);
int ntf_record_parse(const char *line, size_t len, ntf_record *out);
void ntf_record_clear(ntf_record *r);

#define NTF_MAX_DISKS 8
#define NTF_HOST_BUCKETS 48

typedef struct {
    double max, sum;
    uint64_t n;
} ntf_stat;

typedef struct {
    int64_t hour_ms; /* start of the hour; 0: unused */
    ntf_stat cpu, memory;
    char mounts[NTF_MAX_DISKS][64];
    ntf_stat disks[NTF_MAX_DISKS];
} ntf_host_bucket;

typedef struct {
    ntf_host_bucket buckets[NTF_HOST_BUCKETS]; /* ring by hour */
    uint64_t samples, unusable;
} ntf_host;

/* A message from ltm/metrics/system: reads cpu_percent or cpu.percent,
 * memory_percent or memory.percent, and disks[{mount or path, percent}] when
 * present (any may be missing). Returns 1 when something was used, else 0
 * with the reason (for the dead letter). */
int ntf_host_add(ntf_host *h, const char *json, size_t len, int64_t now_ms, char *reason,
                 size_t reason_size);
cJSON *ntf_host_to_json(const ntf_host *h);
void ntf_host_from_json(ntf_host *h, const cJSON *arr);

/* Builds the report over [from_ms, to_ms) (host and alerts may be NULL): *json_out is the object published
 * on ltm/reports/daily, *text_out the HTML message. Callers free both. */
int ntf_report_build(const char *date, const char *job_id, int64_t from_ms, int64_t to_ms,
                     const ntf_record *records, size_t count, const ntf_host *host,
                     const ntf_engine *alerts, int64_t now_ms, char **json_out, char **text_out);

#endif
