/* The notifier's inputs besides Telegram's answers: ltm/metrics/system
 * (any client of the broker can publish it) and its own files, read back at
 * start: state.json (alerts, rule counters, host buckets), queue.json and
 * the lines of results.jsonl. A crash, a full disk or a hand edit can leave
 * anything in them. The first byte picks the input; a queue that parses
 * must serialise and parse again. */
#include "fuzz.h"

#include "engine.h"
#include "queue.h"
#include "report.h"
#include "rules.h"

#include "ltm/json.h"

static void queue(const char *text, size_t len)
{
    ntf_queue q;
    ntf_queue_init(&q, 8, 4096);
    if (ntf_queue_parse(&q, text, len) == 0) {
        char *again = ntf_queue_serialize(&q);
        ntf_queue back;
        ntf_queue_init(&back, 8, 4096);
        if (!again || ntf_queue_parse(&back, again, strlen(again)) != 0 ||
            back.count != q.count) {
            fprintf(stderr, "queue round trip failed:\n%s\n", again ? again : "(null)");
            abort();
        }
        ntf_queue_clear(&back);
        free(again);
    }
    ntf_queue_clear(&q);
}

/* What store.c's load_state does with the parsed document. */
static void state(const char *text, size_t len)
{
    char reason[128];
    cJSON *root = ltm_json_parse_object(text, len, reason, sizeof reason);
    if (!root)
        return;
    ntf_engine e;
    ntf_engine_opts eo = {.group_wait_ms = 30000, .repeat_interval_ms = 3600000};
    ntf_engine_init(&e, &eo);
    ntf_rules r;
    ntf_rules_opts ro = {.failure_threshold = 3, .inactivity_ms = 86400000,
                         .offline_grace_ms = 60000, .forget_after_ms = 86400000,
                         .self_service = "notifier"};
    ntf_rules_init(&r, &ro, 1764000000000);
    static ntf_host h;
    memset(&h, 0, sizeof h);
    size_t skipped = 0;
    ntf_engine_from_json(&e, cJSON_GetObjectItemCaseSensitive(root, "alerts"), &skipped);
    ntf_rules_from_json(&r, cJSON_GetObjectItemCaseSensitive(root, "rules"));
    ntf_host_from_json(&h, cJSON_GetObjectItemCaseSensitive(root, "host"));
    cJSON_Delete(root);
    cJSON_Delete(ntf_engine_to_json(&e));
    cJSON_Delete(ntf_host_to_json(&h));
    int sev;
    free(ntf_engine_flush(&e, 1764000000000 + 86400000, &sev));
    ntf_engine_clear(&e);
    ntf_rules_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0] % 4;
    data++;
    size--;
    char *text = fuzz_memdup(data, size);
    if (sel == 0) {
        queue(text, size);
    } else if (sel == 1) {
        ntf_record r;
        memset(&r, 0, sizeof r);
        if (ntf_record_parse(text, size, &r) == 0)
            ntf_record_clear(&r);
    } else if (sel == 2) {
        state(text, size);
    } else {
        static ntf_host h;
        memset(&h, 0, sizeof h);
        char reason[160];
        ntf_host_add(&h, text, size, 1764000000000, reason, sizeof reason);
        ntf_host_add(&h, text, size, 1764000000000 + 3600000, reason, sizeof reason);
    }
    free(text);
    return 0;
}
