/* watch.c: see watch.h. One thread; each followed file keeps an open
 * descriptor, so a file renamed away by rotation can still be read to its
 * end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/ingest_parse.h"
#include "server/watch.h"

#define FILES_MAX 256
#define READ_MAX (4u << 20)          /* bytes read from one file per round */
#define LINE_MAX_BYTES (2u << 20)    /* a longer line is skipped */
#define SCAN_NS 200000000LL

typedef struct wfile {
    char path[1200];
    int fd;
    uint64_t dev, ino;
    int64_t offset;                  /* bytes consumed (complete lines) */
    int seen;                        /* still present in the last scan */
} wfile;

struct nlogd_watch {
    nlogd_server *srv;
    char dir[1024];
    wfile files[FILES_MAX];
    size_t n;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    char *buf;
};

static int followed(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".log") == 0 && name[0] != '.' &&
           strcmp(name, "security.log") != 0 && strcmp(name, "audit.log") != 0;
}

/* Stores complete lines of buf[0..len) read at `at`; returns bytes consumed. */
static size_t take_lines(nlogd_watch *w, wfile *f, const char *buf, size_t len)
{
    const char *last = NULL;
    for (size_t i = len; i > 0; i--)
        if (buf[i - 1] == '\n') {
            last = buf + i - 1;
            break;
        }
    if (!last) {
        if (len >= LINE_MAX_BYTES) { /* one huge line: skip it whole */
            nlogd_count(w->srv, records_rejected, 1);
            return len;
        }
        return 0;
    }
    size_t used = (size_t) (last - buf) + 1;
    nlogd_ingest in;
    nlogd_err e;
    nlogd_ingest_init(&in);
    int rc = nlogd_ingest_parse(buf, used, &in, &e);
    nlogd_batch b;
    memset(&b, 0, sizeof b);
    if (rc == 0) {
        b.recs = in.recs;
        b.n = in.n;
    }
    b.watch_path = f->path;
    b.watch_dev = f->dev;
    b.watch_ino = f->ino;
    b.watch_offset = f->offset + (int64_t) used;
    (void) nlogd_queue_submit(w->srv->queue, &b, 1);
    if (b.status != NLOG_OK) {
        nlogd_ingest_free(&in);
        return 0; /* try the same lines again next round */
    }
    nlogd_count(w->srv, records_received, in.n + in.rejected);
    nlogd_count(w->srv, records_rejected, in.rejected);
    nlogd_count(w->srv, records_accepted, in.n);
    nlogd_count(w->srv, watch_records, in.n);
    nlogd_ingest_free(&in);
    return used;
}

/* Reads what is new in f; returns 1 if anything was consumed. */
static int drain(nlogd_watch *w, wfile *f)
{
    int any = 0;
    for (;;) {
        ssize_t n = pread(f->fd, w->buf, READ_MAX, f->offset);
        if (n <= 0)
            return any;
        size_t used = take_lines(w, f, w->buf, (size_t) n);
        if (!used)
            return any;
        f->offset += (int64_t) used;
        any = 1;
        if ((size_t) n < READ_MAX && used == (size_t) n)
            return any;
    }
}

static void open_file(nlogd_watch *w, wfile *f, const struct stat *st, int resume)
{
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return;
    struct stat real;
    if (fstat(f->fd, &real) != 0) {
        close(f->fd);
        f->fd = -1;
        return;
    }
    (void) st;
    f->dev = (uint64_t) real.st_dev;
    f->ino = (uint64_t) real.st_ino;
    f->offset = 0;
    uint64_t dev, ino;
    int64_t off;
    if (resume && nlogd_store_watch_get(w->srv->store, f->path, &dev, &ino, &off) == NLOG_OK &&
        dev == f->dev && ino == f->ino && off <= real.st_size)
        f->offset = off;
}

static void scan(nlogd_watch *w)
{
    DIR *d = opendir(w->dir);
    if (!d)
        return;
    for (size_t i = 0; i < w->n; i++)
        w->files[i].seen = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!followed(de->d_name))
            continue;
        char path[1200];
        if (strlen(w->dir) + strlen(de->d_name) + 2 > sizeof path)
            continue;
        memcpy(path, w->dir, strlen(w->dir));
        path[strlen(w->dir)] = '/';
        memcpy(path + strlen(w->dir) + 1, de->d_name, strlen(de->d_name) + 1);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        wfile *f = NULL;
        for (size_t i = 0; i < w->n; i++)
            if (strcmp(w->files[i].path, path) == 0)
                f = &w->files[i];
        if (!f) {
            if (w->n == FILES_MAX)
                continue;
            f = &w->files[w->n++];
            memset(f, 0, sizeof *f);
            memcpy(f->path, path, sizeof f->path);
            f->fd = -1;
            open_file(w, f, &st, 1);
        } else if (f->fd >= 0 && ((uint64_t) st.st_ino != f->ino || (uint64_t) st.st_dev != f->dev)) {
            drain(w, f); /* rotated: finish the old file first */
            close(f->fd);
            open_file(w, f, &st, 0);
        } else if (f->fd < 0) {
            open_file(w, f, &st, 0);
        } else if (st.st_size < f->offset) {
            f->offset = 0; /* truncated in place */
        }
        f->seen = 1;
        if (f->fd >= 0)
            drain(w, f);
    }
    closedir(d);
    /* Files that disappeared: read what is left, then forget them. */
    for (size_t i = 0; i < w->n;) {
        if (w->files[i].seen) {
            i++;
            continue;
        }
        if (w->files[i].fd >= 0) {
            drain(w, &w->files[i]);
            close(w->files[i].fd);
        }
        w->files[i] = w->files[--w->n];
    }
}

static void *watch_main(void *arg)
{
    nlogd_watch *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_mutex_unlock(&w->lock);
        scan(w);
        pthread_mutex_lock(&w->lock);
        if (w->stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += SCAN_NS;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int nlogd_watch_start(nlogd_server *srv, const char *dir, nlogd_watch **ret, char *why,
                      size_t why_size)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, why_size, "server.watch_directory: '%.200s' is not a directory (%s)", dir,
                 strerror(errno ? errno : ENOTDIR));
        return -1;
    }
    nlogd_watch *w = calloc(1, sizeof *w);
    if (!w || !(w->buf = malloc(READ_MAX))) {
        free(w);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    w->srv = srv;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        free(w->buf);
        free(w);
        snprintf(why, why_size, "cannot start the watch thread");
        return -1;
    }
    *ret = w;
    return 0;
}

void nlogd_watch_stop(nlogd_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    for (size_t i = 0; i < w->n; i++)
        if (w->files[i].fd >= 0)
            close(w->files[i].fd);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->buf);
    free(w);
}
