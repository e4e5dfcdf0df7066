/* buf.h: a growable byte buffer with a hard cap (curl's dynbuf), used for
 * response bodies, export chunks and JSON building. Every append either fits
 * under the cap or fails and leaves the buffer as it was.
 *
 * With a sink (nlogd_buf_set_sink), the buffer streams instead: an append
 * that would pass the cap first hands the buffered bytes to the sink, and
 * bytes that alone exceed the cap go to the sink directly, so memory stays
 * under the cap whatever is written. Then an append fails only when the sink
 * does (or memory runs out).
 * Tested by: tests/unit/server/test_server_parse.c */
#ifndef NLOGD_BUF_H
#define NLOGD_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* Receives streamed bytes; returns 0, or -1 to fail the buffer. */
typedef int (*nlogd_buf_sink_fn)(void *user, const char *data, size_t len);

typedef struct nlogd_buf {
    char *data;  /* NUL-terminated when non-NULL */
    size_t len;  /* bytes used, excluding the NUL */
    size_t size; /* bytes allocated */
    size_t cap;  /* most bytes len may reach */
    int failed;  /* an append did not fit (or memory ran out, or the sink failed) */
    nlogd_buf_sink_fn sink; /* NULL: a plain capped buffer */
    void *sink_user;
    size_t flushed; /* bytes handed to the sink so far */
} nlogd_buf;

void nlogd_buf_init(nlogd_buf *b, size_t cap);
void nlogd_buf_free(nlogd_buf *b);
void nlogd_buf_reset(nlogd_buf *b); /* len = 0, keeps the memory */
/* Makes b stream into fn (see above). */
void nlogd_buf_set_sink(nlogd_buf *b, nlogd_buf_sink_fn fn, void *user);
/* Hands the buffered bytes to the sink now; 0, or -1 when the sink failed
 * (then or before). Without a sink: 0, nothing happens. */
int nlogd_buf_flush(nlogd_buf *b);
/* Bytes written so far: streamed plus buffered. */
size_t nlogd_buf_total(const nlogd_buf *b);
/* Each returns 0, or -1 (and sets b->failed) when the cap or memory is hit. */
int nlogd_buf_add(nlogd_buf *b, const void *p, size_t n);
int nlogd_buf_addc(nlogd_buf *b, char c);
/* Writing in place (for a decoder that needs its output room up front):
 * nlogd_buf_room returns b->data + b->len with at least n writable bytes
 * after it (plus one for the NUL), or NULL (b->failed set) when n bytes
 * would pass the cap, memory runs out, or b has a sink. The bytes become
 * part of the buffer only through nlogd_buf_commit(b, k), k <= n, which
 * also restores the NUL after them (commit 0 after a failed write). */
char *nlogd_buf_room(nlogd_buf *b, size_t n);
void nlogd_buf_commit(nlogd_buf *b, size_t n);
int nlogd_buf_adds(nlogd_buf *b, const char *s);
int nlogd_buf_printf(nlogd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included) of s[0..n), escaped like the
 * library's encoder; ill-formed UTF-8 becomes U+FFFD. */
int nlogd_buf_json_str(nlogd_buf *b, const char *s, size_t n);
/* The shortest of %.15g/%.16g/%.17g that reads back as v; null for NaN/inf. */
int nlogd_buf_double(nlogd_buf *b, double v);
/* A JSON string of an RFC 3339 UTC time with microseconds. */
int nlogd_buf_json_time(nlogd_buf *b, long long time_ns);

#endif
