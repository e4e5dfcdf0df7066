/* window.c: see window.h. The pieces of a window, newest first:
 *
 *   raw samples     [max(t0, R), t1)  R: the first minute boundary from which
 *                                     the raw ring holds every sample
 *   minute rollups  whose samples all lie in [max(t0, M), min(R, t1)); M: the
 *                                     end of the newest minute rollup dropped
 *   hour rollups    whose samples all lie in [max(t0, H), M), when M > t0;
 *                                     H: the same for the hour ring
 *
 * A rollup knows the times of its first and last sample, so one that
 * reaches past an edge of its piece is still used when none of its samples
 * does; the others are left out (the window is rounded inward).
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
    a->cover = INT64_MAX;
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

static void add_bucket(nlog__wacc *a, const nlog__pbucket *b, int64_t width)
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
    point(a, b->start_ns + width / 2, b->sum / (double) b->count, (double) b->count);
    a->inexact = 1;
}

static int64_t ceil_to(int64_t t, int64_t w)
{
    int64_t q = t / w;
    if (t % w > 0)
        q++;
    return q * w;
}

/* Adds the rollups of r whose samples all lie in [from, to). */
static void add_rollups(nlog__wacc *a, const nlog__bring *r, int64_t from, int64_t to)
{
    for (uint32_t i = 0; i < r->len; i++) {
        const nlog__pbucket *b = nlog__bring_at(r, i);
        if (b->count && b->first_ns >= from && b->last_ns < to)
            add_bucket(a, b, r->width);
    }
}

void nlog__wacc_add_series(nlog__wacc *a, const nlog__series *s, int64_t t0, int64_t t1)
{
    if (t1 <= t0)
        return;
    /* raw: every sample at or after R is in the ring; R is a minute
     * boundary, so the minute rollups before it are whole */
    int64_t raw_from = t0;
    if (s->raw_gone_ns != INT64_MIN) {
        int64_t R = ceil_to(s->raw_gone_ns + 1, NLOG__MINUTE_NS);
        if (R > raw_from)
            raw_from = R;
    }
    for (uint32_t i = 0; i < s->raw_len; i++) {
        const nlog__psample *p = nlog__raw_at(s, i);
        if (p->t_ns >= raw_from && p->t_ns < t1)
            add_value(a, p->t_ns, p->v);
    }
    int64_t covered = raw_from < t1 ? raw_from : t1;
    if (covered > t0) {
        /* minute rollups for [from, covered), where the minute ring is whole */
        int64_t from = t0;
        int short_minutes = s->minutes.gone_ns != INT64_MIN && s->minutes.gone_ns > t0;
        if (short_minutes)
            from = s->minutes.gone_ns;
        if (from < covered) {
            add_rollups(a, &s->minutes, from, covered);
            covered = ceil_to(from, NLOG__MINUTE_NS);
        }
        if (short_minutes) {
            /* hour rollups for [from, the first minute still kept) */
            int64_t hto = from;
            int64_t hfrom = t0;
            if (s->hours.gone_ns != INT64_MIN && s->hours.gone_ns > hfrom)
                hfrom = s->hours.gone_ns;
            if (hfrom < hto) {
                add_rollups(a, &s->hours, hfrom, hto);
                covered = ceil_to(hfrom, NLOG__HOUR_NS);
            }
        }
    }
    if (covered < a->cover)
        a->cover = covered;
}

void nlog__wacc_summary(const nlog__wacc *a, nlog_metric_kind kind, int64_t t0, int64_t t1,
                        nlog_perf_summary *out)
{
    memset(out, 0, sizeof *out);
    out->count = a->count;
    out->sum = a->sum;
    out->start_ns = a->cover == INT64_MAX ? t0 : (a->cover > t0 ? a->cover : t0);
    out->end_ns = t1 - 1;
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
    double secs = (double) (t1 - out->start_ns) / 1e9;
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
    double over = slope * (double) (t1 - t0) / 1e9; /* change the line predicts over the window */
    double scale = fabs(mean);
    int stable = scale > 0 ? fabs(over) <= stable_percent / 100.0 * scale : over == 0;
    out->direction = stable ? NLOG_TREND_STABLE : over > 0 ? NLOG_TREND_RISING : NLOG_TREND_FALLING;
}
