#include "state.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double gw_publish_buckets[GW_BUCKETS] = {0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                               5,    10,  30,   60,  120, 300};

const char *const gw_drop_names[GW_DROP_COUNT] = {"services", "replicas", "alerts", "disks"};

void gw_state_init(gw_state *s, size_t results_keep)
{
    memset(s, 0, sizeof *s);
    if (results_keep < 1)
        results_keep = 1;
    s->results_keep = results_keep > GW_MAX_RESULTS ? GW_MAX_RESULTS : results_keep;
    gw_engagement_init(&s->eng);
}

static void replica_clear(gw_replica *r)
{
    free(r->version);
    free(r->host);
    free(r->detail_json);
    memset(r, 0, sizeof *r);
}

void gw_state_clear(gw_state *s)
{
    for (size_t i = 0; i < s->service_count; i++) {
        for (size_t j = 0; j < s->services[i].replica_count; j++)
            replica_clear(&s->services[i].replicas[j]);
        free(s->services[i].replicas);
    }
    for (size_t i = 0; i < GW_MAX_RESULTS; i++) {
        free(s->results[i]);
        free(s->checks[i]);
    }
    gw_engagement_clear(&s->eng);
    for (size_t i = 0; i < s->alert_count; i++)
        ltm_alert_clear(&s->alerts[i]);
    free(s->system_json);
    free(s->summary_json);
    memset(s, 0, sizeof *s);
}

int gw_valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= GW_NAME_SIZE)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

const gw_service *gw_state_find(const gw_state *s, const char *name)
{
    for (size_t i = 0; i < s->service_count; i++) {
        if (strcmp(s->services[i].name, name) == 0)
            return &s->services[i];
    }
    return NULL;
}

/* Finds or adds; NULL (and counted) when a bound is reached. */
static gw_replica *replica_for(gw_state *s, const char *service, const char *instance, int create)
{
    gw_service *svc = (gw_service *)gw_state_find(s, service);
    if (!svc) {
        if (!create)
            return NULL;
        if (s->service_count == GW_MAX_SERVICES) {
            s->dropped[GW_DROP_SERVICES]++;
            return NULL;
        }
        svc = &s->services[s->service_count++];
        memset(svc, 0, sizeof *svc);
        snprintf(svc->name, sizeof svc->name, "%s", service);
    }
    for (size_t i = 0; i < svc->replica_count; i++) {
        if (strcmp(svc->replicas[i].instance, instance) == 0)
            return &svc->replicas[i];
    }
    if (!create)
        return NULL;
    if (svc->replica_count == GW_MAX_REPLICAS) {
        s->dropped[GW_DROP_REPLICAS]++;
        return NULL;
    }
    gw_replica *grown = realloc(svc->replicas, (svc->replica_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    svc->replicas = grown;
    gw_replica *r = &svc->replicas[svc->replica_count++];
    memset(r, 0, sizeof *r);
    snprintf(r->instance, sizeof r->instance, "%s", instance);
    return r;
}

static void replica_remove(gw_state *s, const char *service, const char *instance)
{
    gw_service *svc = (gw_service *)gw_state_find(s, service);
    for (size_t i = 0; svc && i < svc->replica_count; i++) {
        if (strcmp(svc->replicas[i].instance, instance) == 0) {
            replica_clear(&svc->replicas[i]);
            svc->replicas[i] = svc->replicas[--svc->replica_count];
            return;
        }
    }
}

/* Splits "<prefix><a>/<b>" (b optional when two is 0) into validated names. */
static int topic_names(const char *rest, char a[GW_NAME_SIZE], char b[GW_NAME_SIZE], int two)
{
    const char *slash = strchr(rest, '/');
    size_t alen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!gw_valid_name(rest, alen) || (two && !slash) || (!two && slash))
        return LTM_EINVAL;
    memcpy(a, rest, alen);
    a[alen] = '\0';
    if (!two)
        return LTM_OK;
    const char *inst = slash + 1;
    if (!gw_valid_name(inst, strlen(inst)))
        return LTM_EINVAL;
    snprintf(b, GW_NAME_SIZE, "%s", inst);
    return LTM_OK;
}

static int apply_status(gw_state *s, const char *rest, const char *payload, size_t len,
                        int retained, int64_t now_ms, int64_t now_mono, char *reason)
{
    char service[GW_NAME_SIZE], instance[GW_NAME_SIZE];
    if (topic_names(rest, service, instance, 1) != LTM_OK) {
        snprintf(reason, LTM_REASON_SIZE, "status topic must be ltm/status/<service>/<instance>");
        return LTM_EINVAL;
    }
    if (len == 0) { /* a cleared retained status: the replica is gone for good */
        replica_remove(s, service, instance);
        return GW_APPLIED;
    }
    ltm_status st;
    if (ltm_status_decode(payload, len, &st, reason) != LTM_OK)
        return LTM_EINVAL;
    if (strcmp(st.service, service) != 0 || strcmp(st.instance, instance) != 0) {
        snprintf(reason, LTM_REASON_SIZE,
                 "status names %.28s/%.28s but came on the topic of %.28s/%.28s", st.service,
                 st.instance, service, instance);
        ltm_status_clear(&st);
        return LTM_EINVAL;
    }
    gw_replica *r = replica_for(s, service, instance, 1);
    if (!r) {
        ltm_status_clear(&st);
        return GW_APPLIED; /* counted in dropped[] */
    }
    free(r->version);
    free(r->host);
    free(r->detail_json);
    r->has_status = 1;
    r->online = st.online;
    r->version = st.version;
    r->host = st.host;
    r->detail_json = st.detail_json;
    r->pid = st.pid;
    r->started_ms = st.started_ms;
    r->heartbeat_ms = st.heartbeat_ms;
    r->interval_ms = st.heartbeat_interval_ms;
    int64_t age = 0;
    if (retained)
        age = st.heartbeat_ms > 0 ? now_ms - st.heartbeat_ms : INT64_MAX / 4;
    r->heard_mono = now_mono - (age > 0 ? age : 0);
    st.version = st.host = st.detail_json = NULL;
    ltm_status_clear(&st);
    return GW_APPLIED;
}

static double number_or(const cJSON *o, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : fallback;
}

static int apply_process_metrics(gw_state *s, const char *service, const cJSON *root, char *reason)
{
    char *instance = NULL;
    if (ltm_json_str(root, "instance", 1, GW_NAME_SIZE - 1, &instance, reason, LTM_REASON_SIZE))
        return LTM_EINVAL;
    if (!gw_valid_name(instance, strlen(instance))) {
        snprintf(reason, LTM_REASON_SIZE, "field instance: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        free(instance);
        return LTM_EINVAL;
    }
    gw_replica *r = replica_for(s, service, instance, 1);
    free(instance);
    if (!r)
        return GW_APPLIED;
    r->has_metrics = 1;
    r->rss_bytes = number_or(root, "rss_bytes", 0);
    r->cpu_s = number_or(root, "cpu_ms", 0) / 1000.0;
    r->messages_in = number_or(root, "messages_in", 0);
    r->messages_out = number_or(root, "messages_out", 0);
    r->errors = number_or(root, "errors", 0);
    r->dead_letters = number_or(root, "dead_letters", 0);
    r->dropped = number_or(root, "dropped", 0);
    return GW_APPLIED;
}

/* "cpu.percent" -> root["cpu"]["percent"], when it is a finite number. */
static int number_at(const cJSON *root, const char *path, double *out)
{
    char key[64];
    const cJSON *node = root;
    while (node && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return 0;
        memcpy(key, path, n);
        key[n] = '\0';
        node = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, key) : NULL;
        path += n + (path[n] == '.');
    }
    if (!cJSON_IsNumber(node) || !isfinite(node->valuedouble))
        return 0;
    *out = node->valuedouble;
    return 1;
}

/* The first of the candidate paths present, as a 0..1 ratio from a percentage. */
static int percent_at(const cJSON *root, const char *const *paths, double *ratio)
{
    double v;
    for (; *paths; paths++) {
        if (number_at(root, *paths, &v)) {
            *ratio = v / 100.0;
            return 1;
        }
    }
    return 0;
}

static void host_disk(gw_state *s, const char *mount, const cJSON *item)
{
    static const char *const paths[] = {"percent", "used_percent", "usage_percent", NULL};
    double ratio;
    if (!mount || !(cJSON_IsNumber(item) ? (ratio = item->valuedouble / 100.0, isfinite(ratio))
                                         : percent_at(item, paths, &ratio)))
        return;
    if (s->host.disk_count == GW_MAX_DISKS) {
        s->dropped[GW_DROP_DISKS]++;
        return;
    }
    gw_disk *d = &s->host.disks[s->host.disk_count++];
    snprintf(d->mount, sizeof d->mount, "%s", mount);
    d->ratio = ratio;
}

/* The host gauges /metrics exports, from sysmonitor's sample (cpu.percent,
 * memory.percent, disks[].path/percent, load[0]; a few flat spellings are
 * accepted too, docs/health-gateway.md). Everything else in the object is
 * still shown as-is in /status. */
static void extract_host(gw_state *s, const cJSON *root)
{
    static const char *const cpu[] = {"cpu_percent", "cpu.percent", "cpu.total_percent",
                                      "cpu.total", NULL};
    static const char *const mem[] = {"memory_percent", "memory.percent", "memory.used_percent",
                                      NULL};
    memset(&s->host, 0, sizeof s->host);
    s->host.has_cpu = percent_at(root, cpu, &s->host.cpu_ratio);
    s->host.has_memory = percent_at(root, mem, &s->host.memory_ratio);
    const cJSON *load = cJSON_GetObjectItemCaseSensitive(root, "load"); /* [1m, 5m, 15m] */
    const cJSON *load1 = cJSON_IsArray(load) ? cJSON_GetArrayItem(load, 0) : NULL;
    if (cJSON_IsNumber(load1) && isfinite(load1->valuedouble)) {
        s->host.has_load = 1;
        s->host.load1 = load1->valuedouble;
    } else {
        s->host.has_load = number_at(root, "load1", &s->host.load1);
    }
    const cJSON *disks = cJSON_GetObjectItemCaseSensitive(root, "disks");
    const cJSON *d;
    cJSON_ArrayForEach(d, disks)
    {
        if (cJSON_IsArray(disks)) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(d, "mount");
            if (!cJSON_IsString(m))
                m = cJSON_GetObjectItemCaseSensitive(d, "path");
            host_disk(s, cJSON_IsString(m) ? m->valuestring : NULL, d);
        } else if (cJSON_IsObject(disks)) {
            host_disk(s, d->string, d);
        }
    }
}

static int apply_metrics(gw_state *s, const char *rest, const char *payload, size_t len,
                         int64_t now_mono, char *reason)
{
    char source[GW_NAME_SIZE];
    if (topic_names(rest, source, NULL, 0) != LTM_OK) {
        snprintf(reason, LTM_REASON_SIZE, "metrics topic must be ltm/metrics/<source>");
        return LTM_EINVAL;
    }
    cJSON *root = ltm_json_parse_object(payload, len, reason, LTM_REASON_SIZE);
    if (!root)
        return LTM_EINVAL;
    int rc = GW_APPLIED;
    if (strcmp(source, "system") == 0 || strcmp(source, "summary") == 0) {
        char *text = cJSON_PrintUnformatted(root);
        if (!text) {
            snprintf(reason, LTM_REASON_SIZE, "out of memory");
            rc = LTM_ENOMEM;
        } else if (source[1] == 'y') {
            free(s->system_json);
            s->system_json = text;
            s->system_mono = now_mono;
            extract_host(s, root);
        } else {
            free(s->summary_json);
            s->summary_json = text;
        }
    } else {
        rc = apply_process_metrics(s, source, root, reason);
    }
    cJSON_Delete(root);
    return rc;
}

static void count_result(gw_state *s, const ltm_result *r)
{
    unsigned kind = (unsigned)r->kind, status = (unsigned)r->status;
    if (kind >= GW_JOB_KINDS || status >= GW_RESULT_STATUSES)
        return;
    s->results_by[kind][status]++;
    if (r->attempt > 1)
        s->retries[kind]++;
    /* Only attempts that reached the channel have a publish duration. */
    if (r->publish_ms <= 0 && r->status != LTM_RESULT_PUBLISHED)
        return;
    double sec = (double)r->publish_ms / 1000.0;
    for (size_t i = 0; i < GW_BUCKETS; i++) {
        if (sec <= gw_publish_buckets[i])
            s->publish_buckets[kind][i]++;
    }
    s->publish_count[kind]++;
    s->publish_sum_s[kind] += sec;
}

static void ring_push(char **ring, size_t *head, size_t *len, size_t keep, char *text)
{
    free(ring[*head]);
    ring[*head] = text;
    *head = (*head + 1) % keep;
    if (*len < keep)
        (*len)++;
}

static const char *ring_get(char *const *ring, size_t head, size_t len, size_t keep, size_t i)
{
    return i < len ? ring[(head + keep - 1 - i) % keep] : NULL;
}

static int apply_result(gw_state *s, const char *payload, size_t len, char *reason)
{
    ltm_result r;
    if (ltm_result_decode(payload, len, &r, reason) != LTM_OK)
        return LTM_EINVAL;
    /* Re-encoded rather than kept verbatim: only the fields LTM defines reach /status. */
    char *text = ltm_result_encode(&r);
    if (!text) {
        ltm_result_clear(&r);
        snprintf(reason, LTM_REASON_SIZE, "out of memory");
        return LTM_ENOMEM;
    }
    if (r.kind == LTM_JOB_ENGAGEMENT) {
        int rc = gw_engagement_add(&s->eng, &r);
        ltm_result_clear(&r);
        if (rc != LTM_OK) {
            free(text);
            snprintf(reason, LTM_REASON_SIZE, "out of memory");
            return LTM_ENOMEM;
        }
        ring_push(s->checks, &s->checks_head, &s->checks_len, s->results_keep, text);
        return GW_APPLIED;
    }
    count_result(s, &r);
    ltm_result_clear(&r);
    ring_push(s->results, &s->results_head, &s->results_len, s->results_keep, text);
    return GW_APPLIED;
}

static int apply_alert(gw_state *s, const char *payload, size_t len, char *reason)
{
    ltm_alert a;
    if (ltm_alert_decode(payload, len, &a, reason) != LTM_OK)
        return LTM_EINVAL;
    size_t i = 0;
    while (i < s->alert_count && strcmp(s->alerts[i].key, a.key) != 0)
        i++;
    if (i < s->alert_count) {
        ltm_alert_clear(&s->alerts[i]);
        if (a.firing) {
            s->alerts[i] = a;
            return GW_APPLIED;
        }
        s->alerts[i] = s->alerts[--s->alert_count];
        memset(&s->alerts[s->alert_count], 0, sizeof a);
    } else if (a.firing && s->alert_count < GW_MAX_ALERTS) {
        s->alerts[s->alert_count++] = a;
        return GW_APPLIED;
    } else if (a.firing) {
        s->dropped[GW_DROP_ALERTS]++;
    }
    ltm_alert_clear(&a);
    return GW_APPLIED;
}

/* Dead letters are only counted, never rejected: a malformed dead letter
 * sent back to ltm/dlq would come round again. */
static void apply_dlq(gw_state *s, const char *payload, size_t len)
{
    char source[GW_NAME_SIZE] = "unknown";
    char reason[LTM_REASON_SIZE];
    cJSON *root = ltm_json_parse_object(payload, len, reason, sizeof reason);
    const cJSON *svc = cJSON_GetObjectItemCaseSensitive(root, "service");
    if (cJSON_IsString(svc) && gw_valid_name(svc->valuestring, strlen(svc->valuestring)))
        snprintf(source, sizeof source, "%s", svc->valuestring);
    cJSON_Delete(root);
    s->dlq_total++;
    size_t i = 0;
    while (i < s->dlq_source_count && strcmp(s->dlq_by[i].name, source) != 0)
        i++;
    if (i == s->dlq_source_count) {
        if (i == GW_MAX_DLQ_SOURCES) {
            i = GW_MAX_DLQ_SOURCES - 1; /* "other" */
        } else {
            s->dlq_source_count++;
            snprintf(s->dlq_by[i].name, sizeof s->dlq_by[i].name, "%s",
                     i == GW_MAX_DLQ_SOURCES - 1 ? "other" : source);
        }
    }
    s->dlq_by[i].count++;
}

int gw_state_apply(gw_state *s, const char *topic, const char *payload, size_t len, int retained,
                   int64_t now_ms, int64_t now_mono, char reason[LTM_REASON_SIZE])
{
    int rc = GW_IGNORED;
    reason[0] = '\0';
    if (strncmp(topic, "ltm/status/", 11) == 0)
        rc = apply_status(s, topic + 11, payload, len, retained, now_ms, now_mono, reason);
    else if (strncmp(topic, "ltm/metrics/", 12) == 0)
        rc = apply_metrics(s, topic + 12, payload, len, now_mono, reason);
    else if (strcmp(topic, "ltm/results") == 0)
        rc = apply_result(s, payload, len, reason);
    else if (strcmp(topic, "ltm/alerts") == 0)
        rc = apply_alert(s, payload, len, reason);
    else if (strcmp(topic, "ltm/dlq") == 0)
        apply_dlq(s, payload, len), rc = GW_APPLIED;
    if (rc == GW_APPLIED)
        s->messages++;
    else if (rc < 0)
        s->rejected++;
    return rc < 0 ? LTM_EINVAL : rc;
}

const char *gw_liveness_name(gw_liveness l)
{
    static const char *const names[] = {"online", "stale", "offline", "missing"};
    return (unsigned)l < 4 ? names[l] : "unknown";
}

gw_liveness gw_replica_liveness(const gw_replica *r, const gw_freshness *f, int64_t now_mono)
{
    if (!r->has_status)
        return GW_MISSING;
    if (!r->online)
        return GW_DOWN;
    int64_t interval = r->interval_ms > 0 ? r->interval_ms : f->default_interval_ms;
    double limit = f->stale_factor * (double)interval;
    return (double)(now_mono - r->heard_mono) > limit ? GW_STALE : GW_UP;
}

gw_liveness gw_service_liveness(const gw_service *svc, const gw_freshness *f, int64_t now_mono)
{
    gw_liveness best = GW_MISSING;
    for (size_t i = 0; svc && i < svc->replica_count; i++) {
        gw_liveness l = gw_replica_liveness(&svc->replicas[i], f, now_mono);
        if (l < best)
            best = l;
    }
    return best;
}

const gw_replica *gw_service_best(const gw_service *svc, const gw_freshness *f, int64_t now_mono)
{
    const gw_replica *best = NULL;
    gw_liveness best_l = GW_MISSING;
    for (size_t i = 0; svc && i < svc->replica_count; i++) {
        const gw_replica *r = &svc->replicas[i];
        gw_liveness l = gw_replica_liveness(r, f, now_mono);
        if (l == GW_MISSING)
            continue;
        if (!best || l < best_l || (l == best_l && r->heard_mono > best->heard_mono)) {
            best = r;
            best_l = l;
        }
    }
    return best;
}

size_t gw_state_result_count(const gw_state *s) { return s->results_len; }

const char *gw_state_result(const gw_state *s, size_t i)
{
    return ring_get(s->results, s->results_head, s->results_len, s->results_keep, i);
}

size_t gw_state_check_count(const gw_state *s) { return s->checks_len; }

const char *gw_state_check(const gw_state *s, size_t i)
{
    return ring_get(s->checks, s->checks_head, s->checks_len, s->results_keep, i);
}
