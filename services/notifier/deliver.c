/* Moves the queue's head to Telegram, one message at a time, at most one per
 * send interval; honours 429's retry_after, backs off on other failures. */
#include "notifier.h"
#include "text.h"

#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <stdlib.h>
#include <string.h>

int ntf_enqueue(notifier *n, int severity, const char *html)
{
    char **parts;
    size_t count;
    int rc = ntf_split(html, n->max_text, &parts, &count);
    for (size_t i = 0; rc == LTM_OK && i < count; i++) {
        size_t before = n->queue.summarised;
        rc = ntf_queue_push(&n->queue, severity, parts[i], ltm_now_ms());
        if (n->queue.summarised != before)
            ltm_warn("queue full: oldest notifications summarised", "queue",
                     LTM_INT(n->queue.count), "summarised_total", LTM_INT(n->queue.summarised));
    }
    if (rc == LTM_OK)
        ntf_parts_free(parts, count);
    if (rc != LTM_OK) {
        n->enqueue_failed++;
        ltm_service_count_error(n->svc);
        ltm_error("notification lost: could not be queued", "error", ltm_strerror(rc),
                  "severity", ntf_severity_name(severity));
    }
    n->queue_dirty = 1;
    return rc;
}

static void log_only(notifier *n, ntf_entry *e)
{
    char *plain = ntf_html_to_plain(e->text);
    ltm_log(e->severity == NTF_CRITICAL ? LTM_LOG_WARN : LTM_LOG_INFO, "notification (log-only mode)",
            "severity", ntf_severity_name(e->severity), "text", plain ? plain : e->text, NULL);
    free(plain);
    n->sent++;
    ntf_queue_pop(&n->queue);
    n->queue_dirty = 1;
}

int64_t ntf_deliver_wait_ms(const notifier *n)
{
    if (!n->queue.count || (n->tg && ntf_tg_busy(n->tg)))
        return -1;
    int64_t wait = n->next_send_mono - ltm_mono_ms();
    return wait < 0 ? 0 : wait;
}

void ntf_deliver_start(notifier *n)
{
    ntf_entry *e = ntf_queue_head(&n->queue);
    if (!e || (n->tg && ntf_tg_busy(n->tg)) || ltm_mono_ms() < n->next_send_mono)
        return;
    if (!n->tg) {
        log_only(n, e);
        return;
    }
    char *plain = e->plain ? ntf_html_to_plain(e->text) : NULL;
    int rc = e->plain && !plain ? LTM_ENOMEM : ntf_tg_send(n->tg, plain ? plain : e->text, !e->plain);
    free(plain);
    if (rc != LTM_OK) {
        ltm_error("telegram request not started", "error", ltm_strerror(rc));
        n->next_send_mono = ltm_mono_ms() + n->backoff_min_ms;
        return;
    }
    e->attempts++;
    n->queue.head_busy = 1;
}

static void back_off(notifier *n, const ntf_tg_answer *a)
{
    n->backoff_ms = n->backoff_ms ? n->backoff_ms * 2 : n->backoff_min_ms;
    if (n->backoff_ms > n->backoff_max_ms)
        n->backoff_ms = n->backoff_max_ms;
    n->next_send_mono = ltm_mono_ms() + n->backoff_ms;
    n->telegram_state = "backing_off";
    ltm_warn("telegram send failed, backing off", "error", a->description, "retry_in_ms",
             LTM_INT(n->backoff_ms), "queue", LTM_INT(n->queue.count));
}

void ntf_deliver_done(notifier *n, const ntf_tg_answer *a, int64_t elapsed_ms)
{
    ntf_entry *e = ntf_queue_head(&n->queue);
    n->queue.head_busy = 0;
    ltm_service_observe(n->svc, "telegram", elapsed_ms, a->outcome == NTF_TG_OK);
    int64_t now = ltm_mono_ms();
    if (a->outcome != NTF_TG_OK)
        n->attempts_failed++;
    switch (a->outcome) {
    case NTF_TG_OK:
        ltm_info("telegram message sent", "id", LTM_INT(e->id), "attempts", LTM_INT(e->attempts),
                 "ms", LTM_INT(elapsed_ms), "queue", LTM_INT(n->queue.count - 1));
        n->sent++;
        ntf_queue_pop(&n->queue);
        n->queue_dirty = 1;
        n->backoff_ms = 0;
        n->next_send_mono = now + n->send_interval_ms;
        n->telegram_state = "ok";
        break;
    case NTF_TG_RETRY_AFTER:
        n->next_send_mono = now + a->retry_after_ms;
        n->telegram_state = "retry_after";
        ltm_warn("telegram rate limit: waiting as asked", "retry_after_ms",
                 LTM_INT(a->retry_after_ms), "queue", LTM_INT(n->queue.count));
        break;
    case NTF_TG_PARSE:
        /* Our escaping let something through: the content still matters
         * more than its formatting. */
        ltm_error("telegram could not parse the message: resending it as plain text", "id",
                  LTM_INT(e->id), "error", a->description);
        ltm_service_count_error(n->svc);
        e->plain = 1;
        n->queue_dirty = 1;
        n->next_send_mono = now + n->send_interval_ms;
        break;
    case NTF_TG_REJECTED:
        ltm_error("telegram rejected the message for good: dropped", "id", LTM_INT(e->id),
                  "error", a->description);
        ltm_service_count_error(n->svc);
        n->rejected++;
        ntf_queue_pop(&n->queue);
        n->queue_dirty = 1;
        n->next_send_mono = now + n->send_interval_ms;
        break;
    case NTF_TG_PERSON:
        if (strcmp(n->telegram_state, "needs_person") != 0)
            ltm_error("telegram refuses the bot (token, blocked bot or chat): a person must act; "
                      "messages stay queued",
                      "error", a->description, "retry_in_ms", LTM_INT(n->person_retry_ms));
        n->telegram_state = "needs_person";
        n->next_send_mono = now + n->person_retry_ms;
        break;
    case NTF_TG_TRANSIENT:
        back_off(n, a);
        break;
    }
}
