/* search.c: word splitting and matching shared by the full-text index and
 * the scan of not-yet-indexed records (see search.h for the rules). */
#include <stdio.h>
#include <string.h>

#include "server/search.h"

static int is_word(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char) (c + 32) : c;
}

int nlogd_search_compile(const char *q, size_t len, nlogd_search *out, char *why,
                         size_t why_size)
{
    const unsigned char *s = (const unsigned char *) q;
    size_t i = 0;
    out->n = 0;
    while (i < len) {
        while (i < len && !is_word(s[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && is_word(s[i]))
            i++;
        if (out->n == NLOGD_SEARCH_WORDS_MAX) {
            snprintf(why, why_size, "more than %d words", NLOGD_SEARCH_WORDS_MAX);
            return -1;
        }
        size_t wl = i - start;
        for (size_t k = 0; k < wl; k++)
            if (s[start + k] >= 0xfe) {
                snprintf(why, why_size, "byte 0x%02X at offset %zu is not UTF-8",
                         s[start + k], start + k);
                return -1;
            }
        for (size_t k = 0; k < wl; k++)
            out->words[out->n].w[k] = (char) lower(s[start + k]);
        out->words[out->n].w[wl] = '\0';
        out->words[out->n].len = wl;
        out->words[out->n].prefix = i < len && s[i] == '*';
        out->n++;
    }
    if (out->n == 0) {
        snprintf(why, why_size, "no words to search for");
        return -1;
    }
    return 0;
}

void nlogd_search_fts(const nlogd_search *s, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        int n = snprintf(out + o, size - o, "%s\"%s\"%s", i ? " " : "", s->words[i].w,
                         s->words[i].prefix ? "*" : "");
        if (n < 0 || (size_t) n >= size - o)
            return;
        o += (size_t) n;
    }
}

/* Does message word m[0..ml) satisfy query word i? */
static int word_ok(const nlogd_search *s, size_t i, const unsigned char *m, size_t ml)
{
    size_t wl = s->words[i].len;
    if (ml < wl || (!s->words[i].prefix && ml != wl))
        return 0;
    for (size_t k = 0; k < wl; k++)
        if (lower(m[k]) != (unsigned char) s->words[i].w[k])
            return 0;
    return 1;
}

int nlogd_search_match(const nlogd_search *s, const char *msg, size_t len)
{
    const unsigned char *m = (const unsigned char *) msg;
    unsigned found = 0, all = (1u << s->n) - 1;
    size_t i = 0;
    while (i < len && found != all) {
        while (i < len && !is_word(m[i]))
            i++;
        size_t start = i;
        while (i < len && is_word(m[i]))
            i++;
        if (i == start)
            break;
        for (size_t w = 0; w < s->n; w++)
            if (!(found & (1u << w)) && word_ok(s, w, m + start, i - start))
                found |= 1u << w;
    }
    return found == all;
}
