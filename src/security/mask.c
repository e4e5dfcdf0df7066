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

/* A fast hash of a short name: 8 bytes at a time, one multiply each. */
static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
    }
    return h | 1; /* never 0: 0 marks an empty slot */
}

/* The prefilter's bit for a run starting with the (lower-case) letters a, b,
 * c, where 0 stands for the end of a component. */
static unsigned tri_bit(unsigned a, unsigned b, unsigned c)
{
    return (a * 961u + b * 31u + c) & (NLOG__MASK_PAIRS - 1);
}

static int is_sep(unsigned char c)
{
    return c == '_' || c == '-' || c == '.' || c == ' ';
}

static unsigned lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c | 0x20u : c;
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
    uint64_t h = name_hash(norm, n);
    unsigned b1 = n > 1 && norm[1] != '_' ? (unsigned char) norm[1] : 0;
    unsigned b2 = b1 && n > 2 && norm[2] != '_' ? (unsigned char) norm[2] : 0;
    unsigned pb = tri_bit((unsigned char) norm[0], b1, b2);
    m->pairs[pb / 64] |= 1ull << (pb % 64);
    m->lengths |= 1ull << n;
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

/* Registers a name, and its components run together ("credit_card" also as
 * "creditcard"): a key written without separators, all in one case
 * ("CREDITCARD", "accesstoken") or with its boundary elsewhere
 * ("passWord", "pass_word") is the same name. */
static void put_name(nlog__masker *m, const char *name, uint8_t what)
{
    char norm[NLOG_SECURITY_NAME_MAX * 2], joined[NLOG_SECURITY_NAME_MAX];
    put(m, name, what);
    size_t n = normalize(name, strlen(name), norm, sizeof norm), j = 0;
    for (size_t i = 0; i < n && j + 1 < sizeof joined; i++)
        if (norm[i] != '_')
            joined[j++] = norm[i];
    joined[j] = '\0';
    if (j > 0 && j < n)
        put(m, joined, what);
}

void nlog__masker_init(nlog__masker *m, const nlog_config *cfg, int with_encrypt)
{
    memset(m, 0, sizeof *m);
    m->cards = cfg->mask_card_numbers > 0;
    m->bearer = cfg->mask_bearer_tokens > 0;
    for (int i = 0; i < cfg->mask_fields.n && i < NLOG_NAME_LIST_MAX; i++)
        put_name(m, cfg->mask_fields.names[i], NLOG__KEY_MASK);
    if (with_encrypt)
        for (int i = 0; i < cfg->encrypt_fields.n && i < NLOG_NAME_LIST_MAX; i++)
            put_name(m, cfg->encrypt_fields.names[i], NLOG__KEY_ENCRYPT);
}

static int lookup(const nlog__masker *m, const char *s, size_t n)
{
    if (!(m->lengths & (1ull << n)))
        return NLOG__KEY_PLAIN;
    uint64_t h = name_hash(s, n);
    size_t i = (size_t) h & (NLOG__MASK_SLOTS - 1);
    while (m->slot[i].hash) {
        if (m->slot[i].hash == h && m->slot[i].len == n && memcmp(m->slot[i].name, s, n) == 0)
            return m->slot[i].what;
        i = (i + 1) & (NLOG__MASK_SLOTS - 1);
    }
    return NLOG__KEY_PLAIN;
}

/* Whether some component of the raw key starts with three letters a listed
 * name starts with: one pass over the key, no copy. Components begin at the
 * start, after a separator, and at an upper-case letter after a lower-case
 * letter or digit, exactly as normalize() splits them. */
static int maybe_listed(const nlog__masker *m, const char *key, size_t len)
{
    const unsigned char *k = (const unsigned char *) key;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = k[i];
        if (is_sep(c))
            continue;
        int start = i == 0 || is_sep(k[i - 1]) ||
                    (c >= 'A' && c <= 'Z' && ((k[i - 1] >= 'a' && k[i - 1] <= 'z') ||
                                              (k[i - 1] >= '0' && k[i - 1] <= '9')));
        if (!start)
            continue;
        unsigned ch[2] = {0, 0};
        for (size_t j = 1; j <= 2; j++) {
            if (i + j >= len || is_sep(k[i + j]))
                break;
            unsigned char d = k[i + j], p = k[i + j - 1];
            if (d >= 'A' && d <= 'Z' && ((p >= 'a' && p <= 'z') || (p >= '0' && p <= '9')))
                break; /* camelCase: a new component */
            ch[j - 1] = lower(d);
        }
        unsigned pb = tri_bit(lower(c), ch[0], ch[0] ? ch[1] : 0);
        if (m->pairs[pb / 64] & (1ull << (pb % 64)))
            return 1;
    }
    return 0;
}

int nlog__masker_key(const nlog__masker *m, const char *key, size_t len)
{
    if (!m->any_names || !key || !maybe_listed(m, key, len))
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
        /* No listed name starts with this component's first two letters:
         * no run from here can match (the common case, one bit test). */
        size_t s0 = starts[a];
        unsigned b1 = s0 + 1 < n && norm[s0 + 1] != '_' ? (unsigned char) norm[s0 + 1] : 0;
        unsigned b2 = b1 && s0 + 2 < n && norm[s0 + 2] != '_' ? (unsigned char) norm[s0 + 2] : 0;
        unsigned pb = tri_bit((unsigned char) norm[s0], b1, b2);
        if (!(m->pairs[pb / 64] & (1ull << (pb % 64))))
            continue;
        for (size_t e = starts[a]; e <= n; e++) {
            if (e != n && norm[e] != '_')
                continue;
            if (e - starts[a] >= NLOG_SECURITY_NAME_MAX)
                break;
            if (e > starts[a]) {
                int w = lookup(m, norm + starts[a], e - starts[a]);
                if (e < n || a + 1 < n_starts) {
                    /* the run without its separators: "pass_word", "passWord" */
                    char joined[NLOG_SECURITY_NAME_MAX];
                    size_t j = 0;
                    for (size_t k = starts[a]; k < e; k++)
                        if (norm[k] != '_')
                            joined[j++] = norm[k];
                    if (j < e - starts[a]) {
                        int wj = lookup(m, joined, j);
                        if (wj > w)
                            w = wj;
                    }
                }
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

static int card_sep(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '-' || c == '.';
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
    int dotted = 0;
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
        /* a separator between groups: up to 3 of blank, tab, dash, dot
         * ("4111 1111", "4111  1111", "4111 - 1111", "4111.1111") */
        size_t q = p;
        while (q < len && q - p < 3 && card_sep((unsigned char) s[q]))
            q++;
        if (q > p && q < len && is_digit((unsigned char) s[q]) && total <= 64) {
            dotted |= memchr(s + p, '.', q - p) != NULL;
            p = q;
            continue;
        }
        break;
    }
    *ret_end = p;
    /* a number joined to letters ("cc4111...", "4111...exp") is still a
     * card; one joined to more digits is a longer number */
    if (total < 13 || (p < len && is_digit((unsigned char) s[p])))
        return 0;
    /* Dots make decimals ("2.8319259999999998", one Luhn-valid in ten of
     * them) and versions as often as cards: a dotted run is a card only
     * when written in groups as cards are ("4111.1111.1111.1111"). */
    if (dotted) {
        if (ng < 3)
            return 0;
        for (size_t g = 0; g < ng; g++)
            if (gb[g] - ga[g] > 6)
                return 0;
    }
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
    /* what may stand between the word and the token: blanks, ':', '=',
     * quotes ("Bearer: x", "bearer=x", {"Bearer":"x"}), and in URLs '+' and
     * %20 / %3A / %3D; at most 12 bytes of it, at least one */
    size_t p = i + 6;
    while (p < len && p - (i + 6) < 12) {
        unsigned char c = (unsigned char) s[p];
        if (c == ' ' || c == '\t' || c == ':' || c == '=' || c == '"' || c == '\'' || c == '+') {
            p++;
        } else if (c == '%' && p + 2 < len &&
                   ((s[p + 1] == '2' && s[p + 2] == '0') ||
                    (s[p + 1] == '3' && ((s[p + 2] | 0x20) == 'a' || (s[p + 2] | 0x20) == 'd')))) {
            p += 3;
        } else if (c == 0xC2 && p + 1 < len && (unsigned char) s[p + 1] == 0xA0) {
            p += 2; /* a no-break space */
        } else {
            break;
        }
    }
    if (p == i + 6)
        return 0;
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
            if (!is_digit(c) && (c | 0x20) != 'b')
                continue;
            /* a card starts where a number starts (after a letter too:
             * "cc4111..."), a bearer token where a word starts */
            if (i > 0 && (is_digit(c) ? is_digit((unsigned char) s[i - 1])
                                      : is_alnum((unsigned char) s[i - 1])))
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

/* The cheap test in front of next_span(): a card needs 13 digits, a bearer
 * token "bearer", a blank and 8 characters. Digits are counted 8 bytes at a
 * time (exactly: no carry crosses a byte), and 'b' is looked for the same
 * way; text with fewer than 13 digits and no 'b' is done with. */
static int could_hold(const nlog__masker *m, const char *s, size_t len)
{
    if (len < 13)
        return 0;
    uint64_t digits = 0, b = 0;
    size_t i = 0;
    for (;; i += 8) {
        uint64_t x;
        if (i + 8 <= len) {
            memcpy(&x, s + i, 8);
        } else if (i < len) {
            /* the last word, read in full and shifted so that the bytes
             * already counted fall off (zero bytes count as neither) */
            memcpy(&x, s + len - 8, 8);
            x >>= 8 * (8 - (len - i));
        } else {
            break;
        }
        uint64_t t = x ^ (ONES * '0');
        uint64_t ge10 = (((t & (ONES * 0x7f)) + ONES * 0x76) | t) & HIGHS;
        /* one 1 per digit byte, summed by a multiply: no popcount needed */
        digits += (((~ge10 & HIGHS) >> 7) * ONES) >> 56;
        uint64_t y = (x | (ONES * 0x20)) ^ (ONES * 'b');
        b |= (y - ONES) & ~y & HIGHS;
    }
    return (m->cards && digits >= 13) || (m->bearer && b && len >= 15);
}

int nlog__mask_needed(const nlog__masker *m, const char *s, size_t len)
{
    size_t pos = 0, a, b;
    if ((!m->cards && !m->bearer) || !could_hold(m, s, len))
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
