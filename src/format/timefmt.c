/* timefmt.c: RFC 3339 and console date-times.
 *
 * Calendar conversion is Howard Hinnant's days-to-civil algorithm (exact for
 * the whole proleptic Gregorian calendar, negative day counts included), so
 * UTC never calls gmtime. Invariant: each per-thread cache holds the text
 * for exactly the second in `sec` (INT64_MIN: empty), and INT64_MIN can
 * never be the second of an int64_t nanosecond time.
 * Tested by: tests/unit/format/test_json_values.c, test_text_format.c */
#include "format/timefmt.h"
#include "format/numfmt.h"

#include <string.h>
#include <time.h>

#define NS_PER_SEC INT64_C(1000000000)

typedef struct ts_cache {
    int64_t sec;                   /* second since the epoch the text is for */
    char text[NLOG__DATETIME_LEN]; /* "YYYY-MM-DDTHH:MM:SS" (UTC) or with ' ' (local) */
} ts_cache;

static _Thread_local ts_cache utc_cache = {INT64_MIN, {0}};
static _Thread_local ts_cache local_cache = {INT64_MIN, {0}};

void nlog__timefmt_cache_reset(void)
{
    utc_cache.sec = INT64_MIN;
    local_cache.sec = INT64_MIN;
}

void nlog__civil_from_days(int64_t days, int64_t *ret_year, unsigned *ret_month, unsigned *ret_day)
{
    int64_t z = days + 719468; /* days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);                         /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11], March = 0 */
    unsigned m = mp < 10 ? mp + 3 : mp - 9;

    *ret_day = doy - (153 * mp + 2) / 5 + 1;
    *ret_month = m;
    *ret_year = (int64_t) yoe + era * 400 + (m <= 2);
}

static inline void put2(char *p, unsigned v)
{
    p[0] = (char) ('0' + v / 10);
    p[1] = (char) ('0' + v % 10);
}

/* "YYYY-MM-DD?HH:MM:SS" with `sep` between date and time. Years outside
 * 0..9999 cannot come from an int64_t of nanoseconds; they are clamped so
 * the width stays fixed. */
static void put_datetime(char *p, int64_t year, unsigned mon, unsigned day, unsigned hh,
                         unsigned mm, unsigned ss, char sep)
{
    unsigned y = year < 0 ? 0 : year > 9999 ? 9999 : (unsigned) year;
    put2(p, y / 100);
    put2(p + 2, y % 100);
    p[4] = '-';
    put2(p + 5, mon);
    p[7] = '-';
    put2(p + 8, day);
    p[10] = sep;
    put2(p + 11, hh);
    p[13] = ':';
    put2(p + 14, mm);
    p[16] = ':';
    put2(p + 17, ss);
}

/* Floor division of a nanosecond time into seconds and nanoseconds >= 0. */
static inline int64_t split_ns(int64_t time_ns, int64_t *ret_frac)
{
    int64_t sec = time_ns / NS_PER_SEC, frac = time_ns % NS_PER_SEC;
    if (frac < 0) {
        frac += NS_PER_SEC;
        sec--;
    }
    *ret_frac = frac;
    return sec;
}

static void utc_text(int64_t sec, char sep, char *out)
{
    int64_t days = sec / 86400, sod = sec % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t year;
    unsigned mon, day;
    nlog__civil_from_days(days, &year, &mon, &day);
    put_datetime(out, year, mon, day, (unsigned) (sod / 3600), (unsigned) (sod / 60 % 60),
                 (unsigned) (sod % 60), sep);
}

static const char *utc_cached(int64_t sec)
{
    if (utc_cache.sec != sec) {
        utc_text(sec, 'T', utc_cache.text);
        utc_cache.sec = sec;
    }
    return utc_cache.text;
}

void nlog__fmt_rfc3339(int64_t time_ns, char *out)
{
    int64_t frac;
    int64_t sec = split_ns(time_ns, &frac);
    unsigned us = (unsigned) (frac / 1000); /* truncate, never round up */

    memcpy(out, utc_cached(sec), NLOG__DATETIME_LEN);
    out[19] = '.';
    unsigned hi = us / 10000, rest = us - hi * 10000, mid = rest / 100;
    memcpy(out + 20, nlog__digits2 + 2 * hi, 2);
    memcpy(out + 22, nlog__digits2 + 2 * mid, 2);
    memcpy(out + 24, nlog__digits2 + 2 * (rest - mid * 100), 2);
    out[26] = 'Z';
}

void nlog__fmt_utc(int64_t time_ns, char *out)
{
    int64_t frac;
    int64_t sec = split_ns(time_ns, &frac);

    memcpy(out, utc_cached(sec), NLOG__DATETIME_LEN);
    out[10] = ' ';
}

void nlog__fmt_local(int64_t time_ns, char *out)
{
    int64_t frac;
    int64_t sec = split_ns(time_ns, &frac);

    if (local_cache.sec != sec) {
        struct tm tm;
        time_t t = (time_t) sec;
        if ((int64_t) t == sec && localtime_r(&t, &tm) != NULL) {
            put_datetime(local_cache.text, (int64_t) tm.tm_year + 1900, (unsigned) tm.tm_mon + 1,
                         (unsigned) tm.tm_mday, (unsigned) tm.tm_hour, (unsigned) tm.tm_min,
                         (unsigned) tm.tm_sec, ' ');
        } else {
            utc_text(sec, ' ', local_cache.text); /* no zone information: say UTC */
        }
        local_cache.sec = sec;
    }
    memcpy(out, local_cache.text, NLOG__DATETIME_LEN);
}
