/* The read stages of Instagram and RapidAPI, run through the real HTTP layer
 * against a local server that answers from a script, one connection per
 * request, and records what was asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/timeutil.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_STEPS 8

typedef struct {
    int fd, port;
    const char *answers[MAX_STEPS]; /* whole HTTP answers, in order */
    int count;
    char requests[MAX_STEPS][2048]; /* request head as received */
    int served; /* read only after script_stop: the thread writes it */
    int stopped;
    pthread_t thread;
} script;

static void *serve(void *arg)
{
    script *s = arg;
    for (int i = 0; i < s->count; i++) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            break;
        size_t got = 0;
        char *buf = s->requests[i];
        while (got + 1 < sizeof s->requests[i] && !strstr(buf, "\r\n\r\n")) {
            ssize_t n = read(c, buf + got, sizeof s->requests[i] - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            buf[got] = '\0';
        }
        size_t len = strlen(s->answers[i]);
        if (write(c, s->answers[i], len) != (ssize_t)len)
            fprintf(stderr, "short write\n");
        close(c);
        s->served = i + 1;
    }
    return NULL;
}

static void script_start(script *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void script_stop(script *s)
{
    if (s->stopped)
        return;
    s->stopped = 1;
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

static char *http_answer(int status, const char *extra_headers, const char *body)
{
    char *a = NULL;
    if (asprintf(&a, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n%s\r\n%s",
                 status, strlen(body), extra_headers ? extra_headers : "", body) < 0)
        return NULL;
    return a;
}

static int finished;
static void on_done(ltm_task *t)
{
    (void)t;
    finished = 1;
}

/* Runs one read stage to its end; the outcome is in t->outcome. */
static void run_read(ltm_task *t, void (*read)(ltm_task *t))
{
    finished = 0;
    t->done = on_done;
    read(t);
    int64_t until = ltm_mono_ms() + 10000;
    while (!finished && ltm_mono_ms() < until)
        ltm_http_run(t->env->http, -1, 50, NULL);
    assert_true(finished);
}

typedef struct {
    script s;
    char *answers[MAX_STEPS];
    ltm_http *http;
    ltm_publish_env env;
    char base[80];
    ltm_channel ch;
    ltm_job job;
    ltm_task t;
} rig;

/* n answers: status[i], headers[i] (extra lines, may be NULL) and bodies[i]. */
static rig *rig_new(const char *base_path, int n, const int *status, const char *const *headers,
                    const char *const *bodies)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    for (int i = 0; i < n; i++) {
        r->answers[i] = http_answer(status[i], headers ? headers[i] : NULL, bodies[i]);
        r->s.answers[i] = r->answers[i];
    }
    r->s.count = n;
    script_start(&r->s);
    assert_int_equal(ltm_http_new(&r->http), LTM_OK);
    snprintf(r->base, sizeof r->base, "http://127.0.0.1:%d%s", r->s.port, base_path);
    r->env.http = r->http;
    r->env.connect_timeout_ms = 2000;
    r->env.timeout_ms = 5000;
    r->env.instagram_base = r->base;
    r->env.rapidapi_base = r->base;
    r->job.job_id = "engagement:post:acme:2026-12-01T12:00:00Z@1h";
    r->job.kind = LTM_JOB_ENGAGEMENT;
    r->job.account = "acme";
    r->job.post_kind = LTM_JOB_POST;
    r->job.remote_id = "18000000000000007";
    r->job.published_ms = ltm_now_ms() - 3600000;
    r->job.age_ms = 3600000;
    r->ch.type = LTM_CHANNEL_INSTAGRAM;
    r->ch.token = "ig-read-token";
    r->t.env = &r->env;
    r->t.channel = &r->ch;
    r->t.job = &r->job;
    return r;
}

/* How many answers the server gave; stops it (answers not given stay unsent). */
static int served(rig *r)
{
    script_stop(&r->s);
    return r->s.served;
}

static void rig_free(rig *r)
{
    script_stop(&r->s);
    ltm_task_clear(&r->t);
    ltm_http_free(r->http);
    for (int i = 0; i < MAX_STEPS; i++)
        free(r->answers[i]);
    free(r);
}

static const char *POST_FIGURES =
    "{\"data\":[{\"name\":\"views\",\"period\":\"lifetime\",\"values\":[{\"value\":500}]},"
    "{\"name\":\"reach\",\"period\":\"lifetime\",\"values\":[{\"value\":410}]},"
    "{\"name\":\"likes\",\"period\":\"lifetime\",\"values\":[{\"value\":31}]},"
    "{\"name\":\"comments\",\"period\":\"lifetime\",\"values\":[{\"value\":4}]},"
    "{\"name\":\"saved\",\"period\":\"lifetime\",\"values\":[{\"value\":6}]}]}";

static const char *DELETED =
    "{\"error\":{\"message\":\"Unsupported get request. Object with ID '18000000000000007' does "
    "not exist, cannot be loaded due to missing permissions, or does not support this "
    "operation.\",\"type\":\"GraphMethodException\",\"code\":100,\"error_subcode\":33}}";

static void instagram_refused_metric_is_left_out(void **state)
{
    (void)state;
    const int status[] = {400, 200};
    const char *refused = "{\"error\":{\"message\":\"(#100) The metric shares is not supported "
                          "for this media type\",\"type\":\"OAuthException\",\"code\":100}}";
    const char *bodies[] = {refused, POST_FIGURES};
    rig *r = rig_new("/v22.0", 2, status, NULL, bodies);
    run_read(&r->t, ltm_instagram_read);
    assert_int_equal(r->t.outcome.status, LTM_RESULT_READ);
    assert_int_equal(r->t.outcome.figures.impressions, 500);
    assert_int_equal(r->t.outcome.figures.reactions, 31);
    assert_int_equal(r->t.outcome.figures.saves, 6);
    assert_int_equal(r->t.outcome.figures.shares, -1);
    assert_int_equal(served(r), 2);
    assert_non_null(strstr(r->s.requests[0], "GET /v22.0/18000000000000007/insights?metric=views,"
                                             "reach,likes,comments,shares,saved HTTP/1.1\r\n"));
    assert_non_null(strstr(r->s.requests[1], "GET /v22.0/18000000000000007/insights?metric=views,"
                                             "reach,likes,comments,saved HTTP/1.1\r\n"));
    assert_non_null(strstr(r->s.requests[1], "Authorization: Bearer ig-read-token\r\n"));
    assert_null(strstr(r->s.requests[1], "access_token"));
    rig_free(r);
}

static void instagram_story_metrics_and_expiry(void **state)
{
    (void)state;
    const int status[] = {200};
    const char *story = "{\"data\":[{\"name\":\"views\",\"total_value\":{\"value\":90}},"
                        "{\"name\":\"replies\",\"values\":[{\"value\":2}]}]}";
    const char *bodies[] = {story};
    rig *r = rig_new("/v22.0", 1, status, NULL, bodies);
    r->job.post_kind = LTM_JOB_STORY;
    run_read(&r->t, ltm_instagram_read);
    assert_int_equal(r->t.outcome.status, LTM_RESULT_READ);
    assert_int_equal(r->t.outcome.figures.impressions, 90);
    assert_int_equal(r->t.outcome.figures.comments, 2);
    assert_int_equal(r->t.outcome.figures.reach, -1);
    /* Past 24 h: expired, and nothing is asked. */
    ltm_task_reset_stage(&r->t);
    r->job.published_ms = ltm_now_ms() - 25 * 3600000LL;
    run_read(&r->t, ltm_instagram_read);
    assert_int_equal(r->t.outcome.status, LTM_RESULT_FAILED);
    assert_string_equal(r->t.outcome.error_class, "expired");
    assert_int_equal(r->t.outcome.retryable, 0);
    assert_int_equal(served(r), 1);
    assert_non_null(strstr(r->s.requests[0], "insights?metric=views,reach,replies,shares "));
    r->job.remote_id = "urn:li:share:7";
    run_read(&r->t, ltm_instagram_read);
    assert_string_equal(r->t.outcome.error_class, "validation");
    rig_free(r);
}

static void instagram_deleted_media_is_confirmed(void **state)
{
    (void)state;
    const int status[] = {400, 400};
    const char *bodies[] = {DELETED, DELETED};
    rig *r = rig_new("/v22.0", 2, status, NULL, bodies);
    run_read(&r->t, ltm_instagram_read);
    assert_int_equal(r->t.outcome.status, LTM_RESULT_GONE);
    assert_non_null(strstr(r->s.requests[1], "GET /v22.0/18000000000000007?fields=id HTTP/1.1"));
    rig_free(r);

    /* The media answers: the insights refusal was not a deletion. */
    const int status2[] = {400, 200};
    const char *bodies2[] = {DELETED, "{\"id\":\"18000000000000007\"}"};
    r = rig_new("/v22.0", 2, status2, NULL, bodies2);
    run_read(&r->t, ltm_instagram_read);
    assert_int_equal(r->t.outcome.status, LTM_RESULT_FAILED);
    assert_string_equal(r->t.outcome.error_class, "server");
    assert_int_equal(r->t.outcome.retryable, 1);
    rig_free(r);
}

static void instagram_errors_end_the_stage(void **state)
{
    (void)state;
    const int status[] = {400, 200, 200};
    const char *headers[] = {"X-App-Usage: {\"call_count\":100,\"total_time\":9}\r\n", NULL, NULL};
    const char *throttled = "{\"error\":{\"message\":\"Application request limit reached\","
                            "\"type\":\"OAuthException\",\"code\":4}}";
    const char *bodies[] = {throttled,
                            "{\"data\":[{\"name\":\"views\",\"values\":[{\"value\":\"many\"}]}]}",
                            "{\"data\":[]}"};
    rig *r = rig_new("/v22.0", 3, status, headers, bodies);
    run_read(&r->t, ltm_instagram_read);
    assert_string_equal(r->t.outcome.error_class, "quota");
    assert_int_equal(r->t.outcome.retry_after_ms, 3600000);
    ltm_task_reset_stage(&r->t);
    run_read(&r->t, ltm_instagram_read);
    assert_string_equal(r->t.outcome.error_class, "server");
    assert_int_equal(r->t.outcome.retryable, 1);
    assert_non_null(strstr(r->t.outcome.error, "unreadable"));
    ltm_task_reset_stage(&r->t);
    run_read(&r->t, ltm_instagram_read);
    assert_string_equal(r->t.outcome.error_class, "server");
    assert_non_null(strstr(r->t.outcome.error, "no insights"));
    assert_null(strstr(r->t.outcome.error, "ig-read-token"));
    rig_free(r);
}

static void rapidapi_reads_the_named_counts(void **state)
{
    (void)state;
    const int status[] = {200, 429};
    const char *monthly = "{\"message\":\"You have exceeded the MONTHLY quota for Requests on "
                          "your current plan, BASIC.\"}";
    const char *bodies[] = {"{\"data\":{\"totalReactionCount\":12,\"commentsCount\":3}}",
                            monthly};
    rig *r = rig_new("", 2, status, NULL, bodies);
    r->ch.type = LTM_CHANNEL_RAPIDAPI;
    r->ch.token = "ra-read-key";
    r->ch.host = "li-data.p.rapidapi.com";
    r->ch.stats_path = "/get-post?urn={id}";
    r->ch.stats_fields[2] = "data.totalReactionCount";
    r->ch.stats_fields[3] = "data.commentsCount";
    r->job.remote_id = "urn:li:share:7";
    const ltm_channel_ops *ops = ltm_channel_ops_of(LTM_CHANNEL_RAPIDAPI);
    run_read(&r->t, ops->read);
    assert_int_equal(r->t.outcome.status, LTM_RESULT_READ);
    assert_int_equal(r->t.outcome.figures.reactions, 12);
    assert_int_equal(r->t.outcome.figures.comments, 3);
    assert_int_equal(r->t.outcome.figures.impressions, -1);
    ltm_task_reset_stage(&r->t);
    run_read(&r->t, ops->read);
    assert_string_equal(r->t.outcome.error_class, "quota");
    ltm_task_reset_stage(&r->t);
    /* Our stand-in id, or no stats request: a plain config failure, no call. */
    r->job.remote_id = "rapidapi:post:acme:2026-12-01T12:00:00Z";
    run_read(&r->t, ops->read);
    assert_string_equal(r->t.outcome.error_class, "config");
    r->ch.stats_path = NULL;
    r->job.remote_id = "urn:li:share:7";
    run_read(&r->t, ops->read);
    assert_string_equal(r->t.outcome.error_class, "config");
    assert_int_equal(r->t.outcome.retryable, 0);
    assert_string_equal(r->t.outcome.error, "account acme's rapidapi channel names no stats_path: "
                                            "figures are not read");
    assert_int_equal(served(r), 2);
    const char *q = r->s.requests[0];
    assert_non_null(strstr(q, "GET /get-post?urn=urn%3Ali%3Ashare%3A7 HTTP/1.1\r\n"));
    assert_non_null(strstr(q, "X-RapidAPI-Key: ra-read-key\r\n"));
    assert_non_null(strstr(q, "X-RapidAPI-Host: li-data.p.rapidapi.com\r\n"));
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(instagram_refused_metric_is_left_out),
        cmocka_unit_test(instagram_story_metrics_and_expiry),
        cmocka_unit_test(instagram_deleted_media_is_confirmed),
        cmocka_unit_test(instagram_errors_end_the_stage),
        cmocka_unit_test(rapidapi_reads_the_named_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
