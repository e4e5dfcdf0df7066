/* textbuf.h (internal): a growable text buffer with a hard cap, for the
 * exports and the notification bodies. Appends past the cap are refused and
 * remembered (`failed`), so a writer can append freely and check once.
 * Tested by: tests/unit/perf/test_export.c */
#ifndef NLOG_PERF_TEXTBUF_H
#define NLOG_PERF_TEXTBUF_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/status.h>

#include "internal/compiler.h"

typedef struct nlog__tbuf {
    char *p;       /* NUL-terminated while len < cap */
    size_t len;    /* bytes, without the NUL */
    size_t cap;    /* allocated */
    size_t limit;  /* most bytes it may hold */
    nlog_status failed; /* NLOG_OK, NLOG_ENOMEM or NLOG_ELIMIT once an append failed */
} nlog__tbuf;

void nlog__tbuf_init(nlog__tbuf *b, size_t limit);
void nlog__tbuf_free(nlog__tbuf *b);
/* Hands the text over (the caller frees it with free()); the buffer is empty after. */
char *nlog__tbuf_take(nlog__tbuf *b, size_t *ret_len);

void nlog__tbuf_add(nlog__tbuf *b, const char *s, size_t n);
void nlog__tbuf_str(nlog__tbuf *b, const char *s);
void nlog__tbuf_fmt(nlog__tbuf *b, const char *fmt, ...) NLOG__PRINTF(2, 3);
/* A double as JSON writes it ("null" for NaN and infinities). */
void nlog__tbuf_num(nlog__tbuf *b, double v);
void nlog__tbuf_u64(nlog__tbuf *b, uint64_t v);
/* A JSON string with quotes (invalid UTF-8 becomes U+FFFD). */
void nlog__tbuf_jstr(nlog__tbuf *b, const char *s, size_t n);
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" as a JSON string. */
void nlog__tbuf_jtime(nlog__tbuf *b, int64_t t_ns);

#endif /* NLOG_PERF_TEXTBUF_H */
