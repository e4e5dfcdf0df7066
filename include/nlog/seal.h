/* seal.h: tamper-evident sealed log files: keys and verification.
 *
 * A sealed file is still a JSON-lines file. Each record line carries one
 * extra member, "seal":<sequence number>, and the writer adds control lines
 * of its own (anchors and checkpoints, objects whose first member is
 * "nlog_seal"). A checkpoint commits to every record it covers (an 8-byte
 * hash per record, plus a BLAKE2b root over their full hashes) and is signed
 * with an Ed25519 key that exists for one epoch only: the writer erases it
 * once the checkpoint that ends its epoch is written, so whoever takes the
 * host later cannot re-sign the past. Epoch keys descend from an offline
 * master key; verification needs only the master's public key and cannot
 * forge anything. docs/FORMAT.md specifies every byte; docs/internals/seal.md
 * explains the design.
 *
 * Writing sealed files is configured, not called: `seal`, `seal_security`,
 * `seal_audit` and `seal_key_dir` (docs/configuration.md). This header has
 * what tools need: making keys (nlog keygen --sealing) and verifying files
 * (nlog verify).
 *
 * Errors: functions return an nlog_status; the text of the calling thread's
 * last failure (what was wrong, with the path) is nlog_errmsg().
 * Thread-safety: every function may be called from any thread; objects are
 * not shared between threads unless stated. Since: 0.1 */
#ifndef NLOG_SEAL_H
#define NLOG_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/export.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

/* ---- keys ----------------------------------------------------------------- */

/* Creates sealing keys in `dir` (created if missing, mode 0700):
 *
 *   dir/master.key             the offline master secret (mode 0600): keep it
 *                              off the logging host
 *   dir/seal.pub               the public verification key
 *   dir/host/<name>.seal       the initial host sealing state of each log
 *                              file name (mode 0600): copy these into the
 *                              host's seal_key_dir
 *
 * If dir/master.key exists it is reused (only new host states are made),
 * otherwise a new master is created. `names` lists the log file names to
 * make host states for (NULL or n_names 0: netlink.log, security.log,
 * audit.log). An existing host state file is never overwritten: the call
 * fails with NLOG_ESTATE and names it.
 *
 * Key rotation: with `rotate_from` (the directory of the previous master's
 * keys), a new master is created in `dir` (dir/master.key must not exist),
 * a transition statement signed by the previous master vouches for it, and
 * the host states are written as dir/host/<name>.seal.next: a writer that
 * finds <name>.seal.next next to its state closes the current stream with a
 * checkpoint and continues with the new one. Files verify with the previous
 * public key across the switch.
 *
 * Returns NLOG_OK, NLOG_EINVAL (a name that is not a plain file name),
 * NLOG_ESTATE, NLOG_EIO (a file could not be read or written; nlog_errmsg()
 * says which and why) or NLOG_ENOMEM. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_seal_keygen(const char *dir, const char *const *names,
                                                     size_t n_names, const char *rotate_from);

/* A public verification key (the contents of a seal.pub file). */
typedef struct nlog_seal_key nlog_seal_key;

/* Reads a public key file. Returns NLOG_OK and sets *ret_key (free it with
 * nlog_seal_key_destroy()), NLOG_ENOTFOUND, NLOG_EIO, or NLOG_EINVAL for a
 * file that is not an nlog sealing public key (nlog_errmsg() says where).
 * Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_seal_key_load(const char *path, nlog_seal_key **ret_key);

/* The key's identifier: 16 lower-case hex digits (the first 8 bytes of
 * BLAKE2b-256 of the key), as reports show it. Valid as long as the key. */
NLOG_API const char *nlog_seal_key_id(const nlog_seal_key *key);

/* Frees a key. NULL is a no-op. */
NLOG_API void nlog_seal_key_destroy(nlog_seal_key *key);

/* ---- verification ---------------------------------------------------------- */

/* What is wrong. The names (nlog_seal_kind_name) are part of the CLI's
 * output and of its --json form. Values are stable: append only. */
typedef enum nlog_seal_kind {
    NLOG_SEAL_OK = 0,
    NLOG_SEAL_MAC_MISMATCH = 1,      /* a record's bytes differ from what its checkpoint sealed */
    NLOG_SEAL_CHAIN_BREAK = 2,       /* the chain of checkpoints is broken (one is missing or
                                        replaced, or a range does not join the previous one) */
    NLOG_SEAL_SEQ_GAP = 3,           /* a sequence number is missing */
    NLOG_SEAL_SEQ_DUP = 4,           /* a sequence number appears twice */
    NLOG_SEAL_ORDER = 5,             /* records are out of order */
    NLOG_SEAL_CHECKPOINT_SIG = 6,    /* a signature does not verify with the expected key
                                        (including the master's signature on a stream) */
    NLOG_SEAL_TRUNCATED = 7,         /* the log was cut off inside its sealed part */
    NLOG_SEAL_ROLLBACK = 8,          /* the log is older than an exported checkpoint proves, or
                                        contradicts it */
    NLOG_SEAL_UNKNOWN_KEY_EPOCH = 9, /* a checkpoint claims an epoch whose key is not certified
                                        at that point */
    NLOG_SEAL_MISSING_SEGMENT = 10,  /* a whole file of the log is missing (and no retention
                                        record explains it) */
    NLOG_SEAL_MALFORMED = 11,        /* a line in the sealed part is neither a sealed record
                                        nor a valid control line */
    NLOG_SEAL_UNSEALED = 12,         /* a file or a line carries no seal where one is required */
    NLOG_SEAL_KIND_COUNT
} nlog_seal_kind;

/* "MAC_MISMATCH", "CHAIN_BREAK", ...; "OK" for NLOG_SEAL_OK; never NULL. */
NLOG_API const char *nlog_seal_kind_name(nlog_seal_kind kind);

/* One problem found. Strings stay valid as long as the report. */
typedef struct nlog_seal_problem {
    nlog_seal_kind kind;
    uint64_t seq;        /* the first sequence number concerned (0 when none applies) */
    int64_t offset;      /* byte offset of the line in `file` (of the decompressed
                            contents for .zst/.gz), -1 when none applies */
    const char *file;    /* the file the line is in; never NULL */
    const char *log;     /* the log (file family) it belongs to, e.g. "netlink.log" */
    const char *message; /* one line of English: what is wrong and what was expected */
} nlog_seal_problem;

/* The outcome for one log: a file name and its rotated segments (a "file
 * family", e.g. netlink.log with netlink-<time>-<n>.log.zst ...). */
typedef struct nlog_seal_log_summary {
    const char *name;           /* "netlink.log" */
    size_t files;               /* files read */
    uint64_t bytes;             /* bytes read (decompressed) */
    uint64_t records;           /* sealed records seen */
    uint64_t checkpoints;       /* checkpoints whose signature verified */
    uint64_t streams;           /* sealed streams (more than one after a key change) */
    uint64_t sealed_first;      /* first sequence number covered by a verified checkpoint
                                   (0 if none) */
    uint64_t sealed_last;       /* last one (0 if none) */
    uint64_t sealed_records;    /* records covered by verified checkpoints */
    uint64_t trailing;          /* records after the last checkpoint: written, but not
                                   protected yet */
    uint64_t partial_lines;     /* an incomplete last line (a crash while writing) */
    uint64_t unsealed_leading;  /* lines before the first anchor (written before sealing
                                   was switched on) */
    uint64_t retention_first;   /* records deleted by retention, per a signed retention
                                   record: sequence numbers retention_first..retention_last */
    uint64_t retention_last;    /* (both 0 if none) */
    uint64_t clock_steps;       /* wall-clock steps the writer recorded */
    uint64_t crash_fragments;   /* incomplete lines left by a crash, noted by the writer */
    int against_checked;        /* 1 if an exported checkpoint was compared with this log */
    uint64_t problems;          /* problems found in this log */
} nlog_seal_log_summary;

/* Progress of a verification: bytes done of the total to read (compressed
 * files count their compressed size). Called from the verifying thread. */
typedef void (*nlog_seal_progress_fn)(uint64_t done, uint64_t total, void *user);

typedef struct nlog_seal_verify_opts {
    size_t struct_size;                 /* sizeof(nlog_seal_verify_opts) */
    const nlog_seal_key *const *keys;   /* trusted master public keys (at least one) */
    size_t n_keys;
    const char *against;                /* an exported checkpoint file (see
                                           nlog_seal_report_export_checkpoint) the logs must
                                           still extend, or NULL */
    int allow_partial;                  /* 1: a log whose beginning is not among the inputs
                                           is not a failure (verifying one segment) */
    size_t max_problems;                /* problems kept per log; 0 = 100, at most 1000000 */
    nlog_seal_progress_fn progress;     /* may be NULL */
    void *progress_user;
} nlog_seal_verify_opts;

/* Fills *opts with the defaults (no keys, nothing else). */
NLOG_API void nlog_seal_verify_opts_init(nlog_seal_verify_opts *opts);

typedef struct nlog_seal_report nlog_seal_report;

/* Verifies the logs in `paths`: files (plain, .zst or .gz, recognised by
 * their contents) or directories (every log file and rotated segment in
 * them). Files are grouped into logs by name and read oldest segment first,
 * the active file last. Returns NLOG_OK when verification ran, whatever it
 * found (see nlog_seal_report_ok()), and *ret_report owns the result (free
 * it with nlog_seal_report_destroy()). Returns NLOG_EINVAL (no key, no path),
 * NLOG_ENOTFOUND (a path does not exist, or nothing to verify in it),
 * NLOG_EIO (a file could not be read; nlog_errmsg() says which) or
 * NLOG_ENOMEM; *ret_report is then untouched. Every length read from the
 * files is bounded: lines longer than 16 MiB are reported as MALFORMED.
 * Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_seal_verify(const nlog_seal_verify_opts *opts,
                                                     const char *const *paths, size_t n_paths,
                                                     nlog_seal_report **ret_report);

/* 1 if every log verified (problems 0), else 0. Trailing records and
 * incomplete last lines are not problems: they are reported in the
 * summary. */
NLOG_API int nlog_seal_report_ok(const nlog_seal_report *report);

/* The logs verified, in name order. */
NLOG_API size_t nlog_seal_report_n_logs(const nlog_seal_report *report);
NLOG_API const nlog_seal_log_summary *nlog_seal_report_log(const nlog_seal_report *report,
                                                           size_t index);

/* Problems of every log, ordered by log, then by sequence number, then by
 * position. Problem 0 of a log is its first bad record. */
NLOG_API size_t nlog_seal_report_n_problems(const nlog_seal_report *report);
NLOG_API const nlog_seal_problem *nlog_seal_report_problem(const nlog_seal_report *report,
                                                           size_t index);

/* Writes the last verified checkpoint of log `index` to `path` (replacing
 * it atomically), together with the proof that ties its key to the master
 * key, so that a later `against` verification can prove the log still
 * extends it (detecting truncation and rollback to an older copy). Returns
 * NLOG_ESTATE if the log has problems or no verified checkpoint, NLOG_EIO
 * if the file cannot be written. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_seal_report_export_checkpoint(
    const nlog_seal_report *report, size_t index, const char *path);

/* Frees a report. NULL is a no-op. */
NLOG_API void nlog_seal_report_destroy(nlog_seal_report *report);

NLOG_END_DECLS

#endif /* NLOG_SEAL_H */
