/* Instance slots: lowest free number first, a freed slot is taken again,
 * every slot held gives LTM_EFULL, services do not share slots. */
#include "ltm/error.h"
#include "ltm/instance_slot.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct {
    char base[4096];
    char dir[4200]; /* base/instances, created by the first claim */
} slot_dir;

static void make_dir(slot_dir *d)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(d->base, sizeof d->base, "%s/ltm-slot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(d->base));
    snprintf(d->dir, sizeof d->dir, "%s/instances", d->base);
}

static void remove_dir(const slot_dir *d)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", d->base);
    assert_int_equal(system(cmd), 0);
}

static void lowest_free_slot_first_and_freed_slots_come_back(void **state)
{
    (void)state;
    slot_dir d;
    make_dir(&d);
    int slot[3], fd[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ltm_instance_slot_claim(d.dir, "poster", 8, &slot[i], &fd[i]), LTM_OK);
        assert_int_equal(slot[i], i + 1);
    }
    close(fd[1]); /* replica 2 ends */
    int again, again_fd;
    assert_int_equal(ltm_instance_slot_claim(d.dir, "poster", 8, &again, &again_fd), LTM_OK);
    assert_int_equal(again, 2);
    close(again_fd);
    close(fd[0]);
    close(fd[2]);
    remove_dir(&d);
}

static void every_slot_held_is_full(void **state)
{
    (void)state;
    slot_dir d;
    make_dir(&d);
    int slot, fd[2], extra_fd = -1;
    assert_int_equal(ltm_instance_slot_claim(d.dir, "poster", 2, &slot, &fd[0]), LTM_OK);
    assert_int_equal(ltm_instance_slot_claim(d.dir, "poster", 2, &slot, &fd[1]), LTM_OK);
    assert_int_equal(ltm_instance_slot_claim(d.dir, "poster", 2, &slot, &extra_fd), LTM_EFULL);
    assert_int_equal(extra_fd, -1);
    close(fd[0]);
    close(fd[1]);
    remove_dir(&d);
}

static void services_have_slots_of_their_own(void **state)
{
    (void)state;
    slot_dir d;
    make_dir(&d);
    int a, b, fa, fb;
    assert_int_equal(ltm_instance_slot_claim(d.dir, "poster", 4, &a, &fa), LTM_OK);
    assert_int_equal(ltm_instance_slot_claim(d.dir, "story-publisher", 4, &b, &fb), LTM_OK);
    assert_int_equal(a, 1);
    assert_int_equal(b, 1);
    close(fa);
    close(fb);
    remove_dir(&d);
}

static void unwritable_dir_is_an_io_error(void **state)
{
    (void)state;
    int slot, fd;
    assert_int_equal(ltm_instance_slot_claim("/proc/ltm-no-such-dir/instances", "poster", 4,
                                             &slot, &fd), LTM_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lowest_free_slot_first_and_freed_slots_come_back),
        cmocka_unit_test(every_slot_held_is_full),
        cmocka_unit_test(services_have_slots_of_their_own),
        cmocka_unit_test(unwritable_dir_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
