/* ltm/dlq messages: the dead letter of an undecodable message, with its reason. */
#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strict UTF-8 check (no overlongs, no surrogates): cJSON would otherwise
 * emit invalid JSON text for arbitrary bytes. */
static int valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + n >= len)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

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
    if (valid_utf8(payload, len)) {
        char *text = malloc(len + 1);
        if (text) {
            memcpy(text, payload, len);
            text[len] = '\0';
            rc |= ltm_json_add_str(o, "payload", text);
            free(text);
        } else {
            rc |= LTM_ENOMEM;
        }
    } else {
        char *b64 = base64(payload, len);
        rc |= b64 ? ltm_json_add_str(o, "payload_base64", b64) : LTM_ENOMEM;
        free(b64);
    }
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}
