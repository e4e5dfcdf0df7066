/* retention.c: recovery, compression and retention of rotated segments, and
 * the one maintenance thread per process that runs them.
 *
 * State: `M` below, guarded by M.lock (jobs, pending flags, the job being
 * worked on, the thread's run state); M.life serialises starting and
 * stopping the thread. Lock order: M.life -> M.lock. The thread never holds
 * M.lock while touching files, and never takes a sink's lock, so a sink may
 * kick under its own lock.
 *
 * fork(): the handlers are registered from a constructor, so they are the
 * first registered: their prepare runs after lifecycle.c's (which holds the
 * configuration lock and the state write lock, so no sink is writing or being
 * destroyed) and takes M.life and M.lock; in the child the thread does not
 * exist, so the state says "not running" and the next kick starts one.
 *
 * Retention order within a pass: segments are taken oldest first (their
 * names sort by time); first every segment older than keep_days, then the
 * oldest beyond keep_files, then the oldest until the rest fit in
 * keep_bytes. The active file is never a segment, so it is never deleted;
 * an uncompressed segment a writer still holds (flock LOCK_SH) is skipped.
 * Tested by: tests/unit/sink/test_retention.c, test_compress.c */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "sink/compress.h"
#include "sink/retention.h"

#define RETRY_NS 1000000000LL /* skipped or failed work is retried this often */

struct nlog__maint_job {
    nlog__maint_job *next;
    char dir[4096];
    char name[256];
    nlog__rot_policy pol;
    int pending;  /* M.lock: a pass is wanted */
    int retry;    /* M.lock: the last pass left work */
    int cancel;   /* atomic: the job is being unregistered */
    int reported; /* worker only: a problem was reported */
};

static struct {
    pthread_mutex_t life;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the thread waits here */
    pthread_cond_t idle; /* unregister waits here for the current pass */
    nlog__maint_job *jobs;
    nlog__maint_job *current;
    pthread_t thread;
    int running;         /* M.lock; atomic reads for the test hook */
    int stop;
} M = {
    .life = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
};

/* ---- one pass ------------------------------------------------------------ */

static void problem(int *reported, int err, const char *dir, const char *what, const char *name)
{
    NLOG__COUNT(output_errors, 1);
    if (reported && *reported)
        return;
    if (reported)
        *reported = 1;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, err, path,
               "cannot %s %s: %s; the file is kept and this is retried later", what, path,
               strerror(err));
}

/* Unlinks dir/name unless a writer holds it (plain segments only). Returns
 * 0 (done or already gone), 1 (busy), or an errno. */
static int remove_segment(const char *dir, const nlog__seg *s)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    if (s->kind != NLOG__SEG_PLAIN)
        return unlink(path) == 0 || errno == ENOENT ? 0 : errno;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : errno;
    int rc = 0;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        rc = errno == EWOULDBLOCK ? 1 : errno;
    else if (unlink(path) != 0 && errno != ENOENT)
        rc = errno;
    (void) close(fd);
    return rc;
}

/* Whether segs[] holds a complete compressed file of segment s. */
static int has_compressed(const nlog__seg *segs, size_t n, const nlog__seg *s)
{
    for (size_t i = 0; i < n; i++)
        if ((segs[i].kind == NLOG__SEG_ZST || segs[i].kind == NLOG__SEG_GZ) &&
            segs[i].base_len == s->base_len && memcmp(segs[i].name, s->name, s->base_len) == 0)
            return 1;
    return 0;
}

static int recover(const char *dir, nlog__seg *segs, size_t n, int *reported)
{
    int again = 0;
    for (size_t i = 0; i < n; i++) {
        nlog__seg *s = &segs[i];
        int rc = 0;
        if (s->kind == NLOG__SEG_TMP) {
            /* An unfinished compression, unless its compressor still works:
             * that one holds LOCK_EX on the original. */
            char orig[4400];
            snprintf(orig, sizeof orig, "%s/%.*s", dir, (int) s->base_len, s->name);
            int fd = open(orig, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
                (void) close(fd);
                again = 1;
                continue;
            }
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, s->name);
            if (unlink(path) != 0 && errno != ENOENT)
                rc = errno;
            if (fd >= 0)
                (void) close(fd);
        } else if (s->kind == NLOG__SEG_PLAIN && has_compressed(segs, n, s)) {
            rc = remove_segment(dir, s); /* the compressed copy is complete */
        } else {
            continue;
        }
        if (rc == 1) {
            again = 1;
        } else if (rc) {
            problem(reported, rc, dir, "remove", s->name);
            again = 1;
        }
    }
    return again;
}

static int compress_all(const char *dir, const nlog__seg *segs, size_t n, int algo,
                        const int *cancel, int *reported)
{
    int again = 0;
    for (size_t i = 0; i < n; i++) {
        if (segs[i].kind != NLOG__SEG_PLAIN || has_compressed(segs, n, &segs[i]))
            continue;
        if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED))
            return 1;
        int err;
        switch (nlog__compress_segment(dir, segs[i].name, algo, cancel, &err)) {
        case NLOG__COMPRESS_DONE:
        case NLOG__COMPRESS_GONE:
            break;
        case NLOG__COMPRESS_FAILED:
            problem(reported, err, dir, "compress", segs[i].name);
            again = 1;
            break;
        default: /* busy or cancelled */
            again = 1;
            break;
        }
    }
    return again;
}

/* Segments grouped by base name: [first, first+count) of segs share it. */
static int retain(const char *dir, const nlog__seg *segs, size_t n, const nlog__rot_policy *pol,
                  int64_t now_ns, int *reported)
{
    /* Collapse entries into segments (oldest first), ignoring .tmp files. */
    size_t *start = malloc((n + 1) * sizeof *start);
    int64_t *size = malloc((n + 1) * sizeof *size);
    if (!start || !size) {
        free(start);
        free(size);
        return 1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (segs[i].kind == NLOG__SEG_TMP)
            continue;
        if (m && segs[start[m - 1]].base_len == segs[i].base_len &&
            memcmp(segs[start[m - 1]].name, segs[i].name, segs[i].base_len) == 0) {
            size[m - 1] += segs[i].size;
            continue;
        }
        start[m] = i;
        size[m] = segs[i].size;
        m++;
    }
    /* Decisions depend on a segment's position only (how many are newer,
     * how many bytes it and the newer ones take), so one that cannot be
     * deleted now never makes a newer one go in its place. */
    int64_t *suffix = size; /* in place: bytes of segment j and all newer ones */
    for (size_t j = m; j-- > 1;)
        suffix[j - 1] += suffix[j];
    int64_t cutoff = pol->keep_days ? now_ns / 1000000000LL - (int64_t) pol->keep_days * 86400
                                    : INT64_MIN;
    int again = 0;
    if (pol->cut) {
        /* Sealed file: a signed record names what goes before it goes. */
        size_t n_del = 0;
        while (n_del < m) {
            const nlog__seg *s = &segs[start[n_del]];
            if (!(pol->keep_days && s->time_s < cutoff) &&
                !(pol->keep_files && m - n_del > (size_t) pol->keep_files) &&
                !(pol->keep_bytes && suffix[n_del] > pol->keep_bytes))
                break;
            n_del++;
        }
        const nlog__seg **del = n_del ? malloc(n_del * sizeof *del) : NULL;
        if (n_del && !del) {
            free(start);
            free(size);
            return 1;
        }
        for (size_t j = 0; j < n_del; j++)
            del[j] = &segs[start[j]];
        int refused = n_del && pol->cut(pol->cut_ctx, dir, del, n_del,
                                        n_del < m ? &segs[start[n_del]] : NULL) != 0;
        free(del);
        if (refused) {
            free(start);
            free(size);
            return 1; /* kept until the record can be written */
        }
    }
    for (size_t j = 0; j < m; j++) {
        const nlog__seg *s = &segs[start[j]];
        int old = pol->keep_days && s->time_s < cutoff;
        int many = pol->keep_files && m - j > (size_t) pol->keep_files;
        int big = pol->keep_bytes && suffix[j] > pol->keep_bytes;
        if (!old && !many && !big)
            break; /* everything newer is kept too */
        for (size_t i = start[j]; i < n && segs[i].base_len == s->base_len &&
                                  memcmp(segs[i].name, s->name, s->base_len) == 0;
             i++) {
            if (segs[i].kind == NLOG__SEG_TMP)
                continue;
            int rc = remove_segment(dir, &segs[i]);
            if (rc == 1) {
                again = 1; /* a writer still holds it: next pass */
            } else if (rc) {
                problem(reported, rc, dir, "remove", segs[i].name);
                again = 1;
            }
        }
    }
    free(start);
    free(size);
    return again;
}

int nlog__maint_pass(const char *dir, const char *name, const nlog__rot_policy *pol,
                     int64_t now_ns, const int *cancel, int *reported)
{
    char stem[256], ext[64];
    if (nlog__rot_split(name, stem, sizeof stem, ext, sizeof ext) != 0)
        return 0;
    nlog__seg *segs;
    size_t n;
    int err = nlog__rot_list(dir, stem, ext, &segs, &n);
    if (err) {
        if (err != ENOENT)
            problem(reported, err, dir, "list", ".");
        return err != ENOENT;
    }
    int again = recover(dir, segs, n, reported);
    if (pol->compress)
        again |= compress_all(dir, segs, n, pol->algo, cancel, reported);
    free(segs);
    if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED))
        return 1;
    if (pol->keep_days || pol->keep_files || pol->keep_bytes) {
        err = nlog__rot_list(dir, stem, ext, &segs, &n);
        if (err) {
            problem(reported, err, dir, "list", ".");
            return 1;
        }
        again |= retain(dir, segs, n, pol, now_ns, reported);
        free(segs);
    }
    return again;
}

/* ---- the thread ------------------------------------------------------------ */

static void deadline_in(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t t = (int64_t) ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

static void *maint_main(void *arg)
{
    (void) arg;
    nlog__block_async_signals();

    pthread_mutex_lock(&M.lock);
    while (!M.stop) {
        nlog__maint_job *j = M.jobs;
        while (j && !j->pending)
            j = j->next;
        if (!j) {
            int retry = 0;
            for (nlog__maint_job *r = M.jobs; r; r = r->next)
                retry |= r->retry;
            if (retry) {
                struct timespec ts;
                deadline_in(&ts, RETRY_NS);
                if (pthread_cond_timedwait(&M.wake, &M.lock, &ts) != 0)
                    for (nlog__maint_job *r = M.jobs; r; r = r->next)
                        r->pending |= r->retry;
            } else {
                pthread_cond_wait(&M.wake, &M.lock);
            }
            continue;
        }
        j->pending = 0;
        j->retry = 0;
        M.current = j;
        pthread_mutex_unlock(&M.lock);
        int again = nlog__maint_pass(j->dir, j->name, &j->pol, nlog__clock_realtime_ns(),
                                     &j->cancel, &j->reported);
        if (!again)
            j->reported = 0;
        pthread_mutex_lock(&M.lock);
        j->retry = again;
        M.current = NULL;
        pthread_cond_broadcast(&M.idle);
    }
    pthread_mutex_unlock(&M.lock);
    return NULL;
}

nlog_status nlog__maint_register(const char *dir, const char *name, const nlog__rot_policy *pol,
                                 nlog__maint_job **ret_job)
{
    nlog__maint_job *j = calloc(1, sizeof *j);
    if (!j)
        return NLOG_ENOMEM;
    if (snprintf(j->dir, sizeof j->dir, "%s", dir) >= (int) sizeof j->dir ||
        snprintf(j->name, sizeof j->name, "%s", name) >= (int) sizeof j->name) {
        free(j);
        return NLOG_EINVAL;
    }
    j->pol = *pol;
    pthread_mutex_lock(&M.lock);
    j->next = M.jobs;
    M.jobs = j;
    pthread_mutex_unlock(&M.lock);
    *ret_job = j;
    return NLOG_OK;
}

void nlog__maint_kick(nlog__maint_job *j)
{
    pthread_mutex_lock(&M.lock);
    j->pending = 1;
    if (M.running) {
        pthread_cond_signal(&M.wake);
        pthread_mutex_unlock(&M.lock);
        return;
    }
    pthread_mutex_unlock(&M.lock);
    pthread_mutex_lock(&M.life);
    pthread_mutex_lock(&M.lock);
    if (!M.running) {
        M.stop = 0;
        int err = pthread_create(&M.thread, NULL, maint_main, NULL);
        if (err)
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, err, NULL,
                       "cannot start the log maintenance thread: %s; rotated files are not "
                       "compressed or cleaned up until it can be started",
                       strerror(err));
        else
            __atomic_store_n(&M.running, 1, __ATOMIC_RELAXED);
    }
    pthread_cond_signal(&M.wake);
    pthread_mutex_unlock(&M.lock);
    pthread_mutex_unlock(&M.life);
}

void nlog__maint_unregister(nlog__maint_job *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&M.life);
    pthread_mutex_lock(&M.lock);
    for (nlog__maint_job **pp = &M.jobs; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    }
    __atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
    while (M.current == j)
        pthread_cond_wait(&M.idle, &M.lock);
    if (!M.jobs && M.running) {
        M.stop = 1;
        pthread_cond_signal(&M.wake);
        pthread_t t = M.thread;
        pthread_mutex_unlock(&M.lock);
        pthread_join(t, NULL);
        pthread_mutex_lock(&M.lock);
        __atomic_store_n(&M.running, 0, __ATOMIC_RELAXED);
        M.stop = 0;
    }
    pthread_mutex_unlock(&M.lock);
    pthread_mutex_unlock(&M.life);
    free(j);
}

int nlog__maint_running(void)
{
    return __atomic_load_n(&M.running, __ATOMIC_RELAXED);
}

void nlog__maint_test_wait_idle(void)
{
    pthread_mutex_lock(&M.lock);
    for (;;) {
        int busy = M.current != NULL;
        for (nlog__maint_job *j = M.jobs; j && !busy; j = j->next)
            busy = j->pending;
        if (!busy || !M.running)
            break;
        pthread_cond_wait(&M.idle, &M.lock);
    }
    pthread_mutex_unlock(&M.lock);
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&M.life);
    pthread_mutex_lock(&M.lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&M.lock);
    pthread_mutex_unlock(&M.life);
}

static void atfork_child(void)
{
    /* The parent's thread (and anyone waiting on the conditions) does not
     * exist here. */
    pthread_cond_init(&M.wake, NULL);
    pthread_cond_init(&M.idle, NULL);
    __atomic_store_n(&M.running, 0, __ATOMIC_RELAXED);
    M.stop = 0;
    M.current = NULL;
    for (nlog__maint_job *j = M.jobs; j; j = j->next)
        j->retry = 0;
    pthread_mutex_unlock(&M.lock);
    pthread_mutex_unlock(&M.life);
}

__attribute__((constructor)) static void register_atfork(void)
{
    (void) pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}
