#ifndef NTF_TEXT_H
#define NTF_TEXT_H

#include <stddef.h>

/* Message text for Telegram's HTML parse mode
 * (https://core.telegram.org/bots/api#html-style): only &, < and > must be
 * escaped, and the text must be valid UTF-8. Every string that comes from
 * outside (account names, error texts, alert summaries) goes through
 * ntf_html_escape before it is put into a message. */

/* Escapes & < > and replaces invalid UTF-8 and control characters other than
 * newline and tab, so no input can break the message. Caller frees. */
char *ntf_html_escape(const char *text);

/* The same text without tags and entities, for the plain-text fallback after
 * a "can't parse entities" answer. Caller frees. */
char *ntf_html_to_plain(const char *html);

/* Splits text into parts of at most max bytes (max >= 64), preferring line
 * breaks, never cutting inside a UTF-8 sequence, an entity or a tag. Parts
 * are prefixed "(i/n) " when there are several. *parts is an array of count strings;
 * free with ntf_parts_free. */
int ntf_split(const char *text, size_t max, char ***parts, size_t *count);
void ntf_parts_free(char **parts, size_t count);

/* Appends printf-formatted text to a growing buffer (*buf may be NULL).
 * Returns 0 or LTM_ENOMEM (the buffer is kept). */
typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} ntf_buf;
void ntf_buf_printf(ntf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text escaped for HTML. */
void ntf_buf_escaped(ntf_buf *b, const char *text);
/* Returns the text (caller frees) or NULL when an allocation failed. */
char *ntf_buf_finish(ntf_buf *b);

#endif
