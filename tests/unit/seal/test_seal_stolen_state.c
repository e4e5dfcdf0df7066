/* test_seal_stolen_state.c: what an attacker who copied the host sealing
 * state can and cannot make verify (docs/FORMAT.md, "Threat model").
 *
 * These began as the review's proofs of concept, which produced logs that
 * verified although records of closed epochs had been rewritten: a log
 * starting with an anchor of the current epoch placed anywhere, with a
 * retention note signed by the stolen key explaining the missing start; and
 * a key of a closed epoch left in the state after nlog_shutdown(). Each test
 * builds the forgery exactly as an attacker would (from the log's public
 * lines and the stolen state alone) and asserts that it is detected, or,
 * for what the threat model concedes, exactly how it is reported. */
#include <sodium.h>
#include <sys/stat.h>

#include "platform/platform.h"
#include "seal/b64.h"
#include "seal/keyfile.h"
#include "seal/line.h"
#include "seal/state.h"
#include "seal/tree.h"
#include "seal/verify.h"
#include "seal/wire.h"
#include "seal_util.h"

static const int64_t T0 = 1795478400LL * 1000000000LL;

/* 22 records, 4 per checkpoint: epochs 0..4 cover 1..20, the close
 * checkpoint (epoch 5) covers 21..22; the state stands at epoch 6. */
static void make_log(su_env *e, const char *name)
{
    su_env_init(e, name);
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(e, 4, NULL);
    su_records(1, 22);
    nlog_shutdown();
}

static const char *log_path(const su_env *e)
{
    return tu_path(e->dir, "netlink.log");
}

/* Both key slots of the host state, as someone who copies the file gets them. */
static void steal(const su_env *e, nlog__seal_keys *cur, nlog__seal_keys *other)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/.seal/netlink.log.seal", e->dir);
    int fd;
    nlog__seal_file *m;
    assert_int_equal(nlog__seal_state_map(p, &fd, &m), 0);
    unsigned sel = m->meta.m.sel;
    *cur = m->keys[sel & 1].k;
    *other = m->keys[(sel & 1) ^ 1].k;
    nlog__seal_state_unmap(fd, m);
}

/* The checkpoint line of `epoch` in L, parsed into ck. */
static void ckpt_of_epoch(const su_lines *L, uint64_t epoch, nlog__seal_ckpt *ck)
{
    char why[256];
    for (size_t i = 0; i < L->n; i++) {
        if (!su_is_ckpt(L->l[i]) || su_num(L->l[i], "epoch") != epoch)
            continue;
        assert_int_equal(nlog__seal_ckpt_parse(L->l[i], strlen(L->l[i]), ck, why, sizeof why), 0);
        return;
    }
    fail_msg("no checkpoint of epoch %llu", (unsigned long long) epoch);
}

/* What the attacker writes: an anchor of epoch 6 (the stolen state's) with
 * the genuine checkpoints of `proof` (public: they are in the log), standing
 * at `first` after `prev`; the records first..last of L, record `edit`
 * changed; a checkpoint of epoch 6 signed with the stolen key covering
 * them, with a retention note for 1..first-1. */
typedef struct forgery {
    const uint64_t *proof;
    size_t n_proof;
    uint64_t first, last, edit;
    const uint8_t *prev; /* NULL: zeros */
} forgery;

static void forge(const su_env *e, const su_lines *L, const nlog__seal_keys *cur,
                  const forgery *fg)
{
    char why[256];
    nlog__seal_anchor *a = malloc(sizeof *a);
    nlog__seal_ckpt *ck = malloc(sizeof *ck);
    uint8_t *gen = malloc(4096), *proof = malloc(16384);
    char *out = malloc(NLOG__SEAL_CTRL_MAX), *xt = malloc(NLOG__SEAL_EXTRA_MAX);
    nlog__seal_extra *x = calloc(1, sizeof *x);
    assert_true(a && ck && gen && proof && out && xt && x);
    assert_true(su_is_anchor(L->l[0]));
    assert_int_equal(nlog__seal_anchor_parse(L->l[0], strlen(L->l[0]), a, why, sizeof why), 0);
    size_t gl = nlog__seal_gen_encode(&a->gen, gen);
    memcpy(gen + gl, a->gen_sig, 64);
    gl += 64;
    size_t pl = 0;
    for (size_t i = 0; i < fg->n_proof; i++) {
        ckpt_of_epoch(L, fg->proof[i], ck);
        pl += nlog__seal_hdr_encode(&ck->hdr, proof + pl);
        memcpy(proof + pl, ck->sig, 64);
        pl += 64;
    }
    uint8_t prev[32] = {0};
    if (fg->prev)
        memcpy(prev, fg->prev, 32);
    FILE *f = fopen(log_path(e), "wb");
    assert_non_null(f);
    size_t n = nlog__seal_anchor_render(a->stream, a->name, 6, fg->first, prev, gen, gl, proof,
                                        pl, NULL, 0, out);
    assert_int_equal(fwrite(out, 1, n, f), n);

    memset(ck, 0, sizeof *ck);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, prev, 32);
    size_t nt = 0;
    for (uint64_t s = fg->first; s <= fg->last; s++) {
        long r = su_find(L, s);
        assert_true(r >= 0);
        char line[4096];
        snprintf(line, sizeof line, "%s", L->l[r]);
        if (s == fg->edit) {
            char from[32], *p;
            snprintf(from, sizeof from, "\"n\":%llu", (unsigned long long) s);
            assert_non_null(p = strstr(line, from));
            p[4] = p[4] == '9' ? '8' : '9'; /* same length, another value */
        }
        uint8_t h[32];
        nlog__seal_hash(line, strlen(line), h);
        memcpy(ck->tags[nt++], h, 8);
        crypto_generichash_update(&st, h, 32);
        fprintf(f, "%s\n", line);
    }
    nlog__seal_hdr *h = &ck->hdr;
    memcpy(h->stream, a->stream, 16);
    h->epoch = 6;
    h->first = fg->first;
    h->last = fg->last;
    h->wall_ns = T0;
    h->reason = 5; /* retention */
    h->n_keys = (uint8_t) nlog__seal_n_keys(6);
    for (unsigned j = 0; j < h->n_keys; j++)
        assert_int_equal(nlog__seal_tree_key(cur, 6 + (1ull << j), h->keys[j], NULL), 0);
    memcpy(h->prev, prev, 32);
    crypto_generichash_final(&st, h->root, 32);
    nlog__seal_hash(ck->tags, nt * 8, h->tags_hash);
    x->has_cut = 1;
    x->cut_first = 1;
    x->cut_last = fg->first - 1;
    x->n_cut_files = 1;
    strcpy(x->cut_files[0], "netlink-20261124T000000Z-000001.log");
    size_t xl = nlog__seal_extra_render(x, xt);
    nlog__seal_hash(xt, xl, h->extra_hash);
    uint8_t sig[64];
    nlog__seal_hdr_sign(h, cur->sk, sig);
    n = nlog__seal_ckpt_render(h, sig, (const uint8_t(*)[8]) ck->tags, nt, NULL, xt, xl, out);
    assert_int_equal(fwrite(out, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    free(a);
    free(ck);
    free(gen);
    free(proof);
    free(out);
    free(xt);
    free(x);
}

static void steal_current(const su_env *e, nlog__seal_keys *cur)
{
    nlog__seal_keys *other = malloc(sizeof *other);
    assert_non_null(other);
    steal(e, cur, other);
    assert_int_equal(cur->epoch, 6);
    free(other);
}

/* The review's attack B as it was: anchor of epoch 6 at record 9 (proof:
 * checkpoints 0 and 4), records 9..12 of epoch 2 with 10 edited, cut 1..8. */
static void anchor_inside_a_closed_epoch(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "stolen_anchor");
    nlog__seal_keys *cur = malloc(sizeof *cur);
    steal_current(&e, cur);
    su_lines L = su_read(log_path(&e));
    static const uint64_t proof[] = {0, 4};
    forgery fg = {proof, 2, 9, 12, 10, NULL};
    forge(&e, &L, cur, &fg);
    nlog_seal_report *r = su_verify(&e, NULL);
    assert_false(nlog_seal_report_ok(r));
    if (!su_has(r, NLOG_SEAL_CHAIN_BREAK, 9)) {
        su_print(r);
        fail_msg("want CHAIN_BREAK at 9");
    }
    const nlog_seal_log_summary *s = su_log(r, "netlink.log");
    assert_int_equal(s->retention_last, 0); /* the stolen key's cut is not believed */
    assert_int_equal(s->sealed_records, 0);
    nlog_seal_report_destroy(r);
    su_free(&L);
    free(cur);
}

/* The same with the complete proof (its last step the genuine checkpoint of
 * epoch 5, public too): the anchor must then stand right after record 22,
 * and the chain must continue exactly that checkpoint. */
static void anchor_must_continue_the_signed_checkpoint(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "stolen_prior");
    nlog__seal_keys *cur = malloc(sizeof *cur);
    nlog__seal_ckpt *ck5 = malloc(sizeof *ck5);
    steal_current(&e, cur);
    su_lines L = su_read(log_path(&e));
    ckpt_of_epoch(&L, 5, ck5);
    assert_int_equal(ck5->hdr.last, 22);
    uint8_t h5[32];
    nlog__seal_hdr_hash(&ck5->hdr, ck5->sig, h5);
    static const uint64_t proof[] = {0, 4, 5};

    /* at record 9, chained to checkpoint 5 */
    forgery fg = {proof, 3, 9, 12, 10, h5};
    forge(&e, &L, cur, &fg);
    nlog_seal_report *r = su_verify(&e, NULL);
    assert_false(nlog_seal_report_ok(r));
    su_assert_first(r, NLOG_SEAL_CHAIN_BREAK, 9);
    assert_int_equal(su_log(r, "netlink.log")->retention_last, 0);
    nlog_seal_report_destroy(r);

    /* at record 23, but with another prev (re-sealing 21..22 is impossible:
     * they are in checkpoint 5's range, before the anchor) */
    static const uint8_t other[32] = {1};
    forgery fg2 = {proof, 3, 23, 22, 0, other};
    forge(&e, &L, cur, &fg2);
    r = su_verify(&e, NULL);
    assert_false(nlog_seal_report_ok(r));
    su_assert_first(r, NLOG_SEAL_CHAIN_BREAK, 23);
    nlog_seal_report_destroy(r);
    su_free(&L);
    free(cur);
    free(ck5);
}

/* What the threat model concedes: with the state of epoch 6 one can drop
 * everything sealed before it and sign a retention record for it. That
 * verifies, and says so: deleted by retention 1..22, nothing sealed, no
 * record of a closed epoch present. An export of the last genuine
 * checkpoint agrees (it is the one the anchor continues). */
static void what_a_stolen_state_can_still_do(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "stolen_drop");
    char exp[4400];
    snprintf(exp, sizeof exp, "%s/export.ckpt", e.base);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(nlog_seal_report_export_checkpoint(r, 0, exp), NLOG_OK);
    nlog_seal_report_destroy(r);

    /* an older export: the log as it was after checkpoint 2 */
    su_lines L = su_read(log_path(&e));
    char old_dir[4400], old_log[4500], old_exp[4400];
    snprintf(old_dir, sizeof old_dir, "%s/old", e.base);
    snprintf(old_log, sizeof old_log, "%s/netlink.log", old_dir);
    snprintf(old_exp, sizeof old_exp, "%s/export-old.ckpt", e.base);
    assert_int_equal(mkdir(old_dir, 0750), 0);
    su_lines O = su_read(log_path(&e));
    size_t keep = 0;
    while (keep < O.n && !(su_is_ckpt(O.l[keep]) && su_num(O.l[keep], "epoch") == 2))
        keep++;
    assert_true(keep < O.n);
    while (O.n > keep + 1)
        su_delete(&O, O.n - 1);
    su_write(old_log, &O);
    su_free(&O);
    const char *op[1] = {old_dir};
    r = su_verify_with(e.pub, op, 1, NULL, 0);
    su_assert_ok(r);
    assert_int_equal(nlog_seal_report_export_checkpoint(r, 0, old_exp), NLOG_OK);
    nlog_seal_report_destroy(r);

    nlog__seal_keys *cur = malloc(sizeof *cur);
    nlog__seal_ckpt *ck5 = malloc(sizeof *ck5);
    steal_current(&e, cur);
    ckpt_of_epoch(&L, 5, ck5);
    uint8_t h5[32];
    nlog__seal_hdr_hash(&ck5->hdr, ck5->sig, h5);
    static const uint64_t proof[] = {0, 4, 5};
    forgery fg = {proof, 3, 23, 22, 0, h5};
    forge(&e, &L, cur, &fg);
    r = su_verify(&e, NULL);
    su_assert_ok(r);
    const nlog_seal_log_summary *s = su_log(r, "netlink.log");
    assert_int_equal(s->retention_first, 1);
    assert_int_equal(s->retention_last, 22);
    assert_int_equal(s->sealed_records, 0);
    assert_int_equal(s->records, 0);
    nlog_seal_report_destroy(r);

    const char *p[1] = {e.dir};
    r = su_verify_with(e.pub, p, 1, exp, 0);
    su_assert_ok(r);
    assert_true(su_log(r, "netlink.log")->against_checked);
    nlog_seal_report_destroy(r);
    /* the older export lies inside the "deleted" range: not compared */
    r = su_verify_with(e.pub, p, 1, old_exp, 0);
    su_assert_ok(r);
    assert_false(su_log(r, "netlink.log")->against_checked);
    assert_int_equal(su_log(r, "netlink.log")->retention_last, 22);
    nlog_seal_report_destroy(r);
    su_free(&L);
    free(cur);
    free(ck5);
}

/* The review's attack A: after nlog_shutdown() the other key slot held the
 * key of the epoch the close checkpoint was signed with, so the records it
 * sealed could be re-sealed. Now closing wipes it. */
static void closed_epoch_key_gone_after_shutdown(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "stolen_oldslot");
    nlog__seal_keys *cur = malloc(sizeof *cur), *other = malloc(sizeof *other);
    steal(&e, cur, other);
    assert_int_equal(cur->epoch, 6);
    assert_true(nlog__seal_tree_valid(cur));
    static const nlog__seal_keys zero;
    assert_memory_equal(other, &zero, sizeof zero);
    assert_false(nlog__seal_tree_valid(other));
    uint8_t pk[32];
    assert_int_not_equal(nlog__seal_tree_key(cur, 5, pk, NULL), 0);
    free(cur);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anchor_inside_a_closed_epoch),
        cmocka_unit_test(anchor_must_continue_the_signed_checkpoint),
        cmocka_unit_test(what_a_stolen_state_can_still_do),
        cmocka_unit_test(closed_epoch_key_gone_after_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
