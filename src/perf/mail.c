/* mail.c: the alert e-mail (RFC 5322 text, UTF-8 body) and its delivery
 * through an SMTP relay with libcurl.
 *
 * Header values are ASCII only (other bytes, and controls, become '?'), so
 * nothing a metric name or tag value holds can end a header or inject one;
 * the body keeps UTF-8 (8bit) with controls replaced. Lines end in CRLF;
 * curl dot-stuffs lines that start with '.'.
 * Tested by: tests/unit/perf/test_notify.c */
#include <curl/curl.h>
#include <math.h>
#include <string.h>

#include "config/url.h"
#include "format/numfmt.h"
#include "format/timefmt.h"
#include "format/utf8.h"
#include "perf/notify.h"
#include "perf/textbuf.h"
#include "platform/platform.h"

/* ASCII-only header text. */
static void hdr_text(nlog__tbuf *b, const char *s, size_t max)
{
    for (size_t i = 0; s[i] && i < max; i++) {
        unsigned char c = (unsigned char) s[i];
        char o = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
        nlog__tbuf_add(b, &o, 1);
    }
}

/* Body text: valid UTF-8 kept, controls and ill-formed bytes as '?'. */
static void body_text(nlog__tbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t n = strlen(s);
    while (n > 0) {
        uint32_t cp;
        size_t k = nlog__utf8_next(p, n, &cp);
        if (cp == NLOG__UTF8_BAD || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
            nlog__tbuf_add(b, "?", 1);
        else
            nlog__tbuf_add(b, (const char *) p, k);
        p += k;
        n -= k;
    }
}

/* "Mon, 24 Nov 2026 10:30:45 +0000" from our own calendar (no gmtime). */
static void rfc5322_date(nlog__tbuf *b, int64_t t_ns)
{
    static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = t_ns / 1000000000;
    if (t_ns % 1000000000 < 0)
        secs--;
    int64_t day = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        day--;
    }
    int64_t y;
    unsigned m, d;
    nlog__civil_from_days(day, &y, &m, &d);
    nlog__tbuf_fmt(b, "%s, %02u %s %lld %02d:%02d:%02d +0000", days[((day % 7) + 7) % 7], d,
                   months[(m - 1) % 12], (long long) y, (int) (rem / 3600),
                   (int) (rem / 60 % 60), (int) (rem % 60));
}

static void num(nlog__tbuf *b, double v)
{
    nlog__tbuf_num(b, v);
}

static void time_text(nlog__tbuf *b, int64_t t)
{
    char s[NLOG__RFC3339_LEN];
    nlog__fmt_rfc3339(t, s);
    nlog__tbuf_add(b, s, sizeof s);
}

char *nlog__mail_format(const nlog_alert_event *ev, const char *from, const char *to,
                        const char *host, int64_t now_ns, size_t *ret_len)
{
    static uint64_t seq;
    int firing = ev->state == NLOG_ALERT_FIRING;
    const char *state = firing ? "FIRING" : "RESOLVED";
    nlog__tbuf b;
    nlog__tbuf_init(&b, 64 * 1024);
    nlog__tbuf_str(&b, "Date: "); /* when it happened, not when the thread got to it */
    rfc5322_date(&b, ev->time_ns);
    nlog__tbuf_str(&b, "\r\nFrom: ");
    hdr_text(&b, from, 255);
    nlog__tbuf_str(&b, "\r\nTo: ");
    hdr_text(&b, to, 255);
    nlog__tbuf_fmt(&b, "\r\nSubject: [nlog] %s: ", state);
    hdr_text(&b, ev->alert_name, 128);
    nlog__tbuf_str(&b, " on ");
    hdr_text(&b, host, 64);
    nlog__tbuf_fmt(&b, "\r\nMessage-ID: <%lld.%lld.%llu@", (long long) (now_ns / 1000),
                   (long long) nlog__process_id(),
                   (unsigned long long) __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    hdr_text(&b, host, 64);
    nlog__tbuf_str(&b, ">\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: 8bit\r\n"
                       "X-Nlog-Alert-State: ");
    nlog__tbuf_str(&b, firing ? "firing" : "resolved");
    nlog__tbuf_fmt(&b, "\r\nX-Nlog-Alert-Id: %llu\r\n\r\n", (unsigned long long) ev->alert_id);

    nlog__tbuf_str(&b, "Alert \"");
    body_text(&b, ev->alert_name);
    nlog__tbuf_fmt(&b, "\" is %s on ", state);
    body_text(&b, host);
    nlog__tbuf_str(&b, ".\r\n\r\nMetric:     ");
    body_text(&b, ev->metric);
    nlog__tbuf_str(&b, "\r\nTags:       ");
    if (ev->n_tags == 0)
        nlog__tbuf_str(&b, "(none)");
    for (size_t i = 0; i < ev->n_tags; i++) {
        if (i)
            nlog__tbuf_str(&b, ", ");
        body_text(&b, ev->tags[i].key);
        nlog__tbuf_str(&b, "=");
        body_text(&b, ev->tags[i].value);
    }
    nlog__tbuf_str(&b, "\r\nValue:      ");
    num(&b, ev->value);
    if (ev->unit && ev->unit[0]) {
        nlog__tbuf_str(&b, " ");
        body_text(&b, ev->unit);
    }
    nlog__tbuf_fmt(&b, "\r\nCondition:  %s ", nlog_compare_name(ev->compare));
    num(&b, ev->threshold);
    nlog__tbuf_str(&b, " for at least ");
    num(&b, (double) ev->duration_ns / 1e9);
    nlog__tbuf_str(&b, " s\r\nHeld:       ");
    num(&b, (double) (ev->time_ns - ev->since_ns) / 1e9);
    nlog__tbuf_str(&b, " s, since ");
    time_text(&b, ev->since_ns);
    nlog__tbuf_str(&b, "\r\nSample at:  ");
    time_text(&b, ev->time_ns);
    nlog__tbuf_fmt(&b, "\r\nProcess:    %lld\r\n\r\n-- \r\nNetLink Logging\r\n",
                   (long long) nlog__process_id());
    if (b.failed) {
        nlog__tbuf_free(&b);
        return NULL;
    }
    return nlog__tbuf_take(&b, ret_len);
}

typedef struct upload {
    const char *p;
    size_t left;
} upload;

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *user)
{
    upload *u = user;
    size_t n = size * nmemb;
    if (n > u->left)
        n = u->left;
    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static int abort_cb(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void) dt;
    (void) dn;
    (void) ut;
    (void) un;
    int64_t at = __atomic_load_n((const int64_t *) user, __ATOMIC_RELAXED);
    return at && nlog__clock_monotonic_ns() >= at; /* non-zero aborts the transfer */
}

int nlog__mail_send(const char *url, const char *from, const char *to, const char *msg,
                    size_t len, const int64_t *abort_at, char *why, size_t why_size)
{
    char addr_from[300], addr_to[300];
    snprintf(addr_from, sizeof addr_from, "<%s>", from);
    snprintf(addr_to, sizeof addr_to, "<%s>", to);
    nlog__url u;
    int creds = nlog__url_parse(url, strlen(url), &u, NULL, NULL) == NLOG_OK && u.has_password;
    int implicit_tls = nlog__url_scheme_is(&u, "smtps");
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, why_size, "cannot create a libcurl handle");
        return NLOG__SEND_RETRY;
    }
    struct curl_slist *rcpt = curl_slist_append(NULL, addr_to);
    upload up = {msg, len};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    /* A password never crosses the network in clear: smtp:// with
     * credentials requires STARTTLS; without, TLS is used when offered. */
    if (!implicit_tls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long) (creds ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *) abort_at);
    CURLcode rc = rcpt ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK)
        return NLOG__SEND_OK;
    if (code)
        snprintf(why, why_size, "%s (SMTP reply %ld)", curl_easy_strerror(rc), code);
    else
        snprintf(why, why_size, "%s", curl_easy_strerror(rc));
    if ((code >= 500 && code < 600) || rc == CURLE_LOGIN_DENIED ||
        rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ||
        rc == CURLE_USE_SSL_FAILED)
        return NLOG__SEND_REFUSED;
    return NLOG__SEND_RETRY;
}
