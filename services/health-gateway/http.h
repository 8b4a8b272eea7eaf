#ifndef GW_HTTP_H
#define GW_HTTP_H

#include "render.h"

#include <stddef.h>

/* The HTTP side of the gateway, on libmicrohttpd. MHD runs one internal
 * epoll thread; the MQTT side (main loop) renders complete answers and hands
 * them over with gw_http_publish(), which swaps them in under a mutex held
 * only for a pointer swap. A request therefore never parses, renders or
 * waits for MQTT: it takes the current answer and queues it, which is what
 * lets /health answer in microseconds whatever the MQTT side is doing.
 *
 * Routes: GET|HEAD /health (always open), /status, /metrics and / (behind
 * the token when one is set: "Authorization: Bearer <token>", or HTTP Basic
 * with the token as password so a browser can open the page). Unknown
 * paths 404; other methods 405 with Allow. Malformed requests, oversized
 * headers and idle connections are refused by MHD itself (strict parsing,
 * per-connection memory limit, connection timeout and limit). */

typedef struct gw_http gw_http;

typedef struct {
    const char *bind; /* IPv4 or IPv6 literal */
    int port;
    unsigned max_connections;
    unsigned max_per_client; /* connections from one address; 0: no limit */
    unsigned timeout_s; /* idle connection timeout */
    const char *token;  /* NULL or "": no authentication */
    const char *page;   /* the status page (HTML), copied */
    size_t page_len;
} gw_http_options;

/* Checks an address literal; 0 when valid. */
int gw_http_check_bind(const char *bind);

/* Starts listening. health, status and metrics are the first answers (taken
 * over, freed by the server). err says why it failed. */
int gw_http_start(const gw_http_options *o, char *health, int health_code, char *status,
                  char *metrics, gw_http **out, char *err, size_t err_size);

/* The port actually bound (useful when port 0 asked the kernel to choose). */
int gw_http_port(gw_http *h);

/* Replaces the answers; takes ownership of the texts (malloc'ed). A NULL
 * text keeps the previous answer for that route. */
void gw_http_publish(gw_http *h, char *health, int health_code, char *status, char *metrics);

/* The request counters so far: fills up to max entries, returns how many. */
size_t gw_http_counts(gw_http *h, gw_http_count *out, size_t max);
#define GW_HTTP_MAX_COUNTS 40

/* Stops listening, closes connections and frees everything. NULL is fine. */
void gw_http_stop(gw_http *h);

#endif
