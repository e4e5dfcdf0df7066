/* search.h: what search_query means, in one place.
 *
 * A message matches when it contains every word of the query. Words are
 * runs of ASCII letters and digits and of any byte >= 0x80 (so UTF-8 text is
 * kept whole); everything else separates words. ASCII letters compare
 * without case. A query word ending in '*' matches any message word that
 * begins with it. This is exactly what SQLite FTS5's "ascii" tokenizer
 * indexes, so the full-text index answers the query for indexed records and
 * nlogd_search_match() answers it, identically, for records the index has
 * not caught up with yet. The bytes 0xFE and 0xFF (never in UTF-8) are
 * refused in query words: the index spells its tag words with them
 * (store_sqlite.c).
 * Tested by: tests/unit/server/test_server_parse.c */
#ifndef NLOGD_SEARCH_H
#define NLOGD_SEARCH_H

#include <stddef.h>

#define NLOGD_SEARCH_MAX 512       /* bytes of a search_query */
#define NLOGD_SEARCH_WORDS_MAX 16  /* words in one query */
#define NLOGD_SEARCH_ACCEPTED                                                        \
    "1 to 512 bytes holding 1 to 16 words (letters and digits; a trailing * matches " \
    "any word starting with it)"

typedef struct nlogd_search {
    size_t n;
    struct {
        char w[NLOGD_SEARCH_MAX + 1]; /* lower-cased */
        size_t len;
        int prefix;
    } words[NLOGD_SEARCH_WORDS_MAX];
} nlogd_search;

/* Splits a query into words. Returns 0, or -1 with the reason in why. */
int nlogd_search_compile(const char *q, size_t len, nlogd_search *out, char *why,
                         size_t why_size);
/* The FTS5 MATCH expression of a compiled query ("\"word\" \"pre\"*"). */
void nlogd_search_fts(const nlogd_search *s, char *out, size_t size);
/* Whether msg[0..len) matches. */
int nlogd_search_match(const nlogd_search *s, const char *msg, size_t len);

#endif
