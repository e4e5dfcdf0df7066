/* buf.c: capped growable buffer and JSON string output (see buf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlog/format.h>

#include "server/buf.h"

void nlogd_buf_init(nlogd_buf *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
}

void nlogd_buf_free(nlogd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->size = 0;
}

void nlogd_buf_reset(nlogd_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

void nlogd_buf_set_sink(nlogd_buf *b, nlogd_buf_sink_fn fn, void *user)
{
    b->sink = fn;
    b->sink_user = user;
}

int nlogd_buf_flush(nlogd_buf *b)
{
    if (!b->sink)
        return 0;
    if (b->failed)
        return -1;
    if (b->len) {
        if (b->sink(b->sink_user, b->data, b->len) != 0) {
            b->failed = 1;
            return -1;
        }
        b->flushed += b->len;
        b->len = 0;
        b->data[0] = '\0';
    }
    return 0;
}

size_t nlogd_buf_total(const nlogd_buf *b)
{
    return b->flushed + b->len;
}

static int reserve(nlogd_buf *b, size_t n)
{
    if (b->sink && n > b->cap - b->len && nlogd_buf_flush(b) != 0)
        return -1;
    if (n > b->cap - b->len) {
        b->failed = 1;
        return -1;
    }
    if (b->len + n + 1 <= b->size)
        return 0;
    size_t want = b->size ? b->size : 256;
    while (want < b->len + n + 1)
        want *= 2;
    if (want > b->cap + 1)
        want = b->cap + 1;
    char *d = realloc(b->data, want);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->size = want;
    return 0;
}

int nlogd_buf_add(nlogd_buf *b, const void *p, size_t n)
{
    if (b->sink && n > b->cap - b->len) {
        /* Streaming: what is buffered goes first, then bytes too many to
         * buffer go straight to the sink. */
        if (nlogd_buf_flush(b) != 0)
            return -1;
        if (n > b->cap) {
            if (b->sink(b->sink_user, p, n) != 0) {
                b->failed = 1;
                return -1;
            }
            b->flushed += n;
            return 0;
        }
    }
    if (reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

char *nlogd_buf_room(nlogd_buf *b, size_t n)
{
    if (b->sink || reserve(b, n) != 0) {
        b->failed = 1;
        return NULL;
    }
    return b->data + b->len;
}

void nlogd_buf_commit(nlogd_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

int nlogd_buf_addc(nlogd_buf *b, char c)
{
    return nlogd_buf_add(b, &c, 1);
}

int nlogd_buf_adds(nlogd_buf *b, const char *s)
{
    return nlogd_buf_add(b, s, strlen(s));
}

int nlogd_buf_printf(nlogd_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t) n < sizeof tmp)
        return nlogd_buf_add(b, tmp, (size_t) n);
    if (reserve(b, (size_t) n) != 0)
        return -1;
    va_start(ap, fmt);
    (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
    return 0;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int nlogd_buf_json_str(nlogd_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *) str;
    if (nlogd_buf_addc(b, '"') != 0)
        return -1;
    size_t run = 0; /* start of the pending clean run */
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7F) {
            i++;
            continue;
        }
        size_t l = c >= 0x80 ? utf8_len(s + i, n - i) : 0;
        if (l && !(l == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))) {
            i += l;
            continue;
        }
        if (nlogd_buf_add(b, s + run, i - run) != 0)
            return -1;
        char esc[8];
        size_t el = 0;
        if (c >= 0x80 && l == 3) {             /* U+2028 / U+2029 */
            memcpy(esc, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            el = 6;
            i += 3;
        } else if (c >= 0x80) {                /* ill-formed: one U+FFFD per byte */
            memcpy(esc, "\xEF\xBF\xBD", 3);
            el = 3;
            i++;
        } else {
            esc[0] = '\\';
            el = 2;
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            default:
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                el = 6;
            }
            i++;
        }
        if (nlogd_buf_add(b, esc, el) != 0)
            return -1;
        run = i;
    }
    if (nlogd_buf_add(b, s + run, n - run) != 0)
        return -1;
    return nlogd_buf_addc(b, '"');
}

int nlogd_buf_double(nlogd_buf *b, double v)
{
    char t[40];
    if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308)
        return nlogd_buf_adds(b, "null");
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    return nlogd_buf_adds(b, t);
}

int nlogd_buf_json_time(nlogd_buf *b, long long time_ns)
{
    char t[NLOG_FORMAT_RFC3339_SIZE + 2];
    t[0] = '"';
    nlog_format_rfc3339(time_ns, t + 1);
    t[28] = '"';
    return nlogd_buf_add(b, t, 29);
}
