#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/error.h"
#include "publishing/pubstore.h"

#include <sqlite3.h>
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

static void prepared_container_is_kept_then_replaced(void **state)
{
    (void)state;
    ltm_pubstore *s = NULL;
    char err[256];
    ltm_pub_record r;
    assert_int_equal(ltm_pubstore_open(path, 0, &s, err, sizeof err), LTM_OK);
    assert_int_equal(ltm_pubstore_prepared(s, "j1", "instagram", NULL, "x", 1000), LTM_EINVAL);
    assert_int_equal(ltm_pubstore_sending(s, "j1", "instagram", "1789", "caption", 1000), LTM_OK);
    assert_int_equal(ltm_pubstore_prepared(s, "j1", "instagram", "1789", "caption", 1100), LTM_OK);
    ltm_pubstore_close(s);

    assert_int_equal(ltm_pubstore_open(path, 0, &s, err, sizeof err), LTM_OK);
    assert_int_equal(ltm_pubstore_get(s, "j1", &r), LTM_OK);
    assert_int_equal(r.state, LTM_PUB_PREPARED);
    assert_string_equal(r.ref, "1789");
    assert_string_equal(r.text, "caption");
    assert_int_equal(r.updated_ms, 1100);
    ltm_pub_record_clear(&r);
    /* Publishing it again goes through a sending row, then published. */
    assert_int_equal(ltm_pubstore_sending(s, "j1", "instagram", "1789", "caption", 1200), LTM_OK);
    assert_int_equal(ltm_pubstore_published(s, "j1", "instagram", "media-1", 1300), LTM_OK);
    assert_int_equal(ltm_pubstore_get(s, "j1", &r), LTM_OK);
    assert_int_equal(r.state, LTM_PUB_PUBLISHED);
    ltm_pub_record_clear(&r);
    /* A container that cannot be used any more is forgotten. */
    assert_int_equal(ltm_pubstore_prepared(s, "j2", "instagram", "1790", NULL, 1000), LTM_OK);
    assert_int_equal(ltm_pubstore_forget(s, "j2"), LTM_OK);
    assert_int_equal(ltm_pubstore_get(s, "j2", &r), LTM_OK);
    assert_int_equal(r.state, LTM_PUB_NONE);
    ltm_pubstore_close(s);
}

/* A database written before the prepared state keeps its rows and takes
 * prepared ones after the upgrade. */
static void database_of_an_earlier_version_is_upgraded(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL;"
                                  "CREATE TABLE publications (job_id TEXT PRIMARY KEY,"
                                  " state TEXT NOT NULL CHECK (state IN ('sending','published')),"
                                  " channel TEXT, remote_id TEXT, ref TEXT, text TEXT,"
                                  " updated_ms INTEGER NOT NULL);"
                                  "CREATE INDEX publications_updated ON publications(updated_ms);"
                                  "INSERT INTO publications VALUES ('old-sent', 'sending', "
                                  "'instagram', NULL, '1789', 'caption', 1000);"
                                  "INSERT INTO publications VALUES ('old-done', 'published', "
                                  "'linkedin', 'urn:li:share:1', NULL, NULL, 2000);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    ltm_pubstore *s = NULL;
    char err[256];
    ltm_pub_record r;
    for (int open = 0; open < 2; open++) { /* the second open finds it current */
        assert_int_equal(ltm_pubstore_open(path, 0, &s, err, sizeof err), LTM_OK);
        assert_int_equal(ltm_pubstore_get(s, "old-sent", &r), LTM_OK);
        assert_int_equal(r.state, open ? LTM_PUB_PREPARED : LTM_PUB_SENDING);
        assert_string_equal(r.ref, "1789");
        ltm_pub_record_clear(&r);
        assert_int_equal(ltm_pubstore_get(s, "old-done", &r), LTM_OK);
        assert_int_equal(r.state, LTM_PUB_PUBLISHED);
        assert_string_equal(r.remote_id, "urn:li:share:1");
        ltm_pub_record_clear(&r);
        assert_int_equal(ltm_pubstore_prepared(s, "old-sent", "instagram", "1789", NULL, 3000),
                         LTM_OK);
        ltm_pubstore_close(s);
    }
    int deleted = 0;
    assert_int_equal(ltm_pubstore_open(path, 0, &s, err, sizeof err), LTM_OK);
    assert_int_equal(ltm_pubstore_prune(s, 2500, &deleted), LTM_OK); /* the index works */
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
        cmocka_unit_test_setup_teardown(prepared_container_is_kept_then_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(database_of_an_earlier_version_is_upgraded, setup,
                                        teardown),
        cmocka_unit_test(unwritable_path_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
