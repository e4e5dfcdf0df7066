/* test_window.c: windows, rollups and trends over the fake clock
 * (src/perf/window.c, query.c, store.c): exact windows from raw samples,
 * windows that need minute and hour rollups, percentiles against exact
 * values, trends (rising, falling, stable, change against the previous
 * window), tag filters across series, and the memory and series caps with
 * their counted evictions and drops. */
#include <math.h>
#include <stdlib.h>

#include "perf_util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double exact_q(const double *sorted, size_t n, double q)
{
    double r = ceil(q * (double) n);
    return sorted[(r < 1 ? 1 : (size_t) r) - 1];
}

static void start(int raw, int64_t mem)
{
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    cfg.performance_raw_samples = raw;
    if (mem)
        cfg.performance_history_memory = mem;
    pu_start(NULL, &cfg);
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    tu_clock_real();
    return 0;
}

/* A window inside the raw ring is exact: only its samples, exact stats,
 * percentiles within the documented error of the exact ones. */
static void test_exact_window(void **state)
{
    (void) state;
    start(100000, 0);
    double vals[600], recent[300];
    unsigned seed = 99;
    for (int k = 0; k < 600; k++) { /* one sample a second for 10 minutes */
        if (k)
            tu_clock_advance(PU_S);
        seed = seed * 1664525u + 1013904223u;
        vals[k] = 0.001 + 2.0 * ((double) (seed >> 8) / (double) (1u << 24));
        assert_int_equal(nlog_record_metric("response_time", vals[k], "seconds"), NLOG_OK);
        if (k >= 300)
            recent[k - 300] = vals[k];
    }
    nlog_perf_summary s = pu_summary("response_time", NULL, 0, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 300); /* (now - 5 min, now]: samples 300..599 */
    assert_int_equal(s.exact, 1);
    qsort(recent, 300, sizeof recent[0], cmp_double);
    double sum = 0;
    for (int i = 0; i < 300; i++)
        sum += recent[i];
    assert_true(fabs(s.sum - sum) < 1e-9);
    assert_true(s.min == recent[0] && s.max == recent[299]);
    assert_true(fabs(s.mean - sum / 300) < 1e-12);
    const double q[4] = {0.5, 0.9, 0.95, 0.99};
    const double got[4] = {s.p50, s.p90, s.p95, s.p99};
    for (int i = 0; i < 4; i++) {
        double want = exact_q(recent, 300, q[i]);
        if (fabs(got[i] - want) / want > 1.0 / 128)
            fail_msg("p%.0f: %.9g vs exact %.9g", q[i] * 100, got[i], want);
    }
    assert_true(fabs(s.per_second - 1.0) < 0.01);
    /* a window ending in the past */
    nlog_perf_query qy;
    nlog_perf_query_init(&qy);
    qy.metric = "response_time";
    qy.window_ns = 60 * PU_S;
    qy.end_ns = PU_T0 + 119 * PU_S; /* samples 60..119 */
    assert_int_equal(nlog_perf_query_run(&qy, &s, NULL), NLOG_OK);
    assert_int_equal(s.count, 60);
    assert_true(s.min == vals[60] || s.min <= vals[60]);
    double mn = vals[60];
    for (int k = 60; k < 120; k++)
        mn = vals[k] < mn ? vals[k] : mn;
    assert_true(s.min == mn);
}

/* With only 16 raw samples kept, older parts of a window come from minute
 * rollups (whole minutes), and beyond 24 hours from hour rollups. */
static void test_rollups(void **state)
{
    (void) state;
    start(16, 0);
    for (int k = 0; k < 600; k++) {
        if (k)
            tu_clock_advance(PU_S);
        assert_int_equal(nlog_gauge_set("queue_depth", k / 60, "jobs"), NLOG_OK);
    }
    nlog_perf_summary s = pu_summary("queue_depth", NULL, 0, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 300); /* minutes 5..9, the open one included */
    assert_int_equal(s.exact, 0);
    assert_true(s.start_ns == PU_T0 + 5 * PU_MIN);
    assert_true(s.min == 5 && s.max == 9 && s.sum == 60.0 * (5 + 6 + 7 + 8 + 9));
    /* a window not on minute boundaries is rounded inward */
    s = pu_summary("queue_depth", NULL, 0, 150 * PU_S, NULL);
    assert_true(s.start_ns == PU_T0 + 8 * PU_MIN);
    assert_int_equal(s.count, 120);
    nlog_shutdown();

    /* 26 hours, one sample a minute: the minute history keeps 24 hours */
    start(16, 0);
    for (int k = 0; k < 1560; k++) {
        if (k)
            tu_clock_advance(PU_MIN);
        assert_int_equal(nlog_record_metric("daily", k, "count"), NLOG_OK);
    }
    s = pu_summary("daily", NULL, 0, 1560 * PU_MIN, NULL);
    assert_int_equal(s.count, 1560); /* hours 0-1, minutes 120.., raw for the last 16 */
    /* covered from the window's start: before PU_T0 there was nothing */
    assert_true(s.start_ns == PU_T0 + 1559 * PU_MIN + 1 - 1560 * PU_MIN);
    assert_true(s.sum == 1559.0 * 1560 / 2);
    assert_true(s.min == 0 && s.max == 1559);
    /* the median from the merged rollup histograms, within the bound */
    assert_true(fabs(s.p50 - 779) / 779 <= 1.0 / 128);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.evicted_rollups, 0); /* aged out, not evicted */
}

/* Generates `minutes` minutes of `per_minute` samples of `latency` for
 * `endpoints` series (value: the minute's index), at sub-minute offsets, and
 * then checks many windows of series /e/3: the summary's count and sum are
 * exactly those of the samples inside [start_ns, end_ns] — no hole, nothing
 * counted twice, the covered span honest — whatever the raw ring size and
 * the evictions. These are the review's cases: 1530 minutes at one sample a
 * minute with 16 raw samples (minutes 60..89 went missing), a 1 MiB cap
 * (most of the history went missing) and 128 raw samples with evictions
 * (raw samples and hour rollups were both counted). */
static void check_windows(int raw, int64_t mem, int endpoints, int minutes, int per_minute)
{
    start(raw, mem);
    char ep[32];
    int64_t step = PU_MIN / per_minute, offset = 7 * PU_S % step;
    for (int m = 0; m < minutes; m++) {
        for (int j = 0; j < per_minute; j++) {
            tu_clock_fake(PU_T0 + m * PU_MIN + offset + j * step, PU_MONO0 + m * PU_MIN + offset + j * step);
            for (int e = 0; e < endpoints; e++) {
                snprintf(ep, sizeof ep, "/e/%d", e);
                assert_int_equal(nlog_record_metric("latency", m, "ms", NLOG_TAG("endpoint", ep)),
                                 NLOG_OK);
            }
        }
        assert_int_equal(nlog_perf_flush(), NLOG_OK);
    }
    int64_t now = PU_T0 + (minutes - 1) * PU_MIN + offset + (per_minute - 1) * step;
    static const int64_t lengths[] = {7 * PU_MIN + 13 * PU_S, 30 * PU_MIN, 61 * PU_MIN,
                                      2 * 60 * PU_MIN, 3 * 60 * PU_MIN + PU_S, 26 * 60 * PU_MIN};
    const int64_t ends[] = {0, now - 17 * PU_MIN - 5 * PU_S, now - 90 * PU_MIN};
    char mine[32];
    snprintf(mine, sizeof mine, "/e/%d", endpoints > 3 ? 3 : endpoints - 1);
    nlog_tag t[] = {{"endpoint", mine}};
    int covered_somewhere = 0;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        for (size_t ei = 0; ei < sizeof ends / sizeof ends[0]; ei++) {
            nlog_perf_query q;
            nlog_perf_query_init(&q);
            q.metric = "latency";
            q.tags = t;
            q.n_tags = 1;
            q.window_ns = lengths[li];
            q.end_ns = ends[ei];
            nlog_perf_summary s;
            assert_int_equal(nlog_perf_query_run(&q, &s, NULL), NLOG_OK);
            int64_t t1 = (ends[ei] ? ends[ei] : now) + 1, t0 = t1 - lengths[li];
            assert_true(s.start_ns >= t0 && s.end_ns <= t1 - 1);
            uint64_t want = 0;
            double want_sum = 0;
            for (int m = 0; m < minutes; m++)
                for (int j = 0; j < per_minute; j++) {
                    int64_t ts = PU_T0 + m * PU_MIN + offset + j * step;
                    if (ts >= s.start_ns && ts <= s.end_ns) {
                        want++;
                        want_sum += m;
                    }
                }
            if (s.count != want || s.sum != want_sum)
                fail_msg("raw %d, cap %lld, window %lld s ending %lld s before now: count %llu sum "
                         "%.17g over [%+lld s, %+lld s], want %llu sum %.17g",
                         raw, (long long) mem, (long long) (lengths[li] / PU_S),
                         (long long) ((now - (t1 - 1)) / PU_S), (unsigned long long) s.count,
                         s.sum, (long long) ((s.start_ns - PU_T0) / PU_S),
                         (long long) ((s.end_ns - PU_T0) / PU_S), (unsigned long long) want,
                         want_sum);
            covered_somewhere |= s.count > 0;
        }
    }
    assert_true(covered_somewhere);
    nlog_shutdown();
}

static void test_windows_have_no_holes(void **state)
{
    (void) state;
    /* 1530 minutes, 1 a minute, 16 raw: hours 0-1, minutes from 2 h, raw at the end */
    check_windows(16, 0, 1, 1530, 1);
    nlog_perf_summary s;
    start(16, 0);
    for (int k = 0; k < 1530; k++) {
        if (k)
            tu_clock_advance(PU_MIN);
        assert_int_equal(nlog_record_metric("daily", k, "count"), NLOG_OK);
    }
    s = pu_summary("daily", NULL, 0, 1530 * PU_MIN, NULL);
    assert_int_equal(s.count, 1530); /* minutes 60..89 are there (the hour 1 rollup) */
    assert_true(s.start_ns == PU_T0 + 1529 * PU_MIN + 1 - 1530 * PU_MIN);
    nlog_shutdown();
    /* under a 1 MiB cap with 150 series, 4 a minute: minute rollups evicted */
    check_windows(16, 1048576, 150, 140, 4);
    check_windows(128, 1048576, 150, 140, 4);
    check_windows(1024, 1048576, 150, 140, 4); /* raw rings halved by the cap too */
    check_windows(128, 0, 1, 140, 4);
    nlog_perf_counters c = pu_counters();
    assert_true(c.evicted_rollups > 0 && c.evicted_samples > 0);
}

static void line(const char *metric, int n, double slope, double base, double noise)
{
    for (int k = 0; k < n; k++) {
        if (k)
            tu_clock_advance(PU_S);
        double v = base + slope * k + ((k & 1) ? noise : -noise);
        assert_int_equal(nlog_record_metric(metric, v, "ms"), NLOG_OK);
    }
}

static void test_trends(void **state)
{
    (void) state;
    start(100000, 0);
    line("rising", 600, 1.0, 0, 0); /* +1 per second = +60 per minute */
    nlog_perf_trend t;
    nlog_perf_summary s = pu_summary("rising", NULL, 0, 5 * PU_MIN, &t);
    assert_int_equal(s.count, 300);
    assert_int_equal(t.direction, NLOG_TREND_RISING);
    assert_true(fabs(t.slope_per_minute - 60) < 1e-6);
    assert_int_equal(t.previous_count, 300);
    assert_true(fabs(t.previous_mean - 149.5) < 1e-9);
    assert_true(fabs(t.change - 300) < 1e-9);
    assert_true(fabs(t.change_percent - 100 * 300 / 149.5) < 1e-9);
    assert_string_equal(nlog_trend_name(t.direction), "rising");
    nlog_shutdown();

    start(100000, 0);
    line("falling", 600, -0.5, 1000, 0);
    s = pu_summary("falling", NULL, 0, 5 * PU_MIN, &t);
    assert_int_equal(t.direction, NLOG_TREND_FALLING);
    assert_true(fabs(t.slope_per_minute + 30) < 1e-6);
    assert_true(t.change < 0);
    nlog_shutdown();

    /* noise around a level: stable (within 5% of the mean over the window) */
    start(100000, 0);
    line("steady", 600, 0.0, 100, 3);
    s = pu_summary("steady", NULL, 0, 5 * PU_MIN, &t);
    assert_int_equal(t.direction, NLOG_TREND_STABLE);
    assert_true(fabs(t.change) < 1e-9);
    /* a slow drift the threshold calls stable, and a stricter one does not */
    nlog_shutdown();
    start(100000, 0);
    line("drift", 600, 0.01, 100, 0); /* +3 over 5 minutes, 3% of ~103 */
    s = pu_summary("drift", NULL, 0, 5 * PU_MIN, &t);
    assert_int_equal(t.direction, NLOG_TREND_STABLE);
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = "drift";
    q.stable_percent = 1;
    assert_int_equal(nlog_perf_query_run(&q, NULL, &t), NLOG_OK);
    assert_int_equal(t.direction, NLOG_TREND_RISING);
    /* noise around 0 with a negligible drift: stable (the scale is the
     * spread when the mean is near 0), and a real rise is still rising */
    line("near_zero", 600, 0.0001, 0, 1);
    s = pu_summary("near_zero", NULL, 0, 5 * PU_MIN, &t);
    assert_int_equal(t.direction, NLOG_TREND_STABLE);
    line("from_zero", 600, 0.05, -15, 0); /* -15 .. +15 over the 10 minutes */
    s = pu_summary("from_zero", NULL, 0, 10 * PU_MIN, &t);
    assert_int_equal(t.direction, NLOG_TREND_RISING);
    /* one point in time: no trend */
    assert_int_equal(nlog_record_metric("single", 5, "ms"), NLOG_OK);
    s = pu_summary("single", NULL, 0, 5 * PU_MIN, &t);
    assert_int_equal(t.direction, NLOG_TREND_UNKNOWN);
    assert_true(isnan(t.previous_mean) && isnan(t.change));
}

/* A trend across rollups, when the raw ring holds only the end. */
static void test_trend_from_rollups(void **state)
{
    (void) state;
    start(16, 0);
    line("slow_rise", 3600, 1.0 / 60, 10, 0); /* +1 per minute for an hour */
    nlog_perf_trend t;
    nlog_perf_summary s = pu_summary("slow_rise", NULL, 0, 30 * PU_MIN, &t);
    assert_int_equal(s.exact, 0);
    assert_int_equal(t.direction, NLOG_TREND_RISING);
    assert_true(fabs(t.slope_per_minute - 1.0) < 0.01);
    assert_true(fabs(t.change - 30) < 0.5);
}

/* Rollups stand at the middle of their first and last sample: one sample a
 * minute at :05, value = minutes, gives a slope of exactly 1 per minute from
 * raw samples and rollups together (at the bucket's middle, :30, the rollup
 * points would lean), and "stable" is judged over the span the data covers,
 * not the whole window. */
static void test_trend_details(void **state)
{
    (void) state;
    start(16, 0);
    for (int m = 0; m < 60; m++) {
        tu_clock_fake(PU_T0 + m * PU_MIN + 5 * PU_S, PU_MONO0 + m * PU_MIN + 5 * PU_S);
        assert_int_equal(nlog_record_metric("stepped", m, "ms"), NLOG_OK);
    }
    nlog_perf_trend t;
    nlog_perf_summary s = pu_summary("stepped", NULL, 0, 60 * PU_MIN, &t);
    assert_int_equal(s.count, 60);
    assert_int_equal(s.exact, 0);
    if (fabs(t.slope_per_minute - 1.0) > 1e-9)
        fail_msg("slope %.17g per minute", t.slope_per_minute);
    nlog_shutdown();

    /* data in the last 2 minutes of a 60-minute window: +1 over those 2
     * minutes at a level of 100 is 1% (stable at 5%), not 30% of it */
    start(100000, 0);
    for (int k = 0; k <= 120; k++) {
        if (k)
            tu_clock_advance(PU_S);
        assert_int_equal(nlog_record_metric("recent", 100 + k / 120.0, "ms"), NLOG_OK);
    }
    s = pu_summary("recent", NULL, 0, 60 * PU_MIN, &t);
    assert_int_equal(t.direction, NLOG_TREND_STABLE);
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = "recent";
    q.window_ns = 60 * PU_MIN;
    q.stable_percent = 0.5;
    assert_int_equal(nlog_perf_query_run(&q, NULL, &t), NLOG_OK);
    assert_int_equal(t.direction, NLOG_TREND_RISING);
}

/* Arguments that would overflow the window arithmetic are refused. */
static void test_query_bounds(void **state)
{
    (void) state;
    start(1024, 0);
    assert_int_equal(nlog_record_metric("m", 1, NULL), NLOG_OK);
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = "m";
    nlog_perf_summary s;
    nlog_perf_trend t;
    q.window_ns = INT64_MAX;
    assert_int_equal(nlog_perf_query_run(&q, &s, &t), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "window_ns must be 1 .."));
    q.window_ns = NLOG_PERF_WINDOW_MAX;
    assert_int_equal(nlog_perf_query_run(&q, &s, &t), NLOG_OK);
    assert_int_equal(s.count, 1);
    q.window_ns = PU_MIN;
    q.end_ns = INT64_MAX;
    assert_int_equal(nlog_perf_query_run(&q, &s, &t), NLOG_EINVAL);
    q.end_ns = NLOG_PERF_END_MAX;
    q.window_ns = NLOG_PERF_WINDOW_MAX;
    assert_int_equal(nlog_perf_query_run(&q, &s, &t), NLOG_OK);
    nlog_perf_json_opts o;
    nlog_perf_json_opts_init(&o);
    o.window_ns = INT64_MAX;
    char *text = NULL;
    assert_int_equal(nlog_perf_json(&o, &text, NULL), NLOG_EINVAL);
    o.window_ns = NLOG_PERF_WINDOW_MAX;
    assert_int_equal(nlog_perf_json(&o, &text, NULL), NLOG_OK);
    nlog_perf_free(text);
    /* a wall clock far in the future does not overflow either */
    tu_clock_fake(INT64_MAX - 1, PU_MONO0 + PU_S);
    assert_int_equal(nlog_record_metric("m", 2, NULL), NLOG_OK);
    q.end_ns = 0;
    q.window_ns = NLOG_PERF_WINDOW_MAX;
    assert_int_equal(nlog_perf_query_run(&q, &s, &t), NLOG_OK);
    assert_int_equal(nlog_perf_prometheus(&text, NULL), NLOG_OK);
    nlog_perf_free(text);
}

static void test_tag_filters(void **state)
{
    (void) state;
    start(1024, 0);
    nlog_record_metric("response_time", 0.1, "seconds", NLOG_TAG("endpoint", "/a"), NLOG_TAG("method", "GET"));
    nlog_record_metric("response_time", 0.3, "seconds", NLOG_TAG("endpoint", "/a"), NLOG_TAG("method", "POST"));
    nlog_record_metric("response_time", 0.9, "seconds", NLOG_TAG("endpoint", "/b"), NLOG_TAG("method", "GET"));
    nlog_perf_summary s = pu_summary("response_time", NULL, 0, PU_MIN, NULL);
    assert_true(s.count == 3 && s.series == 3 && s.max == 0.9);
    nlog_tag a[] = {{"endpoint", "/a"}};
    s = pu_summary("response_time", a, 1, PU_MIN, NULL);
    assert_true(s.count == 2 && s.series == 2 && s.max == 0.3 && s.min == 0.1);
    nlog_tag get[] = {{"method", "GET"}, {"endpoint", "/b"}};
    s = pu_summary("response_time", get, 2, PU_MIN, NULL);
    assert_true(s.count == 1 && s.max == 0.9);
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = "response_time";
    nlog_tag none[] = {{"endpoint", "/zzz"}};
    q.tags = none;
    q.n_tags = 1;
    assert_int_equal(nlog_perf_query_run(&q, &s, NULL), NLOG_ENOTFOUND);
    q.metric = "no_such_metric";
    q.n_tags = 0;
    assert_int_equal(nlog_perf_query_run(&q, &s, NULL), NLOG_ENOTFOUND);
    q.metric = "bad name";
    assert_int_equal(nlog_perf_query_run(&q, &s, NULL), NLOG_EINVAL);
    q.metric = "response_time";
    q.window_ns = 0;
    assert_int_equal(nlog_perf_query_run(&q, &s, NULL), NLOG_EINVAL);
}

/* The memory cap holds; the oldest rollups go first and are counted; the
 * newest data stays exact. */
static void test_memory_cap(void **state)
{
    (void) state;
    start(16, 1048576);
    char ep[32];
    for (int minute = 0; minute < 120; minute++) {
        for (int e = 0; e < 150; e++) {
            snprintf(ep, sizeof ep, "/api/%d", e);
            for (int j = 0; j < 4; j++) /* four distinct bins per rollup */
                assert_int_equal(nlog_record_metric("latency", 0.001 * (1 + e + 7 * j), "seconds",
                                                    NLOG_TAG("endpoint", ep)),
                                 NLOG_OK);
        }
        tu_clock_advance(PU_MIN);
        assert_int_equal(nlog_perf_flush(), NLOG_OK);
        nlog_perf_counters c = pu_counters();
        if (c.history_bytes > 1048576)
            fail_msg("minute %d: %llu bytes over a 1 MiB cap", minute,
                     (unsigned long long) c.history_bytes);
    }
    nlog_perf_counters c = pu_counters();
    assert_true(c.evicted_rollups > 0);
    assert_int_equal(c.series, 150);
    /* the last minutes are intact; the history before them comes from the
     * hour rollups the cap left (check_windows() checks the counts exactly) */
    nlog_tag t[] = {{"endpoint", "/api/3"}};
    nlog_perf_summary s = pu_summary("latency", t, 1, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 4 * 4); /* (now - 5 min, now]: minutes 116..119 */
    s = pu_summary("latency", t, 1, 120 * PU_MIN, NULL);
    uint64_t want = 0;
    for (int m = 0; m < 120; m++)
        want += PU_T0 + m * PU_MIN >= s.start_ns && PU_T0 + m * PU_MIN <= s.end_ns ? 4 : 0;
    if (s.count != want || s.start_ns <= PU_T0 - PU_MIN)
        fail_msg("count %llu from %+lld s, want %llu", (unsigned long long) s.count,
                 (long long) ((s.start_ns - PU_T0) / PU_S), (unsigned long long) want);
    /* evicted rollups give back their slots: the slot arrays shrink */
    assert_true(c.history_bytes <= 1048576);
}

/* Lowering performance_raw_samples shrinks the rings of existing series. */
static void test_raw_samples_lowered(void **state)
{
    (void) state;
    start(1024, 0);
    for (int k = 0; k < 1000; k++) {
        if (k)
            tu_clock_advance(PU_S);
        assert_int_equal(nlog_record_metric("kept", k, "ms"), NLOG_OK);
    }
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    uint64_t before = pu_counters().history_bytes;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    cfg.performance_raw_samples = 16;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_perf_counters c = pu_counters();
    assert_true(c.history_bytes < before);
    nlog_perf_summary s = pu_summary("kept", NULL, 0, 60 * PU_MIN, NULL);
    assert_int_equal(s.count, 1000); /* the rollups still have them */
    assert_int_equal(s.exact, 0);   /* but the raw ring no longer does */
    s = pu_summary("kept", NULL, 0, 10 * PU_S, NULL);
    assert_int_equal(s.count, 10);
    assert_int_equal(s.exact, 1);
}

/* Beyond performance_max_series, new series are refused and counted; a
 * handle request says why. */
static void test_series_cap(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_max_series = 3;
    cfg.performance_record_every = 0;
    pu_start(NULL, &cfg);
    tu_diag_capture();
    nlog_perf_counters before = pu_counters();
    for (int i = 0; i < 5; i++) {
        char v[8];
        snprintf(v, sizeof v, "%d", i);
        assert_int_equal(nlog_record_metric("m", 1, NULL, NLOG_TAG("i", v)), NLOG_OK);
    }
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.series, 3);
    assert_int_equal(c.samples - before.samples, 3);
    assert_int_equal(c.samples_rejected - before.samples_rejected, 2);
    assert_true(tu_diag_contains("performance_max_series"));
    nlog_metric *m = NULL;
    assert_int_equal(nlog_metric_get("m", NLOG_METRIC_VALUE, NULL, NULL, 0, &m), NLOG_ELIMIT);
    assert_non_null(strstr(nlog_errmsg(), "performance_max_series"));
    nlog_set_diagnostics(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_exact_window, teardown),
        cmocka_unit_test_teardown(test_rollups, teardown),
        cmocka_unit_test_teardown(test_trends, teardown),
        cmocka_unit_test_teardown(test_trend_from_rollups, teardown),
        cmocka_unit_test_teardown(test_tag_filters, teardown),
        cmocka_unit_test_teardown(test_windows_have_no_holes, teardown),
        cmocka_unit_test_teardown(test_trend_details, teardown),
        cmocka_unit_test_teardown(test_query_bounds, teardown),
        cmocka_unit_test_teardown(test_memory_cap, teardown),
        cmocka_unit_test_teardown(test_raw_samples_lowered, teardown),
        cmocka_unit_test_teardown(test_series_cap, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
