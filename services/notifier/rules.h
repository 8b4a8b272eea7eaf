#ifndef NTF_RULES_H
#define NTF_RULES_H

#include "engine.h"

#include "ltm/msg.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* The notifier's own alert rules (the host rules come from the sysmonitor on
 * ltm/alerts). Pure: they turn results, statuses and the passing of time into
 * ntf_engine_fire/resolve calls. docs/notifier.md describes each rule. */

typedef struct {
    int failure_threshold;       /* fire when consecutive final failures > this */
    int64_t inactivity_ms;       /* no successful publish for longer, while jobs were due */
    int64_t offline_grace_ms;    /* a service with no online instance for longer */
    int64_t forget_after_ms;     /* an instance offline for longer is forgotten */
    const char *self_service;    /* never alerted about: if it runs, it is not down */
} ntf_rules_opts;

typedef struct {
    char account[65];
    int consecutive;            /* final publishing failures in a row */
    int engagement_consecutive; /* final engagement check failures in a row */
} ntf_account_count;

typedef struct {
    char service[49];
    char instance[49];
    int online;
    int64_t started_ms;
    int64_t heartbeat_ms;
    int64_t interval_ms;
    int64_t offline_since_ms;
} ntf_instance;

typedef struct {
    ntf_rules_opts opts;
    ntf_account_count *accounts;
    size_t account_count;
    int overall_consecutive;
    int64_t last_success_ms;  /* baseline: the first start of this notifier */
    int64_t due_since_ms;     /* first post/story result without success since then; 0: none */
    ntf_instance *instances;
    size_t instance_count;
    int64_t observing_since_ms; /* this process's start: the grace counts from here at least */
} ntf_rules;

void ntf_rules_init(ntf_rules *r, const ntf_rules_opts *opts, int64_t now_ms);
void ntf_rules_clear(ntf_rules *r);

/* A decoded result from ltm/results. Engagement checks publish nothing:
 * they never count for the publishing rules (failures, inactivity) and have
 * their own, engagement.failures.<account> (warning). */
int ntf_rules_result(ntf_rules *r, ntf_engine *e, const ltm_result *res, int64_t now_ms);

/* A retained status; status NULL: the retained message was deleted (empty
 * payload), the instance is forgotten. */
int ntf_rules_status(ntf_rules *r, const char *service, const char *instance,
                     const ltm_status *status, int64_t now_ms);

/* Time-based rules: inactivity, services offline past the grace period,
 * stale heartbeats, forgetting instances. Call often. */
int ntf_rules_tick(ntf_rules *r, ntf_engine *e, int64_t now_ms);

/* Instances considered online now (fresh heartbeat). */
int ntf_instance_online(const ntf_instance *in, int64_t now_ms);

/* Startup notice: whether this start of the notifier is a start of the
 * system. It is not when another service's instance has been online since
 * before now - window (the rest of the system was already running: only the
 * notifier restarted), or when a notice was already sent within the window
 * (another replica, or a restart loop). */
int ntf_is_system_start(const ntf_rules *r, const char *own_service, int64_t own_start_ms,
                        int64_t last_notice_ms, int64_t window_ms, int64_t now_ms);

/* Persisted part (counters and the inactivity clock; statuses come back
 * retained from the broker). */
cJSON *ntf_rules_to_json(const ntf_rules *r);
void ntf_rules_from_json(ntf_rules *r, const cJSON *o);

#endif
