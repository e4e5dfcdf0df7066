/* file.c: the append-only file sink.
 *
 * Lines are appended with one write(2) on an O_APPEND descriptor, so whole
 * lines from several processes never interleave (the kernel appends each
 * write atomically to a regular file). Within the process the sink's mutex
 * serialises writes, which lets a short write be repaired exactly: the
 * fragment is cut off again with ftruncate() if it is still the end of the
 * file, otherwise the next write starts with '\n' so the fragment can never
 * merge with a whole record. (A short write happens when the disk fills in
 * the middle of a line.)
 *
 * The file is opened on the first write, creating the directory if needed.
 * While it cannot be opened, an attempt is made at most once a second; once a
 * second the path is also compared with the open file (device and inode), so
 * a deleted, moved or replaced file or directory is reopened at its path.
 * A failure is reported once through the diagnostics callback when it starts
 * and once when writing works again; every failed record is counted.
 * Tested by: tests/unit/sink/test_file_sink.c */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "sink/sink.h"

#define RETRY_NS 1000000000LL /* reopen / identity check period */

typedef struct file_sink {
    nlog__sink base;
    pthread_mutex_t lock; /* guards everything below */
    char dir[4096];
    char path[4096];
    int fd;               /* -1 while not open */
    dev_t dev;            /* identity of the open file */
    ino_t ino;
    int failed;           /* a failure was reported and has not recovered */
    int need_newline;     /* a fragment ends the file; start the next write with '\n' */
    int64_t retry_at_ns;  /* monotonic time of the next open attempt */
    int64_t check_at_ns;  /* monotonic time of the next identity check */
} file_sink;

static void report_failure(file_sink *f, int err, const char *what)
{
    NLOG__COUNT(output_errors, 1);
    NLOG__COUNT(records_failed, 1);
    if (f->failed)
        return;
    f->failed = 1;
    nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, err, f->path,
               "cannot %s %s: %s; its records are counted as failed until it works again "
               "(retried at least once a second)",
               what, f->path, strerror(err));
}

static void report_recovered(file_sink *f)
{
    if (!f->failed)
        return;
    f->failed = 0;
    nlog__diag(NLOG_DIAG_OUTPUT_RECOVERED, NLOG_OK, 0, f->path, "writing to %s works again",
               f->path);
}

/* Opens (or reopens) the file. Returns 0 or an errno; `what` says which step. */
static int open_locked(file_sink *f, const char **what)
{
    int err = nlog__mkdir_p(f->dir, 0750);
    if (err) {
        *what = "create the directory of";
        return err;
    }
    int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        *what = "open";
        return errno;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        err = errno;
        (void) close(fd);
        *what = "inspect";
        return err;
    }
    if (f->fd >= 0)
        (void) close(f->fd);
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->need_newline = 0;
    return 0;
}

/* Reopens if the path no longer names the open file (deleted, moved, replaced). */
static void check_identity_locked(file_sink *f, int64_t now)
{
    f->check_at_ns = now + RETRY_NS;
    struct stat st;
    if (stat(f->path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino)
        return;
    const char *what = "reopen";
    int err = open_locked(f, &what);
    if (err) /* keep writing to the old file rather than losing records */
        report_failure(f, err, what);
}

static int write_fully(int fd, const char *p, size_t len, size_t *ret_done)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = nlog__sys_write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *ret_done = done;
            return errno;
        }
        if (n == 0) {
            *ret_done = done;
            return ENOSPC;
        }
        done += (size_t) n;
    }
    *ret_done = done;
    return 0;
}

/* A write left `done` bytes of a line at the end of the file: remove them if
 * they are still the end of the file, else make sure the next line starts on
 * a line of its own. */
static void repair_fragment_locked(file_sink *f, size_t done)
{
    off_t end = lseek(f->fd, 0, SEEK_CUR);
    struct stat st;
    if (end >= (off_t) done && fstat(f->fd, &st) == 0 && st.st_size == end &&
        ftruncate(f->fd, end - (off_t) done) == 0)
        return;
    f->need_newline = 1;
}

static nlog_status file_write(nlog__sink *s, const char *line, size_t len)
{
    file_sink *f = (file_sink *) s;
    nlog_status st = NLOG_OK;
    pthread_mutex_lock(&f->lock);
    int64_t now = nlog__clock_monotonic_ns();
    if (f->fd < 0) {
        if (now < f->retry_at_ns) {
            NLOG__COUNT(records_failed, 1);
            st = NLOG_EIO;
            goto out;
        }
        const char *what = "open";
        int err = open_locked(f, &what);
        if (err) {
            f->retry_at_ns = now + RETRY_NS;
            report_failure(f, err, what);
            st = NLOG_EIO;
            goto out;
        }
        f->check_at_ns = now + RETRY_NS;
    } else if (now >= f->check_at_ns) {
        check_identity_locked(f, now);
    }

    size_t done;
    if (f->need_newline) {
        int nerr = write_fully(f->fd, "\n", 1, &done);
        if (nerr) {
            report_failure(f, nerr, "write to");
            st = NLOG_EIO;
            goto out;
        }
        f->need_newline = 0;
    }
    int err = write_fully(f->fd, line, len, &done);
    if (err) {
        if (done > 0)
            repair_fragment_locked(f, done);
        report_failure(f, err, "write to");
        st = NLOG_EIO;
        goto out;
    }
    report_recovered(f);
out:
    pthread_mutex_unlock(&f->lock);
    return st;
}

static nlog_status file_flush(nlog__sink *s)
{
    (void) s; /* write(2) already made the data visible to every reader */
    return NLOG_OK;
}

static nlog_status file_sync(nlog__sink *s)
{
    file_sink *f = (file_sink *) s;
    nlog_status st = NLOG_OK;
    pthread_mutex_lock(&f->lock);
    if (f->fd >= 0 && fsync(f->fd) != 0) {
        report_failure(f, errno, "sync");
        st = NLOG_EIO;
    }
    pthread_mutex_unlock(&f->lock);
    return st;
}

static void file_destroy(nlog__sink *s)
{
    file_sink *f = (file_sink *) s;
    if (!f)
        return;
    if (f->fd >= 0)
        (void) close(f->fd);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static const nlog__sink_ops file_ops = {
    .name = "file",
    .write = file_write,
    .flush = file_flush,
    .sync = file_sync,
    .destroy = file_destroy,
};

nlog_status nlog__file_sink_create(const char *dir, const char *name, nlog__sink **ret_sink)
{
    if (!dir || !name)
        return NLOG_EINVAL;
    if (!*dir)
        dir = ".";
    size_t dlen = strlen(dir), nlen = strlen(name);
    if (dlen + nlen + 2 > sizeof(((file_sink *) 0)->path))
        return NLOG_EINVAL;
    file_sink *f = calloc(1, sizeof *f);
    if (!f)
        return NLOG_ENOMEM;
    f->base.ops = &file_ops;
    pthread_mutex_init(&f->lock, NULL);
    f->fd = -1;
    memcpy(f->dir, dir, dlen + 1);
    memcpy(f->path, dir, dlen);
    f->path[dlen] = '/';
    memcpy(f->path + dlen + 1, name, nlen + 1);
    *ret_sink = &f->base;
    return NLOG_OK;
}
