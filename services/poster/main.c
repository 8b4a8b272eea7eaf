/* ltm-poster: generates post texts and publishes them on each account's channel,
 * and reads back the figures of published posts and stories (engagement checks). */
#include "ltm/error.h"
#include "ltm/service.h"
#include "publishing/worker.h"

int main(int argc, char **argv)
{
    const ltm_service_def def = {
        .name = "poster",
        .summary = "generates post texts, publishes them on each account's channel and reads "
                   "back the figures of published posts and stories",
        .clean_session = 0, /* jobs queued while we are away must wait for us */
        .settings = ltm_worker_settings,
        .setting_count = ltm_worker_setting_count,
    };
    ltm_service *svc;
    int rc = ltm_service_init(&def, argc, argv, &svc);
    if (rc != LTM_OK)
        return ltm_service_exit_status(rc);
    static const ltm_worker_def worker = {
        .kind = LTM_JOB_POST, .share_group = "posters", .reads_figures = 1};
    ltm_worker *w;
    rc = ltm_worker_new(svc, &worker, &w);
    if (rc != LTM_OK) {
        ltm_service_free(svc);
        return ltm_service_exit_status(rc);
    }
    return ltm_worker_run(w);
}
