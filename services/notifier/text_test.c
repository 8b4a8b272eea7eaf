#include "test_util.h"
#include "text.h"

#include <string.h>

static void escapes_the_three_html_characters(void **state)
{
    (void)state;
    char *s = ntf_html_escape("a<b & c>d");
    assert_string_equal(s, "a&lt;b &amp; c&gt;d");
    free(s);
}

static void repairs_invalid_utf8_and_controls(void **state)
{
    (void)state;
    char *s = ntf_html_escape("ok \xC3\xA9 \xFF\xC0\xAF x\x01y\nz \xED\xA0\x80");
    assert_string_equal(s, "ok \xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD x y\nz "
                           "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    free(s);
}

static void hostile_fixture_round_trips_through_plain(void **state)
{
    (void)state;
    char *hostile = fixture("hostile.txt", NULL);
    char *html = ntf_html_escape(hostile);
    assert_null(strchr(html, '<'));
    assert_null(strchr(html, '>'));
    char *back = ntf_html_to_plain(html);
    assert_string_equal(back, hostile);
    free(hostile);
    free(html);
    free(back);
}

static void plain_strips_tags(void **state)
{
    (void)state;
    char *s = ntf_html_to_plain("<b>x</b> &lt;y&gt; &amp;amp; &quot;");
    assert_string_equal(s, "x <y> &amp; \"");
    free(s);
}

static void short_text_is_one_part_without_prefix(void **state)
{
    (void)state;
    char **parts;
    size_t n;
    assert_int_equal(ntf_split("hello", 100, &parts, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(parts[0], "hello");
    ntf_parts_free(parts, n);
}

static void long_text_splits_at_lines_within_the_limit(void **state)
{
    (void)state;
    ntf_buf b = {0};
    for (int i = 0; i < 400; i++)
        ntf_buf_printf(&b, "line %03d &amp; \xC3\xA9t\xC3\xA9\n", i);
    char *text = ntf_buf_finish(&b);
    char **parts;
    size_t n;
    assert_int_equal(ntf_split(text, 4096, &parts, &n), 0);
    assert_true(n >= 2);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(parts[i]) <= 4096);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "(%zu/%zu) ", i + 1, n);
        assert_memory_equal(parts[i], prefix, strlen(prefix));
        total += strlen(parts[i]) - strlen(prefix);
        /* every part ends at a line break except the last */
        if (i + 1 < n)
            assert_int_equal(parts[i][strlen(parts[i]) - 1], '\n');
    }
    assert_int_equal(total, strlen(text));
    ntf_parts_free(parts, n);
    free(text);
}

static void one_long_line_never_cuts_an_entity_or_a_character(void **state)
{
    (void)state;
    ntf_buf b = {0};
    for (int i = 0; i < 300; i++)
        ntf_buf_printf(&b, "&amp;\xE2\x82\xAC<b>x</b>");
    char *text = ntf_buf_finish(&b);
    char **parts;
    size_t n;
    assert_int_equal(ntf_split(text, 500, &parts, &n), 0);
    for (size_t i = 0; i < n; i++) {
        const char *body = strchr(parts[i], ' ') + 1;
        assert_true(strlen(parts[i]) <= 500);
        /* starts on an entity, a tag or a character boundary */
        assert_true(((unsigned char)body[0] & 0xC0) != 0x80);
        size_t len = strlen(body);
        const char *amp = strrchr(body, '&');
        assert_true(!amp || strchr(amp, ';'));
        const char *lt = strrchr(body, '<');
        assert_true(!lt || strchr(lt, '>'));
        (void)len;
    }
    ntf_parts_free(parts, n);
    free(text);
}

static void tiny_limit_is_refused(void **state)
{
    (void)state;
    char **parts;
    size_t n;
    assert_int_equal(ntf_split("x", 10, &parts, &n), -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes_the_three_html_characters),
        cmocka_unit_test(repairs_invalid_utf8_and_controls),
        cmocka_unit_test(hostile_fixture_round_trips_through_plain),
        cmocka_unit_test(plain_strips_tags),
        cmocka_unit_test(short_text_is_one_part_without_prefix),
        cmocka_unit_test(long_text_splits_at_lines_within_the_limit),
        cmocka_unit_test(one_long_line_never_cuts_an_entity_or_a_character),
        cmocka_unit_test(tiny_limit_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
