#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "procfs.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LTM_FIXTURES_DIR, name);
    char *text = NULL;
    assert_int_equal(ltm_read_file(path, 1 << 20, &text, len), LTM_OK);
    return text;
}

static void stat_two_cores(void **state)
{
    (void)state;
    size_t len, n;
    char *t = fixture("stat-2core", &len);
    procfs_cpu all, cores[4];
    assert_int_equal(procfs_parse_stat(t, len, &all, cores, 4, &n), LTM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(all.id, -1);
    /* cpu  6186 0 7250 158393 7242 0 448 10 0 0 */
    assert_int_equal(all.busy, 6186 + 0 + 7250 + 0 + 448 + 10);
    assert_int_equal(all.total, all.busy + 158393 + 7242);
    assert_int_equal(cores[1].id, 1);
    assert_int_equal(cores[1].busy, 4768 + 5849 + 210 + 5);
    free(t);
}

static void cpu_percent_between_two_readings(void **state)
{
    (void)state;
    size_t l1, l2, n;
    char *a = fixture("stat-2core", &l1), *b = fixture("stat-2core-later", &l2);
    procfs_cpu all1, all2, c1[2], c2[2];
    assert_int_equal(procfs_parse_stat(a, l1, &all1, c1, 2, &n), LTM_OK);
    assert_int_equal(procfs_parse_stat(b, l2, &all2, c2, 2, &n), LTM_OK);
    /* busy +108+12 = 120 of 120+370 jiffies; cpu1 ran the busy loop:
     * busy 105+7 = 112 of 112+132. */
    assert_float_equal(procfs_cpu_percent(&all1, &all2), 100.0 * 120 / 490, 1e-9);
    assert_float_equal(procfs_cpu_percent(&c1[1], &c2[1]), 100.0 * 112 / 244, 1e-9);
    /* A reading that went backwards (hot-plug) gives 0, not a huge number. */
    assert_float_equal(procfs_cpu_percent(&all2, &all1), 0.0, 0);
    free(a);
    free(b);
}

static void stat_many_cores_with_one_offline(void **state)
{
    (void)state;
    size_t len, n;
    char *t = fixture("stat-128core-cpu7-offline", &len);
    procfs_cpu all, cores[200];
    assert_int_equal(procfs_parse_stat(t, len, &all, cores, 200, &n), LTM_OK);
    assert_int_equal(n, 128); /* cpu0..cpu128 without cpu7 */
    assert_int_equal(cores[6].id, 6);
    assert_int_equal(cores[7].id, 8);
    assert_int_equal(cores[127].id, 128);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += cores[i].total;
    assert_int_equal(sum, all.total);
    /* Too small an array: the count still says how many exist. */
    assert_int_equal(procfs_parse_stat(t, len, &all, cores, 16, &n), LTM_OK);
    assert_int_equal(n, 128);
    free(t);
}

static void stat_rejects_garbage(void **state)
{
    (void)state;
    procfs_cpu all, cores[2];
    size_t n;
    const char *no_total = "cpu0 1 2 3 4\n";
    assert_int_equal(procfs_parse_stat(no_total, strlen(no_total), &all, cores, 2, &n),
                     LTM_EINVAL);
    const char *short_line = "cpu  1 2 3\n";
    assert_int_equal(procfs_parse_stat(short_line, strlen(short_line), &all, cores, 2, &n),
                     LTM_EINVAL);
    /* Not NUL-terminated: the parser must stop at len. */
    const char buf[] = {'c', 'p', 'u', ' ', ' ', '1', ' ', '2', ' ', '3', ' ', '4'};
    assert_int_equal(procfs_parse_stat(buf, sizeof buf, &all, cores, 2, &n), LTM_OK);
    assert_int_equal(all.total, 10);
}

static void meminfo_real_and_old_kernel(void **state)
{
    (void)state;
    size_t len;
    char *t = fixture("meminfo", &len);
    procfs_meminfo mi;
    assert_int_equal(procfs_parse_meminfo(t, len, &mi), LTM_OK);
    assert_int_equal(mi.total, 24683656ULL * 1024);
    assert_true(mi.has_available);
    assert_true(mi.available > 0 && mi.available <= mi.total);
    free(t);
    t = fixture("meminfo-no-available", &len);
    assert_int_equal(procfs_parse_meminfo(t, len, &mi), LTM_OK);
    assert_false(mi.has_available);
    assert_int_equal(mi.available, (512000ULL + 102400 + 409600) * 1024);
    assert_int_equal(mi.swap_total, 1048576ULL * 1024);
    free(t);
    const char *bad = "MemTotal: lots kB\nMemFree: 1 kB\n";
    assert_int_equal(procfs_parse_meminfo(bad, strlen(bad), &mi), LTM_EINVAL);
}

static void net_dev_real(void **state)
{
    (void)state;
    size_t len, n, skipped;
    char *t = fixture("net_dev", &len);
    procfs_netif ifs[8];
    assert_int_equal(procfs_parse_net_dev(t, len, ifs, 8, &n, &skipped), LTM_OK);
    assert_int_equal(n, 6);
    assert_int_equal(skipped, 0);
    assert_string_equal(ifs[0].name, "lo");
    assert_int_equal(ifs[0].rx_bytes, ifs[0].tx_bytes); /* loopback: what goes out comes in */
    assert_string_equal(ifs[3].name, "eth0");
    assert_string_equal(ifs[5].name, "ve-longname-a0"); /* a veth pair's 14-character end */
    free(t);
}

static void net_dev_long_names(void **state)
{
    (void)state;
    size_t len, n;
    char *t = fixture("net_dev-long-name", &len);
    procfs_netif ifs[8];
    assert_int_equal(procfs_parse_net_dev(t, len, ifs, 8, &n, NULL), LTM_OK);
    assert_int_equal(n, 7);
    assert_string_equal(ifs[6].name, "verylongname012"); /* 15 characters, IFNAMSIZ - 1 */
    free(t);
    t = fixture("net_dev-old-format", &len);
    assert_int_equal(procfs_parse_net_dev(t, len, ifs, 8, &n, NULL), LTM_OK);
    assert_int_equal(n, 3);
    assert_string_equal(ifs[1].name, "eth0");
    assert_int_equal(ifs[1].rx_bytes, 1234567890ULL);
    assert_string_equal(ifs[2].name, "vethab12cd3");
    assert_int_equal(ifs[2].rx_bytes, 4294960000ULL);
    assert_int_equal(ifs[2].tx_bytes, 4294967000ULL);
    free(t);
}

static void net_dev_counter_wrap(void **state)
{
    (void)state;
    size_t l1, l2, n;
    char *a = fixture("net_dev-old-format", &l1), *b = fixture("net_dev-old-format-wrapped", &l2);
    procfs_netif x[4], y[4];
    assert_int_equal(procfs_parse_net_dev(a, l1, x, 4, &n, NULL), LTM_OK);
    assert_int_equal(procfs_parse_net_dev(b, l2, y, 4, &n, NULL), LTM_OK);
    /* 32-bit counters: 4294960000 -> 2704 is 7296 + 2704 bytes. */
    assert_int_equal(procfs_counter_delta(x[2].rx_bytes, y[2].rx_bytes), 10000);
    assert_int_equal(procfs_counter_delta(x[2].tx_bytes, y[2].tx_bytes), 296 + 1000);
    assert_int_equal(procfs_counter_delta(x[1].rx_bytes, y[1].rx_bytes), 10000);
    /* A 64-bit counter that went down was reset: count what came since. */
    assert_int_equal(procfs_counter_delta(10ULL << 33, 500), 500);
    free(a);
    free(b);
}

static void net_dev_skips_bad_lines(void **state)
{
    (void)state;
    const char *t = "h1\nh2\n  eth0: 1 2 3 4 5 6 7 8 9 10\nnocolon 1 2\n"
                    "waytoolonginterfacename0: 1 2 3 4 5 6 7 8 9\n  eth1: 1 2\n";
    procfs_netif ifs[4];
    size_t n, skipped;
    assert_int_equal(procfs_parse_net_dev(t, strlen(t), ifs, 4, &n, &skipped), LTM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(skipped, 3);
    assert_int_equal(ifs[0].tx_bytes, 9);
}

static void loadavg_uptime(void **state)
{
    (void)state;
    double l[3], up;
    const char *t = "0.28 1.50 12.07 5/98 10371\n";
    assert_int_equal(procfs_parse_loadavg(t, strlen(t), l), LTM_OK);
    assert_float_equal(l[0], 0.28, 1e-9);
    assert_float_equal(l[2], 12.07, 1e-9);
    const char *u = "785.06 1388.98\n";
    assert_int_equal(procfs_parse_uptime(u, strlen(u), &up), LTM_OK);
    assert_float_equal(up, 785.06, 1e-9);
    assert_int_equal(procfs_parse_loadavg("x", 1, l), LTM_EINVAL);
    size_t len;
    char *f = fixture("loadavg", &len);
    assert_int_equal(procfs_parse_loadavg(f, len, l), LTM_OK);
    free(f);
}

static void cgroup_files(void **state)
{
    (void)state;
    size_t len;
    char path[256];
    char *t = fixture("self-cgroup-v2", &len);
    assert_int_equal(procfs_parse_self_cgroup(t, len, path, sizeof path), LTM_OK);
    assert_string_equal(path, "/system.slice/docker-3f1c2a.scope");
    free(t);
    t = fixture("self-cgroup-hybrid", &len);
    assert_int_equal(procfs_parse_self_cgroup(t, len, path, sizeof path), LTM_OK);
    assert_string_equal(path, "/");
    free(t);
    t = fixture("self-cgroup-v1-only", &len);
    assert_int_equal(procfs_parse_self_cgroup(t, len, path, sizeof path), LTM_ENOTFOUND);
    free(t);
    assert_int_equal(procfs_parse_self_cgroup("0::/a/../../etc\n", 16, path, sizeof path),
                     LTM_EINVAL);

    uint64_t v, quota, period;
    t = fixture("cgroup-memory.max", &len);
    assert_int_equal(procfs_parse_cgroup_u64(t, len, &v), LTM_OK);
    assert_int_equal(v, 536870912ULL);
    free(t);
    t = fixture("cgroup-memory.max-unlimited", &len);
    assert_int_equal(procfs_parse_cgroup_u64(t, len, &v), LTM_OK);
    assert_true(v == UINT64_MAX);
    free(t);
    t = fixture("cgroup-cpu.max", &len);
    assert_int_equal(procfs_parse_cpu_max(t, len, &quota, &period), LTM_OK);
    assert_int_equal(quota, 150000);
    assert_int_equal(period, 100000);
    free(t);
    t = fixture("cgroup-cpu.max-unlimited", &len);
    assert_int_equal(procfs_parse_cpu_max(t, len, &quota, &period), LTM_OK);
    assert_int_equal(quota, 0);
    free(t);
    assert_int_equal(procfs_parse_cpu_max("100 0\n", 6, &quota, &period), LTM_EINVAL);
    t = fixture("cgroup-memory.stat", &len);
    assert_int_equal(procfs_parse_keyed(t, len, "inactive_file", &v), LTM_OK);
    assert_int_equal(v, 104857600ULL);
    assert_int_equal(procfs_parse_keyed(t, len, "file", &v), LTM_OK); /* not file_mapped */
    assert_int_equal(v, 157286400ULL);
    assert_int_equal(procfs_parse_keyed(t, len, "nope", &v), LTM_ENOTFOUND);
    free(t);
    t = fixture("cgroup-root-cpu.stat", &len);
    assert_int_equal(procfs_parse_keyed(t, len, "usage_usec", &v), LTM_OK);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stat_two_cores),
        cmocka_unit_test(cpu_percent_between_two_readings),
        cmocka_unit_test(stat_many_cores_with_one_offline),
        cmocka_unit_test(stat_rejects_garbage),
        cmocka_unit_test(meminfo_real_and_old_kernel),
        cmocka_unit_test(net_dev_real),
        cmocka_unit_test(net_dev_long_names),
        cmocka_unit_test(net_dev_counter_wrap),
        cmocka_unit_test(net_dev_skips_bad_lines),
        cmocka_unit_test(loadavg_uptime),
        cmocka_unit_test(cgroup_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
