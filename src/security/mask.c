/* mask.c: see mask.h. */
#include <string.h>

#include "security/mask.h"

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char) s[i];
        h *= 1099511628211ull;
    }
    return h | 1; /* never 0: 0 marks an empty slot */
}

/* Lower-cases `key` into out (at most cap bytes), splitting camelCase and
 * turning '-' and '.' into '_'. Returns the length. */
static size_t normalize(const char *key, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o < cap; i++) {
        unsigned char c = (unsigned char) key[i];
        if (c >= 'A' && c <= 'Z') {
            if (i > 0 && o < cap - 1) {
                unsigned char p = (unsigned char) key[i - 1];
                if ((p >= 'a' && p <= 'z') || is_digit(p))
                    out[o++] = '_';
            }
            out[o++] = (char) (c | 0x20);
        } else if (c == '-' || c == '.' || c == ' ') {
            out[o++] = '_';
        } else {
            out[o++] = (char) c;
        }
    }
    return o;
}

static void put(nlog__masker *m, const char *name, uint8_t what)
{
    char norm[NLOG_SECURITY_NAME_MAX * 2];
    size_t n = normalize(name, strlen(name), norm, sizeof norm);
    if (n == 0 || n >= NLOG_SECURITY_NAME_MAX)
        return;
    uint64_t h = fnv(norm, n);
    size_t i = (size_t) h & (NLOG__MASK_SLOTS - 1);
    while (m->slot[i].hash) {
        if (m->slot[i].hash == h && m->slot[i].len == n && memcmp(m->slot[i].name, norm, n) == 0) {
            if (what > m->slot[i].what)
                m->slot[i].what = what; /* encryption wins */
            return;
        }
        i = (i + 1) & (NLOG__MASK_SLOTS - 1);
    }
    m->slot[i].hash = h;
    m->slot[i].what = what;
    m->slot[i].len = (uint8_t) n;
    memcpy(m->slot[i].name, norm, n);
    m->any_names = 1;
}

void nlog__masker_init(nlog__masker *m, const nlog_config *cfg, int with_encrypt)
{
    memset(m, 0, sizeof *m);
    m->cards = cfg->mask_card_numbers > 0;
    m->bearer = cfg->mask_bearer_tokens > 0;
    for (int i = 0; i < cfg->mask_fields.n && i < NLOG_NAME_LIST_MAX; i++)
        put(m, cfg->mask_fields.names[i], NLOG__KEY_MASK);
    if (with_encrypt)
        for (int i = 0; i < cfg->encrypt_fields.n && i < NLOG_NAME_LIST_MAX; i++)
            put(m, cfg->encrypt_fields.names[i], NLOG__KEY_ENCRYPT);
}

static int lookup(const nlog__masker *m, const char *s, size_t n)
{
    uint64_t h = fnv(s, n);
    size_t i = (size_t) h & (NLOG__MASK_SLOTS - 1);
    while (m->slot[i].hash) {
        if (m->slot[i].hash == h && m->slot[i].len == n && memcmp(m->slot[i].name, s, n) == 0)
            return m->slot[i].what;
        i = (i + 1) & (NLOG__MASK_SLOTS - 1);
    }
    return NLOG__KEY_PLAIN;
}

int nlog__masker_key(const nlog__masker *m, const char *key, size_t len)
{
    if (!m->any_names || !key)
        return NLOG__KEY_PLAIN;
    char norm[256];
    size_t n = normalize(key, len, norm, sizeof norm);
    /* component boundaries */
    size_t starts[64], n_starts = 0;
    int best = NLOG__KEY_PLAIN;
    for (size_t i = 0; i < n && n_starts < 64; i++)
        if (norm[i] != '_' && (i == 0 || norm[i - 1] == '_'))
            starts[n_starts++] = i;
    for (size_t a = 0; a < n_starts; a++) {
        for (size_t e = starts[a]; e <= n; e++) {
            if (e != n && norm[e] != '_')
                continue;
            if (e - starts[a] >= NLOG_SECURITY_NAME_MAX)
                break;
            if (e > starts[a]) {
                int w = lookup(m, norm + starts[a], e - starts[a]);
                if (w > best)
                    best = w;
                if (best == NLOG__KEY_ENCRYPT)
                    return best;
            }
        }
    }
    return best;
}

int nlog__luhn(const char *d, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned) (d[n - 1 - i] - '0');
        if (i & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* A run of digit groups starting at s[i] (a digit that starts a word):
 * groups separated by one space or dash. If the whole run, or a run of
 * consecutive whole groups, is a Luhn-valid 13..19 digit number not joined
 * to a word, stores its span and returns 1. *ret_end receives where the run
 * ends, so the caller can skip it. */
static int card_at(const char *s, size_t len, size_t i, size_t *ret_a, size_t *ret_b,
                   size_t *ret_end)
{
    enum { GROUPS = 24 };
    size_t ga[GROUPS], gb[GROUPS], ng = 0, total = 0;
    size_t p = i;
    for (;;) {
        size_t a = p;
        while (p < len && is_digit((unsigned char) s[p]))
            p++;
        if (ng < GROUPS) {
            ga[ng] = a;
            gb[ng] = p;
            ng++;
        }
        total += p - a;
        if (p + 1 < len && (s[p] == ' ' || s[p] == '-') && is_digit((unsigned char) s[p + 1]) &&
            total <= 64) {
            p++;
            continue;
        }
        break;
    }
    *ret_end = p;
    if (total < 13 || (p < len && is_alnum((unsigned char) s[p])))
        return 0;
    char digits[20];
    /* Every window of whole groups, leftmost first, longest first. */
    for (size_t g0 = 0; g0 < ng; g0++) {
        for (size_t g1 = ng; g1-- > g0;) {
            size_t nd = 0;
            for (size_t g = g0; g <= g1; g++)
                nd += gb[g] - ga[g];
            if (nd < 13 || nd > 19)
                continue;
            size_t o = 0;
            for (size_t g = g0; g <= g1; g++) {
                memcpy(digits + o, s + ga[g], gb[g] - ga[g]);
                o += gb[g] - ga[g];
            }
            if (nlog__luhn(digits, nd)) {
                *ret_a = ga[g0];
                *ret_b = gb[g1];
                return 1;
            }
        }
    }
    return 0;
}

static int token_char(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
           c == '=';
}

/* "bearer" at s[i], blanks, then a token of at least 8 characters. */
static int bearer_at(const char *s, size_t len, size_t i, size_t *ret_a, size_t *ret_b)
{
    static const char word[] = "bearer";
    if (len - i < 6 + 1 + 8)
        return 0;
    for (size_t k = 0; k < 6; k++)
        if (((unsigned char) s[i + k] | 0x20) != (unsigned char) word[k])
            return 0;
    size_t p = i + 6;
    if (s[p] != ' ' && s[p] != '\t')
        return 0;
    while (p < len && (s[p] == ' ' || s[p] == '\t'))
        p++;
    size_t a = p;
    while (p < len && token_char((unsigned char) s[p]))
        p++;
    if (p - a < 8)
        return 0;
    *ret_a = a;
    *ret_b = p;
    return 1;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Does the word hold a digit or a 'b'/'B'? Exact "any byte" tests. */
static int interesting(uint64_t x)
{
    uint64_t d = x ^ (ONES * '0');
    uint64_t digit = (d - ONES * 10) & ~d & HIGHS;
    uint64_t y = (x | (ONES * 0x20)) ^ (ONES * 'b');
    uint64_t b = (y - ONES) & ~y & HIGHS;
    return (digit | b) != 0;
}

/* The next span to mask at or after *pos; 0 when there is none. */
static int next_span(const nlog__masker *m, const char *s, size_t len, size_t *pos, size_t *ret_a,
                     size_t *ret_b)
{
    size_t i = *pos;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!interesting(x)) {
                i += 8;
                continue;
            }
        }
        size_t stop = len - i >= 8 ? i + 8 : len;
        for (; i < stop; i++) {
            unsigned char c = (unsigned char) s[i];
            int word_start = i == 0 || !is_alnum((unsigned char) s[i - 1]);
            if (!word_start)
                continue;
            if (m->cards && is_digit(c)) {
                size_t end;
                if (card_at(s, len, i, ret_a, ret_b, &end)) {
                    *pos = *ret_b;
                    return 1;
                }
                if (end > i + 1) /* skip the digits of a run that was no card */
                    i = end - 1;
            } else if (m->bearer && (c | 0x20) == 'b' && bearer_at(s, len, i, ret_a, ret_b)) {
                *pos = *ret_b;
                return 1;
            }
        }
    }
    *pos = len;
    return 0;
}

int nlog__mask_needed(const nlog__masker *m, const char *s, size_t len)
{
    size_t pos = 0, a, b;
    if (!m->cards && !m->bearer)
        return 0;
    return next_span(m, s, len, &pos, &a, &b);
}

size_t nlog__mask_copy(const nlog__masker *m, const char *s, size_t len, char *dst)
{
    size_t pos = 0, from = 0, o = 0, a, b;
    while (next_span(m, s, len, &pos, &a, &b)) {
        memcpy(dst + o, s + from, a - from);
        o += a - from;
        memcpy(dst + o, NLOG__MASKED, 3);
        o += 3;
        from = b;
    }
    memcpy(dst + o, s + from, len - from);
    return o + len - from;
}
