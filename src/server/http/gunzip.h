/* gunzip.h: decoding a gzip request body (RFC 1952) with a hard cap on the
 * decoded size. Used by nlogd_read_body (router.c) for Content-Encoding: gzip.
 * Tested by: tests/unit/server/test_gunzip.c, tests/fuzz/fuzz_gunzip.c */
#ifndef NLOGD_HTTP_GUNZIP_H
#define NLOGD_HTTP_GUNZIP_H

#include <stddef.h>

#include "server/buf.h"
#include "server/error.h"

/* Decodes the n bytes at in, every concatenated gzip member of them, and
 * appends the result to out (a plain capped buffer, no sink; out->cap must be
 * at least cap). Returns 0, or -1 with e filled: 413 "payload_too_large" once
 * out would pass cap bytes, 400 "malformed_body" for bytes that are not gzip
 * or a stream that stops before its end (an empty input included), 503 when
 * memory runs out. On failure out holds an unspecified prefix of the output.
 * Thread-safety: any number of threads may call it at once (no shared state). */
int nlogd_gunzip(const unsigned char *in, size_t n, size_t cap, nlogd_buf *out, nlogd_err *e);

#endif
