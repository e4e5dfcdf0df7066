/* test_seal_format.c: the byte-level format of docs/FORMAT.md: strict
 * base64url, the signed structures (layouts, reserved bytes, limits), the
 * record member, control lines rendered and parsed back, and canonical
 * parsing (a changed byte never parses as the same line). */
#include <sodium.h>

#include "seal/b64.h"
#include "seal/line.h"
#include "seal/wire.h"
#include "testutil.h"

static void base64url_is_strict(void **state)
{
    (void) state;
    uint8_t in[64] = {0}, out[64];
    char text[128];
    for (size_t n = 0; n < sizeof in; n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t) (i * 37 + n);
        size_t l = nlog__b64_encode(in, n, text);
        assert_int_equal(l, NLOG__B64_LEN(n));
        assert_int_equal(nlog__b64_decode(text, l, out, sizeof out), (long) n);
        assert_memory_equal(in, out, n);
        for (size_t i = 0; i < l; i++)
            assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                               text[i]) != NULL);
    }
    assert_int_equal(nlog__b64_decode("QQ==", 4, out, sizeof out), -1); /* padding */
    assert_int_equal(nlog__b64_decode("QQ", 2, out, sizeof out), 1);
    assert_int_equal(nlog__b64_decode("QR", 2, out, sizeof out), -1);   /* unused bits set */
    assert_int_equal(nlog__b64_decode("Q", 1, out, sizeof out), -1);    /* 1 mod 4 */
    assert_int_equal(nlog__b64_decode("QUJ+", 4, out, sizeof out), -1); /* '+' is not url-safe */
    assert_int_equal(nlog__b64_decode("QUJD", 4, out, 2), -1);          /* does not fit */
}

static nlog__seal_hdr sample_hdr(uint64_t epoch)
{
    nlog__seal_hdr h;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < 16; i++)
        h.stream[i] = (uint8_t) i;
    h.epoch = epoch;
    h.first = 41;
    h.last = 43;
    h.wall_ns = -5;
    h.reason = NLOG__SEAL_R_COUNT;
    h.n_keys = (uint8_t) nlog__seal_n_keys(epoch);
    h.n_prev = 4;
    memset(h.prev, 1, 32);
    memset(h.tags_hash, 2, 32);
    memset(h.prev_tags_hash, 3, 32);
    memset(h.root, 4, 32);
    for (unsigned j = 0; j < h.n_keys; j++)
        memset(h.keys[j], (int) (10 + j), 32);
    return h;
}

static void signed_structures(void **state)
{
    (void) state;
    assert_int_equal(nlog__seal_n_keys(0), 40);
    assert_int_equal(nlog__seal_n_keys(1), 2);
    assert_int_equal(nlog__seal_n_keys(2), 2);
    assert_int_equal(nlog__seal_n_keys(8), 3);
    assert_int_equal(nlog__seal_n_keys(1ULL << 20), 20);
    assert_int_equal(nlog__seal_n_keys((1ULL << 40) - 2), 1); /* only the next one exists */
    assert_int_equal(nlog__seal_n_keys((1ULL << 40) - 1), 0);

    uint8_t enc[NLOG__SEAL_HDR_MAX];
    nlog__seal_hdr h = sample_hdr(8), d;
    size_t n = nlog__seal_hdr_encode(&h, enc);
    assert_int_equal(n, NLOG__SEAL_HDR_FIXED + 3 * 32);
    assert_memory_equal(enc, "NLSEALC1", 8);
    assert_int_equal(enc[24], 8);   /* epoch, little-endian */
    assert_int_equal(enc[32], 41);  /* first */
    assert_int_equal(enc[58], 4);   /* n_prev */
    assert_int_equal(enc[96], 2);   /* tags_hash */
    assert_int_equal(enc[232], 10); /* keys */
    assert_int_equal(nlog__seal_hdr_decode(enc, n, &d), n);
    uint8_t enc2[NLOG__SEAL_HDR_MAX];
    assert_int_equal(nlog__seal_hdr_encode(&d, enc2), n);
    assert_memory_equal(enc, enc2, n);
    assert_int_equal(nlog__seal_hdr_decode(enc, n - 1, &d), 0); /* cut */
    enc[60] = 1; /* reserved */
    assert_int_equal(nlog__seal_hdr_decode(enc, n, &d), 0);
    enc[60] = 0;
    enc[57] = 2; /* wrong number of keys for the epoch */
    assert_int_equal(nlog__seal_hdr_decode(enc, n, &d), 0);
    h.last = h.first + 1000; /* more than 1000 records */
    nlog__seal_hdr_encode(&h, enc);
    assert_int_equal(nlog__seal_hdr_decode(enc, n, &d), 0);
    h.last = h.first - 1; /* an empty range is fine */
    nlog__seal_hdr_encode(&h, enc);
    assert_int_equal(nlog__seal_hdr_decode(enc, n, &d), n);

    /* signatures: over the structure, for that structure only */
    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    h = sample_hdr(8);
    nlog__seal_hdr_sign(&h, sk, sig);
    assert_true(nlog__seal_hdr_verify(&h, sig, pk));
    h.first++;
    assert_false(nlog__seal_hdr_verify(&h, sig, pk));

    nlog__seal_gen g, gd;
    memset(&g, 0, sizeof g);
    memcpy(g.master_pk, pk, 32);
    g.depth = NLOG__SEAL_DEPTH;
    g.name_len = 11;
    memcpy(g.name, "netlink.log", 12);
    uint8_t ge[NLOG__SEAL_GEN_MAX];
    size_t gl = nlog__seal_gen_encode(&g, ge);
    assert_int_equal(gl, NLOG__SEAL_GEN_FIXED + 11);
    assert_int_equal(nlog__seal_gen_decode(ge, gl, &gd), gl);
    assert_string_equal(gd.name, "netlink.log");
    nlog__seal_gen_sign(&g, sk, sig);
    assert_true(nlog__seal_gen_verify(&g, sig));
    ge[NLOG__SEAL_GEN_FIXED] = '/'; /* names are plain file names */
    assert_int_equal(nlog__seal_gen_decode(ge, gl, &gd), 0);
    /* a genesis signature is not a checkpoint signature, even for the same bytes */
    nlog__seal_hdr_sign(&h, sk, sig);
    assert_false(nlog__seal_gen_verify(&g, sig));
}

static void record_member(void **state)
{
    (void) state;
    const char in[] = "{\"a\":1}\n";
    char out[64];
    size_t n = nlog__seal_record_render(in, strlen(in), 1234567, out);
    out[n] = '\0';
    assert_string_equal(out, "{\"a\":1,\"seal\":1234567}\n");
    uint64_t seq = 0;
    assert_int_equal(nlog__seal_line_classify(out, n - 1, &seq), NLOG__LINE_RECORD);
    assert_int_equal(seq, 1234567);
    assert_int_equal(nlog__seal_line_classify("{\"a\":1,\"seal\":07}", 17, &seq), NLOG__LINE_BAD);
    assert_int_equal(nlog__seal_line_classify("{\"a\":1,\"seal\":}", 15, &seq),
                     NLOG__LINE_BAD);
    assert_int_equal(nlog__seal_line_classify("{\"a\":1}", 7, &seq), NLOG__LINE_PLAIN);
    const char *big = "{\"a\":1,\"seal\":99999999999999999999}";
    assert_int_equal(nlog__seal_line_classify(big, strlen(big), &seq), NLOG__LINE_BAD);
    const char *top = "{\"a\":1,\"seal\":18446744073709551615}";
    assert_int_equal(nlog__seal_line_classify(top, strlen(top), &seq), NLOG__LINE_RECORD);
    assert_int_equal(nlog__seal_line_classify("{\"nlog_seal\":\"other\"}", 21, &seq),
                     NLOG__LINE_BAD);
}

/* A rendered checkpoint parses back to the same values; no changed byte
 * parses back to them. */
static void checkpoint_lines_are_canonical(void **state)
{
    (void) state;
    nlog__seal_hdr h = sample_hdr(8);
    h.wall_ns = 1795478400123456789LL;
    static uint8_t tags[3][8] = {{1}, {2}, {3}}, ptags[4][8] = {{9}, {8}, {7}, {6}};
    nlog__seal_hash(tags, sizeof tags, h.tags_hash);
    nlog__seal_hash(ptags, sizeof ptags, h.prev_tags_hash);
    nlog__seal_extra x;
    memset(&x, 0, sizeof x);
    x.has_clock = 1;
    x.clock_step_ns = -86400000000000LL;
    x.clock_before = 42;
    x.n_frags = 1;
    x.frag_off[0] = 100;
    x.frag_len[0] = 7;
    x.has_cut = 1;
    x.cut_first = 1;
    x.cut_last = 40;
    x.has_cut_stream = 1; /* the cut of an earlier stream, after a key change */
    for (int i = 0; i < 16; i++)
        x.cut_stream[i] = (uint8_t) i;
    x.n_cut_files = 2;
    snprintf(x.cut_files[0], 256, "netlink-20261124T000000Z-000001.log");
    snprintf(x.cut_files[1], 256, "netlink-20261124T010000Z-000001.log");
    char extra[NLOG__SEAL_EXTRA_MAX];
    size_t xl = nlog__seal_extra_render(&x, extra);
    static const char want[] = ",\"cut\":{\"stream\":\"AAECAwQFBgcICQoLDA0ODw\",\"first\":1,"
                               "\"last\":40,\"files\":[\"netlink-20261124T000000Z-000001.log\",";
    char text[NLOG__SEAL_EXTRA_MAX + 1];
    memcpy(text, extra, xl);
    text[xl] = '\0';
    assert_non_null(strstr(text, want));
    nlog__seal_hash(extra, xl, h.extra_hash);
    uint8_t sig[64];
    memset(sig, 0x5a, sizeof sig);
    char *line = malloc(NLOG__SEAL_CTRL_MAX);
    size_t n = nlog__seal_ckpt_render(&h, sig, (const uint8_t(*)[8]) tags, 3,
                                      (const uint8_t(*)[8]) ptags, extra, xl, line);
    assert_int_equal(line[n - 1], '\n');
    n--;
    line[n] = '\0';
    json_object_put(tu_parse_json(line)); /* plain JSON */
    nlog__seal_ckpt *c = malloc(sizeof *c);
    char why[128];
    assert_int_equal(nlog__seal_ckpt_parse(line, n, c, why, sizeof why), 0);
    uint8_t a[NLOG__SEAL_HDR_MAX], b[NLOG__SEAL_HDR_MAX];
    size_t al = nlog__seal_hdr_encode(&h, a);
    assert_int_equal(nlog__seal_hdr_encode(&c->hdr, b), al);
    assert_memory_equal(a, b, al);
    assert_int_equal(c->extra.clock_step_ns, x.clock_step_ns);
    assert_int_equal(c->extra.cut_last, 40);
    assert_int_equal(c->extra.has_cut_stream, 1);
    assert_memory_equal(c->extra.cut_stream, x.cut_stream, 16);
    assert_string_equal(c->extra.cut_files[1], x.cut_files[1]);

    /* every byte replaced by a few others: it fails, or reads differently */
    static const char repl[] = "0aA\"{}:,-_ \\";
    size_t same = 0;
    for (size_t i = 0; i < n; i++) {
        for (const char *r = repl; *r; r++) {
            if (line[i] == *r)
                continue;
            char o = line[i];
            line[i] = *r;
            if (nlog__seal_ckpt_parse(line, n, c, why, sizeof why) == 0) {
                nlog__seal_hdr_encode(&c->hdr, b);
                if (memcmp(a, b, al) == 0 && memcmp(c->sig, sig, 64) == 0 &&
                    memcmp(c->tags, tags, sizeof tags) == 0 &&
                    memcmp(c->prev_tags, ptags, sizeof ptags) == 0)
                    same++;
            }
            line[i] = o;
        }
    }
    assert_int_equal(same, 0);
    free(c);
    free(line);
}

static void anchor_lines(void **state)
{
    (void) state;
    nlog__seal_gen g;
    memset(&g, 0, sizeof g);
    g.depth = NLOG__SEAL_DEPTH;
    g.name_len = 12;
    memcpy(g.name, "security.log", 13);
    uint8_t gen[NLOG__SEAL_GEN_MAX + 64];
    size_t gl = nlog__seal_gen_encode(&g, gen);
    memset(gen + gl, 7, 64);
    gl += 64;
    nlog__seal_hdr h0 = sample_hdr(0), h4 = sample_hdr(4);
    uint8_t proof[2 * (NLOG__SEAL_HDR_MAX + 64)];
    size_t pl = nlog__seal_hdr_encode(&h0, proof);
    memset(proof + pl, 1, 64);
    pl += 64;
    size_t p2 = nlog__seal_hdr_encode(&h4, proof + pl);
    memset(proof + pl + p2, 2, 64);
    pl += p2 + 64;
    uint8_t prev[32] = {9};
    char *line = malloc(NLOG__SEAL_CTRL_MAX);
    size_t n = nlog__seal_anchor_render(g.stream, g.name, 6, 77, prev, gen, gl, proof, pl, NULL,
                                        0, line);
    line[--n] = '\0';
    json_object_put(tu_parse_json(line));
    nlog__seal_anchor *a = malloc(sizeof *a);
    char why[128];
    assert_int_equal(nlog__seal_anchor_parse(line, n, a, why, sizeof why), 0);
    assert_int_equal(a->epoch, 6);
    assert_int_equal(a->first, 77);
    assert_string_equal(a->name, "security.log");
    assert_int_equal(a->n_proof, 2);
    assert_int_equal(a->proof[1].epoch, 4);
    assert_int_equal(a->n_trans, 0);
    line[n - 2] = 'x'; /* damage the proof's encoding */
    assert_int_not_equal(nlog__seal_anchor_parse(line, n, a, why, sizeof why), 0);
    free(a);
    free(line);
}

int main(void)
{
    if (nlog__seal_crypto_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64url_is_strict),
        cmocka_unit_test(signed_structures),
        cmocka_unit_test(record_member),
        cmocka_unit_test(checkpoint_lines_are_canonical),
        cmocka_unit_test(anchor_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
