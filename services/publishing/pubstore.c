/* The publication record (<service>-publications.db): never publish a job twice. */
#include "publishing/pubstore.h"
#include "ltm/error.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Commits only append to the WAL; copying it back into the database (a
 * checkpoint) is what fsyncs, and on a busy disk that took hundreds of ms.
 * The worker's event loop must not wait for that, so checkpoints run on a
 * thread of their own with their own connection, every CHECKPOINT_S. */
#define CHECKPOINT_S 2

struct ltm_pubstore {
    sqlite3 *db;
    sqlite3_stmt *get, *upsert, *forget, *prune;
    char *path;
    pthread_t checkpointer;
    int checkpointer_started;
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

#define PUBLICATIONS_COLUMNS                                                                      \
    " job_id TEXT PRIMARY KEY,"                                                                    \
    " state TEXT NOT NULL CHECK (state IN ('sending','published','prepared')),"                   \
    " channel TEXT, remote_id TEXT, ref TEXT, text TEXT,"                                          \
    " updated_ms INTEGER NOT NULL"

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS publications (" PUBLICATIONS_COLUMNS ");"
    "CREATE INDEX IF NOT EXISTS publications_updated ON publications(updated_ms);";

/* Databases written before the "prepared" state have a CHECK constraint
 * that refuses it, and SQLite cannot alter a constraint: the rows are
 * copied into a table with the current definition, in one transaction. */
static const char add_prepared[] =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE publications_v2 (" PUBLICATIONS_COLUMNS ");"
    "INSERT INTO publications_v2 SELECT job_id, state, channel, remote_id, ref, text, updated_ms"
    " FROM publications;"
    "DROP TABLE publications;"
    "ALTER TABLE publications_v2 RENAME TO publications;"
    "CREATE INDEX publications_updated ON publications(updated_ms);"
    "COMMIT;";

static int migrate(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT instr(sql, 'prepared') FROM sqlite_master "
                                    "WHERE type = 'table' AND name = 'publications'",
                                -1, &st, NULL);
    int current = 1;
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        current = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_OK || current)
        return rc;
    rc = sqlite3_exec(db, add_prepared, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

void ltm_pub_record_clear(ltm_pub_record *r)
{
    free(r->channel);
    free(r->remote_id);
    free(r->ref);
    free(r->text);
    memset(r, 0, sizeof *r);
}

static void *checkpoint_loop(void *arg)
{
    ltm_pubstore *s = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 1000);
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += CHECKPOINT_S;
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->lock);
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    sqlite3_close(db);
    return NULL;
}

static void start_checkpointer(ltm_pubstore *s)
{
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (pthread_create(&s->checkpointer, NULL, checkpoint_loop, s) == 0) {
        s->checkpointer_started = 1;
        sqlite3_exec(s->db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL);
    }
}

void ltm_pubstore_close(ltm_pubstore *s)
{
    if (!s)
        return;
    if (s->checkpointer_started) {
        pthread_mutex_lock(&s->lock);
        s->stop = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->checkpointer, NULL);
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    if (s->path) { /* the lock and condition exist */
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
    }
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->upsert);
    sqlite3_finalize(s->forget);
    sqlite3_finalize(s->prune);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

int ltm_pubstore_open(const char *path, int full_sync, ltm_pubstore **out, char *err,
                      size_t err_size)
{
    ltm_pubstore *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return LTM_ENOMEM;
    }
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                               SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(s->db, 5000);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = migrate(s->db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "SELECT state, channel, remote_id, ref, text, updated_ms "
                                "FROM publications WHERE job_id = ?1",
                                -1, &s->get, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO publications(job_id, state, channel, remote_id, ref, "
                                "text, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                                "ON CONFLICT(job_id) DO UPDATE SET state = excluded.state, "
                                "channel = excluded.channel, remote_id = excluded.remote_id, "
                                "ref = coalesce(excluded.ref, ref), "
                                "text = coalesce(excluded.text, text), "
                                "updated_ms = excluded.updated_ms",
                                -1, &s->upsert, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "DELETE FROM publications WHERE job_id = ?1 AND "
                                       "state IN ('sending', 'prepared')", -1, &s->forget, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "DELETE FROM publications WHERE updated_ms < ?1", -1,
                                &s->prune, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        ltm_pubstore_close(s);
        return LTM_EDB;
    }
    if ((s->path = strdup(path)) != NULL)
        start_checkpointer(s);
    *out = s;
    return LTM_OK;
}

static char *column_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? strdup((const char *)v) : NULL;
}

int ltm_pubstore_get(ltm_pubstore *s, const char *job_id, ltm_pub_record *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_reset(s->get);
    sqlite3_bind_text(s->get, 1, job_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s->get);
    if (rc == SQLITE_ROW) {
        const unsigned char *state = sqlite3_column_text(s->get, 0);
        out->state = !state                                               ? LTM_PUB_SENDING
                     : strcmp((const char *)state, "published") == 0 ? LTM_PUB_PUBLISHED
                     : strcmp((const char *)state, "prepared") == 0  ? LTM_PUB_PREPARED
                                                                     : LTM_PUB_SENDING;
        out->channel = column_dup(s->get, 1);
        out->remote_id = column_dup(s->get, 2);
        out->ref = column_dup(s->get, 3);
        out->text = column_dup(s->get, 4);
        out->updated_ms = sqlite3_column_int64(s->get, 5);
        rc = SQLITE_DONE;
    }
    sqlite3_reset(s->get);
    return rc == SQLITE_DONE ? LTM_OK : LTM_EDB;
}

static int upsert(ltm_pubstore *s, const char *job_id, const char *state, const char *channel,
                  const char *remote_id, const char *ref, const char *text, int64_t now_ms)
{
    sqlite3_stmt *st = s->upsert;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, remote_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, ref, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, now_ms);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? LTM_OK : LTM_EDB;
}

int ltm_pubstore_sending(ltm_pubstore *s, const char *job_id, const char *channel, const char *ref,
                         const char *text, int64_t now_ms)
{
    return upsert(s, job_id, "sending", channel, NULL, ref, text, now_ms);
}

int ltm_pubstore_published(ltm_pubstore *s, const char *job_id, const char *channel,
                           const char *remote_id, int64_t now_ms)
{
    return upsert(s, job_id, "published", channel, remote_id, NULL, NULL, now_ms);
}

int ltm_pubstore_prepared(ltm_pubstore *s, const char *job_id, const char *channel, const char *ref,
                          const char *text, int64_t now_ms)
{
    if (!ref)
        return LTM_EINVAL;
    return upsert(s, job_id, "prepared", channel, NULL, ref, text, now_ms);
}

int ltm_pubstore_forget(ltm_pubstore *s, const char *job_id)
{
    sqlite3_reset(s->forget);
    sqlite3_bind_text(s->forget, 1, job_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s->forget);
    sqlite3_reset(s->forget);
    return rc == SQLITE_DONE ? LTM_OK : LTM_EDB;
}

int ltm_pubstore_prune(ltm_pubstore *s, int64_t cutoff_ms, int *deleted)
{
    sqlite3_reset(s->prune);
    sqlite3_bind_int64(s->prune, 1, cutoff_ms);
    int rc = sqlite3_step(s->prune);
    sqlite3_reset(s->prune);
    if (deleted)
        *deleted = rc == SQLITE_DONE ? sqlite3_changes(s->db) : 0;
    return rc == SQLITE_DONE ? LTM_OK : LTM_EDB;
}
