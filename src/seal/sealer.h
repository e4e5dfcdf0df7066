/* sealer.h (internal): sealing the lines of one log file (the writer side).
 *
 * A file sink with sealing owns one sealer. Writing goes through a
 * transaction held under the sink's lock:
 *
 *     nlog__sealer_lock(s);                      the state file's flock
 *     nlog__sealer_prepare(s, &t, lines, len, ...) → bytes for one write(2)
 *     write(2) ...  then nlog__sealer_commit(s), or nlog__sealer_abort(s)
 *     nlog__sealer_unlock(s);
 *
 * prepare() appends the seal member to each line, adds an anchor first when
 * the bytes go to a file the stream has not written yet, and a checkpoint
 * last when one is due (the range is full, its oldest record has waited
 * long enough, the clock stepped, or the caller forces one). It consumes at
 * most as many lines as fit in the current range; the caller loops. Nothing
 * in the shared state changes until commit(), so a failed write is simply
 * retried later with the same sequence numbers.
 *
 * Checkpoints that are due while nobody writes (the interval, retention
 * cuts, closing, key changes) are written by nlog__sealer_control() through
 * the sealer's own descriptor of the log path, under the same locks.
 *
 * Thread-safety: one internal mutex per sealer serialises everything; the
 * sink calls in with its own lock held (lock order: sink lock -> sealer
 * mutex -> state flock). fork(): the child reopens the state file on its
 * next call (flock locks belong to open file descriptions).
 * Tested by: tests/unit/seal/test_seal_writer.c, test_seal_attacks.c,
 * test_concurrency_seal.c */
#ifndef NLOG_SEAL_SEALER_H
#define NLOG_SEAL_SEALER_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/status.h>

#include "internal/compiler.h"
#include "seal/line.h"

typedef struct nlog__sealer nlog__sealer;

typedef struct nlog__seal_opts {
    const char *key_dir;     /* seal_key_dir; relative: relative to the log directory */
    unsigned max_records;    /* seal_checkpoint_records, 1..1000 */
    int64_t interval_ns;     /* seal_checkpoint_interval_ms in ns */
} nlog__seal_opts;

/* Whether the key directory (key_dir as in nlog__seal_opts, NULL or "" for
 * the default) of the logs in `dir` exists: it tells a host set up for
 * sealing from one that never was. */
int nlog__seal_key_dir_exists(const char *dir, const char *key_dir);

/* Opens the state for `name` in `dir`. On failure returns NLOG_ENOTFOUND
 * (no state file), NLOG_ECONFIG (a state that is invalid, belongs to another
 * log or directory), NLOG_EIO or NLOG_ENOMEM, with one line saying what and
 * where in why[0..why_size). The first process to open a state rebuilds its
 * head from the log (after a crash, a reboot, or state restored from disk). */
NLOG_NODISCARD nlog_status nlog__sealer_open(const char *dir, const char *name,
                                             const nlog__seal_opts *o, nlog__sealer **ret,
                                             char *why, size_t why_size);
/* Unmaps and frees; NULL is a no-op. Writes nothing (see nlog__sealer_control
 * with NLOG__SEAL_R_CLOSE). */
void nlog__sealer_close(nlog__sealer *s);

/* The file the prepared bytes go to. */
#define NLOG__SEAL_SIZE_UNKNOWN UINT64_MAX
typedef struct nlog__seal_target {
    int fd;             /* its descriptor (fstat()ed when size is unknown and needed) */
    uint64_t dev, ino;  /* identity of the open file */
    uint64_t size;      /* its size now, or NLOG__SEAL_SIZE_UNKNOWN (needed only when it is
                           not the file the stream is being written to) */
    uint64_t frag_len;  /* bytes of an incomplete line that a failed write left at the end
                           (the writer starts with '\n' and notes it); 0 normally */
    int64_t now;        /* the caller's monotonic time, or 0 to read the clock */
} nlog__seal_target;

NLOG_NODISCARD nlog_status nlog__sealer_lock(nlog__sealer *s);
void nlog__sealer_unlock(nlog__sealer *s);

/* Prepares one write of the lines in in[0..len) (whole lines, each ending
 * in "}\n"; may be empty). `force` is 0 or a reason (nlog__seal_reason) for
 * a checkpoint at the end of this write whatever its range; `cut` (may be
 * NULL) is a retention cut to carry in it. *ret_out / *ret_out_len are the
 * bytes to write; *ret_used the input bytes they consume. Returns NLOG_OK,
 * NLOG_ESTATE (the stream cannot go on: last epoch, or a state it could not
 * use; reported) or NLOG_ENOMEM. */
NLOG_NODISCARD nlog_status nlog__sealer_prepare(nlog__sealer *s, const nlog__seal_target *t,
                                                const char *in, size_t len, int force,
                                                const nlog__seal_extra *cut,
                                                const char **ret_out, size_t *ret_out_len,
                                                size_t *ret_used);
/* The prepared bytes are in the file: make them the state. */
void nlog__sealer_commit(nlog__sealer *s);
/* They are not (the write failed and its bytes were removed): forget them. */
void nlog__sealer_abort(nlog__sealer *s);

/* Writes a checkpoint now through the sealer's own descriptor of the log
 * path (reason: NLOG__SEAL_R_INTERVAL, _CLOSE, _RETENTION or _REKEY), if
 * there is anything to cover or the reason needs it. `cut` as above.
 * Takes the locks itself. Returns NLOG_OK or NLOG_EIO (reported). */
NLOG_NODISCARD nlog_status nlog__sealer_control(nlog__sealer *s, int reason,
                                                const nlog__seal_extra *cut);

/* Monotonic time at which the pending records need a checkpoint, or
 * INT64_MAX when none are pending. Cheap; takes the sealer mutex only. */
int64_t nlog__sealer_due_at(nlog__sealer *s);

/* Whether a commit since the last call started a new range (the timer
 * should recompute its wake-up). Any thread; clears the flag. */
int nlog__sealer_take_poke(nlog__sealer *s);

/* Background upkeep, about once a second (timer.c): makes the state durable
 * (msync) and then wipes the key slot of the previous epoch; notices a new
 * state waiting as <name>.seal.next and switches to it. */
void nlog__sealer_upkeep(nlog__sealer *s);

/* The directory/name it seals, for messages. */
const char *nlog__sealer_log_path(const nlog__sealer *s);

/* Tests: the state file's path, and the sequence number of the next record. */
const char *nlog__sealer_state_path(const nlog__sealer *s);
uint64_t nlog__sealer_next_seq(nlog__sealer *s);

#endif /* NLOG_SEAL_SEALER_H */
