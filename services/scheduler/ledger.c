#include "ledger.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE 64

struct ledger {
    sqlite3 *db;
    /* Prepared statements by SQL text (the literal's address): preparing
     * costs more than running these small statements, and a burst of
     * dispatches runs each of them thousands of times. */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
    int cached;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS jobs ("
    " job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, account TEXT NOT NULL,"
    " slot_ms INTEGER NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL,"
    " failures INTEGER NOT NULL, max_attempts INTEGER NOT NULL, due_ms INTEGER,"
    " origin TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', text TEXT, prompt TEXT,"
    " image_url TEXT, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS jobs_due ON jobs(due_ms) WHERE state IN ('waiting','in_flight');"
    "CREATE INDEX IF NOT EXISTS jobs_account ON jobs(account, kind, slot_ms);"
    "CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_ms);"
    "CREATE TABLE IF NOT EXISTS attempts ("
    " job_id TEXT NOT NULL, attempt INTEGER NOT NULL, dispatched_ms INTEGER NOT NULL,"
    " lease_until_ms INTEGER NOT NULL, outcome TEXT, error_class TEXT, error TEXT,"
    " finished_ms INTEGER, PRIMARY KEY (job_id, attempt));"
    "CREATE TABLE IF NOT EXISTS results ("
    " id INTEGER PRIMARY KEY, job_id TEXT NOT NULL, attempt INTEGER NOT NULL,"
    " status TEXT NOT NULL, error_class TEXT, error TEXT, worker TEXT, remote_id TEXT,"
    " counted INTEGER NOT NULL, note TEXT, received_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS results_job ON results(job_id);"
    "CREATE TABLE IF NOT EXISTS pauses ("
    " account TEXT PRIMARY KEY, paused INTEGER NOT NULL, until_ms INTEGER NOT NULL,"
    " reason TEXT, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    /* Traffic (docs/scheduler.md): each published post or story with its
     * slot in the account's own week and its theme, the engagement checks
     * recorded for it, and every reading they brought (NULL: the channel
     * offers no such figure). */
    "CREATE TABLE IF NOT EXISTS posts ("
    " job_id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL,"
    " channel TEXT NOT NULL, remote_id TEXT NOT NULL, slot_ms INTEGER NOT NULL,"
    " published_ms INTEGER NOT NULL, weekday INTEGER NOT NULL, local_minute INTEGER NOT NULL,"
    " theme TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT 'live');"
    "CREATE INDEX IF NOT EXISTS posts_published ON posts(published_ms);"
    "CREATE TABLE IF NOT EXISTS checks ("
    " job_id TEXT PRIMARY KEY, post_job_id TEXT NOT NULL, age_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS checks_post ON checks(post_job_id);"
    /* The budget's count (ledger_check_dispatches) looks only at checks
     * sent: without it, every check due scanned all its account's checks,
     * the waiting ones included (bench-scheduler --checks, issue 15). */
    "CREATE INDEX IF NOT EXISTS jobs_checks_sent ON jobs(account, updated_ms)"
    " WHERE kind = 'engagement' AND attempt > 0;"
    "CREATE TABLE IF NOT EXISTS readings ("
    " post_job_id TEXT NOT NULL, age_ms INTEGER NOT NULL, read_ms INTEGER NOT NULL,"
    " impressions INTEGER, reach INTEGER, reactions INTEGER, comments INTEGER,"
    " shares INTEGER, saves INTEGER, PRIMARY KEY (post_job_id, age_ms));"
    "CREATE TEMP TABLE IF NOT EXISTS prune (job_id TEXT PRIMARY KEY);"
    "CREATE TEMP TABLE IF NOT EXISTS disarm (job_id TEXT PRIMARY KEY);";

static int db_error(ledger *l, const char *what)
{
    ltm_error("ledger error", "operation", what, "error", sqlite3_errmsg(l->db));
    return LTM_EDB;
}

int ledger_open(const char *path, ledger **out, char *err, size_t err_size)
{
    ledger *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, err_size, "out of memory");
        return LTM_ENOMEM;
    }
    int rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    /* FULL: a dispatch is recorded on disk before it is published, so a
     * power loss cannot make a slot fire twice. WAL keeps that cheap, and
     * the engine commits each batch of dispatches in one transaction. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(l->db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          "PRAGMA busy_timeout=5000; PRAGMA cache_size=-32768;",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(l->db, schema, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "cannot open the ledger %s: %s", path,
                 l->db ? sqlite3_errmsg(l->db) : "out of memory");
        ledger_close(l);
        return LTM_EDB;
    }
    *out = l;
    return LTM_OK;
}

void ledger_close(ledger *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->cached; i++)
        sqlite3_finalize(l->cache[i].st);
    sqlite3_close_v2(l->db);
    free(l);
}

int ledger_begin(ledger *l)
{
    return sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
               ? LTM_OK
               : db_error(l, "begin");
}

int ledger_commit(ledger *l)
{
    return sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? LTM_OK
                                                                       : db_error(l, "commit");
}

void ledger_rollback(ledger *l)
{
    sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

void ledger_job_clear(ledger_job *job)
{
    free(job->text);
    free(job->prompt);
    free(job->image_url);
    memset(job, 0, sizeof *job);
}

static sqlite3_stmt *prepare(ledger *l, const char *sql)
{
    for (int i = 0; i < l->cached; i++) {
        if (l->cache[i].sql == sql)
            return l->cache[i].st;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        db_error(l, sql);
        return NULL;
    }
    if (l->cached < STMT_CACHE) {
        l->cache[l->cached].sql = sql;
        l->cache[l->cached].st = st;
        l->cached++;
    }
    return st;
}

/* Ends a use of a statement from prepare(): cached ones are reset for the
 * next call, the rare uncached one is finalized. */
static void release(ledger *l, sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < l->cached; i++) {
        if (l->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    }
    sqlite3_finalize(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows. */
static int run(ledger *l, sqlite3_stmt *st, const char *what)
{
    if (!st)
        return LTM_EDB;
    int rc = sqlite3_step(st);
    release(l, st);
    return rc == SQLITE_DONE ? LTM_OK : db_error(l, what);
}

int ledger_job_insert(ledger *l, const ledger_job *j)
{
    sqlite3_stmt *st = prepare(l,
        "INSERT OR IGNORE INTO jobs (job_id, kind, account, slot_ms, state, attempt, failures,"
        " max_attempts, due_ms, origin, reason, text, prompt, image_url, created_ms, updated_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, j->job_id);
    bind_text(st, 2, ltm_job_kind_name(j->kind));
    bind_text(st, 3, j->account);
    sqlite3_bind_int64(st, 4, j->slot_ms);
    bind_text(st, 5, j->state);
    sqlite3_bind_int(st, 6, j->attempt);
    sqlite3_bind_int(st, 7, j->failures);
    sqlite3_bind_int(st, 8, j->max_attempts);
    sqlite3_bind_int64(st, 9, j->due_ms);
    bind_text(st, 10, j->origin);
    bind_text(st, 11, j->reason);
    bind_text(st, 12, j->text);
    bind_text(st, 13, j->prompt);
    bind_text(st, 14, j->image_url);
    sqlite3_bind_int64(st, 15, j->created_ms);
    sqlite3_bind_int64(st, 16, j->created_ms);
    int rc = run(l, st, "insert job");
    return rc != LTM_OK ? rc : sqlite3_changes(l->db) > 0;
}

static char *column_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? strdup((const char *)s) : NULL;
}

static void column_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(out, size, "%s", s ? (const char *)s : "");
}

int ledger_job_get(ledger *l, const char *job_id, ledger_job *out)
{
    sqlite3_stmt *st = prepare(l,
        "SELECT job_id, kind, account, slot_ms, state, attempt, failures, max_attempts,"
        " due_ms, origin, reason, text, prompt, image_url, created_ms, updated_ms"
        " FROM jobs WHERE job_id = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, job_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        release(l, st);
        return rc == SQLITE_DONE ? LTM_ENOTFOUND : db_error(l, "get job");
    }
    memset(out, 0, sizeof *out);
    column_copy(st, 0, out->job_id, sizeof out->job_id);
    ltm_job_kind_parse((const char *)sqlite3_column_text(st, 1), &out->kind);
    column_copy(st, 2, out->account, sizeof out->account);
    out->slot_ms = sqlite3_column_int64(st, 3);
    column_copy(st, 4, out->state, sizeof out->state);
    out->attempt = sqlite3_column_int(st, 5);
    out->failures = sqlite3_column_int(st, 6);
    out->max_attempts = sqlite3_column_int(st, 7);
    out->due_ms = sqlite3_column_int64(st, 8);
    column_copy(st, 9, out->origin, sizeof out->origin);
    column_copy(st, 10, out->reason, sizeof out->reason);
    out->text = column_dup(st, 11);
    out->prompt = column_dup(st, 12);
    out->image_url = column_dup(st, 13);
    out->created_ms = sqlite3_column_int64(st, 14);
    out->updated_ms = sqlite3_column_int64(st, 15);
    release(l, st);
    return LTM_OK;
}

int ledger_job_update(ledger *l, const ledger_job *j, int64_t now_ms)
{
    sqlite3_stmt *st = prepare(l,
        "UPDATE jobs SET state = ?, attempt = ?, failures = ?, max_attempts = ?, due_ms = ?,"
        " reason = ?, updated_ms = ? WHERE job_id = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, j->state);
    sqlite3_bind_int(st, 2, j->attempt);
    sqlite3_bind_int(st, 3, j->failures);
    sqlite3_bind_int(st, 4, j->max_attempts);
    sqlite3_bind_int64(st, 5, j->due_ms);
    bind_text(st, 6, j->reason);
    sqlite3_bind_int64(st, 7, now_ms);
    bind_text(st, 8, j->job_id);
    return run(l, st, "update job");
}

int ledger_attempt_insert(ledger *l, const char *job_id, int attempt, int64_t dispatched_ms,
                          int64_t lease_until_ms)
{
    sqlite3_stmt *st = prepare(l,
        "INSERT OR REPLACE INTO attempts (job_id, attempt, dispatched_ms, lease_until_ms)"
        " VALUES (?,?,?,?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, job_id);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_int64(st, 3, dispatched_ms);
    sqlite3_bind_int64(st, 4, lease_until_ms);
    return run(l, st, "insert attempt");
}

int ledger_attempt_delete(ledger *l, const char *job_id, int attempt)
{
    sqlite3_stmt *st = prepare(l, "DELETE FROM attempts WHERE job_id = ? AND attempt = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, job_id);
    sqlite3_bind_int(st, 2, attempt);
    return run(l, st, "delete attempt");
}

int ledger_attempt_finish(ledger *l, const char *job_id, int attempt, const char *outcome,
                          const char *error_class, const char *error, int64_t at_ms)
{
    sqlite3_stmt *st = prepare(l,
        "UPDATE attempts SET outcome = ?, error_class = ?, error = ?, finished_ms = ?"
        " WHERE job_id = ? AND attempt = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, outcome);
    bind_text(st, 2, error_class);
    bind_text(st, 3, error);
    sqlite3_bind_int64(st, 4, at_ms);
    bind_text(st, 5, job_id);
    sqlite3_bind_int(st, 6, attempt);
    return run(l, st, "finish attempt");
}

int ledger_attempt_outcome(ledger *l, const char *job_id, int attempt, char *out, size_t size)
{
    sqlite3_stmt *st = prepare(l, "SELECT outcome FROM attempts WHERE job_id = ? AND attempt = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, job_id);
    sqlite3_bind_int(st, 2, attempt);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        column_copy(st, 0, out, size);
    release(l, st);
    if (rc == SQLITE_DONE)
        return LTM_ENOTFOUND;
    return rc == SQLITE_ROW ? LTM_OK : db_error(l, "attempt outcome");
}

int ledger_result_insert(ledger *l, const ltm_result *r, int counted, const char *note,
                         int64_t received_ms)
{
    sqlite3_stmt *st = prepare(l,
        "INSERT INTO results (job_id, attempt, status, error_class, error, worker, remote_id,"
        " counted, note, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, r->job_id);
    sqlite3_bind_int(st, 2, r->attempt);
    bind_text(st, 3, ltm_result_status_name(r->status));
    bind_text(st, 4, r->error_class);
    bind_text(st, 5, r->error);
    bind_text(st, 6, r->worker);
    bind_text(st, 7, r->remote_id);
    sqlite3_bind_int(st, 8, counted);
    bind_text(st, 9, note);
    sqlite3_bind_int64(st, 10, received_ms);
    return run(l, st, "insert result");
}

int ledger_next_due(ledger *l, int64_t *out_ms)
{
    sqlite3_stmt *st = prepare(l, "SELECT MIN(due_ms) FROM jobs WHERE state IN"
                                  " ('waiting','in_flight')");
    if (!st)
        return LTM_EDB;
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found)
        *out_ms = sqlite3_column_int64(st, 0);
    release(l, st);
    if (rc != SQLITE_ROW)
        return db_error(l, "next due");
    return found ? LTM_OK : LTM_ENOTFOUND;
}

int ledger_due_jobs(ledger *l, int64_t now_ms, int max, char ***ids, int *count)
{
    *ids = NULL;
    *count = 0;
    sqlite3_stmt *st = prepare(l, "SELECT job_id FROM jobs WHERE state IN ('waiting','in_flight')"
                                  " AND due_ms <= ? ORDER BY due_ms LIMIT ?");
    if (!st)
        return LTM_EDB;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, max);
    char **out = calloc((size_t)max, sizeof *out);
    int n = 0, rc;
    while (out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!(out[n] = column_dup(st, 0)))
            break;
        n++;
    }
    release(l, st);
    if (!out)
        return LTM_ENOMEM;
    *ids = out;
    *count = n;
    return LTM_OK;
}

int ledger_release_held(ledger *l, const char *account, int64_t now_ms)
{
    sqlite3_stmt *st = prepare(l, "UPDATE jobs SET state = 'waiting', due_ms = ?1, reason = '',"
                                  " updated_ms = ?2 WHERE state = 'held'"
                                  " AND (?3 IS NULL OR account = ?3)");
    if (!st)
        return LTM_EDB;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, now_ms);
    bind_text(st, 3, account);
    return run(l, st, "release held jobs");
}

static int single_int64(ledger *l, sqlite3_stmt *st, int64_t *out, const char *what)
{
    if (!st)
        return LTM_EDB;
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found)
        *out = sqlite3_column_int64(st, 0);
    release(l, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(l, what);
    return found ? LTM_OK : LTM_ENOTFOUND;
}

/* Missed and skipped slots never went out, so they do not count. */
#define DISPATCHED_POST " kind = 'post' AND state NOT IN ('missed','skipped')"

int ledger_count_posts(ledger *l, const char *account, int64_t from_ms, int64_t to_ms, int *out)
{
    sqlite3_stmt *st = prepare(l, "SELECT COUNT(*) FROM jobs WHERE account = ? AND"
                                  DISPATCHED_POST " AND slot_ms >= ? AND slot_ms < ?");
    int64_t n = 0;
    if (st) {
        bind_text(st, 1, account);
        sqlite3_bind_int64(st, 2, from_ms);
        sqlite3_bind_int64(st, 3, to_ms);
    }
    int rc = single_int64(l, st, &n, "count posts");
    *out = (int)n;
    return rc == LTM_ENOTFOUND ? LTM_OK : rc;
}

int ledger_last_post(ledger *l, const char *account, int64_t before_ms, int64_t *out_ms)
{
    sqlite3_stmt *st = prepare(l, "SELECT MAX(slot_ms) FROM jobs WHERE account = ? AND"
                                  DISPATCHED_POST " AND slot_ms < ?");
    *out_ms = 0;
    if (st) {
        bind_text(st, 1, account);
        sqlite3_bind_int64(st, 2, before_ms);
    }
    int rc = single_int64(l, st, out_ms, "last post");
    return rc == LTM_ENOTFOUND ? LTM_OK : rc;
}

int ledger_meta_get_int(ledger *l, const char *key, int64_t *out)
{
    sqlite3_stmt *st = prepare(l, "SELECT value FROM meta WHERE key = ?");
    if (st)
        bind_text(st, 1, key);
    return single_int64(l, st, out, "get meta");
}

int ledger_meta_set_int(ledger *l, const char *key, int64_t value)
{
    sqlite3_stmt *st = prepare(l, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, value);
    return run(l, st, "set meta");
}

int ledger_meta_set_int_nosync(ledger *l, const char *key, int64_t value)
{
    sqlite3_exec(l->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    sqlite3_wal_autocheckpoint(l->db, 0);
    int rc = ledger_begin(l);
    if (rc == LTM_OK)
        rc = ledger_meta_set_int(l, key, value);
    if (rc == LTM_OK)
        rc = ledger_commit(l);
    else
        ledger_rollback(l);
    sqlite3_wal_autocheckpoint(l->db, 1000); /* SQLite's default */
    if (sqlite3_exec(l->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_error(l, "synchronous=FULL");
    return rc;
}

int ledger_disarm(ledger *l, int64_t sent_ms, int *deleted)
{
    *deleted = 0;
    int rc = run(l, prepare(l, "DELETE FROM disarm"), "disarm");
    /* The first two terms let SQLite use the partial index jobs_due: an
     * armed job's due_ms (its lease expiry) lies after its slot. */
    sqlite3_stmt *st = rc ? NULL : prepare(l,
        "INSERT INTO disarm SELECT j.job_id FROM jobs j JOIN attempts a"
        " ON a.job_id = j.job_id AND a.attempt = 1"
        " WHERE j.state IN ('waiting','in_flight') AND j.due_ms > ?1"
        " AND j.state = 'in_flight' AND j.attempt = 1 AND j.origin IN ('schedule','system')"
        /* Engagement checks (origin system too) are never armed. */
        " AND j.kind <> 'engagement'"
        " AND a.dispatched_ms > ?1");
    if (st) {
        sqlite3_bind_int64(st, 1, sent_ms);
        rc = run(l, st, "disarm select");
    }
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM attempts WHERE job_id IN disarm"), "disarm attempts");
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM jobs WHERE job_id IN disarm"), "disarm jobs");
    if (!rc)
        *deleted = sqlite3_changes(l->db);
    return rc;
}

int ledger_pause_get(ledger *l, const char *account, int *paused, int64_t *until_ms)
{
    sqlite3_stmt *st = prepare(l, "SELECT paused, until_ms FROM pauses WHERE account = ?");
    *paused = 0;
    *until_ms = 0;
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, account);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *paused = sqlite3_column_int(st, 0);
        *until_ms = sqlite3_column_int64(st, 1);
    }
    release(l, st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? LTM_OK : db_error(l, "get pause");
}

int ledger_pause_set(ledger *l, const char *account, int paused, int64_t until_ms,
                     const char *reason, int64_t now_ms)
{
    sqlite3_stmt *st = prepare(l, "INSERT OR REPLACE INTO pauses (account, paused, until_ms,"
                                  " reason, updated_ms) VALUES (?,?,?,?,?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, account);
    sqlite3_bind_int(st, 2, paused);
    sqlite3_bind_int64(st, 3, until_ms);
    bind_text(st, 4, reason);
    sqlite3_bind_int64(st, 5, now_ms);
    return run(l, st, "set pause");
}

int ledger_pause_read(ledger *l, const char *key, int *paused, int64_t *until_ms, char *reason,
                      size_t reason_size, int64_t *updated_ms)
{
    sqlite3_stmt *st = prepare(l, "SELECT paused, until_ms, reason, updated_ms FROM pauses"
                                  " WHERE account = ?");
    *paused = 0;
    *until_ms = 0;
    *updated_ms = 0;
    if (reason_size)
        reason[0] = '\0';
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *paused = sqlite3_column_int(st, 0);
        *until_ms = sqlite3_column_int64(st, 1);
        column_copy(st, 2, reason, reason_size);
        *updated_ms = sqlite3_column_int64(st, 3);
    }
    release(l, st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? LTM_OK : db_error(l, "read pause");
}

int ledger_pause_delete(ledger *l, const char *key)
{
    sqlite3_stmt *st = prepare(l, "DELETE FROM pauses WHERE account = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, key);
    return run(l, st, "delete pause");
}

int ledger_pauses_walk(ledger *l, const char *prefix,
                       int (*each)(void *ctx, const char *key, int paused, int64_t until_ms,
                                   const char *reason, int64_t updated_ms),
                       void *ctx)
{
    /* A range on the key instead of LIKE: '_' in account names is a LIKE
     * wildcard. */
    sqlite3_stmt *st = prepare(l, "SELECT account, paused, until_ms, reason, updated_ms"
                                  " FROM pauses WHERE account >= ?1 AND account < ?1 || x'ff'"
                                  " ORDER BY account");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, prefix);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *reason = (const char *)sqlite3_column_text(st, 3);
        stop = each(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
                    sqlite3_column_int64(st, 2), reason ? reason : "",
                    sqlite3_column_int64(st, 4));
    }
    release(l, st);
    if (stop)
        return stop < 0 ? stop : LTM_OK;
    return rc == SQLITE_DONE ? LTM_OK : db_error(l, "walk pauses");
}

int ledger_check_dispatches(ledger *l, const char *account, const char *channel,
                            int64_t since_ms, int max, int64_t **out, int *count)
{
    *out = NULL;
    *count = 0;
    /* A job's updated_ms is at least its last dispatch: jobs not touched
     * within the window are skipped without looking at their attempts.
     * "attempt > 0" (a job has attempts only then) lets the planner use
     * jobs_checks_sent, which leaves out the checks still waiting. */
    sqlite3_stmt *st = prepare(l,
        "SELECT a.dispatched_ms FROM jobs j JOIN checks c ON c.job_id = j.job_id"
        " JOIN posts p ON p.job_id = c.post_job_id JOIN attempts a ON a.job_id = j.job_id"
        " WHERE j.account = ?1 AND j.kind = 'engagement' AND j.attempt > 0 AND j.updated_ms > ?3"
        " AND p.channel = ?2 AND a.dispatched_ms > ?3 ORDER BY a.dispatched_ms LIMIT ?4");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, account);
    bind_text(st, 2, channel);
    sqlite3_bind_int64(st, 3, since_ms);
    sqlite3_bind_int(st, 4, max);
    int64_t *times = NULL;
    int n = 0, cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int64_t *grown = realloc(times, (size_t)(cap ? cap * 2 : 64) * sizeof *grown);
            if (!grown) {
                free(times);
                release(l, st);
                return LTM_ENOMEM;
            }
            times = grown;
            cap = cap ? cap * 2 : 64;
        }
        times[n++] = sqlite3_column_int64(st, 0);
    }
    release(l, st);
    if (rc != SQLITE_DONE) {
        free(times);
        return db_error(l, "check dispatches");
    }
    *out = times;
    *count = n;
    return LTM_OK;
}

int ledger_check_next_active(ledger *l, const char *post_job_id, char *job_id, size_t size)
{
    sqlite3_stmt *st = prepare(l, "SELECT c.job_id FROM checks c JOIN jobs j ON j.job_id = c.job_id"
                                  " WHERE c.post_job_id = ? AND j.state IN"
                                  " ('waiting','in_flight','held') ORDER BY c.age_ms LIMIT 1");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, post_job_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(job_id, size, "%s", (const char *)sqlite3_column_text(st, 0));
    release(l, st);
    if (rc == SQLITE_DONE)
        return LTM_ENOTFOUND;
    return rc == SQLITE_ROW ? LTM_OK : db_error(l, "next active check");
}

int ledger_checks_waiting(ledger *l, int *out)
{
    int64_t n = 0;
    /* The first two terms let SQLite use the partial index jobs_due
     * instead of scanning every job each second. */
    int rc = single_int64(l, prepare(l, "SELECT COUNT(*) FROM jobs WHERE state IN"
                                        " ('waiting','in_flight') AND due_ms >= -9223372036854775807"
                                        " AND state = 'waiting' AND kind = 'engagement'"),
                          &n, "checks waiting");
    *out = (int)n;
    return rc == LTM_ENOTFOUND ? LTM_OK : rc;
}

int ledger_reading_count(ledger *l, const char *post_job_id, int *out)
{
    sqlite3_stmt *st = prepare(l, "SELECT COUNT(*) FROM readings WHERE post_job_id = ?");
    int64_t n = 0;
    if (st)
        bind_text(st, 1, post_job_id);
    int rc = single_int64(l, st, &n, "reading count");
    *out = (int)n;
    return rc == LTM_ENOTFOUND ? LTM_OK : rc;
}

int ledger_active_counts(ledger *l, int *waiting, int *retries, int *in_flight, int *held)
{
    sqlite3_stmt *st = prepare(l, "SELECT state, attempt > 0, COUNT(*) FROM jobs WHERE state IN"
                                  " ('waiting','in_flight','held') GROUP BY state, attempt > 0");
    *waiting = *retries = *in_flight = *held = 0;
    if (!st)
        return LTM_EDB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        int n = sqlite3_column_int(st, 2);
        if (strcmp(s, LEDGER_WAITING) == 0 && sqlite3_column_int(st, 1))
            *retries += n;
        else if (strcmp(s, LEDGER_WAITING) == 0)
            *waiting += n;
        else if (strcmp(s, LEDGER_IN_FLIGHT) == 0)
            *in_flight += n;
        else
            *held += n;
    }
    release(l, st);
    return rc == SQLITE_DONE ? LTM_OK : db_error(l, "active counts");
}

int ledger_prune(ledger *l, int64_t before_ms, int max, int *deleted)
{
    *deleted = 0;
    int rc = run(l, prepare(l, "DELETE FROM prune"), "prune");
    sqlite3_stmt *st = rc ? NULL : prepare(l,
        "INSERT INTO prune SELECT job_id FROM jobs j WHERE created_ms < ?1 AND state NOT IN"
        " ('waiting','in_flight','held') AND NOT EXISTS (SELECT 1 FROM posts p"
        "  WHERE p.job_id = j.job_id AND (p.published_ms >= ?1 OR EXISTS (SELECT 1 FROM checks c"
        "   JOIN jobs cj ON cj.job_id = c.job_id WHERE c.post_job_id = p.job_id"
        "   AND cj.state IN ('waiting','in_flight','held'))))"
        " ORDER BY created_ms LIMIT ?2");
    if (st) {
        sqlite3_bind_int64(st, 1, before_ms);
        sqlite3_bind_int(st, 2, max);
        rc = run(l, st, "prune select");
    }
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM attempts WHERE job_id IN prune"), "prune attempts");
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM results WHERE job_id IN prune"), "prune results");
    /* A pruned post leaves with its readings; a pruned check with its row.
     * A post job is kept while it was published within the retention or
     * one of its checks is active: its job may have been created long
     * before (ltmctl --at, holds, retries) and its checks still read it. */
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM readings WHERE post_job_id IN prune"),
                 "prune readings");
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM posts WHERE job_id IN prune"), "prune posts");
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM checks WHERE job_id IN prune"), "prune checks");
    if (!rc)
        rc = run(l, prepare(l, "DELETE FROM jobs WHERE job_id IN prune"), "prune jobs");
    if (!rc)
        *deleted += sqlite3_changes(l->db);
    /* Results of jobs the ledger never knew (or still keeps) age out too. */
    /* Ids grow with time: looking at the oldest max rows only keeps this
     * O(max) on a table of millions. */
    st = rc ? NULL : prepare(l, "DELETE FROM results WHERE id IN (SELECT id FROM results"
                                " ORDER BY id LIMIT ?) AND received_ms < ?");
    if (st) {
        sqlite3_bind_int(st, 1, max);
        sqlite3_bind_int64(st, 2, before_ms);
        rc = run(l, st, "prune old results");
        if (!rc)
            *deleted += sqlite3_changes(l->db);
    }
    return rc;
}

static int add_attempts(ledger *l, cJSON *job, const char *job_id)
{
    cJSON *arr = cJSON_AddArrayToObject(job, "attempts");
    sqlite3_stmt *st = prepare(l, "SELECT attempt, dispatched_ms, lease_until_ms, outcome,"
                                  " error_class, error, finished_ms,"
                                  " (SELECT remote_id FROM results r WHERE r.job_id = a.job_id"
                                  "  AND r.attempt = a.attempt AND remote_id IS NOT NULL LIMIT 1)"
                                  " FROM attempts a WHERE job_id = ? ORDER BY attempt");
    if (!arr || !st) {
        release(l, st);
        return LTM_EDB;
    }
    bind_text(st, 1, job_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *a = cJSON_CreateObject();
        if (!a)
            break;
        cJSON_AddItemToArray(arr, a);
        cJSON_AddNumberToObject(a, "attempt", sqlite3_column_int(st, 0));
        ltm_json_add_time(a, "dispatched_at", sqlite3_column_int64(st, 1));
        ltm_json_add_time(a, "lease_until", sqlite3_column_int64(st, 2));
        ltm_json_add_str(a, "outcome", (const char *)sqlite3_column_text(st, 3));
        ltm_json_add_str(a, "error_class", (const char *)sqlite3_column_text(st, 4));
        ltm_json_add_str(a, "error", (const char *)sqlite3_column_text(st, 5));
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            ltm_json_add_time(a, "finished_at", sqlite3_column_int64(st, 6));
        ltm_json_add_str(a, "remote_id", (const char *)sqlite3_column_text(st, 7));
    }
    release(l, st);
    return LTM_OK;
}

int ledger_jobs_json(ledger *l, const char *account, int64_t since_ms, int limit, cJSON **out)
{
    sqlite3_stmt *st = prepare(l, "SELECT job_id, kind, account, slot_ms, state, attempt,"
                                  " failures, max_attempts, due_ms, origin, reason, created_ms"
                                  " FROM jobs WHERE (?1 IS NULL OR account = ?1)"
                                  " AND created_ms >= ?2 ORDER BY created_ms DESC, job_id LIMIT ?3");
    cJSON *arr = cJSON_CreateArray();
    if (!st || !arr) {
        release(l, st);
        cJSON_Delete(arr);
        return LTM_EDB;
    }
    bind_text(st, 1, account);
    sqlite3_bind_int64(st, 2, since_ms);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *j = cJSON_CreateObject();
        if (!j)
            break;
        cJSON_AddItemToArray(arr, j);
        const char *job_id = (const char *)sqlite3_column_text(st, 0);
        ltm_json_add_str(j, "job_id", job_id);
        ltm_json_add_str(j, "kind", (const char *)sqlite3_column_text(st, 1));
        ltm_json_add_str(j, "account", (const char *)sqlite3_column_text(st, 2));
        ltm_json_add_time(j, "slot", sqlite3_column_int64(st, 3));
        const char *state = (const char *)sqlite3_column_text(st, 4);
        ltm_json_add_str(j, "state", state);
        cJSON_AddNumberToObject(j, "attempt", sqlite3_column_int(st, 5));
        cJSON_AddNumberToObject(j, "failures", sqlite3_column_int(st, 6));
        cJSON_AddNumberToObject(j, "max_attempts", sqlite3_column_int(st, 7));
        if (strcmp(state, LEDGER_WAITING) == 0 || strcmp(state, LEDGER_IN_FLIGHT) == 0)
            ltm_json_add_time(j, "due", sqlite3_column_int64(st, 8));
        ltm_json_add_str(j, "origin", (const char *)sqlite3_column_text(st, 9));
        const char *reason = (const char *)sqlite3_column_text(st, 10);
        if (reason && *reason)
            ltm_json_add_str(j, "reason", reason);
        ltm_json_add_time(j, "created_at", sqlite3_column_int64(st, 11));
        add_attempts(l, j, job_id);
    }
    release(l, st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        cJSON_Delete(arr);
        return db_error(l, "list jobs");
    }
    *out = arr;
    return LTM_OK;
}

/* ---- traffic: posts, checks, readings --------------------------------- */

int ledger_post_insert(ledger *l, const ledger_post *p)
{
    sqlite3_stmt *st = prepare(l,
        "INSERT OR IGNORE INTO posts (job_id, account, kind, channel, remote_id, slot_ms,"
        " published_ms, weekday, local_minute, theme, state) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, p->job_id);
    bind_text(st, 2, p->account);
    bind_text(st, 3, ltm_job_kind_name(p->kind));
    bind_text(st, 4, p->channel);
    bind_text(st, 5, p->remote_id);
    sqlite3_bind_int64(st, 6, p->slot_ms);
    sqlite3_bind_int64(st, 7, p->published_ms);
    sqlite3_bind_int(st, 8, p->weekday);
    sqlite3_bind_int(st, 9, p->local_minute);
    bind_text(st, 10, p->theme);
    bind_text(st, 11, p->state[0] ? p->state : "live");
    int rc = run(l, st, "insert post");
    if (rc != LTM_OK)
        return rc;
    return sqlite3_changes(l->db) > 0 ? 1 : 0;
}

static void post_from_row(sqlite3_stmt *st, int c, ledger_post *p)
{
    memset(p, 0, sizeof *p);
    column_copy(st, c + 0, p->job_id, sizeof p->job_id);
    column_copy(st, c + 1, p->account, sizeof p->account);
    char kind[16];
    column_copy(st, c + 2, kind, sizeof kind);
    if (ltm_job_kind_parse(kind, &p->kind) != LTM_OK)
        p->kind = LTM_JOB_POST;
    column_copy(st, c + 3, p->channel, sizeof p->channel);
    column_copy(st, c + 4, p->remote_id, sizeof p->remote_id);
    p->slot_ms = sqlite3_column_int64(st, c + 5);
    p->published_ms = sqlite3_column_int64(st, c + 6);
    p->weekday = sqlite3_column_int(st, c + 7);
    p->local_minute = sqlite3_column_int(st, c + 8);
    column_copy(st, c + 9, p->theme, sizeof p->theme);
    column_copy(st, c + 10, p->state, sizeof p->state);
}

#define POST_COLUMNS                                                                            \
    "p.job_id, p.account, p.kind, p.channel, p.remote_id, p.slot_ms, p.published_ms,"           \
    " p.weekday, p.local_minute, p.theme, p.state"

int ledger_post_get(ledger *l, const char *job_id, ledger_post *out)
{
    sqlite3_stmt *st = prepare(l, "SELECT " POST_COLUMNS " FROM posts p WHERE p.job_id = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, job_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        post_from_row(st, 0, out);
    release(l, st);
    if (rc == SQLITE_DONE)
        return LTM_ENOTFOUND;
    return rc == SQLITE_ROW ? LTM_OK : db_error(l, "get post");
}

int ledger_post_set_state(ledger *l, const char *job_id, const char *state)
{
    sqlite3_stmt *st = prepare(l, "UPDATE posts SET state = ? WHERE job_id = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, state);
    bind_text(st, 2, job_id);
    return run(l, st, "set post state");
}

int ledger_check_insert(ledger *l, const char *check_job_id, const char *post_job_id,
                        int64_t age_ms)
{
    sqlite3_stmt *st = prepare(l, "INSERT OR IGNORE INTO checks (job_id, post_job_id, age_ms)"
                                  " VALUES (?,?,?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, check_job_id);
    bind_text(st, 2, post_job_id);
    sqlite3_bind_int64(st, 3, age_ms);
    return run(l, st, "insert check");
}

int ledger_check_get(ledger *l, const char *check_job_id, ledger_post *post, int64_t *age_ms)
{
    sqlite3_stmt *st = prepare(l, "SELECT c.age_ms, " POST_COLUMNS " FROM checks c"
                                  " JOIN posts p ON p.job_id = c.post_job_id WHERE c.job_id = ?");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, check_job_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *age_ms = sqlite3_column_int64(st, 0);
        post_from_row(st, 1, post);
    }
    release(l, st);
    if (rc == SQLITE_DONE)
        return LTM_ENOTFOUND;
    return rc == SQLITE_ROW ? LTM_OK : db_error(l, "get check");
}

int ledger_reading_insert(ledger *l, const char *post_job_id, int64_t age_ms, int64_t read_ms,
                          const ltm_figures *f)
{
    sqlite3_stmt *st = prepare(l,
        "INSERT OR REPLACE INTO readings (post_job_id, age_ms, read_ms, impressions, reach,"
        " reactions, comments, shares, saves) VALUES (?,?,?,?,?,?,?,?,?)");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, post_job_id);
    sqlite3_bind_int64(st, 2, age_ms);
    sqlite3_bind_int64(st, 3, read_ms);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        int64_t v = ltm_figure_get(f, i);
        if (v >= 0)
            sqlite3_bind_int64(st, 4 + i, v);
        else
            sqlite3_bind_null(st, 4 + i);
    }
    return run(l, st, "insert reading");
}

static void reading_from_row(sqlite3_stmt *st, int c, ledger_reading *r)
{
    r->age_ms = sqlite3_column_int64(st, c);
    r->read_ms = sqlite3_column_int64(st, c + 1);
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        *ltm_figure_at(&r->figures, i) = sqlite3_column_type(st, c + 2 + i) == SQLITE_NULL
                                             ? -1
                                             : sqlite3_column_int64(st, c + 2 + i);
}

int ledger_readings(ledger *l, const char *post_job_id, ledger_reading *out, int max, int *count)
{
    *count = 0;
    sqlite3_stmt *st = prepare(l,
        "SELECT age_ms, read_ms, impressions, reach, reactions, comments, shares, saves"
        " FROM readings WHERE post_job_id = ? ORDER BY age_ms");
    if (!st)
        return LTM_EDB;
    bind_text(st, 1, post_job_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count < max)
            reading_from_row(st, 0, &out[(*count)++]);
    }
    release(l, st);
    return rc == SQLITE_DONE ? LTM_OK : db_error(l, "readings");
}

/* Steps a query of POST_COLUMNS followed by a reading's columns (NULL when
 * the post has none), calling each per row until it returns nonzero. */
static int walk_posts(ledger *l, sqlite3_stmt *st,
                      int (*each)(void *ctx, const ledger_post *p, const ledger_reading *r),
                      void *ctx, const char *what)
{
    int rc = SQLITE_DONE, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ledger_post p;
        ledger_reading r;
        post_from_row(st, 0, &p);
        int has = sqlite3_column_type(st, 11) != SQLITE_NULL;
        if (has)
            reading_from_row(st, 11, &r);
        stop = each(ctx, &p, has ? &r : NULL);
    }
    release(l, st);
    if (stop)
        return stop < 0 ? stop : LTM_OK;
    return rc == SQLITE_DONE ? LTM_OK : db_error(l, what);
}

int ledger_posts_since(ledger *l, int64_t since_ms, const char *account,
                       int (*each)(void *ctx, const ledger_post *p, const ledger_reading *latest),
                       void *ctx)
{
    /* The latest reading of each post: the one of the greatest age. */
    sqlite3_stmt *st = prepare(l,
        "SELECT " POST_COLUMNS ", r.age_ms, r.read_ms, r.impressions, r.reach, r.reactions,"
        " r.comments, r.shares, r.saves FROM posts p LEFT JOIN readings r"
        " ON r.post_job_id = p.job_id AND r.age_ms ="
        " (SELECT MAX(age_ms) FROM readings WHERE post_job_id = p.job_id)"
        " WHERE p.published_ms >= ? AND (? IS NULL OR p.account = ?)"
        " ORDER BY p.published_ms DESC, p.job_id");
    if (!st)
        return LTM_EDB;
    sqlite3_bind_int64(st, 1, since_ms);
    bind_text(st, 2, account);
    bind_text(st, 3, account);
    return walk_posts(l, st, each, ctx, "posts since");
}

/* ---- traffic ranking: one reference age per kind ----------------------- */

int ledger_posts_at_age(ledger *l, int64_t since_ms, const char *account, int64_t post_age_ms,
                        int64_t story_age_ms,
                        int (*each)(void *ctx, const ledger_post *p, const ledger_reading *r),
                        void *ctx)
{
    /* Posts compared at one age: a post read at 1 h only must not compete
     * with one read at 7 d. */
    sqlite3_stmt *st = prepare(l,
        "SELECT " POST_COLUMNS ", r.age_ms, r.read_ms, r.impressions, r.reach, r.reactions,"
        " r.comments, r.shares, r.saves FROM posts p LEFT JOIN readings r"
        " ON r.post_job_id = p.job_id AND r.age_ms = (CASE p.kind WHEN 'story' THEN ?1 ELSE ?2 END)"
        " WHERE p.published_ms >= ?3 AND (?4 IS NULL OR p.account = ?4)"
        " ORDER BY p.published_ms DESC, p.job_id");
    if (!st)
        return LTM_EDB;
    sqlite3_bind_int64(st, 1, story_age_ms > 0 ? story_age_ms : -1); /* -1: never read */
    sqlite3_bind_int64(st, 2, post_age_ms > 0 ? post_age_ms : -1);
    sqlite3_bind_int64(st, 3, since_ms);
    bind_text(st, 4, account);
    return walk_posts(l, st, each, ctx, "posts at age");
}
