#include "ltm/worker.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ltm_setting ltm_worker_settings[] = {
    {"LTM_MODE", LTM_SET_ENUM, "sandbox", 0, 0, 0, "sandbox|live",
     "sandbox: nothing leaves the machine, posts go to the outbox file; live: publish for real"},
};
const size_t ltm_worker_setting_count = sizeof ltm_worker_settings / sizeof ltm_worker_settings[0];

int ltm_worker_check(ltm_service *svc)
{
    const char *mode = ltm_config_str(ltm_service_config(svc), "LTM_MODE");
    if (strcmp(mode, "live") == 0) {
        fprintf(stderr, "ltm-%s: setting LTM_MODE=live: live publishing to LinkedIn, Instagram, "
                        "RapidAPI and webhooks is not built in this version; use LTM_MODE=sandbox\n",
                ltm_service_name(svc));
        return LTM_ECONFIG;
    }
    ltm_info("sandbox mode: publications are written to the outbox file, nothing is sent",
             "outbox", ltm_service_data_dir(svc));
    return LTM_OK;
}

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

typedef struct {
    ltm_service *svc;
    const ltm_worker_def *def;
    char outbox_path[4096];
} worker;

static void publish_result(worker *w, const ltm_result *r)
{
    ltm_service_publish_json(w->svc, "ltm/results", ltm_result_encode(r), 1, 0);
}

/* Sandbox channel: one JSON line per publication in the outbox file. */
static int sandbox_publish(worker *w, const ltm_job *job, char **remote_id, char *error,
                           size_t error_size)
{
    char *text = ltm_sandbox_text(job);
    cJSON *o = cJSON_CreateObject();
    char id[300];
    snprintf(id, sizeof id, "sandbox:%s", job->job_id);
    if (!text || !o) {
        free(text);
        cJSON_Delete(o);
        snprintf(error, error_size, "out of memory");
        return LTM_ENOMEM;
    }
    ltm_json_add_str(o, "remote_id", id);
    ltm_json_add_str(o, "job_id", job->job_id);
    ltm_json_add_str(o, "kind", ltm_job_kind_name(job->kind));
    ltm_json_add_str(o, "account", job->account);
    cJSON_AddNumberToObject(o, "attempt", job->attempt);
    ltm_json_add_time(o, "slot", job->slot_ms);
    ltm_json_add_time(o, "published_at", ltm_now_ms());
    ltm_json_add_str(o, "text", text);
    ltm_json_add_str(o, "image_url", job->image_url);
    free(text);
    char *line = ltm_json_finish(o);
    if (!line) {
        snprintf(error, error_size, "out of memory");
        return LTM_ENOMEM;
    }
    size_t len = strlen(line);
    char *record = realloc(line, len + 2);
    if (!record) {
        free(line);
        snprintf(error, error_size, "out of memory");
        return LTM_ENOMEM;
    }
    record[len] = '\n';
    record[len + 1] = '\0';
    int rc = ltm_append_record(w->outbox_path, record, len + 1);
    free(record);
    if (rc != LTM_OK) {
        snprintf(error, error_size, "cannot append to the outbox file: %s", strerror(errno));
        return rc;
    }
    *remote_id = strdup(id);
    return LTM_OK;
}

static void handle_job(worker *w, const ltm_mqtt_message *m)
{
    ltm_job job;
    char reason[LTM_REASON_SIZE];
    if (ltm_job_decode(m->payload, m->len, &job, reason) != LTM_OK) {
        ltm_service_dead_letter(w->svc, m, reason);
        return;
    }
    if (job.kind != w->def->kind) {
        snprintf(reason, sizeof reason, "job kind %s does not belong on %s",
                 ltm_job_kind_name(job.kind), m->topic);
        ltm_service_dead_letter(w->svc, m, reason);
        ltm_job_clear(&job);
        return;
    }
    ltm_info("job received", "job_id", job.job_id, "account", job.account, "attempt",
             LTM_INT(job.attempt));
    int64_t start = ltm_mono_ms();
    ltm_result r = {0};
    char error[512] = "";
    r.job_id = job.job_id;
    r.kind = job.kind;
    r.account = job.account;
    r.attempt = job.attempt;
    r.channel = "sandbox";
    r.worker = (char *)ltm_service_client_id(w->svc);
    int rc = sandbox_publish(w, &job, &r.remote_id, error, sizeof error);
    r.publish_ms = ltm_mono_ms() - start;
    r.finished_ms = ltm_now_ms();
    if (rc == LTM_OK) {
        r.status = LTM_RESULT_PUBLISHED;
        r.final = 1;
    } else {
        /* A local write failed before anything was published: safe to retry. */
        r.status = LTM_RESULT_FAILED;
        r.retryable = 1;
        r.final = job.attempt >= job.max_attempts;
        r.error_class = "internal";
        r.error = error;
    }
    ltm_service_observe(w->svc, "publish", r.publish_ms, rc == LTM_OK);
    publish_result(w, &r);
    ltm_log(rc == LTM_OK ? LTM_LOG_INFO : LTM_LOG_ERROR, "attempt finished", "job_id", job.job_id,
            "account", job.account, "attempt", LTM_INT(job.attempt), "status",
            ltm_result_status_name(r.status), "channel", r.channel, "remote_id", r.remote_id,
            "publish_ms", LTM_INT(r.publish_ms), "error", rc == LTM_OK ? NULL : error, NULL);
    free(r.remote_id);
    ltm_job_clear(&job);
}

int ltm_worker_run(ltm_service *svc, const ltm_worker_def *def)
{
    worker w = {.svc = svc, .def = def};
    char outbox_dir[4016];
    snprintf(outbox_dir, sizeof outbox_dir, "%s/outbox", ltm_service_data_dir(svc));
    if (ltm_mkdirs(outbox_dir, 0750) != LTM_OK) {
        ltm_error("cannot create the outbox directory", "path", outbox_dir, "error",
                  strerror(errno));
        ltm_service_free(svc);
        return 1;
    }
    if (snprintf(w.outbox_path, sizeof w.outbox_path, "%.4000s/%ss.jsonl", outbox_dir,
                 ltm_job_kind_name(def->kind)) >= (int)sizeof w.outbox_path) {
        ltm_error("data directory path too long", "path", outbox_dir);
        ltm_service_free(svc);
        return 1;
    }
    char filter[128];
    snprintf(filter, sizeof filter, "$share/%s/ltm/jobs/%s", def->share_group,
             ltm_job_kind_name(def->kind));
    ltm_service_subscribe(svc, filter, 1);
    ltm_service_start(svc);
    while (ltm_service_running(svc)) {
        ltm_service_wait(svc, 1000);
        ltm_mqtt_message *m;
        while ((m = ltm_service_next(svc)) != NULL) {
            handle_job(&w, m);
            ltm_mqtt_message_free(m);
        }
    }
    return ltm_service_shutdown(svc);
}
