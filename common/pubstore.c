#include "ltm/pubstore.h"
#include "ltm/error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ltm_pubstore {
    sqlite3 *db;
    sqlite3_stmt *get, *upsert, *forget, *prune;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS publications ("
    " job_id TEXT PRIMARY KEY,"
    " state TEXT NOT NULL CHECK (state IN ('sending','published')),"
    " channel TEXT, remote_id TEXT, ref TEXT, text TEXT,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS publications_updated ON publications(updated_ms);";

void ltm_pub_record_clear(ltm_pub_record *r)
{
    free(r->channel);
    free(r->remote_id);
    free(r->ref);
    free(r->text);
    memset(r, 0, sizeof *r);
}

void ltm_pubstore_close(ltm_pubstore *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->upsert);
    sqlite3_finalize(s->forget);
    sqlite3_finalize(s->prune);
    sqlite3_close(s->db);
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
                                       "state = 'sending'", -1, &s->forget, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "DELETE FROM publications WHERE updated_ms < ?1", -1,
                                &s->prune, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        ltm_pubstore_close(s);
        return LTM_EDB;
    }
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
        out->state = state && strcmp((const char *)state, "published") == 0 ? LTM_PUB_PUBLISHED
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
