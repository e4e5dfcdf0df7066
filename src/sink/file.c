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
 *
 * Rotation (max_size and/or a UTC period; docs/internals/rotation.md): before
 * each write (one line in synchronous mode, one batch of whole lines from the
 * asynchronous writer) the sink checks, with stat() of the path, that the
 * path still names its file, and reopens at once if another thread or
 * process rotated it; then, if the file is due, it takes flock(LOCK_EX) on
 * the lock file ".<name>.lock", checks again that the path names its file
 * and that the file is still due, renames it to its rotated name, opens a
 * new file at the path and releases the lock. A write is never split: the
 * check happens before it. While a file is open with rotation on, the sink
 * holds flock(LOCK_SH) on it, which tells the compressor (retention.c) that
 * the file may still grow. A failed rotation keeps the current file in use,
 * is reported once and counted, and is retried a second later.
 *
 * Sealing (src/seal, docs/internals/seal.md): a sealed sink writes through
 * its sealer's transaction (sealed_write_locked): under the state file's
 * flock it follows the path, lets the sealer add the seal members, an anchor
 * and a checkpoint, rotates if the sealed bytes would pass the limit (the
 * rotated segment ends with a checkpoint), writes with one write(2), and
 * commits, or aborts after removing what a failed write left. A file that
 * should be sealed but cannot be (no state, ...) is written unsealed and
 * that is reported once, unless seal_required made the creation fail.
 * Tested by: tests/unit/sink/test_file_sink.c, test_rotate.c,
 * test_concurrency_rotation.c, tests/unit/seal/test_seal_writer.c */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlog/config.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "seal/cut.h"
#include "seal/sealer.h"
#include "seal/timer.h"
#include "sink/retention.h"
#include "sink/rotate.h"
#include "sink/sink.h"

#define RETRY_NS 1000000000LL /* reopen / identity check period */
#define OPEN_TRIES 16         /* attempts to open the file a rotation just replaced */
#define SEQ_TRIES 100000      /* sequence numbers tried for one rotated name */

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
    /* Rotation (all zero when off). */
    nlog__file_opts opts;
    int rotating;         /* max_size or period set */
    char name[256];       /* "netlink.log" */
    char stem[256];       /* "netlink" */
    char ext[64];         /* ".log" */
    char lock_path[4096]; /* "<dir>/.netlink.log.lock" */
    int64_t period;       /* UTC period index of the open file's records */
    int64_t rot_retry_at_ns; /* monotonic: no rotation attempt before this (after a failure) */
    int rot_failed;       /* a rotation failure was reported and has not recovered */
    int64_t seq_time_s;   /* last rotated name: its second ... */
    unsigned seq;         /* ... and sequence number */
    int started;          /* the start-up maintenance pass was asked for */
    nlog__maint_job *job; /* compression and retention of the segments */
    /* Sealing (all zero when off). */
    nlog__sealer *sealer; /* NULL: not sealed */
    nlog__seal_timer_reg *seal_reg;
    uint64_t frag_len;    /* bytes of the fragment need_newline stands for */
    int kick_pending;     /* a rotation under the sealer's lock wants a maintenance pass */
    int seal_locked;      /* inside sealed_write_locked: the sealer's lock is held */
    int seal_unsealed;    /* sealing was asked for but is not possible: why is in seal_why */
    char seal_why[1024];
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

/* With rotation: takes LOCK_SH on the freshly opened fd and checks that the
 * path still names it. Returns 0, 1 (raced with a rotation: open again) or
 * an errno. */
static int claim(file_sink *f, int fd, const struct stat *st)
{
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        return errno == EWOULDBLOCK ? 1 : errno; /* being compressed: it was rotated */
    struct stat now;
    if (stat(f->path, &now) != 0)
        return errno == ENOENT ? 1 : errno;
    return now.st_dev == st->st_dev && now.st_ino == st->st_ino ? 0 : 1;
}

/* Bytes scanned back from the end of a file for the last '\n' of a torn
 * tail: more than a batch (256 KB) plus the largest record (1 MB). */
#define TAIL_SCAN_MAX (2 * 1024 * 1024)

/* Offset just past the last '\n' among the last TAIL_SCAN_MAX bytes of the
 * file (size bytes long), 0 if the file has no '\n' at all, or -1 if none is
 * within reach or the file cannot be read. */
static off_t end_of_last_line(int fd, off_t size)
{
    char buf[8192];
    off_t end = size, floor = size > TAIL_SCAN_MAX ? size - TAIL_SCAN_MAX : 0;
    while (end > floor) {
        size_t n = (size_t) (end - floor < (off_t) sizeof buf ? end - floor : (off_t) sizeof buf);
        if (pread(fd, buf, n, end - (off_t) n) != (ssize_t) n)
            return -1;
        for (size_t i = n; i > 0; i--)
            if (buf[i - 1] == '\n')
                return end - (off_t) n + (off_t) i;
        end -= (off_t) n;
    }
    return floor == 0 ? 0 : -1;
}

/* A writer killed by SIGKILL inside write(2) can leave the first part of its
 * batch: the kernel checks for fatal signals between the pages it copies, so
 * such a write stops at a page boundary. The fragment is the file's last
 * bytes and lacks the final '\n'. Every sink holds flock(LOCK_SH) on the
 * file it has open, so if LOCK_EX can be had, no other writer is alive and
 * the fragment is cut off (the complete lines before it stay). If the
 * fragment cannot be cut (it does not look like ours, or the file cannot be
 * read back far enough), the next write starts on a line of its own, so no
 * record is glued to it. Called on every open, before the first write.
 * Returns 1 if a fragment was left in place (start the next write with '\n').
 * Limit: a writer killed while others keep the file open leaves its
 * fragment for the next record of theirs to follow directly. */
static int repair_tail(const file_sink *f, int fd, const struct stat *st)
{
    char c;
    int torn = 0;
    if (st->st_size == 0 || pread(fd, &c, 1, st->st_size - 1) != 1 || c == '\n')
        return 0;
    /* A sealed file never loses bytes: the sealer's recovery has already
     * noted the fragment for the next signed checkpoint (seal/recover.c),
     * and the next write starts on a new line. */
    if (f->sealer)
        return 1;
    /* Another writer has the file open: what looks like a fragment may be
     * its write in progress (the size grows page by page during a write),
     * so it is left alone; the last of the writers to open the file alone
     * will cut a real one. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        return 0;
    /* Only what one of our writers would have written is cut: a JSON record
     * or a text line (structured_enabled: false) begins like this. */
    off_t cut = end_of_last_line(fd, st->st_size);
    char head[14];
    size_t hn = cut >= 0 && st->st_size - cut >= (off_t) sizeof head ? sizeof head : 1;
    int ours = cut >= 0 && pread(fd, head, hn, cut) == (ssize_t) hn &&
               (head[0] == '[' || (hn == sizeof head && memcmp(head, "{\"timestamp\":\"", 14) == 0));
    if (ours && ftruncate(fd, cut) == 0) {
        NLOG__COUNT(records_failed, 1);
        nlog__diag(NLOG_DIAG_OUTPUT_RECOVERED, NLOG_OK, 0, f->path,
                   "removed %lld bytes of an unfinished record at the end of %s (a process "
                   "writing it died in the middle)",
                   (long long) (st->st_size - cut), f->path);
    } else {
        torn = 1;
    }
    (void) flock(fd, LOCK_SH | LOCK_NB); /* back to sharing the file */
    return torn;
}

/* The UTC period the records of a file just opened belong to: now for an
 * empty file, else the earlier of now and the file's last modification. */
static int64_t file_period(const file_sink *f, const struct stat *st)
{
    int64_t now = nlog__rot_period_index(f->opts.period, nlog__clock_realtime_ns());
    if (st->st_size == 0)
        return now;
    int64_t m = nlog__rot_period_index(f->opts.period, (int64_t) st->st_mtim.tv_sec * 1000000000LL +
                                                           st->st_mtim.tv_nsec);
    return m < now ? m : now;
}

/* Opens (or reopens) the file. Returns 0 or an errno; `what` says which step. */
static int open_locked(file_sink *f, const char **what)
{
    int err = nlog__mkdir_p(f->dir, 0750);
    if (err) {
        *what = "create the directory of";
        return err;
    }
    int fd = -1;
    struct stat st;
    for (int tries = 0;; tries++) {
        /* read access for repair_tail(); writes are O_APPEND */
        fd = open(f->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0) {
            *what = "open";
            return errno;
        }
        if (fstat(fd, &st) != 0) {
            err = errno;
            (void) close(fd);
            *what = "inspect";
            return err;
        }
        if (!f->rotating) {
            /* Shared: tells a writer that opens the file later that this one
             * is alive (repair_tail). */
            (void) flock(fd, LOCK_SH | LOCK_NB);
            break;
        }
        err = claim(f, fd, &st);
        if (err == 0)
            break;
        (void) close(fd);
        if (err != 1 || tries + 1 >= OPEN_TRIES) {
            *what = "lock";
            return err == 1 ? EAGAIN : err;
        }
    }
    int torn = repair_tail(f, fd, &st);
    if (fstat(fd, &st) != 0) { /* the size may have changed */
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
    f->need_newline = torn;
    if (f->rotating) {
        f->period = file_period(f, &st);
        if (!f->started && f->job) {
            /* Start-up: leftovers of an earlier run (segments to compress or
             * expire, .tmp files of an interrupted compression) get a pass;
             * otherwise the thread waits for the first rotation. */
            f->started = 1;
            nlog__seg *segs;
            size_t n;
            if (nlog__rot_list(f->dir, f->stem, f->ext, &segs, &n) == 0 && n > 0) {
                if (f->sealer)
                    f->kick_pending = 1; /* kicked once the sealer's lock is released */
                else
                    nlog__maint_kick(f->job);
            }
            free(segs);
        }
    }
    return 0;
}

static void report_rotation_failure(file_sink *f, int err, const char *what, int64_t now)
{
    NLOG__COUNT(output_errors, 1);
    f->rot_retry_at_ns = now + RETRY_NS;
    if (f->rot_failed)
        return;
    f->rot_failed = 1;
    nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, err, f->path,
               "cannot rotate %s (%s): %s; writing goes on to the current file and rotation is "
               "retried at least once a second",
               f->path, what, strerror(err));
}

/* Whether the open file (size `size`) is due for rotation before a write
 * of `len` bytes. */
static int due(file_sink *f, off_t size, size_t len)
{
    if (size <= 0)
        return 0; /* never rotate an empty file: it would make an empty segment */
    if (f->opts.max_size > 0 && (int64_t) size + (int64_t) len > f->opts.max_size)
        return 1;
    return f->opts.period != NLOG_ROTATE_NONE &&
           nlog__rot_period_index(f->opts.period, nlog__clock_realtime_ns()) > f->period;
}

/* Renames the file at f->path to a fresh rotated name. Returns 0 or an errno. */
static int rename_rotated(file_sink *f)
{
    int64_t t = nlog__clock_realtime_ns() / 1000000000LL;
    unsigned seq = t == f->seq_time_s ? f->seq + 1 : 1;
    char base[256], path[4400], probe[4500];
    for (int i = 0; i < SEQ_TRIES; i++, seq++) {
        if (seq > 999999) { /* a million rotations in one second: use the next second */
            t++;
            seq = 1;
        }
        if (nlog__rot_format(base, sizeof base, f->stem, f->ext, t, seq) != 0)
            return ENAMETOOLONG;
        snprintf(path, sizeof path, "%s/%s", f->dir, base);
        /* a segment compressed (or being compressed) under this name counts too */
        static const char *const sfx[] = {".zst", ".gz", ".zst.tmp", ".gz.tmp"};
        int taken = 0;
        for (size_t k = 0; k < sizeof sfx / sizeof sfx[0] && !taken; k++) {
            snprintf(probe, sizeof probe, "%s%s", path, sfx[k]);
            taken = access(probe, F_OK) == 0;
        }
        if (taken)
            continue;
        if (renameat2(AT_FDCWD, f->path, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
            f->seq_time_s = t;
            f->seq = seq;
            return 0;
        }
        if (errno != EEXIST)
            return errno;
    }
    return EEXIST;
}

static int write_fully(int fd, const char *p, size_t len, size_t *ret_done);
static void repair_fragment_locked(file_sink *f, size_t done);

/* Sealed files: the last line of a segment that is rotated away is a
 * checkpoint (reason "rotate"), so the segment is complete on its own.
 * Called with the sealer locked. Returns 0, or -1 (errno set). */
static int seal_segment_end(file_sink *f, const struct stat *st)
{
    nlog__seal_target t = {f->fd, (uint64_t) st->st_dev, (uint64_t) st->st_ino,
                           (uint64_t) st->st_size, f->need_newline ? f->frag_len : 0, 0};
    const char *out;
    size_t out_len, used, done;
    if (nlog__sealer_prepare(f->sealer, &t, NULL, 0, NLOG__SEAL_R_ROTATE, NULL, &out, &out_len,
                             &used) != NLOG_OK) {
        errno = EIO;
        return -1;
    }
    int err = write_fully(f->fd, out, out_len, &done);
    if (err) {
        if (done)
            repair_fragment_locked(f, done);
        nlog__sealer_abort(f->sealer);
        errno = err;
        return -1;
    }
    nlog__sealer_commit(f->sealer);
    f->need_newline = 0;
    return 0;
}

/* The rotation step, under the sink mutex. */
static void rotate_locked(file_sink *f, size_t len, int64_t now)
{
    int lfd = open(f->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (lfd < 0) {
        report_rotation_failure(f, errno, "lock file", now);
        return;
    }
    while (flock(lfd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            report_rotation_failure(f, errno, "lock", now);
            (void) close(lfd);
            return;
        }
    }
    struct stat cur, mine;
    const char *what = "reopen";
    int err;
    if (stat(f->path, &cur) != 0 || cur.st_dev != f->dev || cur.st_ino != f->ino) {
        /* another process rotated it first: just follow */
        err = open_locked(f, &what);
        if (err)
            report_failure(f, err, what);
        goto out;
    }
    if (fstat(f->fd, &mine) != 0 || !due(f, mine.st_size, len))
        goto out;
    if (f->seal_locked && seal_segment_end(f, &mine) != 0) {
        report_rotation_failure(f, errno ? errno : EIO, "checkpoint", now);
        goto out; /* the current file stays in use */
    }
    err = rename_rotated(f);
    if (err) {
        report_rotation_failure(f, err, "rename", now);
        goto out; /* the current file stays in use */
    }
    err = open_locked(f, &what);
    if (err) /* keep appending to the renamed file; the next write retries */
        report_failure(f, err, what);
    if (f->rot_failed) {
        f->rot_failed = 0;
        nlog__diag(NLOG_DIAG_OUTPUT_RECOVERED, NLOG_OK, 0, f->path, "rotating %s works again",
                   f->path);
    }
    if (f->job && f->sealer)
        f->kick_pending = 1; /* after the sealer's lock: the maintenance lock comes first */
    else if (f->job)
        nlog__maint_kick(f->job);
out:
    (void) flock(lfd, LOCK_UN);
    (void) close(lfd);
}

/* With rotation, before every write: follow a rotation made elsewhere, then
 * rotate if due. */
static void before_write_locked(file_sink *f, size_t len, int64_t now)
{
    struct stat st;
    if (stat(f->path, &st) != 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
        const char *what = "reopen";
        int err = open_locked(f, &what);
        if (err) /* keep writing to the old file rather than losing records */
            report_failure(f, err, what);
    }
    if (now < f->rot_retry_at_ns || fstat(f->fd, &st) != 0 || !due(f, st.st_size, len))
        return;
    rotate_locked(f, len, now);
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
    f->frag_len = done;
}

/* Sealed files: lines go through the sealer's transaction (see the top of
 * this file). Called with the sink mutex held and the file open. */
static nlog_status sealed_write_locked(file_sink *f, const char *line, size_t len, int64_t now,
                                       size_t *ret_done)
{
    size_t done = 0;
    *ret_done = 0;
    nlog_status st = nlog__sealer_lock(f->sealer);
    if (st == NLOG_ESTATE)
        return st; /* reported by the sealer: the caller writes unsealed */
    if (st != NLOG_OK) {
        report_failure(f, EIO, "lock the sealing state of");
        return NLOG_EIO;
    }
    f->seal_locked = 1;
    int stuck = 0;
    while (done < len && stuck < 4) {
        struct stat ps, cur;
        if (f->rotating || now >= f->check_at_ns) {
            if (!f->rotating)
                f->check_at_ns = now + RETRY_NS;
            if (stat(f->path, &ps) != 0 || ps.st_dev != f->dev || ps.st_ino != f->ino) {
                const char *what = "reopen";
                int err = open_locked(f, &what);
                if (err) /* keep writing to the old file rather than losing records */
                    report_failure(f, err, what);
            }
        }
        /* The size matters for a new file (the sealer asks) and for rotation. */
        uint64_t size = NLOG__SEAL_SIZE_UNKNOWN;
        if (f->rotating) {
            if (fstat(f->fd, &cur) != 0) {
                report_failure(f, errno, "inspect");
                st = NLOG_EIO;
                break;
            }
            size = (uint64_t) cur.st_size;
        }
        nlog__seal_target t = {f->fd, (uint64_t) f->dev, (uint64_t) f->ino, size,
                               f->need_newline ? f->frag_len : 0, now};
        const char *out;
        size_t out_len, used;
        st = nlog__sealer_prepare(f->sealer, &t, line + done, len - done, 0, NULL, &out,
                                  &out_len, &used);
        if (st == NLOG_ENOMEM) {
            report_failure(f, ENOMEM, "seal the records of");
            st = NLOG_EIO;
        }
        if (st != NLOG_OK)
            break;
        if (f->rotating && now >= f->rot_retry_at_ns && due(f, cur.st_size, out_len)) {
            nlog__sealer_abort(f->sealer);
            rotate_locked(f, out_len, now);
            stuck++;
            continue;
        }
        size_t wrote;
        int err = write_fully(f->fd, out, out_len, &wrote);
        if (err) {
            if (wrote > 0)
                repair_fragment_locked(f, wrote);
            nlog__sealer_abort(f->sealer);
            report_failure(f, err, "write to");
            st = NLOG_EIO;
            break;
        }
        nlog__sealer_commit(f->sealer);
        f->need_newline = 0;
        report_recovered(f);
        done += used;
        stuck = used ? 0 : stuck + 1;
    }
    f->seal_locked = 0;
    nlog__sealer_unlock(f->sealer);
    if (f->kick_pending) {
        f->kick_pending = 0;
        nlog__maint_kick(f->job);
    }
    *ret_done = done;
    if (nlog__sealer_take_poke(f->sealer))
        nlog__seal_timer_poke(); /* the first record of a range: a checkpoint is now due later */
    return st;
}

/* Once: a file that should be sealed is written without seals. */
static void report_unsealed(file_sink *f)
{
    if (f->seal_unsealed != 1)
        return;
    f->seal_unsealed = 2;
    nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, f->path,
               "%s is written UNSEALED: %s", f->path, f->seal_why);
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
    } else if (!f->rotating && now >= f->check_at_ns && !f->sealer) {
        check_identity_locked(f, now);
    }
    if (f->sealer) {
        size_t sealed;
        st = sealed_write_locked(f, line, len, now, &sealed);
        if (st != NLOG_ESTATE)
            goto out;
        /* The sealing state became unusable (reported): nothing is lost, the
         * rest is written unsealed, and verification will say where. */
        st = NLOG_OK;
        line += sealed;
        len -= sealed;
        if (len == 0)
            goto out;
    }
    report_unsealed(f);
    if (f->rotating)
        before_write_locked(f, len + (size_t) f->need_newline, now);

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
    nlog__maint_unregister(f->job); /* stops the thread with the last sink */
    if (f->sealer) {
        nlog__seal_timer_remove(f->seal_reg);
        /* the records not yet covered get their checkpoint now */
        nlog_status st = nlog__sealer_control(f->sealer, NLOG__SEAL_R_CLOSE, NULL);
        (void) st; /* a failure was reported; the records stay as the unprotected tail */
        nlog__sealer_close(f->sealer);
    }
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
    static const nlog__file_opts none;
    return nlog__file_sink_create_opts(dir, name, &none, ret_sink);
}

nlog_status nlog__file_sink_create_opts(const char *dir, const char *name,
                                        const nlog__file_opts *opts, nlog__sink **ret_sink)
{
    if (!dir || !name || !opts)
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
    f->opts = *opts;
    f->opts.seal_key_dir = NULL; /* not kept: the sealer has its own copy */
    nlog__rot_policy pol = opts->policy;
    if (opts->seal) {
        nlog__seal_opts so = {opts->seal_key_dir, opts->seal_max_records, opts->seal_interval_ns};
        nlog_status sst = nlog__sealer_open(dir, name, &so, &f->sealer, f->seal_why,
                                            sizeof f->seal_why);
        if (sst != NLOG_OK) {
            f->sealer = NULL;
            /* Sealing on by default, on a host never set up for it: nothing
             * to report (nothing claims to be sealed; verify says UNSEALED). */
            int set_up = !opts->seal_if_set_up || sst != NLOG_ENOTFOUND ||
                         nlog__seal_key_dir_exists(dir, opts->seal_key_dir);
            if (opts->seal_required) {
                nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, f->path,
                           "%s cannot be sealed and seal_required is set: %s", f->path,
                           f->seal_why);
                file_destroy(&f->base);
                return NLOG_ECONFIG;
            }
            f->seal_unsealed = set_up; /* 1: reported at the first write */
        } else if (nlog__seal_timer_add(f->sealer, &f->seal_reg) != NLOG_OK) {
            file_destroy(&f->base);
            return NLOG_ENOMEM;
        } else {
            pol.cut = nlog__seal_retention_cut;
            pol.cut_ctx = f->sealer;
        }
    }
    f->rotating = opts->max_size > 0 || opts->period != NLOG_ROTATE_NONE;
    if (f->rotating) {
        if (nlen + 1 > sizeof f->name ||
            nlog__rot_split(name, f->stem, sizeof f->stem, f->ext, sizeof f->ext) != 0 ||
            snprintf(f->lock_path, sizeof f->lock_path, "%s/.%s.lock", dir, name) >=
                (int) sizeof f->lock_path) {
            file_destroy(&f->base);
            return NLOG_EINVAL;
        }
        memcpy(f->name, name, nlen + 1);
        nlog_status st = nlog__maint_register(dir, name, &pol, &f->job);
        if (st != NLOG_OK) {
            file_destroy(&f->base);
            return st;
        }
    }
    *ret_sink = &f->base;
    return NLOG_OK;
}
