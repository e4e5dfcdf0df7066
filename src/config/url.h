/* url.h (internal): checking and redacting the URLs of the configuration
 * (alert_smtp_url, alert_webhook_url).
 *
 * A URL is scheme://[userinfo@]host[:port][/path][?query]: scheme letters,
 * digits, '+', '-', '.'; host a name of letters, digits, '-', '.', '_', or
 * an IPv4 address, or an IPv6 address in brackets; port 1..65535; no
 * fragment, no spaces, no control characters, no bytes above 0x7E (a URL
 * with non-ASCII text must be percent-encoded).
 *
 * Secrets: the password of the userinfo, and for http(s) the path and query
 * (a chat tool's incoming-webhook URL carries its token there) never appear
 * in messages: nlog__url_redact() is what messages and `nlog config show`
 * print.
 * Thread-safety: pure functions of their arguments.
 * Tested by: tests/unit/perf/test_url.c, tests/fuzz/fuzz_url.c */
#ifndef NLOG_CONFIG_URL_H
#define NLOG_CONFIG_URL_H

#include <stddef.h>

#include <nlog/status.h>

typedef struct nlog__url {
    const char *scheme; /* points into the parsed text */
    size_t scheme_len;
    const char *user;   /* user name (before ':' of the userinfo), or NULL */
    size_t user_len;
    int has_password;   /* the userinfo had a ':' */
    const char *host;   /* without brackets for IPv6 */
    size_t host_len;
    int port;           /* 0 when the URL names none */
    const char *path;   /* from the first '/' or '?' after the authority, or "" */
    size_t path_len;
} nlog__url;

/* Parses s[0..len). On failure returns NLOG_EINVAL and stores a static
 * English description of the problem in *ret_problem and the byte offset
 * where it was found in *ret_at (both may be NULL). The problem text never
 * contains any part of the URL. */
nlog_status nlog__url_parse(const char *s, size_t len, nlog__url *out, const char **ret_problem,
                            size_t *ret_at);

/* 1 if the scheme of u equals `scheme` (case-insensitive). */
int nlog__url_scheme_is(const nlog__url *u, const char *scheme);

/* Writes a printable form of s[0..len) into buf (always NUL-terminated when
 * size > 0): the password becomes three stars, and for http and https a
 * non-empty path or query becomes a slash and three stars. A text that does
 * not parse is written as "(invalid URL)". Returns buf. */
char *nlog__url_redact(const char *s, size_t len, char *buf, size_t size);

#endif /* NLOG_CONFIG_URL_H */
