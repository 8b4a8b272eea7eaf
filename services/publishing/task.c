/* One attempt's task: its outcome and the stage helpers the adapters share (task.h). */
#include "publishing/task.h"
#include "ltm/error.h"
#include "ltm/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ltm_task_reset_stage(ltm_task *t)
{
    free(t->ref);
    free(t->scratch);
    free(t->bytes);
    t->ref = t->scratch = t->bytes = NULL;
    t->bytes_len = 0;
    t->stage = 0;
    t->deadline_mono = 0;
    t->ref_ready = t->ref_prepared = 0;
    t->wake_mono = 0;
    t->on_wake = NULL;
}

void ltm_task_clear(ltm_task *t)
{
    ltm_task_reset_stage(t);
    free(t->text);
    free(t->image_url);
    free(t->ready_ref);
    t->text = t->image_url = t->ready_ref = NULL;
}

void ltm_task_finish(ltm_task *t)
{
    ltm_task_step done = t->done;
    t->done = NULL;
    if (done)
        done(t);
}

void ltm_task_fail(ltm_task *t, const char *error_class, int retryable, const char *fmt, ...)
{
    ltm_outcome *o = &t->outcome;
    memset(o, 0, sizeof *o);
    o->status = LTM_RESULT_FAILED;
    o->retryable = retryable;
    o->error_class = error_class;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
    ltm_task_finish(t);
}

void ltm_task_read(ltm_task *t, const ltm_figures *figures)
{
    ltm_outcome_read(&t->outcome, figures);
    ltm_task_finish(t);
}

void ltm_task_unconfirmed(ltm_task *t, const char *fmt, ...)
{
    ltm_outcome *o = &t->outcome;
    memset(o, 0, sizeof *o);
    o->status = LTM_RESULT_UNCONFIRMED;
    o->error_class = "unconfirmed";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
    ltm_task_finish(t);
}

int ltm_task_publishing(ltm_task *t)
{
    if (t->before_publish && t->before_publish(t) != 0) {
        ltm_task_fail(t, "internal", 1,
                      "cannot record the publication intent in the worker's database; nothing "
                      "was sent");
        return 0;
    }
    t->publish_sent = 1;
    t->fresh_next = 1;
    return 1;
}

void ltm_task_sleep(ltm_task *t, int64_t delay_ms, ltm_task_step step)
{
    t->wake_mono = ltm_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->on_wake = step;
}

int ltm_task_http(ltm_task *t, const char *method, const char *url, const char *const *headers,
                  size_t header_count, const char *body, size_t body_len, size_t max_answer,
                  ltm_http_callback callback)
{
    ltm_http_request r = {
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = header_count,
        .body = body,
        .body_len = body_len,
        .connect_timeout_ms = t->env->connect_timeout_ms,
        .timeout_ms = t->env->timeout_ms,
        .max_body = max_answer,
        .fresh_connection = t->fresh_next,
    };
    t->fresh_next = 0;
    int rc = ltm_http_submit(t->env->http, &r, callback, t);
    if (rc != LTM_OK) {
        ltm_task_fail(t, "internal", 1, "cannot start an HTTP request: %s", ltm_strerror(rc));
        return 0;
    }
    return 1;
}

int ltm_task_download(ltm_task *t, const char *url, size_t max_answer, ltm_http_callback callback)
{
    ltm_http_request r = {
        .method = "GET",
        .url = url,
        .connect_timeout_ms = t->env->connect_timeout_ms,
        .timeout_ms = t->env->timeout_ms,
        .max_body = max_answer,
        .follow_redirects = 1,
    };
    int rc = ltm_http_submit(t->env->http, &r, callback, t);
    if (rc != LTM_OK) {
        ltm_task_fail(t, "internal", 1, "cannot start an HTTP request: %s", ltm_strerror(rc));
        return 0;
    }
    return 1;
}

int ltm_bearer(char *out, size_t size, const char *token)
{
    int n = snprintf(out, size, "Authorization: Bearer %s", token ? token : "");
    return n < 0 || (size_t)n >= size ? LTM_EINVAL : LTM_OK;
}
