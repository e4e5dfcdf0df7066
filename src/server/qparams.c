/* qparams.c: query-string splitting, URL decoding and the value checks of
 * the REST API (see qparams.h). Nothing here trusts its input: every length
 * is bounded before it is copied, and every failure is a 400 that names the
 * parameter (or, when the name itself is unusable, says "query string"). */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <nlog/level.h>

#include "server/qparams.h"
#include "server/search.h"
#include "server/timeparse.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) ('+' is a space) into out (room bytes + NUL). */
static int decode(const char *s, size_t n, char *out, size_t room, size_t *ret_len,
                  const char *what, nlogd_err *e)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char) s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
                return nlogd_fail(e, 400, "invalid_parameter", what,
                                  "%s: bad %%-encoding; write a byte as %%XX with two hex digits",
                                  what);
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        if (o >= room)
            return nlogd_fail(e, 400, "invalid_parameter", what,
                              "%s: value longer than %zu bytes", what, room);
        out[o++] = (char) c;
    }
    out[o] = '\0';
    *ret_len = o;
    return 0;
}

static void list_names(const char *const *accepted, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; accepted[i]; i++) {
        int n = snprintf(buf + o, size - o, "%s%s", i ? ", " : "", accepted[i]);
        if (n < 0 || (size_t) n >= size - o)
            break;
        o += (size_t) n;
    }
}

/* The `parameter` of an error about a name that cannot be used as given:
 * its text with control bytes (NUL included) as \xNN, at most 60 bytes. */
static void param_of(char *out, size_t size, const char *s, size_t len)
{
    char q[128];
    nlogd_quote(q, sizeof q, s, len);
    size_t n = strlen(q);
    if (len && n >= 2) { /* without nlogd_quote's quotes */
        q[n - 1] = '\0';
        snprintf(out, size, "%.60s", q + 1);
    } else {
        snprintf(out, size, "query string");
    }
}

int nlogd_qp_parse(const char *qs, const char *const *accepted, nlogd_qparams *out,
                   nlogd_err *e)
{
    char names[512], q[128], pn[64];
    out->n = 0;
    if (!qs)
        return 0;
    const char *p = qs;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t) (amp - p) : strlen(p);
        if (len) {
            if (out->n >= NLOGD_QP_MAX)
                return nlogd_fail(e, 400, "invalid_parameter", "query string",
                                  "query string: more than %d parameters; accepted: at most %d",
                                  NLOGD_QP_MAX, NLOGD_QP_MAX);
            const char *eq = memchr(p, '=', len);
            size_t nlen = eq ? (size_t) (eq - p) : len;
            nlogd_qparam *qp = &out->p[out->n];
            size_t dlen = 0;
            if (nlen >= sizeof qp->name || decode(p, nlen, qp->name, sizeof qp->name - 1, &dlen,
                                                  "query string", e) != 0) {
                /* too long or badly %-encoded: named as written */
                nlogd_quote(q, sizeof q, p, nlen);
                param_of(pn, sizeof pn, p, nlen);
                list_names(accepted, names, sizeof names);
                return nlogd_fail(e, 400, "unknown_parameter", pn,
                                  "unknown parameter %s; accepted: %s", q, names);
            }
            if (dlen != strlen(qp->name)) {
                nlogd_quote(q, sizeof q, qp->name, dlen);
                param_of(pn, sizeof pn, qp->name, dlen);
                list_names(accepted, names, sizeof names);
                return nlogd_fail(e, 400, "unknown_parameter", pn,
                                  "unknown parameter %s (it contains a NUL byte); accepted: %s",
                                  q, names);
            }
            size_t k = 0;
            while (accepted[k] && strcmp(accepted[k], qp->name) != 0)
                k++;
            if (!accepted[k]) {
                nlogd_quote(q, sizeof q, qp->name, dlen);
                list_names(accepted, names, sizeof names);
                return nlogd_fail(e, 400, "unknown_parameter", dlen ? qp->name : "query string",
                                  "unknown parameter %s; accepted: %s", q, names);
            }
            for (size_t j = 0; j < out->n; j++)
                if (strcmp(out->p[j].name, qp->name) == 0)
                    return nlogd_fail(e, 400, "duplicate_parameter", qp->name,
                                      "parameter '%s' is given more than once; give it once",
                                      qp->name);
            if (eq) {
                if (decode(eq + 1, len - nlen - 1, qp->value, NLOGD_QP_VALUE_MAX, &qp->value_len,
                           qp->name, e) != 0)
                    return -1;
            } else {
                qp->value[0] = '\0';
                qp->value_len = 0;
            }
            qp->used = 0;
            out->n++;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

const char *nlogd_qp_get(const nlogd_qparams *q, const char *name, size_t *ret_len)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->p[i].name, name) == 0) {
            if (ret_len)
                *ret_len = q->p[i].value_len;
            return q->p[i].value;
        }
    return NULL;
}

static const char level_accepted[] =
    "TRACE, DEBUG, INFO, WARNING (or WARN), ERROR, CRITICAL, SECURITY, AUDIT (any case)";

int nlogd_qp_level(const char *param, const char *v, size_t len, int *ret_level, nlogd_err *e)
{
    char name[16], q[128];
    nlog_level lv;
    if (len > 0 && len < sizeof name && !memchr(v, '\0', len)) {
        memcpy(name, v, len);
        name[len] = '\0';
        if (nlog_level_parse(name, &lv) == NLOG_OK) {
            *ret_level = (int) lv;
            return 0;
        }
    }
    nlogd_quote(q, sizeof q, v, len);
    return nlogd_fail(e, 400, "invalid_parameter", param, "%s: unknown level %s; accepted: %s",
                      param, q, level_accepted);
}

int nlogd_qp_time(const char *param, const char *v, size_t len, int64_t *ret_ns, nlogd_err *e)
{
    char why[128], q[128];
    int64_t t;
    if (nlogd_time_parse(v, len, &t, why, sizeof why) == 0) {
        if (t >= NLOGD_TIME_MIN_NS && t <= NLOGD_TIME_MAX_NS) {
            *ret_ns = t;
            return 0;
        }
        nlogd_quote(q, sizeof q, v, len);
        return nlogd_fail(e, 400, "invalid_parameter", param,
                          "%s: %s is out of range; accepted: times from " NLOGD_TIME_RANGE,
                          param, q);
    }
    nlogd_quote(q, sizeof q, v, len);
    return nlogd_fail(e, 400, "invalid_parameter", param,
                      "%s: %s is not a time (%s); accepted: %s, from " NLOGD_TIME_RANGE, param, q,
                      why, NLOGD_TIME_ACCEPTED);
}

int nlogd_qp_uint(const char *param, const char *v, size_t len, long min, long max, long *ret,
                  nlogd_err *e)
{
    char q[128];
    long x = 0;
    size_t i = 0;
    for (; i < len && v[i] >= '0' && v[i] <= '9'; i++)
        if (x <= max)
            x = x * 10 + (v[i] - '0');
    nlogd_quote(q, sizeof q, v, len);
    if (len == 0 || i != len)
        return nlogd_fail(e, 400, "invalid_parameter", param,
                          "%s: %s is not a whole number; accepted: %ld to %ld", param, q, min, max);
    if (x < min || x > max)
        return nlogd_fail(e, 400, "invalid_parameter", param,
                          "%s: %s is out of range; accepted: %ld to %ld", param, q, min, max);
    *ret = x;
    return 0;
}

int nlogd_qp_name(const char *param, const char *v, size_t len, size_t max, char *out,
                  size_t out_size, nlogd_err *e)
{
    char q[128];
    nlogd_quote(q, sizeof q, v, len);
    if (len == 0 || len > max || len >= out_size)
        return nlogd_fail(e, 400, "invalid_parameter", param,
                          "%s: %s must be 1 to %zu bytes long", param, q, max);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) v[i];
        if (c < 0x20 || c == 0x7f)
            return nlogd_fail(e, 400, "invalid_parameter", param,
                              "%s: %s contains a control character; accepted: 1 to %zu bytes "
                              "of text",
                              param, q, max);
    }
    memcpy(out, v, len);
    out[len] = '\0';
    return 0;
}

int nlogd_qp_search(const char *param, const char *v, size_t len, char *out, size_t out_size,
                    nlogd_err *e)
{
    if (len > NLOGD_SEARCH_MAX)
        return nlogd_fail(e, 400, "invalid_parameter", param,
                          "%s: %zu bytes is too long; accepted: 1 to %d bytes holding up to %d "
                          "words",
                          param, len, NLOGD_SEARCH_MAX, NLOGD_SEARCH_WORDS_MAX);
    if (nlogd_qp_name(param, v, len, NLOGD_SEARCH_MAX, out, out_size, e) != 0)
        return -1;
    nlogd_search s;
    char why[160];
    if (nlogd_search_compile(out, len, &s, why, sizeof why) != 0)
        return nlogd_fail(e, 400, "invalid_parameter", param, "%s: %s; accepted: %s", param, why,
                          NLOGD_SEARCH_ACCEPTED);
    return 0;
}

int nlogd_qp_filter(const nlogd_qparams *q, nlogd_filter *f, nlogd_err *e)
{
    size_t len;
    const char *v;
    if ((v = nlogd_qp_get(q, "level", &len)) && nlogd_qp_level("level", v, len, &f->min_level, e))
        return -1;
    if ((v = nlogd_qp_get(q, "category", &len)) &&
        nlogd_qp_name("category", v, len, 64, f->category, sizeof f->category, e))
        return -1;
    if ((v = nlogd_qp_get(q, "logger", &len)) &&
        nlogd_qp_name("logger", v, len, 255, f->logger, sizeof f->logger, e))
        return -1;
    if ((v = nlogd_qp_get(q, "start_time", &len))) {
        if (nlogd_qp_time("start_time", v, len, &f->start_ns, e))
            return -1;
        f->has_start = 1;
    }
    if ((v = nlogd_qp_get(q, "end_time", &len))) {
        if (nlogd_qp_time("end_time", v, len, &f->end_ns, e))
            return -1;
        f->has_end = 1;
    }
    if (f->has_start && f->has_end && f->start_ns > f->end_ns)
        return nlogd_fail(e, 400, "invalid_parameter", "end_time",
                          "end_time is before start_time; accepted: end_time at or after "
                          "start_time");
    if ((v = nlogd_qp_get(q, "search_query", &len)) &&
        nlogd_qp_search("search_query", v, len, f->search, sizeof f->search, e))
        return -1;
    return 0;
}

/* FNV-1a over the filter members that select rows. */
static uint64_t filter_hash(const nlogd_filter *f)
{
    uint64_t h = 1469598103934665603ULL;
    char tmp[128];
    int n = snprintf(tmp, sizeof tmp, "%d|%d|%d|%d|%lld|%lld|%d", f->min_level, f->only_level,
                     f->has_start, f->has_end, (long long) f->start_ns, (long long) f->end_ns,
                     f->ascending);
    const char *parts[] = {tmp, f->category, f->logger, f->search};
    for (size_t p = 0; p < 4; p++) {
        size_t l = p == 0 ? (size_t) (n > 0 ? n : 0) : strlen(parts[p]);
        for (size_t i = 0; i < l; i++) {
            h ^= (unsigned char) parts[p][i];
            h *= 1099511628211ULL;
        }
        h ^= 0xff;
        h *= 1099511628211ULL;
    }
    return h;
}

void nlogd_cursor_make(const nlogd_filter *f, int64_t last_id, char out[NLOGD_CURSOR_LEN + 1])
{
    snprintf(out, NLOGD_CURSOR_LEN + 1, "%016llx%016llx", (unsigned long long) last_id,
             (unsigned long long) filter_hash(f));
}

int nlogd_cursor_read(const char *param, const char *v, size_t len, nlogd_filter *f,
                      nlogd_err *e)
{
    unsigned long long id = 0, h = 0;
    if (len != NLOGD_CURSOR_LEN)
        goto bad;
    for (size_t i = 0; i < len; i++) {
        int d = hexval(v[i]);
        if (d < 0 || (v[i] >= 'A' && v[i] <= 'F'))
            goto bad;
        if (i < 16)
            id = id * 16 + (unsigned) d;
        else
            h = h * 16 + (unsigned) d;
    }
    if (h != filter_hash(f))
        return nlogd_fail(e, 400, "invalid_cursor", param,
                          "%s: this cursor belongs to a query with other filters; accepted: the "
                          "next_cursor of the previous page, with the same filters",
                          param);
    f->has_cursor = 1;
    f->cursor_id = (int64_t) id;
    return 0;
bad:
    return nlogd_fail(e, 400, "invalid_cursor", param,
                      "%s: not a cursor; accepted: the next_cursor value of a previous page, "
                      "unchanged",
                      param);
}

#include <json-c/json.h>

int nlogd_export_parse(const char *body, size_t len, nlogd_filter *f, nlogd_export_format *fmt,
                       nlogd_err *e)
{
    static const char accepted[] =
        "format, level, category, logger, start_time, end_time, search_query";
    static const char *const formats[] = {"json", "ndjson", "csv", "txt", NULL};
    *fmt = NLOGD_EXPORT_JSON;
    if (len > 65536)
        return nlogd_fail(e, 413, "payload_too_large", "body",
                          "body: %zu bytes; accepted: an export request of at most 65536 bytes",
                          len);
    json_tokener *tok = json_tokener_new_ex(16);
    if (!tok)
        return nlogd_fail(e, 503, "internal", "", "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = len ? json_tokener_parse_ex(tok, body, (int) len) : NULL;
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int rc = 0;
    while (end < len && (body[end] == ' ' || body[end] == '\n' || body[end] == '\r' ||
                         body[end] == '\t'))
        end++;
    if (!o || jerr != json_tokener_success || end != len ||
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return nlogd_fail(e, 400, "malformed_body", "body",
                          "body: expected a JSON object such as {\"format\": \"csv\", \"level\": "
                          "\"WARNING\"}; accepted members: %s", accepted);
    }
    nlogd_qparams *q = calloc(1, sizeof *q);
    if (!q) {
        json_object_put(o);
        return nlogd_fail(e, 503, "internal", "", "out of memory");
    }
    json_object_object_foreach(o, key, v) {
        static const char *const names[] = {"format", "level", "category", "logger",
                                            "start_time", "end_time", "search_query", NULL};
        size_t k = 0;
        while (names[k] && strcmp(names[k], key) != 0)
            k++;
        if (!names[k]) {
            char qq[128], pn[64];
            nlogd_quote(qq, sizeof qq, key, strlen(key));
            param_of(pn, sizeof pn, key, strlen(key));
            rc = nlogd_fail(e, 400, "unknown_parameter", pn, "unknown member %s; accepted: %s",
                            qq, accepted);
            break;
        }
        if (json_object_is_type(v, json_type_null))
            continue;
        if (!json_object_is_type(v, json_type_string)) {
            rc = nlogd_fail(e, 400, "invalid_parameter", names[k],
                            "%s: expected a string or null", names[k]);
            break;
        }
        const char *s = json_object_get_string(v);
        size_t sl = (size_t) json_object_get_string_len(v);
        if (k == 0) {
            size_t i = 0;
            while (formats[i] && !(strlen(formats[i]) == sl && strncasecmp(formats[i], s, sl) == 0))
                i++;
            if (!formats[i]) {
                char qq[128];
                nlogd_quote(qq, sizeof qq, s, sl);
                rc = nlogd_fail(e, 400, "invalid_parameter", "format",
                                "format: unknown format %s; accepted: json, ndjson, csv, txt", qq);
                break;
            }
            *fmt = (nlogd_export_format) i;
            continue;
        }
        if (sl > NLOGD_QP_VALUE_MAX) {
            rc = nlogd_fail(e, 400, "invalid_parameter", names[k], "%s: longer than %d bytes",
                            names[k], NLOGD_QP_VALUE_MAX);
            break;
        }
        nlogd_qparam *p = &q->p[q->n++];
        snprintf(p->name, sizeof p->name, "%s", names[k]);
        memcpy(p->value, s, sl);
        p->value[sl] = '\0';
        p->value_len = sl;
    }
    json_object_put(o);
    if (rc == 0)
        rc = nlogd_qp_filter(q, f, e);
    free(q);
    return rc;
}
