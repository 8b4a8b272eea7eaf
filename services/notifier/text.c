#include "text.h"

#include "ltm/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. Rejects
 * overlong forms and surrogates, which Telegram refuses as well. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned min;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        min = 0x80;
        c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        min = 0x800;
        c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    return n;
}

static void buf_reserve(ntf_buf *b, size_t extra)
{
    if (b->failed || b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return;
    }
    b->data = p;
    b->cap = cap;
}

static void buf_append(ntf_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ntf_buf_printf(ntf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    buf_reserve(b, (size_t)n);
    if (b->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ntf_buf_escaped(ntf_buf *b, const char *text)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    while (*s) {
        size_t n = utf8_seq(s);
        if (n == 0) {
            buf_append(b, "\xEF\xBF\xBD", 3); /* U+FFFD */
            s++;
        } else if (*s == '&') {
            buf_append(b, "&amp;", 5);
            s++;
        } else if (*s == '<') {
            buf_append(b, "&lt;", 4);
            s++;
        } else if (*s == '>') {
            buf_append(b, "&gt;", 4);
            s++;
        } else if ((*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7F) {
            buf_append(b, " ", 1);
            s++;
        } else {
            buf_append(b, (const char *)s, n);
            s += n;
        }
    }
}

char *ntf_buf_finish(ntf_buf *b)
{
    if (b->failed) {
        free(b->data);
        memset(b, 0, sizeof *b);
        return NULL;
    }
    if (!b->data)
        buf_append(b, "", 0);
    char *out = b->data;
    memset(b, 0, sizeof *b);
    return out;
}

char *ntf_html_escape(const char *text)
{
    ntf_buf b = {0};
    ntf_buf_escaped(&b, text);
    return ntf_buf_finish(&b);
}

char *ntf_html_to_plain(const char *html)
{
    ntf_buf b = {0};
    static const struct {
        const char *entity, *ch;
    } entities[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}};
    const char *s = html ? html : "";
    while (*s) {
        if (*s == '<') {
            const char *end = strchr(s, '>');
            if (end) {
                s = end + 1;
                continue;
            }
        }
        if (*s == '&') {
            size_t i;
            for (i = 0; i < sizeof entities / sizeof entities[0]; i++) {
                size_t n = strlen(entities[i].entity);
                if (strncmp(s, entities[i].entity, n) == 0) {
                    buf_append(&b, entities[i].ch, 1);
                    s += n;
                    break;
                }
            }
            if (i < sizeof entities / sizeof entities[0])
                continue;
        }
        buf_append(&b, s, 1);
        s++;
    }
    return ntf_buf_finish(&b);
}

/* Where to cut text[0..len) so the first piece has at most max bytes: the
 * last line break if there is one in the second half, else a position that
 * is not inside a UTF-8 sequence, an entity (&...;) or a tag (<...>). */
static size_t cut_point(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    for (size_t i = max; i > max / 2; i--) {
        if (text[i - 1] == '\n')
            return i;
    }
    size_t cut = max;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    for (size_t i = cut; i > 0 && cut - i < 16; i--) {
        char c = text[i - 1];
        if (c == ';' || c == '>' || c == ' ' || c == '\n')
            break;
        if (c == '&' || c == '<') {
            cut = i - 1;
            break;
        }
    }
    return cut > 0 ? cut : max;
}

void ntf_parts_free(char **parts, size_t count)
{
    for (size_t i = 0; parts && i < count; i++)
        free(parts[i]);
    free(parts);
}

int ntf_split(const char *text, size_t max, char ***parts, size_t *count)
{
    *parts = NULL;
    *count = 0;
    if (max < 64)
        return LTM_EINVAL;
    /* Room for the "(99/99) " prefix of the later parts. */
    const size_t prefix_room = 16;
    size_t len = strlen(text);
    size_t n = 0, cap = 0;
    char **out = NULL;
    size_t pos = 0;
    do {
        size_t room = len <= max ? max : max - prefix_room;
        size_t cut = cut_point(text + pos, len - pos, room);
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            char **p = realloc(out, cap * sizeof *out);
            if (!p) {
                ntf_parts_free(out, n);
                return LTM_ENOMEM;
            }
            out = p;
        }
        out[n] = strndup(text + pos, cut);
        if (!out[n]) {
            ntf_parts_free(out, n);
            return LTM_ENOMEM;
        }
        n++;
        pos += cut;
    } while (pos < len);
    for (size_t i = 0; n > 1 && i < n; i++) {
        ntf_buf b = {0};
        ntf_buf_printf(&b, "(%zu/%zu) %s", i + 1, n, out[i]);
        char *p = ntf_buf_finish(&b);
        if (!p) {
            ntf_parts_free(out, n);
            return LTM_ENOMEM;
        }
        free(out[i]);
        out[i] = p;
    }
    *parts = out;
    *count = n;
    return LTM_OK;
}
