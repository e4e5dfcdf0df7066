/* error.c: building REST errors (see error.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/error.h"

int nlogd_fail(nlogd_err *e, int status, const char *code, const char *param, const char *fmt,
               ...)
{
    if (!e)
        return -1;
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

void nlogd_quote(char *out, size_t size, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (size < 16) {
        if (size)
            out[0] = '\0';
        return;
    }
    out[o++] = '\'';
    for (size_t i = 0; i < len && i < 80 && o + 8 < size; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char) c;
        }
    }
    if (len > 80 && o + 5 < size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '\'';
    out[o] = '\0';
}
