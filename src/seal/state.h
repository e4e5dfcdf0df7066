/* state.h (internal): the host sealing state file, <seal_key_dir>/<name>.seal.
 *
 * One file per sealed log name, created by `nlog keygen --sealing` and
 * mapped MAP_SHARED by every process that writes that log: it *is* the
 * stream, so threads and processes append to one chain. Writers serialise
 * on a robust process-shared mutex in the mapping (no system call when
 * uncontended; a writer that dies holding it hands the next one
 * EOWNERDEAD, which then settles the state from the log). A process holds a
 * shared OFD lock on byte 0 while it has the file open; whoever gets it
 * exclusively is the first opener, which initialises the mutex and rebuilds
 * the head from the log (after a crash, a reboot, or a restored state).
 * The state must be on a local file system.
 *
 * Layout (host-specific: little-endian, 64-bit; version-checked):
 *   meta      page 0: identity of the stream (stream id, master key, name,
 *             genesis and transitions), the directory it is bound to, and
 *             the control words: which key slot and head slot are current,
 *             a write-in-progress marker, a superseded flag, a commit count;
 *   keys[2]   two slots of epoch key material (tree.h), one current;
 *   head[2]   two slots of the chain head (next sequence number, pending
 *             range, previous checkpoint hash, position in the log file);
 *   hashes    the full hashes of the pending records;
 *   ptags     the tags of the last two checkpoints' ranges (a checkpoint
 *             repeats those of the range before it);
 *   proof     for each level j, the most recent checkpoint of an epoch with
 *             j trailing zero bits (level 40: epoch 0), from which anchors
 *             build the proof of the current epoch's key.
 * A commit writes the non-current slots and then flips the selector with
 * one atomic store, so a process killed at any point leaves a consistent
 * state (plus possibly a write-in-progress marker, which the next writer
 * resolves by reading the log). Old key slots are wiped once the state that
 * replaces them is on disk (see sealer.c).
 * Tested by: tests/unit/seal/test_seal_writer.c */
#ifndef NLOG_SEAL_STATE_H
#define NLOG_SEAL_STATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "seal/line.h"
#include "seal/tree.h"
#include "seal/wire.h"

#define NLOG__SEAL_STATE_VERSION 1
#define NLOG__SEAL_DIR_MAX 1024

#define NLOG__HEAD_STARTED 1u /* the stream's genesis anchor has been written */
#define NLOG__HEAD_NEWLINE 2u /* the file of the head ends with an incomplete line */

typedef struct nlog__seal_head {
    uint64_t seq_next;        /* sequence number of the next record */
    uint64_t first_uncovered; /* first record no checkpoint covers yet */
    uint32_t n_pending;       /* seq_next - first_uncovered; their hashes are in hashes[] */
    uint32_t flags;           /* NLOG__HEAD_* */
    int64_t pending_since;    /* monotonic ns when the first pending record was written */
    uint64_t end_off;         /* bytes: where the last committed write ended in (dev, ino) */
    uint64_t dev, ino;        /* the log file the stream is being written to; 0 0 for none */
    uint8_t prev[NLOG__SEAL_HASH_LEN]; /* chain hash of the last checkpoint (genesis first) */
    int64_t clock_off;        /* ns: wall clock minus monotonic clock at the last check */
    int64_t clock_mono;       /* monotonic ns of that check */
    uint32_t has_step;        /* a clock step waits for the next checkpoint */
    uint32_t n_frags;         /* crash fragments wait for the next checkpoint */
    int64_t step_ns;
    uint64_t step_before;
    uint64_t frag_off[NLOG__SEAL_FRAGS_MAX], frag_len[NLOG__SEAL_FRAGS_MAX];
    uint64_t retained_from;   /* lowest record still in the log, as far as retention knows */
    uint64_t cut_origin;      /* records cut_origin..retained_from-1 were deleted by retention */
} nlog__seal_head;

typedef struct nlog__seal_meta {
    char magic[8];                    /* "NLSEALS1" */
    uint32_t version;                 /* NLOG__SEAL_STATE_VERSION */
    uint32_t size;                    /* sizeof(nlog__seal_file) */
    pthread_mutex_t wlock;            /* the writers' lock: process-shared and robust;
                                         initialised by each first opener */
    uint32_t sel;                     /* atomic: bit 0 current key slot, bit 1 current head slot */
    uint32_t superseded;              /* atomic: a newer state replaced this file */
    uint32_t writing;                 /* atomic: a write is between write(2) and its commit */
    uint32_t wipe_pending;            /* the other key slot still holds an older epoch ... */
    uint64_t wipe_gen;                /* ... since the commit that made this generation */
    uint64_t generation;              /* atomic: commits so far */
    uint8_t stream[NLOG__SEAL_STREAM_LEN];
    uint8_t master_pk[NLOG__SEAL_PK_LEN];
    char name[NLOG__SEAL_NAME_MAX + 1];
    uint32_t gen_len;                 /* bytes of gen: genesis encoding || master signature */
    uint8_t gen[NLOG__SEAL_GEN_MAX + NLOG__SEAL_SIG_LEN];
    uint32_t trans_len;               /* bytes of trans: (transition || signature)* */
    uint8_t trans[NLOG__SEAL_TRANS_MAX * (NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN)];
    char dir[NLOG__SEAL_DIR_MAX];     /* the log directory the stream is bound to; "" until used */
} nlog__seal_meta;

typedef struct nlog__seal_proof_slot {
    uint32_t len; /* bytes of data: header encoding || signature; 0 = empty */
    uint8_t data[NLOG__SEAL_HDR_MAX + NLOG__SEAL_SIG_LEN];
} nlog__seal_proof_slot;

typedef struct nlog__seal_file {
    union {
        nlog__seal_meta m;
        uint8_t pad[4096];
    } meta;
    union {
        nlog__seal_keys k;
        uint8_t pad[4096];
    } keys[2];
    union {
        nlog__seal_head h;
        uint8_t pad[2048];
    } head[2];
    uint8_t hashes[NLOG__SEAL_RANGE_MAX][NLOG__SEAL_HASH_LEN];
    uint8_t pad_hashes[768];
    /* The tags of the range checkpoint e covered, in ptags[e & 1] (checkpoint
     * e + 1 repeats them); written before the commit of e, read after it. */
    uint32_t n_ptags[2];
    uint8_t ptags[2][NLOG__SEAL_RANGE_MAX][NLOG__SEAL_TAG_LEN];
    nlog__seal_proof_slot proof[NLOG__SEAL_DEPTH + 1];
} nlog__seal_file;

_Static_assert(sizeof(nlog__seal_meta) <= 4096, "meta page");
_Static_assert(sizeof(nlog__seal_keys) <= 4096, "key slot");
_Static_assert(sizeof(nlog__seal_head) <= 2048, "head slot");

/* The proof level of epoch e: its number of trailing zero bits, 40 for 0. */
unsigned nlog__seal_proof_level(uint64_t e);

/* The proof of an anchor for epoch n >= 1, from slots[] (one per proof
 * level, as in nlog__seal_file.proof): the checkpoints that lead from epoch 0
 * to n - 1 (epoch 0, then one per set bit of n - 1, highest first), then the
 * checkpoint of epoch n - 1 itself, which names the key of n and fixes where
 * the anchor stands (its `first` and `prev`: docs/FORMAT.md, "Anchor").
 * Writes headers || signatures to out (room for NLOG__SEAL_PROOF_MAX of
 * them) and returns the length: 0 for n == 0, (size_t) -1 when a slot it
 * needs is empty or holds another epoch. */
size_t nlog__seal_proof_build(const nlog__seal_proof_slot *slots, uint64_t n, uint8_t *out);

/* Creates a new state file at `path` (which must not exist; mode 0600) for
 * a stream whose genesis (encoding || master signature) is gen[0..gen_len),
 * with the key material of epoch 0. Written to a temporary name, fsync()ed
 * and renamed. Returns 0 or an errno. */
int nlog__seal_state_create(const char *path, const nlog__seal_gen *g, const uint8_t *gen,
                            size_t gen_len, const uint8_t *trans, size_t trans_len,
                            const nlog__seal_keys *k0);

/* Opens and maps an existing state file read-write. Checks its size, magic,
 * version and the consistency of its identity. Returns 0 (with *ret_fd and
 * *ret_map) or an errno (EINVAL: not a valid state file). */
int nlog__seal_state_map(const char *path, int *ret_fd, nlog__seal_file **ret_map);
void nlog__seal_state_unmap(int fd, nlog__seal_file *m);

#endif /* NLOG_SEAL_STATE_H */
