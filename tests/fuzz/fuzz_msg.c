/* The decoders of the MQTT messages (ltm/msg.h): every service decodes what
 * any client of the broker may publish. The first byte picks the decoder;
 * what decodes must encode and decode again to the same fields (a status
 * leaves out times and counts <= 0, so only its state is compared). */
#include "fuzz.h"

#include "ltm/error.h"
#include "ltm/msg.h"

#include <stdio.h>

static void job(const char *json, size_t len)
{
    ltm_job a, b;
    char reason[LTM_REASON_SIZE];
    if (ltm_job_decode(json, len, &a, reason) != LTM_OK)
        return;
    char *text = ltm_job_encode(&a);
    if (!text || ltm_job_decode(text, strlen(text), &b, reason) != LTM_OK ||
        strcmp(a.job_id, b.job_id) != 0 || a.slot_ms != b.slot_ms || a.attempt != b.attempt ||
        a.lease_ms != b.lease_ms) {
        fprintf(stderr, "job round trip failed: %s\n%s\n", reason, text ? text : "(null)");
        abort();
    }
    free(text);
    ltm_job_clear(&a);
    ltm_job_clear(&b);
}

static void result(const char *json, size_t len)
{
    ltm_result a, b;
    char reason[LTM_REASON_SIZE];
    if (ltm_result_decode(json, len, &a, reason) != LTM_OK)
        return;
    char *text = ltm_result_encode(&a);
    if (!text || ltm_result_decode(text, strlen(text), &b, reason) != LTM_OK ||
        a.status != b.status || a.finished_ms != b.finished_ms ||
        a.retry_after_ms != b.retry_after_ms) {
        fprintf(stderr, "result round trip failed: %s\n%s\n", reason, text ? text : "(null)");
        abort();
    }
    free(text);
    ltm_result_clear(&a);
    ltm_result_clear(&b);
}

static void status(const char *json, size_t len)
{
    ltm_status a, b;
    char reason[LTM_REASON_SIZE];
    if (ltm_status_decode(json, len, &a, reason) != LTM_OK)
        return;
    char *text = ltm_status_encode(&a);
    if (!text || ltm_status_decode(text, strlen(text), &b, reason) != LTM_OK ||
        a.online != b.online) {
        fprintf(stderr, "status round trip failed: %s\n%s\n", reason, text ? text : "(null)");
        abort();
    }
    free(text);
    ltm_status_clear(&a);
    ltm_status_clear(&b);
}

static void alert(const char *json, size_t len)
{
    ltm_alert a, b;
    char reason[LTM_REASON_SIZE];
    if (ltm_alert_decode(json, len, &a, reason) != LTM_OK)
        return;
    char *text = ltm_alert_encode(&a);
    if (!text || ltm_alert_decode(text, strlen(text), &b, reason) != LTM_OK ||
        a.firing != b.firing || a.at_ms != b.at_ms) {
        fprintf(stderr, "alert round trip failed: %s\n%s\n", reason, text ? text : "(null)");
        abort();
    }
    free(text);
    ltm_alert_clear(&a);
    ltm_alert_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t which = data[0] % 5;
    data++;
    size--;
    /* The decoders take (pointer, length) like an MQTT payload: no NUL. */
    char *json = malloc(size ? size : 1);
    if (!json)
        abort();
    memcpy(json, data, size);
    switch (which) {
    case 0:
        job(json, size);
        break;
    case 1:
        result(json, size);
        break;
    case 2:
        status(json, size);
        break;
    case 3:
        alert(json, size);
        break;
    default:
        /* A rejected payload of any bytes goes to the dead-letter queue. */
        free(ltm_dlq_encode("fuzz", "1", "ltm/results", json, size, "fuzz", 0));
    }
    free(json);
    return 0;
}
