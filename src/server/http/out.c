/* out.c: response bodies that stream once they outgrow a chunk (see out.h). */
#include <string.h>

#include <civetweb.h>

#include "server/http/out.h"

#define SEND_MAX (1u << 30) /* mg_send_chunk takes an unsigned length */

static int is_head(const nlogd_req *req)
{
    return req->ri && req->ri->request_method && strcmp(req->ri->request_method, "HEAD") == 0;
}

static int begin(nlogd_out *o)
{
    if (nlogd_stream_begin(o->req, o->status, o->type, o->disposition) != 0) {
        o->client_gone = 1;
        return -1;
    }
    o->streaming = 1;
    if (is_head(o->req))
        o->req->chunked = 0; /* headers only: no chunk, not even the last one */
    return 0;
}

static int out_sink(void *user, const char *data, size_t len)
{
    nlogd_out *o = user;
    if (o->client_gone)
        return -1;
    if (!o->streaming && begin(o) != 0)
        return -1;
    if (is_head(o->req))
        return 0;
    while (len) {
        size_t n = len > SEND_MAX ? SEND_MAX : len;
        if (nlogd_stream_chunk(o->req, data, n) != 0) {
            o->client_gone = 1;
            return -1;
        }
        data += n;
        len -= n;
    }
    return 0;
}

void nlogd_out_init(nlogd_out *o, nlogd_req *req, int status, const char *content_type,
                    const char *disposition, int always_chunked)
{
    memset(o, 0, sizeof *o);
    o->req = req;
    o->status = status;
    o->type = content_type;
    o->disposition = disposition;
    o->always_chunked = always_chunked;
    nlogd_buf_init(&o->buf, NLOGD_OUT_CHUNK);
    nlogd_buf_set_sink(&o->buf, out_sink, o);
}

int nlogd_out_failed(const nlogd_out *o)
{
    return o->buf.failed || o->client_gone;
}

void nlogd_stream_abort(nlogd_req *req)
{
    req->chunked = 0; /* the router must not send the terminating chunk */
    mg_disable_connection_keep_alive(req->conn);
}

void nlogd_out_fail(nlogd_out *o, const nlogd_err *e, int retry_after_s)
{
    if (o->streaming) {
        nlogd_stream_abort(o->req);
        return;
    }
    if (retry_after_s > 0)
        nlogd_reply_retry(o->req, e, retry_after_s);
    else
        nlogd_reply_error(o->req, e);
}

int nlogd_out_finish(nlogd_out *o)
{
    nlogd_err e;
    if (nlogd_out_failed(o)) {
        nlogd_fail(&e, 503, "internal", "", "out of memory building the response; retry later");
        nlogd_out_fail(o, &e, 5);
        return -1;
    }
    if (!o->streaming && !o->always_chunked) {
        nlogd_reply_text(o->req, o->status, o->type, o->buf.data ? o->buf.data : "", o->buf.len);
        return 0;
    }
    if ((!o->streaming && begin(o) != 0) || nlogd_buf_flush(&o->buf) != 0) {
        nlogd_stream_abort(o->req);
        return -1;
    }
    nlogd_stream_end(o->req);
    return 0;
}

void nlogd_out_free(nlogd_out *o)
{
    nlogd_buf_free(&o->buf);
}
