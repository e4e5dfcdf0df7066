/* router.h: nlogd's HTTP layer on CivetWeb — the route table, one request
 * context per request, reading bodies (gzip included, with a hard cap) and
 * writing JSON and chunked responses.
 *
 * CivetWeb runs one worker thread per open connection (server.num_threads of
 * them): a handler may block (ingest waits for its commit) without stalling
 * other connections, and the thread count is the limit of clients served at
 * once. */
#ifndef NLOGD_HTTP_ROUTER_H
#define NLOGD_HTTP_ROUTER_H

#include <stddef.h>

#include "server/buf.h"
#include "server/error.h"
#include "server/roles.h"
#include "server/server.h"

struct mg_connection;
struct mg_request_info;

typedef struct nlogd_req {
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    nlogd_server *srv;
    /* Who is calling: NULL for anonymous. Authentication (API keys, roles)
     * fills this before the handler runs; handlers that need a role check
     * it here. */
    const char *caller;
    int status;                  /* status sent, for counting */
    int chunked;                 /* a chunked response is open */
    nlogd_role role;             /* the caller's role (admin when no keys are configured) */
    char caller_name[NLOGD_KEY_NAME_MAX + 1]; /* what caller points at */
    char ip[48];                 /* the peer's address */
} nlogd_req;

typedef void (*nlogd_handler_fn)(nlogd_req *req);

/* Starts listening (srv->cfg.server_listen, port 0 = any) with
 * srv->cfg.server_num_threads workers; sets srv->port. On failure writes why. */
int nlogd_http_start(nlogd_server *srv, char *why, size_t why_size);
/* Stops accepting, waits for requests in progress to finish. */
void nlogd_http_stop(nlogd_server *srv);

/* mg_response_header_send() serialised (CivetWeb formats Date with the
 * non-reentrant gmtime): every header send goes through this. */
int nlogd_http_header_send(struct mg_connection *conn);

/* Responses. Each sends headers and body once. */
void nlogd_reply_json(nlogd_req *req, int status, const nlogd_buf *body);
void nlogd_reply_error(nlogd_req *req, const nlogd_err *e);
void nlogd_reply_text(nlogd_req *req, int status, const char *content_type, const char *body,
                      size_t len);
/* A 429 or 503 with Retry-After seconds. */
void nlogd_reply_retry(nlogd_req *req, const nlogd_err *e, int retry_after_s);

/* Chunked streaming: begin with headers, send chunks, end. */
int nlogd_stream_begin(nlogd_req *req, int status, const char *content_type,
                       const char *disposition);
int nlogd_stream_chunk(nlogd_req *req, const char *data, size_t len);
void nlogd_stream_end(nlogd_req *req);

/* Reads the whole body into out (cap bytes at most after gzip decoding,
 * Content-Encoding: gzip or identity). Fills e: 413 when over cap, 400 for
 * a broken gzip stream, 415 for another encoding. */
int nlogd_read_body(nlogd_req *req, size_t cap, nlogd_buf *out, nlogd_err *e);
/* The raw query string (after '?'), or NULL. */
const char *nlogd_query(nlogd_req *req);
/* A request header, or NULL. */
const char *nlogd_header(nlogd_req *req, const char *name);

/* Handlers (rest_*.c). */
void nlogd_rest_health(nlogd_req *req);
void nlogd_rest_metrics(nlogd_req *req);
void nlogd_rest_entries_get(nlogd_req *req);
void nlogd_rest_entries_post(nlogd_req *req);
void nlogd_rest_perf_metrics(nlogd_req *req);
void nlogd_rest_security_events(nlogd_req *req);
void nlogd_rest_export(nlogd_req *req);
void nlogd_rest_stats(nlogd_req *req);
void nlogd_rest_stream_plain(nlogd_req *req); /* the stream without an Upgrade: 426 */
void nlogd_rest_config_get(nlogd_req *req);   /* rest_config.c */
void nlogd_rest_keys_get(nlogd_req *req);
void nlogd_rest_keys_post(nlogd_req *req);
void nlogd_rest_keys_delete(nlogd_req *req);
void nlogd_live_page(nlogd_req *req);         /* live_page.c: /, /live.js, /live.css, /favicon.ico */

/* Applies the caller's role to a record filter: a viewer's filter gets a
 * level bound below SECURITY; asking a viewer-only key for SECURITY or
 * AUDIT records explicitly is a 403 (filled into e, returns -1). */
int nlogd_req_restrict(nlogd_req *req, nlogd_filter *f, nlogd_err *e);
/* Writes an AUDIT record for the caller (selflog.h); on failure answers
 * 503 and returns -1: the audited action must not run. */
int nlogd_req_audit(nlogd_req *req, const char *action, const char *details);
/* A filter as JSON for audit details: {"level":...,"category":...,...}. */
void nlogd_filter_json(nlogd_buf *b, const nlogd_filter *f);

#endif
