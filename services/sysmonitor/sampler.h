#ifndef SYSMON_SAMPLER_H
#define SYSMON_SAMPLER_H

#include "procfs.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Reads the host's (or the container's) figures. The /proc and cgroup files
 * are opened once and re-read with pread at offset 0, which regenerates
 * them: half the cost of opening each file every time (docs/benchmarks). */

typedef struct {
    const char *path;
    int ok;              /* 0: statvfs failed (errno_value says why) */
    int errno_value;
    uint64_t total_bytes, used_bytes, available_bytes;
    double percent;      /* used / (used + available), as df's Use% */
} sample_disk;

typedef struct {
    char name[PROCFS_IFNAME_MAX];
    uint64_t rx_bytes, tx_bytes;
    double rx_bytes_per_s, tx_bytes_per_s;
} sample_net;

typedef struct {
    int64_t at_ms;
    double elapsed_s;        /* since the previous sample; rates and CPU cover it */
    /* CPU: percent is what thresholds use: the container's usage against its
     * cpu.max quota when one is set, else the host's. */
    double cpu_percent;
    double cpu_host_percent;
    double cpu_limit_cores;  /* 0: no cgroup quota */
    size_t ncores;
    const procfs_cpu *core_ids;  /* ncores, for the ids */
    const double *core_percent;  /* ncores */
    /* Memory: percent is against memory.max when set, else MemTotal. */
    double memory_percent;
    uint64_t memory_total_bytes, memory_available_bytes, memory_used_bytes;
    uint64_t memory_limit_bytes; /* 0: no cgroup limit */
    uint64_t memory_cgroup_used_bytes; /* with a limit: memory.current - inactive_file */
    double memory_host_percent;
    const sample_disk *disks;
    size_t ndisks;
    const sample_net *net;
    size_t nnet;
    double load[3];
    double uptime_s;
} sysmon_sample;

typedef struct sampler sampler;

/* proc_dir is normally "/proc", cgroup_dir "/sys/fs/cgroup" (either may point
 * elsewhere, e.g. a host's /proc mounted into a container). disks are mount
 * points to statvfs (copied). Takes the first reading so the first sample
 * has a delta. err says which file failed. Caller frees with sampler_free. */
int sampler_new(const char *proc_dir, const char *cgroup_dir, const char *const *disks,
                size_t ndisks, sampler **out, char *err, size_t err_size);
void sampler_free(sampler *s);

/* Whether a cgroup v2 limit was found at start (for the startup log). */
int sampler_has_cgroup(const sampler *s);

/* Reads everything and computes the sample; *out belongs to the sampler and
 * stays valid until the next call. err says which file failed. */
int sampler_take(sampler *s, int64_t now_ms, const sysmon_sample **out, char *err,
                 size_t err_size);

/* The figures as a JSON object (the body of ltm/metrics/system, without the
 * envelope); NULL when out of memory. */
cJSON *sample_to_json(const sysmon_sample *sample);

#endif
