#include "test_util.h"
#include "telegram.h"

#include "ltm/log.h"

#include <cjson/cJSON.h>
#include <string.h>

static void classify_fixture(const char *name, long status, ntf_tg_answer *a)
{
    size_t len;
    char *body = fixture(name, &len);
    ntf_tg_classify(status, body, len, NULL, a);
    free(body);
}

static void ok_answer(void **state)
{
    (void)state;
    ntf_tg_answer a;
    classify_fixture("tg_ok.json", 200, &a);
    assert_int_equal(a.outcome, NTF_TG_OK);
}

static void rate_limited_answer_gives_retry_after(void **state)
{
    (void)state;
    ntf_tg_answer a;
    classify_fixture("tg_429.json", 429, &a);
    assert_int_equal(a.outcome, NTF_TG_RETRY_AFTER);
    assert_int_equal(a.retry_after_ms, 35000);
    assert_non_null(strstr(a.description, "Too Many Requests"));
}

static void rate_limited_without_parameters_waits_a_second(void **state)
{
    (void)state;
    ntf_tg_answer a;
    ntf_tg_classify(429, "{}", 2, NULL, &a);
    assert_int_equal(a.outcome, NTF_TG_RETRY_AFTER);
    assert_int_equal(a.retry_after_ms, 1000);
}

static void parse_error_and_other_bad_requests(void **state)
{
    (void)state;
    ntf_tg_answer a;
    classify_fixture("tg_400_parse.json", 400, &a);
    assert_int_equal(a.outcome, NTF_TG_PARSE);
    classify_fixture("tg_400_chat.json", 400, &a);
    assert_int_equal(a.outcome, NTF_TG_REJECTED);
}

static void refusals_need_a_person(void **state)
{
    (void)state;
    ntf_tg_answer a;
    classify_fixture("tg_403.json", 403, &a);
    assert_int_equal(a.outcome, NTF_TG_PERSON);
    classify_fixture("tg_401.json", 401, &a);
    assert_int_equal(a.outcome, NTF_TG_PERSON);
}

static void outages_are_transient(void **state)
{
    (void)state;
    ntf_tg_answer a;
    classify_fixture("tg_502.html", 502, &a);
    assert_int_equal(a.outcome, NTF_TG_TRANSIENT);
    assert_string_equal(a.description, "HTTP 502");
    ntf_tg_classify(0, NULL, 0, "Couldn't connect to server", &a);
    assert_int_equal(a.outcome, NTF_TG_TRANSIENT);
    assert_string_equal(a.description, "Couldn't connect to server");
    ntf_tg_classify(200, "{\"ok\":false}", 12, NULL, &a);
    assert_int_equal(a.outcome, NTF_TG_TRANSIENT);
}

/* An answer that repeats the token (a proxy echoing the request path) is
 * redacted before the description is cut: a cut through the token would
 * leave a piece that the log's redaction no longer recognises. */
static void an_echoed_token_is_redacted_before_the_cut(void **state)
{
    (void)state;
    const char *token = "123456789:AAtoken-0123456789abcdef0123456789";
    ltm_log_add_secret(token);
    char body[600], filler[131];
    memset(filler, 'x', sizeof filler - 1);
    filler[sizeof filler - 1] = '\0';
    for (int cut = 0; cut < 2; cut++) {
        snprintf(body, sizeof body,
                 "{\"ok\":false,\"description\":\"Bad Gateway: %s /bot%s/sendMessage\"}",
                 cut ? filler : "", token);
        ntf_tg_answer a;
        ntf_tg_classify(502, body, strlen(body), NULL, &a);
        assert_int_equal(a.outcome, NTF_TG_TRANSIENT);
        assert_null(strstr(a.description, "AAtoken"));
        assert_null(strstr(a.description, "0123456789ab"));
        if (!cut)
            assert_non_null(strstr(a.description, "/bot[redacted]/sendMessage"));
    }
    ntf_tg_answer a;
    snprintf(body, sizeof body, "%s could not reach /bot%s/sendMessage", filler, token);
    ntf_tg_classify(0, NULL, 0, body, &a);
    assert_null(strstr(a.description, "0123456789ab"));
}

static void body_carries_chat_text_and_parse_mode(void **state)
{
    (void)state;
    char *body = ntf_tg_body("-100123", "a \"quoted\" <b>x</b>\n", 1);
    cJSON *o = cJSON_Parse(body);
    assert_string_equal(cJSON_GetObjectItem(o, "chat_id")->valuestring, "-100123");
    assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring, "a \"quoted\" <b>x</b>\n");
    assert_string_equal(cJSON_GetObjectItem(o, "parse_mode")->valuestring, "HTML");
    cJSON_Delete(o);
    free(body);
    body = ntf_tg_body("1", "plain", 0);
    assert_null(strstr(body, "parse_mode"));
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ok_answer),
        cmocka_unit_test(rate_limited_answer_gives_retry_after),
        cmocka_unit_test(rate_limited_without_parameters_waits_a_second),
        cmocka_unit_test(parse_error_and_other_bad_requests),
        cmocka_unit_test(refusals_need_a_person),
        cmocka_unit_test(outages_are_transient),
        cmocka_unit_test(an_echoed_token_is_redacted_before_the_cut),
        cmocka_unit_test(body_carries_chat_text_and_parse_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
