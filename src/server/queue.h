/* queue.h: the bounded queue between the request threads and the one
 * writer thread that owns the store's write side.
 *
 * A request thread submits its batch and waits until the writer has
 * committed it (so a 202 means "stored": a crash after the answer loses
 * nothing). The writer takes every waiting batch up to about 10,000 records
 * into one transaction (group commit). When the queued records would exceed
 * the capacity, submit refuses at once (the caller answers 429). When the
 * queue is empty the writer does the store's idle work (text index, merges,
 * retention) one slice at a time, so a new batch waits for at most one slice.
 * Tested by: tests/integration/server/ (ingest, 429, shutdown). */
#ifndef NLOGD_QUEUE_H
#define NLOGD_QUEUE_H

#include <stddef.h>

#include "server/store.h"

typedef struct nlogd_queue nlogd_queue;

/* Called by the writer after each commit with the batches it stored
 * (duplicates included, marked): the seam for live streaming. Must be quick
 * and must not block; the batches are valid during the call only. */
typedef void (*nlogd_stored_fn)(void *user, nlogd_batch *const *batches, size_t n);

nlog_status nlogd_queue_start(nlogd_store *store, size_t cap_records, int retention_days,
                              nlogd_queue **ret_queue);
/* Submits b and waits until it is stored (b->status says how it went).
 * Returns 0, or -1 without queueing when the queue is full and `block` is
 * 0 (with `block` 1 it waits for room: the file watcher's way). */
int nlogd_queue_submit(nlogd_queue *q, nlogd_batch *b, int block);
/* Records waiting now. */
size_t nlogd_queue_depth(nlogd_queue *q);
size_t nlogd_queue_capacity(nlogd_queue *q);
void nlogd_queue_set_hook(nlogd_queue *q, nlogd_stored_fn fn, void *user);
/* Stores everything queued, stops the writer and frees the queue. */
void nlogd_queue_stop(nlogd_queue *q);

#endif
