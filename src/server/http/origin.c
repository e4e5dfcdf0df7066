/* origin.c: the Origin and Host checks (see origin.h).
 * Tested by: tests/integration/server/test_live.py (group origin),
 * tests/unit/server/test_server_auth.c (origin_rules), tests/fuzz/fuzz_origin.c */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/http/origin.h"

#define AUTH_MAX 300 /* bytes of a normalised "scheme://host:port" */

/* "scheme://host:port" in lower case, the default port filled in, from a
 * scheme and an authority (host[:port]). 0, or -1 when it is no authority
 * (empty, a path or user info, a bad port, too long). */
static int normalise(const char *scheme, const char *auth, size_t len, char *out, size_t cap)
{
    if (len == 0 || len >= AUTH_MAX)
        return -1;
    size_t hl = len;
    const char *port = NULL;
    size_t pl = 0;
    if (auth[0] == '[') {
        const char *rb = memchr(auth, ']', len);
        if (!rb)
            return -1;
        hl = (size_t) (rb - auth) + 1;
        if (hl < len) {
            if (auth[hl] != ':')
                return -1;
            port = auth + hl + 1;
            pl = len - hl - 1;
        }
    } else {
        const char *colon = memchr(auth, ':', len);
        if (colon) {
            hl = (size_t) (colon - auth);
            port = colon + 1;
            pl = len - hl - 1;
        }
    }
    if (hl == 0)
        return -1;
    for (size_t i = 0; i < hl; i++)
        if (auth[i] == '/' || auth[i] == '@' || auth[i] == ' ' || auth[i] == ',')
            return -1;
    unsigned long pv = 0;
    if (port) {
        if (pl == 0 || pl > 5)
            return -1;
        for (size_t i = 0; i < pl; i++) {
            if (port[i] < '0' || port[i] > '9')
                return -1;
            pv = pv * 10 + (unsigned long) (port[i] - '0');
        }
        if (pv == 0 || pv > 65535)
            return -1;
    } else {
        pv = strcmp(scheme, "https") == 0 ? 443 : 80;
    }
    int n = snprintf(out, cap, "%s://%.*s:%lu", scheme, (int) hl, auth, pv);
    if (n < 0 || (size_t) n >= cap)
        return -1;
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char) (*p - 'A' + 'a');
    return 0;
}

/* An origin "http[s]://authority" normalised, or -1. */
static int normalise_origin(const char *o, size_t len, char *out, size_t cap)
{
    if (len > 7 && strncasecmp(o, "http://", 7) == 0)
        return normalise("http", o + 7, len - 7, out, cap);
    if (len > 8 && strncasecmp(o, "https://", 8) == 0)
        return normalise("https", o + 8, len - 8, out, cap);
    return -1;
}

static int listed(const char *allowed, const char *norm)
{
    const char *s = allowed ? allowed : "";
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t) (e - s) : strlen(s);
        size_t a = 0, b = len;
        while (a < b && s[a] == ' ')
            a++;
        while (b > a && s[b - 1] == ' ')
            b--;
        char n[AUTH_MAX + 16];
        if (normalise_origin(s + a, b - a, n, sizeof n) == 0 && strcmp(n, norm) == 0)
            return 1;
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

/* Whether the host part of a Host header is localhost or a loopback literal. */
static int loopback_host(const char *host)
{
    size_t len = strlen(host);
    const char *colon = host[0] == '[' ? NULL : strchr(host, ':');
    size_t hl = colon ? (size_t) (colon - host) : len;
    if (host[0] == '[') {
        const char *rb = strchr(host, ']');
        return rb && (size_t) (rb - host) == 4 && strncmp(host, "[::1]", 5) == 0 &&
               (rb[1] == '\0' || rb[1] == ':');
    }
    if (hl == 9 && strncasecmp(host, "localhost", 9) == 0)
        return 1;
    /* 127.d.d.d, each d 0..255 */
    if (hl < 9 || strncmp(host, "127.", 4) != 0)
        return 0;
    int parts = 1;
    size_t i = 4;
    while (i < hl) {
        unsigned v = 0, d = 0;
        while (i < hl && host[i] >= '0' && host[i] <= '9' && d < 4) {
            v = v * 10 + (unsigned) (host[i] - '0');
            i++;
            d++;
        }
        if (d == 0 || d > 3 || v > 255)
            return 0;
        parts++;
        if (i < hl && host[i++] != '.')
            return 0;
        if (i == hl && host[hl - 1] == '.')
            return 0;
    }
    return parts == 4;
}

int nlogd_origin_check(const char *host, const char *origin, int tls, int keys_enabled,
                       const char *allowed, char *why, size_t why_size, const char **reason)
{
    if (!keys_enabled && host && !loopback_host(host)) {
        *reason = "Host not loopback without API keys";
        snprintf(why, why_size, "Host: '%.80s' is not this machine's loopback; without API keys "
                                "nlogd answers only requests addressed to localhost, 127.x.x.x or "
                                "[::1] (a page that rebinds its DNS name to 127.0.0.1 is refused)",
                 host);
        return -1;
    }
    if (!origin)
        return 0;
    char on[AUTH_MAX + 16], hn[AUTH_MAX + 16];
    if (normalise_origin(origin, strlen(origin), on, sizeof on) != 0) {
        *reason = "unusable Origin";
        snprintf(why, why_size, "Origin: '%.80s' is not accepted; accepted: nlogd's own origin or "
                                "one listed in server.allowed_origins", origin);
        return -1;
    }
    if (host && normalise(tls ? "https" : "http", host, strlen(host), hn, sizeof hn) == 0 &&
        strcmp(on, hn) == 0)
        return 0;
    if (listed(allowed, on))
        return 0;
    *reason = "foreign Origin";
    snprintf(why, why_size, "Origin: '%.80s' is not nlogd's own origin (Host '%.80s') and is not "
                            "listed in server.allowed_origins; a page of another site may not use "
                            "nlogd through a browser", origin, host ? host : "");
    return -1;
}
