#include "monitor.h"

#include "alarm.h"
#include "history.h"
#include "persist.h"
#include "sampler.h"
#include "state.h"
#include "summary.h"

#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/msg.h"
#include "ltm/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#define MAX_DISKS 32
#define MAX_RESTORED 64
#define STATE_MAX_BYTES (512u << 20)
#define DROPPED_TOPIC "$SYS/broker/publish/messages/dropped"
#define DAY_MS (86400LL * 1000)

const ltm_setting monitor_settings[] = {
    {"LTM_SYSMON_INTERVAL", LTM_SET_DURATION, "10s", 0, 100, 3600000, NULL,
     "how often the host is sampled and ltm/metrics/system published"},
    {"LTM_SYSMON_DISKS", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "comma-separated mount points whose usage is watched (default: the data dir)"},
    {"LTM_SYSMON_PROC_DIR", LTM_SET_STRING, "/proc", 0, 0, 0, NULL,
     "where procfs is mounted (a host's /proc seen from a container)"},
    {"LTM_SYSMON_CGROUP_DIR", LTM_SET_STRING, "/sys/fs/cgroup", 0, 0, 0, NULL,
     "where the cgroup v2 hierarchy is mounted"},
    {"LTM_SYSMON_CPU_THRESHOLD", LTM_SET_DOUBLE, "80", 0, 0, 100, NULL,
     "CPU percent above which host.cpu fires"},
    {"LTM_SYSMON_MEMORY_THRESHOLD", LTM_SET_DOUBLE, "85", 0, 0, 100, NULL,
     "memory percent above which host.memory fires"},
    {"LTM_SYSMON_DISK_THRESHOLD", LTM_SET_DOUBLE, "90", 0, 0, 100, NULL,
     "disk percent above which host.disk:<path> fires"},
    {"LTM_SYSMON_HYSTERESIS", LTM_SET_DOUBLE, "5", 0, 0, 50, NULL,
     "percentage points below the threshold a value must fall to clear"},
    {"LTM_SYSMON_HOLD_SAMPLES", LTM_SET_INT, "3", 0, 1, 1000, NULL,
     "consecutive samples above a threshold before the alert fires"},
    {"LTM_SYSMON_CLEAR_SAMPLES", LTM_SET_INT, "3", 0, 1, 1000, NULL,
     "consecutive samples below the clear level before the alert resolves"},
    {"LTM_SYSMON_WATCH_BROKER", LTM_SET_BOOL, "true", 0, 0, 0, NULL,
     "watch the broker's $SYS dropped-message counter and alert when it grows"},
    {"LTM_SYSMON_SUMMARY_INTERVAL", LTM_SET_DURATION, "30m", 0, 100, 7 * DAY_MS, NULL,
     "how often the performance summary is logged and published on ltm/metrics/summary"},
    {"LTM_SYSMON_SAVE_INTERVAL", LTM_SET_DURATION, "10m", 0, 100, DAY_MS, NULL,
     "how often history and summaries are saved to the data dir"},
    {"LTM_SYSMON_BACKUPS", LTM_SET_INT, "5", 0, 0, 100, NULL,
     "rotated backups of the state file kept"},
    {"LTM_SYSMON_BACKUP_INTERVAL", LTM_SET_DURATION, "1h", 0, 0, 30 * DAY_MS, NULL,
     "minimum age of the newest backup before another is taken"},
    {"LTM_SYSMON_RETENTION", LTM_SET_DURATION, "8d", 0, 1000, 366 * DAY_MS, NULL,
     "how long execution history is kept (summaries cover up to a week)"},
    {"LTM_SYSMON_HISTORY_MAX", LTM_SET_INT, "100000", 0, 10, 10000000, NULL,
     "most execution history entries kept; the oldest go first"},
};
const size_t monitor_setting_count = sizeof monitor_settings / sizeof monitor_settings[0];

struct monitor {
    ltm_service *svc;
    sampler *sampler;
    history *hist;
    const char *disk_setting; /* as configured, for the log */
    char *disk_list;          /* the disk paths point into it */
    const char *disks[MAX_DISKS];
    size_t ndisks;
    /* alarms[0] cpu, [1] memory, [2..2+ndisks) disks, last broker.dropped */
    alarm_state alarms[MAX_DISKS + 3];
    size_t nalarms;
    alarm_rule cpu_rule, memory_rule, disk_rule, broker_rule;
    char state_path[4200];
    int64_t interval_ms, summary_ms, save_ms, backup_interval_ms;
    int backups;
    int64_t next_sample, next_summary, next_save; /* monotonic ms */
    int watch_broker;
    int have_dropped, have_dropped_base;
    uint64_t dropped, dropped_base;
    uint64_t results_added, results_duplicate, results_ignored, sample_failures, save_failures;
    /* Log a failure when it starts and when it ends, not every sample (the
     * counts above and in the status detail show how often). */
    int sample_failing;
    int disk_failing[MAX_DISKS];
};

static int config_error(const char *name, const char *why, const char *value)
{
    fprintf(stderr, "ltm-sysmonitor: setting %s=\"%.200s\" is malformed: %s\n", name, value, why);
    return LTM_ECONFIG;
}

/* "/,/var/lib/ltm": absolute paths that statvfs accepts now, so a typo
 * stops the service at start rather than producing an error per sample. */
static int parse_disks(monitor *m, const char *text)
{
    m->disk_list = strdup(text);
    if (!m->disk_list)
        return LTM_ENOMEM;
    char *save = NULL;
    for (char *p = strtok_r(m->disk_list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        for (char *e = p + strlen(p); e > p && e[-1] == ' ';)
            *--e = '\0';
        struct statvfs v;
        if (*p != '/')
            return config_error("LTM_SYSMON_DISKS", "each mount point must be an absolute path",
                                text);
        if (m->ndisks == MAX_DISKS)
            return config_error("LTM_SYSMON_DISKS", "at most 32 mount points", text);
        if (statvfs(p, &v) != 0)
            return config_error("LTM_SYSMON_DISKS", strerror(errno), text);
        for (size_t i = 0; i < m->ndisks; i++)
            if (strcmp(m->disks[i], p) == 0)
                return config_error("LTM_SYSMON_DISKS", "a mount point is listed twice", text);
        m->disks[m->ndisks++] = p;
    }
    if (m->ndisks == 0)
        return config_error("LTM_SYSMON_DISKS", "no mount point given", text);
    return LTM_OK;
}

static int read_settings(monitor *m)
{
    const ltm_config *c = ltm_service_config(m->svc);
    m->interval_ms = ltm_config_int(c, "LTM_SYSMON_INTERVAL");
    m->summary_ms = ltm_config_int(c, "LTM_SYSMON_SUMMARY_INTERVAL");
    m->save_ms = ltm_config_int(c, "LTM_SYSMON_SAVE_INTERVAL");
    m->backups = (int)ltm_config_int(c, "LTM_SYSMON_BACKUPS");
    m->backup_interval_ms = ltm_config_int(c, "LTM_SYSMON_BACKUP_INTERVAL");
    m->watch_broker = (int)ltm_config_int(c, "LTM_SYSMON_WATCH_BROKER");
    double hyst = ltm_config_double(c, "LTM_SYSMON_HYSTERESIS");
    int hold = (int)ltm_config_int(c, "LTM_SYSMON_HOLD_SAMPLES");
    int clear = (int)ltm_config_int(c, "LTM_SYSMON_CLEAR_SAMPLES");
    m->cpu_rule = (alarm_rule){ltm_config_double(c, "LTM_SYSMON_CPU_THRESHOLD"), hyst, hold, clear};
    m->memory_rule =
        (alarm_rule){ltm_config_double(c, "LTM_SYSMON_MEMORY_THRESHOLD"), hyst, hold, clear};
    m->disk_rule = (alarm_rule){ltm_config_double(c, "LTM_SYSMON_DISK_THRESHOLD"), hyst, hold, clear};
    /* Any growth of the broker's drop counter fires at once: each one is a
     * message lost; it resolves after `clear` samples without growth. */
    m->broker_rule = (alarm_rule){0.5, 0, 1, clear};
    const char *disks = ltm_config_str(c, "LTM_SYSMON_DISKS");
    m->disk_setting = disks ? disks : ltm_service_data_dir(m->svc);
    return parse_disks(m, m->disk_setting);
}

static void init_alarms(monitor *m)
{
    alarm_init(&m->alarms[0], "host.cpu");
    alarm_init(&m->alarms[1], "host.memory");
    for (size_t i = 0; i < m->ndisks; i++) {
        char key[ALARM_KEY_MAX];
        snprintf(key, sizeof key, "host.disk:%s", m->disks[i]);
        alarm_init(&m->alarms[2 + i], key);
    }
    m->nalarms = 2 + m->ndisks;
    alarm_init(&m->alarms[m->nalarms++], "broker.dropped");
}

static void publish_alert(monitor *m, const alarm_state *a, const alarm_rule *rule,
                          const char *what, const char *severity)
{
    char summary[400];
    double threshold = isnan(rule->threshold) ? 0 : rule->threshold;
    if (isnan(rule->threshold))
        snprintf(summary, sizeof summary, "%s is no longer watched (removed from the settings)",
                 a->key);
    else if (rule == &m->broker_rule) {
        threshold = 0; /* any growth: the 0.5 only keeps the comparison off float noise */
        if (a->firing)
            snprintf(summary, sizeof summary,
                     "the broker dropped %.0f messages since the previous sample (%llu in all)",
                     a->value, (unsigned long long)m->dropped);
        else
            snprintf(summary, sizeof summary, "the broker dropped no message for %d samples",
                     rule->clear);
    } else if (a->firing)
        snprintf(summary, sizeof summary, "%s %.1f above %.1f for %d samples", what, a->value,
                 rule->threshold, rule->hold);
    else
        snprintf(summary, sizeof summary, "%s back to %.1f, below %.1f for %d samples", what,
                 a->value, rule->threshold - rule->hysteresis, rule->clear);
    ltm_alert alert = {
        .key = (char *)a->key,
        .firing = a->firing,
        .severity = (char *)severity,
        .summary = summary,
        .source = "sysmonitor",
        .value = isnan(a->value) ? 0 : a->value,
        .threshold = threshold,
        .since_ms = a->since_ms,
        .at_ms = ltm_now_ms(),
    };
    ltm_log(a->firing ? LTM_LOG_WARN : LTM_LOG_INFO, a->firing ? "alert firing" : "alert resolved",
            "key", a->key, "value", LTM_DBL(a->value), "threshold", LTM_DBL(threshold),
            "summary", summary, NULL);
    ltm_service_publish_json(m->svc, "ltm/alerts", ltm_alert_encode(&alert), 1, 0);
}

static void check(monitor *m, size_t idx, const alarm_rule *rule, double value, int64_t now,
                  const char *what, const char *severity)
{
    if (alarm_update(&m->alarms[idx], rule, value, now) != ALARM_NONE)
        publish_alert(m, &m->alarms[idx], rule, what, severity);
}

/* Growth of the broker's drop counter since the previous sample; a counter
 * that went down means the broker restarted: a new baseline, no alert. */
static double dropped_growth(monitor *m)
{
    if (!m->have_dropped)
        return NAN;
    double growth = 0;
    if (m->have_dropped_base && m->dropped >= m->dropped_base)
        growth = (double)(m->dropped - m->dropped_base);
    m->dropped_base = m->dropped;
    m->have_dropped_base = 1;
    return growth;
}

static int add_extras(monitor *m, cJSON *o, double growth)
{
    int rc = ltm_json_add_str(o, "source", "sysmonitor");
    rc |= ltm_json_add_str(o, "instance", ltm_service_instance(m->svc));
    if (m->have_dropped) {
        cJSON *b = cJSON_AddObjectToObject(o, "broker");
        rc |= b && cJSON_AddNumberToObject(b, "dropped", (double)m->dropped) &&
                      cJSON_AddNumberToObject(b, "dropped_since_last_sample", growth)
                  ? LTM_OK
                  : LTM_ENOMEM;
    }
    cJSON *firing = cJSON_AddArrayToObject(o, "alerts_firing");
    for (size_t i = 0; firing && i < m->nalarms; i++) {
        if (m->alarms[i].firing) {
            cJSON *k = cJSON_CreateString(m->alarms[i].key);
            if (!k || !cJSON_AddItemToArray(firing, k)) {
                cJSON_Delete(k);
                rc = LTM_ENOMEM;
            }
        }
    }
    return firing ? rc : LTM_ENOMEM;
}

static void log_disk_changes(monitor *m, const sysmon_sample *s)
{
    for (size_t i = 0; i < s->ndisks; i++) {
        const sample_disk *d = &s->disks[i];
        if (!d->ok && !m->disk_failing[i])
            ltm_error("disk usage unavailable; its alert is frozen", "path", d->path, "error",
                      strerror(d->errno_value));
        else if (d->ok && m->disk_failing[i])
            ltm_info("disk usage available again", "path", d->path);
        m->disk_failing[i] = !d->ok;
    }
}

static void take_sample(monitor *m)
{
    const sysmon_sample *s;
    char err[200];
    int64_t now = ltm_now_ms();
    if (sampler_take(m->sampler, now, &s, err, sizeof err) != LTM_OK) {
        m->sample_failures++;
        ltm_service_count_error(m->svc);
        if (!m->sample_failing)
            ltm_error("sample failed; logged again when it recovers", "error", err);
        m->sample_failing = 1;
        return;
    }
    if (m->sample_failing)
        ltm_info("sampling recovered", "failures", LTM_INT(m->sample_failures));
    m->sample_failing = 0;
    log_disk_changes(m, s);
    check(m, 0, &m->cpu_rule, s->cpu_percent, now, "CPU %", "warning");
    check(m, 1, &m->memory_rule, s->memory_percent, now, "memory %", "warning");
    for (size_t i = 0; i < s->ndisks; i++) {
        char what[300];
        snprintf(what, sizeof what, "disk %% of %s", s->disks[i].path);
        check(m, 2 + i, &m->disk_rule, s->disks[i].percent, now, what, "critical");
    }
    double growth = dropped_growth(m);
    check(m, m->nalarms - 1, &m->broker_rule, growth, now, NULL, "warning");
    cJSON *o = sample_to_json(s);
    if (o && add_extras(m, o, growth) != LTM_OK) {
        cJSON_Delete(o);
        o = NULL;
    }
    ltm_service_publish_json(m->svc, "ltm/metrics/system", o ? ltm_json_finish(o) : NULL, 0, 0);
}

static void log_summary_line(const history_entry *e, size_t n, int64_t now, const char *period,
                             int64_t span_ms)
{
    summary_stats s;
    if (summary_compute(e, n, now - span_ms, now, -1, NULL, &s) != LTM_OK)
        return;
    ltm_info("performance summary", "period", period, "count", LTM_INT(s.count), "success_rate",
             LTM_DBL(round(s.success_rate * 1000) / 10), "retries", LTM_INT(s.retries), "p50_ms",
             LTM_INT(s.p50_ms), "p95_ms", LTM_INT(s.p95_ms), "max_ms", LTM_INT(s.max_ms));
}

static void publish_summary(monitor *m)
{
    int64_t now = ltm_now_ms();
    history_prune(m->hist, now);
    const history_entry *e = history_entries(m->hist);
    size_t n = history_count(m->hist);
    log_summary_line(e, n, now, "hour", 3600LL * 1000);
    log_summary_line(e, n, now, "day", DAY_MS);
    cJSON *o = summary_build(e, n, now);
    if (o && (ltm_json_add_str(o, "source", "sysmonitor") ||
              ltm_json_add_str(o, "instance", ltm_service_instance(m->svc)))) {
        cJSON_Delete(o);
        o = NULL;
    }
    ltm_service_publish_json(m->svc, "ltm/metrics/summary", o ? ltm_json_finish(o) : NULL, 0, 0);
}

int monitor_save(monitor *m)
{
    int64_t now = ltm_now_ms();
    history_prune(m->hist, now);
    char *text = state_encode(m->hist, m->alarms, m->nalarms, now);
    int rc = text ? persist_save(m->state_path, text, strlen(text), m->backups,
                                 m->backup_interval_ms, now)
                  : LTM_ENOMEM;
    if (rc != LTM_OK) {
        m->save_failures++;
        ltm_service_count_error(m->svc);
        ltm_error("state not saved", "path", m->state_path, "error", ltm_strerror(rc), "errno",
                  rc == LTM_EIO ? strerror(errno) : NULL);
    } else {
        ltm_debug("state saved", "path", m->state_path, "entries",
                  LTM_INT(history_count(m->hist)), "bytes", LTM_INT(strlen(text)));
    }
    free(text);
    return rc;
}

static void set_detail(monitor *m)
{
    char detail[440];
    size_t firing = 0;
    for (size_t i = 0; i < m->nalarms; i++)
        firing += m->alarms[i].firing != 0;
    snprintf(detail, sizeof detail,
             "{\"history_entries\":%zu,\"results_counted\":%llu,\"results_duplicate\":%llu,"
             "\"results_ignored\":%llu,"
             "\"alerts_firing\":%zu,\"sample_failures\":%llu,\"save_failures\":%llu}",
             history_count(m->hist), (unsigned long long)m->results_added,
             (unsigned long long)m->results_duplicate, (unsigned long long)m->results_ignored,
             firing,
             (unsigned long long)m->sample_failures, (unsigned long long)m->save_failures);
    ltm_service_set_detail(m->svc, detail);
}

int monitor_run_due(monitor *m)
{
    int64_t now = ltm_mono_ms();
    if (now >= m->next_sample) {
        take_sample(m);
        m->next_sample += m->interval_ms;
        if (m->next_sample <= now) /* we were stopped or slow: no burst of catch-up samples */
            m->next_sample = now + m->interval_ms;
        set_detail(m);
    }
    if (now >= m->next_summary) {
        publish_summary(m);
        m->next_summary = now + m->summary_ms;
    }
    if (now >= m->next_save) {
        monitor_save(m);
        m->next_save = now + m->save_ms;
    }
    int64_t next = m->next_sample;
    if (m->next_summary < next)
        next = m->next_summary;
    if (m->next_save < next)
        next = m->next_save;
    now = ltm_mono_ms();
    return next <= now ? 0 : (int)(next - now);
}

static void handle_result(monitor *m, const ltm_mqtt_message *msg)
{
    ltm_result r;
    char reason[LTM_REASON_SIZE];
    if (ltm_result_decode(msg->payload, msg->len, &r, reason) != LTM_OK) {
        ltm_service_dead_letter(m->svc, msg, reason);
        return;
    }
    int added = 0;
    if (!history_takes_result(&r)) {
        m->results_ignored++;
        ltm_debug("engagement result not counted", "job_id", r.job_id);
    } else if (history_add_result(m->hist, &r, ltm_now_ms(), &added) != LTM_OK) {
        ltm_service_count_error(m->svc);
        ltm_error("result not recorded: out of memory", "job_id", r.job_id);
    } else if (added) {
        m->results_added++;
        ltm_debug("result recorded", "job_id", r.job_id, "attempt", LTM_INT(r.attempt), "status",
                  ltm_result_status_name(r.status));
    } else {
        m->results_duplicate++;
        ltm_debug("result already recorded", "job_id", r.job_id, "attempt", LTM_INT(r.attempt));
    }
    ltm_result_clear(&r);
}

static void handle_dropped(monitor *m, const ltm_mqtt_message *msg)
{
    long long v;
    char text[32];
    snprintf(text, sizeof text, "%.*s", (int)(msg->len < 31 ? msg->len : 31), msg->payload);
    if (msg->len > 30 || ltm_parse_int(text, &v) != LTM_OK || v < 0) {
        ltm_service_dead_letter(m->svc, msg, "expected a non-negative integer");
        return;
    }
    m->dropped = (uint64_t)v;
    m->have_dropped = 1;
}

void monitor_handle(monitor *m, const ltm_mqtt_message *msg)
{
    if (strcmp(msg->topic, "ltm/results") == 0)
        handle_result(m, msg);
    else if (strcmp(msg->topic, DROPPED_TOPIC) == 0)
        handle_dropped(m, msg);
    else
        ltm_service_dead_letter(m->svc, msg, "topic not consumed by the sysmonitor");
}

int monitor_subscribe(monitor *m)
{
    int rc = ltm_service_subscribe(m->svc, "ltm/results", 1);
    if (rc == LTM_OK && m->watch_broker)
        rc = ltm_service_subscribe(m->svc, DROPPED_TOPIC, 0);
    return rc;
}

typedef struct {
    monitor *m;
    alarm_state restored[MAX_RESTORED];
    size_t nrestored, skipped;
} load_ctx;

static int accept_state(const char *text, size_t len, void *ctx, char *reason, size_t size)
{
    load_ctx *c = ctx;
    return state_decode(text, len, ltm_now_ms(), c->m->hist, c->restored, MAX_RESTORED,
                        &c->nrestored, &c->skipped, reason, size);
}

/* An alert firing at the last save continues; one whose key is no longer
 * watched (a disk removed from the list) is resolved, or it would stay
 * firing for whoever listens. */
static void restore_alarms(monitor *m, const load_ctx *c)
{
    for (size_t i = 0; i < c->nrestored; i++) {
        const alarm_state *r = &c->restored[i];
        size_t k = 0;
        while (k < m->nalarms && strcmp(m->alarms[k].key, r->key) != 0)
            k++;
        if (k < m->nalarms) {
            m->alarms[k].firing = 1;
            m->alarms[k].since_ms = r->since_ms;
            m->alarms[k].value = r->value;
            continue;
        }
        alarm_state gone = *r;
        gone.firing = 0;
        alarm_rule none = {NAN, 0, 0, 0};
        publish_alert(m, &gone, &none, NULL, "info");
    }
}

static int load_state(monitor *m)
{
    char dir[4096];
    const char *data_dir = ltm_service_data_dir(m->svc);
    if (strlen(data_dir) > sizeof dir - 16) {
        fprintf(stderr, "ltm-sysmonitor: setting LTM_DATA_DIR is too long\n");
        return LTM_ECONFIG;
    }
    snprintf(dir, sizeof dir, "%s/sysmonitor", data_dir);
    if (ltm_mkdirs(dir, 0750) != LTM_OK) {
        fprintf(stderr, "ltm-sysmonitor: setting LTM_DATA_DIR: cannot create %s: %s\n", dir,
                strerror(errno));
        return LTM_ECONFIG;
    }
    snprintf(m->state_path, sizeof m->state_path, "%s/state.json", dir);
    load_ctx c = {.m = m};
    char from[4300];
    int rc = persist_load(m->state_path, m->backups, STATE_MAX_BYTES, ltm_now_ms(), accept_state,
                          &c, from, sizeof from);
    if (rc == LTM_ENOTFOUND) {
        ltm_info("no saved state: starting with an empty history", "path", m->state_path);
        return LTM_OK;
    }
    ltm_info("state loaded", "path", from, "entries", LTM_INT(history_count(m->hist)),
             "skipped", LTM_INT(c.skipped), "alerts_firing", LTM_INT(c.nrestored));
    if (c.skipped)
        ltm_warn("saved state had invalid entries, skipped", "path", from, "skipped",
                 LTM_INT(c.skipped));
    restore_alarms(m, &c);
    return LTM_OK;
}

int monitor_new(ltm_service *svc, monitor **out)
{
    monitor *m = calloc(1, sizeof *m);
    if (!m)
        return LTM_ENOMEM;
    m->svc = svc;
    const ltm_config *c = ltm_service_config(svc);
    int rc = read_settings(m);
    if (rc == LTM_OK)
        rc = history_new(ltm_config_int(c, "LTM_SYSMON_RETENTION"),
                         (size_t)ltm_config_int(c, "LTM_SYSMON_HISTORY_MAX"), &m->hist);
    char err[300] = "";
    if (rc == LTM_OK) {
        rc = sampler_new(ltm_config_str(c, "LTM_SYSMON_PROC_DIR"),
                         ltm_config_str(c, "LTM_SYSMON_CGROUP_DIR"), m->disks, m->ndisks,
                         &m->sampler, err, sizeof err);
        if (rc == LTM_EIO) {
            fprintf(stderr, "ltm-sysmonitor: setting LTM_SYSMON_PROC_DIR: %s\n", err);
            rc = LTM_ECONFIG;
        }
    }
    if (rc == LTM_OK) {
        init_alarms(m);
        rc = load_state(m);
    }
    if (rc != LTM_OK) {
        monitor_free(m);
        return rc;
    }
    ltm_info("sampling", "interval_ms", LTM_INT(m->interval_ms), "disks", m->disk_setting,
             "cgroup_limits", sampler_has_cgroup(m->sampler) ? "found" : "none");
    int64_t now = ltm_mono_ms();
    m->next_sample = now + m->interval_ms;
    m->next_summary = now + m->summary_ms;
    m->next_save = now + m->save_ms;
    *out = m;
    return LTM_OK;
}

void monitor_free(monitor *m)
{
    if (!m)
        return;
    sampler_free(m->sampler);
    history_free(m->hist);
    free(m->disk_list);
    free(m);
}
