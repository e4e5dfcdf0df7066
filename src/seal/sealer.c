/* sealer.c: the writer side of sealed logs (see sealer.h, and
 * docs/internals/seal.md for the design).
 *
 * Invariants, all under the writers' lock (the robust mutex in the state's
 * meta page, see state.h):
 *  - the current head says which sequence number comes next, which records
 *    no checkpoint covers yet (their hashes are in the shared hash area),
 *    and the chain hash the next checkpoint must start from;
 *  - every record line and control line in the log was committed to the
 *    head right after it was written, except for at most one write in
 *    progress (marked by meta.writing), which recover.c settles;
 *  - the current key slot holds the epoch whose key signs the next
 *    checkpoint; earlier epochs' seeds are wiped once the state that
 *    replaces them is durable (upkeep).
 * Records are not keyed: a record is protected once a checkpoint carries
 * its hash, and a checkpoint's key exists only until the checkpoint is
 * written. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "seal/sealer_impl.h"

#define CLOCK_STEP_NS 1000000000LL /* a wall-clock move this large is recorded */

/* ---- small helpers ----------------------------------------------------------- */

void nlog__sealer_problem(nlog__sealer *s, int err, const char *fmt, ...)
{
    NLOG__COUNT(output_errors, 1);
    if (s->reported)
        return;
    s->reported = 1;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, err, s->log_path, "%s", msg);
}

static int ofd_lock(int fd, short type, int wait)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;
    int rc;
    do
        rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
    while (rc != 0 && errno == EINTR && wait);
    return rc;
}

/* The writers' lock. Returns 0, 1 when its previous owner died holding it
 * (now consistent again: the caller settles the state from the log), or an
 * errno. */
static int wlock(nlog__sealer *s)
{
    int rc = pthread_mutex_lock(&nlog__sealer_meta(s)->wlock);
    if (rc == EOWNERDEAD) {
        (void) pthread_mutex_consistent(&nlog__sealer_meta(s)->wlock);
        return 1;
    }
    return rc;
}

static void wunlock(nlog__sealer *s)
{
    (void) pthread_mutex_unlock(&nlog__sealer_meta(s)->wlock);
}

/* Only the first opener, alone with the file, may do this. */
static int wlock_init(nlog__sealer *s)
{
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (rc)
        return rc;
    rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (!rc)
        rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (!rc) {
        memset(&nlog__sealer_meta(s)->wlock, 0, sizeof nlog__sealer_meta(s)->wlock);
        rc = pthread_mutex_init(&nlog__sealer_meta(s)->wlock, &a);
    }
    (void) pthread_mutexattr_destroy(&a);
    return rc;
}

void nlog__sealer_commit_slots(nlog__sealer *s, const nlog__seal_head *h,
                               const nlog__seal_keys *k)
{
    nlog__seal_meta *m = nlog__sealer_meta(s);
    unsigned sel = nlog__sealer_sel(s);
    unsigned hi = ((sel >> 1) & 1) ^ 1u, ki = sel & 1;
    s->m->head[hi].h = *h;
    if (k) {
        ki ^= 1u;
        s->m->keys[ki].k = *k;
    }
    __atomic_store_n(&m->sel, ki | hi << 1, __ATOMIC_RELEASE);
    uint64_t g = __atomic_add_fetch(&m->generation, 1, __ATOMIC_RELEASE);
    if (k) {
        m->wipe_pending = 1;
        m->wipe_gen = g;
    }
}

void nlog__sealer_store_proof(nlog__sealer *s, const nlog__seal_hdr *h, const uint8_t *sig)
{
    nlog__seal_proof_slot *p = &s->m->proof[nlog__seal_proof_level(h->epoch)];
    size_t n = nlog__seal_hdr_encode(h, p->data);
    memcpy(p->data + n, sig, NLOG__SEAL_SIG_LEN);
    p->len = (uint32_t) (n + NLOG__SEAL_SIG_LEN);
}

/* root = BLAKE2b-256(prev || hash_0 || ... || hash_{n-1}) */
static void range_root(const nlog__sealer *s, const uint8_t prev[32], size_t n, uint8_t out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, prev, 32);
    if (n)
        crypto_generichash_update(&st, &s->m->hashes[0][0], n * NLOG__SEAL_HASH_LEN);
    crypto_generichash_final(&st, out, 32);
}

static void range_tags(const nlog__sealer *s, size_t n, uint8_t (*tags)[NLOG__SEAL_TAG_LEN])
{
    for (size_t i = 0; i < n; i++)
        memcpy(tags[i], s->m->hashes[i], NLOG__SEAL_TAG_LEN);
}

int nlog__sealer_ckpt_matches(const nlog__sealer *s, const nlog__seal_head *h,
                              const nlog__seal_keys *k, const nlog__seal_ckpt *c)
{
    const nlog__seal_meta *m = nlog__sealer_meta(s);
    const nlog__seal_hdr *x = &c->hdr;
    if (memcmp(x->stream, m->stream, sizeof x->stream) != 0 || x->epoch != k->epoch ||
        x->first != h->first_uncovered || x->last + 1 != h->seq_next ||
        memcmp(x->prev, h->prev, 32) != 0 || c->n_tags != h->n_pending)
        return 0;
    for (size_t i = 0; i < c->n_tags; i++)
        if (memcmp(c->tags[i], s->m->hashes[i], NLOG__SEAL_TAG_LEN) != 0)
            return 0;
    uint8_t root[32];
    range_root(s, h->prev, h->n_pending, root);
    if (memcmp(root, x->root, 32) != 0)
        return 0;
    return nlog__seal_hdr_verify(x, c->sig, k->pk);
}

/* ---- opening ----------------------------------------------------------------- */

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Chooses a key slot whose check holds (the current one unless damaged). */
static int select_keys(nlog__sealer *s)
{
    nlog__seal_meta *m = nlog__sealer_meta(s);
    unsigned sel = nlog__sealer_sel(s);
    if (nlog__seal_tree_valid(&s->m->keys[sel & 1].k))
        return 0;
    if (nlog__seal_tree_valid(&s->m->keys[(sel & 1) ^ 1].k)) {
        __atomic_store_n(&m->sel, sel ^ 1u, __ATOMIC_RELEASE);
        return 0;
    }
    return -1;
}

/* Binds the state to the log directory on first use; checks it later. */
static nlog_status bind_dir(nlog__sealer *s, char *why, size_t why_size)
{
    nlog__seal_meta *m = nlog__sealer_meta(s);
    char real[PATH_MAX];
    if (!realpath(s->dir, real)) {
        snprintf(why, why_size, "cannot resolve the log directory %s: %s", s->dir,
                 strerror(errno));
        return NLOG_EIO;
    }
    if (strlen(real) >= sizeof m->dir) {
        snprintf(why, why_size, "the log directory path %s is too long for a sealing state",
                 real);
        return NLOG_ECONFIG;
    }
    if (!m->dir[0]) {
        memcpy(m->dir, real, strlen(real) + 1);
        return NLOG_OK;
    }
    if (strcmp(m->dir, real) != 0) {
        snprintf(why, why_size,
                 "the sealing state %s belongs to the log %s/%s, not to %s/%s; every sealed "
                 "log needs a state of its own (nlog keygen --sealing)",
                 s->state_path, m->dir, m->name, real, s->name);
        return NLOG_ECONFIG;
    }
    return NLOG_OK;
}

static nlog_status map_state(nlog__sealer *s, char *why, size_t why_size)
{
    int err = nlog__seal_state_map(s->state_path, &s->fd, &s->m);
    if (err == ENOENT) {
        snprintf(why, why_size,
                 "no sealing state at %s: make one with `nlog keygen --sealing DIR` and copy "
                 "DIR/host/%s there",
                 s->state_path, s->name);
        return NLOG_ENOTFOUND;
    }
    if (err == EINVAL) {
        snprintf(why, why_size, "%s is not a valid nlog sealing state (version %d)",
                 s->state_path, NLOG__SEAL_STATE_VERSION);
        return NLOG_ECONFIG;
    }
    if (err) {
        snprintf(why, why_size, "cannot open the sealing state %s: %s", s->state_path,
                 strerror(err));
        return NLOG_EIO;
    }
    if (strcmp(nlog__sealer_meta(s)->name, s->name) != 0) {
        snprintf(why, why_size, "the sealing state %s is for the log '%s', not '%s'",
                 s->state_path, nlog__sealer_meta(s)->name, s->name);
        nlog__seal_state_unmap(s->fd, s->m);
        s->fd = -1;
        s->m = NULL;
        return NLOG_ECONFIG;
    }
    return NLOG_OK;
}

/* Opens the mapped state for use: first-opener recovery, key check, dir. */
static nlog_status attach(nlog__sealer *s, char *why, size_t why_size)
{
    nlog_status st = map_state(s, why, why_size);
    if (st != NLOG_OK)
        return st;
    int first = ofd_lock(s->fd, F_WRLCK, 0) == 0;
    if (!first && ofd_lock(s->fd, F_RDLCK, 1) != 0) {
        snprintf(why, why_size, "cannot lock the sealing state %s: %s", s->state_path,
                 strerror(errno));
        return NLOG_EIO;
    }
    int err = first ? wlock_init(s) : 0;
    int died = err ? 0 : wlock(s);
    if (err || died > 1) {
        snprintf(why, why_size, "cannot lock the sealing state %s: %s", s->state_path,
                 strerror(err ? err : died));
        return NLOG_EIO;
    }
    st = bind_dir(s, why, why_size);
    if (st == NLOG_OK && select_keys(s) != 0) {
        snprintf(why, why_size,
                 "the key material in the sealing state %s is damaged; install a new state "
                 "(nlog keygen --sealing)",
                 s->state_path);
        st = NLOG_ECONFIG;
    }
    if (st == NLOG_OK && (first || died ||
                          __atomic_load_n(&nlog__sealer_meta(s)->writing, __ATOMIC_ACQUIRE))) {
        s->locked = 1;
        nlog__sealer_sync(s);
        s->locked = 0;
    }
    wunlock(s);
    if (first)
        (void) ofd_lock(s->fd, F_RDLCK, 1);
    return st;
}

static void detach(nlog__sealer *s)
{
    nlog__seal_state_unmap(s->fd, s->m);
    s->fd = -1;
    s->m = NULL;
}

int nlog__seal_key_dir_exists(const char *dir, const char *key_dir)
{
    const char *kd = key_dir && *key_dir ? key_dir : ".seal";
    char path[4200];
    int n = kd[0] == '/' ? snprintf(path, sizeof path, "%s", kd)
                         : snprintf(path, sizeof path, "%s/%s", dir, kd);
    struct stat st;
    /* too long to name: not a directory sealing could use either */
    return n >= 0 && (size_t) n < sizeof path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

nlog_status nlog__sealer_open(const char *dir, const char *name, const nlog__seal_opts *o,
                              nlog__sealer **ret, char *why, size_t why_size)
{
    if (nlog__seal_crypto_init() != 0) {
        snprintf(why, why_size, "libsodium cannot be initialised: nothing can be sealed");
        return NLOG_EIO;
    }
    nlog__sealer *s = calloc(1, sizeof *s);
    if (!s)
        return NLOG_ENOMEM;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = -1;
    s->wfd = -1;
    s->max_records = o->max_records ? o->max_records : NLOG__SEAL_RANGE_MAX;
    if (s->max_records > NLOG__SEAL_RANGE_MAX)
        s->max_records = NLOG__SEAL_RANGE_MAX;
    s->interval_ns = o->interval_ns > 0 ? o->interval_ns : 1000000000LL;
    const char *kd = o->key_dir && *o->key_dir ? o->key_dir : ".seal";
    int bad = snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int) sizeof s->dir ||
              snprintf(s->name, sizeof s->name, "%s", name) >= (int) sizeof s->name ||
              snprintf(s->log_path, sizeof s->log_path, "%s/%s", dir, name) >=
                  (int) sizeof s->log_path;
    if (!bad)
        bad = (kd[0] == '/' ? snprintf(s->state_path, sizeof s->state_path, "%s/%s.seal", kd, name)
                            : snprintf(s->state_path, sizeof s->state_path, "%s/%s/%s.seal", dir,
                                       kd, name)) >= (int) sizeof s->state_path ||
              snprintf(s->next_path, sizeof s->next_path, "%s.next", s->state_path) >=
                  (int) sizeof s->next_path;
    s->ck = malloc(sizeof *s->ck);
    s->an = malloc(sizeof *s->an);
    s->wk = sodium_malloc(sizeof *s->wk);
    nlog_status st = NLOG_OK;
    if (bad) {
        snprintf(why, why_size, "the path of the log %s/%s or of its sealing state is too long",
                 dir, name);
        st = NLOG_ECONFIG;
        goto fail;
    }
    if (!s->ck || !s->an || !s->wk) {
        st = NLOG_ENOMEM;
        goto fail;
    }
    int err = nlog__mkdir_p(s->dir, 0750);
    if (err) {
        snprintf(why, why_size, "cannot create the log directory %s: %s", s->dir, strerror(err));
        st = NLOG_EIO;
        goto fail;
    }
    /* A new state installed while no writer ran: take it as it is. */
    if (!exists(s->state_path) && exists(s->next_path))
        (void) rename(s->next_path, s->state_path);
    st = attach(s, why, why_size);
    if (st != NLOG_OK)
        goto fail;
    s->rekey_wanted = exists(s->next_path);
    *ret = s;
    return NLOG_OK;
fail:
    nlog__sealer_close(s);
    return st;
}

/* At close: the key of the epoch the last checkpoint closed must not outlive
 * the process (the upkeep that would wipe it stops with it). Only once the
 * state that replaced it is on disk (s->synced_gen), as in the upkeep; the
 * writers' lock keeps another process from committing meanwhile. */
static void wipe_closed_epoch(nlog__sealer *s)
{
    nlog__seal_meta *m = nlog__sealer_meta(s);
    if (s->broken || !__atomic_load_n(&m->wipe_pending, __ATOMIC_ACQUIRE))
        return;
    int held = s->locked;
    if (!held) {
        int rc = wlock(s);
        if (rc > 1)
            return; /* the next writer's upkeep wipes it */
        if (rc == 1)
            nlog__sealer_sync(s); /* a writer died holding the lock */
    }
    if (!__atomic_load_n(&m->superseded, __ATOMIC_ACQUIRE) && m->wipe_pending &&
        s->synced_gen >= m->wipe_gen) {
        unsigned sel = nlog__sealer_sel(s);
        sodium_memzero(&s->m->keys[(sel & 1) ^ 1u], sizeof s->m->keys[0]);
        m->wipe_pending = 0;
        (void) msync(s->m, sizeof *s->m, MS_SYNC);
    }
    if (!held)
        wunlock(s);
}

void nlog__sealer_close(nlog__sealer *s)
{
    if (!s)
        return;
    if (s->m) {
        /* Make what was written durable; the OFD lock goes with the fd. */
        uint64_t gen = __atomic_load_n(&nlog__sealer_meta(s)->generation, __ATOMIC_ACQUIRE);
        if (msync(s->m, sizeof *s->m, MS_SYNC) == 0) {
            s->synced_gen = gen;
            wipe_closed_epoch(s);
        }
        detach(s);
    }
    if (s->wfd >= 0)
        (void) close(s->wfd);
    if (s->wk)
        sodium_free(s->wk);
    free(s->ck);
    free(s->an);
    free(s->out);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- locking ------------------------------------------------------------------ */

/* Maps the state now at state_path (after a key change replaced the file). */
static nlog_status reattach(nlog__sealer *s)
{
    char why[3 * 4096 + 512]; /* room for the paths a message names */
    detach(s);
    nlog_status st = attach(s, why, sizeof why);
    if (st != NLOG_OK) {
        s->broken = 1;
        nlog__sealer_problem(s, 0, "%s; records of %s are written unsealed", why, s->log_path);
    }
    return st;
}

static nlog_status acquire(nlog__sealer *s)
{
    if (s->broken || !s->m)
        return NLOG_ESTATE;
    int died = 0;
    for (int tries = 0;; tries++) {
        int rc = wlock(s);
        if (rc > 1) {
            nlog__sealer_problem(s, rc, "cannot lock the sealing state %s: %s", s->state_path,
                                 strerror(rc));
            return NLOG_EIO;
        }
        died |= rc;
        if (!__atomic_load_n(&nlog__sealer_meta(s)->superseded, __ATOMIC_ACQUIRE))
            break;
        wunlock(s);
        if (tries > 4 || reattach(s) != NLOG_OK)
            return NLOG_ESTATE;
    }
    s->locked = 1;
    if (died || __atomic_load_n(&nlog__sealer_meta(s)->writing, __ATOMIC_ACQUIRE))
        nlog__sealer_sync(s); /* a writer died holding the lock, or between write and commit */
    return NLOG_OK;
}

nlog_status nlog__sealer_lock(nlog__sealer *s)
{
    pthread_mutex_lock(&s->mu);
    nlog_status st = acquire(s);
    if (st != NLOG_OK)
        pthread_mutex_unlock(&s->mu);
    return st;
}

void nlog__sealer_unlock(nlog__sealer *s)
{
    if (s->tx)
        nlog__sealer_abort(s);
    if (s->locked) {
        wunlock(s);
        s->locked = 0;
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---- anchors and checkpoints ------------------------------------------------------ */

static size_t render_anchor(nlog__sealer *s, const nlog__seal_head *w, const nlog__seal_keys *k,
                            char *o)
{
    const nlog__seal_meta *m = nlog__sealer_meta(s);
    uint8_t *proof = malloc(NLOG__SEAL_PROOF_MAX * (NLOG__SEAL_HDR_MAX + NLOG__SEAL_SIG_LEN));
    size_t plen = proof ? nlog__seal_proof_build(s->m->proof, k->epoch, proof) : 0;
    if (plen == (size_t) -1)
        plen = 0; /* cannot happen in a consistent state; the anchor gets no proof */
    size_t n = nlog__seal_anchor_render(m->stream, m->name, k->epoch, w->first_uncovered, w->prev,
                                        m->gen, m->gen_len, proof, plen, m->trans, m->trans_len,
                                        o);
    free(proof);
    return n;
}

/* Appends the checkpoint closing the range of w; moves w and *s->wk on. */
static nlog_status render_checkpoint(nlog__sealer *s, nlog__seal_head *w,
                                     const nlog__seal_keys *k, int reason,
                                     const nlog__seal_extra *cut, char *o, size_t *ret_len)
{
    const nlog__seal_meta *m = nlog__sealer_meta(s);
    nlog__seal_hdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.stream, m->stream, sizeof h.stream);
    h.epoch = k->epoch;
    h.first = w->first_uncovered;
    h.last = w->seq_next - 1;
    h.wall_ns = nlog__clock_realtime_ns();
    h.reason = (uint8_t) reason;
    h.n_keys = (uint8_t) nlog__seal_tree_next_keys(k, h.keys);
    if (h.n_keys == 0 || h.n_keys != nlog__seal_n_keys(k->epoch)) {
        nlog__sealer_problem(s, 0,
                             "the sealing state %s has used its last epoch; install a new state "
                             "(nlog keygen --sealing)",
                             s->state_path);
        return NLOG_ESTATE;
    }
    memcpy(h.prev, w->prev, 32);
    uint8_t(*tags)[NLOG__SEAL_TAG_LEN] = s->m->ptags[k->epoch & 1];
    size_t n = w->n_pending;
    range_tags(s, n, tags); /* also kept for the next checkpoint, which repeats them */
    s->m->n_ptags[k->epoch & 1] = (uint32_t) n;
    nlog__seal_hash(tags, n * NLOG__SEAL_TAG_LEN, h.tags_hash);
    range_root(s, w->prev, n, h.root);
    const uint8_t(*ptags)[NLOG__SEAL_TAG_LEN] = NULL;
    if (k->epoch > 0 && s->m->n_ptags[(k->epoch - 1) & 1] <= NLOG__SEAL_RANGE_MAX) {
        ptags = (const uint8_t(*)[NLOG__SEAL_TAG_LEN]) s->m->ptags[(k->epoch - 1) & 1];
        h.n_prev = (uint16_t) s->m->n_ptags[(k->epoch - 1) & 1];
        if (h.n_prev)
            nlog__seal_hash(ptags, (size_t) h.n_prev * NLOG__SEAL_TAG_LEN, h.prev_tags_hash);
    }

    nlog__seal_extra x;
    memset(&x, 0, sizeof x);
    if (w->has_step) {
        x.has_clock = 1;
        x.clock_step_ns = w->step_ns;
        x.clock_before = w->step_before;
    }
    x.n_frags = w->n_frags;
    memcpy(x.frag_off, w->frag_off, sizeof x.frag_off);
    memcpy(x.frag_len, w->frag_len, sizeof x.frag_len);
    if (cut && cut->has_cut && cut->has_cut_stream) {
        /* records of the stream this one replaced: its numbers are not ours,
         * so this stream's own retention bookkeeping stays as it is */
        x.has_cut = 1;
        x.has_cut_stream = 1;
        memcpy(x.cut_stream, cut->cut_stream, sizeof x.cut_stream);
        x.cut_first = cut->cut_first;
        x.cut_last = cut->cut_last;
        x.n_cut_files = cut->n_cut_files;
        memcpy(x.cut_files, cut->cut_files, sizeof x.cut_files);
    } else if (cut && cut->has_cut) {
        /* A cut speaks for everything retention deleted so far, as records
         * earlier cuts named may be gone with the segments holding them; a
         * gap before this run (deleted by something else) stays visible. */
        if (cut->cut_first != w->retained_from)
            w->cut_origin = cut->cut_first;
        x.has_cut = 1;
        x.cut_first = w->cut_origin;
        x.cut_last = cut->cut_last;
        w->retained_from = cut->cut_last + 1;
        x.n_cut_files = cut->n_cut_files;
        memcpy(x.cut_files, cut->cut_files, sizeof x.cut_files);
    }
    if (!x.has_cut && reason == NLOG__SEAL_R_REKEY && w->retained_from > w->cut_origin) {
        /* The stream's last word on retention, in its last file: the cut
         * that said it may sit in an older segment, and the stream that
         * replaces this one writes its later cuts from retained_from on,
         * not cumulatively (cut.c). */
        x.has_cut = 1;
        x.cut_first = w->cut_origin;
        x.cut_last = w->retained_from - 1;
    }
    char extra[NLOG__SEAL_EXTRA_MAX];
    size_t xl = nlog__seal_extra_render(&x, extra);
    if (xl)
        nlog__seal_hash(extra, xl, h.extra_hash);

    uint8_t sig[NLOG__SEAL_SIG_LEN];
    nlog__seal_hdr_sign(&h, k->sk, sig);
    *ret_len = nlog__seal_ckpt_render(&h, sig, (const uint8_t(*)[NLOG__SEAL_TAG_LEN]) tags, n,
                                      ptags, extra, xl, o);
    nlog__sealer_store_proof(s, &h, sig);

    nlog__seal_hdr_hash(&h, sig, w->prev);
    w->first_uncovered = w->seq_next;
    w->n_pending = 0;
    w->has_step = 0;
    w->n_frags = 0;
    *s->wk = *k;
    if (nlog__seal_tree_advance(s->wk) != 0)
        return NLOG_ESTATE;
    s->tx_keys = 1;
    s->tx_reason = reason;
    return NLOG_OK;
}

static int ensure_out(nlog__sealer *s, size_t need)
{
    if (need <= s->out_cap)
        return 0;
    size_t cap = s->out_cap ? s->out_cap : 65536;
    while (cap < need)
        cap *= 2;
    char *p = realloc(s->out, cap);
    if (!p)
        return -1;
    s->out = p;
    s->out_cap = cap;
    return 0;
}

static void add_fragment(nlog__seal_head *w, uint64_t off, uint64_t len)
{
    if (w->n_frags < NLOG__SEAL_FRAGS_MAX) {
        w->frag_off[w->n_frags] = off;
        w->frag_len[w->n_frags] = len;
        w->n_frags++;
    }
}

/* Records a wall-clock step; returns 1 if one happened just now. */
static int check_clock(nlog__seal_head *w, int64_t wall, int64_t mono)
{
    int64_t off = wall - mono;
    int stepped = 0;
    if (w->clock_mono != 0 && mono >= w->clock_mono) {
        int64_t d = off - w->clock_off;
        if (d >= CLOCK_STEP_NS || d <= -CLOCK_STEP_NS) {
            if (!w->has_step) {
                w->has_step = 1;
                w->step_ns = d;
                w->step_before = w->seq_next;
            } else {
                w->step_ns += d;
            }
            stepped = 1;
        }
    }
    w->clock_off = off;
    w->clock_mono = mono;
    return stepped;
}

nlog_status nlog__sealer_prepare(nlog__sealer *s, const nlog__seal_target *t, const char *in,
                                 size_t len, int force, const nlog__seal_extra *cut,
                                 const char **ret_out, size_t *ret_out_len, size_t *ret_used)
{
    if (!s->locked || s->tx)
        return NLOG_ESTATE;
    if (!in) { /* control writes: no lines */
        in = "";
        len = 0;
    }
    size_t max_lines = s->max_records;
    if (ensure_out(s, len + max_lines * NLOG__SEAL_MEMBER_MAX + 2 * NLOG__SEAL_CTRL_MAX + 2) != 0)
        return NLOG_ENOMEM;
    nlog__seal_head w = *nlog__sealer_head(s);
    const nlog__seal_keys *k = nlog__sealer_keys(s);
    int64_t mono = t->now ? t->now : nlog__clock_monotonic_ns();
    int64_t wall = nlog__clock_realtime_ns();
    char *o = s->out;
    s->tx_keys = 0;
    s->tx_reason = 0;

    int same = w.dev == t->dev && w.ino == t->ino;
    uint64_t size = t->size;
    if (!same && size == NLOG__SEAL_SIZE_UNKNOWN) {
        struct stat st;
        if (t->fd < 0 || fstat(t->fd, &st) != 0)
            return NLOG_EIO;
        size = (uint64_t) st.st_size;
    }
    uint64_t base = same ? w.end_off : size;
    if (same && t->frag_len) { /* a failed write of ours left bytes behind */
        add_fragment(&w, w.end_off, t->frag_len);
        base = w.end_off + t->frag_len;
        *o++ = '\n';
        w.flags &= ~NLOG__HEAD_NEWLINE;
    } else if (same && (w.flags & NLOG__HEAD_NEWLINE)) { /* found by recovery (noted there) */
        *o++ = '\n';
        w.flags &= ~NLOG__HEAD_NEWLINE;
    } else if (!same) {
        uint64_t foff;
        if (size > 0 && nlog__sealer_tail_fragment(s->log_path, t->dev, t->ino, size, &foff)) {
            add_fragment(&w, foff, size - foff);
            *o++ = '\n';
        }
        w.flags &= ~NLOG__HEAD_NEWLINE;
        o += render_anchor(s, &w, k, o);
        w.flags |= NLOG__HEAD_STARTED;
        w.dev = t->dev;
        w.ino = t->ino;
    }

    int reason = 0;
    const char *p = in, *end = in + len;
    if (check_clock(&w, wall, mono) && w.n_pending > 0) {
        reason = NLOG__SEAL_R_CLOCK; /* close the range before the step */
    } else {
        while (p < end && w.n_pending < max_lines) {
            const char *nl = memchr(p, '\n', (size_t) (end - p));
            size_t l = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
            if (nl && l >= 3 && p[0] == '{' && p[l - 2] == '}') {
                size_t n = nlog__seal_record_render(p, l, w.seq_next, o);
                nlog__seal_hash(o, n - 1, s->m->hashes[w.n_pending]);
                if (w.n_pending == 0)
                    w.pending_since = mono;
                w.n_pending++;
                w.seq_next++;
                o += n;
            } else {
                /* Not a record line (cannot come from the JSON encoder): written as is,
                 * so nothing is lost, and reported once; verification will flag it. */
                memcpy(o, p, l);
                o += l;
                if (!nl)
                    *o++ = '\n';
                if (!s->reported_unsealable) {
                    s->reported_unsealable = 1;
                    nlog__diag(NLOG_DIAG_INTERNAL, NLOG_EINVAL, 0, s->log_path,
                               "a line given to the sealed file %s is not a JSON record; it was "
                               "written unsealed",
                               s->log_path);
                }
            }
            p += l;
        }
        if (force)
            reason = force;
        else if (w.n_pending >= max_lines)
            reason = NLOG__SEAL_R_COUNT;
        else if (w.n_pending > 0 && mono - w.pending_since >= s->interval_ns)
            reason = NLOG__SEAL_R_INTERVAL;
    }
    if (reason) {
        size_t cl = 0;
        nlog_status st = render_checkpoint(s, &w, k, reason, cut, o, &cl);
        if (st != NLOG_OK)
            return st;
        o += cl;
    }
    w.end_off = base + (uint64_t) (o - s->out);
    s->w = w;
    s->tx = 1;
    __atomic_store_n(&nlog__sealer_meta(s)->writing, 1, __ATOMIC_RELEASE);
    *ret_out = s->out;
    *ret_out_len = (size_t) (o - s->out);
    *ret_used = (size_t) (p - in);
    return NLOG_OK;
}

static void switch_state(nlog__sealer *s);

void nlog__sealer_commit(nlog__sealer *s)
{
    if (!s->tx)
        return;
    if (s->w.n_pending && !nlog__sealer_head(s)->n_pending)
        __atomic_store_n(&s->poke, 1, __ATOMIC_RELAXED);
    nlog__sealer_commit_slots(s, &s->w, s->tx_keys ? s->wk : NULL);
    __atomic_store_n(&nlog__sealer_meta(s)->writing, 0, __ATOMIC_RELEASE);
    sodium_memzero(s->wk, sizeof *s->wk);
    s->tx = 0;
    s->reported = 0;
    if (s->tx_reason == NLOG__SEAL_R_REKEY)
        switch_state(s);
}

void nlog__sealer_abort(nlog__sealer *s)
{
    if (!s->tx)
        return;
    __atomic_store_n(&nlog__sealer_meta(s)->writing, 0, __ATOMIC_RELEASE);
    sodium_memzero(s->wk, sizeof *s->wk);
    s->tx = 0;
}

/* ---- control writes -------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = nlog__sys_write(fd, p + *done, n - *done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return ENOSPC;
        *done += (size_t) w;
    }
    return 0;
}

/* Opens (or keeps) the sealer's own descriptor of the file at the log path. */
static int own_fd(nlog__sealer *s, struct stat *st)
{
    struct stat ps;
    if (s->wfd >= 0 && stat(s->log_path, &ps) == 0 && (uint64_t) ps.st_dev == s->wdev &&
        (uint64_t) ps.st_ino == s->wino)
        return fstat(s->wfd, st) == 0 ? 0 : errno;
    if (s->wfd >= 0)
        (void) close(s->wfd);
    s->wfd = -1;
    int err = nlog__mkdir_p(s->dir, 0750);
    if (err)
        return err;
    int fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0)
        return errno;
    if (fstat(fd, st) != 0) {
        err = errno;
        (void) close(fd);
        return err;
    }
    s->wfd = fd;
    s->wdev = (uint64_t) st->st_dev;
    s->wino = (uint64_t) st->st_ino;
    return 0;
}

static nlog_status control_locked(nlog__sealer *s, int reason, const nlog__seal_extra *cut)
{
    const nlog__seal_head *h = nlog__sealer_head(s);
    int64_t now = nlog__clock_monotonic_ns();
    if (reason == NLOG__SEAL_R_INTERVAL &&
        (h->n_pending == 0 || now - h->pending_since < s->interval_ns))
        return NLOG_OK;
    if (reason == NLOG__SEAL_R_CLOSE && h->n_pending == 0)
        return NLOG_OK;
    if (reason == NLOG__SEAL_R_REKEY && !(h->flags & NLOG__HEAD_STARTED)) {
        switch_state(s); /* nothing written with the old state: just replace it */
        return NLOG_OK;
    }
    struct stat st;
    int err = own_fd(s, &st);
    if (err) {
        nlog__sealer_problem(s, err, "cannot open %s to write a checkpoint: %s", s->log_path,
                             strerror(err));
        return NLOG_EIO;
    }
    nlog__seal_target t = {s->wfd, (uint64_t) st.st_dev, (uint64_t) st.st_ino,
                           (uint64_t) st.st_size, 0, 0};
    const char *out;
    size_t out_len, used;
    nlog_status rc = nlog__sealer_prepare(s, &t, NULL, 0, reason, cut, &out, &out_len, &used);
    if (rc != NLOG_OK)
        return rc;
    size_t done;
    err = write_all(s->wfd, out, out_len, &done);
    if (err) {
        if (done && ftruncate(s->wfd, (off_t) st.st_size) != 0) {
            /* the fragment stays; the next write starts on a new line and notes it */
            nlog__seal_head w = *nlog__sealer_head(s);
            if (w.dev == t.dev && w.ino == t.ino) {
                add_fragment(&w, w.end_off, done);
                w.flags |= NLOG__HEAD_NEWLINE;
                w.end_off += done;
                nlog__sealer_abort(s);
                nlog__sealer_commit_slots(s, &w, NULL);
            } else {
                nlog__sealer_abort(s);
            }
        } else {
            nlog__sealer_abort(s);
        }
        nlog__sealer_problem(s, err, "cannot write a checkpoint to %s: %s; retried later",
                             s->log_path, strerror(err));
        return NLOG_EIO;
    }
    nlog__sealer_commit(s);
    return NLOG_OK;
}

nlog_status nlog__sealer_control(nlog__sealer *s, int reason, const nlog__seal_extra *cut)
{
    nlog_status st = nlog__sealer_lock(s);
    if (st != NLOG_OK)
        return st;
    st = control_locked(s, reason, cut);
    nlog__sealer_unlock(s);
    return st;
}

/* ---- key change, upkeep ---------------------------------------------------------- */

/* Replaces the state by <name>.seal.next. Called with the writers' lock held, after
 * the old stream's last checkpoint (reason rekey) is committed. */
static void switch_state(nlog__sealer *s)
{
    nlog__seal_meta *m = nlog__sealer_meta(s);
    if (rename(s->next_path, s->state_path) != 0) {
        s->rekey_wanted = 0;
        nlog__sealer_problem(s, errno, "cannot install the new sealing state %s: %s",
                             s->next_path, strerror(errno));
        return;
    }
    /* Nothing of the old stream's keys is needed any more. */
    sodium_memzero(s->m->keys, sizeof s->m->keys);
    __atomic_store_n(&m->superseded, 1, __ATOMIC_RELEASE);
    (void) msync(s->m, sizeof *s->m, MS_SYNC);
    wunlock(s);
    s->locked = 0;
    s->rekey_wanted = 0;
    if (reattach(s) == NLOG_OK) {
        int rc = wlock(s);
        if (rc <= 1) {
            s->locked = 1;
            if (rc == 1)
                nlog__sealer_sync(s);
        }
    }
}

void nlog__sealer_upkeep(nlog__sealer *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->broken || !s->m) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    nlog__seal_meta *m = nlog__sealer_meta(s);
    uint64_t gen = __atomic_load_n(&m->generation, __ATOMIC_ACQUIRE);
    if (gen != s->synced_gen && msync(s->m, sizeof *s->m, MS_SYNC) == 0)
        s->synced_gen = gen;
    if (m->wipe_pending && acquire(s) == NLOG_OK) {
        /* The state that replaced the older key slot was on disk when msync
         * returned; only then is the older slot wiped. */
        if (m->wipe_pending && s->synced_gen >= m->wipe_gen) {
            unsigned sel = nlog__sealer_sel(s);
            sodium_memzero(&s->m->keys[(sel & 1) ^ 1u], sizeof s->m->keys[0]);
            m->wipe_pending = 0;
        }
        wunlock(s);
        s->locked = 0;
    }
    if (!s->rekey_wanted && exists(s->next_path))
        s->rekey_wanted = 1;
    int rekey = s->rekey_wanted;
    pthread_mutex_unlock(&s->mu);
    if (rekey && nlog__sealer_control(s, NLOG__SEAL_R_REKEY, NULL) != NLOG_OK)
        return; /* reported; tried again at the next upkeep */
}

int64_t nlog__sealer_due_at(nlog__sealer *s)
{
    pthread_mutex_lock(&s->mu);
    int64_t due = INT64_MAX;
    if (!s->broken && s->m) {
        const nlog__seal_head *h = nlog__sealer_head(s);
        if (h->n_pending)
            due = h->pending_since + s->interval_ns;
    }
    pthread_mutex_unlock(&s->mu);
    return due;
}

int nlog__sealer_take_poke(nlog__sealer *s)
{
    return __atomic_exchange_n(&s->poke, 0, __ATOMIC_RELAXED);
}

const char *nlog__sealer_log_path(const nlog__sealer *s)
{
    return s->log_path;
}

const char *nlog__sealer_state_path(const nlog__sealer *s)
{
    return s->state_path;
}

uint64_t nlog__sealer_next_seq(nlog__sealer *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t v = s->m ? nlog__sealer_head(s)->seq_next : 0;
    pthread_mutex_unlock(&s->mu);
    return v;
}
