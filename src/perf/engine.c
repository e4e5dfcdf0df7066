/* engine.c: the recording rings, the aggregation thread, flush, and the
 * hooks the library lifecycle calls (configure, stop, fork).
 *
 * State `P` is guarded by P.lock: the list of rings, the thread's
 * lifecycle, the flush handshake, the collector and the configuration in
 * force. A ring is created on a thread's first sample and orphaned when the
 * thread exits (or when the configured buffer size changes); the
 * aggregation thread frees an orphaned ring once it is empty (outside
 * P.lock). `epoch` changes at every stop (shutdown): entries of an older
 * epoch may name series that no longer exist, so they are drained and
 * discarded, never ingested.
 *
 * Waking the aggregation thread: a POSIX semaphore. Producers post it at
 * most once per pass (`nudged`), without a lock; sem_post() only enters the
 * kernel when the thread sleeps on it. Flush requests, stop and resume post
 * it too; the thread also wakes every PASS_PERIOD_NS. P.done (monotonic
 * clock) signals finished flushes and a parked thread.
 *
 * A pass of the aggregation thread: free removed alerts; snapshot the rings
 * and their heads; drain up to those heads MERGED BY SAMPLE TIME (a binary
 * heap over the rings' oldest entries: every ring is in its producer's
 * order, so the merge feeds each series, and its alerts, in time order);
 * per chunk, ingest under the store lock, then log records, act on alert
 * transitions and queue notifications with no lock held (a chunk is cut
 * when EVS_FLUSH transitions wait, which bounds the event list); ingest the
 * collector's latest collection; expire and evict history.
 *
 * Times: entries carry monotonic times. Alerts run on them; the store
 * (rollups, raw samples) and records get UTC, monotonic + one offset per
 * pass.
 * Tested by: tests/unit/perf/test_engine.c, test_alert.c, test_concurrency_perf.c */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "internal/diag.h"
#include "perf/alert.h"
#include "perf/collector.h"
#include "perf/emit.h"
#include "perf/engine.h"
#include "perf/notify.h"
#include "perf/query.h"
#include "perf/store.h"
#include "perf/sysmetrics.h"
#include "platform/platform.h"

#define PASS_PERIOD_NS 100000000LL /* a pass at least this often (real time) */
#define CHUNK_BYTES (256 * 1024)   /* entries ingested per store-lock hold */
#define CHUNK_ITEMS 8192
#define ENTRY_MAX 4096             /* the largest ring entry record.c writes */
#define EVS_FLUSH 1024             /* transitions acted on before the chunk goes on */
#define COLLECTOR_STOP_WAIT_NS 2000000000LL

typedef struct producer {
    nlog__ring ring;
    struct producer *next;
    int orphaned;     /* atomic: its thread exited, or it was replaced */
    unsigned epoch;
    uint64_t target;  /* aggregation thread: drain up to here this pass */
} producer;

typedef struct perf_cfg {
    nlog_level record_level;
    int record_every;
    int performance_enabled;
    int64_t interval_ns;
    char directory[NLOG_CONFIG_PATH_MAX];
} perf_cfg;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done;    /* monotonic: flushes done, thread parked or stopped */
    pthread_cond_t resume;  /* tests: the thread waits here while paused */
    sem_t wake;
    producer *producers;
    pthread_t thread;
    int running;            /* atomic */
    int stop;
    int parked;             /* held by nlog__perf_test_pause() */
    uint64_t flush_req, flush_done;
    perf_cfg cfg;
    nlog_logger *logger;    /* atomic: "performance", NULL when stopped */
    int collector_on;
    nlog__collector *collector;
    int test_bits;
} P = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cfg = {.record_level = NLOG_LEVEL_INFO, .record_every = 1, .interval_ns = 30000000000LL},
};

static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static unsigned epoch;                     /* atomic */
static size_t ring_bytes = 256 * 1024;     /* atomic: requested bytes of new rings */
static size_t ring_cap = 256 * 1024;       /* atomic: the power of two they get */
static int nudged;                         /* atomic: a pass was asked for */
static int paused;                         /* atomic: tests hold the aggregator */
static int64_t flush_timeout = NLOG__PERF_FLUSH_TIMEOUT_NS; /* atomic */
static size_t max_events;                  /* atomic: tests */
static _Thread_local producer *mine;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static _Thread_local int on_aggregator;
static _Thread_local int own_thread;

static struct {
    uint64_t samples, dropped, rejected, records, collections, collection_errors;
    uint64_t alerts_fired, alerts_resolved, events_lost;
} C; /* atomics */

#define COUNT(m, n) ((void) __atomic_fetch_add(&C.m, (n), __ATOMIC_RELAXED))

/* ---- time and waiting --------------------------------------------------------- */

void nlog__perf_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

void nlog__perf_deadline(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    if (ns < 0)
        ns = 0;
    if (ns > INT64_C(100000) * 1000000000) /* far enough: no overflow below */
        ns = INT64_C(100000) * 1000000000;
    int64_t t = (int64_t) ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

static void init_sync(void)
{
    nlog__perf_cond_init(&P.done);
    nlog__perf_cond_init(&P.resume);
    (void) sem_init(&P.wake, 0, 0);
}

static void engine_init(void)
{
    (void) pthread_once(&engine_once, init_sync);
}

/* ---- rings ------------------------------------------------------------------ */

static void on_thread_exit(void *p)
{
    producer *pr = p;
    __atomic_store_n(&pr->orphaned, 1, __ATOMIC_RELEASE);
    mine = NULL;
}

static void make_exit_key(void)
{
    (void) pthread_key_create(&exit_key, on_thread_exit);
}

static size_t ring_cap_for(size_t bytes)
{
    size_t c = 4096;
    while (c < bytes)
        c <<= 1;
    return c;
}

void nlog__perf_report_oom(const char *what)
{
    static int reported;
    if (!__atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED))
        nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, "performance",
                   "out of memory allocating %s; performance samples are dropped and counted",
                   what);
}

/* The slow path of a thread's first sample (and the first after a shutdown
 * or a change of performance_buffer_size): see nlog_perf_thread_prepare(). */
static producer *producer_create(void)
{
    engine_init();
    (void) pthread_once(&exit_once, make_exit_key);
    producer *pr = calloc(1, sizeof *pr);
    if (!pr || nlog__ring_init(&pr->ring, __atomic_load_n(&ring_bytes, __ATOMIC_RELAXED)) != 0) {
        free(pr);
        nlog__perf_report_oom("a thread's sample buffer");
        return NULL;
    }
    pr->epoch = __atomic_load_n(&epoch, __ATOMIC_ACQUIRE);
    pthread_mutex_lock(&P.lock);
    pr->next = P.producers;
    P.producers = pr;
    pthread_mutex_unlock(&P.lock);
    mine = pr;
    (void) pthread_setspecific(exit_key, pr);
    nlog__perf_ensure_running();
    return pr;
}

nlog__ring *nlog__perf_ring(void)
{
    producer *pr = mine;
    if (NLOG_LIKELY(pr && pr->epoch == __atomic_load_n(&epoch, __ATOMIC_RELAXED) &&
                    pr->ring.cap == __atomic_load_n(&ring_cap, __ATOMIC_RELAXED)))
        return &pr->ring;
    if (pr) /* the library restarted or the buffer size changed: a fresh ring */
        __atomic_store_n(&pr->orphaned, 1, __ATOMIC_RELEASE);
    /* The first sample of a thread, and the first after a shutdown, is where
     * an uninitialised library starts (from the environment). */
    nlog__ensure_init();
    pr = producer_create();
    return pr ? &pr->ring : NULL;
}

nlog_status nlog_perf_thread_prepare(void)
{
    nlog__ensure_init();
    return nlog__perf_ring() ? NLOG_OK : NLOG_ENOMEM;
}

void nlog__perf_count_drop(void)
{
    COUNT(dropped, 1);
}

void nlog__perf_count_rejected(void)
{
    COUNT(rejected, 1);
}

void nlog__perf_count_collection(int errors)
{
    COUNT(collections, 1);
    if (errors > 0)
        COUNT(collection_errors, (uint64_t) errors);
}

void nlog__perf_wake(void)
{
    engine_init();
    __atomic_store_n(&nudged, 1, __ATOMIC_RELEASE);
    (void) sem_post(&P.wake);
}

void nlog__perf_nudge(void)
{
    if (__atomic_exchange_n(&nudged, 1, __ATOMIC_ACQ_REL))
        return;
    /* The caller has a ring, so engine_init() ran. */
    (void) sem_post(&P.wake);
}

int nlog__perf_is_aggregator(void)
{
    return on_aggregator;
}

void nlog__perf_mark_own_thread(void)
{
    own_thread = 1;
}

int nlog__perf_on_own_thread(void)
{
    return own_thread;
}

/* ---- a pass ------------------------------------------------------------------- */

typedef struct item {
    const nlog__psent *e;
    nlog__series *series;
    int emit;
} item;

typedef struct heap_ent {
    int64_t t;
    size_t ring;
} heap_ent;

typedef struct pass_state {
    uint8_t *chunk;
    size_t used;
    item *items;
    size_t n;
    nlog__alert_evs evs;
    perf_cfg cfg;
    nlog_logger *logger;
    int64_t offset; /* realtime - monotonic */
    heap_ent *heap;
    size_t heap_cap;
} pass_state;

static nlog__series *intern_named(const nlog__psent_named *e, nlog_status *st)
{
    const uint16_t *lens = (const uint16_t *) (const void *) (e + 1);
    const char *p = (const char *) (lens + 2 * e->n_tags);
    const char *name = p;
    const char *unit = p + e->name_len;
    p = unit + e->unit_len;
    nlog__tagref refs[NLOG_PERF_TAGS_MAX];
    size_t n = e->n_tags > NLOG_PERF_TAGS_MAX ? NLOG_PERF_TAGS_MAX : e->n_tags;
    for (size_t i = 0; i < n; i++) {
        refs[i].key = p;
        refs[i].key_len = lens[2 * i];
        p += refs[i].key_len;
        refs[i].value = p;
        refs[i].value_len = lens[2 * i + 1];
        p += refs[i].value_len;
    }
    return nlog__store_intern(name, e->name_len, (nlog_metric_kind) e->kind, unit, e->unit_len,
                              refs, n, st);
}

/* Said once per kind of refusal; called with no lock held (the message of
 * the store, if any, was copied into `why` under it). */
static void report_rejection(nlog_status st, const char *why, const char *name, size_t name_len)
{
    static int limit_reported, input_reported;
    int *flag = st == NLOG_EINVAL ? &input_reported : &limit_reported;
    if (__atomic_exchange_n(flag, 1, __ATOMIC_RELAXED))
        return;
    if (st == NLOG_EINVAL)
        nlog__diag(NLOG_DIAG_INPUT, NLOG_EINVAL, 0, "performance",
                   "%s; such samples are dropped and counted (reported once)", why);
    else
        nlog__diag(NLOG_DIAG_INPUT, st, 0, "performance_max_series",
                   "metric '%.*s': no new series can be kept (performance_max_series or "
                   "performance_history_memory reached); their samples are dropped and counted "
                   "(reported once)",
                   (int) name_len, name);
}

/* The memory cap made the store drop a sample: said once. */
static void memory_refusal(void)
{
    static int reported;
    if (!__atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED))
        nlog__diag(NLOG_DIAG_INPUT, NLOG_ELIMIT, 0, "performance_history_memory",
                   "the metric history is at its memory cap (performance_history_memory) and "
                   "nothing more can be evicted: samples are dropped and counted in "
                   "samples_rejected (reported once)");
}

static void note_events(const pass_state *ps)
{
    size_t n = ps->evs.n, m = __atomic_load_n(&max_events, __ATOMIC_RELAXED);
    if (n > m)
        __atomic_store_n(&max_events, n, __ATOMIC_RELAXED);
}

/* Logs the records of items [from, to) that were sampled, and acts on the
 * alert transitions collected so far. No lock held. */
static void act(pass_state *ps, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (!ps->items[i].emit)
            continue;
        if (nlog__perf_emit_sample(ps->logger, ps->cfg.record_level, ps->items[i].series,
                                   ps->items[i].e->value) == NLOG_OK)
            COUNT(records, 1);
    }
    note_events(ps);
    for (size_t i = 0; i < ps->evs.n; i++) {
        const nlog__alert_ev *ev = &ps->evs.v[i];
        /* A removed alert acts no more, even on a transition computed
         * before the removal; nlog_perf_alert_remove() waits for one in
         * progress. */
        if (!nlog__alert_begin(ev->alert))
            continue;
        COUNT(alerts_fired, ev->state == NLOG_ALERT_FIRING);
        COUNT(alerts_resolved, ev->state == NLOG_ALERT_RESOLVED);
        if (ps->logger && nlog__perf_emit_alert(ps->logger, ev) == NLOG_OK)
            COUNT(records, 1);
        nlog_alert_event view;
        nlog__alert_event_view(ev, ps->offset, &view);
        nlog__alert_call(&view, ev->alert);
        if (ev->alert->notify)
            nlog__notify_alert(&view);
        nlog__alert_end(ev->alert);
    }
    ps->evs.n = 0;
}

/* Ingests ps->items under the store lock, then acts on them without it; a
 * run of items is cut when EVS_FLUSH transitions are waiting. */
static void process_chunk(pass_state *ps)
{
    int every = ps->cfg.record_every;
    int want_records = every > 0 && ps->logger && nlog_is_enabled(ps->logger, ps->cfg.record_level);
    size_t i = 0;
    while (i < ps->n) {
        size_t from = i;
        uint64_t lost = 0, samples = 0, rejected = 0;
        nlog_status refused = NLOG_OK;
        char why[256] = "";
        const char *rname = NULL;
        size_t rlen = 0;
        int mem_refused = 0;
        nlog__store_lock();
        for (; i < ps->n && ps->evs.n < EVS_FLUSH; i++) {
            item *it = &ps->items[i];
            const nlog__psent *e = it->e;
            nlog__series *s;
            if (e->h.kind == NLOG__PS_HANDLE) {
                s = ((const nlog__psent_handle *) (const void *) e)->m;
            } else {
                nlog_status st = NLOG_OK;
                const nlog__psent_named *ne = (const nlog__psent_named *) (const void *) e;
                s = intern_named(ne, &st);
                if (!s) {
                    rejected++;
                    if (refused == NLOG_OK) {
                        refused = st;
                        snprintf(why, sizeof why, "%s", nlog_errmsg());
                        rname = (const char *) ((const uint16_t *) (const void *) (ne + 1) +
                                                2 * ne->n_tags);
                        rlen = ne->name_len;
                    }
                    continue;
                }
            }
            if (nlog__store_add(s, e->t_ns + ps->offset, e->value) != 0) {
                mem_refused = 1; /* counted by the store */
                continue;
            }
            samples++;
            if (s->alerts)
                nlog__alerts_eval(s, e->t_ns, e->value, &ps->evs, &lost);
            if (want_records && (s->seq - 1) % (uint64_t) every == 0) {
                it->series = s;
                it->emit = 1;
            }
        }
        nlog__store_unlock();
        if (refused != NLOG_OK)
            report_rejection(refused, why, rname, rlen);
        if (mem_refused)
            memory_refusal();
        COUNT(samples, samples);
        COUNT(rejected, rejected);
        COUNT(events_lost, lost);
        act(ps, from, i);
    }
    ps->n = 0;
    ps->used = 0;
}

/* Snapshots the rings; unlinks orphaned empty ones under the lock and frees
 * them after it (freeing a ring may unmap memory). */
static producer **snapshot(producer **list, size_t *cap, size_t *ret_n)
{
    producer *dead = NULL;
    pthread_mutex_lock(&P.lock);
    size_t n = 0;
    for (producer **pp = &P.producers; *pp;) {
        producer *pr = *pp;
        int orphan = __atomic_load_n(&pr->orphaned, __ATOMIC_ACQUIRE);
        if (orphan && nlog__ring_used(&pr->ring) == 0) {
            *pp = pr->next;
            pr->next = dead;
            dead = pr;
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
    pthread_mutex_unlock(&P.lock);
    while (dead) {
        producer *next = dead->next;
        nlog__ring_deinit(&dead->ring);
        free(dead);
        dead = next;
    }
    *ret_n = n;
    return list;
}

/* The time of the oldest entry of pr below its target, skipping (and
 * releasing) padding. Perf rings have one consumer, this thread, and no
 * drop-oldest producer, so the entry at the tail stays put until popped. */
static int peek_time(producer *pr, int64_t *ret_t)
{
    nlog__ring *r = &pr->ring;
    uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
    while (tail < pr->target) {
        const nlog__ring_hdr *h = (const nlog__ring_hdr *) (const void *) (r->buf +
                                                                          ((size_t) tail & (r->cap - 1)));
        if (h->kind == NLOG__RING_PAD) {
            tail += h->size;
            __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
            continue;
        }
        *ret_t = ((const nlog__psent *) (const void *) h)->t_ns;
        return 1;
    }
    return 0;
}

static int heap_less(const heap_ent *a, const heap_ent *b)
{
    return a->t < b->t || (a->t == b->t && a->ring < b->ring);
}

static void sift_down(heap_ent *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && heap_less(&h[l], &h[m]))
            m = l;
        if (r < n && heap_less(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        heap_ent t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Adds the entry of ring `ri` that is at its tail to the chunk. */
static void take_entry(pass_state *ps, producer *pr)
{
    if (CHUNK_BYTES - ps->used < ENTRY_MAX || ps->n == CHUNK_ITEMS)
        process_chunk(ps);
    uint32_t got = nlog__ring_pop(&pr->ring, ps->chunk + ps->used, ENTRY_MAX);
    if (got == 0)
        return;
    ps->items[ps->n].e = (const nlog__psent *) (const void *) (ps->chunk + ps->used);
    ps->items[ps->n].series = NULL;
    ps->items[ps->n].emit = 0;
    ps->n++;
    ps->used += got;
}

/* Drains every ring up to its head at the start, in time order across the
 * rings; returns entries taken. */
static size_t drain(pass_state *ps, producer **list, size_t n)
{
    size_t taken = 0;
    unsigned ep = __atomic_load_n(&epoch, __ATOMIC_ACQUIRE);
    if (n > ps->heap_cap) {
        heap_ent *nh = realloc(ps->heap, n * sizeof *nh);
        if (!nh) {
            nlog__perf_report_oom("the aggregation buffers");
            return 0;
        }
        ps->heap = nh;
        ps->heap_cap = n;
    }
    size_t hn = 0;
    for (size_t i = 0; i < n; i++) {
        producer *pr = list[i];
        pr->target = __atomic_load_n(&pr->ring.head, __ATOMIC_ACQUIRE);
        if (pr->epoch != ep) {
            /* recorded before a shutdown: its series may be gone */
            uint8_t scratch[ENTRY_MAX];
            while (__atomic_load_n(&pr->ring.tail, __ATOMIC_ACQUIRE) < pr->target &&
                   nlog__ring_pop(&pr->ring, scratch, sizeof scratch) != 0)
                taken++;
            continue;
        }
        int64_t t;
        if (peek_time(pr, &t))
            ps->heap[hn++] = (heap_ent){t, i};
    }
    for (size_t i = hn / 2; i-- > 0;)
        sift_down(ps->heap, hn, i);
    while (hn > 0) {
        producer *pr = list[ps->heap[0].ring];
        take_entry(ps, pr);
        taken++;
        int64_t t;
        if (peek_time(pr, &t))
            ps->heap[0].t = t;
        else
            ps->heap[0] = ps->heap[--hn];
        sift_down(ps->heap, hn, 0);
    }
    process_chunk(ps);
    return taken;
}

/* Ingests the collector's latest collection, taken at monotonic time t;
 * transitions are acted on in runs of at most EVS_FLUSH, as for samples. */
static void ingest_system(pass_state *ps, nlog__sysm_out *out, int64_t t)
{
    size_t i = 0;
    while (i < out->n) {
        uint64_t lost = 0, samples = 0, rejected = 0;
        int mem_refused = 0;
        nlog__store_lock();
        for (; i < out->n && ps->evs.n < EVS_FLUSH; i++) {
            const nlog__sysval *v = &out->v[i];
            nlog__tagref tag = {v->tag_key, v->tag_value,
                                (uint16_t) (v->tag_key ? strlen(v->tag_key) : 0),
                                (uint16_t) strlen(v->tag_value)};
            nlog_status st = NLOG_OK;
            nlog__series *s = nlog__store_intern(v->name, strlen(v->name), NLOG_METRIC_GAUGE,
                                                 v->unit, strlen(v->unit), &tag,
                                                 v->tag_key ? 1 : 0, &st);
            if (!s) {
                rejected++;
                continue;
            }
            if (nlog__store_add(s, t + ps->offset, v->value) != 0) {
                mem_refused = 1;
                continue;
            }
            samples++;
            if (s->alerts)
                nlog__alerts_eval(s, t, v->value, &ps->evs, &lost);
        }
        nlog__store_unlock();
        if (mem_refused)
            memory_refusal();
        COUNT(samples, samples);
        COUNT(rejected, rejected);
        COUNT(events_lost, lost);
        act(ps, 0, 0); /* the alert transitions of system metrics */
    }
    if (ps->logger)
        COUNT(records, nlog__perf_emit_system(ps->logger, out));
}

static producer **pass(pass_state *ps, producer **list, size_t *list_cap, int *ret_more)
{
    nlog__alerts_collect();
    size_t n;
    list = snapshot(list, list_cap, &n);
    int64_t mono = nlog__clock_monotonic_ns();
    ps->offset = nlog__perf_clamp_now(nlog__clock_realtime_ns()) - mono;
    *ret_more = drain(ps, list, n) != 0;

    nlog__sysm_out out;
    memset(&out, 0, sizeof out);
    int64_t t = 0;
    pthread_mutex_lock(&P.lock);
    int got = P.collector && nlog__collector_take(P.collector, &out, &t);
    pthread_mutex_unlock(&P.lock);
    if (got) {
        if (out.n)
            ingest_system(ps, &out, t);
        nlog__sysm_out_free(&out);
    }
    nlog__store_lock();
    nlog__store_maintain(nlog__perf_clamp_now(nlog__clock_realtime_ns()));
    nlog__store_unlock();
    return list;
}

/* Waits for a reason to run a pass. Returns with P.lock held. */
static void wait_for_work(void)
{
    pthread_mutex_lock(&P.lock);
    for (;;) {
        /* tests: held until resumed; re-checked after every wake-up */
        while (__atomic_load_n(&paused, __ATOMIC_ACQUIRE) && !P.stop) {
            if (!P.parked) {
                P.parked = 1;
                pthread_cond_broadcast(&P.done);
            }
            pthread_cond_wait(&P.resume, &P.lock);
        }
        P.parked = 0;
        if (P.flush_req != P.flush_done || P.stop || __atomic_load_n(&nudged, __ATOMIC_ACQUIRE))
            return;
        pthread_mutex_unlock(&P.lock);
        struct timespec ts;
        nlog__perf_deadline(&ts, PASS_PERIOD_NS);
        int timed_out = 0;
        while (sem_clockwait(&P.wake, CLOCK_MONOTONIC, &ts) != 0) {
            if (errno == ETIMEDOUT) {
                timed_out = 1;
                break;
            }
        }
        while (sem_trywait(&P.wake) == 0)
            ; /* one pass answers every post made so far */
        pthread_mutex_lock(&P.lock);
        if (timed_out && !__atomic_load_n(&paused, __ATOMIC_ACQUIRE))
            return; /* the periodic pass */
    }
}

static void *aggregator_main(void *arg)
{
    (void) arg;
    nlog__block_async_signals();
    on_aggregator = 1;
    own_thread = 1;

    pass_state ps;
    memset(&ps, 0, sizeof ps);
    ps.chunk = malloc(CHUNK_BYTES);
    ps.items = malloc(CHUNK_ITEMS * sizeof *ps.items);
    producer **list = NULL;
    size_t list_cap = 0;
    for (;;) {
        wait_for_work(); /* returns locked */
        uint64_t req = P.flush_req;
        int stop = P.stop;
        ps.cfg = P.cfg;
        ps.logger = __atomic_load_n(&P.logger, __ATOMIC_ACQUIRE);
        pthread_mutex_unlock(&P.lock);
        __atomic_store_n(&nudged, 0, __ATOMIC_RELEASE);

        int more = 0;
        if (ps.chunk && ps.items) {
            list = pass(&ps, list, &list_cap, &more);
        } else {
            nlog__perf_report_oom("the aggregation buffers");
        }

        pthread_mutex_lock(&P.lock);
        if (req != P.flush_done) {
            P.flush_done = req;
            pthread_cond_broadcast(&P.done);
        }
        pthread_mutex_unlock(&P.lock);
        if (stop && !more)
            break;
    }
    nlog__alert_evs_free(&ps.evs);
    free(ps.heap);
    free(list);
    free(ps.items);
    free(ps.chunk);
    return NULL;
}

/* Starts the collector if it is wanted and missing. Called with P.lock. */
static void collector_ensure_locked(void)
{
    if (!P.collector_on || P.collector || P.stop)
        return;
    P.collector = nlog__collector_start(P.cfg.directory, P.cfg.interval_ns);
    if (!P.collector)
        nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, "performance_enabled",
                   "cannot start the system collector thread; system metrics are not collected");
    else if (P.test_bits)
        nlog__collector_test_counter_bits(P.collector, P.test_bits);
}

void nlog__perf_ensure_running(void)
{
    if (__atomic_load_n(&P.running, __ATOMIC_ACQUIRE))
        return;
    engine_init();
    pthread_mutex_lock(&P.lock);
    if (!__atomic_load_n(&P.running, __ATOMIC_ACQUIRE) && !P.stop) {
        int err = pthread_create(&P.thread, NULL, aggregator_main, NULL);
        if (err)
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, err, "performance",
                       "cannot start the performance aggregation thread (error %d); samples "
                       "stay queued and are dropped when the buffers fill",
                       err);
        else
            __atomic_store_n(&P.running, 1, __ATOMIC_RELEASE);
    }
    collector_ensure_locked(); /* e.g. in a child after fork() */
    pthread_mutex_unlock(&P.lock);
}

nlog_status nlog_perf_flush(void)
{
    nlog__ensure_init();
    if (on_aggregator)
        return NLOG_OK; /* from an alert callback: its own pass is running */
    nlog__perf_ensure_running();
    pthread_mutex_lock(&P.lock);
    if (!__atomic_load_n(&P.running, __ATOMIC_ACQUIRE)) {
        pthread_mutex_unlock(&P.lock);
        return NLOG_ESTATE;
    }
    uint64_t req = ++P.flush_req;
    (void) sem_post(&P.wake);
    struct timespec ts;
    nlog__perf_deadline(&ts, __atomic_load_n(&flush_timeout, __ATOMIC_RELAXED));
    nlog_status st = NLOG_OK;
    while (P.flush_done < req && __atomic_load_n(&P.running, __ATOMIC_ACQUIRE)) {
        if (pthread_cond_timedwait(&P.done, &P.lock, &ts) == ETIMEDOUT) {
            st = P.flush_done < req ? NLOG_ETIMEDOUT : NLOG_OK;
            break;
        }
    }
    pthread_mutex_unlock(&P.lock);
    if (st == NLOG_ETIMEDOUT)
        nlog__set_errmsg("nlog_perf_flush: the aggregation thread did not finish a pass within "
                         "%lld ms (an alert callback, a performance record's output or the "
                         "machine holds it); what it has not aggregated yet is left out",
                         (long long) (__atomic_load_n(&flush_timeout, __ATOMIC_RELAXED) / 1000000));
    return st;
}

void nlog__perf_test_pause(int pause)
{
    engine_init();
    pthread_mutex_lock(&P.lock);
    __atomic_store_n(&paused, pause, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&P.resume);
    if (pause) {
        (void) sem_post(&P.wake); /* a sleeping thread parks now */
        while (!P.parked && __atomic_load_n(&P.running, __ATOMIC_ACQUIRE) && !P.stop)
            pthread_cond_wait(&P.done, &P.lock);
    } else {
        (void) sem_post(&P.wake);
    }
    pthread_mutex_unlock(&P.lock);
}

void nlog__perf_test_flush_timeout(int64_t ns)
{
    __atomic_store_n(&flush_timeout, ns > 0 ? ns : NLOG__PERF_FLUSH_TIMEOUT_NS, __ATOMIC_RELAXED);
}

size_t nlog__perf_test_max_events(void)
{
    return __atomic_load_n(&max_events, __ATOMIC_RELAXED);
}

int64_t nlog__perf_next_collect_ns(void)
{
    pthread_mutex_lock(&P.lock);
    int64_t t = P.collector ? nlog__collector_next(P.collector) : 0;
    pthread_mutex_unlock(&P.lock);
    return t;
}

nlog_status nlog__perf_test_collect_sync(void)
{
    pthread_mutex_lock(&P.lock);
    int rc = P.collector ? nlog__collector_sync(P.collector, 30 * 1000000000LL) : 0;
    pthread_mutex_unlock(&P.lock);
    if (rc != 0)
        return NLOG_ETIMEDOUT;
    return nlog_perf_flush();
}

void nlog__perf_test_counter_bits(int bits)
{
    pthread_mutex_lock(&P.lock);
    P.test_bits = bits;
    if (P.collector)
        nlog__collector_test_counter_bits(P.collector, bits);
    pthread_mutex_unlock(&P.lock);
}

/* ---- lifecycle -------------------------------------------------------------- */

void nlog__perf_configure(const nlog_config *cfg)
{
    engine_init();
    perf_cfg c;
    memset(&c, 0, sizeof c);
    c.record_level = cfg->performance_record_level;
    c.record_every = cfg->performance_record_every;
    c.performance_enabled = cfg->performance_enabled;
    c.interval_ns = (int64_t) cfg->performance_interval * 1000000000LL;
    memcpy(c.directory, cfg->directory, sizeof c.directory);
    nlog__store_configure((size_t) cfg->performance_max_series,
                          (size_t) cfg->performance_raw_samples,
                          (uint64_t) cfg->performance_history_memory);
    nlog__notify_configure(cfg);
    __atomic_store_n(&ring_bytes, (size_t) cfg->performance_buffer_size, __ATOMIC_RELAXED);
    __atomic_store_n(&ring_cap, ring_cap_for((size_t) cfg->performance_buffer_size),
                     __ATOMIC_RELAXED);
    nlog_logger *lg = nlog__registry_get("performance");
    nlog__collector *old = NULL;
    pthread_mutex_lock(&P.lock);
    P.cfg = c;
    __atomic_store_n(&P.logger, lg, __ATOMIC_RELEASE);
    P.collector_on = c.performance_enabled;
    if (!P.collector_on) {
        old = P.collector; /* stopped below, without the lock */
        P.collector = NULL;
    } else if (P.collector) {
        nlog__collector_set(P.collector, c.directory, c.interval_ns);
    } else {
        collector_ensure_locked(); /* its first look takes a baseline */
    }
    pthread_mutex_unlock(&P.lock);
    nlog__collector_stop(old, COLLECTOR_STOP_WAIT_NS);
    if (c.performance_enabled)
        nlog__perf_ensure_running();
}

void nlog__perf_stop(void)
{
    engine_init();
    pthread_mutex_lock(&P.lock);
    nlog__collector *col = P.collector;
    P.collector = NULL;
    P.collector_on = 0;
    int running = __atomic_load_n(&P.running, __ATOMIC_ACQUIRE);
    pthread_t t = P.thread;
    if (running)
        P.stop = 1;
    pthread_mutex_unlock(&P.lock);
    nlog__collector_stop(col, COLLECTOR_STOP_WAIT_NS); /* a collection not ingested is dropped */
    if (running) {
        (void) sem_post(&P.wake);
        pthread_mutex_lock(&P.lock);
        pthread_cond_broadcast(&P.resume); /* a paused thread stops too */
        pthread_mutex_unlock(&P.lock);
        /* lifecycle.c never calls this on the aggregation thread (refused) */
        pthread_join(t, NULL); /* its last pass has drained every ring */
    }
    pthread_mutex_lock(&P.lock);
    __atomic_store_n(&P.running, 0, __ATOMIC_RELEASE);
    P.stop = 0;
    P.parked = 0;
    P.flush_done = P.flush_req;
    pthread_cond_broadcast(&P.done);
    __atomic_store_n(&P.logger, NULL, __ATOMIC_RELEASE);
    /* rings of the epoch now ending are drained and discarded later */
    __atomic_fetch_add(&epoch, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&P.lock);
    nlog__notify_stop();
    nlog__store_reset();
}

void nlog__perf_atfork_prepare(void)
{
    engine_init();
    pthread_mutex_lock(&P.lock);
    if (P.collector)
        nlog__collector_atfork_prepare(P.collector);
    nlog__store_lock();
    nlog__notify_atfork_prepare();
    nlog__alert_atfork_prepare();
}

void nlog__perf_atfork_parent(void)
{
    nlog__alert_atfork_parent();
    nlog__notify_atfork_parent();
    nlog__store_unlock();
    if (P.collector)
        nlog__collector_atfork_parent(P.collector);
    pthread_mutex_unlock(&P.lock);
}

void nlog__perf_atfork_child(void)
{
    nlog__alert_atfork_child();
    nlog__notify_atfork_child();
    nlog__store_unlock();
    if (P.collector) /* the child starts its own, with a fresh baseline, on demand */
        nlog__collector_atfork_child_discard(P.collector);
    P.collector = NULL;
    /* The parent's threads may count as waiters of these: start them afresh. */
    nlog__perf_cond_init(&P.done);
    nlog__perf_cond_init(&P.resume);
    (void) sem_init(&P.wake, 0, 0);
    /* Samples the parent's threads had queued are the parent's to aggregate. */
    for (producer *pr = P.producers; pr; pr = pr->next) {
        __atomic_store_n(&pr->ring.tail, pr->ring.head, __ATOMIC_RELEASE);
        pr->ring.cached_tail = pr->ring.head;
        if (pr != mine)
            __atomic_store_n(&pr->orphaned, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&P.running, 0, __ATOMIC_RELEASE);
    P.stop = 0;
    P.parked = 0;
    P.flush_done = P.flush_req;
    __atomic_store_n(&nudged, 0, __ATOMIC_RELAXED);
    on_aggregator = 0;
    own_thread = 0;
    pthread_mutex_unlock(&P.lock);
}

/* ---- counters ---------------------------------------------------------------- */

nlog_status nlog_perf_stats(nlog_perf_counters *out)
{
    if (!out || out->struct_size < sizeof(size_t))
        return NLOG_EINVAL;
    nlog_perf_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    nlog__store_stats ss;
    nlog__store_lock();
    nlog__store_get_stats(&ss);
    nlog__store_unlock();
    c.samples = __atomic_load_n(&C.samples, __ATOMIC_RELAXED);
    c.samples_dropped = __atomic_load_n(&C.dropped, __ATOMIC_RELAXED);
    c.samples_rejected = __atomic_load_n(&C.rejected, __ATOMIC_RELAXED) + ss.rejected;
    c.series = ss.series;
    c.history_bytes = ss.bytes;
    c.evicted_rollups = ss.evicted_rollups;
    c.evicted_samples = ss.evicted_samples;
    c.records = __atomic_load_n(&C.records, __ATOMIC_RELAXED);
    c.collections = __atomic_load_n(&C.collections, __ATOMIC_RELAXED);
    c.collection_errors = __atomic_load_n(&C.collection_errors, __ATOMIC_RELAXED);
    c.alerts_fired = __atomic_load_n(&C.alerts_fired, __ATOMIC_RELAXED);
    c.alerts_resolved = __atomic_load_n(&C.alerts_resolved, __ATOMIC_RELAXED);
    nlog__notify_counters(&c.notifications_sent, &c.notifications_retried,
                          &c.notifications_failed, &c.notifications_dropped);
    size_t n = out->struct_size < sizeof c ? out->struct_size : sizeof c;
    size_t keep = out->struct_size;
    memcpy(out, &c, n);
    out->struct_size = keep;
    return NLOG_OK;
}
