/* The health gateway's ingest: any client of the broker can publish on the
 * topics it follows, and what it keeps is rendered on /health, /status
 * (JSON) and /metrics (Prometheus text). Input: records of a topic-selector
 * byte, a flags byte and a payload up to the next NUL, applied in order to
 * one state; then every answer is rendered and /status must be JSON. */
#include "fuzz.h"

#include "render.h"
#include "state.h"

#include <cjson/cJSON.h>

static const char *topics[] = {
    "ltm/results",        "ltm/metrics/system",   "ltm/metrics/summary",
    "ltm/metrics/poster", "ltm/alerts",           "ltm/status/poster/1",
    "ltm/status/scheduler/a", "ltm/dlq",          "ltm/status/poster/2",
    "ltm/metrics/scheduler",  "ltm/status/x",     "ltm/other",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_state s;
    gw_state_init(&s, 5);
    int64_t now_ms = 1764000000000, mono = 100000;
    for (int i = 0; size >= 2 && i < 16; i++) {
        const char *topic = topics[data[0] % (sizeof topics / sizeof topics[0])];
        int retained = data[1] & 1;
        data += 2;
        size -= 2;
        char *payload = fuzz_next(&data, &size);
        char reason[LTM_REASON_SIZE];
        gw_state_apply(&s, topic, payload, strlen(payload), retained, now_ms, mono, reason);
        free(payload);
        now_ms += 1000;
        mono += 1000;
    }
    static const char *const required[] = {"poster", "scheduler"};
    gw_view v = {.required = required, .required_count = 2,
                 .fresh = {.default_interval_ms = 10000, .stale_factor = 3},
                 .broker_connected = 1, .now_ms = now_ms, .now_mono = mono,
                 .started_ms = 1764000000000, .started_mono = 100000,
                 .version = "0.1.0", .instance = "gw"};
    int code;
    free(gw_render_health(&s, &v, &code));
    char *status = gw_render_status(&s, &v);
    if (status) {
        cJSON *j = cJSON_Parse(status);
        if (!j) {
            fprintf(stderr, "/status is not JSON:\n%s\n", status);
            abort();
        }
        cJSON_Delete(j);
        free(status);
    }
    free(gw_render_metrics(&s, &v));
    gw_state_clear(&s);
    return 0;
}
