/* Settings from the environment: the ltm_setting tables, checked all at once at start. */
#include "ltm/config.h"
#include "ltm/error.h"
#include "ltm/log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const ltm_setting *def;
    char *text; /* NULL when unset */
    long long number;
    double real;
} setting_value;

struct ltm_config {
    setting_value *values;
    size_t count;
};

int ltm_parse_int(const char *text, long long *out)
{
    char *end;
    if (!text || !*text)
        return LTM_EINVAL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end != '\0')
        return LTM_EINVAL;
    *out = v;
    return LTM_OK;
}

int ltm_parse_bool(const char *text, int *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"};
    static const char *no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; text && i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return LTM_OK;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return LTM_OK;
        }
    }
    return LTM_EINVAL;
}

int ltm_parse_duration_ms(const char *text, long long *out_ms)
{
    static const struct { const char *suffix; double ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    char *end;
    if (!text || !*text)
        return LTM_EINVAL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || v < 0 || !isfinite(v))
        return LTM_EINVAL;
    double factor = 1000; /* bare number: seconds */
    if (*end) {
        factor = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            if (strcmp(end, units[i].suffix) == 0)
                factor = units[i].ms;
        }
        if (factor == 0)
            return LTM_EINVAL;
    }
    double ms = v * factor;
    if (ms > 9e15)
        return LTM_EINVAL;
    *out_ms = (long long)llround(ms);
    return LTM_OK;
}

static int enum_has(const char *choices, const char *word)
{
    size_t wlen = strlen(word);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == wlen && strncmp(p, word, len) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int out_of_range(const ltm_setting *def, double v)
{
    return def->min != def->max && (v < def->min || v > def->max);
}

/* Writes the reason a value is malformed; secrets are never echoed. */
static int reject(const ltm_setting *def, const char *text, const char *expected, char *err,
                  size_t err_size)
{
    if (def->flags & LTM_SETTING_SECRET)
        snprintf(err, err_size, "setting %s is malformed: expected %s", def->name, expected);
    else
        snprintf(err, err_size, "setting %s=\"%.80s\" is malformed: expected %s", def->name, text,
                 expected);
    return LTM_ECONFIG;
}

static int parse_value(setting_value *v, char *err, size_t err_size)
{
    const ltm_setting *def = v->def;
    const char *text = v->text;
    char expected[160];
    int flag;

    switch (def->type) {
    case LTM_SET_STRING:
        return LTM_OK;
    case LTM_SET_ENUM:
        if (!enum_has(def->choices, text)) {
            snprintf(expected, sizeof expected, "one of %s", def->choices);
            return reject(def, text, expected, err, err_size);
        }
        return LTM_OK;
    case LTM_SET_BOOL:
        if (ltm_parse_bool(text, &flag) != LTM_OK)
            return reject(def, text, "true or false", err, err_size);
        v->number = flag;
        return LTM_OK;
    case LTM_SET_INT:
        if (def->min != def->max)
            snprintf(expected, sizeof expected, "an integer from %.0f to %.0f", def->min, def->max);
        else
            snprintf(expected, sizeof expected, "an integer");
        if (ltm_parse_int(text, &v->number) != LTM_OK || out_of_range(def, (double)v->number))
            return reject(def, text, expected, err, err_size);
        return LTM_OK;
    case LTM_SET_DOUBLE: {
        char *end;
        errno = 0;
        v->real = strtod(text, &end);
        if (def->min != def->max)
            snprintf(expected, sizeof expected, "a number from %g to %g", def->min, def->max);
        else
            snprintf(expected, sizeof expected, "a number");
        if (errno || end == text || *end || !isfinite(v->real) || out_of_range(def, v->real))
            return reject(def, text, expected, err, err_size);
        return LTM_OK;
    }
    case LTM_SET_DURATION:
        if (def->min != def->max)
            snprintf(expected, sizeof expected,
                     "a duration such as 500ms, 30s, 10m or 4h, from %gs to %gs", def->min / 1000,
                     def->max / 1000);
        else
            snprintf(expected, sizeof expected, "a duration such as 500ms, 30s, 10m or 4h");
        if (ltm_parse_duration_ms(text, &v->number) != LTM_OK ||
            out_of_range(def, (double)v->number))
            return reject(def, text, expected, err, err_size);
        return LTM_OK;
    }
    return reject(def, text, "a known type", err, err_size);
}

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int ltm_config_load(const ltm_setting *table, size_t count, ltm_env_lookup lookup, void *ctx,
                    ltm_config **out, char *err, size_t err_size)
{
    if (!lookup)
        lookup = env_lookup;
    ltm_config *config = calloc(1, sizeof *config);
    if (!config || !(config->values = calloc(count ? count : 1, sizeof *config->values))) {
        free(config);
        snprintf(err, err_size, "out of memory");
        return LTM_ENOMEM;
    }
    config->count = count;
    for (size_t i = 0; i < count; i++) {
        setting_value *v = &config->values[i];
        v->def = &table[i];
        const char *text = lookup(table[i].name, ctx);
        if (text && !*text)
            text = NULL; /* an empty variable counts as unset, as in most shells' ${X:-} */
        if (!text)
            text = table[i].default_value;
        if (!text) {
            if (table[i].flags & LTM_SETTING_REQUIRED) {
                snprintf(err, err_size, "setting %s is required but not set (%s)", table[i].name,
                         table[i].help ? table[i].help : "no description");
                ltm_config_free(config);
                return LTM_ECONFIG;
            }
            continue;
        }
        if (!(v->text = strdup(text))) {
            ltm_config_free(config);
            snprintf(err, err_size, "out of memory");
            return LTM_ENOMEM;
        }
        if (table[i].flags & LTM_SETTING_SECRET)
            ltm_log_add_secret(v->text);
        if (parse_value(v, err, err_size) != LTM_OK) {
            ltm_config_free(config);
            return LTM_ECONFIG;
        }
    }
    *out = config;
    return LTM_OK;
}

void ltm_config_free(ltm_config *config)
{
    if (!config)
        return;
    for (size_t i = 0; i < config->count; i++)
        free(config->values[i].text);
    free(config->values);
    free(config);
}

static const setting_value *find(const ltm_config *config, const char *name)
{
    for (size_t i = 0; i < config->count; i++) {
        if (strcmp(config->values[i].def->name, name) == 0)
            return &config->values[i];
    }
    fprintf(stderr, "ltm: internal error: setting %s is not in this service's table\n", name);
    abort();
}

const char *ltm_config_str(const ltm_config *config, const char *name)
{
    return find(config, name)->text;
}

long long ltm_config_int(const ltm_config *config, const char *name)
{
    return find(config, name)->number;
}

double ltm_config_double(const ltm_config *config, const char *name)
{
    const setting_value *v = find(config, name);
    return v->def->type == LTM_SET_DOUBLE ? v->real : (double)v->number;
}

int ltm_config_is_set(const ltm_config *config, const char *name)
{
    return find(config, name)->text != NULL;
}

void ltm_config_log(const ltm_config *config)
{
    const char **pairs = calloc(2 * config->count + 1, sizeof *pairs);
    if (!pairs)
        return;
    for (size_t i = 0; i < config->count; i++) {
        const setting_value *v = &config->values[i];
        pairs[2 * i] = v->def->name;
        if (v->def->flags & LTM_SETTING_SECRET)
            pairs[2 * i + 1] = v->text ? "set" : "unset";
        else
            pairs[2 * i + 1] = v->text ? v->text : "unset";
    }
    ltm_log_pairs(LTM_LOG_INFO, "settings", pairs, config->count);
    free(pairs);
}
