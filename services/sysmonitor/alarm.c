#include "alarm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void alarm_init(alarm_state *a, const char *key)
{
    memset(a, 0, sizeof *a);
    snprintf(a->key, sizeof a->key, "%s", key);
    a->value = NAN;
}

alarm_event alarm_update(alarm_state *a, const alarm_rule *rule, double value, int64_t now_ms)
{
    if (isnan(value))
        return ALARM_NONE;
    a->value = value;
    int toward_change = a->firing ? value < rule->threshold - rule->hysteresis
                                  : value > rule->threshold;
    if (!toward_change) {
        a->streak = 0;
        return ALARM_NONE;
    }
    if (a->streak++ == 0)
        a->pending_ms = now_ms;
    if (a->firing) {
        if (a->streak < rule->clear)
            return ALARM_NONE;
        a->firing = 0;
        a->streak = 0;
        return ALARM_RESOLVED; /* since_ms still names the incident's start */
    }
    if (a->streak < rule->hold)
        return ALARM_NONE;
    a->firing = 1;
    a->streak = 0;
    a->since_ms = a->pending_ms;
    return ALARM_FIRED;
}
