/* timeparse.h: RFC 3339 date-times to nanoseconds since the epoch.
 * Tested by: tests/unit/server/test_server_parse.c, tests/fuzz/fuzz_query_params.c */
#ifndef NLOGD_TIMEPARSE_H
#define NLOGD_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* What nlogd_time_parse() accepts, for error messages. */
#define NLOGD_TIME_ACCEPTED                                                               \
    "an RFC 3339 date-time such as 2024-01-15T10:30:45Z, 2024-01-15T10:30:45.123456Z or " \
    "2024-01-15T11:30:45+01:00"

/* The times the store can represent (store.h: ids are microseconds * 1024,
 * which int64_t holds from about 1684 to 2255) and ingest accepts
 * (ingest_parse.c TS_MIN_NS/TS_MAX_NS): 1700-01-01T00:00:00Z up to
 * 2249-12-31T23:59:59.999999999Z. Query bounds outside it are refused. */
#define NLOGD_TIME_MIN_NS (-8520336000LL * 1000000000LL)    /* 1700-01-01T00:00:00Z */
#define NLOGD_TIME_MAX_NS (8835955200LL * 1000000000LL - 1) /* 2249-12-31T23:59:59.999999999Z */
#define NLOGD_TIME_RANGE "1700-01-01T00:00:00Z to 2249-12-31T23:59:59.999999999Z"

/* Parses s[0..len): YYYY-MM-DD(T|t| )HH:MM:SS[.digits](Z|z|+HH:MM|-HH:MM).
 * Years 1678..2261, real calendar days (leap years); fractions of any length
 * (digits beyond the ninth, below a nanosecond, are dropped); second 60 only
 * where a leap second can be, 23:59:60 UTC (00:59:60+01:00, ...), counted as
 * the next second. Returns 0 and *ret_ns, or -1 with a short reason in why. */
int nlogd_time_parse(const char *s, size_t len, int64_t *ret_ns, char *why, size_t why_size);

#endif
