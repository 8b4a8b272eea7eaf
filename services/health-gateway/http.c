#include "http.h"

#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/timeutil.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { R_HEALTH = 0, R_STATUS, R_METRICS, R_PAGE, R_OTHER, ROUTES };
static const char *const route_names[ROUTES] = {"health", "status", "metrics", "page", "other"};
static const int codes[] = {200, 401, 404, 405, 503};
#define CODES (sizeof codes / sizeof codes[0])

/* Large enough for any legitimate request line and headers, small enough
 * that a thousand connections stay in a few MB: a request whose headers do
 * not fit is answered 431 by MHD and closed. */
#define CONNECTION_MEMORY (16 * 1024)

struct gw_http {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock; /* guards the three answers below, nothing else */
    struct MHD_Response *health, *status, *metrics;
    int health_code;
    /* Built once, shared by every connection (MHD counts references). */
    struct MHD_Response *page, *not_found, *not_allowed, *unauthorized;
    char *token;
    size_t token_len;
    pthread_mutex_t log_lock;
    int64_t log_last_ms;
    unsigned long long log_held;
    atomic_uint_fast64_t counts[ROUTES][CODES];
};

int gw_http_check_bind(const char *bind)
{
    struct in_addr a4;
    struct in6_addr a6;
    return bind && (inet_pton(AF_INET, bind, &a4) == 1 || inet_pton(AF_INET6, bind, &a6) == 1)
               ? LTM_OK
               : LTM_EINVAL;
}

static struct MHD_Response *response(char *body, size_t len, const char *type, int owned)
{
    struct MHD_Response *r =
        owned ? MHD_create_response_from_buffer_with_free_callback(len, body, free)
              : MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned)
            free(body);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    return r;
}

static struct MHD_Response *json_response(char *body)
{
    return body ? response(body, strlen(body), "application/json", 1) : NULL;
}

static void count(gw_http *h, int route, int code)
{
    for (size_t i = 0; i < CODES; i++) {
        if (codes[i] == code)
            atomic_fetch_add_explicit(&h->counts[route][i], 1, memory_order_relaxed);
    }
}

/* Compares without an early exit, so the time taken does not tell an
 * attacker how much of a guessed token was right. */
static int token_equal(const gw_http *h, const char *given, size_t len)
{
    unsigned char diff = len != h->token_len;
    for (size_t i = 0; i < h->token_len; i++)
        diff |= (unsigned char)(h->token[i] ^ (i < len ? given[i] : 0));
    return diff == 0;
}

static int authorized(gw_http *h, struct MHD_Connection *c)
{
    if (!h->token)
        return 1;
    const char *auth =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *t = auth + 7;
        while (*t == ' ')
            t++;
        return token_equal(h, t, strlen(t));
    }
    char *password = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &password);
    int ok = password && token_equal(h, password, strlen(password));
    if (user)
        MHD_free(user);
    if (password)
        MHD_free(password);
    return ok;
}

static int route_of(const char *url)
{
    if (strcmp(url, "/health") == 0)
        return R_HEALTH;
    if (strcmp(url, "/status") == 0)
        return R_STATUS;
    if (strcmp(url, "/metrics") == 0)
        return R_METRICS;
    if (strcmp(url, "/") == 0)
        return R_PAGE;
    return R_OTHER;
}

static enum MHD_Result reply(gw_http *h, struct MHD_Connection *c, int route, int code,
                             struct MHD_Response *r)
{
    count(h, route, code);
    return MHD_queue_response(c, (unsigned)code, r);
}

/* The current answer of a rendered route. The lock is held across
 * MHD_queue_response because that is where MHD takes its reference: once
 * it is released the main thread may drop its own reference to an old
 * answer, and the connection still holds one. */
static enum MHD_Result reply_rendered(gw_http *h, struct MHD_Connection *c, int route)
{
    pthread_mutex_lock(&h->lock);
    struct MHD_Response *r = route == R_HEALTH   ? h->health
                             : route == R_STATUS ? h->status
                                                 : h->metrics;
    int code = route == R_HEALTH ? h->health_code : 200;
    count(h, route, code);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)code, r);
    pthread_mutex_unlock(&h->lock);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    gw_http *h = cls;
    int route = route_of(url);
    int readable = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    /* Refusals go out at once; MHD then closes the connection, which is
     * what a client sending an unexpected body deserves. */
    if (route == R_OTHER)
        return reply(h, c, route, 404, h->not_found);
    if (!readable)
        return reply(h, c, route, 405, h->not_allowed);
    /* An answer queued on the first call (headers only) makes MHD 0.9.75
     * close the connection after it, as it cannot know the request is
     * complete: keep-alive clients would reconnect for every request.
     * So the first call only marks the request, and the answer goes out
     * once the request is complete (a body on a GET is read and dropped). */
    static int seen;
    if (*req_cls == NULL) {
        *req_cls = &seen;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (route != R_HEALTH && !authorized(h, c))
        return reply(h, c, route, 401, h->unauthorized);
    if (route == R_PAGE)
        return reply(h, c, route, 200, h->page);
    return reply_rendered(h, c, route);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* MHD reports every malformed request it refuses; a client sending garbage
 * in a loop must not flood the log, so at most one line a second gets
 * through, with the count of those held back. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    gw_http *h = cls;
    int64_t now = ltm_mono_ms();
    pthread_mutex_lock(&h->log_lock);
    int pass = now - h->log_last_ms >= 1000;
    unsigned long long held = h->log_held;
    if (pass) {
        h->log_last_ms = now;
        h->log_held = 0;
    } else {
        h->log_held++;
    }
    pthread_mutex_unlock(&h->log_lock);
    if (!pass)
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\r\n")] = '\0';
    ltm_warn("http server", "detail", line, "similar_held_back", held ? LTM_INT(held) : NULL);
}

static int build_static(gw_http *h, const gw_http_options *o)
{
    static char not_found[] = "{\"error\":\"not found\"}";
    static char not_allowed[] = "{\"error\":\"method not allowed\"}";
    static char unauthorized[] = "{\"error\":\"unauthorized\"}";
    h->page = response((char *)o->page, o->page_len, "text/html; charset=utf-8", 0);
    h->not_found = response(not_found, strlen(not_found), "application/json", 0);
    h->not_allowed = response(not_allowed, strlen(not_allowed), "application/json", 0);
    h->unauthorized = response(unauthorized, strlen(unauthorized), "application/json", 0);
    if (!h->page || !h->not_found || !h->not_allowed || !h->unauthorized)
        return LTM_ENOMEM;
    /* The page's script only talks to this origin; nothing else may load. */
    MHD_add_response_header(h->page, "Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; "
                            "style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
    MHD_add_response_header(h->page, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(h->not_allowed, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    MHD_add_response_header(h->unauthorized, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Basic realm=\"ltm\", charset=\"UTF-8\"");
    MHD_add_response_header(h->unauthorized, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Bearer realm=\"ltm\"");
    return LTM_OK;
}

static struct MHD_Daemon *listen_on(gw_http *h, const gw_http_options *o)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, o->bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, o->bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        return NULL;
    }
    return MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, h,
                            /* first, or MHD prints its earlier messages on stderr itself */
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
                            /* Slow clients from one address (slowloris) cannot take
                             * every connection and lock /health out. */
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_client,
                            MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                            MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
}

int gw_http_start(const gw_http_options *o, char *health, int health_code, char *status,
                  char *metrics, gw_http **out, char *err, size_t err_size)
{
    gw_http *h = calloc(1, sizeof *h);
    if (!h) {
        free(health), free(status), free(metrics);
        snprintf(err, err_size, "out of memory");
        return LTM_ENOMEM;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->log_lock, NULL);
    h->log_last_ms = -1000000;
    h->health = json_response(health);
    h->status = json_response(status);
    h->metrics =
        metrics ? response(metrics, strlen(metrics), "text/plain; version=0.0.4; charset=utf-8", 1)
                : NULL;
    h->health_code = health_code;
    if (o->token && *o->token) {
        h->token = strdup(o->token);
        h->token_len = strlen(o->token);
    }
    if (!h->health || !h->status || !h->metrics || build_static(h, o) != LTM_OK ||
        (o->token && *o->token && !h->token)) {
        gw_http_stop(h);
        snprintf(err, err_size, "out of memory");
        return LTM_ENOMEM;
    }
    h->daemon = listen_on(h, o);
    if (!h->daemon) {
        gw_http_stop(h);
        snprintf(err, err_size, "cannot listen on %s port %d (address in use or not available)",
                 o->bind, o->port);
        return LTM_EIO;
    }
    *out = h;
    return LTM_OK;
}

void gw_http_publish(gw_http *h, char *health, int health_code, char *status, char *metrics)
{
    struct MHD_Response *nh = json_response(health);
    struct MHD_Response *ns = json_response(status);
    struct MHD_Response *nm =
        metrics ? response(metrics, strlen(metrics), "text/plain; version=0.0.4; charset=utf-8", 1)
                : NULL;
    struct MHD_Response *old[3] = {NULL, NULL, NULL};
    pthread_mutex_lock(&h->lock);
    if (nh) {
        old[0] = h->health;
        h->health = nh;
        h->health_code = health_code;
    }
    if (ns)
        old[1] = h->status, h->status = ns;
    if (nm)
        old[2] = h->metrics, h->metrics = nm;
    pthread_mutex_unlock(&h->lock);
    /* Connections still sending an old answer hold their own reference. */
    for (int i = 0; i < 3; i++) {
        if (old[i])
            MHD_destroy_response(old[i]);
    }
}

int gw_http_port(gw_http *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? (int)info->port : -1;
}

size_t gw_http_counts(gw_http *h, gw_http_count *out, size_t max)
{
    size_t n = 0;
    for (int r = 0; r < ROUTES; r++) {
        for (size_t i = 0; i < CODES && n < max; i++) {
            uint64_t v = atomic_load_explicit(&h->counts[r][i], memory_order_relaxed);
            if (v == 0)
                continue;
            out[n].route = route_names[r];
            out[n].code = codes[i];
            out[n].count = v;
            n++;
        }
    }
    return n;
}

void gw_http_stop(gw_http *h)
{
    if (!h)
        return;
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    struct MHD_Response *all[] = {h->health,    h->status,      h->metrics,     h->page,
                                  h->not_found, h->not_allowed, h->unauthorized};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i])
            MHD_destroy_response(all[i]);
    }
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->log_lock);
    free(h->token);
    free(h);
}
