/* numfmt.c: integers without the C library, doubles with it but in the C
 * locale.
 *
 * Integers are written two digits at a time from a 200-byte table, right to
 * left into a small stack buffer, then copied out (no division by a
 * variable, no snprintf). Doubles need a correct shortest round-trip, which
 * snprintf/strtod give us; the only trap is the decimal point of the
 * application's LC_NUMERIC, so the conversion runs under a per-thread
 * uselocale() of a C locale object created once (pthread_once). That object
 * is the module's only static state: written once, then read-only.
 * Tested by: tests/unit/format/test_json_values.c */
#include "format/numfmt.h"
#include "format/numfmt_locale.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char nlog__digits2[201] = "00010203040506070809"
                                 "10111213141516171819"
                                 "20212223242526272829"
                                 "30313233343536373839"
                                 "40414243444546474849"
                                 "50515253545556575859"
                                 "60616263646566676869"
                                 "70717273747576777879"
                                 "80818283848586878889"
                                 "90919293949596979899";

size_t nlog__u64_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 10000) {
        v /= 10000;
        n += 4;
    }
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

size_t nlog__i64_len(int64_t v)
{
    return v < 0 ? 1 + nlog__u64_len(0 - (uint64_t) v) : nlog__u64_len((uint64_t) v);
}

size_t nlog__fmt_u64(char *out, uint64_t v)
{
    char buf[NLOG__U64_MAX_DIGITS];
    char *p = buf + sizeof buf;

    if (v < 100) { /* line numbers, counts, small values: no loop, no copy */
        if (v < 10) {
            out[0] = (char) ('0' + v);
            return 1;
        }
        memcpy(out, nlog__digits2 + 2 * v, 2);
        return 2;
    }
    if (v <= UINT32_MAX) { /* 32-bit divisions are cheaper */
        uint32_t w = (uint32_t) v;
        while (w >= 100) {
            uint32_t r = w % 100;
            w /= 100;
            p -= 2;
            memcpy(p, nlog__digits2 + 2 * r, 2);
        }
        if (w >= 10) {
            p -= 2;
            memcpy(p, nlog__digits2 + 2 * w, 2);
        } else {
            *--p = (char) ('0' + w);
        }
        size_t n = (size_t) (buf + sizeof buf - p);
        memcpy(out, p, n);
        return n;
    }

    while (v >= 100) {
        unsigned r = (unsigned) (v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, nlog__digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, nlog__digits2 + 2 * v, 2);
    } else {
        *--p = (char) ('0' + v);
    }
    size_t n = (size_t) (buf + sizeof buf - p);
    memcpy(out, p, n);
    return n;
}

size_t nlog__fmt_i64(char *out, int64_t v)
{
    if (v < 0) {
        out[0] = '-';
        return 1 + nlog__fmt_u64(out + 1, 0 - (uint64_t) v); /* exact for INT64_MIN */
    }
    return nlog__fmt_u64(out, (uint64_t) v);
}

size_t nlog__fmt_hex64(char *out, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 1;

    while (n < 16 && (v >> (4 * n)) != 0)
        n++;
    for (size_t i = 0; i < n; i++)
        out[i] = hex[(v >> (4 * (n - 1 - i))) & 0xF];
    return n;
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale; /* (locale_t) 0 if newlocale() failed */

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
}

static const double pow10_exact[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                       1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

/* Fast path for the common short decimals (0.045, 128.5, 3.25e-3) with
 * 1e-4 <= |v| < 1e15, where %.15g uses fixed notation. Finds the fewest
 * decimals d (1..18) such that m = round(|v| * 10^d) < 10^15 gives back v
 * as m / 10^d. Both m and 10^d are exact doubles and IEEE division rounds
 * correctly, so that test is exactly "strtod(decimal) == v"; and a decimal
 * of at most 15 significant digits that reads back as v is what %.15g
 * prints for v (15 digits always survive a decimal-double-decimal round
 * trip). The product |v| * 10^d is off by at most 2^-53 relative, under
 * 0.12 in absolute terms while m < 10^15, which can move the rounding only
 * for values that could not round-trip anyway. Returns 0 when it does not
 * apply; *ret_tried says whether the range was searched (then no decimal of
 * 15 or fewer digits exists and %.15g need not be tried). */
static size_t short_decimal(char *out, double v, int *ret_tried)
{
    double a = v < 0 ? -v : v;
    *ret_tried = 0;
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    *ret_tried = 1;
    for (int d = 1; d <= 18; d++) {
        double x = a * pow10_exact[d];
        if (x >= 1e15)
            return 0;
        double m = (double) (int64_t) (x + 0.5);
        if (m / pow10_exact[d] != a)
            continue;
        /* "[-]int.frac" with exactly d fractional digits (the last one
         * non-zero, since d is the fewest). */
        char digits[NLOG__U64_MAX_DIGITS];
        uint64_t mi = (uint64_t) m;
        size_t nd = nlog__fmt_u64(digits, mi), o = 0;
        if (v < 0)
            out[o++] = '-';
        if (nd <= (size_t) d) {
            out[o++] = '0';
            out[o++] = '.';
            for (size_t z = nd; z < (size_t) d; z++)
                out[o++] = '0';
            memcpy(out + o, digits, nd);
            o += nd;
        } else {
            memcpy(out + o, digits, nd - (size_t) d);
            o += nd - (size_t) d;
            out[o++] = '.';
            memcpy(out + o, digits + nd - (size_t) d, (size_t) d);
            o += (size_t) d;
        }
        return o;
    }
    return 0;
}

/* The %.15g/%.16g/%.17g search in whatever locale is current for this
 * thread, starting at `first` digits; out has NLOG__DOUBLE_MAX bytes. */
static size_t shortest_g(char *out, double v, int first)
{
    int n = 0;

    for (int prec = first; prec <= 17; prec++) {
        n = snprintf(out, NLOG__DOUBLE_MAX, "%.*g", prec, v);
        if (n <= 0 || n >= NLOG__DOUBLE_MAX)
            break; /* cannot happen for a finite double; keep what we have */
        if (prec == 17 || strtod(out, NULL) == v)
            break;
    }
    if (n <= 0)
        return 0;
    return n < NLOG__DOUBLE_MAX ? (size_t) n : NLOG__DOUBLE_MAX - 1;
}

size_t nlog__fmt_double_in(char *out, double v, int use_c_locale)
{
    if (!isfinite(v)) {
        memcpy(out, "null", 4);
        return 4;
    }
    /* Integral values below 1e15 print the same under %.15g as in decimal;
     * most counters and sizes land here without touching stdio. */
    if (v > -1e15 && v < 1e15 && v == (double) (int64_t) v) {
        if (v == 0) {
            if (signbit(v)) {
                memcpy(out, "-0", 2);
                return 2;
            }
            out[0] = '0';
            return 1;
        }
        return nlog__fmt_i64(out, (int64_t) v);
    }

    int short_tried = 0;
    size_t n = short_decimal(out, v, &short_tried);
    if (n)
        return n;
    if (use_c_locale) {
        (void) pthread_once(&c_locale_once, c_locale_init);
    }
    if (use_c_locale && c_locale != (locale_t) 0) {
        locale_t old = uselocale(c_locale);
        n = shortest_g(out, v, short_tried ? 16 : 15);
        (void) uselocale(old);
    } else {
        /* No C locale object: format in the current locale and repair the
         * decimal comma used by most locales that do not use '.'. */
        n = shortest_g(out, v, short_tried ? 16 : 15);
        for (size_t i = 0; i < n; i++) {
            if (out[i] == ',')
                out[i] = '.';
        }
    }
    if (n == 0) {
        memcpy(out, "null", 4);
        return 4;
    }
    return n;
}

size_t nlog__fmt_double(char *out, double v)
{
    return nlog__fmt_double_in(out, v, 1);
}
