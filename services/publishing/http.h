#ifndef LTM_HTTP_H
#define LTM_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* One HTTP layer for every outgoing call of a process, over libcurl's multi
 * interface: requests are submitted, progress happens in ltm_http_run() from
 * the owner's single event loop, and each request ends with exactly one call
 * of its callback. Nothing here blocks except ltm_http_run's bounded wait.
 *
 * Every request carries a connect timeout and a total timeout, follows no
 * redirect unless asked to, and speaks only http and https (a URL from a
 * config file or an API answer can never make curl read a local file). */

typedef struct ltm_http ltm_http;

typedef struct {
    long status;             /* HTTP status of the answer; 0 when none came */
    int transport_error;     /* 0, or the CURLcode when no full answer came */
    char transport_msg[160]; /* curl's sentence for transport_error; never the URL */
    int sent;                /* 1 once request bytes left the machine: the server may
                                have acted on it even without an answer */
    int truncated;           /* the answer was longer than max_body and was cut */
    char *body;              /* NUL-terminated; never NULL in a callback */
    size_t body_len;
    char *headers;           /* raw header block of the final answer, NUL-terminated */
    int64_t elapsed_ms;
} ltm_http_response;

/* Called once per request from ltm_http_run(); resp and its buffers live only
 * during the call. The callback may submit further requests. */
typedef void (*ltm_http_callback)(void *ctx, const ltm_http_response *resp);

typedef struct {
    const char *method;            /* GET, POST, PUT, DELETE */
    const char *url;
    const char *const *headers;    /* "Name: value" lines */
    size_t header_count;
    const void *body;              /* copied; NULL: none */
    size_t body_len;
    long connect_timeout_ms;       /* 0: 10 s */
    long timeout_ms;               /* whole exchange; 0: 30 s */
    size_t max_body;               /* answer cap; 0: 1 MiB */
    int follow_redirects;          /* for plain downloads (image bytes) only */
    int fresh_connection;          /* never reuse a connection: curl silently sends a request
                                      again when a reused connection turns out dead, which
                                      must never happen to a request that publishes */
} ltm_http_request;

/* Caller frees with ltm_http_free(), which abandons requests still running
 * without calling their callbacks. */
int ltm_http_new(ltm_http **out);
void ltm_http_free(ltm_http *http);

/* Queues a request; LTM_ENOMEM or LTM_EINVAL (no URL/method) when it cannot.
 * On success the callback is guaranteed to run later, never from inside this
 * call. */
int ltm_http_submit(ltm_http *http, const ltm_http_request *request, ltm_http_callback callback,
                    void *ctx);

/* Waits up to timeout_ms for network activity or for extra_fd (-1: none) to
 * become readable, moves every transfer forward and calls the callbacks of
 * the finished ones. *extra_ready (may be NULL) tells whether extra_fd woke
 * it. Returns the number of requests still running. */
int ltm_http_run(ltm_http *http, int extra_fd, int timeout_ms, int *extra_ready);

size_t ltm_http_running(const ltm_http *http);

/* Value of the last header named name (case-insensitive) in a raw header
 * block, trimmed; caller frees. NULL when absent. */
char *ltm_http_header(const char *headers, const char *name);

#endif
