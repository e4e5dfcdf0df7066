/* verify.h (internal): the verification of one log, line by line.
 *
 * A log is a file family: its rotated segments, oldest first, then the
 * active file. nlog__vlog consumes their lines in that order and keeps the
 * state of the stream it is in: the epoch whose checkpoint comes next and its
 * key, the chain hash that checkpoint must carry, the first sequence number
 * it must cover, and the records seen since the last checkpoint. Each
 * checkpoint is checked (signature, chain, range) and then every record it
 * covers against its tag; anchors are checked against the master key(s)
 * through their proof and against the chain. What is wrong becomes a
 * problem with its kind, sequence number and byte offset; verification then
 * goes on, so one damaged record does not hide the next. docs/FORMAT.md,
 * "Verification", lists which kind is reported when.
 *
 * The engine reads no files itself (verify_api.c and the fuzz target feed
 * it), keeps bounded memory (at most NLOG__VLOG_PENDING_MAX pending records,
 * NLOG__VLOG_ODD_MAX odd lines and max_problems problems), and never trusts a
 * length from the input.
 * Tested by: tests/unit/seal/test_seal_verify.c, test_seal_attacks.c;
 * fuzzed by tests/fuzz/fuzz_seal_verify.c */
#ifndef NLOG_SEAL_VERIFY_H
#define NLOG_SEAL_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/seal.h>

#include "seal/line.h"
#include "seal/reader.h"
#include "seal/state.h"
#include "seal/wire.h"

#define NLOG__VLOG_PENDING_MAX 100000 /* records without a checkpoint that are kept */
/* Odd lines (unsealed, malformed) kept one by one until the next checkpoint,
 * which may name up to 8 as crash fragments; more are one counted problem. */
#define NLOG__VLOG_ODD_MAX 1000

/* The trusted master public keys. */
typedef struct nlog__vkeys {
    const uint8_t (*pk)[NLOG__SEAL_PK_LEN];
    size_t n;
} nlog__vkeys;

/* An exported checkpoint, checked against the keys. */
typedef struct nlog__vagainst {
    uint8_t stream[NLOG__SEAL_STREAM_LEN];
    char name[NLOG__SEAL_NAME_MAX + 1];
    nlog__seal_hdr hdr;
    uint8_t sig[NLOG__SEAL_SIG_LEN];
    uint8_t hash[NLOG__SEAL_HASH_LEN];
} nlog__vagainst;

/* Reads and checks an exported checkpoint file (an anchor line, then the
 * checkpoint line): the anchor's proof must lead from a trusted master key
 * to the key that signed the checkpoint. Returns 0, or -1 with why. */
int nlog__vagainst_load(const char *path, const nlog__vkeys *keys, nlog__vagainst *out,
                        char *why, size_t why_size);
/* The same from memory (data[0..len)). */
int nlog__vagainst_parse(const char *data, size_t len, const nlog__vkeys *keys,
                         nlog__vagainst *out, char *why, size_t why_size);

typedef struct nlog__vproblem {
    nlog_seal_kind kind;
    uint64_t seq;
    int64_t offset;
    size_t file;   /* index of the file */
    char *message;
} nlog__vproblem;

typedef struct nlog__vlog nlog__vlog;

/* A verifier for the log called `name` (copied). keys and against (may be
 * NULL) must outlive it. Returns NULL when memory runs out. */
nlog__vlog *nlog__vlog_create(const char *name, const nlog__vkeys *keys,
                              const nlog__vagainst *against, int allow_partial,
                              size_t max_problems);
void nlog__vlog_destroy(nlog__vlog *v);

/* Starts the next file (path copied); `last`: it is the log's last file. */
void nlog__vlog_file(nlog__vlog *v, const char *path, int last);
/* One line as the reader returned it (LINE, PARTIAL or LONG). */
void nlog__vlog_line(nlog__vlog *v, nlog__seal_read kind, const char *line, size_t len,
                     uint64_t off);
/* The current file could not be read to its end (a damaged compressed
 * segment): reported as TRUNCATED. */
void nlog__vlog_read_error(nlog__vlog *v, const char *why, uint64_t off);
/* After the last line: the tail, the beginning of the log, the exported
 * checkpoint; sorts the problems. */
void nlog__vlog_finish(nlog__vlog *v);

/* Results; valid until nlog__vlog_destroy(). */
const nlog_seal_log_summary *nlog__vlog_summary(const nlog__vlog *v);
size_t nlog__vlog_n_problems(const nlog__vlog *v);
const nlog__vproblem *nlog__vlog_problem(const nlog__vlog *v, size_t i);
const char *nlog__vlog_file_path(const nlog__vlog *v, size_t i);
const char *nlog__vlog_name(const nlog__vlog *v);
/* The exported checkpoint concerns none of the inputs and this is the only
 * log: it was replaced altogether (ROLLBACK). After finish. */
void nlog__vlog_against_absent(nlog__vlog *v);
/* The exported checkpoint is about this log (its stream or its name), even
 * if it could not be compared (it lies in a range deleted by retention).
 * After finish. */
int nlog__vlog_against_concerned(const nlog__vlog *v);

/* Writes the last verified checkpoint with its proof (see seal.h). Returns
 * 0, ESTATE-like -1 when there is none or the log has problems (why says),
 * or an errno. */
int nlog__vlog_export(const nlog__vlog *v, const char *path, char *why, size_t why_size);

#endif /* NLOG_SEAL_VERIFY_H */
