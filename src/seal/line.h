/* line.h (internal): the text forms of sealed lines, rendered by the writer
 * and parsed by the verifier (docs/FORMAT.md, "Lines").
 *
 * Record lines end with the member ,"seal":N} where N is the record's
 * sequence number. Control lines are JSON objects whose first member is
 * "nlog_seal": an anchor (a stream's or a file's first sealed line, tying
 * the epoch key to the master key) or a checkpoint (the signed commitment to
 * a range of records). Control lines have exactly one text form: fixed
 * member order, no whitespace, canonical numbers and base64url. The parser
 * accepts only that form, so a changed byte is never silently read as the
 * same line. The parser never reads outside the line it is given and copies
 * every variable-length value into bounded buffers.
 * Tested by: tests/unit/seal/test_seal_format.c; fuzzed by
 * tests/fuzz/fuzz_seal_verify.c */
#ifndef NLOG_SEAL_LINE_H
#define NLOG_SEAL_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "seal/wire.h"

/* Limits of what a control line may carry. */
#define NLOG__SEAL_FRAGS_MAX 8       /* crash fragments noted in one checkpoint */
#define NLOG__SEAL_CUT_FILES_MAX 64  /* files named by one retention cut */
#define NLOG__SEAL_PROOF_MAX (NLOG__SEAL_DEPTH + 1) /* checkpoints in an anchor's proof */
#define NLOG__SEAL_EXTRA_MAX (64 + NLOG__SEAL_FRAGS_MAX * 64 + NLOG__SEAL_CUT_FILES_MAX * 260 + 192)
/* Longest control line the writer produces (a checkpoint with every tag and
 * the largest extra, or an anchor with the longest proof). */
#define NLOG__SEAL_CTRL_MAX                                                                        \
    (2048 + 2 * NLOG__B64_MAX(NLOG__SEAL_RANGE_MAX * NLOG__SEAL_TAG_LEN) +                         \
     NLOG__B64_MAX(NLOG__SEAL_PROOF_MAX * (NLOG__SEAL_HDR_MAX + NLOG__SEAL_SIG_LEN)) +           \
     NLOG__SEAL_EXTRA_MAX)
#define NLOG__B64_MAX(n) (((n) + 2) / 3 * 4)
/* Bytes the writer adds to a record line: ,"seal": and up to 20 digits. */
#define NLOG__SEAL_MEMBER_MAX 28

typedef enum nlog__seal_line_kind {
    NLOG__LINE_PLAIN = 0,   /* no seal at all */
    NLOG__LINE_RECORD,      /* ends with a well-formed seal member */
    NLOG__LINE_CHECKPOINT,  /* starts with {"nlog_seal":"checkpoint" */
    NLOG__LINE_ANCHOR,      /* starts with {"nlog_seal":"anchor" */
    NLOG__LINE_BAD          /* looks sealed but is not well formed */
} nlog__seal_line_kind;

/* Classifies line[0..len) (without its newline). For records sets *ret_seq. */
nlog__seal_line_kind nlog__seal_line_classify(const char *line, size_t len, uint64_t *ret_seq);

/* Appends ,"seal":seq} to a record: copies line[0..len-1) (the line without
 * its closing brace and newline, len counting the "}\n") to out and writes
 * the member, the brace and "\n". Returns the bytes written (at most
 * len - 1 + NLOG__SEAL_MEMBER_MAX). */
size_t nlog__seal_record_render(const char *line, size_t len, uint64_t seq, char *out);

/* The notes a checkpoint may carry in its "extra" member. */
typedef struct nlog__seal_extra {
    int has_clock;
    int64_t clock_step_ns;   /* wall clock minus monotonic clock moved by this much ... */
    uint64_t clock_before;   /* ... before the record with this sequence number */
    size_t n_frags;          /* incomplete lines left by a crash in this file */
    uint64_t frag_off[NLOG__SEAL_FRAGS_MAX], frag_len[NLOG__SEAL_FRAGS_MAX];
    int has_cut;             /* retention deletes records cut_first..cut_last */
    uint64_t cut_first, cut_last;
    /* The records are of this earlier stream, not the checkpoint's own: after
     * a key change, the new stream writes the cuts of the one it replaced. */
    int has_cut_stream;
    uint8_t cut_stream[NLOG__SEAL_STREAM_LEN];
    size_t n_cut_files;
    char cut_files[NLOG__SEAL_CUT_FILES_MAX][256];
} nlog__seal_extra;

/* Renders the extra object (or nothing if it carries no note). Returns its
 * length (0: none); out holds NLOG__SEAL_EXTRA_MAX. */
size_t nlog__seal_extra_render(const nlog__seal_extra *x, char *out);

/* A parsed checkpoint line (large: allocate it on the heap). */
typedef struct nlog__seal_ckpt {
    nlog__seal_hdr hdr;
    uint8_t sig[NLOG__SEAL_SIG_LEN];
    uint8_t tags[NLOG__SEAL_RANGE_MAX][NLOG__SEAL_TAG_LEN];
    size_t n_tags;           /* hdr.last - hdr.first + 1 */
    uint8_t prev_tags[NLOG__SEAL_RANGE_MAX][NLOG__SEAL_TAG_LEN]; /* hdr.n_prev of them */
    nlog__seal_extra extra;
    int has_extra;
} nlog__seal_ckpt;

/* Renders a checkpoint line with its newline; out holds NLOG__SEAL_CTRL_MAX.
 * `prev_tags` are h->n_prev tags of the previous range; `extra` (extra_len
 * bytes, may be 0) must be what nlog__seal_extra_render() produced and
 * h->extra_hash its hash. Returns the length. */
size_t nlog__seal_ckpt_render(const nlog__seal_hdr *h, const uint8_t *sig,
                              const uint8_t (*tags)[NLOG__SEAL_TAG_LEN], size_t n_tags,
                              const uint8_t (*prev_tags)[NLOG__SEAL_TAG_LEN], const char *extra,
                              size_t extra_len, char *out);

/* Parses a checkpoint line (without newline). Checks the syntax, that the
 * text form is canonical, and that tags_hash and extra_hash match what the
 * line carries. Does not check the signature. Returns 0, or -1 with a reason
 * in why. */
int nlog__seal_ckpt_parse(const char *line, size_t len, nlog__seal_ckpt *c, char *why,
                          size_t why_size);

/* A parsed anchor line (large: allocate it on the heap). */
typedef struct nlog__seal_anchor {
    uint8_t stream[NLOG__SEAL_STREAM_LEN];
    char name[NLOG__SEAL_NAME_MAX + 1];
    uint64_t epoch, first;
    uint8_t prev[NLOG__SEAL_HASH_LEN];
    nlog__seal_gen gen;
    uint8_t gen_sig[NLOG__SEAL_SIG_LEN];
    size_t n_proof;
    nlog__seal_hdr proof[NLOG__SEAL_PROOF_MAX];
    uint8_t proof_sig[NLOG__SEAL_PROOF_MAX][NLOG__SEAL_SIG_LEN];
    size_t n_trans;
    nlog__seal_trans trans[NLOG__SEAL_TRANS_MAX];
    uint8_t trans_sig[NLOG__SEAL_TRANS_MAX][NLOG__SEAL_SIG_LEN];
    uint8_t raw[NLOG__SEAL_PROOF_MAX * (NLOG__SEAL_HDR_MAX + NLOG__SEAL_SIG_LEN)]; /* scratch */
} nlog__seal_anchor;

/* Renders an anchor line with its newline from its parts (already encoded
 * binary: genesis||sig, proof checkpoints hdr||sig..., transitions
 * trans||sig...). out holds NLOG__SEAL_CTRL_MAX. Returns the length. */
size_t nlog__seal_anchor_render(const uint8_t *stream, const char *name,
                                uint64_t epoch, uint64_t first,
                                const uint8_t *prev, const uint8_t *gen,
                                size_t gen_len, const uint8_t *proof, size_t proof_len,
                                const uint8_t *trans, size_t trans_len, char *out);

/* Parses an anchor line (syntax and structure only; signatures are the
 * verifier's). Returns 0, or -1 with a reason in why. */
int nlog__seal_anchor_parse(const char *line, size_t len, nlog__seal_anchor *a, char *why,
                            size_t why_size);

#endif /* NLOG_SEAL_LINE_H */
