/* timefmt.h (internal): timestamps for the encoders.
 *
 * Times are int64_t nanoseconds since the Unix epoch (UTC), negative before
 * 1970; every value of that type (years 1677..2262) is formatted correctly.
 * Sub-second parts are truncated toward the past, never rounded, so a
 * record is never stamped later than it happened (-1 ns is
 * 1969-12-31T23:59:59.999999Z).
 *
 * The date-time part is cached per thread for the last second formatted
 * (one cache for UTC, one for local time), so consecutive records in the
 * same second only write the microseconds. The local-time cache assumes
 * the time zone does not change while the process runs (the C library's
 * localtime_r() does not re-read TZ either); nlog__timefmt_cache_reset()
 * drops the calling thread's caches.
 * Tested by: tests/unit/format/test_json_values.c, test_text_format.c */
#ifndef NLOG_FORMAT_TIMEFMT_H
#define NLOG_FORMAT_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define NLOG__RFC3339_LEN  27 /* "2024-01-15T10:30:45.123456Z" */
#define NLOG__DATETIME_LEN 19 /* "2024-01-15 10:30:45" */

/* Writes "YYYY-MM-DDTHH:MM:SS.ffffffZ" (exactly NLOG__RFC3339_LEN bytes,
 * no NUL) for time_ns in UTC. Uses our own calendar arithmetic, not
 * gmtime. */
void nlog__fmt_rfc3339(int64_t time_ns, char *out);

/* Writes "YYYY-MM-DD HH:MM:SS" (exactly NLOG__DATETIME_LEN bytes, no NUL)
 * for time_ns, in UTC. */
void nlog__fmt_utc(int64_t time_ns, char *out);

/* As nlog__fmt_utc(), in the process's local time zone (localtime_r). */
void nlog__fmt_local(int64_t time_ns, char *out);

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
void nlog__civil_from_days(int64_t days, int64_t *ret_year, unsigned *ret_month, unsigned *ret_day);

/* Forgets the calling thread's cached seconds (for tests that change TZ). */
void nlog__timefmt_cache_reset(void);

#endif /* NLOG_FORMAT_TIMEFMT_H */
