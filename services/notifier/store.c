/* The notifier's files in <data dir>/notifier: state.json (alerts, rule
 * counters, host buckets, startup and report markers), queue.json (messages
 * waiting for Telegram) and results.jsonl (one line per result, for the
 * daily report). JSON files are replaced atomically. */
#include "notifier.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/json.h"
#include "ltm/log.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STATE (64u << 20)
#define MAX_RECORDS (256u << 20)
/* results.jsonl holds 48 h of results (a line is at most about 1.5 KiB, the
 * longest ids included); past this size a result is not recorded (counted),
 * so a flood can neither fill the disk nor make the file too large to read
 * back for the report and its pruning. */
#define RECORDS_FILE_MAX (64u << 20)

/* A file we cannot read is kept aside for a person and we start afresh:
 * refusing to start would silence every alert. */
static void set_aside(const char *path, const char *why)
{
    char aside[4300];
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    rename(path, aside);
    ltm_error("state file unreadable: moved aside, starting without it", "file", path, "moved_to",
              aside, "reason", why);
}

static int load_state(notifier *n)
{
    char *text;
    size_t len;
    int rc = ltm_read_file(n->state_path, MAX_STATE, &text, &len);
    if (rc == LTM_ENOTFOUND)
        return LTM_OK;
    if (rc != LTM_OK) {
        set_aside(n->state_path, ltm_strerror(rc));
        return LTM_OK;
    }
    char reason[128];
    cJSON *root = ltm_json_parse_object(text, len, reason, sizeof reason);
    free(text);
    if (!root) {
        set_aside(n->state_path, reason);
        return LTM_OK;
    }
    size_t skipped = 0;
    rc = ntf_engine_from_json(&n->engine, cJSON_GetObjectItemCaseSensitive(root, "alerts"),
                              &skipped);
    ntf_rules_from_json(&n->rules, cJSON_GetObjectItemCaseSensitive(root, "rules"));
    ntf_host_from_json(&n->host, cJSON_GetObjectItemCaseSensitive(root, "host"));
    int64_t ms = ltm_json_count(cJSON_GetObjectItemCaseSensitive(root, "last_notice_ms"));
    if (ms > 0)
        n->last_notice_ms = ms;
    const char *job = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "last_report_job"));
    if (job)
        snprintf(n->last_report_job, sizeof n->last_report_job, "%s", job);
    cJSON_Delete(root);
    if (skipped)
        ltm_warn("state file: malformed alerts skipped", "count", LTM_INT(skipped));
    ltm_info("state restored", "alerts", LTM_INT(n->engine.count));
    return rc;
}

static int load_queue(notifier *n)
{
    char *text;
    size_t len;
    int rc = ltm_read_file(n->queue_path, MAX_STATE, &text, &len);
    if (rc == LTM_ENOTFOUND)
        return LTM_OK;
    if (rc == LTM_OK) {
        rc = ntf_queue_parse(&n->queue, text, len);
        free(text);
    }
    if (rc == LTM_ENOMEM)
        return rc;
    if (rc != LTM_OK) {
        set_aside(n->queue_path, ltm_strerror(rc));
        return LTM_OK;
    }
    if (n->queue.count)
        ltm_info("pending notifications restored", "queue", LTM_INT(n->queue.count));
    return LTM_OK;
}

int ntf_store_open(notifier *n)
{
    snprintf(n->dir, sizeof n->dir, "%s/notifier", ltm_service_data_dir(n->svc));
    snprintf(n->state_path, sizeof n->state_path, "%s/state.json", n->dir);
    snprintf(n->queue_path, sizeof n->queue_path, "%s/queue.json", n->dir);
    snprintf(n->records_path, sizeof n->records_path, "%s/results.jsonl", n->dir);
    if (ltm_mkdirs(n->dir, 0750) != LTM_OK) {
        ltm_error("cannot create the state directory", "dir", n->dir, "error", strerror(errno));
        return LTM_EIO;
    }
    int rc = load_state(n);
    return rc ? rc : load_queue(n);
}

static int save_state(notifier *n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *alerts = ntf_engine_to_json(&n->engine);
    cJSON *rules = ntf_rules_to_json(&n->rules);
    cJSON *host = ntf_host_to_json(&n->host);
    if (!root || !alerts || !rules || !host) {
        cJSON_Delete(root);
        cJSON_Delete(alerts);
        cJSON_Delete(rules);
        cJSON_Delete(host);
        return LTM_ENOMEM;
    }
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddItemToObject(root, "alerts", alerts);
    cJSON_AddItemToObject(root, "rules", rules);
    cJSON_AddItemToObject(root, "host", host);
    cJSON_AddNumberToObject(root, "last_notice_ms", (double)n->last_notice_ms);
    ltm_json_add_str(root, "last_report_job", n->last_report_job);
    char *text = ltm_json_finish(root);
    if (!text)
        return LTM_ENOMEM;
    int rc = ltm_write_file_atomic(n->state_path, text, strlen(text));
    free(text);
    return rc;
}

int ntf_store_save(notifier *n)
{
    int rc = LTM_OK;
    if (n->queue_dirty) {
        char *text = ntf_queue_serialize(&n->queue);
        rc = text ? ltm_write_file_atomic(n->queue_path, text, strlen(text)) : LTM_ENOMEM;
        free(text);
        if (rc == LTM_OK)
            n->queue_dirty = 0;
        else
            ltm_error("queue not saved", "file", n->queue_path, "error", ltm_strerror(rc));
    }
    if (n->state_dirty) {
        int src = save_state(n);
        if (src == LTM_OK)
            n->state_dirty = 0;
        else
            ltm_error("state not saved", "file", n->state_path, "error", ltm_strerror(src));
        rc = rc ? rc : src;
    }
    if (rc)
        ltm_service_count_error(n->svc);
    return rc;
}

int ntf_store_append_record(notifier *n, const ltm_result *res)
{
    struct stat st;
    if (stat(n->records_path, &st) == 0 && (uint64_t)st.st_size >= RECORDS_FILE_MAX) {
        if (n->records_dropped++ % 1000 == 0)
            ltm_error("results file full: result not recorded for the daily report", "job_id",
                      res->job_id, "file", n->records_path, "dropped", LTM_INT(n->records_dropped));
        ltm_service_count_error(n->svc);
        return LTM_EFULL;
    }
    char *line = ntf_record_line(res);
    int rc = line ? ltm_append_record(n->records_path, line, strlen(line)) : LTM_ENOMEM;
    free(line);
    if (rc != LTM_OK) {
        ltm_service_count_error(n->svc);
        ltm_error("result not recorded for the daily report", "job_id", res->job_id, "error",
                  ltm_strerror(rc));
    }
    return rc;
}

void ntf_records_free(ntf_record *records, size_t count)
{
    for (size_t i = 0; i < count; i++)
        ntf_record_clear(&records[i]);
    free(records);
}

int ntf_store_load_records(notifier *n, int64_t keep_before_ms, ntf_record **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    char *text;
    size_t len;
    int rc = ltm_read_file(n->records_path, MAX_RECORDS, &text, &len);
    if (rc == LTM_ENOTFOUND)
        return LTM_OK;
    if (rc != LTM_OK)
        return rc;
    ntf_record *recs = NULL;
    size_t nrec = 0, cap = 0, bad = 0, kept_len = 0;
    char *kept = malloc(len + 1);
    for (char *line = text; kept && line < text + len;) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        size_t n_line = end ? (size_t)(end - line) : (size_t)(text + len - line);
        ntf_record r;
        if (n_line == 0) {
            /* blank line */
        } else if (ntf_record_parse(line, n_line, &r) != LTM_OK) {
            bad++;
        } else if (r.finished_ms < keep_before_ms) {
            ntf_record_clear(&r);
        } else {
            if (nrec == cap) {
                cap = cap ? cap * 2 : 64;
                ntf_record *p = realloc(recs, cap * sizeof *p);
                if (!p) {
                    ntf_record_clear(&r);
                    rc = LTM_ENOMEM;
                    break;
                }
                recs = p;
            }
            recs[nrec++] = r;
            memcpy(kept + kept_len, line, n_line);
            kept_len += n_line;
            kept[kept_len++] = '\n';
        }
        line += n_line + 1;
    }
    free(text);
    if (!kept)
        rc = LTM_ENOMEM;
    if (bad)
        ltm_warn("results file: malformed lines skipped", "count", LTM_INT(bad));
    if (rc == LTM_OK)
        rc = ltm_write_file_atomic(n->records_path, kept, kept_len);
    free(kept);
    if (rc != LTM_OK) {
        ntf_records_free(recs, nrec);
        return rc;
    }
    *out = recs;
    *count = nrec;
    return LTM_OK;
}
