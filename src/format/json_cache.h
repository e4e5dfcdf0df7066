/* json_cache.h (internal): JSON encoding through call-site templates.
 *
 * Most records of a program come from a few hundred call sites, and a call
 * site whose message, keys, string values, logger, function and category
 * are all immutable (record flag NLOG__REC_STATIC: the asynchronous queue
 * sets it when every string of an entry lies in the program's read-only
 * image) produces records that differ only in their time and their
 * non-string field values. The cache keeps the encoded rest of such a
 * record (json.h's template) per call site and thread, so encoding becomes
 * a few copies and the formatting of the varying values; the bytes are
 * exactly those of nlog__json_encode(). Records without the flag, records
 * too big for a template and records that would need cutting take
 * nlog__json_encode() itself.
 *
 * Thread-safety: a cache belongs to one thread at a time (the asynchronous
 * writer). It never allocates after creation.
 * Tested by: tests/unit/format/test_json_cache.c */
#ifndef NLOG_FORMAT_JSON_CACHE_H
#define NLOG_FORMAT_JSON_CACHE_H

#include <stddef.h>

#include "core/record.h"

typedef struct nlog__json_cache nlog__json_cache;

/* Returns a new empty cache, or NULL if memory runs out. */
nlog__json_cache *nlog__json_cache_create(void);
/* NULL is a no-op. */
void nlog__json_cache_destroy(nlog__json_cache *c);

/* As nlog__json_encode(r, out, cap, ret_truncated), through the cache.
 * `c` may be NULL (no caching). */
size_t nlog__json_encode_cached(nlog__json_cache *c, const nlog__record *r, char *out, size_t cap,
                                int *ret_truncated);

/* Whether the cache holds a template for r's call site (r must be
 * NLOG__REC_STATIC for that). Such a site's records were encoded from the
 * record as it came, so a caller may rely on whatever it checked before
 * encoding (the redaction of security/redact.h) having left the site's
 * records unchanged. */
int nlog__json_cache_knows(nlog__json_cache *c, const nlog__record *r);

/* Hits and misses so far (tests, benchmarks). */
void nlog__json_cache_stats(const nlog__json_cache *c, uint64_t *ret_hits, uint64_t *ret_misses);

#endif /* NLOG_FORMAT_JSON_CACHE_H */
