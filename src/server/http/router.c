/* router.c: CivetWeb setup, routing, bodies and responses (see router.h).
 * Every response carries a JSON body except /metrics and exports; every
 * error has the one shape of error.h. No handler can make a 5xx out of bad
 * input: parsers return 4xx errors, and 503 (with Retry-After) is reserved
 * for the server's side: the store failing, or memory running out. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>
#include <nlog/level.h>
#include <nlog/nlog.h>

#include "server/http/deadline.h"
#include "server/http/gunzip.h"
#include "server/http/origin.h"
#include "server/http/router.h"
#include "server/selflog.h"
#include "server/tls.h"
#include "server/ws_stream.h"

/* Each route names the permission it needs (roles.h); docs/rest-api.md
 * "Access control" is this table per endpoint. */
static const struct route {
    const char *path;
    const char *method;
    nlogd_handler_fn fn;
    nlogd_perm perm;
} routes[] = {
    {"/health", "GET", nlogd_rest_health, NLOGD_PERM_OPEN},
    {"/metrics", "GET", nlogd_rest_metrics, NLOGD_PERM_READ},
    {"/api/v2/logs/entries", "GET", nlogd_rest_entries_get, NLOGD_PERM_READ},
    {"/api/v2/logs/entries", "POST", nlogd_rest_entries_post, NLOGD_PERM_INGEST},
    {"/api/v2/logs/performance/metrics", "GET", nlogd_rest_perf_metrics, NLOGD_PERM_READ},
    {"/api/v2/logs/security/events", "GET", nlogd_rest_security_events, NLOGD_PERM_SECURITY},
    {"/api/v2/logs/export", "POST", nlogd_rest_export, NLOGD_PERM_ADMIN},
    {"/api/v2/logs/stats", "GET", nlogd_rest_stats, NLOGD_PERM_READ},
    {"/api/v2/logs/stream", "GET", nlogd_rest_stream_plain, NLOGD_PERM_READ},
    {"/api/v2/config", "GET", nlogd_rest_config_get, NLOGD_PERM_ADMIN},
    {"/api/v2/keys", "GET", nlogd_rest_keys_get, NLOGD_PERM_ADMIN},
    {"/api/v2/keys", "POST", nlogd_rest_keys_post, NLOGD_PERM_ADMIN},
    {"/api/v2/keys", "DELETE", nlogd_rest_keys_delete, NLOGD_PERM_ADMIN},
    /* the live page: no data in it, so open; it asks for a key to stream */
    {"/", "GET", nlogd_live_page, NLOGD_PERM_OPEN},
    {"/live.js", "GET", nlogd_live_page, NLOGD_PERM_OPEN},
    {"/live.css", "GET", nlogd_live_page, NLOGD_PERM_OPEN},
    {"/favicon.ico", "GET", nlogd_live_page, NLOGD_PERM_OPEN},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

int64_t nlogd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

double nlogd_uptime_s(const nlogd_server *srv)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ((int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec - srv->started_mono_ns) / 1e9;
}

/* CivetWeb 1.15 formats the Date header with the C library gmtime, which is not
 * reentrant (ThreadSanitizer reports the race between workers): header
 * sends are serialised. */
static pthread_mutex_t header_lock = PTHREAD_MUTEX_INITIALIZER;

int nlogd_http_header_send(struct mg_connection *conn)
{
    pthread_mutex_lock(&header_lock);
    int rc = mg_response_header_send(conn);
    pthread_mutex_unlock(&header_lock);
    return rc;
}

static void count_status(nlogd_req *req, int status)
{
    req->status = status;
    if (status >= 500)
        nlogd_count(req->srv, http_5xx, 1);
    else if (status >= 400)
        nlogd_count(req->srv, http_4xx, 1);
}

static void send_head(nlogd_req *req, int status, const char *type, long long len,
                      const char *extra_name, const char *extra_value)
{
    char l[32];
    count_status(req, status);
    mg_response_header_start(req->conn, status);
    mg_response_header_add(req->conn, "Content-Type", type, -1);
    mg_response_header_add(req->conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(req->conn, "X-Content-Type-Options", "nosniff", -1);
    if (extra_name)
        mg_response_header_add(req->conn, extra_name, extra_value, -1);
    if (len >= 0) {
        snprintf(l, sizeof l, "%lld", len);
        mg_response_header_add(req->conn, "Content-Length", l, -1);
    }
    (void) nlogd_http_header_send(req->conn);
}

void nlogd_reply_text(nlogd_req *req, int status, const char *content_type, const char *body,
                      size_t len)
{
    send_head(req, status, content_type, (long long) len, NULL, NULL);
    if (len && strcmp(req->ri->request_method, "HEAD") != 0)
        mg_write(req->conn, body, len);
}

void nlogd_reply_json(nlogd_req *req, int status, const nlogd_buf *body)
{
    if (body->failed) {
        nlogd_err e;
        nlogd_fail(&e, 503, "internal", "", "out of memory building the response; retry later");
        nlogd_reply_retry(req, &e, 5);
        return;
    }
    nlogd_reply_text(req, status, "application/json", body->data ? body->data : "", body->len);
}

static void error_body(const nlogd_err *e, nlogd_buf *b)
{
    nlogd_buf_adds(b, "{\"error\":{\"code\":");
    nlogd_buf_json_str(b, e->code, strlen(e->code));
    nlogd_buf_adds(b, ",\"message\":");
    nlogd_buf_json_str(b, e->message, strlen(e->message));
    if (e->param[0]) {
        nlogd_buf_adds(b, ",\"parameter\":");
        nlogd_buf_json_str(b, e->param, strlen(e->param));
    }
    nlogd_buf_adds(b, "}}\n");
}

void nlogd_reply_error(nlogd_req *req, const nlogd_err *e)
{
    nlogd_buf b;
    nlogd_buf_init(&b, 8192);
    error_body(e, &b);
    nlogd_reply_text(req, e->status ? e->status : 500, "application/json", b.data, b.len);
    nlogd_buf_free(&b);
}

void nlogd_reply_retry(nlogd_req *req, const nlogd_err *e, int retry_after_s)
{
    nlogd_buf b;
    char ra[16];
    nlogd_buf_init(&b, 8192);
    error_body(e, &b);
    snprintf(ra, sizeof ra, "%d", retry_after_s);
    send_head(req, e->status, "application/json", (long long) b.len, "Retry-After", ra);
    mg_write(req->conn, b.data, b.len);
    nlogd_buf_free(&b);
}

int nlogd_stream_begin(nlogd_req *req, int status, const char *content_type,
                       const char *disposition)
{
    count_status(req, status);
    mg_response_header_start(req->conn, status);
    mg_response_header_add(req->conn, "Content-Type", content_type, -1);
    mg_response_header_add(req->conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(req->conn, "X-Content-Type-Options", "nosniff", -1);
    if (disposition)
        mg_response_header_add(req->conn, "Content-Disposition", disposition, -1);
    mg_response_header_add(req->conn, "Transfer-Encoding", "chunked", -1);
    req->chunked = 1;
    return nlogd_http_header_send(req->conn) >= 0 ? 0 : -1;
}

int nlogd_stream_chunk(nlogd_req *req, const char *data, size_t len)
{
    if (!len)
        return 0;
    return mg_send_chunk(req->conn, data, (unsigned) len) > 0 ? 0 : -1;
}

void nlogd_stream_end(nlogd_req *req)
{
    if (req->chunked)
        mg_send_chunk(req->conn, "", 0);
    req->chunked = 0;
}

const char *nlogd_query(nlogd_req *req)
{
    return req->ri->query_string;
}

const char *nlogd_header(nlogd_req *req, const char *name)
{
    return mg_get_header(req->conn, name);
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
        int y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

int nlogd_read_body(nlogd_req *req, size_t cap, nlogd_buf *out, nlogd_err *e)
{
    const char *enc = nlogd_header(req, "Content-Encoding");
    int gz = 0;
    if (enc && !ieq(enc, "identity")) {
        if (!ieq(enc, "gzip") && !ieq(enc, "x-gzip"))
            return nlogd_fail(e, 415, "unsupported_media_type", "Content-Encoding",
                              "Content-Encoding '%.40s' is not supported; accepted: gzip or "
                              "identity", enc);
        gz = 1;
    }
    long long cl = req->ri->content_length;
    if (cl > (long long) cap && !gz)
        return nlogd_fail(e, 413, "payload_too_large", "body",
                          "body: %lld bytes; accepted: at most server.max_body_size (%zu bytes)",
                          cl, cap);
    nlogd_buf raw;
    nlogd_buf_init(&raw, cap + 1);
    enum { TMP = 65536 };
    char *tmp = malloc(TMP);
    if (!tmp)
        return nlogd_fail(e, 503, "internal", "", "out of memory reading the body");
    /* The whole body within server.request_timeout_ms (deadline.h): CivetWeb
     * alone would wait as long as bytes keep trickling in. */
    int timeout_ms = req->srv->cfg.server_request_timeout_ms;
    nlogd_deadline dl;
    nlogd_deadline_arm(req->srv->watchdog, &dl, req->ri,
                       nlogd_mono_ns() + (int64_t) timeout_ms * 1000000LL);
    int n = 0;
    for (;;) {
        n = mg_read(req->conn, tmp, TMP);
        if (n <= 0)
            break; /* 0: the end of the body; -1: the connection failed or timed out */
        if (nlogd_buf_add(&raw, tmp, (size_t) n) != 0) {
            (void) nlogd_deadline_disarm(req->srv->watchdog, &dl);
            nlogd_buf_free(&raw);
            free(tmp);
            mg_disable_connection_keep_alive(req->conn); /* the rest is not read */
            return nlogd_fail(e, 413, "payload_too_large", "body",
                              "body: more than %zu bytes; accepted: at most "
                              "server.max_body_size (%zu bytes)", cap, cap);
        }
        if (cl >= 0 && (long long) raw.len >= cl) {
            n = 0; /* all of it */
            break;
        }
        if (nlogd_mono_ns() >= dl.at_ns) {
            n = -1; /* out of time with the body unfinished */
            break;
        }
    }
    int late = nlogd_deadline_disarm(req->srv->watchdog, &dl);
    if (n != 0 || (cl >= 0 && (long long) raw.len != cl)) {
        /* the body did not arrive whole: never parse a part of it */
        nlogd_buf_free(&raw);
        free(tmp);
        mg_disable_connection_keep_alive(req->conn);
        if (late)
            return nlogd_fail(e, 408, "request_timeout", "body",
                              "body: not received within server.request_timeout_ms (%d ms); "
                              "accepted: a whole request within that time", timeout_ms);
        return nlogd_fail(e, 400, "malformed_body", "body",
                          "body: the connection ended after %zu of %lld bytes; accepted: the "
                          "whole body of Content-Length bytes", raw.len, cl);
    }
    free(tmp);
    int rc = 0;
    if (gz) {
        rc = nlogd_gunzip((const unsigned char *) (raw.data ? raw.data : ""), raw.len, cap, out, e);
        nlogd_buf_free(&raw);
    } else {
        nlogd_buf_free(out);
        *out = raw;
        out->cap = cap;
    }
    return rc;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Who is calling, and may they? Answers the refusal itself and returns -1
 * (401 no or bad key, 403 role, 429 rate), recording a security event. */
static int authorize(nlogd_req *req, nlogd_perm perm)
{
    nlogd_server *srv = req->srv;
    const char *path = req->ri->local_uri ? req->ri->local_uri : "";
    const char *method = req->ri->request_method ? req->ri->request_method : "";
    nlogd_err e;
    req->caller = req->caller_name;
    if (!nlogd_keys_enabled(&srv->keys)) {
        /* no keys: nlogd listens on loopback only (main.c), and every local
         * caller may do everything */
        snprintf(req->caller_name, sizeof req->caller_name, "anonymous");
        req->role = NLOGD_ROLE_ADMIN;
        return 0;
    }
    if (perm == NLOGD_PERM_OPEN) {
        snprintf(req->caller_name, sizeof req->caller_name, "anonymous");
        req->role = NLOGD_ROLE_NONE;
        return 0;
    }
    char key[NLOGD_KEY_MAX + 1], why[256];
    size_t klen;
    int got = nlogd_auth_parse_bearer(nlogd_header(req, "Authorization"), key, sizeof key, &klen,
                                      why, sizeof why);
    nlogd_role r = got > 0 ? nlogd_keys_check(&srv->keys, key, klen, req->caller_name,
                                              sizeof req->caller_name)
                           : NLOGD_ROLE_NONE;
    explicit_bzero(key, sizeof key);
    if (r == NLOGD_ROLE_NONE) {
        snprintf(req->caller_name, sizeof req->caller_name, "anonymous");
        if (got == 0)
            nlogd_fail(&e, 401, "unauthorized", "Authorization",
                       "%s %s needs an API key of a role with access (%s); send "
                       "Authorization: Bearer KEY",
                       method, path, nlogd_perm_roles(perm));
        else if (got < 0)
            nlogd_fail(&e, 401, "unauthorized", "Authorization", "%s", why);
        else
            nlogd_fail(&e, 401, "unauthorized", "Authorization", "the API key is not valid");
        nlogd_count(srv, auth_refused, 1);
        nlogd_security_event(srv->selflog, "AUTH_FAILURE", "MEDIUM", NULL, req->ip, method, path,
                             401, got == 0 ? "no API key" : got < 0 ? "malformed credentials"
                                                                    : "unknown API key");
        nlogd_buf b;
        nlogd_buf_init(&b, 4096);
        error_body(&e, &b);
        send_head(req, 401, "application/json", (long long) b.len, "WWW-Authenticate",
                  "Bearer realm=\"nlogd\"");
        mg_write(req->conn, b.data, b.len);
        nlogd_buf_free(&b);
        return -1;
    }
    req->role = r;
    if (!nlogd_role_allows(r, perm)) {
        nlogd_fail(&e, 403, "forbidden", "", "the key '%s' has the role %s; %s %s needs %s",
                   req->caller_name, nlogd_role_name(r), method, path, nlogd_perm_roles(perm));
        nlogd_count(srv, auth_forbidden, 1);
        nlogd_security_event(srv->selflog, "ACCESS_DENIED",
                             perm >= NLOGD_PERM_SECURITY ? "HIGH" : "MEDIUM", req->caller_name,
                             req->ip, method, path, 403, "role not allowed");
        nlogd_reply_error(req, &e);
        return -1;
    }
    int wait = nlogd_rate_take(srv->rate, req->caller_name, mono_ns());
    if (wait) {
        nlogd_fail(&e, 429, "rate_limited", "", "the key '%s' made more than %d requests in a "
                   "second (server.rate_limit); retry after %d s",
                   req->caller_name, srv->cfg.server_rate_limit, wait);
        nlogd_count(srv, rate_limited, 1);
        nlogd_security_event(srv->selflog, "RATE_LIMITED", "LOW", req->caller_name, req->ip,
                             method, path, 429, "rate limit");
        nlogd_reply_retry(req, &e, wait);
        return -1;
    }
    return 0;
}

int nlogd_req_restrict(nlogd_req *req, nlogd_filter *f, nlogd_err *e)
{
    int max = nlogd_role_max_level(req->role);
    if (!max)
        return 0;
    if (f->min_level > max || (f->only_level && f->only_level > max)) {
        /* a refusal like any other 403: counted and recorded */
        nlogd_count(req->srv, auth_forbidden, 1);
        nlogd_security_event(req->srv->selflog, "ACCESS_DENIED", "MEDIUM", req->caller_name,
                             req->ip, req->ri->request_method ? req->ri->request_method : "",
                             req->ri->local_uri ? req->ri->local_uri : "", 403,
                             "role may not read SECURITY or AUDIT records");
        return nlogd_fail(e, 403, "forbidden", "level",
                          "level: the key '%s' has the role %s, which never reads SECURITY or "
                          "AUDIT records; accepted: TRACE to CRITICAL",
                          req->caller_name, nlogd_role_name(req->role));
    }
    f->max_level = max;
    return 0;
}

int nlogd_req_audit(nlogd_req *req, const char *action, const char *details)
{
    if (nlogd_audit(req->srv, action, req->caller_name, nlogd_role_name(req->role), req->ip,
                    details) == 0)
        return 0;
    nlogd_err e;
    nlogd_fail(&e, 503, "store_unavailable", "",
               "the audit record of this %s could not be stored, so it was not done; retry later",
               action);
    nlogd_reply_retry(req, &e, 5);
    return -1;
}

static void opt_str(nlogd_buf *b, const char *name, const char *v)
{
    nlogd_buf_printf(b, ",\"%s\":", name);
    if (v && v[0])
        nlogd_buf_json_str(b, v, strlen(v));
    else
        nlogd_buf_adds(b, "null");
}

void nlogd_filter_json(nlogd_buf *b, const nlogd_filter *f)
{
    const char *lv = f->min_level ? nlog_level_name((nlog_level) f->min_level) : NULL;
    nlogd_buf_adds(b, "{\"level\":");
    if (lv)
        nlogd_buf_printf(b, "\"%s\"", lv);
    else
        nlogd_buf_adds(b, "null");
    opt_str(b, "category", f->category);
    opt_str(b, "logger", f->logger);
    opt_str(b, "search_query", f->search);
    nlogd_buf_adds(b, ",\"start_time\":");
    if (f->has_start)
        nlogd_buf_json_time(b, f->start_ns);
    else
        nlogd_buf_adds(b, "null");
    nlogd_buf_adds(b, ",\"end_time\":");
    if (f->has_end)
        nlogd_buf_json_time(b, f->end_ns);
    else
        nlogd_buf_adds(b, "null");
    nlogd_buf_addc(b, '}');
}

void nlogd_rest_stream_plain(nlogd_req *req)
{
    nlogd_err e;
    nlogd_fail(&e, 426, "upgrade_required", "",
               "/api/v2/logs/stream is a WebSocket endpoint; accepted: a GET with Upgrade: "
               "websocket (ws:// or wss://)");
    nlogd_buf b;
    nlogd_buf_init(&b, 4096);
    error_body(&e, &b);
    send_head(req, 426, "application/json", (long long) b.len, "Upgrade", "websocket");
    mg_write(req->conn, b.data, b.len);
    nlogd_buf_free(&b);
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
    nlogd_server *srv = cbdata;
    nlogd_req req;
    memset(&req, 0, sizeof req);
    req.conn = conn;
    req.ri = mg_get_request_info(conn);
    req.srv = srv;
    req.caller = "anonymous";
    snprintf(req.caller_name, sizeof req.caller_name, "anonymous");
    snprintf(req.ip, sizeof req.ip, "%s", req.ri->remote_addr);
    nlogd_count(srv, http_requests, 1);
    const char *path = req.ri->local_uri ? req.ri->local_uri : "";
    const char *method = req.ri->request_method ? req.ri->request_method : "";
    {
        char why[512];
        const char *reason = "";
        if (nlogd_origin_check(mg_get_header(conn, "Host"), mg_get_header(conn, "Origin"),
                               req.ri->is_ssl, nlogd_keys_enabled(&srv->keys),
                               srv->cfg.server_allowed_origins, why, sizeof why, &reason) != 0) {
            nlogd_err e;
            nlogd_fail(&e, 403, "forbidden_origin", "", "%s", why);
            nlogd_count(srv, auth_forbidden, 1);
            nlogd_security_event(srv->selflog, "ACCESS_DENIED", "HIGH", NULL, req.ip, method,
                                 path, 403, reason);
            nlogd_reply_error(&req, &e);
            return 403;
        }
    }
    int path_known = 0;
    char allow[96] = "";
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (strcmp(routes[i].path, path) != 0)
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
            if (authorize(&req, routes[i].perm) != 0)
                return req.status;
            routes[i].fn(&req);
            nlogd_stream_end(&req);
            return req.status ? req.status : 200;
        }
        size_t used = strlen(allow);
        snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", routes[i].method);
    }
    nlogd_err e;
    if (path_known) {
        nlogd_buf b;
        nlogd_fail(&e, 405, "method_not_allowed", "", "%.16s is not allowed on %.80s; accepted: %s",
                   method, path, allow);
        nlogd_buf_init(&b, 4096);
        error_body(&e, &b);
        send_head(&req, 405, "application/json", (long long) b.len, "Allow", allow);
        mg_write(conn, b.data, b.len);
        nlogd_buf_free(&b);
        return 405;
    }
    char q[128];
    nlogd_quote(q, sizeof q, path, strlen(path));
    nlogd_fail(&e, 404, "not_found", "", "no endpoint %s; see docs/rest-api.md for the endpoints",
               q);
    nlogd_reply_error(&req, &e);
    return 404;
}

/* CivetWeb's own messages (a request it could not read, headers that took
 * too long, ...) go to nlogd's log as WARNING records of logger
 * "nlogd.http", at most LOG_BURST a minute: a flood of bad clients must not
 * flood the log. The rest are counted and the count logged. */
#define LOG_BURST 10
static pthread_mutex_t cw_log_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t cw_log_minute;
static unsigned cw_log_shown, cw_log_hidden;

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void) conn;
    int64_t minute = nlogd_mono_ns() / 60000000000LL;
    unsigned hidden = 0;
    pthread_mutex_lock(&cw_log_lock);
    if (minute != cw_log_minute) {
        hidden = cw_log_hidden;
        cw_log_minute = minute;
        cw_log_shown = cw_log_hidden = 0;
    }
    int show = cw_log_shown < LOG_BURST;
    if (show)
        cw_log_shown++;
    else
        cw_log_hidden++;
    pthread_mutex_unlock(&cw_log_lock);
    nlog_logger *lg = nlog_get_logger("nlogd.http");
    if (hidden)
        (void) nlog_logf(lg, NLOG_LEVEL_WARNING, NULL,
                         "%u more CivetWeb messages in the last minute were not logged", hidden);
    if (show)
        (void) nlog_logf(lg, NLOG_LEVEL_WARNING, NULL, "CivetWeb: %.300s", message);
    return 1; /* handled: CivetWeb must not print to stderr itself */
}

/* CivetWeb accepts connections from mg_start2() on, before the handlers
 * can be installed: a request in between would get CivetWeb's own 404,
 * which a client (the remote output's spool, resending right after a
 * restart) must take as final. Until the handlers are in, the answer is a
 * 503 with Retry-After instead. */
static int begin_request(struct mg_connection *conn)
{
    nlogd_server *srv = mg_get_user_data(mg_get_context(conn));
    if (srv && __atomic_load_n(&srv->http_ready, __ATOMIC_ACQUIRE))
        return 0; /* CivetWeb goes on to the handlers */
    static const char body[] =
        "{\"error\":{\"code\":\"starting\",\"message\":\"nlogd is starting; retry after the "
        "Retry-After delay\"}}\n";
    mg_printf(conn,
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
              "Retry-After: 1\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
              sizeof body - 1, body);
    return 503;
}

int nlogd_http_start(nlogd_server *srv, char *why, size_t why_size)
{
    char threads[16], timeout[16], headers[16], ws_timeout[16], listen[NLOG_CONFIG_LISTEN_MAX + 2];
    snprintf(threads, sizeof threads, "%d", srv->cfg.server_num_threads);
    snprintf(timeout, sizeof timeout, "%d", srv->cfg.server_request_timeout_ms);
    snprintf(headers, sizeof headers, "%d", srv->cfg.server_max_header_size);
    /* CivetWeb ends a WebSocket whose peer sent nothing for this long; the
     * stream's own idle check (ws_stream.c) comes first and explains itself,
     * this is the backstop for a peer that no longer answers at all. */
    snprintf(ws_timeout, sizeof ws_timeout, "%d", srv->cfg.server_stream_idle_timeout_ms + 10000);
    snprintf(listen, sizeof listen, "%s%s", srv->cfg.server_listen, srv->tls ? "s" : "");
    const char *options[] = {
        "listening_ports", listen,
        "websocket_timeout_ms", ws_timeout,
        "num_threads", threads,
        "request_timeout_ms", timeout,
        "enable_keep_alive", "yes",
        "tcp_nodelay", "1", /* headers and body go out as separate writes: without this,
                               Nagle + delayed ACK add ~40 ms to every answer */
        "keep_alive_timeout_ms", "30000",
        "max_request_size", headers,
        "enable_directory_listing", "no",
        /* CivetWeb 1.15 starts its TLS set-up only when this names a file;
         * the certificate and key are then loaded by tls.c (init_ssl). */
        srv->tls ? "ssl_certificate" : NULL, srv->cfg.server_tls_certificate,
        NULL,
    };
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.log_message = log_message;
    cb.begin_request = begin_request;
    if (srv->tls)
        cb.init_ssl = nlogd_tls_init_ssl;
    if (srv->tls && nlogd_tls_load_compat(why, why_size) != 0)
        return -1;
    if (nlogd_watchdog_start(&srv->watchdog) != 0) {
        snprintf(why, why_size, "cannot start the request-timeout watchdog thread");
        return -1;
    }
    mg_init_library(srv->tls ? MG_FEATURES_TLS : 0); /* TLS: CivetWeb loads and initialises OpenSSL */
    struct mg_init_data init;
    struct mg_error_data err;
    char msg[256] = "";
    memset(&init, 0, sizeof init);
    memset(&err, 0, sizeof err);
    init.callbacks = &cb;
    init.user_data = srv;
    init.configuration_options = options;
    err.text = msg;
    err.text_buffer_size = sizeof msg;
    srv->http = mg_start2(&init, &err);
    if (!srv->http) {
        snprintf(why, why_size, "cannot listen on %s: %s", srv->cfg.server_listen,
                 msg[0] ? msg : "unknown error");
        mg_exit_library();
        nlogd_watchdog_stop(srv->watchdog);
        srv->watchdog = NULL;
        return -1;
    }
    mg_set_request_handler(srv->http, "/", dispatch, srv);
    if (nlogd_ws_start(srv) != 0) {
        snprintf(why, why_size, "out of memory starting the live stream");
        nlogd_http_stop(srv);
        return -1;
    }
    struct mg_server_port ports[4];
    int n = mg_get_server_ports(srv->http, 4, ports);
    srv->port = n > 0 ? ports[0].port : 0;
    __atomic_store_n(&srv->http_ready, 1, __ATOMIC_RELEASE);
    return 0;
}

void nlogd_http_stop(nlogd_server *srv)
{
    if (srv->http) {
        nlogd_ws_shutdown(srv);
        mg_stop(srv->http);
        nlogd_ws_free(srv);
        srv->http = NULL;
        mg_exit_library();
    }
    nlogd_watchdog_stop(srv->watchdog); /* after the workers: none can arm any more */
    srv->watchdog = NULL;
}
