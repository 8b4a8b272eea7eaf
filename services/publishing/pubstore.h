#ifndef LTM_PUBSTORE_H
#define LTM_PUBSTORE_H

#include <stddef.h>
#include <stdint.h>

/* The worker's durable memory of what it published, in SQLite under its
 * data dir, so a job is never published twice by this replica:
 * - "published" rows answer a re-dispatched job (its result was lost, its
 *   lease expired) with the same remote id instead of a second post;
 * - a "sending" row is written before the publishing request goes out and
 *   removed when the channel answered definitely: one still there at the next
 *   attempt means the outcome is unknown (crash, lost answer), so the worker
 *   checks the channel before it sends again;
 * - a "prepared" row keeps a channel handle that was found ready and not
 *   published (an Instagram container that is FINISHED): the next attempt of
 *   the job checks it and publishes it instead of preparing a new one.
 * Every write is committed before the request it guards is sent. With
 * full_sync each commit is also fsynced (SQLite synchronous=FULL) and
 * survives a power loss; without it (synchronous=NORMAL in WAL mode) it
 * survives a crash of the process but not of the machine, at a fraction of
 * the cost (docs/benchmarks/publishing.md has the figures). */

typedef struct ltm_pubstore ltm_pubstore;

typedef enum {
    LTM_PUB_NONE = 0,
    LTM_PUB_SENDING,
    LTM_PUB_PUBLISHED,
    LTM_PUB_PREPARED,
} ltm_pub_state;

typedef struct {
    ltm_pub_state state;
    char *channel;
    char *remote_id;
    char *ref;       /* channel handle for the check (Instagram container id) */
    char *text;      /* what was sent (LinkedIn's check compares it) */
    int64_t updated_ms;
} ltm_pub_record;

void ltm_pub_record_clear(ltm_pub_record *r);

/* Opens or creates the database (and adds the "prepared" state to one
 * created by an earlier version); err gets SQLite's message. */
int ltm_pubstore_open(const char *path, int full_sync, ltm_pubstore **out, char *err,
                      size_t err_size);
void ltm_pubstore_close(ltm_pubstore *store);

/* 0 with out->state LTM_PUB_NONE when the job is unknown; LTM_EDB on error. */
int ltm_pubstore_get(ltm_pubstore *store, const char *job_id, ltm_pub_record *out);
int ltm_pubstore_sending(ltm_pubstore *store, const char *job_id, const char *channel,
                         const char *ref, const char *text, int64_t now_ms);
int ltm_pubstore_published(ltm_pubstore *store, const char *job_id, const char *channel,
                           const char *remote_id, int64_t now_ms);
/* Replaces a sending row (or none) by a prepared one; ref is required. */
int ltm_pubstore_prepared(ltm_pubstore *store, const char *job_id, const char *channel,
                          const char *ref, const char *text, int64_t now_ms);
/* Deletes the job's sending or prepared row; a published row stays. */
int ltm_pubstore_forget(ltm_pubstore *store, const char *job_id);
/* Deletes rows last changed before cutoff_ms; *deleted may be NULL. */
int ltm_pubstore_prune(ltm_pubstore *store, int64_t cutoff_ms, int *deleted);

#endif
