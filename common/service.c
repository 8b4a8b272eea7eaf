/* What every binary does the same way: settings, signals, MQTT, status, heartbeat, metrics. */
#include "ltm/service.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/instance_slot.h"
#include "ltm/json.h"
#include "ltm/log.h"
#include "ltm/msg.h"
#include "ltm/timeutil.h"
#include "ltm/version.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPERATIONS 16
#define MAX_SETTINGS 64
/* More replicas of one service on one host than anyone runs. */
#define MAX_INSTANCE_SLOTS 256

typedef struct {
    char name[32];
    uint64_t count, errors;
    int64_t total_ms, max_ms;
} operation_stats;

struct ltm_service {
    const ltm_service_def *def;
    ltm_setting settings[MAX_SETTINGS];
    ltm_config *config;
    ltm_mqtt *mqtt;
    int wake_fd;
    int slot_fd; /* holds the instance slot (LTM_INSTANCE_FROM_SLOT), else -1 */
    char instance[64];
    char client_id[160];
    char host[256];
    char status_topic[192];
    char metrics_topic[192];
    char *detail_json;
    int64_t started_ms;
    int64_t started_mono;
    int64_t heartbeat_ms; /* interval */
    int64_t next_heartbeat_mono;
    uint64_t seen_connects;
    uint64_t messages_in, messages_out, errors, dead_letters, drops;
    operation_stats ops[MAX_OPERATIONS];
    size_t op_count;
    uint64_t untracked_operations;
};

static volatile sig_atomic_t stop_requested;
static int signal_wake_fd = -1;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (signal_wake_fd >= 0) {
        uint64_t one = 1;
        ssize_t n = write(signal_wake_fd, &one, sizeof one);
        (void)n;
    }
}

static const ltm_setting common_settings[] = {
    {"LTM_MQTT_URL", LTM_SET_STRING, "mqtt://localhost:1883", 0, 0, 0, NULL,
     "broker URL, mqtt://host:port or mqtts://host:port"},
    {"LTM_MQTT_USERNAME", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "broker user of this service (default: the service name)"},
    {"LTM_MQTT_PASSWORD", LTM_SET_STRING, NULL, LTM_SETTING_REQUIRED | LTM_SETTING_SECRET, 0, 0,
     NULL, "broker password of this service"},
    {"LTM_MQTT_CA_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "CA certificate that signs the broker's (mqtts:// only)"},
    {"LTM_MQTT_CERT_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL, "client certificate (mqtts://)"},
    {"LTM_MQTT_KEY_FILE", LTM_SET_STRING, NULL, 0, 0, 0, NULL, "client private key (mqtts://)"},
    {"LTM_INSTANCE", LTM_SET_STRING, NULL, 0, 0, 0, NULL,
     "replica id, unique per replica and stable across restarts (default: host name)"},
    {"LTM_INSTANCE_FROM_SLOT", LTM_SET_BOOL, "false", 0, 0, 0, NULL,
     "replica id = the lowest numbered slot free in $LTM_DATA_DIR/instances, for replicas "
     "sharing one data dir whose host names change (compose --scale)"},
    {"LTM_DATA_DIR", LTM_SET_STRING, "/var/lib/ltm", 0, 0, 0, NULL,
     "directory for the service's state"},
    {"LTM_LOG_LEVEL", LTM_SET_ENUM, "info", 0, 0, 0, "debug|info|warn|error", "least severe level logged"},
    {"LTM_LOG_FORMAT", LTM_SET_ENUM, "text", 0, 0, 0, "text|json", "log line format"},
    {"LTM_HEARTBEAT_INTERVAL", LTM_SET_DURATION, "10s", 0, 100, 3600000, NULL,
     "how often status and process metrics are published"},
    {"TZ", LTM_SET_STRING, NULL, 0, 0, 0, NULL, "time zone of log timestamps (default UTC)"},
    {"LTM_MQTT_PERSISTENCE", LTM_SET_ENUM, "file", 0, 0, 0, "file|memory",
     "file: QoS 1 messages not yet acknowledged survive a crash of the process (one file per "
     "message in $LTM_DATA_DIR/mqtt); memory: faster, a crash leaves them to the leases"},
    {"LTM_MQTT_TCP_NODELAY", LTM_SET_BOOL, "true", 0, 0, 0, NULL,
     "disable Nagle on the broker connection (false only to measure its ~40 ms cost)"},
};
#define COMMON_COUNT (sizeof common_settings / sizeof common_settings[0])

static void print_help(const ltm_service_def *def, const ltm_setting *table, size_t count)
{
    printf("ltm-%s %s: %s\n\nUsage: ltm-%s [--help | --version]\n\n"
           "Settings (environment variables):\n",
           def->name, LTM_VERSION, def->summary, def->name);
    for (size_t i = 0; i < count; i++) {
        const ltm_setting *s = &table[i];
        printf("  %-26s %s", s->name, s->help ? s->help : "");
        if (s->flags & LTM_SETTING_REQUIRED)
            printf(" [required]");
        else if (s->default_value)
            printf(" [default: %s]", s->default_value);
        printf("\n");
    }
}

static int valid_instance(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 48)
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    }
    return 1;
}

/* LTM_INSTANCE_FROM_SLOT: the slot's number becomes the instance id. */
static int claim_slot(ltm_service *svc)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/instances", ltm_config_str(svc->config, "LTM_DATA_DIR"));
    int slot = 0;
    int rc = ltm_instance_slot_claim(dir, svc->def->name, MAX_INSTANCE_SLOTS, &slot, &svc->slot_fd);
    if (rc == LTM_EFULL) {
        fprintf(stderr, "ltm-%s: setting LTM_INSTANCE_FROM_SLOT: all %d slots in %s are held "
                        "by running replicas\n", svc->def->name, MAX_INSTANCE_SLOTS, dir);
        return rc;
    }
    if (rc != LTM_OK) {
        fprintf(stderr, "ltm-%s: setting LTM_INSTANCE_FROM_SLOT: cannot lock a slot in %s "
                        "(LTM_DATA_DIR): %s\n", svc->def->name, dir, strerror(errno));
        return rc;
    }
    snprintf(svc->instance, sizeof svc->instance, "%d", slot);
    return LTM_OK;
}

static char *status_json(ltm_service *svc, int online)
{
    ltm_status st = {0};
    st.service = (char *)svc->def->name;
    st.instance = svc->instance;
    st.online = online;
    st.version = LTM_VERSION;
    st.host = svc->host;
    st.pid = (int)getpid();
    st.started_ms = svc->started_ms;
    st.heartbeat_ms = ltm_now_ms();
    st.heartbeat_interval_ms = svc->heartbeat_ms;
    st.detail_json = online ? svc->detail_json : NULL;
    return ltm_status_encode(&st);
}

/* A data dir that was in use and is now read-only (or failing) is a fault
 * of the moment, not a setting: the service waits for it, saying so once,
 * instead of exiting 78 (never restarted) or exiting to be restarted into
 * the same fault until systemd's StartLimitBurst gives up. Offline
 * meanwhile, it is reported by the notifier's service.down alert and the
 * gateway's /health. One that never existed is a setting to fix. */
static int wait_for_data_dir(const char *dir)
{
    int64_t started = ltm_mono_ms();
    int waited = 0;
    while (ltm_mkdirs(dir, 0750) != LTM_OK) {
        int e = errno;
        struct stat st;
        if ((e != EROFS && e != EIO && e != ENOSPC && e != EDQUOT) || stat(dir, &st) != 0 ||
            !S_ISDIR(st.st_mode)) {
            errno = e;
            return LTM_ECONFIG;
        }
        if (!waited++)
            ltm_error("data dir not writable; waiting for it", "dir", dir, "error", strerror(e));
        struct timespec pause = {1, 0};
        nanosleep(&pause, NULL);
        errno = e;
    }
    if (waited)
        ltm_info("data dir writable again; starting", "dir", dir, "waited_ms",
                 LTM_INT(ltm_mono_ms() - started));
    return LTM_OK;
}

int ltm_service_init(const ltm_service_def *def, int argc, char **argv, ltm_service **out)
{
    ltm_service *svc = calloc(1, sizeof *svc);
    if (!svc) {
        fprintf(stderr, "ltm-%s: out of memory\n", def->name);
        return LTM_ENOMEM;
    }
    svc->def = def;
    svc->wake_fd = -1;
    svc->slot_fd = -1;
    size_t count = COMMON_COUNT + def->setting_count;
    if (count > MAX_SETTINGS) {
        fprintf(stderr, "ltm-%s: too many settings\n", def->name);
        free(svc);
        return LTM_EINVAL;
    }
    memcpy(svc->settings, common_settings, sizeof common_settings);
    if (def->setting_count)
        memcpy(svc->settings + COMMON_COUNT, def->settings, def->setting_count * sizeof *def->settings);
    svc->settings[1].default_value = def->name; /* LTM_MQTT_USERNAME */
    for (size_t i = 0; i < COMMON_COUNT && def->mqtt_persistence; i++) {
        if (strcmp(svc->settings[i].name, "LTM_MQTT_PERSISTENCE") == 0)
            svc->settings[i].default_value = def->mqtt_persistence;
    }

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(def, svc->settings, count);
            free(svc);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("ltm-%s %s\n", def->name, LTM_VERSION);
            free(svc);
            return 1;
        }
        fprintf(stderr, "ltm-%s: unknown argument \"%s\" (settings come from the environment; "
                        "see --help)\n", def->name, argv[i]);
        free(svc);
        return LTM_EINVAL;
    }

    char err[512];
    if (ltm_config_load(svc->settings, count, NULL, NULL, &svc->config, err, sizeof err) != LTM_OK) {
        fprintf(stderr, "ltm-%s: %s\n", def->name, err);
        free(svc);
        return LTM_ECONFIG;
    }
    ltm_log_level level = LTM_LOG_INFO;
    ltm_log_format format = LTM_LOG_TEXT;
    ltm_log_level_parse(ltm_config_str(svc->config, "LTM_LOG_LEVEL"), &level);
    ltm_log_format_parse(ltm_config_str(svc->config, "LTM_LOG_FORMAT"), &format);
    ltm_log_init(def->name, level, format);
    tzset();

    if (gethostname(svc->host, sizeof svc->host - 1) != 0)
        snprintf(svc->host, sizeof svc->host, "unknown");
    const char *instance = ltm_config_str(svc->config, "LTM_INSTANCE");
    if (ltm_config_int(svc->config, "LTM_INSTANCE_FROM_SLOT")) {
        if (instance) {
            fprintf(stderr, "ltm-%s: settings LTM_INSTANCE and LTM_INSTANCE_FROM_SLOT=true "
                            "exclude each other: set one\n", def->name);
            ltm_service_free(svc);
            return LTM_ECONFIG;
        }
        if (claim_slot(svc) != LTM_OK) {
            ltm_service_free(svc);
            return LTM_ECONFIG;
        }
        instance = svc->instance;
    }
    if (!instance)
        instance = svc->host;
    if (instance != svc->instance)
        snprintf(svc->instance, sizeof svc->instance, "%.63s", instance);
    if (!valid_instance(instance)) {
        fprintf(stderr,
                "ltm-%s: setting LTM_INSTANCE=\"%.60s\" is malformed: expected 1 to 48 of "
                "A-Z a-z 0-9 - _ .%s\n",
                def->name, instance,
                instance == svc->host ? " (it defaults to the host name)" : "");
        ltm_service_free(svc);
        return LTM_ECONFIG;
    }
    snprintf(svc->client_id, sizeof svc->client_id, "ltm-%s-%s", def->name, svc->instance);
    snprintf(svc->status_topic, sizeof svc->status_topic, "ltm/status/%s/%s", def->name,
             svc->instance);
    snprintf(svc->metrics_topic, sizeof svc->metrics_topic, "ltm/metrics/%s", def->name);
    svc->heartbeat_ms = ltm_config_int(svc->config, "LTM_HEARTBEAT_INTERVAL");
    svc->started_ms = ltm_now_ms();
    svc->started_mono = ltm_mono_ms();

    /* Checked before the settings line is logged: a URL with credentials
     * in it must never reach the log. */
    char uri[512], host_name[256], why[160];
    int port, tls;
    if (ltm_mqtt_parse_url(ltm_config_str(svc->config, "LTM_MQTT_URL"), uri, sizeof uri,
                           host_name, sizeof host_name, &port, &tls, why, sizeof why) != LTM_OK) {
        fprintf(stderr, "ltm-%s: setting LTM_MQTT_URL is malformed: %s\n", def->name, why);
        ltm_service_free(svc);
        return LTM_ECONFIG;
    }

    const char *tz = getenv("TZ");
    ltm_info("starting", "version", LTM_VERSION, "pid", LTM_INT(getpid()), "host", svc->host,
             "instance", svc->instance, "tz", tz && *tz ? tz : "UTC");
    ltm_config_log(svc->config);

    const char *data_dir = ltm_config_str(svc->config, "LTM_DATA_DIR");
    char mqtt_dir[4096];
    snprintf(mqtt_dir, sizeof mqtt_dir, "%s/mqtt", data_dir);
    if (wait_for_data_dir(mqtt_dir) != LTM_OK) {
        fprintf(stderr, "ltm-%s: setting LTM_DATA_DIR: cannot create %s: %s\n", def->name,
                mqtt_dir, strerror(errno));
        ltm_service_free(svc);
        return LTM_ECONFIG;
    }

    svc->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (svc->wake_fd < 0) {
        fprintf(stderr, "ltm-%s: eventfd: %s\n", def->name, strerror(errno));
        ltm_service_free(svc);
        return LTM_EIO;
    }
    signal_wake_fd = svc->wake_fd;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char *will = status_json(svc, 0);
    ltm_mqtt_options mo = {
        .url = ltm_config_str(svc->config, "LTM_MQTT_URL"),
        .client_id = svc->client_id,
        .username = ltm_config_str(svc->config, "LTM_MQTT_USERNAME"),
        .password = ltm_config_str(svc->config, "LTM_MQTT_PASSWORD"),
        .clean_session = def->clean_session,
        .persistence_dir =
            strcmp(ltm_config_str(svc->config, "LTM_MQTT_PERSISTENCE"), "file") == 0 ? mqtt_dir
                                                                                   : NULL,
        .keepalive_s = 30,
        .will_topic = svc->status_topic,
        .will_payload = will,
        .ca_file = ltm_config_str(svc->config, "LTM_MQTT_CA_FILE"),
        .cert_file = ltm_config_str(svc->config, "LTM_MQTT_CERT_FILE"),
        .key_file = ltm_config_str(svc->config, "LTM_MQTT_KEY_FILE"),
        .max_inbox = 1000,
        .max_outbox = 20000,
        .wake_fd = svc->wake_fd,
        .no_tcp_nodelay = !ltm_config_int(svc->config, "LTM_MQTT_TCP_NODELAY"),
        .lost_warn_ms = (int)svc->heartbeat_ms, /* a missed heartbeat is worth a line */
    };
    int rc = will ? ltm_mqtt_new(&mo, &svc->mqtt, err, sizeof err) : LTM_ENOMEM;
    free(will);
    if (rc != LTM_OK) {
        fprintf(stderr, "ltm-%s: %s\n", def->name, will ? err : "out of memory");
        ltm_service_free(svc);
        return rc == LTM_ENOMEM ? rc : LTM_ECONFIG;
    }
    *out = svc;
    return LTM_OK;
}

void ltm_service_free(ltm_service *svc)
{
    if (!svc)
        return;
    ltm_mqtt_free(svc->mqtt);
    if (svc->wake_fd >= 0) {
        signal_wake_fd = -1;
        close(svc->wake_fd);
    }
    if (svc->slot_fd >= 0)
        close(svc->slot_fd);
    ltm_config_free(svc->config);
    free(svc->detail_json);
    free(svc);
}

const ltm_config *ltm_service_config(const ltm_service *svc) { return svc->config; }
const char *ltm_service_name(const ltm_service *svc) { return svc->def->name; }
const char *ltm_service_instance(const ltm_service *svc) { return svc->instance; }
const char *ltm_service_client_id(const ltm_service *svc) { return svc->client_id; }
ltm_mqtt *ltm_service_mqtt(ltm_service *svc) { return svc->mqtt; }
int ltm_service_wake_fd(const ltm_service *svc) { return svc->wake_fd; }
int ltm_service_running(const ltm_service *svc) { (void)svc; return !stop_requested; }
void ltm_service_request_stop(ltm_service *svc) { (void)svc; stop_requested = 1; }

const char *ltm_service_data_dir(const ltm_service *svc)
{
    return ltm_config_str(svc->config, "LTM_DATA_DIR");
}

int ltm_service_subscribe(ltm_service *svc, const char *filter, int qos)
{
    return ltm_mqtt_subscribe(svc->mqtt, filter, qos);
}

int ltm_service_start(ltm_service *svc)
{
    return ltm_mqtt_connect(svc->mqtt);
}

int ltm_service_publish(ltm_service *svc, const char *topic, const char *payload, size_t len,
                        int qos, int retain)
{
    int rc = ltm_mqtt_publish(svc->mqtt, topic, payload, len, qos, retain);
    if (rc == LTM_OK) {
        svc->messages_out++;
    } else {
        svc->drops++;
        svc->errors++;
        ltm_error("message dropped: not queued for the broker", "topic", topic, "error",
                  ltm_strerror(rc));
    }
    return rc;
}

int ltm_service_publish_json(ltm_service *svc, const char *topic, char *json, int qos, int retain)
{
    if (!json) {
        svc->errors++;
        ltm_error("message not encoded (out of memory)", "topic", topic);
        return LTM_ENOMEM;
    }
    int rc = ltm_service_publish(svc, topic, json, strlen(json), qos, retain);
    free(json);
    return rc;
}

void ltm_service_dead_letter(ltm_service *svc, const ltm_mqtt_message *m, const char *reason)
{
    svc->dead_letters++;
    ltm_warn("message rejected to ltm/dlq", "topic", m->topic, "reason", reason, "bytes",
             LTM_INT(m->len));
    char *json = ltm_dlq_encode(svc->def->name, svc->instance, m->topic, m->payload, m->len,
                                reason, ltm_now_ms());
    ltm_service_publish_json(svc, "ltm/dlq", json, 1, 0);
}

void ltm_service_set_detail(ltm_service *svc, const char *detail_json)
{
    free(svc->detail_json);
    svc->detail_json = detail_json ? strdup(detail_json) : NULL;
}

void ltm_service_count_error(ltm_service *svc) { svc->errors++; }

void ltm_service_observe(ltm_service *svc, const char *operation, int64_t duration_ms, int ok)
{
    operation_stats *op = NULL;
    for (size_t i = 0; i < svc->op_count; i++) {
        if (strcmp(svc->ops[i].name, operation) == 0)
            op = &svc->ops[i];
    }
    if (!op) {
        if (svc->op_count == MAX_OPERATIONS) {
            /* A programming error (too many names), but never a silent one. */
            if (svc->untracked_operations++ == 0)
                ltm_error("operation not tracked: too many operation names", "operation",
                          operation, "limit", LTM_INT(MAX_OPERATIONS));
            return;
        }
        op = &svc->ops[svc->op_count++];
        snprintf(op->name, sizeof op->name, "%s", operation);
    }
    op->count++;
    if (!ok)
        op->errors++;
    op->total_ms += duration_ms;
    if (duration_ms > op->max_ms)
        op->max_ms = duration_ms;
}

static long long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static char *metrics_json(ltm_service *svc)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long cpu_ms = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    ltm_mqtt_stats ms;
    ltm_mqtt_get_stats(svc->mqtt, &ms);
    cJSON *o = cJSON_CreateObject();
    cJSON *ops = cJSON_CreateObject();
    if (!o || !ops || !cJSON_AddItemToObject(o, "operations", ops)) {
        cJSON_Delete(o);
        cJSON_Delete(ops);
        return NULL;
    }
    ltm_json_add_str(o, "service", svc->def->name);
    ltm_json_add_str(o, "instance", svc->instance);
    ltm_json_add_time(o, "at", ltm_now_ms());
    cJSON_AddNumberToObject(o, "uptime_s", (double)(ltm_mono_ms() - svc->started_mono) / 1000.0);
    cJSON_AddNumberToObject(o, "rss_bytes", (double)rss_bytes());
    cJSON_AddNumberToObject(o, "cpu_ms", (double)cpu_ms);
    cJSON_AddNumberToObject(o, "messages_in", (double)svc->messages_in);
    cJSON_AddNumberToObject(o, "messages_out", (double)svc->messages_out);
    cJSON_AddNumberToObject(o, "errors", (double)svc->errors);
    cJSON_AddNumberToObject(o, "dead_letters", (double)svc->dead_letters);
    cJSON_AddNumberToObject(o, "dropped", (double)(svc->drops + ms.publish_dropped));
    cJSON_AddNumberToObject(o, "outbox_depth", (double)ms.outbox_depth);
    cJSON_AddNumberToObject(o, "reconnects", (double)ms.connection_losses);
    cJSON_AddNumberToObject(o, "mqtt_store_failures", (double)ms.store_write_failures);
    cJSON_AddNumberToObject(o, "mqtt_store_in_memory", (double)ms.store_in_memory);
    if (svc->untracked_operations)
        cJSON_AddNumberToObject(o, "untracked_operations", (double)svc->untracked_operations);
    for (size_t i = 0; i < svc->op_count; i++) {
        operation_stats *op = &svc->ops[i];
        cJSON *j = cJSON_AddObjectToObject(ops, op->name);
        if (!j)
            break;
        cJSON_AddNumberToObject(j, "count", (double)op->count);
        cJSON_AddNumberToObject(j, "errors", (double)op->errors);
        cJSON_AddNumberToObject(j, "total_ms", (double)op->total_ms);
        cJSON_AddNumberToObject(j, "max_ms", (double)op->max_ms);
    }
    return ltm_json_finish(o);
}

int ltm_service_tick(ltm_service *svc)
{
    int wait_ms = ltm_mqtt_service(svc->mqtt);
    ltm_mqtt_stats ms;
    ltm_mqtt_get_stats(svc->mqtt, &ms);
    int64_t now = ltm_mono_ms();
    /* A fresh connection (first or after a loss) gets the status at once:
     * the broker may have published our Last Will meanwhile. */
    if (ms.connected && (ms.connects != svc->seen_connects || now >= svc->next_heartbeat_mono)) {
        svc->seen_connects = ms.connects;
        svc->next_heartbeat_mono = now + svc->heartbeat_ms;
        ltm_service_publish_json(svc, svc->status_topic, status_json(svc, 1), 1, 1);
        ltm_service_publish_json(svc, svc->metrics_topic, metrics_json(svc), 0, 0);
    }
    if (ms.connected) {
        int64_t until = svc->next_heartbeat_mono - now;
        if (until < wait_ms)
            wait_ms = until < 0 ? 0 : (int)until;
    }
    return wait_ms;
}

void ltm_service_wait(ltm_service *svc, int timeout_ms)
{
    int housekeeping_ms = ltm_service_tick(svc);
    if (housekeeping_ms < timeout_ms)
        timeout_ms = housekeeping_ms;
    if (timeout_ms < 0)
        timeout_ms = 0;
    struct pollfd pfd = {.fd = svc->wake_fd, .events = POLLIN};
    if (!stop_requested && poll(&pfd, 1, timeout_ms) > 0) {
        uint64_t counter;
        ssize_t n = read(svc->wake_fd, &counter, sizeof counter);
        (void)n;
    }
    ltm_service_tick(svc);
}

ltm_mqtt_message *ltm_service_next(ltm_service *svc)
{
    ltm_mqtt_message *m = ltm_mqtt_receive(svc->mqtt);
    if (m)
        svc->messages_in++;
    return m;
}

int ltm_service_shutdown(ltm_service *svc)
{
    ltm_info("stopping", "messages_in", LTM_INT(svc->messages_in), "messages_out",
             LTM_INT(svc->messages_out), "errors", LTM_INT(svc->errors), "dead_letters",
             LTM_INT(svc->dead_letters));
    int exit_status = 0;
    if (ltm_mqtt_is_connected(svc->mqtt))
        ltm_service_publish_json(svc, svc->status_topic, status_json(svc, 0), 1, 1);
    if (ltm_mqtt_disconnect(svc->mqtt, 5000) != LTM_OK)
        exit_status = 1;
    ltm_info("stopped");
    ltm_service_free(svc);
    return exit_status;
}

int ltm_service_exit_status(int rc)
{
    if (rc == 1)
        return 0;
    return rc == LTM_ECONFIG ? LTM_EXIT_CONFIG : 1;
}
