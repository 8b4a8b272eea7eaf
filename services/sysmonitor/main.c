/* ltm-sysmonitor: samples host and service metrics, raises threshold alerts, keeps the execution history. */
#include "monitor.h"

#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/service.h"

int main(int argc, char **argv)
{
    const ltm_service_def def = {
        .name = "sysmonitor",
        .summary = "samples host and service metrics, raises threshold alerts, keeps the execution history",
        .clean_session = 0, /* results published while we are away must reach the history */
        .settings = monitor_settings,
        .setting_count = monitor_setting_count,
    };
    ltm_service *svc;
    int rc = ltm_service_init(&def, argc, argv, &svc);
    if (rc != LTM_OK)
        return ltm_service_exit_status(rc);
    monitor *m;
    rc = monitor_new(svc, &m);
    if (rc != LTM_OK) {
        ltm_service_free(svc);
        return ltm_service_exit_status(rc);
    }
    monitor_subscribe(m);
    ltm_service_start(svc);
    while (ltm_service_running(svc)) {
        ltm_service_wait(svc, monitor_run_due(m));
        ltm_mqtt_message *msg;
        while ((msg = ltm_service_next(svc))) {
            monitor_handle(m, msg);
            ltm_mqtt_message_free(msg);
        }
    }
    /* Saved before the offline status, so a supervisor that restarts us as
     * soon as it sees "offline" finds the latest history. */
    int saved = monitor_save(m);
    monitor_free(m);
    int status = ltm_service_shutdown(svc);
    return saved == LTM_OK ? status : 1;
}
