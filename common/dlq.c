/* ltm/dlq messages: the dead letter of an undecodable message, with its reason. */
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *base64(const unsigned char *in, size_t len)
{
    static const char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = table[(v >> 18) & 63];
        out[o++] = table[(v >> 12) & 63];
        out[o++] = i + 1 < len ? table[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? table[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

char *ltm_dlq_encode(const char *service, const char *instance, const char *topic,
                     const void *payload, size_t len, const char *reason, int64_t at_ms)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "service", service);
    rc |= ltm_json_add_str(o, "instance", instance);
    rc |= ltm_json_add_str(o, "topic", topic);
    rc |= ltm_json_add_str(o, "reason", reason);
    rc |= ltm_json_add_time(o, "at", at_ms);
    /* A dead letter must fit under the broker's message_size_limit (256 KiB)
     * or the broker drops it in silence: a payload escaped as JSON can grow
     * six-fold (\u00XX), base64 by a third. Beyond DLQ_PAYLOAD_MAX bytes
     * only the start is kept, and the dead letter says so. */
    size_t keep = len;
    if (keep > LTM_DLQ_PAYLOAD_MAX) {
        keep = LTM_DLQ_PAYLOAD_MAX;
        rc |= cJSON_AddNumberToObject(o, "payload_bytes", (double)len) ? 0 : LTM_ENOMEM;
        rc |= cJSON_AddTrueToObject(o, "payload_truncated") ? 0 : LTM_ENOMEM;
        /* Cut on a character boundary, so a UTF-8 payload stays text. */
        const unsigned char *p = payload;
        while (keep > LTM_DLQ_PAYLOAD_MAX - 3 && (p[keep] & 0xC0) == 0x80)
            keep--;
    }
    if (ltm_json_valid_utf8(payload, keep)) {
        char *text = malloc(keep + 1);
        if (text) {
            memcpy(text, payload, keep);
            text[keep] = '\0';
            rc |= ltm_json_add_str(o, "payload", text);
            free(text);
        } else {
            rc |= LTM_ENOMEM;
        }
    } else {
        char *b64 = base64(payload, keep);
        rc |= b64 ? ltm_json_add_str(o, "payload_base64", b64) : LTM_ENOMEM;
        free(b64);
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}
