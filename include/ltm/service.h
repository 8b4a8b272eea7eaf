#ifndef LTM_SERVICE_H
#define LTM_SERVICE_H

#include "ltm/config.h"
#include "ltm/mqtt.h"

#include <stddef.h>
#include <stdint.h>

/* What every LTM binary does the same way: settings from the environment,
 * the startup log lines, signals, the MQTT connection, the retained status
 * on ltm/status/<service>/<instance> with its Last Will, the heartbeat, the
 * process metrics on ltm/metrics/<service>, dead letters and counters.
 * The service keeps its own loop:
 *
 *     while (ltm_service_running(svc)) {
 *         ltm_service_wait(svc, timeout_ms);
 *         ltm_mqtt_message *m;
 *         while ((m = ltm_service_next(svc))) { handle(m); ltm_mqtt_message_free(m); }
 *     }
 *     return ltm_service_shutdown(svc);
 */

typedef struct ltm_service ltm_service;

typedef struct {
    const char *name;              /* "poster": topic names, username, logs */
    const char *summary;           /* one line for --help */
    int clean_session;             /* 0 for services whose queue must survive their absence */
    const ltm_setting *settings;   /* the service's own settings, besides the common ones */
    size_t setting_count;
    const char *mqtt_persistence;  /* default of LTM_MQTT_PERSISTENCE; NULL: "file" */
} ltm_service_def;

/* Exit status when a setting is missing or malformed (sysexits EX_CONFIG). */
#define LTM_EXIT_CONFIG 78

/* Handles --help and --version (returns 1: exit 0 now), loads settings (on
 * error prints one line naming the setting and returns LTM_ECONFIG), logs the
 * startup lines and prepares the connection. 0: *out is ready. */
int ltm_service_init(const ltm_service_def *def, int argc, char **argv, ltm_service **out);

/* The process exit status for what ltm_service_init or a service's own set-up
 * returned: 0 after --help/--version (1), LTM_EXIT_CONFIG for a bad setting,
 * 1 for anything else. */
int ltm_service_exit_status(int rc);
void ltm_service_free(ltm_service *svc);

const ltm_config *ltm_service_config(const ltm_service *svc);
const char *ltm_service_name(const ltm_service *svc);
const char *ltm_service_instance(const ltm_service *svc);
const char *ltm_service_client_id(const ltm_service *svc);
const char *ltm_service_data_dir(const ltm_service *svc);
ltm_mqtt *ltm_service_mqtt(ltm_service *svc);

int ltm_service_subscribe(ltm_service *svc, const char *filter, int qos);
int ltm_service_start(ltm_service *svc);

/* eventfd that becomes readable when a message arrived, the connection
 * changed or a signal came; for loops that poll other fds too (curl). */
int ltm_service_wake_fd(const ltm_service *svc);

/* Blocks until woken or timeout_ms passed, then does the housekeeping
 * (resend, heartbeat, metrics). Call often; it is cheap. */
void ltm_service_wait(ltm_service *svc, int timeout_ms);
/* The housekeeping alone, for loops that wait elsewhere. Returns the ms until
 * it wants to run again. */
int ltm_service_tick(ltm_service *svc);

int ltm_service_running(const ltm_service *svc);
void ltm_service_request_stop(ltm_service *svc);
ltm_mqtt_message *ltm_service_next(ltm_service *svc);

/* Publishes and counts; a refusal (outbox full) is logged and counted as a
 * drop, never silent. */
int ltm_service_publish(ltm_service *svc, const char *topic, const char *payload, size_t len,
                        int qos, int retain);
/* Same for a JSON text it takes ownership of (NULL counts as an error). */
int ltm_service_publish_json(ltm_service *svc, const char *topic, char *json, int qos, int retain);

/* Republishes a rejected message on ltm/dlq with the reason, logs it and
 * counts it. */
void ltm_service_dead_letter(ltm_service *svc, const ltm_mqtt_message *m, const char *reason);

/* Service-specific object published in the status's "detail" field (JSON
 * text, copied); the next heartbeat carries it. */
void ltm_service_set_detail(ltm_service *svc, const char *detail_json);

/* The counterpart of the seed system's monitoring decorator: each critical
 * operation ("generate", "image", "publish", "dispatch") is timed where it
 * runs and summarised in the service's metrics. */
void ltm_service_observe(ltm_service *svc, const char *operation, int64_t duration_ms, int ok);
void ltm_service_count_error(ltm_service *svc);

/* Publishes the offline status, drains the outbox and disconnects. Returns
 * the process exit status. */
int ltm_service_shutdown(ltm_service *svc);

#endif
