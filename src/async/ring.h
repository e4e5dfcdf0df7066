/* ring.h: a bounded single-producer queue of variable-size entries.
 *
 * Each logging thread owns one ring; the writer thread is its only consumer.
 * Entries are contiguous byte ranges starting with an nlog__ring_hdr, 8-byte
 * aligned; an entry that would cross the end of the buffer is preceded by a
 * padding entry that fills the rest of it.
 *
 * Positions are free-running byte counters (head: bytes published, tail:
 * bytes released); head - tail <= cap always. The producer publishes with a
 * release store of head. The tail is advanced with compare-and-swap by the
 * consumer after it has copied an entry out, and by the producer when its
 * overflow policy is drop-oldest and it discards the oldest entry itself; a
 * consumer whose CAS fails discards its copy (the entry was dropped and
 * counted by the producer).
 * Tested by: tests/unit/async/test_ring.c */
#ifndef NLOG_ASYNC_RING_H
#define NLOG_ASYNC_RING_H

#include <stddef.h>
#include <stdint.h>

#define NLOG__RING_PAD 0xFFu /* kind of a padding entry */

typedef struct nlog__ring_hdr {
    uint32_t size; /* bytes of the entry, header included, multiple of 8 */
    uint8_t kind;  /* NLOG__RING_PAD or a kind chosen by the user of the ring */
    uint8_t level_index;  /* for drop accounting: dense level index of the entry */
    uint16_t reserved;
} nlog__ring_hdr;

typedef struct nlog__ring {
    _Alignas(64) uint64_t head;  /* producer: bytes published */
    uint64_t cached_tail;        /* producer's last view of tail */
    uint64_t limit;              /* producer: head may grow up to here without a look at
                                    tail or the end of the buffer (<= cached_tail + cap,
                                    <= the end of the buffer's current pass) */
    _Alignas(64) uint64_t tail;  /* bytes released (CAS) */
    _Alignas(64) size_t cap;     /* bytes, power of two */
    uint8_t *buf;
} nlog__ring;

/* The out-of-line part of nlog__ring_reserve(): refreshes the cached tail
 * and pads to the end of the buffer when the entry would cross it. */
void *nlog__ring_reserve_slow(nlog__ring *r, uint32_t size);

/* Allocates a ring of `cap` bytes (rounded up to a power of two, >= 4096). */
int nlog__ring_init(nlog__ring *r, size_t cap);
void nlog__ring_deinit(nlog__ring *r);

/* Producer: room for an entry of `size` bytes (multiple of 8, <= cap/2), or
 * NULL if the ring is full. The caller fills the entry (header included) and
 * then calls nlog__ring_commit() with the same size; an entry reserved and
 * not committed is simply not there (the next reservation reuses it).
 * Inline: this is on every asynchronous logging call. */
static inline void *nlog__ring_reserve(nlog__ring *r, uint32_t size)
{
    uint64_t head = r->head; /* only this thread writes head */
    if (__builtin_expect(head + size <= r->limit, 1))
        return r->buf + ((size_t) head & (r->cap - 1));
    return nlog__ring_reserve_slow(r, size);
}
static inline void nlog__ring_commit(nlog__ring *r, uint32_t size)
{
    __atomic_store_n(&r->head, r->head + size, __ATOMIC_RELEASE);
}

/* Producer (drop-oldest policy): releases the oldest entry if `may_drop`
 * accepts its header. Returns 1 and copies its header to *ret_hdr if an entry
 * was dropped, 0 if the ring is empty or the entry must be kept. */
int nlog__ring_drop_oldest(nlog__ring *r, int (*may_drop)(const nlog__ring_hdr *h),
                           nlog__ring_hdr *ret_hdr);

/* Consumer: copies the oldest entry (padding skipped) into `out` (cap_out >=
 * the largest entry) and releases it. Returns its size, or 0 if the ring is
 * empty. */
uint32_t nlog__ring_pop(nlog__ring *r, void *out, size_t cap_out);

/* Bytes published and not yet released (approximate while others run). */
size_t nlog__ring_used(const nlog__ring *r);

#endif /* NLOG_ASYNC_RING_H */
