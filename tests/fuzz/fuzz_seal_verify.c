/* fuzz_seal_verify.c: libFuzzer target for the sealed-file reader and
 * verifier (src/seal/reader.c, line.c, verify.c).
 *
 * The input is split at lines "--nlog-fuzz-file--" into up to four files of
 * one log, read (plain, or zstd/gzip by their magic bytes) and verified in
 * order with the corpus's public key below; it is also parsed as an
 * exported checkpoint, and every line goes through the control-line
 * parsers. Properties checked: no crash, leak or hang (sanitizers and the
 * fuzzer check those); every problem has a known kind and a message; the
 * summary's counts are consistent (sealed records never exceed records).
 * Corpus: tests/fuzz/corpus/seal_verify/ (replayed by CTest as
 * fuzz_seal_verify_replay): logs written by the library with the key whose
 * public half is below (rotation, retention, a clock step), compressed
 * segments, an exported checkpoint, and damaged copies of them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal/b64.h"
#include "seal/line.h"
#include "seal/reader.h"
#include "seal/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* seal.pub of the corpus (nlog keygen --sealing, key id ac2d36afabf511cf) */
static const char corpus_pub[] = "b8YnlfnDI_VJiHW3A0AXTyn0pTWSFRWj-YsfkCjh3PM";
static const char sep[] = "\n--nlog-fuzz-file--\n";

static void check(const nlog__vlog *v)
{
    const nlog_seal_log_summary *s = nlog__vlog_summary(v);
    if (s->sealed_records > s->records || nlog__vlog_n_problems(v) > s->problems)
        abort();
    for (size_t i = 0; i < nlog__vlog_n_problems(v); i++) {
        const nlog__vproblem *p = nlog__vlog_problem(v, i);
        if (p->kind <= NLOG_SEAL_OK || p->kind >= NLOG_SEAL_KIND_COUNT || !p->message ||
            !p->message[0])
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pk[1][32];
    static int ready;
    if (!ready) {
        if (nlog__seal_crypto_init() != 0 ||
            nlog__b64_decode(corpus_pub, sizeof corpus_pub - 1, pk[0], 32) != 32)
            abort();
        ready = 1;
    }
    if (size > (1u << 20))
        return 0;
    nlog__vkeys keys = {(const uint8_t(*)[32]) pk, 1};
    const char *text = (const char *) data;

    /* as an exported checkpoint */
    nlog__vagainst *against = malloc(sizeof *against);
    char why[512];
    int have_against = against && nlog__vagainst_parse(text, size, &keys, against, why,
                                                       sizeof why) == 0;

    /* split into files */
    const char *part[4];
    size_t len[4], n = 0;
    const char *p = text, *end = text + size;
    while (n < 4) {
        const char *q = NULL;
        for (const char *s = p; s + sizeof sep - 1 <= end; s++)
            if (memcmp(s, sep, sizeof sep - 1) == 0) {
                q = s;
                break;
            }
        part[n] = p;
        len[n] = q && n < 3 ? (size_t) (q - p) + 1 : (size_t) (end - p); /* with its '\n' */
        n++;
        if (!q || n == 4)
            break;
        p = q + sizeof sep - 1;
    }
    nlog__vlog *v = nlog__vlog_create("netlink.log", &keys, have_against ? against : NULL, 0, 16);
    if (v) {
        for (size_t f = 0; f < n; f++) {
            nlog__seal_reader *rd;
            if (nlog__seal_reader_open_mem(part[f], len[f], &rd) != 0)
                break;
            nlog__vlog_file(v, f ? "netlink.log" : "segment", f + 1 == n);
            for (;;) {
                const char *line;
                size_t ll;
                uint64_t off;
                nlog__seal_read rc = nlog__seal_reader_next(rd, &line, &ll, &off);
                if (rc == NLOG__READ_EOF)
                    break;
                if (rc == NLOG__READ_ERROR) {
                    nlog__vlog_read_error(v, nlog__seal_reader_error(rd), off);
                    break;
                }
                nlog__vlog_line(v, rc, line, ll, off);
            }
            nlog__seal_reader_close(rd);
        }
        nlog__vlog_finish(v);
        check(v);
        nlog__vlog_destroy(v);
    }

    /* every line through the parsers on their own */
    nlog__seal_ckpt *ck = malloc(sizeof *ck);
    nlog__seal_anchor *an = malloc(sizeof *an);
    for (const char *s = text; ck && an && s < end;) {
        const char *nl = memchr(s, '\n', (size_t) (end - s));
        size_t ll = nl ? (size_t) (nl - s) : (size_t) (end - s);
        uint64_t seq;
        switch (nlog__seal_line_classify(s, ll, &seq)) {
        case NLOG__LINE_CHECKPOINT:
            if (nlog__seal_ckpt_parse(s, ll, ck, why, sizeof why) == 0 &&
                (ck->n_tags != ck->hdr.last + 1 - ck->hdr.first || ck->hdr.n_prev > 1000))
                abort();
            break;
        case NLOG__LINE_ANCHOR:
            if (nlog__seal_anchor_parse(s, ll, an, why, sizeof why) == 0 &&
                an->n_proof > NLOG__SEAL_PROOF_MAX)
                abort();
            break;
        default:
            break;
        }
        s += ll + 1;
    }
    free(ck);
    free(an);
    free(against);
    return 0;
}
