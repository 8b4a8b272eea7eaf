/* Log lines for operators: one line per event, text or JSON, secrets redacted. */
#include "ltm/log.h"
#include "ltm/error.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192

static char log_service[64] = "ltm";
static ltm_log_level log_threshold = LTM_LOG_INFO;
static ltm_log_format log_format = LTM_LOG_TEXT;
static int log_fd = STDOUT_FILENO;
/* Every secret registered: one per account token, so no fixed limit. */
static char **secrets;
static size_t secret_count, secret_cap;
static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void ltm_log_init(const char *service, ltm_log_level level, ltm_log_format format)
{
    snprintf(log_service, sizeof log_service, "%s", service ? service : "ltm");
    log_threshold = level;
    log_format = format;
}

void ltm_log_set_fd(int fd) { log_fd = fd; }

const char *ltm_log_level_name(ltm_log_level level)
{
    if (level < LTM_LOG_DEBUG || level > LTM_LOG_ERROR)
        return "?";
    return level_names[level];
}

int ltm_log_level_parse(const char *text, ltm_log_level *out)
{
    static const struct { const char *name; ltm_log_level level; } names[] = {
        {"debug", LTM_LOG_DEBUG}, {"info", LTM_LOG_INFO}, {"warn", LTM_LOG_WARN},
        {"warning", LTM_LOG_WARN}, {"error", LTM_LOG_ERROR},
    };
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *out = names[i].level;
            return LTM_OK;
        }
    }
    return LTM_EINVAL;
}

int ltm_log_format_parse(const char *text, ltm_log_format *out)
{
    if (text && strcasecmp(text, "text") == 0) {
        *out = LTM_LOG_TEXT;
        return LTM_OK;
    }
    if (text && strcasecmp(text, "json") == 0) {
        *out = LTM_LOG_JSON;
        return LTM_OK;
    }
    return LTM_EINVAL;
}

/* Kept longest first: a secret that holds another (a webhook token that
 * starts with an API key) is replaced whole before the shorter one could
 * leave its rest in the text. A value given twice (accounts sharing a
 * token) is kept once. */
void ltm_log_add_secret(const char *value)
{
    if (!value || strlen(value) < 4)
        return;
    size_t len = strlen(value);
    pthread_mutex_lock(&secrets_lock);
    size_t i = 0;
    while (i < secret_count && strlen(secrets[i]) > len)
        i++;
    for (size_t j = i; j < secret_count && strlen(secrets[j]) == len; j++) {
        if (strcmp(secrets[j], value) == 0) {
            pthread_mutex_unlock(&secrets_lock);
            return;
        }
    }
    if (secret_count == secret_cap) {
        size_t cap = secret_cap ? 2 * secret_cap : 16;
        char **grown = realloc(secrets, cap * sizeof *grown);
        if (grown) {
            secrets = grown;
            secret_cap = cap;
        }
    }
    char *copy = secret_count < secret_cap ? strdup(value) : NULL;
    if (copy) {
        memmove(secrets + i + 1, secrets + i, (secret_count - i) * sizeof *secrets);
        secrets[i] = copy;
        secret_count++;
    } else {
        /* Out of memory at start: say so, as the value cannot be redacted. */
        static const char msg[] = "ltm: out of memory registering a secret: it is not "
                                  "redacted from logs\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
    }
    pthread_mutex_unlock(&secrets_lock);
}

const char *ltm_fmt_int(char buf[24], long long value)
{
    snprintf(buf, 24, "%lld", value);
    return buf;
}

const char *ltm_fmt_double(char buf[32], double value)
{
    snprintf(buf, 32, "%.3g", value);
    return buf;
}

/* Appending writer that never overflows: once full, further text is dropped
 * and the line ends with "..." so truncation is visible. */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    int truncated;
} line_buf;

static void put_bytes(line_buf *line, const char *s, size_t n)
{
    if (line->len + n >= line->cap) {
        n = line->cap - line->len - 1;
        line->truncated = 1;
    }
    memcpy(line->buf + line->len, s, n);
    line->len += n;
    line->buf[line->len] = '\0';
}

static void put_str(line_buf *line, const char *s) { put_bytes(line, s, strlen(s)); }

static void put_char(line_buf *line, char c) { put_bytes(line, &c, 1); }

static int needs_quotes(const char *value)
{
    if (*value == '\0')
        return 1;
    for (const char *p = value; *p; p++) {
        if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
            return 1;
    }
    return 0;
}

/* Escapes for both the quoted text format and JSON strings: the two share
 * the same rules for quote, backslash and control characters. */
#define VALUE_MAX_BYTES 2048

static void put_escaped(line_buf *line, const char *value)
{
    char tmp[8];
    for (const char *p = value; *p; p++) {
        if (p - value >= VALUE_MAX_BYTES) {
            put_str(line, "...");
            break;
        }
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '"': put_str(line, "\\\""); break;
        case '\\': put_str(line, "\\\\"); break;
        case '\n': put_str(line, "\\n"); break;
        case '\r': put_str(line, "\\r"); break;
        case '\t': put_str(line, "\\t"); break;
        default:
            if (c < 0x20) {
                snprintf(tmp, sizeof tmp, "\\u%04x", c);
                put_str(line, tmp);
            } else {
                put_char(line, (char)c);
            }
        }
    }
}

static void format_timestamp(char *out, size_t size)
{
    struct timespec now;
    struct tm tm;
    char zone[8];
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    strftime(zone, sizeof zone, "%z", &tm); /* +0100 -> +01:00 */
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03ld%.3s:%.2s", now.tv_nsec / 1000000L, zone, zone + 3);
}

/* Rewrites the line with every registered secret replaced; scratch holds
 * line->cap bytes. The caller holds secrets_lock. */
static void replace_secrets(line_buf *line, char *scratch)
{
    static const char mark[] = "[redacted]";
    for (size_t i = 0; i < secret_count; i++) {
        if (!strstr(line->buf, secrets[i]))
            continue;
        memcpy(scratch, line->buf, line->len + 1);
        size_t slen = strlen(secrets[i]);
        line->len = 0;
        line->buf[0] = '\0';
        for (const char *p = scratch; *p;) {
            const char *hit = strstr(p, secrets[i]);
            if (!hit) {
                put_str(line, p);
                break;
            }
            put_bytes(line, p, (size_t)(hit - p));
            put_str(line, mark);
            p = hit + slen;
        }
    }
}

static void redact(line_buf *line)
{
    char scratch[LINE_MAX_BYTES];
    pthread_mutex_lock(&secrets_lock);
    replace_secrets(line, scratch);
    pthread_mutex_unlock(&secrets_lock);
}

char *ltm_secrets_redacted(const char *text, size_t len)
{
    /* "[redacted]" (10 bytes) for a secret of at least 4: at most 2.5 times
     * longer; put_bytes cuts, never overflows, if a secret hides in a mark. */
    size_t cap = len * 3 + 16;
    char *buf = malloc(cap), *scratch = malloc(cap);
    if (!buf || !scratch) {
        free(buf);
        free(scratch);
        return NULL;
    }
    line_buf line = {buf, cap, 0, 0};
    put_bytes(&line, text, len);
    line.len = strlen(buf); /* text may hold a NUL: the string ends there */
    pthread_mutex_lock(&secrets_lock);
    replace_secrets(&line, scratch);
    pthread_mutex_unlock(&secrets_lock);
    free(scratch);
    return buf;
}

#define MAX_PAIRS 64

void ltm_log(ltm_log_level level, const char *msg, ...)
{
    if (level < log_threshold)
        return;
    const char *pairs[2 * MAX_PAIRS];
    size_t n = 0;
    va_list ap;
    va_start(ap, msg);
    const char *key;
    while (n < MAX_PAIRS && (key = va_arg(ap, const char *)) != NULL) {
        pairs[2 * n] = key;
        pairs[2 * n + 1] = va_arg(ap, const char *);
        n++;
    }
    va_end(ap);
    ltm_log_pairs(level, msg, pairs, n);
}

void ltm_log_pairs(ltm_log_level level, const char *msg, const char *const *pairs,
                   size_t npairs)
{
    if (level < log_threshold)
        return;
    char storage[LINE_MAX_BYTES];
    line_buf line = {storage, sizeof storage - 4, 0, 0};
    char ts[48];
    storage[0] = '\0';
    format_timestamp(ts, sizeof ts);

    if (log_format == LTM_LOG_JSON) {
        put_str(&line, "{\"ts\":\"");
        put_str(&line, ts);
        put_str(&line, "\",\"level\":\"");
        put_str(&line, ltm_log_level_name(level));
        put_str(&line, "\",\"service\":\"");
        put_escaped(&line, log_service);
        put_str(&line, "\",\"msg\":\"");
        put_escaped(&line, msg ? msg : "");
        put_char(&line, '"');
        for (size_t i = 0; i < npairs; i++) {
            const char *value = pairs[2 * i + 1];
            if (!value)
                continue;
            put_str(&line, ",\"");
            put_escaped(&line, pairs[2 * i]);
            put_str(&line, "\":\"");
            put_escaped(&line, value ? value : "");
            put_char(&line, '"');
        }
        put_char(&line, '}');
    } else {
        put_str(&line, ts);
        put_char(&line, ' ');
        put_str(&line, ltm_log_level_name(level));
        put_char(&line, ' ');
        put_str(&line, log_service);
        put_str(&line, ": ");
        put_str(&line, msg ? msg : "");
        for (size_t i = 0; i < npairs; i++) {
            const char *value = pairs[2 * i + 1];
            if (!value)
                continue;
            put_char(&line, ' ');
            put_str(&line, pairs[2 * i]);
            put_char(&line, '=');
            if (needs_quotes(value)) {
                put_char(&line, '"');
                put_escaped(&line, value);
                put_char(&line, '"');
            } else {
                put_str(&line, value);
            }
        }
    }

    redact(&line);
    if (line.truncated && log_format == LTM_LOG_TEXT) {
        memcpy(storage + line.len, "...", 3);
        line.len += 3;
    }
    storage[line.len++] = '\n';
    const char *p = storage;
    size_t left = line.len;
    while (left > 0) {
        ssize_t w = write(log_fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
}
