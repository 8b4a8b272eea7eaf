#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/error.h"
#include "publishing/http.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void header_lookup(void **state)
{
    (void)state;
    const char *h = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nX-RestLi-Id:   urn:li:share:7  \r\n"
                    "Retry-After: 5\r\nretry-after: 9\r\n\r\n";
    char *v = ltm_http_header(h, "x-restli-id");
    assert_string_equal(v, "urn:li:share:7");
    free(v);
    v = ltm_http_header(h, "Retry-After");
    assert_string_equal(v, "9"); /* the last one wins */
    free(v);
    assert_null(ltm_http_header(h, "Retry"));
    assert_null(ltm_http_header("", "x"));
}

typedef struct {
    int calls;
    ltm_http_response copy;
} seen;

static void record(void *ctx, const ltm_http_response *r)
{
    seen *s = ctx;
    s->calls++;
    s->copy = *r;
    s->copy.body = NULL;
    s->copy.headers = NULL;
}

/* A port nobody listens on: bound, never listening, so the connect fails. */
static int closed_port(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    bind(*fd, (struct sockaddr *)&a, sizeof a);
    getsockname(*fd, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void refused_connection_was_never_sent(void **state)
{
    (void)state;
    ltm_http *h = NULL;
    assert_int_equal(ltm_http_new(&h), LTM_OK);
    int fd;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port(&fd));
    seen s = {0};
    ltm_http_request r = {.method = "POST", .url = url, .body = "{}", .body_len = 2};
    assert_int_equal(ltm_http_submit(h, &r, record, &s), LTM_OK);
    assert_int_equal(s.calls, 0); /* never from inside submit */
    for (int i = 0; i < 200 && s.calls == 0; i++)
        ltm_http_run(h, -1, 50, NULL);
    assert_int_equal(s.calls, 1);
    assert_int_not_equal(s.copy.transport_error, 0);
    assert_int_equal(s.copy.sent, 0);
    assert_int_equal(s.copy.status, 0);
    assert_int_equal(ltm_http_running(h), 0);
    close(fd);
    ltm_http_free(h);
}

static void only_http_and_https(void **state)
{
    (void)state;
    ltm_http *h = NULL;
    assert_int_equal(ltm_http_new(&h), LTM_OK);
    seen s = {0};
    ltm_http_request r = {.method = "GET", .url = "file:///etc/passwd"};
    assert_int_equal(ltm_http_submit(h, &r, record, &s), LTM_OK);
    for (int i = 0; i < 100 && s.calls == 0; i++)
        ltm_http_run(h, -1, 10, NULL);
    assert_int_equal(s.calls, 1);
    assert_int_not_equal(s.copy.transport_error, 0);
    ltm_http_request bad = {.method = NULL, .url = "http://x"};
    assert_int_equal(ltm_http_submit(h, &bad, record, &s), LTM_EINVAL);
    ltm_http_free(h);
}

static void extra_fd_wakes_the_wait(void **state)
{
    (void)state;
    ltm_http *h = NULL;
    assert_int_equal(ltm_http_new(&h), LTM_OK);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    int ready = 0;
    ltm_http_run(h, p[0], 5000, &ready);
    assert_int_equal(ready, 1);
    close(p[0]);
    close(p[1]);
    ltm_http_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_lookup),
        cmocka_unit_test(refused_connection_was_never_sent),
        cmocka_unit_test(only_http_and_https),
        cmocka_unit_test(extra_fd_wakes_the_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
