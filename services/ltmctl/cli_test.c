#include "cli.h"

#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define NOW 1764061200000LL /* 2025-11-25T09:00:00Z */

static cJSON *parse(int expect, char *err, size_t size, ltmctl_args *a, ...)
{
    char *argv[32] = {"ltmctl"};
    int argc = 1;
    va_list ap;
    va_start(ap, a);
    for (char *s; (s = va_arg(ap, char *)) != NULL;)
        argv[argc++] = s;
    va_end(ap);
    assert_int_equal(ltmctl_parse(argc, argv, NOW, a, err, size), expect);
    return a->request_json ? cJSON_Parse(a->request_json) : NULL;
}

static void post_request(void **state)
{
    (void)state;
    ltmctl_args a;
    char err[300];
    cJSON *r = parse(0, err, sizeof err, &a, "--json", "post", "--account", "acme", "--text",
                     "Hello", "--at", "+10m", NULL);
    assert_true(a.json);
    assert_string_equal(a.command, "post");
    assert_string_equal(cJSON_GetObjectItem(r, "command")->valuestring, "post");
    assert_string_equal(cJSON_GetObjectItem(r, "account")->valuestring, "acme");
    assert_string_equal(cJSON_GetObjectItem(r, "text")->valuestring, "Hello");
    assert_string_equal(cJSON_GetObjectItem(r, "at")->valuestring, "2025-11-25T09:10:00.000Z");
    cJSON_Delete(r);
    char *with_id = ltmctl_request(a.request_json, "abc");
    assert_non_null(strstr(with_id, "\"request_id\":\"abc\""));
    free(with_id);
    ltmctl_args_clear(&a);
}

static void jobs_pause_and_help(void **state)
{
    (void)state;
    ltmctl_args a;
    char err[300];
    cJSON *r = parse(0, err, sizeof err, &a, "jobs", "--since", "24h", "--limit", "5", NULL);
    assert_string_equal(cJSON_GetObjectItem(r, "since")->valuestring, "2025-11-24T09:00:00.000Z");
    assert_int_equal(cJSON_GetObjectItem(r, "limit")->valueint, 5);
    cJSON_Delete(r);
    ltmctl_args_clear(&a);
    r = parse(0, err, sizeof err, &a, "jobs", NULL);
    assert_string_equal(cJSON_GetObjectItem(r, "since")->valuestring, "2025-11-24T09:00:00.000Z");
    cJSON_Delete(r);
    ltmctl_args_clear(&a);
    r = parse(0, err, sizeof err, &a, "pause", "acme", NULL);
    assert_string_equal(cJSON_GetObjectItem(r, "account")->valuestring, "acme");
    cJSON_Delete(r);
    ltmctl_args_clear(&a);
    r = parse(0, err, sizeof err, &a, "story", "--help", NULL);
    assert_true(a.help);
    assert_null(r);
    ltmctl_args_clear(&a);
}

static void usage_errors(void **state)
{
    (void)state;
    ltmctl_args a;
    char err[300];
    parse(LTMCTL_USAGE, err, sizeof err, &a, NULL);
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "publish", NULL);
    assert_non_null(strstr(err, "unknown command \"publish\""));
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "post", "--text", "x", NULL);
    assert_non_null(strstr(err, "--account is required"));
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "post", "--account", "a", "--text", "x", "--prompt",
          "y", NULL);
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "post", "--account", "a", "--at", "soon", NULL);
    assert_non_null(strstr(err, "--at"));
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "jobs", "--text", "x", NULL);
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "resume", NULL);
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "--timeout", "forever", "jobs", NULL);
    ltmctl_args_clear(&a);
}

static void wait_outcomes(void **state)
{
    (void)state;
    ltmctl_args a;
    char err[300];
    cJSON *r = parse(0, err, sizeof err, &a, "post", "--account", "acme", "--wait", NULL);
    assert_true(a.wait);
    cJSON_Delete(r);
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "jobs", "--wait", NULL);
    ltmctl_args_clear(&a);
    char id[64];
    const char *reply = "{\"ok\":true,\"job_id\":\"post:acme:ondemand:r1\"}";
    assert_int_equal(ltmctl_reply_job_id(reply, strlen(reply), id, sizeof id), 1);
    assert_string_equal(id, "post:acme:ondemand:r1");
    FILE *null = fopen("/dev/null", "w");
#define RESULT(id, rest)                                                                         \
    "{\"job_id\":\"" id "\",\"kind\":\"post\",\"account\":\"acme\",\"attempt\":1,"                  \
    "\"finished_at\":\"2026-11-25T12:00:01.070Z\"," rest "}"
    const char *retry = RESULT("post:acme:ondemand:r1", "\"status\":\"failed\",\"retryable\":true,"
                                                        "\"final\":false,\"error_class\":\"network\"");
    const char *other = RESULT("post:x", "\"status\":\"published\",\"retryable\":false,"
                                         "\"final\":true");
    const char *done = RESULT("post:acme:ondemand:r1", "\"status\":\"published\","
                                                       "\"retryable\":false,\"final\":true");
    const char *failed = RESULT("post:acme:ondemand:r1", "\"status\":\"failed\",\"retryable\":false,"
                                                         "\"final\":true,\"error_class\":\"auth\"");
    /* Ours but malformed: not an outcome, and said on err. */
    const char *bad = RESULT("post:acme:ondemand:r1", "\"status\":7,\"retryable\":false,"
                                                      "\"final\":true");
    assert_int_equal(ltmctl_outcome(null, null, retry, strlen(retry), id, 0), -1);
    assert_int_equal(ltmctl_outcome(null, null, other, strlen(other), id, 0), -1);
    assert_int_equal(ltmctl_outcome(null, null, done, strlen(done), id, 0), LTMCTL_OK);
    assert_int_equal(ltmctl_outcome(null, null, failed, strlen(failed), id, 1), LTMCTL_JOB_FAILED);
    char said[300] = "";
    FILE *said_to = fmemopen(said, sizeof said, "w");
    assert_int_equal(ltmctl_outcome(null, said_to, bad, strlen(bad), id, 0), -1);
    fclose(said_to);
    assert_non_null(strstr(said, "malformed result for post:acme:ondemand:r1 ignored: field status"));
    fclose(null);
}

static void replies(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    const char *jobs = "{\"request_id\":\"x\",\"ok\":true,\"jobs\":[{\"job_id\":\"post:acme:1\","
                       "\"state\":\"published\",\"attempt\":3,\"max_attempts\":3,\"slot\":\"s\","
                       "\"attempts\":[{\"attempt\":1,\"dispatched_at\":\"d1\",\"outcome\":"
                       "\"failed\",\"error_class\":\"server\",\"error\":\"502\"}]}]}";
    assert_int_equal(ltmctl_print_reply(out, stderr, "jobs", jobs, strlen(jobs)), 0);
    fclose(out);
    assert_non_null(strstr(buf, "post:acme:1  published  attempts 3/3"));
    assert_non_null(strstr(buf, "attempt 1  dispatched d1  failed (server: 502)"));
    free(buf);
    const char *refused = "{\"ok\":false,\"code\":\"not_found\",\"error\":\"unknown account\"}";
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(ltmctl_print_reply(null, null, "pause", refused, strlen(refused)),
                     LTMCTL_REFUSED);
    fclose(null);
    assert_int_equal(ltmctl_reply_status(refused, strlen(refused)), LTMCTL_REFUSED);
    assert_int_equal(ltmctl_reply_status(jobs, strlen(jobs)), LTMCTL_OK);
}

static void traffic_options(void **state)
{
    (void)state;
    ltmctl_args a;
    char err[300];
    cJSON *r = parse(0, err, sizeof err, &a, "traffic", NULL);
    assert_string_equal(a.command, "traffic");
    assert_string_equal(a.request_json, "{\"command\":\"traffic\"}"); /* defaults: scheduler's */
    cJSON_Delete(r);
    ltmctl_args_clear(&a);
    r = parse(0, err, sizeof err, &a, "traffic", "--days", "7", "--account", "acme", "--kind",
              "story", "--posts", "--limit", "1000", "--age", "7d", "--json", NULL);
    assert_true(a.json);
    assert_int_equal(cJSON_GetObjectItem(r, "days")->valueint, 7);
    assert_string_equal(cJSON_GetObjectItem(r, "account")->valuestring, "acme");
    assert_string_equal(cJSON_GetObjectItem(r, "kind")->valuestring, "story");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "posts")));
    assert_int_equal(cJSON_GetObjectItem(r, "limit")->valueint, 1000);
    assert_true(cJSON_GetObjectItem(r, "age_ms")->valuedouble == 7 * 86400000.0);
    cJSON_Delete(r);
    ltmctl_args_clear(&a);
    r = parse(0, err, sizeof err, &a, "traffic", "--posts", "--posts", NULL);
    assert_string_equal(a.request_json, "{\"command\":\"traffic\",\"posts\":true}");
    cJSON_Delete(r);
    ltmctl_args_clear(&a);
    static const struct {
        const char *args[3];
        const char *says;
    } bad[] = {
        {{"--days", "0"}, "--days \"0\": expected 1 to 365"},
        {{"--days", "366"}, "--days \"366\": expected 1 to 365"},
        {{"--days", "7d"}, "--days \"7d\": expected 1 to 365"},
        {{"--limit", "1001"}, "--limit \"1001\": expected 1 to 1000"},
        {{"--kind", "report"}, "--kind \"report\": expected post or story"},
        {{"--age", "500ms"}, "--age \"500ms\": expected a duration from 1s to 366d"},
        {{"--age", "367d"}, "--age \"367d\": expected a duration from 1s to 366d"},
        {{"--age", "a day"}, "--age \"a day\": expected a duration from 1s to 366d"},
        {{"--age"}, "--age needs a value"},
        {{"--since", "24h"}, "unexpected argument \"--since\""},
        {{"--wait"}, "unexpected argument \"--wait\""},
        {{"--days"}, "--days needs a value"},
        {{"acme"}, "unexpected argument \"acme\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[6] = {"ltmctl", "traffic"};
        int argc = 2;
        for (int k = 0; k < 3 && bad[i].args[k]; k++)
            argv[argc++] = (char *)bad[i].args[k];
        assert_int_equal(ltmctl_parse(argc, argv, NOW, &a, err, sizeof err), LTMCTL_USAGE);
        if (!strstr(err, bad[i].says))
            fail_msg("%s: got \"%s\"", bad[i].says, err);
        ltmctl_args_clear(&a);
    }
    parse(LTMCTL_USAGE, err, sizeof err, &a, "traffic", "--days", "3", "--days", "4", NULL);
    assert_string_equal(err, "--days given twice");
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "jobs", "--limit", "501", NULL);
    assert_string_equal(err, "--limit \"501\": expected 1 to 500");
    ltmctl_args_clear(&a);
    parse(LTMCTL_USAGE, err, sizeof err, &a, "jobs", "--posts", NULL);
    ltmctl_args_clear(&a);
}

/* Reads a fixture of tests/fixtures/ltmctl; caller frees. */
static char *fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LTM_FIXTURES_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    fclose(f);
    assert_true(n > 0 && n < 65535);
    return text;
}

/* traffic_reply.json is a reply as the scheduler sends it: an even count
 * (12.5), a row with nothing read yet, impressions not offered, a gone
 * post, a theme longer than a column; traffic_tables.txt what is printed. */
static void traffic_tables(void **state)
{
    (void)state;
    char *reply = fixture("traffic_reply.json"), *expected = fixture("traffic_tables.txt");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(ltmctl_print_reply(out, stderr, "traffic", reply, strlen(reply)), LTMCTL_OK);
    fclose(out);
    assert_string_equal(buf, expected);
    free(buf);
    free(reply);
    free(expected);
    /* Cut by the scheduler: said under the table and at the end. */
    const char *cut = "{\"ok\":true,\"days\":7,\"since\":\"2026-11-26T00:00:00.000Z\","
                      "\"posts_total\":3000,\"unread\":0,\"rankings\":{\"accounts\":[],"
                      "\"slots\":[{\"account\":\"a\",\"kind\":\"post\",\"weekday\":\"Mon\","
                      "\"time\":\"09:00\",\"posts\":1,\"unread\":0,\"median_engagement\":1,"
                      "\"median_impressions\":null,\"total_engagement\":1,\"best_post\":\"p\"}],"
                      "\"themes\":[]},\"rows_total\":{\"accounts\":0,\"slots\":2500,"
                      "\"themes\":0},\"truncated\":true}";
    out = open_memstream(&buf, &len);
    assert_int_equal(ltmctl_print_reply(out, stderr, "traffic", cut, strlen(cut)), LTMCTL_OK);
    fclose(out);
    assert_non_null(strstr(buf, "a        post  Mon 09:00      1       0           1            -"
                                "          1  p\n(the top 1 of 2500 rows)\n"));
    assert_non_null(strstr(buf, "\nAccounts\n  (none)\n"));
    assert_non_null(strstr(buf, "(the reply reached its size limit"));
    assert_null(strstr(buf, "Posts"));
    free(buf);
    /* The reference ages in the titles: one kind asked, checks off for one
     * kind, for both. */
    static const struct {
        const char *ages, *kind, *title;
    } titles[] = {
        {"{\"post\":3600000,\"story\":3600000}", NULL, "\nAccounts, figures at 1h\n"},
        {"{\"post\":86400000,\"story\":82800000}", "story", "\nAccounts, figures at 23h\n"},
        {"{\"post\":8000,\"story\":null}", NULL,
         "\nAccounts, figures at 8s (posts); stories: checks off, all unread\n"},
        {"{\"post\":null,\"story\":null}", NULL,
         "\nAccounts, no figures: engagement checks are off\n"},
    };
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
        char reply_text[512];
        snprintf(reply_text, sizeof reply_text,
                 "{\"ok\":true,\"days\":1,\"since\":\"2026-11-26T00:00:00.000Z\",\"posts_total\":0,"
                 "\"unread\":0,\"ages\":%s%s%s%s,\"rankings\":{\"accounts\":[],\"slots\":[],"
                 "\"themes\":[]},\"truncated\":false}",
                 titles[i].ages, titles[i].kind ? ",\"kind\":\"" : "",
                 titles[i].kind ? titles[i].kind : "", titles[i].kind ? "\"" : "");
        out = open_memstream(&buf, &len);
        assert_int_equal(ltmctl_print_reply(out, stderr, "traffic", reply_text, strlen(reply_text)),
                         LTMCTL_OK);
        fclose(out);
        if (!strstr(buf, titles[i].title))
            fail_msg("expected \"%s\" in:\n%s", titles[i].title, buf);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(post_request),
        cmocka_unit_test(jobs_pause_and_help),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(wait_outcomes),
        cmocka_unit_test(replies),
        cmocka_unit_test(traffic_options),
        cmocka_unit_test(traffic_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
