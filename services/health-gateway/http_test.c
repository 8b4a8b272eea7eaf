#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http.h"

#include "ltm/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char page[] = "<!doctype html><title>LTM status</title>";

static gw_http *start(const char *token)
{
    gw_http_options o = {.bind = "127.0.0.1",
                         .port = 0,
                         .max_connections = 64,
                         .timeout_s = 5,
                         .token = token,
                         .page = page,
                         .page_len = strlen(page)};
    gw_http *h = NULL;
    char err[256];
    int rc = gw_http_start(&o, strdup("{\"status\":\"ok\"}"), 200, strdup("{\"services\":[]}"),
                           strdup("ltm_up 1\n"), &h, err, sizeof err);
    if (rc != LTM_OK)
        fail_msg("start: %s", err);
    assert_true(gw_http_port(h) > 0);
    return h;
}

/* Sends raw bytes, reads the whole answer (the request asks to close). */
static int exchange(gw_http *h, const char *raw, size_t raw_len, char *out, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)gw_http_port(h))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    size_t sent = 0;
    while (sent < raw_len) {
        ssize_t n = send(fd, raw + sent, raw_len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may refuse before reading everything */
        sent += (size_t)n;
    }
    size_t got = 0;
    ssize_t n;
    while (got + 1 < size && (n = recv(fd, out + got, size - 1 - got, 0)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(fd);
    int code = 0;
    sscanf(out, "HTTP/1.%*d %d", &code);
    return code;
}

static int get(gw_http *h, const char *method, const char *path, const char *extra, char *out,
               size_t size)
{
    char req[2048];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", method,
             path, extra ? extra : "");
    return exchange(h, req, strlen(req), out, size);
}

static void routes_methods_and_answers(void **unused)
{
    (void)unused;
    gw_http *h = start(NULL);
    char out[8192];
    assert_int_equal(get(h, "GET", "/health", NULL, out, sizeof out), 200);
    assert_non_null(strstr(out, "Content-Type: application/json"));
    assert_non_null(strstr(out, "\r\n\r\n{\"status\":\"ok\"}"));
    assert_int_equal(get(h, "GET", "/metrics", NULL, out, sizeof out), 200);
    assert_non_null(strstr(out, "text/plain; version=0.0.4"));
    assert_int_equal(get(h, "GET", "/", NULL, out, sizeof out), 200);
    assert_non_null(strstr(out, "<title>LTM status</title>"));
    assert_int_equal(get(h, "GET", "/health?verbose=1", NULL, out, sizeof out), 200);
    assert_int_equal(get(h, "HEAD", "/status", NULL, out, sizeof out), 200);
    assert_null(strstr(out, "services"));
    assert_int_equal(get(h, "GET", "/nope", NULL, out, sizeof out), 404);
    assert_int_equal(get(h, "GET", "/health/", NULL, out, sizeof out), 404);
    assert_int_equal(get(h, "POST", "/health", "Content-Length: 0\r\n", out, sizeof out), 405);
    assert_non_null(strstr(out, "Allow: GET, HEAD"));
    assert_int_equal(get(h, "DELETE", "/status", NULL, out, sizeof out), 405);

    gw_http_publish(h, strdup("{\"status\":\"fail\"}"), 503, NULL, NULL);
    assert_int_equal(get(h, "GET", "/health", NULL, out, sizeof out), 503);
    assert_non_null(strstr(out, "{\"status\":\"fail\"}"));
    assert_int_equal(get(h, "GET", "/metrics", NULL, out, sizeof out), 200); /* kept */
    assert_non_null(strstr(out, "ltm_up 1"));

    gw_http_count counts[GW_HTTP_MAX_COUNTS];
    size_t n = gw_http_counts(h, counts, GW_HTTP_MAX_COUNTS);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |=
            strcmp(counts[i].route, "health") == 0 && counts[i].code == 200 && counts[i].count == 2;
    assert_true(found);
    gw_http_stop(h);
}

static void token_guards_all_but_health(void **unused)
{
    (void)unused;
    gw_http *h = start("s3cret-token");
    char out[8192];
    assert_int_equal(get(h, "GET", "/health", NULL, out, sizeof out), 200);
    assert_int_equal(get(h, "GET", "/status", NULL, out, sizeof out), 401);
    assert_non_null(strstr(out, "WWW-Authenticate: Basic"));
    assert_null(strstr(out, "s3cret"));
    assert_int_equal(get(h, "GET", "/metrics", "Authorization: Bearer wrong\r\n", out, sizeof out),
                     401);
    assert_int_equal(
        get(h, "GET", "/metrics", "Authorization: Bearer s3cret-toke\r\n", out, sizeof out), 401);
    assert_int_equal(
        get(h, "GET", "/metrics", "Authorization: Bearer s3cret-token\r\n", out, sizeof out), 200);
    assert_int_equal(get(h, "GET", "/", "Authorization: bearer s3cret-token\r\n", out, sizeof out),
                     200);
    /* Basic with the token as password ("ops:s3cret-token"), for browsers. */
    assert_int_equal(
        get(h, "GET", "/", "Authorization: Basic b3BzOnMzY3JldC10b2tlbg==\r\n", out, sizeof out),
        200);
    assert_int_equal(get(h, "GET", "/", "Authorization: Basic b3BzOndyb25n\r\n", out, sizeof out),
                     401);
    gw_http_stop(h);
}

static void malformed_and_oversized_requests_are_refused(void **unused)
{
    (void)unused;
    gw_http *h = start(NULL);
    char out[8192];
    const char bad[] = "GARBAGE\r\n\r\n";
    int code = exchange(h, bad, strlen(bad), out, sizeof out);
    assert_true(code == 400 || code == 0);
    const char bad_version[] = "GET /health HTTP/9.9\r\nHost: x\r\n\r\n";
    code = exchange(h, bad_version, strlen(bad_version), out, sizeof out);
    assert_true(code >= 400 && code != 200);
    size_t big = 64 * 1024;
    char *huge = malloc(big + 256);
    int len = snprintf(huge, 256, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(huge + len, 'a', big);
    memcpy(huge + len + big, "\r\n\r\n", 5);
    code = exchange(h, huge, strlen(huge), out, sizeof out);
    free(huge);
    assert_true(code == 431 || code == 413 || code == 400 || code == 0);
    assert_int_equal(get(h, "GET", "/health", NULL, out, sizeof out), 200);
    gw_http_stop(h);
}

/* Two requests on one connection both answered: an answer queued before the
 * request is complete makes MHD close the connection after it, which would
 * cost every keep-alive client (Prometheus, wrk) a reconnect per request. */
static void connections_stay_alive(void **unused)
{
    (void)unused;
    gw_http *h = start(NULL);
    char out[8192];
    const char two[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(exchange(h, two, strlen(two), out, sizeof out), 200);
    assert_null(strstr(out, "Connection: close\r\n\r\n{\"status\""));
    char *second = strstr(out + 1, "HTTP/1.1 200");
    assert_non_null(second);
    assert_non_null(strstr(second, "ltm_up 1"));
    /* A GET carrying a body: the body is read and dropped, the answer is normal. */
    const char body[] = "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        "Connection: close\r\n\r\nhello";
    assert_int_equal(exchange(h, body, strlen(body), out, sizeof out), 200);
    gw_http_stop(h);
}

typedef struct {
    gw_http *h;
    int ok;
} hammer;

static void *hammer_requests(void *arg)
{
    hammer *x = arg;
    char out[4096];
    for (int i = 0; i < 300; i++) {
        int code = get(x->h, "GET", i % 2 ? "/health" : "/metrics", NULL, out, sizeof out);
        x->ok += code == 200 || code == 503;
    }
    return NULL;
}

/* Answers swapped while requests take them: under ASan this catches an
 * answer freed while a connection still sends it. */
static void answers_swap_under_load(void **unused)
{
    (void)unused;
    gw_http *h = start(NULL);
    hammer x = {.h = h};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hammer_requests, &x), 0);
    for (int i = 0; i < 3000; i++) {
        char body[64];
        snprintf(body, sizeof body, "ltm_up %d\n", i);
        gw_http_publish(h, strdup(i % 2 ? "{\"status\":\"ok\"}" : "{\"status\":\"fail\"}"),
                        i % 2 ? 200 : 503, strdup("{}"), strdup(body));
        if (i % 100 == 0)
            usleep(1000);
    }
    pthread_join(t, NULL);
    assert_int_equal(x.ok, 300);
    gw_http_stop(h);
}

static void listens_on_ipv6(void **unused)
{
    (void)unused;
    gw_http_options o = {.bind = "::1",
                         .port = 0,
                         .max_connections = 8,
                         .timeout_s = 5,
                         .page = page,
                         .page_len = strlen(page)};
    gw_http *h = NULL;
    char err[256];
    if (gw_http_start(&o, strdup("{}"), 200, strdup("{}"), strdup("x 1\n"), &h, err, sizeof err) !=
        LTM_OK)
        skip(); /* no IPv6 loopback on this machine */
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                             .sin6_port = htons((uint16_t)gw_http_port(h)),
                             .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    char out[1024] = "";
    size_t got = 0;
    ssize_t n;
    while (got + 1 < sizeof out && (n = recv(fd, out + got, sizeof out - 1 - got, 0)) > 0)
        got += (size_t)n;
    close(fd);
    assert_non_null(strstr(out, "HTTP/1.1 200"));
    gw_http_stop(h);
}

static void bad_bind_is_refused(void **unused)
{
    (void)unused;
    assert_int_equal(gw_http_check_bind("0.0.0.0"), LTM_OK);
    assert_int_equal(gw_http_check_bind("::1"), LTM_OK);
    assert_int_equal(gw_http_check_bind("localhost"), LTM_EINVAL);
    assert_int_equal(gw_http_check_bind("300.1.1.1"), LTM_EINVAL);
    assert_int_equal(gw_http_check_bind(NULL), LTM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_methods_and_answers),
        cmocka_unit_test(token_guards_all_but_health),
        cmocka_unit_test(malformed_and_oversized_requests_are_refused),
        cmocka_unit_test(connections_stay_alive),
        cmocka_unit_test(answers_swap_under_load),
        cmocka_unit_test(listens_on_ipv6),
        cmocka_unit_test(bad_bind_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
