#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/config.h"
#include "ltm/error.h"

#include <string.h>

/* A fake environment: NULL-terminated name/value pairs. */
static const char *lookup(const char *name, void *ctx)
{
    const char **env = ctx;
    for (; env[0]; env += 2) {
        if (strcmp(env[0], name) == 0)
            return env[1];
    }
    return NULL;
}

static const ltm_setting table[] = {
    {"URL", LTM_SET_STRING, "mqtt://localhost:1883", 0, 0, 0, NULL, "broker"},
    {"PASSWORD", LTM_SET_STRING, NULL, LTM_SETTING_REQUIRED | LTM_SETTING_SECRET, 0, 0, NULL,
     "broker password"},
    {"PORT", LTM_SET_INT, "8000", 0, 1, 65535, NULL, "port"},
    {"DEBUG", LTM_SET_BOOL, "false", 0, 0, 0, NULL, "debug"},
    {"INTERVAL", LTM_SET_DURATION, "10s", 0, 100, 3600000, NULL, "interval"},
    {"FORMAT", LTM_SET_ENUM, "text", 0, 0, 0, "text|json", "format"},
    {"RATIO", LTM_SET_DOUBLE, "0.5", 0, 0, 1, NULL, "ratio"},
};
#define COUNT (sizeof table / sizeof table[0])

static int load(const char **env, ltm_config **out, char *err)
{
    return ltm_config_load(table, COUNT, lookup, env, out, err, 256);
}

static void defaults_apply(void **state)
{
    (void)state;
    const char *env[] = {"PASSWORD", "s3cret-value", NULL};
    ltm_config *c;
    char err[256];
    assert_int_equal(load(env, &c, err), LTM_OK);
    assert_string_equal(ltm_config_str(c, "URL"), "mqtt://localhost:1883");
    assert_int_equal(ltm_config_int(c, "PORT"), 8000);
    assert_int_equal(ltm_config_int(c, "DEBUG"), 0);
    assert_int_equal(ltm_config_int(c, "INTERVAL"), 10000);
    assert_string_equal(ltm_config_str(c, "FORMAT"), "text");
    assert_true(ltm_config_double(c, "RATIO") > 0.49 && ltm_config_double(c, "RATIO") < 0.51);
    ltm_config_free(c);
}

static void missing_required_is_named(void **state)
{
    (void)state;
    const char *env[] = {NULL};
    ltm_config *c = NULL;
    char err[256];
    assert_int_equal(load(env, &c, err), LTM_ECONFIG);
    assert_non_null(strstr(err, "PASSWORD"));
    assert_non_null(strstr(err, "required"));
}

static void empty_counts_as_unset(void **state)
{
    (void)state;
    const char *env[] = {"PASSWORD", "", NULL};
    ltm_config *c = NULL;
    char err[256];
    assert_int_equal(load(env, &c, err), LTM_ECONFIG);
}

static void malformed_values_are_named(void **state)
{
    (void)state;
    struct { const char *name, *value; } cases[] = {
        {"PORT", "80x"}, {"PORT", "0"}, {"PORT", "70000"}, {"DEBUG", "maybe"},
        {"INTERVAL", "10 parsecs"}, {"INTERVAL", "50ms"}, {"FORMAT", "xml"},
        {"RATIO", "1.5"}, {"RATIO", "nan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {"PASSWORD", "pw12345", cases[i].name, cases[i].value, NULL};
        ltm_config *c = NULL;
        char err[256];
        assert_int_equal(load(env, &c, err), LTM_ECONFIG);
        assert_non_null(strstr(err, cases[i].name));
        assert_non_null(strstr(err, "malformed"));
    }
}

static void secrets_are_never_echoed(void **state)
{
    (void)state;
    static const ltm_setting secret_int[] = {
        {"TOKEN", LTM_SET_INT, NULL, LTM_SETTING_SECRET, 0, 0, NULL, "token"},
    };
    const char *env[] = {"TOKEN", "sk-not-a-number", NULL};
    ltm_config *c = NULL;
    char err[256];
    assert_int_equal(ltm_config_load(secret_int, 1, lookup, env, &c, err, sizeof err),
                     LTM_ECONFIG);
    assert_non_null(strstr(err, "TOKEN"));
    assert_null(strstr(err, "sk-not-a-number"));
}

static void durations_parse(void **state)
{
    (void)state;
    long long ms;
    assert_int_equal(ltm_parse_duration_ms("500ms", &ms), LTM_OK);
    assert_int_equal(ms, 500);
    assert_int_equal(ltm_parse_duration_ms("30", &ms), LTM_OK);
    assert_int_equal(ms, 30000);
    assert_int_equal(ltm_parse_duration_ms("1.5s", &ms), LTM_OK);
    assert_int_equal(ms, 1500);
    assert_int_equal(ltm_parse_duration_ms("4h", &ms), LTM_OK);
    assert_int_equal(ms, 4 * 3600 * 1000LL);
    assert_int_equal(ltm_parse_duration_ms("7d", &ms), LTM_OK);
    assert_int_equal(ms, 7 * 86400 * 1000LL);
    assert_int_equal(ltm_parse_duration_ms("-1s", &ms), LTM_EINVAL);
    assert_int_equal(ltm_parse_duration_ms("s", &ms), LTM_EINVAL);
    assert_int_equal(ltm_parse_duration_ms("", &ms), LTM_EINVAL);
    assert_int_equal(ltm_parse_duration_ms("1e300s", &ms), LTM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_apply),
        cmocka_unit_test(missing_required_is_named),
        cmocka_unit_test(empty_counts_as_unset),
        cmocka_unit_test(malformed_values_are_named),
        cmocka_unit_test(secrets_are_never_echoed),
        cmocka_unit_test(durations_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
