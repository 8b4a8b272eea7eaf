/* Each channel's text rules, applied before anything is sent. */
#include "publishing/text_rules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t ltm_utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

int ltm_utf8_valid(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        int extra = *s < 0x80 ? 0 : (*s & 0xE0) == 0xC0 ? 1 : (*s & 0xF0) == 0xE0 ? 2
                                   : (*s & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0 || (extra == 1 && *s < 0xC2))
            return 0;
        s++;
        for (int i = 0; i < extra; i++, s++)
            if ((*s & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

size_t ltm_channel_text_limit(ltm_channel_type type)
{
    switch (type) {
    case LTM_CHANNEL_LINKEDIN: return 3000;
    case LTM_CHANNEL_INSTAGRAM: return 2200;
    default: return 0;
    }
}

static size_t count_hashtags(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        if (*p == '#' && (p == s || isspace((unsigned char)p[-1])) &&
            (isalnum((unsigned char)p[1]) || (unsigned char)p[1] >= 0x80 || p[1] == '_'))
            n++;
    return n;
}

const char *ltm_text_check(ltm_channel_type type, const char *text, size_t *detail)
{
    *detail = 0;
    if (!ltm_utf8_valid(text))
        return "the text is not valid UTF-8";
    size_t limit = ltm_channel_text_limit(type);
    size_t len = ltm_utf8_length(text);
    if (limit && len > limit) {
        *detail = len;
        return type == LTM_CHANNEL_INSTAGRAM ? "the caption is longer than Instagram's 2,200 "
                                               "characters; length"
                                             : "the commentary is longer than LinkedIn's 3,000 "
                                               "characters; length";
    }
    if (type == LTM_CHANNEL_INSTAGRAM && count_hashtags(text) > 30) {
        *detail = count_hashtags(text);
        return "the caption has more than Instagram's 30 hashtags; hashtags";
    }
    return NULL;
}

static int hashtag_word_len(const char *p)
{
    int n = 0;
    while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '_' || (unsigned char)p[n] >= 0x80))
        n++;
    return n;
}

char *ltm_linkedin_escape(const char *text)
{
    static const char reserved[] = "\\|{}@[]()<>#*_~";
    size_t len = strlen(text);
    /* Worst case: every byte is a one-letter hashtag, "{hashtag|\#|x}" is 14
     * bytes for 2 of input; 8x covers it. */
    char *out = malloc(len * 8 + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = text; *p; p++) {
        int word = *p == '#' && (p == text || isspace((unsigned char)p[-1])) ? hashtag_word_len(p + 1) : 0;
        if (word > 0) {
            memcpy(o, "{hashtag|\\#|", 12);
            o += 12;
            for (int i = 0; i < word; i++) {
                if (strchr(reserved, p[1 + i]))
                    *o++ = '\\';
                *o++ = p[1 + i];
            }
            *o++ = '}';
            p += word;
            continue;
        }
        if (strchr(reserved, *p))
            *o++ = '\\';
        *o++ = *p;
    }
    *o = '\0';
    return out;
}

char *ltm_trim_dup(const char *text)
{
    while (*text && isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    return strndup(text, n);
}
