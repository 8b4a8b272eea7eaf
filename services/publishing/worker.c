/* The publishing worker's loop: settings, accounts, inbox, curl and MQTT in one poll. */
#include "publishing/worker.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"
#include "worker_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_MS (86400000.0)

const ltm_setting ltm_worker_settings[] = {
    {"LTM_MODE", LTM_SET_ENUM, "sandbox", 0, 0, 0, "sandbox|live",
     "sandbox: nothing leaves the machine, publications go to the outbox files; live: publish "
     "on each account's channel"},
    {"LTM_ACCOUNTS_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "accounts file (default $LTM_DATA_DIR/accounts.json; required in live mode)"},
    {"LTM_WORKER_INFLIGHT", LTM_SET_INT, "16", 0, 1, 4096, NULL, "jobs carried out at once"},
    {"LTM_WORKER_DRAIN_TIMEOUT", LTM_SET_DURATION, "20s", 0, 0, 600000, NULL,
     "on SIGTERM, how long jobs in flight may take to finish"},
    {"LTM_HTTP_CONNECT_TIMEOUT", LTM_SET_DURATION, "10s", 0, 50, 120000, NULL,
     "connect timeout of every HTTP call"},
    {"LTM_HTTP_TIMEOUT", LTM_SET_DURATION, "30s", 0, 100, 600000, NULL,
     "total timeout of every HTTP call"},
    {"LTM_DB_SYNC", LTM_SET_ENUM, "normal", 0, 0, 0, "normal|full",
     "de-duplication database commits: normal survives a crash of the worker, full also a "
     "power loss (and costs an fsync per write)"},
    {"LTM_QUOTA_PAUSE", LTM_SET_DURATION, "1h", 0, 0, 31 * DAY_MS, NULL,
     "after an exhausted-quota answer, how long later jobs fail at once instead of calling "
     "(0: never pause)"},
    {"LTM_PUBLISHED_RETENTION", LTM_SET_DURATION, "30d", 0, 3600000, 3650 * DAY_MS, NULL,
     "how long a publication is remembered for de-duplication"},
    {"OPENAI_API_KEY", LTM_SET_STRING, NULL, LTM_SETTING_SECRET, 0, 0, NULL,
     "OpenAI (or compatible) API key; live posts without a final text need it"},
    {"OPENAI_BASE_URL", LTM_SET_STRING, "https://api.openai.com/v1", 0, 0, 0, NULL,
     "Chat Completions base URL (any OpenAI-compatible server)"},
    {"OPENAI_MODEL", LTM_SET_STRING, "gpt-4o-mini", 0, 0, 0, NULL, "model that writes the posts"},
    {"LTM_OPENAI_MAX_TOKENS", LTM_SET_INT, "1000", 0, 16, 32000, NULL, "max_tokens of a post"},
    {"REPLICATE_TOKEN", LTM_SET_STRING, NULL, LTM_SETTING_SECRET, 0, 0, NULL,
     "Replicate API token; without it images come from the accounts' image_urls"},
    {"LTM_REPLICATE_BASE_URL", LTM_SET_STRING, "https://api.replicate.com", 0, 0, 0, NULL,
     "Replicate API base URL"},
    {"LTM_REPLICATE_MODEL", LTM_SET_STRING, "black-forest-labs/flux-schnell", 0, 0, 0, NULL,
     "Replicate model, owner/name or owner/name:version"},
    {"LTM_REPLICATE_TIMEOUT", LTM_SET_DURATION, "120s", 0, 100, 3600000, NULL,
     "how long an image may take"},
    {"LTM_REPLICATE_POLL_INTERVAL", LTM_SET_DURATION, "1s", 0, 10, 60000, NULL,
     "pause between two polls of a prediction"},
    {"LTM_LINKEDIN_BASE_URL", LTM_SET_STRING, "https://api.linkedin.com", 0, 0, 0, NULL,
     "LinkedIn API base URL"},
    {"LTM_LINKEDIN_VERSION", LTM_SET_STRING, "202610", 0, 0, 0, NULL,
     "LinkedIn-Version header, YYYYMM; LinkedIn retires versions after about a year"},
    {"LTM_INSTAGRAM_BASE_URL", LTM_SET_STRING, "https://graph.facebook.com/v22.0", 0, 0, 0, NULL,
     "Instagram Graph API base URL, with its version"},
    {"LTM_INSTAGRAM_POLL_INTERVAL", LTM_SET_DURATION, "2s", 0, 10, 60000, NULL,
     "pause between two checks of a media container"},
    {"LTM_INSTAGRAM_CONTAINER_TIMEOUT", LTM_SET_DURATION, "60s", 0, 100, 3600000, NULL,
     "how long a media container may take to be ready"},
    {"LTM_RAPIDAPI_BASE_URL", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "RapidAPI base URL (default https://<the account's host>)"},
};
const size_t ltm_worker_setting_count = sizeof ltm_worker_settings / sizeof ltm_worker_settings[0];

static int config_error(const ltm_service *svc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int config_error(const ltm_service *svc, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "ltm-%s: %s\n", ltm_service_name(svc), line);
    return LTM_ECONFIG;
}

static int check_url(const ltm_service *svc, const ltm_config *c, const char *name)
{
    const char *v = ltm_config_str(c, name);
    if (v && strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
        return config_error(svc, "setting %s: expected an http:// or https:// URL, got \"%s\"",
                            name, v);
    return LTM_OK;
}

static int check_settings(ltm_worker *w)
{
    const ltm_config *c = ltm_service_config(w->svc);
    const char *urls[] = {"OPENAI_BASE_URL", "LTM_REPLICATE_BASE_URL", "LTM_LINKEDIN_BASE_URL",
                          "LTM_INSTAGRAM_BASE_URL", "LTM_RAPIDAPI_BASE_URL"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        if (check_url(w->svc, c, urls[i]) != LTM_OK)
            return LTM_ECONFIG;
    const char *v = ltm_config_str(c, "LTM_LINKEDIN_VERSION");
    if (strlen(v) != 6 || strspn(v, "0123456789") != 6 || strncmp(v, "20", 2) != 0 ||
        atoi(v + 4) < 1 || atoi(v + 4) > 12)
        return config_error(w->svc, "setting %s: expected a version YYYYMM such as 202610, got "
                            "\"%s\"", "LTM_LINKEDIN_VERSION", v);
    const char *model = ltm_config_str(c, "LTM_REPLICATE_MODEL");
    if (!strchr(model, '/') || strpbrk(model, " ?#"))
        return config_error(w->svc, "setting %s: expected owner/name or owner/name:version, got "
                            "\"%s\"", "LTM_REPLICATE_MODEL", model);
    return LTM_OK;
}

/* In live mode the accounts file is required and each live channel's token
 * must be in the environment now, not at the first job hours later. */
static int load_accounts(ltm_worker *w)
{
    const ltm_config *c = ltm_service_config(w->svc);
    char path[4200], err[600];
    const char *set = ltm_config_str(c, "LTM_ACCOUNTS_FILE");
    snprintf(path, sizeof path, "%s", set ? set : "");
    if (!set)
        snprintf(path, sizeof path, "%.4000s/accounts.json", ltm_service_data_dir(w->svc));
    int rc = ltm_accounts_load(path, &w->accounts, err, sizeof err);
    if (rc == LTM_ENOTFOUND && !w->live && !set) {
        ltm_info("sandbox mode without an accounts file: every job goes to the outbox", "path",
                 path);
        return LTM_OK;
    }
    if (rc != LTM_OK)
        return config_error(w->svc, "%s", err);
    if (!w->live)
        return LTM_OK;
    rc = ltm_accounts_resolve(w->accounts, w->def.kind, NULL, NULL, err, sizeof err);
    if (rc != LTM_OK)
        return config_error(w->svc, "%s", err);
    /* Engagement checks read stories too, with the story channel's token;
     * the deployment gives story tokens to the story-publisher, so one
     * missing here only fails that account's story checks (config). */
    if (w->def.reads_figures && w->def.kind != LTM_JOB_STORY) {
        size_t missing = 0;
        if (ltm_accounts_resolve_available(w->accounts, LTM_JOB_STORY, NULL, NULL, &missing) !=
            LTM_OK)
            return config_error(w->svc, "out of memory while reading the story tokens");
        if (missing)
            ltm_warn("story tokens not set: those accounts' story checks fail (config) until "
                     "they are", "accounts", LTM_INT((int64_t)missing));
    }
    int needs_text = 0;
    for (size_t i = 0; i < w->accounts->count; i++) {
        const ltm_account *acc = &w->accounts->items[i];
        const ltm_channel *ch = ltm_account_channel(acc, w->def.kind);
        ltm_log_add_secret(ch->token); /* redacted from logs and error texts */
        if (w->def.reads_figures)
            ltm_log_add_secret(ltm_account_channel(acc, LTM_JOB_STORY)->token);
        needs_text |= ch->type != LTM_CHANNEL_SANDBOX && w->def.kind == LTM_JOB_POST;
    }
    if (needs_text && !w->env.openai_key)
        return config_error(w->svc, "setting %s: required in live mode, where %s", "OPENAI_API_KEY",
                            "posts without a final text are written by the model");
    return LTM_OK;
}

static void fill_env(ltm_worker *w)
{
    const ltm_config *c = ltm_service_config(w->svc);
    ltm_publish_env *e = &w->env;
    e->http = w->http;
    e->connect_timeout_ms = (long)ltm_config_int(c, "LTM_HTTP_CONNECT_TIMEOUT");
    e->timeout_ms = (long)ltm_config_int(c, "LTM_HTTP_TIMEOUT");
    e->openai_key = ltm_config_str(c, "OPENAI_API_KEY");
    e->openai_base = ltm_config_str(c, "OPENAI_BASE_URL");
    e->openai_model = ltm_config_str(c, "OPENAI_MODEL");
    e->openai_max_tokens = (int)ltm_config_int(c, "LTM_OPENAI_MAX_TOKENS");
    e->replicate_token = ltm_config_str(c, "REPLICATE_TOKEN");
    e->replicate_base = ltm_config_str(c, "LTM_REPLICATE_BASE_URL");
    e->replicate_model = ltm_config_str(c, "LTM_REPLICATE_MODEL");
    e->replicate_timeout_ms = ltm_config_int(c, "LTM_REPLICATE_TIMEOUT");
    e->replicate_poll_ms = ltm_config_int(c, "LTM_REPLICATE_POLL_INTERVAL");
    e->linkedin_base = ltm_config_str(c, "LTM_LINKEDIN_BASE_URL");
    e->linkedin_version = ltm_config_str(c, "LTM_LINKEDIN_VERSION");
    e->instagram_base = ltm_config_str(c, "LTM_INSTAGRAM_BASE_URL");
    e->instagram_poll_ms = ltm_config_int(c, "LTM_INSTAGRAM_POLL_INTERVAL");
    e->instagram_timeout_ms = ltm_config_int(c, "LTM_INSTAGRAM_CONTAINER_TIMEOUT");
    e->rapidapi_base = ltm_config_str(c, "LTM_RAPIDAPI_BASE_URL");
    e->outbox_path = w->outbox_path;
    e->worker_id = ltm_service_client_id(w->svc);
    if (e->openai_key && *e->openai_key == '\0')
        e->openai_key = NULL;
    if (e->replicate_token && *e->replicate_token == '\0')
        e->replicate_token = NULL;
}

static int open_files(ltm_worker *w)
{
    char dir[4016], db[4200], err[600];
    snprintf(dir, sizeof dir, "%.4000s/outbox", ltm_service_data_dir(w->svc));
    if (ltm_mkdirs(dir, 0750) != LTM_OK) {
        fprintf(stderr, "ltm-%s: cannot create %s: %s\n", ltm_service_name(w->svc), dir,
                strerror(errno));
        return LTM_EIO;
    }
    snprintf(w->outbox_path, sizeof w->outbox_path, "%s/%s.jsonl", dir,
             w->def.kind == LTM_JOB_STORY ? "stories" : "posts");
    snprintf(db, sizeof db, "%.4000s/%s-publications.db", ltm_service_data_dir(w->svc),
             ltm_service_name(w->svc));
    const char *sync = ltm_config_str(ltm_service_config(w->svc), "LTM_DB_SYNC");
    int rc = ltm_pubstore_open(db, strcmp(sync, "full") == 0, &w->store, err, sizeof err);
    if (rc != LTM_OK)
        fprintf(stderr, "ltm-%s: cannot open the publication database %s\n",
                ltm_service_name(w->svc), err);
    return rc;
}

int ltm_worker_new(ltm_service *svc, const ltm_worker_def *def, ltm_worker **out)
{
    ltm_worker *w = calloc(1, sizeof *w);
    if (!w)
        return LTM_ENOMEM;
    const ltm_config *c = ltm_service_config(svc);
    w->svc = svc;
    w->def = *def;
    w->live = strcmp(ltm_config_str(c, "LTM_MODE"), "live") == 0;
    w->inflight_limit = (size_t)ltm_config_int(c, "LTM_WORKER_INFLIGHT");
    w->drain_timeout_ms = ltm_config_int(c, "LTM_WORKER_DRAIN_TIMEOUT");
    w->retention_ms = ltm_config_int(c, "LTM_PUBLISHED_RETENTION");
    w->quota_pause_ms = ltm_config_int(c, "LTM_QUOTA_PAUSE");
    int rc = check_settings(w);
    if (rc == LTM_OK && (rc = ltm_http_new(&w->http)) != LTM_OK)
        fprintf(stderr, "ltm-%s: cannot start libcurl\n", ltm_service_name(svc));
    if (rc == LTM_OK) {
        fill_env(w);
        rc = open_files(w);
    }
    if (rc == LTM_OK)
        rc = load_accounts(w);
    if (rc != LTM_OK) {
        ltm_worker_free(w);
        return rc;
    }
    ltm_info(w->live ? "live mode: each account's channel is used; sandbox channels write the "
                       "outbox"
                     : "sandbox mode: publications are written to the outbox file, nothing is sent",
             "outbox", w->outbox_path, "accounts", LTM_INT(w->accounts ? w->accounts->count : 0),
             "inflight", LTM_INT(w->inflight_limit));
    *out = w;
    return LTM_OK;
}

void ltm_worker_free(ltm_worker *w)
{
    if (!w)
        return;
    ltm_http_free(w->http); /* abandons transfers without callbacks */
    while (w->active) {
        attempt *a = w->active;
        w->active = a->next;
        ltm_task_clear(&a->task);
        ltm_job_clear(&a->job);
        free(a);
    }
    ltm_accounts_free(w->accounts);
    ltm_pubstore_close(w->store);
    free(w);
}

/* Tasks waiting on a timer (a poll interval): run the due ones, return the
 * ms until the next. */
static int run_timers(ltm_worker *w)
{
    int64_t now = ltm_mono_ms(), next = INT64_MAX;
    attempt *due[64];
    size_t n = 0;
    for (attempt *a = w->active; a; a = a->next) {
        if (!a->task.on_wake)
            continue;
        if (a->task.wake_mono <= now && n < sizeof due / sizeof due[0])
            due[n++] = a;
        else if (a->task.wake_mono < next)
            next = a->task.wake_mono;
    }
    /* Collected first: a step may finish and free its own attempt. */
    for (size_t i = 0; i < n; i++) {
        ltm_task_step step = due[i]->task.on_wake;
        due[i]->task.on_wake = NULL;
        step(&due[i]->task);
    }
    if (n == sizeof due / sizeof due[0])
        return 0;
    return next == INT64_MAX ? 1000 : (int)(next - now > 1000 ? 1000 : next - now);
}

static void publish_detail(ltm_worker *w)
{
    char detail[480];
    snprintf(detail, sizeof detail,
             "{\"mode\":\"%s\",\"inflight\":%zu,\"inflight_limit\":%zu,\"published\":%llu,"
             "\"failed\":%llu,\"unconfirmed\":%llu,\"duplicates\":%llu,\"rereported\":%llu,"
             "\"joined\":%llu,\"read\":%llu,\"gone\":%llu,\"read_failed\":%llu}",
             w->live ? "live" : "sandbox", w->active_count, w->inflight_limit,
             (unsigned long long)w->published, (unsigned long long)w->failed,
             (unsigned long long)w->unconfirmed, (unsigned long long)w->duplicates,
             (unsigned long long)w->rereported, (unsigned long long)w->joined,
             (unsigned long long)w->reads, (unsigned long long)w->gone,
             (unsigned long long)w->read_failed);
    ltm_service_set_detail(w->svc, detail);
}

void ltm_worker_refill(ltm_worker *w)
{
    /* An attempt that ends synchronously (sandbox, a re-reported job) calls
     * back in here; the outer call's loop picks up where it left off. */
    if (w->refilling || !w->accepting)
        return;
    w->refilling = 1;
    ltm_mqtt_message *m;
    while (w->active_count < w->inflight_limit && (m = ltm_service_next(w->svc)) != NULL) {
        ltm_worker_handle(w, m);
        ltm_mqtt_message_free(m);
    }
    w->refilling = 0;
}

static void loop_once(ltm_worker *w)
{
    ltm_worker_refill(w);
    int timeout = ltm_service_tick(w->svc);
    int timers = run_timers(w);
    if (timers < timeout)
        timeout = timers;
    int woken = 0;
    ltm_http_run(w->http, ltm_service_wake_fd(w->svc), timeout, &woken);
    if (woken) {
        uint64_t counter;
        ssize_t n = read(ltm_service_wake_fd(w->svc), &counter, sizeof counter);
        (void)n;
    }
}

/* Jobs received but not started before the drain ran out: each is named,
 * so none ends without a trace (the scheduler's lease re-dispatches it). */
static void abandon_inbox(ltm_worker *w)
{
    ltm_mqtt_message *m;
    while ((m = ltm_service_next(w->svc)) != NULL) {
        ltm_job job;
        char reason[LTM_REASON_SIZE];
        if (ltm_job_decode(m->payload, m->len, &job, reason) == LTM_OK) {
            ltm_warn("job received but not started at shutdown; the scheduler re-dispatches it "
                     "after its lease", "job_id", job.job_id, "attempt", LTM_INT(job.attempt));
            ltm_job_clear(&job);
        } else {
            ltm_service_dead_letter(w->svc, m, reason);
        }
        ltm_mqtt_message_free(m);
    }
}

int ltm_worker_run(ltm_worker *w)
{
    ltm_service *svc = w->svc;
    char filter[128];
    snprintf(filter, sizeof filter, "$share/%s/ltm/jobs/%s", w->def.share_group,
             ltm_job_kind_name(w->def.kind));
    int deleted = 0;
    if (ltm_pubstore_prune(w->store, ltm_now_ms() - w->retention_ms, &deleted) == LTM_OK && deleted)
        ltm_info("forgot old publications", "count", LTM_INT(deleted));
    publish_detail(w);
    ltm_service_subscribe(svc, filter, 1);
    if (w->def.reads_figures) {
        snprintf(filter, sizeof filter, "$share/%s/ltm/jobs/%s", w->def.share_group,
                 ltm_job_kind_name(LTM_JOB_ENGAGEMENT));
        ltm_service_subscribe(svc, filter, 1);
    }
    ltm_service_start(svc);
    uint64_t seen = 0;
    w->accepting = 1;
    while (ltm_service_running(svc)) {
        loop_once(w);
        uint64_t done = w->published + w->failed + w->unconfirmed + w->duplicates + w->reads +
                        w->gone + w->read_failed;
        if (done != seen) {
            seen = done;
            publish_detail(w);
        }
    }
    /* Jobs already taken finish (their results matter). So do the ones
     * waiting in the inbox: Paho acknowledged them to the broker when they
     * arrived, so neither another replica nor our next start would get them
     * again; left there they would vanish without a result until their lease
     * ran out. The loop keeps refilling: when no attempt is left after a
     * refill, the inbox is empty. */
    int64_t deadline = ltm_mono_ms() + w->drain_timeout_ms;
    ltm_worker_refill(w);
    if (w->active_count)
        ltm_info("draining jobs in flight", "count", LTM_INT(w->active_count));
    while (w->active_count && ltm_mono_ms() < deadline)
        loop_once(w);
    w->accepting = 0;
    if (w->active_count)
        ltm_warn("jobs abandoned at shutdown; the scheduler re-dispatches them after their lease",
                 "count", LTM_INT(w->active_count));
    abandon_inbox(w);
    ltm_worker_free(w);
    return ltm_service_shutdown(svc);
}
