/* Benchmark of the notifier's hot paths, each measured side by side with
 * what it is compared to:
 *  1. an alert storm through the grouping engine, 1 key vs 100 keys;
 *  2. persisting the state once per message (naive) vs once per batch of
 *     messages drained from the inbox (what the service does);
 *  3. queue pushes into a free queue vs a full one (summarising).
 * Usage: bench-notifier [dir]   (dir for the state files, default /tmp) */
#include "engine.h"
#include "queue.h"

#include "ltm/fsutil.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void storm(int keys, int n)
{
    ntf_engine_opts o = {30000, 4 * 3600000};
    ntf_engine e;
    ntf_engine_init(&e, &o);
    char key[32];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "host.k%d", i % keys);
        ntf_engine_fire(&e, key, NTF_WARNING, "CPU 93% above 80% for 3 samples", "sysmonitor", 0,
                        1000 + i);
    }
    double dt = now_s() - t0;
    int sev;
    char *text = ntf_engine_flush(&e, 1000 + n + 30000, &sev);
    printf("engine storm, %3d key%s: %d alerts in %.3f s = %.0f ns/alert, one message of %zu "
           "bytes\n",
           keys, keys == 1 ? " " : "s", n, dt, dt * 1e9 / n, text ? strlen(text) : 0);
    free(text);
    ntf_engine_clear(&e);
}

static int save(const char *path, const ntf_engine *e)
{
    cJSON *j = ntf_engine_to_json(e);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    int rc = ltm_write_file_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

static void persistence(const char *dir, int n, int batch)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bench-notifier-state.json", dir);
    ntf_engine_opts o = {30000, 4 * 3600000};
    ntf_engine e;
    ntf_engine_init(&e, &o);
    double t0 = now_s();
    int saves = 0;
    for (int i = 0; i < n; i++) {
        ntf_engine_fire(&e, "host.cpu", NTF_WARNING, "CPU 93%", "sysmonitor", 0, 1000 + i);
        if ((i + 1) % batch == 0) {
            if (save(path, &e) != 0) {
                fprintf(stderr, "cannot write %s\n", path);
                exit(1);
            }
            saves++;
        }
    }
    double dt = now_s() - t0;
    printf("persist %d alerts, save every %4d: %4d fsynced saves in %.3f s = %.1f us/alert\n", n,
           batch, saves, dt, dt * 1e6 / n);
    remove(path);
    ntf_engine_clear(&e);
}

static void queue_pushes(int n, size_t max)
{
    ntf_queue q;
    ntf_queue_init(&q, max, 4096);
    char text[200];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text, "<b>LTM alerts</b>: 1 firing\n[WARNING] host.k%d: x", i);
        ntf_queue_push(&q, i % 10 ? NTF_WARNING : NTF_CRITICAL, text, i);
    }
    double dt = now_s() - t0;
    printf("queue max %6zu: %d pushes in %.3f s = %.2f us/push, %zu entries, %llu summarised\n",
           max, n, dt, dt * 1e6 / n, q.count, (unsigned long long)q.summarised);
    ntf_queue_clear(&q);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    storm(1, 1000000);
    storm(100, 1000000);
    persistence(dir, 1000, 1);
    persistence(dir, 1000, 1000);
    queue_pushes(20000, 100000);
    queue_pushes(20000, 500);
    return 0;
}
