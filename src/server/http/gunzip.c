/* gunzip.c: gzip request bodies (see gunzip.h).
 *
 * The fast path is libdeflate, one whole gzip member per call, written
 * straight into the output buffer: about twice as fast as zlib's streaming
 * inflate on ingest bodies, and decoding sits on the serial path of a
 * client's request (parse, commit, 202). libdeflate needs the room for the
 * member's output up front. The member's ISIZE trailer gives a hint only: the
 * client writes it, and the last 4 bytes of the body are the last member's
 * size anyway. So the room is min(ISIZE + slack, what the cap leaves, 1032
 * times the input left: no deflate stream expands more), and when libdeflate
 * says it is too small the room doubles, never past what the cap leaves: the
 * output buffer stays within cap + 1 bytes whatever ISIZE says, and a lying
 * ISIZE costs at most about one more decoding of the member.
 *
 * A member libdeflate refuses, and one with a header CRC (which libdeflate
 * skips unchecked), goes with everything after it to zlib's streaming
 * inflate, nlogd's decoder before libdeflate: a bad body is refused with
 * the same status and words as it always was (zlib says what is wrong), and
 * whatever zlib accepted is still accepted. Refusals are rare, so the
 * second pass costs nothing that matters, and its work is bounded by the cap
 * like the first.
 *
 * zlib's path checks the cap after every 64 KiB step, so a gzip bomb stops
 * there. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "server/http/gunzip.h"

enum {
    MAX_RATIO = 1032, /* most output bytes per input byte of any deflate stream */
    SLACK = 4096,     /* bytes of room beyond ISIZE, the least room tried */
    FHCRC = 0x02,     /* gzip header flag: a CRC-16 of the header follows it */
};

static int too_big(nlogd_err *e, size_t cap)
{
    return nlogd_fail(e, 413, "payload_too_large", "body",
                      "body: more than %zu bytes once decompressed; accepted: at most "
                      "server.max_body_size (%zu bytes) after gzip decoding",
                      cap, cap);
}

int nlogd_gunzip(const unsigned char *in, size_t n, size_t cap, nlogd_buf *out, nlogd_err *e)
{
    assert(!out->sink && out->cap >= cap && out->len <= cap);
    /* Per call, not per thread: a decompressor is not thread-safe, and
     * allocating one (about 10 KB) costs a fraction of a microsecond against
     * milliseconds of decoding per body; nothing to clean up at thread exit. */
    struct libdeflate_decompressor *d = NULL;
    size_t off = 0;
    int rc = 0;
    /* the hint: the ISIZE of the body's last member, size mod 2^32 */
    size_t hint = n >= 4 ? (size_t) in[n - 4] | (size_t) in[n - 3] << 8 |
                               (size_t) in[n - 2] << 16 | (size_t) in[n - 1] << 24
                         : 0;
    while (off < n) {
        const unsigned char *m = in + off;
        size_t left = n - off;
        if (left >= 4 && (m[3] & FHCRC))
            break;
        if (!d && !(d = libdeflate_alloc_decompressor())) {
            rc = nlogd_fail(e, 503, "internal", "", "out of memory starting gzip decoding");
            goto out;
        }
        size_t limit = cap - out->len; /* what the cap leaves */
        size_t room = limit;
        if (hint < limit && limit - hint > SLACK)
            room = hint + SLACK;
        if (left <= (SIZE_MAX - SLACK) / MAX_RATIO && room > left * MAX_RATIO + SLACK)
            room = left * MAX_RATIO + SLACK;
        enum libdeflate_result r;
        size_t used = 0, got = 0;
        for (;;) {
            char *dst = nlogd_buf_room(out, room);
            if (!dst) {
                rc = nlogd_fail(e, 503, "internal", "", "out of memory reading the body");
                goto out;
            }
            r = libdeflate_gzip_decompress_ex(d, m, left, dst, room, &used, &got);
            if (r != LIBDEFLATE_INSUFFICIENT_SPACE || room == limit)
                break;
            room = room > limit / 2 ? limit : room * 2;
        }
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
            nlogd_buf_commit(out, 0);
            rc = too_big(e, cap);
            goto out;
        }
        if (r != LIBDEFLATE_SUCCESS) {
            nlogd_buf_commit(out, 0);
            break; /* zlib says what is wrong with it */
        }
        nlogd_buf_commit(out, got);
        off += used;
    }
    if (off < n || n == 0)
        rc = nlogd_gunzip_zlib(in + off, n - off, cap, out, e);
out:
    libdeflate_free_decompressor(d);
    return rc;
}

int nlogd_gunzip_zlib(const unsigned char *in, size_t n, size_t cap, nlogd_buf *out, nlogd_err *e)
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
            return too_big(e, cap);
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
