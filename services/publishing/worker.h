#ifndef LTM_WORKER_H
#define LTM_WORKER_H

#include "ltm/msg.h"
#include "ltm/service.h"

/* The job loop shared by ltm-poster and ltm-story-publisher: consume jobs of
 * one kind (and, for the poster, engagement checks) through shared
 * subscriptions (replicas split the work, none gets
 * a job twice), carry each out, publish one result per attempt on
 * ltm/results, and send anything undecodable to ltm/dlq.
 *
 * One thread, one event loop: curl's multi interface drives every HTTP call
 * (up to LTM_WORKER_INFLIGHT jobs at once) and the service's wake fd is in
 * the same poll, so MQTT callbacks never wait for HTTP and a slow API never
 * holds up the other jobs. docs/publishing.md describes the stages, the
 * outcome classes and the modes. */

typedef struct {
    ltm_job_kind kind;
    const char *share_group; /* "posters": $share/posters/ltm/jobs/post */
    /* Also takes engagement checks ($share/<share_group>/ltm/jobs/engagement)
     * of posts and stories alike: reading figures needs the accounts' tokens
     * and channel code, which this worker already holds (docs/publishing.md,
     * "Reading figures back"). In live mode it then also needs the story
     * channels' tokens. */
    int reads_figures;
} ltm_worker_def;

typedef struct ltm_worker ltm_worker;

/* Settings every worker reads, to append to its service table. */
extern const ltm_setting ltm_worker_settings[];
extern const size_t ltm_worker_setting_count;

/* Checks the worker settings, loads the accounts file, the tokens it names
 * (live mode) and the de-duplication database. On a configuration problem
 * prints one line naming the setting, or the account and field, and returns
 * LTM_ECONFIG; other failures return their code. Caller frees *out with
 * ltm_worker_free() unless ltm_worker_run() took it. */
int ltm_worker_new(ltm_service *svc, const ltm_worker_def *def, ltm_worker **out);
void ltm_worker_free(ltm_worker *worker);

/* Runs until SIGTERM, lets the jobs in flight finish (bounded by
 * LTM_WORKER_DRAIN_TIMEOUT), frees the worker and shuts the service down;
 * returns the process exit status. */
int ltm_worker_run(ltm_worker *worker);

#endif
