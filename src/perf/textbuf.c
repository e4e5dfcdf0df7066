/* textbuf.c: see textbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/json.h"
#include "format/numfmt.h"
#include "format/timefmt.h"
#include "perf/textbuf.h"

void nlog__tbuf_init(nlog__tbuf *b, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

void nlog__tbuf_free(nlog__tbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

char *nlog__tbuf_take(nlog__tbuf *b, size_t *ret_len)
{
    if (!b->p) {
        b->p = malloc(1);
        if (!b->p)
            return NULL;
        b->p[0] = '\0';
    }
    char *p = b->p;
    if (ret_len)
        *ret_len = b->len;
    memset(b, 0, sizeof *b);
    return p;
}

static int reserve(nlog__tbuf *b, size_t n)
{
    if (b->failed)
        return 0;
    if (n > b->limit || b->len > b->limit - n) {
        b->failed = NLOG_ELIMIT;
        return 0;
    }
    if (b->len + n + 1 <= b->cap)
        return 1;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + n + 1)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
        b->failed = NLOG_ENOMEM;
        return 0;
    }
    b->p = np;
    b->cap = nc;
    return 1;
}

void nlog__tbuf_add(nlog__tbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void nlog__tbuf_str(nlog__tbuf *b, const char *s)
{
    nlog__tbuf_add(b, s, strlen(s));
}

void nlog__tbuf_fmt(nlog__tbuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t) n < sizeof small) {
        nlog__tbuf_add(b, small, (size_t) n);
        return;
    }
    if (!reserve(b, (size_t) n))
        return;
    va_start(ap, fmt);
    (void) vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
}

void nlog__tbuf_num(nlog__tbuf *b, double v)
{
    char num[NLOG__DOUBLE_MAX];
    nlog__tbuf_add(b, num, nlog__fmt_double(num, v));
}

void nlog__tbuf_u64(nlog__tbuf *b, uint64_t v)
{
    char num[NLOG__U64_MAX_DIGITS];
    nlog__tbuf_add(b, num, nlog__fmt_u64(num, v));
}

void nlog__tbuf_jstr(nlog__tbuf *b, const char *s, size_t n)
{
    nlog__tbuf_add(b, "\"", 1);
    while (n > 0 && !b->failed) {
        char tmp[1024];
        size_t used;
        size_t w = nlog__json_escape(tmp, sizeof tmp, s, n, &used);
        if (used == 0 && w == 0)
            break; /* cannot happen with a 1 KiB buffer; stay safe */
        nlog__tbuf_add(b, tmp, w);
        s += used;
        n -= used;
    }
    nlog__tbuf_add(b, "\"", 1);
}

void nlog__tbuf_jtime(nlog__tbuf *b, int64_t t_ns)
{
    char t[NLOG__RFC3339_LEN + 2];
    t[0] = '"';
    nlog__fmt_rfc3339(t_ns, t + 1);
    t[NLOG__RFC3339_LEN + 1] = '"';
    nlog__tbuf_add(b, t, sizeof t);
}
