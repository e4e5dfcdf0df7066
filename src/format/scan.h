/* scan.h (internal): word-at-a-time scanners for the escapers' fast path
 * (SSE2 where the compiler targets it, eight-byte SWAR words elsewhere).
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

NLOG__DEFINE_SCAN(nlog__scan_quote, nlog__swar_quote, nlog__quote_special)

#if defined(__SSE2__)
/* SSE2 (every x86-64 CPU): sixteen bytes per step. A string's last few bytes
 * are tested with one more 16-byte load when that load cannot leave the
 * string's memory page (it may read past the end of the string, never into
 * an unmapped page); the bytes past the end are masked off and never copied.
 * Builds with AddressSanitizer or ThreadSanitizer finish bytewise instead,
 * since both rightly see that read. */
#include <emmintrin.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NLOG__SCAN_OVERREAD 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NLOG__SCAN_OVERREAD 0
#endif
#endif
#ifndef NLOG__SCAN_OVERREAD
#define NLOG__SCAN_OVERREAD 1
#endif

/* Bit i set when byte i needs escaping in JSON (< 0x20, '"', '\\', 0x7f,
 * >= 0x80: a signed compare catches both ends at once). */
static inline unsigned nlog__sse_json(__m128i x)
{
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                             _mm_cmpeq_epi8(x, _mm_set1_epi8(0x22)));
    m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x5C)),
                                     _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F))));
    return (unsigned) _mm_movemask_epi8(m);
}

/* The same for the console format: < 0x20, 0x7f, >= 0x80. */
static inline unsigned nlog__sse_text(__m128i x)
{
    return (unsigned) _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                                                     _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F))));
}

/* Copies k < 16 bytes with at most four loads and stores. */
static inline void nlog__copy_small(char *d, const unsigned char *s, size_t k)
{
    if (k >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + k - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + k - 8, &b, 8);
    } else if (k >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + k - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + k - 4, &b, 4);
    } else {
        for (size_t j = 0; j < k; j++)
            d[j] = (char) s[j];
    }
}

/* Defines `name(dst, s, n)` (dst NULL: scan only): the length of the longest
 * prefix of s[0..n) that can be copied verbatim, copied to dst on the way.
 * Nothing at or beyond dst[n] is written. */
#define NLOG__DEFINE_SSE_SCAN(name, vectest, bytetest)                                             \
    static inline size_t name(char *dst, const unsigned char *s, size_t n)                         \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; n - i >= 16; i += 16) {                                                             \
            __m128i x = _mm_loadu_si128((const __m128i *) (const void *) (s + i));                 \
            if (dst)                                                                               \
                _mm_storeu_si128((__m128i *) (void *) (dst + i), x);                               \
            unsigned m = vectest(x);                                                               \
            if (m)                                                                                 \
                return i + (size_t) __builtin_ctz(m);                                              \
        }                                                                                          \
        if (i == n)                                                                                \
            return n;                                                                              \
        if (NLOG__SCAN_OVERREAD && ((uintptr_t) (s + i) & 4095) <= 4096 - 16) {                    \
            __m128i x = _mm_loadu_si128((const __m128i *) (const void *) (s + i));                 \
            unsigned m = vectest(x) | (0xFFFFu << (n - i)); /* bytes past the end stop it */       \
            size_t k = (size_t) __builtin_ctz(m);                                                  \
            if (dst)                                                                               \
                nlog__copy_small(dst + i, s + i, k);                                               \
            return i + k;                                                                          \
        }                                                                                          \
        for (; i < n && !bytetest(s[i]); i++)                                                      \
            if (dst)                                                                               \
                dst[i] = (char) s[i];                                                              \
        return i;                                                                                  \
    }

NLOG__DEFINE_SSE_SCAN(nlog__sse_scan_json, nlog__sse_json, nlog__json_special)
NLOG__DEFINE_SSE_SCAN(nlog__sse_scan_text, nlog__sse_text, nlog__text_special)

static inline size_t nlog__scan_json(const unsigned char *s, size_t n)
{
    return nlog__sse_scan_json(NULL, s, n);
}
static inline size_t nlog__scan_text(const unsigned char *s, size_t n)
{
    return nlog__sse_scan_text(NULL, s, n);
}
static inline size_t nlog__copy_json(char *dst, const unsigned char *s, size_t n)
{
    return nlog__sse_scan_json(dst, s, n);
}
static inline size_t nlog__copy_text(char *dst, const unsigned char *s, size_t n)
{
    return nlog__sse_scan_text(dst, s, n);
}
#else
NLOG__DEFINE_SCAN(nlog__scan_json, nlog__swar_json, nlog__json_special)
NLOG__DEFINE_SCAN(nlog__scan_text, nlog__swar_text, nlog__text_special)
NLOG__DEFINE_SCAN_COPY(nlog__copy_json, nlog__swar_json, nlog__json_special)
NLOG__DEFINE_SCAN_COPY(nlog__copy_text, nlog__swar_text, nlog__text_special)
#endif

#endif /* NLOG_FORMAT_SCAN_H */
