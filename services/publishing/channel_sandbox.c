/* The sandbox channel: publications appended to the outbox file, figures made
 * up from the post's id and age; no API. */
#include "publishing/channels.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ltm_sandbox_text(const ltm_job *job)
{
    char slot[LTM_ISO_SIZE];
    const char *body = job->text ? job->text : job->prompt;
    size_t size = 256 + strlen(job->account ? job->account : "") + (body ? strlen(body) : 0);
    char *text = malloc(size);
    if (!text)
        return NULL;
    if (job->text)
        snprintf(text, size, "[SANDBOX] %s", job->text);
    else
        snprintf(text, size,
                 "[SANDBOX] %s for account %s, slot %s: generated locally, no model was called%s%s",
                 job->kind == LTM_JOB_STORY ? "Story" : "Post", job->account,
                 ltm_time_format_iso(job->slot_ms, slot), body ? ". Prompt: " : "",
                 body ? body : "");
    return text;
}

char *ltm_sandbox_record(const ltm_job *job, int64_t now_ms)
{
    char *text = ltm_sandbox_text(job);
    cJSON *o = cJSON_CreateObject();
    char id[300];
    snprintf(id, sizeof id, "sandbox:%s", job->job_id);
    if (!text || !o) {
        free(text);
        cJSON_Delete(o);
        return NULL;
    }
    int rc = ltm_json_add_str(o, "remote_id", id);
    rc |= ltm_json_add_str(o, "job_id", job->job_id);
    rc |= ltm_json_add_str(o, "kind", ltm_job_kind_name(job->kind));
    rc |= ltm_json_add_str(o, "account", job->account);
    rc |= cJSON_AddNumberToObject(o, "attempt", job->attempt) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_time(o, "slot", job->slot_ms);
    rc |= ltm_json_add_time(o, "published_at", now_ms);
    rc |= ltm_json_add_str(o, "text", text);
    rc |= ltm_json_add_str(o, "image_url", job->image_url);
    free(text);
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return ltm_json_finish(o);
}

/* Nothing leaves the machine: one JSON line per publication in the outbox
 * file, written with one fsynced append so a crash never leaves half a line. */
static void sandbox_publish(ltm_task *t)
{
    char *line = ltm_sandbox_record(t->job, ltm_now_ms());
    size_t len = line ? strlen(line) : 0;
    char *record = line ? realloc(line, len + 2) : NULL;
    if (!record) {
        free(line);
        ltm_task_fail(t, "internal", 1, "out of memory");
        return;
    }
    record[len] = '\n';
    record[len + 1] = '\0';
    int rc = ltm_append_record(t->env->outbox_path, record, len + 1);
    free(record);
    if (rc != LTM_OK) {
        /* A local write failed before anything was published: safe to retry. */
        ltm_task_fail(t, "internal", 1, "cannot append to the outbox file: %s", strerror(errno));
        return;
    }
    char id[300];
    snprintf(id, sizeof id, "sandbox:%s", t->job->job_id);
    ltm_outcome_published(&t->outcome, id);
    ltm_task_finish(t);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Deterministic so a test (or an operator comparing the report with the
 * outbox) can recompute every figure; each post gets its own "reach" through
 * the hash, and the figures rise towards ten times their start over days. */
void ltm_sandbox_figures(const char *remote_id, int64_t age_ms, int story, ltm_figures *f)
{
    uint64_t h = fnv1a64(remote_id ? remote_id : "");
    int64_t minutes = age_ms > 0 ? age_ms / 60000 : 0;
    int64_t base = 100 + (int64_t)(h % 900);
    f->impressions = base + 9 * base * minutes / (minutes + 1440);
    f->reach = f->impressions * (60 + (int64_t)((h >> 10) % 31)) / 100;
    int64_t reactions = f->reach * (2 + (int64_t)((h >> 15) % 7)) / 100;
    f->comments = reactions * (10 + (int64_t)((h >> 20) % 21)) / 100;
    f->shares = reactions * (5 + (int64_t)((h >> 25) % 11)) / 100;
    f->reactions = story ? -1 : reactions;
    f->saves = story ? -1 : reactions * (5 + (int64_t)((h >> 30) % 16)) / 100;
}

static void sandbox_read(ltm_task *t)
{
    ltm_figures f;
    ltm_sandbox_figures(t->job->remote_id, t->job->age_ms, t->job->post_kind == LTM_JOB_STORY,
                        &f);
    ltm_task_read(t, &f);
}

const ltm_channel_ops ltm_sandbox_ops = {LTM_CHANNEL_SANDBOX, sandbox_publish, NULL,
                                         sandbox_read};
