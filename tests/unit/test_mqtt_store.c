/* The MQTT persistence: Paho's file layout, and a write the disk refuses
 * kept in memory (never an error to Paho, whose send thread crashed on one),
 * counted, and back on disk once the disk takes writes again. */
#include "ltm/mqtt_store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <cmocka.h>

static char base[4096];

static void make_base(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base, sizeof base, "%s/ltm-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(base));
}

static void remove_base(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
}

static int put(ltm_mqtt_store *s, const char *key, const char *a, const char *b)
{
    char *bufs[] = {(char *)a, (char *)b};
    int lens[] = {(int)strlen(a), (int)strlen(b)};
    return ltm_mqtt_store_put(s, (char *)key, 2, bufs, lens);
}

static void assert_get(ltm_mqtt_store *s, const char *key, const char *want)
{
    char *buf = NULL;
    int len = 0;
    assert_int_equal(ltm_mqtt_store_get(s, (char *)key, &buf, &len), 0);
    assert_int_equal(len, (int)strlen(want));
    assert_memory_equal(buf, want, (size_t)len);
    MQTTAsync_free(buf);
}

static int key_count(ltm_mqtt_store *s)
{
    char **keys = NULL;
    int n = -1;
    assert_int_equal(ltm_mqtt_store_keys(s, &keys, &n), 0);
    for (int i = 0; i < n; i++)
        MQTTAsync_free(keys[i]);
    MQTTAsync_free(keys);
    return n;
}

/* A store in a new base directory, opened for one client as Paho does. */
static ltm_mqtt_store *open_store(const char *client, const char *uri)
{
    make_base();
    ltm_mqtt_store *s = ltm_mqtt_store_new(base);
    assert_non_null(s);
    void *h = NULL;
    assert_int_equal(ltm_mqtt_store_open(&h, client, uri, s), 0);
    assert_ptr_equal(h, s);
    return s;
}

static void files_in_paho_layout(void **state)
{
    (void)state;
    ltm_mqtt_store *s = open_store("ltm-poster-t1", "tcp://127.0.0.1:1883");
    void *h = s;
    assert_int_equal(put(h, "s-1", "head", "body"), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/ltm-poster-t1-127.0.0.1-1883/s-1.msg", base);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 8);
    assert_get(h, "s-1", "headbody");
    assert_int_equal(ltm_mqtt_store_contains(h, "s-1"), 0);
    assert_int_equal(ltm_mqtt_store_contains(h, "s-2"), -2);
    assert_int_equal(key_count(h), 1);
    assert_int_equal(ltm_mqtt_store_remove(h, "s-1"), 0);
    assert_int_equal(key_count(h), 0);
    assert_int_equal(ltm_mqtt_store_write_failures(s), 0);
    ltm_mqtt_store_close(h);
    ltm_mqtt_store_free(s);
    remove_base();
}

static void refused_writes_are_kept_in_memory_then_go_to_disk(void **state)
{
    (void)state;
    ltm_mqtt_store *s = open_store("c", "tcp://h:1");
    void *h = s;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/c-h-1", base);
    /* A file where the directory was: every write fails, even as root. */
    assert_int_equal(rmdir(dir), 0);
    FILE *f = fopen(dir, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(put(h, "s-1", "one", ""), 0);
    assert_int_equal(put(h, "s-2", "two", ""), 0);
    assert_int_equal(put(h, "s-2", "two", "bis"), 0); /* rewritten: still one entry */
    assert_int_equal(ltm_mqtt_store_write_failures(s), 3);
    assert_int_equal(ltm_mqtt_store_in_memory(s), 2);
    assert_get(h, "s-2", "twobis");
    assert_int_equal(ltm_mqtt_store_contains(h, "s-1"), 0);
    assert_int_equal(key_count(h), 2);
    assert_int_equal(ltm_mqtt_store_remove(h, "s-1"), 0);
    assert_int_equal(ltm_mqtt_store_in_memory(s), 1);

    /* The disk takes writes again: a rewrite goes to a file and leaves memory. */
    assert_int_equal(unlink(dir), 0);
    assert_int_equal(put(h, "s-2", "two", "ter"), 0);
    assert_int_equal(ltm_mqtt_store_in_memory(s), 0);
    assert_get(h, "s-2", "twoter");
    assert_int_equal(ltm_mqtt_store_write_failures(s), 3);
    assert_int_equal(ltm_mqtt_store_clear(h), 0);
    assert_int_equal(key_count(h), 0);
    ltm_mqtt_store_close(h);
    ltm_mqtt_store_free(s);
    remove_base();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_in_paho_layout),
        cmocka_unit_test(refused_writes_are_kept_in_memory_then_go_to_disk),
    };
    /* A client makes Paho set up its heap, which MQTTAsync_malloc uses;
     * destroying the last one tears it down, so the leak check is clean. */
    MQTTAsync client;
    if (MQTTAsync_create(&client, "tcp://127.0.0.1:1", "store-test", MQTTCLIENT_PERSISTENCE_NONE,
                         NULL) != MQTTASYNC_SUCCESS)
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MQTTAsync_destroy(&client);
    return failed;
}
