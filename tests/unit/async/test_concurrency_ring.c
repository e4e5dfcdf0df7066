/* test_concurrency_ring.c: the per-thread queue: order, wrap-around, full
 * detection, drop-oldest that never drops protected entries, and one producer
 * racing one consumer (also under TSan). */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "async/ring.h"
#include "testutil.h"

typedef struct entry {
    nlog__ring_hdr h;
    uint64_t seq;
    uint8_t payload[];
} entry;

static uint32_t entry_size(uint64_t seq)
{
    return (uint32_t) ((sizeof(entry) + (seq * 37) % 300 + 7) & ~(size_t) 7);
}

static int push(nlog__ring *r, uint64_t seq, uint8_t level_index)
{
    uint32_t size = entry_size(seq);
    entry *e = nlog__ring_reserve(r, size);
    if (!e)
        return 0;
    e->h.size = size;
    e->h.kind = 1;
    e->h.level_index = level_index;
    e->seq = seq;
    memset(e->payload, (int) (seq & 0xff), size - sizeof(entry));
    nlog__ring_commit(r, size);
    return 1;
}

static void check(const entry *e, uint32_t size, uint64_t seq)
{
    assert_int_equal(size, entry_size(seq));
    assert_int_equal(e->seq, seq);
    for (size_t i = 0; i < size - sizeof(entry); i++)
        assert_int_equal(e->payload[i], seq & 0xff);
}

static void order_wrap_and_full(void **state)
{
    (void) state;
    nlog__ring r;
    assert_int_equal(nlog__ring_init(&r, 4096), 0);
    _Alignas(8) uint8_t out[2048];
    uint64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 2000; round++) {
        int pushed = 0;
        while (push(&r, next_in, 2)) {
            next_in++;
            pushed++;
        }
        assert_true(pushed > 0 || nlog__ring_used(&r) > 0);
        assert_true(nlog__ring_used(&r) <= r.cap);
        int n = 1 + round % 7; /* consume a varying number, so positions drift */
        for (int i = 0; i < n; i++) {
            uint32_t size = nlog__ring_pop(&r, out, sizeof out);
            if (!size)
                break;
            check((const entry *) (const void *) out, size, next_out++);
        }
    }
    uint32_t size;
    while ((size = nlog__ring_pop(&r, out, sizeof out)) != 0)
        check((const entry *) (const void *) out, size, next_out++);
    assert_int_equal(next_out, next_in);
    assert_int_equal(nlog__ring_used(&r), 0);
    nlog__ring_deinit(&r);
}

static int droppable(const nlog__ring_hdr *h)
{
    return h->level_index < 6; /* SECURITY (6) and AUDIT (7) are kept */
}

static void drop_oldest_keeps_protected(void **state)
{
    (void) state;
    nlog__ring r;
    assert_int_equal(nlog__ring_init(&r, 4096), 0);
    uint64_t seq = 0;
    while (push(&r, seq, 2))
        seq++;
    nlog__ring_hdr h;
    assert_int_equal(nlog__ring_drop_oldest(&r, droppable, &h), 1);
    assert_int_equal(h.level_index, 2);
    assert_true(push(&r, seq++, 2) || nlog__ring_drop_oldest(&r, droppable, &h));
    /* a protected entry at the front stops dropping */
    nlog__ring_deinit(&r);
    assert_int_equal(nlog__ring_init(&r, 4096), 0);
    assert_true(push(&r, 0, 7));
    assert_int_equal(nlog__ring_drop_oldest(&r, droppable, &h), 0);
    _Alignas(8) uint8_t out[2048];
    assert_int_equal(nlog__ring_pop(&r, out, sizeof out), entry_size(0));
    assert_int_equal(nlog__ring_drop_oldest(&r, droppable, &h), 0); /* empty */
    nlog__ring_deinit(&r);
}

#define TOTAL 200000
static nlog__ring shared;
static uint64_t dropped_by_producer;

static void *producer(void *arg)
{
    int drop_mode = (int) (intptr_t) arg;
    for (uint64_t seq = 0; seq < TOTAL; seq++) {
        while (!push(&shared, seq, 2)) {
            nlog__ring_hdr h;
            if (drop_mode && nlog__ring_drop_oldest(&shared, droppable, &h))
                __atomic_fetch_add(&dropped_by_producer, 1, __ATOMIC_RELAXED);
            else
                sched_yield();
        }
    }
    return NULL;
}

static void race(int drop_mode)
{
    assert_int_equal(nlog__ring_init(&shared, 8192), 0);
    dropped_by_producer = 0;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, (void *) (intptr_t) drop_mode), 0);
    _Alignas(8) uint8_t out[4096];
    uint64_t got = 0, last = 0;
    int first = 1;
    for (;;) {
        uint32_t size = nlog__ring_pop(&shared, out, sizeof out);
        if (!size) {
            if (got + __atomic_load_n(&dropped_by_producer, __ATOMIC_RELAXED) >= TOTAL &&
                nlog__ring_used(&shared) == 0)
                break;
            sched_yield();
            continue;
        }
        const entry *e = (const entry *) (const void *) out;
        if (!drop_mode)
            check(e, size, got);
        else {
            check(e, size, e->seq);
            assert_true(first || e->seq > last); /* order kept, gaps allowed */
        }
        first = 0;
        last = e->seq;
        got++;
    }
    pthread_join(th, NULL);
    if (!drop_mode)
        assert_int_equal(got, TOTAL);
    else
        assert_int_equal(got + __atomic_load_n(&dropped_by_producer, __ATOMIC_RELAXED), TOTAL);
    nlog__ring_deinit(&shared);
}

static void producer_races_consumer(void **state)
{
    (void) state;
    race(0);
}

static void producer_drops_while_consumer_reads(void **state)
{
    (void) state;
    race(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_wrap_and_full),
        cmocka_unit_test(drop_oldest_keeps_protected),
        cmocka_unit_test(producer_races_consumer),
        cmocka_unit_test(producer_drops_while_consumer_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
