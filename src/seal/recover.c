/* recover.c: bringing the head of a sealing state up to date with the log.
 *
 * The log is the truth; the state's head is a summary that is committed
 * after each write. They disagree after a writer died between write(2) and
 * commit (the write-in-progress marker says so), after a reboot, or when the
 * state file was restored from disk or lost its last pages in a power
 * failure. The first process to open a state, and any writer that finds the
 * marker, calls nlog__sealer_sync():
 *
 *  1. If the head's file is still at the log path and not shorter than the
 *     head says, read on from where the head ends.
 *  2. Otherwise find the last control line of the file at the log path. If
 *     it is a checkpoint of this stream signed by a key the state can still
 *     derive (a later epoch), or the checkpoint or anchor the head expects,
 *     continue from it (for the first, fast-forward the keys to the epoch
 *     after it). Otherwise leave the head alone: the log lost what the state
 *     remembers, and verification will show the gap.
 *  3. Read forward: sealed records that continue the sequence become
 *     pending again (hashes recomputed); a checkpoint the writer would have
 *     written for exactly those records is taken as written (its signature
 *     must verify with the current key); an anchor that continues the stream
 *     is accepted. The first line that is none of these stops the reading:
 *     sealing goes on after it and verification will report it. An
 *     incomplete last line is noted as a crash fragment for the next
 *     checkpoint, and the next write starts on a new line.
 *
 * Reading is bounded: lines longer than 4 MiB stop the reading, and the
 * search for the last control line looks at most 64 MiB back. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/platform.h"
#include "seal/sealer_impl.h"

#define LINE_MAX_BYTES (4u << 20)
#define SCAN_BACK_MAX (64ull << 20)
#define CHUNK (64u << 10)

static const char ctrl_prefix[] = "{\"nlog_seal\":\"";

/* Reads `len` bytes at `off`; returns 0 or -1. */
static int read_at(int fd, char *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t) (off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t) n;
    }
    return 0;
}

/* Offset of the start of the last line that begins with the control prefix,
 * or -1. */
static int64_t find_last_control(int fd, uint64_t size)
{
    const size_t pl = sizeof ctrl_prefix - 1;
    char *buf = malloc(CHUNK + 1 + pl);
    if (!buf)
        return -1;
    int64_t found = -1;
    uint64_t end = size, scanned = 0;
    while (end > 0 && scanned < SCAN_BACK_MAX && found < 0) {
        uint64_t start = end > CHUNK ? end - CHUNK : 0;
        uint64_t rs = start > 0 ? start - 1 : 0; /* one byte before, for its newline */
        uint64_t re = size - end < pl ? size : end + pl;
        if (read_at(fd, buf, (size_t) (re - rs), rs) != 0)
            break;
        for (uint64_t pos = end; pos-- > start;) {
            size_t i = (size_t) (pos - rs);
            if ((pos == 0 || buf[i - 1] == '\n') && pos + pl <= size &&
                memcmp(buf + i, ctrl_prefix, pl) == 0) {
                found = (int64_t) pos;
                break;
            }
        }
        scanned += end - start;
        end = start;
    }
    free(buf);
    return found;
}

/* A forward reader of whole lines from `off`. */
typedef struct reader {
    int fd;
    uint64_t size;
    uint64_t pos;     /* file offset of buf[0] */
    char *buf;
    size_t len, cap;  /* bytes in buf, its size */
    size_t at;        /* next unread byte in buf */
} reader;

/* Next line: *ret_p, *ret_n without '\n', *ret_off its offset. Returns 1 for
 * a complete line, 2 for an incomplete last line, 0 at the end, -1 on an
 * error or an over-long line. */
static int next_line(reader *r, const char **ret_p, size_t *ret_n, uint64_t *ret_off)
{
    for (;;) {
        const char *s = r->buf ? r->buf + r->at : "";
        size_t avail = r->len - r->at;
        const char *nl = avail ? memchr(s, '\n', avail) : NULL;
        if (nl) {
            *ret_p = s;
            *ret_n = (size_t) (nl - s);
            *ret_off = r->pos + r->at;
            r->at += *ret_n + 1;
            return 1;
        }
        uint64_t file_at = r->pos + r->len;
        if (file_at >= r->size) {
            if (!avail)
                return 0;
            *ret_p = s;
            *ret_n = avail;
            *ret_off = r->pos + r->at;
            r->at = r->len;
            return 2;
        }
        if (avail >= LINE_MAX_BYTES)
            return -1;
        /* keep the partial line, read more */
        if (avail)
            memmove(r->buf, s, avail);
        r->pos += r->at;
        r->len = avail;
        r->at = 0;
        if (r->cap - r->len < CHUNK) {
            size_t nc = r->cap ? r->cap * 2 : 4 * CHUNK;
            char *nb = realloc(r->buf, nc);
            if (!nb)
                return -1;
            r->buf = nb;
            r->cap = nc;
        }
        size_t want = r->cap - r->len;
        if (want > r->size - file_at)
            want = (size_t) (r->size - file_at);
        if (read_at(r->fd, r->buf + r->len, want, file_at) != 0)
            return -1;
        r->len += want;
    }
}

int nlog__sealer_tail_fragment(const char *path, uint64_t dev, uint64_t ino, uint64_t size,
                               uint64_t *ret_off)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    int rc = 0;
    char c;
    if (fstat(fd, &st) != 0 || (uint64_t) st.st_dev != dev || (uint64_t) st.st_ino != ino ||
        size == 0 || read_at(fd, &c, 1, size - 1) != 0 || c == '\n')
        goto out;
    /* find the start of the incomplete line */
    char buf[4096];
    uint64_t end = size;
    while (end > 0 && size - end < LINE_MAX_BYTES) {
        uint64_t start = end > sizeof buf ? end - sizeof buf : 0;
        if (read_at(fd, buf, (size_t) (end - start), start) != 0)
            goto out;
        for (size_t i = (size_t) (end - start); i-- > 0;)
            if (buf[i] == '\n') {
                *ret_off = start + i + 1;
                rc = 1;
                goto out;
            }
        end = start;
    }
    if (end == 0) {
        *ret_off = 0;
        rc = 1;
    }
out:
    (void) close(fd);
    return rc;
}

/* Records the checkpoint c (already checked) as written: the head and keys
 * move past it. */
static int take_checkpoint(nlog__sealer *s, nlog__seal_head *h, nlog__seal_keys *k,
                           const nlog__seal_ckpt *c)
{
    nlog__sealer_store_proof(s, &c->hdr, c->sig);
    memcpy(s->m->ptags[c->hdr.epoch & 1], c->tags, c->n_tags * NLOG__SEAL_TAG_LEN);
    s->m->n_ptags[c->hdr.epoch & 1] = (uint32_t) c->n_tags;
    nlog__seal_hdr_hash(&c->hdr, c->sig, h->prev);
    h->first_uncovered = c->hdr.last + 1;
    h->seq_next = c->hdr.last + 1;
    h->n_pending = 0;
    h->has_step = 0;
    h->n_frags = 0;
    return nlog__seal_tree_advance_to(k, c->hdr.epoch + 1);
}

/* A checkpoint of this stream from a later epoch than the state's, signed
 * by the key the state derives for that epoch: the state is behind. */
static int later_checkpoint(const nlog__sealer *s, const nlog__seal_keys *k,
                            const nlog__seal_ckpt *c)
{
    const nlog__seal_meta *m = nlog__sealer_meta(s);
    uint8_t pk[NLOG__SEAL_PK_LEN];
    return memcmp(c->hdr.stream, m->stream, sizeof m->stream) == 0 && c->hdr.epoch >= k->epoch &&
           nlog__seal_tree_key(k, c->hdr.epoch, pk, NULL) == 0 &&
           nlog__seal_hdr_verify(&c->hdr, c->sig, pk);
}

static int anchor_continues(const nlog__sealer *s, const nlog__seal_head *h,
                            const nlog__seal_keys *k, const nlog__seal_anchor *a)
{
    const nlog__seal_meta *m = nlog__sealer_meta(s);
    return memcmp(a->stream, m->stream, sizeof m->stream) == 0 && a->epoch == k->epoch &&
           a->first == h->first_uncovered && memcmp(a->prev, h->prev, 32) == 0;
}

void nlog__sealer_sync(nlog__sealer *s)
{
    nlog__seal_meta *m = nlog__sealer_meta(s);
    const nlog__seal_head h0 = *nlog__sealer_head(s);
    nlog__seal_head h = h0;
    nlog__seal_keys *k = s->wk;
    *k = *nlog__sealer_keys(s);
    int keys_moved = 0;
    reader r = {.fd = -1};
    char why[256];

    int fd = open(s->log_path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        goto done;
    r.fd = fd;
    r.size = (uint64_t) st.st_size;
    uint64_t dev = (uint64_t) st.st_dev, ino = (uint64_t) st.st_ino;
    uint64_t start;
    if (dev == h.dev && ino == h.ino && r.size >= h.end_off) {
        start = h.end_off;
    } else {
        int64_t at = find_last_control(fd, r.size);
        if (at < 0)
            goto done; /* nothing of a stream here: the next write anchors this file */
        r.pos = (uint64_t) at;
        const char *p;
        size_t n;
        uint64_t off;
        if (next_line(&r, &p, &n, &off) != 1)
            goto done;
        uint64_t seq;
        nlog__seal_line_kind kind = nlog__seal_line_classify(p, n, &seq);
        if (kind == NLOG__LINE_CHECKPOINT &&
            nlog__seal_ckpt_parse(p, n, s->ck, why, sizeof why) == 0) {
            if (memcmp(s->ck->hdr.stream, m->stream, sizeof m->stream) != 0)
                goto done; /* another stream's (before a key change): ours starts anew here */
            if (later_checkpoint(s, k, s->ck)) {
                if (take_checkpoint(s, &h, k, s->ck) != 0) {
                    h = h0;
                    goto done;
                }
                keys_moved = 1;
            } else if (s->ck->hdr.epoch + 1 == k->epoch) {
                uint8_t hash[32];
                nlog__seal_hdr_hash(&s->ck->hdr, s->ck->sig, hash);
                if (memcmp(hash, h.prev, 32) != 0)
                    goto behind;
                h.seq_next = h.first_uncovered;
                h.n_pending = 0;
            } else {
                goto behind;
            }
        } else if (kind == NLOG__LINE_ANCHOR &&
                   nlog__seal_anchor_parse(p, n, s->an, why, sizeof why) == 0 &&
                   anchor_continues(s, &h, k, s->an)) {
            h.seq_next = h.first_uncovered;
            h.n_pending = 0;
            h.flags |= NLOG__HEAD_STARTED;
        } else {
            goto done;
        }
        h.dev = dev;
        h.ino = ino;
        h.flags &= ~NLOG__HEAD_NEWLINE;
        start = off + n + 1;
        goto forward;
    behind:
        /* The log ends before what the state has written: lost, or cut. The
         * stream goes on where the state is; verification shows the gap. */
        nlog__sealer_problem(s, 0,
                             "%s ends before what its sealing state has sealed (the state is at "
                             "record %llu, epoch %llu; the log's last checkpoint is of epoch "
                             "%llu): records are missing from the log",
                             s->log_path, (unsigned long long) h.seq_next,
                             (unsigned long long) k->epoch,
                             (unsigned long long) s->ck->hdr.epoch);
        goto done;
    }
forward:
    h.end_off = start;
    r.pos = start;
    r.len = r.at = 0;
    for (;;) {
        const char *p;
        size_t n;
        uint64_t off;
        int rc = next_line(&r, &p, &n, &off);
        if (rc == 0)
            break;
        if (rc < 0) {
            h.end_off = r.size;
            break;
        }
        if (rc == 2) { /* a crash cut the last line */
            if (h.n_frags < NLOG__SEAL_FRAGS_MAX) {
                h.frag_off[h.n_frags] = off;
                h.frag_len[h.n_frags] = n;
                h.n_frags++;
            }
            h.flags |= NLOG__HEAD_NEWLINE;
            h.end_off = r.size;
            break;
        }
        uint64_t seq = 0;
        nlog__seal_line_kind kind = nlog__seal_line_classify(p, n, &seq);
        if (kind == NLOG__LINE_RECORD && seq == h.seq_next && h.n_pending < NLOG__SEAL_RANGE_MAX) {
            nlog__seal_hash(p, n, s->m->hashes[h.n_pending]);
            if (h.n_pending == 0)
                h.pending_since = nlog__clock_monotonic_ns();
            h.n_pending++;
            h.seq_next++;
        } else if (kind == NLOG__LINE_CHECKPOINT &&
                   nlog__seal_ckpt_parse(p, n, s->ck, why, sizeof why) == 0 &&
                   nlog__sealer_ckpt_matches(s, &h, k, s->ck)) {
            nlog__seal_head hb = h;
            if (take_checkpoint(s, &h, k, s->ck) != 0) {
                h = hb;
                break;
            }
            keys_moved = 1;
        } else if (kind == NLOG__LINE_ANCHOR &&
                   nlog__seal_anchor_parse(p, n, s->an, why, sizeof why) == 0 &&
                   anchor_continues(s, &h, k, s->an)) {
            h.flags |= NLOG__HEAD_STARTED;
        } else {
            nlog__sealer_problem(s, 0,
                                 "%s has a line at byte %llu that does not continue its sealed "
                                 "stream; sealing goes on after it, and verification will "
                                 "report it",
                                 s->log_path, (unsigned long long) off);
            h.end_off = r.size;
            break;
        }
        h.end_off = off + n + 1;
    }
    h.dev = dev;
    h.ino = ino;
done:
    if (fd >= 0)
        (void) close(fd);
    free(r.buf);
    nlog__sealer_commit_slots(s, &h, keys_moved ? k : NULL);
    __atomic_store_n(&m->writing, 0, __ATOMIC_RELEASE);
    sodium_memzero(k, sizeof *k);
}
