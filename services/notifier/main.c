/* ltm-notifier: sends Telegram alerts, the startup notice and the daily report. */
#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/service.h"

int main(int argc, char **argv)
{
    const ltm_service_def def = {
        .name = "notifier",
        .summary = "sends Telegram alerts, the startup notice and the daily report",
        .clean_session = 0,
    };
    ltm_service *svc;
    int rc = ltm_service_init(&def, argc, argv, &svc);
    if (rc == 1)
        return 0;
    if (rc != LTM_OK)
        return rc == LTM_ECONFIG ? LTM_EXIT_CONFIG : 1;
    ltm_warn("this version only reports its status and process metrics: Telegram delivery, alert rules and the daily report are not built yet");
    ltm_service_start(svc);
    while (ltm_service_running(svc)) {
        ltm_service_wait(svc, 1000);
    }
    return ltm_service_shutdown(svc);
}
