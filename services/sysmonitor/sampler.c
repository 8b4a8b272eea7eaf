#include "sampler.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

enum { F_STAT, F_MEMINFO, F_NETDEV, F_LOADAVG, F_UPTIME, F_PROC_COUNT };
enum { C_MEM_MAX, C_MEM_CUR, C_MEM_STAT, C_CPU_MAX, C_CPU_STAT, C_COUNT };

static const char *const proc_files[F_PROC_COUNT] = {"stat", "meminfo", "net/dev", "loadavg",
                                                     "uptime"};
static const char *const cgroup_files[C_COUNT] = {"memory.max", "memory.current", "memory.stat",
                                                  "cpu.max", "cpu.stat"};

struct sampler {
    int proc_fd[F_PROC_COUNT];
    int cg_fd[C_COUNT]; /* -1: absent (no cgroup v2, or the controller is off) */
    char *buf;
    size_t buf_size;
    procfs_cpu prev_all, cur_all;
    procfs_cpu *prev_cores, *cur_cores;
    size_t nprev_cores, ncores, cap_cores;
    double *core_percent;
    procfs_netif *prev_if, *cur_if;
    size_t nprev_if, nif, cap_if;
    sample_net *net;
    uint64_t prev_cg_usage_us;
    int have_cg_usage;
    sample_disk *disks;
    size_t ndisks;
    int64_t prev_mono_us;
    sysmon_sample sample;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Reads a whole /proc or cgroup file from offset 0. These are seq_files: a
 * read at a non-zero offset regenerates the whole text, so we stop after a
 * read that left more than a page unused (no record of these files is that
 * long: the single-record ones, like /proc/stat, come whole) instead of
 * paying for a second read that returns 0. */
static int read_fd(sampler *s, int fd, size_t *len)
{
    size_t off = 0;
    for (;;) {
        if (s->buf_size - off < 8192) {
            char *b = realloc(s->buf, s->buf_size * 2);
            if (!b)
                return LTM_ENOMEM;
            s->buf = b;
            s->buf_size *= 2;
        }
        ssize_t n = pread(fd, s->buf + off, s->buf_size - off, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return LTM_EIO;
        }
        off += (size_t)n;
        if (n == 0 || s->buf_size - off > 4096)
            break;
    }
    *len = off;
    return LTM_OK;
}

static int open_at(const char *dir, const char *name)
{
    char path[4200];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* The process's own cgroup v2 directory: <cgroup_dir><path from
 * /proc/self/cgroup>. Only files that exist there are opened; the root
 * cgroup has none of them, which means "no limit". */
static void open_cgroup(sampler *s, const char *proc_dir, const char *cgroup_dir)
{
    for (int i = 0; i < C_COUNT; i++)
        s->cg_fd[i] = -1;
    int fd = open_at(proc_dir, "self/cgroup");
    if (fd < 0)
        return;
    size_t len;
    char rel[2048];
    int rc = read_fd(s, fd, &len);
    close(fd);
    if (rc != LTM_OK || procfs_parse_self_cgroup(s->buf, len, rel, sizeof rel) != LTM_OK)
        return;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s%s", cgroup_dir, strcmp(rel, "/") == 0 ? "" : rel);
    for (int i = 0; i < C_COUNT; i++)
        s->cg_fd[i] = open_at(dir, cgroup_files[i]);
}

int sampler_new(const char *proc_dir, const char *cgroup_dir, const char *const *disks,
                size_t ndisks, sampler **out, char *err, size_t err_size)
{
    sampler *s = calloc(1, sizeof *s);
    if (!s)
        return LTM_ENOMEM;
    for (int i = 0; i < F_PROC_COUNT; i++)
        s->proc_fd[i] = -1;
    for (int i = 0; i < C_COUNT; i++)
        s->cg_fd[i] = -1;
    s->buf_size = 65536;
    s->buf = malloc(s->buf_size);
    s->disks = calloc(ndisks ? ndisks : 1, sizeof *s->disks);
    if (!s->buf || !s->disks) {
        sampler_free(s);
        return LTM_ENOMEM;
    }
    for (int i = 0; i < F_PROC_COUNT; i++) {
        s->proc_fd[i] = open_at(proc_dir, proc_files[i]);
        if (s->proc_fd[i] < 0) {
            snprintf(err, err_size, "cannot open %s/%s: %s", proc_dir, proc_files[i],
                     strerror(errno));
            sampler_free(s);
            return LTM_EIO;
        }
    }
    open_cgroup(s, proc_dir, cgroup_dir);
    s->ndisks = ndisks;
    for (size_t i = 0; i < ndisks; i++) {
        s->disks[i].path = strdup(disks[i]);
        if (!s->disks[i].path) {
            sampler_free(s);
            return LTM_ENOMEM;
        }
    }
    const sysmon_sample *first;
    int rc = sampler_take(s, 0, &first, err, err_size);
    if (rc != LTM_OK) {
        sampler_free(s);
        return rc;
    }
    *out = s;
    return LTM_OK;
}

void sampler_free(sampler *s)
{
    if (!s)
        return;
    for (int i = 0; i < F_PROC_COUNT; i++)
        if (s->proc_fd[i] >= 0)
            close(s->proc_fd[i]);
    for (int i = 0; i < C_COUNT; i++)
        if (s->cg_fd[i] >= 0)
            close(s->cg_fd[i]);
    for (size_t i = 0; s->disks && i < s->ndisks; i++)
        free((char *)s->disks[i].path);
    free(s->disks);
    free(s->buf);
    free(s->prev_cores);
    free(s->cur_cores);
    free(s->core_percent);
    free(s->prev_if);
    free(s->cur_if);
    free(s->net);
    free(s);
}

int sampler_has_cgroup(const sampler *s)
{
    return s->cg_fd[C_MEM_MAX] >= 0 || s->cg_fd[C_CPU_MAX] >= 0;
}

/* Parses into the arrays, growing them until the file's lines fit. */
static int parse_cpus(sampler *s, size_t len)
{
    for (;;) {
        size_t n;
        if (procfs_parse_stat(s->buf, len, &s->cur_all, s->cur_cores, s->cap_cores, &n) != LTM_OK)
            return LTM_EINVAL;
        if (n <= s->cap_cores) {
            s->ncores = n;
            return LTM_OK;
        }
        size_t cap = n + 8;
        procfs_cpu *a = realloc(s->cur_cores, cap * sizeof *a);
        if (a)
            s->cur_cores = a;
        procfs_cpu *b = realloc(s->prev_cores, cap * sizeof *b);
        if (b)
            s->prev_cores = b;
        double *c = realloc(s->core_percent, cap * sizeof *c);
        if (c)
            s->core_percent = c;
        if (!a || !b || !c)
            return LTM_ENOMEM;
        s->cap_cores = cap;
    }
}

static const procfs_cpu *find_cpu(const procfs_cpu *cpus, size_t n, size_t hint, int id)
{
    if (hint < n && cpus[hint].id == id)
        return &cpus[hint];
    for (size_t i = 0; i < n; i++)
        if (cpus[i].id == id)
            return &cpus[i];
    return NULL;
}

static int sample_cpu(sampler *s)
{
    size_t len;
    if (read_fd(s, s->proc_fd[F_STAT], &len) != LTM_OK || parse_cpus(s, len) != LTM_OK)
        return LTM_EIO;
    sysmon_sample *o = &s->sample;
    o->cpu_host_percent = procfs_cpu_percent(&s->prev_all, &s->cur_all);
    for (size_t i = 0; i < s->ncores; i++) {
        const procfs_cpu *before = find_cpu(s->prev_cores, s->nprev_cores, i, s->cur_cores[i].id);
        s->core_percent[i] = before ? procfs_cpu_percent(before, &s->cur_cores[i]) : 0.0;
    }
    o->ncores = s->ncores;
    o->core_ids = s->cur_cores;
    o->core_percent = s->core_percent;
    /* Keep this reading for the next delta (swap the arrays, no copy). */
    procfs_cpu *t = s->prev_cores;
    s->prev_cores = s->cur_cores;
    s->cur_cores = t;
    s->nprev_cores = s->ncores;
    s->prev_all = s->cur_all;
    return LTM_OK;
}

static int read_cg(sampler *s, int which, size_t *len)
{
    return s->cg_fd[which] >= 0 ? read_fd(s, s->cg_fd[which], len) : LTM_ENOTFOUND;
}

/* The container's CPU: usage against its cpu.max quota, capped at the
 * number of CPUs it can actually run on. */
static void sample_cgroup_cpu(sampler *s, double elapsed_s)
{
    sysmon_sample *o = &s->sample;
    o->cpu_limit_cores = 0;
    o->cpu_percent = o->cpu_host_percent;
    size_t len;
    uint64_t quota, period, usage;
    if (read_cg(s, C_CPU_STAT, &len) != LTM_OK ||
        procfs_parse_keyed(s->buf, len, "usage_usec", &usage) != LTM_OK) {
        s->have_cg_usage = 0;
        return;
    }
    uint64_t prev = s->prev_cg_usage_us;
    int had = s->have_cg_usage;
    s->prev_cg_usage_us = usage;
    s->have_cg_usage = 1;
    if (read_cg(s, C_CPU_MAX, &len) != LTM_OK ||
        procfs_parse_cpu_max(s->buf, len, &quota, &period) != LTM_OK || quota == 0)
        return;
    double cores = (double)quota / (double)period;
    if (o->ncores && cores > (double)o->ncores)
        cores = (double)o->ncores;
    o->cpu_limit_cores = cores;
    if (!had || elapsed_s <= 0 || usage < prev)
        return;
    double pct = 100.0 * (double)(usage - prev) / (elapsed_s * 1e6 * cores);
    o->cpu_percent = pct > 100.0 ? 100.0 : pct;
}

static int sample_memory(sampler *s)
{
    size_t len;
    procfs_meminfo mi;
    if (read_fd(s, s->proc_fd[F_MEMINFO], &len) != LTM_OK ||
        procfs_parse_meminfo(s->buf, len, &mi) != LTM_OK)
        return LTM_EIO;
    sysmon_sample *o = &s->sample;
    o->memory_total_bytes = mi.total;
    o->memory_available_bytes = mi.available;
    o->memory_used_bytes = mi.total - mi.available;
    o->memory_host_percent = 100.0 * (double)o->memory_used_bytes / (double)mi.total;
    o->memory_percent = o->memory_host_percent;
    o->memory_limit_bytes = 0;
    uint64_t max, current, inactive = 0;
    if (read_cg(s, C_MEM_MAX, &len) != LTM_OK ||
        procfs_parse_cgroup_u64(s->buf, len, &max) != LTM_OK || max == UINT64_MAX || max == 0 ||
        read_cg(s, C_MEM_CUR, &len) != LTM_OK ||
        procfs_parse_cgroup_u64(s->buf, len, &current) != LTM_OK)
        return LTM_OK;
    /* Like docker stats: the inactive page cache can be reclaimed before
     * the OOM killer acts, so it does not count as used. */
    if (read_cg(s, C_MEM_STAT, &len) == LTM_OK)
        procfs_parse_keyed(s->buf, len, "inactive_file", &inactive);
    uint64_t used = current > inactive ? current - inactive : 0;
    o->memory_limit_bytes = max < mi.total ? max : mi.total;
    o->memory_cgroup_used_bytes = used;
    o->memory_percent = 100.0 * (double)used / (double)o->memory_limit_bytes;
    return LTM_OK;
}

static int parse_ifs(sampler *s, size_t len)
{
    for (;;) {
        size_t n;
        if (procfs_parse_net_dev(s->buf, len, s->cur_if, s->cap_if, &n, NULL) != LTM_OK)
            return LTM_EINVAL;
        if (n <= s->cap_if) {
            s->nif = n;
            return LTM_OK;
        }
        size_t cap = n + 8;
        procfs_netif *a = realloc(s->cur_if, cap * sizeof *a);
        if (a)
            s->cur_if = a;
        procfs_netif *b = realloc(s->prev_if, cap * sizeof *b);
        if (b)
            s->prev_if = b;
        sample_net *c = realloc(s->net, cap * sizeof *c);
        if (c)
            s->net = c;
        if (!a || !b || !c)
            return LTM_ENOMEM;
        s->cap_if = cap;
    }
}

static int sample_net_dev(sampler *s, double elapsed_s)
{
    size_t len;
    if (read_fd(s, s->proc_fd[F_NETDEV], &len) != LTM_OK || parse_ifs(s, len) != LTM_OK)
        return LTM_EIO;
    for (size_t i = 0; i < s->nif; i++) {
        const procfs_netif *cur = &s->cur_if[i];
        sample_net *o = &s->net[i];
        memcpy(o->name, cur->name, sizeof o->name);
        o->rx_bytes = cur->rx_bytes;
        o->tx_bytes = cur->tx_bytes;
        o->rx_bytes_per_s = o->tx_bytes_per_s = 0;
        const procfs_netif *before = NULL;
        for (size_t k = 0; k < s->nprev_if && !before; k++) {
            size_t j = (i + k) % s->nprev_if; /* same position first */
            if (strcmp(s->prev_if[j].name, cur->name) == 0)
                before = &s->prev_if[j];
        }
        if (before && elapsed_s > 0) {
            o->rx_bytes_per_s = (double)procfs_counter_delta(before->rx_bytes, cur->rx_bytes) /
                                elapsed_s;
            o->tx_bytes_per_s = (double)procfs_counter_delta(before->tx_bytes, cur->tx_bytes) /
                                elapsed_s;
        }
    }
    procfs_netif *t = s->prev_if;
    s->prev_if = s->cur_if;
    s->cur_if = t;
    s->nprev_if = s->nif;
    s->sample.net = s->net;
    s->sample.nnet = s->nif;
    return LTM_OK;
}

static void sample_disks(sampler *s)
{
    for (size_t i = 0; i < s->ndisks; i++) {
        sample_disk *d = &s->disks[i];
        struct statvfs v;
        if (statvfs(d->path, &v) != 0) {
            d->ok = 0;
            d->errno_value = errno;
            d->percent = NAN;
            continue;
        }
        uint64_t f = v.f_frsize ? v.f_frsize : v.f_bsize;
        d->ok = 1;
        d->total_bytes = (uint64_t)v.f_blocks * f;
        d->used_bytes = (uint64_t)(v.f_blocks - v.f_bfree) * f;
        d->available_bytes = (uint64_t)v.f_bavail * f;
        uint64_t usable = d->used_bytes + d->available_bytes;
        d->percent = usable ? 100.0 * (double)d->used_bytes / (double)usable : 0.0;
    }
    s->sample.disks = s->disks;
    s->sample.ndisks = s->ndisks;
}

int sampler_take(sampler *s, int64_t now_ms, const sysmon_sample **out, char *err,
                 size_t err_size)
{
    int64_t now_us = mono_us();
    double elapsed_s = s->prev_mono_us ? (double)(now_us - s->prev_mono_us) / 1e6 : 0.0;
    s->prev_mono_us = now_us;
    sysmon_sample *o = &s->sample;
    o->at_ms = now_ms;
    o->elapsed_s = elapsed_s;
    size_t len;
    const char *failed = NULL;
    if (sample_cpu(s) != LTM_OK)
        failed = "stat";
    else if (sample_memory(s) != LTM_OK)
        failed = "meminfo";
    else if (sample_net_dev(s, elapsed_s) != LTM_OK)
        failed = "net/dev";
    else if (read_fd(s, s->proc_fd[F_LOADAVG], &len) != LTM_OK ||
             procfs_parse_loadavg(s->buf, len, o->load) != LTM_OK)
        failed = "loadavg";
    else if (read_fd(s, s->proc_fd[F_UPTIME], &len) != LTM_OK ||
             procfs_parse_uptime(s->buf, len, &o->uptime_s) != LTM_OK)
        failed = "uptime";
    if (failed) {
        snprintf(err, err_size, "cannot read or parse %s", failed);
        return LTM_EIO;
    }
    sample_cgroup_cpu(s, elapsed_s);
    sample_disks(s);
    *out = o;
    return LTM_OK;
}

static double round2(double v)
{
    return isfinite(v) ? round(v * 100.0) / 100.0 : v;
}

/* Numbers go in as raw JSON text: cJSON prints a double with "%1.15g" and
 * reads it back with sscanf to check it, which made printing this payload
 * (byte counters above 2^31 take that path) 16 us of the sample's 50. Every
 * value here is an integer or rounded to two decimals, so two fixed formats
 * are exact. */
static void format_num(char out[40], double v)
{
    if (!isfinite(v)) {
        snprintf(out, 40, "null");
    } else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(out, 40, "%lld", (long long)v);
    } else {
        int n = snprintf(out, 40, "%.2f", v);
        while (n > 0 && out[n - 1] == '0')
            out[--n] = '\0';
        if (n > 0 && out[n - 1] == '.')
            out[--n] = '\0';
    }
}

static int add_num(cJSON *o, const char *key, double v)
{
    char text[40];
    format_num(text, v);
    return cJSON_AddRawToObject(o, key, text) ? LTM_OK : LTM_ENOMEM;
}

/* Counters stay exact beyond 2^53, where a double would round them. */
static int add_u64(cJSON *o, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(o, key, text) ? LTM_OK : LTM_ENOMEM;
}

static int cpu_to_json(cJSON *root, const sysmon_sample *s)
{
    cJSON *cpu = cJSON_AddObjectToObject(root, "cpu");
    cJSON *per = cpu ? cJSON_AddObjectToObject(cpu, "per_core") : NULL;
    if (!per)
        return LTM_ENOMEM;
    int rc = add_num(cpu, "percent", round2(s->cpu_percent));
    rc |= add_num(cpu, "host_percent", round2(s->cpu_host_percent));
    rc |= add_u64(cpu, "cores", s->ncores);
    if (s->cpu_limit_cores > 0)
        rc |= add_num(cpu, "limit_cores", round2(s->cpu_limit_cores));
    for (size_t i = 0; i < s->ncores; i++) {
        char name[24];
        snprintf(name, sizeof name, "cpu%d", s->core_ids[i].id);
        rc |= add_num(per, name, round2(s->core_percent[i]));
    }
    return rc;
}

static int memory_to_json(cJSON *root, const sysmon_sample *s)
{
    cJSON *m = cJSON_AddObjectToObject(root, "memory");
    if (!m)
        return LTM_ENOMEM;
    int rc = add_num(m, "percent", round2(s->memory_percent));
    rc |= add_u64(m, "total_bytes", s->memory_total_bytes);
    rc |= add_u64(m, "available_bytes", s->memory_available_bytes);
    rc |= add_u64(m, "used_bytes", s->memory_used_bytes);
    rc |= add_num(m, "host_percent", round2(s->memory_host_percent));
    if (s->memory_limit_bytes) {
        rc |= add_u64(m, "limit_bytes", s->memory_limit_bytes);
        rc |= add_u64(m, "cgroup_used_bytes", s->memory_cgroup_used_bytes);
    }
    return rc;
}

static int disks_to_json(cJSON *root, const sysmon_sample *s)
{
    cJSON *a = cJSON_AddArrayToObject(root, "disks");
    if (!a)
        return LTM_ENOMEM;
    int rc = LTM_OK;
    for (size_t i = 0; i < s->ndisks; i++) {
        const sample_disk *d = &s->disks[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            return LTM_ENOMEM;
        }
        rc |= ltm_json_add_str(o, "path", d->path);
        if (!d->ok) {
            rc |= ltm_json_add_str(o, "error", strerror(d->errno_value));
            continue;
        }
        rc |= add_num(o, "percent", round2(d->percent));
        rc |= add_u64(o, "total_bytes", d->total_bytes);
        rc |= add_u64(o, "used_bytes", d->used_bytes);
        rc |= add_u64(o, "available_bytes", d->available_bytes);
    }
    return rc;
}

static int net_to_json(cJSON *root, const sysmon_sample *s)
{
    cJSON *a = cJSON_AddArrayToObject(root, "network");
    if (!a)
        return LTM_ENOMEM;
    int rc = LTM_OK;
    for (size_t i = 0; i < s->nnet; i++) {
        const sample_net *n = &s->net[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            return LTM_ENOMEM;
        }
        rc |= ltm_json_add_str(o, "interface", n->name);
        rc |= add_num(o, "rx_bytes_per_s", round2(n->rx_bytes_per_s));
        rc |= add_num(o, "tx_bytes_per_s", round2(n->tx_bytes_per_s));
        rc |= add_u64(o, "rx_bytes", n->rx_bytes);
        rc |= add_u64(o, "tx_bytes", n->tx_bytes);
    }
    return rc;
}

cJSON *sample_to_json(const sysmon_sample *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_time(o, "at", s->at_ms);
    rc |= add_num(o, "elapsed_s", round2(s->elapsed_s));
    rc |= cpu_to_json(o, s);
    rc |= memory_to_json(o, s);
    rc |= disks_to_json(o, s);
    rc |= net_to_json(o, s);
    cJSON *load = cJSON_AddArrayToObject(o, "load");
    for (int i = 0; load && i < 3; i++) {
        char text[40];
        format_num(text, round2(s->load[i]));
        cJSON *v = cJSON_CreateRaw(text);
        if (!v || !cJSON_AddItemToArray(load, v)) {
            cJSON_Delete(v);
            rc = LTM_ENOMEM;
        }
    }
    rc |= load ? LTM_OK : LTM_ENOMEM;
    rc |= add_num(o, "uptime_s", round2(s->uptime_s));
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
