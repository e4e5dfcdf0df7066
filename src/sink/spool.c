/* spool.c: see spool.h. Not thread-safe: the remote output calls it under
 * its own lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/platform.h"
#include "sink/spool.h"

typedef struct entry {
    uint64_t seq;
    int64_t size;
    int protected_;   /* holds SECURITY or AUDIT records */
    char id[40];
} entry;

struct nlog__spool {
    char dir[1024];
    int lock_fd;
    int64_t cap, bytes;
    entry *e;         /* sorted by seq: e[head..n) */
    size_t head, n, alloc;
    uint64_t next_seq;
    int pinned;       /* a peeked batch is in flight: never evicted */
    uint64_t pinned_seq;
};

static void path_of(const nlog__spool *s, const entry *e, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%020llu-%s.batch", s->dir, (unsigned long long) e->seq, e->id);
}

static int push_entry(nlog__spool *s, const entry *e)
{
    if (s->head && s->n == s->alloc) { /* reuse the consumed front */
        memmove(s->e, s->e + s->head, (s->n - s->head) * sizeof *s->e);
        s->n -= s->head;
        s->head = 0;
    }
    if (s->n == s->alloc) {
        size_t na = s->alloc ? s->alloc * 2 : 64;
        entry *ne = realloc(s->e, na * sizeof *ne);
        if (!ne)
            return -1;
        s->e = ne;
        s->alloc = na;
    }
    s->e[s->n++] = *e;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads the header of a spool file: "nlog-spool 1 ID c0 ... c7\n". */
static int read_header(FILE *f, nlog__spool_meta *m, long *ret_body_off)
{
    char line[512];
    if (!fgets(line, sizeof line, f))
        return -1;
    unsigned long long c[NLOG_LEVEL_COUNT];
    char id[40];
    if (sscanf(line, "nlog-spool 1 %39s %llu %llu %llu %llu %llu %llu %llu %llu", id, &c[0],
               &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7]) != 9)
        return -1;
    memcpy(m->batch_id, id, sizeof id);
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
        m->counts[i] = c[i];
    *ret_body_off = ftell(f);
    return 0;
}

static int is_protected(const nlog__spool_meta *m)
{
    return m->counts[6] || m->counts[7]; /* SECURITY, AUDIT */
}

nlog_status nlog__spool_open(const char *dir, int64_t cap, nlog__spool **ret_spool)
{
    if (strlen(dir) >= 900)
        return NLOG_EINVAL;
    if (nlog__mkdir_p(dir, 0700) != 0)
        return NLOG_EIO;
    nlog__spool *s = calloc(1, sizeof *s);
    if (!s)
        return NLOG_ENOMEM;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->cap = cap;
    char path[1200];
    snprintf(path, sizeof path, "%s/.lock", dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        free(s);
        return NLOG_EIO;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        close(s->lock_fd);
        free(s);
        return NLOG_ESTATE;
    }
    DIR *d = opendir(dir);
    if (!d) {
        nlog__spool_close(s);
        return NLOG_EIO;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (nl > 4 && strcmp(de->d_name + nl - 4, ".tmp") == 0) {
            (void) unlink(path); /* a batch whose write did not finish */
            continue;
        }
        unsigned long long seq;
        char id[40];
        if (nl < 27 || strcmp(de->d_name + nl - 6, ".batch") != 0 ||
            sscanf(de->d_name, "%20llu-%32[0-9a-f].batch", &seq, id) != 2)
            continue;
        FILE *f = fopen(path, "rb");
        nlog__spool_meta m;
        long off;
        struct stat st;
        if (!f || read_header(f, &m, &off) != 0 || fstat(fileno(f), &st) != 0) {
            if (f)
                fclose(f);
            continue; /* not ours, or unreadable: left alone */
        }
        fclose(f);
        entry e = {.seq = seq, .size = st.st_size, .protected_ = is_protected(&m)};
        snprintf(e.id, sizeof e.id, "%s", id);
        if (push_entry(s, &e) != 0)
            break;
        s->bytes += st.st_size;
        if (seq >= s->next_seq)
            s->next_seq = seq + 1;
    }
    closedir(d);
    if (s->n)
        qsort(s->e, s->n, sizeof *s->e, cmp_entry);
    *ret_spool = s;
    return NLOG_OK;
}

void nlog__spool_close(nlog__spool *s)
{
    if (!s)
        return;
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    free(s->e);
    free(s);
}

size_t nlog__spool_count(const nlog__spool *s)
{
    return s->n - s->head;
}

int64_t nlog__spool_bytes(const nlog__spool *s)
{
    return s->bytes;
}

/* Deletes entry i (head <= i < n) and reports its records. */
static void remove_at(nlog__spool *s, size_t i, uint64_t counts_out[NLOG_LEVEL_COUNT])
{
    char path[1200];
    path_of(s, &s->e[i], path, sizeof path);
    if (counts_out) {
        FILE *f = fopen(path, "rb");
        nlog__spool_meta m;
        long off;
        if (f && read_header(f, &m, &off) == 0)
            for (int l = 0; l < NLOG_LEVEL_COUNT; l++)
                counts_out[l] += m.counts[l];
        if (f)
            fclose(f);
    }
    (void) unlink(path);
    s->bytes -= s->e[i].size;
    memmove(s->e + i, s->e + i + 1, (s->n - i - 1) * sizeof *s->e);
    s->n--;
}

nlog_status nlog__spool_put(nlog__spool *s, const nlog__spool_meta *m, const void *body,
                            size_t len, uint64_t evicted[NLOG_LEVEL_COUNT])
{
    char header[512];
    int hl = snprintf(header, sizeof header,
                      "nlog-spool 1 %s %llu %llu %llu %llu %llu %llu %llu %llu\n", m->batch_id,
                      (unsigned long long) m->counts[0], (unsigned long long) m->counts[1],
                      (unsigned long long) m->counts[2], (unsigned long long) m->counts[3],
                      (unsigned long long) m->counts[4], (unsigned long long) m->counts[5],
                      (unsigned long long) m->counts[6], (unsigned long long) m->counts[7]);
    int64_t size = hl + (int64_t) len;
    int prot = is_protected(m);
    /* Make room by evicting the oldest batches without SECURITY/AUDIT records. */
    for (size_t i = s->head; s->bytes + size > s->cap && i < s->n;) {
        if (s->e[i].protected_ || (s->pinned && s->e[i].seq == s->pinned_seq)) {
            i++;
            continue;
        }
        remove_at(s, i, evicted);
    }
    if (s->bytes + size > s->cap && (!prot || s->bytes + size > 2 * s->cap))
        return NLOG_ELIMIT;
    entry e = {.seq = s->next_seq++, .size = size, .protected_ = prot};
    snprintf(e.id, sizeof e.id, "%s", m->batch_id);
    char path[1200], tmp[1300];
    path_of(s, &e, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return NLOG_EIO;
    int ok = write(fd, header, (size_t) hl) == hl && write(fd, body, len) == (ssize_t) len;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        (void) unlink(tmp);
        return NLOG_EIO;
    }
    if (push_entry(s, &e) != 0) {
        (void) unlink(path);
        return NLOG_ENOMEM;
    }
    s->bytes += size;
    return NLOG_OK;
}

int nlog__spool_peek(nlog__spool *s, nlog__spool_meta *m, void **ret_body, size_t *ret_len,
                     uint64_t lost[NLOG_LEVEL_COUNT], uint64_t *ret_seq)
{
    s->pinned = 0;
    while (s->head < s->n) {
        char path[1200];
        path_of(s, &s->e[s->head], path, sizeof path);
        FILE *f = fopen(path, "rb");
        long off;
        if (f && read_header(f, m, &off) == 0) {
            int64_t len = s->e[s->head].size - off;
            void *body = len > 0 ? malloc((size_t) len) : NULL;
            if (body && fread(body, 1, (size_t) len, f) == (size_t) len) {
                fclose(f);
                *ret_body = body;
                *ret_len = (size_t) len;
                *ret_seq = s->e[s->head].seq;
                s->pinned = 1;
                s->pinned_seq = *ret_seq;
                return 1;
            }
            free(body);
        }
        if (f)
            fclose(f);
        remove_at(s, s->head, lost); /* unreadable: dropped, counted by the caller */
        return -1;
    }
    return 0;
}

void nlog__spool_pop(nlog__spool *s, uint64_t seq)
{
    s->pinned = 0;
    for (size_t i = s->head; i < s->n; i++) /* sorted by seq; usually the head */
        if (s->e[i].seq == seq) {
            remove_at(s, i, NULL);
            return;
        }
}

void nlog__spool_unpin(nlog__spool *s)
{
    s->pinned = 0;
}
