/* fast.h: the fast case of an asynchronous logging call, inlined into the
 * logging call itself (logger.c), so that a typical structured call costs
 * the caller's field array, this function and nothing else: no further
 * call, no lock, no system call, no allocation, no copy of a string.
 *
 * It applies when the thread's queue is ready (same generation, no drops
 * waiting to be reported), has room, and every string of the call is in the
 * program's read-only image (codec.h). Everything else returns
 * NLOG__ASYNC_AGAIN, having queued nothing, and the general path
 * (nlog__async_submit) takes the call.
 * Tested by: tests/unit/async/test_codec.c, test_concurrency_async.c */
#ifndef NLOG_ASYNC_FAST_H
#define NLOG_ASYNC_FAST_H

#include "async/async.h"
#include "async/codec.h"
#include "async/ring.h"
#include "platform/platform.h"

/* Initial-exec TLS: one %fs-relative load, no __tls_get_addr call, also in
 * the shared library (the variable is 8 bytes of the static TLS surplus). */
#define NLOG__TLS_IE __attribute__((tls_model("initial-exec")))

/* The part of a producer (async.c) the fast path reads. */
typedef struct nlog__producer_head {
    nlog__ring ring;
    unsigned fast_gen; /* == nlog__async_generation while the fast path may use the queue */
} nlog__producer_head;

extern _Thread_local nlog__producer_head *nlog__async_mine NLOG__TLS_IE;
extern unsigned nlog__async_generation; /* atomic */
extern int nlog__async_audit_sync;      /* atomic */

/* Queues the call if the fast case applies. `site` must not be NULL and
 * n <= NLOG_FIELDS_MAX; `trust` as for nlog__qrec_write_static(). Returns
 * NLOG_OK or NLOG__ASYNC_AGAIN (also for AUDIT records under audit_sync,
 * whose call must wait for durability on the general path). */
static inline __attribute__((always_inline)) nlog_status
nlog__async_try_static(const nlog_logger *lg, int level_index, unsigned trust,
                       const nlog_site *site, const char *msg, const nlog_field *fields, size_t n)
{
    nlog__producer_head *pr = nlog__async_mine;
    if (NLOG_UNLIKELY(!pr ||
                      pr->fast_gen != __atomic_load_n(&nlog__async_generation, __ATOMIC_RELAXED)))
        return NLOG__ASYNC_AGAIN;
    /* Room without a look at the tail or the end of the buffer, else the
     * general path reserves (and applies the policy when full). */
    uint64_t head = pr->ring.head;
    if (NLOG_UNLIKELY(head + NLOG__QREC_STATIC_SIZE(n) > pr->ring.limit))
        return NLOG__ASYNC_AGAIN;
    if (NLOG_UNLIKELY(level_index == NLOG__AUDIT_INDEX &&
                      __atomic_load_n(&nlog__async_audit_sync, __ATOMIC_RELAXED)))
        return NLOG__ASYNC_AGAIN; /* the general path waits for durability */
    void *dst = pr->ring.buf + ((size_t) head & (pr->ring.cap - 1));
    /* The queue's lines were last touched by the writer on the other core:
     * ask for the next call's lines now, so that it does not wait for them
     * (a prefetch never faults, also past the end of the buffer). */
    __builtin_prefetch((const char *) dst + 256, 1, 3);
    __builtin_prefetch((const char *) dst + 320, 1, 3);
    if (NLOG_UNLIKELY(!nlog__qrec_write_static(dst, lg, level_index, trust, site, msg, fields, n)))
        return NLOG__ASYNC_AGAIN;
    nlog__ring_commit(&nlog__async_mine->ring, NLOG__QREC_STATIC_SIZE(n)); /* pr, reloaded */
    return NLOG_OK;
}

#endif /* NLOG_ASYNC_FAST_H */
