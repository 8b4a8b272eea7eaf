#ifndef SYSMON_STATE_H
#define SYSMON_STATE_H

#include "alarm.h"
#include "history.h"

#include <stddef.h>
#include <stdint.h>

/* The document saved in the data dir (docs/sysmonitor.md):
 *   {"format":"ltm-sysmonitor-state","version":1,"saved_at":...,
 *    "history":[...], "alerts":[{"key","since","value"}], "summary":{...}}
 * "alerts" lists the alerts firing at the save, so a restart neither fires
 * them a second time nor forgets to resolve them. */

#define STATE_VERSION 1

/* Caller frees with free(); NULL when out of memory. */
char *state_encode(const history *h, const alarm_state *alarms, size_t nalarms, int64_t now_ms);

/* Parses a saved document: its entries are added to h (entries that do not
 * validate are skipped and counted) and its firing alerts are written to
 * alarms[0..*nalarms). LTM_EINVAL with a reason when the document itself is
 * not one of ours; h is then left untouched. */
int state_decode(const char *text, size_t len, int64_t now_ms, history *h, alarm_state *alarms,
                 size_t max_alarms, size_t *nalarms, size_t *skipped, char *reason,
                 size_t reason_size);

#endif
