#ifndef SYSMON_ALARM_H
#define SYSMON_ALARM_H

#include <stdint.h>

/* A threshold watched sample by sample, the shape of collectd's
 * utils_complain: it fires once when the value stayed above the threshold
 * for `hold` samples, and resolves once when it stayed below
 * threshold - hysteresis for `clear` samples, so a value hovering around
 * the threshold neither floods ltm/alerts nor flaps. Pure: no clock, no I/O. */

typedef struct {
    double threshold;  /* fires above this */
    double hysteresis; /* clears below threshold - hysteresis */
    int hold;          /* samples above before firing, >= 1 */
    int clear;         /* samples below before resolving, >= 1 */
} alarm_rule;

#define ALARM_KEY_MAX 160

typedef struct {
    char key[ALARM_KEY_MAX]; /* stable identity: "host.cpu", "host.disk:/var" */
    int firing;
    int streak;        /* consecutive samples counting towards the next change */
    int64_t since_ms;  /* start of the incident: first sample above the threshold */
    int64_t pending_ms; /* first sample of the current streak */
    double value;      /* last value seen */
} alarm_state;

typedef enum { ALARM_NONE = 0, ALARM_FIRED, ALARM_RESOLVED } alarm_event;

void alarm_init(alarm_state *a, const char *key);

/* Feeds one sample taken at now_ms. A NaN value (the sample could not be
 * taken) changes nothing. */
alarm_event alarm_update(alarm_state *a, const alarm_rule *rule, double value, int64_t now_ms);

#endif
