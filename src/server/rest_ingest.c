/* rest_ingest.c: POST /api/v2/logs/entries.
 *
 * Body: a JSON array of records or NDJSON, optionally gzip-encoded, at most
 * server.max_body_size bytes after decoding (413 beyond). Optional header
 * X-Batch-Id (1..64 of [A-Za-z0-9_.:-]): a batch whose id was stored before
 * (within the dedupe window, store.h) is not stored again (the answer says
 * "duplicate": true), which is how the remote output's retries stay
 * exactly-once. A retry carries the same body; the same id with another
 * body (a client whose ids are not unique, e.g. a counter that restarted)
 * is refused with 409 rather than dropped as a duplicate. Answers, once the
 * good records are committed:
 *   202 {"accepted": n, "rejected": m, "duplicate": false, "batch_id": "...",
 *        "errors": [{"index": i, "line": l, "message": "..."}]}
 *   400 when the body as a whole is not JSON/NDJSON, 409 (reused batch id),
 *   413 (body over server.max_body_size, or its records over
 *   server.max_request_memory once parsed), 415,
 *   429 + Retry-After when the store queue is full, in records
 *   (server.queue_records) or in bytes (server.queue_max_bytes): nothing
 *   stored,
 *   503 + Retry-After when the store cannot write (nothing stored).
 * Tested by: tests/integration/server/test_server.py (api, bad_input, steady) */
#include <string.h>

#include <zlib.h>

#include "server/http/router.h"
#include "server/ingest_parse.h"

/* What tells a retry (same body) from a reused id (another body): the
 * body's CRC-32 and length; never 0. */
static uint64_t body_digest(const char *data, size_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < len;) {
        uInt n = len - off > (1u << 30) ? (1u << 30) : (uInt) (len - off);
        crc = crc32(crc, (const Bytef *) data + off, n);
        off += n;
    }
    uint64_t d = ((uint64_t) crc << 32) | (uint64_t) (len & 0xffffffffu);
    return d ? d : 1;
}

static int batch_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return 0;
    }
    return 1;
}

void nlogd_rest_entries_post(nlogd_req *req)
{
    nlogd_server *srv = req->srv;
    nlogd_err e;
    nlogd_buf body, out;
    nlogd_ingest in;
    nlogd_batch b;
    const char *bid = nlogd_header(req, "X-Batch-Id");
    nlogd_count(srv, ingest_requests, 1);
    memset(&b, 0, sizeof b);
    if (bid) {
        if (!batch_id_ok(bid)) {
            char q[128];
            nlogd_quote(q, sizeof q, bid, strlen(bid));
            nlogd_fail(&e, 400, "invalid_parameter", "X-Batch-Id",
                       "X-Batch-Id %s is not accepted; accepted: 1 to 64 of A-Z a-z 0-9 - _ . :",
                       q);
            nlogd_reply_error(req, &e);
            return;
        }
        memcpy(b.batch_id, bid, strlen(bid) + 1);
    }
    nlogd_buf_init(&body, (size_t) srv->cfg.server_max_body_size);
    if (nlogd_read_body(req, (size_t) srv->cfg.server_max_body_size, &body, &e) != 0) {
        nlogd_buf_free(&body);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_count(srv, bytes_received, body.len);
    if (b.batch_id[0])
        b.digest = body_digest(body.data ? body.data : "", body.len);
    nlogd_ingest_init(&in);
    in.mem_limit = (size_t) srv->cfg.server_max_request_memory;
    if (nlogd_ingest_parse(body.data ? body.data : "", body.len, &in, &e) != 0) {
        nlogd_buf_free(&body);
        nlogd_ingest_free(&in);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_buf_free(&body);
    nlogd_count(srv, records_received, in.n + in.rejected);
    b.recs = in.recs;
    b.n = in.n;
    b.rejected = in.rejected;
    b.mem_bytes = nlogd_ingest_mem(&in);
    if ((in.n || b.batch_id[0]) && nlogd_queue_submit(srv->queue, &b, 0) != 0) {
        nlogd_count(srv, records_throttled, in.n);
        nlogd_fail(&e, 429, "queue_full", "",
                   "the store queue is full (%zu of %zu records, %zu of %zu bytes waiting; "
                   "this request: %zu records, %zu bytes); nothing was stored; retry after the "
                   "Retry-After delay",
                   nlogd_queue_depth(srv->queue), nlogd_queue_capacity(srv->queue),
                   nlogd_queue_bytes(srv->queue), nlogd_queue_capacity_bytes(srv->queue), in.n,
                   b.mem_bytes);
        nlogd_ingest_free(&in);
        nlogd_reply_retry(req, &e, 1);
        return;
    }
    if ((in.n || b.batch_id[0]) && b.status != NLOG_OK) {
        nlogd_count(srv, records_failed, in.n);
        nlogd_fail(&e, 503, "store_unavailable", "",
                   "the store could not write the records (disk full or I/O error); nothing "
                   "was stored; retry later");
        nlogd_ingest_free(&in);
        nlogd_reply_retry(req, &e, 5);
        return;
    }
    if (b.conflict) {
        char q[128];
        nlogd_quote(q, sizeof q, b.batch_id, strlen(b.batch_id));
        nlogd_fail(&e, 409, "batch_id_reused", "X-Batch-Id",
                   "X-Batch-Id %s was stored before with another body (batch ids are remembered "
                   "for 24 hours); nothing was stored; accepted: an id unique to each batch "
                   "(random, as the library's remote output sends), the same id only to resend "
                   "the same body",
                   q);
        nlogd_ingest_free(&in);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_count(srv, records_rejected, in.rejected);
    if (b.duplicate)
        nlogd_count(srv, records_duplicate, in.n);
    else
        nlogd_count(srv, records_accepted, in.n);
    nlogd_buf_init(&out, 1 << 20);
    nlogd_buf_printf(&out, "{\"accepted\":%zu,\"rejected\":%zu,\"duplicate\":%s",
                     b.duplicate ? b.orig_accepted : in.n, in.rejected,
                     b.duplicate ? "true" : "false");
    if (b.batch_id[0]) {
        nlogd_buf_adds(&out, ",\"batch_id\":");
        nlogd_buf_json_str(&out, b.batch_id, strlen(b.batch_id));
    }
    nlogd_buf_adds(&out, ",\"errors\":[");
    for (size_t i = 0; i < in.n_errors; i++) {
        nlogd_buf_printf(&out, "%s{\"index\":%zu,", i ? "," : "", in.errors[i].index);
        if (in.errors[i].line)
            nlogd_buf_printf(&out, "\"line\":%zu,", in.errors[i].line);
        nlogd_buf_adds(&out, "\"message\":");
        nlogd_buf_json_str(&out, in.errors[i].message, strlen(in.errors[i].message));
        nlogd_buf_addc(&out, '}');
    }
    nlogd_buf_printf(&out, "],\"errors_truncated\":%s}\n",
                     in.rejected > in.n_errors ? "true" : "false");
    nlogd_ingest_free(&in);
    nlogd_reply_json(req, 202, &out);
    nlogd_buf_free(&out);
}
