/* ltm-notifier: sends Telegram alerts, the startup notice and the daily report.
 * docs/notifier.md describes the rules, the messages and every setting. */
#include "notifier.h"
#include "report_engagement.h"
#include "text.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/msg.h"
#include "ltm/service.h"
#include "ltm/timeutil.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_MS 86400000.0
#define PRUNE_INTERVAL_MS (6 * 3600000LL)

static const ltm_setting settings[] = {
    {"TELEGRAM_BOT_TOKEN", LTM_SET_STRING, NULL, LTM_SETTING_SECRET, 0, 0, NULL,
     "Telegram bot token; set with TELEGRAM_CHAT_ID, or neither for log-only mode"},
    {"TELEGRAM_CHAT_ID", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "chat that receives the messages: a number (negative for groups) or @channel"},
    {"TELEGRAM_API_URL", LTM_SET_STRING, "https://api.telegram.org", 0, 0, 0, NULL,
     "Bot API base URL (tests point it at a fake)"},
    {"TELEGRAM_TIMEOUT", LTM_SET_DURATION, "15s", 0, 100, 300000, NULL,
     "longest a sendMessage request may take"},
    {"LTM_NOTIFY_GROUP_WAIT", LTM_SET_DURATION, "30s", 0, 0, DAY_MS, NULL,
     "how long a new alert waits so alerts arriving together go out as one message"},
    {"LTM_NOTIFY_REPEAT_INTERVAL", LTM_SET_DURATION, "4h", 0, 1000, 30 * DAY_MS, NULL,
     "a still-firing alert is repeated at most this often"},
    {"LTM_NOTIFY_SEND_INTERVAL", LTM_SET_DURATION, "1s", 0, 0, 3600000, NULL,
     "least time between two Telegram messages (use 3s for a group chat)"},
    {"LTM_NOTIFY_BACKOFF_MIN", LTM_SET_DURATION, "2s", 0, 10, 3600000, NULL,
     "first wait after a failed send; doubles up to LTM_NOTIFY_BACKOFF_MAX"},
    {"LTM_NOTIFY_BACKOFF_MAX", LTM_SET_DURATION, "5m", 0, 10, DAY_MS, NULL,
     "longest wait between two failed sends"},
    {"LTM_NOTIFY_PERSON_RETRY", LTM_SET_DURATION, "15m", 0, 10, DAY_MS, NULL,
     "wait after Telegram refused the bot (401/403/404) before trying again"},
    {"LTM_NOTIFY_QUEUE_MAX", LTM_SET_INT, "500", 0, 3, 100000, NULL,
     "messages kept while Telegram is unreachable; beyond, the oldest are summarised"},
    {"LTM_NOTIFY_MESSAGE_MAX", LTM_SET_INT, "4096", 0, 256, 4096, NULL,
     "longest message in bytes; longer texts are split"},
    {"LTM_NOTIFY_FAILURE_THRESHOLD", LTM_SET_INT, "3", 0, 1, 1000, NULL,
     "alert when consecutive final failures (per account and overall) exceed this"},
    {"LTM_NOTIFY_INACTIVITY", LTM_SET_DURATION, "6h", 0, 1000, 30 * DAY_MS, NULL,
     "alert when nothing was published for longer while jobs were due"},
    {"LTM_NOTIFY_OFFLINE_GRACE", LTM_SET_DURATION, "2m", 0, 0, DAY_MS, NULL,
     "alert when a service has had no online instance for longer"},
    {"LTM_NOTIFY_FORGET_AFTER", LTM_SET_DURATION, "7d", 0, 1000, 365 * DAY_MS, NULL,
     "an instance offline for longer is forgotten (a replica scaled away)"},
    {"LTM_NOTIFY_STARTUP_SETTLE", LTM_SET_DURATION, "5s", 0, 0, 600000, NULL,
     "after connecting, how long to collect retained statuses before the startup decision"},
    {"LTM_NOTIFY_STARTUP_WINDOW", LTM_SET_DURATION, "2m", 0, 0, DAY_MS, NULL,
     "services started within this window of the notifier count as one system start"},
};

static void log_alert_drop(ltm_service *svc, int rc)
{
    ltm_service_count_error(svc);
    ltm_error("alert state not updated", "error", ltm_strerror(rc));
}

static void on_alert(notifier *n, const ltm_mqtt_message *m)
{
    ltm_alert a;
    char reason[LTM_REASON_SIZE];
    if (ltm_alert_decode(m->payload, m->len, &a, reason) != LTM_OK) {
        ltm_service_dead_letter(n->svc, m, reason);
        return;
    }
    int64_t now = ltm_now_ms();
    int rc;
    if (a.firing) {
        rc = ntf_engine_fire(&n->engine, a.key, ntf_severity_parse(a.severity), a.summary,
                             a.source, a.since_ms, now);
    } else {
        rc = ntf_engine_resolve(&n->engine, a.key, a.summary, now);
        if (rc == LTM_ENOTFOUND) {
            n->resolved_unknown++;
            ltm_debug("resolved alert that was not firing: ignored", "key", a.key);
            rc = LTM_OK;
        }
    }
    if (rc != LTM_OK)
        log_alert_drop(n->svc, rc);
    n->state_dirty = 1;
    ltm_alert_clear(&a);
}

static void on_result(notifier *n, const ltm_mqtt_message *m)
{
    ltm_result r;
    char reason[LTM_REASON_SIZE];
    if (ltm_result_decode(m->payload, m->len, &r, reason) != LTM_OK) {
        ltm_service_dead_letter(n->svc, m, reason);
        return;
    }
    if (r.kind == LTM_JOB_ENGAGEMENT) {
        n->checks_read += r.status == LTM_RESULT_READ;
        n->checks_gone += r.status == LTM_RESULT_GONE;
        int ended = r.final && r.status != LTM_RESULT_READ && r.status != LTM_RESULT_GONE;
        int blocked = ltm_result_class_blocked(r.error_class);
        n->checks_failed += ended && !blocked;
        n->checks_blocked += ended && blocked;
    }
    if (r.kind != LTM_JOB_REPORT) {
        ntf_store_append_record(n, &r);
        int rc = ntf_rules_result(&n->rules, &n->engine, &r, ltm_now_ms());
        if (rc != LTM_OK)
            log_alert_drop(n->svc, rc);
        n->state_dirty = 1;
    }
    ltm_result_clear(&r);
}

static void on_status(notifier *n, const ltm_mqtt_message *m)
{
    char service[64], instance[64];
    const char *rest = m->topic + strlen("ltm/status/");
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest || strchr(slash + 1, '/') || (size_t)(slash - rest) >= 49 ||
        strlen(slash + 1) == 0 || strlen(slash + 1) >= 49) {
        ltm_service_dead_letter(n->svc, m, "topic: expected ltm/status/<service>/<instance>");
        return;
    }
    snprintf(service, sizeof service, "%.*s", (int)(slash - rest), rest);
    snprintf(instance, sizeof instance, "%s", slash + 1);
    if (m->len == 0) { /* retained status deleted by an operator */
        ntf_rules_status(&n->rules, service, instance, NULL, ltm_now_ms());
        return;
    }
    ltm_status st;
    char reason[LTM_REASON_SIZE];
    if (ltm_status_decode(m->payload, m->len, &st, reason) != LTM_OK) {
        ltm_service_dead_letter(n->svc, m, reason);
        return;
    }
    if (ntf_rules_status(&n->rules, service, instance, &st, ltm_now_ms()) != LTM_OK)
        log_alert_drop(n->svc, LTM_ENOMEM);
    ltm_status_clear(&st);
}

/* "report:YYYY-MM-DD" gives the date; anything else falls back on the slot's. */
static void report_date(const ltm_job *job, char date[16])
{
    const char *d = strncmp(job->job_id, "report:", 7) == 0 ? job->job_id + 7 : "";
    int ok = strlen(d) == 10;
    for (int i = 0; ok && i < 10; i++)
        ok = (i == 4 || i == 7) ? d[i] == '-' : (d[i] >= '0' && d[i] <= '9');
    char iso[LTM_ISO_SIZE];
    snprintf(date, 16, "%.10s", ok ? d : ltm_time_format_iso(job->slot_ms, iso));
}

static void publish_report_result(notifier *n, const ltm_job *job, int64_t build_ms)
{
    ltm_result r = {0};
    r.job_id = job->job_id;
    r.kind = LTM_JOB_REPORT;
    r.attempt = job->attempt;
    r.status = LTM_RESULT_PUBLISHED;
    r.final = 1;
    r.channel = (char *)n->channel;
    r.worker = (char *)ltm_service_client_id(n->svc);
    r.publish_ms = build_ms;
    r.finished_ms = ltm_now_ms();
    ltm_service_publish_json(n->svc, "ltm/results", ltm_result_encode(&r), 1, 0);
}

static void on_report_job(notifier *n, const ltm_mqtt_message *m)
{
    ltm_job job;
    char reason[LTM_REASON_SIZE];
    if (ltm_job_decode(m->payload, m->len, &job, reason) != LTM_OK) {
        ltm_service_dead_letter(n->svc, m, reason);
        return;
    }
    if (job.kind != LTM_JOB_REPORT) {
        ltm_service_dead_letter(n->svc, m, "field kind: expected report on ltm/jobs/report");
        ltm_job_clear(&job);
        return;
    }
    int64_t t0 = ltm_mono_ms();
    if (strcmp(job.job_id, n->last_report_job) == 0) {
        /* A retry of a report we already sent: close it again, send nothing twice. */
        ltm_info("report job already done: result sent again", "job_id", job.job_id);
        publish_report_result(n, &job, 0);
        ltm_job_clear(&job);
        return;
    }
    char date[16];
    report_date(&job, date);
    int64_t now = ltm_now_ms();
    ntf_record *recs = NULL;
    size_t count = 0;
    char *json = NULL, *text = NULL;
    int rc = ntf_store_load_records(n, now - n->records_keep_ms, &recs, &count);
    if (rc == LTM_OK)
        rc = ntf_report_build(date, job.job_id, job.slot_ms - (int64_t)DAY_MS, job.slot_ms, recs,
                              count, &n->host, &n->engine, now, &json, &text);
    ntf_records_free(recs, count);
    if (rc != LTM_OK) {
        /* No result: the scheduler's lease expires and it sends the job again. */
        ltm_error("daily report not built", "job_id", job.job_id, "error", ltm_strerror(rc));
        ltm_service_count_error(n->svc);
        ltm_job_clear(&job);
        return;
    }
    ltm_service_publish_json(n->svc, "ltm/reports/daily", json, 1, 0);
    ntf_enqueue(n, NTF_INFO, text);
    free(text);
    snprintf(n->last_report_job, sizeof n->last_report_job, "%s", job.job_id);
    n->state_dirty = 1;
    ntf_store_save(n);
    publish_report_result(n, &job, ltm_mono_ms() - t0);
    ltm_info("daily report sent", "job_id", job.job_id, "results", LTM_INT(count), "channel",
             n->channel);
    ltm_job_clear(&job);
}

/* A sample with no figure the report can use was counted and nothing else
 * before: now the dead letter says which publisher sends what. */
static void on_host_sample(notifier *n, const ltm_mqtt_message *m)
{
    char reason[LTM_REASON_SIZE];
    if (ntf_host_add(&n->host, m->payload, m->len, ltm_now_ms(), reason, sizeof reason))
        n->state_dirty = 1;
    else
        ltm_service_dead_letter(n->svc, m, reason);
}

static void handle(notifier *n, const ltm_mqtt_message *m)
{
    if (strcmp(m->topic, "ltm/alerts") == 0)
        on_alert(n, m);
    else if (strcmp(m->topic, "ltm/results") == 0)
        on_result(n, m);
    else if (strncmp(m->topic, "ltm/status/", 11) == 0)
        on_status(n, m);
    else if (strcmp(m->topic, "ltm/jobs/report") == 0)
        on_report_job(n, m);
    else if (strcmp(m->topic, "ltm/metrics/system") == 0)
        on_host_sample(n, m);
    else if (strcmp(m->topic, "ltm/reports/startup") == 0)
        ntf_on_startup_marker(n, m);
}

/* Drops results older than the report needs, so the file stays bounded even
 * when no report job comes (no scheduler running). */
static void prune_records(notifier *n, int64_t now)
{
    ntf_record *recs;
    size_t count;
    if (ntf_store_load_records(n, now - n->records_keep_ms, &recs, &count) == LTM_OK)
        ntf_records_free(recs, count);
    n->next_prune_ms = now + PRUNE_INTERVAL_MS;
}

static void evaluate(notifier *n)
{
    int64_t now = ltm_now_ms();
    if (now >= n->next_prune_ms)
        prune_records(n, now);
    ntf_check_startup(n, now);
    int rc = ntf_rules_tick(&n->rules, &n->engine, now);
    if (rc != LTM_OK)
        log_alert_drop(n->svc, rc);
    int64_t due = ntf_engine_next_due(&n->engine);
    /* Nothing goes out before the startup decision: until the retained
     * statuses arrived we cannot know whether we are the active replica. */
    if (due && due <= now && n->startup_decided) {
        int severity;
        char *text = ntf_engine_flush(&n->engine, now, &severity);
        int active = ntf_is_active(n, now);
        if (text && active) {
            ntf_enqueue(n, severity, text);
        } else if (text) {
            /* Same inputs, same decisions: a takeover continues the episodes. */
            n->standby_skipped++;
            ltm_debug("standby replica: alert message left to the active one");
        }
        free(text);
        if (!text && severity < 0) {
            log_alert_drop(n->svc, LTM_ENOMEM);
        }
        n->state_dirty = 1;
    }
    if (n->state_dirty || n->queue_dirty)
        ntf_store_save(n);
}

static void publish_detail(notifier *n)
{
    char detail[768];
    size_t firing = 0;
    for (size_t i = 0; i < n->engine.count; i++)
        firing += n->engine.items[i].firing;
    snprintf(detail, sizeof detail,
             "{\"role\":\"%s\",\"channel\":\"%s\",\"telegram\":\"%s\",\"queue\":%zu,"
             "\"sent\":%llu,\"standby_skipped\":%llu,"
             "\"failed_attempts\":%llu,\"rejected\":%llu,\"summarised\":%llu,"
             "\"not_queued\":%llu,\"alerts_firing\":%zu,\"host_samples\":%llu,"
             "\"instances\":%zu,\"records_dropped\":%llu,"
             "\"engagement_checks\":{\"read\":%llu,\"gone\":%llu,\"failed\":%llu,"
             "\"blocked\":%llu}}",
             !n->startup_decided ? "starting" : ntf_is_active(n, ltm_now_ms()) ? "active"
                                                                                : "standby",
             n->channel, n->telegram_state, n->queue.count, (unsigned long long)n->sent,
             (unsigned long long)n->standby_skipped,
             (unsigned long long)n->attempts_failed, (unsigned long long)n->rejected,
             (unsigned long long)n->queue.summarised, (unsigned long long)n->enqueue_failed,
             firing, (unsigned long long)n->host.samples, n->rules.instance_count,
             (unsigned long long)n->records_dropped, (unsigned long long)n->checks_read,
             (unsigned long long)n->checks_gone, (unsigned long long)n->checks_failed,
             (unsigned long long)n->checks_blocked);
    ltm_service_set_detail(n->svc, detail);
}

static int wait_ms(notifier *n, int housekeeping_ms)
{
    int64_t wait = housekeeping_ms < 1000 ? housekeeping_ms : 1000;
    int64_t due = ntf_engine_next_due(&n->engine);
    if (due) {
        int64_t until = due - ltm_now_ms();
        if (until < wait)
            wait = until;
    }
    int64_t send = ntf_deliver_wait_ms(n);
    if (send >= 0 && send < wait)
        wait = send;
    return wait < 0 ? 0 : (int)wait;
}

/* One pass: housekeeping, every message waiting, the rules, delivery, then
 * a wait on the wake fd and, when a request is in flight, curl's sockets. */
static void run_once(notifier *n)
{
    int housekeeping_ms = ltm_service_tick(n->svc);
    ltm_mqtt_message *m;
    while ((m = ltm_service_next(n->svc))) {
        handle(n, m);
        ltm_mqtt_message_free(m);
    }
    evaluate(n);
    ntf_deliver_start(n);
    publish_detail(n);
    int timeout = wait_ms(n, housekeeping_ms);
    int wake_fd = ltm_service_wake_fd(n->svc);
    int woken = 0;
    if (n->tg) {
        ntf_tg_answer answer;
        int64_t elapsed = 0;
        if (ntf_tg_poll(n->tg, wake_fd, timeout, &woken, &answer, &elapsed))
            ntf_deliver_done(n, &answer, elapsed);
    } else {
        struct pollfd pfd = {.fd = wake_fd, .events = POLLIN};
        woken = poll(&pfd, 1, timeout) > 0;
    }
    if (woken) {
        uint64_t counter;
        ssize_t r = read(wake_fd, &counter, sizeof counter);
        (void)r;
    }
}

/* Both or neither; a chat id is a number (negative for groups) or
 * @channelname; the API URL is http(s). Anything else would only show up
 * later as failed sends, so it stops the service at start. */
static int check_telegram_settings(const char *token, const char *chat, const char *url)
{
    int has_token = token && *token, has_chat = chat && *chat;
    if (has_token != has_chat) {
        fprintf(stderr, "ltm-notifier: setting %s is missing: set both TELEGRAM_BOT_TOKEN and "
                        "TELEGRAM_CHAT_ID, or neither for log-only mode\n",
                has_token ? "TELEGRAM_CHAT_ID" : "TELEGRAM_BOT_TOKEN");
        return LTM_ECONFIG;
    }
    if (!has_token)
        return LTM_OK;
    const char *p = chat[0] == '-' ? chat + 1 : chat;
    int numeric = *p != '\0', name = chat[0] == '@' && strlen(chat) >= 2;
    for (; *p; p++)
        numeric &= *p >= '0' && *p <= '9';
    for (p = chat + 1; name && *p; p++)
        name &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '_';
    if (!numeric && !name) {
        fprintf(stderr, "ltm-notifier: setting TELEGRAM_CHAT_ID=\"%.40s\" is malformed: expected "
                        "a number (negative for groups) or @channelname\n", chat);
        return LTM_ECONFIG;
    }
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        fprintf(stderr, "ltm-notifier: setting TELEGRAM_API_URL=\"%.80s\" is malformed: expected "
                        "https://host[:port] (http:// for a local test server)\n", url);
        return LTM_ECONFIG;
    }
    return LTM_OK;
}

static int setup(notifier *n, ltm_service *svc)
{
    const ltm_config *c = ltm_service_config(svc);
    n->svc = svc;
    n->started_ms = ltm_now_ms();
    ntf_engine_opts eo = {ltm_config_int(c, "LTM_NOTIFY_GROUP_WAIT"),
                          ltm_config_int(c, "LTM_NOTIFY_REPEAT_INTERVAL")};
    ntf_engine_init(&n->engine, &eo);
    ntf_rules_opts ro = {(int)ltm_config_int(c, "LTM_NOTIFY_FAILURE_THRESHOLD"),
                         ltm_config_int(c, "LTM_NOTIFY_INACTIVITY"),
                         ltm_config_int(c, "LTM_NOTIFY_OFFLINE_GRACE"),
                         ltm_config_int(c, "LTM_NOTIFY_FORGET_AFTER"), "notifier"};
    ntf_rules_init(&n->rules, &ro, n->started_ms);
    n->max_text = (size_t)ltm_config_int(c, "LTM_NOTIFY_MESSAGE_MAX");
    ntf_queue_init(&n->queue, (size_t)ltm_config_int(c, "LTM_NOTIFY_QUEUE_MAX"), n->max_text);
    n->send_interval_ms = ltm_config_int(c, "LTM_NOTIFY_SEND_INTERVAL");
    n->backoff_min_ms = ltm_config_int(c, "LTM_NOTIFY_BACKOFF_MIN");
    n->backoff_max_ms = ltm_config_int(c, "LTM_NOTIFY_BACKOFF_MAX");
    n->person_retry_ms = ltm_config_int(c, "LTM_NOTIFY_PERSON_RETRY");
    n->settle_ms = ltm_config_int(c, "LTM_NOTIFY_STARTUP_SETTLE");
    n->startup_window_ms = ltm_config_int(c, "LTM_NOTIFY_STARTUP_WINDOW");
    n->records_keep_ms = 2 * (int64_t)DAY_MS;
    n->telegram_state = "ok";
    const char *token = ltm_config_str(c, "TELEGRAM_BOT_TOKEN");
    const char *chat = ltm_config_str(c, "TELEGRAM_CHAT_ID");
    int rc = check_telegram_settings(token, chat, ltm_config_str(c, "TELEGRAM_API_URL"));
    if (rc != LTM_OK)
        return rc;
    if (token && *token) {
        ltm_log_add_secret(token);
        rc = ntf_tg_new(ltm_config_str(c, "TELEGRAM_API_URL"), token, chat,
                        (long)ltm_config_int(c, "TELEGRAM_TIMEOUT"), &n->tg);
        if (rc != LTM_OK)
            return rc;
        n->channel = "telegram";
        ltm_info("telegram delivery enabled", "chat_id", chat);
    } else {
        n->channel = "log";
        n->telegram_state = "log_only";
        ltm_warn("log-only mode: TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set, "
                 "notifications are written to the log and not sent");
    }
    return ntf_store_open(n);
}

static void tg_cleanup(notifier *n)
{
    ntf_tg_free(n->tg);
    n->tg = NULL;
}

int main(int argc, char **argv)
{
    const ltm_service_def def = {
        .name = "notifier",
        .summary = "sends Telegram alerts, the startup notice and the daily report",
        .clean_session = 0, /* alerts and report jobs wait for us while we restart */
        .settings = settings,
        .setting_count = sizeof settings / sizeof settings[0],
    };
    ltm_service *svc;
    int rc = ltm_service_init(&def, argc, argv, &svc);
    if (rc != LTM_OK)
        return ltm_service_exit_status(rc);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ltm_error("curl initialisation failed");
        ltm_service_free(svc);
        return 1;
    }
    static notifier n;
    rc = setup(&n, svc);
    if (rc != LTM_OK) {
        if (rc != LTM_ECONFIG)
            ltm_error("notifier not started: state directory or memory unavailable");
        tg_cleanup(&n);
        ltm_service_free(svc);
        curl_global_cleanup();
        return ltm_service_exit_status(rc);
    }
    ltm_service_subscribe(svc, "ltm/alerts", 1);
    ltm_service_subscribe(svc, "ltm/results", 1);
    ltm_service_subscribe(svc, "ltm/status/+/+", 1);
    ltm_service_subscribe(svc, "ltm/metrics/system", 0);
    ltm_service_subscribe(svc, "ltm/reports/startup", 1);
    ltm_service_subscribe(svc, "$share/notifiers/ltm/jobs/report", 1);
    ltm_service_start(svc);
    while (ltm_service_running(svc))
        run_once(&n);
    n.state_dirty = n.queue_dirty = 1;
    ntf_store_save(&n);
    tg_cleanup(&n);
    ntf_engine_clear(&n.engine);
    ntf_rules_clear(&n.rules);
    ntf_queue_clear(&n.queue);
    rc = ltm_service_shutdown(svc);
    curl_global_cleanup();
    return rc;
}
