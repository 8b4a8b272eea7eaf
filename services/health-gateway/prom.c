/* GET /metrics in the Prometheus text exposition format (version 0.0.4):
 * every family has HELP and TYPE lines, counters end in _total, units are
 * base units (seconds, bytes, ratios), and label values are escaped, since
 * they come from messages (mount points, names). A test runs
 * `promtool check metrics` on the output. */
#include "render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} buf;

static void add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(buf *b, const char *fmt, ...)
{
    for (int round = 0; round < 2 && !b->failed; round++) {
        va_list ap;
        va_start(ap, fmt);
        int n =
            vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
        } else if (b->data && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        } else {
            size_t cap = b->cap ? b->cap : 4096;
            while (cap < b->len + (size_t)n + 1)
                cap *= 2;
            char *grown = realloc(b->data, cap);
            if (!grown)
                b->failed = 1;
            else
                b->data = grown, b->cap = cap;
        }
    }
}

/* A label value with \, " and newline escaped as the format requires. */
static const char *esc(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (; *in && o + 3 < size; in++) {
        if (*in == '\\' || *in == '"') {
            out[o++] = '\\';
            out[o++] = *in;
        } else if (*in == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
    return out;
}
#define ESC(s) esc((s), (char[300]){0}, 300)

static void family(buf *b, const char *name, const char *type, const char *help)
{
    add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gateway_families(buf *b, const gw_state *s, const gw_view *v, int healthy)
{
    family(b, "ltm_gateway_build_info", "gauge", "Version of the health gateway (always 1).");
    add(b, "ltm_gateway_build_info{version=\"%s\"} 1\n", ESC(v->version ? v->version : ""));
    family(b, "ltm_gateway_uptime_seconds", "gauge", "Seconds since the health gateway started.");
    add(b, "ltm_gateway_uptime_seconds %.3f\n", (double)(v->now_mono - v->started_mono) / 1000.0);
    family(b, "ltm_gateway_broker_connected", "gauge",
           "1 when the gateway is connected to the MQTT broker.");
    add(b, "ltm_gateway_broker_connected %d\n", v->broker_connected ? 1 : 0);
    family(b, "ltm_health_ok", "gauge", "1 when GET /health answers 200.");
    add(b, "ltm_health_ok %d\n", healthy);
    family(b, "ltm_gateway_messages_total", "counter",
           "MQTT messages taken into the gateway's state.");
    add(b, "ltm_gateway_messages_total %llu\n", (unsigned long long)s->messages);
    family(b, "ltm_gateway_rejected_messages_total", "counter",
           "Malformed messages the gateway sent to ltm/dlq.");
    add(b, "ltm_gateway_rejected_messages_total %llu\n", (unsigned long long)s->rejected);
    family(b, "ltm_gateway_dropped_total", "counter",
           "Entries not kept because a bound of the gateway's state was reached.");
    for (int i = 0; i < GW_DROP_COUNT; i++)
        add(b, "ltm_gateway_dropped_total{what=\"%s\"} %llu\n", gw_drop_names[i],
            (unsigned long long)s->dropped[i]);
    /* Posts evicted from the latest-reading table, results of accounts beyond its bound. */
    add(b, "ltm_gateway_dropped_total{what=\"engagement_posts\"} %llu\n",
        (unsigned long long)s->eng.evicted);
    add(b, "ltm_gateway_dropped_total{what=\"engagement_accounts\"} %llu\n",
        (unsigned long long)s->eng.accounts_dropped);
    family(b, "ltm_gateway_http_requests_total", "counter",
           "HTTP requests answered, by route and status code.");
    for (size_t i = 0; i < v->http_count; i++)
        add(b, "ltm_gateway_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n", v->http[i].route,
            v->http[i].code, (unsigned long long)v->http[i].count);
}

static void job_families(buf *b, const gw_state *s)
{
    family(b, "ltm_job_results_total", "counter",
           "Job attempts reported on ltm/results since the gateway started, by kind and status.");
    for (int k = 0; k < GW_JOB_KINDS; k++) {
        for (int st = 0; st < GW_RESULT_STATUSES; st++)
            add(b, "ltm_job_results_total{kind=\"%s\",status=\"%s\"} %llu\n",
                ltm_job_kind_name((ltm_job_kind)k), ltm_result_status_name((ltm_result_status)st),
                (unsigned long long)s->results_by[k][st]);
    }
    family(b, "ltm_job_retries_total", "counter",
           "Job attempts after the first (attempt > 1), by kind.");
    for (int k = 0; k < GW_JOB_KINDS; k++)
        add(b, "ltm_job_retries_total{kind=\"%s\"} %llu\n", ltm_job_kind_name((ltm_job_kind)k),
            (unsigned long long)s->retries[k]);
    family(b, "ltm_dlq_messages_total", "counter",
           "Messages seen on ltm/dlq, by the service that rejected them.");
    for (size_t i = 0; i < s->dlq_source_count; i++)
        add(b, "ltm_dlq_messages_total{service=\"%s\"} %llu\n", ESC(s->dlq_by[i].name),
            (unsigned long long)s->dlq_by[i].count);
    family(b, "ltm_publish_duration_seconds", "histogram",
           "Time the channel took to publish, per attempt that reached it, by kind.");
    for (int k = 0; k < GW_JOB_KINDS; k++) {
        const char *kind = ltm_job_kind_name((ltm_job_kind)k);
        for (int i = 0; i < GW_BUCKETS; i++)
            add(b, "ltm_publish_duration_seconds_bucket{kind=\"%s\",le=\"%g\"} %llu\n", kind,
                gw_publish_buckets[i], (unsigned long long)s->publish_buckets[k][i]);
        add(b, "ltm_publish_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %llu\n", kind,
            (unsigned long long)s->publish_count[k]);
        add(b, "ltm_publish_duration_seconds_sum{kind=\"%s\"} %.6f\n", kind, s->publish_sum_s[k]);
        add(b, "ltm_publish_duration_seconds_count{kind=\"%s\"} %llu\n", kind,
            (unsigned long long)s->publish_count[k]);
    }
}

/* Account names come from results: any UTF-8 up to 64 bytes, quotes and
 * newlines included; esc() makes them safe label values. */
static void engagement_families(buf *b, const gw_state *s)
{
    const gw_engagement *e = &s->eng;
    family(b, "ltm_engagement_checks_total", "counter",
           "Engagement check attempts answered on ltm/results since the gateway started, by "
           "account and outcome (blocked: a permission, quota or rate limit; failed: any other answer).");
    for (size_t i = 0; i < e->account_count; i++) {
        for (int st = 0; st < GW_CHECK_STATUSES; st++)
            add(b, "ltm_engagement_checks_total{account=\"%s\",status=\"%s\"} %llu\n",
                ESC(e->accounts[i].name), gw_check_status_names[st],
                (unsigned long long)e->accounts[i].checks[st]);
    }
    family(b, "ltm_engagement_posts", "gauge",
           "Posts of the account whose latest reading the gateway keeps.");
    for (size_t i = 0; i < e->account_count; i++)
        add(b, "ltm_engagement_posts{account=\"%s\"} %llu\n", ESC(e->accounts[i].name),
            (unsigned long long)e->accounts[i].posts);
    family(b, "ltm_engagement_figure", "gauge",
           "Sum over the account's posts of the figure in each post's latest reading; absent "
           "when no post offers the figure.");
    for (size_t i = 0; i < e->account_count; i++) {
        const gw_eng_account *a = &e->accounts[i];
        for (int f = 0; f < LTM_FIGURE_COUNT; f++) {
            if (a->offering[f])
                add(b, "ltm_engagement_figure{account=\"%s\",figure=\"%s\"} %lld\n",
                    ESC(a->name), ltm_figure_names[f], (long long)a->sums[f]);
        }
    }
}

static void host_families(buf *b, const gw_state *s, const gw_view *v)
{
    const gw_host *h = &s->host;
    family(b, "ltm_host_metrics_age_seconds", "gauge",
           "Seconds since the last ltm/metrics/system message (-1: none yet).");
    add(b, "ltm_host_metrics_age_seconds %.3f\n",
        s->system_json ? (double)(v->now_mono - s->system_mono) / 1000.0 : -1.0);
    family(b, "ltm_host_cpu_usage_ratio", "gauge",
           "Host CPU in use, 0 to 1, as sysmonitor measured it.");
    if (h->has_cpu)
        add(b, "ltm_host_cpu_usage_ratio %.6g\n", h->cpu_ratio);
    family(b, "ltm_host_memory_usage_ratio", "gauge", "Host memory in use, 0 to 1.");
    if (h->has_memory)
        add(b, "ltm_host_memory_usage_ratio %.6g\n", h->memory_ratio);
    family(b, "ltm_host_disk_usage_ratio", "gauge", "Disk space in use, 0 to 1, by mount point.");
    for (size_t i = 0; i < h->disk_count; i++)
        add(b, "ltm_host_disk_usage_ratio{mount=\"%s\"} %.6g\n", ESC(h->disks[i].mount),
            h->disks[i].ratio);
    family(b, "ltm_host_load1", "gauge", "Host load average over one minute.");
    if (h->has_load)
        add(b, "ltm_host_load1 %.6g\n", h->load1);
}

/* One sample per replica that reported process metrics. */
static void replica_family(buf *b, const gw_state *s, const char *name, const char *type,
                           const char *help, size_t offset)
{
    family(b, name, type, help);
    for (size_t i = 0; i < s->service_count; i++) {
        const gw_service *svc = &s->services[i];
        for (size_t j = 0; j < svc->replica_count; j++) {
            const gw_replica *r = &svc->replicas[j];
            if (r->has_metrics)
                add(b, "%s{service=\"%s\",instance=\"%s\"} %.17g\n", name, ESC(svc->name),
                    ESC(r->instance), *(const double *)((const char *)r + offset));
        }
    }
}

static void service_families(buf *b, const gw_state *s, const gw_view *v)
{
    family(b, "ltm_service_up", "gauge",
           "1 when at least one replica of the service is online with a fresh heartbeat.");
    for (size_t i = 0; i < s->service_count; i++)
        add(b, "ltm_service_up{service=\"%s\"} %d\n", ESC(s->services[i].name),
            gw_service_liveness(&s->services[i], &v->fresh, v->now_mono) == GW_UP);
    for (size_t i = 0; i < v->required_count; i++) {
        if (!gw_state_find(s, v->required[i]))
            add(b, "ltm_service_up{service=\"%s\"} 0\n", ESC(v->required[i]));
    }
    family(b, "ltm_service_replicas", "gauge", "Replicas of the service seen, by state.");
    for (size_t i = 0; i < s->service_count; i++) {
        int count[GW_MISSING] = {0};
        const gw_service *svc = &s->services[i];
        for (size_t j = 0; j < svc->replica_count; j++) {
            gw_liveness l = gw_replica_liveness(&svc->replicas[j], &v->fresh, v->now_mono);
            if (l != GW_MISSING)
                count[l]++;
        }
        for (int l = 0; l < GW_MISSING; l++)
            add(b, "ltm_service_replicas{service=\"%s\",state=\"%s\"} %d\n", ESC(svc->name),
                gw_liveness_name((gw_liveness)l), count[l]);
    }
    replica_family(b, s, "ltm_service_resident_memory_bytes", "gauge",
                   "Resident memory of the replica's process.", offsetof(gw_replica, rss_bytes));
    replica_family(b, s, "ltm_service_cpu_seconds_total", "counter",
                   "CPU time used by the replica's process.", offsetof(gw_replica, cpu_s));
    replica_family(b, s, "ltm_service_messages_received_total", "counter",
                   "MQTT messages the replica received.", offsetof(gw_replica, messages_in));
    replica_family(b, s, "ltm_service_messages_sent_total", "counter",
                   "MQTT messages the replica published.", offsetof(gw_replica, messages_out));
    replica_family(b, s, "ltm_service_errors_total", "counter", "Errors the replica counted.",
                   offsetof(gw_replica, errors));
    replica_family(b, s, "ltm_service_dead_letters_total", "counter",
                   "Messages the replica rejected to ltm/dlq.", offsetof(gw_replica, dead_letters));
    replica_family(b, s, "ltm_service_dropped_messages_total", "counter",
                   "Publishes the replica could not queue.", offsetof(gw_replica, dropped));
}

static void alert_families(buf *b, const gw_state *s)
{
    static const char *const severities[] = {"info", "warning", "critical"};
    family(b, "ltm_alerts_firing", "gauge", "Alerts currently firing, by severity.");
    for (size_t i = 0; i < 3; i++) {
        int n = 0;
        for (size_t j = 0; j < s->alert_count; j++)
            n += strcmp(s->alerts[j].severity, severities[i]) == 0;
        add(b, "ltm_alerts_firing{severity=\"%s\"} %d\n", severities[i], n);
    }
}

char *gw_render_metrics(const gw_state *s, const gw_view *v)
{
    int code = 0;
    free(gw_render_health(s, v, &code));
    buf b = {0};
    gateway_families(&b, s, v, code == 200);
    job_families(&b, s);
    engagement_families(&b, s);
    host_families(&b, s, v);
    service_families(&b, s, v);
    alert_families(&b, s);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}
