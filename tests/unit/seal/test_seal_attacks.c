/* test_seal_attacks.c: the attacks of issue 4, each reported with its kind
 * and exact sequence number. Logs are written by the library itself
 * (seal_checkpoint_records 4, so 22 records give checkpoints for 1-4, 5-8,
 * 9-12, 13-16, 17-20 and, at close, 21-22: epochs 0 to 5); the attacker
 * edits the files with ordinary tools (and, where the attack says so, with
 * a stolen copy of the host sealing state), and the real verifier judges.
 * The clocks are fake, so no checkpoint comes from the interval. */
#include <dirent.h>
#include <malloc.h>
#include <sodium.h>
#include <sys/wait.h>

#include "platform/platform.h"
#include "seal/b64.h"
#include "seal/keyfile.h"
#include "seal/verify.h"
#include "seal/line.h"
#include "seal/reader.h"
#include "seal/state.h"
#include "seal/timer.h"
#include "seal/tree.h"
#include "seal/wire.h"
#include "seal_util.h"
#include "sink/retention.h"

static const int64_t T0 = 1795478400LL * 1000000000LL; /* 2026-11-24T00:00:00Z */

static void make_log(su_env *e, const char *name, int n)
{
    su_env_init(e, name);
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(e, 4, NULL);
    su_records(1, n);
    nlog_shutdown();
}

static const char *log_path(const su_env *e)
{
    return tu_path(e->dir, "netlink.log");
}

/* Recomputes the tag of record `seq` in its checkpoint's line (tags and
 * root are plain hashes anyone can compute), leaving the signature alone. */
static void recompute_tag(su_lines *L, unsigned long long seq)
{
    long r = su_find(L, seq), c = su_ckpt_of(L, seq);
    assert_true(r >= 0 && c >= 0);
    uint8_t h[32];
    nlog__seal_hash(L->l[r], strlen(L->l[r]), h);
    const char *t = strstr(L->l[c], "\"tags\":\"") + 8;
    const char *end = strchr(t, '"');
    uint8_t raw[8000];
    long n = nlog__b64_decode(t, (size_t) (end - t), raw, sizeof raw);
    assert_true(n > 0);
    memcpy(raw + (seq - su_num(L->l[c], "first")) * 8, h, 8);
    char enc[12000];
    enc[nlog__b64_encode(raw, (size_t) n, enc)] = '\0';
    char old[12000];
    snprintf(old, sizeof old, "\"tags\":\"%.*s\"", (int) (end - t), t);
    char neu[12100];
    snprintf(neu, sizeof neu, "\"tags\":\"%s\"", enc);
    su_edit(L, (size_t) c, old, neu);
}

/* 2. Edit one value in record k (and recompute any plain hashes). */
static void edit_one_value(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "edit", 22);
    su_lines L = su_read(log_path(&e));
    long i = su_find(&L, 10);
    su_edit(&L, (size_t) i, "\"n\":10", "\"n\":99");
    su_write(log_path(&e), &L);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_MAC_MISMATCH, 10);
    assert_int_equal(nlog_seal_report_n_problems(r), 1);
    nlog_seal_report_destroy(r);

    /* the attacker also recomputes the record's tag in its checkpoint line */
    recompute_tag(&L, 10);
    su_write(log_path(&e), &L);
    r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_MAC_MISMATCH, 10); /* the next checkpoint repeats the tag */
    assert_true(su_has(r, NLOG_SEAL_CHECKPOINT_SIG, 10));
    nlog_seal_report_destroy(r);
    su_free(&L);
}

/* 3. Delete record k and renumber the rest; delete it without renumbering. */
static void delete_record(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "delete", 22);
    su_lines L = su_read(log_path(&e));
    su_delete(&L, (size_t) su_find(&L, 10));
    su_write(log_path(&e), &L);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_SEQ_GAP, 10);
    assert_int_equal(nlog_seal_report_n_problems(r), 1);
    nlog_seal_report_destroy(r);

    for (unsigned long long s = 11; s <= 22; s++) {
        char from[32], to[32];
        snprintf(from, sizeof from, ",\"seal\":%llu}", s);
        snprintf(to, sizeof to, ",\"seal\":%llu}", s - 1);
        su_edit(&L, (size_t) su_find(&L, s), from, to);
    }
    su_write(log_path(&e), &L);
    r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_MAC_MISMATCH, 10); /* record 11, now numbered 10 */
    nlog_seal_report_destroy(r);
    su_free(&L);
}

/* 4. Duplicate record k; swap k and k+1; insert a forged record. */
static void duplicate_swap_insert(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "dupswap", 22);
    su_lines L = su_read(log_path(&e));
    long i = su_find(&L, 10);
    su_insert(&L, (size_t) i + 1, L.l[i]);
    su_write(log_path(&e), &L);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_SEQ_DUP, 10);
    assert_int_equal(nlog_seal_report_n_problems(r), 1);
    nlog_seal_report_destroy(r);
    su_free(&L);

    L = su_read(log_path(&e));
    su_delete(&L, (size_t) su_find(&L, 10) + 1); /* undo */
    i = su_find(&L, 10);
    char *tmp = L.l[i];
    L.l[i] = L.l[i + 1];
    L.l[i + 1] = tmp;
    su_write(log_path(&e), &L);
    r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_ORDER, 10);
    assert_int_equal(nlog_seal_report_n_problems(r), 1);
    nlog_seal_report_destroy(r);
    tmp = L.l[i];
    L.l[i] = L.l[i + 1];
    L.l[i + 1] = tmp;

    /* a forged record that claims to be record 10, next to the real one */
    char forged[1024];
    snprintf(forged, sizeof forged, "%s", L.l[i]);
    su_insert(&L, (size_t) i + 1, forged);
    su_edit(&L, (size_t) i + 1, "\"n\":10", "\"n\":77");
    su_write(log_path(&e), &L);
    r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_MAC_MISMATCH, 10);
    nlog_seal_report_destroy(r);

    /* a forged record without a seal member between two sealed ones */
    su_set(&L, (size_t) i + 1,
           "{\"timestamp\":\"2026-11-24T00:00:00.000000Z\",\"level\":\"INFO\",\"message\":\"x\"}");
    su_write(log_path(&e), &L);
    r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_UNSEALED, 11);
    nlog_seal_report_destroy(r);
    su_free(&L);
}

/* 5. Truncate into the sealed part (checked against a later exported
 * checkpoint); truncate only the unsealed tail. */
static void truncate_sealed_and_tail(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "truncate", 22);
    char exp[4400];
    snprintf(exp, sizeof exp, "%s/exported", e.base);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(nlog_seal_report_export_checkpoint(r, 0, exp), NLOG_OK);
    nlog_seal_report_destroy(r);

    su_lines L = su_read(log_path(&e));
    long i = su_find(&L, 14);
    L.l[i][40] = '\0'; /* cut in the middle of record 14 */
    while (L.n > (size_t) i + 1)
        su_delete(&L, L.n - 1);
    L.partial = 1;
    su_write(log_path(&e), &L);
    const char *p[1] = {e.dir};
    r = su_verify_with(e.pub, p, 1, exp, 0);
    su_assert_first(r, NLOG_SEAL_TRUNCATED, 14);
    nlog_seal_report_destroy(r);
    /* without the exported checkpoint it is an unprotected tail, counted */
    r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->trailing, 1);    /* record 13 */
    assert_int_equal(su_log(r, "netlink.log")->partial_lines, 1); /* the cut record 14 */
    nlog_seal_report_destroy(r);
    su_free(&L);

    /* A writer still running has records after its last checkpoint. */
    su_env t;
    su_env_init(&t, "truncate_tail");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&t, 4, NULL);
    su_records(1, 11); /* checkpoints after 4 and 8; 9..11 wait */
    L = su_read(log_path(&t));
    su_delete(&L, (size_t) su_find(&L, 11)); /* drop the last of them */
    su_write(log_path(&t), &L);
    r = su_verify(&t, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->trailing, 2);
    assert_int_equal(su_log(r, "netlink.log")->sealed_last, 8);
    nlog_seal_report_destroy(r);
    su_free(&L);
    nlog_shutdown();
}

/* 6. Replace the log with an older copy, checked against an exported
 * checkpoint. */
static void rollback_to_older_copy(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "rollback");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, NULL);
    su_records(1, 14);
    char old[4400], exp[4400];
    snprintf(old, sizeof old, "%s/older-copy.log", e.base);
    su_copy_file(log_path(&e), old); /* records 1..14, 13 and 14 not yet checkpointed */
    su_records(15, 22);
    nlog_shutdown();
    snprintf(exp, sizeof exp, "%s/exported", e.base);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(nlog_seal_report_export_checkpoint(r, 0, exp), NLOG_OK);
    nlog_seal_report_destroy(r);

    su_copy_file(old, log_path(&e));
    const char *p[1] = {e.dir};
    r = su_verify_with(e.pub, p, 1, exp, 0);
    su_assert_first(r, NLOG_SEAL_ROLLBACK, 15);
    nlog_seal_report_destroy(r);
    /* on its own the older copy is a consistent log */
    r = su_verify(&e, NULL);
    su_assert_ok(r);
    nlog_seal_report_destroy(r);
}

/* The key material of a copy of the host state (what a thief gets): the
 * current slot in *k, the other one in *other. */
static void steal_keys(const su_env *e, nlog__seal_keys *k, nlog__seal_keys *other,
                       uint8_t stream[16])
{
    char p[4400];
    snprintf(p, sizeof p, "%s/.seal/netlink.log.seal", e->dir);
    int fd;
    nlog__seal_file *m;
    assert_int_equal(nlog__seal_state_map(p, &fd, &m), 0);
    unsigned sel = m->meta.m.sel;
    *k = m->keys[sel & 1].k;
    *other = m->keys[(sel & 1) ^ 1].k;
    memcpy(stream, m->meta.m.stream, 16);
    nlog__seal_state_unmap(fd, m);
}

/* Re-seals the checkpoint line of record k's range after editing record k,
 * signing with the stolen key and claiming `epoch`. */
static void reseal(su_lines *L, unsigned long long k, const nlog__seal_keys *keys,
                   uint64_t epoch)
{
    long c = su_ckpt_of(L, k);
    nlog__seal_ckpt *ck = malloc(sizeof *ck);
    char why[128];
    assert_int_equal(nlog__seal_ckpt_parse(L->l[c], strlen(L->l[c]), ck, why, sizeof why), 0);
    uint64_t a = ck->hdr.first;
    /* new tags and root over the records as they now are */
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, ck->hdr.prev, 32);
    for (uint64_t s = a; s <= ck->hdr.last; s++) {
        uint8_t h[32];
        long r = su_find(L, s);
        nlog__seal_hash(L->l[r], strlen(L->l[r]), h);
        memcpy(ck->tags[s - a], h, 8);
        crypto_generichash_update(&st, h, 32);
    }
    crypto_generichash_final(&st, ck->hdr.root, 32);
    nlog__seal_hash(ck->tags, ck->n_tags * 8, ck->hdr.tags_hash);
    ck->hdr.epoch = epoch;
    ck->hdr.n_keys = (uint8_t) nlog__seal_n_keys(epoch);
    for (unsigned j = 0; j < ck->hdr.n_keys; j++)
        assert_int_equal(nlog__seal_tree_key(keys, keys->epoch + ((uint64_t) 1 << j),
                                             ck->hdr.keys[j], NULL),
                         0);
    uint8_t sig[64];
    nlog__seal_hdr_sign(&ck->hdr, keys->sk, sig);
    char *out = malloc(NLOG__SEAL_CTRL_MAX);
    size_t n = nlog__seal_ckpt_render(&ck->hdr, sig, (const uint8_t(*)[8]) ck->tags, ck->n_tags,
                                      (const uint8_t(*)[8]) ck->prev_tags, NULL, 0, out);
    out[n - 1] = '\0';
    su_set(L, (size_t) c, out);
    free(out);
    free(ck);
}

/* 7. Steal the host's current sealing state and re-seal modified older
 * records; truncate to an older epoch and continue appending. */
static void stolen_state(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "stolen", 22);
    nlog__seal_keys *keys = malloc(sizeof *keys), *other = malloc(sizeof *other);
    uint8_t stream[16];
    steal_keys(&e, keys, other, stream);
    assert_int_equal(keys->epoch, 6); /* epochs 0..5 are closed: their keys are gone */
    uint8_t pk[32];
    assert_int_not_equal(nlog__seal_tree_key(keys, 2, pk, NULL), 0);

    su_lines L = su_read(log_path(&e));
    /* Whatever either slot still holds cannot re-seal record 21, sealed by
     * the close checkpoint (epoch 5) just before nlog_shutdown(). */
    const nlog__seal_keys *slot[2] = {keys, other};
    int usable = 0;
    for (int i = 0; i < 2; i++) {
        if (!nlog__seal_tree_valid(slot[i]))
            continue;
        usable++;
        su_lines M = su_read(log_path(&e));
        su_edit(&M, (size_t) su_find(&M, 21), "\"n\":21", "\"n\":66");
        reseal(&M, 21, slot[i], slot[i]->epoch);
        char forged[4400];
        snprintf(forged, sizeof forged, "%s/forged%d", e.base, i);
        assert_int_equal(mkdir(forged, 0750), 0);
        su_write(tu_path(forged, "netlink.log"), &M);
        su_free(&M);
        nlog_seal_report *r = su_verify(&e, forged);
        if (nlog_seal_report_ok(r))
            fail_msg("record 21 re-sealed with the slot of epoch %llu verifies",
                     (unsigned long long) slot[i]->epoch);
        assert_true(su_has(r, NLOG_SEAL_MAC_MISMATCH, 21) ||
                    su_has(r, NLOG_SEAL_UNKNOWN_KEY_EPOCH, 21) ||
                    su_has(r, NLOG_SEAL_CHECKPOINT_SIG, 21));
        nlog_seal_report_destroy(r);
    }
    assert_int_equal(usable, 1); /* the closed epoch's slot was wiped at close */
    su_edit(&L, (size_t) su_find(&L, 10), "\"n\":10", "\"n\":99");
    reseal(&L, 10, keys, 2); /* claims to be epoch 2's checkpoint */
    su_write(log_path(&e), &L);
    nlog_seal_report *r = su_verify(&e, NULL);
    assert_true(su_has(r, NLOG_SEAL_CHECKPOINT_SIG, 10));
    assert_int_equal(su_problem(r, 0)->seq, 10);
    assert_true(su_has(r, NLOG_SEAL_MAC_MISMATCH, 10));
    nlog_seal_report_destroy(r);

    reseal(&L, 10, keys, 6); /* signed openly with its own epoch */
    su_write(log_path(&e), &L);
    r = su_verify(&e, NULL);
    assert_true(su_has(r, NLOG_SEAL_UNKNOWN_KEY_EPOCH, 10));
    assert_int_equal(su_problem(r, 0)->seq, 10);
    nlog_seal_report_destroy(r);
    su_free(&L);

    /* Truncate back to epoch 2 (records 1..12) and let the stolen state go on
     * writing after it. */
    su_env t;
    make_log(&t, "stolen_truncate", 22);
    L = su_read(log_path(&t));
    long c = su_ckpt_of(&L, 12);
    for (size_t j = L.n; j-- > (size_t) c + 1;)
        su_delete(&L, j);
    su_write(log_path(&t), &L);
    su_free(&L);
    su_init(&t, 4, NULL);
    su_records(23, 30);
    nlog_shutdown();
    r = su_verify(&t, NULL);
    su_assert_first(r, NLOG_SEAL_SEQ_GAP, 13); /* records 13..22 are gone */
    assert_true(su_has(r, NLOG_SEAL_UNKNOWN_KEY_EPOCH, 13)); /* and epoch 6 follows epoch 2 */
    nlog_seal_report_destroy(r);
    free(keys);
    free(other);
}

/* 8. Delete a checkpoint line; delete a middle rotated segment; deletion by
 * retention with and without a retention record. */
static int hour; /* for the rotation logs below */

static void rotated_log(su_env *e, const char *name, int hours, const char *keep)
{
    su_env_init(e, name);
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(e, 4, "rotate", "hourly", "retention_max_age_days", "0", "retention_max_files", keep,
            "compression_enabled", "true", NULL);
    for (hour = 0; hour < hours; hour++) {
        su_records(hour * 3 + 1, hour * 3 + 3);
        tu_clock_advance(3600 * SU_SEC);
    }
    nlog__maint_test_wait_idle();
    nlog_shutdown();
}

static void delete_checkpoint_and_segments(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "delete_ckpt", 22);
    su_lines L = su_read(log_path(&e));
    su_delete(&L, (size_t) su_ckpt_of(&L, 10));
    su_write(log_path(&e), &L);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_CHAIN_BREAK, 9);
    assert_int_equal(nlog_seal_report_n_problems(r), 1); /* 9..12 still checked by epoch 3 */
    nlog_seal_report_destroy(r);
    su_free(&L);

    /* four hourly segments: records 1-3, 4-6, 7-9, 10-12, then the active file */
    su_env s;
    rotated_log(&s, "delete_segment", 5, "0");
    char segs[8][256];
    int n = 0;
    DIR *d = opendir(s.dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "netlink-", 8) == 0 && n < 8)
            snprintf(segs[n++], sizeof segs[0], "%s", de->d_name);
    closedir(d);
    assert_int_equal(n, 4);
    qsort(segs, (size_t) n, sizeof segs[0], (int (*)(const void *, const void *)) strcmp);
    r = su_verify(&s, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->files, 5);
    nlog_seal_report_destroy(r);
    assert_int_equal(unlink(tu_path(s.dir, segs[1])), 0); /* records 4..6 */
    r = su_verify(&s, NULL);
    su_assert_first(r, NLOG_SEAL_MISSING_SEGMENT, 4);
    assert_int_equal(nlog_seal_report_n_problems(r), 1);
    nlog_seal_report_destroy(r);
    assert_int_equal(unlink(tu_path(s.dir, segs[0])), 0); /* and the first: 1..3 */
    r = su_verify(&s, NULL);
    su_assert_first(r, NLOG_SEAL_MISSING_SEGMENT, 1);
    nlog_seal_report_destroy(r);

    /* retention keeps one segment and says so in a signed record */
    su_env k;
    rotated_log(&k, "retention_cut", 5, "1");
    r = su_verify(&k, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->files, 2);
    assert_int_equal(su_log(r, "netlink.log")->retention_first, 1);
    assert_int_equal(su_log(r, "netlink.log")->retention_last, 9);
    nlog_seal_report_destroy(r);
}

/* 8, after a key change: stream A writes hours 0-3 (records 1-3, 4-6, 7-9,
 * 10-12), is replaced by stream B (a new master through --rotate-from), and B
 * writes hours 4-6. Segments: A0 A1 A2 A3 B4 B5, then the active file. With
 * `keep` files kept, retention deletes A0..A2 while A3 stays, so the log
 * starts inside stream A, which no longer writes: B signs A's cuts. */
static void rekeyed_log(su_env *e, const char *name, const char *keep, int hours)
{
    su_env_init(e, name);
    char keys2[4400], src[4500], dst[4500];
    snprintf(keys2, sizeof keys2, "%s/keys2", e->base);
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(e, 4, "rotate", "hourly", "retention_max_age_days", "0", "retention_max_files", keep,
            "compression_enabled", "true", NULL);
    for (hour = 0; hour < hours; hour++) {
        if (hour == 4) {
            const char *names[1] = {"netlink.log"};
            assert_int_equal(nlog_seal_keygen(keys2, names, 1, e->keys), NLOG_OK);
            snprintf(src, sizeof src, "%s/host/netlink.log.seal.next", keys2);
            snprintf(dst, sizeof dst, "%s/.seal/netlink.log.seal.next", e->dir);
            su_copy_file(src, dst);
            nlog__seal_timer_run(); /* the rekey: A ends, B begins */
        }
        su_records(hour * 3 + 1, hour * 3 + 3);
        nlog__maint_test_wait_idle();
        tu_clock_advance(3600 * SU_SEC);
    }
    nlog__maint_test_wait_idle();
    nlog_shutdown();
}

static int segments_of(const su_env *e, char segs[][256], int max)
{
    int n = 0;
    DIR *d = opendir(e->dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "netlink-", 8) == 0 && n < max)
            snprintf(segs[n++], 256, "%s", de->d_name);
    closedir(d);
    qsort(segs, (size_t) n, 256, (int (*)(const void *, const void *)) strcmp);
    return n;
}

static void retention_after_rekey(void **state)
{
    (void) state;
    char segs[8][256];
    /* by retention: B's checkpoints name stream A and records 1..9 */
    su_env k;
    rekeyed_log(&k, "rekey_retention", "3", 7);
    assert_int_equal(segments_of(&k, segs, 8), 3); /* A3 B4 B5 */
    nlog_seal_report *r = su_verify(&k, NULL);
    su_assert_ok(r);
    const nlog_seal_log_summary *sum = su_log(r, "netlink.log");
    assert_int_equal(sum->files, 4);
    assert_int_equal(sum->streams, 2);
    assert_int_equal(sum->retention_first, 1);
    assert_int_equal(sum->retention_last, 9);
    assert_int_equal(sum->records, 3 + 9); /* A's 10-12 and B's 1-9 */
    nlog_seal_report_destroy(r);
    su_lines L = su_read(tu_path(k.dir, "netlink.log"));
    int named = 0; /* the active file holds B's last cut, for A's 7..9 */
    for (size_t i = 0; i < L.n; i++)
        if (su_is_ckpt(L.l[i]) && strstr(L.l[i], "\"cut\":{\"stream\":") &&
            strstr(L.l[i], "\"first\":7,\"last\":9,"))
            named++;
    assert_int_equal(named, 1);
    su_free(&L);

    /* the same deletion by hand: nothing explains records 1..9 */
    su_env h;
    rekeyed_log(&h, "rekey_by_hand", "0", 7);
    int n = segments_of(&h, segs, 8);
    assert_int_equal(n, 6);
    r = su_verify(&h, NULL);
    su_assert_ok(r);
    nlog_seal_report_destroy(r);
    for (int i = 0; i < 3; i++)
        assert_int_equal(unlink(tu_path(h.dir, segs[i])), 0);
    r = su_verify(&h, NULL);
    su_assert_first(r, NLOG_SEAL_MISSING_SEGMENT, 1);
    assert_int_equal(nlog_seal_report_n_problems(r), 1);
    assert_int_equal(su_log(r, "netlink.log")->retention_last, 0);
    nlog_seal_report_destroy(r);

    /* a gap that retention did not make stays one: A2 (7..9) gone by hand
     * while A0, A1 remain */
    su_env g;
    rekeyed_log(&g, "rekey_gap", "0", 7);
    assert_int_equal(segments_of(&g, segs, 8), 6);
    assert_int_equal(unlink(tu_path(g.dir, segs[2])), 0);
    r = su_verify(&g, NULL);
    su_assert_first(r, NLOG_SEAL_MISSING_SEGMENT, 7);
    assert_int_equal(nlog_seal_report_n_problems(r), 1);
    nlog_seal_report_destroy(r);

    /* retention before and after the key change: A deletes A0 itself (hour 3),
     * its rekey checkpoint repeats that cut (1..3), B cuts 4..6 and 7..9 */
    su_env b;
    rekeyed_log(&b, "rekey_both", "2", 6);
    assert_int_equal(segments_of(&b, segs, 8), 2); /* A3 B4 */
    nlog__seal_reader *rd; /* the segment is compressed */
    char why[256];
    assert_int_equal(nlog__seal_reader_open(tu_path(b.dir, segs[0]), &rd, why, sizeof why), 0);
    const char *line;
    size_t len;
    uint64_t off;
    named = 0;
    while (nlog__seal_reader_next(rd, &line, &len, &off) == NLOG__READ_LINE) {
        char *t = strndup(line, len);
        assert_non_null(t);
        if (su_is_ckpt(t) && strstr(t, "\"reason\":\"rekey\"") &&
            strstr(t, "\"cut\":{\"first\":1,\"last\":3,\"files\":[]}"))
            named++;
        free(t);
    }
    nlog__seal_reader_close(rd);
    assert_int_equal(named, 1);
    r = su_verify(&b, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->retention_first, 1);
    assert_int_equal(su_log(r, "netlink.log")->retention_last, 9);
    nlog_seal_report_destroy(r);
}

/* 9. Verify with another host's public key: CHECKPOINT_SIG at the first
 * checkpoint (the anchor that carries the master's signature), every time. */
static void another_hosts_key(void **state)
{
    (void) state;
    su_env e, other;
    make_log(&e, "mykey", 22);
    su_env_init(&other, "otherkey");
    const char *p[1] = {e.dir};
    for (int i = 0; i < 3; i++) {
        nlog_seal_report *r = su_verify_with(other.pub, p, 1, NULL, 0);
        su_assert_first(r, NLOG_SEAL_CHECKPOINT_SIG, 1);
        assert_int_equal(su_problem(r, 0)->offset, 0);
        assert_int_equal(nlog_seal_report_n_problems(r), 1);
        nlog_seal_report_destroy(r);
    }
}

/* 10. The wall clock stepped a day forwards and back while writing. */
static void clock_steps(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "clock");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 4, NULL);
    su_records(1, 6);
    tu_clock_fake(T0 + 86400 * SU_SEC, 1000 * SU_SEC + 1000); /* +1 day, monotonic +1 us */
    su_records(7, 14);
    tu_clock_fake(T0 - 86400 * SU_SEC, 1000 * SU_SEC + 2000); /* -1 day from the start */
    su_records(15, 22);
    nlog_shutdown();
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(su_log(r, "netlink.log")->clock_steps, 2);
    assert_int_equal(su_log(r, "netlink.log")->sealed_last, 22);
    nlog_seal_report_destroy(r);
}

/* Verifies a log of n files held in memory with the verifier's engine (the
 * same code nlog_seal_verify runs, minus the file system). Returns the
 * number of problems and the first one's kind, sequence number and file. */
static size_t verify_mem(const nlog__vkeys *keys, const char *const *data, const size_t *lens,
                         size_t n_files, nlog_seal_kind *kind, uint64_t *seq, size_t *file)
{
    nlog__vlog *v = nlog__vlog_create("netlink.log", keys, NULL, 0, 4);
    assert_non_null(v);
    for (size_t f = 0; f < n_files; f++) {
        nlog__seal_reader *rd;
        assert_int_equal(nlog__seal_reader_open_mem(data[f], lens[f], &rd), 0);
        char name[32];
        snprintf(name, sizeof name, "file%zu", f);
        nlog__vlog_file(v, name, f + 1 == n_files);
        for (;;) {
            const char *line;
            size_t len;
            uint64_t off;
            nlog__seal_read rc = nlog__seal_reader_next(rd, &line, &len, &off);
            if (rc == NLOG__READ_EOF)
                break;
            if (rc == NLOG__READ_ERROR) {
                nlog__vlog_read_error(v, nlog__seal_reader_error(rd), off);
                break;
            }
            nlog__vlog_line(v, rc, line, len, off);
        }
        nlog__seal_reader_close(rd);
    }
    nlog__vlog_finish(v);
    size_t n = nlog__vlog_summary(v)->problems;
    if (n) {
        *kind = nlog__vlog_problem(v, 0)->kind;
        *seq = nlog__vlog_problem(v, 0)->seq;
        *file = nlog__vlog_problem(v, 0)->file;
    }
    nlog__vlog_destroy(v);
    return n;
}

/* What a flip at byte i of a file is expected to be reported as: the line
 * it falls in (its newline included) and, for a record, its number. */
typedef struct flip_region {
    int what;          /* 'r' record, 'c' checkpoint, 'a' anchor */
    uint64_t seq;      /* of a record */
} flip_region;

static flip_region region_of(const char *buf, size_t len, size_t i)
{
    size_t start = i;
    while (start && buf[start - 1] != '\n')
        start--;
    /* (a newline belongs to the line it ends: start stops after the previous one) */
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t) (nl - buf) : len;
    flip_region r = {0, 0};
    if (strncmp(buf + start, "{\"nlog_seal\":\"checkpoint\"", 25) == 0)
        r.what = 'c';
    else if (strncmp(buf + start, "{\"nlog_seal\":\"anchor\"", 21) == 0)
        r.what = 'a';
    else {
        r.what = 'r';
        const char *m = NULL;
        for (size_t k = start; k + 8 <= end; k++)
            if (memcmp(buf + k, ",\"seal\":", 8) == 0)
                m = buf + k;
        assert_non_null(m);
        r.seq = strtoull(m + 8, NULL, 10);
    }
    return r;
}

/* The number of the sealed record on the line holding byte i, or 0. */
static uint64_t record_seq(const char *buf, size_t len, size_t i)
{
    size_t start = i;
    while (start && buf[start - 1] != '\n')
        start--;
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t) (nl - buf) : len;
    uint64_t s = 0;
    return nlog__seal_line_classify(buf + start, end - start, &s) == NLOG__LINE_RECORD ? s : 0;
}

/* Whether the line holding byte i of buf is still sealed record `seq`. */
static int still_record(const char *buf, size_t len, size_t i, uint64_t seq)
{
    size_t start = i;
    while (start && buf[start - 1] != '\n')
        start--;
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t) (nl - buf) : len;
    uint64_t s = 0;
    return buf[i] != '\n' &&
           nlog__seal_line_classify(buf + start, end - start, &s) == NLOG__LINE_RECORD && s == seq;
}

/* 1. Every single-bit flip of every byte of a sealed segment is detected,
 * and reported where it is: a record's bytes as MAC_MISMATCH at that record
 * (its seal member or newline: some problem at that record), a checkpoint's
 * as CHECKPOINT_SIG or MALFORMED, an anchor's as a problem of the file it
 * opens. Both the first segment and a later one, whose anchor carries a
 * proof, are flipped. */
static void exhaustive_bit_flips(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "bitflip");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 2, "rotate", "hourly", NULL);
    su_records(1, 3);
    tu_clock_advance(3600 * SU_SEC);
    su_records(4, 5);
    tu_clock_advance(3600 * SU_SEC);
    su_records(6, 7);
    nlog_shutdown();
    char segs[2][256];
    size_t n_segs = 0;
    DIR *d = opendir(e.dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "netlink-", 8) == 0 && n_segs < 2)
            snprintf(segs[n_segs++], sizeof segs[0], "%s", de->d_name);
    closedir(d);
    assert_int_equal(n_segs, 2);
    if (strcmp(segs[0], segs[1]) > 0) {
        char t[256];
        memcpy(t, segs[0], sizeof t);
        memcpy(segs[0], segs[1], sizeof t);
        memcpy(segs[1], t, sizeof t);
    }
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    nlog_seal_report_destroy(r);
    char *orig[3];
    size_t lens[3];
    for (int f = 0; f < 3; f++) {
        char path[4800];
        snprintf(path, sizeof path, "%s/%s", e.dir, f < 2 ? segs[f] : "netlink.log");
        assert_non_null(orig[f] = tu_read_file(path, &lens[f]));
    }
    assert_true(su_is_anchor(orig[1]) && su_num(orig[1], "epoch") > 0);
    assert_true(strstr(orig[1], "\"proof\":\"\"") == NULL); /* a later segment: with a proof */
    uint8_t pk[1][32];
    assert_int_equal(nlog__seal_keyfile_read(e.pub, "nlog-seal-public-key", pk[0], 32,
                                             (char[128]){0}, 128),
                     0);
    nlog__vkeys keys = {(const uint8_t(*)[32]) pk, 1};
    nlog_seal_kind kind = NLOG_SEAL_OK;
    uint64_t seq = 0;
    size_t file = 0;
    const char *data[3] = {orig[0], orig[1], orig[2]};
    assert_int_equal(verify_mem(&keys, data, lens, 3, &kind, &seq, &file), 0);

    unsigned long undetected = 0, misplaced = 0, flips = 0, per_kind[NLOG_SEAL_KIND_COUNT] = {0};
    unsigned long mac_expected = 0, mac_got = 0; /* flips that leave record k a record k */
    for (int f = 0; f < 2; f++) {
        char *buf = malloc(lens[f]);
        assert_non_null(buf);
        data[f] = buf;
        for (size_t i = 0; i < lens[f]; i++) {
            flip_region g = region_of(orig[f], lens[f], i);
            for (int b = f == 0 ? (int) (i % 8) : 0; b < (f == 0 ? (int) (i % 8) + 1 : 8); b++) {
                memcpy(buf, orig[f], lens[f]);
                buf[i] ^= (char) (1 << b);
                flips++;
                if (!verify_mem(&keys, data, lens, 3, &kind, &seq, &file)) {
                    if (undetected++ < 5)
                        print_message("undetected: file %d byte %zu bit %d ('%c')\n", f, i, b,
                                      orig[f][i]);
                    continue;
                }
                per_kind[kind]++;
                int ok;
                if (g.what == 'r' && orig[f][i] == '\n') /* joins it to the next line */
                    ok = seq <= g.seq;
                else if (g.what == 'r') {
                    uint64_t now = record_seq(buf, lens[f], i);
                    ok = seq == (now && now < g.seq ? now : g.seq);
                    if (still_record(buf, lens[f], i, g.seq))
                        mac_expected++, mac_got += kind == NLOG_SEAL_MAC_MISMATCH;
                }
                else if (g.what == 'c' && i + 1 == lens[f]) /* its newline: a torn file */
                    ok = kind == NLOG_SEAL_TRUNCATED;
                else if (g.what == 'c')
                    ok = file == (size_t) f &&
                         (kind == NLOG_SEAL_CHECKPOINT_SIG || kind == NLOG_SEAL_MALFORMED ||
                          kind == NLOG_SEAL_UNSEALED || kind == NLOG_SEAL_UNKNOWN_KEY_EPOCH);
                else
                    ok = file == (size_t) f;
                if (!ok && misplaced++ < 10)
                    print_message("file %d byte %zu bit %d (%c line, seq %llu): %s at seq %llu "
                                  "of file %zu\n",
                                  f, i, b, g.what, (unsigned long long) g.seq,
                                  nlog_seal_kind_name(kind), (unsigned long long) seq, file);
            }
        }
        data[f] = orig[f];
        free(buf);
    }
    print_message("bit flips: %lu over %zu + %zu bytes, undetected %lu, misplaced %lu; first "
                  "problem kinds:",
                  flips, lens[0], lens[1], undetected, misplaced);
    for (int k = 1; k < NLOG_SEAL_KIND_COUNT; k++)
        if (per_kind[k])
            print_message(" %s %lu", nlog_seal_kind_name((nlog_seal_kind) k), per_kind[k]);
    print_message("\n  flips that leave a record line sealed with its number: %lu, reported as "
                  "MAC_MISMATCH at it: %lu\n",
                  mac_expected, mac_got);
    assert_int_equal(undetected, 0);
    assert_int_equal(misplaced, 0);
    assert_int_equal(mac_got, mac_expected);
    for (int f = 0; f < 3; f++)
        free(orig[f]);
}

/* A segment's rotate checkpoint that does not verify is that, not a cut
 * file: the next file's anchor continues the range it covered, whose records
 * are still checked one by one against the tags the next checkpoint repeats. */
static void bad_rotate_checkpoint(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "bad_rotate");
    tu_clock_fake(T0, 1000 * SU_SEC);
    su_init(&e, 2, "rotate", "hourly", NULL);
    su_records(1, 3); /* checkpoint 0 covers 1..2, the rotate checkpoint 1 covers 3 */
    tu_clock_advance(3600 * SU_SEC);
    su_records(4, 5);
    nlog_shutdown();
    char seg[256] = "", path[4800];
    DIR *d = opendir(e.dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "netlink-", 8) == 0)
            snprintf(seg, sizeof seg, "%s", de->d_name);
    closedir(d);
    assert_true(seg[0]);
    snprintf(path, sizeof path, "%s/%s", e.dir, seg);
    su_lines L = su_read(path);
    size_t last = L.n - 1;
    assert_true(su_is_ckpt(L.l[last]) && strstr(L.l[last], "\"reason\":\"rotate\""));
    char *sig = strstr(L.l[last], "\"sig\":\"");
    assert_non_null(sig);
    sig[7] = sig[7] == 'A' ? 'B' : 'A';
    su_write(path, &L);

    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_CHECKPOINT_SIG, 3);
    for (size_t i = 0; i < nlog_seal_report_n_problems(r); i++)
        assert_int_not_equal(su_problem(r, i)->kind, NLOG_SEAL_TRUNCATED);
    assert_int_equal(su_log(r, "netlink.log")->sealed_records, 5);
    nlog_seal_report_destroy(r);

    /* and record 3, which only that checkpoint sealed, edited too */
    su_edit(&L, (size_t) su_find(&L, 3), "\"n\":3", "\"n\":8");
    su_write(path, &L);
    r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_MAC_MISMATCH, 3);
    assert_true(su_has(r, NLOG_SEAL_CHECKPOINT_SIG, 3));
    for (size_t i = 0; i < nlog_seal_report_n_problems(r); i++)
        assert_int_not_equal(su_problem(r, i)->kind, NLOG_SEAL_TRUNCATED);
    nlog_seal_report_destroy(r);

    /* the rotate checkpoint deleted: missing, and record 3 still checked */
    su_delete(&L, last);
    su_write(path, &L);
    r = su_verify(&e, NULL);
    su_assert_first(r, NLOG_SEAL_MAC_MISMATCH, 3);
    assert_true(su_has(r, NLOG_SEAL_CHAIN_BREAK, 3));
    nlog_seal_report_destroy(r);
    su_free(&L);
}

/* The records of netlink.log served as audit.log: every signature holds, but
 * the genesis names netlink.log. */
static void stream_of_another_log(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "renamed", 6);
    char audit[4400];
    snprintf(audit, sizeof audit, "%s/audit.log", e.dir);
    su_copy_file(log_path(&e), audit);
    nlog_seal_report *r = su_verify(&e, NULL);
    assert_false(nlog_seal_report_ok(r));
    assert_int_equal(su_log(r, "netlink.log")->problems, 0);
    assert_int_equal(su_log(r, "audit.log")->problems, 1);
    const nlog_seal_problem *p = NULL;
    for (size_t i = 0; i < nlog_seal_report_n_problems(r); i++)
        if (strcmp(nlog_seal_report_problem(r, i)->log, "audit.log") == 0)
            p = nlog_seal_report_problem(r, i);
    assert_non_null(p);
    assert_int_equal(p->kind, NLOG_SEAL_CHAIN_BREAK);
    assert_int_equal(p->seq, 1);
    assert_non_null(strstr(p->message, "belongs to the log netlink.log"));
    nlog_seal_report_destroy(r);
}

/* Leaves garbage where the next call's locals will be, so that an error
 * text left unset shows as such. */
static void __attribute__((noinline)) dirty_stack(void)
{
    volatile char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char) 0xa5;
}

static void assert_clean_text(const char *why, const char *want)
{
    for (const char *c = why; *c; c++)
        if ((unsigned char) *c < 0x20 || (unsigned char) *c > 0x7e)
            fail_msg("error text with byte 0x%02x: %s", (unsigned char) *c, why);
    if (!strstr(why, want))
        fail_msg("error text \"%s\" lacks \"%s\"", why, want);
}

/* An exported checkpoint that is not valid says why, on every path. */
static void exported_checkpoint_errors(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "export_errors", 6);
    char exp[4400];
    snprintf(exp, sizeof exp, "%s/exported", e.base);
    nlog_seal_report *r = su_verify(&e, NULL);
    su_assert_ok(r);
    assert_int_equal(nlog_seal_report_export_checkpoint(r, 0, exp), NLOG_OK);
    nlog_seal_report_destroy(r);
    su_lines X = su_read(exp);
    assert_int_equal(X.n, 2);
    uint8_t pk[1][32];
    assert_int_equal(nlog__seal_keyfile_read(e.pub, "nlog-seal-public-key", pk[0], 32,
                                             (char[128]){0}, 128),
                     0);
    nlog__vkeys keys = {(const uint8_t(*)[32]) pk, 1};
    nlog__vagainst *ag = malloc(sizeof *ag);
    char *text = malloc(3 * NLOG__SEAL_CTRL_MAX), why[512];
    assert_true(ag && text);

    /* as exported: valid */
    int n = snprintf(text, 3 * NLOG__SEAL_CTRL_MAX, "%s\n%s\n", X.l[0], X.l[1]);
    assert_int_equal(nlog__vagainst_parse(text, (size_t) n, &keys, ag, why, sizeof why), 0);

    /* line 2 not a checkpoint at all */
    n = snprintf(text, 3 * NLOG__SEAL_CTRL_MAX, "%s\n{\"a\":1}\n", X.l[0]);
    dirty_stack();
    assert_int_equal(nlog__vagainst_parse(text, (size_t) n, &keys, ag, why, sizeof why), -1);
    assert_clean_text(why, "line 2 is not a checkpoint line");

    /* the master's signature on the genesis damaged */
    nlog__seal_anchor *a = malloc(sizeof *a);
    uint8_t *gen = malloc(4096), *proof = malloc(NLOG__SEAL_PROOF_MAX *
                                                 (NLOG__SEAL_HDR_MAX + NLOG__SEAL_SIG_LEN));
    char *line = malloc(NLOG__SEAL_CTRL_MAX);
    assert_true(a && gen && proof && line);
    assert_int_equal(nlog__seal_anchor_parse(X.l[0], strlen(X.l[0]), a, why, sizeof why), 0);
    size_t gl = nlog__seal_gen_encode(&a->gen, gen);
    memcpy(gen + gl, a->gen_sig, 64);
    gen[gl + 5] ^= 1;
    gl += 64;
    size_t pl = 0;
    for (size_t i = 0; i < a->n_proof; i++) {
        pl += nlog__seal_hdr_encode(&a->proof[i], proof + pl);
        memcpy(proof + pl, a->proof_sig[i], 64);
        pl += 64;
    }
    size_t ll = nlog__seal_anchor_render(a->stream, a->name, a->epoch, a->first, a->prev, gen, gl,
                                         proof, pl, NULL, 0, line);
    n = snprintf(text, 3 * NLOG__SEAL_CTRL_MAX, "%.*s%s\n", (int) ll, line, X.l[1]);
    dirty_stack();
    assert_int_equal(nlog__vagainst_parse(text, (size_t) n, &keys, ag, why, sizeof why), -1);
    assert_clean_text(why, "genesis is invalid");

    free(a);
    free(gen);
    free(proof);
    free(line);
    free(ag);
    free(text);
    su_free(&X);
}

/* Lines that are not sealed records, in the sealed part, by the hundred
 * thousand: the verifier keeps the first NLOG__VLOG_ODD_MAX one by one and
 * counts the rest as one problem, in bounded memory. */
static void many_odd_lines_bounded(void **state)
{
    (void) state;
    su_env e;
    make_log(&e, "odd_lines", 2); /* anchor, 1, 2, close checkpoint */
    su_lines L = su_read(log_path(&e));
    assert_int_equal(L.n, 4);
    const size_t n_odd = 200000;
    size_t cap = strlen(L.l[0]) + strlen(L.l[1]) + strlen(L.l[2]) + strlen(L.l[3]) + 4 +
                 2 * n_odd + 4096;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = 0;
    for (size_t i = 0; i < 4; i++) {
        if (i == 2)
            for (size_t k = 0; k < n_odd; k++) {
                buf[len++] = 'x';
                buf[len++] = '\n';
            }
        len += (size_t) snprintf(buf + len, cap - len, "%s\n", L.l[i]);
    }
    uint8_t pk[1][32];
    assert_int_equal(nlog__seal_keyfile_read(e.pub, "nlog-seal-public-key", pk[0], 32,
                                             (char[128]){0}, 128),
                     0);
    nlog__vkeys keys = {(const uint8_t(*)[32]) pk, 1};
    nlog__vlog *v = nlog__vlog_create("netlink.log", &keys, NULL, 0, 2000);
    assert_non_null(v);
    nlog__seal_reader *rd;
    assert_int_equal(nlog__seal_reader_open_mem(buf, len, &rd), 0);
    nlog__vlog_file(v, "netlink.log", 1);
    size_t peak = 0, before = 0;
    for (size_t lines = 0;; lines++) {
        const char *line;
        size_t n;
        uint64_t off;
        nlog__seal_read rc = nlog__seal_reader_next(rd, &line, &n, &off);
        if (rc == NLOG__READ_EOF)
            break;
        nlog__vlog_line(v, rc, line, n, off);
        struct mallinfo2 mi;
        if (lines == 1) { /* the anchor and record 1 in */
            mi = mallinfo2();
            before = mi.uordblks + mi.hblkhd;
        }
        if (lines == n_odd + 1) { /* all odd lines in, before record 2 and the checkpoint */
            mi = mallinfo2();
            peak = mi.uordblks + mi.hblkhd > before ? mi.uordblks + mi.hblkhd - before : 0;
        }
    }
    nlog__seal_reader_close(rd);
    nlog__vlog_finish(v);
    const nlog_seal_log_summary *sum = nlog__vlog_summary(v);
    print_message("odd lines: %zu, heap grew by %zu bytes, problems %llu\n", n_odd, peak,
                  (unsigned long long) sum->problems);
    assert_true(peak < 256 * 1024); /* unbounded, it was 32 bytes a line: 6.4 MB */
    assert_int_equal(sum->problems, NLOG__VLOG_ODD_MAX + 1);
    assert_int_equal(sum->sealed_records, 2);
    int aggregated = 0;
    for (size_t i = 0; i < nlog__vlog_n_problems(v); i++) {
        const nlog__vproblem *p = nlog__vlog_problem(v, i);
        assert_int_equal(p->seq, 2); /* the record expected there */
        if (strstr(p->message, "199000 more lines")) {
            aggregated = 1;
            assert_int_equal(p->kind, NLOG_SEAL_UNSEALED);
        }
    }
    assert_true(aggregated);
    nlog__vlog_destroy(v);
    free(buf);
    su_free(&L);
}

/* 11 (the rest is in tests/fuzz/fuzz_seal_verify.c): malformed files are
 * reported, never crash, and never pass. */
static void malformed_files(void **state)
{
    (void) state;
    su_env e;
    su_env_init(&e, "malformed");
    static const char *const bodies[] = {
        "",
        "\n\n\n",
        "{\"nlog_seal\":\"anchor\"}\n",
        "{\"nlog_seal\":\"checkpoint\",\"v\":1}\n{\"a\":1,\"seal\":1}\n",
        "{\"a\":1,\"seal\":007}\n",
        "{\"a\":1,\"seal\":99999999999999999999999}\n",
        "\x28\xb5\x2f\xfd garbage that claims to be zstd",
        "\x1f\x8b garbage that claims to be gzip",
        "{\"nlog_seal\":\"what\",\"v\":1}\n",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/bad%zu.log", e.base, i);
        FILE *f = fopen(p, "wb");
        fwrite(bodies[i], 1, strlen(bodies[i]), f);
        fclose(f);
        nlog_seal_report *r = su_verify(&e, p);
        if (i == 0 || i == 1) {
            /* nothing written: nothing sealed, nothing wrong (the summary says 0) */
            char name[32];
            snprintf(name, sizeof name, "bad%zu.log", i);
            assert_int_equal(su_log(r, name)->records, 0);
        } else {
            assert_false(nlog_seal_report_ok(r));
        }
        nlog_seal_report_destroy(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edit_one_value),
        cmocka_unit_test(delete_record),
        cmocka_unit_test(duplicate_swap_insert),
        cmocka_unit_test(truncate_sealed_and_tail),
        cmocka_unit_test(rollback_to_older_copy),
        cmocka_unit_test(stolen_state),
        cmocka_unit_test(delete_checkpoint_and_segments),
        cmocka_unit_test(retention_after_rekey),
        cmocka_unit_test(another_hosts_key),
        cmocka_unit_test(clock_steps),
        cmocka_unit_test(exhaustive_bit_flips),
        cmocka_unit_test(bad_rotate_checkpoint),
        cmocka_unit_test(many_odd_lines_bounded),
        cmocka_unit_test(exported_checkpoint_errors),
        cmocka_unit_test(stream_of_another_log),
        cmocka_unit_test(malformed_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
