#ifndef SYSMON_MONITOR_H
#define SYSMON_MONITOR_H

#include "ltm/config.h"
#include "ltm/service.h"

#include <stddef.h>

/* The sysmonitor's work between the service runtime and its pieces
 * (sampler, alarms, history, state file): main.c owns the loop and calls
 * these. */

extern const ltm_setting monitor_settings[];
extern const size_t monitor_setting_count;

typedef struct monitor monitor;

/* Checks the settings that need more than the table (the disk list), opens
 * the sampler and loads the saved state. LTM_ECONFIG after printing one line
 * naming the setting. */
int monitor_new(ltm_service *svc, monitor **out);
void monitor_free(monitor *m);

/* Subscribes to what the sysmonitor consumes. */
int monitor_subscribe(monitor *m);

/* Runs what is due (sample, summary, save); returns ms until the next. */
int monitor_run_due(monitor *m);

void monitor_handle(monitor *m, const ltm_mqtt_message *msg);

/* Saves the state now (at shutdown). */
int monitor_save(monitor *m);

#endif
