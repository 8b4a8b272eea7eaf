/* Startup notice and the replica role: docs/notifier.md, "Startup notice"
 * and "Replicas". */
#include "notifier.h"
#include "text.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <stdlib.h>
#include <string.h>

void ntf_on_startup_marker(notifier *n, const ltm_mqtt_message *m)
{
    char reason[LTM_REASON_SIZE];
    cJSON *o = ltm_json_parse_object(m->payload, m->len, reason, sizeof reason);
    int64_t at = 0;
    if (!o || ltm_json_time(o, "at", 1, &at, reason, sizeof reason) != LTM_OK) {
        cJSON_Delete(o);
        if (m->len) /* an empty retained message only clears the marker */
            ltm_service_dead_letter(n->svc, m, reason);
        return;
    }
    cJSON_Delete(o);
    if (at > n->last_notice_ms) {
        n->last_notice_ms = at;
        n->state_dirty = 1;
    }
}

static void send_startup_notice(notifier *n, int64_t now)
{
    ntf_buf b = {0};
    char iso[LTM_ISO_SIZE];
    ltm_time_format_iso(now, iso);
    ntf_buf_printf(&b, "<b>LTM started</b> %.10s %.5s UTC\nOnline:", iso, iso + 11);
    size_t shown = 0;
    for (size_t i = 0; i < n->rules.instance_count; i++) {
        const ntf_instance *in = &n->rules.instances[i];
        if (!ntf_instance_online(in, now))
            continue;
        ntf_buf_printf(&b, "%s ", shown++ ? "," : "");
        ntf_buf_escaped(&b, in->service);
        ntf_buf_printf(&b, "/");
        ntf_buf_escaped(&b, in->instance);
    }
    ntf_buf_printf(&b, "%s\nNotifier %s, %zu message%s waiting from before the start.",
                   shown ? "" : " only the notifier so far", ltm_service_instance(n->svc),
                   n->queue.count, n->queue.count == 1 ? "" : "s");
    char *text = ntf_buf_finish(&b);
    if (text)
        ntf_enqueue(n, NTF_INFO, text);
    else
        ltm_error("startup notice not built (out of memory)");
    free(text);
    cJSON *o = cJSON_CreateObject();
    ltm_json_add_time(o, "at", now);
    ltm_json_add_str(o, "instance", ltm_service_instance(n->svc));
    ltm_service_publish_json(n->svc, "ltm/reports/startup", ltm_json_finish(o), 1, 1);
}

/* Once per process, a settle period after the first connection (so the
 * retained statuses and the marker have arrived): is this a system start? */
void ntf_check_startup(notifier *n, int64_t now)
{
    if (n->startup_decided)
        return;
    if (!n->connected_mono) {
        if (ltm_mqtt_is_connected(ltm_service_mqtt(n->svc)))
            n->connected_mono = ltm_mono_ms();
        return;
    }
    if (ltm_mono_ms() - n->connected_mono < n->settle_ms)
        return;
    n->startup_decided = 1;
    if (!ntf_is_active(n, now)) {
        ltm_info("standby replica: the startup notice and alerts are left to the active one");
        return;
    }
    if (!ntf_is_system_start(&n->rules, "notifier", n->started_ms, n->last_notice_ms,
                             n->startup_window_ms, now)) {
        ltm_info("startup notice not sent: the system was already running or was announced",
                 "last_notice_ms", LTM_INT(n->last_notice_ms));
        return;
    }
    ltm_info("system start: sending the startup notice");
    n->last_notice_ms = now;
    n->state_dirty = 1;
    send_startup_notice(n, now);
}

int ntf_is_active(const notifier *n, int64_t now)
{
    const char *me = ltm_service_instance(n->svc);
    for (size_t i = 0; i < n->rules.instance_count; i++) {
        const ntf_instance *in = &n->rules.instances[i];
        if (strcmp(in->service, "notifier") == 0 && strcmp(in->instance, me) < 0 &&
            ntf_instance_online(in, now))
            return 0;
    }
    return 1;
}
