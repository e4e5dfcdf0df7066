/* record.c: the recording calls — nlog_perf_record(), nlog_metric_get(),
 * nlog_metric_observe() — on the calling thread.
 *
 * The whole cost on the calling thread: the checks of names.c, one read of
 * the coarse monotonic clock (sample times need milliseconds, not
 * nanoseconds; timers pass their own precise stop time), and a copy into
 * the thread's own ring; no lock, no wait. A full ring
 * drops the sample and counts it: recording never blocks. A ring more than
 * half full asks for a pass (nlog__perf_nudge(): an atomic exchange, and a
 * semaphore post once per pass). A thread's first sample creates its ring:
 * see nlog_perf_thread_prepare() in perf.h for that cost.
 * Tested by: tests/unit/perf/test_engine.c, test_names.c,
 * bench/perf/bench_perf.c */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "perf/engine.h"
#include "perf/names.h"
#include "perf/store.h"
#include "platform/platform.h"

static nlog_status check_value(const char *name, nlog_metric_kind kind, double value)
{
    if (NLOG_UNLIKELY(!isfinite(value))) {
        nlog__set_errmsg("metric '%.128s': the value is not a finite number", name);
        return NLOG_EINVAL;
    }
    if (NLOG_UNLIKELY(kind == NLOG_METRIC_COUNTER && value < 0)) {
        nlog__set_errmsg("counter '%.128s': increments must not be negative", name);
        return NLOG_EINVAL;
    }
    return NLOG_OK;
}

/* Room in the ring, or NULL (counted) when it is full. */
static void *reserve(nlog__ring *r, uint32_t size)
{
    void *dst = nlog__ring_reserve(r, size);
    if (NLOG_UNLIKELY(!dst)) {
        nlog__perf_nudge();
        nlog__perf_count_drop();
    }
    return dst;
}

/* After a commit: wake the aggregator once a ring is half full, so a busy
 * thread does not overflow while it sleeps out its period. */
static void commit(nlog__ring *r, uint32_t size)
{
    nlog__ring_commit(r, size);
    if (NLOG_UNLIKELY(r->head - r->cached_tail > r->cap / 2)) {
        r->cached_tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
        if (r->head - r->cached_tail > r->cap / 2)
            nlog__perf_nudge();
    }
}

nlog_status nlog_perf_record(const char *name, nlog_metric_kind kind, double value,
                             const char *unit, const nlog_tag *tags, size_t n_tags)
{
    return nlog__perf_record_at(name, kind, value, unit, tags, n_tags, 0);
}

/* The largest named entry: header, lengths, and every string at its cap. */
#define NAMED_MAX                                                                            \
    ((sizeof(nlog__psent_named) + 4 * NLOG_PERF_TAGS_MAX + NLOG_PERF_NAME_MAX +             \
      NLOG_PERF_UNIT_MAX + NLOG_PERF_TAGS_MAX * (NLOG_PERF_TAG_KEY_MAX + NLOG_PERF_TAG_VALUE_MAX) + \
      7) & ~(size_t) 7)

/* The slow path of a refused sample: the full checks write the message. */
static nlog_status refuse(const char *name, nlog_metric_kind kind, const char *unit,
                          const nlog_tag *tags, size_t n_tags)
{
    nlog__perf_lens lens;
    if (nlog__perf_check(name, unit, tags, n_tags, &lens) == NLOG_OK &&
        nlog__perf_check_reserved(name, kind, tags, n_tags) == NLOG_OK)
        nlog__set_errmsg("metric '%.128s': invalid sample", name); /* cannot happen */
    return NLOG_EINVAL;
}

/* One pass per string: it is copied into the ring entry, measured and
 * checked at the same time, so a sample costs no strlen() or memcpy()
 * call. The entry is reserved at its largest size and committed at its
 * real one. A refused sample is never committed. */
nlog_status nlog__perf_record_at(const char *name, nlog_metric_kind kind, double value,
                                 const char *unit, const nlog_tag *tags, size_t n_tags,
                                 int64_t t_ns)
{
    if (NLOG_UNLIKELY(kind < NLOG_METRIC_TIMER || kind > NLOG_METRIC_COUNTER)) {
        nlog__set_errmsg("unknown metric kind %d; accepted: NLOG_METRIC_TIMER, _VALUE, _GAUGE, "
                         "_COUNTER", (int) kind);
        return NLOG_EINVAL;
    }
    if (kind == NLOG_METRIC_TIMER)
        unit = "seconds";
    if (NLOG_UNLIKELY(!name || n_tags > NLOG_PERF_TAGS_MAX || (n_tags && !tags)))
        return refuse(name, kind, unit, tags, n_tags);
    if (NLOG_UNLIKELY(check_value(name, kind, value) != NLOG_OK))
        return NLOG_EINVAL;
    nlog__ring *r = nlog__perf_ring();
    if (NLOG_UNLIKELY(!r))
        return NLOG_ENOMEM;
    nlog__psent_named *e = nlog__ring_reserve(r, (uint32_t) NAMED_MAX);
    if (NLOG_UNLIKELY(!e)) {
        nlog__perf_nudge();
        nlog__perf_lens lens;
        if (nlog__perf_check(name, unit, tags, n_tags, &lens) != NLOG_OK ||
            nlog__perf_check_reserved(name, kind, tags, n_tags) != NLOG_OK)
            return NLOG_EINVAL; /* a bad sample is refused as such, full buffer or not */
        nlog__perf_count_drop();
        return NLOG_EQUEUE_FULL;
    }
    uint16_t *lens = (uint16_t *) (void *) (e + 1);
    char *p = (char *) (lens + 2 * n_tags);
    long n = nlog__perf_copy_checked(p, name, NLOG__C_NAME_FIRST, NLOG__C_NAME, NLOG_PERF_NAME_MAX);
    if (NLOG_UNLIKELY(n < 0 || nlog__perf_reserved_name(p, n)))
        return refuse(name, kind, unit, tags, n_tags);
    e->name_len = (uint16_t) n;
    p += n;
    n = 0;
    if (unit && unit[0]) {
        n = nlog__perf_copy_checked(p, unit, NLOG__C_UNIT, NLOG__C_UNIT, NLOG_PERF_UNIT_MAX);
        if (NLOG_UNLIKELY(n < 0))
            return refuse(name, kind, unit, tags, n_tags);
    }
    e->unit_len = (uint16_t) n;
    p += n;
    const char *keys[NLOG_PERF_TAGS_MAX]; /* where each key was copied */
    for (size_t i = 0; i < n_tags; i++) {
        const char *k = tags[i].key, *v = tags[i].value;
        if (NLOG_UNLIKELY(!k || !v))
            return refuse(name, kind, unit, tags, n_tags);
        long kl = nlog__perf_copy_checked(p, k, NLOG__C_KEY_FIRST, NLOG__C_KEY,
                                          NLOG_PERF_TAG_KEY_MAX);
        if (NLOG_UNLIKELY(kl < 0 || nlog__perf_reserved_key(p, kl, kind)))
            return refuse(name, kind, unit, tags, n_tags);
        keys[i] = p;
        /* keys must differ: compare with the earlier ones, already copied */
        for (size_t j = 0; j < i; j++)
            if (NLOG_UNLIKELY(lens[2 * j] == kl && keys[j][0] == p[0] &&
                              memcmp(keys[j], p, (size_t) kl) == 0))
                return refuse(name, kind, unit, tags, n_tags);
        p += kl;
        long vl = nlog__perf_copy_value(p, v, NLOG_PERF_TAG_VALUE_MAX);
        if (NLOG_UNLIKELY(vl < 0))
            return refuse(name, kind, unit, tags, n_tags);
        p += vl;
        lens[2 * i] = (uint16_t) kl;
        lens[2 * i + 1] = (uint16_t) vl;
    }
    uint32_t size = (uint32_t) (((size_t) (p - (char *) e) + 7) & ~(size_t) 7);
    e->s.h.size = size;
    e->s.h.kind = NLOG__PS_NAMED;
    e->s.h.level_index = 0;
    e->s.h.reserved = 0;
    e->s.t_ns = t_ns ? t_ns : nlog__clock_monotonic_coarse_ns();
    e->s.value = value;
    e->kind = (uint8_t) kind;
    e->n_tags = (uint8_t) n_tags;
    e->reserved = 0;
    commit(r, size);
    return NLOG_OK;
}

_Static_assert(NAMED_MAX <= 4096, "a named entry fits the aggregator's 4 KiB staging");

nlog_status nlog_metric_observe(nlog_metric *m, double value)
{
    return nlog__perf_observe_at(m, value, 0);
}

nlog_status nlog__perf_observe_at(nlog_metric *m, double value, int64_t t_ns)
{
    if (NLOG_UNLIKELY(!m)) {
        nlog__set_errmsg("nlog_metric_observe: the handle is NULL");
        return NLOG_EINVAL;
    }
    /* fam, name and kind never change once the series exists */
    if (NLOG_UNLIKELY(check_value(m->fam->name, m->fam->kind, value) != NLOG_OK))
        return NLOG_EINVAL;
    nlog__ring *r = nlog__perf_ring();
    if (NLOG_UNLIKELY(!r))
        return NLOG_ENOMEM;
    nlog__psent_handle *e = reserve(r, sizeof *e);
    if (NLOG_UNLIKELY(!e))
        return NLOG_EQUEUE_FULL;
    e->s.h.size = sizeof *e;
    e->s.h.kind = NLOG__PS_HANDLE;
    e->s.h.level_index = 0;
    e->s.h.reserved = 0;
    e->s.t_ns = t_ns ? t_ns : nlog__clock_monotonic_coarse_ns();
    e->s.value = value;
    e->m = m;
    commit(r, sizeof *e);
    return NLOG_OK;
}

_Static_assert(sizeof(nlog__psent_handle) == 32, "a handle sample is 32 bytes");
_Static_assert(sizeof(nlog__psent_named) % 8 == 0, "entries stay 8-byte aligned");

nlog_status nlog_metric_get(const char *name, nlog_metric_kind kind, const char *unit,
                            const nlog_tag *tags, size_t n_tags, nlog_metric **ret_metric)
{
    nlog__perf_lens lens;
    nlog__clear_errmsg();
    if (!ret_metric) {
        nlog__set_errmsg("nlog_metric_get: ret_metric is NULL");
        return NLOG_EINVAL;
    }
    if (kind < NLOG_METRIC_TIMER || kind > NLOG_METRIC_COUNTER) {
        nlog__set_errmsg("unknown metric kind %d", (int) kind);
        return NLOG_EINVAL;
    }
    if (kind == NLOG_METRIC_TIMER)
        unit = "seconds";
    if (nlog__perf_check(name, unit, tags, n_tags, &lens) != NLOG_OK ||
        nlog__perf_check_reserved(name, kind, tags, n_tags) != NLOG_OK)
        return NLOG_EINVAL;
    nlog__ensure_init();
    nlog__tagref refs[NLOG_PERF_TAGS_MAX];
    for (size_t i = 0; i < n_tags; i++)
        refs[i] = (nlog__tagref){tags[i].key, tags[i].value, lens.key[i], lens.value[i]};
    nlog_status st = NLOG_OK;
    nlog__store_lock();
    nlog__series *s = nlog__store_intern(name, lens.name, kind, unit ? unit : "", lens.unit,
                                         refs, n_tags, &st);
    nlog__store_unlock();
    if (!s) {
        if (st == NLOG_ELIMIT)
            nlog__set_errmsg("metric '%s': the series limit (performance_max_series) or the "
                             "history memory cap (performance_history_memory) is reached",
                             name);
        return st;
    }
    *ret_metric = s;
    return NLOG_OK;
}
