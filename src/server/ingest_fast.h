/* ingest_fast.h: the ingest parser's fast path for plain records (see
 * ingest_fast.c for what "plain" means). Internal to ingest_parse.c and its
 * tests. */
#ifndef NLOGD_INGEST_FAST_H
#define NLOGD_INGEST_FAST_H

#include <stddef.h>

#include "server/ingest_parse.h"

/* Reads one record object from s[0..len) (leading white space allowed) into
 * *r, strings copied into in->arena. Returns 1 with *ret_used = bytes read
 * (up to the closing brace), 0 when the record is not plain (nothing kept in
 * *r: the caller gives it to json-c), or -1 when memory ran out. */
int nlogd__ingest_fast(nlogd_ingest *in, const char *s, size_t len, size_t *ret_used,
                       nlogd_record *r);

#endif
