/* webhook.c: the alert post for chat tools' incoming webhooks, and its
 * delivery over HTTP(S) with libcurl.
 *
 * The body is what Slack and Mattermost incoming webhooks both accept: a
 * "text" line, plus one legacy "attachments" entry (colour, title, fields,
 * ts) that both render as a card. Generic receivers can read the same
 * facts from the fields.
 * Tested by: tests/unit/perf/test_notify.c */
#include <curl/curl.h>
#include <string.h>

#include "format/json.h"
#include "format/numfmt.h"
#include "format/timefmt.h"
#include "perf/notify.h"
#include "perf/textbuf.h"
#include "platform/platform.h"

/* Appends a JSON-escaped fragment built from plain text (no quotes). */
static void frag(nlog__tbuf *b, const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && !b->failed) {
        char tmp[1024];
        size_t used;
        size_t w = nlog__json_escape(tmp, sizeof tmp, s, n, &used);
        if (used == 0)
            break;
        nlog__tbuf_add(b, tmp, w);
        s += used;
        n -= used;
    }
}

static void field(nlog__tbuf *b, const char *title, const char *value, int is_short, int first)
{
    nlog__tbuf_str(b, first ? "{\"title\":" : ",{\"title\":");
    nlog__tbuf_jstr(b, title, strlen(title));
    nlog__tbuf_str(b, ",\"value\":");
    nlog__tbuf_jstr(b, value, strlen(value));
    nlog__tbuf_str(b, is_short ? ",\"short\":true}" : ",\"short\":false}");
}

char *nlog__webhook_format(const nlog_alert_event *ev, const char *host, size_t *ret_len)
{
    int firing = ev->state == NLOG_ALERT_FIRING;
    char value[NLOG__DOUBLE_MAX + NLOG_PERF_UNIT_MAX + 2], thr[NLOG__DOUBLE_MAX + 8];
    char held[NLOG__DOUBLE_MAX + 4], since[NLOG__RFC3339_LEN + 1];
    size_t n = nlog__fmt_double(value, ev->value);
    value[n] = '\0';
    if (ev->unit && ev->unit[0])
        snprintf(value + n, sizeof value - n, " %s", ev->unit);
    n = nlog__fmt_double(thr, ev->threshold);
    thr[n] = '\0';
    n = nlog__fmt_double(held, (double) (ev->time_ns - ev->since_ns) / 1e9);
    memcpy(held + n, " s", 3);
    nlog__fmt_rfc3339(ev->since_ns, since);
    since[NLOG__RFC3339_LEN] = '\0';

    nlog__tbuf tags;
    nlog__tbuf_init(&tags, 8 * 1024);
    for (size_t i = 0; i < ev->n_tags; i++)
        nlog__tbuf_fmt(&tags, "%s%s=%s", i ? ", " : "", ev->tags[i].key, ev->tags[i].value);

    nlog__tbuf b;
    nlog__tbuf_init(&b, 64 * 1024);
    nlog__tbuf_str(&b, "{\"text\":\"");
    frag(&b, firing ? "[FIRING] " : "[RESOLVED] ");
    frag(&b, ev->alert_name);
    frag(&b, ": ");
    frag(&b, ev->metric);
    if (ev->n_tags) {
        frag(&b, " {");
        frag(&b, tags.p ? tags.p : "");
        frag(&b, "}");
    }
    frag(&b, " = ");
    frag(&b, value);
    if (firing) {
        frag(&b, " (");
        frag(&b, nlog_compare_name(ev->compare));
        frag(&b, " ");
        frag(&b, thr);
        frag(&b, ") for ");
        frag(&b, held);
    }
    frag(&b, " on ");
    frag(&b, host);
    nlog__tbuf_str(&b, "\",\"attachments\":[{\"color\":");
    nlog__tbuf_str(&b, firing ? "\"danger\"" : "\"good\"");
    nlog__tbuf_str(&b, ",\"title\":");
    char title[NLOG_PERF_NAME_MAX + 32];
    snprintf(title, sizeof title, "%s %s", firing ? "Firing:" : "Resolved:", ev->alert_name);
    nlog__tbuf_jstr(&b, title, strlen(title));
    nlog__tbuf_str(&b, ",\"fields\":[");
    char cond[NLOG__DOUBLE_MAX + 16];
    snprintf(cond, sizeof cond, "%s %s", nlog_compare_name(ev->compare), thr);
    field(&b, "Metric", ev->metric, 1, 1);
    field(&b, "Value", value, 1, 0);
    field(&b, "Condition", cond, 1, 0);
    field(&b, "Held", held, 1, 0);
    field(&b, "Since", since, 1, 0);
    field(&b, "Host", host, 1, 0);
    if (ev->n_tags)
        field(&b, "Tags", tags.p ? tags.p : "", 0, 0);
    nlog__tbuf_fmt(&b, "],\"footer\":\"NetLink Logging\",\"ts\":%lld}]}",
                   (long long) (ev->time_ns / 1000000000));
    int bad = b.failed || tags.failed;
    nlog__tbuf_free(&tags);
    if (bad) {
        nlog__tbuf_free(&b);
        return NULL;
    }
    return nlog__tbuf_take(&b, ret_len);
}

static size_t discard(char *p, size_t size, size_t nmemb, void *user)
{
    (void) p;
    (void) user;
    return size * nmemb;
}

static int abort_cb(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void) dt;
    (void) dn;
    (void) ut;
    (void) un;
    int64_t at = __atomic_load_n((const int64_t *) user, __ATOMIC_RELAXED);
    return at && nlog__clock_monotonic_ns() >= at;
}

int nlog__webhook_send(const char *url, const char *body, size_t len, const int64_t *abort_at,
                       int64_t *ret_retry_after_ns, char *why, size_t why_size)
{
    *ret_retry_after_ns = 0;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, why_size, "cannot create a libcurl handle");
        return NLOG__SEND_RETRY;
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h ? curl_slist_append(h, "Expect:") : NULL;
    if (h2)
        h = h2;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "nlog-alerts/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *) abort_at);
    CURLcode rc = h ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    /* Retry-After (seconds or an HTTP date, which curl turns into seconds) */
    curl_off_t after = 0;
    if ((code == 429 || code == 503) &&
        curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
        *ret_retry_after_ns = after > 86400 ? 86400 * INT64_C(1000000000)
                                            : (int64_t) after * INT64_C(1000000000);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(why, why_size, "%s", curl_easy_strerror(rc));
        return rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ? NLOG__SEND_REFUSED
                                                                              : NLOG__SEND_RETRY;
    }
    if (code >= 200 && code < 300)
        return NLOG__SEND_OK;
    if (*ret_retry_after_ns)
        snprintf(why, why_size, "HTTP status %ld (Retry-After: %lld s)", code,
                 (long long) (*ret_retry_after_ns / INT64_C(1000000000)));
    else
        snprintf(why, why_size, "HTTP status %ld", code);
    return code == 408 || code == 429 || code >= 500 ? NLOG__SEND_RETRY : NLOG__SEND_REFUSED;
}
