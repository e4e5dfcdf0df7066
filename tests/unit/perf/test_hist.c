/* test_hist.c: the log-linear histogram (src/perf/hist.c): bin order, the
 * documented relative error of a bin's value, merging, and percentiles
 * against exact nearest-rank values on known data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "perf/hist.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* Exact nearest-rank quantile of sorted v[0..n). */
static double exact_q(const double *v, size_t n, double q)
{
    double r = ceil(q * (double) n);
    size_t rank = r < 1 ? 1 : (size_t) r;
    return v[rank - 1];
}

static void assert_rel(double got, double want, double tol)
{
    double err = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
    if (!(err <= tol))
        fail_msg("got %.17g, want %.17g (relative error %.3g > %.3g)", got, want, err, tol);
}

/* Bins are ordered like their values, over the whole range. */
static void test_bins_are_ordered(void **state)
{
    (void) state;
    double prev = -INFINITY;
    unsigned prev_bin = 0;
    for (double x = -1e16; x < 1e16;) {
        unsigned b = nlog__hist_index(x);
        assert_true(b < NLOG__HIST_BINS);
        if (x > prev)
            assert_true(b >= prev_bin);
        prev_bin = b;
        prev = x;
        double step = fabs(x) * 0.003 + 1e-15;
        x += step;
    }
    assert_int_equal(nlog__hist_index(0.0), NLOG__HIST_ZERO);
    assert_int_equal(nlog__hist_index(-0.0), NLOG__HIST_ZERO);
    assert_int_equal(nlog__hist_index(1e-13), NLOG__HIST_ZERO);
    assert_true(nlog__hist_index(1e-12) > NLOG__HIST_ZERO);
    assert_true(nlog__hist_index(-1e-12) < NLOG__HIST_ZERO);
    assert_int_equal(nlog__hist_index(1e300), NLOG__HIST_BINS - 1);
    assert_int_equal(nlog__hist_index(-1e300), 0);
    assert_true(nlog__hist_value(NLOG__HIST_ZERO) == 0.0);
}

/* The documented bound: within [2^-40, 2^50) a bin's value is within 1/128
 * of every value in the bin. Checked on a dense deterministic sweep. */
static void test_relative_error_bound(void **state)
{
    (void) state;
    assert_true(NLOG__HIST_REL_ERROR == 1.0 / 128);
    double worst = 0;
    unsigned seed = 12345;
    for (int i = 0; i < 2000000; i++) {
        seed = seed * 1103515245u + 12345u;
        double e = -40 + 90.0 * (double) (seed >> 8) / (double) (1u << 24);
        double x = pow(2.0, e);
        if (x < 0x1p-40 || x >= 0x1p50)
            continue;
        double sign = (i & 1) ? -1.0 : 1.0;
        double v = nlog__hist_value(nlog__hist_index(sign * x));
        double err = fabs(v - sign * x) / x;
        if (err > worst)
            worst = err;
    }
    assert_true(worst <= NLOG__HIST_REL_ERROR);
    assert_true(worst > NLOG__HIST_REL_ERROR * 0.9); /* the bound is tight, not loose */
    /* Exact powers of two land at the bottom of their bin. */
    assert_rel(nlog__hist_value(nlog__hist_index(1.0)), 1.0, NLOG__HIST_REL_ERROR);
    assert_rel(nlog__hist_value(nlog__hist_index(0.045)), 0.045, NLOG__HIST_REL_ERROR);
}

static void add_all(nlog__hist *h, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_true(nlog__hist_add(h, nlog__hist_index(v[i]), 1, SIZE_MAX) >= 0);
}

static void check_quantiles(double *v, size_t n, const char *what)
{
    nlog__hist h = {0};
    add_all(&h, v, n);
    uint64_t *dense = calloc(NLOG__HIST_BINS, sizeof *dense);
    assert_non_null(dense);
    nlog__hist_merge_dense(&h, dense);
    qsort(v, n, sizeof *v, cmp_double);
    static const double qs[] = {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double got = nlog__hist_quantile(dense, n, qs[i], v[0], v[n - 1]);
        double want = exact_q(v, n, qs[i]);
        double err = want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
        if (!(err <= NLOG__HIST_REL_ERROR || (fabs(want) < 0x1p-40 && fabs(got) < 0x1p-40)))
            fail_msg("%s: q%.3f: got %.17g, exact %.17g (error %.4f%%)", what, qs[i], got, want,
                     100 * err);
    }
    /* q = 1 is the exact maximum (clamped) */
    assert_true(nlog__hist_quantile(dense, n, 1.0, v[0], v[n - 1]) == v[n - 1]);
    free(dense);
    nlog__hist_free(&h);
}

/* Percentiles from the histogram against exact values on known data. */
static void test_quantiles_on_known_data(void **state)
{
    (void) state;
    size_t n = 100000;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) /* uniform 1..100000 */
        v[i] = (double) (i + 1);
    check_quantiles(v, n, "uniform");
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++) { /* latencies: a long tail, 0.1 ms .. ~10 s */
        seed = seed * 1664525u + 1013904223u;
        double u = ((double) (seed >> 8) + 0.5) / (double) (1u << 24);
        v[i] = 0.0001 * exp(11.5 * u * u);
    }
    check_quantiles(v, n, "long tail");
    for (size_t i = 0; i < n; i++) /* signed values around zero, zeros included */
        v[i] = (double) ((long) (i % 2001) - 1000) * 0.5;
    check_quantiles(v, n, "signed");
    for (size_t i = 0; i < n; i++) /* one repeated value */
        v[i] = 2.5;
    check_quantiles(v, n, "constant");
    free(v);
}

/* Merging two histograms equals the histogram of all the samples. */
static void test_merge_equals_union(void **state)
{
    (void) state;
    nlog__hist a = {0}, b = {0}, all = {0};
    for (int i = 0; i < 5000; i++) {
        double x = 0.001 * (i % 977) + (i % 3 ? 10 : -3);
        nlog__hist *h = i % 2 ? &a : &b;
        assert_true(nlog__hist_add(h, nlog__hist_index(x), 1, SIZE_MAX) >= 0);
        assert_true(nlog__hist_add(&all, nlog__hist_index(x), 1, SIZE_MAX) >= 0);
    }
    uint64_t *d1 = calloc(NLOG__HIST_BINS, sizeof *d1), *d2 = calloc(NLOG__HIST_BINS, sizeof *d2);
    nlog__hist_merge_dense(&a, d1);
    nlog__hist_merge_dense(&b, d1);
    nlog__hist_merge_dense(&all, d2);
    assert_memory_equal(d1, d2, NLOG__HIST_BINS * sizeof *d1);
    /* sparse storage stays sorted and holds each bin once */
    for (uint32_t i = 1; i < all.len; i++)
        assert_true((all.bins[i] >> 48) > (all.bins[i - 1] >> 48));
    free(d1);
    free(d2);
    nlog__hist_free(&a);
    nlog__hist_free(&b);
    nlog__hist_free(&all);
}

/* Growth respects the byte limit it is given, and reserve makes the next
 * add allocation-free. */
static void test_growth_limit(void **state)
{
    (void) state;
    nlog__hist h = {0};
    assert_int_equal(nlog__hist_add(&h, 10, 1, 0), -1); /* no room for the first words */
    assert_int_equal(h.len, 0);
    assert_true(nlog__hist_reserve(&h, 10, 4096) > 0);
    size_t cap = h.cap;
    for (unsigned i = 0; i < cap; i++)
        assert_true(nlog__hist_add(&h, 10 + i, 1, 0) == 0);
    assert_int_equal(nlog__hist_add(&h, 5000, 1, 0), -1); /* full, no room */
    assert_int_equal(nlog__hist_add(&h, 10, 7, 0), 0);     /* an existing bin needs none */
    uint64_t *d = calloc(NLOG__HIST_BINS, sizeof *d);
    nlog__hist_merge_dense(&h, d);
    assert_int_equal(d[10], 8);
    free(d);
    assert_int_equal(nlog__hist_bytes(&h), cap * sizeof(uint64_t));
    nlog__hist_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bins_are_ordered),
        cmocka_unit_test(test_relative_error_bound),
        cmocka_unit_test(test_quantiles_on_known_data),
        cmocka_unit_test(test_merge_equals_union),
        cmocka_unit_test(test_growth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
