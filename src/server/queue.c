/* queue.c: bounded batch queue and the writer thread (see queue.h).
 * State guarded by q->lock: the list, its record count, stop, and each
 * batch's `done` flag (read by its waiting submitter). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/queue.h"

#define GROUP_RECORDS 10000           /* records per transaction, about */
#define FTS_LAG_HIGH 1000000          /* beyond this lag the index gets writer time */
#define IDLE_WAIT_NS 1000000000LL     /* writer wakes at least this often */
#define IDLE_GRACE_NS 300000000LL     /* idle work starts this long after the last batch,
                                         so a steady client never waits for a slice */

typedef struct item {
    nlogd_batch *b;
    int done;
    struct item *next;
} item;

struct nlogd_queue {
    pthread_mutex_t lock;
    pthread_cond_t work, done, room;
    item *head, *tail;
    size_t records, cap;
    int stop;
    nlogd_store *store;
    int retention_days;
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
    if (q->retention_days <= 0)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((int64_t) ts.tv_sec - (int64_t) q->retention_days * 86400) * 1000000000LL;
}

static void *writer_main(void *arg)
{
    nlogd_queue *q = arg;
    item *group[4096];
    nlogd_batch *bs[4096];
    int idle_more = 1;
    struct timespec last_batch = {0, 0};
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (!q->head && !q->stop) {
            struct timespec now, ts;
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t since = (int64_t) (now.tv_sec - last_batch.tv_sec) * 1000000000LL +
                            (now.tv_nsec - last_batch.tv_nsec);
            if (idle_more && since >= IDLE_GRACE_NS)
                break;
            deadline(&ts, idle_more ? IDLE_GRACE_NS - since : IDLE_WAIT_NS);
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
            if (nlogd_store_maintain(q->store, retain_after(q), &more) != NLOG_OK)
                more = 0;
            idle_more = more;
            continue;
        }
        size_t n = 0, recs = 0;
        while (q->head && n < sizeof group / sizeof group[0] &&
               (n == 0 || recs + q->head->b->n <= GROUP_RECORDS)) {
            item *it = q->head;
            q->head = it->next;
            if (!q->head)
                q->tail = NULL;
            group[n] = it;
            bs[n] = it->b;
            recs += it->b->n;
            n++;
        }
        nlogd_stored_fn hook = q->hook;
        void *hook_user = q->hook_user;
        pthread_mutex_unlock(&q->lock);

        (void) nlogd_store_append(q->store, bs, n);
        if (hook)
            hook(hook_user, bs, n);

        pthread_mutex_lock(&q->lock);
        for (size_t i = 0; i < n; i++)
            group[i]->done = 1;
        q->records -= recs;
        pthread_cond_broadcast(&q->done);
        pthread_cond_broadcast(&q->room);
        pthread_mutex_unlock(&q->lock);
        idle_more = 1;
        clock_gettime(CLOCK_MONOTONIC, &last_batch);
        /* Under sustained ingest, keep the text index within reach. */
        if (nlogd_store_fts_lag(q->store) > FTS_LAG_HIGH) {
            int more;
            (void) nlogd_store_maintain(q->store, 0, &more);
        }
    }
    return NULL;
}

nlog_status nlogd_queue_start(nlogd_store *store, size_t cap_records, int retention_days,
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
    q->cap = cap_records;
    q->store = store;
    q->retention_days = retention_days;
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
    while (q->records && q->records + b->n > q->cap) {
        if (!block || q->stop) {
            pthread_mutex_unlock(&q->lock);
            return -1;
        }
        pthread_cond_wait(&q->room, &q->lock);
    }
    q->records += b->n;
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

void nlogd_queue_set_hook(nlogd_queue *q, nlogd_stored_fn fn, void *user)
{
    pthread_mutex_lock(&q->lock);
    q->hook = fn;
    q->hook_user = user;
    pthread_mutex_unlock(&q->lock);
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
