#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sampler.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fake /proc and cgroup tree in a temporary directory, filled from the
 * fixtures; files are rewritten in place between samples, as the kernel's
 * are, because the sampler keeps them open. */
static char root[64];

static void put(const char *rel, const char *fixture_name, const char *literal)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *text = NULL;
    size_t len = 0;
    if (fixture_name) {
        char fx[512];
        snprintf(fx, sizeof fx, "%s/%s", LTM_FIXTURES_DIR, fixture_name);
        assert_int_equal(ltm_read_file(fx, 1 << 20, &text, &len), LTM_OK);
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (text)
        fwrite(text, 1, len, f);
    else
        fputs(literal, f);
    fclose(f);
    free(text);
}

static void make_tree(int with_cgroup)
{
    snprintf(root, sizeof root, "/tmp/sysmon-sampler-XXXXXX");
    assert_non_null(mkdtemp(root));
    char p[256];
    snprintf(p, sizeof p, "%s/proc/net", root);
    assert_int_equal(ltm_mkdirs(p, 0700), LTM_OK);
    snprintf(p, sizeof p, "%s/proc/self", root);
    assert_int_equal(ltm_mkdirs(p, 0700), LTM_OK);
    snprintf(p, sizeof p, "%s/cg/ltm.scope", root);
    assert_int_equal(ltm_mkdirs(p, 0700), LTM_OK);
    put("proc/stat", "stat-2core", NULL);
    put("proc/meminfo", "meminfo", NULL);
    put("proc/net/dev", "net_dev-old-format", NULL);
    put("proc/loadavg", "loadavg", NULL);
    put("proc/uptime", "uptime", NULL);
    put("proc/self/cgroup", NULL, "0::/ltm.scope\n");
    if (with_cgroup) {
        put("cg/ltm.scope/memory.max", "cgroup-memory.max", NULL);
        put("cg/ltm.scope/memory.current", "cgroup-memory.current", NULL);
        put("cg/ltm.scope/memory.stat", "cgroup-memory.stat", NULL);
        put("cg/ltm.scope/cpu.max", "cgroup-cpu.max", NULL);
        put("cg/ltm.scope/cpu.stat", "cgroup-cpu.stat", NULL);
    }
}

static void remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static sampler *open_tree(void)
{
    char proc[128], cg[128], err[200];
    snprintf(proc, sizeof proc, "%s/proc", root);
    snprintf(cg, sizeof cg, "%s/cg", root);
    const char *disks[] = {"/tmp", "/nonexistent-mount"};
    sampler *s;
    assert_int_equal(sampler_new(proc, cg, disks, 2, &s, err, sizeof err), LTM_OK);
    return s;
}

static void host_figures(void **state)
{
    (void)state;
    make_tree(0);
    sampler *s = open_tree();
    assert_false(sampler_has_cgroup(s));
    put("proc/stat", "stat-2core-later", NULL);
    put("proc/net/dev", "net_dev-old-format-wrapped", NULL);
    const sysmon_sample *x;
    char err[200];
    assert_int_equal(sampler_take(s, 1000, &x, err, sizeof err), LTM_OK);
    assert_true(x->elapsed_s > 0);
    assert_float_equal(x->cpu_host_percent, 100.0 * 120 / 490, 1e-9);
    assert_float_equal(x->cpu_percent, x->cpu_host_percent, 0);
    assert_int_equal(x->ncores, 2);
    assert_float_equal(x->core_percent[1], 100.0 * 112 / 244, 1e-9);
    assert_int_equal(x->memory_limit_bytes, 0);
    assert_int_equal(x->memory_total_bytes, 24683656ULL * 1024);
    assert_int_equal(x->nnet, 3);
    assert_string_equal(x->net[2].name, "vethab12cd3");
    assert_float_equal(x->net[2].rx_bytes_per_s, 10000 / x->elapsed_s, 1e-6);
    assert_int_equal(x->ndisks, 2);
    assert_true(x->disks[0].ok);
    assert_true(x->disks[0].total_bytes > 0);
    assert_false(x->disks[1].ok);
    cJSON *j = sample_to_json(x);
    assert_non_null(j);
    cJSON *cpu = cJSON_GetObjectItem(j, "cpu");
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "per_core"), "cpu1"));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "disks"), 1),
                                        "error"));
    cJSON_Delete(j);
    sampler_free(s);
    remove_tree();
}

static void container_limits_count(void **state)
{
    (void)state;
    make_tree(1);
    sampler *s = open_tree();
    assert_true(sampler_has_cgroup(s));
    put("cg/ltm.scope/cpu.stat", NULL, "usage_usec 999999999999\n");
    const sysmon_sample *x;
    char err[200];
    assert_int_equal(sampler_take(s, 1000, &x, err, sizeof err), LTM_OK);
    /* memory.current - inactive_file against memory.max */
    assert_int_equal(x->memory_limit_bytes, 536870912ULL);
    assert_int_equal(x->memory_cgroup_used_bytes, 262144000ULL - 104857600ULL);
    assert_float_equal(x->memory_percent, 100.0 * 157286400 / 536870912, 1e-9);
    assert_float_equal(x->cpu_limit_cores, 1.5, 1e-12);
    assert_float_equal(x->cpu_percent, 100.0, 0); /* far more usage than 1.5 cores allow: capped */
    /* The limit lifted at run time: back to the host's figures. */
    put("cg/ltm.scope/memory.max", NULL, "max\n");
    put("cg/ltm.scope/cpu.max", NULL, "max 100000\n");
    assert_int_equal(sampler_take(s, 2000, &x, err, sizeof err), LTM_OK);
    assert_int_equal(x->memory_limit_bytes, 0);
    assert_float_equal(x->cpu_limit_cores, 0, 0);
    assert_float_equal(x->memory_percent, x->memory_host_percent, 0);
    sampler_free(s);
    remove_tree();
}

static void unreadable_proc_is_an_error(void **state)
{
    (void)state;
    make_tree(0);
    sampler *s = open_tree();
    put("proc/meminfo", NULL, "garbage\n");
    const sysmon_sample *x;
    char err[200];
    assert_int_equal(sampler_take(s, 1000, &x, err, sizeof err), LTM_EIO);
    assert_non_null(strstr(err, "meminfo"));
    sampler_free(s);
    char proc[128], e2[200];
    snprintf(proc, sizeof proc, "%s/nothing", root);
    const char *disks[] = {"/"};
    assert_int_equal(sampler_new(proc, proc, disks, 1, &s, e2, sizeof e2), LTM_EIO);
    assert_non_null(strstr(e2, "stat"));
    remove_tree();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_figures),
        cmocka_unit_test(container_limits_count),
        cmocka_unit_test(unreadable_proc_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
