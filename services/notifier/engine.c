#include "engine.h"
#include "text.h"

#include "ltm/error.h"
#include "ltm/json.h"
#include "ltm/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *severity_names[] = {"info", "warning", "critical"};

int ntf_severity_parse(const char *text)
{
    for (int i = 0; text && i < 3; i++) {
        if (strcmp(text, severity_names[i]) == 0)
            return i;
    }
    return NTF_WARNING;
}

const char *ntf_severity_name(int severity)
{
    return severity >= 0 && severity < 3 ? severity_names[severity] : "warning";
}

void ntf_engine_init(ntf_engine *e, const ntf_engine_opts *opts)
{
    memset(e, 0, sizeof *e);
    e->opts = *opts;
}

static void remove_at(ntf_engine *e, size_t i)
{
    free(e->items[i].summary);
    memmove(&e->items[i], &e->items[i + 1], (e->count - i - 1) * sizeof *e->items);
    e->count--;
}

void ntf_engine_clear(ntf_engine *e)
{
    for (size_t i = 0; i < e->count; i++)
        free(e->items[i].summary);
    free(e->items);
    e->items = NULL;
    e->count = e->cap = 0;
    e->flush_at_ms = 0;
}

static ntf_alert *find(const ntf_engine *e, const char *key)
{
    for (size_t i = 0; i < e->count; i++) {
        if (strcmp(e->items[i].key, key) == 0)
            return &e->items[i];
    }
    return NULL;
}

const ntf_alert *ntf_engine_find(const ntf_engine *e, const char *key) { return find(e, key); }

int ntf_engine_is_firing(const ntf_engine *e, const char *key)
{
    const ntf_alert *a = find(e, key);
    return a && a->firing;
}

static ntf_alert *add(ntf_engine *e, const char *key)
{
    if (e->count == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        ntf_alert *p = realloc(e->items, cap * sizeof *p);
        if (!p)
            return NULL;
        e->items = p;
        e->cap = cap;
    }
    ntf_alert *a = &e->items[e->count++];
    memset(a, 0, sizeof *a);
    snprintf(a->key, sizeof a->key, "%s", key);
    return a;
}

static int set_summary(ntf_alert *a, const char *summary)
{
    if (!summary)
        return LTM_OK;
    char *s = strdup(summary);
    if (!s)
        return LTM_ENOMEM;
    free(a->summary);
    a->summary = s;
    return LTM_OK;
}

static void open_window(ntf_engine *e, int64_t now_ms)
{
    if (e->flush_at_ms == 0)
        e->flush_at_ms = now_ms + e->opts.group_wait_ms;
}

int ntf_engine_fire(ntf_engine *e, const char *key, int severity, const char *summary,
                    const char *source, int64_t since_ms, int64_t now_ms)
{
    ntf_alert *a = find(e, key);
    if (!a) {
        a = add(e, key);
        if (!a)
            return LTM_ENOMEM;
    }
    if (!a->firing) {
        if (a->resolved_pending && a->notified) {
            /* Flapped back before the resolved message went out: the episode
             * simply continues, nobody needs two messages. */
            a->resolved_pending = 0;
        } else {
            a->notified = 0;
            a->resolved_pending = 0;
            a->total = a->unsent = 0;
            a->since_ms = since_ms > 0 && since_ms <= now_ms ? since_ms : now_ms;
            open_window(e, now_ms);
        }
        a->firing = 1;
    }
    if (severity > a->severity || !a->notified)
        a->severity = severity;
    if (source)
        snprintf(a->source, sizeof a->source, "%s", source);
    a->last_ms = now_ms;
    a->total++;
    a->unsent++;
    return set_summary(a, summary);
}

int ntf_engine_resolve(ntf_engine *e, const char *key, const char *summary, int64_t now_ms)
{
    ntf_alert *a = find(e, key);
    if (!a || !a->firing)
        return LTM_ENOTFOUND;
    a->firing = 0;
    a->resolved_pending = 1;
    a->resolved_ms = now_ms;
    open_window(e, now_ms);
    return set_summary(a, summary);
}

static int repeat_due(const ntf_engine *e, const ntf_alert *a, int64_t now_ms)
{
    return a->firing && a->notified && now_ms >= a->last_sent_ms + e->opts.repeat_interval_ms;
}

int64_t ntf_engine_next_due(const ntf_engine *e)
{
    int64_t due = e->flush_at_ms;
    for (size_t i = 0; i < e->count; i++) {
        const ntf_alert *a = &e->items[i];
        if (a->firing && a->notified) {
            int64_t t = a->last_sent_ms + e->opts.repeat_interval_ms;
            if (due == 0 || t < due)
                due = t;
        }
    }
    return due;
}

static void clock_text(int64_t ms, char out[LTM_ISO_SIZE])
{
    /* "2026-11-25T18:41:44.123Z" -> "2026-11-25 18:41 UTC": enough on a phone. */
    char iso[LTM_ISO_SIZE];
    ltm_time_format_iso(ms, iso);
    snprintf(out, LTM_ISO_SIZE, "%.10s %.5s UTC", iso, iso + 11);
}

static void render_line(ntf_buf *b, const ntf_alert *a, const char *tag)
{
    char since[LTM_ISO_SIZE];
    clock_text(a->since_ms, since);
    ntf_buf_printf(b, "\n[%s] <b>", tag);
    ntf_buf_escaped(b, a->key);
    ntf_buf_printf(b, "</b>: ");
    ntf_buf_escaped(b, a->summary ? a->summary : "(no summary)");
    ntf_buf_printf(b, "\n    since %s", since);
    if (a->source[0]) {
        ntf_buf_printf(b, ", from ");
        ntf_buf_escaped(b, a->source);
    }
}

/* Which alerts go into this message: 1 new, 2 repeat, 3 resolved, 0 none. */
static int role(const ntf_engine *e, const ntf_alert *a, int64_t now_ms, int window_closed)
{
    if (window_closed && a->resolved_pending)
        return 3;
    if (window_closed && a->firing && !a->notified)
        return 1;
    if (repeat_due(e, a, now_ms))
        return 2;
    return 0;
}

static void render_section(ntf_buf *b, const ntf_engine *e, int64_t now_ms, int window_closed,
                           int want, int *severity)
{
    static const char *titles[] = {"", "Firing", "Still firing", "Resolved"};
    int first = 1;
    for (size_t i = 0; i < e->count; i++) {
        const ntf_alert *a = &e->items[i];
        if (role(e, a, now_ms, window_closed) != want)
            continue;
        if (first)
            ntf_buf_printf(b, "\n\n<b>%s</b>", titles[want]);
        first = 0;
        if (want == 3) {
            char at[LTM_ISO_SIZE];
            clock_text(a->resolved_ms, at);
            render_line(b, a, "RESOLVED");
            ntf_buf_printf(b, ", resolved %s after %llu occurrence%s%s", at,
                           (unsigned long long)a->total, a->total == 1 ? "" : "s",
                           a->notified ? "" : " (fired and resolved within the group window)");
            continue;
        }
        char tag[16];
        snprintf(tag, sizeof tag, "%s", ntf_severity_name(a->severity));
        for (char *p = tag; *p; p++)
            *p = (char)(*p - 32 * (*p >= 'a' && *p <= 'z'));
        render_line(b, a, tag);
        if (want == 2)
            ntf_buf_printf(b, "; %llu repeat%s suppressed since the last message, %llu in total",
                           (unsigned long long)(a->unsent), a->unsent == 1 ? "" : "s",
                           (unsigned long long)a->total);
        else if (a->total > 1)
            ntf_buf_printf(b, "; %llu occurrences", (unsigned long long)a->total);
        if (a->severity > *severity)
            *severity = a->severity;
    }
}

/* The first line is what a phone shows in its notification: the counts and
 * the first keys, e.g. "LTM alerts: 2 firing, 1 resolved: host.cpu, host.disk:/, ...". */
static void headline(ntf_buf *b, const ntf_engine *e, int64_t now_ms, int window_closed,
                     const size_t counts[4])
{
    static const char *names[] = {"", "firing", "still firing", "resolved"};
    ntf_buf_printf(b, "<b>LTM alerts</b>:");
    const char *sep = " ";
    for (int i = 1; i <= 3; i++) {
        if (counts[i]) {
            ntf_buf_printf(b, "%s%zu %s", sep, counts[i], names[i]);
            sep = ", ";
        }
    }
    size_t shown = 0, total = counts[1] + counts[2] + counts[3];
    for (int want = 1; want <= 3; want++) {
        for (size_t i = 0; i < e->count && shown < 3; i++) {
            if (role(e, &e->items[i], now_ms, window_closed) != want)
                continue;
            ntf_buf_printf(b, shown ? ", " : ": ");
            ntf_buf_escaped(b, e->items[i].key);
            shown++;
        }
    }
    if (total > shown)
        ntf_buf_printf(b, ", ...");
}

char *ntf_engine_flush(ntf_engine *e, int64_t now_ms, int *severity)
{
    int window_closed = e->flush_at_ms != 0 && now_ms >= e->flush_at_ms;
    size_t counts[4] = {0};
    for (size_t i = 0; i < e->count; i++)
        counts[role(e, &e->items[i], now_ms, window_closed)]++;
    *severity = NTF_INFO;
    if (window_closed)
        e->flush_at_ms = 0;
    if (counts[1] + counts[2] + counts[3] == 0)
        return NULL;
    ntf_buf b = {0};
    headline(&b, e, now_ms, window_closed, counts);
    for (int want = 1; want <= 3; want++)
        render_section(&b, e, now_ms, window_closed, want, severity);
    char *text = ntf_buf_finish(&b);
    if (!text) {
        *severity = -1;
        return NULL;
    }
    for (size_t i = 0; i < e->count;) {
        ntf_alert *a = &e->items[i];
        int r = role(e, a, now_ms, window_closed);
        if (r == 3) {
            remove_at(e, i);
            continue;
        }
        if (r == 1 || r == 2) {
            a->notified = 1;
            a->last_sent_ms = now_ms;
            a->unsent = 0;
        }
        i++;
    }
    return text;
}

cJSON *ntf_engine_to_json(const ntf_engine *e)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < e->count; i++) {
        const ntf_alert *a = &e->items[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
        ltm_json_add_str(o, "key", a->key);
        ltm_json_add_str(o, "source", a->source);
        ltm_json_add_str(o, "severity", ntf_severity_name(a->severity));
        ltm_json_add_str(o, "summary", a->summary);
        cJSON_AddBoolToObject(o, "firing", a->firing);
        cJSON_AddBoolToObject(o, "notified", a->notified);
        cJSON_AddBoolToObject(o, "resolved_pending", a->resolved_pending);
        cJSON_AddNumberToObject(o, "since_ms", (double)a->since_ms);
        cJSON_AddNumberToObject(o, "last_ms", (double)a->last_ms);
        cJSON_AddNumberToObject(o, "resolved_ms", (double)a->resolved_ms);
        cJSON_AddNumberToObject(o, "last_sent_ms", (double)a->last_sent_ms);
        cJSON_AddNumberToObject(o, "total", (double)a->total);
        cJSON_AddNumberToObject(o, "unsent", (double)a->unsent);
    }
    return arr;
}

static int64_t num(const cJSON *o, const char *key)
{
    return ltm_json_count(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int flag(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int ntf_engine_from_json(ntf_engine *e, const cJSON *array, size_t *skipped)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, array)
    {
        const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "key"));
        if (!key || !*key || strlen(key) >= sizeof e->items->key || find(e, key)) {
            (*skipped)++;
            continue;
        }
        ntf_alert *a = add(e, key);
        if (!a)
            return LTM_ENOMEM;
        const char *source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "source"));
        snprintf(a->source, sizeof a->source, "%s", source ? source : "");
        a->severity = ntf_severity_parse(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "severity")));
        if (set_summary(a, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "summary"))))
            return LTM_ENOMEM;
        a->firing = flag(o, "firing");
        a->notified = flag(o, "notified");
        a->resolved_pending = flag(o, "resolved_pending");
        a->since_ms = num(o, "since_ms");
        a->last_ms = num(o, "last_ms");
        a->resolved_ms = num(o, "resolved_ms");
        a->last_sent_ms = num(o, "last_sent_ms");
        a->total = (uint64_t)num(o, "total");
        a->unsent = (uint64_t)num(o, "unsent");
        /* A change that was waiting for its group window when we stopped
         * has waited long enough: it goes out right after the restart. */
        if ((a->firing && !a->notified) || a->resolved_pending)
            e->flush_at_ms = 1;
    }
    return LTM_OK;
}
