/* store.c: families, series, raw rings, rollups, memory cap and eviction
 * (see store.h for the model).
 *
 * Invariants, under `lock`:
 *   - bytes is the sum of every allocation listed in account() calls;
 *   - a series' raw ring holds its raw_len newest samples in arrival order,
 *     and every sample it dropped has a time <= raw_gone_ns;
 *   - bucket rings are sorted by start, one bucket per start.
 * Tested by: tests/unit/perf/test_perf_store.c, test_window.c */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "perf/alert.h"
#include "perf/store.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    nlog__series **table; /* by canonical key hash */
    size_t n_buckets;     /* power of two, or 0 */
    size_t n_series;
    nlog__family **ftable;
    size_t nf_buckets;
    size_t n_families;
    uint64_t bytes;
    uint64_t cap;
    size_t max_series;
    uint32_t raw_max;
    nlog__store_stats st;
} S = {.cap = 64u << 20, .max_series = 10000, .raw_max = 1024};

void nlog__store_lock(void)
{
    pthread_mutex_lock(&lock);
}

void nlog__store_unlock(void)
{
    pthread_mutex_unlock(&lock);
}

const char *nlog__kind_name(nlog_metric_kind k)
{
    switch (k) {
    case NLOG_METRIC_TIMER: return "timer";
    case NLOG_METRIC_VALUE: return "value";
    case NLOG_METRIC_GAUGE: return "gauge";
    case NLOG_METRIC_COUNTER: return "counter";
    }
    return "?";
}

static void account(long delta)
{
    S.bytes = (uint64_t) ((int64_t) S.bytes + delta);
}

static size_t room(void)
{
    return S.bytes < S.cap ? (size_t) (S.cap - S.bytes) : 0;
}

static uint64_t fnv(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char) s[i];
        h *= 1099511628211ull;
    }
    return h;
}

#define FNV_SEED 1469598103934665603ull

/* ---- bucket rings --------------------------------------------------------- */

static void bucket_free(nlog__pbucket *b)
{
    account(-(long) nlog__hist_bytes(&b->h));
    nlog__hist_free(&b->h);
}

static void bring_drop_oldest(nlog__bring *r)
{
    int64_t end = nlog__bring_at(r, 0)->start_ns + r->width;
    if (end > r->gone_ns)
        r->gone_ns = end;
    bucket_free(nlog__bring_at(r, 0));
    r->head = (r->head + 1) % r->cap;
    r->len--;
}

static void bring_free(nlog__bring *r)
{
    while (r->len) {
        bucket_free(nlog__bring_at(r, 0));
        r->head = (r->head + 1) % r->cap;
        r->len--;
    }
    account(-(long) ((size_t) r->cap * sizeof *r->b));
    free(r->b);
    memset(r, 0, sizeof *r);
}

/* Grows the ring's array (to at most `max` entries). 0 on success. */
static int bring_grow(nlog__bring *r, uint32_t max)
{
    uint32_t ncap = r->cap ? r->cap * 2 : 2;
    if (ncap > max)
        ncap = max;
    size_t more = (size_t) (ncap - r->cap) * sizeof *r->b;
    if (ncap <= r->cap || more > room())
        return -1;
    nlog__pbucket *nb = malloc((size_t) ncap * sizeof *nb);
    if (!nb)
        return -1;
    for (uint32_t i = 0; i < r->len; i++)
        nb[i] = *nlog__bring_at(r, i);
    free(r->b);
    r->b = nb;
    r->head = 0;
    r->cap = ncap;
    account((long) more);
    return 0;
}

/* The bucket starting at `start`, created in order if missing. NULL when it
 * cannot be created: memory, or older than everything a full ring keeps. */
static nlog__pbucket *bring_get(nlog__bring *r, int64_t start, uint32_t max)
{
    uint32_t pos = r->len; /* insertion point: after every bucket with a smaller start */
    while (pos > 0) {
        nlog__pbucket *b = nlog__bring_at(r, pos - 1);
        if (b->start_ns == start)
            return b;
        if (b->start_ns < start)
            break;
        pos--;
    }
    if (r->len == max) {
        if (pos == 0)
            return NULL; /* older than the oldest kept: only the raw ring sees it */
        bring_drop_oldest(r);
        pos--;
    }
    if (r->len == r->cap && bring_grow(r, max) != 0)
        return NULL;
    for (uint32_t i = r->len; i > pos; i--)
        *nlog__bring_at(r, i) = *nlog__bring_at(r, i - 1);
    r->len++;
    nlog__pbucket *b = nlog__bring_at(r, pos);
    memset(b, 0, sizeof *b);
    b->start_ns = start;
    return b;
}

static int64_t floor_to(int64_t t, int64_t width)
{
    int64_t q = t / width;
    if (t % width < 0)
        q--;
    return q * width;
}

/* ---- eviction ------------------------------------------------------------- */

static void each_series(void (*fn)(nlog__series *s, void *u), void *u)
{
    for (size_t b = 0; b < S.n_buckets; b++)
        for (nlog__series *s = S.table[b]; s; s = s->hnext)
            fn(s, u);
}

typedef struct evict_scan {
    int hours;       /* 0: minute rings, 1: hour rings */
    int64_t oldest;  /* INT64_MAX: none found */
    int64_t target;  /* evict buckets with this start */
    uint64_t freed;
} evict_scan;

static nlog__bring *ring_of(nlog__series *s, int hours)
{
    return hours ? &s->hours : &s->minutes;
}

/* The series being updated: eviction leaves it alone, so pointers into its
 * rings stay valid while it is updated. */
static nlog__series *protect;

static void find_oldest(nlog__series *s, void *u)
{
    evict_scan *e = u;
    if (s == protect)
        return;
    nlog__bring *r = ring_of(s, e->hours);
    if (r->len > 1 && nlog__bring_at(r, 0)->start_ns < e->oldest)
        e->oldest = nlog__bring_at(r, 0)->start_ns;
}

/* Halves the slot array of a ring that eviction or expiry left mostly
 * empty (a quarter or less in use), so that evicted rollups give back their
 * slots too. */
static void bring_shrink(nlog__bring *r)
{
    while (r->cap > 2 && r->len <= r->cap / 4) {
        uint32_t ncap = r->cap / 2;
        nlog__pbucket *nb = malloc((size_t) ncap * sizeof *nb);
        if (!nb)
            return;
        for (uint32_t i = 0; i < r->len; i++)
            nb[i] = *nlog__bring_at(r, i);
        free(r->b);
        account(-(long) ((size_t) (r->cap - ncap) * sizeof *r->b));
        r->b = nb;
        r->head = 0;
        r->cap = ncap;
    }
}

static void evict_target(nlog__series *s, void *u)
{
    evict_scan *e = u;
    if (s == protect)
        return;
    nlog__bring *r = ring_of(s, e->hours);
    uint64_t before = S.bytes;
    int dropped = 0;
    while (r->len > 1 && nlog__bring_at(r, 0)->start_ns <= e->target) {
        bring_drop_oldest(r);
        S.st.evicted_rollups++;
        dropped = 1;
    }
    if (dropped)
        bring_shrink(r);
    e->freed += before - S.bytes;
}

/* Cuts the raw ring of s to its newest `ncap` samples (ncap < raw_cap). */
static uint64_t raw_cut(nlog__series *s, uint32_t ncap)
{
    nlog__psample *nr = malloc((size_t) ncap * sizeof *nr);
    if (!nr)
        return 0;
    uint32_t keep = s->raw_len < ncap ? s->raw_len : ncap;
    for (uint32_t i = 0; i < s->raw_len - keep; i++) {
        int64_t t = nlog__raw_at(s, i)->t_ns;
        if (t > s->raw_gone_ns)
            s->raw_gone_ns = t;
    }
    S.st.evicted_samples += s->raw_len - keep;
    for (uint32_t i = 0; i < keep; i++)
        nr[i] = *nlog__raw_at(s, s->raw_len - keep + i);
    free(s->raw);
    uint64_t freed = (size_t) (s->raw_cap - ncap) * sizeof *nr;
    account(-(long) freed);
    s->raw = nr;
    s->raw_cap = ncap;
    s->raw_len = keep;
    s->raw_next = keep % ncap;
    return freed;
}

static void shrink_raw(nlog__series *s, void *u)
{
    uint64_t *freed = u;
    if (s->raw_cap <= 16 || s == protect)
        return;
    *freed += raw_cut(s, s->raw_cap / 2);
}

/* performance_raw_samples was lowered: existing rings follow. */
static void cap_raw(nlog__series *s, void *u)
{
    (void) u;
    if (s->raw_cap > S.raw_max)
        (void) raw_cut(s, S.raw_max);
}

/* Frees at least `need` bytes (plus some slack, so the next growths do not
 * each scan every series) if anything can be evicted. */
static void evict(size_t need)
{
    uint64_t goal = need + S.cap / 32;
    uint64_t freed = 0;
    for (int hours = 0; hours < 2 && freed < goal; hours++) {
        for (;;) {
            evict_scan e = {.hours = hours, .oldest = INT64_MAX};
            each_series(find_oldest, &e);
            if (e.oldest == INT64_MAX)
                break;
            e.target = e.oldest;
            each_series(evict_target, &e);
            freed += e.freed;
            if (freed >= goal)
                break;
        }
    }
    while (freed < goal) {
        uint64_t before = freed;
        each_series(shrink_raw, &freed);
        if (freed == before)
            break;
    }
}

/* Makes `need` bytes of room if possible. 0 on success. */
static int make_room(size_t need)
{
    if (room() >= need)
        return 0;
    evict(need - room());
    return room() >= need ? 0 : -1;
}

/* ---- series --------------------------------------------------------------- */

/* Doubles the series table. At the memory cap it stays as it is (chains
 * get longer), unless it does not exist yet. */
static int grow_table(void)
{
    size_t nb = S.n_buckets ? S.n_buckets * 2 : 256;
    if (make_room((nb - S.n_buckets) * sizeof(nlog__series *)) != 0)
        return S.n_buckets ? 0 : -1;
    nlog__series **t = calloc(nb, sizeof *t);
    if (!t)
        return S.n_buckets ? 0 : -1;
    for (size_t b = 0; b < S.n_buckets; b++) {
        nlog__series *s = S.table[b];
        while (s) {
            nlog__series *next = s->hnext;
            size_t i = s->hash & (nb - 1);
            s->hnext = t[i];
            t[i] = s;
            s = next;
        }
    }
    account((long) ((nb - S.n_buckets) * sizeof *t));
    free(S.table);
    S.table = t;
    S.n_buckets = nb;
    return 0;
}

static int grow_ftable(void)
{
    size_t nb = S.nf_buckets ? S.nf_buckets * 2 : 64;
    if (make_room((nb - S.nf_buckets) * sizeof(nlog__family *)) != 0)
        return S.nf_buckets ? 0 : -1;
    nlog__family **t = calloc(nb, sizeof *t);
    if (!t)
        return S.nf_buckets ? 0 : -1;
    for (size_t b = 0; b < S.nf_buckets; b++) {
        nlog__family *f = S.ftable[b];
        while (f) {
            nlog__family *next = f->next;
            size_t i = f->hash & (nb - 1);
            f->next = t[i];
            t[i] = f;
            f = next;
        }
    }
    account((long) ((nb - S.nf_buckets) * sizeof *t));
    free(S.ftable);
    S.ftable = t;
    S.nf_buckets = nb;
    return 0;
}

nlog__family *nlog__store_family(const char *name, size_t len)
{
    if (!S.nf_buckets)
        return NULL;
    uint64_t h = fnv(name, len, FNV_SEED);
    for (nlog__family *f = S.ftable[h & (S.nf_buckets - 1)]; f; f = f->next)
        if (f->hash == h && f->name_len == len && memcmp(f->name, name, len) == 0)
            return f;
    return NULL;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The names the Prometheus exposition (export_prom.c) gives a family:
 * gauges their own, counters <name>_total (unless it ends so), timers and
 * values <name>, <name>_sum and <name>_count. Returns how many. */
static size_t exported_names(const char *name, size_t len, nlog_metric_kind kind,
                             char out[3][NLOG_PERF_NAME_MAX + 8], size_t out_len[3])
{
    const char *suffix[3] = {"", "_sum", "_count"};
    size_t n = 1;
    if (kind == NLOG_METRIC_COUNTER)
        suffix[0] = ends_with(name, len, "_total") ? "" : "_total";
    else if (kind != NLOG_METRIC_GAUGE)
        n = 3;
    for (size_t i = 0; i < n; i++) {
        size_t m = strlen(suffix[i]);
        memcpy(out[i], name, len);
        memcpy(out[i] + len, suffix[i], m);
        out_len[i] = len + m;
    }
    return n;
}

/* The family whose exposition has the name e, if one has. Locked. */
static const nlog__family *exporter_of(const char *e, size_t n)
{
    char names[3][NLOG_PERF_NAME_MAX + 8];
    size_t lens[3];
    /* e itself, or e without the suffix the exposition adds */
    static const char *const suffixes[] = {"", "_total", "_sum", "_count"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t m = strlen(suffixes[i]);
        if (!ends_with(e, n, suffixes[i]) || n - m == 0)
            continue;
        const nlog__family *g = nlog__store_family(e, n - m);
        if (!g)
            continue;
        size_t k = exported_names(g->name, g->name_len, g->kind, names, lens);
        for (size_t j = 0; j < k; j++)
            if (lens[j] == n && memcmp(names[j], e, n) == 0)
                return g;
    }
    return NULL;
}

static nlog__family *family_get(const char *name, size_t len, nlog_metric_kind kind,
                                const char *unit, size_t unit_len, nlog_status *st)
{
    nlog__family *f = nlog__store_family(name, len);
    if (f) {
        if (f->kind != kind) {
            nlog__set_errmsg("metric '%.*s' is a %s; it cannot take %s samples", (int) len,
                             name, nlog__kind_name(f->kind), nlog__kind_name(kind));
            *st = NLOG_EINVAL;
            return NULL;
        }
        return f; /* the first sample's unit stays */
    }
    /* One exposition name, one metric: a counter `req` (req_total) and a
     * gauge `req_total` would give two # TYPE lines for req_total. */
    char mine[3][NLOG_PERF_NAME_MAX + 8];
    size_t mine_len[3];
    size_t k = exported_names(name, len, kind, mine, mine_len);
    for (size_t i = 0; i < k; i++) {
        const nlog__family *g = exporter_of(mine[i], mine_len[i]);
        if (g) {
            nlog__set_errmsg("metric '%.*s' (a %s) would be exported as '%.*s', which %s '%s' "
                             "already is; choose another name",
                             (int) len, name, nlog__kind_name(kind), (int) mine_len[i], mine[i],
                             nlog__kind_name(g->kind), g->name);
            *st = NLOG_EINVAL;
            return NULL;
        }
    }
    size_t need = sizeof *f + len + 1;
    if ((S.n_families >= S.nf_buckets && grow_ftable() != 0) || make_room(need) != 0 ||
        !(f = calloc(1, need))) {
        *st = room() < need ? NLOG_ELIMIT : NLOG_ENOMEM;
        return NULL;
    }
    account((long) need);
    memcpy(f->name, name, len);
    f->name[len] = '\0';
    f->name_len = len;
    f->kind = kind;
    if (unit_len > NLOG_PERF_UNIT_MAX)
        unit_len = NLOG_PERF_UNIT_MAX;
    memcpy(f->unit, unit, unit_len);
    f->unit[unit_len] = '\0';
    f->hash = fnv(name, len, FNV_SEED);
    size_t i = f->hash & (S.nf_buckets - 1);
    f->next = S.ftable[i];
    S.ftable[i] = f;
    S.n_families++;
    return f;
}

static int tagref_cmp(const nlog__tagref *a, const nlog__tagref *b)
{
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (int) a->key_len - (int) b->key_len;
}

nlog__series *nlog__store_intern(const char *name, size_t name_len, nlog_metric_kind kind,
                                 const char *unit, size_t unit_len, const nlog__tagref *tags,
                                 size_t n_tags, nlog_status *st)
{
    /* Canonical key: tags sorted by key (insertion sort: at most 8). */
    nlog__tagref sorted[NLOG_PERF_TAGS_MAX];
    if (n_tags > NLOG_PERF_TAGS_MAX)
        n_tags = NLOG_PERF_TAGS_MAX;
    for (size_t i = 0; i < n_tags; i++) {
        size_t j = i;
        while (j > 0 && tagref_cmp(&sorted[j - 1], &tags[i]) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = tags[i];
    }
    char key[NLOG_PERF_NAME_MAX + 1 +
             NLOG_PERF_TAGS_MAX * (NLOG_PERF_TAG_KEY_MAX + NLOG_PERF_TAG_VALUE_MAX + 2)];
    size_t kl = 0;
    memcpy(key, name, name_len);
    kl = name_len;
    key[kl++] = '\0';
    for (size_t i = 0; i < n_tags; i++) {
        memcpy(key + kl, sorted[i].key, sorted[i].key_len);
        kl += sorted[i].key_len;
        key[kl++] = '\0';
        memcpy(key + kl, sorted[i].value, sorted[i].value_len);
        kl += sorted[i].value_len;
        key[kl++] = '\0';
    }
    uint64_t h = fnv(key, kl, FNV_SEED);
    if (S.n_buckets) {
        for (nlog__series *s = S.table[h & (S.n_buckets - 1)]; s; s = s->hnext) {
            if (s->hash == h && s->key_len == kl && memcmp(s->key, key, kl) == 0) {
                if (s->fam->kind != kind) {
                    nlog__set_errmsg("metric '%.*s' is a %s; it cannot take %s samples",
                                     (int) name_len, name, nlog__kind_name(s->fam->kind),
                                     nlog__kind_name(kind));
                    *st = NLOG_EINVAL;
                    return NULL;
                }
                return s;
            }
        }
    }
    if (S.n_series >= S.max_series) {
        *st = NLOG_ELIMIT;
        return NULL;
    }
    nlog__family *f = family_get(name, name_len, kind, unit, unit_len, st);
    if (!f)
        return NULL;
    size_t need = sizeof(nlog__series) + kl;
    nlog__series *s = NULL;
    if ((S.n_series >= S.n_buckets && grow_table() != 0) || make_room(need) != 0 ||
        !(s = calloc(1, sizeof *s)) || !(s->key = malloc(kl))) {
        free(s);
        *st = room() < need ? NLOG_ELIMIT : NLOG_ENOMEM;
        return NULL;
    }
    account((long) need);
    memcpy(s->key, key, kl);
    s->key_len = (uint32_t) kl;
    s->hash = h;
    s->fam = f;
    s->n_tags = (uint32_t) n_tags;
    const char *p = s->key + name_len + 1;
    for (size_t i = 0; i < n_tags; i++) {
        s->tags[i].key = p;
        p += strlen(p) + 1;
        s->tags[i].value = p;
        p += strlen(p) + 1;
    }
    s->raw_gone_ns = INT64_MIN;
    s->minutes.width = NLOG__MINUTE_NS;
    s->minutes.gone_ns = INT64_MIN;
    s->hours.width = NLOG__HOUR_NS;
    s->hours.gone_ns = INT64_MIN;
    size_t i = h & (S.n_buckets - 1);
    s->hnext = S.table[i];
    S.table[i] = s;
    s->fnext = f->series;
    f->series = s;
    f->n_series++;
    S.n_series++;
    nlog__alerts_attach(s);
    return s;
}

/* The rollup of `start` in r, made room for if needed. NULL with *too_old
 * set when the ring is full of newer rollups. */
static nlog__pbucket *rollup(nlog__bring *r, int64_t start, uint32_t max, int *too_old)
{
    *too_old = 0;
    nlog__pbucket *b = bring_get(r, start, max);
    if (b)
        return b;
    if (r->len == max && start < nlog__bring_at(r, 0)->start_ns) {
        *too_old = 1;
        return NULL;
    }
    size_t need = (size_t) (r->cap ? r->cap : 2) * sizeof *r->b;
    if (make_room(need) != 0)
        return NULL;
    return bring_get(r, start, max);
}

/* Makes room in b's histogram for `bin`. 0, or -1. */
static int reserve(nlog__pbucket *b, unsigned bin)
{
    long grew = nlog__hist_reserve(&b->h, bin, room());
    if (grew < 0 && (make_room(nlog__hist_bytes(&b->h) + 32) != 0 ||
                     (grew = nlog__hist_reserve(&b->h, bin, room())) < 0))
        return -1;
    account(grew);
    return 0;
}

static void bucket_add(nlog__pbucket *b, int64_t t, double v, unsigned bin)
{
    (void) nlog__hist_add(&b->h, bin, 1, 0); /* reserved: cannot fail */
    if (b->count == 0 || t < b->first_ns)
        b->first_ns = t;
    if (b->count == 0 || t > b->last_ns)
        b->last_ns = t;
    if (b->count == 0 || v < b->min)
        b->min = v;
    if (b->count == 0 || v > b->max)
        b->max = v;
    b->count++;
    b->sum += v;
}

static void raw_push(nlog__series *s, int64_t t, double v)
{
    if (s->raw_len == s->raw_cap && s->raw_cap < S.raw_max) {
        uint32_t ncap = s->raw_cap ? s->raw_cap * 2 : 16;
        if (ncap > S.raw_max)
            ncap = S.raw_max;
        size_t more = (size_t) (ncap - s->raw_cap) * sizeof *s->raw;
        nlog__psample *nr = make_room(more) == 0 ? malloc((size_t) ncap * sizeof *nr) : NULL;
        if (nr) {
            for (uint32_t i = 0; i < s->raw_len; i++)
                nr[i] = *nlog__raw_at(s, i);
            free(s->raw);
            s->raw = nr;
            s->raw_next = s->raw_len;
            s->raw_cap = ncap;
            account((long) more);
        }
    }
    if (s->raw_cap == 0)
        return;
    if (s->raw_len == s->raw_cap) {
        int64_t gone = s->raw[s->raw_next].t_ns; /* the oldest, overwritten below */
        if (gone > s->raw_gone_ns)
            s->raw_gone_ns = gone;
    } else {
        s->raw_len++;
    }
    s->raw[s->raw_next].t_ns = t;
    s->raw[s->raw_next].v = v;
    s->raw_next = (s->raw_next + 1) % s->raw_cap;
}

int nlog__store_add(nlog__series *s, int64_t t, double v)
{
    unsigned bin = nlog__hist_index(v);
    int old_m, old_h, rc = -1;
    protect = s;
    /* Every allocation first, so that a sample is in both rollups or in
     * neither (an empty rollup left behind by a failure counts nothing). */
    nlog__pbucket *m = rollup(&s->minutes, floor_to(t, NLOG__MINUTE_NS), NLOG__MINUTES_KEPT,
                              &old_m);
    nlog__pbucket *hr = rollup(&s->hours, floor_to(t, NLOG__HOUR_NS), NLOG__HOURS_KEPT, &old_h);
    if ((!m && !old_m) || (!hr && !old_h) || (m && reserve(m, bin) != 0) ||
        (hr && reserve(hr, bin) != 0)) {
        S.st.rejected++;
        goto out;
    }
    if (m)
        bucket_add(m, t, v, bin);
    if (hr)
        bucket_add(hr, t, v, bin);
    raw_push(s, t, v);
    if (s->count == 0 || v < s->min)
        s->min = v;
    if (s->count == 0 || v > s->max)
        s->max = v;
    s->count++;
    s->sum += v;
    s->seq++;
    if (t >= s->last_ns || s->count == 1) {
        s->last = v;
        s->last_ns = t;
    }
    rc = 0;
out:
    protect = NULL;
    return rc;
}

static void expire(nlog__series *s, void *u)
{
    int64_t now = *(const int64_t *) u;
    int dropped = 0;
    while (s->minutes.len > 1 &&
           nlog__bring_at(&s->minutes, 0)->start_ns + NLOG__MINUTE_NS <=
               now - NLOG__MINUTES_KEPT * NLOG__MINUTE_NS) {
        bring_drop_oldest(&s->minutes);
        dropped |= 1;
    }
    while (s->hours.len > 1 &&
           nlog__bring_at(&s->hours, 0)->start_ns + NLOG__HOUR_NS <=
               now - NLOG__HOURS_KEPT * NLOG__HOUR_NS) {
        bring_drop_oldest(&s->hours);
        dropped |= 2;
    }
    if (dropped & 1)
        bring_shrink(&s->minutes);
    if (dropped & 2)
        bring_shrink(&s->hours);
}

void nlog__store_maintain(int64_t now_ns)
{
    each_series(expire, &now_ns);
    if (S.bytes > S.cap)
        evict((size_t) (S.bytes - S.cap));
}

void nlog__store_configure(size_t max_series, size_t raw_max, uint64_t mem_cap)
{
    pthread_mutex_lock(&lock);
    S.max_series = max_series;
    uint32_t old_raw = S.raw_max;
    S.raw_max = (uint32_t) (raw_max < 16 ? 16 : raw_max > UINT32_MAX / 2 ? UINT32_MAX / 2 : raw_max);
    S.cap = mem_cap;
    if (S.raw_max < old_raw)
        each_series(cap_raw, NULL);
    if (S.bytes > S.cap)
        evict((size_t) (S.bytes - S.cap));
    pthread_mutex_unlock(&lock);
}

static int fam_cmp(const void *a, const void *b)
{
    const nlog__family *x = *(nlog__family *const *) a, *y = *(nlog__family *const *) b;
    return strcmp(x->name, y->name);
}

static int series_cmp(const void *a, const void *b)
{
    const nlog__series *x = *(nlog__series *const *) a, *y = *(nlog__series *const *) b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

nlog_status nlog__store_each(void (*fn)(const nlog__family *f, nlog__series *const *series,
                                        size_t n, void *user),
                             void *user)
{
    nlog__family **fams = malloc((S.n_families ? S.n_families : 1) * sizeof *fams);
    if (!fams)
        return NLOG_ENOMEM;
    size_t nf = 0;
    for (size_t b = 0; b < S.nf_buckets; b++)
        for (nlog__family *f = S.ftable[b]; f; f = f->next)
            fams[nf++] = f;
    qsort(fams, nf, sizeof *fams, fam_cmp);
    nlog_status st = NLOG_OK;
    nlog__series **list = NULL;
    size_t list_cap = 0;
    for (size_t i = 0; i < nf; i++) {
        nlog__family *f = fams[i];
        if (f->n_series > list_cap) {
            nlog__series **nl = realloc(list, f->n_series * sizeof *nl);
            if (!nl) {
                st = NLOG_ENOMEM;
                break;
            }
            list = nl;
            list_cap = f->n_series;
        }
        size_t n = 0;
        for (nlog__series *s = f->series; s; s = s->fnext)
            list[n++] = s;
        qsort(list, n, sizeof *list, series_cmp);
        fn(f, list, n, user);
    }
    free(list);
    free(fams);
    return st;
}

nlog_status nlog__store_family_each(const nlog__family *f,
                                   void (*fn)(const nlog__family *f, nlog__series *const *series,
                                              size_t n, void *user),
                                   void *user)
{
    nlog__series **list = malloc((f->n_series ? f->n_series : 1) * sizeof *list);
    if (!list)
        return NLOG_ENOMEM;
    size_t n = 0;
    for (nlog__series *s = f->series; s; s = s->fnext)
        list[n++] = s;
    qsort(list, n, sizeof *list, series_cmp);
    fn(f, list, n, user);
    free(list);
    return NLOG_OK;
}

void nlog__store_get_stats(nlog__store_stats *out)
{
    *out = S.st;
    out->series = S.n_series;
    out->bytes = S.bytes;
    out->cap = S.cap;
}

void nlog__store_reset(void)
{
    pthread_mutex_lock(&lock);
    nlog__alerts_reset_locked();
    for (size_t b = 0; b < S.n_buckets; b++) {
        nlog__series *s = S.table[b];
        while (s) {
            nlog__series *next = s->hnext;
            nlog__alert_states_free(s);
            bring_free(&s->minutes);
            bring_free(&s->hours);
            free(s->raw);
            free(s->key);
            free(s);
            s = next;
        }
    }
    for (size_t b = 0; b < S.nf_buckets; b++) {
        nlog__family *f = S.ftable[b];
        while (f) {
            nlog__family *next = f->next;
            free(f);
            f = next;
        }
    }
    free(S.table);
    free(S.ftable);
    S.table = NULL;
    S.ftable = NULL;
    S.n_buckets = S.n_series = S.nf_buckets = S.n_families = 0;
    S.bytes = 0;
    S.st.series = 0;
    pthread_mutex_unlock(&lock);
}
