/* The scheduler's replies as text for a person. */
#include "cli.h"
#include "traffic_print.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/msg.h"

#include <cjson/cJSON.h>
#include <string.h>

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

int ltmctl_reply_status(const char *reply, size_t len)
{
    char reason[LTM_REASON_SIZE];
    cJSON *o = ltm_json_parse_object(reply, len, reason, sizeof reason);
    int ok = o && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
    cJSON_Delete(o);
    return ok ? LTMCTL_OK : LTMCTL_REFUSED;
}

static void print_attempts(FILE *out, const cJSON *job)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(job, "attempts")) {
        const char *outcome = str(a, "outcome");
        fprintf(out, "    attempt %d  dispatched %s  %s", num(a, "attempt"), str(a, "dispatched_at"),
                outcome[0] ? outcome : "in flight");
        if (str(a, "error_class")[0])
            fprintf(out, " (%s%s%s)", str(a, "error_class"), str(a, "error")[0] ? ": " : "",
                    str(a, "error"));
        if (str(a, "finished_at")[0])
            fprintf(out, "  at %s", str(a, "finished_at"));
        if (str(a, "remote_id")[0])
            fprintf(out, "  -> %s", str(a, "remote_id"));
        fputc('\n', out);
    }
}

static void print_jobs(FILE *out, const cJSON *o)
{
    const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(o, "jobs");
    if (cJSON_GetArraySize(jobs) == 0) {
        fputs("no jobs\n", out);
        return;
    }
    const cJSON *j;
    cJSON_ArrayForEach(j, jobs) {
        fprintf(out, "%s  %s  attempts %d/%d  slot %s", str(j, "job_id"), str(j, "state"),
                num(j, "attempt"), num(j, "max_attempts"), str(j, "slot"));
        if (str(j, "due")[0])
            fprintf(out, "  due %s", str(j, "due"));
        if (str(j, "reason")[0])
            fprintf(out, "  (%s)", str(j, "reason"));
        fputc('\n', out);
        print_attempts(out, j);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "truncated")))
        fputs("(older jobs left out: the reply reached its size limit; use --since or --limit)\n",
              out);
}

int ltmctl_print_reply(FILE *out, FILE *err, const char *command, const char *reply, size_t len)
{
    char reason[LTM_REASON_SIZE];
    cJSON *o = ltm_json_parse_object(reply, len, reason, sizeof reason);
    if (!o) {
        fprintf(err, "ltmctl: the scheduler's reply is malformed: %s\n", reason);
        return LTMCTL_REFUSED;
    }
    int rc = LTMCTL_OK;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"))) {
        fprintf(err, "ltmctl: refused (%s): %s\n", str(o, "code"), str(o, "error"));
        rc = LTMCTL_REFUSED;
    } else if (strcmp(command, "jobs") == 0) {
        print_jobs(out, o);
    } else if (strcmp(command, "traffic") == 0) {
        ltmctl_print_traffic(out, o);
    } else if (strcmp(command, "pause") == 0 || strcmp(command, "resume") == 0) {
        fprintf(out, "account %s %s\n", str(o, "account"),
                command[0] == 'p' ? "paused" : "resumed");
    } else {
        fprintf(out, "%s due %s\n", str(o, "job_id"), str(o, "due"));
    }
    cJSON_Delete(o);
    return rc;
}

int ltmctl_reply_job_id(const char *reply, size_t len, char *out, size_t size)
{
    cJSON *o = cJSON_ParseWithLength(reply, len);
    const char *id = o ? str(o, "job_id") : "";
    int found = id[0] != '\0';
    snprintf(out, size, "%s", id);
    cJSON_Delete(o);
    return found;
}

int ltmctl_outcome(FILE *out, FILE *err, const char *payload, size_t len, const char *job_id,
                   int json)
{
    cJSON *o = cJSON_ParseWithLength(payload, len);
    if (!o || strcmp(str(o, "job_id"), job_id) != 0) {
        cJSON_Delete(o);
        return -1;
    }
    cJSON_Delete(o);
    /* Ours: read as strictly as the services do. A malformed one must not end
     * the wait with a made-up outcome; the services that read ltm/results
     * dead-letter it, and the person waiting is told. */
    ltm_result r;
    char reason[LTM_REASON_SIZE];
    if (ltm_result_decode(payload, len, &r, reason) != LTM_OK) {
        fprintf(err, "ltmctl: a malformed result for %s ignored: %s\n", job_id, reason);
        return -1;
    }
    int success = r.status == LTM_RESULT_PUBLISHED || r.status == LTM_RESULT_DUPLICATE;
    int rc = success ? LTMCTL_OK : LTMCTL_JOB_FAILED;
    if (!success && !r.final) {
        rc = -1; /* a failed attempt that will be retried */
    } else if (json) {
        fwrite(payload, 1, len, out);
        fputc('\n', out);
    } else if (success) {
        fprintf(out, "%s %s by attempt %d%s%s\n", job_id, ltm_result_status_name(r.status),
                r.attempt, r.remote_id ? ": " : "", r.remote_id ? r.remote_id : "");
    } else {
        fprintf(out, "%s %s after attempt %d: %s%s%s\n", job_id, ltm_result_status_name(r.status),
                r.attempt, r.error_class ? r.error_class : "", r.error ? ": " : "",
                r.error ? r.error : "");
    }
    ltm_result_clear(&r);
    return rc;
}
