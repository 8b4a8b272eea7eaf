#include "commands.h"

#include "traffic.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 10000
#define JOBS_LIMIT_MAX 500
#define TRAFFIC_LIMIT_MAX 1000
#define TRAFFIC_DAYS_MAX 365
/* The reference age an asker may choose: engagement ages go up to 365 d. */
#define TRAFFIC_AGE_MIN_MS 1000LL
#define TRAFFIC_AGE_MAX_MS (366LL * 86400 * 1000)
/* Ages read per post: three by default (1h, 24h, 7d); more than this many
 * configured ages would be a mistake, and the reply shows the youngest. */
#define READINGS_MAX 32
#define DAY_MS (86400LL * 1000)
/* Rows per ranking built into a reply: about what 256 KiB holds anyway, and
 * a year of many accounts can have a slot or theme per post. */
#define RANKING_ROWS_MAX 1000
/* Keeps a jobs reply under the broker's message_size_limit (256 KiB). */
#define REPLY_MAX_BYTES 240000

int commands_valid_request_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return 0;
    for (; *id; id++) {
        if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
              (*id >= '0' && *id <= '9') || *id == '-' || *id == '_' || *id == '.'))
            return 0;
    }
    return 1;
}

typedef struct {
    char *request_id, *command, *account, *text, *prompt, *image_url, *kind;
    int64_t at_ms, since_ms;
    long long limit, days;
    long long age_ms; /* traffic: reference age of both kinds; 0: the configured ones */
    int posts;
} request;

static void request_clear(request *r)
{
    free(r->request_id);
    free(r->command);
    free(r->account);
    free(r->text);
    free(r->prompt);
    free(r->image_url);
    free(r->kind);
}

static int parse_request(const cJSON *root, request *r, char *reason, size_t size)
{
    static const char *const known[] = {"post", "story", "jobs", "pause", "resume", "traffic"};
    int rc = ltm_json_str(root, "command", 1, 16, &r->command, reason, size);
    size_t k = 0;
    while (!rc && k < sizeof known / sizeof known[0] && strcmp(r->command, known[k]) != 0)
        k++;
    /* An unknown command is a malformed request like a bad field: the asker
     * gets the refusal, and ltm/dlq shows it (a client of another version?). */
    if (!rc && k == sizeof known / sizeof known[0]) {
        snprintf(reason, size, "field command: unknown \"%.32s\", expected post, story, jobs, "
                               "pause, resume or traffic", r->command);
        rc = LTM_EINVAL;
    }
    if (!rc)
        rc = ltm_json_str(root, "account", 0, 64, &r->account, reason, size);
    if (!rc)
        rc = ltm_json_str(root, "text", 0, TEXT_MAX, &r->text, reason, size);
    if (!rc)
        rc = ltm_json_str(root, "prompt", 0, TEXT_MAX, &r->prompt, reason, size);
    if (!rc)
        rc = ltm_json_str(root, "image_url", 0, 2048, &r->image_url, reason, size);
    if (!rc)
        rc = ltm_json_time(root, "at", 0, &r->at_ms, reason, size);
    if (!rc)
        rc = ltm_json_time(root, "since", 0, &r->since_ms, reason, size);
    int ranking = !rc && strcmp(r->command, "traffic") == 0;
    r->limit = 100;
    if (!rc)
        rc = ltm_json_int(root, "limit", 0, 1, ranking ? TRAFFIC_LIMIT_MAX : JOBS_LIMIT_MAX,
                          &r->limit, reason, size);
    r->days = 30;
    if (!rc)
        rc = ltm_json_int(root, "days", 0, 1, TRAFFIC_DAYS_MAX, &r->days, reason, size);
    if (!rc)
        rc = ltm_json_int(root, "age_ms", 0, TRAFFIC_AGE_MIN_MS, TRAFFIC_AGE_MAX_MS, &r->age_ms,
                          reason, size);
    if (!rc)
        rc = ltm_json_bool(root, "posts", 0, &r->posts, reason, size);
    if (!rc)
        rc = ltm_json_str(root, "kind", 0, 16, &r->kind, reason, size);
    ltm_job_kind kind;
    if (!rc && r->kind && (ltm_job_kind_parse(r->kind, &kind) != LTM_OK ||
                           (kind != LTM_JOB_POST && kind != LTM_JOB_STORY))) {
        snprintf(reason, size, "field kind: expected post or story");
        rc = LTM_EINVAL;
    }
    return rc;
}

static const char *code_of(int rc)
{
    return rc == LTM_ENOTFOUND ? "not_found" : rc == LTM_EINVAL ? "invalid" : "internal";
}

/* Drops the oldest jobs from the reply until it fits in one message. */
static char *jobs_reply(cJSON *o, cJSON *jobs)
{
    cJSON_AddBoolToObject(o, "truncated", 0);
    for (;;) {
        char *text = cJSON_PrintUnformatted(o);
        int n = cJSON_GetArraySize(jobs);
        if (!text || strlen(text) <= REPLY_MAX_BYTES || n == 0) {
            cJSON_Delete(o);
            return text;
        }
        free(text);
        cJSON_DeleteItemFromArray(jobs, n - 1);
        cJSON_ReplaceItemInObject(o, "truncated", cJSON_CreateBool(1));
    }
}

/* ---- traffic ------------------------------------------------------------ */

typedef struct {
    traffic *ranking;
    int filter_kind;
    ltm_job_kind kind;
    ledger_post *posts;     /* newest first, for the "posts" list */
    int count, max;
} traffic_walk;

static int collect(void *ctx, const ledger_post *p, const ledger_reading *reading)
{
    traffic_walk *w = ctx;
    if (traffic_add(w->ranking, p, reading) != LTM_OK)
        return LTM_ENOMEM;
    if (w->count < w->max && (!w->filter_kind || p->kind == w->kind))
        w->posts[w->count++] = *p;
    return 0;
}

static int printed_size(const cJSON *item)
{
    char *text = cJSON_PrintUnformatted(item);
    int n = text ? (int)strlen(text) + 1 : 0; /* + the comma */
    free(text);
    return n;
}

/* Drops items from the end of arr until about excess bytes are gone. The
 * first item's prev is the last one in cJSON: O(1) per item, where indexing
 * walks the list. */
static int drop_tail(cJSON *arr, long excess)
{
    int dropped = 0;
    while (excess > 0 && arr && arr->child) {
        cJSON *last = arr->child->prev;
        excess -= printed_size(last);
        cJSON_Delete(cJSON_DetachItemViaPointer(arr, last));
        dropped = 1;
    }
    return dropped;
}

static cJSON *longest_ranking(cJSON *rankings)
{
    cJSON *longest = NULL, *r;
    int most = 0;
    cJSON_ArrayForEach(r, rankings) {
        int n = cJSON_GetArraySize(r);
        if (!longest || n > most) {
            longest = r;
            most = n;
        }
    }
    return longest;
}

/* Keeps the reply under the broker's message limit: the oldest posts go
 * first, then the lowest rows of the longest ranking (the top is what the
 * operator reads). "truncated" says that something was left out. */
static char *traffic_reply(cJSON *o, cJSON *rankings, cJSON *posts, const int totals[3])
{
    int cut = totals[0] > RANKING_ROWS_MAX || totals[1] > RANKING_ROWS_MAX ||
              totals[2] > RANKING_ROWS_MAX;
    cJSON_AddBoolToObject(o, "truncated", cut);
    for (;;) {
        char *text = cJSON_PrintUnformatted(o);
        long excess = text ? (long)strlen(text) - REPLY_MAX_BYTES : 0;
        if (!text || excess <= 0) {
            cJSON_Delete(o);
            return text;
        }
        free(text);
        cJSON *longest = longest_ranking(rankings);
        if (!drop_tail(posts, excess) && !(longest && drop_tail(longest, excess))) {
            cJSON_Delete(o);
            return NULL; /* cannot happen: an empty reply is small */
        }
        cJSON_ReplaceItemInObject(o, "truncated", cJSON_CreateBool(1));
    }
}

static int add_posts(ledger *l, const traffic_walk *w, cJSON *arr)
{
    ledger_reading *readings = malloc(READINGS_MAX * sizeof *readings);
    int rc = readings ? LTM_OK : LTM_ENOMEM;
    for (int i = 0; rc == LTM_OK && i < w->count; i++) {
        int n;
        rc = ledger_readings(l, w->posts[i].job_id, readings, READINGS_MAX, &n);
        cJSON *post = rc == LTM_OK ? traffic_post_json(&w->posts[i], readings, n) : NULL;
        if (rc == LTM_OK && (!post || !cJSON_AddItemToArray(arr, post))) {
            cJSON_Delete(post);
            rc = LTM_ENOMEM;
        }
    }
    free(readings);
    return rc;
}

/* The ranking and, with "posts":true, the posts with their time series
 * (docs/ltmctl.md). On LTM_OK *reply is set (NULL only when out of memory)
 * and o is consumed; otherwise o is untouched and err says why. */
static int traffic_command(engine *e, const request *q, int64_t now, cJSON *o, char **reply,
                           char *err, size_t err_size)
{
    ledger *l = engine_ledger(e);
    int64_t since = now - q->days * DAY_MS;
    const engine_settings *set = engine_get_settings(e);
    int64_t post_age = q->age_ms ? q->age_ms : traffic_reference_age(&set->post_ages);
    int64_t story_age = q->age_ms ? q->age_ms : traffic_reference_age(&set->story_ages);
    traffic_walk w = {.ranking = traffic_new(), .max = q->posts ? (int)q->limit : 0};
    w.posts = w.max ? malloc((size_t)w.max * sizeof *w.posts) : NULL;
    if (q->kind) {
        w.filter_kind = 1;
        ltm_job_kind_parse(q->kind, &w.kind);
        if (w.ranking)
            traffic_set_kind(w.ranking, w.kind);
    }
    int rc = !w.ranking || (w.max && !w.posts) ? LTM_ENOMEM
                                               : ledger_posts_at_age(l, since, q->account,
                                                                     post_age, story_age,
                                                                     collect, &w);
    int totals[3] = {0, 0, 0};
    cJSON *rankings = rc == LTM_OK ? traffic_rankings_json(w.ranking, RANKING_ROWS_MAX, totals)
                                   : NULL;
    cJSON *posts = rankings && q->posts ? cJSON_CreateArray() : NULL;
    if (rc == LTM_OK && (!rankings || (q->posts && !posts)))
        rc = LTM_ENOMEM;
    if (rc == LTM_OK && posts)
        rc = add_posts(l, &w, posts);
    if (rc == LTM_OK) {
        cJSON_AddBoolToObject(o, "ok", 1);
        ltm_json_add_time(o, "since", since);
        cJSON_AddNumberToObject(o, "days", (double)q->days);
        ltm_json_add_str(o, "account", q->account);
        ltm_json_add_str(o, "kind", q->kind);
        cJSON_AddNumberToObject(o, "posts_total", traffic_posts(w.ranking));
        cJSON_AddNumberToObject(o, "unread", traffic_unread(w.ranking));
        /* null: that kind's checks are off, none of its posts has figures */
        cJSON *ages = cJSON_AddObjectToObject(o, "ages");
        if (post_age > 0)
            cJSON_AddNumberToObject(ages, "post", (double)post_age);
        else
            cJSON_AddNullToObject(ages, "post");
        if (story_age > 0)
            cJSON_AddNumberToObject(ages, "story", (double)story_age);
        else
            cJSON_AddNullToObject(ages, "story");
        cJSON_AddItemToObject(o, "rankings", rankings);
        cJSON *rows = cJSON_AddObjectToObject(o, "rows_total");
        cJSON_AddNumberToObject(rows, "accounts", totals[0]);
        cJSON_AddNumberToObject(rows, "slots", totals[1]);
        cJSON_AddNumberToObject(rows, "themes", totals[2]);
        if (posts)
            cJSON_AddItemToObject(o, "posts", posts);
        *reply = traffic_reply(o, rankings, posts, totals);
    } else {
        cJSON_Delete(rankings);
        cJSON_Delete(posts);
        snprintf(err, err_size, "%s",
                 rc == LTM_ENOMEM ? "out of memory" : "cannot read the ledger");
    }
    traffic_free(w.ranking);
    free(w.posts);
    return rc;
}

static char *execute(engine *e, const request *q, int64_t now, cJSON *o)
{
    char err[256] = "";
    int rc = LTM_OK;
    const char *cmd = q->command;
    if (strcmp(cmd, "post") == 0 || strcmp(cmd, "story") == 0) {
        ltm_job_kind kind = cmd[0] == 'p' ? LTM_JOB_POST : LTM_JOB_STORY;
        char job_id[200];
        ledger *l = engine_ledger(e);
        if ((rc = ledger_begin(l)) == LTM_OK) {
            rc = engine_submit(e, kind, q->account, q->request_id, q->text, q->prompt,
                               q->image_url, q->at_ms, now, job_id, sizeof job_id, err,
                               sizeof err);
            if (rc == LTM_OK)
                rc = ledger_commit(l);
            if (rc != LTM_OK)
                ledger_rollback(l);
        }
        if (rc == LTM_OK) {
            ltm_json_add_str(o, "job_id", job_id);
            ltm_json_add_time(o, "due", q->at_ms > now ? q->at_ms : now);
        }
    } else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0) {
        rc = engine_set_paused(e, q->account, cmd[0] == 'p', now, err, sizeof err);
        if (rc == LTM_OK)
            ltm_json_add_str(o, "account", q->account);
    } else if (strcmp(cmd, "traffic") == 0) {
        char *reply = NULL;
        rc = traffic_command(e, q, now, o, &reply, err, sizeof err);
        if (rc == LTM_OK)
            return reply;
    } else { /* jobs: parse_request let only known commands through */
        cJSON *jobs = NULL;
        rc = ledger_jobs_json(engine_ledger(e), q->account, q->since_ms, (int)q->limit, &jobs);
        if (rc == LTM_OK) {
            cJSON_AddItemToObject(o, "jobs", jobs);
            cJSON_AddBoolToObject(o, "ok", 1);
            return jobs_reply(o, jobs);
        }
        snprintf(err, sizeof err, "cannot read the ledger");
    }
    cJSON_AddBoolToObject(o, "ok", rc == LTM_OK);
    if (rc != LTM_OK) {
        ltm_json_add_str(o, "code", code_of(rc));
        ltm_json_add_str(o, "error", err[0] ? err : ltm_strerror(rc));
    }
    return ltm_json_finish(o);
}

int commands_handle(engine *e, const char *payload, size_t len, int64_t now, char **reply_topic,
                    char **reply, char *reason, size_t reason_size)
{
    *reply_topic = *reply = NULL;
    cJSON *root = ltm_json_parse_object(payload, len, reason, reason_size);
    if (!root)
        return LTM_EINVAL;
    request q = {0};
    int rc = ltm_json_str(root, "request_id", 1, 64, &q.request_id, reason, reason_size);
    if (rc == LTM_OK && !commands_valid_request_id(q.request_id)) {
        snprintf(reason, reason_size, "field request_id: expected 1-64 of A-Z a-z 0-9 - _ .");
        rc = LTM_EINVAL;
    }
    if (rc != LTM_OK) {
        cJSON_Delete(root);
        request_clear(&q);
        return LTM_EINVAL;
    }
    size_t tsize = strlen(q.request_id) + 16;
    *reply_topic = malloc(tsize);
    if (*reply_topic)
        snprintf(*reply_topic, tsize, "ltm/replies/%s", q.request_id);
    cJSON *o = cJSON_CreateObject();
    if (o)
        ltm_json_add_str(o, "request_id", q.request_id);
    int bad = parse_request(root, &q, reason, reason_size);
    if (!o) {
        *reply = NULL;
    } else if (bad) {
        cJSON_AddBoolToObject(o, "ok", 0);
        ltm_json_add_str(o, "code", "invalid");
        ltm_json_add_str(o, "error", reason);
        *reply = ltm_json_finish(o);
    } else {
        *reply = execute(e, &q, now, o);
    }
    cJSON_Delete(root);
    request_clear(&q);
    return bad ? LTM_EINVAL : LTM_OK;
}
