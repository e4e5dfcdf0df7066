/* test_json_values.c: the value formatters behind both encoders: integers,
 * doubles (shortest round trip, C locale whatever setlocale says) and
 * timestamps (src/format/numfmt.c, timefmt.c). */
#include "testutil.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/json.h"
#include "format/numfmt.h"
#include "format/numfmt_locale.h"
#include "format/timefmt.h"

#define NS INT64_C(1000000000)

static const char *u64s(uint64_t v)
{
    static char b[64];
    size_t n = nlog__fmt_u64(b, v);
    assert_int_equal(n, nlog__u64_len(v));
    b[n] = '\0';
    return b;
}

static const char *i64s(int64_t v)
{
    static char b[64];
    size_t n = nlog__fmt_i64(b, v);
    assert_int_equal(n, nlog__i64_len(v));
    b[n] = '\0';
    return b;
}

static const char *dbl(double v)
{
    static char b[NLOG__DOUBLE_MAX + 1];
    size_t n = nlog__fmt_double(b, v);
    assert_true(n > 0 && n < NLOG__DOUBLE_MAX);
    b[n] = '\0';
    return b;
}

static void test_integers(void **state)
{
    (void) state;
    assert_string_equal(u64s(0), "0");
    assert_string_equal(u64s(9), "9");
    assert_string_equal(u64s(10), "10");
    assert_string_equal(u64s(99), "99");
    assert_string_equal(u64s(100), "100");
    assert_string_equal(u64s(UINT64_MAX), "18446744073709551615");
    assert_string_equal(i64s(0), "0");
    assert_string_equal(i64s(-1), "-1");
    assert_string_equal(i64s(INT64_MAX), "9223372036854775807");
    assert_string_equal(i64s(INT64_MIN), "-9223372036854775808");
    /* Every power of ten and its neighbours, against snprintf. */
    uint64_t p = 1;
    for (int i = 0; i < 20; i++, p *= 10) {
        uint64_t vs[3] = {p - 1, p, p + 1};
        for (int k = 0; k < 3; k++) {
            char want[32];
            snprintf(want, sizeof want, "%llu", (unsigned long long) vs[k]);
            assert_string_equal(u64s(vs[k]), want);
            snprintf(want, sizeof want, "%lld", -(long long) (vs[k] & INT64_MAX));
            assert_string_equal(i64s(-(int64_t) (vs[k] & INT64_MAX)), want);
        }
    }
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 100000; i++) {
        char want[32];
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t v = x >> (x % 64);
        snprintf(want, sizeof want, "%llu", (unsigned long long) v);
        assert_string_equal(u64s(v), want);
        snprintf(want, sizeof want, "%lld", (long long) (int64_t) v);
        assert_string_equal(i64s((int64_t) v), want);
    }
}

static void test_hex(void **state)
{
    (void) state;
    char b[20];
    size_t n = nlog__fmt_hex64(b, 0);
    assert_memory_equal(b, "0", n);
    n = nlog__fmt_hex64(b, 0xdeadbeef);
    assert_int_equal(n, 8);
    assert_memory_equal(b, "deadbeef", 8);
    n = nlog__fmt_hex64(b, UINT64_MAX);
    assert_int_equal(n, 16);
    assert_memory_equal(b, "ffffffffffffffff", 16);
    n = nlog__fmt_hex64(b, 0x1000000000000000ULL);
    assert_int_equal(n, 16);
    assert_memory_equal(b, "1000000000000000", 16);
}

static void test_doubles(void **state)
{
    (void) state;
    assert_string_equal(dbl(0.045), "0.045");
    assert_string_equal(dbl(128.5), "128.5");
    assert_string_equal(dbl(0.1), "0.1");
    assert_string_equal(dbl(1.0 / 3.0), "0.3333333333333333");
    assert_string_equal(dbl(2.0 / 3.0), "0.6666666666666666");
    assert_string_equal(dbl(1e300), "1e+300");
    assert_string_equal(dbl(-1e-300), "-1e-300");
    assert_string_equal(dbl(0.0), "0");
    assert_string_equal(dbl(-0.0), "-0");
    assert_string_equal(dbl(3.0), "3");
    assert_string_equal(dbl(-42.0), "-42");
    assert_string_equal(dbl(999999999999999.0), "999999999999999");
    assert_string_equal(dbl(1e15), "1e+15");
    assert_string_equal(dbl(9007199254740993.0), "9007199254740992");
    assert_string_equal(dbl(DBL_MAX), "1.7976931348623157e+308");
    assert_string_equal(dbl(DBL_MIN), "2.2250738585072014e-308");
    assert_string_equal(dbl(5e-324), "4.94065645841247e-324");
    assert_string_equal(dbl(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(dbl(NAN), "null");
    assert_string_equal(dbl(-NAN), "null");
    assert_string_equal(dbl(INFINITY), "null");
    assert_string_equal(dbl(-INFINITY), "null");

    /* Random doubles: every result reads back exactly and is a JSON number. */
    uint64_t x = 0x243F6A8885A308D3ULL;
    for (int i = 0; i < 50000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        const char *s = dbl(d);
        if (!isfinite(d)) {
            assert_string_equal(s, "null");
            continue;
        }
        assert_true(strtod(s, NULL) == d);
        json_object *o = json_tokener_parse(s);
        assert_non_null(o);
        assert_true(json_object_is_type(o, json_type_double) ||
                    json_object_is_type(o, json_type_int));
        json_object_put(o);
        /* Shortest: one digit fewer never round-trips. */
        char shorter[512];
        int digits = 0, started = 0;
        for (const char *c = s; *c && *c != 'e'; c++) {
            started |= *c >= '1' && *c <= '9';
            digits += started && *c >= '0' && *c <= '9'; /* significant digits */
        }
        if (digits > 15) {
            snprintf(shorter, sizeof shorter, "%.*g", digits - 1, d);
            assert_false(strtod(shorter, NULL) == d);
        }
    }
}

/* The definition the encoder must match: the first of %.15g, %.16g, %.17g
 * that reads back exactly. */
static const char *ref_double(double v)
{
    static char b[64];
    if (!isfinite(v))
        return "null";
    for (int p = 15; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        if (strtod(b, NULL) == v)
            break;
    }
    return b;
}

/* The next double away from zero (away = 1) or toward it; no libm. */
static double step(double v, int away)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    if (v != 0 || away)
        b = away ? b + 1 : b - 1;
    memcpy(&v, &b, sizeof v);
    return v;
}

static void expect_ref(double v)
{
    const char *want = ref_double(v);
    const char *got = dbl(v);
    if (strcmp(got, want) != 0)
        fail_msg("%.17g: got %s want %s", v, got, want);
}

/* The fast paths (integers, short decimals) against the definition. */
static void test_doubles_match_reference(void **state)
{
    (void) state;
    static const double pow10[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                     1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        switch (i % 4) {
        case 0: /* any bit pattern */ memcpy(&v, &x, sizeof v); break;
        case 1: { /* a short decimal m / 10^d */
            uint64_t m = (x >> 8) % (uint64_t) pow10[1 + (x >> 3) % 17];
            v = (double) m / pow10[(x >> 40) % 19];
            break;
        }
        case 2: /* its neighbours */
            v = step((double) ((x >> 8) % 1000000) / pow10[(x >> 40) % 10], (int) (x & 1));
            break;
        default: /* computed measurements, like durations */
            v = (double) (x >> 20) / 1e9 * ((x & 1) ? -1 : 1);
            break;
        }
        expect_ref(v);
    }
    /* The edges of the fast paths. */
    static const double edges[] = {1e-4,
                                   1e-5,
                                   0.00011,
                                   9.99999999999999e14,
                                   1e15,
                                   999999999999999.9,
                                   99999999999999.99,
                                   0.1,
                                   0.2,
                                   0.3,
                                   0.7,
                                   1.1,
                                   2.675,
                                   1.005,
                                   123.456,
                                   -0.045,
                                   0.000123456789012345,
                                   4.35,
                                   0.035,
                                   1e-4 * 3};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        expect_ref(edges[i]);
        expect_ref(step(edges[i], 0));
        expect_ref(step(edges[i], 1));
        expect_ref(-edges[i]);
    }
}

/* A German locale: installed, or compiled from the system's locale sources
 * into the scratch directory (LOCPATH), or NULL. */
static const char *german_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE",
                                        "German_Germany.1252"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (setlocale(LC_NUMERIC, names[i]))
            return names[i];
    }
    const char *dir = tu_scratch("locales");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1", dir);
    if (system(cmd) != 0)
        return NULL;
    setenv("LOCPATH", dir, 1);
    const char *ok = setlocale(LC_NUMERIC, "de_DE.UTF-8");
    /* glibc's setlocale() can leak its copy of LOCPATH; set it only as long
     * as needed to load the locale. */
    unsetenv("LOCPATH");
    return ok ? "de_DE.UTF-8" : NULL;
}

static void test_doubles_locale(void **state)
{
    (void) state;
    const char *loc = german_locale();
    char b[NLOG__DOUBLE_MAX + 1];
    size_t n;

    if (!loc) {
        /* Still exercise both code paths in the C locale. */
        n = nlog__fmt_double_in(b, 0.045, 0);
        assert_int_equal(n, 5);
        assert_memory_equal(b, "0.045", 5);
        print_message("no German locale available: decimal-comma assertions skipped\n");
        skip();
        return;
    }
    /* The locale really uses a decimal comma, so the test means something. */
    snprintf(b, sizeof b, "%g", 0.5);
    assert_string_equal(b, "0,5");

    assert_string_equal(dbl(0.045), "0.045");
    assert_string_equal(dbl(-1234.5678), "-1234.5678");
    assert_string_equal(dbl(1e-7), "1e-07");
    /* The fallback path (no C locale object): formats in de_DE, repairs ','. */
    n = nlog__fmt_double_in(b, 0.045, 0);
    b[n] = '\0';
    assert_string_equal(b, "0.045");
    n = nlog__fmt_double_in(b, 1.0 / 3.0, 0);
    b[n] = '\0';
    assert_string_equal(b, "0.3333333333333333");

    /* And a whole record parses. */
    nlog_field f[] = {nlog_field_double(NLOG_GROUP_PERFORMANCE, "response_time", 0.045)};
    nlog__record r = {.time_ns = 0,
                      .level = NLOG_LEVEL_INFO,
                      .category = "application",
                      .logger = "l",
                      .logger_len = 1,
                      .message = "m",
                      .message_len = 1,
                      .fields = f,
                      .n_fields = 1};
    char out[NLOG__RECORD_MIN_CAP];
    int trunc;
    n = nlog__json_encode(&r, out, sizeof out, &trunc);
    out[n - 1] = '\0';
    assert_non_null(strstr(out, "\"response_time\":0.045}"));
    json_object_put(tu_parse_json(out));

    setlocale(LC_NUMERIC, "C");
}

static const char *ts(int64_t ns)
{
    static char b[NLOG__RFC3339_LEN + 1];
    nlog__fmt_rfc3339(ns, b);
    b[NLOG__RFC3339_LEN] = '\0';
    return b;
}

static void test_rfc3339(void **state)
{
    (void) state;
    assert_string_equal(ts(0), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(ts(1705314645 * NS + 123456789), "2024-01-15T10:30:45.123456Z");
    /* Truncation, not rounding. */
    assert_string_equal(ts(999), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(ts(1999), "1970-01-01T00:00:00.000001Z");
    assert_string_equal(ts(NS - 1), "1970-01-01T00:00:00.999999Z");
    assert_string_equal(ts(4107542399 * NS + 999999999), "2100-02-28T23:59:59.999999Z");
    /* Before 1970: still toward the past. */
    assert_string_equal(ts(-1), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(ts(-1000), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(ts(-1001), "1969-12-31T23:59:59.999998Z");
    assert_string_equal(ts(-NS), "1969-12-31T23:59:59.000000Z");
    assert_string_equal(ts(-14182940 * NS), "1969-07-20T20:17:40.000000Z");
    assert_string_equal(ts(-2203891201 * NS), "1900-02-28T23:59:59.000000Z");
    assert_string_equal(ts(-2203891200 * NS),
                        "1900-03-01T00:00:00.000000Z"); /* 1900: no leap day */
    /* Leap days and the year 2100 (not a leap year). */
    assert_string_equal(ts(1709208000 * NS), "2024-02-29T12:00:00.000000Z");
    assert_string_equal(ts(951782400 * NS), "2000-02-29T00:00:00.000000Z");
    assert_string_equal(ts(4107542400 * NS), "2100-03-01T00:00:00.000000Z");
    /* The ends of the int64_t range. */
    assert_string_equal(ts(INT64_MIN), "1677-09-21T00:12:43.145224Z");
    assert_string_equal(ts(INT64_MAX), "2262-04-11T23:47:16.854775Z");
}

/* The cache: a second's text is reused, each record still gets its own
 * microseconds, and moving between seconds (also backwards) refreshes it. */
static void test_rfc3339_cache(void **state)
{
    (void) state;
    int64_t base = 1705314645 * NS;
    assert_string_equal(ts(base + 1000), "2024-01-15T10:30:45.000001Z");
    assert_string_equal(ts(base + 999999000), "2024-01-15T10:30:45.999999Z");
    assert_string_equal(ts(base + NS), "2024-01-15T10:30:46.000000Z");
    assert_string_equal(ts(base - 1), "2024-01-15T10:30:44.999999Z");
    assert_string_equal(ts(base + 5000), "2024-01-15T10:30:45.000005Z");
    assert_string_equal(ts(-1), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(ts(-1000000), "1969-12-31T23:59:59.999000Z");
}

/* Our calendar arithmetic against a day-by-day walk from 1600 to 2400. */
static void test_civil_walk(void **state)
{
    (void) state;
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t y = 1600;
    unsigned m = 1, d = 1;
    for (int64_t days = -135140; y < 2400; days++) { /* 1600-01-01 is day -135140 */
        int64_t gy;
        unsigned gm, gd;
        nlog__civil_from_days(days, &gy, &gm, &gd);
        if (gy != y || gm != m || gd != d)
            fail_msg("day %lld: got %lld-%u-%u want %lld-%u-%u", (long long) days, (long long) gy,
                     gm, gd, (long long) y, m, d);
        unsigned len = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
        if (++d > len) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}

static void test_fmt_utc(void **state)
{
    (void) state;
    char b[NLOG__DATETIME_LEN + 1] = {0};
    nlog__fmt_utc(1705314645 * NS + 999999999, b);
    assert_string_equal(b, "2024-01-15 10:30:45");
    nlog__fmt_utc(-1, b);
    assert_string_equal(b, "1969-12-31 23:59:59");
    /* The RFC 3339 form for the same second still has its 'T'. */
    assert_string_equal(ts(-1), "1969-12-31T23:59:59.999999Z");
}

static void test_fmt_local(void **state)
{
    (void) state;
    char b[NLOG__DATETIME_LEN + 1] = {0};
    const char *old = getenv("TZ");
    char saved[256] = "";
    if (old)
        snprintf(saved, sizeof saved, "%s", old);

    /* POSIX rule strings need no tz database. */
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    tzset();
    nlog__timefmt_cache_reset();
    nlog__fmt_local(1705314645 * NS, b); /* January: EST, UTC-5 */
    assert_string_equal(b, "2024-01-15 05:30:45");
    nlog__fmt_local(1705314645 * NS + 500000000, b); /* same second, cached */
    assert_string_equal(b, "2024-01-15 05:30:45");
    nlog__fmt_local((1705314645 + 182 * 86400) * NS, b); /* July: EDT, UTC-4 */
    assert_string_equal(b, "2024-07-15 06:30:45");
    nlog__fmt_local(-1, b);
    assert_string_equal(b, "1969-12-31 18:59:59");

    setenv("TZ", "UTC0", 1);
    tzset();
    nlog__timefmt_cache_reset();
    nlog__fmt_local(1705314645 * NS, b);
    assert_string_equal(b, "2024-01-15 10:30:45");
    /* Without a reset the cache keeps the previous zone's text for its second:
     * documented (the zone is assumed not to change). */
    setenv("TZ", "EST5", 1);
    tzset();
    nlog__fmt_local(1705314645 * NS, b);
    assert_string_equal(b, "2024-01-15 10:30:45");
    nlog__fmt_local(1705314646 * NS, b);
    assert_string_equal(b, "2024-01-15 05:30:46");

    if (old)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    nlog__timefmt_cache_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),       cmocka_unit_test(test_hex),
        cmocka_unit_test(test_doubles),        cmocka_unit_test(test_doubles_match_reference),
        cmocka_unit_test(test_doubles_locale), cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_rfc3339_cache),  cmocka_unit_test(test_civil_walk),
        cmocka_unit_test(test_fmt_utc),        cmocka_unit_test(test_fmt_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
