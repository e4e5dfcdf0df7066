/* tree.c: the epoch key tree (see tree.h). Levels are numbered from the
 * root (0) to the leaves (NLOG__SEAL_DEPTH); at level l the path to leaf e
 * takes bit (e >> (DEPTH - l)) & 1. */
#include <sodium.h>
#include <string.h>

#include "seal/tree.h"

#define D NLOG__SEAL_DEPTH

static void child(const uint8_t parent[32], int bit, uint8_t out[32])
{
    static const char dom[] = "nlog-seal-v1 tree";
    uint8_t msg[sizeof dom];
    memcpy(msg, dom, sizeof dom - 1);
    msg[sizeof dom - 1] = (uint8_t) bit;
    crypto_generichash(out, 32, msg, sizeof msg, parent, 32);
}

static void leaf_keypair(const uint8_t leaf[32], uint8_t pk[32], uint8_t sk[64])
{
    static const char dom[] = "nlog-seal-v1 sign";
    uint8_t seed[32];
    crypto_generichash(seed, sizeof seed, (const uint8_t *) dom, sizeof dom - 1, leaf, 32);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
}

static int bit_at(uint64_t e, int level)
{
    return (int) ((e >> (D - level)) & 1);
}

/* Descends from `seed` at level `from` to the leaf along the bits of e,
 * recording the right siblings when `k` is not NULL. */
static void descend(nlog__seal_keys *k, uint8_t seed[32], int from, uint64_t e)
{
    uint8_t next[32];
    for (int l = from + 1; l <= D; l++) {
        int b = bit_at(e, l);
        if (k && b == 0) {
            child(seed, 1, k->fut[l]);
            k->fut_mask |= (uint64_t) 1 << (l - 1);
        }
        child(seed, b, next);
        memcpy(seed, next, 32);
    }
    sodium_memzero(next, sizeof next);
}

void nlog__seal_tree_init(nlog__seal_keys *k, const uint8_t *root)
{
    memset(k, 0, sizeof *k);
    uint8_t seed[32];
    memcpy(seed, root, 32);
    descend(k, seed, 0, 0);
    memcpy(k->leaf, seed, 32);
    sodium_memzero(seed, sizeof seed);
    leaf_keypair(k->leaf, k->pk, k->sk);
    nlog__seal_tree_seal(k);
}

int nlog__seal_tree_key(const nlog__seal_keys *k, uint64_t f, uint8_t *pk, uint8_t *sk)
{
    if (f < k->epoch || f >= ((uint64_t) 1 << D))
        return -1;
    uint8_t skb[64];
    if (f == k->epoch) {
        memcpy(pk, k->pk, 32);
        if (sk)
            memcpy(sk, k->sk, 64);
        return 0;
    }
    /* The highest level where the paths differ: there e goes left and f right. */
    int l = 1;
    while (bit_at(k->epoch, l) == bit_at(f, l))
        l++;
    if (!(k->fut_mask >> (l - 1) & 1))
        return -1; /* cannot happen for a consistent state */
    uint8_t seed[32];
    memcpy(seed, k->fut[l], 32);
    descend(NULL, seed, l, f);
    leaf_keypair(seed, pk, sk ? sk : skb);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(skb, sizeof skb);
    return 0;
}

int nlog__seal_tree_advance(nlog__seal_keys *k)
{
    if (k->epoch + 1 >= ((uint64_t) 1 << D))
        return -1;
    /* The lowest level where the path goes left holds the next subtree. */
    int l = D;
    while (l >= 1 && !(k->fut_mask >> (l - 1) & 1))
        l--;
    if (l < 1)
        return -1;
    uint64_t e = k->epoch + 1;
    uint8_t seed[32];
    memcpy(seed, k->fut[l], 32);
    sodium_memzero(k->fut[l], 32);
    k->fut_mask &= ~((uint64_t) 1 << (l - 1));
    descend(k, seed, l, e);
    sodium_memzero(k->leaf, sizeof k->leaf);
    sodium_memzero(k->sk, sizeof k->sk);
    memcpy(k->leaf, seed, 32);
    sodium_memzero(seed, sizeof seed);
    k->epoch = e;
    leaf_keypair(k->leaf, k->pk, k->sk);
    nlog__seal_tree_seal(k);
    return 0;
}

int nlog__seal_tree_advance_to(nlog__seal_keys *k, uint64_t target)
{
    if (target < k->epoch || target >= ((uint64_t) 1 << D))
        return -1;
    if (target == k->epoch)
        return 0;
    /* Jump: take the subtree of `target` from the stored siblings, then
     * rebuild the siblings below the point where the paths split. */
    int l = 1;
    while (bit_at(k->epoch, l) == bit_at(target, l))
        l++;
    if (!(k->fut_mask >> (l - 1) & 1))
        return -1;
    uint8_t seed[32];
    memcpy(seed, k->fut[l], 32);
    for (int m = l; m <= D; m++) {
        sodium_memzero(k->fut[m], 32);
        k->fut_mask &= ~((uint64_t) 1 << (m - 1));
    }
    descend(k, seed, l, target);
    sodium_memzero(k->leaf, sizeof k->leaf);
    sodium_memzero(k->sk, sizeof k->sk);
    memcpy(k->leaf, seed, 32);
    sodium_memzero(seed, sizeof seed);
    k->epoch = target;
    leaf_keypair(k->leaf, k->pk, k->sk);
    nlog__seal_tree_seal(k);
    return 0;
}

void nlog__seal_tree_seal(nlog__seal_keys *k)
{
    crypto_generichash(k->check, sizeof k->check, (const uint8_t *) k,
                       offsetof(nlog__seal_keys, check), NULL, 0);
}

int nlog__seal_tree_valid(const nlog__seal_keys *k)
{
    uint8_t c[16];
    crypto_generichash(c, sizeof c, (const uint8_t *) k, offsetof(nlog__seal_keys, check), NULL,
                       0);
    return sodium_memcmp(c, k->check, sizeof c) == 0;
}

unsigned nlog__seal_tree_next_keys(const nlog__seal_keys *k, uint8_t keys[D][32])
{
    unsigned n = nlog__seal_n_keys(k->epoch);
    for (unsigned j = 0; j < n; j++)
        if (nlog__seal_tree_key(k, k->epoch + ((uint64_t) 1 << j), keys[j], NULL) != 0)
            return j;
    return n;
}
