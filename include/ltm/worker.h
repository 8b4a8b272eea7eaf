#ifndef LTM_WORKER_H
#define LTM_WORKER_H

#include "ltm/msg.h"
#include "ltm/service.h"

/* The job loop shared by ltm-poster and ltm-story-publisher: consume jobs of
 * one kind through a shared subscription (replicas split the work, none gets
 * a job twice), carry each out, publish one result per attempt on
 * ltm/results, and send anything undecodable to ltm/dlq. */

typedef struct {
    ltm_job_kind kind;
    const char *share_group; /* "posters": $share/posters/ltm/jobs/post */
} ltm_worker_def;

/* Settings every worker reads, to append to its service table. */
extern const ltm_setting ltm_worker_settings[];
extern const size_t ltm_worker_setting_count;

/* Checks the worker settings; on a problem logs it and returns LTM_ECONFIG. */
int ltm_worker_check(ltm_service *svc);

/* Runs until SIGTERM; returns the process exit status. */
int ltm_worker_run(ltm_service *svc, const ltm_worker_def *def);

/* Builds the clearly marked text of a sandbox publication; caller frees. */
char *ltm_sandbox_text(const ltm_job *job);

#endif
