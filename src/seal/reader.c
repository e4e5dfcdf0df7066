/* reader.c: line reader over plain, zstd and gzip contents (see reader.h).
 *
 * Three buffers: raw input (from the file or the memory block), decoded
 * output (the same as the input for plain files), and the current line,
 * which is either a view into the decoded buffer or, when it spans refills,
 * assembled in `line` (grown up to NLOG__SEAL_LINE_MAX). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "seal/reader.h"

#define IN_CHUNK (256u << 10)
#define OUT_CHUNK (256u << 10)

enum { FMT_PLAIN = 0, FMT_ZSTD = 1, FMT_GZIP = 2 };

struct nlog__seal_reader {
    int fd;                  /* -1 for memory */
    const uint8_t *mem;
    size_t mem_len, mem_at;
    int fmt;
    int eof_in;              /* no more raw input */
    int done;                /* decoder finished (or failed) */
    int failed;
    size_t zret;             /* zstd: the last hint; 0 at a frame's end (gzip: member's end) */
    char err[256];
    uint64_t consumed;
    uint8_t *in;
    size_t in_len, in_at;
    uint8_t *out;            /* decoded bytes */
    size_t out_len, out_at;
    uint64_t out_off;        /* decompressed offset of out[0] */
    char *line;              /* a line assembled across refills */
    size_t line_len, line_cap;
    int skipping;            /* inside an over-long line */
    size_t skipped;
    uint64_t line_off;
    ZSTD_DCtx *zd;
    z_stream zs;
    int zs_init;
};

static int read_raw(nlog__seal_reader *r)
{
    if (r->eof_in)
        return 0;
    if (r->in_at < r->in_len)
        return 1;
    r->in_at = r->in_len = 0;
    if (r->fd < 0) {
        size_t n = r->mem_len - r->mem_at;
        if (n > IN_CHUNK)
            n = IN_CHUNK;
        if (n == 0) {
            r->eof_in = 1;
            return 0;
        }
        memcpy(r->in, r->mem + r->mem_at, n);
        r->mem_at += n;
        r->in_len = n;
        r->consumed += n;
        return 1;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->in, IN_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(r->err, sizeof r->err, "read error: %s", strerror(errno));
            r->failed = 1;
            return -1;
        }
        if (n == 0) {
            r->eof_in = 1;
            return 0;
        }
        r->in_len = (size_t) n;
        r->consumed += (uint64_t) n;
        return 1;
    }
}

/* Refills out[]; returns bytes produced, 0 at the end, -1 on error. */
static long refill(nlog__seal_reader *r)
{
    r->out_off += r->out_len;
    r->out_len = r->out_at = 0;
    while (!r->done) {
        int rc = read_raw(r);
        if (rc < 0)
            return -1;
        if (r->fmt == FMT_PLAIN) {
            if (rc == 0) {
                r->done = 1;
                break;
            }
            size_t n = r->in_len - r->in_at;
            memcpy(r->out, r->in + r->in_at, n);
            r->in_at = r->in_len;
            r->out_len = n;
            return (long) n;
        }
        if (r->fmt == FMT_ZSTD) {
            ZSTD_inBuffer ib = {r->in + r->in_at, r->in_len - r->in_at, 0};
            ZSTD_outBuffer ob = {r->out, OUT_CHUNK, 0};
            size_t ret = ZSTD_decompressStream(r->zd, &ob, &ib);
            r->in_at += ib.pos;
            if (ZSTD_isError(ret)) {
                snprintf(r->err, sizeof r->err, "zstd: %s", ZSTD_getErrorName(ret));
                r->failed = r->done = 1;
                return -1;
            }
            if (ib.pos || ob.pos)
                r->zret = ret;
            if (rc == 0 && ob.pos == 0) {
                /* no more input and nothing left inside: fine at a frame's end */
                if (r->zret == 0) {
                    r->done = 1;
                    break;
                }
                snprintf(r->err, sizeof r->err, "zstd: the compressed stream is cut short");
                r->failed = r->done = 1;
                return -1;
            }
            if (ob.pos) {
                r->out_len = ob.pos;
                return (long) ob.pos;
            }
            continue;
        }
        /* gzip, possibly several members */
        r->zs.next_in = r->in + r->in_at;
        r->zs.avail_in = (uInt) (r->in_len - r->in_at);
        r->zs.next_out = r->out;
        r->zs.avail_out = OUT_CHUNK;
        if (rc == 0 && r->zret == 0) { /* the input ends after a whole member */
            r->done = 1;
            break;
        }
        int zr = inflate(&r->zs, Z_NO_FLUSH);
        size_t used = (r->in_len - r->in_at) - r->zs.avail_in;
        r->in_at = r->in_len - r->zs.avail_in;
        size_t produced = OUT_CHUNK - r->zs.avail_out;
        if (used || produced)
            r->zret = 1;
        if (zr == Z_STREAM_END) {
            r->zret = 0;
            if (inflateReset(&r->zs) != Z_OK) {
                r->failed = r->done = 1;
                return -1;
            }
        } else if (zr != Z_OK && !(zr == Z_BUF_ERROR && (produced || rc != 0))) {
            snprintf(r->err, sizeof r->err, "gzip: %s",
                     zr == Z_BUF_ERROR ? "the compressed stream is cut short"
                                       : r->zs.msg ? r->zs.msg : "corrupt data");
            r->failed = r->done = 1;
            return -1;
        }
        if (produced) {
            r->out_len = produced;
            return (long) produced;
        }
        if (rc == 0 && zr != Z_STREAM_END) {
            snprintf(r->err, sizeof r->err, "gzip: the compressed stream is cut short");
            r->failed = r->done = 1;
            return -1;
        }
    }
    return 0;
}

static int setup(nlog__seal_reader *r)
{
    r->in = malloc(IN_CHUNK);
    r->out = malloc(OUT_CHUNK);
    if (!r->in || !r->out)
        return ENOMEM;
    int rc = read_raw(r);
    if (rc < 0)
        return EIO;
    if (r->in_len >= 4 && r->in[0] == 0x28 && r->in[1] == 0xb5 && r->in[2] == 0x2f &&
        r->in[3] == 0xfd) {
        r->fmt = FMT_ZSTD;
        r->zret = 1;
        r->zd = ZSTD_createDCtx();
        if (!r->zd)
            return ENOMEM;
    } else if (r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
        r->fmt = FMT_GZIP;
        r->zret = 1;
        if (inflateInit2(&r->zs, 15 + 16) != Z_OK)
            return ENOMEM;
        r->zs_init = 1;
    }
    return 0;
}

int nlog__seal_reader_open(const char *path, nlog__seal_reader **ret, char *why, size_t why_size)
{
    nlog__seal_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ENOMEM;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    int err = r->fd < 0 ? errno : setup(r);
    if (err) {
        snprintf(why, why_size, "cannot read %s: %s", path,
                 err == EIO ? r->err : strerror(err));
        nlog__seal_reader_close(r);
        return err;
    }
    *ret = r;
    return 0;
}

int nlog__seal_reader_open_mem(const void *data, size_t len, nlog__seal_reader **ret)
{
    nlog__seal_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ENOMEM;
    r->fd = -1;
    r->mem = data;
    r->mem_len = len;
    int err = setup(r);
    if (err) {
        nlog__seal_reader_close(r);
        return err;
    }
    *ret = r;
    return 0;
}

static int line_append(nlog__seal_reader *r, const char *p, size_t n)
{
    if (r->line_len + n > r->line_cap) {
        size_t cap = r->line_cap ? r->line_cap : 65536;
        while (cap < r->line_len + n)
            cap *= 2;
        char *nl = realloc(r->line, cap);
        if (!nl)
            return -1;
        r->line = nl;
        r->line_cap = cap;
    }
    memcpy(r->line + r->line_len, p, n);
    r->line_len += n;
    return 0;
}

nlog__seal_read nlog__seal_reader_next(nlog__seal_reader *r, const char **ret_line,
                                       size_t *ret_len, uint64_t *ret_off)
{
    r->line_len = 0;
    int started = 0;
    for (;;) {
        if (r->out_at == r->out_len) {
            long n = refill(r);
            if (n < 0) {
                /* where the readable contents end: the line it was in, else
                 * everything delivered (refill moved out_off past it) */
                *ret_off = started || r->skipping ? r->line_off : r->out_off;
                return NLOG__READ_ERROR;
            }
            if (n == 0) {
                if (r->skipping) {
                    r->skipping = 0;
                    *ret_len = r->skipped;
                    *ret_off = r->line_off;
                    return NLOG__READ_LONG;
                }
                if (!started)
                    return NLOG__READ_EOF;
                *ret_line = r->line;
                *ret_len = r->line_len;
                *ret_off = r->line_off;
                return NLOG__READ_PARTIAL;
            }
        }
        const char *s = (const char *) r->out + r->out_at;
        size_t avail = r->out_len - r->out_at;
        if (!started) {
            started = 1;
            r->line_off = r->out_off + r->out_at;
        }
        const char *nl = memchr(s, '\n', avail);
        size_t take = nl ? (size_t) (nl - s) : avail;
        if (r->skipping) {
            r->skipped += take;
        } else if (nl && r->line_len == 0) {
            r->out_at += take + 1;
            *ret_line = s;
            *ret_len = take;
            *ret_off = r->line_off;
            return NLOG__READ_LINE;
        } else if (r->line_len + take > NLOG__SEAL_LINE_MAX) {
            r->skipping = 1;
            r->skipped = r->line_len + take;
            r->line_len = 0;
        } else if (line_append(r, s, take) != 0) {
            snprintf(r->err, sizeof r->err, "out of memory");
            *ret_off = r->line_off;
            return NLOG__READ_ERROR;
        }
        r->out_at += take + (nl ? 1 : 0);
        if (nl) {
            if (r->skipping) {
                r->skipping = 0;
                *ret_len = r->skipped;
                *ret_off = r->line_off;
                return NLOG__READ_LONG;
            }
            *ret_line = r->line;
            *ret_len = r->line_len;
            *ret_off = r->line_off;
            return NLOG__READ_LINE;
        }
    }
}

const char *nlog__seal_reader_error(const nlog__seal_reader *r)
{
    return r->err[0] ? r->err : "read error";
}

uint64_t nlog__seal_reader_consumed(const nlog__seal_reader *r)
{
    return r->consumed;
}

int nlog__seal_reader_format(const nlog__seal_reader *r)
{
    return r->fmt;
}

void nlog__seal_reader_close(nlog__seal_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        (void) close(r->fd);
    if (r->zd)
        ZSTD_freeDCtx(r->zd);
    if (r->zs_init)
        (void) inflateEnd(&r->zs);
    free(r->in);
    free(r->out);
    free(r->line);
    free(r);
}
