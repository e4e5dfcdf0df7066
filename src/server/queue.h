/* queue.h: the bounded queue between the request threads and the one
 * writer thread that owns the store's write side.
 *
 * A request thread submits its batch and waits until the writer has
 * committed it (so a 202 means "stored": a crash after the answer loses
 * nothing). The writer takes every waiting batch up to about 10,000 records
 * into one transaction (group commit). When the queued records would exceed
 * the capacity in records, or their memory (nlogd_batch.mem_bytes) the
 * capacity in bytes, submit refuses at once (the caller answers 429): the
 * byte budget is what bounds the memory of accepted records when they are
 * large (200,000 records of 1 MB would be 200 GB). A batch is taken whatever
 * its size when the queue is empty, so no request is refused forever (the
 * caller bounds each request: server.max_request_memory).
 *
 * Maintenance (retention, the dedupe window, the deferred indexes, merges)
 * runs in slices between commits, so a new batch waits for at most one
 * slice:
 *   - idle: when no batch came for idle_grace_ns, slice after slice, full
 *     size (20,000 rows indexed, 5,000 deleted);
 *   - under load, guaranteed whatever the queue: after every
 *     maint_every_commits commits or maint_every_ns since the last slice,
 *     one small slice (1,000 rows deleted, else batch ids forgotten, else
 *     5,000 rows indexed, else one merge step), retention first;
 *   - and while more than lag_max rows wait for the indexes, indexing after
 *     every commit until they are back under it.
 * So retention is applied and the unindexed tail stays bounded under any
 * steady load: at most lag_max rows, and at low rates what arrives in one
 * maint interval. The price: a sustained stream runs at the combined rate of
 * ingest and indexing once lag_max rows wait (docs/PERFORMANCE.md).
 * Tested by: tests/unit/server/test_store_queue.c, tests/integration/server/
 * (ingest, 429, shutdown, steady). */
#ifndef NLOGD_QUEUE_H
#define NLOGD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "server/store.h"

typedef struct nlogd_queue nlogd_queue;

/* Called by the writer after each commit with the batches it stored
 * (duplicates included, marked): the seam for live streaming. Must be quick
 * and must not block; the batches are valid during the call only. */
typedef void (*nlogd_stored_fn)(void *user, nlogd_batch *const *batches, size_t n);

/* The writer's pacing; nlogd_queue_config_init() fills the defaults. */
typedef struct nlogd_queue_config {
    size_t cap_records;          /* records accepted but not stored, at most */
    size_t cap_bytes;            /* their memory (nlogd_batch.mem_bytes), at most; 0 = no
                                    limit */
    int retention_days;          /* 0 = keep everything */
    unsigned maint_every_commits;/* a maintenance slice after this many commits (8; 0 = off) */
    int64_t maint_every_ns;      /* ... or this long after the last slice (250 ms; 0 = off) */
    uint64_t lag_max;            /* rows waiting for the indexes, at most (1,000,000) */
    int64_t idle_grace_ns;       /* idle work this long after the last batch (300 ms; < 0 =
                                    never, for tests) */
    size_t load_retain_rows;     /* records deleted per slice under load (1,000) */
    size_t load_index_rows;      /* rows indexed per slice under load (5,000) */
} nlogd_queue_config;

void nlogd_queue_config_init(nlogd_queue_config *c);

/* Starts the writer thread. */
nlog_status nlogd_queue_start_cfg(nlogd_store *store, const nlogd_queue_config *c,
                                  nlogd_queue **ret_queue);
/* The same with the defaults for everything but the capacity and retention. */
nlog_status nlogd_queue_start(nlogd_store *store, size_t cap_records, int retention_days,
                              nlogd_queue **ret_queue);
/* Submits b and waits until it is stored (b->status says how it went).
 * Returns 0, or -1 without queueing when the queue is full and `block` is
 * 0 (with `block` 1 it waits for room: the file watcher's way). */
int nlogd_queue_submit(nlogd_queue *q, nlogd_batch *b, int block);
/* A batch in parts: a large request submits its first part while it
 * parses the next, so parsing and storing overlap (one client alone would
 * otherwise leave the writer idle while it parses). The writer stores the
 * parts as they come, in one transaction of the batch's own, committed at
 * stream_end: a 202 still means stored, and a crash or an abort before the
 * end stores none of it.
 *   open: b is the first part (records, batch id, digest); refused at once
 *     (-1, the caller answers 429) like a non-blocking submit when the
 *     queue is full. It does not wait.
 *   add: the next part (its own records; it must stay valid until end
 *     returns). Never refused: the request's memory is bounded by its
 *     caller (server.max_request_memory), and the writer takes parts as
 *     they come.
 *   end: no more parts; abort = 1 rolls back all of them. Waits until the
 *     writer is done; then b->status, b->duplicate, b->conflict and
 *     b->orig_accepted say how it went (as for submit), `rejected` is
 *     stored with the batch id. Frees the stream.
 * Between open and end, only this batch is written: other batches wait
 * (the submitter must not wait for anything but its own parsing). */
typedef struct nlogd_qstream nlogd_qstream;
int nlogd_queue_stream_open(nlogd_queue *q, nlogd_batch *b, nlogd_qstream **ret);
void nlogd_queue_stream_add(nlogd_qstream *st, nlogd_batch *part);
void nlogd_queue_stream_end(nlogd_qstream *st, int abort, size_t rejected);

/* Records waiting now. */
size_t nlogd_queue_depth(nlogd_queue *q);
size_t nlogd_queue_capacity(nlogd_queue *q);
/* Bytes (mem_bytes) of the batches waiting, and the byte budget (0 = none). */
size_t nlogd_queue_bytes(nlogd_queue *q);
size_t nlogd_queue_capacity_bytes(nlogd_queue *q);
void nlogd_queue_set_hook(nlogd_queue *q, nlogd_stored_fn fn, void *user);
/* What the writer has done since it started (tests, /metrics). */
typedef struct nlogd_queue_stats {
    uint64_t commits;
    uint64_t slices_idle, slices_load, slices_lag; /* maintenance slices by trigger */
} nlogd_queue_stats;
void nlogd_queue_stats_get(nlogd_queue *q, nlogd_queue_stats *out);

/* Stores everything queued, stops the writer and frees the queue. */
void nlogd_queue_stop(nlogd_queue *q);

#endif
