/* pipeline.h: the set of outputs built from a configuration, and the routing
 * of one record to them (synchronous delivery on the calling thread). */
#ifndef NLOG_CORE_PIPELINE_H
#define NLOG_CORE_PIPELINE_H

#include <nlog/nlog.h>

#include "core/record.h"

typedef struct nlog__pipeline nlog__pipeline;

/* File names inside `directory`. */
#define NLOG__FILE_MAIN "netlink.log"
#define NLOG__FILE_SECURITY "security.log"
#define NLOG__FILE_AUDIT "audit.log"

/* Builds the outputs a resolved configuration asks for. Files are opened on
 * their first record. */
nlog_status nlog__pipeline_create(const nlog_config *cfg, nlog__pipeline **ret_pipeline);
void nlog__pipeline_destroy(nlog__pipeline *p);

/* Bytes of the longest record line (max_record_size). */
size_t nlog__pipeline_record_cap(const nlog__pipeline *p);

/* Encodes `r` once per format needed and writes it to every output whose
 * route admits it (`cat` decides the security and audit files). Thread-safe.
 * Sets *ret_truncated if an encoder had to cut the record. Returns NLOG_EIO
 * if any output failed. */
nlog_status nlog__pipeline_emit(nlog__pipeline *p, const nlog__record *r, nlog_category cat,
                                int *ret_truncated);

nlog_status nlog__pipeline_flush(nlog__pipeline *p);

/* Asynchronous writer only (one thread): encodes `r` into the outputs'
 * batch buffers, writing a buffer out when the next record might not fit.
 * Returns NLOG_EQUEUE_FULL, having taken nothing, while a file output cannot
 * write its batch (disk full): the caller keeps the record and retries. */
nlog_status nlog__pipeline_emit_batched(nlog__pipeline *p, const nlog__record *r,
                                        nlog_category cat, int *ret_truncated);
/* Writes every batch buffer out. */
nlog_status nlog__pipeline_drain_batches(nlog__pipeline *p);
/* In the child after fork(): forgets batched lines (the parent writes them). */
void nlog__pipeline_forget_batches(nlog__pipeline *p);
/* Applies the fsync policy after lines were written (any thread). */
void nlog__pipeline_after_write(nlog__pipeline *p);
/* Syncs if `fsync: interval` is due and something was written (idle writer). */
void nlog__pipeline_tick(nlog__pipeline *p);
/* Set by the fatal-signal drain: batch buffers are not allocated any more. */
extern int nlog__pipeline_no_alloc;
/* Number of nlog__pipeline_sync() calls so far (for tests). */
extern uint64_t nlog__pipeline_syncs;
/* fsync()s every file output. */
nlog_status nlog__pipeline_sync(nlog__pipeline *p);

#endif /* NLOG_CORE_PIPELINE_H */
