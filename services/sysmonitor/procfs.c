#include "procfs.h"

#include "ltm/error.h"

#include <stdio.h>
#include <string.h>

/* The kernel's files are not NUL-terminated buffers here (they come from
 * pread into a fixed buffer), so every scan is bounded by an end pointer. */

typedef struct {
    const char *p, *end;
} cursor;

/* Next line [*line, *line_end) without its newline; 0 at the end. */
static int next_line(cursor *c, const char **line, const char **line_end)
{
    if (c->p >= c->end)
        return 0;
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    *line = c->p;
    *line_end = nl ? nl : c->end;
    c->p = nl ? nl + 1 : c->end;
    return 1;
}

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Unsigned decimal; 0 when no digit. Saturates instead of wrapping. */
static int read_u64(const char **pp, const char *end, uint64_t *out)
{
    const char *p = skip_blanks(*pp, end);
    uint64_t v = 0;
    const char *start = p;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        p++;
    }
    if (p == start)
        return 0;
    *pp = p;
    *out = v;
    return 1;
}

/* A decimal number with an optional fraction, as in loadavg and uptime. */
static int read_decimal(const char **pp, const char *end, double *out)
{
    uint64_t whole;
    const char *p = *pp;
    if (!read_u64(&p, end, &whole))
        return 0;
    double v = (double)whole;
    if (p < end && *p == '.') {
        double scale = 0.1;
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, scale /= 10)
            v += (*p - '0') * scale;
    }
    *pp = p;
    *out = v;
    return 1;
}

static int starts_with(const char *p, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* "cpu  u n s idle iowait irq softirq steal guest guest_nice": old kernels
 * write fewer columns; at least the first four exist since 2.4. */
static int parse_cpu_line(const char *p, const char *end, procfs_cpu *out)
{
    uint64_t v[10] = {0};
    int n = 0;
    while (n < 10 && read_u64(&p, end, &v[n]))
        n++;
    if (n < 4)
        return LTM_EINVAL;
    uint64_t idle = v[3] + v[4];
    uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    out->busy = busy;
    out->total = busy + idle;
    return LTM_OK;
}

int procfs_parse_stat(const char *text, size_t len, procfs_cpu *all, procfs_cpu *cores,
                      size_t max_cores, size_t *ncores)
{
    cursor c = {text, text + len};
    const char *line, *end;
    int have_all = 0;
    size_t n = 0;
    while (next_line(&c, &line, &end)) {
        if (!starts_with(line, end, "cpu"))
            continue;
        const char *p = line + 3;
        if (p < end && *p == ' ') {
            if (parse_cpu_line(p, end, all) != LTM_OK)
                return LTM_EINVAL;
            all->id = -1;
            have_all = 1;
            continue;
        }
        uint64_t id;
        if (!read_u64(&p, end, &id) || id > 1u << 20)
            return LTM_EINVAL;
        procfs_cpu core;
        if (parse_cpu_line(p, end, &core) != LTM_OK)
            return LTM_EINVAL;
        core.id = (int)id;
        if (n < max_cores)
            cores[n] = core;
        n++;
    }
    *ncores = n;
    return have_all ? LTM_OK : LTM_EINVAL;
}

double procfs_cpu_percent(const procfs_cpu *before, const procfs_cpu *after)
{
    if (after->total <= before->total || after->busy < before->busy)
        return 0.0;
    double busy = (double)(after->busy - before->busy);
    double total = (double)(after->total - before->total);
    double pct = 100.0 * busy / total;
    return pct > 100.0 ? 100.0 : pct;
}

int procfs_parse_meminfo(const char *text, size_t len, procfs_meminfo *out)
{
    static const struct {
        const char *key;
        size_t offset;
    } keys[] = {
        {"MemTotal:", offsetof(procfs_meminfo, total)},
        {"MemFree:", offsetof(procfs_meminfo, free)},
        {"MemAvailable:", offsetof(procfs_meminfo, available)},
        {"Buffers:", offsetof(procfs_meminfo, buffers)},
        {"Cached:", offsetof(procfs_meminfo, cached)},
        {"SwapTotal:", offsetof(procfs_meminfo, swap_total)},
        {"SwapFree:", offsetof(procfs_meminfo, swap_free)},
    };
    memset(out, 0, sizeof *out);
    unsigned seen = 0;
    cursor c = {text, text + len};
    const char *line, *end;
    while (next_line(&c, &line, &end)) {
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            if (!starts_with(line, end, keys[i].key))
                continue;
            const char *p = line + strlen(keys[i].key);
            uint64_t kb;
            if (!read_u64(&p, end, &kb))
                return LTM_EINVAL;
            uint64_t bytes = kb > UINT64_MAX / 1024 ? UINT64_MAX : kb * 1024;
            memcpy((char *)out + keys[i].offset, &bytes, sizeof bytes);
            seen |= 1u << i;
            break;
        }
    }
    if ((seen & 3u) != 3u || out->total == 0)
        return LTM_EINVAL;
    out->has_available = (seen & 4u) != 0;
    if (!out->has_available) {
        /* What free(1) shows on such kernels. */
        uint64_t est = out->free + out->buffers + out->cached;
        out->available = est > out->total ? out->total : est;
    }
    return LTM_OK;
}

/* "  name: rx_bytes packets errs drop fifo frame compressed multicast
 *  tx_bytes ...". Names are right-aligned to 6 columns, and a longer name
 * can touch the first number ("verylongname0:1234"), so the colon, not a
 * blank, ends the name. */
static int parse_netdev_line(const char *line, const char *end, procfs_netif *out)
{
    const char *p = skip_blanks(line, end);
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (!colon || colon == p || (size_t)(colon - p) >= PROCFS_IFNAME_MAX)
        return LTM_EINVAL;
    memcpy(out->name, p, (size_t)(colon - p));
    out->name[colon - p] = '\0';
    p = colon + 1;
    uint64_t v[9];
    for (int i = 0; i < 9; i++) {
        if (!read_u64(&p, end, &v[i]))
            return LTM_EINVAL;
    }
    out->rx_bytes = v[0];
    out->tx_bytes = v[8];
    return LTM_OK;
}

int procfs_parse_net_dev(const char *text, size_t len, procfs_netif *ifs, size_t max,
                         size_t *count, size_t *skipped)
{
    cursor c = {text, text + len};
    const char *line, *end;
    size_t n = 0, bad = 0, lineno = 0;
    while (next_line(&c, &line, &end)) {
        if (++lineno <= 2 || skip_blanks(line, end) == end)
            continue; /* the two header lines, blank lines */
        procfs_netif nif;
        if (parse_netdev_line(line, end, &nif) != LTM_OK) {
            bad++;
            continue;
        }
        if (n < max)
            ifs[n] = nif;
        n++;
    }
    if (lineno < 2)
        return LTM_EINVAL;
    *count = n;
    if (skipped)
        *skipped = bad;
    return LTM_OK;
}

uint64_t procfs_counter_delta(uint64_t before, uint64_t after)
{
    if (after >= before)
        return after - before;
    if (before <= UINT32_MAX)
        return (uint64_t)UINT32_MAX - before + 1 + after;
    return after;
}

int procfs_parse_loadavg(const char *text, size_t len, double out[3])
{
    const char *p = text, *end = text + len;
    for (int i = 0; i < 3; i++) {
        if (!read_decimal(&p, end, &out[i]))
            return LTM_EINVAL;
    }
    return LTM_OK;
}

int procfs_parse_uptime(const char *text, size_t len, double *uptime_s)
{
    const char *p = text;
    return read_decimal(&p, text + len, uptime_s) ? LTM_OK : LTM_EINVAL;
}

int procfs_parse_self_cgroup(const char *text, size_t len, char *path, size_t size)
{
    cursor c = {text, text + len};
    const char *line, *end;
    while (next_line(&c, &line, &end)) {
        if (!starts_with(line, end, "0::"))
            continue;
        size_t n = (size_t)(end - line) - 3;
        if (n == 0 || n >= size || line[3] != '/')
            return LTM_EINVAL;
        memcpy(path, line + 3, n);
        path[n] = '\0';
        /* A path with ".." would let a crafted file escape the mount. */
        return strstr(path, "/..") ? LTM_EINVAL : LTM_OK;
    }
    return LTM_ENOTFOUND;
}

int procfs_parse_cgroup_u64(const char *text, size_t len, uint64_t *out)
{
    const char *p = skip_blanks(text, text + len);
    const char *end = text + len;
    if (starts_with(p, end, "max")) {
        *out = UINT64_MAX;
        return LTM_OK;
    }
    return read_u64(&p, end, out) ? LTM_OK : LTM_EINVAL;
}

int procfs_parse_cpu_max(const char *text, size_t len, uint64_t *quota_us, uint64_t *period_us)
{
    const char *p = skip_blanks(text, text + len);
    const char *end = text + len;
    uint64_t quota = 0;
    if (starts_with(p, end, "max"))
        p += 3;
    else if (!read_u64(&p, end, &quota))
        return LTM_EINVAL;
    if (!read_u64(&p, end, period_us) || *period_us == 0)
        return LTM_EINVAL;
    *quota_us = quota;
    return LTM_OK;
}

int procfs_parse_keyed(const char *text, size_t len, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    cursor c = {text, text + len};
    const char *line, *end;
    while (next_line(&c, &line, &end)) {
        if ((size_t)(end - line) > klen && memcmp(line, key, klen) == 0 && line[klen] == ' ') {
            const char *p = line + klen;
            return read_u64(&p, end, out) ? LTM_OK : LTM_EINVAL;
        }
    }
    return LTM_ENOTFOUND;
}
