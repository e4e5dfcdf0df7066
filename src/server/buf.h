/* buf.h: a growable byte buffer with a hard cap (curl's dynbuf), used for
 * response bodies, export chunks and JSON building. Every append either fits
 * under the cap or fails and leaves the buffer as it was. */
#ifndef NLOGD_BUF_H
#define NLOGD_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct nlogd_buf {
    char *data;  /* NUL-terminated when non-NULL */
    size_t len;  /* bytes used, excluding the NUL */
    size_t size; /* bytes allocated */
    size_t cap;  /* most bytes len may reach */
    int failed;  /* an append did not fit (or memory ran out) */
} nlogd_buf;

void nlogd_buf_init(nlogd_buf *b, size_t cap);
void nlogd_buf_free(nlogd_buf *b);
void nlogd_buf_reset(nlogd_buf *b); /* len = 0, keeps the memory */
/* Each returns 0, or -1 (and sets b->failed) when the cap or memory is hit. */
int nlogd_buf_add(nlogd_buf *b, const void *p, size_t n);
int nlogd_buf_addc(nlogd_buf *b, char c);
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
