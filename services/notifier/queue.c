#include "queue.h"
#include "engine.h"
#include "text.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void ntf_queue_init(ntf_queue *q, size_t max, size_t max_text)
{
    memset(q, 0, sizeof *q);
    q->max = max < 3 ? 3 : max;
    q->max_text = max_text;
    q->next_id = 1;
}

void ntf_queue_clear(ntf_queue *q)
{
    for (size_t i = 0; i < q->count; i++)
        free(q->items[i].text);
    free(q->items);
    q->items = NULL;
    q->count = 0;
}

/* What a summary keeps of an entry: its text without tags, on one line
 * (line breaks become " / "), at most 300 bytes. A summary entry contributes
 * its own lines. */
static void headline(ntf_buf *b, const ntf_entry *e)
{
    if (e->merged > 1) {
        const char *body = strchr(e->text, '\n');
        ntf_buf_printf(b, "%s", body ? body : "");
        return;
    }
    char *plain = ntf_html_to_plain(e->text);
    if (!plain) {
        b->failed = 1;
        return;
    }
    /* One line: runs of blanks become one space, line breaks " / ". */
    ntf_buf flat = {0};
    int gap = 0;
    for (const char *p = plain; *p && flat.len < 300; p++) {
        if (*p == '\n' || *p == ' ' || *p == '\t') {
            gap |= *p == '\n' ? 2 : 1;
            continue;
        }
        if (gap && flat.len)
            ntf_buf_printf(&flat, "%s", gap & 2 ? " / " : " ");
        gap = 0;
        ntf_buf_printf(&flat, "%c", *p);
    }
    char *line = ntf_buf_finish(&flat);
    if (!line) {
        free(plain);
        b->failed = 1;
        return;
    }
    size_t n = strlen(line);
    int cut = n >= 300;
    while (n > 0 && ((unsigned char)line[n - 1] & 0xC0) == 0x80)
        n--; /* a continuation byte at the end: drop the whole character */
    if (n > 0 && ((unsigned char)line[n - 1] & 0xC0) == 0xC0)
        n--;
    if (!cut)
        n = strlen(line);
    line[n] = '\0';
    ntf_buf_printf(b, "\n- ");
    ntf_buf_escaped(b, line);
    if (cut)
        ntf_buf_printf(b, " ...");
    free(line);
    free(plain);
}

static int merge_pair(ntf_queue *q, size_t i, size_t j)
{
    ntf_entry *a = &q->items[i], *c = &q->items[j];
    unsigned merged = a->merged + c->merged;
    uint64_t originals = (a->merged == 1) + (c->merged == 1);
    ntf_buf body = {0};
    headline(&body, a);
    headline(&body, c);
    char *lines = ntf_buf_finish(&body);
    if (!lines)
        return LTM_ENOMEM;
    ntf_buf b = {0};
    ntf_buf_printf(&b, "<b>%u notifications summarised</b> (the queue was full while Telegram "
                       "could not be reached)\n%s",
                   merged, lines[0] == '\n' ? lines + 1 : lines);
    free(lines);
    char *text = ntf_buf_finish(&b);
    if (!text)
        return LTM_ENOMEM;
    if (strlen(text) > q->max_text) {
        /* Keep the count exact even when the headlines no longer fit. */
        size_t cut = q->max_text - 32;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
        char *nl = memrchr(text, '\n', cut);
        if (nl)
            cut = (size_t)(nl - text);
        memcpy(text + cut, "\n- ...", 7);
    }
    free(a->text);
    a->text = text;
    a->severity = a->severity > c->severity ? a->severity : c->severity;
    a->merged = merged;
    a->plain = 0;
    free(c->text);
    memmove(c, c + 1, (q->count - j - 1) * sizeof *c);
    q->count--;
    q->summarised += originals;
    return LTM_OK;
}

/* Frees one slot by merging the two oldest entries of the lowest severity
 * present (or, if that severity has one entry, it and the next oldest one). */
static int make_room(ntf_queue *q)
{
    int low = NTF_CRITICAL;
    for (size_t i = q->head_busy ? 1 : 0; i < q->count; i++) {
        if (q->items[i].severity < low)
            low = q->items[i].severity;
    }
    size_t first = q->count, second = q->count;
    for (int sev = low; sev <= NTF_CRITICAL && second == q->count; sev++) {
        for (size_t i = 0; i < q->count && second == q->count; i++) {
            if (q->items[i].severity > sev || i == first || (i == 0 && q->head_busy))
                continue;
            if (first == q->count)
                first = i;
            else
                second = i;
        }
    }
    if (second == q->count)
        return LTM_EFULL;
    return first < second ? merge_pair(q, first, second) : merge_pair(q, second, first);
}

int ntf_queue_push(ntf_queue *q, int severity, const char *text, int64_t now_ms)
{
    ntf_entry *p = realloc(q->items, (q->count + 1) * sizeof *p);
    if (!p)
        return LTM_ENOMEM;
    q->items = p;
    ntf_entry *e = &q->items[q->count];
    memset(e, 0, sizeof *e);
    e->text = strdup(text);
    if (!e->text)
        return LTM_ENOMEM;
    e->id = q->next_id++;
    e->severity = severity;
    e->created_ms = now_ms;
    e->merged = 1;
    q->count++;
    /* Room is made with the new entry already in: a warning arriving at a
     * queue that holds one other warning and a critical merges with that
     * warning, instead of the critical being folded into a summary. */
    if (q->count > q->max) {
        int rc = make_room(q);
        if (rc != LTM_OK) {
            free(q->items[--q->count].text);
            return rc;
        }
    }
    return LTM_OK;
}

ntf_entry *ntf_queue_head(ntf_queue *q) { return q->count ? &q->items[0] : NULL; }

void ntf_queue_pop(ntf_queue *q)
{
    q->head_busy = 0;
    if (!q->count)
        return;
    free(q->items[0].text);
    memmove(&q->items[0], &q->items[1], (q->count - 1) * sizeof *q->items);
    q->count--;
}

char *ntf_queue_serialize(const ntf_queue *q)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "entries");
    if (!arr) {
        cJSON_Delete(root);
        return NULL;
    }
    cJSON_AddNumberToObject(root, "next_id", (double)q->next_id);
    cJSON_AddNumberToObject(root, "summarised", (double)q->summarised);
    for (size_t i = 0; i < q->count; i++) {
        const ntf_entry *e = &q->items[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddNumberToObject(o, "id", (double)e->id);
        ltm_json_add_str(o, "severity", ntf_severity_name(e->severity));
        ltm_json_add_str(o, "text", e->text);
        cJSON_AddNumberToObject(o, "created_ms", (double)e->created_ms);
        cJSON_AddNumberToObject(o, "attempts", e->attempts);
        cJSON_AddBoolToObject(o, "plain", e->plain);
        cJSON_AddNumberToObject(o, "merged", e->merged);
    }
    return ltm_json_finish(root);
}

/* A count or an instant from the file, 0 when absent or out of 0..max
 * (ltm_json_count already refuses what a double cannot hold exactly). */
static int64_t number(const cJSON *o, const char *key, int64_t max)
{
    int64_t v = ltm_json_count(cJSON_GetObjectItemCaseSensitive(o, key));
    return v <= max ? v : 0;
}

int ntf_queue_parse(ntf_queue *q, const char *json, size_t len)
{
    char reason[128];
    cJSON *root = ltm_json_parse_object(json, len, reason, sizeof reason);
    const cJSON *arr = root ? cJSON_GetObjectItemCaseSensitive(root, "entries") : NULL;
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return LTM_EINVAL;
    }
    q->next_id = (uint64_t)number(root, "next_id", INT64_MAX);
    q->summarised = (uint64_t)number(root, "summarised", INT64_MAX);
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "text"));
        if (!text || q->count >= q->max)
            continue;
        int sev = ntf_severity_parse(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "severity")));
        if (ntf_queue_push(q, sev, text, number(o, "created_ms", INT64_MAX)) != LTM_OK) {
            cJSON_Delete(root);
            ntf_queue_clear(q);
            return LTM_ENOMEM;
        }
        ntf_entry *e = &q->items[q->count - 1];
        e->id = (uint64_t)number(o, "id", INT64_MAX);
        e->attempts = (int)number(o, "attempts", INT_MAX);
        e->plain = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "plain"));
        e->merged = number(o, "merged", UINT_MAX) >= 1 ? (unsigned)number(o, "merged", UINT_MAX) : 1;
        if (e->id >= q->next_id)
            q->next_id = e->id + 1;
    }
    cJSON_Delete(root);
    return LTM_OK;
}
