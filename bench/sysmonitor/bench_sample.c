/* CPU time of one full sysmonitor sample, side by side with the bare cost of
 * the kernel reads it does (the physical limit): see run.sh and
 * docs/benchmarks/sysmonitor.md.
 *
 *   bench-sysmonitor [iterations] [disk...]
 *
 * Prints one line per variant: µs of process CPU time per sample. */
#include "sampler.h"

#include "ltm/error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static const char *const files[] = {"/proc/stat", "/proc/meminfo", "/proc/net/dev",
                                    "/proc/loadavg", "/proc/uptime"};
#define NFILES (sizeof files / sizeof files[0])

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char buf[1 << 16];

static void statvfs_all(const char *const *disks, int ndisks)
{
    struct statvfs v;
    for (int d = 0; d < ndisks; d++)
        if (statvfs(disks[d], &v) != 0)
            abort();
}

/* The same files, the same way (kept open, one pread each), no parsing. */
static double bare_pread(long n, const char *const *disks, int ndisks)
{
    int fd[NFILES];
    for (size_t i = 0; i < NFILES; i++)
        if ((fd[i] = open(files[i], O_RDONLY | O_CLOEXEC)) < 0)
            abort();
    double t0 = cpu_us();
    for (long k = 0; k < n; k++) {
        for (size_t i = 0; i < NFILES; i++)
            if (pread(fd[i], buf, sizeof buf, 0) <= 0)
                abort();
        statvfs_all(disks, ndisks);
    }
    double per = (cpu_us() - t0) / (double)n;
    for (size_t i = 0; i < NFILES; i++)
        close(fd[i]);
    return per;
}

static double bare_open(long n, const char *const *disks, int ndisks)
{
    double t0 = cpu_us();
    for (long k = 0; k < n; k++) {
        for (size_t i = 0; i < NFILES; i++) {
            int fd = open(files[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
                abort();
            close(fd);
        }
        statvfs_all(disks, ndisks);
    }
    return (cpu_us() - t0) / (double)n;
}

static double full_sample(long n, const char *const *disks, int ndisks, int with_json)
{
    sampler *s;
    char err[200];
    if (sampler_new("/proc", "/sys/fs/cgroup", disks, (size_t)ndisks, &s, err, sizeof err) != 0) {
        fprintf(stderr, "sampler: %s\n", err);
        exit(1);
    }
    const sysmon_sample *x;
    double t0 = cpu_us();
    for (long k = 0; k < n; k++) {
        if (sampler_take(s, k, &x, err, sizeof err) != LTM_OK)
            abort();
        if (with_json) {
            cJSON *o = sample_to_json(x);
            char *text = cJSON_PrintUnformatted(o);
            cJSON_Delete(o);
            free(text);
        }
    }
    double per = (cpu_us() - t0) / (double)n;
    sampler_free(s);
    return per;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    const char *def[] = {"/"};
    const char *const *disks = argc > 2 ? (const char *const *)argv + 2 : def;
    int ndisks = argc > 2 ? argc - 2 : 1;
    if (n <= 0)
        n = 20000;
    /* Warm up page cache and allocator once, then interleave the variants
     * so frequency changes and noise hit each of them alike. */
    full_sample(200, disks, ndisks, 0);
    double r[4] = {0};
    for (int round = 0; round < 5; round++) {
        r[0] += bare_pread(n / 5, disks, ndisks);
        r[1] += bare_open(n / 5, disks, ndisks);
        r[2] += full_sample(n / 5, disks, ndisks, 0);
        r[3] += full_sample(n / 5, disks, ndisks, 1);
    }
    printf("bare reads, files kept open (pread)   %7.1f us/sample\n", r[0] / 5);
    printf("bare reads, open+read+close each time %7.1f us/sample\n", r[1] / 5);
    printf("sysmonitor sample (read+parse+compute)%7.1f us/sample\n", r[2] / 5);
    printf("sysmonitor sample + JSON payload      %7.1f us/sample\n", r[3] / 5);
    return 0;
}
