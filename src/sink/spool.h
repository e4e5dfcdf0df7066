/* spool.h (internal): the remote output's on-disk queue of batches.
 *
 * One file per batch in the spool directory, named by a sequence number so
 * the oldest is sent first: "<20-digit seq>-<batch id>.batch", holding a
 * one-line header ("nlog-spool 1 <batch id> <8 counts by level>\n") and the
 * gzip body exactly as it is POSTed. A file is written as ".tmp" and renamed,
 * so a crash leaves whole batches or nothing (".tmp" leftovers are removed
 * at open). The directory is locked with flock(".lock") by one process.
 *
 * The size cap: a batch that does not fit first evicts the oldest batches
 * holding no SECURITY or AUDIT record (their records are reported to the
 * caller as dropped). A batch that holds SECURITY or AUDIT records may then
 * use up to one more cap's worth; beyond that it is refused.
 *
 * In flight: the batch returned by nlog__spool_peek() is being sent without
 * the caller's lock held, while another thread may nlog__spool_put(). It is
 * never evicted, and it is removed by its sequence number
 * (nlog__spool_pop(seq)), so a put meanwhile can neither delete the batch
 * being sent (and count it as dropped) nor make the pop delete the next,
 * never-sent batch.
 * Tested by: tests/unit/sink/test_spool.c */
#ifndef NLOG_SINK_SPOOL_H
#define NLOG_SINK_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/level.h>
#include <nlog/status.h>

typedef struct nlog__spool nlog__spool;

typedef struct nlog__spool_meta {
    char batch_id[40];                /* 32 hex digits + NUL */
    uint64_t counts[NLOG_LEVEL_COUNT]; /* records by nlog_level_index() */
} nlog__spool_meta;

/* Creates `dir` if needed, locks it, and indexes the batches already there.
 * NLOG_ESTATE when another process holds the lock, NLOG_EIO otherwise. */
nlog_status nlog__spool_open(const char *dir, int64_t cap, nlog__spool **ret_spool);
void nlog__spool_close(nlog__spool *s);

/* Keeps a batch. Returns NLOG_OK, or NLOG_ELIMIT (full: not kept) or NLOG_EIO
 * (the write failed: not kept). `evicted` receives, by level, the records of
 * older batches deleted to make room (may be NULL only if the caller does
 * not care). */
nlog_status nlog__spool_put(nlog__spool *s, const nlog__spool_meta *m, const void *body,
                            size_t len, uint64_t evicted[NLOG_LEVEL_COUNT]);
/* The oldest batch: 1 and its meta, body (malloc'd, caller frees) and
 * sequence number, and it is now in flight; 0 when empty; -1 when it cannot
 * be read (it is then deleted and counted in *ret_lost by level). */
int nlog__spool_peek(nlog__spool *s, nlog__spool_meta *m, void **ret_body, size_t *ret_len,
                     uint64_t lost[NLOG_LEVEL_COUNT], uint64_t *ret_seq);
/* Deletes batch `seq` (after it was delivered) if it is still there, and
 * ends its flight. */
void nlog__spool_pop(nlog__spool *s, uint64_t seq);
/* Ends the flight of the peeked batch without deleting it (not delivered). */
void nlog__spool_unpin(nlog__spool *s);
size_t nlog__spool_count(const nlog__spool *s);
int64_t nlog__spool_bytes(const nlog__spool *s);

#endif
