/* Job -> result round trips through a real ltm-poster (sandbox mode), with
 * `window` jobs in flight. Acts as the scheduler: publishes jobs on
 * ltm/jobs/post and waits for their results on ltm/results.
 *
 * usage: bench-mqtt-roundtrip URL PASSWORD JOBS WINDOW NODELAY(0|1)
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
    if (argc != 6) {
        fprintf(stderr, "usage: %s URL PASSWORD JOBS WINDOW NODELAY\n", argv[0]);
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
    ltm_mqtt *c;
    char err[256];
    if (ltm_mqtt_new(&o, &c, err, sizeof err) != LTM_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    ltm_mqtt_subscribe(c, "ltm/results", 1);
    ltm_mqtt_connect(c);
    int64_t deadline = ltm_mono_ms() + 10000;
    while (!ltm_mqtt_is_connected(c) && ltm_mono_ms() < deadline) {
        ltm_mqtt_service(c);
        poll(NULL, 0, 5);
    }
    if (!ltm_mqtt_is_connected(c)) {
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
        poll(&pfd, 1, ltm_mqtt_service(c));
        uint64_t counter;
        if (read(wake, &counter, sizeof counter) < 0) { /* nothing pending */ }
        ltm_mqtt_message *m;
        while ((m = ltm_mqtt_receive(c)) != NULL) {
            ltm_result r;
            char reason[LTM_REASON_SIZE];
            if (ltm_result_decode(m->payload, m->len, &r, reason) == LTM_OK &&
                strncmp(r.job_id, tag, strlen(tag)) == 0) {
                int index = atoi(strrchr(r.job_id, ':') + 1);
                if (index >= 0 && index < sent && latency[index] == 0) {
                    latency[index] = ltm_mono_ms() - sent_at[index];
                    if (latency[index] == 0)
                        latency[index] = 1; /* sub-millisecond; 0 marks "not yet" */
                    done++;
                }
            }
            ltm_result_clear(&r);
            ltm_mqtt_message_free(m);
        }
    }
    double seconds = (double)(ltm_mono_ms() - start) / 1000.0;
    qsort(latency, (size_t)done, sizeof *latency, compare_ms);
    printf("{\"jobs\":%d,\"done\":%d,\"window\":%d,\"nodelay\":%d,\"seconds\":%.3f,"
           "\"jobs_per_s\":%.1f,\"p50_ms\":%lld,\"p99_ms\":%lld}\n",
           jobs, done, window, atoi(argv[5]), seconds, done / seconds,
           done ? (long long)latency[done / 2] : -1,
           done ? (long long)latency[(done * 99) / 100 - (done >= 100 ? 1 : 0)] : -1);
    ltm_mqtt_disconnect(c, 1000);
    ltm_mqtt_free(c);
    free(sent_at);
    free(latency);
    return done == jobs ? 0 : 1;
}
