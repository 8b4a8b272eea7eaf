/* The scheduler's inputs: the accounts file (schedule, zones, caps) and the
 * operator requests on ltm/commands/scheduler, which any client allowed to
 * publish there can send. The first byte picks which. */
#include "fuzz.h"

#include "accounts.h"
#include "commands.h"
#include "engine.h"
#include "ledger.h"

#include "ltm/timeutil.h"

static int drop(void *ctx, const char *topic, char *json)
{
    (void)ctx;
    (void)topic;
    free(json);
    return 0;
}

static void accounts(const char *json, size_t len)
{
    sched_accounts a;
    char err[300];
    if (sched_accounts_parse(json, len, &a, err, sizeof err) == 0) {
        for (size_t i = 0; i < a.count; i++) {
            const sched_account *acc = &a.items[i];
            if (sched_accounts_find(&a, acc->name) != acc)
                abort();
            for (size_t k = 0; k < acc->post_count; k++)
                sched_next_fire(acc->tz, acc->weekdays, acc->post_minutes[k], 1764000000000);
        }
    }
    sched_accounts_clear(&a);
}

static void command(const char *payload, size_t len)
{
    static const char *json =
        "{\"accounts\":[{\"name\":\"acme\",\"schedule\":{\"posts\":[\"09:00\"],"
        "\"stories\":[\"12:00\"]}}]}";
    char err[300];
    sched_accounts a;
    ledger *l;
    engine *e;
    if (sched_accounts_parse(json, strlen(json), &a, err, sizeof err) != 0 ||
        ledger_open(":memory:", &l, err, sizeof err) != 0)
        abort();
    engine_settings s = {.max_attempts = 3, .post_base_ms = 1, .story_base_ms = 1,
                         .report_base_ms = 1, .lease_ms = 1000, .grace_ms = 0,
                         .rate_limit_ms = 1, .report_minute = -1};
    if (engine_new(&s, &a, l, drop, NULL, "me", &e) != 0 || engine_start(e, 1000) != 0)
        abort();
    char *topic = NULL, *reply = NULL, reason[160];
    commands_handle(e, payload, len, 5000, &topic, &reply, reason, sizeof reason);
    free(topic);
    free(reply);
    engine_free(e);
    ledger_close(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    char *text = fuzz_memdup(data, size);
    if (sel & 1)
        command(text, size);
    else
        accounts(text, size);
    char *hhmm = fuzz_strndup(data, size < 8 ? size : 8);
    ltm_time_parse_hhmm(hhmm);
    free(hhmm);
    free(text);
    return 0;
}
