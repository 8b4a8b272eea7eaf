#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/mqtt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void urls_parse(void **state)
{
    (void)state;
    struct { const char *url; const char *uri; int port; int tls; } good[] = {
        {"mqtt://localhost:1883", "tcp://localhost:1883", 1883, 0},
        {"mqtt://broker", "tcp://broker:1883", 1883, 0},
        {"mqtts://broker.example.com", "ssl://broker.example.com:8883", 8883, 1},
        {"tcp://127.0.0.1:18830/", "tcp://127.0.0.1:18830", 18830, 0},
        {"mqtt://[::1]:1884", "tcp://[::1]:1884", 1884, 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char uri[256], host[128], err[160];
        int port, tls;
        assert_int_equal(ltm_mqtt_parse_url(good[i].url, uri, sizeof uri, host, sizeof host,
                                            &port, &tls, err, sizeof err),
                         LTM_OK);
        assert_string_equal(uri, good[i].uri);
        assert_int_equal(port, good[i].port);
        assert_int_equal(tls, good[i].tls);
    }
    const char *bad[] = {"", "http://broker", "mqtt://", "mqtt://user:pw@broker:1883",
                         "mqtt://broker:0", "mqtt://broker:99999", "mqtt://broker:abc",
                         "mqtt://bro ker", "mqtt://broker/path"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char uri[256], host[128], err[160] = "";
        int port, tls;
        assert_int_equal(ltm_mqtt_parse_url(bad[i], uri, sizeof uri, host, sizeof host, &port,
                                            &tls, err, sizeof err),
                         LTM_EINVAL);
        assert_true(err[0] != '\0');
        assert_null(strstr(err, "pw")); /* credentials in a URL are never echoed */
    }
}

/* With no broker reachable, publishes wait in the bounded outbox; past the
 * bound the caller is told (LTM_EFULL) and the drop is counted. */
static void outbox_is_bounded_and_counted(void **state)
{
    (void)state;
    char dir[] = "/tmp/ltm-mqtt-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    ltm_mqtt_options o = {
        .url = "mqtt://127.0.0.1:1", /* nothing listens on port 1 */
        .client_id = "unit-test",
        .clean_session = 1,
        .max_outbox = 3,
        .wake_fd = -1,
    };
    ltm_mqtt *c;
    char err[256];
    assert_int_equal(ltm_mqtt_new(&o, &c, err, sizeof err), LTM_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ltm_mqtt_publish(c, "ltm/results", "x", 1, 1, 0), LTM_OK);
    assert_int_equal(ltm_mqtt_publish(c, "ltm/results", "x", 1, 1, 0), LTM_EFULL);
    ltm_mqtt_stats st;
    ltm_mqtt_get_stats(c, &st);
    assert_int_equal(st.outbox_depth, 3);
    assert_int_equal(st.publish_dropped, 1);
    assert_int_equal(st.connected, 0);
    assert_null(ltm_mqtt_receive(c));
    assert_int_equal(ltm_mqtt_disconnect(c, 10), LTM_ETIMEDOUT);
    ltm_mqtt_free(c);
    rmdir(dir);
}

static void bad_url_is_a_config_error(void **state)
{
    (void)state;
    ltm_mqtt_options o = {.url = "http://x", .client_id = "id", .wake_fd = -1};
    ltm_mqtt *c = NULL;
    char err[256];
    assert_int_equal(ltm_mqtt_new(&o, &c, err, sizeof err), LTM_ECONFIG);
    assert_non_null(strstr(err, "LTM_MQTT_URL"));
    assert_null(c);
}

static void files_are_replaced_atomically(void **state)
{
    (void)state;
    char dir[] = "/tmp/ltm-fs-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char nested[256], path[300];
    snprintf(nested, sizeof nested, "%s/a/b/c", dir);
    assert_int_equal(ltm_mkdirs(nested, 0750), LTM_OK);
    assert_int_equal(ltm_mkdirs(nested, 0750), LTM_OK); /* idempotent */
    snprintf(path, sizeof path, "%s/state.json", nested);
    assert_int_equal(ltm_write_file_atomic(path, "{\"v\":1}", 7), LTM_OK);
    assert_int_equal(ltm_write_file_atomic(path, "{\"v\":22}", 8), LTM_OK);
    char *text;
    size_t len;
    assert_int_equal(ltm_read_file(path, 100, &text, &len), LTM_OK);
    assert_string_equal(text, "{\"v\":22}");
    free(text);
    assert_int_equal(ltm_read_file(path, 4, &text, &len), LTM_EFULL);
    assert_int_equal(ltm_append_record(path, "\nmore", 5), LTM_OK);
    assert_int_equal(ltm_read_file(path, 100, &text, &len), LTM_OK);
    assert_string_equal(text, "{\"v\":22}\nmore");
    free(text);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none", dir);
    assert_int_equal(ltm_read_file(missing, 100, &text, &len), LTM_ENOTFOUND);
    /* a file in the way of a directory is reported, not ignored */
    assert_int_equal(ltm_mkdirs(path, 0750), LTM_EIO);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_parse),
        cmocka_unit_test(outbox_is_bounded_and_counted),
        cmocka_unit_test(bad_url_is_a_config_error),
        cmocka_unit_test(files_are_replaced_atomically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
