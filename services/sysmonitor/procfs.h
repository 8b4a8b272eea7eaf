#ifndef SYSMON_PROCFS_H
#define SYSMON_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/* Pure parsers of the /proc and cgroup v2 files the sysmonitor samples. They
 * take the file's text (not necessarily NUL-terminated: len bytes) and never
 * touch the file system, so they are tested on files captured from real
 * machines (tests/fixtures/sysmonitor/). Each returns 0 or LTM_EINVAL when a
 * line the kernel always writes is missing or malformed. */

/* One "cpu"/"cpuN" line of /proc/stat, reduced to what a percentage needs.
 * busy excludes idle and iowait; guest time is already inside user/nice. */
typedef struct {
    int id; /* -1 for the "cpu" total line, else N of "cpuN" */
    uint64_t busy;
    uint64_t total;
} procfs_cpu;

/* Fills *all with the total line and cores[0..*ncores) with the per-CPU lines
 * in file order (offline CPUs are absent from the file, so ids may have
 * gaps). Lines beyond max_cores are counted in *ncores but not stored. */
int procfs_parse_stat(const char *text, size_t len, procfs_cpu *all, procfs_cpu *cores,
                      size_t max_cores, size_t *ncores);

/* Busy share of the time between two readings, 0..100. A counter that went
 * backwards (CPU hot-plugged, counters reset) yields 0 rather than garbage. */
double procfs_cpu_percent(const procfs_cpu *before, const procfs_cpu *after);

typedef struct {
    uint64_t total;     /* bytes */
    uint64_t free;
    uint64_t available; /* MemAvailable, or an estimate on kernels without it */
    uint64_t buffers;
    uint64_t cached;
    uint64_t swap_total;
    uint64_t swap_free;
    int has_available;  /* 0: the kernel predates MemAvailable (< 3.14) */
} procfs_meminfo;

int procfs_parse_meminfo(const char *text, size_t len, procfs_meminfo *out);

#define PROCFS_IFNAME_MAX 16 /* IFNAMSIZ: 15 characters and the NUL */

typedef struct {
    char name[PROCFS_IFNAME_MAX];
    uint64_t rx_bytes;
    uint64_t tx_bytes;
} procfs_netif;

/* Interfaces of /proc/net/dev in file order; lines beyond max are counted in
 * *count but not stored. Lines that do not parse are skipped and counted in
 * *skipped (NULL allowed). */
int procfs_parse_net_dev(const char *text, size_t len, procfs_netif *ifs, size_t max,
                         size_t *count, size_t *skipped);

/* Bytes between two readings of a counter that may wrap: drivers that keep
 * 32-bit counters wrap at 2^32; a counter that went backwards from above
 * 2^32 was reset (interface re-created), so the new value is what passed
 * since the reset. */
uint64_t procfs_counter_delta(uint64_t before, uint64_t after);

int procfs_parse_loadavg(const char *text, size_t len, double out[3]);
int procfs_parse_uptime(const char *text, size_t len, double *uptime_s);

/* The cgroup v2 path of the process from /proc/self/cgroup (the "0::" line),
 * e.g. "/system.slice/ltm.service". LTM_ENOTFOUND without a v2 line. */
int procfs_parse_self_cgroup(const char *text, size_t len, char *path, size_t size);

/* memory.max, memory.current and the like: an integer or "max".
 * "max" gives UINT64_MAX. */
int procfs_parse_cgroup_u64(const char *text, size_t len, uint64_t *out);

/* cpu.max: "$MAX $PERIOD". *quota_us is 0 when unlimited ("max"). */
int procfs_parse_cpu_max(const char *text, size_t len, uint64_t *quota_us, uint64_t *period_us);

/* A "key value" line of a flat-keyed file (cpu.stat usage_usec,
 * memory.stat inactive_file). LTM_ENOTFOUND when the key is absent. */
int procfs_parse_keyed(const char *text, size_t len, const char *key, uint64_t *out);

#endif
