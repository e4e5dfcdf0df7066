/* engine.c: the recording rings, the aggregation thread, flush, and the
 * hooks the library lifecycle calls (configure, stop, fork).
 *
 * State `P` is guarded by P.lock: the list of rings, the thread's
 * lifecycle, the flush handshake and the configuration in force. A ring is
 * created on a thread's first sample and orphaned when the thread exits (or
 * when the configured buffer size changes); the aggregation thread frees an
 * orphaned ring once it is empty. `epoch` changes at every stop (shutdown):
 * entries of an older epoch may name series that no longer exist, so they
 * are drained and discarded, never ingested.
 *
 * A pass of the aggregation thread: free removed alerts; snapshot the rings
 * and their heads; drain up to those heads in chunks; per chunk, ingest
 * under the store lock, then log records, dispatch alert transitions and
 * queue notifications with no lock held; run the system collector when it
 * is due (injectable monotonic clock); expire and evict history. Passes
 * run every 100 ms, when a ring passes half full, and on nlog_perf_flush().
 * Tested by: tests/unit/perf/test_engine.c, test_concurrency_perf.c */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "internal/diag.h"
#include "perf/alert.h"
#include "perf/emit.h"
#include "perf/engine.h"
#include "perf/notify.h"
#include "perf/store.h"
#include "perf/sysmetrics.h"
#include "platform/platform.h"

#define PASS_PERIOD_NS 100000000LL /* a pass at least this often (real time) */
#define CHUNK_BYTES (256 * 1024)   /* entries ingested per store-lock hold */
#define CHUNK_ITEMS 8192
#define ENTRY_MAX 4096             /* the largest ring entry record.c writes */

typedef struct producer {
    nlog__ring ring;
    struct producer *next;
    int orphaned;     /* atomic: its thread exited, or it was replaced */
    unsigned epoch;
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
    pthread_cond_t wake;
    pthread_cond_t done;
    producer *producers;
    pthread_t thread;
    int running;          /* atomic */
    int stop;
    uint64_t flush_req, flush_done;
    perf_cfg cfg;
    nlog_logger *logger;  /* atomic: "performance", NULL when stopped */
    int64_t next_collect; /* monotonic ns; 0: collector not scheduled */
    int collector_on;
} P = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .cfg = {.record_level = NLOG_LEVEL_INFO, .record_every = 1, .interval_ns = 30000000000LL},
};

static unsigned epoch;                     /* atomic */
static size_t ring_bytes = 256 * 1024;     /* atomic: requested bytes of new rings */
static size_t ring_cap = 256 * 1024;       /* atomic: the power of two they get */
static int nudged;                         /* atomic: a pass was asked for */
static int paused;                         /* atomic: tests hold the aggregator */
static _Thread_local producer *mine;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static _Thread_local int on_aggregator;

static struct {
    uint64_t samples, dropped, rejected, records, collections, collection_errors;
    uint64_t alerts_fired, alerts_resolved, events_lost;
} C; /* atomics */

#define COUNT(m, n) ((void) __atomic_fetch_add(&C.m, (n), __ATOMIC_RELAXED))

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

static producer *producer_create(void)
{
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

void nlog__perf_count_drop(void)
{
    COUNT(dropped, 1);
}

void nlog__perf_count_rejected(void)
{
    COUNT(rejected, 1);
}

void nlog__perf_nudge(void)
{
    if (__atomic_exchange_n(&nudged, 1, __ATOMIC_ACQ_REL))
        return;
    pthread_mutex_lock(&P.lock);
    pthread_cond_signal(&P.wake);
    pthread_mutex_unlock(&P.lock);
}

int nlog__perf_is_aggregator(void)
{
    return on_aggregator;
}

/* ---- a pass ------------------------------------------------------------------- */

typedef struct item {
    const nlog__psent *e;
    nlog__series *series;
    int emit;
} item;

typedef struct pass_state {
    uint8_t *chunk;
    size_t used;
    item *items;
    size_t n;
    nlog__alert_evs evs;
    perf_cfg cfg;
    nlog_logger *logger;
    int64_t offset; /* realtime - monotonic */
    nlog__sysm *sysm;
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

static void report_rejection(nlog_status st, const nlog__psent *e)
{
    static int limit_reported, kind_reported;
    int *flag = st == NLOG_EINVAL ? &kind_reported : &limit_reported;
    if (__atomic_exchange_n(flag, 1, __ATOMIC_RELAXED))
        return;
    if (st == NLOG_EINVAL) {
        nlog__diag(NLOG_DIAG_INPUT, NLOG_EINVAL, 0, "performance",
                   "%s; such samples are dropped and counted (reported once)", nlog_errmsg());
    } else {
        const nlog__psent_named *n = (const nlog__psent_named *) (const void *) e;
        const char *name = (const char *) ((const uint16_t *) (const void *) (n + 1) + 2 * n->n_tags);
        nlog__diag(NLOG_DIAG_INPUT, st, 0, "performance_max_series",
                   "metric '%.*s': no new series can be kept (performance_max_series or "
                   "performance_history_memory reached); their samples are dropped and counted "
                   "(reported once)",
                   (int) n->name_len, name);
    }
}

/* Logs the records of the chunk's sampled items and dispatches the alert
 * transitions collected so far. No lock held. */
static void act(pass_state *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        if (!ps->items[i].emit)
            continue;
        if (nlog__perf_emit_sample(ps->logger, ps->cfg.record_level, ps->items[i].series,
                                   ps->items[i].e->value) == NLOG_OK)
            COUNT(records, 1);
    }
    for (size_t i = 0; i < ps->evs.n; i++) {
        const nlog__alert_ev *ev = &ps->evs.v[i];
        COUNT(alerts_fired, ev->state == NLOG_ALERT_FIRING);
        COUNT(alerts_resolved, ev->state == NLOG_ALERT_RESOLVED);
        if (ps->logger && nlog__perf_emit_alert(ps->logger, ev) == NLOG_OK)
            COUNT(records, 1);
        nlog_alert_event view;
        nlog__alert_event_view(ev, &view);
        nlog__alert_dispatch(&view, ev->alert);
        if (ev->alert->notify)
            nlog__notify_alert(&view);
    }
    ps->evs.n = 0;
    ps->n = 0;
    ps->used = 0;
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

/* Ingests ps->items under the store lock, then acts on them without it. */
static void process_chunk(pass_state *ps)
{
    if (ps->n == 0)
        return;
    uint64_t lost = 0, samples = 0, rejected = 0;
    int every = ps->cfg.record_every;
    int want_records = every > 0 && ps->logger && nlog_is_enabled(ps->logger, ps->cfg.record_level);
    nlog__store_lock();
    for (size_t i = 0; i < ps->n; i++) {
        item *it = &ps->items[i];
        const nlog__psent *e = it->e;
        nlog__series *s;
        if (e->h.kind == NLOG__PS_HANDLE) {
            s = ((const nlog__psent_handle *) (const void *) e)->m;
        } else {
            nlog_status st = NLOG_OK;
            s = intern_named((const nlog__psent_named *) (const void *) e, &st);
            if (!s) {
                rejected++;
                report_rejection(st, e);
                continue;
            }
        }
        int64_t t = e->t_ns + ps->offset;
        if (nlog__store_add(s, t, e->value) != 0) {
            memory_refusal(); /* counted by the store */
            continue;
        }
        samples++;
        if (s->alerts)
            nlog__alerts_eval(s, t, e->value, &ps->evs, &lost);
        if (want_records && (s->seq - 1) % (uint64_t) every == 0) {
            it->series = s;
            it->emit = 1;
        }
    }
    nlog__store_unlock();
    COUNT(samples, samples);
    COUNT(rejected, rejected);
    COUNT(events_lost, lost);
    act(ps);
}

static producer **snapshot(producer **list, size_t *cap, size_t *ret_n)
{
    pthread_mutex_lock(&P.lock);
    size_t n = 0;
    for (producer **pp = &P.producers; *pp;) {
        producer *pr = *pp;
        int orphan = __atomic_load_n(&pr->orphaned, __ATOMIC_ACQUIRE);
        if (orphan && nlog__ring_used(&pr->ring) == 0) {
            *pp = pr->next;
            nlog__ring_deinit(&pr->ring);
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
    pthread_mutex_unlock(&P.lock);
    *ret_n = n;
    return list;
}

/* Drains every ring up to its head at the start; returns entries taken. */
static size_t drain(pass_state *ps, producer **list, size_t n)
{
    size_t taken = 0;
    unsigned ep = __atomic_load_n(&epoch, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < n; i++) {
        producer *pr = list[i];
        uint64_t target = __atomic_load_n(&pr->ring.head, __ATOMIC_ACQUIRE);
        int stale = pr->epoch != ep;
        while (__atomic_load_n(&pr->ring.tail, __ATOMIC_ACQUIRE) < target) {
            if (CHUNK_BYTES - ps->used < ENTRY_MAX || ps->n == CHUNK_ITEMS)
                process_chunk(ps);
            uint32_t got = nlog__ring_pop(&pr->ring, ps->chunk + ps->used, ENTRY_MAX);
            if (got == 0)
                break;
            taken++;
            if (stale)
                continue; /* recorded before a shutdown: its series may be gone */
            ps->items[ps->n].e = (const nlog__psent *) (const void *) (ps->chunk + ps->used);
            ps->items[ps->n].series = NULL;
            ps->items[ps->n].emit = 0;
            ps->n++;
            ps->used += got;
        }
    }
    process_chunk(ps);
    return taken;
}

static void collect(pass_state *ps, int64_t mono_now)
{
    if (!ps->sysm && !(ps->sysm = nlog__sysm_create())) {
        nlog__perf_report_oom("the system collector");
        return;
    }
    nlog__sysm_out out;
    memset(&out, 0, sizeof out);
    int errors = nlog__sysm_collect(ps->sysm, ps->cfg.directory, mono_now, &out);
    COUNT(collections, 1);
    if (errors)
        COUNT(collection_errors, (uint64_t) errors);
    if (out.n == 0) {
        nlog__sysm_out_free(&out);
        return;
    }
    int64_t t = mono_now + ps->offset;
    uint64_t lost = 0, samples = 0;
    nlog__store_lock();
    for (size_t i = 0; i < out.n; i++) {
        const nlog__sysval *v = &out.v[i];
        nlog__tagref tag = {v->tag_key, v->tag_value, (uint16_t) (v->tag_key ? strlen(v->tag_key) : 0),
                            (uint16_t) strlen(v->tag_value)};
        nlog_status st = NLOG_OK;
        nlog__series *s = nlog__store_intern(v->name, strlen(v->name), NLOG_METRIC_GAUGE, v->unit,
                                             strlen(v->unit), &tag, v->tag_key ? 1 : 0, &st);
        if (!s) {
            COUNT(rejected, 1);
            continue;
        }
        if (nlog__store_add(s, t, v->value) != 0) {
            memory_refusal();
            continue;
        }
        samples++;
        if (s->alerts)
            nlog__alerts_eval(s, t, v->value, &ps->evs, &lost);
    }
    nlog__store_unlock();
    COUNT(samples, samples);
    if (ps->logger)
        COUNT(records, nlog__perf_emit_system(ps->logger, &out));
    nlog__sysm_out_free(&out);
    act(ps); /* the alert transitions of system metrics */
}

static producer **pass(pass_state *ps, producer **list, size_t *list_cap, int *ret_more)
{
    nlog__alerts_collect();
    size_t n;
    list = snapshot(list, list_cap, &n);
    int64_t mono = nlog__clock_monotonic_ns();
    ps->offset = nlog__clock_realtime_ns() - mono;
    *ret_more = drain(ps, list, n) != 0;

    pthread_mutex_lock(&P.lock);
    int due = P.collector_on && P.next_collect && mono >= P.next_collect;
    int baseline = P.collector_on && !P.next_collect;
    if (due || baseline) {
        int64_t next = (due ? P.next_collect : mono) + P.cfg.interval_ns;
        P.next_collect = next > mono ? next : mono + P.cfg.interval_ns;
    }
    pthread_mutex_unlock(&P.lock);
    if (baseline) {
        /* the first snapshot only: rates need two */
        if (!ps->sysm)
            ps->sysm = nlog__sysm_create();
        if (ps->sysm) {
            nlog__sysm_out out;
            memset(&out, 0, sizeof out);
            (void) nlog__sysm_collect(ps->sysm, ps->cfg.directory, mono, &out);
            nlog__sysm_out_free(&out);
        }
    } else if (due) {
        collect(ps, mono);
    }
    nlog__store_lock();
    nlog__store_maintain(nlog__clock_realtime_ns());
    nlog__store_unlock();
    return list;
}

static void deadline_in(struct timespec *ts, int64_t ns)
{
    clock_gettime(CLOCK_REALTIME, ts);
    int64_t t = (int64_t) ts->tv_nsec + ns;
    ts->tv_sec += (time_t) (t / 1000000000LL);
    ts->tv_nsec = (long) (t % 1000000000LL);
}

static void *aggregator_main(void *arg)
{
    (void) arg;
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    on_aggregator = 1;

    pass_state ps;
    memset(&ps, 0, sizeof ps);
    ps.chunk = malloc(CHUNK_BYTES);
    ps.items = malloc(CHUNK_ITEMS * sizeof *ps.items);
    producer **list = NULL;
    size_t list_cap = 0;
    for (;;) {
        pthread_mutex_lock(&P.lock);
        while (__atomic_load_n(&paused, __ATOMIC_ACQUIRE) && !P.stop)
            pthread_cond_wait(&P.wake, &P.lock);
        if (P.flush_req == P.flush_done && !P.stop &&
            !__atomic_load_n(&nudged, __ATOMIC_ACQUIRE)) {
            struct timespec ts;
            deadline_in(&ts, PASS_PERIOD_NS);
            (void) pthread_cond_timedwait(&P.wake, &P.lock, &ts);
        }
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
    nlog__sysm_destroy(ps.sysm);
    free(list);
    free(ps.items);
    free(ps.chunk);
    return NULL;
}

void nlog__perf_ensure_running(void)
{
    if (__atomic_load_n(&P.running, __ATOMIC_ACQUIRE))
        return;
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
    pthread_cond_signal(&P.wake);
    while (P.flush_done < req && __atomic_load_n(&P.running, __ATOMIC_ACQUIRE))
        pthread_cond_wait(&P.done, &P.lock);
    pthread_mutex_unlock(&P.lock);
    return NLOG_OK;
}

void nlog__perf_test_pause(int pause)
{
    pthread_mutex_lock(&P.lock);
    __atomic_store_n(&paused, pause, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
}

int64_t nlog__perf_next_collect_ns(void)
{
    pthread_mutex_lock(&P.lock);
    int64_t t = P.next_collect;
    pthread_mutex_unlock(&P.lock);
    return t;
}

/* ---- lifecycle -------------------------------------------------------------- */

void nlog__perf_configure(const nlog_config *cfg)
{
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
    pthread_mutex_lock(&P.lock);
    int was_on = P.collector_on;
    int64_t old_interval = P.cfg.interval_ns;
    P.cfg = c;
    __atomic_store_n(&P.logger, lg, __ATOMIC_RELEASE);
    P.collector_on = c.performance_enabled;
    if (!P.collector_on || !was_on)
        P.next_collect = 0; /* the next pass takes a baseline */
    else if (old_interval != c.interval_ns && P.next_collect)
        P.next_collect = nlog__clock_monotonic_ns() + c.interval_ns;
    pthread_mutex_unlock(&P.lock);
    if (c.performance_enabled)
        nlog__perf_ensure_running();
}

void nlog__perf_stop(void)
{
    pthread_mutex_lock(&P.lock);
    int running = __atomic_load_n(&P.running, __ATOMIC_ACQUIRE);
    pthread_t t = P.thread;
    if (running) {
        P.stop = 1;
        pthread_cond_signal(&P.wake);
    }
    pthread_mutex_unlock(&P.lock);
    if (running && !pthread_equal(t, pthread_self()))
        pthread_join(t, NULL); /* its last pass has drained every ring */
    pthread_mutex_lock(&P.lock);
    __atomic_store_n(&P.running, 0, __ATOMIC_RELEASE);
    P.stop = 0;
    P.flush_done = P.flush_req;
    pthread_cond_broadcast(&P.done);
    __atomic_store_n(&P.logger, NULL, __ATOMIC_RELEASE);
    P.collector_on = 0;
    P.next_collect = 0;
    /* rings of the epoch now ending are drained and discarded later */
    __atomic_fetch_add(&epoch, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&P.lock);
    nlog__notify_stop();
    nlog__store_reset();
}

void nlog__perf_atfork_prepare(void)
{
    pthread_mutex_lock(&P.lock);
    nlog__store_lock();
    nlog__notify_atfork_prepare();
}

void nlog__perf_atfork_parent(void)
{
    nlog__notify_atfork_parent();
    nlog__store_unlock();
    pthread_mutex_unlock(&P.lock);
}

void nlog__perf_atfork_child(void)
{
    nlog__notify_atfork_child();
    nlog__store_unlock();
    pthread_cond_init(&P.wake, NULL);
    pthread_cond_init(&P.done, NULL);
    /* Samples the parent's threads had queued are the parent's to aggregate. */
    for (producer *pr = P.producers; pr; pr = pr->next) {
        __atomic_store_n(&pr->ring.tail, pr->ring.head, __ATOMIC_RELEASE);
        pr->ring.cached_tail = pr->ring.head;
        if (pr != mine)
            __atomic_store_n(&pr->orphaned, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&P.running, 0, __ATOMIC_RELEASE);
    P.stop = 0;
    P.flush_done = P.flush_req;
    P.next_collect = 0; /* the child's collector starts with a fresh baseline */
    __atomic_store_n(&nudged, 0, __ATOMIC_RELAXED);
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
