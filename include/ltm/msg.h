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

/* Shared limits: what the accounts file accepts, the wire carries and the
 * ledger stores. A wider value anywhere would make a message undecodable. */
#define LTM_THEME_MAX 500                  /* bytes of a weekday theme */
#define LTM_FIGURE_MAX 1000000000000LL     /* largest engagement figure */

/* ---- job: ltm/jobs/post, ltm/jobs/story, ltm/jobs/report,
 *           ltm/jobs/engagement -------------------------------------------- */

typedef enum { LTM_JOB_POST = 0, LTM_JOB_STORY, LTM_JOB_REPORT, LTM_JOB_ENGAGEMENT } ltm_job_kind;
#define LTM_JOB_KIND_COUNT 4

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
    /* Engagement checks only (required there, refused elsewhere): the
     * published post or story whose figures are read, at age_ms after
     * published_ms. slot_ms is the instant the check was due. */
    char *post_job_id;
    ltm_job_kind post_kind;  /* post or story */
    char *channel;           /* the channel that published it */
    char *remote_id;         /* its id on that channel */
    int64_t published_ms;
    int64_t age_ms;
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
    LTM_RESULT_READ,        /* engagement: the figures were read (result.figures) */
    LTM_RESULT_GONE,        /* engagement: the post no longer exists on the network */
} ltm_result_status;

/* The figures of one post at one age, as the channel gives them; -1 where
 * the channel offers no such figure (absent on the wire, never 0). */
typedef struct {
    int64_t impressions;    /* impressions or views */
    int64_t reach;          /* unique members/accounts reached */
    int64_t reactions;      /* reactions or likes */
    int64_t comments;       /* comments or story replies */
    int64_t shares;         /* reposts or shares */
    int64_t saves;
} ltm_figures;

#define LTM_FIGURE_COUNT 6
/* Names on the wire, in the order of the struct: "impressions", "reach", ... */
extern const char *const ltm_figure_names[LTM_FIGURE_COUNT];
/* The figure at index i (0..LTM_FIGURE_COUNT-1) of f, by pointer. */
int64_t *ltm_figure_at(ltm_figures *f, int i);
int64_t ltm_figure_get(const ltm_figures *f, int i);
/* All absent (-1). */
void ltm_figures_unset(ltm_figures *f);
/* Engagement of a reading: reactions + comments + shares + saves, absent
 * ones counted as 0. */
int64_t ltm_figures_engagement(const ltm_figures *f);

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
    char *theme;         /* optional, published posts: the theme the text was written on */
    /* Engagement results: the post read and the age of the check. */
    char *post_job_id;
    int64_t age_ms;
    int has_figures;     /* status read: figures is filled */
    ltm_figures figures;
} ltm_result;

const char *ltm_result_status_name(ltm_result_status status);
int ltm_result_status_parse(const char *text, ltm_result_status *out);
/* Whether a check's error class is a block rather than a failure of the
 * check: "permission" (the scheduler raised its own alert once and ends
 * every later check of that source this way), "quota" and "rate_limited"
 * (the scheduler waits and sends the check again). The notifier counts these
 * neither for engagement.failures.<account> nor in checks_failed; the
 * gateway counts them as "blocked". 0 for NULL. */
int ltm_result_class_blocked(const char *error_class);
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
