#include "commands.h"

#include "ltm/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static int drop(void *ctx, const char *topic, char *json)
{
    (void)ctx;
    (void)topic;
    free(json);
    return 0;
}

typedef struct {
    ledger *l;
    engine *e;
} fixture;

static int setup(void **state)
{
    static fixture f;
    char err[300];
    const char *json = "{\"accounts\":[{\"name\":\"acme\",\"schedule\":{\"posts\":[\"09:00\"]}}]}";
    sched_accounts a;
    assert_int_equal(sched_accounts_parse(json, strlen(json), &a, err, sizeof err), 0);
    assert_int_equal(ledger_open(":memory:", &f.l, err, sizeof err), 0);
    engine_settings s = {.max_attempts = 3, .post_base_ms = 1, .story_base_ms = 1,
                         .report_base_ms = 1, .lease_ms = 1000, .grace_ms = 0,
                         .rate_limit_ms = 1, .report_minute = -1};
    assert_int_equal(engine_new(&s, &a, f.l, drop, NULL, "me", &f.e), 0);
    assert_int_equal(engine_start(f.e, 1000), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    engine_free(f->e);
    ledger_close(f->l);
    return 0;
}

static cJSON *call(fixture *f, const char *request, char **topic, int expect_rc)
{
    char *reply = NULL, reason[160] = "";
    int rc = commands_handle(f->e, request, strlen(request), 5000, topic, &reply, reason,
                             sizeof reason);
    assert_int_equal(rc, expect_rc);
    if (!reply)
        return NULL;
    cJSON *o = cJSON_Parse(reply);
    free(reply);
    assert_non_null(o);
    return o;
}

static void post_then_jobs(void **state)
{
    fixture *f = *state;
    char *topic = NULL;
    cJSON *o = call(f, "{\"request_id\":\"r1\",\"command\":\"post\",\"account\":\"acme\","
                       "\"text\":\"hi\"}", &topic, 0);
    assert_string_equal(topic, "ltm/replies/r1");
    free(topic);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "job_id")->valuestring, "post:acme:ondemand:r1");
    cJSON_Delete(o);
    o = call(f, "{\"request_id\":\"r2\",\"command\":\"jobs\",\"account\":\"acme\"}", &topic, 0);
    free(topic);
    cJSON *jobs = cJSON_GetObjectItem(o, "jobs");
    assert_int_equal(cJSON_GetArraySize(jobs), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(jobs, 0), "state")->valuestring,
                        "waiting");
    cJSON_Delete(o);
}

static void refusals_have_codes(void **state)
{
    fixture *f = *state;
    char *topic = NULL;
    cJSON *o = call(f, "{\"request_id\":\"r3\",\"command\":\"pause\",\"account\":\"ghost\"}",
                    &topic, 0);
    free(topic);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "not_found");
    cJSON_Delete(o);
    /* Unknown command: answered and dead-lettered. */
    o = call(f, "{\"request_id\":\"r4\",\"command\":\"explode\"}", &topic, LTM_EINVAL);
    free(topic);
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "invalid");
    assert_non_null(strstr(cJSON_GetObjectItem(o, "error")->valuestring, "unknown \"explode\""));
    cJSON_Delete(o);
    /* Malformed field: answered and dead-lettered. */
    o = call(f, "{\"request_id\":\"r5\",\"command\":\"post\",\"at\":\"tomorrow\"}", &topic,
             LTM_EINVAL);
    free(topic);
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "invalid");
    cJSON_Delete(o);
    /* No usable request id: nobody to answer. */
    topic = NULL;
    assert_null(call(f, "{\"request_id\":\"../x\",\"command\":\"jobs\"}", &topic, LTM_EINVAL));
    assert_null(topic);
    assert_null(call(f, "not json", &topic, LTM_EINVAL));
    assert_null(topic);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(post_then_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_have_codes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
