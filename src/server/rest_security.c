/* rest_security.c: GET /api/v2/logs/security/events.
 *
 * Security events are the stored SECURITY records. Their fields are read
 * generously, wherever a producer put them: event_type, severity, user_id
 * and ip_address are taken from `metadata`, else `context`, else the
 * record's extra top-level members (the security module and other producers
 * may differ). Parameters: severity (LOW, MEDIUM, HIGH, CRITICAL, any case:
 * that severity and above; records without a known severity do not match
 * it), event_type, user_id, ip_address (exact), start_time, end_time, limit
 * (1..1000, default 100), cursor. Newest first.
 * Answer: {"events": [{timestamp, event_type, severity, user_id, ip_address,
 * message, module, category, context, metadata}], "next_cursor": ...,
 * "truncated": bool}.
 *
 * Bounds: the event filters are applied here, row by row, so one request
 * reads at most SCAN_MAX SECURITY records. When it stops there before the
 * page is full, "truncated" is true and next_cursor continues the scan (the
 * page may hold fewer events than `limit`, even none). A page also ends
 * early once its JSON passes NLOGD_PAGE_BYTES; the body streams
 * (http/out.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <nlog/level.h>

#include "server/http/out.h"
#include "server/http/router.h"
#include "server/qparams.h"

#define SCAN_MAX 20000 /* SECURITY records read per request */

static const char *const severities[] = {"LOW", "MEDIUM", "HIGH", "CRITICAL", NULL};

static int severity_rank(const char *s)
{
    for (int i = 0; s && severities[i]; i++)
        if (strcasecmp(s, severities[i]) == 0)
            return i + 1;
    return 0;
}

typedef struct scan {
    nlogd_out *out;
    int min_sev;
    const char *event_type, *user_id, *ip;
    size_t limit, n, scanned;
    int more;            /* stopped with rows left: next_cursor */
    int truncated;       /* ... because SCAN_MAX rows were read */
    int64_t last_id;     /* the last row read (matching or not) */
} scan;

static json_object *parse_obj(const char *t)
{
    if (!t)
        return NULL;
    json_object *o = json_tokener_parse(t);
    if (o && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* A field's string value from the first group that has it. */
static const char *field(json_object *const *groups, const char *key)
{
    for (int i = 0; i < 3; i++) {
        json_object *v;
        if (groups[i] && json_object_object_get_ex(groups[i], key, &v) &&
            (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int)))
            return json_object_get_string(v);
    }
    return NULL;
}

static void member(nlogd_buf *b, const char *name, const char *v)
{
    nlogd_buf_printf(b, ",\"%s\":", name);
    if (v)
        nlogd_buf_json_str(b, v, strlen(v));
    else
        nlogd_buf_adds(b, "null");
}

static int visit(const nlogd_entry *e, void *user)
{
    scan *s = user;
    if (s->scanned == SCAN_MAX || (s->n && nlogd_buf_total(&s->out->buf) >= NLOGD_PAGE_BYTES)) {
        s->more = 1;
        s->truncated = s->scanned == SCAN_MAX;
        return 1;
    }
    s->scanned++;
    json_object *g[3] = {parse_obj(e->metadata), parse_obj(e->context), parse_obj(e->extra)};
    const char *et = field(g, "event_type"), *sev = field(g, "severity");
    const char *uid = field(g, "user_id"), *ip = field(g, "ip_address");
    int match = (!s->min_sev || severity_rank(sev) >= s->min_sev) &&
                (!s->event_type || (et && strcmp(et, s->event_type) == 0)) &&
                (!s->user_id || (uid && strcmp(uid, s->user_id) == 0)) &&
                (!s->ip || (ip && strcmp(ip, s->ip) == 0));
    int stop = 0;
    if (match && s->n == s->limit) {
        s->more = 1;
        stop = 1;
    } else if (match) {
        nlogd_buf *b = &s->out->buf;
        if (s->n++)
            nlogd_buf_addc(b, ',');
        nlogd_buf_adds(b, "{\"timestamp\":");
        nlogd_buf_json_time(b, e->ts_ns);
        member(b, "event_type", et);
        int r = severity_rank(sev);
        member(b, "severity", r ? severities[r - 1] : sev);
        member(b, "user_id", uid);
        member(b, "ip_address", ip);
        nlogd_buf_adds(b, ",\"message\":");
        nlogd_buf_json_str(b, e->message, e->message_len);
        member(b, "module", e->logger);
        member(b, "category", e->category);
        nlogd_buf_adds(b, ",\"context\":");
        nlogd_buf_adds(b, e->context ? e->context : "{}");
        nlogd_buf_adds(b, ",\"metadata\":");
        nlogd_buf_adds(b, e->metadata ? e->metadata : "{}");
        nlogd_buf_addc(b, '}');
        stop = nlogd_out_failed(s->out);
    }
    if (!stop || !s->more)
        s->last_id = e->id;
    for (int i = 0; i < 3; i++)
        json_object_put(g[i]);
    return stop;
}

void nlogd_rest_security_events(nlogd_req *req)
{
    static const char *const accepted[] = {"severity", "event_type", "user_id", "ip_address",
                                           "start_time", "end_time", "limit", "cursor", NULL};
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_err e;
    nlogd_filter f;
    char et[260] = "", uid[260] = "", ip[260] = "";
    long limit = NLOGD_LIMIT_DEFAULT;
    const char *v;
    size_t len;
    int min_sev = 0;
    memset(&f, 0, sizeof f);
    f.only_level = NLOG_LEVEL_SECURITY;
    if (!q) {
        nlogd_fail(&e, 503, "internal", "", "out of memory");
        nlogd_reply_error(req, &e);
        return;
    }
    int bad = nlogd_qp_parse(nlogd_query(req), accepted, q, &e) != 0;
    if (!bad && (v = nlogd_qp_get(q, "severity", &len))) {
        min_sev = len < 16 ? severity_rank(v) : 0;
        if (!min_sev) {
            char qq[128];
            nlogd_quote(qq, sizeof qq, v, len);
            bad = nlogd_fail(&e, 400, "invalid_parameter", "severity",
                             "severity: unknown severity %s; accepted: LOW, MEDIUM, HIGH, "
                             "CRITICAL (any case)", qq) != 0;
        }
    }
    if (!bad && (v = nlogd_qp_get(q, "event_type", &len)))
        bad = nlogd_qp_name("event_type", v, len, 255, et, sizeof et, &e) != 0;
    if (!bad && (v = nlogd_qp_get(q, "user_id", &len)))
        bad = nlogd_qp_name("user_id", v, len, 255, uid, sizeof uid, &e) != 0;
    if (!bad && (v = nlogd_qp_get(q, "ip_address", &len)))
        bad = nlogd_qp_name("ip_address", v, len, 255, ip, sizeof ip, &e) != 0;
    if (!bad)
        bad = nlogd_qp_filter(q, &f, &e) != 0;
    if (!bad && (v = nlogd_qp_get(q, "limit", &len)))
        bad = nlogd_qp_uint("limit", v, len, 1, NLOGD_LIMIT_MAX, &limit, &e) != 0;
    /* The cursor is bound to the record filter plus the event filters. */
    char sig[800];
    snprintf(sig, sizeof sig, "%d|%s|%s|%s", min_sev, et, uid, ip);
    nlogd_filter fc = f;
    snprintf(fc.search, sizeof fc.search, "%.500s", sig);
    if (!bad && (v = nlogd_qp_get(q, "cursor", &len))) {
        bad = nlogd_cursor_read("cursor", v, len, &fc, &e) != 0;
        f.has_cursor = fc.has_cursor;
        f.cursor_id = fc.cursor_id;
    }
    free(q);
    if (bad) {
        nlogd_reply_error(req, &e);
        return;
    }
    {
        /* a security-event query is audited before it runs */
        nlogd_buf d;
        nlogd_buf_init(&d, 8192);
        nlogd_buf_adds(&d, "{\"query\":");
        const char *qs = nlogd_query(req) ? nlogd_query(req) : "";
        nlogd_buf_json_str(&d, qs, strlen(qs) > 2048 ? 2048 : strlen(qs));
        nlogd_buf_addc(&d, '}');
        int audited = nlogd_req_audit(req, "security_events_query", d.data);
        nlogd_buf_free(&d);
        if (audited != 0)
            return;
    }
    nlogd_out out;
    nlogd_out_init(&out, req, 200, "application/json", NULL, 0);
    scan s = {.out = &out, .min_sev = min_sev, .event_type = et[0] ? et : NULL,
              .user_id = uid[0] ? uid : NULL, .ip = ip[0] ? ip : NULL, .limit = (size_t) limit};
    int more;
    nlogd_buf_adds(&out.buf, "{\"events\":[");
    if (nlogd_store_query(req->srv->store, &f, 0, visit, &s, &more) != NLOG_OK ||
        nlogd_out_failed(&out)) {
        nlogd_fail(&e, 503, "store_unavailable", "", "the store could not be read; retry later");
        nlogd_out_fail(&out, &e, 5);
        nlogd_out_free(&out);
        return;
    }
    nlogd_buf_adds(&out.buf, "],\"next_cursor\":");
    if (s.more && s.scanned) {
        char c[NLOGD_CURSOR_LEN + 1];
        nlogd_cursor_make(&fc, s.last_id, c);
        nlogd_buf_printf(&out.buf, "\"%s\"", c);
    } else {
        nlogd_buf_adds(&out.buf, "null");
    }
    nlogd_buf_printf(&out.buf, ",\"truncated\":%s}\n", s.truncated ? "true" : "false");
    (void) nlogd_out_finish(&out);
    nlogd_out_free(&out);
}
