#ifndef LTM_TEXT_RULES_H
#define LTM_TEXT_RULES_H

#include "ltm/accounts.h"

#include <stddef.h>

/* Each channel's text rules, applied before anything is sent (the channels
 * do not all reject a bad text: LinkedIn silently cuts a commentary at the
 * first unescaped reserved character). docs/publishing.md lists them. */

/* Characters as people count them (UTF-8 code points). */
size_t ltm_utf8_length(const char *text);

/* 1 when text is valid UTF-8. */
int ltm_utf8_valid(const char *text);

/* Most characters a channel takes in one post; 0: no limit we know of. */
size_t ltm_channel_text_limit(ltm_channel_type type);

/* Checks a text against the channel's rules: NULL when fine, else a static
 * sentence prefix and *detail the measured figure (length, hashtags). */
const char *ltm_text_check(ltm_channel_type type, const char *text, size_t *detail);

/* LinkedIn "little text": backslash-escapes \ | { } @ [ ] ( ) < > # * _ ~,
 * except that a hashtag (#word) becomes the {hashtag|\#|word} template
 * LinkedIn renders as a hashtag. Caller frees; NULL on out of memory. */
char *ltm_linkedin_escape(const char *text);

/* Copy without leading/trailing white space; caller frees. */
char *ltm_trim_dup(const char *text);

#endif
