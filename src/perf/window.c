/* window.c: see window.h. The pieces of a series' part of [t0, t1):
 *
 *   R  the raw ring holds every sample at or after R (the first minute
 *      boundary after the newest raw sample it dropped; -inf if none)
 *   M  the minute ring holds every sample at or after M (the end of the
 *      newest minute rollup dropped), H the same for the hour ring
 *
 * From the newest end: raw samples down to a boundary B; below it minute
 * rollups if they reach further back than raw (M < R), down to Bh; below
 * that hour rollups, from max(t0, H). Bh is ceil(M, hour), the first hour
 * boundary from which minutes are whole, and B = max(R, Bh), so that every
 * inner boundary is aligned to the coarser piece: no rollup straddles one,
 * nothing is counted twice and nothing between two pieces is left out. When
 * minutes do not reach further back than raw (M >= R), hours meet raw at
 * ceil(R, hour). A piece whose ring cannot help (H >= Bh) is skipped and the
 * window is covered from the finer piece's start.
 *
 * At the window's own ends a rollup may straddle: it is used when all its
 * samples lie inside (rollups know the times of their first and last
 * sample), else left out, and the covered span is rounded inward.
 *
 * The regression uses West's weighted incremental update, which stays
 * accurate when the points are many and close together.
 * Tested by: tests/unit/perf/test_window.c */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perf/window.h"

nlog_status nlog__wacc_init(nlog__wacc *a, int64_t t_ref, int percentiles)
{
    memset(a, 0, sizeof *a);
    if (percentiles) {
        a->dense = calloc(NLOG__HIST_BINS, sizeof *a->dense);
        if (!a->dense)
            return NLOG_ENOMEM;
    }
    nlog__wacc_clear(a, t_ref);
    return NLOG_OK;
}

void nlog__wacc_clear(nlog__wacc *a, int64_t t_ref)
{
    uint64_t *dense = a->dense;
    if (dense && a->lo <= a->hi)
        memset(dense + a->lo, 0, (size_t) (a->hi - a->lo + 1) * sizeof *dense);
    memset(a, 0, sizeof *a);
    a->dense = dense;
    a->lo = NLOG__HIST_BINS;
    a->hi = 0;
    a->t_ref = t_ref;
    a->tp_min = INT64_MAX;
    a->tp_max = INT64_MIN;
    a->cover_lo = INT64_MIN;
    a->cover_hi = INT64_MAX;
}

void nlog__wacc_free(nlog__wacc *a)
{
    free(a->dense);
    a->dense = NULL;
}

static void point(nlog__wacc *a, int64_t t, double v, double w)
{
    double ts = (double) (t - a->t_ref) / 1e9;
    a->w += w;
    double dt = ts - a->mt;
    a->mt += dt * w / a->w;
    double dv = v - a->mv;
    a->mv += dv * w / a->w;
    a->ctt += w * dt * (ts - a->mt);
    a->ctv += w * dt * (v - a->mv);
    if (t < a->tp_min)
        a->tp_min = t;
    if (t > a->tp_max)
        a->tp_max = t;
}

static void add_value(nlog__wacc *a, int64_t t, double v)
{
    if (a->count == 0 || v < a->min)
        a->min = v;
    if (a->count == 0 || v > a->max)
        a->max = v;
    a->count++;
    a->sum += v;
    if (a->dense) {
        unsigned b = nlog__hist_index(v);
        a->dense[b]++;
        if (b < a->lo)
            a->lo = b;
        if (b > a->hi)
            a->hi = b;
    }
    point(a, t, v, 1.0);
}

static void add_bucket(nlog__wacc *a, const nlog__pbucket *b)
{
    if (b->count == 0)
        return;
    if (a->count == 0 || b->min < a->min)
        a->min = b->min;
    if (a->count == 0 || b->max > a->max)
        a->max = b->max;
    a->count += b->count;
    a->sum += b->sum;
    if (a->dense && b->h.len) {
        nlog__hist_merge_dense(&b->h, a->dense);
        unsigned first = (unsigned) (b->h.bins[0] >> 48);
        unsigned last = (unsigned) (b->h.bins[b->h.len - 1] >> 48);
        if (first < a->lo)
            a->lo = first;
        if (last > a->hi)
            a->hi = last;
    }
    /* between its first and its last sample: a rollup of a minute with one
     * sample at :05 is a point at :05, not at :30 */
    point(a, b->first_ns + (b->last_ns - b->first_ns) / 2, b->sum / (double) b->count,
          (double) b->count);
    a->inexact = 1;
}

static int64_t floor_to(int64_t t, int64_t w)
{
    int64_t q = t / w;
    if (t % w < 0)
        q--;
    return q * w;
}

/* The query bounds (query.c) keep t far from INT64_MAX: no overflow. */
static int64_t ceil_to(int64_t t, int64_t w)
{
    int64_t q = t / w;
    if (t % w > 0)
        q++;
    return q * w;
}

static int inside(const nlog__pbucket *b, int64_t lo, int64_t hi)
{
    return b->first_ns >= lo && b->last_ns < hi;
}

/* The rollup of r starting at `start`, or NULL. */
static const nlog__pbucket *bucket_at(const nlog__bring *r, int64_t start)
{
    for (uint32_t i = 0; i < r->len; i++) {
        const nlog__pbucket *b = nlog__bring_at(r, i);
        if (b->start_ns == start)
            return b->count ? b : NULL;
        if (b->start_ns > start)
            break;
    }
    return NULL;
}

/* Adds the rollups of r whose samples all lie in [lo, hi) and returns, in
 * *cov_lo / *cov_hi, the part of [lo, hi) they cover completely: an end
 * that cuts a rollup left out is moved inward to its edge. */
static void add_rollups(nlog__wacc *a, const nlog__bring *r, int64_t lo, int64_t hi,
                        int64_t *cov_lo, int64_t *cov_hi)
{
    for (uint32_t i = 0; i < r->len; i++) {
        const nlog__pbucket *b = nlog__bring_at(r, i);
        if (b->count && inside(b, lo, hi))
            add_bucket(a, b);
    }
    *cov_lo = lo;
    *cov_hi = hi;
    const nlog__pbucket *b;
    if (lo % r->width != 0 && (b = bucket_at(r, floor_to(lo, r->width))) && !inside(b, lo, hi))
        *cov_lo = ceil_to(lo, r->width);
    if (hi % r->width != 0 && (b = bucket_at(r, floor_to(hi, r->width))) && !inside(b, lo, hi))
        *cov_hi = floor_to(hi, r->width);
}

static void add_raw(nlog__wacc *a, const nlog__series *s, int64_t lo, int64_t hi)
{
    for (uint32_t i = 0; i < s->raw_len; i++) {
        const nlog__psample *p = nlog__raw_at(s, i);
        if (p->t_ns >= lo && p->t_ns < hi)
            add_value(a, p->t_ns, p->v);
    }
}

void nlog__wacc_add_series(nlog__wacc *a, const nlog__series *s, int64_t t0, int64_t t1)
{
    if (t1 <= t0)
        return;
    int64_t R = s->raw_gone_ns == INT64_MIN ? INT64_MIN : ceil_to(s->raw_gone_ns + 1, NLOG__MINUTE_NS);
    int64_t M = s->minutes.gone_ns, H = s->hours.gone_ns;
    /* boundaries, oldest first: [hlo, bh) hours, [bh, braw) minutes, [braw, t1) raw;
     * an empty piece has lo >= hi */
    int64_t hlo = t0, bh = t0, braw = t0;
    /* raw alone when it holds every sample of the window (no rollup to meet) */
    if (R > t0 && s->raw_gone_ns >= t0) {
        if (M < R) {
            if (M <= t0) {
                braw = R; /* minutes for [t0, R) */
            } else {
                int64_t Bh = ceil_to(M, NLOG__HOUR_NS);
                if (H < Bh) {
                    hlo = H > t0 ? H : t0;
                    bh = Bh;
                    braw = R > Bh ? R : Bh;
                } else {
                    hlo = bh = M; /* hours cannot help: covered from M */
                    braw = R;
                }
            }
        } else {
            int64_t Bh = ceil_to(R, NLOG__HOUR_NS);
            if (H < Bh) {
                hlo = H > t0 ? H : t0;
                bh = braw = Bh;
            } else {
                hlo = bh = braw = R; /* covered from R */
            }
        }
    }
    /* clip to the window */
    if (hlo > t1)
        hlo = t1;
    if (bh > t1)
        bh = t1;
    if (braw > t1)
        braw = t1;
    if (bh < hlo)
        bh = hlo;
    if (braw < bh)
        braw = bh;
    int64_t cov_lo = hlo, cov_hi = t1, lo, hi;
    int oldest = 1;
    if (hlo < bh) {
        add_rollups(a, &s->hours, hlo, bh, &lo, &hi);
        cov_lo = lo;
        if (bh == t1)
            cov_hi = hi;
        oldest = 0;
    }
    if (bh < braw) {
        add_rollups(a, &s->minutes, bh, braw, &lo, &hi);
        if (oldest)
            cov_lo = lo;
        if (braw == t1)
            cov_hi = hi;
        oldest = 0;
    }
    if (braw < t1) {
        add_raw(a, s, braw, t1);
        if (oldest)
            cov_lo = braw;
    }
    if (cov_lo > a->cover_lo)
        a->cover_lo = cov_lo;
    if (cov_hi < a->cover_hi)
        a->cover_hi = cov_hi;
}

void nlog__wacc_summary(const nlog__wacc *a, nlog_metric_kind kind, int64_t t0, int64_t t1,
                        nlog_perf_summary *out)
{
    memset(out, 0, sizeof *out);
    out->count = a->count;
    out->sum = a->sum;
    int64_t lo = a->cover_lo > t0 ? a->cover_lo : t0, hi = a->cover_hi < t1 ? a->cover_hi : t1;
    out->start_ns = lo;
    out->end_ns = hi - 1; /* start_ns > end_ns: none of the window is covered */
    out->exact = !a->inexact;
    if (a->count == 0) {
        out->min = out->max = out->mean = NAN;
        out->p50 = out->p90 = out->p95 = out->p99 = NAN;
        return;
    }
    out->min = a->min;
    out->max = a->max;
    out->mean = a->sum / (double) a->count;
    if (a->dense) {
        double qs[4] = {0.50, 0.90, 0.95, 0.99};
        double *dst[4] = {&out->p50, &out->p90, &out->p95, &out->p99};
        uint64_t ranks[4];
        for (int i = 0; i < 4; i++) {
            double r = ceil(qs[i] * (double) a->count);
            ranks[i] = r < 1 ? 1 : r > (double) a->count ? a->count : (uint64_t) r;
            *dst[i] = a->max;
        }
        /* one walk over the touched bins for the four ranks */
        uint64_t seen = 0;
        int q = 0;
        for (unsigned b = a->lo; b <= a->hi && q < 4; b++) {
            seen += a->dense[b];
            while (q < 4 && seen >= ranks[q]) {
                double v = nlog__hist_value(b);
                v = v < a->min ? a->min : v > a->max ? a->max : v;
                /* the smallest and largest samples are known exactly */
                *dst[q] = ranks[q] == a->count ? a->max : ranks[q] == 1 ? a->min : v;
                q++;
            }
        }
    } else {
        out->p50 = out->p90 = out->p95 = out->p99 = NAN;
    }
    double secs = (double) (hi - lo) / 1e9;
    double amount = kind == NLOG_METRIC_COUNTER ? a->sum : (double) a->count;
    out->per_second = secs > 0 ? amount / secs : NAN;
}

void nlog__wacc_trend(const nlog__wacc *cur, const nlog__wacc *prev, int64_t t0, int64_t t1,
                      double stable_percent, nlog_perf_trend *out)
{
    memset(out, 0, sizeof *out);
    out->previous_count = prev ? prev->count : 0;
    out->previous_mean = NAN;
    out->change = NAN;
    out->change_percent = NAN;
    double mean = cur->count ? cur->sum / (double) cur->count : NAN;
    if (prev && prev->count) {
        out->previous_mean = prev->sum / (double) prev->count;
        if (cur->count) {
            out->change = mean - out->previous_mean;
            if (out->previous_mean != 0)
                out->change_percent = 100.0 * out->change / fabs(out->previous_mean);
        }
    }
    if (cur->count < 2 || cur->tp_max <= cur->tp_min || cur->ctt <= 0) {
        out->direction = NLOG_TREND_UNKNOWN;
        out->slope_per_minute = NAN;
        return;
    }
    double slope = cur->ctv / cur->ctt; /* per second */
    out->slope_per_minute = slope * 60.0;
    /* the change the line predicts between the first and the last point of
     * the window's data (not over the whole window: a series with data in
     * its last minutes is judged on those minutes) */
    (void) t0;
    (void) t1;
    double over = slope * (double) (cur->tp_max - cur->tp_min) / 1e9;
    /* against the level, or the spread where the level is near 0 */
    double scale = fabs(mean), spread = cur->max - cur->min;
    if (spread > scale)
        scale = spread;
    int stable = scale > 0 ? fabs(over) <= stable_percent / 100.0 * scale : over == 0;
    out->direction = stable ? NLOG_TREND_STABLE : over > 0 ? NLOG_TREND_RISING : NLOG_TREND_FALLING;
}
