/* ring.c: see ring.h for the protocol. */
#include <stdlib.h>
#include <string.h>

#include "async/ring.h"

int nlog__ring_init(nlog__ring *r, size_t cap)
{
    size_t c = 4096;
    while (c < cap)
        c <<= 1;
    memset(r, 0, sizeof *r);
    r->buf = aligned_alloc(64, c);
    if (!r->buf)
        return -1;
    r->cap = c;
    r->limit = c;
    return 0;
}

void nlog__ring_deinit(nlog__ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Recomputes the producer's limit from its view of tail. */
static void set_limit(nlog__ring *r)
{
    uint64_t by_tail = r->cached_tail + r->cap;
    uint64_t pass_end = (r->head & ~(uint64_t) (r->cap - 1)) + r->cap;
    r->limit = by_tail < pass_end ? by_tail : pass_end;
}

void *nlog__ring_reserve_slow(nlog__ring *r, uint32_t size)
{
    uint64_t head = r->head; /* only this thread writes head */
    size_t pos = (size_t) head & (r->cap - 1);
    size_t contiguous = r->cap - pos;
    uint64_t need = size <= contiguous ? size : contiguous + size;
    r->cached_tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    if (head + need - r->cached_tail > r->cap) {
        set_limit(r);
        return NULL;
    }
    if (size > contiguous) {
        /* Pad to the end; publish the pad at once so the consumer can pass it. */
        nlog__ring_hdr *pad = (nlog__ring_hdr *) (void *) (r->buf + pos);
        pad->size = (uint32_t) contiguous;
        pad->kind = NLOG__RING_PAD;
        pad->level_index = 0;
        __atomic_store_n(&r->head, head + contiguous, __ATOMIC_RELEASE);
        pos = 0;
    }
    set_limit(r);
    return r->buf + pos;
}

int nlog__ring_drop_oldest(nlog__ring *r, int (*may_drop)(const nlog__ring_hdr *h),
                           nlog__ring_hdr *ret_hdr)
{
    for (;;) {
        uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
        if (tail == r->head)
            return 0;
        nlog__ring_hdr h;
        memcpy(&h, r->buf + ((size_t) tail & (r->cap - 1)), sizeof h);
        if (h.kind != NLOG__RING_PAD && !may_drop(&h))
            return 0;
        if (__atomic_compare_exchange_n(&r->tail, &tail, tail + h.size, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            r->cached_tail = tail + h.size;
            if (h.kind == NLOG__RING_PAD)
                continue;
            *ret_hdr = h;
            return 1;
        }
        /* the consumer released it first: look again */
    }
}

uint32_t nlog__ring_pop(nlog__ring *r, void *out, size_t cap_out)
{
    for (;;) {
        uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
        uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
        if (tail == head)
            return 0;
        const uint8_t *src = r->buf + ((size_t) tail & (r->cap - 1));
        nlog__ring_hdr h;
        memcpy(&h, src, sizeof h);
        uint32_t size = h.size;
        if (size < sizeof h || size > cap_out || (size & 7))
            size = sizeof h; /* torn read under a concurrent drop: the CAS will fail */
        if (h.kind != NLOG__RING_PAD)
            memcpy(out, src, size);
        if (__atomic_compare_exchange_n(&r->tail, &tail, tail + h.size, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            if (h.kind == NLOG__RING_PAD)
                continue;
            return size;
        }
        /* dropped by the producer meanwhile: the copy may be torn, discard it */
    }
}

size_t nlog__ring_used(const nlog__ring *r)
{
    uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    return (size_t) (head - tail);
}
