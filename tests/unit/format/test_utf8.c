/* test_utf8.c: UTF-8 decoding (maximal subparts), cutting and validation
 * (src/format/utf8.[ch]), checked against a reference built independently
 * from the encodings of every Unicode scalar value. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "format/utf8.h"

/* Reference: bitmaps of every byte string of length 1..3 that begins the
 * UTF-8 encoding of some scalar value, built by encoding all of them. */
static unsigned char *pfx1, *pfx2, *pfx3;

static size_t encode_cp(uint32_t cp, unsigned char *b)
{
    if (cp < 0x80) {
        b[0] = (unsigned char) cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char) (0xC0 | (cp >> 6));
        b[1] = (unsigned char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char) (0xE0 | (cp >> 12));
        b[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char) (0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char) (0xF0 | (cp >> 18));
    b[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char) (0x80 | (cp & 0x3F));
    return 4;
}

#define BIT_SET(m, i) ((m)[(i) >> 3] |= (unsigned char) (1u << ((i) &7)))
#define BIT_GET(m, i) (((m)[(i) >> 3] >> ((i) &7)) & 1u)

static int setup(void **state)
{
    (void) state;
    pfx1 = calloc(256 / 8, 1);
    pfx2 = calloc(65536 / 8, 1);
    pfx3 = calloc((1u << 24) / 8, 1);
    assert_non_null(pfx3);
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        unsigned char b[4];
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        size_t n = encode_cp(cp, b);
        BIT_SET(pfx1, b[0]);
        if (n >= 2)
            BIT_SET(pfx2, (unsigned) b[0] << 8 | b[1]);
        if (n >= 3)
            BIT_SET(pfx3, (unsigned) b[0] << 16 | (unsigned) b[1] << 8 | b[2]);
    }
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    free(pfx1);
    free(pfx2);
    free(pfx3);
    return 0;
}

/* Is s[0..k) (k = 1..4) the complete encoding of a scalar value? Decodes
 * naively by the lead byte and re-encodes: overlongs, surrogates and values
 * above U+10FFFF fail the round trip or the range check. */
static int ref_complete(const unsigned char *s, size_t k, uint32_t *cp)
{
    size_t want = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (want != k)
        return 0;
    uint32_t v = k == 1 ? s[0] : k == 2 ? s[0] & 0x1Fu : k == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    unsigned char b[4];
    if (encode_cp(v, b) != k || memcmp(b, s, k) != 0)
        return 0;
    *cp = v;
    return 1;
}

static int ref_prefix(const unsigned char *s, size_t k)
{
    switch (k) {
    case 1: return (int) BIT_GET(pfx1, s[0]);
    case 2: return (int) BIT_GET(pfx2, (unsigned) s[0] << 8 | s[1]);
    case 3: return (int) BIT_GET(pfx3, (unsigned) s[0] << 16 | (unsigned) s[1] << 8 | s[2]);
    default: return 0;
    }
}

/* Reference unit decoder: a complete sequence, else the longest prefix of
 * one (the maximal subpart), else a single byte. */
static size_t ref_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    for (size_t k = 1; k <= 4 && k <= n; k++) {
        if (ref_complete(s, k, cp))
            return k;
    }
    *cp = NLOG__UTF8_BAD;
    for (size_t k = n < 3 ? n : 3; k >= 1; k--) {
        if (ref_prefix(s, k))
            return k;
    }
    return 1;
}

static void check_unit(const unsigned char *s, size_t n)
{
    uint32_t cp_ref = 0, cp = 0;
    size_t k_ref = ref_next(s, n, &cp_ref);
    size_t k = nlog__utf8_next(s, n, &cp);
    if (k != k_ref || cp != cp_ref)
        fail_msg("bytes %02x %02x %02x %02x (n=%zu): got len %zu cp %x, want len %zu cp %x", s[0],
                 n > 1 ? s[1] : 0, n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, k, cp, k_ref, cp_ref);
}

/* Every sequence of up to three bytes, each also seen through every
 * shorter window (truncated input). */
static void test_next_exhaustive3(void **state)
{
    (void) state;
    for (unsigned a = 0; a < 256; a++) {
        unsigned char s[4] = {(unsigned char) a, 0, 0, 0};
        check_unit(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char) b;
            check_unit(s, 2);
            if (a < 0xE0)
                continue; /* a third byte cannot matter */
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (unsigned char) c;
                check_unit(s, 3);
            }
        }
    }
}

/* Four-byte leads with every second and third byte and a spread of fourth
 * bytes. */
static void test_next_four(void **state)
{
    (void) state;
    static const unsigned char fourth[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                           0xA0, 0xBF, 0xC0, 0xC2, 0xF0, 0xFF};
    for (unsigned a = 0xF0; a < 0x100; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (unsigned c = 0; c < 256; c += 3) {
                for (size_t d = 0; d < sizeof fourth; d++) {
                    unsigned char s[4] = {(unsigned char) a, (unsigned char) b, (unsigned char) c,
                                          fourth[d]};
                    check_unit(s, 4);
                }
            }
        }
    }
}

/* The example from the Unicode standard, section 3.9 (U+FFFD substitution
 * of maximal subparts). */
static void test_next_unicode_example(void **state)
{
    (void) state;
    static const unsigned char in[] = {0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2,
                                       0x62, 0x80, 0x63, 0x80, 0xBF, 0x64};
    static const uint32_t want[] = {
        0x61,           NLOG__UTF8_BAD, NLOG__UTF8_BAD, NLOG__UTF8_BAD, 0x62,
        NLOG__UTF8_BAD, 0x63,           NLOG__UTF8_BAD, NLOG__UTF8_BAD, 0x64};
    size_t i = 0, k = 0;
    while (i < sizeof in) {
        uint32_t cp;
        i += nlog__utf8_next(in + i, sizeof in - i, &cp);
        assert_true(k < sizeof want / sizeof want[0]);
        assert_int_equal(cp, want[k]);
        k++;
    }
    assert_int_equal(k, sizeof want / sizeof want[0]);
}

static void test_valid(void **state)
{
    (void) state;
    assert_true(nlog__utf8_valid("", 0));
    assert_true(nlog__utf8_valid("plain ascii", 11));
    assert_true(nlog__utf8_valid("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14));
    assert_true(nlog__utf8_valid("\xF4\x8F\xBF\xBF", 4));  /* U+10FFFF */
    assert_true(nlog__utf8_valid("\xEF\xBF\xBD", 3));      /* U+FFFD itself */
    assert_true(nlog__utf8_valid("a\0b", 3));              /* NUL is a character */
    assert_false(nlog__utf8_valid("\xC0\x80", 2));         /* overlong NUL */
    assert_false(nlog__utf8_valid("\xE0\x80\xAF", 3));     /* overlong '/' */
    assert_false(nlog__utf8_valid("\xED\xA0\x80", 3));     /* surrogate D800 */
    assert_false(nlog__utf8_valid("\xED\xBF\xBF", 3));     /* surrogate DFFF */
    assert_false(nlog__utf8_valid("\xF4\x90\x80\x80", 4)); /* U+110000 */
    assert_false(nlog__utf8_valid("\xF5\x80\x80\x80", 4));
    assert_false(nlog__utf8_valid("\xE2\x82", 2)); /* truncated */
    assert_false(nlog__utf8_valid("\x80", 1));     /* stray continuation */
    assert_false(nlog__utf8_valid("\xFF", 1));
}

/* Reference cut: the largest n <= max that is a unit boundary (units as
 * ref_next() sees them). */
static size_t ref_cut(const unsigned char *s, size_t len, size_t max)
{
    size_t i = 0, best = 0;
    if (max >= len)
        return len;
    while (i < len) {
        uint32_t cp;
        size_t k = ref_next(s + i, len - i, &cp);
        if (i + k > max)
            break;
        i += k;
        best = i;
    }
    return best;
}

static void test_cut_examples(void **state)
{
    (void) state;
    const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z"; /* a é € 😀 z: 1+2+3+4+1 */
    size_t len = strlen(s);
    static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};
    for (size_t max = 0; max <= len; max++)
        assert_int_equal(nlog__utf8_cut(s, len, max), want[max]);
    assert_int_equal(nlog__utf8_cut(s, len, 1000), len);
    assert_int_equal(nlog__utf8_cut("", 0, 5), 0);
    /* Stray continuation bytes are units of their own. */
    assert_int_equal(nlog__utf8_cut("\x80\x80\x80\x80\x80", 5, 3), 3);
    /* A truncated sequence: its maximal subpart is not split. */
    assert_int_equal(nlog__utf8_cut("x\xE2\x82y", 4, 2), 1);
    assert_int_equal(nlog__utf8_cut("x\xE2\x82y", 4, 3), 3);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_cut_random(void **state)
{
    (void) state;
    static const unsigned char pool[] = {'a',  0x00, 0x7F, 0x80, 0x8F, 0x9F, 0xA0, 0xBF,
                                         0xC2, 0xC0, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0,
                                         0xF4, 0xF5, 0xFF, 0x82, 0xAC, 0x90, 0x98};
    for (int iter = 0; iter < 20000; iter++) {
        unsigned char s[24];
        size_t len = rnd() % sizeof s;
        for (size_t i = 0; i < len; i++)
            s[i] = (rnd() & 3) ? pool[rnd() % sizeof pool] : (unsigned char) rnd();
        /* An exact-size heap copy so reads past len are caught by ASan. */
        char *h = malloc(len ? len : 1);
        memcpy(h, s, len);
        for (size_t max = 0; max <= len + 1; max++) {
            size_t got = nlog__utf8_cut(h, len, max);
            size_t want = ref_cut(s, len, max);
            if (got != want)
                fail_msg("iter %d len %zu max %zu: got %zu want %zu", iter, len, max, got, want);
        }
        free(h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_exhaustive3),     cmocka_unit_test(test_next_four),
        cmocka_unit_test(test_next_unicode_example), cmocka_unit_test(test_valid),
        cmocka_unit_test(test_cut_examples),         cmocka_unit_test(test_cut_random),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
