/* ltm-scheduler: fires each account's slots in its own time zone, keeps the
 * durable job ledger, retries from the results it receives, expires leases,
 * dispatches the daily report job and answers ltmctl. */
#include "accounts.h"
#include "commands.h"
#include "engine.h"
#include "ledger.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/log.h"
#include "ltm/service.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_EVERY_MS 1000

static const ltm_setting settings[] = {
    {"LTM_ACCOUNTS_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "accounts file (default: $LTM_DATA_DIR/accounts.json)"},
    {"DATABASE_URL", LTM_SET_STRING, NULL, LTM_SETTING_SECRET, 0, 0, NULL,
     "job ledger, sqlite:///absolute/path (default: $LTM_DATA_DIR/ledger.db)"},
    {"LTM_MAX_ATTEMPTS", LTM_SET_INT, "3", 0, 1, 20, NULL, "attempts per job before it fails"},
    {"LTM_RETRY_BASE_POST", LTM_SET_DURATION, "30s", 0, 1, 86400000, NULL,
     "retry n of a post waits n x this"},
    {"LTM_RETRY_BASE_STORY", LTM_SET_DURATION, "60s", 0, 1, 86400000, NULL,
     "retry n of a story waits n x this"},
    {"LTM_RETRY_BASE_REPORT", LTM_SET_DURATION, "60s", 0, 1, 86400000, NULL,
     "retry n of the daily report job waits n x this"},
    {"LTM_LEASE", LTM_SET_DURATION, "10m", 0, 10, 86400000, NULL,
     "an attempt without result after this has failed (worker died, message lost)"},
    {"LTM_MISSED_GRACE", LTM_SET_DURATION, "1h", 0, 0, 604800000, NULL,
     "slots missed while down by less than this are dispatched at start"},
    {"LTM_RATE_LIMIT_PAUSE", LTM_SET_DURATION, "15m", 0, 1, 86400000, NULL,
     "account pause after a rate limit that names no retry time"},
    {"LTM_DAILY_REPORT_AT", LTM_SET_STRING, "06:00", 0, 0, 0, NULL,
     "UTC time HH:MM of the daily report job, or off"},
    {"LTM_SCHEDULER_TICK", LTM_SET_DURATION, "1s", 0, 10, 60000, NULL,
     "longest sleep between two looks at the clock"},
    {"LTM_DISPATCH_AHEAD", LTM_SET_DURATION, "10s", 0, 0, 600000, NULL,
     "slots are recorded in the ledger this long before they are due, then only published at "
     "their instant; 0 records them at the instant"},
    {"LTM_LEDGER_RETENTION", LTM_SET_DURATION, "90d", 0, 0, 3650LL * 86400000, NULL,
     "finished jobs older than this are deleted from the ledger; 0 keeps them"},
    {"LTM_ENGAGEMENT_AGES", LTM_SET_STRING, "1h,24h,7d", 0, 0, 0, NULL,
     "ages after publication at which a post's figures are read, or off"},
    {"LTM_ENGAGEMENT_STORY_AGES", LTM_SET_STRING, "1h,23h", 0, 0, 0, NULL,
     "ages (each under 24h: story insights live 24 h) at which a story's figures are read, "
     "or off"},
    {"LTM_ENGAGEMENT_BUDGET", LTM_SET_STRING, "linkedin=500/1d,instagram=150/1h,rapidapi=100/1d",
     0, 0, 0, NULL,
     "API calls engagement checks may make per window per channel and account, "
     "channel=calls/window,...; a channel not named is not limited; off: none is"},
    {"LTM_RETRY_BASE_ENGAGEMENT", LTM_SET_DURATION, "5m", 0, 1, 86400000, NULL,
     "retry n of an engagement check waits n x this"},
    {"LTM_ENGAGEMENT_QUOTA_PAUSE", LTM_SET_DURATION, "1h", 0, 1000, 31LL * 86400000, NULL,
     "pause of a source's engagement checks after an exhausted quota that names no time"},
    {"LTM_STATUS_RECENT_POSTS", LTM_SET_INT, "10", 0, 0, ENGINE_RECENT_POSTS_MAX, NULL,
     "published posts shown with their latest figures in the status detail, at most 20"},
};

typedef struct {
    ltm_service *svc;
    engine *eng;
} app;

static int publish(void *ctx, const char *topic, char *json)
{
    app *a = ctx;
    return ltm_service_publish_json(a->svc, topic, json, 1, 0);
}

static int config_fail(ltm_service *svc, const char *text)
{
    fprintf(stderr, "ltm-scheduler: %s\n", text);
    ltm_error("bad setting", "error", text);
    ltm_service_free(svc);
    return LTM_EXIT_CONFIG;
}

static int engagement_settings(const ltm_config *c, engine_settings *s, char *err, size_t size)
{
    char why[200];
    const char *name = "LTM_ENGAGEMENT_AGES";
    const char *text = ltm_config_str(c, name);
    int rc = engagement_ages_parse(text, 0, &s->post_ages, why, sizeof why);
    if (rc == LTM_OK) {
        name = "LTM_ENGAGEMENT_STORY_AGES";
        text = ltm_config_str(c, name);
        rc = engagement_ages_parse(text, ENGAGEMENT_DAY_MS, &s->story_ages, why, sizeof why);
    }
    if (rc == LTM_OK) {
        name = "LTM_ENGAGEMENT_BUDGET";
        text = ltm_config_str(c, name);
        rc = engagement_budget_parse(text, &s->budget, why, sizeof why);
    }
    if (rc != LTM_OK) {
        snprintf(err, size, "setting %s=\"%.80s\" is malformed: expected %s", name, text, why);
        return LTM_ECONFIG;
    }
    /* A post must outlive its last check in the ledger. */
    int64_t retention = ltm_config_int(c, "LTM_LEDGER_RETENTION");
    int64_t oldest = s->post_ages.count ? s->post_ages.items[s->post_ages.count - 1].ms : 0;
    if (s->story_ages.count && s->story_ages.items[s->story_ages.count - 1].ms > oldest)
        oldest = s->story_ages.items[s->story_ages.count - 1].ms;
    if (oldest > 0 && retention > 0 && retention <= oldest + ENGAGEMENT_DAY_MS) {
        snprintf(err, size, "setting LTM_LEDGER_RETENTION is too short: it must exceed the "
                            "oldest of LTM_ENGAGEMENT_AGES and LTM_ENGAGEMENT_STORY_AGES by "
                            "more than a day");
        return LTM_ECONFIG;
    }
    return LTM_OK;
}

static int settings_of(const ltm_config *c, engine_settings *s, char *err, size_t size)
{
    s->max_attempts = (int)ltm_config_int(c, "LTM_MAX_ATTEMPTS");
    s->post_base_ms = ltm_config_int(c, "LTM_RETRY_BASE_POST");
    s->story_base_ms = ltm_config_int(c, "LTM_RETRY_BASE_STORY");
    s->report_base_ms = ltm_config_int(c, "LTM_RETRY_BASE_REPORT");
    s->lease_ms = ltm_config_int(c, "LTM_LEASE");
    s->grace_ms = ltm_config_int(c, "LTM_MISSED_GRACE");
    s->rate_limit_ms = ltm_config_int(c, "LTM_RATE_LIMIT_PAUSE");
    s->retention_ms = ltm_config_int(c, "LTM_LEDGER_RETENTION");
    s->dispatch_ahead_ms = ltm_config_int(c, "LTM_DISPATCH_AHEAD");
    s->engagement_base_ms = ltm_config_int(c, "LTM_RETRY_BASE_ENGAGEMENT");
    s->quota_pause_ms = ltm_config_int(c, "LTM_ENGAGEMENT_QUOTA_PAUSE");
    s->recent_posts = (int)ltm_config_int(c, "LTM_STATUS_RECENT_POSTS");
    if (engagement_settings(c, s, err, size) != LTM_OK)
        return LTM_ECONFIG;
    const char *at = ltm_config_str(c, "LTM_DAILY_REPORT_AT");
    s->report_minute = strcmp(at, "off") == 0 ? -1 : ltm_time_parse_hhmm(at);
    if (s->report_minute < 0 && strcmp(at, "off") != 0) {
        snprintf(err, size, "setting LTM_DAILY_REPORT_AT=\"%.20s\" is malformed: expected HH:MM "
                            "(UTC) or off", at);
        return LTM_ECONFIG;
    }
    return LTM_OK;
}

static int ledger_path(const ltm_service *svc, char *out, size_t size, char *err, size_t esize)
{
    const char *url = ltm_config_str(ltm_service_config(svc), "DATABASE_URL");
    if (!url) {
        snprintf(out, size, "%s/ledger.db", ltm_service_data_dir(svc));
        return LTM_OK;
    }
    if (strncmp(url, "sqlite:///", 10) != 0 || strlen(url) < 11 || strlen(url) >= size + 9) {
        /* The value may be a URL with a password: never echo it. */
        snprintf(err, esize, "setting DATABASE_URL is malformed: expected sqlite:///absolute/path");
        return LTM_ECONFIG;
    }
    snprintf(out, size, "%s", url + 9);
    return LTM_OK;
}

static void handle(app *a, const ltm_mqtt_message *m)
{
    char reason[LTM_REASON_SIZE];
    if (strcmp(m->topic, "ltm/results") == 0) {
        ltm_result r;
        if (ltm_result_decode(m->payload, m->len, &r, reason) != LTM_OK) {
            ltm_service_dead_letter(a->svc, m, reason);
            return;
        }
        if (engine_on_result(a->eng, &r, ltm_now_ms()) != LTM_OK)
            ltm_service_count_error(a->svc);
        ltm_result_clear(&r);
        return;
    }
    char *topic = NULL, *reply = NULL;
    int rc = commands_handle(a->eng, m->payload, m->len, ltm_now_ms(), &topic, &reply, reason,
                             sizeof reason);
    if (rc != LTM_OK)
        ltm_service_dead_letter(a->svc, m, reason);
    if (topic && reply)
        ltm_service_publish_json(a->svc, topic, reply, 1, 0);
    else
        free(reply);
    free(topic);
}

static void loop(app *a, int64_t tick_ms)
{
    int64_t next_detail = 0;
    int failing = 0;
    while (ltm_service_running(a->svc)) {
        int64_t wait = engine_next_wake(a->eng, ltm_now_ms(), tick_ms);
        /* A ledger that keeps failing (disk full, I/O error) is retried once
         * a tick, not in a tight loop of errors. */
        if (failing && wait < tick_ms)
            wait = tick_ms;
        ltm_service_wait(a->svc, (int)wait);
        ltm_mqtt_message *m;
        while ((m = ltm_service_next(a->svc)) != NULL) {
            handle(a, m);
            ltm_mqtt_message_free(m);
        }
        int64_t start = ltm_mono_ms();
        int rc = engine_run(a->eng, ltm_now_ms());
        failing = rc != LTM_OK;
        if (failing)
            ltm_service_count_error(a->svc);
        ltm_service_observe(a->svc, "dispatch", ltm_mono_ms() - start, rc == LTM_OK);
        if (ltm_mono_ms() >= next_detail) {
            char *detail = engine_detail_json(a->eng, ltm_now_ms());
            if (detail)
                ltm_service_set_detail(a->svc, detail);
            free(detail);
            next_detail = ltm_mono_ms() + DETAIL_EVERY_MS;
        }
    }
}

int main(int argc, char **argv)
{
    const ltm_service_def def = {
        .name = "scheduler",
        .summary = "fires each account's slots, keeps the job ledger, retries and answers ltmctl",
        .clean_session = 0, /* results that arrive while we restart must wait for us */
        .settings = settings,
        .setting_count = sizeof settings / sizeof settings[0],
        /* The ledger, not Paho's files, is what survives a crash: every
         * attempt is recorded before it is published, one never handed to
         * MQTT is recorded again at the restart and one lost on its way is
         * dispatched again when its lease expires (docs/scheduler.md). One
         * file per QoS 1 message in flight cost a burst seconds. */
        .mqtt_persistence = "memory",
    };
    ltm_service *svc;
    int rc = ltm_service_init(&def, argc, argv, &svc);
    if (rc != LTM_OK)
        return ltm_service_exit_status(rc);
    const ltm_config *cfg = ltm_service_config(svc);
    char err[600], path[4096], db[4096];
    engine_settings es;
    if (settings_of(cfg, &es, err, sizeof err) != LTM_OK ||
        ledger_path(svc, db, sizeof db, err, sizeof err) != LTM_OK)
        return config_fail(svc, err);
    const char *accounts_file = ltm_config_str(cfg, "LTM_ACCOUNTS_FILE");
    if (!accounts_file)
        snprintf(path, sizeof path, "%s/accounts.json", ltm_service_data_dir(svc));
    else
        snprintf(path, sizeof path, "%s", accounts_file);
    int64_t t0 = ltm_mono_ms();
    sched_accounts accounts;
    if (sched_accounts_load(path, &accounts, err, sizeof err) != LTM_OK) {
        sched_accounts_clear(&accounts);
        return config_fail(svc, err);
    }
    ledger *l = NULL;
    if (ledger_open(db, &l, err, sizeof err) != LTM_OK) {
        sched_accounts_clear(&accounts);
        return config_fail(svc, err);
    }
    app a = {.svc = svc};
    size_t account_count = accounts.count;
    rc = engine_new(&es, &accounts, l, publish, &a, ltm_service_client_id(svc), &a.eng);
    if (rc == LTM_OK)
        rc = engine_start(a.eng, ltm_now_ms());
    if (rc != LTM_OK) {
        ltm_error("cannot start the schedule", "error", ltm_strerror(rc));
        engine_free(a.eng);
        sched_accounts_clear(&accounts);
        ledger_close(l);
        ltm_service_free(svc);
        return 1;
    }
    ltm_info("schedule loaded", "accounts", LTM_INT(account_count), "slots",
             LTM_INT(engine_slot_count(a.eng)), "ledger", db, "startup_ms",
             LTM_INT(ltm_mono_ms() - t0));
    ltm_service_subscribe(svc, "ltm/results", 1);
    ltm_service_subscribe(svc, "ltm/commands/scheduler", 1);
    ltm_service_start(svc);
    loop(&a, ltm_config_int(cfg, "LTM_SCHEDULER_TICK"));
    engine_run(a.eng, ltm_now_ms());
    rc = ltm_service_shutdown(svc);
    engine_free(a.eng);
    ledger_close(l);
    return rc;
}
