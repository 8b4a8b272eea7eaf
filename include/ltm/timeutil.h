#ifndef LTM_TIMEUTIL_H
#define LTM_TIMEUTIL_H

#include <stdint.h>

/* Wall-clock time in milliseconds since the Unix epoch (UTC). */
int64_t ltm_now_ms(void);

/* Monotonic time in milliseconds: for intervals and deadlines, immune to
 * clock changes. */
int64_t ltm_mono_ms(void);

/* Formats as RFC 3339 UTC with milliseconds, "2026-11-25T18:41:44.123Z".
 * out must hold LTM_ISO_SIZE bytes. Returns out. */
#define LTM_ISO_SIZE 32
char *ltm_time_format_iso(int64_t ms, char out[LTM_ISO_SIZE]);

/* Parses RFC 3339 ("2026-11-25T18:41:44Z", optional fraction, "Z" or
 * "+hh:mm"/"-hh:mm"). Returns 0 or LTM_EINVAL. */
int ltm_time_parse_iso(const char *text, int64_t *out_ms);

/* "HH:MM" (exactly five characters, 00:00 to 23:59) to minutes of the day;
 * -1 when malformed. The schedule's slots and LTM_DAILY_REPORT_AT use it. */
int ltm_time_parse_hhmm(const char *text);

#endif
