/* checks_server.c: value checks for the remote-output and nlogd rows of the
 * key table (STRING rows). Length and control characters are checked by
 * keys.c before these run; each check writes only the problem, keys.c adds
 * what is accepted.
 * Tested by: tests/unit/config/test_config_server.c */
#include <stdio.h>
#include <string.h>

#include "config/config_internal.h"

static int starts(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return len >= n && memcmp(s, lit, n) == 0;
}

/* Digits only, 1..5 of them, value <= 65535; `min` is the lowest port. */
static int port_ok(const char *s, size_t len, long min)
{
    long v = 0;
    if (len == 0 || len > 5)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= min && v <= 65535;
}

static int fail(char *why, size_t why_size, const char *msg)
{
    if (why && why_size)
        snprintf(why, why_size, "%s", msg);
    return -1;
}

int nlog__cfg_check_url(const char *s, size_t len, char *why, size_t why_size)
{
    size_t i;
    if (len == 0)
        return 0;
    if (starts(s, len, "http://"))
        i = 7;
    else if (starts(s, len, "https://"))
        i = 8;
    else
        return fail(why, why_size, "the scheme must be http:// or https://");
    size_t host = i;
    while (i < len && s[i] != ':' && s[i] != '/') {
        unsigned char c = (unsigned char) s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return fail(why, why_size, "the host may hold letters, digits, '.', '-' and '_' only");
        i++;
    }
    if (i == host)
        return fail(why, why_size, "no host given");
    if (i < len && s[i] == ':') {
        size_t p = ++i;
        while (i < len && s[i] != '/')
            i++;
        if (!port_ok(s + p, i - p, 1))
            return fail(why, why_size, "the port must be a number from 1 to 65535");
    }
    for (; i < len; i++)
        if (s[i] == ' ' || s[i] == '#' || s[i] == '?')
            return fail(why, why_size, "the path may not hold spaces, '?' or '#'");
    return 0;
}

int nlog__cfg_check_listen(const char *s, size_t len, char *why, size_t why_size)
{
    const char *colon = len ? memchr(s, ':', len) : NULL;
    if (!colon)
        return fail(why, why_size, "no port given");
    size_t hl = (size_t) (colon - s);
    if (!(hl == 9 && memcmp(s, "localhost", 9) == 0)) {
        int parts = 0;
        size_t i = 0;
        while (i < hl) {
            long v = 0;
            size_t d = 0;
            while (i < hl && s[i] >= '0' && s[i] <= '9' && d < 4) {
                v = v * 10 + (s[i] - '0');
                i++;
                d++;
            }
            if (d == 0 || d > 3 || v > 255)
                return fail(why, why_size, "the host must be an IPv4 address or localhost");
            parts++;
            if (i < hl) {
                if (s[i] != '.')
                    return fail(why, why_size, "the host must be an IPv4 address or localhost");
                i++;
                if (i == hl)
                    return fail(why, why_size, "the host must be an IPv4 address or localhost");
            }
        }
        if (parts != 4)
            return fail(why, why_size, "the host must be an IPv4 address or localhost");
    }
    if (!port_ok(colon + 1, len - hl - 1, 0))
        return fail(why, why_size, "the port must be a number from 0 to 65535");
    return 0;
}

/* One origin as a browser sends it: http[s]://HOST[:PORT], no path. */
static int origin_ok(const char *s, size_t len)
{
    size_t p = starts(s, len, "http://") ? 7 : starts(s, len, "https://") ? 8 : 0;
    if (!p || p == len)
        return 0;
    size_t h = p;
    if (s[p] == '[') { /* an IPv6 literal */
        p++;
        while (p < len && (s[p] == ':' || (s[p] >= '0' && s[p] <= '9') ||
                           (s[p] >= 'a' && s[p] <= 'f') || (s[p] >= 'A' && s[p] <= 'F')))
            p++;
        if (p == len || s[p] != ']' || p == h + 1)
            return 0;
        p++;
    } else {
        while (p < len && (s[p] == '.' || s[p] == '-' || (s[p] >= '0' && s[p] <= '9') ||
                           (s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z')))
            p++;
        if (p == h)
            return 0;
    }
    if (p == len)
        return 1;
    return s[p] == ':' && port_ok(s + p + 1, len - p - 1, 1);
}

int nlog__cfg_check_origins(const char *s, size_t len, char *why, size_t why_size)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && s[a] == ' ')
            a++;
        while (b > a && s[b - 1] == ' ')
            b--;
        if (!origin_ok(s + a, b - a)) {
            if (why && why_size)
                snprintf(why, why_size, "entry '%.*s' is not an origin",
                         (int) (b - a > 80 ? 80 : b - a), s + a);
            return -1;
        }
        i = j + 1;
        if (j + 1 == len)
            return fail(why, why_size, "an empty entry after the last comma");
    }
    return 0;
}

int nlog__cfg_check_opt_path(const char *s, size_t len, char *why, size_t why_size)
{
    (void) s;
    (void) len;
    (void) why;
    (void) why_size;
    return 0; /* empty means "none"; length and control characters are checked by keys.c */
}

int nlog__cfg_check_api_key(const char *s, size_t len, char *why, size_t why_size)
{
    if (len == 0)
        return 0;
    if (len < 16 || len > 256)
        return fail(why, why_size, "an API key is 16 to 256 characters long");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='))
            return fail(why, why_size, "a character an API key does not have");
    }
    return 0;
}
