#ifndef LTM_MSG_H
#define LTM_MSG_H

#include <stddef.h>
#include <stdint.h>

/* The messages services exchange, as JSON (docs/topics.md shows each one).
 * Decoders check the presence and type of every field and, on failure,
 * return LTM_EINVAL with a reason ("field attempt: expected an integer >= 1")
 * that goes into the dead-letter message. Encoders return a string the caller
 * frees with free(). Strings inside structs are owned by the struct and freed
 * by its *_clear function; *_clear leaves a zeroed struct. */

#define LTM_REASON_SIZE 160

/* ---- job: ltm/jobs/post, ltm/jobs/story ------------------------------- */

typedef enum { LTM_JOB_POST = 0, LTM_JOB_STORY, LTM_JOB_REPORT } ltm_job_kind;

typedef struct {
    char *job_id;        /* stable across attempts: account, kind and slot */
    ltm_job_kind kind;
    char *account;
    int attempt;         /* 1-based */
    int max_attempts;
    int64_t slot_ms;     /* the scheduled instant this job serves */
    int64_t dispatched_ms;
    int64_t lease_ms;    /* how long the scheduler waits for a result */
    char *text;          /* optional final text: skips generation */
    char *prompt;        /* optional extra prompt */
    char *image_url;     /* optional image */
} ltm_job;

const char *ltm_job_kind_name(ltm_job_kind kind);
int ltm_job_kind_parse(const char *text, ltm_job_kind *out);
int ltm_job_decode(const char *json, size_t len, ltm_job *out, char reason[LTM_REASON_SIZE]);
char *ltm_job_encode(const ltm_job *job);
void ltm_job_clear(ltm_job *job);

/* ---- result: ltm/results ---------------------------------------------- */

typedef enum {
    LTM_RESULT_PUBLISHED = 0,
    LTM_RESULT_FAILED,
    LTM_RESULT_UNCONFIRMED, /* sent, but the channel never confirmed */
    LTM_RESULT_DUPLICATE,   /* the channel says this text was already posted */
    LTM_RESULT_MISSED,      /* the slot passed while the system was down */
} ltm_result_status;

typedef struct {
    char *job_id;
    ltm_job_kind kind;
    char *account;
    int attempt;
    ltm_result_status status;
    int retryable;       /* boolean */
    int final;           /* boolean: no further attempt will follow */
    char *error_class;   /* NULL on success: network, server, rate_limited, auth, quota,
                            version, validation, refused, unconfirmed, lease_expired, config,
                            internal */
    char *error;         /* human-readable, never contains a secret */
    char *remote_id;     /* id or URN of the created post */
    char *channel;       /* sandbox, linkedin, instagram, rapidapi, webhook */
    char *worker;        /* client id of the worker that produced it */
    int64_t retry_after_ms; /* 0: none asked for */
    int64_t generate_ms, image_ms, publish_ms;
    int64_t finished_ms;
} ltm_result;

const char *ltm_result_status_name(ltm_result_status status);
int ltm_result_status_parse(const char *text, ltm_result_status *out);
int ltm_result_decode(const char *json, size_t len, ltm_result *out,
                      char reason[LTM_REASON_SIZE]);
char *ltm_result_encode(const ltm_result *result);
void ltm_result_clear(ltm_result *result);

/* ---- status: ltm/status/<service>/<instance>, retained --------------- */

typedef struct {
    char *service;
    char *instance;
    int online;          /* boolean: "online" or "offline" on the wire */
    char *version;
    char *host;
    int pid;
    int64_t started_ms;
    int64_t heartbeat_ms;
    int64_t heartbeat_interval_ms;
    char *detail_json;   /* optional service-specific object, as JSON text */
} ltm_status;

int ltm_status_decode(const char *json, size_t len, ltm_status *out,
                      char reason[LTM_REASON_SIZE]);
char *ltm_status_encode(const ltm_status *status);
void ltm_status_clear(ltm_status *status);

/* ---- alert: ltm/alerts ------------------------------------------------ */

typedef struct {
    char *key;           /* stable identity, e.g. "host.cpu" */
    int firing;          /* boolean: "firing" or "resolved" on the wire */
    char *severity;      /* info, warning, critical */
    char *summary;
    char *source;        /* service that raised it */
    double value;
    double threshold;
    int64_t since_ms;
    int64_t at_ms;
} ltm_alert;

int ltm_alert_decode(const char *json, size_t len, ltm_alert *out,
                     char reason[LTM_REASON_SIZE]);
char *ltm_alert_encode(const ltm_alert *alert);
void ltm_alert_clear(ltm_alert *alert);

/* ---- dead letter: ltm/dlq --------------------------------------------- */

/* Wraps a rejected message with the reason; the payload is kept as a string
 * when it is valid UTF-8, else base64. Of a payload longer than
 * LTM_DLQ_PAYLOAD_MAX bytes only the first LTM_DLQ_PAYLOAD_MAX (less up to 3,
 * to end on a whole character) are kept, with "payload_bytes" (the full
 * length) and "payload_truncated": true, so the dead letter stays under the
 * broker's message_size_limit (256 KiB) even when every byte is escaped. */
#define LTM_DLQ_PAYLOAD_MAX 32768

char *ltm_dlq_encode(const char *service, const char *instance, const char *topic,
                     const void *payload, size_t len, const char *reason, int64_t at_ms);

#endif
