// peer_prometheus.cpp: the prometheus-cpp side of bench/perf. Each loop is
// timed here, around the library's own calls, with the same clock and the
// same value sequence as the nlog loops in bench_perf.c.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <ctime>
#include <memory>

namespace {

std::shared_ptr<prometheus::Registry> registry;
prometheus::Histogram *hist;
prometheus::Summary *summary;
prometheus::Counter *counter;
prometheus::Family<prometheus::Histogram> *hist_family;

long long now_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

const prometheus::Histogram::BucketBoundaries buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10};

} // namespace

extern "C" {

void peer_prom_setup(void)
{
    registry = std::make_shared<prometheus::Registry>();
    hist_family = &prometheus::BuildHistogram().Name("response_time").Register(*registry);
    hist = &hist_family->Add({{"endpoint", "/api/users"}}, buckets);
    auto &sf = prometheus::BuildSummary().Name("response_time_summary").Register(*registry);
    summary = &sf.Add({{"endpoint", "/api/users"}},
                      prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}});
    auto &cf = prometheus::BuildCounter().Name("requests_total").Register(*registry);
    counter = &cf.Add({{"endpoint", "/api/users"}});
}

/* Histogram::Observe on a labelled child looked up once (a handle). */
__attribute__((noinline)) long long peer_prom_histogram(int n, int seed)
{
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        hist->Observe(0.001 * ((i + seed) & 1023));
    return now_ns() - t0;
}

/* Summary::Observe (quantiles over a sliding window, under a mutex). */
__attribute__((noinline)) long long peer_prom_summary(int n, int seed)
{
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        summary->Observe(0.001 * ((i + seed) & 1023));
    return now_ns() - t0;
}

/* Family::Add with the labels on every call, then Observe: what recording
 * by name and tags costs with prometheus-cpp. */
__attribute__((noinline)) long long peer_prom_histogram_by_labels(int n, int seed)
{
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        hist_family->Add({{"endpoint", "/api/users"}, {"method", "GET"}}, buckets)
            .Observe(0.001 * ((i + seed) & 1023));
    return now_ns() - t0;
}

__attribute__((noinline)) long long peer_prom_counter(int n, int seed)
{
    (void) seed;
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        counter->Increment();
    return now_ns() - t0;
}

/* What a timer costs with prometheus-cpp: two clock reads and an Observe. */
__attribute__((noinline)) long long peer_prom_timer(int n, int seed)
{
    (void) seed;
    long long t0 = now_ns();
    for (int i = 0; i < n; i++) {
        long long a = now_ns();
        hist->Observe((double) (now_ns() - a) / 1e9);
    }
    return now_ns() - t0;
}

} // extern "C"
