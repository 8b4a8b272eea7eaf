#include "render.h"

#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <stdio.h>

/* Items of the scheduler's recent_posts, paused and blocked lists shown at
 * most (it sends 10 posts). */
#define GW_RECENT_POSTS_MAX 20
#include <stdlib.h>
#include <string.h>

static int is_required(const gw_view *v, const char *name)
{
    for (size_t i = 0; i < v->required_count; i++) {
        if (strcmp(v->required[i], name) == 0)
            return 1;
    }
    return 0;
}

static double seconds(int64_t ms) { return (double)ms / 1000.0; }

/* One sentence per failing service, for people reading /health. */
static void failing_reason(const gw_service *svc, const gw_view *v, gw_liveness l, char *out,
                           size_t size)
{
    const gw_replica *r = gw_service_best(svc, &v->fresh, v->now_mono);
    char iso[LTM_ISO_SIZE];
    if (l == GW_MISSING || !r) {
        snprintf(out, size, "no status received");
    } else if (l == GW_STALE) {
        int64_t interval = r->interval_ms > 0 ? r->interval_ms : v->fresh.default_interval_ms;
        snprintf(out, size, "no heartbeat for %.1f s (expected every %.1f s)",
                 seconds(v->now_mono - r->heard_mono), seconds(interval));
    } else if (r->heartbeat_ms > 0) {
        snprintf(out, size, "offline (last heartbeat %s)",
                 ltm_time_format_iso(r->heartbeat_ms, iso));
    } else {
        snprintf(out, size, "offline");
    }
}

static cJSON *failing_item(const char *check, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        ltm_json_add_str(o, "check", check);
        ltm_json_add_str(o, "reason", reason);
    }
    return o;
}

char *gw_render_health(const gw_state *s, const gw_view *v, int *http_status)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *services = cJSON_CreateObject();
    cJSON *failing = cJSON_CreateArray();
    if (!o || !services || !failing) {
        cJSON_Delete(o);
        cJSON_Delete(services);
        cJSON_Delete(failing);
        return NULL;
    }
    if (!v->broker_connected)
        cJSON_AddItemToArray(failing, failing_item("broker", "not connected to the broker"));
    for (size_t i = 0; i < v->required_count; i++) {
        const gw_service *svc = gw_state_find(s, v->required[i]);
        gw_liveness l = gw_service_liveness(svc, &v->fresh, v->now_mono);
        cJSON_AddStringToObject(services, v->required[i], gw_liveness_name(l));
        if (l != GW_UP) {
            char reason[200];
            failing_reason(svc, v, l, reason, sizeof reason);
            cJSON_AddItemToArray(failing, failing_item(v->required[i], reason));
        }
    }
    int ok = cJSON_GetArraySize(failing) == 0;
    *http_status = ok ? 200 : 503;
    ltm_json_add_str(o, "status", ok ? "ok" : "fail");
    ltm_json_add_str(o, "broker", v->broker_connected ? "connected" : "disconnected");
    cJSON_AddItemToObject(o, "services", services);
    cJSON_AddItemToObject(o, "failing", failing);
    ltm_json_add_time(o, "at", v->now_ms);
    return ltm_json_finish(o);
}

/* A stored JSON text as a node; an unparsable one (cannot happen: the
 * gateway stored it) becomes null rather than breaking the answer. */
static cJSON *parsed(const char *text)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    return j ? j : cJSON_CreateNull();
}

static cJSON *replica_json(const gw_replica *r, const gw_view *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    ltm_json_add_str(o, "instance", r->instance);
    ltm_json_add_str(o, "state", gw_liveness_name(gw_replica_liveness(r, &v->fresh, v->now_mono)));
    if (r->has_status) {
        ltm_json_add_str(o, "version", r->version);
        ltm_json_add_str(o, "host", r->host);
        if (r->pid > 0)
            cJSON_AddNumberToObject(o, "pid", r->pid);
        if (r->started_ms > 0) {
            ltm_json_add_time(o, "started_at", r->started_ms);
            cJSON_AddNumberToObject(o, "uptime_s", seconds(v->now_ms - r->started_ms));
        }
        if (r->heartbeat_ms > 0)
            ltm_json_add_time(o, "last_heartbeat", r->heartbeat_ms);
        cJSON_AddNumberToObject(o, "heartbeat_age_s", seconds(v->now_mono - r->heard_mono));
        if (r->interval_ms > 0)
            cJSON_AddNumberToObject(o, "heartbeat_interval_ms", (double)r->interval_ms);
        if (r->detail_json)
            cJSON_AddItemToObject(o, "detail", parsed(r->detail_json));
    }
    if (r->has_metrics) {
        cJSON *m = cJSON_AddObjectToObject(o, "process");
        if (m) {
            cJSON_AddNumberToObject(m, "rss_bytes", r->rss_bytes);
            cJSON_AddNumberToObject(m, "cpu_seconds", r->cpu_s);
            cJSON_AddNumberToObject(m, "messages_in", r->messages_in);
            cJSON_AddNumberToObject(m, "messages_out", r->messages_out);
            cJSON_AddNumberToObject(m, "errors", r->errors);
            cJSON_AddNumberToObject(m, "dead_letters", r->dead_letters);
            cJSON_AddNumberToObject(m, "dropped", r->dropped);
        }
    }
    return o;
}

static cJSON *service_json(const char *name, const gw_service *svc, const gw_view *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *replicas = cJSON_CreateArray();
    if (!o || !replicas) {
        cJSON_Delete(o);
        cJSON_Delete(replicas);
        return NULL;
    }
    gw_liveness l = gw_service_liveness(svc, &v->fresh, v->now_mono);
    const gw_replica *best = gw_service_best(svc, &v->fresh, v->now_mono);
    int seen = 0, up = 0;
    for (size_t i = 0; svc && i < svc->replica_count; i++) {
        gw_liveness rl = gw_replica_liveness(&svc->replicas[i], &v->fresh, v->now_mono);
        seen += rl != GW_MISSING;
        up += rl == GW_UP;
        cJSON_AddItemToArray(replicas, replica_json(&svc->replicas[i], v));
    }
    ltm_json_add_str(o, "name", name);
    ltm_json_add_str(o, "state", gw_liveness_name(l));
    cJSON_AddBoolToObject(o, "required", is_required(v, name));
    if (best) {
        ltm_json_add_str(o, "version", best->version);
        if (best->started_ms > 0)
            cJSON_AddNumberToObject(o, "uptime_s", seconds(v->now_ms - best->started_ms));
        if (best->heartbeat_ms > 0)
            ltm_json_add_time(o, "last_heartbeat", best->heartbeat_ms);
    }
    cJSON_AddNumberToObject(o, "replicas_seen", seen);
    cJSON_AddNumberToObject(o, "replicas_online", up);
    /* The service's own state (the scheduler's due slots, retries, jobs in
     * flight) as its freshest replica reported it, unchanged. */
    if (best && best->detail_json)
        cJSON_AddItemToObject(o, "detail", parsed(best->detail_json));
    cJSON_AddItemToObject(o, "replicas", replicas);
    return o;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every service seen plus every required one not seen, by name. */
static cJSON *services_json(const gw_state *s, const gw_view *v)
{
    const char *names[GW_MAX_SERVICES * 2];
    size_t n = 0;
    for (size_t i = 0; i < s->service_count; i++)
        names[n++] = s->services[i].name;
    for (size_t i = 0; i < v->required_count && n < GW_MAX_SERVICES * 2; i++) {
        if (!gw_state_find(s, v->required[i]))
            names[n++] = v->required[i];
    }
    qsort(names, n, sizeof names[0], by_name);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, service_json(names[i], gw_state_find(s, names[i]), v));
    return a;
}

static cJSON *alert_json(const ltm_alert *al)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    ltm_json_add_str(o, "key", al->key);
    ltm_json_add_str(o, "severity", al->severity);
    ltm_json_add_str(o, "summary", al->summary);
    ltm_json_add_str(o, "source", al->source);
    cJSON_AddNumberToObject(o, "value", al->value);
    cJSON_AddNumberToObject(o, "threshold", al->threshold);
    ltm_json_add_time(o, "since", al->since_ms);
    ltm_json_add_time(o, "at", al->at_ms);
    return o;
}

static cJSON *counters_json(const gw_state *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *results = cJSON_AddObjectToObject(o, "results");
    cJSON *retries = cJSON_AddObjectToObject(o, "retries");
    cJSON *dlq = cJSON_AddObjectToObject(o, "dlq_by_service");
    cJSON *dropped = cJSON_AddObjectToObject(o, "gateway_dropped");
    if (!results || !retries || !dlq || !dropped) {
        cJSON_Delete(o);
        return NULL;
    }
    for (int k = 0; k < GW_JOB_KINDS; k++) {
        const char *kind = ltm_job_kind_name((ltm_job_kind)k);
        cJSON *byst = cJSON_AddObjectToObject(results, kind);
        for (int st = 0; byst && st < GW_RESULT_STATUSES; st++)
            cJSON_AddNumberToObject(byst, ltm_result_status_name((ltm_result_status)st),
                                    (double)s->results_by[k][st]);
        cJSON_AddNumberToObject(retries, kind, (double)s->retries[k]);
    }
    cJSON_AddNumberToObject(o, "dlq_messages", (double)s->dlq_total);
    for (size_t i = 0; i < s->dlq_source_count; i++)
        cJSON_AddNumberToObject(dlq, s->dlq_by[i].name, (double)s->dlq_by[i].count);
    cJSON_AddNumberToObject(o, "gateway_messages", (double)s->messages);
    cJSON_AddNumberToObject(o, "gateway_rejected", (double)s->rejected);
    for (int i = 0; i < GW_DROP_COUNT; i++)
        cJSON_AddNumberToObject(dropped, gw_drop_names[i], (double)s->dropped[i]);
    return o;
}

static void add_figures(cJSON *parent, const char *key, const ltm_figures *f)
{
    cJSON *o = cJSON_AddObjectToObject(parent, key);
    for (int i = 0; o && i < LTM_FIGURE_COUNT; i++) {
        int64_t v = ltm_figure_get(f, i);
        if (v >= 0)
            cJSON_AddNumberToObject(o, ltm_figure_names[i], (double)v);
    }
}

static cJSON *eng_account_json(const gw_eng_account *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *checks = o ? cJSON_AddObjectToObject(o, "checks") : NULL;
    if (!checks) {
        cJSON_Delete(o);
        return NULL;
    }
    ltm_json_add_str(o, "account", a->name);
    for (int st = 0; st < GW_CHECK_STATUSES; st++)
        cJSON_AddNumberToObject(checks, gw_check_status_names[st], (double)a->checks[st]);
    cJSON_AddNumberToObject(o, "posts", (double)a->posts);
    ltm_figures sums;
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        *ltm_figure_at(&sums, i) = a->offering[i] ? a->sums[i] : -1;
    add_figures(o, "figures", &sums);
    return o;
}

/* Up to max objects of a scheduler detail array, copied as they are. */
static cJSON *objects(const cJSON *arr, int max)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *it, *list = cJSON_IsArray(arr) ? arr : NULL;
    int n = 0;
    cJSON_ArrayForEach(it, list)
    {
        if (n == max || !out)
            break;
        if (cJSON_IsObject(it) && cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1)))
            n++;
    }
    return out;
}

/* The scheduler's view (its retained status detail: recent_posts, and the
 * engagement checks due, paused and blocked; docs/scheduler.md) with what the
 * gateway counted from the results it heard. */
static cJSON *engagement_json(const gw_state *s, const gw_view *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    const gw_replica *sched = gw_service_best(gw_state_find(s, "scheduler"), &v->fresh, v->now_mono);
    cJSON *detail = sched && sched->detail_json ? cJSON_Parse(sched->detail_json) : NULL;
    const cJSON *eng = cJSON_GetObjectItemCaseSensitive(detail, "engagement");
    cJSON_AddItemToObject(o, "recent_posts",
                          objects(cJSON_GetObjectItemCaseSensitive(detail, "recent_posts"),
                                  GW_RECENT_POSTS_MAX));
    /* The scheduler lists at most 20 paused and 20 blocked sources; the
     * totals say how many there are. */
    const char *const counts[] = {"due", "paused_total", "blocked_total"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(eng, counts[i]);
        if (cJSON_IsNumber(n))
            cJSON_AddNumberToObject(o, counts[i], n->valuedouble);
        else
            cJSON_AddNullToObject(o, counts[i]);
    }
    cJSON_AddItemToObject(o, "paused", objects(cJSON_GetObjectItemCaseSensitive(eng, "paused"),
                                               GW_RECENT_POSTS_MAX));
    cJSON_AddItemToObject(o, "blocked", objects(cJSON_GetObjectItemCaseSensitive(eng, "blocked"),
                                                GW_RECENT_POSTS_MAX));
    cJSON_Delete(detail);
    cJSON *accounts = cJSON_AddArrayToObject(o, "accounts");
    for (size_t i = 0; accounts && i < s->eng.account_count; i++)
        cJSON_AddItemToArray(accounts, eng_account_json(&s->eng.accounts[i]));
    cJSON_AddNumberToObject(o, "posts_tracked", (double)s->eng.post_count);
    cJSON_AddNumberToObject(o, "posts_max", (double)s->eng.max_posts);
    cJSON_AddNumberToObject(o, "posts_evicted", (double)s->eng.evicted);
    cJSON_AddNumberToObject(o, "accounts_dropped", (double)s->eng.accounts_dropped);
    cJSON *checks = cJSON_AddArrayToObject(o, "last_checks");
    for (size_t i = 0; checks && i < gw_state_check_count(s); i++)
        cJSON_AddItemToArray(checks, parsed(gw_state_check(s, i)));
    return o;
}

static cJSON *gateway_json(const gw_view *v)
{
    cJSON *g = cJSON_CreateObject();
    if (!g)
        return NULL;
    ltm_json_add_str(g, "version", v->version);
    ltm_json_add_str(g, "instance", v->instance);
    ltm_json_add_time(g, "started_at", v->started_ms);
    cJSON_AddNumberToObject(g, "uptime_s", seconds(v->now_mono - v->started_mono));
    ltm_json_add_str(g, "broker", v->broker_connected ? "connected" : "disconnected");
    return g;
}

char *gw_render_status(const gw_state *s, const gw_view *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int code = 0;
    char *health = gw_render_health(s, v, &code);
    free(health);
    ltm_json_add_time(o, "at", v->now_ms);
    ltm_json_add_str(o, "health", code == 200 ? "ok" : "fail");
    cJSON_AddItemToObject(o, "gateway", gateway_json(v));
    cJSON_AddItemToObject(o, "services", services_json(s, v));
    cJSON *results = cJSON_AddArrayToObject(o, "results");
    for (size_t i = 0; results && i < gw_state_result_count(s); i++)
        cJSON_AddItemToArray(results, parsed(gw_state_result(s, i)));
    cJSON *alerts = cJSON_AddArrayToObject(o, "alerts");
    for (size_t i = 0; alerts && i < s->alert_count; i++)
        cJSON_AddItemToArray(alerts, alert_json(&s->alerts[i]));
    cJSON_AddItemToObject(o, "system", parsed(s->system_json));
    if (s->system_json)
        cJSON_AddNumberToObject(o, "system_age_s", seconds(v->now_mono - s->system_mono));
    cJSON_AddItemToObject(o, "summary", parsed(s->summary_json));
    cJSON_AddItemToObject(o, "engagement", engagement_json(s, v));
    cJSON_AddItemToObject(o, "counters", counters_json(s));
    return ltm_json_finish(o);
}
