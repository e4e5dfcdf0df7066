/* ascii.h: locale-independent ASCII helpers (the C library's versions follow
 * LC_CTYPE, which an application may set to anything). */
#ifndef NLOG_INTERNAL_ASCII_H
#define NLOG_INTERNAL_ASCII_H

#include <stddef.h>

static inline int nlog__ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive equality of two NUL-terminated strings (ASCII letters only). */
static inline int nlog__ascii_caseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (nlog__ascii_lower((unsigned char) *a) != nlog__ascii_lower((unsigned char) *b))
            return 0;
        if (*a == '\0')
            return 1;
    }
}

#endif /* NLOG_INTERNAL_ASCII_H */
