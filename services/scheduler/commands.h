#ifndef SCHED_COMMANDS_H
#define SCHED_COMMANDS_H

#include "engine.h"

#include <stddef.h>

/* Operator requests on ltm/commands/scheduler (docs/ltmctl.md):
 *   {"request_id":"...","command":"post|story|jobs|pause|resume|traffic", ...}
 * answered on ltm/replies/<request_id> with {"request_id","ok",...}. */

/* Handles one request. *reply_topic and *reply are set (caller frees) when
 * an answer is due; when the request cannot even be answered (no usable
 * request_id) both stay NULL and reason says why, for the dead-letter queue.
 * Returns 0 when the request was well-formed (even if refused), LTM_EINVAL
 * when it was malformed. */
int commands_handle(engine *e, const char *payload, size_t len, int64_t now_ms,
                    char **reply_topic, char **reply, char *reason, size_t reason_size);

/* Request ids become topic levels: 1-64 of A-Z a-z 0-9 - _ . */
int commands_valid_request_id(const char *id);

#endif
