#ifndef LTM_TASK_H
#define LTM_TASK_H

#include "ltm/accounts.h"
#include "publishing/classify.h"
#include "publishing/http.h"
#include "ltm/msg.h"

#include <stddef.h>
#include <stdint.h>

/* One attempt of one job, as it moves through generation, image and
 * publishing. Each stage (generate_openai.c, image_replicate.c, the
 * channel_*.c adapters) is a small state machine over the shared HTTP layer:
 * it starts requests, continues from their callbacks or from a timer, and
 * ends by calling t->done(t) exactly once with t->outcome filled in. The
 * worker owns the task and chains the stages. */

typedef struct {
    ltm_http *http;
    long connect_timeout_ms;
    long timeout_ms;
    const char *openai_key, *openai_base, *openai_model;
    int openai_max_tokens;
    const char *replicate_token, *replicate_base, *replicate_model;
    int64_t replicate_timeout_ms, replicate_poll_ms;
    const char *linkedin_base, *linkedin_version;
    const char *instagram_base;
    int64_t instagram_poll_ms, instagram_timeout_ms;
    const char *rapidapi_base; /* NULL: https://<host> of each account */
    const char *outbox_path;   /* sandbox channel */
    const char *worker_id;
} ltm_publish_env;

typedef struct ltm_task ltm_task;
typedef void (*ltm_task_step)(ltm_task *t);

struct ltm_task {
    const ltm_publish_env *env;
    const ltm_account *account; /* NULL in sandbox mode without an accounts file */
    const ltm_channel *channel;
    const ltm_job *job;
    char *text;          /* what is published; owned */
    char *image_url;     /* NULL: text only; owned */
    /* A handle an earlier attempt prepared and a check found ready and not
     * published (Instagram container): the publish stage publishes it
     * instead of preparing a new one. Owned; survives ltm_task_reset_stage. */
    char *ready_ref;

    /* Adapter state, reset by ltm_task_reset_stage. */
    int stage;
    char *ref;           /* LinkedIn image URN, Instagram container id, Replicate poll URL */
    char *scratch;       /* LinkedIn upload URL */
    char *bytes;         /* downloaded image */
    size_t bytes_len;
    int64_t deadline_mono;
    int ref_ready;       /* t->ref can still be published (a FINISHED container) */
    int ref_prepared;    /* verify: t->ref was recorded as ready and unpublished, so a
                            check that cannot read it means "prepare a new one" */
    ltm_figures figures; /* read: the figures gathered so far (one call per metric) */

    /* Timer: the worker calls on_wake once wake_mono has passed. */
    int64_t wake_mono;
    ltm_task_step on_wake;

    ltm_outcome outcome;
    int publish_sent;    /* the publishing request went out: a retry needs a check */
    int fresh_next;      /* the next request publishes: on a connection of its own */
    /* Called just before the request that publishes goes out, with t->ref
     * set where the channel has one: the worker records the intent durably.
     * Nonzero: do not send. */
    int (*before_publish)(ltm_task *t);
    ltm_task_step done;
    void *owner;
};

void ltm_task_reset_stage(ltm_task *t);
void ltm_task_clear(ltm_task *t); /* frees owned strings and stage state */

/* Ends the current stage: calls t->done. */
void ltm_task_finish(ltm_task *t);
/* Ends it with a failure built like ltm_outcome_fail. */
void ltm_task_fail(ltm_task *t, const char *error_class, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Ends it with the figures read (ltm_outcome_read: a figure out of range
 * fails it instead). */
void ltm_task_read(ltm_task *t, const ltm_figures *figures);

/* Ends it as unconfirmed (class "unconfirmed", not retryable). */
void ltm_task_unconfirmed(ltm_task *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adapters call this right before the publishing request; 0 means the stage
 * already ended (the intent could not be recorded) and nothing may be sent. */
int ltm_task_publishing(ltm_task *t);

/* Continues with step after delay_ms, from the worker's loop. */
void ltm_task_sleep(ltm_task *t, int64_t delay_ms, ltm_task_step step);

/* Submits a request with the env's timeouts; on a submit failure the stage
 * ends with an internal error and 0 is returned. headers are "Name: value". */
int ltm_task_http(ltm_task *t, const char *method, const char *url, const char *const *headers,
                  size_t header_count, const char *body, size_t body_len, size_t max_answer,
                  ltm_http_callback callback);

/* GET of a plain resource (image bytes): follows redirects, answer cap
 * max_answer. */
int ltm_task_download(ltm_task *t, const char *url, size_t max_answer, ltm_http_callback callback);

/* "Authorization: Bearer <token>" into out; 0 or LTM_EINVAL when too long. */
int ltm_bearer(char *out, size_t size, const char *token);

#endif
