#ifndef NTF_TELEGRAM_H
#define NTF_TELEGRAM_H

#include <stddef.h>
#include <stdint.h>

/* Telegram Bot API sendMessage (docs: ../shared/reference/api-contracts.md):
 * the request body, the meaning of each answer (pure, tested on fixtures),
 * and a transport on curl's multi interface so the service loop keeps
 * consuming MQTT while Telegram is slow. The bot token is part of the URL:
 * the URL is never logged or put into an error text. */

typedef enum {
    NTF_TG_OK = 0,
    NTF_TG_RETRY_AFTER, /* 429: wait retry_after_ms, then send the same message */
    NTF_TG_PARSE,       /* 400 can't parse entities: resend as plain text */
    NTF_TG_REJECTED,    /* other 400: this message can never be sent */
    NTF_TG_PERSON,      /* 401/403/404: bad token, bot blocked or chat gone */
    NTF_TG_TRANSIENT,   /* network error, 5xx, unreadable answer: back off */
} ntf_tg_outcome;

typedef struct {
    ntf_tg_outcome outcome;
    int64_t retry_after_ms;
    char description[200]; /* Telegram's description, or the transport error */
} ntf_tg_answer;

const char *ntf_tg_outcome_name(ntf_tg_outcome outcome);

/* The JSON body of sendMessage; caller frees. html: parse_mode HTML. */
char *ntf_tg_body(const char *chat_id, const char *text, int html);

/* Classifies an HTTP answer (http_status 0: no answer, transport_error says
 * why). */
void ntf_tg_classify(long http_status, const char *body, size_t len, const char *transport_error,
                     ntf_tg_answer *out);

/* Transport: one request at a time. */
typedef struct ntf_tg ntf_tg;

/* Copies everything. timeout_ms bounds a whole request. */
int ntf_tg_new(const char *base_url, const char *token, const char *chat_id, long timeout_ms,
               ntf_tg **out);
void ntf_tg_free(ntf_tg *tg);

/* Starts sending; LTM_EINVAL if a request is already in flight. */
int ntf_tg_send(ntf_tg *tg, const char *text, int html);
int ntf_tg_busy(const ntf_tg *tg);

/* Waits up to timeout_ms for the request's sockets or the extra fd (the
 * service's wake fd) and makes progress. *extra_ready tells whether extra_fd
 * became readable. Returns 1 and fills *answer when the request finished,
 * else 0. */
int ntf_tg_poll(ntf_tg *tg, int extra_fd, int timeout_ms, int *extra_ready, ntf_tg_answer *answer,
                int64_t *elapsed_ms);

#endif
