/* The post text stage: OpenAI-compatible chat completions, the weekday's theme. */
#include "publishing/generate_openai.h"
#include "ltm/error.h"
#include "ltm/json.h"
#include "publishing/text_rules.h"
#include "ltm/timeutil.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ltm_weekday_in_zone(const char *zone, int64_t utc_ms)
{
    /* GTimeZone reads the system tzdata without touching the process-wide
     * TZ, which the log timestamps use from other threads. */
    GTimeZone *tz = zone ? g_time_zone_new_identifier(zone) : NULL;
    if (!tz)
        tz = g_time_zone_new_utc();
    GDateTime *dt = g_date_time_new_from_unix_utc(utc_ms / 1000);
    GDateTime *local = dt ? g_date_time_to_timezone(dt, tz) : NULL;
    int wday = local ? g_date_time_get_day_of_week(local) % 7 : 0; /* GLib: 1 = Monday .. 7 */
    if (local)
        g_date_time_unref(local);
    if (dt)
        g_date_time_unref(dt);
    g_time_zone_unref(tz);
    return wday;
}

const char *ltm_slot_theme(const ltm_account *a, int64_t slot_ms)
{
    return a ? a->themes[ltm_weekday_in_zone(a->timezone, slot_ms)] : NULL;
}

static char *system_prompt(const ltm_account *a, size_t char_limit)
{
    char *s = NULL;
    size_t limit = char_limit ? char_limit * 4 / 5 : 1500;
    int n = asprintf(&s,
                     "You write social media posts for the account \"%s\". Write in %s. "
                     "Answer with the text of the post only: no title, no quotes around it, "
                     "no explanation. Stay under %zu characters.",
                     a ? a->name : "-", a && a->language ? a->language : "the language of the "
                                                                          "instructions",
                     limit);
    return n < 0 ? NULL : s;
}

static char *user_prompt(const ltm_account *a, const ltm_job *job, int weekday)
{
    const char *base = a && a->prompt ? a->prompt : "Write a short post for today.";
    const char *theme = a && weekday >= 0 && weekday < 7 ? a->themes[weekday] : NULL;
    char *s = NULL;
    int n = asprintf(&s, "%s%s%s%s%s", base, theme ? "\nToday's theme: " : "", theme ? theme : "",
                     job->prompt ? "\n" : "", job->prompt ? job->prompt : "");
    return n < 0 ? NULL : s;
}

static cJSON *message(const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    if (m && (ltm_json_add_str(m, "role", role) || ltm_json_add_str(m, "content", content))) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

char *ltm_openai_body(const char *model, int max_tokens, const ltm_account *a, const ltm_job *job,
                      int weekday, size_t char_limit)
{
    char *sys = system_prompt(a, char_limit);
    char *user = user_prompt(a, job, weekday);
    cJSON *o = cJSON_CreateObject();
    cJSON *msgs = cJSON_CreateArray();
    cJSON *m1 = sys ? message("system", sys) : NULL;
    cJSON *m2 = user ? message("user", user) : NULL;
    free(sys);
    free(user);
    if (!o || !msgs || !m1 || !m2) {
        cJSON_Delete(o);
        cJSON_Delete(msgs);
        cJSON_Delete(m1);
        cJSON_Delete(m2);
        return NULL;
    }
    cJSON_AddItemToArray(msgs, m1);
    cJSON_AddItemToArray(msgs, m2);
    ltm_json_add_str(o, "model", model);
    cJSON_AddItemToObject(o, "messages", msgs);
    cJSON_AddNumberToObject(o, "max_tokens", max_tokens);
    return ltm_json_finish(o);
}

int ltm_openai_parse(const char *body, size_t len, char **text, ltm_outcome *o)
{
    *text = NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *first = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(first, "message");
    if (!cJSON_IsObject(msg)) {
        ltm_outcome_fail(o, "server", 1, "OpenAI answer without choices[0].message (malformed)");
        cJSON_Delete(root);
        return LTM_EINVAL;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    const cJSON *refusal = cJSON_GetObjectItemCaseSensitive(msg, "refusal");
    const cJSON *finish = cJSON_GetObjectItemCaseSensitive(first, "finish_reason");
    const char *reason = cJSON_IsString(finish) ? finish->valuestring : "";
    int rc = LTM_EINVAL;
    if (cJSON_IsString(refusal) && refusal->valuestring[0]) {
        char why[300];
        ltm_api_message(LTM_API_OPENAI, refusal->valuestring, strlen(refusal->valuestring), why,
                        sizeof why);
        ltm_outcome_fail(o, "refused", 0, "the model refused: %s", why);
    } else if (strcmp(reason, "content_filter") == 0) {
        ltm_outcome_fail(o, "refused", 0, "the model's answer was withheld by its content filter");
    } else if (strcmp(reason, "length") == 0) {
        ltm_outcome_fail(o, "validation", 0,
                         "the model's text was cut at its token limit (finish_reason length); "
                         "raise LTM_OPENAI_MAX_TOKENS or ask for a shorter post");
    } else if (!cJSON_IsString(content)) {
        ltm_outcome_fail(o, "refused", 0, "the model returned no content");
    } else {
        char *t = ltm_trim_dup(content->valuestring);
        if (t && !*t) {
            ltm_outcome_fail(o, "refused", 0, "the model returned an empty text");
            free(t);
        } else if (!t) {
            ltm_outcome_fail(o, "internal", 1, "out of memory");
        } else {
            *text = t;
            rc = LTM_OK;
        }
    }
    cJSON_Delete(root);
    return rc;
}

static void on_answer(void *ctx, const ltm_http_response *r)
{
    ltm_task *t = ctx;
    if (!ltm_http_ok(r)) {
        /* One key for every account: naming the account would mislead. */
        ltm_classify_failure(LTM_API_OPENAI, 0, r, NULL, &t->outcome);
        ltm_task_finish(t);
        return;
    }
    char *text = NULL;
    if (ltm_openai_parse(r->body, r->body_len, &text, &t->outcome) == LTM_OK) {
        free(t->text);
        t->text = text;
        ltm_outcome_published(&t->outcome, NULL); /* the stage succeeded */
    }
    ltm_task_finish(t);
}

void ltm_openai_generate(ltm_task *t)
{
    const ltm_publish_env *env = t->env;
    int weekday = t->account ? ltm_weekday_in_zone(t->account->timezone, t->job->slot_ms) : -1;
    size_t limit = ltm_channel_text_limit(t->channel ? t->channel->type : LTM_CHANNEL_SANDBOX);
    char *body = ltm_openai_body(env->openai_model, env->openai_max_tokens, t->account, t->job,
                                 weekday, limit);
    char url[2200], auth[600];
    if (!body || snprintf(url, sizeof url, "%s/chat/completions", env->openai_base) >= (int)sizeof url ||
        ltm_bearer(auth, sizeof auth, env->openai_key) != LTM_OK) {
        free(body);
        ltm_task_fail(t, "internal", 1, "cannot build the OpenAI request");
        return;
    }
    const char *headers[] = {auth, "Content-Type: application/json"};
    ltm_task_http(t, "POST", url, headers, 2, body, strlen(body), 1u << 20, on_answer);
    free(body);
}
