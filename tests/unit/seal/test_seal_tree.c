/* test_seal_tree.c: the forward-secure epoch key tree: every later key is
 * derivable, none earlier; advancing one epoch at a time, jumping, and
 * computing a later key directly agree; the keys a checkpoint vouches for;
 * the integrity check of the key material; the last epoch. */
#include <sodium.h>

#include "seal/tree.h"
#include "testutil.h"

static const uint8_t root[32] = {1, 2, 3, 4, 5, 6, 7, 8};

static void later_keys_agree(void **state)
{
    (void) state;
    nlog__seal_keys *k = malloc(sizeof *k), *j = malloc(sizeof *j);
    nlog__seal_tree_init(k, root);
    assert_int_equal(k->epoch, 0);
    assert_true(nlog__seal_tree_valid(k));
    uint8_t want[70][32];
    for (uint64_t e = 0; e < 70; e++)
        assert_int_equal(nlog__seal_tree_key(k, e, want[e], NULL), 0);
    for (uint64_t e = 1; e < 70; e++) {
        assert_int_equal(nlog__seal_tree_advance(k), 0);
        assert_int_equal(k->epoch, e);
        assert_memory_equal(k->pk, want[e], 32);
        uint8_t pk[32];
        assert_int_equal(nlog__seal_tree_key(k, e - 1, pk, NULL), -1); /* the past is gone */
    }
    /* a jump lands on the same keys as small steps would */
    nlog__seal_tree_init(j, root);
    assert_int_equal(nlog__seal_tree_advance_to(j, 69), 0);
    assert_memory_equal(j->pk, k->pk, 32);
    assert_memory_equal(j->sk, k->sk, 64);
    uint8_t far[32], far2[32];
    assert_int_equal(nlog__seal_tree_key(k, (1ULL << 33) + 12345, far, NULL), 0);
    assert_int_equal(nlog__seal_tree_advance_to(j, (1ULL << 33) + 12345), 0);
    assert_int_equal(nlog__seal_tree_key(j, (1ULL << 33) + 12345, far2, NULL), 0);
    assert_memory_equal(far, far2, 32);
    assert_memory_equal(j->pk, far, 32);
    free(k);
    free(j);
}

/* After advancing, nothing in the key material leads to an earlier leaf:
 * none of the seeds on the path to any earlier epoch is kept. */
static void the_past_is_erased(void **state)
{
    (void) state;
    nlog__seal_keys *k = malloc(sizeof *k);
    nlog__seal_tree_init(k, root);
    uint8_t leaves[21][32];
    memcpy(leaves[0], k->leaf, 32);
    for (int e = 1; e <= 20; e++) {
        assert_int_equal(nlog__seal_tree_advance(k), 0);
        memcpy(leaves[e], k->leaf, 32);
    }
    for (int e = 0; e < 20; e++) {
        const uint8_t *raw = (const uint8_t *) k;
        for (size_t off = 0; off + 32 <= sizeof *k; off++)
            assert_true(memcmp(raw + off, leaves[e], 32) != 0);
    }
    /* and every stored seed belongs to a subtree of epochs still to come */
    for (int l = 1; l <= NLOG__SEAL_DEPTH; l++)
        if (k->fut_mask >> (l - 1) & 1)
            assert_int_equal((k->epoch >> (NLOG__SEAL_DEPTH - l)) & 1, 0);
    free(k);
}

static void vouched_keys_and_checks(void **state)
{
    (void) state;
    nlog__seal_keys *k = malloc(sizeof *k);
    nlog__seal_tree_init(k, root);
    assert_int_equal(nlog__seal_tree_advance_to(k, 24), 0); /* 11000b: keys for 25, 26, 28 */
    uint8_t keys[NLOG__SEAL_DEPTH][32], pk[32];
    assert_int_equal(nlog__seal_tree_next_keys(k, keys), 3);
    static const uint64_t to[3] = {25, 26, 28};
    for (int j = 0; j < 3; j++) {
        assert_int_equal(nlog__seal_tree_key(k, to[j], pk, NULL), 0);
        assert_memory_equal(pk, keys[j], 32);
    }
    assert_true(nlog__seal_tree_valid(k));
    k->fut[NLOG__SEAL_DEPTH][3] ^= 1; /* damaged key material is noticed */
    assert_false(nlog__seal_tree_valid(k));
    nlog__seal_tree_seal(k);
    assert_int_equal(nlog__seal_tree_advance_to(k, (1ULL << NLOG__SEAL_DEPTH) - 1), 0);
    assert_int_equal(nlog__seal_tree_advance(k), -1); /* the last epoch */
    assert_int_equal(nlog__seal_tree_key(k, 1ULL << NLOG__SEAL_DEPTH, pk, NULL), -1);
    free(k);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(later_keys_agree),
        cmocka_unit_test(the_past_is_erased),
        cmocka_unit_test(vouched_keys_and_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
