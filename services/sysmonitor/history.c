#include "history.h"

#include "ltm/error.h"
#include "ltm/json.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS (86400LL * 1000)

/* Entries live in an array in insertion order; an open-addressing table of
 * indices (slot value = index + 1, 0 = empty) finds job_id + attempt in O(1)
 * so a duplicate check does not scan 100k entries. The table is rebuilt
 * whenever entries are removed, which happens in batches. */
struct history {
    history_entry *entries;
    size_t count, cap;
    uint32_t *slots;
    size_t nslots; /* power of two, at least twice cap */
    int64_t retention_ms;
    size_t max_entries;
};

static uint64_t key_hash(const char *job_id, int attempt)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)job_id; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h ^= (uint64_t)attempt * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static size_t find_slot(const history *h, const char *job_id, int attempt, int *found)
{
    size_t mask = h->nslots - 1;
    size_t i = (size_t)key_hash(job_id, attempt) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t v = h->slots[i];
        if (v == 0) {
            *found = 0;
            return i;
        }
        const history_entry *e = &h->entries[v - 1];
        if (e->attempt == attempt && strcmp(e->job_id, job_id) == 0) {
            *found = 1;
            return i;
        }
    }
}

static void rebuild_index(history *h)
{
    memset(h->slots, 0, h->nslots * sizeof *h->slots);
    for (size_t k = 0; k < h->count; k++) {
        int found;
        size_t i = find_slot(h, h->entries[k].job_id, h->entries[k].attempt, &found);
        h->slots[i] = (uint32_t)(k + 1);
    }
}

static int grow(history *h)
{
    size_t cap = h->cap ? h->cap * 2 : 256;
    history_entry *entries = realloc(h->entries, cap * sizeof *entries);
    if (!entries)
        return LTM_ENOMEM;
    h->entries = entries;
    size_t nslots = 1;
    while (nslots < cap * 2)
        nslots <<= 1;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return LTM_ENOMEM;
    free(h->slots);
    h->slots = slots;
    h->nslots = nslots;
    h->cap = cap;
    rebuild_index(h);
    return LTM_OK;
}

int history_new(int64_t retention_ms, size_t max_entries, history **out)
{
    history *h = calloc(1, sizeof *h);
    if (!h)
        return LTM_ENOMEM;
    h->retention_ms = retention_ms;
    h->max_entries = max_entries < 1 ? 1 : max_entries;
    if (max_entries > UINT32_MAX / 4 || grow(h) != LTM_OK) {
        history_free(h);
        return LTM_ENOMEM;
    }
    *out = h;
    return LTM_OK;
}

static void entry_clear(history_entry *e)
{
    free(e->job_id);
    free(e->account);
    free(e->error_class);
}

void history_free(history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->count; i++)
        entry_clear(&h->entries[i]);
    free(h->entries);
    free(h->slots);
    free(h);
}

/* Removes the first drop_first entries and those finished before cutoff_ms,
 * keeping the order. */
static size_t compact(history *h, int64_t cutoff_ms, size_t drop_first)
{
    size_t w = 0;
    for (size_t r = 0; r < h->count; r++) {
        history_entry *e = &h->entries[r];
        if (r < drop_first || e->finished_ms < cutoff_ms)
            entry_clear(e);
        else
            h->entries[w++] = *e;
    }
    size_t dropped = h->count - w;
    h->count = w;
    if (dropped)
        rebuild_index(h);
    return dropped;
}

size_t history_prune(history *h, int64_t now_ms)
{
    size_t over = h->count > h->max_entries ? h->count - h->max_entries : 0;
    return compact(h, now_ms - h->retention_ms, over);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int history_add(history *h, const history_entry *e, int64_t now_ms, int *added)
{
    *added = 0;
    if (e->finished_ms < now_ms - h->retention_ms || e->kind == LTM_JOB_ENGAGEMENT)
        return LTM_OK;
    int found;
    find_slot(h, e->job_id, e->attempt, &found);
    if (found)
        return LTM_OK;
    if (h->count >= h->max_entries) /* drop a batch so the index is not rebuilt per add */
        compact(h, INT64_MIN, h->count - h->max_entries + 1 + h->max_entries / 16);
    if (h->count == h->cap && grow(h) != LTM_OK)
        return LTM_ENOMEM;
    history_entry copy = *e;
    copy.job_id = strdup(e->job_id);
    copy.account = dup_or_null(e->account);
    copy.error_class = dup_or_null(e->error_class);
    if (!copy.job_id || (e->account && !copy.account) || (e->error_class && !copy.error_class)) {
        entry_clear(&copy);
        return LTM_ENOMEM;
    }
    size_t slot = find_slot(h, e->job_id, e->attempt, &found);
    h->entries[h->count] = copy;
    h->slots[slot] = (uint32_t)(++h->count);
    *added = 1;
    return LTM_OK;
}

int history_takes_result(const ltm_result *r)
{
    return r->kind != LTM_JOB_ENGAGEMENT;
}

int history_add_result(history *h, const ltm_result *r, int64_t received_ms, int *added)
{
    if (!history_takes_result(r)) {
        *added = 0;
        return LTM_OK;
    }
    history_entry e = {
        .job_id = r->job_id,
        .account = r->account,
        .error_class = r->error_class,
        .kind = r->kind,
        .status = r->status,
        .attempt = r->attempt,
        .final = r->final,
        .finished_ms = r->finished_ms,
        .generate_ms = r->generate_ms,
        .image_ms = r->image_ms,
        .publish_ms = r->publish_ms,
    };
    if (e.finished_ms <= 0 || e.finished_ms > received_ms + DAY_MS)
        e.finished_ms = received_ms;
    return history_add(h, &e, received_ms, added);
}

size_t history_count(const history *h) { return h->count; }
const history_entry *history_entries(const history *h) { return h->entries; }

int64_t history_duration_ms(const history_entry *e)
{
    return e->generate_ms + e->image_ms + e->publish_ms;
}

static cJSON *entry_to_json(const history_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int rc = ltm_json_add_str(o, "job_id", e->job_id);
    rc |= cJSON_AddNumberToObject(o, "attempt", e->attempt) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_str(o, "kind", ltm_job_kind_name(e->kind));
    rc |= ltm_json_add_str(o, "account", e->account);
    rc |= ltm_json_add_str(o, "status", ltm_result_status_name(e->status));
    rc |= ltm_json_add_str(o, "error_class", e->error_class);
    rc |= cJSON_AddBoolToObject(o, "final", e->final) ? 0 : LTM_ENOMEM;
    rc |= ltm_json_add_time(o, "finished_at", e->finished_ms);
    rc |= cJSON_AddNumberToObject(o, "generate_ms", (double)e->generate_ms) ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddNumberToObject(o, "image_ms", (double)e->image_ms) ? 0 : LTM_ENOMEM;
    rc |= cJSON_AddNumberToObject(o, "publish_ms", (double)e->publish_ms) ? 0 : LTM_ENOMEM;
    if (rc) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

char *history_entry_to_text(const history_entry *e)
{
    cJSON *o = entry_to_json(e);
    return o ? ltm_json_finish(o) : NULL;
}

cJSON *history_to_json(const history *h)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < h->count; i++) {
        cJSON *o = entry_to_json(&h->entries[i]);
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* The saved file is our own, but it sits on disk where anything may have
 * happened to it, so each entry is checked like a message. */
static int entry_from_json(const cJSON *o, history_entry *e, char **kind, char **status)
{
    char reason[LTM_REASON_SIZE];
    long long attempt = 0, g = 0, im = 0, pub = 0;
    int final = 0;
    int rc = ltm_json_str(o, "job_id", 1, 200, &e->job_id, reason, sizeof reason);
    rc = rc ? rc : ltm_json_int(o, "attempt", 1, 1, 100, &attempt, reason, sizeof reason);
    rc = rc ? rc : ltm_json_str(o, "kind", 1, 16, kind, reason, sizeof reason);
    rc = rc ? rc : ltm_json_str(o, "account", 0, 64, &e->account, reason, sizeof reason);
    rc = rc ? rc : ltm_json_str(o, "status", 1, 16, status, reason, sizeof reason);
    rc = rc ? rc : ltm_json_str(o, "error_class", 0, 32, &e->error_class, reason, sizeof reason);
    rc = rc ? rc : ltm_json_bool(o, "final", 0, &final, reason, sizeof reason);
    rc = rc ? rc : ltm_json_time(o, "finished_at", 1, &e->finished_ms, reason, sizeof reason);
    rc = rc ? rc : ltm_json_int(o, "generate_ms", 0, 0, DAY_MS, &g, reason, sizeof reason);
    rc = rc ? rc : ltm_json_int(o, "image_ms", 0, 0, DAY_MS, &im, reason, sizeof reason);
    rc = rc ? rc : ltm_json_int(o, "publish_ms", 0, 0, DAY_MS, &pub, reason, sizeof reason);
    if (!rc && (ltm_job_kind_parse(*kind, &e->kind) != LTM_OK ||
                ltm_result_status_parse(*status, &e->status) != LTM_OK))
        rc = LTM_EINVAL;
    e->attempt = (int)attempt;
    e->final = final;
    e->generate_ms = g;
    e->image_ms = im;
    e->publish_ms = pub;
    return rc;
}

int history_add_json(history *h, const cJSON *o, int64_t now_ms)
{
    history_entry e = {0};
    char *kind = NULL, *status = NULL;
    int rc = entry_from_json(o, &e, &kind, &status);
    int added = 0;
    if (rc == LTM_OK)
        rc = history_add(h, &e, now_ms, &added);
    free(kind);
    free(status);
    entry_clear(&e);
    return rc == LTM_OK || rc == LTM_ENOMEM ? rc : LTM_EINVAL;
}

int history_from_json(history *h, const cJSON *array, int64_t now_ms, size_t *skipped)
{
    *skipped = 0;
    if (!cJSON_IsArray(array))
        return LTM_EINVAL;
    const cJSON *o;
    cJSON_ArrayForEach(o, array)
    {
        int rc = history_add_json(h, o, now_ms);
        if (rc == LTM_ENOMEM)
            return rc;
        if (rc != LTM_OK)
            (*skipped)++;
    }
    return LTM_OK;
}
