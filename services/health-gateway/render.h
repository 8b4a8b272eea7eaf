#ifndef GW_RENDER_H
#define GW_RENDER_H

#include "state.h"

#include <stddef.h>
#include <stdint.h>

/* The gateway's answers, rendered from the state as complete bodies: the
 * HTTP thread only hands out what was rendered last (http.h), so a request
 * never waits for this work. Pure functions; the caller frees the text. */

typedef struct {
    const char *route; /* "health", "status", "metrics", "page", "other" */
    int code;
    uint64_t count;
} gw_http_count;

/* Everything besides the state that an answer depends on. */
typedef struct {
    const char *const *required; /* services /health requires, by name */
    size_t required_count;
    gw_freshness fresh;
    int broker_connected;
    int64_t now_ms, now_mono;
    int64_t started_ms, started_mono; /* the gateway's own start */
    const char *version;
    const char *instance;
    const gw_http_count *http; /* requests answered so far, for /metrics */
    size_t http_count;
} gw_view;

/* GET /health: 200 when the broker is connected and every required service
 * has a replica online with a fresh heartbeat, else 503; the body names each
 * failing check. */
char *gw_render_health(const gw_state *s, const gw_view *v, int *http_status);

/* GET /status: the whole picture as JSON (docs/health-gateway.md). */
char *gw_render_status(const gw_state *s, const gw_view *v);

/* GET /metrics: Prometheus text exposition format 0.0.4 (prom.c). */
char *gw_render_metrics(const gw_state *s, const gw_view *v);

#endif
