#ifndef GW_STATE_H
#define GW_STATE_H

#include "engagement.h"

#include "ltm/msg.h"

#include <stddef.h>
#include <stdint.h>

/* What the health gateway knows about the system: the latest state carried
 * by ltm/status, ltm/metrics, ltm/results, ltm/alerts and ltm/dlq. Pure:
 * messages and clocks come in as arguments, nothing here does I/O, so every
 * rule is unit-tested on fixtures.
 *
 * Everything is bounded. What does not fit (a 65th service, a 129th active
 * alert) is not kept, and counted in dropped[] so /metrics shows it. */

#define GW_MAX_SERVICES 64
#define GW_MAX_REPLICAS 64 /* per service */
#define GW_MAX_ALERTS 128
#define GW_MAX_RESULTS 200
#define GW_MAX_DLQ_SOURCES 16
#define GW_NAME_SIZE 65
#define GW_JOB_KINDS 3       /* post, story, report: ltm_job_kind */
#define GW_RESULT_STATUSES 5 /* ltm_result_status */
#define GW_MAX_DISKS 16

/* Upper bounds in seconds of the publish-duration histogram; +Inf is implied. */
#define GW_BUCKETS 12
extern const double gw_publish_buckets[GW_BUCKETS];

typedef struct {
    char instance[GW_NAME_SIZE];
    int has_status; /* 0: only process metrics were seen so far */
    int online;
    char *version;
    char *host;
    int pid;
    int64_t started_ms;
    int64_t heartbeat_ms;
    int64_t interval_ms; /* 0: the status did not say */
    int64_t heard_mono;  /* monotonic instant the last heartbeat counts from */
    char *detail_json;
    int has_metrics;
    double rss_bytes, cpu_s, messages_in, messages_out, errors, dead_letters, dropped;
} gw_replica;

typedef struct {
    char name[GW_NAME_SIZE];
    gw_replica *replicas;
    size_t replica_count;
} gw_service;

typedef struct {
    char mount[128];
    double ratio;
} gw_disk;

/* Host gauges read from ltm/metrics/system; has_* say which were present. */
typedef struct {
    int has_cpu, has_memory, has_load;
    double cpu_ratio, memory_ratio, load1;
    gw_disk disks[GW_MAX_DISKS];
    size_t disk_count;
} gw_host;

typedef struct {
    char name[GW_NAME_SIZE];
    uint64_t count;
} gw_source_count;

enum {
    GW_DROP_SERVICES = 0, /* more services than GW_MAX_SERVICES */
    GW_DROP_REPLICAS,     /* more replicas of one service than GW_MAX_REPLICAS */
    GW_DROP_ALERTS,       /* more active alerts than GW_MAX_ALERTS */
    GW_DROP_DISKS,        /* more disks in ltm/metrics/system than GW_MAX_DISKS */
    GW_DROP_COUNT
};
extern const char *const gw_drop_names[GW_DROP_COUNT];

typedef struct {
    gw_service services[GW_MAX_SERVICES];
    size_t service_count;

    char *results[GW_MAX_RESULTS]; /* ring of result JSON texts, newest at results_head - 1 */
    size_t results_keep;           /* N: how many are shown */
    size_t results_head, results_len;
    /* Engagement results in a ring of their own: three or more per post,
     * they would push the publications out of the one above. */
    char *checks[GW_MAX_RESULTS];
    size_t checks_head, checks_len;
    gw_engagement eng;

    ltm_alert alerts[GW_MAX_ALERTS]; /* firing only; a resolved event removes its key */
    size_t alert_count;

    char *system_json; /* latest ltm/metrics/system object, as received */
    int64_t system_mono;
    gw_host host;
    char *summary_json; /* latest ltm/metrics/summary */

    uint64_t results_by[GW_JOB_KINDS][GW_RESULT_STATUSES];
    uint64_t retries[GW_JOB_KINDS];
    uint64_t publish_buckets[GW_JOB_KINDS][GW_BUCKETS]; /* cumulative, as Prometheus wants */
    uint64_t publish_count[GW_JOB_KINDS];
    double publish_sum_s[GW_JOB_KINDS];

    uint64_t dlq_total;
    gw_source_count dlq_by[GW_MAX_DLQ_SOURCES]; /* the last slot collects "other" */
    size_t dlq_source_count;

    uint64_t messages;
    uint64_t rejected; /* dead-lettered by the gateway */
    uint64_t dropped[GW_DROP_COUNT];
} gw_state;

/* results_keep is N, the number of last results kept (1..GW_MAX_RESULTS). */
void gw_state_init(gw_state *s, size_t results_keep);
void gw_state_clear(gw_state *s);

enum { GW_APPLIED = 0, GW_IGNORED = 1 };

/* Takes one message into the state. Returns GW_APPLIED, GW_IGNORED for a
 * topic the gateway does not track, or LTM_EINVAL with reason filled when
 * the message is malformed (the caller dead-letters it; the state is left as
 * it was). A retained status counts from its own heartbeat_at (it may be old:
 * the broker kept it), a live one from the moment it arrived, so clock skew
 * between hosts never makes a live service look stale. */
int gw_state_apply(gw_state *s, const char *topic, const char *payload, size_t len, int retained,
                   int64_t now_ms, int64_t now_mono, char reason[LTM_REASON_SIZE]);

/* Freshness and service states, as /health, /status and /metrics see them. */
typedef enum { GW_UP = 0, GW_STALE, GW_DOWN, GW_MISSING } gw_liveness;
const char *gw_liveness_name(gw_liveness l);

typedef struct {
    int64_t default_interval_ms; /* for a status without heartbeat_interval_ms */
    double stale_factor;         /* stale after factor x interval without a heartbeat */
} gw_freshness;

gw_liveness gw_replica_liveness(const gw_replica *r, const gw_freshness *f, int64_t now_mono);
/* Best of its replicas' states; GW_MISSING when svc is NULL or has no status. */
gw_liveness gw_service_liveness(const gw_service *svc, const gw_freshness *f, int64_t now_mono);
/* The replica that best represents the service: up first, then the latest heartbeat. */
const gw_replica *gw_service_best(const gw_service *svc, const gw_freshness *f, int64_t now_mono);
const gw_service *gw_state_find(const gw_state *s, const char *name);

/* Result texts of publications (post, story, report), newest first: i from
 * 0 to gw_state_result_count() - 1. */
size_t gw_state_result_count(const gw_state *s);
const char *gw_state_result(const gw_state *s, size_t i);
/* The same for engagement results. */
size_t gw_state_check_count(const gw_state *s);
const char *gw_state_check(const gw_state *s, size_t i);

/* A service or instance name as the topics carry it: 1..64 of [A-Za-z0-9._-]. */
int gw_valid_name(const char *s, size_t len);

#endif
