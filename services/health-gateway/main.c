/* ltm-health-gateway: answers /health, /status, /metrics and a status page
 * from what the services report on MQTT, never by calling them. */
#include "http.h"
#include "render.h"
#include "state.h"

#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/service.h"
#include "ltm/timeutil.h"
#include "ltm/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REQUIRED 32
/* Answers are re-rendered after new messages, but not more often than this:
 * a flood of messages costs the gateway at most ten renders a second. */
#define MIN_RENDER_GAP_MS 100
#define MAX_DRAIN 2000

extern const unsigned char gw_page_html[];
extern const size_t gw_page_html_len;

static const ltm_setting settings[] = {
    {"PORT", LTM_SET_INT, "8000", 0, 1, 65535, NULL, "HTTP port"},
    {"LTM_HTTP_BIND", LTM_SET_STRING, "0.0.0.0", 0, 0, 0, NULL,
     "address to listen on (IPv4 or IPv6 literal; 127.0.0.1 for local only)"},
    {"LTM_HTTP_TOKEN", LTM_SET_STRING, NULL, LTM_SETTING_SECRET, 0, 0, NULL,
     "bearer token required by /status, /metrics and / (unset: open); /health is always open"},
    {"LTM_HTTP_MAX_CONNECTIONS", LTM_SET_INT, "512", 0, 4, 100000, NULL,
     "simultaneous HTTP connections accepted"},
    {"LTM_HTTP_MAX_PER_CLIENT", LTM_SET_INT, "128", 0, 0, 100000, NULL,
     "simultaneous HTTP connections from one client address (0: no limit), so one client "
     "cannot hold them all"},
    {"LTM_HTTP_TIMEOUT", LTM_SET_DURATION, "10s", 0, 1000, 3600000, NULL,
     "an HTTP connection idle this long is closed (whole seconds)"},
    {"LTM_HTTP_REFRESH", LTM_SET_DURATION, "1s", 0, 50, 60000, NULL,
     "answers are re-rendered at least this often, so heartbeat ages stay current"},
    {"LTM_HEALTH_REQUIRED", LTM_SET_STRING, "scheduler,poster,story-publisher,sysmonitor,notifier",
     0, 0, 0, NULL, "comma-separated services /health requires online (none: the broker only)"},
    {"LTM_HEALTH_STALE_FACTOR", LTM_SET_DOUBLE, "3", 0, 1.5, 100, NULL,
     "a status is stale after this many of its own heartbeat intervals without a heartbeat"},
    {"LTM_STATUS_RESULTS", LTM_SET_INT, "20", 0, 1, GW_MAX_RESULTS, NULL,
     "how many of the last results /status shows"},
};

typedef struct {
    ltm_service *svc;
    gw_state state;
    gw_http *http;
    char required_buf[1024];
    const char *required[MAX_REQUIRED];
    size_t required_count;
    gw_freshness fresh;
    int64_t started_ms, started_mono;
} gateway;

/* Splits LTM_HEALTH_REQUIRED in place; prints the problem and fails on a bad name. */
static int parse_required(gateway *g, const char *text)
{
    if (strlen(text) >= sizeof g->required_buf) {
        fprintf(stderr, "ltm-health-gateway: setting LTM_HEALTH_REQUIRED is too long\n");
        return LTM_ECONFIG;
    }
    /* An empty variable counts as unset (ltm/config.h), hence a word for "none". */
    if (strcmp(text, "none") == 0)
        return LTM_OK;
    snprintf(g->required_buf, sizeof g->required_buf, "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(g->required_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n > 0 && tok[n - 1] == ' ')
            tok[--n] = '\0';
        if (n == 0)
            continue;
        if (!gw_valid_name(tok, n) || g->required_count == MAX_REQUIRED) {
            fprintf(stderr,
                    "ltm-health-gateway: setting LTM_HEALTH_REQUIRED is malformed: \"%.64s\" is "
                    "not a service name (1 to 64 of A-Z a-z 0-9 . _ -; at most %d names)\n",
                    tok, MAX_REQUIRED);
            return LTM_ECONFIG;
        }
        g->required[g->required_count++] = tok;
    }
    return LTM_OK;
}

static void make_view(gateway *g, gw_view *v, gw_http_count *counts)
{
    memset(v, 0, sizeof *v);
    v->required = g->required;
    v->required_count = g->required_count;
    v->fresh = g->fresh;
    v->broker_connected = ltm_mqtt_is_connected(ltm_service_mqtt(g->svc));
    v->now_ms = ltm_now_ms();
    v->now_mono = ltm_mono_ms();
    v->started_ms = g->started_ms;
    v->started_mono = g->started_mono;
    v->version = LTM_VERSION;
    v->instance = ltm_service_instance(g->svc);
    v->http = counts;
    v->http_count = g->http ? gw_http_counts(g->http, counts, GW_HTTP_MAX_COUNTS) : 0;
}

/* Renders the three answers; returns the /health code. */
static int render(gateway *g, char **health, char **status, char **metrics)
{
    gw_http_count counts[GW_HTTP_MAX_COUNTS];
    gw_view v;
    make_view(g, &v, counts);
    int code = 503;
    *health = gw_render_health(&g->state, &v, &code);
    *status = gw_render_status(&g->state, &v);
    *metrics = gw_render_metrics(&g->state, &v);
    if (!*health || !*status || !*metrics)
        ltm_error("rendering an answer failed (out of memory); the previous one is kept");
    return code;
}

static void handle(gateway *g, const ltm_mqtt_message *m)
{
    char reason[LTM_REASON_SIZE];
    int rc = gw_state_apply(&g->state, m->topic, m->payload, m->len, m->retained, ltm_now_ms(),
                            ltm_mono_ms(), reason);
    if (rc == LTM_EINVAL)
        ltm_service_dead_letter(g->svc, m, reason);
}

static int start_http(gateway *g, const ltm_config *c)
{
    char *health, *status, *metrics;
    int code = render(g, &health, &status, &metrics);
    gw_http_options o = {
        .bind = ltm_config_str(c, "LTM_HTTP_BIND"),
        .port = (int)ltm_config_int(c, "PORT"),
        .max_connections = (unsigned)ltm_config_int(c, "LTM_HTTP_MAX_CONNECTIONS"),
        .max_per_client = (unsigned)ltm_config_int(c, "LTM_HTTP_MAX_PER_CLIENT"),
        .timeout_s = (unsigned)((ltm_config_int(c, "LTM_HTTP_TIMEOUT") + 999) / 1000),
        .token = ltm_config_str(c, "LTM_HTTP_TOKEN"),
        .page = (const char *)gw_page_html,
        .page_len = gw_page_html_len,
    };
    char err[256];
    int rc = gw_http_start(&o, health, code, status, metrics, &g->http, err, sizeof err);
    if (rc != LTM_OK) {
        ltm_error("HTTP server not started", "error", err, "setting", "PORT / LTM_HTTP_BIND");
        return rc;
    }
    char detail[160];
    snprintf(detail, sizeof detail, "{\"http_port\":%d,\"http_bind\":\"%s\",\"auth\":%s}", o.port,
             o.bind, o.token && *o.token ? "true" : "false");
    ltm_service_set_detail(g->svc, detail);
    ltm_info("listening", "bind", o.bind, "port", LTM_INT(o.port), "auth",
             o.token && *o.token ? "token" : "none", "max_connections", LTM_INT(o.max_connections),
             "max_per_client", LTM_INT(o.max_per_client),
             "timeout_s", LTM_INT(o.timeout_s));
    return LTM_OK;
}

static void run(gateway *g, int64_t refresh_ms)
{
    int64_t last_render = ltm_mono_ms();
    int dirty = 0, was_connected = 0;
    while (ltm_service_running(g->svc)) {
        int64_t due = last_render + (dirty ? MIN_RENDER_GAP_MS : refresh_ms);
        int64_t wait = due - ltm_mono_ms();
        ltm_service_wait(g->svc, wait < 0 ? 0 : (int)wait);
        ltm_mqtt_message *m;
        /* Bounded, so a flood of messages still lets the answers refresh;
         * the rest waits at most MIN_RENDER_GAP_MS. */
        for (int n = 0; n < MAX_DRAIN && (m = ltm_service_next(g->svc)) != NULL; n++) {
            handle(g, m);
            ltm_mqtt_message_free(m);
            dirty = 1;
        }
        int connected = ltm_mqtt_is_connected(ltm_service_mqtt(g->svc));
        int64_t now = ltm_mono_ms();
        if (connected != was_connected ||
            now - last_render >= (dirty ? MIN_RENDER_GAP_MS : refresh_ms)) {
            char *health, *status, *metrics;
            int code = render(g, &health, &status, &metrics);
            gw_http_publish(g->http, health, code, status, metrics);
            last_render = now;
            dirty = 0;
            was_connected = connected;
        }
    }
}

int main(int argc, char **argv)
{
    const ltm_service_def def = {
        .name = "health-gateway",
        .summary = "answers /health, /status, /metrics and a status page from what the services "
                   "report on MQTT",
        /* Only the latest state matters and retained statuses arrive on
         * subscribe: nothing to keep while we are away. */
        .clean_session = 1,
        .settings = settings,
        .setting_count = sizeof settings / sizeof settings[0],
    };
    static gateway g; /* the state is large: keep it off the stack */
    int rc = ltm_service_init(&def, argc, argv, &g.svc);
    if (rc != LTM_OK)
        return ltm_service_exit_status(rc);
    const ltm_config *c = ltm_service_config(g.svc);
    if (gw_http_check_bind(ltm_config_str(c, "LTM_HTTP_BIND")) != LTM_OK) {
        fprintf(stderr,
                "ltm-health-gateway: setting LTM_HTTP_BIND=\"%.64s\" is malformed: expected "
                "an IPv4 or IPv6 address such as 0.0.0.0, 127.0.0.1 or ::\n",
                ltm_config_str(c, "LTM_HTTP_BIND"));
        ltm_service_free(g.svc);
        return LTM_EXIT_CONFIG;
    }
    if (parse_required(&g, ltm_config_str(c, "LTM_HEALTH_REQUIRED")) != LTM_OK) {
        ltm_service_free(g.svc);
        return LTM_EXIT_CONFIG;
    }
    const char *token = ltm_config_str(c, "LTM_HTTP_TOKEN");
    if (token && *token)
        ltm_log_add_secret(token);
    g.fresh.default_interval_ms = ltm_config_int(c, "LTM_HEARTBEAT_INTERVAL");
    g.fresh.stale_factor = ltm_config_double(c, "LTM_HEALTH_STALE_FACTOR");
    g.started_ms = ltm_now_ms();
    g.started_mono = ltm_mono_ms();
    gw_state_init(&g.state, (size_t)ltm_config_int(c, "LTM_STATUS_RESULTS"));

    if (start_http(&g, c) != LTM_OK) {
        gw_state_clear(&g.state);
        ltm_service_free(g.svc);
        return 1;
    }
    ltm_service_subscribe(g.svc, "ltm/status/+/+", 1);
    ltm_service_subscribe(g.svc, "ltm/metrics/#", 0);
    ltm_service_subscribe(g.svc, "ltm/results", 1);
    ltm_service_subscribe(g.svc, "ltm/alerts", 1);
    ltm_service_subscribe(g.svc, "ltm/dlq", 1);
    ltm_service_start(g.svc);
    run(&g, ltm_config_int(c, "LTM_HTTP_REFRESH"));
    /* HTTP stops first: a platform probing /health during shutdown gets a
     * refused connection, not a stale 200. */
    gw_http_stop(g.http);
    gw_state_clear(&g.state);
    return ltm_service_shutdown(g.svc);
}
