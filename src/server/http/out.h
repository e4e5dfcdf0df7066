/* out.h: a response body of any size in bounded memory.
 *
 * The handler writes into `o->buf` (buf.h). While the body stays under one
 * chunk (NLOGD_OUT_CHUNK) nothing is sent, so a small answer goes out with
 * Content-Length as before, and a failure found meanwhile (the store cannot
 * be read) can still become a proper error response. Once the body grows
 * past a chunk, the headers go out with Transfer-Encoding: chunked and the
 * body streams chunk by chunk: memory stays about one chunk whatever the
 * size of the answer, and a single huge value is passed through, not copied.
 *
 * A failure after streaming began (the store fails mid-way, the client goes
 * away) cannot change the status any more: nlogd_out_fail() then ends the
 * stream WITHOUT its terminating chunk and closes the connection, which
 * every HTTP client reports as an incomplete transfer. A successful stream
 * therefore never ends with a partial object.
 * Tested by: tests/integration/server/test_server.py (groups big, export_1m) */
#ifndef NLOGD_HTTP_OUT_H
#define NLOGD_HTTP_OUT_H

#include <stddef.h>

#include "server/buf.h"
#include "server/http/router.h"

#define NLOGD_OUT_CHUNK (64 * 1024) /* bytes buffered before streaming */

typedef struct nlogd_out {
    nlogd_req *req;
    nlogd_buf buf;            /* write the body here */
    int status;
    const char *type;         /* Content-Type */
    const char *disposition;  /* Content-Disposition or NULL */
    int always_chunked;       /* stream even a small body (exports) */
    int streaming;            /* headers sent, chunked */
    int client_gone;          /* a chunk could not be sent */
} nlogd_out;

/* Starts a body for a response with `status` and `content_type` (both
 * strings must outlive o). Cannot fail. */
void nlogd_out_init(nlogd_out *o, nlogd_req *req, int status, const char *content_type,
                    const char *disposition, int always_chunked);
/* Whether writing failed (the client went away, or memory ran out). */
int nlogd_out_failed(const nlogd_out *o);
/* Sends what is left and ends the response normally. Returns 0, or -1 when
 * the body could not be completed (then handled as nlogd_out_fail()). */
int nlogd_out_finish(nlogd_out *o);
/* Abandons the body: before anything was sent, answers `e` instead
 * (with Retry-After when retry_after_s > 0); after, ends the stream without
 * its final chunk and closes the connection. */
void nlogd_out_fail(nlogd_out *o, const nlogd_err *e, int retry_after_s);
/* Frees the memory; call once after finish or fail. */
void nlogd_out_free(nlogd_out *o);

/* Ends a chunked response that cannot be completed: no terminating chunk,
 * and the connection is closed after the handler returns (not kept alive). */
void nlogd_stream_abort(nlogd_req *req);

#endif
