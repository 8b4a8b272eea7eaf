#ifndef LTM_MQTT_H
#define LTM_MQTT_H

#include <stddef.h>
#include <stdint.h>

/* MQTT client on Paho's asynchronous API, shaped by what loses messages with
 * Paho 1.3.12 and Mosquitto 2.0.11 (docs/mqtt.md):
 * - Paho's callbacks only copy into a bounded inbox and wake the owner's
 *   event loop through wake_fd; they never block. When the inbox is full the
 *   callback declines the message and Paho offers it again later (back
 *   pressure instead of loss); the PUBACK goes out only once it is queued.
 * - A publish that Paho does not take, or that fails later, stays in an
 *   outbox and is sent again from ltm_mqtt_service(); it is never dropped
 *   unless the bounded outbox is full, which the caller sees and counts.
 * - Subscriptions are restored after every (re)connect, TCP_NODELAY is set
 *   on the connection after every connect, and the first connection is
 *   retried with backoff (Paho's automatic reconnect only covers a
 *   connection that was once up). */

typedef struct ltm_mqtt ltm_mqtt;

typedef struct {
    char *topic;
    char *payload; /* len bytes plus a terminating NUL */
    size_t len;
    int qos;
    int retained;
} ltm_mqtt_message;

void ltm_mqtt_message_free(ltm_mqtt_message *message);

typedef struct {
    const char *url;             /* mqtt://host:port or mqtts://host:port */
    const char *client_id;       /* unique per replica, stable across restarts */
    const char *username;
    const char *password;
    int clean_session;           /* 0: the broker keeps our queue while we are away */
    const char *persistence_dir; /* file persistence (ltm/mqtt_store.h); NULL: memory */
    int keepalive_s;
    const char *will_topic;      /* published retained, QoS 1, if we vanish */
    const char *will_payload;
    const char *ca_file;         /* TLS: verify the broker against this CA */
    const char *cert_file;       /* TLS client certificate, optional */
    const char *key_file;
    size_t max_inbox;            /* received messages waiting for the owner */
    size_t max_outbox;           /* publishes waiting to be (re)sent */
    int wake_fd;                 /* eventfd written when there is something to do; -1: none */
    int no_tcp_nodelay;          /* leave Nagle on (only to measure its cost: bench/mqtt) */
    int lost_warn_ms;            /* still disconnected after this long: warn (0: 10 s), then
                                    again at doubling gaps up to 5 min */
} ltm_mqtt_options;

typedef struct {
    uint64_t received;
    uint64_t published;       /* acknowledged by the broker (QoS 1) or written (QoS 0) */
    uint64_t publish_retries; /* sends that had to be attempted again */
    uint64_t publish_dropped; /* refused because the outbox was full */
    uint64_t inbox_declined;  /* arrivals declined because the inbox was full */
    uint64_t connects;
    uint64_t connection_losses;
    uint64_t store_write_failures; /* persistence writes the disk refused (ltm/mqtt_store.h) */
    size_t store_in_memory;        /* unacknowledged messages held in memory for that */
    size_t outbox_depth;
    int connected;
} ltm_mqtt_stats;

/* Validates the URL ("mqtt://host:port", "mqtts://host:port"; tcp:// and
 * ssl:// also accepted) into Paho's form. err names what is wrong. */
int ltm_mqtt_parse_url(const char *url, char *paho_uri, size_t size, char *host, size_t host_size,
                       int *port, int *tls, char *err, size_t err_size);

int ltm_mqtt_new(const ltm_mqtt_options *options, ltm_mqtt **out, char *err, size_t err_size);
void ltm_mqtt_free(ltm_mqtt *client);

/* Remembered and (re)subscribed on every connect. Call before or after
 * ltm_mqtt_connect. */
int ltm_mqtt_subscribe(ltm_mqtt *client, const char *filter, int qos);

/* Starts connecting; returns at once. Progress happens in ltm_mqtt_service. */
int ltm_mqtt_connect(ltm_mqtt *client);
int ltm_mqtt_is_connected(ltm_mqtt *client);

/* Queues a publish. 0 when Paho took it or it waits in the outbox;
 * LTM_EFULL when the outbox is full (the message is not kept). */
int ltm_mqtt_publish(ltm_mqtt *client, const char *topic, const void *payload, size_t len, int qos,
                     int retain);

/* Next received message or NULL; the caller frees it. */
ltm_mqtt_message *ltm_mqtt_receive(ltm_mqtt *client);

/* Housekeeping from the owner's loop: resends the outbox, retries the first
 * connection. Returns the number of ms until it wants to run again. */
int ltm_mqtt_service(ltm_mqtt *client);

/* Waits up to timeout_ms for the outbox to drain and every publish to be
 * acknowledged, then disconnects cleanly (no Last Will). Returns
 * LTM_ETIMEDOUT if messages were still pending. */
int ltm_mqtt_disconnect(ltm_mqtt *client, int timeout_ms);

void ltm_mqtt_get_stats(ltm_mqtt *client, ltm_mqtt_stats *out);

#endif
