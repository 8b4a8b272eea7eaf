/* Clocks and time texts: wall and monotonic ms, RFC 3339, HH:MM. */
#include "ltm/timeutil.h"
#include "ltm/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t ltm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ltm_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *ltm_time_format_iso(int64_t ms, char out[LTM_ISO_SIZE])
{
    int64_t sec = ms / 1000;
    int64_t frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, LTM_ISO_SIZE, "1970-01-01T00:00:00.000Z");
        return out;
    }
    /* Not strftime's %Y: it writes the year 26 as "26", which RFC 3339 (and
     * ltm_time_parse_iso) refuses, so a time that decoded would not decode
     * again once re-encoded. */
    size_t n = (size_t)snprintf(out, LTM_ISO_SIZE, "%04d-", tm.tm_year + 1900);
    n += strftime(out + n, LTM_ISO_SIZE - n, "%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, LTM_ISO_SIZE - n, ".%03dZ", (int)frac);
    return out;
}

static int digits(const char **p, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (!isdigit((unsigned char)**p))
            return 0;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 1;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return 0;
    (*p)++;
    return 1;
}

int ltm_time_parse_iso(const char *text, int64_t *out_ms)
{
    if (!text)
        return LTM_EINVAL;
    const char *p = text;
    int year, mon, day, hour, min, sec, ms = 0;
    if (!digits(&p, 4, &year) || !expect(&p, '-') || !digits(&p, 2, &mon) || !expect(&p, '-') ||
        !digits(&p, 2, &day) || !(*p == 'T' || *p == 't' || *p == ' '))
        return LTM_EINVAL;
    p++;
    if (!digits(&p, 2, &hour) || !expect(&p, ':') || !digits(&p, 2, &min) || !expect(&p, ':') ||
        !digits(&p, 2, &sec))
        return LTM_EINVAL;
    if (*p == '.') {
        p++;
        int scale = 100, any = 0;
        while (isdigit((unsigned char)*p)) {
            ms += (*p - '0') * scale;
            scale /= 10;
            any = 1;
            p++;
        }
        if (!any)
            return LTM_EINVAL;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return LTM_EINVAL;
        offset_min = sign * (oh * 60 + om);
    } else {
        return LTM_EINVAL;
    }
    if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 60)
        return LTM_EINVAL;
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    /* timegm normalises 31 February into March: reject dates that moved. */
    struct tm check;
    if (!gmtime_r(&t, &check) || check.tm_mday != day || check.tm_mon != mon - 1)
        return LTM_EINVAL;
    *out_ms = ((int64_t)t - (int64_t)offset_min * 60) * 1000 + ms;
    return LTM_OK;
}

int ltm_time_parse_hhmm(const char *text)
{
    if (strlen(text) != 5 || text[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (text[i] < '0' || text[i] > '9'))
            return -1;
    }
    int h = (text[0] - '0') * 10 + (text[1] - '0');
    int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}
