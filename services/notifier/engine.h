#ifndef NTF_ENGINE_H
#define NTF_ENGINE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Alert grouping with Prometheus Alertmanager's semantics, as a pure state
 * machine: callers pass the wall-clock time, nothing here sleeps or sends.
 * - Each alert has a key. An occurrence of a key that is not firing yet (or
 *   a resolution) opens the group window: everything that changes before
 *   it closes goes out as one message.
 * - Further occurrences of a firing key are only counted; the alert is
 *   repeated at most every repeat interval, with the count of occurrences
 *   suppressed since the last message.
 * - A resolution sends one resolved message, then the key is forgotten.
 * Severity order: info < warning < critical. */

enum { NTF_INFO = 0, NTF_WARNING = 1, NTF_CRITICAL = 2 };
int ntf_severity_parse(const char *text); /* unknown: NTF_WARNING */
const char *ntf_severity_name(int severity);

typedef struct {
    char key[129];
    char source[65];
    int severity;
    char *summary;       /* latest summary, raw (escaped when rendered) */
    int firing;
    int notified;        /* a firing message went out for this episode */
    int resolved_pending;
    int64_t since_ms;    /* episode start */
    int64_t last_ms;     /* latest occurrence */
    int64_t resolved_ms;
    int64_t last_sent_ms;
    uint64_t total;      /* occurrences in this episode */
    uint64_t unsent;     /* occurrences since the last message */
} ntf_alert;

typedef struct {
    int64_t group_wait_ms;
    int64_t repeat_interval_ms;
} ntf_engine_opts;

typedef struct {
    ntf_engine_opts opts;
    ntf_alert *items;
    size_t count, cap;
    int64_t flush_at_ms; /* 0: no group window open */
} ntf_engine;

void ntf_engine_init(ntf_engine *e, const ntf_engine_opts *opts);
void ntf_engine_clear(ntf_engine *e);

/* One occurrence of a firing alert. Returns 0 or LTM_ENOMEM. */
int ntf_engine_fire(ntf_engine *e, const char *key, int severity, const char *summary,
                    const char *source, int64_t since_ms, int64_t now_ms);
/* Resolution; LTM_ENOTFOUND when the key is not firing (ignored). */
int ntf_engine_resolve(ntf_engine *e, const char *key, const char *summary, int64_t now_ms);

const ntf_alert *ntf_engine_find(const ntf_engine *e, const char *key);
int ntf_engine_is_firing(const ntf_engine *e, const char *key);

/* Wall-clock time of the next message due (group window or repeat); 0 when
 * nothing is pending. */
int64_t ntf_engine_next_due(const ntf_engine *e);

/* When something is due at now_ms, renders it as one HTML message (caller
 * frees), sets *severity to the highest severity in it, and records it as
 * sent. NULL when nothing is due (or out of memory: *severity = -1). */
char *ntf_engine_flush(ntf_engine *e, int64_t now_ms, int *severity);

/* Persistence: the whole state as a JSON array and back. Unknown or
 * malformed entries are skipped (counted in *skipped). */
cJSON *ntf_engine_to_json(const ntf_engine *e);
int ntf_engine_from_json(ntf_engine *e, const cJSON *array, size_t *skipped);

#endif
