#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/error.h"
#include "ltm/pubstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ltm-pubstore-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/p.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void lifecycle_survives_reopen(void **state)
{
    (void)state;
    ltm_pubstore *s = NULL;
    char err[256];
    assert_int_equal(ltm_pubstore_open(path, 1, &s, err, sizeof err), LTM_OK);
    ltm_pub_record r;
    assert_int_equal(ltm_pubstore_get(s, "j1", &r), LTM_OK);
    assert_int_equal(r.state, LTM_PUB_NONE);
    assert_int_equal(ltm_pubstore_sending(s, "j1", "instagram", "1789", "caption", 1000), LTM_OK);
    assert_int_equal(ltm_pubstore_sending(s, "j2", "webhook", NULL, "x", 1000), LTM_OK);
    assert_int_equal(ltm_pubstore_forget(s, "j2"), LTM_OK);
    ltm_pubstore_close(s);

    assert_int_equal(ltm_pubstore_open(path, 0, &s, err, sizeof err), LTM_OK);
    assert_int_equal(ltm_pubstore_get(s, "j1", &r), LTM_OK);
    assert_int_equal(r.state, LTM_PUB_SENDING);
    assert_string_equal(r.channel, "instagram");
    assert_string_equal(r.ref, "1789");
    assert_string_equal(r.text, "caption");
    ltm_pub_record_clear(&r);
    assert_int_equal(ltm_pubstore_get(s, "j2", &r), LTM_OK);
    assert_int_equal(r.state, LTM_PUB_NONE);

    assert_int_equal(ltm_pubstore_published(s, "j1", "instagram", "media-1", 2000), LTM_OK);
    assert_int_equal(ltm_pubstore_forget(s, "j1"), LTM_OK); /* a published row stays */
    assert_int_equal(ltm_pubstore_get(s, "j1", &r), LTM_OK);
    assert_int_equal(r.state, LTM_PUB_PUBLISHED);
    assert_string_equal(r.remote_id, "media-1");
    assert_string_equal(r.ref, "1789"); /* kept from the intent */
    assert_int_equal(r.updated_ms, 2000);
    ltm_pub_record_clear(&r);

    int deleted = -1;
    assert_int_equal(ltm_pubstore_prune(s, 1500, &deleted), LTM_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(ltm_pubstore_prune(s, 2001, &deleted), LTM_OK);
    assert_int_equal(deleted, 1);
    ltm_pubstore_close(s);
}

static void unwritable_path_is_an_error(void **state)
{
    (void)state;
    ltm_pubstore *s = NULL;
    char err[256] = "";
    assert_int_equal(ltm_pubstore_open("/nonexistent-dir/x/p.db", 0, &s, err, sizeof err), LTM_EDB);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent-dir/x/p.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lifecycle_survives_reopen, setup, teardown),
        cmocka_unit_test(unwritable_path_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
