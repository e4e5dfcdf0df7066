/* gunzip.c: gzip request bodies (see gunzip.h), inflated by zlib in 64 KiB
 * steps; the cap is checked after every step, so a gzip bomb stops there. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "server/http/gunzip.h"

/* Inflates a gzip body into out, refusing output beyond cap. */
int nlogd_gunzip(const unsigned char *in, size_t n, size_t cap, nlogd_buf *out, nlogd_err *e)
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
