/* The accounts file's one reader: the schema of docs/accounts.md, checked
 * field by field in one pass for every service that reads the file. */
#include "ltm/accounts.h"
#include "ltm/error.h"
#include "ltm/fsutil.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <ctype.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX 8000
#define URL_MAX 2048

static const char *type_names[] = {"sandbox", "linkedin", "instagram", "rapidapi", "webhook"};
static const char *weekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const char *ltm_channel_type_name(ltm_channel_type type)
{
    return (unsigned)type < 5 ? type_names[type] : "unknown";
}

int ltm_channel_has_stories(ltm_channel_type type)
{
    return type == LTM_CHANNEL_SANDBOX || type == LTM_CHANNEL_INSTAGRAM ||
           type == LTM_CHANNEL_WEBHOOK;
}

typedef struct {
    const char *account;
    char *err;
    size_t err_size;
    GTimeZone **zones;  /* zones already found in the tzdata, to read each once */
    size_t zone_count;
} ctx;

static int fail(ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(ctx *c, const char *field, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->account)
        snprintf(c->err, c->err_size, "account \"%s\": field %s: %s", c->account, field, what);
    else
        snprintf(c->err, c->err_size, "field %s: %s", field, what);
    return LTM_EINVAL;
}

/* Reads one string field; reason from ltm_json_str is reworded to carry the
 * account and the full field path. */
static int str_field(ctx *c, const cJSON *o, const char *prefix, const char *key, int required,
                     size_t max, char **out)
{
    char reason[200], path[96];
    snprintf(path, sizeof path, "%s%s", prefix, key);
    if (ltm_json_str(o, key, required, max, out, reason, sizeof reason) != LTM_OK) {
        const char *colon = strstr(reason, ": ");
        return fail(c, path, "%s", colon ? colon + 2 : reason);
    }
    return LTM_OK;
}

static int valid_env_name(const char *s)
{
    if (!s || !(isupper((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isupper((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int is_http_url(const char *s)
{
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
           !strpbrk(s, " \t\r\n");
}

static int is_jpeg_url(const char *url)
{
    size_t n = strcspn(url, "?#");
    return (n >= 4 && strncasecmp(url + n - 4, ".jpg", 4) == 0) ||
           (n >= 5 && strncasecmp(url + n - 5, ".jpeg", 5) == 0);
}

static int env_field(ctx *c, const cJSON *o, const char *prefix, const char *key, int required,
                     const char *fallback, char **out)
{
    char path[96];
    snprintf(path, sizeof path, "%s%s", prefix, key);
    int rc = str_field(c, o, prefix, key, required && !fallback, 128, out);
    if (rc)
        return rc;
    if (!*out && fallback)
        *out = strdup(fallback);
    if (*out && !valid_env_name(*out))
        return fail(c, path, "expected the NAME of an environment variable (A-Z, 0-9, _), "
                             "never the token itself");
    return LTM_OK;
}

static int linkedin(ctx *c, const cJSON *o, const char *p, ltm_channel *ch)
{
    char path[96];
    int rc = str_field(c, o, p, "author", 1, 200, &ch->author);
    if (!rc && strncmp(ch->author, "urn:li:person:", 14) != 0 &&
        strncmp(ch->author, "urn:li:organization:", 20) != 0) {
        snprintf(path, sizeof path, "%sauthor", p);
        return fail(c, path, "expected urn:li:person:... or urn:li:organization:...");
    }
    if (!rc)
        rc = str_field(c, o, p, "visibility", 0, 32, &ch->visibility);
    if (!rc && ch->visibility && strcmp(ch->visibility, "PUBLIC") != 0 &&
        strcmp(ch->visibility, "CONNECTIONS") != 0) {
        snprintf(path, sizeof path, "%svisibility", p);
        return fail(c, path, "expected PUBLIC or CONNECTIONS");
    }
    if (!rc && !ch->visibility && !(ch->visibility = strdup("PUBLIC")))
        rc = LTM_ENOMEM;
    if (!rc)
        rc = env_field(c, o, p, "token_env", 1, NULL, &ch->token_env);
    return rc;
}

static int instagram(ctx *c, const cJSON *o, const char *p, ltm_channel *ch)
{
    int rc = str_field(c, o, p, "user_id", 1, 64, &ch->user_id);
    if (!rc && strspn(ch->user_id, "0123456789") != strlen(ch->user_id)) {
        char path[96];
        snprintf(path, sizeof path, "%suser_id", p);
        return fail(c, path, "expected the numeric Instagram account id");
    }
    if (!rc)
        rc = env_field(c, o, p, "token_env", 1, NULL, &ch->token_env);
    return rc;
}

/* A dotted path into a JSON answer: names and array indexes, "data.stats.likes",
 * "items.0.reactions". */
static int valid_json_path(const char *s)
{
    if (!*s || *s == '.' || s[strlen(s) - 1] == '.' || strstr(s, ".."))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* The optional stats request that lets engagement checks read a post's
 * public counts through the provider (docs/accounts.md). */
static int rapidapi_stats(ctx *c, const cJSON *o, const char *p, ltm_channel *ch)
{
    char path[96];
    int rc = str_field(c, o, p, "stats_path", 0, 512, &ch->stats_path);
    snprintf(path, sizeof path, "%sstats_path", p);
    if (!rc && ch->stats_path &&
        (ch->stats_path[0] != '/' || strpbrk(ch->stats_path, " \t\r\n") ||
         !strstr(ch->stats_path, "{id}")))
        return fail(c, path, "expected a path starting with / that holds {id} (the post id)");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(o, "stats_fields");
    if (fields && cJSON_IsNull(fields))
        fields = NULL;
    snprintf(path, sizeof path, "%sstats_fields", p);
    if (rc)
        return rc;
    if (!ch->stats_path && !fields)
        return LTM_OK;
    if (!ch->stats_path)
        return fail(c, path, "needs stats_path too");
    if (!cJSON_IsObject(fields) || !fields->child)
        return fail(c, path, "expected an object naming, for at least one figure (impressions, "
                             "reach, reactions, comments, shares, saves), its path in the answer");
    const cJSON *f;
    cJSON_ArrayForEach(f, fields)
    {
        int i = 0;
        while (i < LTM_FIGURE_COUNT && strcmp(f->string, ltm_figure_names[i]) != 0)
            i++;
        snprintf(path, sizeof path, "%sstats_fields.%.32s", p, f->string);
        if (i == LTM_FIGURE_COUNT)
            return fail(c, path, "expected one of impressions, reach, reactions, comments, "
                                 "shares, saves");
        if (!cJSON_IsString(f) || strlen(f->valuestring) > 200 || !valid_json_path(f->valuestring))
            return fail(c, path, "expected a dotted path such as \"data.likes\" or "
                                 "\"items.0.reactions\"");
        free(ch->stats_fields[i]);
        if (!(ch->stats_fields[i] = strdup(f->valuestring)))
            return LTM_ENOMEM;
    }
    return LTM_OK;
}

static int rapidapi(ctx *c, const cJSON *o, const char *p, ltm_channel *ch)
{
    char path[96];
    int rc = str_field(c, o, p, "host", 1, 253, &ch->host);
    if (!rc && strspn(ch->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
                   strlen(ch->host)) {
        snprintf(path, sizeof path, "%shost", p);
        return fail(c, path, "expected a host name such as example.p.rapidapi.com");
    }
    if (!rc)
        rc = str_field(c, o, p, "path", 1, 512, &ch->path);
    if (!rc && (ch->path[0] != '/' || strpbrk(ch->path, " \t\r\n"))) {
        snprintf(path, sizeof path, "%spath", p);
        return fail(c, path, "expected a path starting with /");
    }
    if (!rc)
        rc = env_field(c, o, p, "key_env", 0, "RAPIDAPI_KEY", &ch->token_env);
    if (!rc)
        rc = str_field(c, o, p, "text_field", 0, 64, &ch->text_field);
    if (!rc && !ch->text_field && !(ch->text_field = strdup("text")))
        rc = LTM_ENOMEM;
    if (!rc)
        rc = str_field(c, o, p, "image_field", 0, 64, &ch->image_field);
    if (!rc)
        rc = str_field(c, o, p, "id_field", 0, 64, &ch->id_field);
    if (!rc && !ch->id_field && !(ch->id_field = strdup("id")))
        rc = LTM_ENOMEM;
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(o, "body");
    if (!rc && extra && !cJSON_IsNull(extra)) {
        if (!cJSON_IsObject(extra)) {
            snprintf(path, sizeof path, "%sbody", p);
            return fail(c, path, "expected an object of fixed body fields");
        }
        if (!(ch->extra_json = cJSON_PrintUnformatted(extra)))
            rc = LTM_ENOMEM;
    }
    if (!rc)
        rc = rapidapi_stats(c, o, p, ch);
    return rc;
}

static int webhook(ctx *c, const cJSON *o, const char *p, ltm_channel *ch)
{
    int rc = str_field(c, o, p, "url", 1, URL_MAX, &ch->url);
    if (!rc && !is_http_url(ch->url)) {
        char path[96];
        snprintf(path, sizeof path, "%surl", p);
        return fail(c, path, "expected an http:// or https:// URL");
    }
    if (!rc)
        rc = env_field(c, o, p, "token_env", 0, NULL, &ch->token_env);
    return rc;
}

static int parse_channel(ctx *c, const cJSON *o, const char *p, ltm_channel *ch)
{
    char path[96];
    snprintf(path, sizeof path, "%.80s", p);
    path[strlen(path) - 1] = '\0'; /* drop the trailing dot */
    ch->type = LTM_CHANNEL_SANDBOX;
    if (!o || cJSON_IsNull(o))
        return LTM_OK;
    if (!cJSON_IsObject(o))
        return fail(c, path, "expected an object");
    char *type = NULL;
    int rc = str_field(c, o, p, "type", 0, 32, &type);
    if (rc)
        return rc;
    int found = type == NULL;
    for (int i = 0; type && i < 5; i++) {
        if (strcmp(type, type_names[i]) == 0) {
            ch->type = (ltm_channel_type)i;
            found = 1;
        }
    }
    free(type);
    snprintf(path, sizeof path, "%stype", p);
    if (!found)
        return fail(c, path, "expected sandbox, linkedin, instagram, rapidapi or webhook");
    switch (ch->type) {
    case LTM_CHANNEL_LINKEDIN: return linkedin(c, o, p, ch);
    case LTM_CHANNEL_INSTAGRAM: return instagram(c, o, p, ch);
    case LTM_CHANNEL_RAPIDAPI: return rapidapi(c, o, p, ch);
    case LTM_CHANNEL_WEBHOOK: return webhook(c, o, p, ch);
    default: return LTM_OK;
    }
}

static int parse_images(ctx *c, const cJSON *o, const char *p, int jpeg_only, ltm_image_source *img)
{
    char path[96];
    snprintf(path, sizeof path, "%simage_urls", p);
    const cJSON *urls = cJSON_GetObjectItemCaseSensitive(o, "image_urls");
    if (urls && !cJSON_IsNull(urls)) {
        if (!cJSON_IsArray(urls))
            return fail(c, path, "expected an array of URLs");
        size_t n = (size_t)cJSON_GetArraySize(urls);
        img->urls = calloc(n ? n : 1, sizeof *img->urls);
        if (!img->urls)
            return LTM_ENOMEM;
        const cJSON *u;
        cJSON_ArrayForEach(u, urls)
        {
            snprintf(path, sizeof path, "%simage_urls[%zu]", p, img->count);
            if (!cJSON_IsString(u) || strlen(u->valuestring) > URL_MAX || !is_http_url(u->valuestring))
                return fail(c, path, "expected an http:// or https:// URL");
            if (jpeg_only && !is_jpeg_url(u->valuestring))
                return fail(c, path, "Instagram takes JPEG only: expected a .jpg or .jpeg URL");
            if (!(img->urls[img->count++] = strdup(u->valuestring)))
                return LTM_ENOMEM;
        }
    }
    return str_field(c, o, p, "image_prompt", 0, TEXT_MAX, &img->prompt);
}

static int parse_content(ctx *c, const cJSON *o, ltm_account *a)
{
    if (!o || cJSON_IsNull(o))
        return LTM_OK;
    if (!cJSON_IsObject(o))
        return fail(c, "content", "expected an object");
    int rc = str_field(c, o, "content.", "language", 0, 35, &a->language);
    if (!rc)
        rc = str_field(c, o, "content.", "prompt", 0, TEXT_MAX, &a->prompt);
    const cJSON *themes = cJSON_GetObjectItemCaseSensitive(o, "themes");
    if (!rc && themes && !cJSON_IsNull(themes)) {
        if (!cJSON_IsObject(themes))
            return fail(c, "content.themes", "expected an object keyed by mon..sun");
        const cJSON *t;
        cJSON_ArrayForEach(t, themes)
        {
            int day = -1;
            for (int i = 0; i < 7; i++)
                if (strcmp(t->string, weekdays[i]) == 0)
                    day = i;
            char path[64];
            snprintf(path, sizeof path, "content.themes.%.20s", t->string);
            if (day < 0)
                return fail(c, path, "expected a weekday: mon, tue, wed, thu, fri, sat or sun");
            if (!cJSON_IsString(t) || strlen(t->valuestring) > LTM_THEME_MAX)
                return fail(c, path, "expected a string of at most %d bytes", LTM_THEME_MAX);
            /* JSON lets a key repeat; which one was meant is anyone's guess. */
            if (a->themes[day])
                return fail(c, path, "the same weekday is listed twice");
            if (!(a->themes[day] = strdup(t->valuestring)))
                return LTM_ENOMEM;
        }
    }
    if (!rc)
        rc = parse_images(c, o, "content.", a->channel.type == LTM_CHANNEL_INSTAGRAM, &a->images);
    return rc;
}

static int parse_stories(ctx *c, const cJSON *o, ltm_account *a)
{
    a->stories_channel.type = LTM_CHANNEL_SANDBOX;
    if (!o || cJSON_IsNull(o))
        return LTM_OK;
    if (!cJSON_IsObject(o))
        return fail(c, "stories", "expected an object");
    int rc = parse_channel(c, cJSON_GetObjectItemCaseSensitive(o, "channel"), "stories.channel.",
                           &a->stories_channel);
    if (!rc && !ltm_channel_has_stories(a->stories_channel.type))
        return fail(c, "stories.channel.type", "%s has no stories API; use instagram, webhook or "
                    "sandbox", ltm_channel_type_name(a->stories_channel.type));
    if (!rc)
        rc = parse_images(c, o, "stories.", a->stories_channel.type == LTM_CHANNEL_INSTAGRAM,
                          &a->story_images);
    return rc;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int parse_times(ctx *c, const cJSON *sched, const char *key, int **out, size_t *count)
{
    const cJSON *arr = sched ? cJSON_GetObjectItemCaseSensitive(sched, key) : NULL;
    char field[64];
    snprintf(field, sizeof field, "schedule.%s", key);
    if (!arr || cJSON_IsNull(arr))
        return LTM_OK;
    if (!cJSON_IsArray(arr))
        return fail(c, field, "expected an array of \"HH:MM\"");
    int n = cJSON_GetArraySize(arr);
    if (n > LTM_SCHEDULE_TIMES_MAX)
        return fail(c, field, "more than %d times", LTM_SCHEDULE_TIMES_MAX);
    if (n == 0)
        return LTM_OK;
    int *mins = calloc((size_t)n, sizeof *mins);
    if (!mins)
        return LTM_ENOMEM;
    *out = mins;
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(arr, i);
        snprintf(field, sizeof field, "schedule.%s[%d]", key, i);
        mins[i] = cJSON_IsString(it) ? ltm_time_parse_hhmm(it->valuestring) : -1;
        if (mins[i] < 0)
            return fail(c, field, "expected HH:MM (00:00 to 23:59)");
    }
    qsort(mins, (size_t)n, sizeof *mins, cmp_int);
    *count = (size_t)n;
    snprintf(field, sizeof field, "schedule.%s", key);
    for (int i = 1; i < n; i++)
        if (mins[i] == mins[i - 1])
            return fail(c, field, "the same time is listed twice");
    return LTM_OK;
}

static int parse_weekdays(ctx *c, const cJSON *sched, unsigned *out)
{
    const cJSON *arr = sched ? cJSON_GetObjectItemCaseSensitive(sched, "weekdays") : NULL;
    *out = LTM_ALL_DAYS;
    if (!arr || cJSON_IsNull(arr))
        return LTM_OK;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail(c, "schedule.weekdays",
                    "expected a non-empty array of mon, tue, wed, thu, fri, sat, sun");
    unsigned mask = 0;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        int found = -1;
        for (int d = 0; d < 7 && cJSON_IsString(it); d++)
            if (strcmp(it->valuestring, weekdays[d]) == 0)
                found = d;
        if (found < 0) {
            char field[48];
            snprintf(field, sizeof field, "schedule.weekdays[%d]", i);
            return fail(c, field, "expected one of mon, tue, wed, thu, fri, sat, sun");
        }
        mask |= 1u << found;
        i++;
    }
    *out = mask;
    return LTM_OK;
}

static int parse_schedule(ctx *c, const cJSON *sched, ltm_schedule *s)
{
    if (sched && cJSON_IsNull(sched))
        sched = NULL;
    if (sched && !cJSON_IsObject(sched))
        return fail(c, "schedule", "expected an object");
    int rc = parse_weekdays(c, sched, &s->weekdays);
    if (!rc)
        rc = parse_times(c, sched, "posts", &s->post_minutes, &s->post_count);
    if (!rc)
        rc = parse_times(c, sched, "stories", &s->story_minutes, &s->story_count);
    if (rc || !sched)
        return rc;
    char reason[160];
    long long v = 0;
    if (ltm_json_int(sched, "max_posts_per_day", 0, 1, LTM_SCHEDULE_TIMES_MAX, &v, reason,
                     sizeof reason))
        return fail(c, "schedule.max_posts_per_day", "expected an integer from 1 to %d",
                    LTM_SCHEDULE_TIMES_MAX);
    s->max_posts_per_day = (int)v;
    v = 0;
    if (ltm_json_int(sched, "min_minutes_between_posts", 0, 0, 1440, &v, reason, sizeof reason))
        return fail(c, "schedule.min_minutes_between_posts", "expected an integer from 0 to 1440");
    s->min_minutes_between_posts = (int)v;
    return LTM_OK;
}

/* A zone is checked with the call the scheduler then opens it with, so the
 * workers (which take a theme's weekday there) refuse what it refuses. */
static int known_zone(ctx *c, const char *name)
{
    for (size_t i = 0; i < c->zone_count; i++)
        if (strcmp(g_time_zone_get_identifier(c->zones[i]), name) == 0)
            return LTM_OK;
    GTimeZone *zone = g_time_zone_new_identifier(name);
    if (!zone)
        return LTM_ENOTFOUND;
    GTimeZone **grown = realloc(c->zones, (c->zone_count + 1) * sizeof *grown);
    if (!grown) {
        g_time_zone_unref(zone);
        return LTM_ENOMEM;
    }
    c->zones = grown;
    c->zones[c->zone_count++] = zone;
    return LTM_OK;
}

static int parse_timezone(ctx *c, const cJSON *o, char **out)
{
    const cJSON *tz = cJSON_GetObjectItemCaseSensitive(o, "timezone");
    if (!tz || cJSON_IsNull(tz))
        return LTM_OK;
    if (!cJSON_IsString(tz) || !*tz->valuestring || strlen(tz->valuestring) > 64)
        return fail(c, "timezone", "expected an IANA zone name");
    int rc = known_zone(c, tz->valuestring);
    if (rc == LTM_ENOTFOUND)
        return fail(c, "timezone", "unknown time zone (not in the system tzdata)");
    if (!rc && !(*out = strdup(tz->valuestring)))
        rc = LTM_ENOMEM;
    return rc;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

static int parse_account(ctx *c, const cJSON *o, size_t index, ltm_account *a)
{
    char path[48];
    snprintf(path, sizeof path, "accounts[%zu]", index);
    if (!cJSON_IsObject(o))
        return fail(c, path, "expected an object");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    snprintf(path, sizeof path, "accounts[%zu].name", index);
    if (!cJSON_IsString(name) || !valid_name(name->valuestring))
        return fail(c, path, "expected 1 to 64 of A-Z a-z 0-9 - _ .");
    if (!(a->name = strdup(name->valuestring)))
        return LTM_ENOMEM;
    c->account = a->name;
    char reason[160];
    int rc = parse_timezone(c, o, &a->timezone);
    if (!rc && ltm_json_bool(o, "paused", 0, &a->paused, reason, sizeof reason))
        rc = fail(c, "paused", "expected true or false");
    if (!rc)
        rc = parse_schedule(c, cJSON_GetObjectItemCaseSensitive(o, "schedule"), &a->schedule);
    if (!rc)
        rc = parse_channel(c, cJSON_GetObjectItemCaseSensitive(o, "channel"), "channel.",
                           &a->channel);
    if (!rc)
        rc = parse_content(c, cJSON_GetObjectItemCaseSensitive(o, "content"), a);
    if (!rc)
        rc = parse_stories(c, cJSON_GetObjectItemCaseSensitive(o, "stories"), a);
    return rc;
}

static const ltm_accounts *sort_ctx;

static int cmp_by_name(const void *x, const void *y)
{
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = strcmp(sort_ctx->items[i].name, sort_ctx->items[j].name);
    return c ? c : (i > j) - (i < j);
}

/* Sorted, so a million accounts are checked in O(n log n); the error names
 * the first account (in file order) whose name an earlier one already has. */
static int check_names(ctx *c, const ltm_accounts *a)
{
    if (a->count < 2)
        return LTM_OK;
    size_t *order = malloc(a->count * sizeof *order);
    if (!order)
        return LTM_ENOMEM;
    for (size_t i = 0; i < a->count; i++)
        order[i] = i;
    sort_ctx = a;
    qsort(order, a->count, sizeof *order, cmp_by_name);
    size_t dup = a->count, first = 0;
    for (size_t k = 1, run = 0; k < a->count; k++) {
        if (strcmp(a->items[order[k]].name, a->items[order[run]].name) != 0) {
            run = k;
        } else if (order[k] < dup) {
            dup = order[k];
            first = order[run];
        }
    }
    free(order);
    if (dup == a->count)
        return LTM_OK;
    c->account = a->items[dup].name;
    return fail(c, "name", "the same name is used by accounts[%zu]", first);
}

int ltm_accounts_parse(const char *json, size_t len, ltm_accounts **out, char *err,
                       size_t err_size)
{
    ctx c = {.err = err, .err_size = err_size};
    char reason[160];
    cJSON *root = ltm_json_parse_object(json, len, reason, sizeof reason);
    if (!root) {
        snprintf(err, err_size, "expected a JSON object with an \"accounts\" array (%s)", reason);
        return LTM_EINVAL;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "accounts");
    ltm_accounts *a = calloc(1, sizeof *a);
    int rc = a ? LTM_OK : LTM_ENOMEM;
    if (!rc && !cJSON_IsArray(list))
        rc = fail(&c, "accounts", "expected an array of accounts");
    size_t n = rc ? 0 : (size_t)cJSON_GetArraySize(list);
    if (!rc && n > LTM_ACCOUNTS_MAX)
        rc = fail(&c, "accounts", "more than %d accounts", LTM_ACCOUNTS_MAX);
    if (!rc && !(a->items = calloc(n ? n : 1, sizeof *a->items)))
        rc = LTM_ENOMEM;
    const cJSON *item = rc ? NULL : list->child;
    for (size_t i = 0; !rc && i < n; i++, item = item->next) {
        c.account = NULL;
        a->count = i + 1;
        rc = parse_account(&c, item, i, &a->items[i]);
    }
    if (!rc)
        rc = check_names(&c, a);
    cJSON_Delete(root);
    for (size_t i = 0; i < c.zone_count; i++)
        g_time_zone_unref(c.zones[i]);
    free(c.zones);
    if (rc == LTM_ENOMEM)
        snprintf(err, err_size, "out of memory");
    if (rc) {
        ltm_accounts_free(a);
        return rc;
    }
    *out = a;
    return LTM_OK;
}

int ltm_accounts_load(const char *path, ltm_accounts **out, char *err, size_t err_size)
{
    char *text = NULL;
    size_t len = 0;
    int rc = ltm_read_file(path, LTM_ACCOUNTS_FILE_MAX, &text, &len);
    if (rc != LTM_OK) {
        snprintf(err, err_size, "cannot read the accounts file %s: %s", path,
                 rc == LTM_EFULL ? "larger than 64 MiB" : ltm_strerror(rc));
        return rc == LTM_ENOTFOUND ? LTM_ENOTFOUND : LTM_EINVAL;
    }
    char inner[400];
    rc = ltm_accounts_parse(text, len, out, inner, sizeof inner);
    free(text);
    if (rc)
        snprintf(err, err_size, "accounts file %s: %s", path, inner);
    return rc;
}

static int resolve_channel(ltm_channel *ch, const char *account, const char *field,
                           ltm_env_lookup lookup, void *lctx, char *err, size_t err_size)
{
    if (ch->type == LTM_CHANNEL_SANDBOX || !ch->token_env)
        return LTM_OK;
    const char *v = lookup ? lookup(ch->token_env, lctx) : getenv(ch->token_env);
    if (!v || !*v) {
        snprintf(err, err_size,
                 "account \"%s\": field %s: environment variable %s is not set (live mode "
                 "needs the %s token)",
                 account, field, ch->token_env, ltm_channel_type_name(ch->type));
        return LTM_ECONFIG;
    }
    free(ch->token);
    return (ch->token = strdup(v)) ? LTM_OK : LTM_ENOMEM;
}

static int resolve_all(ltm_accounts *a, ltm_job_kind kind, ltm_env_lookup lookup, void *lctx,
                       size_t *missing, char *err, size_t err_size)
{
    for (size_t i = 0; i < a->count; i++) {
        ltm_account *acc = &a->items[i];
        ltm_channel *ch = kind == LTM_JOB_STORY ? &acc->stories_channel : &acc->channel;
        const char *field = ch->type == LTM_CHANNEL_RAPIDAPI
                                ? (kind == LTM_JOB_STORY ? "stories.channel.key_env" : "channel.key_env")
                                : (kind == LTM_JOB_STORY ? "stories.channel.token_env"
                                                         : "channel.token_env");
        int rc = resolve_channel(ch, acc->name, field, lookup, lctx, err, err_size);
        if (rc == LTM_ECONFIG && missing) {
            (*missing)++;
            continue;
        }
        if (rc)
            return rc;
    }
    return LTM_OK;
}

int ltm_accounts_resolve(ltm_accounts *a, ltm_job_kind kind, ltm_env_lookup lookup, void *lctx,
                         char *err, size_t err_size)
{
    return resolve_all(a, kind, lookup, lctx, NULL, err, err_size);
}

int ltm_accounts_resolve_available(ltm_accounts *a, ltm_job_kind kind, ltm_env_lookup lookup,
                                   void *lctx, size_t *missing)
{
    char unused[300];
    *missing = 0;
    return resolve_all(a, kind, lookup, lctx, missing, unused, sizeof unused);
}

int ltm_channel_token_missing(const ltm_channel *ch)
{
    return ch->type != LTM_CHANNEL_SANDBOX && ch->token_env && !ch->token;
}

const ltm_account *ltm_accounts_find(const ltm_accounts *a, const char *name)
{
    for (size_t i = 0; a && name && i < a->count; i++)
        if (strcmp(a->items[i].name, name) == 0)
            return &a->items[i];
    return NULL;
}

const ltm_channel *ltm_account_channel(const ltm_account *a, ltm_job_kind kind)
{
    return kind == LTM_JOB_STORY ? &a->stories_channel : &a->channel;
}

const ltm_image_source *ltm_account_images(const ltm_account *a, ltm_job_kind kind)
{
    return kind == LTM_JOB_STORY ? &a->story_images : &a->images;
}

static void channel_clear(ltm_channel *ch)
{
    char **fields[] = {&ch->token_env, &ch->token,      &ch->author,      &ch->visibility,
                       &ch->user_id,   &ch->url,        &ch->host,        &ch->path,
                       &ch->text_field, &ch->image_field, &ch->id_field,  &ch->extra_json,
                       &ch->stats_path};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (*fields[i] && fields[i] == &ch->token)
            memset(ch->token, 0, strlen(ch->token));
        free(*fields[i]);
    }
    for (int i = 0; i < LTM_FIGURE_COUNT; i++)
        free(ch->stats_fields[i]);
}

static void images_clear(ltm_image_source *img)
{
    for (size_t i = 0; i < img->count; i++)
        free(img->urls[i]);
    free(img->urls);
    free(img->prompt);
}

void ltm_accounts_free(ltm_accounts *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->count; i++) {
        ltm_account *acc = &a->items[i];
        free(acc->name);
        free(acc->timezone);
        free(acc->language);
        free(acc->prompt);
        free(acc->schedule.post_minutes);
        free(acc->schedule.story_minutes);
        for (int d = 0; d < 7; d++)
            free(acc->themes[d]);
        channel_clear(&acc->channel);
        channel_clear(&acc->stories_channel);
        images_clear(&acc->images);
        images_clear(&acc->story_images);
    }
    free(a->items);
    free(a);
}
