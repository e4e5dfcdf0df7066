/* timeparse.c: RFC 3339 parsing with our own calendar arithmetic (no
 * timegm, no locale), so every accepted input maps to exactly one int64_t. */
#include <stdio.h>

#include "server/timeparse.h"

static int digits(const char *s, size_t n, int *ret)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

static int fail(char *why, size_t why_size, const char *msg)
{
    if (why && why_size)
        snprintf(why, why_size, "%s", msg);
    return -1;
}

int nlogd_time_parse(const char *s, size_t len, int64_t *ret_ns, char *why, size_t why_size)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0;
    if (len < 20)
        return fail(why, why_size, "too short for a date-time with a time zone");
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return fail(why, why_size, "the date must be YYYY-MM-DD");
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return fail(why, why_size, "expected 'T' between date and time");
    if (digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return fail(why, why_size, "the time must be HH:MM:SS");
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1678 || y > 2261)
        return fail(why, why_size, "the year must be from 1678 to 2261");
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
        return fail(why, why_size, "no such date");
    if (h > 23 || mi > 59 || sec > 60)
        return fail(why, why_size, "no such time of day");
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        size_t n = 0;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (n < 9)
                frac = frac * 10 + (s[i] - '0');
            n++;
            i++;
        }
        if (n == 0)
            return fail(why, why_size, "the fraction of a second needs at least one digit");
        if (n > 9)
            n = 9; /* below a nanosecond: dropped */
        for (; n < 9; n++)
            frac *= 10;
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        if (len - i < 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return fail(why, why_size, "the offset must be +HH:MM or -HH:MM");
        oh *= sign;
        om *= sign;
        i += 6;
    } else {
        return fail(why, why_size, "a time zone is required: Z or +HH:MM");
    }
    if (i != len)
        return fail(why, why_size, "unexpected characters after the time zone");
    /* A leap second is inserted at the end of a UTC day only. */
    if (sec == 60 &&
        ((h * 3600 + mi * 60 - (oh * 3600 + om * 60)) % 86400 + 86400) % 86400 != 86340)
        return fail(why, why_size, "second 60 is a leap second: only at 23:59:60 UTC");
    int64_t days = days_from_civil(y, (unsigned) mo, (unsigned) d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (oh * 3600 + om * 60);
    /* int64_t nanoseconds end on 1677-09-21 and 2262-04-11 */
    if (secs < -9223372035LL || secs > 9223372035LL)
        return fail(why, why_size, "out of the range of a 64-bit nanosecond time (1678 to 2261)");
    *ret_ns = secs * 1000000000LL + frac;
    return 0;
}
