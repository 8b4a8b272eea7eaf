#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "persist.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sysmon-persist-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/state.json", f->dir);
    int devnull = open("/dev/null", O_WRONLY);
    ltm_log_set_fd(devnull);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
        if (de->d_name[0] != '.')
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

static char *slurp(const char *path)
{
    char *t = NULL;
    size_t len;
    return ltm_read_file(path, 1 << 20, &t, &len) == LTM_OK ? t : NULL;
}

/* Accepts texts that start with "ok", remembers the last one. */
static int accept_ok(const char *text, size_t len, void *ctx, char *reason, size_t size)
{
    if (len < 2 || memcmp(text, "ok", 2) != 0) {
        snprintf(reason, size, "not ok");
        return LTM_EINVAL;
    }
    snprintf(ctx, 64, "%.*s", (int)len, text);
    return LTM_OK;
}

static void rotates_backups_when_due(void **state)
{
    fixture *f = *state;
    /* The backups' ages come from the files' real mtimes: "now" must be the real clock. */
    int64_t t = ltm_now_ms();
    assert_int_equal(persist_save(f->path, "ok1", 3, 2, 0, t), LTM_OK);
    assert_int_equal(persist_save(f->path, "ok2", 3, 2, 0, t), LTM_OK);
    assert_int_equal(persist_save(f->path, "ok3", 3, 2, 0, t), LTM_OK);
    assert_int_equal(persist_save(f->path, "ok4", 3, 2, 0, t), LTM_OK);
    char p[256];
    char *s = slurp(f->path);
    assert_string_equal(s, "ok4");
    free(s);
    snprintf(p, sizeof p, "%s.1", f->path);
    s = slurp(p);
    assert_string_equal(s, "ok3");
    free(s);
    snprintf(p, sizeof p, "%s.2", f->path);
    s = slurp(p);
    assert_string_equal(s, "ok2");
    free(s);
    snprintf(p, sizeof p, "%s.3", f->path);
    assert_int_equal(access(p, F_OK), -1); /* keep N */
    /* Not due: the newest backup was taken just now, the interval is an hour. */
    int64_t now = ltm_now_ms();
    assert_int_equal(persist_save(f->path, "ok5", 3, 2, 3600000, now), LTM_OK);
    snprintf(p, sizeof p, "%s.1", f->path);
    s = slurp(p);
    assert_string_equal(s, "ok3");
    free(s);
    /* Due: "now" an hour and a bit later. */
    assert_int_equal(persist_save(f->path, "ok6", 3, 2, 3600000, now + 3700000), LTM_OK);
    s = slurp(p);
    assert_string_equal(s, "ok5");
    free(s);
}

static void first_start_finds_nothing(void **state)
{
    fixture *f = *state;
    char got[64] = "", from[256];
    assert_int_equal(persist_load(f->path, 3, 1024, 1, accept_ok, got, from, sizeof from),
                     LTM_ENOTFOUND);
}

static void corrupt_file_moved_aside_and_backup_used(void **state)
{
    fixture *f = *state;
    char p[256], got[64] = "", from[256];
    assert_int_equal(persist_save(f->path, "ok-old", 6, 3, 0, 1), LTM_OK);
    assert_int_equal(persist_save(f->path, "ok-new", 6, 3, 0, 2), LTM_OK);
    /* A crash of something else, a disk error: the latest file is garbage. */
    assert_int_equal(ltm_write_file_atomic(f->path, "{\"trunc", 7), LTM_OK);
    assert_int_equal(persist_load(f->path, 3, 1024, 42, accept_ok, got, from, sizeof from), LTM_OK);
    assert_string_equal(got, "ok-old"); /* the newest backup */
    snprintf(p, sizeof p, "%s.1", f->path);
    assert_string_equal(from, p);
    snprintf(p, sizeof p, "%s.corrupt-42", f->path);
    char *s = slurp(p);
    assert_string_equal(s, "{\"trunc"); /* kept for a person to look at */
    free(s);
    assert_int_equal(access(f->path, F_OK), -1);
}

static void too_large_is_rejected(void **state)
{
    fixture *f = *state;
    char got[64] = "", from[256];
    assert_int_equal(ltm_write_file_atomic(f->path, "ok but long", 11), LTM_OK);
    assert_int_equal(persist_load(f->path, 0, 4, 7, accept_ok, got, from, sizeof from),
                     LTM_ENOTFOUND);
    char p[256];
    snprintf(p, sizeof p, "%s.corrupt-7", f->path);
    assert_int_equal(access(p, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rotates_backups_when_due, setup, teardown),
        cmocka_unit_test_setup_teardown(first_start_finds_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_file_moved_aside_and_backup_used, setup, teardown),
        cmocka_unit_test_setup_teardown(too_large_is_rejected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
