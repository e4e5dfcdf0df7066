/* window.h (internal): statistics of a time window over one or more series.
 *
 * A window [t0, t1) is assembled, per series, from pieces that meet at
 * boundaries aligned to the coarser of the two: hour rollups, then minute
 * rollups, then raw samples, each piece reaching back only as far as its
 * ring still holds every sample (window.c has the rule). Only the window's
 * own ends can cut a rollup: one whose samples all lie inside is used,
 * another is left out and the window is rounded inward there. The summary
 * reports the span that every series covers completely.
 * Percentiles come from the merged histograms (hist.h); the trend is a
 * weighted least-squares line through the raw samples (weight 1) and the
 * rollups (at the middle of their first and last sample, weighted by their
 * count).
 * Thread-safety: the series must be read under the store lock.
 * Tested by: tests/unit/perf/test_window.c */
#ifndef NLOG_PERF_WINDOW_H
#define NLOG_PERF_WINDOW_H

#include <stdint.h>

#include <nlog/perf.h>

#include "perf/store.h"

typedef struct nlog__wacc {
    uint64_t count;
    double sum, min, max;
    uint64_t *dense;        /* NLOG__HIST_BINS counts, or NULL (no percentiles) */
    unsigned lo, hi;        /* bins touched: [lo, hi] (lo > hi: none) */
    /* weighted regression of value over time (seconds since t_ref) */
    double w, mt, mv, ctt, ctv;
    int64_t t_ref;
    int64_t tp_min, tp_max; /* earliest and latest point in time added */
    int64_t cover_lo;       /* every series added covers [cover_lo, cover_hi) completely */
    int64_t cover_hi;       /* (INT64_MIN, INT64_MAX: no series yet) */
    int inexact;            /* a rollup was used */
} nlog__wacc;

/* Sets up an empty accumulator for windows starting at t_ref. With
 * `percentiles`, allocates the dense histogram (NLOG_ENOMEM on failure). */
nlog_status nlog__wacc_init(nlog__wacc *a, int64_t t_ref, int percentiles);
/* Empties it again (keeps the allocation; clears only the bins touched). */
void nlog__wacc_clear(nlog__wacc *a, int64_t t_ref);
void nlog__wacc_free(nlog__wacc *a);

/* Adds what series s holds in [t0, t1). Locked. */
void nlog__wacc_add_series(nlog__wacc *a, const nlog__series *s, int64_t t0, int64_t t1);

/* The summary of the window [t0, t1) from a. `kind` decides per_second. */
void nlog__wacc_summary(const nlog__wacc *a, nlog_metric_kind kind, int64_t t0, int64_t t1,
                        nlog_perf_summary *out);

/* The trend of window cur ([t0, t1)) against prev (the window before it).
 * "Stable" compares the change the line predicts between cur's first and
 * last point with stable_percent of the larger of |mean| and (max - min),
 * so that a level near 0 is not "rising" on noise and a series with data in
 * the last minutes of a long window is judged on those minutes. */
void nlog__wacc_trend(const nlog__wacc *cur, const nlog__wacc *prev, int64_t t0, int64_t t1,
                      double stable_percent, nlog_perf_trend *out);

#endif /* NLOG_PERF_WINDOW_H */
