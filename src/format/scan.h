/* scan.h (internal): word-at-a-time scanners for the escapers' fast path.
 *
 * Each scanner returns the length of the longest prefix of s[0..n) made of
 * bytes that can be copied verbatim, eight bytes per step: the bytes are
 * loaded into a uint64_t with memcpy (no alignment or aliasing assumptions)
 * and tested with the classic "has zero byte" / "has byte less than" tricks.
 * Those tricks may flag extra bytes, but only above a truly flagged one, so
 * on a little-endian machine the lowest flagged byte is always exact; other
 * byte orders finish the flagged word bytewise.
 * Tested by: tests/unit/format/test_json_escape.c, test_text_format.c */
#ifndef NLOG_FORMAT_SCAN_H
#define NLOG_FORMAT_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NLOG__SWAR_ONES 0x0101010101010101ULL
#define NLOG__SWAR_HIGH 0x8080808080808080ULL

/* High bit set in (at least the lowest of) the bytes of x equal to b. */
#define NLOG__SWAR_EQ(x, b)                                                                        \
    ((((x) ^ (NLOG__SWAR_ONES * (b))) - NLOG__SWAR_ONES) & ~((x) ^ (NLOG__SWAR_ONES * (b))))

/* Bytes a JSON string cannot hold verbatim or that need UTF-8 checking:
 * < 0x20, '"', '\\', 0x7f, >= 0x80. */
static inline uint64_t nlog__swar_json(uint64_t x)
{
    uint64_t ctl = (x - NLOG__SWAR_ONES * 0x20) & ~x;
    return (ctl | NLOG__SWAR_EQ(x, 0x22) | NLOG__SWAR_EQ(x, 0x5C) | NLOG__SWAR_EQ(x, 0x7F) | x) &
           NLOG__SWAR_HIGH;
}

/* Bytes the console format cannot show verbatim: < 0x20, 0x7f, >= 0x80. */
static inline uint64_t nlog__swar_text(uint64_t x)
{
    uint64_t ctl = (x - NLOG__SWAR_ONES * 0x20) & ~x;
    return (ctl | NLOG__SWAR_EQ(x, 0x7F) | x) & NLOG__SWAR_HIGH;
}

/* Bytes that force a console field value into quotes: ' ', '=', '"'. */
static inline uint64_t nlog__swar_quote(uint64_t x)
{
    return (NLOG__SWAR_EQ(x, 0x20) | NLOG__SWAR_EQ(x, 0x3D) | NLOG__SWAR_EQ(x, 0x22)) &
           NLOG__SWAR_HIGH;
}

static inline int nlog__json_special(unsigned c)
{
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x7F;
}

static inline int nlog__text_special(unsigned c)
{
    return c < 0x20 || c >= 0x7F;
}

static inline int nlog__quote_special(unsigned c)
{
    return c == ' ' || c == '=' || c == '"';
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NLOG__SWAR_FIRST(m) ((size_t) __builtin_ctzll(m) >> 3)
#else
#define NLOG__SWAR_FIRST(m) ((size_t) 8) /* finish bytewise */
#endif

/* Defines `static inline size_t name(const unsigned char *s, size_t n)`. */
#define NLOG__DEFINE_SCAN(name, wordtest, bytetest)                                                \
    static inline size_t name(const unsigned char *s, size_t n)                                    \
    {                                                                                              \
        size_t i = 0;                                                                              \
        while (n - i >= 8) {                                                                       \
            uint64_t x, m;                                                                         \
            memcpy(&x, s + i, 8);                                                                  \
            m = wordtest(x);                                                                       \
            if (m) {                                                                               \
                size_t k = NLOG__SWAR_FIRST(m);                                                    \
                if (k < 8)                                                                         \
                    return i + k;                                                                  \
                break;                                                                             \
            }                                                                                      \
            i += 8;                                                                                \
        }                                                                                          \
        while (i < n && !bytetest(s[i]))                                                           \
            i++;                                                                                   \
        return i;                                                                                  \
    }

/* Defines `static inline size_t name(char *dst, const unsigned char *s,
 * size_t n)`: as the scanner, and copies the clean prefix to dst on the way
 * (each word is stored before it is tested, so bytes of dst past the
 * returned length but below n may be overwritten; nothing at or beyond
 * dst[n] is). Saves a memcpy call per run on short strings. */
#define NLOG__DEFINE_SCAN_COPY(name, wordtest, bytetest)                                           \
    static inline size_t name(char *dst, const unsigned char *s, size_t n)                         \
    {                                                                                              \
        size_t i = 0;                                                                              \
        while (n - i >= 8) {                                                                       \
            uint64_t x, m;                                                                         \
            memcpy(&x, s + i, 8);                                                                  \
            memcpy(dst + i, &x, 8);                                                                \
            m = wordtest(x);                                                                       \
            if (m) {                                                                               \
                size_t k = NLOG__SWAR_FIRST(m);                                                    \
                if (k < 8)                                                                         \
                    return i + k;                                                                  \
                break;                                                                             \
            }                                                                                      \
            i += 8;                                                                                \
        }                                                                                          \
        while (i < n && !bytetest(s[i])) {                                                         \
            dst[i] = (char) s[i];                                                                  \
            i++;                                                                                   \
        }                                                                                          \
        return i;                                                                                  \
    }

NLOG__DEFINE_SCAN(nlog__scan_json, nlog__swar_json, nlog__json_special)
NLOG__DEFINE_SCAN(nlog__scan_text, nlog__swar_text, nlog__text_special)
NLOG__DEFINE_SCAN(nlog__scan_quote, nlog__swar_quote, nlog__quote_special)
NLOG__DEFINE_SCAN_COPY(nlog__copy_json, nlog__swar_json, nlog__json_special)
NLOG__DEFINE_SCAN_COPY(nlog__copy_text, nlog__swar_text, nlog__text_special)

#endif /* NLOG_FORMAT_SCAN_H */
