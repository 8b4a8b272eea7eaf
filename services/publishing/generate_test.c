#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "publishing/generate_openai.h"
#include "publishing/image_replicate.h"
#include "ltm/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX LTM_FIXTURES_DIR "/publishing/"

static char *fixture(const char *name, size_t *len)
{
    char path[512], *text = NULL;
    snprintf(path, sizeof path, FIX "%s", name);
    assert_int_equal(ltm_read_file(path, 1 << 20, &text, len), LTM_OK);
    return text;
}

static void body_has_prompt_theme_and_limit(void **state)
{
    (void)state;
    ltm_account a = {0};
    a.name = "acme";
    a.language = "pt-BR";
    a.prompt = "Write about small teams.";
    a.themes[5] = "team culture";
    ltm_job job = {0};
    job.prompt = "Mention the new office.";
    char *body = ltm_openai_body("gpt-4o-mini", 800, &a, &job, 5, 3000);
    cJSON *o = cJSON_Parse(body);
    assert_string_equal(cJSON_GetObjectItem(o, "model")->valuestring, "gpt-4o-mini");
    assert_int_equal(cJSON_GetObjectItem(o, "max_tokens")->valueint, 800);
    cJSON *msgs = cJSON_GetObjectItem(o, "messages");
    const char *sys = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring;
    const char *user = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring;
    assert_non_null(strstr(sys, "pt-BR"));
    assert_non_null(strstr(sys, "2400 characters"));
    assert_string_equal(user, "Write about small teams.\nToday's theme: team culture\n"
                              "Mention the new office.");
    cJSON_Delete(o);
    free(body);
    body = ltm_openai_body("m", 100, &a, &job, 1, 0); /* Monday: no theme */
    assert_null(strstr(body, "theme"));
    free(body);
}

static void parse_answers(void **state)
{
    (void)state;
    size_t len;
    char *text = NULL, *ok = fixture("openai-ok.json", &len);
    ltm_outcome o = {0};
    assert_int_equal(ltm_openai_parse(ok, len, &text, &o), LTM_OK);
    assert_string_equal(text, "Five habits of small teams.");
    free(text);
    free(ok);
    char *refusal = fixture("openai-refusal.json", &len);
    assert_int_equal(ltm_openai_parse(refusal, len, &text, &o), LTM_EINVAL);
    assert_string_equal(o.error_class, "refused");
    assert_false(o.retryable);
    assert_non_null(strstr(o.error, "can't help"));
    free(refusal);
    char *cut = fixture("openai-length.json", &len);
    assert_int_equal(ltm_openai_parse(cut, len, &text, &o), LTM_EINVAL);
    assert_string_equal(o.error_class, "validation");
    assert_null(text);
    free(cut);
    const char *bad = "{\"choices\": []}";
    assert_int_equal(ltm_openai_parse(bad, strlen(bad), &text, &o), LTM_EINVAL);
    assert_string_equal(o.error_class, "server");
    assert_true(o.retryable);
    const char *empty = "{\"choices\":[{\"message\":{\"content\":\"  \"}}]}";
    assert_int_equal(ltm_openai_parse(empty, strlen(empty), &text, &o), LTM_EINVAL);
    assert_string_equal(o.error_class, "refused");
}

static void weekday_in_the_accounts_zone(void **state)
{
    (void)state;
    int64_t sat_0100_utc = 1764378000000LL; /* 2025-11-29T01:00:00Z, a Saturday */
    assert_int_equal(ltm_weekday_in_zone("UTC", sat_0100_utc), 6);
    assert_int_equal(ltm_weekday_in_zone("America/Sao_Paulo", sat_0100_utc), 5); /* Fri 22:00 */
    assert_int_equal(ltm_weekday_in_zone(NULL, sat_0100_utc), 6);
    assert_int_equal(ltm_weekday_in_zone("Not/AZone", sat_0100_utc), 6);
}

static void replicate_body_and_predictions(void **state)
{
    (void)state;
    char *body = ltm_replicate_body(NULL, "a calm office", 1);
    assert_string_equal(body, "{\"input\":{\"prompt\":\"a calm office\",\"aspect_ratio\":\"9:16\","
                              "\"output_format\":\"jpg\"}}");
    free(body);
    body = ltm_replicate_body("abc123", "x", 0);
    assert_non_null(strstr(body, "\"version\":\"abc123\""));
    assert_non_null(strstr(body, "\"aspect_ratio\":\"1:1\""));
    free(body);

    size_t len;
    char *out = NULL, *poll = NULL;
    ltm_outcome o = {0};
    char *starting = fixture("replicate-starting.json", &len);
    assert_int_equal(ltm_replicate_parse(starting, len, &out, &poll, &o), 0);
    assert_string_equal(poll, "https://api.replicate.com/v1/predictions/p1");
    free(poll);
    free(starting);
    char *done = fixture("replicate-succeeded.json", &len);
    assert_int_equal(ltm_replicate_parse(done, len, &out, &poll, &o), 1);
    assert_string_equal(out, "https://replicate.delivery/xezq/out-0.jpg");
    free(out);
    free(done);
    char *failed = fixture("replicate-failed.json", &len);
    assert_int_equal(ltm_replicate_parse(failed, len, &out, &poll, &o), LTM_EINVAL);
    assert_non_null(strstr(o.error, "NSFW"));
    assert_true(o.retryable);
    free(failed);
    const char *local = "{\"status\":\"succeeded\",\"output\":\"file:///etc/passwd\"}";
    assert_int_equal(ltm_replicate_parse(local, strlen(local), &out, &poll, &o), LTM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_has_prompt_theme_and_limit),
        cmocka_unit_test(parse_answers),
        cmocka_unit_test(weekday_in_the_accounts_zone),
        cmocka_unit_test(replicate_body_and_predictions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
