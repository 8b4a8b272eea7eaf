#include "engagement.h"

#include "ltm/error.h"

#include <stdlib.h>
#include <string.h>

const char *const gw_check_status_names[GW_CHECK_STATUSES] = {"read", "gone", "failed",
                                                               "blocked"};

void gw_engagement_init(gw_engagement *e)
{
    memset(e, 0, sizeof *e);
    e->max_posts = GW_MAX_POSTS;
}

void gw_engagement_clear(gw_engagement *e)
{
    for (size_t i = 0; e->posts && i < e->max_posts; i++)
        free(e->posts[i].post_job_id);
    free(e->posts);
    free(e->accounts);
    free(e->buckets);
    free(e->next);
    gw_engagement_init(e);
}

/* The tables are allocated once, on the first engagement result: a gateway
 * of a system without checks keeps nothing. */
static int allocate(gw_engagement *e)
{
    if (e->posts)
        return LTM_OK;
    if (e->max_posts < 1 || e->max_posts > GW_MAX_POSTS)
        e->max_posts = GW_MAX_POSTS;
    size_t nb = 16;
    while (nb < e->max_posts * 2)
        nb <<= 1;
    e->accounts = calloc(GW_MAX_ENGAGEMENT_ACCOUNTS, sizeof *e->accounts);
    e->posts = calloc(e->max_posts, sizeof *e->posts);
    e->buckets = malloc(nb * sizeof *e->buckets);
    e->next = malloc(e->max_posts * sizeof *e->next);
    if (!e->accounts || !e->posts || !e->buckets || !e->next) {
        free(e->accounts);
        free(e->posts);
        free(e->buckets);
        free(e->next);
        e->accounts = NULL;
        e->posts = NULL;
        e->buckets = e->next = NULL;
        return LTM_ENOMEM;
    }
    memset(e->buckets, 0xff, nb * sizeof *e->buckets); /* all -1 */
    e->nbuckets = nb;
    return LTM_OK;
}

static size_t bucket_of(const gw_engagement *e, const char *id)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29)) & (e->nbuckets - 1);
}

static int32_t find(const gw_engagement *e, const char *id)
{
    if (!e->posts)
        return -1;
    for (int32_t i = e->buckets[bucket_of(e, id)]; i >= 0; i = e->next[i]) {
        if (strcmp(e->posts[i].post_job_id, id) == 0)
            return i;
    }
    return -1;
}

const gw_post_reading *gw_engagement_find(const gw_engagement *e, const char *post_job_id)
{
    int32_t i = find(e, post_job_id);
    return i < 0 ? NULL : &e->posts[i];
}

static gw_eng_account *account(gw_engagement *e, const char *name)
{
    for (size_t i = 0; i < e->account_count; i++) {
        if (strcmp(e->accounts[i].name, name) == 0)
            return &e->accounts[i];
    }
    if (e->account_count == GW_MAX_ENGAGEMENT_ACCOUNTS || strlen(name) >= sizeof e->accounts[0].name)
        return NULL;
    gw_eng_account *a = &e->accounts[e->account_count++];
    memset(a, 0, sizeof *a);
    memcpy(a->name, name, strlen(name) + 1);
    return a;
}

/* Adds (sign 1) or removes (sign -1) a post's reading from its account. */
static void contribute(gw_engagement *e, const gw_post_reading *p, int sign)
{
    gw_eng_account *a = &e->accounts[p->account];
    a->posts += (uint64_t)(int64_t)sign;
    for (int i = 0; i < LTM_FIGURE_COUNT; i++) {
        int64_t v = ltm_figure_get(&p->figures, i);
        if (v < 0)
            continue;
        a->sums[i] += sign * v;
        a->offering[i] += (uint64_t)(int64_t)sign;
    }
}

static void unlink_post(gw_engagement *e, int32_t idx)
{
    int32_t *link = &e->buckets[bucket_of(e, e->posts[idx].post_job_id)];
    while (*link != idx)
        link = &e->next[*link];
    *link = e->next[idx];
}

/* The slot for a new post: the next free one, or the oldest post's. */
static int32_t take_slot(gw_engagement *e)
{
    if (e->post_count < e->max_posts)
        return (int32_t)((e->post_head + e->post_count++) % e->max_posts);
    int32_t idx = (int32_t)e->post_head;
    e->post_head = (e->post_head + 1) % e->max_posts;
    contribute(e, &e->posts[idx], -1);
    unlink_post(e, idx);
    free(e->posts[idx].post_job_id);
    e->posts[idx].post_job_id = NULL;
    e->evicted++;
    return idx;
}

static int record_reading(gw_engagement *e, size_t acc, const ltm_result *r)
{
    int32_t idx = find(e, r->post_job_id);
    if (idx >= 0) {
        gw_post_reading *p = &e->posts[idx];
        /* A redelivered or late earlier check does not replace a later one. */
        if (r->age_ms < p->age_ms)
            return LTM_OK;
        contribute(e, p, -1);
        p->account = acc;
        p->age_ms = r->age_ms;
        p->figures = r->figures;
        contribute(e, p, 1);
        return LTM_OK;
    }
    char *id = strdup(r->post_job_id);
    if (!id)
        return LTM_ENOMEM;
    idx = take_slot(e);
    gw_post_reading *p = &e->posts[idx];
    p->post_job_id = id;
    p->account = acc;
    p->age_ms = r->age_ms;
    p->figures = r->figures;
    size_t b = bucket_of(e, id);
    e->next[idx] = e->buckets[b];
    e->buckets[b] = idx;
    contribute(e, p, 1);
    return LTM_OK;
}

int gw_engagement_add(gw_engagement *e, const ltm_result *r)
{
    if (r->kind != LTM_JOB_ENGAGEMENT || !r->account)
        return LTM_OK;
    if (allocate(e) != LTM_OK)
        return LTM_ENOMEM;
    gw_eng_account *a = account(e, r->account);
    if (!a) {
        e->accounts_dropped++;
        return LTM_OK;
    }
    int status = r->status == LTM_RESULT_READ   ? GW_CHECK_READ
                 : r->status == LTM_RESULT_GONE ? GW_CHECK_GONE
                 : ltm_result_class_blocked(r->error_class) ? GW_CHECK_BLOCKED
                                                 : GW_CHECK_FAILED;
    if (status == GW_CHECK_READ && r->has_figures && r->post_job_id) {
        int rc = record_reading(e, (size_t)(a - e->accounts), r);
        if (rc != LTM_OK)
            return rc;
    }
    a->checks[status]++;
    return LTM_OK;
}
