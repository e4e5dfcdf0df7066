/* store.h (internal): the history of every series.
 *
 * A family is a metric name with its kind and unit; a series is a family
 * plus one tag set. Each series keeps totals since it was created, a ring of
 * its most recent raw samples (time, value) and two rings of rollups: one
 * per UTC minute (kept 24 hours) and one per UTC hour (kept 30 days). A
 * rollup holds count, sum, min, max and a histogram (hist.h). Every sample
 * goes into the raw ring and into its minute and its hour rollup.
 *
 * Memory: every allocation of the store is counted in `bytes`, which never
 * exceeds `performance_history_memory` for long: when a growth does not fit,
 * the oldest closed rollups of all series are evicted (minute rollups, then
 * hour rollups; the newest rollup of each ring is never evicted), then raw
 * rings are halved; a sample that still does not fit is dropped and counted,
 * and so is a new series (also beyond `performance_max_series`). Evictions
 * are counted.
 *
 * Series and families are never freed before nlog__store_reset() (shutdown),
 * so their pointers (the public nlog_metric handles) and their names and
 * tags, which never change, may be read without the lock.
 *
 * Locking: one mutex, nlog__store_lock(), guards everything else here and
 * the alerts (alert.c); functions marked "locked" need it held.
 * Tested by: tests/unit/perf/test_perf_store.c, test_window.c */
#ifndef NLOG_PERF_STORE_H
#define NLOG_PERF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/perf.h>

#include "perf/hist.h"

#define NLOG__MINUTE_NS (60 * INT64_C(1000000000))
#define NLOG__HOUR_NS (60 * NLOG__MINUTE_NS)
#define NLOG__MINUTES_KEPT 1440 /* 24 hours of minute rollups */
#define NLOG__HOURS_KEPT 720    /* 30 days of hour rollups */

typedef struct nlog__pbucket {
    int64_t start_ns;  /* UTC, a multiple of the ring's width */
    int64_t first_ns;  /* earliest and latest sample time in it */
    int64_t last_ns;
    uint64_t count;
    double sum, min, max;
    nlog__hist h;
} nlog__pbucket;

/* A ring of rollups ordered by start. */
typedef struct nlog__bring {
    nlog__pbucket *b;
    uint32_t head;   /* index of the oldest */
    uint32_t len;
    uint32_t cap;
    int64_t width;   /* ns per rollup */
    int64_t gone_ns; /* end of the newest rollup dropped (evicted or expired);
                        INT64_MIN while none was: the ring covers everything */
} nlog__bring;

typedef struct nlog__psample {
    int64_t t_ns; /* UTC */
    double v;
} nlog__psample;

struct nlog__family;
struct nlog__astate;

typedef struct nlog_metric nlog__series;

struct nlog_metric {
    nlog__series *hnext;        /* hash chain */
    nlog__series *fnext;        /* the family's series */
    struct nlog__family *fam;
    uint64_t hash;
    char *key;                  /* canonical key: name \0 (key \0 value \0)* */
    uint32_t key_len;
    uint32_t n_tags;
    nlog_tag tags[NLOG_PERF_TAGS_MAX]; /* sorted by key; they point into `key` */
    /* since creation */
    uint64_t count;
    double sum, min, max, last;
    int64_t last_ns;
    uint64_t seq;               /* samples seen, for record sampling */
    /* recent raw samples */
    nlog__psample *raw;
    uint32_t raw_next;          /* slot of the next sample */
    uint32_t raw_len;
    uint32_t raw_cap;
    int64_t raw_gone_ns;        /* newest time of a raw sample dropped from the ring;
                                   INT64_MIN while none was */
    nlog__bring minutes, hours;
    struct nlog__astate *alerts; /* alert.c */
};

typedef struct nlog__family {
    struct nlog__family *next;  /* hash chain */
    nlog__series *series;       /* newest first */
    uint32_t n_series;
    nlog_metric_kind kind;
    char unit[NLOG_PERF_UNIT_MAX + 1];
    uint64_t hash;
    size_t name_len;
    char name[];
} nlog__family;

/* A tag as (pointer, length) pairs, for interning from a queue entry. */
typedef struct nlog__tagref {
    const char *key;
    const char *value;
    uint16_t key_len;
    uint16_t value_len;
} nlog__tagref;

/* Counters of the store (under the lock). */
typedef struct nlog__store_stats {
    uint64_t series;
    uint64_t bytes;
    uint64_t cap;
    uint64_t rejected;          /* samples dropped: caps, kind conflicts */
    uint64_t evicted_rollups;
    uint64_t evicted_samples;
} nlog__store_stats;

void nlog__store_lock(void);
void nlog__store_unlock(void);

/* Applies the caps (takes the lock). A lower memory cap evicts at once. */
void nlog__store_configure(size_t max_series, size_t raw_max, uint64_t mem_cap);

/* Locked. Finds or creates the series. Returns NULL and sets *st to
 * NLOG_EINVAL (kind conflict; nlog_errmsg() set), NLOG_ELIMIT (caps) or
 * NLOG_ENOMEM. A new series is matched against the alerts. `tags` need not
 * be sorted; their keys are distinct (checked by the caller). */
nlog__series *nlog__store_intern(const char *name, size_t name_len, nlog_metric_kind kind,
                                 const char *unit, size_t unit_len, const nlog__tagref *tags,
                                 size_t n_tags, nlog_status *st);

/* Locked. Adds a sample at UTC time t_ns. Returns 0, or -1 when the memory
 * cap made it drop (counted). */
int nlog__store_add(nlog__series *s, int64_t t_ns, double v);

/* Locked. Drops rollups past their age (24 h, 30 days) at UTC `now_ns` and
 * brings the store back under its memory cap. */
void nlog__store_maintain(int64_t now_ns);

/* Locked. Calls fn for every family in name order, with its series in
 * canonical key order. Returns NLOG_ENOMEM if the sort could not allocate. */
nlog_status nlog__store_each(void (*fn)(const nlog__family *f, nlog__series *const *series,
                                        size_t n, void *user),
                             void *user);

/* Locked. Calls fn once for family f with its series in key order. */
nlog_status nlog__store_family_each(const nlog__family *f,
                                   void (*fn)(const nlog__family *f, nlog__series *const *series,
                                              size_t n, void *user),
                                   void *user);

/* Locked. The family called name, or NULL. */
nlog__family *nlog__store_family(const char *name, size_t len);

/* Locked. */
void nlog__store_get_stats(nlog__store_stats *out);

/* Frees everything (takes the lock). Handles become invalid. */
void nlog__store_reset(void);

/* Locked. Oldest-first access to a bucket ring. */
static inline nlog__pbucket *nlog__bring_at(const nlog__bring *r, uint32_t i)
{
    return &r->b[(r->head + i) % r->cap];
}

/* Locked. The i-th oldest raw sample (i < raw_len). */
static inline const nlog__psample *nlog__raw_at(const nlog__series *s, uint32_t i)
{
    return &s->raw[(s->raw_next + s->raw_cap - s->raw_len + i) % s->raw_cap];
}

/* The name of a kind: "timer", "value", "gauge", "counter". */
const char *nlog__kind_name(nlog_metric_kind k);

#endif /* NLOG_PERF_STORE_H */
