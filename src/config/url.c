/* url.c: see url.h. A hand-written parser for the one URL shape the
 * configuration needs; it never allocates and never reads past `len`. */
#include <stdio.h>
#include <string.h>

#include "config/url.h"
#include "internal/ascii.h"

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Userinfo, path and query characters: RFC 3986 unreserved, sub-delims,
 * ':', '@', '/', '?' and '%' (checked for two hex digits separately). */
static int is_text(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || strchr("-._~!$&'()*+,;=:@/?%", c) != NULL;
}

static nlog_status fail(const char **ret_problem, size_t *ret_at, const char *problem, size_t at)
{
    if (ret_problem)
        *ret_problem = problem;
    if (ret_at)
        *ret_at = at;
    return NLOG_EINVAL;
}

nlog_status nlog__url_parse(const char *s, size_t len, nlog__url *out, const char **ret_problem,
                            size_t *ret_at)
{
    nlog__url u;
    memset(&u, 0, sizeof u);
    u.path = "";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c <= 0x20 || c >= 0x7f)
            return fail(ret_problem, ret_at,
                        c == ' ' ? "a space" : "a control or non-ASCII byte (percent-encode it)",
                        i);
        if (c == '%' && (i + 2 >= len || !is_hex((unsigned char) s[i + 1]) ||
                         !is_hex((unsigned char) s[i + 2])))
            return fail(ret_problem, ret_at, "a '%' not followed by two hex digits", i);
        if (c == '#')
            return fail(ret_problem, ret_at, "a fragment ('#')", i);
    }
    size_t i = 0;
    while (i < len && (is_alpha((unsigned char) s[i]) ||
                       (i > 0 && (is_digit((unsigned char) s[i]) || s[i] == '+' || s[i] == '-' ||
                                  s[i] == '.'))))
        i++;
    if (i == 0 || i + 3 > len || memcmp(s + i, "://", 3) != 0)
        return fail(ret_problem, ret_at, "no scheme:// at the start", i);
    u.scheme = s;
    u.scheme_len = i;
    i += 3;
    size_t auth = i, auth_end = i;
    while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?')
        auth_end++;
    /* userinfo: up to the last '@' of the authority */
    const char *at = NULL;
    for (size_t k = auth; k < auth_end; k++)
        if (s[k] == '@')
            at = s + k;
    size_t h = auth;
    if (at) {
        const char *colon = memchr(s + auth, ':', (size_t) (at - (s + auth)));
        u.user = s + auth;
        u.user_len = colon ? (size_t) (colon - u.user) : (size_t) (at - u.user);
        u.has_password = colon != NULL;
        for (const char *p = s + auth; p < at; p++)
            if (!is_text((unsigned char) *p) || *p == '/' || *p == '?' || *p == '@')
                return fail(ret_problem, ret_at, "a character not allowed in the user part",
                            (size_t) (p - s));
        h = (size_t) (at - s) + 1;
    }
    size_t host_end;
    if (h < auth_end && s[h] == '[') {
        const char *close = memchr(s + h, ']', auth_end - h);
        if (!close)
            return fail(ret_problem, ret_at, "an IPv6 address without its closing ']'", h);
        for (const char *p = s + h + 1; p < close; p++)
            if (!is_hex((unsigned char) *p) && *p != ':' && *p != '.')
                return fail(ret_problem, ret_at, "a character not allowed in an IPv6 address",
                            (size_t) (p - s));
        u.host = s + h + 1;
        u.host_len = (size_t) (close - u.host);
        host_end = (size_t) (close - s) + 1;
        if (u.host_len < 2)
            return fail(ret_problem, ret_at, "an empty IPv6 address", h);
    } else {
        host_end = h;
        while (host_end < auth_end && s[host_end] != ':') {
            unsigned char c = (unsigned char) s[host_end];
            if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_')
                return fail(ret_problem, ret_at, "a character not allowed in a host name",
                            host_end);
            host_end++;
        }
        u.host = s + h;
        u.host_len = host_end - h;
        if (u.host_len == 0)
            return fail(ret_problem, ret_at, "no host", h);
        if (u.host_len > 253)
            return fail(ret_problem, ret_at, "a host name longer than 253 bytes", h);
    }
    if (host_end < auth_end) {
        if (s[host_end] != ':')
            return fail(ret_problem, ret_at, "text after the host", host_end);
        size_t p = host_end + 1;
        long port = 0;
        if (p == auth_end)
            return fail(ret_problem, ret_at, "an empty port", p);
        for (; p < auth_end; p++) {
            if (!is_digit((unsigned char) s[p]))
                return fail(ret_problem, ret_at, "a port that is not a number", p);
            port = port * 10 + (s[p] - '0');
            if (port > 65535)
                return fail(ret_problem, ret_at, "a port above 65535", p);
        }
        if (port == 0)
            return fail(ret_problem, ret_at, "port 0", host_end + 1);
        u.port = (int) port;
    }
    for (size_t k = auth_end; k < len; k++)
        if (!is_text((unsigned char) s[k]))
            return fail(ret_problem, ret_at, "a character not allowed in the path", k);
    u.path = s + auth_end;
    u.path_len = len - auth_end;
    *out = u;
    return NLOG_OK;
}

int nlog__url_scheme_is(const nlog__url *u, const char *scheme)
{
    size_t n = strlen(scheme);
    if (n != u->scheme_len)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (nlog__ascii_lower((unsigned char) u->scheme[i]) != nlog__ascii_lower((unsigned char) scheme[i]))
            return 0;
    return 1;
}

char *nlog__url_redact(const char *s, size_t len, char *buf, size_t size)
{
    nlog__url u;
    if (size == 0)
        return buf;
    if (nlog__url_parse(s, len, &u, NULL, NULL) != NLOG_OK) {
        snprintf(buf, size, "(invalid URL)");
        return buf;
    }
    int web = nlog__url_scheme_is(&u, "http") || nlog__url_scheme_is(&u, "https");
    int v6 = memchr(u.host, ':', u.host_len) != NULL;
    char port[16] = "";
    if (u.port)
        snprintf(port, sizeof port, ":%d", u.port);
    const char *path = u.path;
    int path_len = (int) u.path_len;
    if (web && u.path_len > 0 && !(u.path_len == 1 && u.path[0] == '/')) {
        path = "/***";
        path_len = 4;
    }
    snprintf(buf, size, "%.*s://%.*s%s%s%s%.*s%s%s%.*s", (int) u.scheme_len, u.scheme,
             u.user ? (int) u.user_len : 0, u.user ? u.user : "", u.has_password ? ":***" : "",
             u.user ? "@" : "", v6 ? "[" : "", (int) u.host_len, u.host, v6 ? "]" : "", port,
             path_len, path);
    return buf;
}
