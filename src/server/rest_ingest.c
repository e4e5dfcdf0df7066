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
#include <pthread.h>
#include <stdlib.h>
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

/* Bodies at least twice PART_BYTES (NDJSON) are parsed and stored in parts
 * of about that size: the writer stores part k while this thread parses
 * part k + 1 (queue.h, batches in parts). The first part is smaller, so
 * the writer starts sooner. */
#define PART_BYTES (256 * 1024)
#define FIRST_PART_BYTES (64 * 1024)

/* The reply's counts and errors, from one parse or from the parts. */
typedef struct ingest_result {
    nlogd_ingest *ins;   /* ins[0..n_ins) */
    size_t n_ins;
    size_t accepted, rejected;
} ingest_result;

static void free_result(ingest_result *r)
{
    for (size_t i = 0; i < r->n_ins; i++)
        nlogd_ingest_free(&r->ins[i]);
    free(r->ins);
}

/* 429: the queue refused batch b (a whole body, or the first part of a
 * large one: its counts are that part's). */
static int queue_full(nlogd_server *srv, const nlogd_batch *b, nlogd_err *e)
{
    return nlogd_fail(e, 429, "queue_full", "",
                      "the store queue is full (%zu of %zu records, %zu of %zu bytes waiting; "
                      "this request: %zu records, %zu bytes); nothing was stored; retry "
                      "after the Retry-After delay",
                      nlogd_queue_depth(srv->queue), nlogd_queue_capacity(srv->queue),
                      nlogd_queue_bytes(srv->queue), nlogd_queue_capacity_bytes(srv->queue),
                      b->n, b->mem_bytes);
}

/* Parses body in parts, opening a stream with the first part and adding
 * each further one. Returns 0 with *ret_st open (the caller ends it), or
 * -1 with e filled (413/400/500, or 429 when the queue refused the first
 * part: *ret_st NULL), any stream already ended with an abort. */
static int parse_parts(nlogd_server *srv, const char *body, size_t len, nlogd_batch *head,
                       nlogd_batch *parts, ingest_result *r, nlogd_qstream **ret_st,
                       nlogd_err *e)
{
    size_t limit = (size_t) srv->cfg.server_max_request_memory, used = 0;
    size_t index = 0, line = 0, pos = 0;
    nlogd_qstream *st = NULL;
    *ret_st = NULL;
    while (pos < len) {
        size_t end = nlogd_ingest_part_end(body, len, pos, st ? PART_BYTES : FIRST_PART_BYTES);
        nlogd_ingest *in = &r->ins[r->n_ins];
        nlogd_ingest_init(in);
        r->n_ins++;
        in->index_base = index;
        in->line_base = line;
        in->n_base = r->accepted;
        in->mem_limit_total = limit;
        in->mem_limit = limit ? (limit > used ? limit - used : 1) : 0;
        if (nlogd_ingest_parse_part(body + pos, end - pos, in, e) != 0) {
            if (st)
                nlogd_queue_stream_end(st, 1, 0);
            return -1;
        }
        used += nlogd_ingest_mem(in);
        index = in->index_end;
        line = in->line_end;
        r->accepted += in->n;
        r->rejected += in->rejected;
        pos = end;
        nlogd_batch *b = st ? &parts[r->n_ins - 1] : head;
        b->recs = in->recs;
        b->n = in->n;
        b->mem_bytes = nlogd_ingest_mem(in);
        if (!st) {
            if (nlogd_queue_stream_open(srv->queue, head, &st) != 0)
                return queue_full(srv, head, e);
        } else if (b->n) {
            nlogd_queue_stream_add(st, b);
        }
    }
    if (index == 0) {
        nlogd_queue_stream_end(st, 1, 0);
        return nlogd_no_records(e);
    }
    *ret_st = st;
    return 0;
}

/* The answer once the store has the batch (or the body held nothing to
 * store: submitted 0). */
static void reply(nlogd_req *req, nlogd_batch *b, const ingest_result *r, int submitted)
{
    nlogd_server *srv = req->srv;
    nlogd_err e;
    nlogd_buf out;
    if (submitted && b->status != NLOG_OK) {
        nlogd_count(srv, records_failed, r->accepted);
        nlogd_fail(&e, 503, "store_unavailable", "",
                   "the store could not write the records (disk full or I/O error); nothing "
                   "was stored; retry later");
        nlogd_reply_retry(req, &e, 5);
        return;
    }
    if (b->conflict) {
        char q[128];
        nlogd_quote(q, sizeof q, b->batch_id, strlen(b->batch_id));
        nlogd_fail(&e, 409, "batch_id_reused", "X-Batch-Id",
                   "X-Batch-Id %s was stored before with another body (batch ids are remembered "
                   "for 24 hours); nothing was stored; accepted: an id unique to each batch "
                   "(random, as the library's remote output sends), the same id only to resend "
                   "the same body",
                   q);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_count(srv, records_rejected, r->rejected);
    if (b->duplicate)
        nlogd_count(srv, records_duplicate, r->accepted);
    else
        nlogd_count(srv, records_accepted, r->accepted);
    nlogd_buf_init(&out, 1 << 20);
    nlogd_buf_printf(&out, "{\"accepted\":%zu,\"rejected\":%zu,\"duplicate\":%s",
                     b->duplicate ? b->orig_accepted : r->accepted, r->rejected,
                     b->duplicate ? "true" : "false");
    if (b->batch_id[0]) {
        nlogd_buf_adds(&out, ",\"batch_id\":");
        nlogd_buf_json_str(&out, b->batch_id, strlen(b->batch_id));
    }
    nlogd_buf_adds(&out, ",\"errors\":[");
    size_t listed = 0;
    for (size_t k = 0; k < r->n_ins; k++)
        for (size_t i = 0; i < r->ins[k].n_errors && listed < NLOGD_INGEST_ERRORS_MAX; i++) {
            const nlogd_ingest_error *er = &r->ins[k].errors[i];
            nlogd_buf_printf(&out, "%s{\"index\":%zu,", listed++ ? "," : "", er->index);
            if (er->line)
                nlogd_buf_printf(&out, "\"line\":%zu,", er->line);
            nlogd_buf_adds(&out, "\"message\":");
            nlogd_buf_json_str(&out, er->message, strlen(er->message));
            nlogd_buf_addc(&out, '}');
        }
    nlogd_buf_printf(&out, "],\"errors_truncated\":%s}\n",
                     r->rejected > listed ? "true" : "false");
    nlogd_reply_json(req, 202, &out);
    nlogd_buf_free(&out);
}

/* One large body parsed at a time. The writer stores one batch in parts
 * at a time anyway, and one thread parses several times faster than it
 * stores (about 2 us against 4 to 8 us per record of the bench's), so a
 * second parser would gain nothing but take CPU from the writer: with two
 * clients on two cores, two parsers and the writer were three runnable
 * threads, and the writer, the bottleneck, got less than a core. */
static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_large(nlogd_server *srv, const char *body, size_t len, nlogd_batch *head,
                       nlogd_batch *parts, ingest_result *r, nlogd_qstream **ret_st,
                       nlogd_err *e)
{
    pthread_mutex_lock(&large_lock);
    int rc = parse_parts(srv, body, len, head, parts, r, ret_st, e);
    pthread_mutex_unlock(&large_lock);
    return rc;
}

void nlogd_rest_entries_post(nlogd_req *req)
{
    nlogd_server *srv = req->srv;
    nlogd_err e;
    nlogd_buf body;
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
    const char *data = body.data ? body.data : "";
    ingest_result r = {NULL, 0, 0, 0};
    nlogd_batch *parts = NULL;
    int submitted = 0;
    if (body.len >= 2 * PART_BYTES && nlogd_ingest_is_ndjson(data, body.len)) {
        size_t most = body.len / PART_BYTES + 3;
        nlogd_qstream *st = NULL;
        r.ins = calloc(most, sizeof *r.ins);
        parts = calloc(most, sizeof *parts);
        if (!r.ins || !parts) {
            nlogd_fail(&e, 503, "internal", "", "out of memory reading the body");
        } else if (parse_large(srv, data, body.len, &b, parts, &r, &st, &e) == 0) {
            nlogd_buf_free(&body);
            nlogd_queue_stream_end(st, 0, r.rejected);
            submitted = 1;
        }
        nlogd_buf_free(&body);
        if (!submitted) {
            nlogd_count(srv, records_received, r.accepted + r.rejected);
            if (e.status == 429)
                nlogd_count(srv, records_throttled, r.accepted);
            free_result(&r);
            free(parts);
            if (e.status == 429 || e.status == 503)
                nlogd_reply_retry(req, &e, e.status == 429 ? 1 : 5);
            else
                nlogd_reply_error(req, &e);
            return;
        }
        nlogd_count(srv, records_received, r.accepted + r.rejected);
    } else {
        r.ins = calloc(1, sizeof *r.ins);
        if (!r.ins) {
            nlogd_buf_free(&body);
            nlogd_fail(&e, 503, "internal", "", "out of memory reading the body");
            nlogd_reply_retry(req, &e, 5);
            return;
        }
        nlogd_ingest *in = &r.ins[0];
        r.n_ins = 1;
        nlogd_ingest_init(in);
        in->mem_limit = (size_t) srv->cfg.server_max_request_memory;
        if (nlogd_ingest_parse(data, body.len, in, &e) != 0) {
            nlogd_buf_free(&body);
            free_result(&r);
            nlogd_reply_error(req, &e);
            return;
        }
        nlogd_buf_free(&body);
        r.accepted = in->n;
        r.rejected = in->rejected;
        nlogd_count(srv, records_received, in->n + in->rejected);
        b.recs = in->recs;
        b.n = in->n;
        b.rejected = in->rejected;
        b.mem_bytes = nlogd_ingest_mem(in);
        submitted = in->n || b.batch_id[0];
        if (submitted && nlogd_queue_submit(srv->queue, &b, 0) != 0) {
            nlogd_count(srv, records_throttled, in->n);
            queue_full(srv, &b, &e);
            free_result(&r);
            nlogd_reply_retry(req, &e, 1);
            return;
        }
    }
    reply(req, &b, &r, submitted);
    free_result(&r);
    free(parts);
}

