#ifndef LTM_ACCOUNTS_H
#define LTM_ACCOUNTS_H

#include "ltm/config.h"
#include "ltm/msg.h"

#include <stddef.h>

/* The one reader of the accounts file (docs/accounts.md): its schema, its
 * validation and its error messages live here and nowhere else. The
 * scheduler takes the schedule view of the result (services/scheduler/
 * accounts.c), the workers the channel and content of their kind of job; both
 * read the whole file the same way, so a file one of them would refuse is
 * refused by all at start. Unknown fields are ignored. Errors name the
 * account and the field: account "acme": field channel.author: ... */

#define LTM_ACCOUNTS_FILE_MAX (64u << 20) /* bytes */
#define LTM_ACCOUNTS_MAX 1000000
#define LTM_ACCOUNT_NAME_MAX 64
#define LTM_SCHEDULE_TIMES_MAX 96         /* per list: posts, stories */
#define LTM_ALL_DAYS 0x7fu                /* bit 0 = Sunday ... bit 6 = Saturday */

typedef enum {
    LTM_CHANNEL_SANDBOX = 0,
    LTM_CHANNEL_LINKEDIN,
    LTM_CHANNEL_INSTAGRAM,
    LTM_CHANNEL_RAPIDAPI,
    LTM_CHANNEL_WEBHOOK,
} ltm_channel_type;

typedef struct {
    ltm_channel_type type;
    char *token_env;   /* variable holding the token (RapidAPI: the key) */
    char *token;       /* its value, filled by ltm_accounts_resolve (live mode) */
    char *author;      /* linkedin: urn:li:person:... or urn:li:organization:... */
    char *visibility;  /* linkedin: PUBLIC (default) or CONNECTIONS */
    char *user_id;     /* instagram: the Instagram business account id */
    char *url;         /* webhook: where the JSON is POSTed */
    char *host;        /* rapidapi: X-RapidAPI-Host, also the default base URL */
    char *path;        /* rapidapi: request path, "/..." */
    char *text_field;  /* rapidapi: body field of the text (default "text") */
    char *image_field; /* rapidapi: body field of the image URL (default: not sent) */
    char *id_field;    /* rapidapi: answer field with the post id (default "id") */
    char *extra_json;  /* rapidapi: fixed body fields, a JSON object text */
    /* rapidapi, engagement reads (optional, both or neither): GET path with
     * "{id}" for the post id, and per figure (ltm_figure_names order) the
     * dotted path of its count in the answer, NULL where not read. */
    char *stats_path;
    char *stats_fields[LTM_FIGURE_COUNT];
} ltm_channel;

typedef struct {
    char **urls;
    size_t count;
    char *prompt;      /* Replicate prompt when REPLICATE_TOKEN is set */
} ltm_image_source;

/* The schedule part, for the scheduler. */
typedef struct {
    unsigned weekdays;          /* bit mask, LTM_ALL_DAYS by default */
    int *post_minutes;          /* local minutes of the day, ascending, distinct */
    size_t post_count;
    int *story_minutes;
    size_t story_count;
    int max_posts_per_day;      /* 0: no cap */
    int min_minutes_between_posts;
} ltm_schedule;

typedef struct {
    char *name;
    char *timezone;    /* IANA zone of the schedule, known to the system tzdata
                          (NULL: UTC); the theme's weekday is taken there */
    int paused;
    ltm_schedule schedule;
    char *language;
    char *prompt;
    char *themes[7];   /* by weekday, 0 = Sunday (struct tm's tm_wday) */
    ltm_channel channel;
    ltm_image_source images;       /* content.image_urls / content.image_prompt */
    ltm_channel stories_channel;
    ltm_image_source story_images; /* stories.image_urls / stories.image_prompt */
} ltm_account;

typedef struct {
    ltm_account *items;
    size_t count;
} ltm_accounts;

const char *ltm_channel_type_name(ltm_channel_type type);
/* Stories need a channel with a stories API: Instagram, webhook or sandbox. */
int ltm_channel_has_stories(ltm_channel_type type);

/* Parses the file's text and checks every field: name, timezone, paused,
 * schedule, channel, content and stories. On failure returns LTM_EINVAL (or
 * LTM_ENOMEM) and err gets one sentence naming the account and the field.
 * Caller frees *out with ltm_accounts_free(). */
int ltm_accounts_parse(const char *json, size_t len, ltm_accounts **out, char *err,
                       size_t err_size);
/* Reads and parses the file; LTM_ENOTFOUND when it does not exist (the
 * workers' sandbox mode runs without one), LTM_EINVAL otherwise. */
int ltm_accounts_load(const char *path, ltm_accounts **out, char *err, size_t err_size);

/* Live mode: reads every token variable the accounts name (through lookup,
 * getenv when NULL); a missing or empty one is an error naming the account
 * and the field. Sandbox channels need none. */
int ltm_accounts_resolve(ltm_accounts *accounts, ltm_job_kind kind, ltm_env_lookup lookup,
                         void *ctx, char *err, size_t err_size);
/* The same, leniently: a missing or empty variable leaves that channel's
 * token NULL and is counted in *missing instead of failing (the poster reads
 * the figures of stories it does not publish: a missing story token fails
 * those checks, not its start). LTM_ENOMEM only. */
int ltm_accounts_resolve_available(ltm_accounts *accounts, ltm_job_kind kind,
                                   ltm_env_lookup lookup, void *ctx, size_t *missing);
/* 1 when the channel needs a token (not sandbox, names a variable) and none
 * was resolved. */
int ltm_channel_token_missing(const ltm_channel *ch);

const ltm_account *ltm_accounts_find(const ltm_accounts *accounts, const char *name);
/* The channel a job of this kind goes to. */
const ltm_channel *ltm_account_channel(const ltm_account *account, ltm_job_kind kind);
const ltm_image_source *ltm_account_images(const ltm_account *account, ltm_job_kind kind);

void ltm_accounts_free(ltm_accounts *accounts);

#endif
