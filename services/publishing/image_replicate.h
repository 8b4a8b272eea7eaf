#ifndef LTM_IMAGE_REPLICATE_H
#define LTM_IMAGE_REPLICATE_H

#include "publishing/classify.h"
#include "publishing/task.h"

#include <stddef.h>

/* An image from a Replicate model: create the prediction (holding the
 * answer with "Prefer: wait"), poll urls.get until it ends, bounded by
 * LTM_REPLICATE_TIMEOUT. Replicate deletes outputs after an hour, so the URL
 * is handed to the channel in the same attempt and never stored. */

/* Request body for prompt; story asks for 9:16 (1080x1920), a post for 1:1;
 * always JPEG, the one format every channel takes. version is NULL for an
 * official model addressed by name. Caller frees. */
char *ltm_replicate_body(const char *version, const char *prompt, int story);

/* Reads a prediction. Returns 1 with *output (caller frees) when it
 * succeeded, 0 with *poll_url (caller frees) while it runs, LTM_EINVAL with
 * out filled when it failed, was canceled or cannot be read. */
int ltm_replicate_parse(const char *body, size_t len, char **output, char **poll_url,
                        ltm_outcome *out);

/* Stage: fills t->image_url from prompt, then t->done. */
void ltm_replicate_image(ltm_task *t, const char *prompt);

#endif
