/* queue.c: bounded batch queue and the writer thread (see queue.h).
 * State guarded by q->lock: the list, its record and byte counts, stop, and each
 * batch's `done` flag (read by its waiting submitter). The writer's pacing
 * state (commit and slice counters) is its own; q->stats is written by it
 * with relaxed atomics and read by anyone. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/queue.h"

#define GROUP_RECORDS 10000           /* records per transaction, about */
#define IDLE_WAIT_NS 1000000000LL     /* writer wakes at least this often */

typedef struct item {
    nlogd_batch *b;
    int done;
    struct item *next;
    nlogd_qstream *stream;            /* a batch in parts, or NULL */
} item;

/* A batch in parts (queue.h). parts/ended/abort guarded by q->lock; the
 * parts the writer has taken are its own until the commit. */
struct nlogd_qstream {
    nlogd_queue *q;
    item it;                          /* it.b: the first part, holding the batch id */
    nlogd_batch *parts, *parts_tail;  /* waiting for the writer, linked by ->next */
    int ended, abort;
    size_t rejected;                  /* of the whole batch, given at the end */
};

struct nlogd_queue {
    pthread_mutex_t lock;
    pthread_cond_t work, done, room;
    item *head, *tail;
    size_t records, cap;
    size_t bytes;                     /* mem_bytes of the batches in the list */
    int stop;
    nlogd_store *store;
    nlogd_queue_config cfg;
    nlogd_queue_stats stats;          /* relaxed atomics */
    pthread_t thread;
    nlogd_stored_fn hook;
    void *hook_user;
};

static void deadline(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    int64_t t = ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

static int64_t retain_after(const nlogd_queue *q)
{
    if (q->cfg.retention_days <= 0)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((int64_t) ts.tv_sec - (int64_t) q->cfg.retention_days * 86400) * 1000000000LL;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void stat_add(uint64_t *v)
{
    __atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
}

/* After a commit of `rows` records: the guaranteed slice when it is due,
 * and indexing while too many rows wait for the indexes. */
static void maintain_under_load(nlogd_queue *q, size_t rows, unsigned *since, int64_t *last)
{
    const nlogd_queue_config *c = &q->cfg;
    int64_t now = mono_ns();
    unsigned did;
    int more;
    if ((c->maint_every_commits && *since >= c->maint_every_commits) ||
        (c->maint_every_ns && now - *last >= c->maint_every_ns)) {
        nlogd_maint m = {NLOGD_MAINT_ALL, retain_after(q), c->load_retain_rows,
                         c->load_index_rows};
        if (nlogd_store_maintain_ex(q->store, &m, &did, &more) == NLOG_OK && did)
            stat_add(&q->stats.slices_load);
        *since = 0;
        *last = mono_ns();
    }
    /* Beyond lag_max, index about twice what was committed: the lag falls
     * back under the bound while ingest goes on (slower), instead of the
     * writer stopping for a long catch-up (after a restart, say). */
    size_t budget = 2 * rows > c->load_index_rows ? 2 * rows : c->load_index_rows;
    nlogd_maint m = {NLOGD_MAINT_INDEX, 0, 0, c->load_index_rows};
    for (size_t done = 0; done < budget && nlogd_store_fts_lag(q->store) > c->lag_max;
         done += c->load_index_rows) {
        if (nlogd_store_maintain_ex(q->store, &m, &did, &more) != NLOG_OK || !did)
            break;
        stat_add(&q->stats.slices_lag);
    }
}

/* Takes the parts the submitter has added so far (all of them once it
 * ended), waiting for one when there is none. Returns the list, linked by
 * ->next; *ret_end says the stream has ended and this is its last take. */
static nlogd_batch *take_parts(nlogd_queue *q, nlogd_qstream *st, int *ret_end)
{
    pthread_mutex_lock(&q->lock);
    while (!st->parts && !st->ended)
        pthread_cond_wait(&q->work, &q->lock);
    nlogd_batch *p = st->parts;
    st->parts = st->parts_tail = NULL;
    for (nlogd_batch *b = p; b; b = b->next) {
        q->records -= b->n;
        q->bytes -= b->mem_bytes;
    }
    *ret_end = st->ended;
    if (p)
        pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->lock);
    return p;
}

/* Stores a batch in parts in one transaction of its own: each part as it
 * comes, the commit once the submitter ended it (or a rollback when it
 * aborted). Returns the rows stored. */
static size_t write_stream(nlogd_queue *q, nlogd_qstream *st)
{
    nlogd_batch *first = st->it.b, *last = first;
    size_t n_parts = 1, rows = 0;
    nlogd_store_txn *x = NULL;
    nlog_status rc = nlogd_store_stream_begin(q->store, first, &x);
    if (rc == NLOG_OK)
        rc = nlogd_store_stream_add(x, first->recs, first->n);
    int end = 0;
    first->next = NULL;
    pthread_mutex_lock(&q->lock);
    q->records -= first->n;
    q->bytes -= first->mem_bytes;
    pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->lock);
    while (!end) {
        nlogd_batch *p = take_parts(q, st, &end);
        if (p)
            last->next = p; /* kept in stored order, for the hook */
        for (; p; p = p->next, n_parts++) {
            if (rc == NLOG_OK)
                rc = nlogd_store_stream_add(x, p->recs, p->n);
            last = p;
        }
    }
    first->rejected = st->rejected;
    if (x) {
        nlog_status er = nlogd_store_stream_end(x, !st->abort && rc == NLOG_OK);
        if (rc == NLOG_OK)
            rc = er;
    }
    int stored = rc == NLOG_OK && !st->abort;
    first->status = st->abort ? NLOG_OK : rc;
    for (nlogd_batch *b = first; b; b = b->next) {
        b->duplicate = first->duplicate;
        b->conflict = first->conflict;
        b->status = first->status;
        if (stored && !first->duplicate && !first->conflict) {
            nlogd_store_stream_committed(q->store, b->recs, b->n);
            rows += b->n;
        }
    }
    stat_add(&q->stats.commits);
    pthread_mutex_lock(&q->lock);
    nlogd_stored_fn hook = q->hook;
    void *hook_user = q->hook_user;
    pthread_mutex_unlock(&q->lock);
    if (hook && stored) {
        nlogd_batch **all = malloc(n_parts * sizeof *all);
        size_t i = 0;
        for (nlogd_batch *b = first; b; b = b->next) {
            if (all)
                all[i++] = b;
            else
                hook(hook_user, &b, 1); /* no memory for the array: one call per part */
        }
        if (all)
            hook(hook_user, all, n_parts);
        free(all);
    }
    pthread_mutex_lock(&q->lock);
    st->it.done = 1;
    pthread_cond_broadcast(&q->done);
    pthread_mutex_unlock(&q->lock);
    return rows;
}

static void *writer_main(void *arg)
{
    nlogd_queue *q = arg;
    const nlogd_queue_config *c = &q->cfg;
    item *group[4096];
    nlogd_batch *bs[4096];
    int idle_more = 1;
    int64_t last_batch = 0, last_slice = mono_ns();
    unsigned since_slice = 0;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (!q->head && !q->stop) {
            struct timespec ts;
            int64_t since = mono_ns() - last_batch;
            int idle_ok = idle_more && c->idle_grace_ns >= 0;
            if (idle_ok && since >= c->idle_grace_ns)
                break;
            deadline(&ts, idle_ok ? c->idle_grace_ns - since : IDLE_WAIT_NS);
            if (pthread_cond_timedwait(&q->work, &q->lock, &ts) != 0 && !idle_more)
                idle_more = 1; /* periodic: retention may have work now */
        }
        if (!q->head && q->stop) {
            pthread_mutex_unlock(&q->lock);
            break;
        }
        if (!q->head) {
            pthread_mutex_unlock(&q->lock);
            int more = 0;
            unsigned did = 0;
            nlogd_maint m = {NLOGD_MAINT_ALL, retain_after(q), 0, 0};
            if (nlogd_store_maintain_ex(q->store, &m, &did, &more) != NLOG_OK)
                more = 0;
            if (did)
                stat_add(&q->stats.slices_idle);
            idle_more = more;
            last_slice = mono_ns();
            since_slice = 0;
            continue;
        }
        if (q->head->stream) {
            item *it = q->head;
            q->head = it->next;
            if (!q->head)
                q->tail = NULL;
            pthread_mutex_unlock(&q->lock);
            size_t rows = write_stream(q, it->stream);
            since_slice++;
            maintain_under_load(q, rows, &since_slice, &last_slice);
            idle_more = 1;
            last_batch = mono_ns();
            continue;
        }
        size_t n = 0, recs = 0, mem = 0;
        while (q->head && !q->head->stream && n < sizeof group / sizeof group[0] &&
               (n == 0 || recs + q->head->b->n <= GROUP_RECORDS)) {
            item *it = q->head;
            q->head = it->next;
            if (!q->head)
                q->tail = NULL;
            group[n] = it;
            bs[n] = it->b;
            recs += it->b->n;
            mem += it->b->mem_bytes;
            n++;
        }
        nlogd_stored_fn hook = q->hook;
        void *hook_user = q->hook_user;
        pthread_mutex_unlock(&q->lock);

        (void) nlogd_store_append(q->store, bs, n);
        if (hook)
            hook(hook_user, bs, n);

        stat_add(&q->stats.commits); /* before the submitters wake: they may read it */
        pthread_mutex_lock(&q->lock);
        for (size_t i = 0; i < n; i++)
            group[i]->done = 1;
        q->records -= recs;
        q->bytes -= mem;
        pthread_cond_broadcast(&q->done);
        pthread_cond_broadcast(&q->room);
        pthread_mutex_unlock(&q->lock);
        since_slice++;
        maintain_under_load(q, recs, &since_slice, &last_slice);
        idle_more = 1;
        last_batch = mono_ns();
    }
    return NULL;
}

void nlogd_queue_config_init(nlogd_queue_config *c)
{
    memset(c, 0, sizeof *c);
    c->cap_records = 200000;
    c->maint_every_commits = 8;
    c->maint_every_ns = 250000000LL;
    c->lag_max = 1000000;
    c->idle_grace_ns = 300000000LL;
    c->load_retain_rows = 1000;
    c->load_index_rows = 5000;
}

nlog_status nlogd_queue_start(nlogd_store *store, size_t cap_records, int retention_days,
                              nlogd_queue **ret_queue)
{
    nlogd_queue_config c;
    nlogd_queue_config_init(&c);
    c.cap_records = cap_records;
    c.retention_days = retention_days;
    return nlogd_queue_start_cfg(store, &c, ret_queue);
}

nlog_status nlogd_queue_start_cfg(nlogd_store *store, const nlogd_queue_config *cfg,
                                  nlogd_queue **ret_queue)
{
    nlogd_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NLOG_ENOMEM;
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->work, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&q->done, NULL);
    pthread_cond_init(&q->room, NULL);
    q->cfg = *cfg;
    if (!q->cfg.load_index_rows)
        q->cfg.load_index_rows = 5000;
    if (!q->cfg.load_retain_rows)
        q->cfg.load_retain_rows = 1000;
    q->cap = cfg->cap_records;
    q->store = store;
    if (pthread_create(&q->thread, NULL, writer_main, q) != 0) {
        free(q);
        return NLOG_ENOMEM;
    }
    *ret_queue = q;
    return NLOG_OK;
}

int nlogd_queue_submit(nlogd_queue *q, nlogd_batch *b, int block)
{
    item it = {.b = b, .done = 0, .next = NULL};
    pthread_mutex_lock(&q->lock);
    /* A batch larger than the whole queue is still taken when the queue is
     * empty, so a large request is never refused forever. */
    while ((q->records || q->bytes) &&
           (q->records + b->n > q->cap ||
            (q->cfg.cap_bytes && q->bytes + b->mem_bytes > q->cfg.cap_bytes))) {
        if (!block || q->stop) {
            pthread_mutex_unlock(&q->lock);
            return -1;
        }
        pthread_cond_wait(&q->room, &q->lock);
    }
    q->records += b->n;
    q->bytes += b->mem_bytes;
    if (q->tail)
        q->tail->next = &it;
    else
        q->head = &it;
    q->tail = &it;
    pthread_cond_signal(&q->work);
    while (!it.done)
        pthread_cond_wait(&q->done, &q->lock);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

int nlogd_queue_stream_open(nlogd_queue *q, nlogd_batch *b, nlogd_qstream **ret)
{
    nlogd_qstream *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    st->q = q;
    st->it.b = b;
    st->it.stream = st;
    pthread_mutex_lock(&q->lock);
    if (q->stop || ((q->records || q->bytes) &&
                    (q->records + b->n > q->cap ||
                     (q->cfg.cap_bytes && q->bytes + b->mem_bytes > q->cfg.cap_bytes)))) {
        pthread_mutex_unlock(&q->lock);
        free(st);
        return -1;
    }
    q->records += b->n;
    q->bytes += b->mem_bytes;
    if (q->tail)
        q->tail->next = &st->it;
    else
        q->head = &st->it;
    q->tail = &st->it;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
    *ret = st;
    return 0;
}

void nlogd_queue_stream_add(nlogd_qstream *st, nlogd_batch *part)
{
    nlogd_queue *q = st->q;
    part->next = NULL;
    pthread_mutex_lock(&q->lock);
    q->records += part->n;
    q->bytes += part->mem_bytes;
    if (st->parts_tail)
        st->parts_tail->next = part;
    else
        st->parts = part;
    st->parts_tail = part;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
}

void nlogd_queue_stream_end(nlogd_qstream *st, int abort, size_t rejected)
{
    nlogd_queue *q = st->q;
    pthread_mutex_lock(&q->lock);
    st->ended = 1;
    st->abort = abort;
    st->rejected = rejected;
    pthread_cond_broadcast(&q->work);
    while (!st->it.done)
        pthread_cond_wait(&q->done, &q->lock);
    pthread_mutex_unlock(&q->lock);
    free(st);
}

size_t nlogd_queue_depth(nlogd_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->records;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t nlogd_queue_capacity(nlogd_queue *q)
{
    return q->cap;
}

size_t nlogd_queue_bytes(nlogd_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->bytes;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t nlogd_queue_capacity_bytes(nlogd_queue *q)
{
    return q->cfg.cap_bytes;
}

void nlogd_queue_set_hook(nlogd_queue *q, nlogd_stored_fn fn, void *user)
{
    pthread_mutex_lock(&q->lock);
    q->hook = fn;
    q->hook_user = user;
    pthread_mutex_unlock(&q->lock);
}

void nlogd_queue_stats_get(nlogd_queue *q, nlogd_queue_stats *out)
{
    out->commits = __atomic_load_n(&q->stats.commits, __ATOMIC_RELAXED);
    out->slices_idle = __atomic_load_n(&q->stats.slices_idle, __ATOMIC_RELAXED);
    out->slices_load = __atomic_load_n(&q->stats.slices_load, __ATOMIC_RELAXED);
    out->slices_lag = __atomic_load_n(&q->stats.slices_lag, __ATOMIC_RELAXED);
}

void nlogd_queue_stop(nlogd_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stop = 1;
    pthread_cond_signal(&q->work);
    pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->done);
    pthread_cond_destroy(&q->room);
    free(q);
}
