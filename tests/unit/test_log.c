#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Captures what the logger writes through a pipe. */
static char captured[16384];

static void capture_start(int fds[2])
{
    assert_int_equal(pipe(fds), 0);
    ltm_log_set_fd(fds[1]);
}

static const char *capture_end(int fds[2])
{
    close(fds[1]);
    ssize_t n = read(fds[0], captured, sizeof captured - 1);
    close(fds[0]);
    captured[n > 0 ? n : 0] = '\0';
    ltm_log_set_fd(1);
    return captured;
}

static void text_line_has_fields(void **state)
{
    (void)state;
    int fds[2];
    ltm_log_init("poster", LTM_LOG_INFO, LTM_LOG_TEXT);
    capture_start(fds);
    ltm_info("job received", "job_id", "p-1", "attempt", LTM_INT(2), "error", "two words",
             "skipped", (const char *)NULL);
    ltm_debug("not shown");
    const char *out = capture_end(fds);
    assert_non_null(strstr(out, " INFO poster: job received job_id=p-1 attempt=2 error=\"two words\"\n"));
    assert_null(strstr(out, "skipped"));
    assert_null(strstr(out, "not shown"));
    /* ISO-8601 with offset: 2026-11-25T18:41:44.123+00:00 */
    assert_int_equal(out[4], '-');
    assert_int_equal(out[10], 'T');
    assert_true(out[23] == '+' || out[23] == '-');
    assert_int_equal(out[26], ':');
}

static void json_line_parses(void **state)
{
    (void)state;
    int fds[2];
    ltm_log_init("notifier", LTM_LOG_DEBUG, LTM_LOG_JSON);
    capture_start(fds);
    ltm_warn("odd \"text\"\n", "key", "va\\lue\t<>");
    const char *out = capture_end(fds);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, "WARN");
    assert_string_equal(cJSON_GetObjectItem(j, "service")->valuestring, "notifier");
    assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring, "odd \"text\"\n");
    assert_string_equal(cJSON_GetObjectItem(j, "key")->valuestring, "va\\lue\t<>");
    cJSON_Delete(j);
}

static void secrets_are_redacted(void **state)
{
    (void)state;
    int fds[2];
    ltm_log_init("poster", LTM_LOG_INFO, LTM_LOG_TEXT);
    ltm_log_add_secret("sk-live-abcdef123456");
    capture_start(fds);
    ltm_error("request failed", "url", "https://x/bot sk-live-abcdef123456/send",
              "again", "sk-live-abcdef123456");
    const char *out = capture_end(fds);
    assert_null(strstr(out, "sk-live-abcdef123456"));
    assert_non_null(strstr(out, "[redacted]"));
}

/* A secret that holds another (a webhook token starting with the RapidAPI
 * key) must go whole: replacing the shorter one first left the rest. */
static void a_secret_holding_another_is_redacted_whole(void **state)
{
    (void)state;
    ltm_log_add_secret("ra-key-0123456789");
    ltm_log_add_secret("ra-key-0123456789-hook-tail-abcdef");
    const char *text = "Bearer ra-key-0123456789-hook-tail-abcdef and ra-key-0123456789";
    char *clean = ltm_secrets_redacted(text, strlen(text));
    assert_non_null(clean);
    assert_string_equal(clean, "Bearer [redacted] and [redacted]");
    free(clean);
    int fds[2];
    ltm_log_init("poster", LTM_LOG_INFO, LTM_LOG_TEXT);
    capture_start(fds);
    ltm_error("refused", "error", text);
    const char *out = capture_end(fds);
    assert_null(strstr(out, "hook-tail"));
}

/* The accounts file may name a token for each of hundreds of accounts: the
 * last one's is redacted like the first one's. */
static void every_registered_secret_is_redacted(void **state)
{
    (void)state;
    char value[40], text[200];
    for (int i = 0; i < 300; i++) {
        snprintf(value, sizeof value, "account-token-%04d-xyz", i);
        ltm_log_add_secret(value);
        ltm_log_add_secret(value); /* several accounts may share one token */
    }
    snprintf(text, sizeof text, "first account-token-0000-xyz last account-token-0299-xyz");
    char *clean = ltm_secrets_redacted(text, strlen(text));
    assert_non_null(clean);
    assert_string_equal(clean, "first [redacted] last [redacted]");
    free(clean);
}

static void overlong_values_are_cut_not_lost(void **state)
{
    (void)state;
    int fds[2];
    char *big = malloc(20000);
    memset(big, 'x', 19999);
    big[19999] = '\0';
    ltm_log_init("poster", LTM_LOG_INFO, LTM_LOG_JSON);
    capture_start(fds);
    ltm_info("big", "value", big, "after", "kept");
    const char *out = capture_end(fds);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j); /* still one valid JSON line */
    assert_string_equal(cJSON_GetObjectItem(j, "after")->valuestring, "kept");
    cJSON_Delete(j);
    free(big);
}

static void levels_parse(void **state)
{
    (void)state;
    ltm_log_level l;
    ltm_log_format f;
    assert_int_equal(ltm_log_level_parse("WARNING", &l), 0);
    assert_int_equal(l, LTM_LOG_WARN);
    assert_int_not_equal(ltm_log_level_parse("loud", &l), 0);
    assert_int_equal(ltm_log_format_parse("json", &f), 0);
    assert_int_equal(f, LTM_LOG_JSON);
    assert_int_not_equal(ltm_log_format_parse("xml", &f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_line_has_fields),
        cmocka_unit_test(json_line_parses),
        cmocka_unit_test(secrets_are_redacted),
        cmocka_unit_test(a_secret_holding_another_is_redacted_whole),
        cmocka_unit_test(every_registered_secret_is_redacted),
        cmocka_unit_test(overlong_values_are_cut_not_lost),
        cmocka_unit_test(levels_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
