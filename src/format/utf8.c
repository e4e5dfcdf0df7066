/* utf8.c: cutting and validating UTF-8 (decoding is inline in utf8.h).
 *
 * Invariant: every function here reads only s[0..len) and agrees with
 * nlog__utf8_next() on where units begin and end, so a cut made here never
 * splits a character the encoders would have copied whole.
 * Tested by: tests/unit/format/test_utf8.c */
#include "format/utf8.h"

size_t nlog__utf8_cut(const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *) s;

    if (max >= len)
        return len;
    if ((u[max] & 0xC0) != 0x80)
        return max; /* the byte after the cut starts a unit */
    /* Walk back over at most three continuation bytes to the unit's lead. */
    for (size_t back = 1; back <= 3 && back <= max; back++) {
        size_t p = max - back;
        if ((u[p] & 0xC0) == 0x80)
            continue;
        uint32_t cp;
        size_t n = nlog__utf8_next(u + p, len - p, &cp);
        return p + n > max ? p : max;
    }
    return max; /* only stray continuation bytes before the cut */
}

int nlog__utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t i = 0;

    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        i += nlog__utf8_next(u + i, len - i, &cp);
        if (cp == NLOG__UTF8_BAD)
            return 0;
    }
    return 1;
}
