#ifndef LTM_CONFIG_H
#define LTM_CONFIG_H

#include <stddef.h>

/* Settings come from environment variables. A service describes the ones it
 * uses in a table; ltm_config_load() checks all of them at once and reports
 * the first missing or malformed one by name, so a bad setting stops the
 * service at start instead of failing later. */

typedef enum {
    LTM_SET_STRING,
    LTM_SET_INT,      /* integer within [min, max] */
    LTM_SET_DOUBLE,   /* number within [min, max] */
    LTM_SET_BOOL,     /* true/false, 1/0, yes/no, on/off */
    LTM_SET_DURATION, /* "500ms", "30s", "10m", "4h", "7d"; a bare number is seconds; stored in ms */
    LTM_SET_ENUM,     /* one of the '|'-separated words in choices */
} ltm_setting_type;

enum {
    LTM_SETTING_REQUIRED = 1 << 0,
    LTM_SETTING_SECRET = 1 << 1, /* logged as set/unset, never echoed in errors */
};

typedef struct {
    const char *name;          /* environment variable */
    ltm_setting_type type;
    const char *default_value; /* NULL: unset unless the environment sets it */
    unsigned flags;
    double min, max;           /* INT, DOUBLE, DURATION (in ms); ignored when min == max */
    const char *choices;       /* ENUM only, e.g. "text|json" */
    const char *help;          /* one line: what it is, for messages and docs */
} ltm_setting;

typedef struct ltm_config ltm_config;

/* Reads each setting through lookup (getenv when NULL). On failure returns
 * LTM_ECONFIG and writes a sentence naming the variable into err. Caller owns
 * *out; free with ltm_config_free(). */
typedef const char *(*ltm_env_lookup)(const char *name, void *ctx);
int ltm_config_load(const ltm_setting *table, size_t count, ltm_env_lookup lookup,
                    void *ctx, ltm_config **out, char *err, size_t err_size);
void ltm_config_free(ltm_config *config);

/* Accessors by variable name; asking for a name not in the table aborts,
 * since that is a programming error. */
const char *ltm_config_str(const ltm_config *config, const char *name); /* NULL when unset */
long long ltm_config_int(const ltm_config *config, const char *name);   /* INT, BOOL, DURATION (ms) */
double ltm_config_double(const ltm_config *config, const char *name);
int ltm_config_is_set(const ltm_config *config, const char *name);

/* Logs one line "settings" with every variable and its value, secrets shown
 * as set/unset. */
void ltm_config_log(const ltm_config *config);

/* Pure parsers, exposed for tests and for settings read from files. */
int ltm_parse_duration_ms(const char *text, long long *out_ms);
int ltm_parse_bool(const char *text, int *out);
int ltm_parse_int(const char *text, long long *out);

#endif
