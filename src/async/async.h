/* async.h: the asynchronous pipeline.
 *
 * Calling threads copy records into their own bounded queue (ring.h) and
 * return; one writer thread per process takes records from every queue in
 * timestamp order, encodes them and writes them to the outputs in large
 * batches. The calling thread takes no lock, makes no system call and does
 * not allocate, except: once per thread (its queue), when its queue is full
 * under the `block` policy (it waits), and for AUDIT records under
 * `audit_sync` (it waits for durability).
 * Tested by: tests/unit/async/test_concurrency_async.c */
#ifndef NLOG_ASYNC_ASYNC_H
#define NLOG_ASYNC_ASYNC_H

#include <nlog/nlog.h>

#include "async/codec.h"

typedef enum nlog__overflow {
    NLOG__OVERFLOW_BLOCK = 0,
    NLOG__OVERFLOW_DROP_NEWEST = 1,
    NLOG__OVERFLOW_DROP_OLDEST = 2
} nlog__overflow;

/* Applies the asynchronous settings of a resolved configuration: starts the
 * writer if `async` is on (and it is not running), or drains and stops it if
 * it is off. Called with the configuration lock held. */
nlog_status nlog__async_configure(const nlog_config *cfg);

/* Drains every queue, stops and joins the writer (nlog_shutdown). */
void nlog__async_stop(void);

/* Whether calls go through the queues now (atomic; read inline). */
extern int nlog__async_enabled;
static inline int nlog__async_on(void)
{
    return __atomic_load_n(&nlog__async_enabled, __ATOMIC_RELAXED);
}

/* Dense level indexes the queue cares about. */
#define NLOG__PROTECTED_INDEX 6 /* SECURITY and above are never dropped */
#define NLOG__AUDIT_INDEX 7

/* Queues one record (the general path: any strings, full queues, first call
 * of a thread). Returns NLOG_OK, or NLOG_EQUEUE_FULL when the record was
 * dropped by the overflow policy (it is counted). */
nlog_status nlog__async_submit(const nlog__qcall *c);

/* Returned by the fast path (fast.h) when the general path must take the
 * call. */
#define NLOG__ASYNC_AGAIN ((nlog_status) 1)

/* Returns once every record queued before the call has been written (and,
 * with `durable`, synced to disk). */
nlog_status nlog__async_flush(int durable);

/* Installs (1) or removes (0) the fatal-signal drain handlers. */
void nlog__async_crash_handlers(int install);

/* pthread_atfork handlers, called by lifecycle.c in lock order. */
void nlog__async_atfork_prepare(void);
void nlog__async_atfork_parent(void);
void nlog__async_atfork_child(void);

/* Tests only: holds the writer before its next cycle (1) or lets it go (0). */
void nlog__async_test_pause(int pause);

#endif /* NLOG_ASYNC_ASYNC_H */
