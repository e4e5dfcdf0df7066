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

/* Parses s[0..len): YYYY-MM-DD(T|t| )HH:MM:SS[.1-9 digits](Z|z|+HH:MM|-HH:MM).
 * Years 1678..2261, real calendar days (leap years), second 60 counts as the
 * next second. Returns 0 and *ret_ns, or -1 with a short reason in why. */
int nlogd_time_parse(const char *s, size_t len, int64_t *ret_ns, char *why, size_t why_size);

#endif
