/* What the workers read from the APIs they call: status, headers and body
 * of an answer (classify.c), the 2xx bodies of OpenAI, Replicate, LinkedIn,
 * Instagram and RapidAPI (publishing, and the figures of engagement reads),
 * and the times inside them (timeutil.c). A server
 * we do not control, or anything between us and it, writes these bytes.
 *
 * Input: selector byte, status byte, then headers NUL body. */
#include "fuzz.h"

#include "ltm/accounts.h"
#include "publishing/channels.h"
#include "publishing/classify.h"
#include "publishing/generate_openai.h"
#include "publishing/http.h"
#include "publishing/image_replicate.h"
#include "ltm/timeutil.h"

static const long statuses[] = {0, 200, 400, 401, 402, 403, 404, 408, 422, 426, 429, 500, 503};

static void bodies(const char *body, size_t len)
{
    ltm_outcome o;
    char *text = NULL, *output = NULL, *poll = NULL, *a = NULL, *b = NULL;
    ltm_openai_parse(body, len, &text, &o);
    ltm_replicate_parse(body, len, &output, &poll, &o);
    ltm_linkedin_upload_parse(body, len, &a, &b);
    free(text);
    free(output);
    free(poll);
    free(a);
    free(b);
    char *id = NULL;
    ltm_linkedin_find_post(body, len, "Hello", &id);
    free(id);
    free(ltm_instagram_id(body, len));
    free(ltm_instagram_status(body, len));
    ltm_channel ch = {.type = LTM_CHANNEL_RAPIDAPI, .id_field = "id"};
    free(ltm_rapidapi_id(&ch, body, len));
    ch.id_field = "data.id";
    free(ltm_rapidapi_id(&ch, body, len));

    /* Engagement reads: figures are whole numbers >= 0 or absent (-1). */
    ltm_figures f;
    int found;
    char why[300];
    if (ltm_instagram_insights_parse(body, len, &f, &found, why, sizeof why) == 0)
        for (int i = 0; i < LTM_FIGURE_COUNT; i++)
            if (ltm_figure_get(&f, i) < -1)
                abort();
    int m = ltm_instagram_unsupported_metric(body, len, LTM_JOB_POST, 0);
    if (m < -1 || m >= LTM_IG_METRIC_COUNT)
        abort();
    ch.stats_path = "/p/{id}";
    ch.stats_fields[0] = "data.views";
    ch.stats_fields[2] = "data.items.0.likes";
    ch.stats_fields[3] = "comments";
    if (ltm_rapidapi_stats_parse(&ch, body, len, &f, &found, why, sizeof why) == 0)
        for (int i = 0; i < LTM_FIGURE_COUNT; i++)
            if (ltm_figure_get(&f, i) < -1)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t sel = data[0], st = data[1];
    data += 2;
    size -= 2;
    char *headers = fuzz_next(&data, &size);
    char *body = fuzz_strndup(data, size);

    ltm_http_response r = {0};
    r.status = statuses[st % (sizeof statuses / sizeof statuses[0])];
    r.transport_error = (st & 0x80) ? 28 : 0;
    r.sent = (st & 0x40) != 0;
    r.truncated = (st & 0x20) != 0 && r.status != 0;
    snprintf(r.transport_msg, sizeof r.transport_msg, "timeout");
    r.body = body;
    r.body_len = size;
    r.headers = headers;
    ltm_outcome o;
    ltm_classify_failure((ltm_api)(sel % 7), sel & 0x80, &r, (sel & 0x40) ? "acme" : NULL, &o);
    if (o.status == LTM_RESULT_FAILED && !o.error_class)
        abort();
    ltm_classify_instagram_read(&r, (sel & 0x40) ? "acme" : NULL, &o);
    if ((o.status == LTM_RESULT_FAILED && !o.error_class) || o.retry_after_ms < 0 ||
        o.retry_after_ms > 7LL * 86400 * 1000)
        abort();
    int64_t wait = ltm_meta_quota_wait_ms(headers);
    if (wait < 0 || wait > 7LL * 86400 * 1000)
        abort();

    /* The header block's first line also serves as a bare value. */
    int64_t ms = ltm_retry_after_ms(headers, 1764000000000);
    if (ms < 0 || ms > 7LL * 86400 * 1000)
        abort();
    ms = ltm_reset_duration_ms(headers);
    if (ms < 0 || ms > 7LL * 86400 * 1000)
        abort();
    int64_t t;
    if (ltm_time_parse_iso(headers, &t) == 0) {
        char iso[LTM_ISO_SIZE];
        ltm_time_format_iso(t, iso);
    }
    free(ltm_http_header(headers, "Retry-After"));

    bodies(body, size);
    free(headers);
    free(body);
    return 0;
}
