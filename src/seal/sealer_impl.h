/* sealer_impl.h (internal to src/seal): the sealer object, shared by
 * sealer.c (transactions, checkpoints, anchors) and recover.c (rebuilding
 * the head from the log). */
#ifndef NLOG_SEAL_SEALER_IMPL_H
#define NLOG_SEAL_SEALER_IMPL_H

#include <pthread.h>

#include "seal/sealer.h"
#include "seal/state.h"

struct nlog__sealer {
    pthread_mutex_t mu;        /* guards everything below and the mapping */
    char dir[4096];
    char name[NLOG__SEAL_NAME_MAX + 1];
    char log_path[4352];
    char state_path[4096];
    char next_path[4112];
    unsigned max_records;
    int64_t interval_ns;
    int fd;                    /* the state file (its OFD lock marks this process's use) */
    nlog__seal_file *m;        /* the mapping */
    int locked;                /* the writers' lock is held */
    int broken;                /* the state is unusable: nothing can be sealed */
    /* The prepared transaction. */
    int tx;
    nlog__seal_head w;
    nlog__seal_keys *wk;       /* key material after a checkpoint in this transaction */
    int tx_keys;
    int tx_reason;             /* reason of the checkpoint in it, 0 if none */
    char *out;
    size_t out_cap;
    /* The sealer's own descriptor of the log path (control writes). */
    int wfd;
    uint64_t wdev, wino;
    nlog__seal_ckpt *ck;       /* scratch for parsing */
    nlog__seal_anchor *an;
    uint64_t synced_gen;       /* generation at the last msync */
    int reported;              /* a problem was reported and has not cleared */
    int reported_unsealable;
    int rekey_wanted;
    int poke;                  /* atomic: a commit started a new range */
};

static inline nlog__seal_meta *nlog__sealer_meta(const nlog__sealer *s)
{
    return &s->m->meta.m;
}

static inline unsigned nlog__sealer_sel(const nlog__sealer *s)
{
    return __atomic_load_n(&s->m->meta.m.sel, __ATOMIC_ACQUIRE);
}

static inline nlog__seal_keys *nlog__sealer_keys(const nlog__sealer *s)
{
    return &s->m->keys[nlog__sealer_sel(s) & 1].k;
}

static inline nlog__seal_head *nlog__sealer_head(const nlog__sealer *s)
{
    return &s->m->head[(nlog__sealer_sel(s) >> 1) & 1].h;
}

/* Makes h (and k, if not NULL) the current head (and keys) with one store. */
void nlog__sealer_commit_slots(nlog__sealer *s, const nlog__seal_head *h,
                               const nlog__seal_keys *k);

/* Stores a checkpoint header and signature in the proof slot of its epoch. */
void nlog__sealer_store_proof(nlog__sealer *s, const nlog__seal_hdr *h, const uint8_t *sig);

/* Verifies a parsed checkpoint against the head h and keys k: same stream,
 * epoch k->epoch, range first_uncovered..seq_next-1, prev, tags and root
 * from the pending hashes, signature. Returns 1 if it is the checkpoint the
 * writer would have written. */
int nlog__sealer_ckpt_matches(const nlog__sealer *s, const nlog__seal_head *h,
                              const nlog__seal_keys *k, const nlog__seal_ckpt *c);

/* recover.c: rebuilds the head from the log file after a writer died
 * between write(2) and commit, or when the state was opened first after a
 * crash or reboot. Called with the writers' lock held; commits what it finds. */
void nlog__sealer_sync(nlog__sealer *s);

/* recover.c: where the incomplete last line of the file at `path` starts,
 * if the file (identity dev/ino, `size` bytes) does not end with '\n'.
 * Returns 1 and sets *ret_off, else 0. */
int nlog__sealer_tail_fragment(const char *path, uint64_t dev, uint64_t ino, uint64_t size,
                               uint64_t *ret_off);

/* Reports a problem once (until nlog__sealer_ok() clears it). */
void nlog__sealer_problem(nlog__sealer *s, int err, const char *fmt, ...) NLOG__PRINTF(3, 4);

#endif /* NLOG_SEAL_SEALER_IMPL_H */
