/* hist.h (internal): the mergeable log-linear histogram behind percentiles.
 *
 * A finite value x falls in one bin. |x| < 2^-40 (about 9.1e-13) is the zero
 * bin. Otherwise |x| = 2^e * (1 + f) with 0 <= f < 1, and the bin is the
 * sign, the exponent e (clamped to -40..49) and the top 6 bits of f: 64 bins
 * per power of two. A bin covers [2^e (1 + j/64), 2^e (1 + (j+1)/64)) and
 * stands for its midpoint, so within 2^-40 <= |x| < 2^50 (about 1.1e15) the
 * midpoint is within 1/128 (0.78125%) of every value of the bin. Beyond that
 * range values share the outermost bins, and a percentile is only bounded by
 * the exact min/max it is clamped to.
 *
 * Bins are numbered so that their order is the order of values: negative
 * bins (largest magnitude first), the zero bin, then positive bins. Two
 * histograms merge by adding counts bin by bin, so rollups of any windows
 * and series merge without losing accuracy.
 *
 * Storage: sparse, a sorted array of 64-bit words (bin << 48 | count, counts
 * saturate at 2^48 - 1), because one minute of latencies fills a few dozen
 * bins of the 11521. Queries merge into a dense array of counts.
 * Thread-safety: none; callers own their histograms.
 * Tested by: tests/unit/perf/test_hist.c */
#ifndef NLOG_PERF_HIST_H
#define NLOG_PERF_HIST_H

#include <stddef.h>
#include <stdint.h>

#define NLOG__HIST_SUB_BITS 6
#define NLOG__HIST_EXP_MIN (-40)
#define NLOG__HIST_EXP_END 50 /* exponents EXP_MIN .. EXP_END - 1 */
#define NLOG__HIST_HALF ((NLOG__HIST_EXP_END - NLOG__HIST_EXP_MIN) << NLOG__HIST_SUB_BITS)
#define NLOG__HIST_ZERO NLOG__HIST_HALF             /* index of the zero bin */
#define NLOG__HIST_BINS (2 * NLOG__HIST_HALF + 1)  /* 11521 */
/* Worst relative error of a bin's midpoint inside the exact range. */
#define NLOG__HIST_REL_ERROR (1.0 / (2 << NLOG__HIST_SUB_BITS))

typedef struct nlog__hist {
    uint64_t *bins; /* sorted: bin index << 48 | count */
    uint32_t len;   /* used words */
    uint32_t cap;   /* allocated words */
} nlog__hist;

/* The bin of a finite value. */
unsigned nlog__hist_index(double x);
/* The value a bin stands for (its midpoint; 0 for the zero bin). */
double nlog__hist_value(unsigned index);

/* Adds `n` samples to bin `index`. Returns the change of the allocation in
 * bytes (>= 0), or -1 if it could not grow (nothing changed). `limit` is
 * the most bytes the allocation may grow by (the memory cap's room). */
long nlog__hist_add(nlog__hist *h, unsigned index, uint64_t n, size_t limit);
/* Makes sure a later nlog__hist_add(h, index, n, 0) cannot need to grow.
 * Returns the bytes the allocation grew by (>= 0), or -1 (nothing changed)
 * if that would exceed `limit` or memory ran out. */
long nlog__hist_reserve(nlog__hist *h, unsigned index, size_t limit);
/* Bytes allocated. */
size_t nlog__hist_bytes(const nlog__hist *h);
void nlog__hist_free(nlog__hist *h);

/* Adds every bin of `h` into a dense array of NLOG__HIST_BINS counts. */
void nlog__hist_merge_dense(const nlog__hist *h, uint64_t *dense);

/* The nearest-rank q-quantile (0 < q <= 1) of `total` samples counted in
 * `dense`, clamped to [min, max]; the first and last ranks are min and max
 * exactly. */
double nlog__hist_quantile(const uint64_t *dense, uint64_t total, double q, double min,
                           double max);

#endif /* NLOG_PERF_HIST_H */
