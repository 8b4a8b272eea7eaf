#include "telegram.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER (64 * 1024)

const char *ntf_tg_outcome_name(ntf_tg_outcome o)
{
    static const char *names[] = {"ok", "retry_after", "parse_error", "rejected", "needs_person",
                                  "transient"};
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "unknown";
}

char *ntf_tg_body(const char *chat_id, const char *text, int html)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "chat_id", chat_id);
    rc |= ltm_json_add_str(o, "text", text);
    if (html)
        rc |= ltm_json_add_str(o, "parse_mode", "HTML");
    rc |= cJSON_AddBoolToObject(o, "disable_web_page_preview", 1) ? 0 : LTM_ENOMEM;
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}

void ntf_tg_classify(long http_status, const char *body, size_t len, const char *transport_error,
                     ntf_tg_answer *out)
{
    memset(out, 0, sizeof *out);
    if (http_status == 0) {
        out->outcome = NTF_TG_TRANSIENT;
        /* curl's error texts are short; a longer one is cut, which is fine here */
        const char *t = transport_error;
        char *clean = t ? ltm_secrets_redacted(t, strlen(t)) : NULL;
        snprintf(out->description, sizeof out->description, "%.199s",
                 clean ? clean : t ? "(error text not shown: out of memory)" : "no answer");
        free(clean);
        return;
    }
    char reason[64];
    cJSON *root = body ? ltm_json_parse_object(body, len, reason, sizeof reason) : NULL;
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "description"));
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok"));
    /* Redacted before it is cut: an answer may repeat the token-bearing URL,
     * and a cut through the token leaves a piece no redaction recognises. */
    char *clean = desc ? ltm_secrets_redacted(desc, strlen(desc)) : NULL;
    snprintf(out->description, sizeof out->description, "HTTP %ld%s%.170s", http_status,
             desc ? ": " : "", clean ? clean : desc ? "(not shown: out of memory)" : "");
    free(clean);
    if (http_status == 200 && ok) {
        out->outcome = NTF_TG_OK;
    } else if (http_status == 429) {
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(params, "retry_after");
        double s = cJSON_IsNumber(ra) && ra->valuedouble > 0 ? ra->valuedouble : 1;
        if (s > 86400)
            s = 86400;
        out->outcome = NTF_TG_RETRY_AFTER;
        out->retry_after_ms = (int64_t)(s * 1000);
    } else if (http_status == 400 && desc && strstr(desc, "can't parse entities")) {
        out->outcome = NTF_TG_PARSE;
    } else if (http_status == 400) {
        out->outcome = NTF_TG_REJECTED;
    } else if (http_status == 401 || http_status == 403 || http_status == 404) {
        out->outcome = NTF_TG_PERSON;
    } else {
        /* 5xx, a 200 without ok, a proxy's HTML page: nothing the message
         * itself can fix. */
        out->outcome = NTF_TG_TRANSIENT;
    }
    cJSON_Delete(root);
}

struct ntf_tg {
    CURLM *multi;
    CURL *easy;
    char *url; /* contains the token: never logged */
    char *chat_id;
    long timeout_ms;
    char *body;
    char *answer;
    size_t answer_len;
    int answer_overflow;
    struct curl_slist *headers;
    char error[CURL_ERROR_SIZE];
    int64_t started_ms;
};

int ntf_tg_new(const char *base_url, const char *token, const char *chat_id, long timeout_ms,
               ntf_tg **out)
{
    ntf_tg *tg = calloc(1, sizeof *tg);
    if (!tg)
        return LTM_ENOMEM;
    size_t n = strlen(base_url) + strlen(token) + 32;
    tg->url = malloc(n);
    tg->chat_id = strdup(chat_id);
    tg->multi = curl_multi_init();
    tg->headers = curl_slist_append(NULL, "Content-Type: application/json");
    tg->timeout_ms = timeout_ms;
    if (!tg->url || !tg->chat_id || !tg->multi || !tg->headers) {
        ntf_tg_free(tg);
        return LTM_ENOMEM;
    }
    size_t base_len = strlen(base_url);
    while (base_len > 0 && base_url[base_len - 1] == '/')
        base_len--;
    snprintf(tg->url, n, "%.*s/bot%s/sendMessage", (int)base_len, base_url, token);
    *out = tg;
    return LTM_OK;
}

static void finish_request(ntf_tg *tg)
{
    if (tg->easy) {
        curl_multi_remove_handle(tg->multi, tg->easy);
        curl_easy_cleanup(tg->easy);
        tg->easy = NULL;
    }
    free(tg->body);
    free(tg->answer);
    tg->body = tg->answer = NULL;
    tg->answer_len = 0;
    tg->answer_overflow = 0;
}

void ntf_tg_free(ntf_tg *tg)
{
    if (!tg)
        return;
    finish_request(tg);
    if (tg->multi)
        curl_multi_cleanup(tg->multi);
    curl_slist_free_all(tg->headers);
    free(tg->url);
    free(tg->chat_id);
    free(tg);
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
    ntf_tg *tg = user;
    size_t n = size * nmemb;
    if (tg->answer_len + n > MAX_ANSWER) {
        tg->answer_overflow = 1;
        return n; /* keep reading; the answer is judged by its status */
    }
    char *p = realloc(tg->answer, tg->answer_len + n + 1);
    if (!p)
        return 0;
    memcpy(p + tg->answer_len, data, n);
    tg->answer = p;
    tg->answer_len += n;
    p[tg->answer_len] = '\0';
    return n;
}

int ntf_tg_busy(const ntf_tg *tg) { return tg->easy != NULL; }

int ntf_tg_send(ntf_tg *tg, const char *text, int html)
{
    if (tg->easy)
        return LTM_EINVAL;
    tg->body = ntf_tg_body(tg->chat_id, text, html);
    tg->easy = curl_easy_init();
    if (!tg->body || !tg->easy) {
        finish_request(tg);
        return LTM_ENOMEM;
    }
    tg->error[0] = '\0';
    CURL *e = tg->easy;
    curl_easy_setopt(e, CURLOPT_URL, tg->url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, tg->body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, tg->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, tg);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, tg->error);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ltm-notifier");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (curl_multi_add_handle(tg->multi, e) != CURLM_OK) {
        finish_request(tg);
        return LTM_EIO;
    }
    tg->started_ms = ltm_mono_ms();
    return LTM_OK;
}

int ntf_tg_poll(ntf_tg *tg, int extra_fd, int timeout_ms, int *extra_ready, ntf_tg_answer *answer,
                int64_t *elapsed_ms)
{
    struct curl_waitfd extra = {.fd = extra_fd, .events = CURL_WAIT_POLLIN, .revents = 0};
    int numfds = 0;
    curl_multi_poll(tg->multi, &extra, extra_fd >= 0 ? 1 : 0, timeout_ms, &numfds);
    *extra_ready = (extra.revents & CURL_WAIT_POLLIN) != 0;
    if (!tg->easy)
        return 0;
    int running = 0;
    curl_multi_perform(tg->multi, &running);
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(tg->multi, &left))) {
        if (msg->msg != CURLMSG_DONE || msg->easy_handle != tg->easy)
            continue;
        long status = 0;
        if (msg->data.result == CURLE_OK)
            curl_easy_getinfo(tg->easy, CURLINFO_RESPONSE_CODE, &status);
        const char *terr = tg->error[0] ? tg->error : curl_easy_strerror(msg->data.result);
        ntf_tg_classify(status, tg->answer_overflow ? NULL : tg->answer,
                        tg->answer_overflow ? 0 : tg->answer_len, terr, answer);
        *elapsed_ms = ltm_mono_ms() - tg->started_ms;
        finish_request(tg);
        return 1;
    }
    return 0;
}
