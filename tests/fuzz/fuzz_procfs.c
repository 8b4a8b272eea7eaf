/* The sysmonitor's parsers: /proc and cgroup files (written by the kernel,
 * but read through paths an operator configures, and from containers), and
 * the state file it saved itself (a file on disk, possibly damaged). */
#include "fuzz.h"

#include "alarm.h"
#include "history.h"
#include "procfs.h"
#include "state.h"

static void parsers(const char *text, size_t len)
{
    procfs_cpu all, cores[4];
    size_t n, skipped;
    procfs_parse_stat(text, len, &all, cores, 4, &n);
    procfs_meminfo mi;
    procfs_parse_meminfo(text, len, &mi);
    procfs_netif ifs[4];
    procfs_parse_net_dev(text, len, ifs, 4, &n, &skipped);
    double load[3], up;
    procfs_parse_loadavg(text, len, load);
    procfs_parse_uptime(text, len, &up);
    char path[256];
    procfs_parse_self_cgroup(text, len, path, sizeof path);
    uint64_t u, v;
    procfs_parse_cgroup_u64(text, len, &u);
    procfs_parse_cpu_max(text, len, &u, &v);
    procfs_parse_keyed(text, len, "usage_usec", &u);
    procfs_parse_keyed(text, len, "inactive_file", &u);
}

static void state(const char *text, size_t len)
{
    history *h;
    if (history_new(3600000, 64, &h) != 0)
        abort();
    alarm_state alarms[4];
    size_t nalarms = 0, skipped = 0;
    char reason[160];
    if (state_decode(text, len, 1764000000000, h, alarms, 4, &nalarms, &skipped, reason,
                     sizeof reason) == 0) {
        char *again = state_encode(h, alarms, nalarms, 1764000000000);
        if (!again)
            abort();
        free(again);
    }
    history_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    /* (text, len) without a NUL: the parsers must stop at len. */
    char *text = fuzz_memdup(data, size);
    if (sel & 1)
        state(text, size);
    else
        parsers(text, size);
    free(text);
    return 0;
}
