/* test_server_live_concurrency.c: the live stream's fan-out (src/server/
 * live_hub.c) under concurrency: producer threads store batches through the
 * real queue and store while client threads take entries, change filters,
 * pause and resume. Properties: each client gets the entries it matches in
 * stored order, each exactly once, and every one it does not get is counted
 * in a dropped item (received + dropped == matching); a memory resume
 * replays exactly what followed; the ring's bounds hold. Runs under TSan
 * (the name matches the concurrency label). */
#include "testutil.h"

#include <pthread.h>

#include "server/live_hub.h"
#include "server/server.h"

#define PRODUCERS 3
#define BATCHES 200
#define PER_BATCH 20
#define CLIENTS 4

static nlogd_server srv;

static void setup_server(const char *name, int queue_entries)
{
    memset(&srv, 0, sizeof srv);
    char why[256];
    const char *dir = tu_scratch(name);
    if (nlogd_store_open(tu_path(dir, "live.db"), &srv.store, why, sizeof why) != NLOG_OK)
        fail_msg("store: %s", why);
    assert_int_equal(nlogd_queue_start(srv.store, 1000000, 0, &srv.queue), NLOG_OK);
    srv.cfg.server_stream_max_clients = 8;
    srv.cfg.server_stream_queue_entries = queue_entries;
    srv.cfg.server_stream_replay_records = 100000;
    assert_int_equal(nlogd_hub_start(&srv, &srv.hub), 0);
}

static void teardown_server(void)
{
    nlogd_hub_stop(srv.hub);
    nlogd_queue_stop(srv.queue);
    nlogd_store_close(srv.store);
}

static void *producer(void *arg)
{
    int p = (int) (intptr_t) arg;
    static const int levels[] = {NLOG_LEVEL_DEBUG, NLOG_LEVEL_INFO, NLOG_LEVEL_ERROR,
                                 NLOG_LEVEL_SECURITY};
    char (*msgs)[32] = malloc(PER_BATCH * sizeof *msgs);
    nlogd_record *r = calloc(PER_BATCH, sizeof *r);
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < PER_BATCH; i++) {
            int k = b * PER_BATCH + i;
            snprintf(msgs[i], sizeof msgs[i], "p%d n%d", p, k);
            memset(&r[i], 0, sizeof r[i]);
            r[i].ts_ns = nlogd_now_ns();
            r[i].level = levels[k % 4];
            r[i].category = k % 3 ? "api" : "db";
            r[i].logger = "t";
            r[i].message = msgs[i];
            r[i].message_len = strlen(msgs[i]);
            r[i].line = r[i].pid = r[i].tid = -1;
        }
        nlogd_batch batch;
        memset(&batch, 0, sizeof batch);
        batch.recs = r;
        batch.n = PER_BATCH;
        assert_int_equal(nlogd_queue_submit(srv.queue, &batch, 1), 0);
        assert_int_equal(batch.status, NLOG_OK);
    }
    free(r);
    free(msgs);
    return NULL;
}

typedef struct client_run {
    nlogd_live_client *c;
    int min_level, max_level;
    uint64_t received, dropped;
    int64_t last_id_per_producer[PRODUCERS]; /* stored order per producer = id order */
    int order_ok;
    volatile int stop; /* set by the main thread after the last batch */
    int toggle;        /* pause/resume now and then */
} client_run;

static void *consumer(void *arg)
{
    client_run *cr = arg;
    nlogd_live_item items[64];
    int rounds = 0;
    cr->order_ok = 1;
    for (;;) {
        size_t n = nlogd_hub_take(cr->c, items, 64, 20);
        for (size_t i = 0; i < n; i++) {
            cr->dropped += items[i].dropped_before;
            if (!items[i].entry)
                continue;
            nlogd_live_entry *e = items[i].entry;
            if (e->level < cr->min_level || (cr->max_level && e->level > cr->max_level))
                cr->order_ok = 0;
            int p = e->message[1] - '0';
            if (p >= 0 && p < PRODUCERS) {
                if (e->id <= cr->last_id_per_producer[p])
                    cr->order_ok = 0;
                cr->last_id_per_producer[p] = e->id;
            }
            __atomic_fetch_add(&cr->received, 1, __ATOMIC_RELAXED); /* read while running */
            nlogd_live_entry_unref(e);
        }
        if (cr->toggle && ++rounds % 7 == 0) {
            nlogd_hub_set_paused(cr->c, 1);
            nlogd_hub_set_paused(cr->c, 0);
        }
        if (n == 0 && __atomic_load_n(&cr->stop, __ATOMIC_ACQUIRE))
            break;
    }
    return NULL;
}

static void fan_out(void **state)
{
    (void) state;
    setup_server("live_fanout", 64); /* small queues: drops must happen and be counted */
    client_run runs[CLIENTS];
    pthread_t ct[CLIENTS], pt[PRODUCERS];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < CLIENTS; i++) {
        nlogd_live_filter f;
        memset(&f, 0, sizeof f);
        runs[i].min_level = i == 1 ? NLOG_LEVEL_ERROR : 0;
        runs[i].max_level = i == 2 ? NLOG_LEVEL_CRITICAL : 0; /* a viewer */
        f.min_level = runs[i].min_level;
        int hit;
        runs[i].c = nlogd_hub_attach(srv.hub, &f, runs[i].max_level, 0, 0, &hit);
        assert_non_null(runs[i].c);
        runs[i].toggle = i == 3;
        assert_int_equal(pthread_create(&ct[i], NULL, consumer, &runs[i]), 0);
    }
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(pthread_create(&pt[p], NULL, producer, (void *) (intptr_t) p), 0);
    for (int p = 0; p < PRODUCERS; p++)
        pthread_join(pt[p], NULL);
    /* every stored entry has been matched against every client */
    const uint64_t total = PRODUCERS * BATCHES * PER_BATCH;
    nlogd_hub_stats st;
    for (int tries = 0; tries < 20000; tries++) {
        nlogd_hub_stats_get(srv.hub, &st);
        uint64_t accounted = 0;
        for (int i = 0; i < CLIENTS; i++)
            accounted += __atomic_load_n(&runs[i].received, __ATOMIC_RELAXED);
        if (st.published == total && accounted + st.dropped >= total * 2)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL); /* polling a condition, bounded by the tries */
    }
    assert_int_equal(st.published, total);
    for (int i = 0; i < CLIENTS; i++)
        __atomic_store_n(&runs[i].stop, 1, __ATOMIC_RELEASE);
    uint64_t want[CLIENTS] = {total, total / 2, total * 3 / 4, total};
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(ct[i], NULL);
        /* the last drop count may still be queued: take it */
        nlogd_live_item it[8];
        size_t n;
        while ((n = nlogd_hub_take(runs[i].c, it, 8, 0)) > 0)
            for (size_t k = 0; k < n; k++) {
                runs[i].dropped += it[k].dropped_before;
                if (it[k].entry) {
                    runs[i].received++;
                    nlogd_live_entry_unref(it[k].entry);
                }
            }
        if (runs[i].received + runs[i].dropped != want[i])
            fail_msg("client %d: %llu received + %llu dropped != %llu matching", i,
                     (unsigned long long) runs[i].received, (unsigned long long) runs[i].dropped,
                     (unsigned long long) want[i]);
        assert_true(runs[i].order_ok);
        nlogd_hub_detach(srv.hub, runs[i].c);
    }
    assert_true(st.ring_entries <= 100000);
    teardown_server();
}

static void memory_resume(void **state)
{
    (void) state;
    setup_server("live_resume", 4096);
    nlogd_live_filter f;
    memset(&f, 0, sizeof f);
    int hit;
    nlogd_live_client *c = nlogd_hub_attach(srv.hub, &f, 0, 0, 0, &hit);
    producer((void *) (intptr_t) 0);
    /* take everything, remember the 100th id */
    int64_t ids[BATCHES * PER_BATCH];
    size_t got = 0;
    nlogd_live_item it[256];
    while (got < BATCHES * PER_BATCH) {
        size_t n = nlogd_hub_take(c, it, 256, 1000);
        assert_true(n > 0);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(it[k].dropped_before, 0);
            ids[got++] = it[k].entry->id;
            nlogd_live_entry_unref(it[k].entry);
        }
    }
    nlogd_hub_detach(srv.hub, c);
    memset(&f, 0, sizeof f);
    c = nlogd_hub_attach(srv.hub, &f, 0, 1, ids[99], &hit);
    assert_true(hit);
    size_t n;
    nlogd_live_entry **r = nlogd_hub_replay_ring(c, &n);
    assert_int_equal(n, BATCHES * PER_BATCH - 100);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(r[k]->id, ids[100 + k]);
        nlogd_live_entry_unref(r[k]);
    }
    free(r);
    nlogd_hub_detach(srv.hub, c);
    /* an id that is not in memory: the caller must replay from the store */
    memset(&f, 0, sizeof f);
    c = nlogd_hub_attach(srv.hub, &f, 0, 1, 12345, &hit);
    assert_false(hit);
    nlogd_hub_detach(srv.hub, c);
    teardown_server();
}

/* Stores n records of level INFO in one batch, numbered from k0. */
static void submit_n(int k0, int n)
{
    char (*msgs)[32] = malloc((size_t) n * sizeof *msgs);
    nlogd_record *r = calloc((size_t) n, sizeof *r);
    for (int i = 0; i < n; i++) {
        snprintf(msgs[i], sizeof msgs[i], "x%d", k0 + i);
        r[i].ts_ns = nlogd_now_ns();
        r[i].level = NLOG_LEVEL_INFO;
        r[i].category = "api";
        r[i].logger = "t";
        r[i].message = msgs[i];
        r[i].message_len = strlen(msgs[i]);
        r[i].line = r[i].pid = r[i].tid = -1;
    }
    nlogd_batch batch;
    memset(&batch, 0, sizeof batch);
    batch.recs = r;
    batch.n = (size_t) n;
    assert_int_equal(nlogd_queue_submit(srv.queue, &batch, 1), 0);
    assert_int_equal(batch.status, NLOG_OK);
    free(r);
    free(msgs);
}

typedef struct id_list {
    int64_t *ids;
    size_t n, cap;
    nlogd_live_client *note; /* non-NULL: note each id as a store replay does */
} id_list;

static void id_add(id_list *l, int64_t id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ids = realloc(l->ids, l->cap * sizeof *l->ids);
        assert_non_null(l->ids);
    }
    l->ids[l->n++] = id;
}

static int collect(const nlogd_entry *e, void *user)
{
    id_list *l = user;
    if (l->note)
        nlogd_hub_replay_note(l->note, e->id);
    id_add(l, e->id);
    return 0;
}

/* Every id stored after `after`, oldest first, as a store replay reads them. */
static void store_after(int64_t after, id_list *out)
{
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    f.ascending = 1;
    f.has_cursor = 1;
    f.cursor_id = after;
    int more = 0;
    assert_int_equal(nlogd_store_query(srv.store, &f, 1000000, collect, out, &more), NLOG_OK);
    assert_false(more);
}

static int64_t fake_now_ns; /* atomic: the hub's clock in idle_resume */

static int64_t fake_now(void)
{
    return __atomic_load_n(&fake_now_ns, __ATOMIC_RELAXED);
}

/* After the idle time the hook stops filling the ring; a resume_from from
 * before that hole must come from the store (everything, the entries
 * stored while idle included), never from the stale ring. */
static void idle_resume(void **state)
{
    (void) state;
    setup_server("live_idle", 4096);
    __atomic_store_n(&fake_now_ns, 1000000000LL, __ATOMIC_RELAXED);
    nlogd_hub_set_idle(srv.hub, 60LL * 1000000000LL, fake_now);
    nlogd_live_filter f;
    memset(&f, 0, sizeof f);
    int hit;
    nlogd_live_client *c = nlogd_hub_attach(srv.hub, &f, 0, 0, 0, &hit);
    assert_non_null(c);
    submit_n(0, 50);
    int64_t ids[50];
    size_t got = 0;
    nlogd_live_item it[64];
    while (got < 50) {
        size_t n = nlogd_hub_take(c, it, 64, 1000);
        assert_true(n > 0);
        for (size_t k = 0; k < n; k++) {
            assert_non_null(it[k].entry);
            ids[got++] = it[k].entry->id;
            nlogd_live_entry_unref(it[k].entry);
        }
    }
    nlogd_hub_detach(srv.hub, c);
    /* a resume right away comes from memory */
    memset(&f, 0, sizeof f);
    c = nlogd_hub_attach(srv.hub, &f, 0, 1, ids[9], &hit);
    assert_true(hit);
    size_t n;
    nlogd_live_entry **r = nlogd_hub_replay_ring(c, &n);
    for (size_t k = 0; k < n; k++)
        nlogd_live_entry_unref(r[k]);
    free(r);
    assert_int_equal(n, 40);
    nlogd_hub_detach(srv.hub, c);
    /* nobody attached for longer than the idle time: these are not in memory */
    __atomic_add_fetch(&fake_now_ns, 61LL * 1000000000LL, __ATOMIC_RELAXED);
    submit_n(50, 30);
    memset(&f, 0, sizeof f);
    c = nlogd_hub_attach(srv.hub, &f, 0, 1, ids[9], &hit);
    assert_false(hit); /* the stale ring would replay 40 and miss the 30 */
    nlogd_hub_detach(srv.hub, c);
    id_list from_store = {0};
    store_after(ids[9], &from_store);
    assert_int_equal(from_store.n, 40 + 30);
    free(from_store.ids);
    /* streaming again fills the ring again, from after the hole */
    memset(&f, 0, sizeof f);
    c = nlogd_hub_attach(srv.hub, &f, 0, 0, 0, &hit);
    submit_n(80, 10);
    got = 0;
    int64_t last = 0;
    while (got < 10) {
        size_t m = nlogd_hub_take(c, it, 64, 1000);
        assert_true(m > 0);
        for (size_t k = 0; k < m; k++) {
            assert_int_equal(it[k].dropped_before, 0);
            if (got++ == 0)
                last = it[k].entry->id;
            nlogd_live_entry_unref(it[k].entry);
        }
    }
    nlogd_hub_detach(srv.hub, c);
    memset(&f, 0, sizeof f);
    c = nlogd_hub_attach(srv.hub, &f, 0, 1, last, &hit);
    assert_true(hit);
    r = nlogd_hub_replay_ring(c, &n);
    for (size_t k = 0; k < n; k++)
        nlogd_live_entry_unref(r[k]);
    free(r);
    assert_int_equal(n, 9);
    nlogd_hub_detach(srv.hub, c);
    teardown_server();
}

static void *produce_during_replay(void *arg)
{
    (void) arg;
    for (int b = 0; b < 100; b++)
        submit_n(1000 + b * 10, 10);
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

/* A store replay while ingest goes on, done as ws_stream.c does it (attach,
 * store query noting each id, then the live queue): the union is every
 * entry stored after resume_from, each exactly once. */
static void store_replay_boundary(void **state)
{
    (void) state;
    setup_server("live_boundary", 100000);
    submit_n(0, 200);
    id_list before = {0};
    store_after(0, &before);
    assert_int_equal(before.n, 200);
    int64_t resume_from = before.ids[49];
    free(before.ids);
    pthread_t pt;
    assert_int_equal(pthread_create(&pt, NULL, produce_during_replay, NULL), 0);
    nlogd_live_filter f;
    memset(&f, 0, sizeof f);
    int hit;
    /* an id the ring does not hold, so the replay comes from the store */
    nlogd_live_client *c = nlogd_hub_attach(srv.hub, &f, 0, 1, 123, &hit);
    assert_non_null(c);
    assert_false(hit);
    id_list seen = {0};
    seen.note = c;
    /* a few rounds so some replay reads overlap the producer */
    store_after(resume_from, &seen);
    nlogd_hub_replay_done(c);
    pthread_join(pt, NULL);
    /* the rest comes live; the producer is done, so everything arrives */
    id_list all = {0};
    store_after(resume_from, &all);
    assert_int_equal(all.n, 150 + 1000);
    for (int tries = 0; tries < 2000 && seen.n < all.n; tries++) {
        nlogd_live_item it[256];
        size_t n = nlogd_hub_take(c, it, 256, 50);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(it[k].dropped_before, 0);
            if (it[k].entry) {
                id_add(&seen, it[k].entry->id);
                nlogd_live_entry_unref(it[k].entry);
            }
        }
    }
    nlogd_live_item extra[4];
    assert_int_equal(nlogd_hub_take(c, extra, 4, 0), 0); /* nothing twice */
    qsort(seen.ids, seen.n, sizeof *seen.ids, cmp_id);
    assert_int_equal(seen.n, all.n);
    for (size_t i = 0; i < all.n; i++)
        if (seen.ids[i] != all.ids[i])
            fail_msg("at %zu: got id %lld, the store has %lld", i, (long long) seen.ids[i],
                     (long long) all.ids[i]);
    free(seen.ids);
    free(all.ids);
    nlogd_hub_detach(srv.hub, c);
    teardown_server();
}

/* An entry the hook cannot encode (over its 64 MiB encoding buffer) is not
 * lost silently: every client is told of it as a dropped entry. */
static void encode_failure_counted(void **state)
{
    (void) state;
    setup_server("live_lost", 64);
    nlogd_live_filter f;
    memset(&f, 0, sizeof f);
    int hit;
    nlogd_live_client *c = nlogd_hub_attach(srv.hub, &f, 0, 0, 0, &hit);
    assert_non_null(c);
    size_t big = (64u << 20) + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, 'a', big);
    nlogd_record r[3];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        r[i].id = 1000 + i;
        r[i].ts_ns = nlogd_now_ns();
        r[i].level = NLOG_LEVEL_INFO;
        r[i].category = "api";
        r[i].logger = "t";
        r[i].message = i == 1 ? huge : "small";
        r[i].message_len = i == 1 ? big : 5;
        r[i].line = r[i].pid = r[i].tid = -1;
    }
    nlogd_batch batch;
    memset(&batch, 0, sizeof batch);
    batch.recs = r;
    batch.n = 3;
    batch.status = NLOG_OK;
    nlogd_batch *bp = &batch;
    nlogd_hub_publish(srv.hub, &bp, 1); /* what the writer does after a commit */
    free(huge);
    uint64_t received = 0, dropped = 0;
    nlogd_live_item it[8];
    for (int tries = 0; tries < 200 && received < 2; tries++) {
        size_t n = nlogd_hub_take(c, it, 8, 50);
        for (size_t k = 0; k < n; k++) {
            dropped += it[k].dropped_before;
            if (it[k].entry) {
                received++;
                nlogd_live_entry_unref(it[k].entry);
            }
        }
    }
    size_t n;
    while ((n = nlogd_hub_take(c, it, 8, 0)) > 0)
        for (size_t k = 0; k < n; k++) {
            dropped += it[k].dropped_before;
            if (it[k].entry)
                nlogd_live_entry_unref(it[k].entry);
        }
    assert_int_equal(received, 2);
    assert_int_equal(dropped, 1);
    nlogd_hub_detach(srv.hub, c);
    teardown_server();
}

/* Answers are taken with the entries, under one lock: what follows a
 * filter answer passed that filter; nothing follows a pause answer until
 * the resume answer; the answers keep their order. */
static void acks_in_order(void **state)
{
    (void) state;
    setup_server("live_acks", 4096);
    nlogd_live_filter f;
    memset(&f, 0, sizeof f);
    int hit;
    nlogd_live_client *c = nlogd_hub_attach(srv.hub, &f, 0, 0, 0, &hit);
    submit_n(0, 100); /* INFO, queued under the old filter (any level) */
    nlogd_live_item it[256];
    unsigned char acks[NLOGD_ACKS_MAX];
    size_t na = 0;
    nlogd_live_filter af;
    size_t got = 0;
    while (got < 1) { /* the dispatcher has queued some */
        size_t n = nlogd_hub_take_acks(c, it, 1, 1000, acks, &na, &af);
        assert_int_equal(na, 0);
        for (size_t k = 0; k < n; k++, got++)
            nlogd_live_entry_unref(it[k].entry);
    }
    memset(&f, 0, sizeof f);
    f.min_level = NLOG_LEVEL_ERROR;
    assert_int_equal(nlogd_hub_set_filter_ack(c, &f), 0);
    assert_int_equal(nlogd_hub_set_paused_ack(c, 1), 0);
    assert_int_equal(nlogd_hub_set_paused_ack(c, 0), 0);
    size_t n = nlogd_hub_take_acks(c, it, 256, 1000, acks, &na, &af);
    assert_int_equal(na, 3);
    assert_int_equal(acks[0], NLOGD_ACK_FILTER);
    assert_int_equal(acks[1], NLOGD_ACK_PAUSED);
    assert_int_equal(acks[2], NLOGD_ACK_RESUMED);
    assert_int_equal(af.min_level, NLOG_LEVEL_ERROR);
    for (size_t k = 0; k < n; k++) /* the queued INFO entries fail the answered filter */
        assert_null(it[k].entry);
    /* paused: the answer comes, entries do not */
    assert_int_equal(nlogd_hub_set_paused_ack(c, 1), 0);
    n = nlogd_hub_take_acks(c, it, 256, 1000, acks, &na, &af);
    assert_int_equal(n, 0);
    assert_int_equal(na, 1);
    assert_int_equal(acks[0], NLOGD_ACK_PAUSED);
    /* a bounded number of answers may wait; beyond, nothing changes */
    for (int i = 0; i < NLOGD_ACKS_MAX; i++)
        assert_int_equal(nlogd_hub_set_paused_ack(c, 1), 0);
    assert_int_equal(nlogd_hub_set_paused_ack(c, 0), -1);
    nlogd_hub_detach(srv.hub, c);
    teardown_server();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fan_out),
        cmocka_unit_test(memory_resume),
        cmocka_unit_test(idle_resume),
        cmocka_unit_test(store_replay_boundary),
        cmocka_unit_test(encode_failure_counted),
        cmocka_unit_test(acks_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
