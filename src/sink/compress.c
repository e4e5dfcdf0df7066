/* compress.c: zstd and gzip compression of rotated segments, crash-safe.
 *
 * Order of operations (see compress.h): open NAME, flock(LOCK_EX|LOCK_NB)
 * (writers hold LOCK_SH on the file they append to, so a segment that another
 * thread or process may still be appending to is skipped), check that NAME
 * is still linked, compress into NAME.<ext>.tmp, fsync, rename to
 * NAME.<ext>, fsync the directory, unlink NAME. Any failure removes the .tmp
 * and keeps NAME. Streaming with fixed buffers: memory does not grow with the
 * file. Tested by: tests/unit/sink/test_compress.c */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <nlog/config.h>

#include "sink/compress.h"

#define IN_CHUNK (128 * 1024)
#define ZSTD_LEVEL 3

const char *nlog__compress_suffix(int algo)
{
    return algo == NLOG_COMPRESSION_GZIP ? ".gz" : ".zst";
}

static int write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t n = write(fd, c, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return ENOSPC;
        c += n;
        len -= (size_t) n;
    }
    return 0;
}

static int read_some(int fd, void *buf, size_t cap, size_t *ret_n)
{
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        *ret_n = (size_t) n;
        return 0;
    }
}

static int cancelled(const int *cancel)
{
    return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED);
}

/* Returns 0, an errno, or -1 when cancelled. */
static int run_zstd(int in, int out, const int *cancel)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t out_cap = ZSTD_CStreamOutSize();
    char *ibuf = malloc(IN_CHUNK), *obuf = malloc(out_cap);
    int err = 0;
    if (!cc || !ibuf || !obuf) {
        err = ENOMEM;
        goto out;
    }
    (void) ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, ZSTD_LEVEL);
    (void) ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    for (;;) {
        if (cancelled(cancel)) {
            err = -1;
            goto out;
        }
        size_t n = 0;
        if ((err = read_some(in, ibuf, IN_CHUNK, &n)) != 0)
            goto out;
        ZSTD_EndDirective mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer ib = {ibuf, n, 0};
        int finished;
        do {
            ZSTD_outBuffer ob = {obuf, out_cap, 0};
            size_t rem = ZSTD_compressStream2(cc, &ob, &ib, mode);
            if (ZSTD_isError(rem)) {
                err = EIO;
                goto out;
            }
            if ((err = write_all(out, obuf, ob.pos)) != 0)
                goto out;
            finished = mode == ZSTD_e_end ? rem == 0 : ib.pos == ib.size;
        } while (!finished);
        if (n == 0)
            break;
    }
out:
    ZSTD_freeCCtx(cc);
    free(ibuf);
    free(obuf);
    return err;
}

static int run_gzip(int in, int out, const int *cancel)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    char *ibuf = malloc(IN_CHUNK), *obuf = malloc(IN_CHUNK);
    int err = 0, inited = 0;
    if (!ibuf || !obuf) {
        err = ENOMEM;
        goto out;
    }
    /* 15 + 16: a gzip header and trailer instead of zlib's */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        err = ENOMEM;
        goto out;
    }
    inited = 1;
    for (;;) {
        if (cancelled(cancel)) {
            err = -1;
            goto out;
        }
        size_t n = 0;
        if ((err = read_some(in, ibuf, IN_CHUNK, &n)) != 0)
            goto out;
        int flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = (Bytef *) ibuf;
        zs.avail_in = (uInt) n;
        int zr;
        do {
            zs.next_out = (Bytef *) obuf;
            zs.avail_out = IN_CHUNK;
            zr = deflate(&zs, flush);
            if (zr == Z_STREAM_ERROR) {
                err = EIO;
                goto out;
            }
            if ((err = write_all(out, obuf, IN_CHUNK - zs.avail_out)) != 0)
                goto out;
        } while (zs.avail_out == 0);
        if (flush == Z_FINISH)
            break;
    }
out:
    if (inited)
        (void) deflateEnd(&zs);
    free(ibuf);
    free(obuf);
    return err;
}

int nlog__compress_segment(const char *dir, const char *name, int algo, const int *cancel,
                           int *ret_err)
{
    char src[4096], tmp[4096], dst[4096];
    const char *sfx = nlog__compress_suffix(algo);
    *ret_err = 0;
    if (snprintf(src, sizeof src, "%s/%s", dir, name) >= (int) sizeof src ||
        snprintf(dst, sizeof dst, "%s%s", src, sfx) >= (int) sizeof dst ||
        snprintf(tmp, sizeof tmp, "%s.tmp", dst) >= (int) sizeof tmp) {
        *ret_err = ENAMETOOLONG;
        return NLOG__COMPRESS_FAILED;
    }
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) {
        if (errno == ENOENT)
            return NLOG__COMPRESS_GONE;
        *ret_err = errno;
        return NLOG__COMPRESS_FAILED;
    }
    int rc = NLOG__COMPRESS_FAILED, out = -1;
    if (flock(in, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK ? NLOG__COMPRESS_BUSY : NLOG__COMPRESS_FAILED;
        *ret_err = rc == NLOG__COMPRESS_FAILED ? errno : 0;
        goto out;
    }
    struct stat st;
    if (fstat(in, &st) != 0) {
        *ret_err = errno;
        goto out;
    }
    if (st.st_nlink == 0) { /* compressed and removed by someone else meanwhile */
        rc = NLOG__COMPRESS_GONE;
        goto out;
    }
    if (access(dst, F_OK) == 0) { /* complete result already there: NAME is redundant */
        (void) unlink(src);
        rc = NLOG__COMPRESS_DONE;
        goto out;
    }
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (out < 0) {
        *ret_err = errno;
        goto out;
    }
    int err = algo == NLOG_COMPRESSION_GZIP ? run_gzip(in, out, cancel)
                                            : run_zstd(in, out, cancel);
    if (err == 0 && fsync(out) != 0)
        err = errno;
    if (close(out) != 0 && err == 0)
        err = errno;
    out = -1;
    if (err == 0 && rename(tmp, dst) != 0)
        err = errno;
    if (err != 0) {
        (void) unlink(tmp);
        if (err < 0) {
            rc = NLOG__COMPRESS_CANCELLED;
        } else {
            *ret_err = err;
        }
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void) fsync(dfd); /* the rename is durable before the original goes */
        (void) close(dfd);
    }
    if (unlink(src) != 0 && errno != ENOENT) {
        *ret_err = errno; /* both exist: recovery removes NAME later */
        goto out;
    }
    rc = NLOG__COMPRESS_DONE;
out:
    if (out >= 0)
        (void) close(out);
    (void) close(in);
    return rc;
}
