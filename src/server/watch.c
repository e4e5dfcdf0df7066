/* watch.c: see watch.h. One thread; each followed file keeps an open
 * descriptor, so a file renamed away by rotation can still be read to its
 * end.
 *
 * What is followed: the *active* JSON-lines files of the directory, i.e.
 * every regular "*.log" except
 *   - hidden names, security.log and audit.log (their records are also in
 *     netlink.log), and names starting with "security-" or "audit-";
 *   - rotated segments, named by libnlog (src/sink/rotate.h)
 *     <stem>-YYYYMMDDTHHMMSSZ-NNNNNN.log: their lines were read while the
 *     file was active, under its active name; reading them again as new
 *     files stored every rotated line twice.
 * Symbolic links are not followed (lstat, O_NOFOLLOW): the watcher reads
 * only regular files that are in the directory.
 *
 * Positions: one per active path, stored with the device and inode of the
 * file being read, so the position is carried across a rename by identity:
 *   - rotation while nlogd runs: the path names a new inode; the old file,
 *     still open, is read to its end, then the rotated segments that came
 *     after it (several rotations between two scans), then the new file;
 *   - rotation while nlogd was stopped: the stored inode is looked for among
 *     the rotated segments of the path; found, it is read from the stored
 *     offset, then the segments after it, then the active file from 0;
 *   - a followed file renamed to another followed name keeps its offset.
 * A segment compressed (or deleted) before the watcher reached it can no
 * longer be read: its unread lines are lost, which happens only when the
 * writer rotates more than once per scan (200 ms) with compression on, or
 * while nlogd is stopped. */
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
#define SEGMENTS_MAX 4096                /* rotated segments considered per catch-up */
#define READ_MAX (4u << 20)              /* bytes read from one file per round */
#define LINE_MAX_BYTES (2u << 20)        /* a longer line is skipped */
#define SCAN_NS 200000000LL
#define SEG_TAIL 28                      /* "-YYYYMMDDTHHMMSSZ-NNNNNN.log" */

typedef struct wfile {
    char path[1200];                 /* the active path: the key of the stored position */
    int fd;                          /* the file being read (the path's, or a segment) */
    uint64_t dev, ino;               /* of the file being read */
    int64_t offset;                  /* bytes consumed (complete lines) */
    int skipping;                    /* inside a line longer than LINE_MAX_BYTES */
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

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Whether name is a rotated segment "<stem>-YYYYMMDDTHHMMSSZ-NNNNNN.log"
 * (rotate.h); its stem is name[0 .. len - SEG_TAIL). */
static int is_segment(const char *name)
{
    size_t n = strlen(name);
    if (n <= SEG_TAIL)
        return 0;
    const char *t = name + n - SEG_TAIL;
    return t[0] == '-' && all_digits(t + 1, 8) && t[9] == 'T' && all_digits(t + 10, 6) &&
           t[16] == 'Z' && t[17] == '-' && all_digits(t + 18, 6) && strcmp(t + 24, ".log") == 0;
}

static int followed(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".log") == 0 && name[0] != '.' &&
           strcmp(name, "security.log") != 0 && strcmp(name, "audit.log") != 0 &&
           strncmp(name, "security-", 9) != 0 && strncmp(name, "audit-", 6) != 0 &&
           !is_segment(name);
}

/* dir/name into out; -1 if too long. */
static int join(const nlogd_watch *w, const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", w->dir, name);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

/* Opens a regular file without following a symbolic link. */
static int open_regular(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A line whose first byte is '[' would make the whole chunk look like a JSON
 * array body to the ingest parser (which takes a body starting with '[' as
 * one array): it is blanked and counted as rejected, so files are always
 * read as NDJSON, line by line. Only the first non-blank line can do that. */
static size_t blank_array_start(char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (i == len || buf[i] != '[')
        return 0;
    while (i < len && buf[i] != '\n')
        buf[i++] = ' ';
    return 1;
}

/* Stores the complete lines of buf[0..len) (read at f->offset); returns the
 * bytes consumed, 0 to try again later. */
static size_t take_lines(nlogd_watch *w, wfile *f, char *buf, size_t len)
{
    size_t start = 0, bad = 0;
    if (f->skipping) { /* the rest of an overlong line */
        char *nl = memchr(buf, '\n', len);
        if (!nl)
            return len;
        start = (size_t) (nl - buf) + 1;
        f->skipping = 0;
    }
    size_t last = len;
    while (last > start && buf[last - 1] != '\n')
        last--;
    if (last == start) {
        if (len - start >= LINE_MAX_BYTES) { /* one huge line: skip it whole */
            nlogd_count(w->srv, records_rejected, 1);
            f->skipping = 1;
            return len;
        }
        return start;
    }
    bad = blank_array_start(buf + start, last - start);
    nlogd_ingest in;
    nlogd_err e;
    nlogd_ingest_init(&in);
    int rc = nlogd_ingest_parse(buf + start, last - start, &in, &e);
    if (rc != 0 && e.status >= 500) {
        nlogd_ingest_free(&in);
        return 0; /* out of memory: the same lines again next round */
    }
    nlogd_batch b;
    memset(&b, 0, sizeof b);
    if (rc == 0) {
        b.recs = in.recs;
        b.n = in.n;
    }
    b.watch_path = f->path;
    b.watch_dev = f->dev;
    b.watch_ino = f->ino;
    b.watch_offset = f->offset + (int64_t) last;
    (void) nlogd_queue_submit(w->srv->queue, &b, 1);
    if (b.status != NLOG_OK) {
        nlogd_ingest_free(&in);
        return 0; /* try the same lines again next round */
    }
    nlogd_count(w->srv, records_received, in.n + in.rejected + bad);
    nlogd_count(w->srv, records_rejected, in.rejected + bad);
    nlogd_count(w->srv, records_accepted, in.n);
    nlogd_count(w->srv, watch_records, in.n);
    nlogd_ingest_free(&in);
    return last;
}

/* Reads what is new in f's open file. */
static void drain(nlogd_watch *w, wfile *f)
{
    for (;;) {
        ssize_t n = pread(f->fd, w->buf, READ_MAX, f->offset);
        if (n <= 0)
            return;
        size_t used = take_lines(w, f, w->buf, (size_t) n);
        if (!used)
            return;
        f->offset += (int64_t) used;
        if ((size_t) n < READ_MAX && used == (size_t) n)
            return;
    }
}

typedef struct seg {
    char name[256];
    uint64_t dev, ino;
} seg;

static int cmp_seg(const void *a, const void *b)
{
    return strcmp(((const seg *) a)->name, ((const seg *) b)->name);
}

/* Reads the rotated segments of f's path that follow the one holding
 * (dev, ino), oldest first, each to its end — and, when `from` >= 0, that
 * one too, from offset `from`. Positions are stored under f's path. Returns
 * 1 when the segment holding (dev, ino) was found. f->fd is closed after. */
static int catch_up(nlogd_watch *w, wfile *f, uint64_t dev, uint64_t ino, int64_t from)
{
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    size_t stem = strlen(base) - 4; /* "<stem>.log" */
    DIR *d = opendir(w->dir);
    if (!d)
        return 0;
    seg *segs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < SEGMENTS_MAX) {
        size_t len = strlen(de->d_name);
        if (!is_segment(de->d_name) || len - SEG_TAIL != stem ||
            memcmp(de->d_name, base, stem) != 0 || len >= sizeof segs->name)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            seg *ns = realloc(segs, nc * sizeof *ns);
            if (!ns)
                break;
            segs = ns;
            cap = nc;
        }
        memcpy(segs[n].name, de->d_name, len + 1);
        segs[n].dev = (uint64_t) st.st_dev;
        segs[n].ino = (uint64_t) st.st_ino;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(segs, n, sizeof *segs, cmp_seg);
    size_t at = 0;
    while (at < n && !(segs[at].dev == dev && segs[at].ino == ino))
        at++;
    int found = at < n;
    for (size_t i = found ? at : n; i < n; i++) {
        if (i == at && from < 0)
            continue; /* already read through the descriptor kept open */
        char path[1400];
        struct stat st;
        if (join(w, segs[i].name, path, sizeof path) != 0)
            continue;
        f->fd = open_regular(path, &st);
        if (f->fd < 0)
            continue; /* compressed or deleted meanwhile */
        f->dev = (uint64_t) st.st_dev;
        f->ino = (uint64_t) st.st_ino;
        f->offset = i == at ? from : 0;
        f->skipping = 0;
        if (f->dev == segs[i].dev && f->ino == segs[i].ino && f->offset <= st.st_size)
            drain(w, f);
        close(f->fd);
        f->fd = -1;
    }
    free(segs);
    return found;
}

/* Opens f's path (whose lstat is cur) and sets where to read from. With
 * resume, the stored position decides: the same file resumes at its offset;
 * another file means the path was rotated while nlogd was stopped, and the
 * rotated segments are caught up first. */
static void open_file(nlogd_watch *w, wfile *f, const struct stat *cur, int resume)
{
    struct stat st;
    uint64_t dev = 0, ino = 0;
    int64_t off = 0;
    int stored = resume &&
                 nlogd_store_watch_get(w->srv->store, f->path, &dev, &ino, &off) == NLOG_OK;
    if (stored && !(dev == (uint64_t) cur->st_dev && ino == (uint64_t) cur->st_ino))
        (void) catch_up(w, f, dev, ino, off);
    f->fd = open_regular(f->path, &st);
    if (f->fd < 0)
        return;
    if (st.st_dev != cur->st_dev || st.st_ino != cur->st_ino) { /* replaced meanwhile */
        close(f->fd);
        f->fd = -1;
        return;
    }
    f->dev = (uint64_t) st.st_dev;
    f->ino = (uint64_t) st.st_ino;
    f->offset = 0;
    f->skipping = 0;
    if (stored && dev == f->dev && ino == f->ino && off <= st.st_size)
        f->offset = off;
}

typedef struct entry {
    char path[1200];
    struct stat st;
} entry;

/* The followed files of the directory now (regular files only: a symbolic
 * link is not followed). -1 when the directory cannot be read. */
static int list_followed(nlogd_watch *w, entry **ret, size_t *ret_n)
{
    DIR *d = opendir(w->dir);
    *ret = NULL;
    *ret_n = 0;
    if (!d)
        return -1;
    entry *es = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < FILES_MAX) {
        if (!followed(de->d_name))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            entry *ne = realloc(es, nc * sizeof *ne);
            if (!ne)
                break;
            es = ne;
            cap = nc;
        }
        if (join(w, de->d_name, es[n].path, sizeof es[n].path) != 0 ||
            lstat(es[n].path, &es[n].st) != 0 || !S_ISREG(es[n].st.st_mode))
            continue;
        n++;
    }
    closedir(d);
    *ret = es;
    *ret_n = n;
    return 0;
}

static wfile *by_path(nlogd_watch *w, const char *path)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->files[i].path, path) == 0)
            return &w->files[i];
    return NULL;
}

static void scan(nlogd_watch *w)
{
    size_t n;
    entry *es;
    if (list_followed(w, &es, &n) != 0)
        return; /* try again next scan; keep every file open */
    for (size_t i = 0; i < w->n; i++)
        w->files[i].seen = 0;
    /* First by identity: a followed file renamed to another followed name
     * (not rotated: its old name does not name it any more) keeps its
     * position under the new name. */
    for (size_t i = 0; i < w->n; i++) {
        wfile *f = &w->files[i];
        for (size_t k = 0; f->fd >= 0 && k < n; k++)
            if ((uint64_t) es[k].st.st_dev == f->dev && (uint64_t) es[k].st.st_ino == f->ino &&
                strcmp(es[k].path, f->path) != 0 && !by_path(w, es[k].path)) {
                int still_here = 0;
                for (size_t j = 0; j < n; j++)
                    still_here |= strcmp(es[j].path, f->path) == 0 &&
                                  (uint64_t) es[j].st.st_dev == f->dev &&
                                  (uint64_t) es[j].st.st_ino == f->ino;
                if (!still_here)
                    memcpy(f->path, es[k].path, sizeof f->path);
                break;
            }
    }
    for (size_t k = 0; k < n; k++) {
        const struct stat *st = &es[k].st;
        wfile *f = by_path(w, es[k].path);
        if (!f) {
            if (w->n == FILES_MAX)
                continue;
            f = &w->files[w->n++];
            memset(f, 0, sizeof *f);
            memcpy(f->path, es[k].path, sizeof f->path);
            f->fd = -1;
            open_file(w, f, st, 1);
        } else if (f->fd >= 0 &&
                   ((uint64_t) st->st_ino != f->ino || (uint64_t) st->st_dev != f->dev)) {
            /* rotated: finish the old file, then what was rotated after it */
            uint64_t odev = f->dev, oino = f->ino;
            drain(w, f);
            close(f->fd);
            f->fd = -1;
            (void) catch_up(w, f, odev, oino, -1);
            open_file(w, f, st, 0);
        } else if (f->fd < 0) {
            open_file(w, f, st, 0);
        } else if (st->st_size < f->offset) {
            f->offset = 0; /* truncated in place */
            f->skipping = 0;
        }
        f->seen = 1;
        if (f->fd >= 0)
            drain(w, f);
    }
    free(es);
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
