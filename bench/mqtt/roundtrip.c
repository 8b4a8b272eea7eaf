/* Job -> result round trips through a real ltm-poster (sandbox mode), with
 * `window` jobs in flight. Acts as the scheduler: publishes jobs on
 * ltm/jobs/post and waits for their results on ltm/results.
 *
 * With OPERATOR_PASSWORD (raw mode, no poster running) the same jobs are
 * received back by a second connection, user operator, subscribed to
 * ltm/jobs/post: one QoS 1 hop through the broker with the same client
 * library, message and window, which is the broker's raw rate that bench/run
 * puts beside the end-to-end rate.
 *
 * usage: bench-mqtt-roundtrip URL PASSWORD JOBS WINDOW NODELAY(0|1) [OPERATOR_PASSWORD]
 * prints one JSON line: jobs/s and latency percentiles. */
#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/msg.h"
#include "ltm/mqtt.h"
#include "ltm/timeutil.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int compare_ms(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s URL PASSWORD JOBS WINDOW NODELAY [OPERATOR_PASSWORD]\n",
                argv[0]);
        return 2;
    }
    int jobs = atoi(argv[3]), window = atoi(argv[4]);
    if (jobs < 1 || window < 1) {
        fprintf(stderr, "JOBS and WINDOW must be >= 1\n");
        return 2;
    }
    ltm_log_init("bench", LTM_LOG_WARN, LTM_LOG_TEXT);
    int wake = eventfd(0, EFD_NONBLOCK);
    char client_id[64];
    snprintf(client_id, sizeof client_id, "bench-%d", (int)getpid());
    ltm_mqtt_options o = {.url = argv[1], .client_id = client_id, .username = "scheduler",
                          .password = argv[2], .clean_session = 1, .wake_fd = wake,
                          .no_tcp_nodelay = !atoi(argv[5]), .max_inbox = 100000,
                          .max_outbox = 100000};
    int raw = argc == 7;
    char rx_id[72];
    snprintf(rx_id, sizeof rx_id, "%s-rx", client_id);
    ltm_mqtt_options ro = o;
    ro.client_id = rx_id;
    ro.username = "operator";
    ro.password = raw ? argv[6] : NULL;
    ltm_mqtt *c, *rx = NULL;
    char err[256];
    if (ltm_mqtt_new(&o, &c, err, sizeof err) != LTM_OK ||
        (raw && ltm_mqtt_new(&ro, &rx, err, sizeof err) != LTM_OK)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (!raw)
        rx = c;
    ltm_mqtt_subscribe(rx, raw ? "ltm/jobs/post" : "ltm/results", 1);
    ltm_mqtt_connect(c);
    if (raw)
        ltm_mqtt_connect(rx);
    int64_t deadline = ltm_mono_ms() + 10000;
    while (!(ltm_mqtt_is_connected(c) && ltm_mqtt_is_connected(rx)) &&
           ltm_mono_ms() < deadline) {
        ltm_mqtt_service(c);
        if (raw)
            ltm_mqtt_service(rx);
        poll(NULL, 0, 5);
    }
    if (!ltm_mqtt_is_connected(c) || !ltm_mqtt_is_connected(rx)) {
        fprintf(stderr, "could not connect\n");
        return 1;
    }
    poll(NULL, 0, 200); /* let the SUBACK arrive */

    int64_t *sent_at = calloc((size_t)jobs, sizeof *sent_at);
    int64_t *latency = calloc((size_t)jobs, sizeof *latency);
    char *tag = client_id;
    int sent = 0, done = 0;
    int64_t start = ltm_mono_ms();
    deadline = start + 120000;
    while (done < jobs && ltm_mono_ms() < deadline) {
        while (sent < jobs && sent - done < window) {
            char id[96];
            snprintf(id, sizeof id, "%s:%d", tag, sent);
            ltm_job job = {.job_id = id, .kind = LTM_JOB_POST, .account = "bench", .attempt = 1,
                           .max_attempts = 3, .slot_ms = ltm_now_ms(),
                           .dispatched_ms = ltm_now_ms(), .text = "benchmark"};
            char *json = ltm_job_encode(&job);
            sent_at[sent++] = ltm_mono_ms();
            ltm_mqtt_publish(c, "ltm/jobs/post", json, strlen(json), 1, 0);
            free(json);
        }
        struct pollfd pfd = {.fd = wake, .events = POLLIN};
        int wait_ms = ltm_mqtt_service(c);
        if (raw) {
            int rx_ms = ltm_mqtt_service(rx);
            wait_ms = rx_ms < wait_ms ? rx_ms : wait_ms;
        }
        poll(&pfd, 1, wait_ms);
        uint64_t counter;
        if (read(wake, &counter, sizeof counter) < 0) { /* nothing pending */ }
        ltm_mqtt_message *m;
        while ((m = ltm_mqtt_receive(rx)) != NULL) {
            /* The same decode work on both sides: a result, or the job itself. */
            char id[256] = "";
            char reason[LTM_REASON_SIZE];
            if (raw) {
                ltm_job j = {0};
                if (ltm_job_decode(m->payload, m->len, &j, reason) == LTM_OK)
                    snprintf(id, sizeof id, "%s", j.job_id);
                ltm_job_clear(&j);
            } else {
                ltm_result r = {0};
                if (ltm_result_decode(m->payload, m->len, &r, reason) == LTM_OK)
                    snprintf(id, sizeof id, "%s", r.job_id);
                ltm_result_clear(&r);
            }
            if (strncmp(id, tag, strlen(tag)) == 0) {
                int index = atoi(strrchr(id, ':') + 1);
                if (index >= 0 && index < sent && latency[index] == 0) {
                    latency[index] = ltm_mono_ms() - sent_at[index];
                    if (latency[index] == 0)
                        latency[index] = 1; /* sub-millisecond; 0 marks "not yet" */
                    done++;
                }
            }
            ltm_mqtt_message_free(m);
        }
    }
    double seconds = (double)(ltm_mono_ms() - start) / 1000.0;
    qsort(latency, (size_t)done, sizeof *latency, compare_ms);
    printf("{\"jobs\":%d,\"done\":%d,\"window\":%d,\"nodelay\":%d,\"raw\":%d,"
           "\"seconds\":%.3f,\"jobs_per_s\":%.1f,\"p50_ms\":%lld,\"p99_ms\":%lld}\n",
           jobs, done, window, atoi(argv[5]), raw, seconds, done / seconds,
           done ? (long long)latency[done / 2] : -1,
           done ? (long long)latency[(done * 99) / 100 - (done >= 100 ? 1 : 0)] : -1);
    ltm_mqtt_disconnect(c, 1000);
    ltm_mqtt_free(c);
    if (raw) {
        ltm_mqtt_disconnect(rx, 1000);
        ltm_mqtt_free(rx);
    }
    free(sent_at);
    free(latency);
    return done == jobs ? 0 : 1;
}
