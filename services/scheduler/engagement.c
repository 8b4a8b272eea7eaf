#include "engagement.h"

#include "ltm/config.h"
#include "ltm/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YEAR_MS (365 * ENGAGEMENT_DAY_MS)

/* The next comma-separated token of *p, without surrounding blanks, into
 * out; 0 when it does not fit. */
static int next_token(const char **p, char *out, size_t size)
{
    const char *s = *p;
    const char *comma = strchr(s, ',');
    const char *end = comma ? comma : s + strlen(s);
    *p = comma ? comma + 1 : end;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if ((size_t)(end - s) >= size)
        return 0;
    memcpy(out, s, (size_t)(end - s));
    out[end - s] = '\0';
    return 1;
}

static int by_age(const void *a, const void *b)
{
    int64_t x = ((const engagement_age *)a)->ms, y = ((const engagement_age *)b)->ms;
    return (x > y) - (x < y);
}

int engagement_ages_parse(const char *text, int64_t below_ms, engagement_ages *out, char *err,
                          size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (text && strcmp(text, "off") == 0)
        return LTM_OK;
    if (!text || !*text) {
        snprintf(err, err_size, "a comma-separated list of ages such as 1h,24h,7d, or off");
        return LTM_EINVAL;
    }
    const char *p = text;
    do {
        char token[64];
        long long ms = 0;
        if (out->count == ENGAGEMENT_AGES_MAX) {
            snprintf(err, err_size, "at most %d ages", ENGAGEMENT_AGES_MAX);
            return LTM_EINVAL;
        }
        /* The label ends up in job ids: digits, a dot and the unit only. */
        if (!next_token(&p, token, sizeof out->items[0].label) || !*token ||
            strspn(token, "0123456789.msdh") != strlen(token) ||
            ltm_parse_duration_ms(token, &ms) != LTM_OK) {
            snprintf(err, err_size, "a comma-separated list of ages such as 1h,24h,7d, or off");
            return LTM_EINVAL;
        }
        if (ms < 1000 || ms > YEAR_MS) {
            snprintf(err, err_size, "ages from 1s to 365d (%s)", token);
            return LTM_EINVAL;
        }
        if (below_ms > 0 && ms >= below_ms) {
            snprintf(err, err_size, "ages under %lld h: a story's insights live 24 h (%s)",
                     (long long)(below_ms / 3600000), token);
            return LTM_EINVAL;
        }
        for (int i = 0; i < out->count; i++) {
            if (out->items[i].ms == ms) {
                snprintf(err, err_size, "distinct ages (%s and %s are the same)",
                         out->items[i].label, token);
                return LTM_EINVAL;
            }
        }
        engagement_age *a = &out->items[out->count++];
        a->ms = ms;
        snprintf(a->label, sizeof a->label, "%.*s", (int)sizeof a->label - 1, token);
    } while (*p || p[-1] == ',');
    qsort(out->items, (size_t)out->count, sizeof out->items[0], by_age);
    return LTM_OK;
}

static const struct {
    const char *channel;
    int cost;
} channels[] = {
    /* One call per metric: impressions, members reached, reactions,
     * comments, reposts (docs/research/traffic-apis.md, LinkedIn). */
    {"linkedin", 5},
    /* Insights, at most one retry without refused metrics, and a lookup
     * of the media when the answer says it does not exist. */
    {"instagram", 3},
    {"rapidapi", 1},
    {"sandbox", 1},
};

int engagement_check_cost(const char *channel)
{
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        if (strcmp(channel, channels[i].channel) == 0)
            return channels[i].cost;
    }
    return 1;
}

/* The channels with a read stage; a webhook has none. */
static int known_channel(const char *channel)
{
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        if (strcmp(channel, channels[i].channel) == 0)
            return 1;
    }
    return 0;
}

int engagement_channel_readable(const char *channel)
{
    return channel && known_channel(channel);
}

/* "linkedin=500/1d" */
static int parse_limit(const char *token, engagement_limit *l, char *err, size_t err_size)
{
    const char *eq = strchr(token, '=');
    const char *slash = eq ? strchr(eq, '/') : NULL;
    long long calls = 0, window = 0;
    char number[32];
    if (!eq || !slash || (size_t)(eq - token) >= sizeof l->channel ||
        (size_t)(slash - eq - 1) >= sizeof number) {
        snprintf(err, err_size, "channel=calls/window entries such as linkedin=500/1d, or off");
        return LTM_EINVAL;
    }
    memcpy(l->channel, token, (size_t)(eq - token));
    l->channel[eq - token] = '\0';
    memcpy(number, eq + 1, (size_t)(slash - eq - 1));
    number[slash - eq - 1] = '\0';
    if (!known_channel(l->channel)) {
        snprintf(err, err_size, "channels linkedin, instagram, rapidapi or sandbox (%s)",
                 l->channel);
        return LTM_EINVAL;
    }
    if (ltm_parse_int(number, &calls) != LTM_OK || calls < 1 || calls > 100000000 ||
        ltm_parse_duration_ms(slash + 1, &window) != LTM_OK || window < 1000 ||
        window > 31 * ENGAGEMENT_DAY_MS) {
        snprintf(err, err_size, "channel=calls/window with calls >= 1 and a window from 1s to "
                                "31d (%s)", token);
        return LTM_EINVAL;
    }
    if (calls < engagement_check_cost(l->channel)) {
        snprintf(err, err_size, "at least %d calls for %s: one check makes that many (%s)",
                 engagement_check_cost(l->channel), l->channel, token);
        return LTM_EINVAL;
    }
    l->calls = calls;
    l->window_ms = window;
    return LTM_OK;
}

int engagement_budget_parse(const char *text, engagement_budget *out, char *err,
                            size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (text && strcmp(text, "off") == 0)
        return LTM_OK;
    if (!text || !*text) {
        snprintf(err, err_size, "channel=calls/window entries such as linkedin=500/1d, or off");
        return LTM_EINVAL;
    }
    const char *p = text;
    do {
        char token[96];
        if (out->count == ENGAGEMENT_LIMITS_MAX) {
            snprintf(err, err_size, "at most %d entries", ENGAGEMENT_LIMITS_MAX);
            return LTM_EINVAL;
        }
        if (!next_token(&p, token, sizeof token)) {
            snprintf(err, err_size, "channel=calls/window entries such as linkedin=500/1d");
            return LTM_EINVAL;
        }
        engagement_limit l;
        if (parse_limit(token, &l, err, err_size) != LTM_OK)
            return LTM_EINVAL;
        if (engagement_budget_find(out, l.channel)) {
            snprintf(err, err_size, "one entry per channel (%s twice)", l.channel);
            return LTM_EINVAL;
        }
        out->items[out->count++] = l;
    } while (*p || p[-1] == ',');
    return LTM_OK;
}

const engagement_limit *engagement_budget_find(const engagement_budget *b, const char *channel)
{
    for (int i = 0; i < b->count; i++) {
        if (strcmp(b->items[i].channel, channel) == 0)
            return &b->items[i];
    }
    return NULL;
}

int64_t engagement_budget_next(const engagement_limit *limit, int cost, const int64_t *dispatched,
                               int count, int64_t now)
{
    if (!limit)
        return now;
    /* Only attempts still in the window count, whatever the caller passed. */
    int first = 0;
    while (first < count && dispatched[first] + limit->window_ms <= now)
        first++;
    int64_t used = (int64_t)(count - first) * cost;
    if (used + cost <= limit->calls)
        return now;
    /* The oldest attempts leave first: room for one more check once
     * enough of them have. */
    int64_t shed = (used + cost - limit->calls + cost - 1) / cost;
    return dispatched[first + shed - 1] + limit->window_ms;
}

void engagement_slot_local(int weekday, int minute, char out[16])
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    if (weekday < 0 || weekday > 6 || minute < 0 || minute >= 1440) {
        snprintf(out, 16, "?");
        return;
    }
    snprintf(out, 16, "%s %02d:%02d", days[weekday], minute / 60, minute % 60);
}
