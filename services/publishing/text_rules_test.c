#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "publishing/text_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void linkedin_escapes_reserved_characters(void **state)
{
    (void)state;
    char *s = ltm_linkedin_escape("a\\b|c{d}e@f[g]h(i)j<k>l*m_n~o");
    assert_string_equal(s, "a\\\\b\\|c\\{d\\}e\\@f\\[g\\]h\\(i\\)j\\<k\\>l\\*m\\_n\\~o");
    free(s);
}

static void linkedin_keeps_hashtags_as_hashtags(void **state)
{
    (void)state;
    char *s = ltm_linkedin_escape("#small teams #grow_fast, not#this, # alone, #ação");
    assert_string_equal(s, "{hashtag|\\#|small} teams {hashtag|\\#|grow\\_fast}, not\\#this, \\# "
                           "alone, {hashtag|\\#|ação}");
    free(s);
    s = ltm_linkedin_escape("#a#b");
    assert_string_equal(s, "{hashtag|\\#|a}\\#b");
    free(s);
}

static void lengths_count_characters_not_bytes(void **state)
{
    (void)state;
    assert_int_equal(ltm_utf8_length("ação"), 4);
    char *text = malloc(3001 * 2 + 1);
    for (int i = 0; i < 3001; i++)
        memcpy(text + 2 * i, "é", 2);
    text[3001 * 2] = '\0';
    size_t figure = 0;
    assert_non_null(ltm_text_check(LTM_CHANNEL_LINKEDIN, text, &figure));
    assert_int_equal(figure, 3001);
    text[3000 * 2] = '\0';
    assert_null(ltm_text_check(LTM_CHANNEL_LINKEDIN, text, &figure));
    assert_non_null(ltm_text_check(LTM_CHANNEL_INSTAGRAM, text, &figure));
    assert_null(ltm_text_check(LTM_CHANNEL_WEBHOOK, text, &figure));
    free(text);
}

static void instagram_counts_hashtags(void **state)
{
    (void)state;
    char text[400] = "";
    for (int i = 0; i < 30; i++)
        sprintf(text + strlen(text), "#t%d ", i);
    size_t figure;
    assert_null(ltm_text_check(LTM_CHANNEL_INSTAGRAM, text, &figure));
    strcat(text, "#last");
    assert_non_null(ltm_text_check(LTM_CHANNEL_INSTAGRAM, text, &figure));
    assert_int_equal(figure, 31);
}

static void invalid_utf8_is_refused(void **state)
{
    (void)state;
    size_t figure;
    assert_non_null(ltm_text_check(LTM_CHANNEL_WEBHOOK, "bad \xc3(", &figure));
    assert_non_null(ltm_text_check(LTM_CHANNEL_WEBHOOK, "\xc0\xaf", &figure));
    assert_int_equal(ltm_utf8_valid("ok ✓"), 1);
}

static void trim(void **state)
{
    (void)state;
    char *s = ltm_trim_dup("\n  hello world \t\n");
    assert_string_equal(s, "hello world");
    free(s);
    s = ltm_trim_dup("   ");
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linkedin_escapes_reserved_characters),
        cmocka_unit_test(linkedin_keeps_hashtags_as_hashtags),
        cmocka_unit_test(lengths_count_characters_not_bytes),
        cmocka_unit_test(instagram_counts_hashtags),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
