/* The fake-clock harness of the engine's unit tests (engine_test.c,
 * checks_test.c): messages the engine publishes are captured in out[], in
 * order, instead of going to MQTT. */
#ifndef SCHED_ENGINE_HARNESS_TEST_H
#define SCHED_ENGINE_HARNESS_TEST_H

#include "engine.h"

#include "ltm/error.h"
#include "ltm/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define S 1000LL

typedef struct {
    char topic[64];
    char *json;
} sent;

static sent out[512];
static int nout;

static inline int capture(void *ctx, const char *topic, char *json)
{
    (void)ctx;
    assert_true(nout < 512);
    snprintf(out[nout].topic, sizeof out[nout].topic, "%s", topic);
    out[nout++].json = json;
    return 0;
}

static inline void reset(void)
{
    for (int i = 0; i < nout; i++)
        free(out[i].json);
    nout = 0;
}

static inline int setup(void **state)
{
    (void)state;
    reset();
    return 0;
}

static inline int64_t iso(const char *s)
{
    int64_t ms = 0;
    assert_int_equal(ltm_time_parse_iso(s, &ms), 0);
    return ms;
}

static inline engine *make(const char *accounts_json, const engine_settings *s, ledger *l)
{
    sched_accounts a;
    char err[300];
    assert_int_equal(sched_accounts_parse(accounts_json, strlen(accounts_json), &a, err, sizeof err), 0);
    engine *e = NULL;
    assert_int_equal(engine_new(s, &a, l, capture, NULL, "ltm-scheduler-test", &e), 0);
    return e;
}

static inline ledger *open_ledger(const char *path)
{
    ledger *l = NULL;
    char err[300];
    assert_int_equal(ledger_open(path, &l, err, sizeof err), 0);
    return l;
}

/* The job published as out[i]. */
static inline ltm_job job_at(int i)
{
    ltm_job j;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_job_decode(out[i].json, strlen(out[i].json), &j, reason), 0);
    return j;
}

static inline ltm_result result_at(int i)
{
    ltm_result r;
    char reason[LTM_REASON_SIZE];
    assert_int_equal(ltm_result_decode(out[i].json, strlen(out[i].json), &r, reason), 0);
    return r;
}

#endif
