/* fuzz_url.c: libFuzzer target for the URL checks and redaction of the
 * configuration (src/config/url.c).
 * Properties: no crash or overread; the parts of a parsed URL lie inside
 * the input; the redacted form is NUL-terminated, never longer than the
 * buffer, parses again when the input did, and never contains the password.
 * Corpus: tests/fuzz/corpus/url/ (replayed as fuzz_url_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *p, size_t n, const uint8_t *data, size_t size)
{
    if (n && (p < (const char *) data || p + n > (const char *) data + size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *) data;
    nlog__url u;
    const char *problem = NULL;
    size_t at = 0;
    char buf[256];
    nlog_status st = nlog__url_parse(s, size, &u, &problem, &at);
    (void) nlog__url_redact(s, size, buf, sizeof buf);
    if (!memchr(buf, '\0', sizeof buf))
        abort();
    if (st != NLOG_OK) {
        if (!problem || at > size)
            abort();
        return 0;
    }
    inside(u.scheme, u.scheme_len, data, size);
    inside(u.host, u.host_len, data, size);
    inside(u.path, u.path_len, data, size);
    if (u.user)
        inside(u.user, u.user_len, data, size);
    if (u.port < 0 || u.port > 65535 || u.host_len == 0)
        abort();
    /* the userinfo is shown as the user name and three stars: the password
     * never appears */
    if (u.has_password) {
        char want[300];
        if (u.scheme_len + 3 + u.user_len + 5 < sizeof want && strlen(buf) < sizeof buf - 1) {
            memcpy(want, u.scheme, u.scheme_len);
            memcpy(want + u.scheme_len, "://", 3);
            memcpy(want + u.scheme_len + 3, u.user, u.user_len);
            memcpy(want + u.scheme_len + 3 + u.user_len, ":***@", 6);
            if (strncmp(buf, want, strlen(want)) != 0)
                abort();
        }
    }
    size_t blen = strlen(buf);
    if (blen < sizeof buf - 1 && nlog__url_parse(buf, blen, &u, NULL, NULL) != NLOG_OK)
        abort();
    return 0;
}
