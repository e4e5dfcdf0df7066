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
#include <nlog/nlog.h>
#include <zlib.h>

#include "server/http/deadline.h"
#include "server/http/router.h"

static const struct route {
    const char *path;
    const char *method;
    nlogd_handler_fn fn;
} routes[] = {
    {"/health", "GET", nlogd_rest_health},
    {"/metrics", "GET", nlogd_rest_metrics},
    {"/api/v2/logs/entries", "GET", nlogd_rest_entries_get},
    {"/api/v2/logs/entries", "POST", nlogd_rest_entries_post},
    {"/api/v2/logs/performance/metrics", "GET", nlogd_rest_perf_metrics},
    {"/api/v2/logs/security/events", "GET", nlogd_rest_security_events},
    {"/api/v2/logs/export", "POST", nlogd_rest_export},
    {"/api/v2/logs/stats", "GET", nlogd_rest_stats},
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

static int header_send(struct mg_connection *conn)
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
    (void) header_send(req->conn);
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
    return header_send(req->conn) >= 0 ? 0 : -1;
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

/* Inflates a gzip body into out, refusing output beyond cap. */
static int gunzip(const unsigned char *in, size_t n, size_t cap, nlogd_buf *out, nlogd_err *e)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return nlogd_fail(e, 503, "internal", "", "out of memory starting gzip decoding");
    z.next_in = (unsigned char *) in;
    z.avail_in = (uInt) n;
    enum { TMP = 65536 }; /* on the heap: worker threads have small stacks */
    unsigned char *tmp = malloc(TMP);
    if (!tmp) {
        inflateEnd(&z);
        return nlogd_fail(e, 503, "internal", "", "out of memory reading the body");
    }
    int rc;
    do {
        z.next_out = tmp;
        z.avail_out = TMP;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            free(tmp);
            return nlogd_fail(e, 400, "malformed_body", "Content-Encoding",
                              "body: not a valid gzip stream (%s); accepted: gzip "
                              "(Content-Encoding: gzip) or an uncompressed body",
                              z.msg ? z.msg : "truncated");
        }
        size_t got = TMP - z.avail_out;
        if (out->len + got > cap) {
            inflateEnd(&z);
            free(tmp);
            return nlogd_fail(e, 413, "payload_too_large", "body",
                              "body: more than %zu bytes once decompressed; accepted: at most "
                              "server.max_body_size (%zu bytes) after gzip decoding",
                              cap, cap);
        }
        if (nlogd_buf_add(out, tmp, got) != 0) {
            inflateEnd(&z);
            free(tmp);
            return nlogd_fail(e, 503, "internal", "", "out of memory reading the body");
        }
        if (rc == Z_STREAM_END && z.avail_in > 0) {
            /* concatenated gzip members (RFC 1952 allows several) */
            if (inflateReset(&z) != Z_OK)
                break;
            rc = Z_OK;
        }
    } while (rc != Z_STREAM_END && (z.avail_in > 0 || z.avail_out == 0));
    inflateEnd(&z);
    free(tmp);
    if (rc != Z_STREAM_END)
        return nlogd_fail(e, 400, "malformed_body", "Content-Encoding",
                          "body: the gzip stream ends early; accepted: a complete gzip stream");
    return 0;
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
        rc = gunzip((const unsigned char *) (raw.data ? raw.data : ""), raw.len, cap, out, e);
        nlogd_buf_free(&raw);
    } else {
        nlogd_buf_free(out);
        *out = raw;
        out->cap = cap;
    }
    return rc;
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
    nlogd_server *srv = cbdata;
    nlogd_req req;
    memset(&req, 0, sizeof req);
    req.conn = conn;
    req.ri = mg_get_request_info(conn);
    req.srv = srv;
    nlogd_count(srv, http_requests, 1);
    const char *path = req.ri->local_uri ? req.ri->local_uri : "";
    const char *method = req.ri->request_method ? req.ri->request_method : "";
    int path_known = 0;
    char allow[64] = "";
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (strcmp(routes[i].path, path) != 0)
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
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

int nlogd_http_start(nlogd_server *srv, char *why, size_t why_size)
{
    char threads[16], timeout[16];
    snprintf(threads, sizeof threads, "%d", srv->cfg.server_num_threads);
    snprintf(timeout, sizeof timeout, "%d", srv->cfg.server_request_timeout_ms);
    const char *options[] = {
        "listening_ports", srv->cfg.server_listen,
        "num_threads", threads,
        "request_timeout_ms", timeout,
        "enable_keep_alive", "yes",
        "tcp_nodelay", "1", /* headers and body go out as separate writes: without this,
                               Nagle + delayed ACK add ~40 ms to every answer */
        "keep_alive_timeout_ms", "30000",
        "max_request_size", "65536",
        "enable_directory_listing", "no",
        NULL,
    };
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.log_message = log_message;
    if (nlogd_watchdog_start(&srv->watchdog) != 0) {
        snprintf(why, why_size, "cannot start the request-timeout watchdog thread");
        return -1;
    }
    mg_init_library(0);
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
    struct mg_server_port ports[4];
    int n = mg_get_server_ports(srv->http, 4, ports);
    srv->port = n > 0 ? ports[0].port : 0;
    return 0;
}

void nlogd_http_stop(nlogd_server *srv)
{
    if (srv->http) {
        mg_stop(srv->http);
        srv->http = NULL;
        mg_exit_library();
    }
    nlogd_watchdog_stop(srv->watchdog); /* after the workers: none can arm any more */
    srv->watchdog = NULL;
}
