/* query.h (internal): the window computation shared by nlog_perf_query_run()
 * and the exports. Locked (store): the series are read.
 * Tested by: tests/unit/perf/test_window.c, test_export.c */
#ifndef NLOG_PERF_QUERY_H
#define NLOG_PERF_QUERY_H

#include "perf/store.h"
#include "perf/window.h"

/* The wall clock's now, clamped to [0, NLOG_PERF_END_MAX] so that window
 * arithmetic cannot overflow whatever the clock says. */
int64_t nlog__perf_clamp_now(int64_t now);

/* Whether s has every tag of the filter. */
int nlog__series_matches(const nlog__series *s, const nlog_tag *tags, size_t n_tags);

/* The summary and/or trend of [t0, t1) over `series` (of family f), with
 * the caller's accumulators (cur with percentiles when a summary is wanted). */
nlog_status nlog__perf_window(const nlog__family *f, nlog__series *const *series, size_t n,
                              int64_t t0, int64_t t1, double stable_percent,
                              nlog_perf_summary *ret_summary, nlog_perf_trend *ret_trend,
                              nlog__wacc *cur, nlog__wacc *prev);

#endif /* NLOG_PERF_QUERY_H */
