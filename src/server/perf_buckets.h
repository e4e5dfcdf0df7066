/* perf_buckets.h: the equal time buckets a long metric series is averaged
 * into (GET /api/v2/logs/performance/metrics, max_points). The window can be
 * as long as the whole accepted time range (1700 to 2249, more nanoseconds
 * than an int64_t holds), so widths are computed in double and every result
 * stays inside [t0, t1]: no overflow for any accepted window.
 * Checked by tests/fuzz/fuzz_query_params.c with every accepted window. */
#ifndef NLOGD_PERF_BUCKETS_H
#define NLOGD_PERF_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

/* Width in ns of one of `points` (>= 1) buckets over [t0, t1] (t0 <= t1). */
double nlogd_bucket_width(int64_t t0, int64_t t1, size_t points);
/* Whether a sample at ts belongs before the end of bucket k (0-based). */
int nlogd_bucket_before_end(int64_t t0, double width, size_t k, int64_t ts);
/* The middle of bucket k, in [t0, t1] for k < points. */
int64_t nlogd_bucket_mid(int64_t t0, int64_t t1, double width, size_t k);

#endif
