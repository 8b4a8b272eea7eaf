#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ltm/accounts.h"
#include "ltm/error.h"

#include <stdio.h>
#include <string.h>

#define FIX LTM_FIXTURES_DIR "/publishing/"

static const char *lookup(const char *name, void *ctx)
{
    const char **env = ctx;
    for (; env[0]; env += 2)
        if (strcmp(env[0], name) == 0)
            return env[1];
    return NULL;
}

static void valid_file_for_posts(void **state)
{
    (void)state;
    ltm_accounts *a = NULL;
    char err[400] = "";
    assert_int_equal(ltm_accounts_load(FIX "accounts-valid.json", &a, err, sizeof err),
                     LTM_OK);
    assert_int_equal(a->count, 4);
    const ltm_account *acme = ltm_accounts_find(a, "acme");
    assert_non_null(acme);
    assert_string_equal(acme->timezone, "Europe/Berlin");
    assert_int_equal(acme->channel.type, LTM_CHANNEL_LINKEDIN);
    assert_string_equal(acme->channel.author, "urn:li:organization:12345");
    assert_string_equal(acme->channel.visibility, "PUBLIC");
    assert_string_equal(acme->themes[1], "product tips"); /* Monday */
    assert_string_equal(acme->themes[5], "team culture");
    assert_null(acme->themes[0]);
    assert_string_equal(acme->images.prompt, "a bright office");
    const ltm_account *shop = ltm_accounts_find(a, "shop.br");
    assert_int_equal(shop->channel.type, LTM_CHANNEL_RAPIDAPI);
    assert_string_equal(shop->channel.token_env, "RAPIDAPI_KEY"); /* the default */
    assert_string_equal(shop->channel.text_field, "message");
    assert_string_equal(shop->channel.extra_json, "{\"network\":\"linkedin\"}");
    assert_int_equal(ltm_accounts_find(a, "plain")->channel.type, LTM_CHANNEL_SANDBOX);
    assert_null(ltm_accounts_find(a, "nobody"));
    ltm_accounts_free(a);
}

static void valid_file_for_stories(void **state)
{
    (void)state;
    ltm_accounts *a = NULL;
    char err[400];
    assert_int_equal(ltm_accounts_load(FIX "accounts-valid.json", &a, err, sizeof err),
                     LTM_OK);
    const ltm_account *acme = ltm_accounts_find(a, "acme");
    assert_int_equal(ltm_account_channel(acme, LTM_JOB_STORY)->type, LTM_CHANNEL_INSTAGRAM);
    assert_int_equal(ltm_account_images(acme, LTM_JOB_STORY)->count, 2);
    assert_int_equal(ltm_accounts_find(a, "plain")->stories_channel.type, LTM_CHANNEL_SANDBOX);
    ltm_accounts_free(a);
}

static void expect_error(const char *file, const char *message)
{
    ltm_accounts *a = NULL;
    char err[400] = "";
    assert_int_not_equal(ltm_accounts_load(file, &a, err, sizeof err), LTM_OK);
    assert_null(a);
    if (!strstr(err, message))
        fail_msg("error \"%s\" lacks \"%s\"", err, message);
}

static void errors_name_account_and_field(void **state)
{
    (void)state;
    expect_error(FIX "accounts-token-in-file.json",
                 "account \"leaky\": field channel.token_env: expected the NAME");
    expect_error(FIX "accounts-linkedin-stories.json",
                 "account \"acme\": field stories.channel.type: linkedin has no stories API");
    expect_error(FIX "accounts-instagram-png.json",
                 "account \"ig\": field content.image_urls[1]: Instagram takes JPEG only");
    expect_error(FIX "accounts-duplicate-name.json",
                 "account \"a\": field name: the same name is used by accounts[0]");
    expect_error(FIX "no-such-file.json", "cannot read the accounts file");
}

static void parse_rejects_bad_fields(void **state)
{
    (void)state;
    const struct {
        const char *json, *message;
    } cases[] = {
        {"[]", "expected a JSON object"},
        {"{\"accounts\": {}}", "field accounts: expected an array"},
        {"{\"accounts\": [{\"name\": \"a b\"}]}", "field accounts[0].name: expected 1 to 64"},
        {"{\"accounts\": [{\"name\": \"x\", \"channel\": {\"type\": \"myspace\"}}]}",
         "account \"x\": field channel.type: expected sandbox, linkedin"},
        {"{\"accounts\": [{\"name\": \"x\", \"channel\": {\"type\": \"linkedin\", \"author\": "
         "\"bob\", \"token_env\": \"T\"}}]}",
         "account \"x\": field channel.author: expected urn:li:person"},
        {"{\"accounts\": [{\"name\": \"x\", \"channel\": {\"type\": \"webhook\", \"url\": "
         "\"ftp://x\"}}]}",
         "account \"x\": field channel.url: expected an http"},
        {"{\"accounts\": [{\"name\": \"x\", \"content\": {\"themes\": {\"funday\": \"x\"}}}]}",
         "account \"x\": field content.themes.funday: expected a weekday"},
        /* Found by tests/fuzz/fuzz_accounts: the second "fri" leaked the first. */
        {"{\"accounts\": [{\"name\": \"x\", \"content\": {\"themes\": {\"fri\": \"a\", "
         "\"fri\": \"b\"}}}]}",
         "account \"x\": field content.themes.fri: the same weekday is listed twice"},
        {"{\"accounts\": [{\"name\": \"x\", \"channel\": {\"type\": \"instagram\", \"user_id\": "
         "\"abc\", \"token_env\": \"T\"}}]}",
         "account \"x\": field channel.user_id: expected the numeric"},
        {"{\"accounts\": [{\"name\": \"x\", \"channel\": {\"type\": \"rapidapi\", \"host\": "
         "\"h.example\", \"path\": \"post\"}}]}",
         "account \"x\": field channel.path: expected a path starting with /"},
        /* One reader: what only the scheduler used to check stops a worker
         * too, and a stories channel stops the poster as well. */
        {"{\"accounts\": [{\"name\": \"x\", \"schedule\": {\"posts\": [\"9:00\"]}}]}",
         "account \"x\": field schedule.posts[0]: expected HH:MM (00:00 to 23:59)"},
        {"{\"accounts\": [{\"name\": \"x\", \"timezone\": \"Europe/Atlantis\"}]}",
         "account \"x\": field timezone: unknown time zone (not in the system tzdata)"},
        {"{\"accounts\": [{\"name\": \"x\", \"stories\": {\"channel\": {\"type\": "
         "\"rapidapi\"}}}]}",
         "account \"x\": field stories.channel.host: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ltm_accounts *a = NULL;
        char err[400] = "";
        assert_int_equal(ltm_accounts_parse(cases[i].json, strlen(cases[i].json), &a, err, sizeof err),
                         LTM_EINVAL);
        if (!strstr(err, cases[i].message))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, cases[i].message);
    }
}

static void resolve_reads_tokens_and_names_missing_ones(void **state)
{
    (void)state;
    ltm_accounts *a = NULL;
    char err[400] = "";
    assert_int_equal(ltm_accounts_load(FIX "accounts-valid.json", &a, err, sizeof err),
                     LTM_OK);
    const char *partial[] = {"ACME_LINKEDIN_TOKEN", "li-token", NULL};
    assert_int_equal(ltm_accounts_resolve(a, LTM_JOB_POST, lookup, partial, err, sizeof err),
                     LTM_ECONFIG);
    assert_non_null(strstr(err, "account \"shop.br\": field channel.key_env: environment "
                                "variable RAPIDAPI_KEY is not set"));
    const char *full[] = {"ACME_LINKEDIN_TOKEN", "li-token", "RAPIDAPI_KEY", "ra-key", NULL};
    assert_int_equal(ltm_accounts_resolve(a, LTM_JOB_POST, lookup, full, err, sizeof err), LTM_OK);
    assert_string_equal(ltm_accounts_find(a, "acme")->channel.token, "li-token");
    assert_null(ltm_accounts_find(a, "hooked")->channel.token); /* optional, not named */
    ltm_accounts_free(a);

    /* Leniently: what is set is resolved, a missing one only counted. */
    assert_int_equal(ltm_accounts_load(FIX "accounts-valid.json", &a, err, sizeof err),
                     LTM_OK);
    size_t missing = 9;
    assert_int_equal(ltm_accounts_resolve_available(a, LTM_JOB_POST, lookup, partial, &missing),
                     LTM_OK);
    assert_int_equal(missing, 1);
    assert_string_equal(ltm_accounts_find(a, "acme")->channel.token, "li-token");
    assert_null(ltm_accounts_find(a, "shop.br")->channel.token);
    assert_true(ltm_channel_token_missing(&ltm_accounts_find(a, "shop.br")->channel));
    assert_false(ltm_channel_token_missing(&ltm_accounts_find(a, "acme")->channel));
    assert_false(ltm_channel_token_missing(&ltm_accounts_find(a, "hooked")->channel));
    ltm_accounts_free(a);
}

static void example_files_are_valid(void **state)
{
    (void)state;
    const char *files[] = {LTM_FIXTURES_DIR "/../../config/accounts.example.json",
                           LTM_FIXTURES_DIR "/../../config/accounts.live.example.json"};
    for (size_t i = 0; i < 2; i++) {
        ltm_accounts *a = NULL;
        char err[400] = "";
        if (ltm_accounts_load(files[i], &a, err, sizeof err) != LTM_OK)
            fail_msg("%s", err);
        assert_true(a->count >= 1);
        ltm_accounts_free(a);
    }
}

/* Engagement reads through RapidAPI: an optional stats request. */
static void rapidapi_stats_request(void **state)
{
    (void)state;
    const char *json =
        "{\"accounts\": [{\"name\": \"r\", \"channel\": {\"type\": \"rapidapi\", \"host\": "
        "\"li-data.p.rapidapi.com\", \"path\": \"/post\", \"stats_path\": \"/get-post?urn={id}\", "
        "\"stats_fields\": {\"reactions\": \"data.totalReactionCount\", \"comments\": "
        "\"data.commentsCount\", \"shares\": \"data.items.0.reposts\"}}}, "
        "{\"name\": \"plain\", \"channel\": {\"type\": \"rapidapi\", \"host\": \"h.example\", "
        "\"path\": \"/post\"}}]}";
    ltm_accounts *a = NULL;
    char err[400] = "";
    assert_int_equal(ltm_accounts_parse(json, strlen(json), &a, err, sizeof err), LTM_OK);
    const ltm_channel *ch = &ltm_accounts_find(a, "r")->channel;
    assert_string_equal(ch->stats_path, "/get-post?urn={id}");
    assert_null(ch->stats_fields[0]); /* impressions: not offered */
    assert_null(ch->stats_fields[1]);
    assert_string_equal(ch->stats_fields[2], "data.totalReactionCount");
    assert_string_equal(ch->stats_fields[3], "data.commentsCount");
    assert_string_equal(ch->stats_fields[4], "data.items.0.reposts");
    assert_null(ch->stats_fields[5]);
    ch = &ltm_accounts_find(a, "plain")->channel;
    assert_null(ch->stats_path);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        assert_null(ch->stats_fields[i]);
    ltm_accounts_free(a);

    const struct {
        const char *channel;
        const char *message;
    } bad[] = {
        {"\"stats_path\": \"/get-post\", \"stats_fields\": {\"reactions\": \"likes\"}",
         "field channel.stats_path: expected a path starting with / that holds {id}"},
        {"\"stats_path\": \"get/{id}\", \"stats_fields\": {\"reactions\": \"likes\"}",
         "field channel.stats_path: expected a path starting with /"},
        {"\"stats_path\": \"/p/{id}\"", "field channel.stats_fields: expected an object"},
        {"\"stats_path\": \"/p/{id}\", \"stats_fields\": {}", "field channel.stats_fields: expected"},
        {"\"stats_fields\": {\"reactions\": \"likes\"}", "field channel.stats_fields: needs stats_path"},
        {"\"stats_path\": \"/p/{id}\", \"stats_fields\": {\"likes\": \"likes\"}",
         "field channel.stats_fields.likes: expected one of impressions, reach"},
        {"\"stats_path\": \"/p/{id}\", \"stats_fields\": {\"reactions\": 3}",
         "field channel.stats_fields.reactions: expected a dotted path"},
        {"\"stats_path\": \"/p/{id}\", \"stats_fields\": {\"reactions\": \"data..likes\"}",
         "field channel.stats_fields.reactions: expected a dotted path"},
        {"\"stats_path\": \"/p/{id}\", \"stats_fields\": {\"reactions\": \"data.likes\", "
         "\"comments\": \"$.x\"}",
         "field channel.stats_fields.comments: expected a dotted path"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[600];
        snprintf(text, sizeof text, "{\"accounts\": [{\"name\": \"r\", \"channel\": {\"type\": "
                                    "\"rapidapi\", \"host\": \"h.example\", \"path\": \"/post\", "
                                    "%s}}]}", bad[i].channel);
        a = NULL;
        err[0] = '\0';
        assert_int_equal(ltm_accounts_parse(text, strlen(text), &a, err, sizeof err), LTM_EINVAL);
        assert_null(a);
        if (!strstr(err, bad[i].message) || !strstr(err, "account \"r\""))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, bad[i].message);
    }
    /* A figure named twice keeps the last path, without a leak (ASan). */
    const char *twice = "{\"accounts\": [{\"name\": \"r\", \"channel\": {\"type\": \"rapidapi\", "
                        "\"host\": \"h.example\", \"path\": \"/post\", \"stats_path\": \"/p/{id}\", "
                        "\"stats_fields\": {\"shares\": \"a\", \"shares\": \"b\"}}}]}";
    assert_int_equal(ltm_accounts_parse(twice, strlen(twice), &a, err, sizeof err), LTM_OK);
    assert_string_equal(a->items[0].channel.stats_fields[4], "b");
    ltm_accounts_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_file_for_posts),
        cmocka_unit_test(valid_file_for_stories),
        cmocka_unit_test(errors_name_account_and_field),
        cmocka_unit_test(parse_rejects_bad_fields),
        cmocka_unit_test(resolve_reads_tokens_and_names_missing_ones),
        cmocka_unit_test(example_files_are_valid),
        cmocka_unit_test(rapidapi_stats_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
