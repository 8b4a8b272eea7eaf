/* Shared by the gateway's unit tests: fixture files and a state fed from them. */
#ifndef GW_FIXTURE_TEST_H
#define GW_FIXTURE_TEST_H

#include "state.h"

#include "ltm/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-25T18:51:40Z: one second after the fixtures' heartbeats. */
#define T_NOW_MS 1795632700000LL
#define T_MONO 1000000LL

static inline char *fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", GW_FIXTURES, name);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(ltm_read_file(path, 1 << 20, &text, &len), 0);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    return text;
}

/* Applies a fixture as if it arrived now; returns gw_state_apply's code. */
static inline int feed(gw_state *s, const char *topic, const char *name, int retained, int64_t mono)
{
    char *text = fixture(name);
    char reason[LTM_REASON_SIZE];
    int rc = gw_state_apply(s, topic, text, strlen(text), retained, T_NOW_MS, mono, reason);
    free(text);
    return rc;
}

static inline int feed_text(gw_state *s, const char *topic, const char *text, int64_t mono,
                            char reason[LTM_REASON_SIZE])
{
    return gw_state_apply(s, topic, text, strlen(text), 0, T_NOW_MS, mono, reason);
}

#endif
