/* test_store_queue.c: the writer's maintenance budget (src/server/queue.c)
 * under a steady stream of batches that never leaves the queue idle.
 *
 * Idle maintenance and the time trigger are switched off, so the only
 * maintenance is what the writer owes per commit: the tests count commits,
 * not seconds. A submit returns once its batch is committed, and the writer
 * runs a due slice right after a commit and before it takes the next batch,
 * so once submit k+1 has returned, the slice after commit k is done. */
#include "testutil.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "server/queue.h"
#include "server/store.h"

#define DAY_NS (86400LL * 1000000000LL)

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static nlogd_store *open_store(const char *name)
{
    char why[256];
    nlogd_store *s = NULL;
    if (nlogd_store_open(tu_path(tu_scratch(name), "t.db"), &s, why, sizeof why) != NLOG_OK)
        fail_msg("open: %s", why);
    return s;
}

static void fill(nlogd_record *r, size_t n, int64_t t0)
{
    for (size_t i = 0; i < n; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].ts_ns = t0 + (int64_t) i * 1000;
        r[i].level = NLOG_LEVEL_INFO;
        r[i].category = "api";
        r[i].logger = "svc";
        r[i].message = "steady record";
        r[i].message_len = strlen(r[i].message);
        r[i].line = r[i].pid = r[i].tid = -1;
    }
}

static void submit(nlogd_queue *q, nlogd_record *recs, size_t n)
{
    nlogd_batch b;
    memset(&b, 0, sizeof b);
    b.recs = recs;
    b.n = n;
    assert_int_equal(nlogd_queue_submit(q, &b, 1), 0);
    assert_int_equal(b.status, NLOG_OK);
}

static uint64_t total(nlogd_store *s)
{
    nlogd_store_stats st;
    assert_int_equal(nlogd_store_stats_get(s, now_ns(), &st), NLOG_OK);
    uint64_t t = st.total;
    nlogd_store_stats_free(&st);
    return t;
}

static void steady_config(nlogd_queue_config *c)
{
    nlogd_queue_config_init(c);
    c->cap_records = 1000000;
    c->idle_grace_ns = -1; /* no idle work: only the budget under load */
    c->maint_every_ns = 0; /* no time trigger: commits only */
    c->maint_every_commits = 8;
}

/* The review's case: 50 records 40 days old, retention 30 days, and a
 * client posting one record at a time without a pause. Retention runs
 * within 8 commits (it never ran at all while the queue was never idle). */
static void test_retention_under_steady_ingest(void **state)
{
    (void) state;
    nlogd_store *s = open_store("queue_retention");
    nlogd_record old[70];
    fill(old, 50, now_ns() - 40 * DAY_NS);
    fill(old + 50, 20, now_ns() - DAY_NS);
    nlogd_batch b;
    memset(&b, 0, sizeof b);
    b.recs = old;
    b.n = 70;
    nlogd_batch *bs[1] = {&b};
    assert_int_equal(nlogd_store_append(s, bs, 1), NLOG_OK);
    nlogd_queue_config c;
    steady_config(&c);
    c.retention_days = 30;
    nlogd_queue *q = NULL;
    assert_int_equal(nlogd_queue_start_cfg(s, &c, &q), NLOG_OK);
    nlogd_record one;
    for (unsigned k = 1; k <= 20; k++) {
        fill(&one, 1, now_ns());
        submit(q, &one, 1);
        uint64_t left_old = total(s) - 20 - k;
        if (k < 8)
            assert_int_equal(left_old, 50); /* nothing else deletes them */
        if (k > 8)
            assert_int_equal(left_old, 0);
    }
    nlogd_queue_stats qs;
    nlogd_queue_stats_get(q, &qs);
    assert_int_equal(qs.commits, 20);
    assert_int_equal(qs.slices_idle, 0);
    assert_true(qs.slices_load >= 2); /* retention, then indexing */
    nlogd_queue_stop(q);
    assert_int_equal(total(s), 40);
    nlogd_store_close(s);
}

/* A steady stream the periodic slices can absorb: the rows waiting for the
 * indexes never exceed what 8 commits bring. */
static void test_tail_bounded_by_commits(void **state)
{
    (void) state;
    nlogd_store *s = open_store("queue_tail");
    nlogd_queue_config c;
    steady_config(&c);
    nlogd_queue *q = NULL;
    assert_int_equal(nlogd_queue_start_cfg(s, &c, &q), NLOG_OK);
    enum { PER = 300, COMMITS = 100 };
    nlogd_record *r = calloc(PER, sizeof *r);
    uint64_t worst = 0;
    for (unsigned k = 1; k <= COMMITS; k++) {
        fill(r, PER, now_ns());
        submit(q, r, PER);
        uint64_t lag = nlogd_store_fts_lag(s);
        if (lag > worst)
            worst = lag;
        if (lag > 8 * PER)
            fail_msg("after commit %u: %llu rows wait for the indexes, more than 8 commits bring",
                     k, (unsigned long long) lag);
    }
    nlogd_queue_stats qs;
    nlogd_queue_stats_get(q, &qs);
    assert_int_equal(qs.slices_idle, 0);
    assert_true(qs.slices_load >= COMMITS / 8 - 1);
    print_message("steady 300-record commits: at most %llu rows pending\n",
                  (unsigned long long) worst);
    nlogd_queue_stop(q);
    free(r);
    nlogd_store_close(s);
}

/* A stream faster than the periodic slices index: the lag grows to lag_max
 * and stays within one commit of it (indexing after every commit). */
static void test_tail_bounded_by_lag_max(void **state)
{
    (void) state;
    nlogd_store *s = open_store("queue_lagmax");
    nlogd_queue_config c;
    steady_config(&c);
    c.lag_max = 10000;
    nlogd_queue *q = NULL;
    assert_int_equal(nlogd_queue_start_cfg(s, &c, &q), NLOG_OK);
    enum { PER = 4000, COMMITS = 30 };
    nlogd_record *r = calloc(PER, sizeof *r);
    for (unsigned k = 1; k <= COMMITS; k++) {
        fill(r, PER, now_ns());
        submit(q, r, PER);
        uint64_t lag = nlogd_store_fts_lag(s);
        if (lag > c.lag_max + PER)
            fail_msg("after commit %u: %llu rows pending, more than lag_max + one commit", k,
                     (unsigned long long) lag);
    }
    nlogd_queue_stats qs;
    nlogd_queue_stats_get(q, &qs);
    assert_int_equal(qs.slices_idle, 0);
    assert_true(qs.slices_lag > 0);
    nlogd_queue_stop(q);
    assert_int_equal(total(s), (uint64_t) PER * COMMITS);
    free(r);
    nlogd_store_close(s);
}

/* The writer holds in its hook until the test lets it go, so a batch stays
 * counted in the queue (a batch leaves the counts after the hook). */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int entered, open;
} gate;

static void gate_hook(void *user, nlogd_batch *const *batches, size_t n)
{
    (void) batches;
    (void) n;
    gate *g = user;
    pthread_mutex_lock(&g->lock);
    g->entered++;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

typedef struct held {
    nlogd_queue *q;
    nlogd_batch b;
    int rc;
} held;

static void *submit_held(void *arg)
{
    held *h = arg;
    h->rc = nlogd_queue_submit(h->q, &h->b, 1);
    return NULL;
}

/* The byte budget: while a batch of 600 kB is waiting, a batch of 500 kB
 * is refused at once (1 MB budget; plenty of room in records), one of
 * 400 kB is taken; a batch larger than the whole budget is taken when
 * nothing waits. */
static void test_byte_budget(void **state)
{
    (void) state;
    nlogd_store *s = open_store("queue_bytes");
    nlogd_queue_config c;
    steady_config(&c);
    c.cap_bytes = 1000000;
    nlogd_queue *q = NULL;
    assert_int_equal(nlogd_queue_start_cfg(s, &c, &q), NLOG_OK);
    assert_int_equal(nlogd_queue_capacity_bytes(q), 1000000);
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    nlogd_queue_set_hook(q, gate_hook, &g);
    nlogd_record r[3];
    fill(r, 3, now_ns());
    held first = {q, {0}, -1};
    first.b.recs = &r[0];
    first.b.n = 1;
    first.b.mem_bytes = 600000;
    pthread_t t1;
    assert_int_equal(pthread_create(&t1, NULL, submit_held, &first), 0);
    pthread_mutex_lock(&g.lock);
    while (g.entered < 1)
        pthread_cond_wait(&g.cond, &g.lock);
    pthread_mutex_unlock(&g.lock);
    assert_int_equal(nlogd_queue_bytes(q), 600000);
    nlogd_batch big;
    memset(&big, 0, sizeof big);
    big.recs = &r[1];
    big.n = 1;
    big.mem_bytes = 500000;
    assert_int_equal(nlogd_queue_submit(q, &big, 0), -1); /* the caller answers 429 */
    assert_int_equal(nlogd_queue_depth(q), 1);
    held second = {q, {0}, -1};
    second.b.recs = &r[1];
    second.b.n = 1;
    second.b.mem_bytes = 400000;
    pthread_t t2;
    assert_int_equal(pthread_create(&t2, NULL, submit_held, &second), 0);
    /* it is counted as soon as it is queued */
    while (nlogd_queue_bytes(q) != 1000000)
        sched_yield();
    pthread_mutex_lock(&g.lock);
    g.open = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    assert_int_equal(pthread_join(t1, NULL), 0);
    assert_int_equal(pthread_join(t2, NULL), 0);
    assert_int_equal(first.rc, 0);
    assert_int_equal(second.rc, 0);
    assert_int_equal(nlogd_queue_bytes(q), 0);
    nlogd_batch huge;
    memset(&huge, 0, sizeof huge);
    huge.recs = &r[2];
    huge.n = 1;
    huge.mem_bytes = 5000000;
    assert_int_equal(nlogd_queue_submit(q, &huge, 0), 0);
    assert_int_equal(huge.status, NLOG_OK);
    assert_int_equal(nlogd_queue_bytes(q), 0);
    nlogd_queue_stop(q);
    assert_int_equal(total(s), 3);
    nlogd_store_close(s);
}

/* ---- batches in parts (nlogd_queue_stream_*) ---------------------------- */

typedef struct hook_seen {
    size_t calls, batches, records;
    int ids_set;
} hook_seen;

static void count_hook(void *user, nlogd_batch *const *batches, size_t n)
{
    hook_seen *h = user;
    h->calls++;
    h->batches += n;
    for (size_t i = 0; i < n; i++) {
        h->records += batches[i]->n;
        for (size_t k = 0; k < batches[i]->n; k++)
            h->ids_set &= batches[i]->recs[k].id != 0;
    }
}

typedef struct plain_arg {
    nlogd_queue *q;
    nlogd_record *recs;
    size_t n;
} plain_arg;

static void *submit_plain(void *arg)
{
    plain_arg *a = arg;
    submit(a->q, a->recs, a->n);
    return NULL;
}

/* The first part of batch "parts-1" with body digest `digest`. */
static void head_of(nlogd_batch *head, nlogd_record *recs, size_t n, uint64_t digest)
{
    memset(head, 0, sizeof *head);
    snprintf(head->batch_id, sizeof head->batch_id, "parts-1");
    head->digest = digest;
    head->recs = recs;
    head->n = n;
}

/* Parts stored in one transaction at the end, once; an abort stores
 * nothing and forgets the batch id; a batch submitted meanwhile waits and
 * is stored after it; the batch id's row counts every part. */
static void test_batch_in_parts(void **state)
{
    (void) state;
    nlogd_store *s = open_store("queue_parts");
    nlogd_queue_config c;
    steady_config(&c);
    nlogd_queue *q = NULL;
    assert_int_equal(nlogd_queue_start_cfg(s, &c, &q), NLOG_OK);
    hook_seen h = {0, 0, 0, 1};
    nlogd_queue_set_hook(q, count_hook, &h);
    int64_t t0 = now_ns() - 3600LL * 1000000000LL;
    enum { PART = 700 };
    static nlogd_record recs[4][PART], other[50];
    for (int k = 0; k < 4; k++)
        fill(recs[k], PART, t0 + k * (int64_t) PART * 1000);
    fill(other, 50, t0 - 1000000000LL);

    /* aborted after two parts: nothing stored, and its id is not remembered */
    nlogd_batch head, parts[3];
    head_of(&head, recs[0], PART, 77);
    memset(parts, 0, sizeof parts);
    nlogd_qstream *st = NULL;
    assert_int_equal(nlogd_queue_stream_open(q, &head, &st), 0);
    parts[0].recs = recs[1];
    parts[0].n = PART;
    nlogd_queue_stream_add(st, &parts[0]);
    nlogd_queue_stream_end(st, 1, 0);
    assert_int_equal(total(s), 0);
    assert_int_equal(h.calls, 0);

    /* the same id again, four parts, and a plain batch from another thread
     * while the stream is open */
    head_of(&head, recs[0], PART, 77);
    memset(parts, 0, sizeof parts);
    assert_int_equal(nlogd_queue_stream_open(q, &head, &st), 0);
    parts[0].recs = recs[1];
    parts[0].n = PART;
    nlogd_queue_stream_add(st, &parts[0]);
    plain_arg pa = {q, other, 50};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, submit_plain, &pa), 0);
    /* the plain batch is queued behind the stream (not a sleep: the
     * condition itself, whatever the scheduling) */
    while (nlogd_queue_depth(q) < 50)
        sched_yield();
    for (int k = 1; k < 3; k++) {
        parts[k].recs = recs[k + 1];
        parts[k].n = PART;
        nlogd_queue_stream_add(st, &parts[k]);
    }
    nlogd_queue_stream_end(st, 0, 3);
    assert_int_equal(head.status, NLOG_OK);
    assert_false(head.duplicate);
    pthread_join(th, NULL);
    assert_int_equal(total(s), 4 * PART + 50);
    assert_true(h.ids_set);
    assert_int_equal(h.records, 4 * PART + 50);
    assert_int_equal(h.batches, 4 + 1);

    /* a retry of it, plain: a duplicate reporting all four parts */
    nlogd_batch retry;
    head_of(&retry, recs[0], PART, 77);
    assert_int_equal(nlogd_queue_submit(q, &retry, 1), 0);
    assert_true(retry.duplicate);
    assert_int_equal(retry.orig_accepted, 4 * PART);
    /* and in parts: a duplicate too, nothing stored again; another body
     * (digest) under the id: a conflict */
    for (int d = 0; d < 2; d++) {
        head_of(&head, recs[0], PART, d ? 78 : 77);
        assert_int_equal(nlogd_queue_stream_open(q, &head, &st), 0);
        memset(&parts[0], 0, sizeof parts[0]);
        parts[0].recs = recs[1];
        parts[0].n = PART;
        nlogd_queue_stream_add(st, &parts[0]);
        nlogd_queue_stream_end(st, 0, 0);
        assert_int_equal(head.status, NLOG_OK);
        assert_int_equal(head.duplicate, !d);
        assert_int_equal(head.conflict, d);
        assert_int_equal(total(s), 4 * PART + 50);
    }
    nlogd_queue_stop(q);
    nlogd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retention_under_steady_ingest),
        cmocka_unit_test(test_tail_bounded_by_commits),
        cmocka_unit_test(test_tail_bounded_by_lag_max),
        cmocka_unit_test(test_byte_budget),
        cmocka_unit_test(test_batch_in_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
