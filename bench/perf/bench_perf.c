/* bench_perf.c: what recording a performance sample and running a timer
 * cost the calling thread, next to raw baselines (a clock read, an atomic
 * add) and to prometheus-cpp, all measured in the same run.
 *
 * Method: each row runs its loop in bursts of BURST calls; only the loop is
 * timed (clock_gettime around the burst). Between bursts nlog_perf_flush()
 * lets the aggregation thread drain (not timed), so a sample is never
 * dropped for a full buffer: the benchmark checks that samples_dropped did
 * not move. The figure is ns per call, the median of REPS repetitions of
 * BURSTS bursts; the runs of the rows are interleaved so drift of the
 * machine falls on all of them alike. Prints one Markdown table.
 *
 * Usage: nlog_bench_perf [--reps N] [--bursts N]   (scripts/bench-perf.sh)
 *        nlog_bench_perf --cg N    runs each one-thread loop twice with N calls, for
 *                                  valgrind --tool=callgrind --toggle-collect=loop_*
 *                                  (the script turns the counts into instructions per call)
 *        nlog_bench_perf --cg-table FILE N   prints the table of a run with those
 *                                  counts added (FILE: "function count" lines) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nlog/nlog.h>

#define BURST 4096

long long peer_prom_histogram(int n, int seed);
long long peer_prom_summary(int n, int seed);
long long peer_prom_histogram_by_labels(int n, int seed);
long long peer_prom_counter(int n, int seed);
long long peer_prom_timer(int n, int seed);
void peer_prom_setup(void);

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Keeps the compiler from dropping loops whose results are unused. */
static volatile long long sink;
static uint64_t atomic_counter;
static nlog_metric *handle;

__attribute__((noinline)) static long long loop_clock(int n, int seed)
{
    long long t0 = now_ns(), acc = seed;
    for (int i = 0; i < n; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        acc += ts.tv_nsec;
    }
    long long d = now_ns() - t0;
    sink = acc;
    return d;
}

__attribute__((noinline)) static long long loop_two_clocks(int n, int seed)
{
    long long t0 = now_ns(), acc = seed;
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        clock_gettime(CLOCK_MONOTONIC, &b);
        acc += b.tv_nsec - a.tv_nsec;
    }
    long long d = now_ns() - t0;
    sink = acc;
    return d;
}

__attribute__((noinline)) static long long loop_atomic(int n, int seed)
{
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        __atomic_fetch_add(&atomic_counter, (uint64_t) (i + seed) & 7, __ATOMIC_RELAXED);
    return now_ns() - t0;
}

__attribute__((noinline)) static long long loop_record_plain(int n, int seed)
{
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        (void) nlog_record_metric("response_size", (i + seed) & 1023, "bytes");
    return now_ns() - t0;
}

__attribute__((noinline)) static long long loop_record_tags(int n, int seed)
{
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        (void) nlog_record_metric("response_time", 0.001 * ((i + seed) & 1023), "seconds",
                                  NLOG_TAG("endpoint", "/api/users"), NLOG_TAG("method", "GET"));
    return now_ns() - t0;
}

__attribute__((noinline)) static long long loop_observe(int n, int seed)
{
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        (void) nlog_metric_observe(handle, 0.001 * ((i + seed) & 1023));
    return now_ns() - t0;
}

__attribute__((noinline)) static long long loop_counter(int n, int seed)
{
    (void) seed;
    long long t0 = now_ns();
    for (int i = 0; i < n; i++)
        (void) nlog_counter_add("requests", 1, "requests", NLOG_TAG("endpoint", "/api/users"));
    return now_ns() - t0;
}

__attribute__((noinline)) static long long loop_timer(int n, int seed)
{
    (void) seed;
    nlog_tag tags[] = {{"table", "users"}};
    long long t0 = now_ns();
    for (int i = 0; i < n; i++) {
        nlog_timer t;
        nlog_timer_start(&t, "database_query", tags, 1);
        (void) nlog_timer_stop(&t);
    }
    return now_ns() - t0;
}

__attribute__((noinline)) static long long loop_timed_block(int n, int seed)
{
    long long t0 = now_ns(), acc = seed;
    for (int i = 0; i < n; i++) {
        NLOG_TIMED("database_query", NLOG_TAG("table", "users")) {
            acc++;
        }
    }
    long long d = now_ns() - t0;
    sink = acc;
    return d;
}

typedef long long (*loop_fn)(int n, int seed);

typedef struct row {
    const char *group;   /* "sample", "timer" */
    const char *name;
    loop_fn fn;
    int threads;         /* 1 or 2 */
    int nlog;            /* 1: an nlog row (flush between bursts, drops checked) */
    int reference;       /* 1: the row ratios of its group refer to */
    double target_ns;    /* 0: none */
    double *reps;        /* ns per call of each repetition */
} row;

static int reps = 9, bursts = 50;
static long cg_calls;         /* --cg: calls per loop */
static const char *cg_file;   /* --cg-table: instruction counts per loop function */

/* Loop functions as callgrind names them, in row order (NULL: two threads). */
static const char *const cg_names[] = {
    "loop_clock", "loop_atomic", "loop_record_plain", "loop_record_tags", "loop_observe",
    "loop_counter", "peer_prom_histogram", "peer_prom_summary", "peer_prom_histogram_by_labels",
    "peer_prom_counter", NULL, NULL, "loop_two_clocks", "loop_timer", "loop_timed_block",
    "peer_prom_timer"};

/* Instructions per call of `fn` from the --cg-table file, or -1. */
static double cg_per_call(const char *fn)
{
    if (!cg_file || !fn)
        return -1;
    FILE *f = fopen(cg_file, "r");
    if (!f)
        return -1;
    char name[128];
    double count;
    double found = -1;
    while (fscanf(f, "%127s %lf", name, &count) == 2)
        if (strcmp(name, fn) == 0)
            found = count / (2.0 * (double) cg_calls); /* --cg runs each loop twice */
    fclose(f);
    return found;
}

typedef struct thread_arg {
    row *r;
    pthread_barrier_t *bar;
    long long total;
    int id;
} thread_arg;

static void *run_thread(void *p)
{
    thread_arg *a = p;
    a->total = 0;
    for (int b = 0; b < bursts; b++) {
        pthread_barrier_wait(a->bar);
        a->total += a->r->fn(BURST, b * 7 + a->id);
        pthread_barrier_wait(a->bar);
        if (a->r->nlog && a->id == 0)
            (void) nlog_perf_flush();
    }
    return NULL;
}

static double run_row(row *r)
{
    if (r->threads == 1) {
        long long total = 0;
        for (int b = 0; b < bursts; b++) {
            total += r->fn(BURST, b * 7);
            if (r->nlog)
                (void) nlog_perf_flush();
        }
        return (double) total / ((double) bursts * BURST);
    }
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t t[2];
    thread_arg a[2];
    for (int i = 0; i < 2; i++) {
        a[i] = (thread_arg){.r = r, .bar = &bar, .id = i};
        pthread_create(&t[i], NULL, run_thread, &a[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&bar);
    /* each thread's own time per call, averaged */
    return (double) (a[0].total + a[1].total) / 2.0 / ((double) bursts * BURST);
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *) x, b = *(const double *) y;
    return (a > b) - (a < b);
}

static double median(double *v, int n)
{
    double *c = malloc((size_t) n * sizeof *c);
    memcpy(c, v, (size_t) n * sizeof *c);
    qsort(c, (size_t) n, sizeof *c, cmp_d);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

static void fmt_ns(char *buf, size_t size, double ns)
{
    if (ns < 10)
        snprintf(buf, size, "%.2f ns", ns);
    else if (ns < 100)
        snprintf(buf, size, "%.1f ns", ns);
    else
        snprintf(buf, size, "%.0f ns", ns);
}

int main(int argc, char **argv)
{
    int cg_run = 0;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0) {
            reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--bursts") == 0) {
            bursts = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--cg") == 0) {
            cg_calls = atol(argv[++i]);
            cg_run = 1;
        } else if (strcmp(argv[i], "--cg-table") == 0 && i + 2 < argc) {
            cg_file = argv[++i];
            cg_calls = atol(argv[++i]);
        }
    }
    if ((cg_run || cg_file) && (cg_calls < 1 || cg_calls > 1000000)) {
        fprintf(stderr, "nlog_bench_perf: --cg N takes 1 to 1000000 calls\n");
        return 2;
    }
    if (reps < 1 || bursts < 1) {
        fprintf(stderr, "usage: nlog_bench_perf [--reps N] [--bursts N]\n");
        return 2;
    }
    nlog_config cfg;
    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    cfg.console_enabled = 0;
    cfg.file_enabled = 0;
    cfg.performance_record_every = 0;           /* records are the aggregator's work */
    cfg.performance_buffer_size = 8 * 1024 * 1024;
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "nlog_init: %s\n", nlog_errmsg());
        return 1;
    }
    nlog_tag tags[] = {{"endpoint", "/api/users"}, {"method", "GET"}};
    if (nlog_metric_get("response_time_h", NLOG_METRIC_VALUE, "seconds", tags, 2, &handle) !=
        NLOG_OK) {
        fprintf(stderr, "nlog_metric_get: %s\n", nlog_errmsg());
        return 1;
    }
    peer_prom_setup();

    row rows[] = {
        {"sample", "clock_gettime(CLOCK_MONOTONIC) alone (baseline)", loop_clock, 1, 0, 0, 0, 0},
        {"sample", "relaxed atomic fetch_add (baseline)", loop_atomic, 1, 0, 0, 0, 0},
        {"sample", "nlog_record_metric, no tag", loop_record_plain, 1, 1, 0, 100, 0},
        {"sample", "nlog_record_metric, 2 tags", loop_record_tags, 1, 1, 1, 100, 0},
        {"sample", "nlog_metric_observe (handle, 2 tags)", loop_observe, 1, 1, 0, 100, 0},
        {"sample", "nlog_counter_add, 1 tag", loop_counter, 1, 1, 0, 100, 0},
        {"sample", "prometheus-cpp Histogram::Observe (handle)", peer_prom_histogram, 1, 0, 0, 0, 0},
        {"sample", "prometheus-cpp Summary::Observe (handle)", peer_prom_summary, 1, 0, 0, 0, 0},
        {"sample", "prometheus-cpp Family::Add(2 labels) + Observe", peer_prom_histogram_by_labels,
         1, 0, 0, 0, 0},
        {"sample", "prometheus-cpp Counter::Increment (handle)", peer_prom_counter, 1, 0, 0, 0, 0},
        {"sample", "nlog_record_metric, 2 tags, 2 threads", loop_record_tags, 2, 1, 0, 100, 0},
        {"sample", "prometheus-cpp Histogram::Observe, 2 threads", peer_prom_histogram, 2, 0, 0, 0,
         0},
        {"timer", "two clock_gettime reads (the floor of any timer)", loop_two_clocks, 1, 0, 0, 0,
         0},
        {"timer", "nlog_timer_start + nlog_timer_stop, 1 tag", loop_timer, 1, 1, 1, 0, 0},
        {"timer", "NLOG_TIMED block, 1 tag, empty body", loop_timed_block, 1, 1, 0, 0, 0},
        {"timer", "prometheus-cpp: two clock reads + Histogram::Observe", peer_prom_timer, 1, 0, 0,
         0, 0},
    };
    size_t n_rows = sizeof rows / sizeof rows[0];
    _Static_assert(sizeof rows / sizeof rows[0] == sizeof cg_names / sizeof cg_names[0],
                   "one callgrind name per row");
    if (cg_run) { /* each one-thread loop once, under callgrind; nothing printed */
        for (size_t i = 0; i < n_rows; i++) {
            if (rows[i].threads != 1)
                continue;
            for (int k = 0; k < 2; k++) { /* the first time also creates the ring and series */
                (void) rows[i].fn((int) cg_calls, k);
                (void) nlog_perf_flush();
            }
        }
        nlog_shutdown();
        return 0;
    }
    for (size_t i = 0; i < n_rows; i++)
        rows[i].reps = calloc((size_t) reps, sizeof(double));

    nlog_perf_counters before = {.struct_size = sizeof before}, after = {.struct_size = sizeof after};
    if (nlog_perf_stats(&before) != NLOG_OK)
        return 1;
    for (size_t i = 0; i < n_rows; i++) /* warm-up: first rings, first series, page faults */
        (void) run_row(&rows[i]);
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < n_rows; i++)
            rows[i].reps[r] = run_row(&rows[i]);
    (void) nlog_perf_flush();
    if (nlog_perf_stats(&after) != NLOG_OK)
        return 1;
    uint64_t dropped = after.samples_dropped - before.samples_dropped;

    printf("Measured with %d repetitions of %d bursts of %d calls per row (median shown); "
           "samples dropped during the run: %llu.\n\n",
           reps, bursts, BURST, (unsigned long long) dropped);
    printf("| measure | target | ns per call (median) | spread (min–max) | × the nlog reference "
           "row | instructions per call |\n|---|---|---|---|---|---|\n");
    for (size_t g = 0; g < 2; g++) {
        const char *group = g == 0 ? "sample" : "timer";
        double ref = 0;
        for (size_t i = 0; i < n_rows; i++)
            if (strcmp(rows[i].group, group) == 0 && rows[i].reference)
                ref = median(rows[i].reps, reps);
        for (size_t i = 0; i < n_rows; i++) {
            row *r = &rows[i];
            if (strcmp(r->group, group) != 0)
                continue;
            double m = median(r->reps, reps), lo = r->reps[0], hi = r->reps[0];
            for (int k = 1; k < reps; k++) {
                lo = r->reps[k] < lo ? r->reps[k] : lo;
                hi = r->reps[k] > hi ? r->reps[k] : hi;
            }
            char ms[32], los[32], his[32], tgt[48] = "—";
            fmt_ns(ms, sizeof ms, m);
            fmt_ns(los, sizeof los, lo);
            fmt_ns(his, sizeof his, hi);
            if (r->target_ns > 0)
                snprintf(tgt, sizeof tgt, "≤ %.0f ns", r->target_ns);
            const char *mark = r->target_ns > 0 ? (m <= r->target_ns ? " **met**" : " **missed**") : "";
            double ins = cg_per_call(cg_names[i]);
            char inss[32] = "—";
            if (ins >= 0)
                snprintf(inss, sizeof inss, "%.0f", ins);
            printf("| %s | %s | %s%s | %s – %s | %.2f× | %s |\n", r->name, tgt, ms, mark, los,
                   his, ref > 0 ? m / ref : 0.0, inss);
        }
    }
    if (dropped)
        fprintf(stderr, "bench-perf: warning: %llu samples were dropped (full buffers); the nlog "
                        "figures include the cheaper drop path\n",
                (unsigned long long) dropped);
    nlog_shutdown();
    return 0;
}
