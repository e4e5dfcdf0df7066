/* async.c: producers' queues, the writer thread, flush and overflow.
 *
 * State: `E` (below) guarded by E.lock: the list of producer queues, the
 * writer's lifecycle and the flush handshake. A producer (one per logging
 * thread) is created on the thread's first asynchronous record and orphaned
 * when the thread exits; the writer frees orphaned producers once their queue
 * is empty. Lock order: lifecycle config lock -> state rwlock -> E.lock.
 *
 * The writer works in cycles. A cycle takes the state read lock (so the
 * pipeline cannot be swapped under it), snapshots every queue's head, and
 * writes everything up to those heads in timestamp order (a k-way merge over
 * one staged entry per queue), then hands the batches to the outputs. A flush
 * request is complete when a cycle that started after it has ended, which
 * bounds flush latency even while other threads keep logging.
 * Tested by: tests/unit/async/test_concurrency_async.c */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async/async.h"
#include "async/fast.h"
#include "async/ring.h"
#include "core/core.h"
#include "core/pipeline.h"
#include "core/state.h"
#include "core/lifecycle_internal.h"
#include "format/timefmt.h"
#include "internal/diag.h"
#include "platform/platform.h"

#define CYCLE_MAX 16384           /* records per cycle before the read lock is released */
#define IDLE_WAIT_NS 1000000LL    /* writer's sleep when every queue is empty */
#define SPACE_WAIT_NS 10000000LL  /* a blocked producer re-checks at least this often */

typedef struct producer {
    nlog__producer_head h;         /* first: what the inline fast path reads */
    struct producer *next;
    int orphaned;                  /* atomic: its thread has exited, or it was replaced */
    unsigned generation;           /* the writer generation it was made for */
    int64_t tid;                   /* kernel id of the owning thread */
    /* Drops not yet reported; written by the owning thread only. */
    uint64_t pending[NLOG_LEVEL_COUNT];
    uint64_t pending_total;
    int64_t first_drop_ns, last_drop_ns;
    /* Writer-side state. */
    uint8_t *staged;               /* one entry copied out, awaiting its turn */
    uint32_t staged_size;
    uint64_t target;               /* head snapshot of the current cycle */
} producer;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* the writer waits here */
    pthread_cond_t done;  /* flushers wait here */
    pthread_cond_t space; /* producers of a full queue wait here */
    producer *producers;
    pthread_t thread;
    int running;          /* atomic */
    int stop;
    uint64_t flush_req, flush_done;
    int flush_durable;
    int space_waiters;
    int stalled;          /* atomic: the last cycle could not write everything */
    nlog_logger *self;    /* logger of the drop reports */
} E = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .space = PTHREAD_COND_INITIALIZER,
};

int nlog__async_enabled;   /* atomic: calls are queued */
/* atomic: bumped when the queue size changes, at shutdown and in the child
 * of fork(); a queue of an older generation is replaced on its next use */
unsigned nlog__async_generation;
static int paused;         /* atomic: tests hold the writer (nlog__async_test_pause) */
/* Fatal-signal drain handshake (see crash.c-style notes at on_fatal_signal). */
static int crashing;       /* atomic: a fatal signal handler wants the queues */
static int writer_busy;    /* atomic: the writer is inside a cycle */
static int policy;         /* atomic: nlog__overflow */
static size_t queue_bytes; /* atomic: capacity of new queues */
static size_t budget;      /* atomic: string bytes per record (max_record_size) */
int nlog__async_audit_sync; /* atomic */

_Thread_local nlog__producer_head *nlog__async_mine NLOG__TLS_IE;

/* The calling thread's producer (its head is the first member). */
static inline producer *my_producer(void)
{
    return (producer *) (void *) nlog__async_mine;
}
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void on_thread_exit(void *p)
{
    producer *pr = p;
    __atomic_store_n(&pr->orphaned, 1, __ATOMIC_RELEASE);
    nlog__async_mine = NULL;
}

static void make_exit_key(void)
{
    (void) pthread_key_create(&exit_key, on_thread_exit);
}


static int64_t now_ns(void)
{
    return nlog__clock_realtime_ns();
}

static void deadline_in(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t t = (int64_t) ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

/* ---- the writer ---------------------------------------------------------- */

/* Copies the next entry of `pr` (up to its target) into its staging area,
 * unless an entry is already staged (kept while the outputs cannot take it). */
static int stage(producer *pr, size_t cap)
{
    if (pr->staged_size)
        return 1;
    if (__atomic_load_n(&pr->h.ring.tail, __ATOMIC_ACQUIRE) >= pr->target)
        return 0;
    uint32_t n = nlog__ring_pop(&pr->h.ring, pr->staged, cap);
    pr->staged_size = n;
    if (n) {
        /* Times become nanoseconds here, so the merge compares like with like. */
        nlog__qrec *q = (nlog__qrec *) (void *) pr->staged;
        if (q->flags & NLOG__QF_TSC) {
            q->time = nlog__tsc_to_ns((uint64_t) q->time);
            q->flags &= ~NLOG__QF_TSC;
        }
    }
    return n != 0;
}

/* Hands the staged entry of `pr` to the outputs. Returns 0 if they cannot
 * take it now (a file output is failing); the entry then stays staged. */
static int emit(nlog__pipeline *p, producer *pr, nlog_field *fields, int64_t pid)
{
    nlog__record r;
    nlog_category cat = nlog__qrec_read(pr->staged, &r, fields, pid, pr->tid);
    int truncated = 0;
    const nlog__qrec *q = (const nlog__qrec *) (const void *) pr->staged;
    if (p && nlog__pipeline_emit_batched(p, &r, cat, &truncated) == NLOG_EQUEUE_FULL)
        return 0;
    NLOG__COUNT(records[q->h.level_index], 1);
    if (!p)
        NLOG__COUNT(records_failed, 1);
    if (truncated || (q->flags & NLOG__QF_TRUNC))
        NLOG__COUNT(records_truncated, 1);
    pr->staged_size = 0;
    return 1;
}

/* One cycle over the producers in `list` (n of them). Returns records written. */
static size_t cycle(producer **list, size_t n, nlog_field *fields)
{
    nlog__pipeline *p = nlog__state_read_begin();
    int64_t pid = nlog__process_id();
    for (size_t i = 0; i < n; i++) {
        producer *pr = list[i];
        if (!pr->staged) {
            pr->staged = malloc(pr->h.ring.cap / 2); /* a ring's entries are at most half of it */
            if (!pr->staged)
                continue;
        }
        pr->target = __atomic_load_n(&pr->h.ring.head, __ATOMIC_ACQUIRE);
    }
    nlog__tsc_reference(); /* every entry up to the targets is older than this */
    for (size_t i = 0; i < n; i++)
        if (list[i]->staged)
            stage(list[i], list[i]->h.ring.cap / 2);
    size_t written = 0;
    int stalled = 0;
    for (; written < CYCLE_MAX && !__atomic_load_n(&crashing, __ATOMIC_RELAXED); written++) {
        producer *best = NULL;
        int64_t best_t = 0;
        for (size_t i = 0; i < n; i++) {
            producer *pr = list[i];
            if (!pr->staged_size)
                continue;
            int64_t t = ((const nlog__qrec *) (const void *) pr->staged)->time;
            if (!best || t < best_t) {
                best = pr;
                best_t = t;
            }
        }
        if (!best)
            break;
        if (!emit(p, best, fields, pid)) {
            stalled = 1;
            break;
        }
        stage(best, best->h.ring.cap / 2);
    }
    if (p && nlog__pipeline_drain_batches(p) != NLOG_OK)
        stalled = 1;
    nlog__state_read_end();
    __atomic_store_n(&E.stalled, stalled, __ATOMIC_RELAXED);
    return stalled ? 0 : written;
}

static producer **snapshot(producer **list, size_t *cap, size_t *ret_n, int free_orphans)
{
    pthread_mutex_lock(&E.lock);
    size_t n = 0;
    for (producer **pp = &E.producers; *pp;) {
        producer *pr = *pp;
        if (free_orphans && __atomic_load_n(&pr->orphaned, __ATOMIC_ACQUIRE) &&
            nlog__ring_used(&pr->h.ring) == 0 && pr->staged_size == 0) {
            *pp = pr->next;
            nlog__ring_deinit(&pr->h.ring);
            free(pr->staged);
            free(pr);
            continue;
        }
        if (n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            producer **nl = realloc(list, nc * sizeof *nl);
            if (!nl)
                break;
            list = nl;
            *cap = nc;
        }
        list[n++] = pr;
        pp = &pr->next;
    }
    pthread_mutex_unlock(&E.lock);
    *ret_n = n;
    return list;
}

static int all_empty(producer **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (nlog__ring_used(&list[i]->h.ring) || list[i]->staged_size)
            return 0;
    return 1;
}

static void *writer_main(void *arg)
{
    (void) arg;
    nlog__block_async_signals();

    nlog_field *fields = malloc(NLOG_FIELDS_MAX * sizeof *fields);
    producer **list = NULL;
    size_t list_cap = 0, n = 0;
    for (;;) {
        pthread_mutex_lock(&E.lock);
        while (__atomic_load_n(&paused, __ATOMIC_ACQUIRE) && !E.stop)
            pthread_cond_wait(&E.wake, &E.lock);
        uint64_t req = E.flush_req;
        int durable = E.flush_durable;
        int stop = E.stop;
        pthread_mutex_unlock(&E.lock);

        list = snapshot(list, &list_cap, &n, 1);
        __atomic_store_n(&writer_busy, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&crashing, __ATOMIC_SEQ_CST)) {
            __atomic_store_n(&writer_busy, 0, __ATOMIC_SEQ_CST);
            for (;;)
                pause(); /* the signal handler owns the queues now; the process is dying */
        }
        size_t written = fields ? cycle(list, n, fields) : 0;
        __atomic_store_n(&writer_busy, 0, __ATOMIC_SEQ_CST);

        pthread_mutex_lock(&E.lock);
        if (E.space_waiters)
            pthread_cond_broadcast(&E.space);
        pthread_mutex_unlock(&E.lock);

        if (req != E.flush_done) {
            if (durable) {
                nlog__pipeline *p = nlog__state_read_begin();
                if (p)
                    (void) nlog__pipeline_sync(p);
                nlog__state_read_end();
            }
            pthread_mutex_lock(&E.lock);
            E.flush_done = req;
            if (E.flush_req == req)
                E.flush_durable = 0;
            pthread_cond_broadcast(&E.done);
            pthread_mutex_unlock(&E.lock);
        }
        if (written)
            continue;
        /* Stopping: done when everything is written, or when a failing file
         * output still cannot take its records (they are counted as failed). */
        if (stop && (all_empty(list, n) || __atomic_load_n(&E.stalled, __ATOMIC_RELAXED)))
            break;
        nlog__pipeline *tp = nlog__state_read_begin();
        if (tp)
            nlog__pipeline_tick(tp);
        nlog__state_read_end();
        pthread_mutex_lock(&E.lock);
        if (E.flush_req == E.flush_done && !E.stop) {
            struct timespec ts;
            deadline_in(&ts, IDLE_WAIT_NS);
            (void) pthread_cond_timedwait(&E.wake, &E.lock, &ts);
        }
        pthread_mutex_unlock(&E.lock);
    }
    /* Stopping while a file output still fails: what it could not take is lost. */
    for (size_t i = 0; i < n; i++)
        if (list[i]->staged_size) {
            NLOG__COUNT(records_failed, 1);
            list[i]->staged_size = 0;
        }
    free(list);
    free(fields);
    return NULL;
}

static nlog_status start_writer_locked(void)
{
    if (__atomic_load_n(&E.running, __ATOMIC_ACQUIRE))
        return NLOG_OK;
    E.stop = 0;
    int err = pthread_create(&E.thread, NULL, writer_main, NULL);
    if (err) {
        nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, err, NULL,
                   "cannot start the log writer thread: %s; logging synchronously",
                   strerror(err));
        return NLOG_ENOMEM;
    }
    __atomic_store_n(&E.running, 1, __ATOMIC_RELEASE);
    return NLOG_OK;
}

nlog_status nlog__async_configure(const nlog_config *cfg)
{
    __atomic_store_n(&budget, (size_t) cfg->max_record_size, __ATOMIC_RELAXED);
    if (__atomic_exchange_n(&queue_bytes, (size_t) cfg->queue_size, __ATOMIC_RELAXED) !=
        (size_t) cfg->queue_size)
        __atomic_fetch_add(&nlog__async_generation, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&policy, cfg->overflow_policy, __ATOMIC_RELAXED);
    __atomic_store_n(&nlog__async_audit_sync, cfg->audit_sync, __ATOMIC_RELAXED);
    if (!cfg->async) {
        nlog__async_crash_handlers(0);
        nlog__async_stop();
        return NLOG_OK;
    }
    nlog__async_crash_handlers(cfg->crash_drain);
    nlog__static_ranges_init();
    nlog__tsc_enable(1);
    pthread_mutex_lock(&E.lock);
    if (!E.self)
        E.self = nlog__registry_get("nlog");
    nlog_status st = start_writer_locked();
    pthread_mutex_unlock(&E.lock);
    __atomic_store_n(&nlog__async_enabled, st == NLOG_OK, __ATOMIC_RELAXED);
    return st;
}

void nlog__async_stop(void)
{
    nlog__async_crash_handlers(0);
    __atomic_store_n(&nlog__async_enabled, 0, __ATOMIC_RELAXED);
    __atomic_fetch_add(&nlog__async_generation, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&E.lock);
    E.self = NULL; /* loggers may be freed next (nlog_shutdown) */
    if (!__atomic_load_n(&E.running, __ATOMIC_ACQUIRE)) {
        pthread_mutex_unlock(&E.lock);
        return;
    }
    E.stop = 1;
    pthread_cond_signal(&E.wake);
    pthread_t t = E.thread;
    pthread_mutex_unlock(&E.lock);
    pthread_join(t, NULL);
    pthread_mutex_lock(&E.lock);
    __atomic_store_n(&E.running, 0, __ATOMIC_RELEASE);
    E.flush_done = E.flush_req;
    E.stop = 0;
    pthread_cond_broadcast(&E.done);
    pthread_cond_broadcast(&E.space);
    pthread_mutex_unlock(&E.lock);
}

nlog_status nlog__async_flush(int durable)
{
    pthread_mutex_lock(&E.lock);
    if (!__atomic_load_n(&E.running, __ATOMIC_ACQUIRE)) {
        pthread_mutex_unlock(&E.lock);
        return NLOG_OK;
    }
    uint64_t req = ++E.flush_req;
    E.flush_durable |= durable;
    pthread_cond_signal(&E.wake);
    while (E.flush_done < req && __atomic_load_n(&E.running, __ATOMIC_ACQUIRE))
        pthread_cond_wait(&E.done, &E.lock);
    pthread_mutex_unlock(&E.lock);
    /* A failing file output keeps its records for later: not written yet. */
    return __atomic_load_n(&E.stalled, __ATOMIC_RELAXED) ? NLOG_EIO : NLOG_OK;
}

/* ---- the producer side ---------------------------------------------------- */

static producer *producer_create(void)
{
    (void) pthread_once(&exit_once, make_exit_key);
    producer *pr = calloc(1, sizeof *pr);
    if (!pr || nlog__ring_init(&pr->h.ring, __atomic_load_n(&queue_bytes, __ATOMIC_RELAXED)) != 0) {
        free(pr);
        return NULL;
    }
    pr->generation = __atomic_load_n(&nlog__async_generation, __ATOMIC_ACQUIRE);
    pr->h.fast_gen = pr->generation;
    pr->tid = nlog__thread_id();
    pthread_mutex_lock(&E.lock);
    pr->next = E.producers;
    E.producers = pr;
    pthread_mutex_unlock(&E.lock);
    nlog__async_mine = &pr->h;
    (void) pthread_setspecific(exit_key, pr);
    return pr;
}

static int droppable(const nlog__ring_hdr *h)
{
    return h->level_index < NLOG__PROTECTED_INDEX; /* never SECURITY or AUDIT */
}

static void count_drop(producer *pr, int level_index)
{
    int64_t t = now_ns();
    if (pr->pending_total == 0)
        pr->first_drop_ns = t;
    pr->h.fast_gen = ~pr->generation; /* the next call reports the drops first */
    pr->last_drop_ns = t;
    pr->pending[level_index]++;
    pr->pending_total++;
    NLOG__COUNT(dropped[level_index], 1);
}

/* Waits for the writer to make room. Returns 0 if it stopped meanwhile. */
static int wait_for_space(producer *pr, uint32_t size)
{
    pthread_mutex_lock(&E.lock);
    E.space_waiters++;
    while (pr->h.ring.cap - nlog__ring_used(&pr->h.ring) < 2 * (size_t) size &&
           __atomic_load_n(&E.running, __ATOMIC_ACQUIRE)) {
        pthread_cond_signal(&E.wake);
        struct timespec ts;
        deadline_in(&ts, SPACE_WAIT_NS);
        (void) pthread_cond_timedwait(&E.space, &E.lock, &ts);
    }
    E.space_waiters--;
    int running = __atomic_load_n(&E.running, __ATOMIC_ACQUIRE);
    pthread_mutex_unlock(&E.lock);
    return running;
}

static void *reserve(producer *pr, uint32_t size, int protect)
{
    void *dst = nlog__ring_reserve(&pr->h.ring, size);
    if (dst)
        return dst;
    int pol = __atomic_load_n(&policy, __ATOMIC_RELAXED);
    for (;;) {
        if (!protect && pol == NLOG__OVERFLOW_DROP_NEWEST)
            return NULL;
        if (pol == NLOG__OVERFLOW_DROP_OLDEST) {
            nlog__ring_hdr h;
            while (nlog__ring_drop_oldest(&pr->h.ring, droppable, &h)) {
                count_drop(pr, h.level_index);
                if ((dst = nlog__ring_reserve(&pr->h.ring, size)) != NULL)
                    return dst;
            }
        }
        /* block (also the fallback for records that may never be dropped) */
        if (!wait_for_space(pr, size))
            return NULL;
        if ((dst = nlog__ring_reserve(&pr->h.ring, size)) != NULL)
            return dst;
    }
}

/* Queues "N records dropped between T1 and T2" ahead of the next record. */
static void report_drops(producer *pr)
{
    char t1[32], t2[32], msg[128];
    nlog__fmt_rfc3339(pr->first_drop_ns, t1);
    nlog__fmt_rfc3339(pr->last_drop_ns, t2);
    t1[27] = t2[27] = '\0';
    int n = snprintf(msg, sizeof msg, "%llu records dropped between %s and %s",
                     (unsigned long long) pr->pending_total, t1, t2);
    nlog_field f[NLOG_LEVEL_COUNT + 2];
    size_t nf = 0;
    f[nf++] = nlog_field_category(NLOG_CAT_SYSTEM);
    f[nf++] = nlog_field_uint(NLOG_GROUP_METADATA, "dropped", pr->pending_total);
    static const char *const keys[NLOG_LEVEL_COUNT] = {
        "dropped_trace", "dropped_debug",    "dropped_info",     "dropped_warning",
        "dropped_error", "dropped_critical", "dropped_security", "dropped_audit"};
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
        if (pr->pending[i])
            f[nf++] = nlog_field_uint(NLOG_GROUP_METADATA, keys[i], pr->pending[i]);
    nlog_logger *self = __atomic_load_n(&E.self, __ATOMIC_ACQUIRE);
    if (!self)
        return;
    nlog__qcall c = {
        .logger = self,
        .level_index = nlog_level_index(NLOG_LEVEL_WARNING),
        .time = now_ns(),
        .msg = msg,
        .msg_len = n > 0 ? (size_t) n : 0,
        .fields = f,
        .n_fields = nf,
    };
    nlog__qlens lens;
    uint32_t size = nlog__qrec_measure(&c, __atomic_load_n(&budget, __ATOMIC_RELAXED), &lens);
    void *dst = nlog__ring_reserve(&pr->h.ring, size);
    if (!dst)
        return; /* still no room: report later, with the totals so far */
    nlog__qrec_write(dst, size, &c, &lens);
    nlog__ring_commit(&pr->h.ring, size);
    memset(pr->pending, 0, sizeof pr->pending);
    pr->pending_total = 0;
    pr->h.fast_gen = pr->generation;
}

nlog_status nlog__async_submit(const nlog__qcall *c)
{
    producer *pr = my_producer();
    if (NLOG_UNLIKELY(pr && pr->generation != __atomic_load_n(&nlog__async_generation, __ATOMIC_ACQUIRE))) {
        /* the queue size changed, the library restarted or the process
         * forked: start a fresh queue; the writer frees the old one once it
         * is empty */
        __atomic_store_n(&pr->orphaned, 1, __ATOMIC_RELEASE);
        pr = NULL;
    }
    if (NLOG_UNLIKELY(!pr)) {
        pr = producer_create();
        if (!pr) {
            NLOG__COUNT(records_failed, 1);
            return NLOG_ENOMEM;
        }
    }
    if (NLOG_UNLIKELY(!__atomic_load_n(&E.running, __ATOMIC_ACQUIRE))) {
        /* after fork() the child has no writer yet: start one */
        pthread_mutex_lock(&E.lock);
        if (__atomic_load_n(&nlog__async_enabled, __ATOMIC_RELAXED))
            (void) start_writer_locked();
        pthread_mutex_unlock(&E.lock);
    }
    if (NLOG_UNLIKELY(pr->pending_total))
        report_drops(pr);
    nlog__qlens lens;
    uint32_t size = nlog__qrec_measure(c, __atomic_load_n(&budget, __ATOMIC_RELAXED), &lens);
    if (NLOG_UNLIKELY(size > pr->h.ring.cap / 2)) { /* a record never takes more than half a queue */
        size = nlog__qrec_measure(c, pr->h.ring.cap / 4, &lens);
        if (size > pr->h.ring.cap / 2) { /* the keys alone are too long for this queue */
            NLOG__COUNT(records_failed, 1);
            return NLOG_ELIMIT;
        }
    }
    void *dst = reserve(pr, size, c->level_index >= NLOG__PROTECTED_INDEX);
    if (NLOG_UNLIKELY(!dst)) {
        count_drop(pr, c->level_index);
        return NLOG_EQUEUE_FULL;
    }
    nlog__qrec_write(dst, size, c, &lens);
    nlog__ring_commit(&pr->h.ring, size);
    if (NLOG_UNLIKELY(c->level_index == NLOG__AUDIT_INDEX &&
                      __atomic_load_n(&nlog__async_audit_sync, __ATOMIC_RELAXED)))
        return nlog__async_flush(1);
    return NLOG_OK;
}

void nlog__async_test_pause(int pause)
{
    pthread_mutex_lock(&E.lock);
    __atomic_store_n(&paused, pause, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&E.wake);
    pthread_mutex_unlock(&E.lock);
}

/* fork(): the parent holds E.lock across the fork so no producer list or
 * flush state is half-changed; the child drops what the parent had queued
 * (the parent writes it) and starts its own writer on its first record. */
void nlog__async_atfork_prepare(void)
{
    pthread_mutex_lock(&E.lock);
}

void nlog__async_atfork_parent(void)
{
    pthread_mutex_unlock(&E.lock);
}

void nlog__async_atfork_child(void)
{
    /* Condition variables may still list the parent's waiting threads, which
     * do not exist here; a broadcast would wait for them forever. */
    pthread_cond_init(&E.wake, NULL);
    pthread_cond_init(&E.done, NULL);
    pthread_cond_init(&E.space, NULL);
    /* Calling threads' fast path sees the new generation and takes the
     * general path once, which starts the child's writer. */
    __atomic_fetch_add(&nlog__async_generation, 1, __ATOMIC_RELEASE);
    for (producer *pr = E.producers; pr; pr = pr->next) {
        __atomic_store_n(&pr->h.ring.tail, pr->h.ring.head, __ATOMIC_RELEASE);
        pr->h.ring.cached_tail = pr->h.ring.head;
        pr->staged_size = 0;
        if (pr != my_producer())
            __atomic_store_n(&pr->orphaned, 1, __ATOMIC_RELEASE);
        memset(pr->pending, 0, sizeof pr->pending);
        pr->pending_total = 0;
    }
    __atomic_store_n(&E.running, 0, __ATOMIC_RELEASE);
    E.stop = 0;
    E.flush_done = E.flush_req;
    E.flush_durable = 0;
    E.space_waiters = 0;
    pthread_mutex_unlock(&E.lock);
}

/* ---- fatal signals --------------------------------------------------------
 *
 * With crash_drain on (async mode), SIGSEGV, SIGBUS, SIGABRT, SIGFPE and SIGILL
 * first write what the queues still hold, then run the handler that was
 * installed before ours (or the default action, by re-raising). Best effort:
 * the handler asks the writer to park (it does at its next cycle boundary, or
 * at once if idle), waits at most ~200 ms for that, then drains every queue
 * through the normal encoders straight to the outputs. Nothing is allocated.
 * If the writer itself crashed, or does not park in time, nothing is drained.
 * The JSON encoder formats some doubles with snprintf, which is not
 * async-signal-safe; that is the accepted risk of a best-effort drain. */

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
#define N_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction previous[N_FATAL];
static nlog_field crash_fields[NLOG_FIELDS_MAX];
static uint8_t *crash_buf;   /* staging for queues the writer never staged from */
static size_t crash_buf_cap;
static uint8_t *crash_buf_retired; /* the buffer crash_buf replaced */

static void crash_drain(void)
{
    if (pthread_equal(pthread_self(), E.thread))
        return; /* the writer itself is broken */
    __atomic_store_n(&crashing, 1, __ATOMIC_SEQ_CST);
    struct timespec ms = {0, 1000000};
    for (int i = 0; __atomic_load_n(&writer_busy, __ATOMIC_SEQ_CST); i++) {
        if (i == 200)
            return;
        nanosleep(&ms, NULL);
    }
    nlog__pipeline *p = nlog__state_peek();
    if (!p)
        return;
    nlog__pipeline_no_alloc = 1;
    int64_t pid = nlog__process_id();
    (void) nlog__pipeline_drain_batches(p); /* lines a failing file kept */
    for (producer *pr = E.producers; pr; pr = pr->next) {
        if (!pr->staged) { /* the writer never staged from it: lend the crash buffer */
            if (!crash_buf || pr->h.ring.cap / 2 > crash_buf_cap)
                continue;
            pr->staged = crash_buf;
            pr->staged_size = 0;
        }
        do {
            if (pr->staged_size && !emit(p, pr, crash_fields, pid))
                break;
            pr->target = __atomic_load_n(&pr->h.ring.head, __ATOMIC_ACQUIRE);
            nlog__tsc_reference();
        } while (stage(pr, pr->h.ring.cap / 2));
    }
    (void) nlog__pipeline_drain_batches(p);
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uctx)
{
    static int once;
    if (!__atomic_exchange_n(&once, 1, __ATOMIC_ACQ_REL))
        crash_drain();
    for (size_t i = 0; i < N_FATAL; i++) {
        if (fatal_signals[i] != sig)
            continue;
        const struct sigaction *old = &previous[i];
        sigaction(sig, old, NULL);
        if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
            old->sa_sigaction(sig, info, uctx);
        } else if (old->sa_handler == SIG_DFL) {
            raise(sig); /* delivered when this handler returns: the default action */
        } else if (old->sa_handler != SIG_IGN) {
            old->sa_handler(sig);
        }
        return;
    }
}

void nlog__async_crash_handlers(int install)
{
    size_t want = __atomic_load_n(&queue_bytes, __ATOMIC_RELAXED) / 2;
    if (install && want > crash_buf_cap) {
        uint8_t *b = malloc(want);
        if (b) {
            /* A handler running right now may still use the old buffer, so
             * it is retired rather than freed; the one retired before it
             * has had a whole reconfiguration's time to finish. */
            free(crash_buf_retired);
            crash_buf_retired = crash_buf;
            crash_buf = b;
            crash_buf_cap = want;
        }
    }
    for (size_t i = 0; i < N_FATAL; i++) {
        struct sigaction cur;
        if (sigaction(fatal_signals[i], NULL, &cur) != 0)
            continue;
        int ours = (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fatal_signal;
        if (install && !ours) {
            /* (re)install, remembering whatever is there now as the previous one */
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_fatal_signal;
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
            sigemptyset(&sa.sa_mask);
            sigaction(fatal_signals[i], &sa, &previous[i]);
        } else if (!install && ours) {
            sigaction(fatal_signals[i], &previous[i], NULL);
        }
    }
    if (!install) { /* no handler of ours can start any more */
        free(crash_buf_retired);
        free(crash_buf);
        crash_buf_retired = crash_buf = NULL;
        crash_buf_cap = 0;
    }
}
