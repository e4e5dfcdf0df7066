/* verify.c: the verification engine (see verify.h and docs/FORMAT.md,
 * "Verification").
 *
 * Trust flows one way: a master key the caller trusts (or one it vouched
 * for through transitions) signs a stream's genesis; the genesis names the
 * key of epoch 0; each verified checkpoint names the key of the next epoch
 * (and of later ones, which anchors use as a proof); an anchor proves the
 * key of its epoch from the genesis through at most 41 checkpoints. While
 * the verifier holds a certified key for the next checkpoint the stream is
 * "trusted"; a checkpoint that cannot be checked (bad signature, unknown
 * epoch) ends that until an anchor proves a key again, and the problems it
 * would cause meanwhile are not reported a second time. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/compiler.h"
#include "seal/b64.h"
#include "seal/verify.h"

#define KNOWN_MAX 256 /* keys of later epochs remembered */

typedef struct vpend {
    uint64_t seq;
    uint64_t off;
    size_t file;
    uint8_t hash[NLOG__SEAL_HASH_LEN];
} vpend;

typedef struct vmal {
    uint64_t off, len;
    uint64_t seq; /* the sequence number expected there */
    int plain;    /* no seal at all (else: looks sealed, but is not well formed) */
} vmal;

typedef struct vcut {
    uint64_t first, last;
} vcut;

struct nlog__vlog {
    char name[4400];
    const nlog__vkeys *keys;
    const nlog__vagainst *against;
    int allow_partial;
    size_t max_problems;
    nlog_seal_log_summary sum;

    char **files;
    size_t n_files, cap_files;
    size_t cur;
    int cur_last;            /* the current file is the log's last */
    int first_line;          /* the next line is the first of its file */
    int last_rotate;         /* the last line of the current file so far is a rotate checkpoint */
    int prev_complete;       /* the previous file ended with a rotate checkpoint */
    int cut_file;            /* the current file ends with an incomplete line (not the last) */
    int prev_cut;
    size_t prev_file_mal;    /* odd lines the previous file had after its last checkpoint */
    uint64_t prev_file_mal_off; /* the offset of the last of them */
    int missing_reported;    /* the checkpoint before the next one is missing, reported already */

    nlog__vproblem *probs;
    size_t n_probs, cap_probs;

    int have_stream;
    int trusted;
    int reported_nostream;
    uint8_t stream[NLOG__SEAL_STREAM_LEN];
    uint64_t epoch;          /* of the next checkpoint */
    uint8_t key[NLOG__SEAL_PK_LEN]; /* the key of `epoch` as the anchor proved it */
    /* Keys certified for later epochs by verified checkpoints (epoch + 2^j). */
    size_t n_known;
    uint64_t known_epoch[KNOWN_MAX];
    uint8_t known_key[KNOWN_MAX][NLOG__SEAL_PK_LEN];
    uint8_t prev[NLOG__SEAL_HASH_LEN];
    int prev_known;          /* prev is the hash of the checkpoint just before */
    /* The tags of the last verified checkpoint (its successor repeats them). */
    int last_valid;          /* last_* hold the checkpoint just before */
    uint64_t last_first;
    size_t last_n;
    uint8_t last_tags[NLOG__SEAL_RANGE_MAX][NLOG__SEAL_TAG_LEN];
    /* A checkpoint that did not verify, judged when the next one does. */
    int suspect;
    nlog_seal_kind suspect_kind;
    uint64_t suspect_epoch, suspect_first, suspect_last;
    int64_t suspect_off;
    size_t suspect_file, suspect_n;
    uint8_t suspect_tags[NLOG__SEAL_RANGE_MAX][NLOG__SEAL_TAG_LEN];
    uint64_t first_uncovered;
    uint64_t max_seq;

    vpend *pend;
    size_t n_pend, cap_pend;
    int pend_full;
    vmal *mal;
    size_t n_mal, cap_mal;
    /* odd lines beyond NLOG__VLOG_ODD_MAX since the last checkpoint: counted */
    uint64_t odd_over, odd_over_plain, odd_over_off, odd_over_seq;

    uint64_t head_first;     /* the first stream starts at this seq (0: at its genesis) */
    uint8_t head_stream[NLOG__SEAL_STREAM_LEN]; /* the first stream; only its cuts explain the head */
    uint64_t head_prior_epoch;                  /* head_first > 0: the epoch before its anchor's */
    uint8_t head_prior_hash[NLOG__SEAL_HASH_LEN]; /* ... and that checkpoint's chain hash */
    vcut *cuts;
    size_t n_cuts, cap_cuts;

    /* For export: the stream's identity and the proof slots. */
    uint8_t gen[NLOG__SEAL_GEN_MAX + NLOG__SEAL_SIG_LEN];
    size_t gen_len;
    uint8_t trans[NLOG__SEAL_TRANS_MAX * (NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN)];
    size_t trans_len;
    char gen_name[NLOG__SEAL_NAME_MAX + 1];
    nlog__seal_proof_slot slots[NLOG__SEAL_DEPTH + 1];
    char *last_line;
    size_t last_len;
    nlog__seal_hdr last_hdr;
    int have_last;

    int against_state;       /* 0 not met yet, 1 matched, -1 contradicted */
    int against_seen;        /* the exported checkpoint's stream is in this log */
    int against_concerned;   /* the exported checkpoint is about this log (after finish) */
    int last_partial;        /* the log's last line is incomplete */
    uint64_t trailing_ended; /* records of streams that were replaced, never covered */

    nlog__seal_ckpt *ck;
    nlog__seal_anchor *an;
    uint8_t cnt[NLOG__SEAL_RANGE_MAX];
    uint8_t bad[NLOG__SEAL_RANGE_MAX];
    int32_t idx[NLOG__SEAL_RANGE_MAX];
};

/* ---- helpers -------------------------------------------------------------------- */

static void problem(nlog__vlog *v, nlog_seal_kind kind, uint64_t seq, int64_t off,
                    const char *fmt, ...) NLOG__PRINTF(5, 6);

static void problem(nlog__vlog *v, nlog_seal_kind kind, uint64_t seq, int64_t off,
                    const char *fmt, ...)
{
    v->sum.problems++;
    if (v->n_probs >= v->max_problems)
        return;
    if (v->n_probs == v->cap_probs) {
        size_t nc = v->cap_probs ? v->cap_probs * 2 : 16;
        nlog__vproblem *np = realloc(v->probs, nc * sizeof *np);
        if (!np)
            return;
        v->probs = np;
        v->cap_probs = nc;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    nlog__vproblem *p = &v->probs[v->n_probs];
    p->message = strdup(msg);
    if (!p->message)
        return;
    p->kind = kind;
    p->seq = seq;
    p->offset = off;
    p->file = v->cur;
    v->n_probs++;
}

static int grow(void **p, size_t *cap, size_t need, size_t item)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * item);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

static void lose_trust(nlog__vlog *v)
{
    v->trusted = 0;
    v->last_valid = 0;
    v->n_pend = 0;
    v->suspect = 0;
    v->prev_known = 0;
    v->missing_reported = 0;
}

/* Key certified for `epoch` at this point, or NULL. */
static const uint8_t *key_for(const nlog__vlog *v, uint64_t epoch)
{
    for (size_t i = 0; i < v->n_known; i++)
        if (v->known_epoch[i] == epoch)
            return v->known_key[i];
    return NULL;
}

/* Remembers the key of `epoch` (a verified checkpoint or anchor vouches for
 * it); forgets keys of epochs already passed, and the farthest when full. */
static void know_key(nlog__vlog *v, uint64_t epoch, const uint8_t *pk)
{
    size_t j = 0, far = 0;
    for (size_t i = 0; i < v->n_known; i++) {
        if (v->known_epoch[i] < v->epoch || v->known_epoch[i] == epoch)
            continue;
        if (j != i) {
            v->known_epoch[j] = v->known_epoch[i];
            memcpy(v->known_key[j], v->known_key[i], NLOG__SEAL_PK_LEN);
        }
        if (v->known_epoch[j] > v->known_epoch[far])
            far = j;
        j++;
    }
    v->n_known = j;
    if (v->n_known == KNOWN_MAX) {
        if (v->known_epoch[far] < epoch)
            return;
        v->known_epoch[far] = epoch;
        memcpy(v->known_key[far], pk, NLOG__SEAL_PK_LEN);
        return;
    }
    v->known_epoch[v->n_known] = epoch;
    memcpy(v->known_key[v->n_known], pk, NLOG__SEAL_PK_LEN);
    v->n_known++;
}

static void store_slot(nlog__vlog *v, const nlog__seal_hdr *h, const uint8_t *sig)
{
    nlog__seal_proof_slot *p = &v->slots[nlog__seal_proof_level(h->epoch)];
    size_t n = nlog__seal_hdr_encode(h, p->data);
    memcpy(p->data + n, sig, NLOG__SEAL_SIG_LEN);
    p->len = (uint32_t) (n + NLOG__SEAL_SIG_LEN);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

nlog__vlog *nlog__vlog_create(const char *name, const nlog__vkeys *keys,
                              const nlog__vagainst *against, int allow_partial,
                              size_t max_problems)
{
    nlog__vlog *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->ck = malloc(sizeof *v->ck);
    v->an = malloc(sizeof *v->an);
    if (!v->ck || !v->an) {
        nlog__vlog_destroy(v);
        return NULL;
    }
    snprintf(v->name, sizeof v->name, "%s", name);
    v->sum.name = v->name;
    v->keys = keys;
    v->against = against;
    v->allow_partial = allow_partial;
    v->max_problems = max_problems ? max_problems : 100;
    if (v->max_problems > 1000000) /* each kept problem holds its message */
        v->max_problems = 1000000;
    return v;
}

void nlog__vlog_destroy(nlog__vlog *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_files; i++)
        free(v->files[i]);
    free(v->files);
    for (size_t i = 0; i < v->n_probs; i++)
        free(v->probs[i].message);
    free(v->probs);
    free(v->pend);
    free(v->mal);
    free(v->cuts);
    free(v->last_line);
    free(v->ck);
    free(v->an);
    free(v);
}

/* Malformed lines of the current file that no fragment note explained. */
static void flush_malformed(nlog__vlog *v)
{
    for (size_t i = 0; i < v->n_mal; i++) {
        if (v->mal[i].plain)
            problem(v, NLOG_SEAL_UNSEALED, v->mal[i].seq, (int64_t) v->mal[i].off,
                    "a line without a seal in the sealed part (inserted, or written by a "
                    "process that does not seal)");
        else
            problem(v, NLOG_SEAL_MALFORMED, v->mal[i].seq, (int64_t) v->mal[i].off,
                    "a line of %llu bytes in the sealed part is neither a sealed record nor a "
                    "valid control line",
                    (unsigned long long) v->mal[i].len);
    }
    v->n_mal = 0;
    if (v->odd_over) {
        problem(v, v->odd_over_plain == v->odd_over ? NLOG_SEAL_UNSEALED : NLOG_SEAL_MALFORMED,
                v->odd_over_seq, (int64_t) v->odd_over_off,
                "%llu more lines in the sealed part are not sealed records (%llu without a "
                "seal, %llu malformed), from this byte on; only the first %d are listed",
                (unsigned long long) v->odd_over, (unsigned long long) v->odd_over_plain,
                (unsigned long long) (v->odd_over - v->odd_over_plain), NLOG__VLOG_ODD_MAX);
        v->odd_over = v->odd_over_plain = 0;
    }
}

void nlog__vlog_file(nlog__vlog *v, const char *path, int last)
{
    v->prev_file_mal = v->n_mal;
    v->prev_file_mal_off = v->n_mal ? v->mal[v->n_mal - 1].off : 0;
    if (v->n_files)
        flush_malformed(v);
    if (grow((void **) &v->files, &v->cap_files, v->n_files + 1, sizeof *v->files) != 0)
        return;
    v->files[v->n_files] = strdup(path);
    if (!v->files[v->n_files])
        return;
    v->cur = v->n_files++;
    v->sum.files = v->n_files;
    v->prev_complete = v->n_files > 1 && v->last_rotate && !v->cut_file;
    v->prev_cut = v->cut_file;
    v->cut_file = 0;
    v->last_rotate = 0;
    v->cur_last = last;
    v->first_line = 1;
}

/* ---- records and odd lines ---------------------------------------------------------- */

static void on_record(nlog__vlog *v, uint64_t seq, const char *line, size_t len, uint64_t off)
{
    v->sum.records++;
    if (!v->have_stream) {
        if (!v->reported_nostream)
            problem(v, NLOG_SEAL_UNKNOWN_KEY_EPOCH, seq, (int64_t) off,
                    "sealed record %llu comes before any anchor: no key is certified for it "
                    "(the beginning of the log or its anchor line is missing)",
                    (unsigned long long) seq);
        v->reported_nostream = 1;
        return;
    }
    if (seq > v->max_seq)
        v->max_seq = seq;
    if (!v->trusted)
        return;
    if (v->n_pend >= NLOG__VLOG_PENDING_MAX) {
        if (!v->pend_full)
            problem(v, NLOG_SEAL_CHAIN_BREAK, v->first_uncovered, (int64_t) off,
                    "more than %d records follow the last checkpoint; the writer never leaves "
                    "more than 1000 uncovered",
                    NLOG__VLOG_PENDING_MAX);
        v->pend_full = 1;
        return;
    }
    if (grow((void **) &v->pend, &v->cap_pend, v->n_pend + 1, sizeof *v->pend) != 0)
        return;
    vpend *p = &v->pend[v->n_pend++];
    p->seq = seq;
    p->off = off;
    p->file = v->cur;
    nlog__seal_hash(line, len, p->hash);
}

static uint64_t expected_seq(const nlog__vlog *v)
{
    uint64_t s = v->max_seq + 1;
    return s > v->first_uncovered ? s : v->first_uncovered;
}

/* A line that is not part of the stream: before the first anchor it is
 * counted; after it, it waits for the next checkpoint of the file, which may
 * note it as a crash fragment, and is a problem otherwise. */
static void on_odd(nlog__vlog *v, uint64_t off, size_t len, int plain)
{
    if (!v->have_stream) {
        v->sum.unsealed_leading++;
        return;
    }
    if (v->n_mal >= NLOG__VLOG_ODD_MAX ||
        grow((void **) &v->mal, &v->cap_mal, v->n_mal + 1, sizeof *v->mal) != 0) {
        /* bounded memory: the rest is one problem, reported with the others */
        if (!v->odd_over++) {
            v->odd_over_off = off;
            v->odd_over_seq = expected_seq(v);
        }
        v->odd_over_plain += plain != 0;
        return;
    }
    v->mal[v->n_mal].off = off;
    v->mal[v->n_mal].len = len;
    v->mal[v->n_mal].seq = expected_seq(v);
    v->mal[v->n_mal].plain = plain;
    v->n_mal++;
}

static void on_malformed(nlog__vlog *v, uint64_t off, size_t len)
{
    on_odd(v, off, len, 0);
}

/* ---- checkpoints ------------------------------------------------------------------------ */

/* Checks the pending records of a..b against tags (trusted: from a verified
 * checkpoint, or repeated by its successor); with `root`, also the root over
 * their full hashes from `prev`. Records below old_first are copies of
 * covered ones. Returns the number of problems found in the range. */
static unsigned check_range(nlog__vlog *v, uint64_t a, uint64_t b,
                            const uint8_t (*tags)[NLOG__SEAL_TAG_LEN], const uint8_t *root_want,
                            const uint8_t *prev, uint64_t epoch, uint64_t old_first)
{
    const size_t n = b + 1 > a ? (size_t) (b + 1 - a) : 0;
    unsigned found = 0;
    memset(v->cnt, 0, n);
    memset(v->bad, 0, n);
    for (size_t i = 0; i < n; i++)
        v->idx[i] = -1;
    uint64_t run_max = 0;
    int order_done = 0;
    for (size_t k = 0; k < v->n_pend; k++) {
        vpend *e = &v->pend[k];
        if (e->seq < a) {
            if (e->seq < old_first) {
                v->cur = e->file;
                problem(v, NLOG_SEAL_SEQ_DUP, e->seq, (int64_t) e->off,
                        "record %llu appears again after the checkpoint that covers it",
                        (unsigned long long) e->seq);
                found++;
            } /* else: in the range of a missing checkpoint, already reported */
            continue;
        }
        if (e->seq > b) {
            if (!root_want)
                continue; /* the tags repeated by a successor: the rest is its own range */
            v->cur = e->file;
            problem(v, NLOG_SEAL_ORDER, e->seq, (int64_t) e->off,
                    "record %llu appears before the checkpoint that covers %llu..%llu",
                    (unsigned long long) e->seq, (unsigned long long) a,
                    (unsigned long long) b);
            found++;
            continue; /* kept: covered later */
        }
        size_t i = (size_t) (e->seq - a);
        if (v->cnt[i] < 255)
            v->cnt[i]++;
        /* idx: the copy to report (the first that does not match), else the
         * copy that matches (for the root) */
        if (memcmp(e->hash, tags[i], NLOG__SEAL_TAG_LEN) != 0) { /* public data */
            if (!v->bad[i]) {
                v->bad[i] = 1;
                v->idx[i] = (int32_t) k;
            }
        } else if (v->idx[i] < 0) {
            v->idx[i] = (int32_t) k;
        }
        if (v->cnt[i] == 1) {
            if (e->seq < run_max && !order_done) {
                v->cur = e->file;
                problem(v, NLOG_SEAL_ORDER, e->seq, (int64_t) e->off,
                        "record %llu comes after record %llu", (unsigned long long) e->seq,
                        (unsigned long long) run_max);
                order_done = 1;
                found++;
            }
            if (e->seq > run_max)
                run_max = e->seq;
        }
    }
    size_t cur = v->cur;
    for (size_t i = 0; i < n; i++) {
        if (v->cnt[i] == 1 && !v->bad[i])
            continue;
        uint64_t seq = a + i;
        int64_t off = -1;
        v->cur = cur;
        if (v->idx[i] >= 0) {
            off = (int64_t) v->pend[v->idx[i]].off;
            v->cur = v->pend[v->idx[i]].file;
        }
        if (v->cnt[i] == 0) {
            size_t j = i;
            while (j + 1 < n && v->cnt[j + 1] == 0)
                j++;
            /* where the gap shows: the next record after it */
            uint64_t best = UINT64_MAX;
            for (size_t k = 0; k < v->n_pend; k++)
                if (v->pend[k].seq > a + j && v->pend[k].seq < best) {
                    best = v->pend[k].seq;
                    off = (int64_t) v->pend[k].off;
                    v->cur = v->pend[k].file;
                }
            problem(v, NLOG_SEAL_SEQ_GAP, seq, off,
                    j == i ? "record %llu is missing" : "records %llu..%llu are missing",
                    (unsigned long long) seq, (unsigned long long) (a + j));
            found++;
            i = j;
        } else if (v->bad[i]) {
            problem(v, NLOG_SEAL_MAC_MISMATCH, seq, off,
                    "record %llu differs from what its checkpoint sealed (epoch %llu)",
                    (unsigned long long) seq, (unsigned long long) epoch);
            found++;
        } else {
            problem(v, NLOG_SEAL_SEQ_DUP, seq, off, "record %llu appears %u times",
                    (unsigned long long) seq, (unsigned) v->cnt[i]);
            found++;
        }
    }
    v->cur = cur;
    if (!found && root_want) {
        /* every tag matched once: the root binds the full hashes */
        crypto_generichash_state st;
        uint8_t root[32];
        crypto_generichash_init(&st, NULL, 0, 32);
        crypto_generichash_update(&st, prev, 32);
        for (size_t i = 0; i < n; i++)
            crypto_generichash_update(&st, v->pend[v->idx[i]].hash, 32);
        crypto_generichash_final(&st, root, 32);
        if (memcmp(root, root_want, 32) != 0) {
            problem(v, NLOG_SEAL_CHAIN_BREAK, a, -1,
                    "the records %llu..%llu match their tags but not the checkpoint's root",
                    (unsigned long long) a, (unsigned long long) b);
            found++;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (v->cnt[i])
            v->sum.sealed_records++;
    size_t keep = 0;
    for (size_t k = 0; k < v->n_pend; k++)
        if (v->pend[k].seq > b)
            v->pend[keep++] = v->pend[k];
    v->n_pend = keep;
    return found;
}

static void add_cut(nlog__vlog *v, uint64_t first, uint64_t last)
{
    if (last < first ||
        grow((void **) &v->cuts, &v->cap_cuts, v->n_cuts + 1, sizeof *v->cuts) != 0)
        return;
    v->cuts[v->n_cuts].first = first;
    v->cuts[v->n_cuts].last = last;
    v->n_cuts++;
}

static void apply_notes(nlog__vlog *v, const nlog__seal_extra *x)
{
    if (x->has_clock)
        v->sum.clock_steps++;
    for (size_t f = 0; f < x->n_frags; f++)
        for (size_t i = 0; i < v->n_mal; i++)
            if (v->mal[i].off == x->frag_off[f] && v->mal[i].len == x->frag_len[f]) {
                v->sum.crash_fragments++;
                v->mal[i] = v->mal[--v->n_mal];
                break;
            }
    /* A cut only explains the missing beginning of the stream the log starts
     * with, and only up to its first anchor, whose place the signature of
     * the epoch before it fixes (anchor_placed()): a key of a later epoch
     * cannot move it. The cut is that stream's own, or, after a key change,
     * one a later stream of this log wrote naming it (the earlier stream
     * writes no more); a cut naming any other stream explains nothing. */
    const uint8_t *of = x->has_cut_stream ? x->cut_stream : v->stream;
    if (x->has_cut && memcmp(of, v->head_stream, sizeof v->head_stream) == 0)
        add_cut(v, x->cut_first, x->cut_last);
}

/* Reports the checkpoint that did not verify, now that the one after it
 * (c, verified; NULL at the end) may tell where it was altered. */
static void judge_suspect(nlog__vlog *v, const nlog__seal_ckpt *c)
{
    if (!v->suspect)
        return;
    v->suspect = 0;
    uint64_t seq = v->first_uncovered;
    if (c && c->hdr.n_prev && c->hdr.first - c->hdr.n_prev == v->first_uncovered) {
        /* the first record whose tag the altered checkpoint changed */
        uint64_t a = v->first_uncovered, b = c->hdr.first - 1;
        uint64_t i;
        for (i = a; i <= b; i++) {
            if (i < v->suspect_first || i > v->suspect_last)
                break;
            if (memcmp(v->suspect_tags[i - v->suspect_first], c->prev_tags[i - a],
                       NLOG__SEAL_TAG_LEN) != 0)
                break;
        }
        seq = i <= b ? i : a;
    }
    size_t cur = v->cur;
    v->cur = v->suspect_file;
    problem(v, v->suspect_kind, seq, v->suspect_off,
            v->suspect_kind == NLOG_SEAL_UNKNOWN_KEY_EPOCH
                ? "a checkpoint claims epoch %llu, but no key is certified for it here (expected "
                  "epoch %llu)"
                : "the checkpoint of epoch %llu does not verify with the key certified for it "
                  "(expected epoch %llu)",
            (unsigned long long) v->suspect_epoch, (unsigned long long) (v->epoch - 1));
    v->cur = cur;
}

static void on_checkpoint(nlog__vlog *v, const char *line, size_t len, uint64_t off)
{
    char why[256];
    nlog__seal_ckpt *c = v->ck;
    if (nlog__seal_ckpt_parse(line, len, c, why, sizeof why) != 0) {
        on_malformed(v, off, len);
        return;
    }
    if (!v->have_stream) {
        if (!v->reported_nostream)
            problem(v, NLOG_SEAL_UNKNOWN_KEY_EPOCH, c->hdr.first, (int64_t) off,
                    "a checkpoint (epoch %llu) comes before any anchor: no key is certified "
                    "for it",
                    (unsigned long long) c->hdr.epoch);
        v->reported_nostream = 1;
        return;
    }
    const uint64_t fu = v->first_uncovered, e = c->hdr.epoch;
    /* Another stream's id inside this stream: one writer state writes one
     * stream, so it is this stream's checkpoint damaged (or one spliced in):
     * judged like a checkpoint that does not verify, by the next one. */
    const int foreign = memcmp(c->hdr.stream, v->stream, sizeof v->stream) != 0;
    const uint8_t *k = foreign ? NULL : key_for(v, e);
    int valid = k && nlog__seal_hdr_verify(&c->hdr, c->sig, k);
    /* A genuine key of a later epoch signing the range the next epoch should
     * cover is someone with a stolen state re-sealing the past: judged like
     * a checkpoint that does not verify. (A later epoch after a range that
     * jumps is a deleted checkpoint, reported below.) */
    if (valid && v->trusted && e != v->epoch && c->hdr.first <= fu)
        valid = 0;
    if (!valid) {
        if (!v->trusted)
            return;
        if (v->suspect) { /* two in a row: the first is judged without help */
            judge_suspect(v, NULL);
            v->prev_known = 0;
        }
        v->suspect = 1;
        v->suspect_kind = foreign                ? NLOG_SEAL_CHECKPOINT_SIG
                          : !k || e != v->epoch ? NLOG_SEAL_UNKNOWN_KEY_EPOCH
                                                : NLOG_SEAL_CHECKPOINT_SIG;
        v->suspect_epoch = e;
        v->suspect_first = c->hdr.first;
        v->suspect_last = c->hdr.last;
        v->suspect_off = (int64_t) off;
        v->suspect_file = v->cur;
        v->suspect_n = c->n_tags;
        memcpy(v->suspect_tags, c->tags, c->n_tags * NLOG__SEAL_TAG_LEN);
        v->epoch++; /* it stands where the checkpoint of the expected epoch was */
        v->prev_known = 0;
        return;
    }
    if (!v->trusted) {
        /* A key vouched for earlier signs it: trust comes back. What could not
         * be checked meanwhile was reported when trust went. */
        v->trusted = 1;
        v->n_pend = 0;
        v->prev_known = 0;
        v->first_uncovered = c->hdr.first;
        goto accept;
    }
    int reported = v->suspect || v->missing_reported;
    v->missing_reported = 0;
    judge_suspect(v, c);
    if (!reported && c->hdr.first > fu && v->n_mal) {
        /* the odd line before this checkpoint is the missing one, damaged */
        const vmal *m = &v->mal[--v->n_mal];
        problem(v, NLOG_SEAL_MALFORMED, fu, (int64_t) m->off,
                "a damaged line of %llu bytes stands where the checkpoint of epoch %llu "
                "(records %llu..%llu) should be",
                (unsigned long long) m->len, (unsigned long long) v->epoch,
                (unsigned long long) fu, (unsigned long long) (c->hdr.first - 1));
        reported = 1;
    } else if (!reported && c->hdr.first > fu) {
        problem(v, NLOG_SEAL_CHAIN_BREAK, fu, (int64_t) off,
                "no checkpoint covers records %llu..%llu: the checkpoint of epoch %llu is missing",
                (unsigned long long) fu, (unsigned long long) (c->hdr.first - 1),
                (unsigned long long) v->epoch);
        reported = 1;
    } else if (c->hdr.first < fu) {
        problem(v, NLOG_SEAL_CHAIN_BREAK, c->hdr.first, (int64_t) off,
                "a checkpoint for %llu..%llu overlaps the previous one, which ended at %llu",
                (unsigned long long) c->hdr.first, (unsigned long long) c->hdr.last,
                (unsigned long long) (fu - 1));
        reported = 1;
    }
    uint64_t gap_epochs = e > v->epoch ? e - v->epoch : 0;
    if (!reported && e != v->epoch) {
        problem(v, NLOG_SEAL_UNKNOWN_KEY_EPOCH, fu, (int64_t) off,
                "a checkpoint claims epoch %llu where epoch %llu comes next",
                (unsigned long long) e, (unsigned long long) v->epoch);
        reported = 1;
    }
    if (!reported && v->prev_known && memcmp(c->hdr.prev, v->prev, 32) != 0) {
        problem(v, NLOG_SEAL_CHAIN_BREAK, fu, (int64_t) off,
                "the checkpoint (epoch %llu) does not continue the previous one",
                (unsigned long long) e);
        reported = 1;
    }
    if (c->hdr.first > fu) {
        /* Records whose own checkpoint is missing or altered: its successor
         * repeats their tags, so they are still checked one by one. */
        if (gap_epochs <= 1 && c->hdr.n_prev && c->hdr.first - c->hdr.n_prev == fu)
            (void) check_range(v, fu, c->hdr.first - 1,
                               (const uint8_t(*)[NLOG__SEAL_TAG_LEN]) c->prev_tags, NULL, NULL,
                               e - 1, fu);
    } else if (v->prev_known && v->last_valid && c->hdr.n_prev) {
        /* both checkpoints are signed: the repeated tags must agree */
        int same = c->hdr.n_prev == v->last_n && v->last_first + v->last_n == c->hdr.first;
        for (size_t i = 0; same && i < v->last_n; i++)
            same = memcmp(c->prev_tags[i], v->last_tags[i], NLOG__SEAL_TAG_LEN) == 0;
        if (!same && !reported)
            problem(v, NLOG_SEAL_CHAIN_BREAK, v->last_first, (int64_t) off,
                    "the checkpoint of epoch %llu repeats other tags for records %llu..%llu "
                    "than the checkpoint before it",
                    (unsigned long long) e, (unsigned long long) v->last_first,
                    (unsigned long long) (fu - 1));
    }
    (void) check_range(v, c->hdr.first, c->hdr.last,
                       (const uint8_t(*)[NLOG__SEAL_TAG_LEN]) c->tags, c->hdr.root, c->hdr.prev,
                       e, c->hdr.first > fu ? c->hdr.first : fu);
accept:
    apply_notes(v, &c->extra);
    if (v->against && memcmp(v->against->stream, v->stream, sizeof v->stream) == 0 &&
        e == v->against->hdr.epoch) {
        uint8_t h[32];
        nlog__seal_hdr_hash(&c->hdr, c->sig, h);
        if (memcmp(h, v->against->hash, 32) == 0) {
            v->against_state = 1;
        } else {
            v->against_state = -1;
            problem(v, NLOG_SEAL_ROLLBACK, c->hdr.first, (int64_t) off,
                    "the checkpoint of epoch %llu differs from the exported one: the log was "
                    "rewritten from an older state",
                    (unsigned long long) e);
        }
    }
    flush_malformed(v);
    v->sum.checkpoints++;
    if (c->n_tags) {
        if (!v->sum.sealed_first)
            v->sum.sealed_first = c->hdr.first;
        v->sum.sealed_last = c->hdr.last;
    }
    nlog__seal_hdr_hash(&c->hdr, c->sig, v->prev);
    v->prev_known = 1;
    v->first_uncovered = c->hdr.last + 1;
    if (c->hdr.last > v->max_seq)
        v->max_seq = c->hdr.last;
    v->epoch = e + 1;
    for (unsigned j = 0; j < c->hdr.n_keys; j++)
        know_key(v, e + ((uint64_t) 1 << j), c->hdr.keys[j]);
    v->last_valid = 1;
    v->last_first = c->hdr.first;
    v->last_n = c->n_tags;
    memcpy(v->last_tags, c->tags, c->n_tags * NLOG__SEAL_TAG_LEN);
    store_slot(v, &c->hdr, c->sig);
    char *copy = realloc(v->last_line, len);
    if (copy) {
        memcpy(copy, line, len);
        v->last_line = copy;
        v->last_len = len;
        v->last_hdr = c->hdr;
        v->have_last = 1;
    }
    v->last_rotate = c->hdr.reason == NLOG__SEAL_R_ROTATE;
}

/* ---- anchors -------------------------------------------------------------------------- */

/* Whether a trusted key signs the genesis, directly or through transitions. */
static int master_trusted(const nlog__vlog *v, const nlog__seal_anchor *a, char *why,
                          size_t why_size)
{
    uint8_t cur[NLOG__SEAL_PK_LEN];
    for (size_t i = 0; i < v->keys->n; i++) {
        memcpy(cur, v->keys->pk[i], sizeof cur);
        if (memcmp(cur, a->gen.master_pk, sizeof cur) == 0)
            return 1;
        for (size_t t = 0; t < a->n_trans; t++) {
            if (memcmp(a->trans[t].old_pk, cur, sizeof cur) != 0)
                continue;
            if (!nlog__seal_trans_verify(&a->trans[t], a->trans_sig[t]))
                break;
            memcpy(cur, a->trans[t].new_pk, sizeof cur);
            if (memcmp(cur, a->gen.master_pk, sizeof cur) == 0)
                return 1;
        }
    }
    char id[17];
    nlog__seal_key_id(a->gen.master_pk, id);
    snprintf(why, why_size, "the stream is signed by master key %s, which is not a given key%s",
             id, a->n_trans ? " (nor vouched for by one)" : "");
    return 0;
}

/* The key of epoch a->epoch, from epoch 0's through the proof. */
static int prove(const nlog__seal_anchor *a, uint8_t out[NLOG__SEAL_PK_LEN], char *why,
                 size_t why_size)
{
    uint8_t pk[NLOG__SEAL_PK_LEN];
    memcpy(pk, a->gen.p0, sizeof pk);
    uint64_t cur = 0;
    for (size_t i = 0; i < a->n_proof; i++) {
        const nlog__seal_hdr *h = &a->proof[i];
        uint64_t target = i + 1 < a->n_proof ? a->proof[i + 1].epoch : a->epoch;
        if (h->epoch != cur || memcmp(h->stream, a->stream, sizeof a->stream) != 0) {
            snprintf(why, why_size, "proof step %zu is not the checkpoint of epoch %llu", i,
                     (unsigned long long) cur);
            return 0;
        }
        if (!nlog__seal_hdr_verify(h, a->proof_sig[i], pk)) {
            snprintf(why, why_size, "proof step %zu (epoch %llu) is not signed by its key", i,
                     (unsigned long long) cur);
            return 0;
        }
        uint64_t d = target - cur;
        if (target <= cur || (d & (d - 1)) != 0 || (unsigned) __builtin_ctzll(d) >= h->n_keys) {
            snprintf(why, why_size, "proof step %zu does not lead from epoch %llu to %llu", i,
                     (unsigned long long) cur, (unsigned long long) target);
            return 0;
        }
        memcpy(pk, h->keys[__builtin_ctzll(d)], sizeof pk);
        cur = target;
    }
    if (cur != a->epoch) {
        snprintf(why, why_size, "the proof ends at epoch %llu, not at the anchor's %llu",
                 (unsigned long long) cur, (unsigned long long) a->epoch);
        return 0;
    }
    memcpy(out, pk, NLOG__SEAL_PK_LEN);
    return 1;
}

/* Whether the anchor stands where signed data put it. Its `first` and
 * `prev` are not signed themselves: an anchor of epoch 0 starts at record 1
 * from the genesis, and any other must carry, as the last step of its proof,
 * the checkpoint of the epoch before (signed by that epoch's key, which
 * prove() checked) and continue exactly it. Without this, whoever holds a
 * later epoch's key could start a log anywhere in an epoch that is closed
 * and re-seal the records from there on (docs/FORMAT.md, "Threat model"). */
static int anchor_placed(const nlog__seal_anchor *a, char *why, size_t why_size)
{
    uint8_t h[32];
    if (a->epoch == 0) {
        nlog__seal_gen_hash(&a->gen, a->gen_sig, h);
        if (a->first != 1 || memcmp(h, a->prev, 32) != 0) {
            snprintf(why, why_size, "an anchor of epoch 0 must start at record 1 from the "
                                    "genesis");
            return 0;
        }
        return 1;
    }
    const size_t n = a->n_proof;
    const nlog__seal_hdr *p = n ? &a->proof[n - 1] : NULL;
    if (!p || p->epoch != a->epoch - 1) {
        snprintf(why, why_size,
                 "the proof of an anchor for epoch %llu must end with the checkpoint of epoch "
                 "%llu",
                 (unsigned long long) a->epoch, (unsigned long long) (a->epoch - 1));
        return 0;
    }
    nlog__seal_hdr_hash(p, a->proof_sig[n - 1], h);
    if (a->first != p->last + 1 || memcmp(h, a->prev, 32) != 0) {
        snprintf(why, why_size,
                 "the anchor claims to start at record %llu, but the signed checkpoint of "
                 "epoch %llu it continues ends at record %llu%s",
                 (unsigned long long) a->first, (unsigned long long) p->epoch,
                 (unsigned long long) p->last,
                 a->first == p->last + 1 ? " (and its prev is not that checkpoint's hash)" : "");
        return 0;
    }
    return 1;
}

/* Makes the anchor's stream and key the current ones. `keep`: it continues
 * the stream (keys certified earlier stay known). */
static void adopt_anchor(nlog__vlog *v, const nlog__seal_anchor *a, const uint8_t *pk, int keep)
{
    if (v->against && memcmp(v->against->stream, a->stream, sizeof a->stream) == 0)
        v->against_seen = 1;
    v->have_stream = 1;
    v->trusted = 1;
    memcpy(v->stream, a->stream, sizeof v->stream);
    v->epoch = a->epoch;
    memcpy(v->key, pk, NLOG__SEAL_PK_LEN);
    if (!keep)
        v->n_known = 0;
    know_key(v, a->epoch, pk);
    memcpy(v->prev, a->prev, 32);
    v->prev_known = 1;
    v->suspect = 0;
    if (!keep)
        v->last_valid = 0;
    v->first_uncovered = a->first;
    if (a->first - 1 > v->max_seq)
        v->max_seq = a->first - 1;
    v->n_pend = 0;
    /* identity and proof material for exports */
    v->gen_len = nlog__seal_gen_encode(&a->gen, v->gen);
    memcpy(v->gen + v->gen_len, a->gen_sig, NLOG__SEAL_SIG_LEN);
    v->gen_len += NLOG__SEAL_SIG_LEN;
    v->trans_len = 0;
    for (size_t t = 0; t < a->n_trans; t++) {
        v->trans_len += nlog__seal_trans_encode(&a->trans[t], v->trans + v->trans_len);
        memcpy(v->trans + v->trans_len, a->trans_sig[t], NLOG__SEAL_SIG_LEN);
        v->trans_len += NLOG__SEAL_SIG_LEN;
    }
    memcpy(v->gen_name, a->gen.name, sizeof v->gen_name);
    for (size_t i = 0; i < a->n_proof; i++)
        store_slot(v, &a->proof[i], a->proof_sig[i]);
}

/* Whether the anchor opens the next file of the stream right after a range
 * whose checkpoint the previous file should have ended with, but which did not
 * verify (the suspect), is damaged (an odd line) or is gone: the anchor's proof
 * ends with that very checkpoint, genuine, covering from the first uncovered
 * record on. */
static int continues_range(const nlog__vlog *v, const nlog__seal_anchor *a, const uint8_t *pk)
{
    if (!v->trusted || !v->first_line || v->n_files < 2 || v->prev_complete || a->epoch == 0 ||
        a->first <= v->first_uncovered || !a->n_proof)
        return 0; /* a rotate checkpoint ended the previous file: a segment is missing */
    const nlog__seal_hdr *p = &a->proof[a->n_proof - 1]; /* epoch a->epoch - 1 */
    const uint8_t *k = key_for(v, a->epoch);
    return a->epoch == (v->suspect ? v->epoch : v->epoch + 1) && p->first == v->first_uncovered &&
           (!k || memcmp(k, pk, NLOG__SEAL_PK_LEN) == 0);
}

/* Goes on in the next file as if the missing or bad checkpoint stood at the
 * end of the previous one: its records stay pending, and the next checkpoint,
 * which repeats their tags, checks them one by one (and judges the suspect). */
static void bridge(nlog__vlog *v, const nlog__seal_anchor *a, const uint8_t *pk)
{
    const uint64_t fu = v->first_uncovered, missing = a->epoch - 1, max_seq = v->max_seq;
    const size_t n_pend = v->n_pend;
    const int suspect = v->suspect;
    if (v->prev_cut) {
        problem(v, NLOG_SEAL_TRUNCATED, expected_seq(v), 0,
                "the previous file %s was cut short before the checkpoint of epoch %llu that "
                "ended it (records %llu..%llu)",
                v->n_files > 1 ? v->files[v->n_files - 2] : "", (unsigned long long) missing,
                (unsigned long long) fu, (unsigned long long) (a->first - 1));
    } else if (!suspect && !v->prev_file_mal) {
        problem(v, NLOG_SEAL_CHAIN_BREAK, fu, 0,
                "the checkpoint of epoch %llu (records %llu..%llu) that ended the previous file "
                "%s is missing",
                (unsigned long long) missing, (unsigned long long) fu,
                (unsigned long long) (a->first - 1),
                v->n_files > 1 ? v->files[v->n_files - 2] : "");
    } /* else: the suspect is judged by the next checkpoint; an odd line in its
       * place was reported as MALFORMED or UNSEALED */
    adopt_anchor(v, a, pk, 1);
    v->first_uncovered = fu;
    v->n_pend = n_pend;
    v->suspect = suspect;
    v->missing_reported = 1;
    v->last_valid = 0;
    if (max_seq > v->max_seq)
        v->max_seq = max_seq;
}

/* Whether the log called `log` (a file family, "DIR/" in front when several
 * directories hold one of that name; a lone compressed file keeps its .zst
 * or .gz) is the one a genesis names. */
static int names_log(const char *log, const char *name)
{
    const char *base = strrchr(log, '/');
    base = base ? base + 1 : log;
    size_t n = strlen(name);
    if (strncmp(base, name, n) != 0)
        return 0;
    return base[n] == '\0' || strcmp(base + n, ".zst") == 0 || strcmp(base + n, ".gz") == 0;
}

static void on_anchor(nlog__vlog *v, const char *line, size_t len, uint64_t off)
{
    char why[256];
    nlog__seal_anchor *a = v->an;
    if (nlog__seal_anchor_parse(line, len, a, why, sizeof why) != 0) {
        on_malformed(v, off, len);
        return;
    }
    int same = v->have_stream && memcmp(a->stream, v->stream, sizeof v->stream) == 0;
    uint8_t pk[NLOG__SEAL_PK_LEN];
    nlog_seal_kind bad = NLOG_SEAL_OK;
    if (memcmp(a->stream, a->gen.stream, sizeof a->stream) != 0 ||
        strcmp(a->name, a->gen.name) != 0) {
        bad = NLOG_SEAL_MALFORMED;
        snprintf(why, sizeof why, "the anchor's stream or name differs from its genesis");
    } else if (!master_trusted(v, a, why, sizeof why)) {
        bad = NLOG_SEAL_CHECKPOINT_SIG;
    } else if (!nlog__seal_gen_verify(&a->gen, a->gen_sig)) {
        bad = NLOG_SEAL_CHECKPOINT_SIG;
        snprintf(why, sizeof why, "the master's signature on the stream's genesis is invalid");
    } else if (!prove(a, pk, why, sizeof why)) {
        bad = NLOG_SEAL_CHECKPOINT_SIG;
    } else if (!anchor_placed(a, why, sizeof why)) {
        bad = NLOG_SEAL_CHAIN_BREAK;
    }
    if (bad != NLOG_SEAL_OK) {
        /* the records it would vouch for: from the stream's start for an
         * anchor of epoch 0, else from where the stream stands */
        uint64_t at = a->epoch == 0 ? 1 : same ? v->first_uncovered : a->first;
        if (!same || v->trusted)
            problem(v, bad, at, (int64_t) off, "anchor: %s", why);
        /* A bad anchor inside a stream does not start another one (its
         * stream id may be what is damaged): the stream's next good anchor
         * brings trust back without a second report. */
        if (!v->have_stream) {
            v->sum.streams++;
            memcpy(v->stream, a->stream, sizeof v->stream);
        }
        v->have_stream = 1;
        lose_trust(v);
        return;
    }
    if (same && continues_range(v, a, pk)) {
        bridge(v, a, pk);
        return;
    }
    if (same) {
        /* a checkpoint that did not verify before this anchor: no later one
         * of its range follows, so it is judged now, before what the anchor
         * says about the file boundary */
        if (v->trusted && v->suspect)
            judge_suspect(v, NULL);
        if (a->first != v->first_uncovered || a->epoch != v->epoch ||
            memcmp(a->prev, v->prev, 32) != 0 ||
            (v->trusted && key_for(v, a->epoch) && memcmp(pk, key_for(v, a->epoch), 32) != 0)) {
            if (!v->trusted) {
                /* trust comes back here; what was lost was reported */
            } else if (v->first_line && v->n_files > 1 && !v->prev_complete && !v->prev_cut &&
                       v->prev_file_mal &&
                       a->first > v->first_uncovered) {
                size_t cur = v->cur;
                v->cur = v->n_files - 2;
                problem(v, NLOG_SEAL_MALFORMED, v->first_uncovered,
                        (int64_t) v->prev_file_mal_off,
                        "records %llu..%llu are not covered: the previous file %s ends with "
                        "damaged lines where their checkpoints should be",
                        (unsigned long long) v->first_uncovered,
                        (unsigned long long) (a->first - 1),
                        v->files[v->n_files - 2]);
                v->cur = cur;
            } else if (a->first > v->first_uncovered || a->epoch > v->epoch) {
                nlog_seal_kind kind = !v->first_line     ? NLOG_SEAL_CHAIN_BREAK
                                      : v->prev_complete ? NLOG_SEAL_MISSING_SEGMENT
                                                         : NLOG_SEAL_TRUNCATED;
                problem(v, kind, v->first_uncovered, v->first_line ? 0 : (int64_t) off,
                        kind == NLOG_SEAL_MISSING_SEGMENT
                            ? "records %llu..%llu (epochs %llu..%llu) are missing: a segment "
                              "between %s and this file is gone"
                        : kind == NLOG_SEAL_TRUNCATED
                            ? "records %llu..%llu (epochs %llu..%llu) are missing: the previous "
                              "file %s was cut short"
                            : "records %llu..%llu (epochs %llu..%llu) are missing before this "
                              "anchor (after %s)",
                        (unsigned long long) v->first_uncovered,
                        (unsigned long long) (a->first - 1), (unsigned long long) v->epoch,
                        (unsigned long long) (a->epoch ? a->epoch - 1 : 0),
                        v->n_files > 1 ? v->files[v->n_files - 2] : "the start");
            } else {
                problem(v, NLOG_SEAL_CHAIN_BREAK, a->first, (int64_t) off,
                        "an anchor for record %llu, epoch %llu, does not continue the stream "
                        "(next record %llu, epoch %llu)",
                        (unsigned long long) a->first, (unsigned long long) a->epoch,
                        (unsigned long long) v->first_uncovered, (unsigned long long) v->epoch);
            }
            v->n_pend = 0;
            v->last_valid = 0; /* the checkpoint before this anchor is not the one we saw */
        }
        /* pending records of the previous file stay pending if the anchor agrees */
        size_t keep = a->first == v->first_uncovered && v->trusted ? v->n_pend : 0;
        vpend *saved = NULL;
        if (keep) {
            saved = malloc(keep * sizeof *saved);
            if (saved)
                memcpy(saved, v->pend, keep * sizeof *saved);
            else
                keep = 0;
        }
        uint64_t max_seq = v->max_seq;
        adopt_anchor(v, a, pk, v->trusted);
        if (keep) {
            memcpy(v->pend, saved, keep * sizeof *saved);
            v->n_pend = keep;
            free(saved);
        }
        if (max_seq > v->max_seq)
            v->max_seq = max_seq;
        return;
    }
    if (v->have_stream) {
        /* A new stream (a key change, or a state replaced after a loss): the
         * old one's uncovered records were never protected. */
        v->trailing_ended += v->n_pend;
        v->n_pend = 0;
        v->max_seq = 0;
        if (a->epoch != 0)
            problem(v, NLOG_SEAL_MISSING_SEGMENT, 1, (int64_t) off,
                    "a new stream starts here at record %llu (epoch %llu): its beginning is "
                    "missing",
                    (unsigned long long) a->first, (unsigned long long) a->epoch);
    } else {
        memcpy(v->head_stream, a->stream, sizeof v->head_stream);
        if (a->epoch != 0) {
            /* explained by retention, or partial input: decided at the end */
            v->head_first = a->first;
            v->head_prior_epoch = a->epoch - 1;
            memcpy(v->head_prior_hash, a->prev, sizeof v->head_prior_hash);
        }
    }
    v->sum.streams++;
    /* The genesis, signed by the master, names the log the stream belongs to:
     * another log's stream under this name (netlink.log's records served as
     * audit.log) verifies on its own, so it is said here. */
    if (!names_log(v->name, a->gen.name))
        problem(v, NLOG_SEAL_CHAIN_BREAK, a->first, (int64_t) off,
                "this stream belongs to the log %s (its signed genesis says so), not to %s: "
                "the file was renamed or substituted",
                a->gen.name, v->name);
    adopt_anchor(v, a, pk, 0);
}

/* ---- lines, end --------------------------------------------------------------------- */

void nlog__vlog_line(nlog__vlog *v, nlog__seal_read kind, const char *line, size_t len,
                     uint64_t off)
{
    int first = v->first_line;
    v->sum.bytes = off + len + (kind == NLOG__READ_LINE ? 1 : 0);
    if (kind == NLOG__READ_PARTIAL) {
        if (v->cur_last) {
            v->sum.partial_lines++;
            v->last_partial = 1;
        } else {
            v->cut_file = 1;
        }
        v->first_line = 0;
        return;
    }
    v->last_rotate = 0;
    if (kind == NLOG__READ_LONG) {
        on_malformed(v, off, len);
        v->first_line = 0;
        return;
    }
    uint64_t seq = 0;
    switch (nlog__seal_line_classify(line, len, &seq)) {
    case NLOG__LINE_RECORD:
        on_record(v, seq, line, len, off);
        break;
    case NLOG__LINE_CHECKPOINT:
        on_checkpoint(v, line, len, off);
        break;
    case NLOG__LINE_ANCHOR:
        on_anchor(v, line, len, off);
        break;
    case NLOG__LINE_BAD:
        on_malformed(v, off, len);
        break;
    case NLOG__LINE_PLAIN:
        if (len == 0 && !v->have_stream)
            break;
        on_odd(v, off, len, 1);
        break;
    }
    (void) first;
    v->first_line = 0;
}

void nlog__vlog_read_error(nlog__vlog *v, const char *why, uint64_t off)
{
    problem(v, NLOG_SEAL_TRUNCATED, expected_seq(v), (int64_t) off,
            "the file cannot be read past this point: %s", why);
    v->cut_file = 1;
}

static int cmp_seq(const void *x, const void *y)
{
    const vpend *a = x, *b = y;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* At the same sequence number, what is wrong with the record comes before
 * what is wrong with the lines that vouch for it. */
static int kind_rank(nlog_seal_kind k)
{
    return k == NLOG_SEAL_MAC_MISMATCH || k == NLOG_SEAL_SEQ_GAP || k == NLOG_SEAL_SEQ_DUP ||
                   k == NLOG_SEAL_ORDER
               ? 0
               : 1;
}

static int cmp_problem(const void *x, const void *y)
{
    const nlog__vproblem *a = x, *b = y;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (kind_rank(a->kind) != kind_rank(b->kind))
        return kind_rank(a->kind) - kind_rank(b->kind);
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int cmp_cut(const void *x, const void *y)
{
    const vcut *a = x, *b = y;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* The records after the last checkpoint: counted; their numbering checked. */
static void check_tail(nlog__vlog *v)
{
    if (!v->n_pend)
        return;
    size_t cur = v->cur;
    uint64_t run_max = 0;
    for (size_t k = 0; k < v->n_pend; k++) {
        const vpend *e = &v->pend[k];
        if (e->seq < v->first_uncovered) {
            v->cur = e->file;
            problem(v, NLOG_SEAL_SEQ_DUP, e->seq, (int64_t) e->off,
                    "record %llu appears again after the checkpoint that covers it",
                    (unsigned long long) e->seq);
        } else if (e->seq < run_max) {
            v->cur = e->file;
            problem(v, NLOG_SEAL_ORDER, e->seq, (int64_t) e->off,
                    "record %llu comes after record %llu", (unsigned long long) e->seq,
                    (unsigned long long) run_max);
        }
        if (e->seq > run_max)
            run_max = e->seq;
    }
    v->cur = cur;
    vpend *s = malloc(v->n_pend * sizeof *s);
    if (!s)
        return;
    memcpy(s, v->pend, v->n_pend * sizeof *s);
    qsort(s, v->n_pend, sizeof *s, cmp_seq);
    uint64_t want = v->first_uncovered, distinct = 0;
    for (size_t k = 0; k < v->n_pend; k++) {
        if (s[k].seq < v->first_uncovered)
            continue;
        if (k && s[k].seq == s[k - 1].seq) {
            v->cur = s[k].file;
            problem(v, NLOG_SEAL_SEQ_DUP, s[k].seq, (int64_t) s[k].off,
                    "record %llu appears twice", (unsigned long long) s[k].seq);
            continue;
        }
        if (s[k].seq > want) {
            v->cur = s[k].file;
            problem(v, NLOG_SEAL_SEQ_GAP, want, -1,
                    s[k].seq - 1 == want ? "record %llu is missing"
                                         : "records %llu..%llu are missing",
                    (unsigned long long) want, (unsigned long long) (s[k].seq - 1));
        }
        want = s[k].seq + 1;
        distinct++;
    }
    v->cur = cur;
    v->sum.trailing += distinct;
    free(s);
}

void nlog__vlog_finish(nlog__vlog *v)
{
    judge_suspect(v, NULL);
    flush_malformed(v);
    if (v->trusted)
        check_tail(v);
    v->sum.trailing += v->trailing_ended;
    if (v->head_first > 1) {
        if (v->n_cuts > 1)
            qsort(v->cuts, v->n_cuts, sizeof *v->cuts, cmp_cut);
        uint64_t cover = 1;
        for (size_t i = 0; i < v->n_cuts; i++)
            if (v->cuts[i].first <= cover && v->cuts[i].last + 1 > cover)
                cover = v->cuts[i].last + 1;
        if (cover >= v->head_first) {
            v->sum.retention_first = 1;
            v->sum.retention_last = v->head_first - 1;
        } else if (!v->allow_partial) {
            v->cur = 0;
            problem(v, NLOG_SEAL_MISSING_SEGMENT, cover, 0,
                    "the log starts at record %llu; records %llu..%llu are missing and no "
                    "retention record names them",
                    (unsigned long long) v->head_first, (unsigned long long) cover,
                    (unsigned long long) (v->head_first - 1));
        }
    }
    if (!v->have_stream && (v->sum.unsealed_leading || v->sum.records)) {
        v->cur = 0;
        problem(v, NLOG_SEAL_UNSEALED, 0, -1, "no sealed stream in this log (no anchor line)");
    }
    int relevant = v->against && (v->against_seen || strcmp(v->against->name, v->name) == 0);
    v->against_concerned = relevant;
    if (relevant && v->against_state == 0) {
        const nlog__seal_hdr *f = &v->against->hdr;
        int same = v->have_stream && memcmp(v->against->stream, v->stream, 16) == 0;
        uint64_t next = v->max_seq + 1;
        if (same && v->head_first > 1 && f->epoch <= v->head_prior_epoch) {
            /* The log starts after the export, at an anchor that continues the
             * checkpoint of epoch head_prior_epoch (signed, in its proof). */
            if (f->epoch == v->head_prior_epoch &&
                memcmp(v->head_prior_hash, v->against->hash, 32) != 0) {
                v->cur = 0;
                problem(v, NLOG_SEAL_ROLLBACK, v->head_first, 0,
                        "the log starts after a checkpoint of epoch %llu that differs from the "
                        "exported one",
                        (unsigned long long) f->epoch);
            } else if (f->epoch < v->head_prior_epoch) {
                /* the exported range lies before the log's start: deleted by a
                 * retention record signed in this log (reported with its range),
                 * or a MISSING_SEGMENT reported above; nothing was compared */
                relevant = 0;
            }
        } else if (!same || v->epoch <= f->epoch || next <= f->last) {
            v->cur = v->n_files ? v->n_files - 1 : 0;
            int cut = v->last_partial || v->cut_file;
            problem(v, cut ? NLOG_SEAL_TRUNCATED : NLOG_SEAL_ROLLBACK,
                    same ? next : f->first, -1,
                    cut ? "the log was cut off: it ends at record %llu, but the exported "
                          "checkpoint proves records up to %llu (epoch %llu)"
                        : "the log ends at record %llu, but the exported checkpoint proves "
                          "records up to %llu (epoch %llu): it is an older copy",
                    (unsigned long long) (same ? next - 1 : 0), (unsigned long long) f->last,
                    (unsigned long long) f->epoch);
        }
    }
    v->sum.against_checked = relevant;
    if (v->n_probs > 1)
        qsort(v->probs, v->n_probs, sizeof *v->probs, cmp_problem);
}

const nlog_seal_log_summary *nlog__vlog_summary(const nlog__vlog *v)
{
    return &v->sum;
}

size_t nlog__vlog_n_problems(const nlog__vlog *v)
{
    return v->n_probs;
}

const nlog__vproblem *nlog__vlog_problem(const nlog__vlog *v, size_t i)
{
    return i < v->n_probs ? &v->probs[i] : NULL;
}

const char *nlog__vlog_file_path(const nlog__vlog *v, size_t i)
{
    return i < v->n_files && v->files[i] ? v->files[i] : "";
}

void nlog__vlog_against_absent(nlog__vlog *v)
{
    v->cur = v->n_files ? v->n_files - 1 : 0;
    problem(v, NLOG_SEAL_ROLLBACK, v->against->hdr.first, -1,
            "the log does not contain the stream of the exported checkpoint (%s, records up to "
            "%llu): it was replaced",
            v->against->name, (unsigned long long) v->against->hdr.last);
    v->sum.against_checked = 1;
    if (v->n_probs > 1)
        qsort(v->probs, v->n_probs, sizeof *v->probs, cmp_problem);
}

int nlog__vlog_against_concerned(const nlog__vlog *v)
{
    return v->against_concerned;
}

const char *nlog__vlog_name(const nlog__vlog *v)
{
    return v->name;
}

/* ---- exported checkpoints ---------------------------------------------------------- */

int nlog__vlog_export(const nlog__vlog *v, const char *path, char *why, size_t why_size)
{
    if (v->sum.problems || !v->have_last || !v->trusted) {
        snprintf(why, why_size, "%s: %s", v->name,
                 v->sum.problems ? "the log has problems; no checkpoint is exported"
                                 : "no verified checkpoint to export");
        return -1;
    }
    const nlog__seal_hdr *h = &v->last_hdr;
    uint8_t *proof = malloc(NLOG__SEAL_PROOF_MAX * (NLOG__SEAL_HDR_MAX + NLOG__SEAL_SIG_LEN));
    char *buf = malloc(NLOG__SEAL_CTRL_MAX + v->last_len + 2);
    int err = 0;
    if (!proof || !buf) {
        err = ENOMEM;
        snprintf(why, why_size, "%s: out of memory", v->name);
        goto out;
    }
    size_t pl = nlog__seal_proof_build(v->slots, h->epoch, proof);
    if (pl == (size_t) -1) {
        snprintf(why, why_size, "%s: the proof of epoch %llu is incomplete", v->name,
                 (unsigned long long) h->epoch);
        err = -1;
        goto out;
    }
    size_t n = nlog__seal_anchor_render(h->stream, v->gen_name, h->epoch, h->first, h->prev,
                                        v->gen, v->gen_len, proof, pl, v->trans, v->trans_len,
                                        buf);
    memcpy(buf + n, v->last_line, v->last_len);
    n += v->last_len;
    buf[n++] = '\n';
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long) getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = errno;
        snprintf(why, why_size, "cannot write %s: %s", path, strerror(err));
        goto out;
    }
    size_t done = 0;
    while (done < n && !err) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w < 0 && errno != EINTR)
            err = errno;
        else if (w > 0)
            done += (size_t) w;
    }
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        (void) unlink(tmp);
        snprintf(why, why_size, "cannot write %s: %s", path, strerror(err));
    }
out:
    free(proof);
    free(buf);
    return err;
}

int nlog__vagainst_parse(const char *data, size_t len, const nlog__vkeys *keys,
                         nlog__vagainst *out, char *why, size_t why_size)
{
    const char *nl = memchr(data, '\n', len);
    if (!nl) {
        snprintf(why, why_size, "an exported checkpoint has two lines: an anchor, a checkpoint");
        return -1;
    }
    const char *l2 = nl + 1;
    size_t n1 = (size_t) (nl - data), n2 = len - n1 - 1;
    if (n2 && l2[n2 - 1] == '\n')
        n2--;
    if (memchr(l2, '\n', n2)) {
        snprintf(why, why_size, "an exported checkpoint has exactly two lines");
        return -1;
    }
    nlog__vlog *v = nlog__vlog_create("export", keys, NULL, 1, 4);
    if (!v) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    char w[256] = "";
    int rc = -1;
    uint64_t seq;
    nlog__seal_anchor *a = v->an;
    nlog__seal_ckpt *c = v->ck;
    uint8_t pk[NLOG__SEAL_PK_LEN];
    if (nlog__seal_line_classify(data, n1, &seq) != NLOG__LINE_ANCHOR) {
        snprintf(why, why_size, "line 1 is not an anchor line");
    } else if (nlog__seal_anchor_parse(data, n1, a, w, sizeof w) != 0) {
        snprintf(why, why_size, "line 1 is not a valid anchor line (%s)", w);
    } else if (nlog__seal_line_classify(l2, n2, &seq) != NLOG__LINE_CHECKPOINT) {
        snprintf(why, why_size, "line 2 is not a checkpoint line");
    } else if (nlog__seal_ckpt_parse(l2, n2, c, w, sizeof w) != 0) {
        snprintf(why, why_size, "line 2 is not a valid checkpoint line (%s)", w);
    } else if (!master_trusted(v, a, w, sizeof w)) {
        snprintf(why, why_size, "it does not verify with the given key(s): %s", w);
    } else if (!nlog__seal_gen_verify(&a->gen, a->gen_sig)) {
        snprintf(why, why_size, "it does not verify with the given key(s): the master's "
                                "signature on the stream's genesis is invalid");
    } else if (!prove(a, pk, w, sizeof w)) {
        snprintf(why, why_size, "it does not verify with the given key(s): %s", w);
    } else if (!anchor_placed(a, w, sizeof w)) {
        snprintf(why, why_size, "its anchor: %s", w);
    } else if (memcmp(c->hdr.stream, a->stream, 16) != 0 || c->hdr.epoch != a->epoch ||
               c->hdr.first != a->first || memcmp(c->hdr.prev, a->prev, 32) != 0 ||
               !nlog__seal_hdr_verify(&c->hdr, c->sig, pk)) {
        snprintf(why, why_size, "its checkpoint is not signed by the key its anchor proves");
    } else {
        memcpy(out->stream, a->stream, sizeof out->stream);
        memcpy(out->name, a->gen.name, sizeof out->name);
        out->hdr = c->hdr;
        memcpy(out->sig, c->sig, sizeof out->sig);
        nlog__seal_hdr_hash(&c->hdr, c->sig, out->hash);
        rc = 0;
    }
    nlog__vlog_destroy(v);
    return rc;
}

int nlog__vagainst_load(const char *path, const nlog__vkeys *keys, nlog__vagainst *out,
                        char *why, size_t why_size)
{
    size_t cap = 2 * NLOG__SEAL_CTRL_MAX, len = 0;
    char *buf = malloc(cap);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!buf || fd < 0) {
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(buf ? errno : ENOMEM));
        free(buf);
        if (fd >= 0)
            (void) close(fd);
        return -1;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
        if (len == cap) {
            snprintf(why, why_size, "%s is too large for an exported checkpoint", path);
            free(buf);
            (void) close(fd);
            return -1;
        }
    }
    (void) close(fd);
    char w[512];
    int rc = nlog__vagainst_parse(buf, len, keys, out, w, sizeof w);
    if (rc)
        snprintf(why, why_size, "%s: %s", path, w);
    free(buf);
    return rc;
}
