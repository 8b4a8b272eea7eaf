/* The MQTT client (Paho async): bounded inbox, wake fd, publishes never dropped silently. */
#include "ltm/mqtt.h"
#include "ltm/error.h"
#include "ltm/log.h"
#include "ltm/mqtt_store.h"
#include "ltm/timeutil.h"

#include <MQTTAsync.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define LOST_WARN_FIRST_MS 10000
#define LOST_WARN_MAX_MS (5 * 60000)
/* Longest an arrival waits for room in a full inbox (see on_message). */
#define ARRIVAL_WAIT_MS 20

typedef struct outgoing {
    struct outgoing *next;
    struct ltm_mqtt *owner;
    char *topic;
    void *payload;
    size_t len;
    int qos;
    int retain;
} outgoing;

typedef struct inbox_node {
    struct inbox_node *next;
    ltm_mqtt_message *message;
} inbox_node;

struct ltm_mqtt {
    MQTTAsync handle;
    pthread_mutex_t lock;
    ltm_mqtt_store *store;            /* NULL: Paho keeps messages in memory */
    MQTTClient_persistence paho_store; /* Paho keeps a pointer to it */

    inbox_node *in_head, *in_tail;
    size_t in_count, max_inbox;
    pthread_cond_t inbox_room; /* signalled when the owner takes a message */
    int arrival_waiting;       /* on_message waits for room, holding Paho's lock */
    int closing;               /* disconnecting: arrivals no longer wait */
    int64_t last_take_ms;      /* when the owner last took a message */

    outgoing *out_head, *out_tail;
    size_t out_count, inflight, max_outbox;

    char **filters;
    int *filter_qos;
    size_t filter_count;

    int connected;
    int connecting;
    int ever_connected;
    int want_connection;
    int disconnect_done;
    int64_t next_connect_ms;
    int backoff_ms;
    int64_t lost_at_ms, next_lost_warn_ms; /* Paho retries in silence: say so */

    char *uri, *host, *client_id, *username, *password;
    char *will_topic, *will_payload, *ca_file, *cert_file, *key_file;
    int port, tls, clean_session, keepalive_s, tcp_nodelay, lost_warn_first_ms;
    int wake_fd;

    ltm_mqtt_stats stats;
};

static void wake(ltm_mqtt *c)
{
    if (c->wake_fd < 0)
        return;
    uint64_t one = 1;
    ssize_t n = write(c->wake_fd, &one, sizeof one);
    (void)n; /* EAGAIN: the counter is already non-zero, the owner will wake */
}

void ltm_mqtt_message_free(ltm_mqtt_message *m)
{
    if (!m)
        return;
    free(m->topic);
    free(m->payload);
    free(m);
}

static void outgoing_free(outgoing *o)
{
    if (!o)
        return;
    free(o->topic);
    free(o->payload);
    free(o);
}

int ltm_mqtt_parse_url(const char *url, char *paho_uri, size_t size, char *host, size_t host_size,
                       int *port, int *tls, char *err, size_t err_size)
{
    static const struct { const char *scheme; int tls; int port; } schemes[] = {
        {"mqtt://", 0, 1883}, {"tcp://", 0, 1883}, {"mqtts://", 1, 8883}, {"ssl://", 1, 8883},
    };
    if (!url || !*url) {
        snprintf(err, err_size, "empty URL");
        return LTM_EINVAL;
    }
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncmp(url, schemes[i].scheme, n) == 0) {
            rest = url + n;
            *tls = schemes[i].tls;
            *port = schemes[i].port;
        }
    }
    if (!rest) {
        snprintf(err, err_size, "expected mqtt://host:port or mqtts://host:port");
        return LTM_EINVAL;
    }
    if (strchr(rest, '@')) {
        snprintf(err, err_size,
                 "credentials do not belong in the URL: use LTM_MQTT_USERNAME and "
                 "LTM_MQTT_PASSWORD");
        return LTM_EINVAL;
    }
    const char *host_start = rest, *host_end;
    const char *port_text = NULL;
    if (*rest == '[') { /* IPv6 literal */
        host_end = strchr(rest, ']');
        if (!host_end) {
            snprintf(err, err_size, "unterminated IPv6 address");
            return LTM_EINVAL;
        }
        host_start = rest + 1;
        if (host_end[1] == ':')
            port_text = host_end + 2;
        else if (host_end[1] != '\0' && host_end[1] != '/') {
            snprintf(err, err_size, "unexpected text after the address");
            return LTM_EINVAL;
        }
    } else {
        host_end = rest + strcspn(rest, ":/");
        if (*host_end == ':')
            port_text = host_end + 1;
    }
    size_t host_len = (size_t)(host_end - host_start);
    if (host_len == 0 || host_len >= host_size) {
        snprintf(err, err_size, "missing or overlong host name");
        return LTM_EINVAL;
    }
    for (const char *p = host_start; p < host_end; p++) {
        if (!(*p == '.' || *p == '-' || *p == ':' || *p == '_' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
            snprintf(err, err_size, "invalid character in host name");
            return LTM_EINVAL;
        }
    }
    if (port_text) {
        char *end;
        long p = strtol(port_text, &end, 10);
        if (end == port_text || (*end && strcmp(end, "/") != 0) || p < 1 || p > 65535) {
            snprintf(err, err_size, "port must be a number from 1 to 65535");
            return LTM_EINVAL;
        }
        *port = (int)p;
    } else if (*host_end && strcmp(host_end, "/") != 0 && !(*rest == '[' && host_end[1] == '\0')) {
        snprintf(err, err_size, "unexpected path in URL");
        return LTM_EINVAL;
    }
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';
    int ipv6 = *rest == '[';
    snprintf(paho_uri, size, "%s://%s%s%s:%d", *tls ? "ssl" : "tcp", ipv6 ? "[" : "", host,
             ipv6 ? "]" : "", *port);
    return LTM_OK;
}

/* Paho 1.3.12 never sets TCP_NODELAY and has no option for it; without it a
 * client that both receives and publishes QoS 1 waits ~40 ms per exchange
 * (Nagle against delayed ACK). We find the connection among our own file
 * descriptors by the broker's port and set it. */
static void set_nodelay_towards(int port)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        int fd = atoi(entry->d_name);
        struct stat st;
        if (fd <= 2 || fd == dirfd(dir) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
            continue;
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0)
            continue;
        int peer_port = 0;
        if (peer.ss_family == AF_INET)
            peer_port = ntohs(((struct sockaddr_in *)&peer)->sin_port);
        else if (peer.ss_family == AF_INET6)
            peer_port = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
        int type = 0;
        socklen_t tlen = sizeof type;
        if (peer_port != port || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 ||
            type != SOCK_STREAM)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    closedir(dir);
}

static void resubscribe(ltm_mqtt *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->filter_count;
    char **filters = n ? calloc(n, sizeof *filters) : NULL;
    int *qos = n ? calloc(n, sizeof *qos) : NULL;
    if (n && (!filters || !qos)) {
        pthread_mutex_unlock(&c->lock);
        free(filters);
        free(qos);
        ltm_error("mqtt resubscribe failed", "error", "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        filters[i] = c->filters[i];
        qos[i] = c->filter_qos[i];
    }
    pthread_mutex_unlock(&c->lock);
    if (n) {
        MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
        int rc = MQTTAsync_subscribeMany(c->handle, (int)n, filters, qos, &opts);
        if (rc != MQTTASYNC_SUCCESS)
            ltm_error("mqtt subscribe failed", "code", LTM_INT(rc));
    }
    free(filters);
    free(qos);
}

static void on_connected(void *context, char *cause)
{
    (void)cause;
    ltm_mqtt *c = context;
    pthread_mutex_lock(&c->lock);
    if (c->connected) { /* the connect's onSuccess and setConnected both report it */
        pthread_mutex_unlock(&c->lock);
        return;
    }
    int first = !c->ever_connected;
    c->connected = 1;
    c->connecting = 0;
    c->ever_connected = 1;
    c->backoff_ms = BACKOFF_MIN_MS;
    c->stats.connects++;
    pthread_mutex_unlock(&c->lock);
    if (c->tcp_nodelay)
        set_nodelay_towards(c->port);
    resubscribe(c);
    ltm_info(first ? "mqtt connected" : "mqtt reconnected", "broker", c->uri, "client_id",
             c->client_id);
    wake(c);
}

static void on_connect_success(void *context, MQTTAsync_successData *data)
{
    (void)data;
    on_connected(context, NULL);
}

static void on_connect_failure(void *context, MQTTAsync_failureData *data)
{
    ltm_mqtt *c = context;
    pthread_mutex_lock(&c->lock);
    c->connecting = 0;
    c->next_connect_ms = ltm_mono_ms() + c->backoff_ms;
    int delay = c->backoff_ms;
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
    pthread_mutex_unlock(&c->lock);
    /* Paho's failure text never contains the password; the code 5 means
     * "not authorised" (bad credentials). */
    ltm_warn("mqtt connect failed", "broker", c->uri, "code", LTM_INT(data ? data->code : -1),
             "reason", data && data->message ? data->message : "connection refused or unreachable",
             "retry_in_ms", LTM_INT(delay));
    wake(c);
}

static void on_connection_lost(void *context, char *cause)
{
    ltm_mqtt *c = context;
    pthread_mutex_lock(&c->lock);
    c->connected = 0;
    c->stats.connection_losses++;
    c->lost_at_ms = ltm_mono_ms();
    c->next_lost_warn_ms = c->lost_at_ms + c->lost_warn_first_ms;
    pthread_mutex_unlock(&c->lock);
    ltm_warn("mqtt connection lost", "broker", c->uri, "cause", cause ? cause : "unknown");
    if (cause)
        MQTTAsync_free(cause);
    wake(c);
}

static int on_message(void *context, char *topic, int topic_len, MQTTAsync_message *msg)
{
    ltm_mqtt *c = context;
    size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    pthread_mutex_lock(&c->lock);
    /* Declining a QoS 1 message holds back its PUBACK, so the broker stops
     * at max_inflight_messages: that is the backpressure. A QoS 0 message
     * has no PUBACK: Paho keeps reading them off the socket into its own
     * queue whatever we answer, and offers a declined one again only once
     * per pass of its receive loop (which idles up to a second), so
     * declining saved no memory and turned a burst of metrics into about
     * one message a second. */
    int full = c->in_count >= c->max_inbox && msg->qos > 0;
    /* A declined QoS 1 message comes back only at the next pass of Paho's
     * receive loop, and with the broker waiting for our PUBACKs nothing else
     * arrives to start one: up to a second each time. A short wait lets an
     * owner that is draining the inbox make room first; one that is not (a
     * worker at capacity, a service waiting for its outbox to drain) gets
     * the plain decline, so Paho goes on reading acknowledgements. Paho
     * holds its own lock while it calls us, so meanwhile the owner must not
     * call Paho: ltm_mqtt_publish and ltm_mqtt_service only queue. */
    if (full && !c->closing && ltm_mono_ms() - c->last_take_ms <= ARRIVAL_WAIT_MS) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += ARRIVAL_WAIT_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        c->arrival_waiting = 1;
        while (c->in_count >= c->max_inbox && !c->closing &&
               pthread_cond_timedwait(&c->inbox_room, &c->lock, &until) == 0) {
        }
        c->arrival_waiting = 0;
        full = c->in_count >= c->max_inbox;
    }
    if (full)
        c->stats.inbox_declined++;
    pthread_mutex_unlock(&c->lock);
    if (full) {
        wake(c); /* publishes queued while we waited */
        return 0; /* Paho keeps it and offers it again; no PUBACK yet */
    }

    ltm_mqtt_message *m = calloc(1, sizeof *m);
    inbox_node *node = calloc(1, sizeof *node);
    size_t plen = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    if (m) {
        m->topic = malloc(tlen + 1);
        m->payload = malloc(plen + 1);
    }
    if (!m || !node || !m->topic || !m->payload) {
        ltm_mqtt_message_free(m);
        free(node);
        return 0;
    }
    memcpy(m->topic, topic, tlen);
    m->topic[tlen] = '\0';
    if (plen)
        memcpy(m->payload, msg->payload, plen);
    m->payload[plen] = '\0';
    m->len = plen;
    m->qos = msg->qos;
    m->retained = msg->retained;
    node->message = m;

    pthread_mutex_lock(&c->lock);
    if (c->in_tail)
        c->in_tail->next = node;
    else
        c->in_head = node;
    c->in_tail = node;
    c->in_count++;
    c->stats.received++;
    pthread_mutex_unlock(&c->lock);

    MQTTAsync_freeMessage(&msg);
    MQTTAsync_free(topic);
    wake(c);
    return 1;
}

int ltm_mqtt_new(const ltm_mqtt_options *o, ltm_mqtt **out, char *err, size_t err_size)
{
    char uri[512], host[256], why[160];
    int port, tls;
    if (ltm_mqtt_parse_url(o->url, uri, sizeof uri, host, sizeof host, &port, &tls, why,
                           sizeof why) != LTM_OK) {
        snprintf(err, err_size, "setting LTM_MQTT_URL is malformed: %s", why);
        return LTM_ECONFIG;
    }
    if (!o->client_id || !*o->client_id) {
        snprintf(err, err_size, "MQTT client id is empty");
        return LTM_EINVAL;
    }
    ltm_mqtt *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_size, "out of memory");
        return LTM_ENOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->inbox_room, &cattr);
    pthread_condattr_destroy(&cattr);
    c->uri = strdup(uri);
    c->host = strdup(host);
    c->client_id = strdup(o->client_id);
    c->username = o->username ? strdup(o->username) : NULL;
    c->password = o->password ? strdup(o->password) : NULL;
    c->will_topic = o->will_topic ? strdup(o->will_topic) : NULL;
    c->will_payload = o->will_payload ? strdup(o->will_payload) : NULL;
    c->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
    c->cert_file = o->cert_file ? strdup(o->cert_file) : NULL;
    c->key_file = o->key_file ? strdup(o->key_file) : NULL;
    c->port = port;
    c->tls = tls;
    c->clean_session = o->clean_session;
    c->keepalive_s = o->keepalive_s > 0 ? o->keepalive_s : 30;
    c->tcp_nodelay = !o->no_tcp_nodelay;
    c->lost_warn_first_ms = o->lost_warn_ms > 0 ? o->lost_warn_ms : LOST_WARN_FIRST_MS;
    c->max_inbox = o->max_inbox ? o->max_inbox : 1000;
    c->max_outbox = o->max_outbox ? o->max_outbox : 10000;
    c->wake_fd = o->wake_fd;
    c->backoff_ms = BACKOFF_MIN_MS;

    MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
    create.MQTTVersion = MQTTVERSION_3_1_1;
    int persistence = MQTTCLIENT_PERSISTENCE_NONE;
    if (o->persistence_dir) {
        c->store = ltm_mqtt_store_new(o->persistence_dir);
        if (!c->store) {
            snprintf(err, err_size, "out of memory");
            ltm_mqtt_free(c);
            return LTM_ENOMEM;
        }
        c->paho_store = (MQTTClient_persistence){
            c->store,          ltm_mqtt_store_open,   ltm_mqtt_store_close,
            ltm_mqtt_store_put, ltm_mqtt_store_get,   ltm_mqtt_store_remove,
            ltm_mqtt_store_keys, ltm_mqtt_store_clear, ltm_mqtt_store_contains};
        persistence = MQTTCLIENT_PERSISTENCE_USER;
    }
    int rc = MQTTAsync_createWithOptions(&c->handle, c->uri, c->client_id, persistence,
                                         c->store ? (void *)&c->paho_store : NULL, &create);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, err_size, "MQTT client could not be created (Paho code %d)", rc);
        c->handle = NULL;
        ltm_mqtt_free(c);
        return LTM_EMQTT;
    }
    MQTTAsync_setCallbacks(c->handle, c, on_connection_lost, on_message, NULL);
    MQTTAsync_setConnected(c->handle, c, on_connected);
    *out = c;
    return LTM_OK;
}

void ltm_mqtt_free(ltm_mqtt *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->closing = 1;
    pthread_cond_broadcast(&c->inbox_room);
    pthread_mutex_unlock(&c->lock);
    if (c->handle)
        MQTTAsync_destroy(&c->handle);
    ltm_mqtt_store_free(c->store);
    while (c->in_head) {
        inbox_node *n = c->in_head;
        c->in_head = n->next;
        ltm_mqtt_message_free(n->message);
        free(n);
    }
    while (c->out_head) {
        outgoing *o = c->out_head;
        c->out_head = o->next;
        outgoing_free(o);
    }
    for (size_t i = 0; i < c->filter_count; i++)
        free(c->filters[i]);
    free(c->filters);
    free(c->filter_qos);
    free(c->uri);
    free(c->host);
    free(c->client_id);
    free(c->username);
    free(c->password);
    free(c->will_topic);
    free(c->will_payload);
    free(c->ca_file);
    free(c->cert_file);
    free(c->key_file);
    pthread_cond_destroy(&c->inbox_room);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int ltm_mqtt_subscribe(ltm_mqtt *c, const char *filter, int qos)
{
    char *copy = strdup(filter);
    pthread_mutex_lock(&c->lock);
    char **filters = realloc(c->filters, (c->filter_count + 1) * sizeof *filters);
    if (filters)
        c->filters = filters;
    int *qs = filters ? realloc(c->filter_qos, (c->filter_count + 1) * sizeof *qs) : NULL;
    if (qs)
        c->filter_qos = qs;
    if (!copy || !filters || !qs) {
        pthread_mutex_unlock(&c->lock);
        free(copy);
        return LTM_ENOMEM;
    }
    c->filters[c->filter_count] = copy;
    c->filter_qos[c->filter_count] = qos;
    c->filter_count++;
    int connected = c->connected;
    pthread_mutex_unlock(&c->lock);
    if (connected) {
        MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
        if (MQTTAsync_subscribe(c->handle, filter, qos, &opts) != MQTTASYNC_SUCCESS)
            return LTM_EMQTT;
    }
    return LTM_OK;
}

static int start_connect(ltm_mqtt *c)
{
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    opts.MQTTVersion = MQTTVERSION_3_1_1;
    opts.keepAliveInterval = c->keepalive_s;
    opts.cleansession = c->clean_session;
    opts.username = c->username;
    opts.password = c->password;
    opts.automaticReconnect = 1;
    opts.minRetryInterval = 1;
    opts.maxRetryInterval = 60;
    opts.connectTimeout = 10;
    opts.onSuccess = on_connect_success;
    opts.onFailure = on_connect_failure;
    opts.context = c;
    if (c->will_topic) {
        will.topicName = c->will_topic;
        will.message = c->will_payload ? c->will_payload : "";
        will.retained = 1;
        will.qos = 1;
        opts.will = &will;
    }
    if (c->tls) {
        ssl.trustStore = c->ca_file;
        ssl.keyStore = c->cert_file;
        ssl.privateKey = c->key_file;
        /* Paho verifies nothing unless both are set. */
        ssl.enableServerCertAuth = 1;
        ssl.verify = 1;
        opts.ssl = &ssl;
    }
    pthread_mutex_lock(&c->lock);
    c->connecting = 1;
    pthread_mutex_unlock(&c->lock);
    int rc = MQTTAsync_connect(c->handle, &opts);
    if (rc != MQTTASYNC_SUCCESS) {
        pthread_mutex_lock(&c->lock);
        c->connecting = 0;
        c->next_connect_ms = ltm_mono_ms() + c->backoff_ms;
        pthread_mutex_unlock(&c->lock);
        ltm_warn("mqtt connect could not start", "code", LTM_INT(rc));
        return LTM_EMQTT;
    }
    return LTM_OK;
}

int ltm_mqtt_connect(ltm_mqtt *c)
{
    pthread_mutex_lock(&c->lock);
    c->want_connection = 1;
    c->closing = 0;
    pthread_mutex_unlock(&c->lock);
    return start_connect(c);
}

int ltm_mqtt_is_connected(ltm_mqtt *c)
{
    pthread_mutex_lock(&c->lock);
    int connected = c->connected;
    pthread_mutex_unlock(&c->lock);
    return connected;
}

static void on_publish_success(void *context, MQTTAsync_successData *data)
{
    (void)data;
    outgoing *o = context;
    ltm_mqtt *c = o->owner;
    pthread_mutex_lock(&c->lock);
    c->inflight--;
    c->stats.published++;
    pthread_mutex_unlock(&c->lock);
    outgoing_free(o);
    wake(c);
}

static void requeue_front(ltm_mqtt *c, outgoing *o)
{
    o->next = c->out_head;
    c->out_head = o;
    if (!c->out_tail)
        c->out_tail = o;
    c->out_count++;
}

static void on_publish_failure(void *context, MQTTAsync_failureData *data)
{
    (void)data;
    outgoing *o = context;
    ltm_mqtt *c = o->owner;
    pthread_mutex_lock(&c->lock);
    c->inflight--;
    c->stats.publish_retries++;
    requeue_front(c, o);
    pthread_mutex_unlock(&c->lock);
    wake(c);
}

/* Hands one message to Paho. Never called with c->lock held: Paho may run
 * our callbacks on its own threads while it holds its locks. */
static int try_send(ltm_mqtt *c, outgoing *o)
{
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    msg.payload = o->payload;
    msg.payloadlen = (int)o->len;
    msg.qos = o->qos;
    msg.retained = o->retain;
    opts.onSuccess = on_publish_success;
    opts.onFailure = on_publish_failure;
    opts.context = o;
    pthread_mutex_lock(&c->lock);
    c->inflight++;
    pthread_mutex_unlock(&c->lock);
    int rc = MQTTAsync_sendMessage(c->handle, o->topic, &msg, &opts);
    if (rc == MQTTASYNC_SUCCESS)
        return LTM_OK;
    pthread_mutex_lock(&c->lock);
    c->inflight--;
    pthread_mutex_unlock(&c->lock);
    return LTM_EMQTT;
}

int ltm_mqtt_publish(ltm_mqtt *c, const char *topic, const void *payload, size_t len, int qos,
                     int retain)
{
    outgoing *o = calloc(1, sizeof *o);
    if (o) {
        o->owner = c;
        o->topic = strdup(topic);
        o->payload = malloc(len ? len : 1);
        o->len = len;
        o->qos = qos;
        o->retain = retain;
    }
    if (!o || !o->topic || !o->payload) {
        outgoing_free(o);
        return LTM_ENOMEM;
    }
    if (len)
        memcpy(o->payload, payload, len);

    pthread_mutex_lock(&c->lock);
    if (c->out_count + c->inflight >= c->max_outbox) {
        c->stats.publish_dropped++;
        pthread_mutex_unlock(&c->lock);
        outgoing_free(o);
        return LTM_EFULL;
    }
    /* Keep order: while older messages wait, new ones queue behind them. */
    int send_now = c->connected && c->out_head == NULL && !c->arrival_waiting;
    if (!send_now) {
        if (c->out_tail)
            c->out_tail->next = o;
        else
            c->out_head = o;
        c->out_tail = o;
        c->out_count++;
    }
    pthread_mutex_unlock(&c->lock);

    if (send_now && try_send(c, o) != LTM_OK) {
        pthread_mutex_lock(&c->lock);
        c->stats.publish_retries++;
        requeue_front(c, o);
        pthread_mutex_unlock(&c->lock);
    }
    return LTM_OK;
}

ltm_mqtt_message *ltm_mqtt_receive(ltm_mqtt *c)
{
    pthread_mutex_lock(&c->lock);
    inbox_node *n = c->in_head;
    if (n) {
        c->in_head = n->next;
        if (!c->in_head)
            c->in_tail = NULL;
        c->in_count--;
        c->last_take_ms = ltm_mono_ms();
        pthread_cond_signal(&c->inbox_room);
    }
    pthread_mutex_unlock(&c->lock);
    if (!n)
        return NULL;
    ltm_mqtt_message *m = n->message;
    free(n);
    return m;
}

int ltm_mqtt_service(ltm_mqtt *c)
{
    int64_t now = ltm_mono_ms();
    pthread_mutex_lock(&c->lock);
    int reconnect = c->want_connection && !c->ever_connected && !c->connecting &&
                    !c->connected && now >= c->next_connect_ms;
    int wait_ms = 1000;
    if (c->want_connection && !c->ever_connected && !c->connecting && !c->connected &&
        c->next_connect_ms > now)
        wait_ms = (int)(c->next_connect_ms - now);
    /* Paho's automatic reconnect reports no failed attempt (a rotated
     * password, a broker gone for good): repeat the warning, spaced out. */
    int64_t lost_for_ms = -1;
    if (c->want_connection && c->ever_connected && !c->connected) {
        if (now >= c->next_lost_warn_ms) {
            lost_for_ms = now - c->lost_at_ms;
            int64_t gap = lost_for_ms * 2 < LOST_WARN_MAX_MS ? lost_for_ms * 2 : LOST_WARN_MAX_MS;
            c->next_lost_warn_ms = now + (gap > c->lost_warn_first_ms ? gap : c->lost_warn_first_ms);
        }
        if (c->next_lost_warn_ms - now < wait_ms)
            wait_ms = (int)(c->next_lost_warn_ms - now);
    }
    pthread_mutex_unlock(&c->lock);
    if (lost_for_ms >= 0)
        ltm_warn("mqtt still disconnected, reconnecting", "broker", c->uri, "for_s",
                 LTM_INT(lost_for_ms / 1000), "hint",
                 "check the broker, the credentials and the ACL (the broker's log names a refused login)");
    if (reconnect)
        start_connect(c);

    for (;;) {
        pthread_mutex_lock(&c->lock);
        outgoing *o = c->connected && !c->arrival_waiting ? c->out_head : NULL;
        if (o) {
            c->out_head = o->next;
            if (!c->out_head)
                c->out_tail = NULL;
            c->out_count--;
            o->next = NULL;
        }
        pthread_mutex_unlock(&c->lock);
        if (!o)
            break;
        if (try_send(c, o) != LTM_OK) {
            pthread_mutex_lock(&c->lock);
            c->stats.publish_retries++;
            requeue_front(c, o);
            pthread_mutex_unlock(&c->lock);
            wait_ms = 100; /* Paho is saturated or the link just dropped */
            break;
        }
    }
    pthread_mutex_lock(&c->lock);
    if (c->out_count > 0 && wait_ms > 100)
        wait_ms = c->arrival_waiting ? ARRIVAL_WAIT_MS : 100;
    pthread_mutex_unlock(&c->lock);
    return wait_ms;
}

static void on_disconnect_done(void *context, MQTTAsync_successData *data)
{
    (void)data;
    ltm_mqtt *c = context;
    pthread_mutex_lock(&c->lock);
    c->disconnect_done = 1;
    pthread_mutex_unlock(&c->lock);
}

static void on_disconnect_failed(void *context, MQTTAsync_failureData *data)
{
    (void)data;
    on_disconnect_done(context, NULL);
}

int ltm_mqtt_disconnect(ltm_mqtt *c, int timeout_ms)
{
    int64_t deadline = ltm_mono_ms() + timeout_ms;
    int pending;
    /* Nobody takes from the inbox any more: arrivals must not wait for room. */
    pthread_mutex_lock(&c->lock);
    c->closing = 1;
    pthread_cond_broadcast(&c->inbox_room);
    pthread_mutex_unlock(&c->lock);
    for (;;) {
        ltm_mqtt_service(c);
        pthread_mutex_lock(&c->lock);
        pending = (int)(c->out_count + c->inflight);
        int connected = c->connected;
        pthread_mutex_unlock(&c->lock);
        if (pending == 0 || !connected || ltm_mono_ms() >= deadline)
            break;
        nanosleep(&(struct timespec){0, 5 * 1000000L}, NULL);
    }
    pthread_mutex_lock(&c->lock);
    c->want_connection = 0;
    int connected = c->connected;
    pthread_mutex_unlock(&c->lock);
    if (connected) {
        MQTTAsync_disconnectOptions opts = MQTTAsync_disconnectOptions_initializer;
        opts.timeout = 1000;
        opts.onSuccess = on_disconnect_done;
        opts.onFailure = on_disconnect_failed;
        opts.context = c;
        if (MQTTAsync_disconnect(c->handle, &opts) == MQTTASYNC_SUCCESS) {
            int64_t until = ltm_mono_ms() + 2000;
            for (;;) {
                pthread_mutex_lock(&c->lock);
                int done = c->disconnect_done;
                pthread_mutex_unlock(&c->lock);
                if (done || ltm_mono_ms() >= until)
                    break;
                nanosleep(&(struct timespec){0, 5 * 1000000L}, NULL);
            }
        }
        pthread_mutex_lock(&c->lock);
        c->connected = 0;
        pthread_mutex_unlock(&c->lock);
    }
    if (pending > 0)
        ltm_warn("mqtt disconnected with messages unsent", "pending", LTM_INT(pending));
    return pending > 0 ? LTM_ETIMEDOUT : LTM_OK;
}

void ltm_mqtt_get_stats(ltm_mqtt *c, ltm_mqtt_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    if (c->store) {
        out->store_write_failures = ltm_mqtt_store_write_failures(c->store);
        out->store_in_memory = ltm_mqtt_store_in_memory(c->store);
    }
    out->outbox_depth = c->out_count + c->inflight;
    out->connected = c->connected;
    pthread_mutex_unlock(&c->lock);
}
