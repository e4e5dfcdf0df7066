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
 * Memory: out never grows past cap + 1 bytes, whatever the gzip trailers
 * claim; the decoding work is bounded by the input and the cap.
 * Thread-safety: any number of threads may call it at once (no shared state). */
int nlogd_gunzip(const unsigned char *in, size_t n, size_t cap, nlogd_buf *out, nlogd_err *e);

/* The same contract, decoded by zlib's streaming inflate alone (64 KiB at a
 * time). nlogd_gunzip hands it a member libdeflate refuses, with the rest of
 * the input, so that refusals keep zlib's exact diagnosis; the fuzz target
 * compares the two. */
int nlogd_gunzip_zlib(const unsigned char *in, size_t n, size_t cap, nlogd_buf *out,
                      nlogd_err *e);

#endif
