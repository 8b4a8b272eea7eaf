#include "commands.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 10000
#define JOBS_LIMIT_MAX 500
/* Keeps a jobs reply under the broker's message_size_limit (256 KiB). */
#define REPLY_MAX_BYTES 240000

int commands_valid_request_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return 0;
    for (; *id; id++) {
        if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
              (*id >= '0' && *id <= '9') || *id == '-' || *id == '_' || *id == '.'))
            return 0;
    }
    return 1;
}

typedef struct {
    char *request_id, *command, *account, *text, *prompt, *image_url;
    int64_t at_ms, since_ms;
    long long limit;
} request;

static void request_clear(request *r)
{
    free(r->request_id);
    free(r->command);
    free(r->account);
    free(r->text);
    free(r->prompt);
    free(r->image_url);
}

static int parse_request(const cJSON *root, request *r, char *reason, size_t size)
{
    static const char *const known[] = {"post", "story", "jobs", "pause", "resume"};
    int rc = ltm_json_str(root, "command", 1, 16, &r->command, reason, size);
    size_t k = 0;
    while (!rc && k < sizeof known / sizeof known[0] && strcmp(r->command, known[k]) != 0)
        k++;
    /* An unknown command is a malformed request like a bad field: the asker
     * gets the refusal, and ltm/dlq shows it (a client of another version?). */
    if (!rc && k == sizeof known / sizeof known[0]) {
        snprintf(reason, size, "field command: unknown \"%.32s\", expected post, story, jobs, "
                               "pause or resume", r->command);
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_str(root, "account", 0, 64, &r->account, reason, size);
    if (!rc)
        rc = ltm_json_str(root, "text", 0, TEXT_MAX, &r->text, reason, size);
    if (!rc)
        rc = ltm_json_str(root, "prompt", 0, TEXT_MAX, &r->prompt, reason, size);
    if (!rc)
        rc = ltm_json_str(root, "image_url", 0, 2048, &r->image_url, reason, size);
    if (!rc)
        rc = ltm_json_time(root, "at", 0, &r->at_ms, reason, size);
    if (!rc)
        rc = ltm_json_time(root, "since", 0, &r->since_ms, reason, size);
    r->limit = 100;
    if (!rc)
        rc = ltm_json_int(root, "limit", 0, 1, JOBS_LIMIT_MAX, &r->limit, reason, size);
    return rc;
}

static const char *code_of(int rc)
{
    return rc == LTM_ENOTFOUND ? "not_found" : rc == LTM_EINVAL ? "invalid" : "internal";
}

/* Drops the oldest jobs from the reply until it fits in one message. */
static char *jobs_reply(cJSON *o, cJSON *jobs)
{
    cJSON_AddBoolToObject(o, "truncated", 0);
    for (;;) {
        char *text = cJSON_PrintUnformatted(o);
        int n = cJSON_GetArraySize(jobs);
        if (!text || strlen(text) <= REPLY_MAX_BYTES || n == 0) {
            cJSON_Delete(o);
            return text;
        }
        free(text);
        cJSON_DeleteItemFromArray(jobs, n - 1);
        cJSON_ReplaceItemInObject(o, "truncated", cJSON_CreateBool(1));
    }
}

static char *execute(engine *e, const request *q, int64_t now, cJSON *o)
{
    char err[256] = "";
    int rc = LTM_OK;
    const char *cmd = q->command;
    if (strcmp(cmd, "post") == 0 || strcmp(cmd, "story") == 0) {
        ltm_job_kind kind = cmd[0] == 'p' ? LTM_JOB_POST : LTM_JOB_STORY;
        char job_id[200];
        ledger *l = engine_ledger(e);
        if ((rc = ledger_begin(l)) == LTM_OK) {
            rc = engine_submit(e, kind, q->account, q->request_id, q->text, q->prompt,
                               q->image_url, q->at_ms, now, job_id, sizeof job_id, err,
                               sizeof err);
            if (rc == LTM_OK)
                rc = ledger_commit(l);
            if (rc != LTM_OK)
                ledger_rollback(l);
        }
        if (rc == LTM_OK) {
            ltm_json_add_str(o, "job_id", job_id);
            ltm_json_add_time(o, "due", q->at_ms > now ? q->at_ms : now);
        }
    } else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0) {
        rc = engine_set_paused(e, q->account, cmd[0] == 'p', now, err, sizeof err);
        if (rc == LTM_OK)
            ltm_json_add_str(o, "account", q->account);
    } else { /* jobs: parse_request let only known commands through */
        cJSON *jobs = NULL;
        rc = ledger_jobs_json(engine_ledger(e), q->account, q->since_ms, (int)q->limit, &jobs);
        if (rc == LTM_OK) {
            cJSON_AddItemToObject(o, "jobs", jobs);
            cJSON_AddBoolToObject(o, "ok", 1);
            return jobs_reply(o, jobs);
        }
        snprintf(err, sizeof err, "cannot read the ledger");
    }
    cJSON_AddBoolToObject(o, "ok", rc == LTM_OK);
    if (rc != LTM_OK) {
        ltm_json_add_str(o, "code", code_of(rc));
        ltm_json_add_str(o, "error", err[0] ? err : ltm_strerror(rc));
    }
    return ltm_json_finish(o);
}

int commands_handle(engine *e, const char *payload, size_t len, int64_t now, char **reply_topic,
                    char **reply, char *reason, size_t reason_size)
{
    *reply_topic = *reply = NULL;
    cJSON *root = ltm_json_parse_object(payload, len, reason, reason_size);
    if (!root)
        return LTM_EINVAL;
    request q = {0};
    int rc = ltm_json_str(root, "request_id", 1, 64, &q.request_id, reason, reason_size);
    if (rc == LTM_OK && !commands_valid_request_id(q.request_id)) {
        snprintf(reason, reason_size, "field request_id: expected 1-64 of A-Z a-z 0-9 - _ .");
        rc = LTM_EINVAL;
    }
    if (rc != LTM_OK) {
        cJSON_Delete(root);
        request_clear(&q);
        return LTM_EINVAL;
    }
    size_t tsize = strlen(q.request_id) + 16;
    *reply_topic = malloc(tsize);
    if (*reply_topic)
        snprintf(*reply_topic, tsize, "ltm/replies/%s", q.request_id);
    cJSON *o = cJSON_CreateObject();
    if (o)
        ltm_json_add_str(o, "request_id", q.request_id);
    int bad = parse_request(root, &q, reason, reason_size);
    if (!o) {
        *reply = NULL;
    } else if (bad) {
        cJSON_AddBoolToObject(o, "ok", 0);
        ltm_json_add_str(o, "code", "invalid");
        ltm_json_add_str(o, "error", reason);
        *reply = ltm_json_finish(o);
    } else {
        *reply = execute(e, &q, now, o);
    }
    cJSON_Delete(root);
    request_clear(&q);
    return bad ? LTM_EINVAL : LTM_OK;
}
