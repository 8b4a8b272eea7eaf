/* A fast fake HTTP API for the publishing benchmark: answers every request
 * with 200 {"id":"<n>",...} after a fixed delay (the body also carries an
 * OpenAI chat completion, so the same fake writes the text of a job that has
 * none: bench/run's bursts), one thread per connection, so
 * hundreds of slow answers overlap and the fake never is the bottleneck it
 * is meant to measure (a Python asyncio fake added ~20 ms per request on two
 * loaded cores).
 *
 *     bench-publishing-fake PORT DELAY_MS      prints "ready" once listening
 *
 * HTTP/1.1 just enough: headers, Content-Length bodies, keep-alive. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long delay_ms;
static atomic_long served;

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Reads one request (headers and body) into buf; returns bytes left over
 * after it (the start of a pipelined request), or -1 when the peer closed. */
static long read_request(int fd, char *buf, size_t size, size_t *have)
{
    for (;;) {
        buf[*have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            size_t head = (size_t)(end + 4 - buf);
            char saved = end[2];
            end[2] = '\0'; /* search the headers only */
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            long body = cl ? atol(cl + 17) : 0;
            end[2] = saved;
            if (*have >= head + (size_t)body)
                return (long)(*have - head - (size_t)body);
        }
        if (*have + 1 >= size)
            return -1;
        ssize_t n = read(fd, buf + *have, size - *have - 1);
        if (n <= 0)
            return -1;
        *have += (size_t)n;
    }
}

static void *serve(void *arg)
{
    int fd = (int)(long)arg;
    char buf[65536];
    size_t have = 0;
    long left;
    while ((left = read_request(fd, buf, sizeof buf, &have)) >= 0) {
        if (delay_ms)
            pause_ms(delay_ms);
        char body[256], out[512];
        long id = atomic_fetch_add(&served, 1) + 1;
        int blen = snprintf(body, sizeof body,
                            "{\"id\":\"%ld\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                            "\"assistant\",\"content\":\"Benchmark post %ld.\"},"
                            "\"finish_reason\":\"stop\"}]}", id, id);
        int n = snprintf(out, sizeof out,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: %d\r\n\r\n%s", blen, body);
        if (write(fd, out, (size_t)n) != n)
            break;
        memmove(buf, buf + have - (size_t)left, (size_t)left);
        have = (size_t)left;
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT DELAY_MS\n", argv[0]);
        return 2;
    }
    delay_ms = atol(argv[2]);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 1024) != 0) {
        perror("fake api");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        if (pthread_create(&t, &attr, serve, (void *)(long)c) != 0)
            close(c);
    }
}
