/* tree.h (internal): the forward-secure tree of epoch keys.
 *
 * Epoch e (0 <= e < 2^40) signs with an Ed25519 key derived from leaf e of a
 * binary tree of 32-byte seeds: a child's seed is BLAKE2b-256 keyed with its
 * parent's seed over "nlog-seal-v1 tree" and the child's bit. The root seed
 * exists only while keygen runs. The writer keeps, for its current epoch,
 * the seed of the current leaf and the seeds of the right siblings along the
 * path to it: exactly what derives every later leaf and nothing earlier.
 * Advancing the epoch erases the current leaf seed, so whoever copies the
 * state afterwards can derive only the keys of epochs that are still to
 * come. Any later leaf's key costs at most 40 hashes and one key generation,
 * which is what lets a checkpoint vouch for the keys of epochs e + 2^j.
 * Tested by: tests/unit/seal/test_seal_tree.c */
#ifndef NLOG_SEAL_TREE_H
#define NLOG_SEAL_TREE_H

#include <stdint.h>

#include "seal/wire.h"

typedef struct nlog__seal_keys {
    uint64_t epoch;
    uint64_t fut_mask;                          /* bit l-1: fut[l] holds a seed (l = 1..40) */
    uint8_t fut[NLOG__SEAL_DEPTH + 1][32];      /* right siblings of the path, by level */
    uint8_t leaf[32];                           /* seed of leaf `epoch` */
    uint8_t sk[NLOG__SEAL_SK_LEN];              /* signing key of `epoch` (from leaf) */
    uint8_t pk[NLOG__SEAL_PK_LEN];
    uint8_t check[16];                          /* BLAKE2b-128 of the members above */
} nlog__seal_keys;

/* Epoch 0 of the tree whose root seed is `root`. */
void nlog__seal_tree_init(nlog__seal_keys *k, const uint8_t *root);

/* Key pair of epoch f >= k->epoch. Returns 0, or -1 for an earlier or
 * non-existent epoch. `sk` may be NULL. */
int nlog__seal_tree_key(const nlog__seal_keys *k, uint64_t f, uint8_t *pk,
                        uint8_t *sk);

/* Moves to epoch + 1, erasing the current leaf seed and signing key.
 * Returns 0, or -1 at the last epoch. */
int nlog__seal_tree_advance(nlog__seal_keys *k);

/* Moves to epoch `target` (>= epoch) in at most 40 steps of derivation. */
int nlog__seal_tree_advance_to(nlog__seal_keys *k, uint64_t target);

/* Recomputes k->check; nlog__seal_tree_valid() returns 1 if it matches. */
void nlog__seal_tree_seal(nlog__seal_keys *k);
int nlog__seal_tree_valid(const nlog__seal_keys *k);

/* Fills the public keys of the epochs a checkpoint of k->epoch vouches for
 * (k->epoch + 2^j, j < nlog__seal_n_keys(k->epoch)). Returns that count. */
unsigned nlog__seal_tree_next_keys(const nlog__seal_keys *k,
                                   uint8_t keys[NLOG__SEAL_DEPTH][NLOG__SEAL_PK_LEN]);

#endif /* NLOG_SEAL_TREE_H */
