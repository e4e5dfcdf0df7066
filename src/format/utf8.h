/* utf8.h (internal): UTF-8 decoding and cutting shared by the encoders.
 *
 * Ill-formed input is handled the way the Unicode standard recommends
 * ("U+FFFD substitution of maximal subparts", chapter 3.9): a lead byte and
 * the continuation bytes that still could have completed it form one
 * ill-formed unit, every other stray byte is a unit of its own, and each unit
 * becomes one U+FFFD. Overlongs, surrogates (ED A0..BF) and anything above
 * U+10FFFF are ill-formed.
 * Tested by: tests/unit/format/test_utf8.c */
#ifndef NLOG_FORMAT_UTF8_H
#define NLOG_FORMAT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Code point reported by nlog__utf8_next() for an ill-formed unit. */
#define NLOG__UTF8_BAD UINT32_MAX

/* The replacement character U+FFFD as UTF-8 (3 bytes). */
#define NLOG__UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* The ellipsis U+2026 that ends every cut string (3 bytes). */
#define NLOG__UTF8_ELLIPSIS "\xE2\x80\xA6"

/* Decodes the unit at s[0..n), n >= 1. Returns how many bytes it spans
 * (1..4) and stores its code point in *ret_cp, or NLOG__UTF8_BAD when the
 * unit is ill-formed (its length is then the maximal subpart, >= 1).
 * Never reads past s[n - 1]. */
static inline size_t nlog__utf8_next(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;

    if (c < 0x80) {
        *ret_cp = c;
        return 1;
    }
    *ret_cp = NLOG__UTF8_BAD;
    if (c < 0xC2 || c > 0xF4)
        return 1; /* continuation byte, overlong lead C0/C1, or beyond U+10FFFF */
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 1;
        *ret_cp = ((uint32_t) (c & 0x1F) << 6) | (s[1] & 0x3Fu);
        return 2;
    }
    /* The second byte's range is what rules out overlongs, surrogates and
     * code points above U+10FFFF (Unicode table 3-7). */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (n < 2 || s[1] < lo || s[1] > hi)
        return 1;
    if (n < 3 || (s[2] & 0xC0) != 0x80)
        return 2;
    if (c < 0xF0) {
        *ret_cp = ((uint32_t) (c & 0x0F) << 12) | ((uint32_t) (s[1] & 0x3F) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    if (n < 4 || (s[3] & 0xC0) != 0x80)
        return 3;
    *ret_cp = ((uint32_t) (c & 0x07) << 18) | ((uint32_t) (s[1] & 0x3F) << 12) |
              ((uint32_t) (s[2] & 0x3F) << 6) | (s[3] & 0x3Fu);
    return 4;
}

/* Largest n <= max such that s[0..n) does not end inside a UTF-8 sequence
 * (s has len bytes; max > len is treated as len). "Inside" means: the bytes
 * before the cut start a well-formed sequence, or the maximal subpart of an
 * ill-formed one, that extends past the cut. Cutting stray bytes anywhere
 * is allowed (each is a unit of its own). Never reads past s[len - 1]. */
size_t nlog__utf8_cut(const char *s, size_t len, size_t max);

/* 1 if s[0..len) is well-formed UTF-8, else 0. */
int nlog__utf8_valid(const char *s, size_t len);

#endif /* NLOG_FORMAT_UTF8_H */
