#ifndef NTF_NOTIFIER_H
#define NTF_NOTIFIER_H

#include "engine.h"
#include "queue.h"
#include "report.h"
#include "rules.h"
#include "telegram.h"

#include "ltm/service.h"

#include <stdint.h>

/* The running notifier: what main.c's handlers, store.c and deliver.c
 * share. */
typedef struct {
    ltm_service *svc;
    ntf_engine engine;
    ntf_rules rules;
    ntf_queue queue;
    ntf_host host;
    ntf_tg *tg;              /* NULL: log-only mode */
    const char *channel;     /* "telegram" or "log" */

    char dir[4096];          /* <data dir>/notifier */
    char state_path[4200];
    char queue_path[4200];
    char records_path[4200];
    int state_dirty, queue_dirty;

    /* delivery */
    int64_t send_interval_ms, backoff_min_ms, backoff_max_ms, person_retry_ms;
    int64_t backoff_ms;
    int64_t next_send_mono;
    const char *telegram_state; /* ok, retry_after, backing_off, needs_person */
    uint64_t sent, attempts_failed, rejected, enqueue_failed, resolved_unknown, standby_skipped;
    size_t max_text;

    /* startup notice */
    int64_t settle_ms, startup_window_ms;
    int64_t started_ms;
    int64_t connected_mono;  /* 0 until the first connection */
    int startup_decided;
    int64_t last_notice_ms;

    /* daily report */
    char last_report_job[201];
    uint64_t records_dropped;   /* results not recorded: the file reached RECORDS_FILE_MAX */
    uint64_t checks_read, checks_gone, checks_failed; /* engagement results heard (final) */
    uint64_t checks_blocked; /* final, ended by a block (ltm_result_class_blocked), not failed */
    int64_t records_keep_ms;
    int64_t next_prune_ms;
} notifier;

/* store.c: files in the data dir. */
int ntf_store_open(notifier *n);              /* creates the dir, loads state and queue */
int ntf_store_save(notifier *n);              /* writes what changed */
int ntf_store_append_record(notifier *n, const ltm_result *res);
/* Reads the records (malformed lines are counted and skipped) and rewrites
 * the file without the ones older than keep_before_ms. */
int ntf_store_load_records(notifier *n, int64_t keep_before_ms, ntf_record **out, size_t *count);
void ntf_records_free(ntf_record *records, size_t count);

/* startup.c: the startup notice (once per system start) and the role of
 * this replica. */
void ntf_on_startup_marker(notifier *n, const ltm_mqtt_message *m);
void ntf_check_startup(notifier *n, int64_t now);
/* Active unless another notifier instance with a smaller name is online:
 * only the active replica sends alerts and the startup notice. */
int ntf_is_active(const notifier *n, int64_t now);

/* deliver.c: queue to Telegram (or to the log). */
int ntf_enqueue(notifier *n, int severity, const char *html);
void ntf_deliver_start(notifier *n);
void ntf_deliver_done(notifier *n, const ntf_tg_answer *answer, int64_t elapsed_ms);
/* ms until delivery wants to run again (-1: nothing to do). */
int64_t ntf_deliver_wait_ms(const notifier *n);

#endif
