#ifndef LTM_GENERATE_OPENAI_H
#define LTM_GENERATE_OPENAI_H

#include "ltm/accounts.h"
#include "publishing/classify.h"
#include "ltm/msg.h"
#include "publishing/task.h"

#include <stddef.h>

/* Post text from the OpenAI Chat Completions API or any server that speaks
 * it (OPENAI_BASE_URL): the account's prompt, the theme of the slot's
 * weekday in the account's time zone, and the job's own prompt. */

/* Request body; weekday 0 = Sunday, -1 = no theme. char_limit is what the
 * channel accepts. Caller frees. */
char *ltm_openai_body(const char *model, int max_tokens, const ltm_account *account,
                      const ltm_job *job, int weekday, size_t char_limit);

/* Reads a 2xx answer: 0 and *text (caller frees), or LTM_EINVAL with out
 * filled (refusal, no content, text cut at the token limit, malformed). */
int ltm_openai_parse(const char *body, size_t len, char **text, ltm_outcome *out);

/* Weekday (0 = Sunday) of an instant in an IANA zone; UTC when the zone is
 * NULL or unknown. */
int ltm_weekday_in_zone(const char *zone, int64_t utc_ms);

/* The theme a generated text of this account's slot is written on: the
 * account's theme of the slot's weekday in its time zone; NULL when none.
 * Points into the account. */
const char *ltm_slot_theme(const ltm_account *account, int64_t slot_ms);

/* Stage: fills t->text, then t->done. */
void ltm_openai_generate(ltm_task *t);

#endif
