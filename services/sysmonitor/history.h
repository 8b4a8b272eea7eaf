#ifndef SYSMON_HISTORY_H
#define SYSMON_HISTORY_H

#include "ltm/msg.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* The execution history: one entry per job attempt seen on ltm/results.
 * A result can be delivered twice (QoS 1 redelivery, a worker that resends
 * after a reconnect), so an attempt is identified by job_id + attempt and
 * counted once. The history is bounded by age and by count so it, and the
 * file it is saved to, never grow without limit. */

typedef struct {
    char *job_id;
    char *account;     /* NULL for system jobs (the daily report) */
    char *error_class; /* NULL on success */
    ltm_job_kind kind;
    ltm_result_status status;
    int attempt;
    int final;
    int64_t finished_ms;
    int64_t generate_ms, image_ms, publish_ms;
} history_entry;

typedef struct history history;

/* retention_ms: entries older than now - retention are pruned; max_entries:
 * the oldest go first beyond it. Caller frees with history_free. */
int history_new(int64_t retention_ms, size_t max_entries, history **out);
void history_free(history *h);

/* Copies the entry. *added is 0 for an attempt already known. Entries older
 * than the retention are not added (*added 0). */
int history_add(history *h, const history_entry *e, int64_t now_ms, int *added);

/* Whether a result belongs in the history: engagement checks read a post's
 * figures, they publish nothing, so they would skew the success rates and
 * durations of the publications (docs/sysmonitor.md). */
int history_takes_result(const ltm_result *r);

/* From a decoded result; a result history_takes_result refuses is not added
 * (*added 0). A finished time that is absent or more than a day
 * ahead of received_ms (a bad clock) is replaced by received_ms. */
int history_add_result(history *h, const ltm_result *r, int64_t received_ms, int *added);

/* Drops what is older than the retention or beyond the count; returns how
 * many were dropped. */
size_t history_prune(history *h, int64_t now_ms);

size_t history_count(const history *h);
/* In insertion order; valid until the next add or prune. */
const history_entry *history_entries(const history *h);

/* Duration of an attempt: the sum of its phases. */
int64_t history_duration_ms(const history_entry *e);

/* JSON array of the entries; NULL when out of memory. */
cJSON *history_to_json(const history *h);
/* One entry as JSON text (an element of that array); caller frees. Lets a
 * large history be written entry by entry instead of as one cJSON tree
 * (about 1 kB of nodes per entry). */
char *history_entry_to_text(const history_entry *e);
/* Adds the entries of a JSON array (as written by history_to_json); an
 * entry that does not validate is skipped and counted. */
int history_from_json(history *h, const cJSON *array, int64_t now_ms, size_t *skipped);
/* Adds one entry object: LTM_EINVAL when it does not validate. */
int history_add_json(history *h, const cJSON *entry, int64_t now_ms);

#endif
