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
            __atomic_fetch_add(&cr->received, 1, __ATOMIC_RELAXED); /* main polls it */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fan_out),
        cmocka_unit_test(memory_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
