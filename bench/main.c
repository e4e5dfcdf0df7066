/* main.c: nlog_bench, the logging benchmark of issue 3.
 *
 * Runs every driver through the same measurements, in the same run
 * directory, and prints one Markdown table (rows: measures; columns: the
 * two NetLink Logging variants, then the peers). Progress goes to stderr,
 * the table to stdout. scripts/bench.sh builds and runs it; docs/PERFORMANCE.md
 * explains the method and the figures.
 *
 * Repeated measurements are interleaved (run 1 of every driver, then run 2,
 * ...) so that slow drift of the machine spreads over all of them; the
 * table shows the median of the runs. Instruction counts are exact and are
 * taken once. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MAX_REPEAT 9
#define BURST      20
#define PERIOD_NS  100000
#define WARMUP     1000

static const bench_driver *const drivers[] = {
    &bench_driver_nlog_sync,   &bench_driver_nlog_async, &bench_driver_spdlog_async,
    &bench_driver_spdlog_sync, &bench_driver_log4c,      &bench_driver_glib,
    &bench_driver_fprintf,
};
#define N_DRIVERS (sizeof drivers / sizeof drivers[0])

typedef struct options {
    uint64_t records;    /* per throughput run */
    int repeat;          /* runs per measure; the median is reported */
    uint64_t bursts;     /* paced bursts per latency run */
    uint64_t saturated;  /* timed calls per saturated run */
    uint64_t cg_calls;   /* calls counted by callgrind */
    int64_t disabled_ns; /* least time spent on disabled calls per run */
    const char *dir;
    const char *valgrind; /* NULL: no instruction counts */
    const char *only;     /* comma-separated driver names, or NULL */
} options;

typedef struct result {
    const bench_driver *d;
    int available;
    char why[128];
    double rate1[MAX_REPEAT], rate2[MAX_REPEAT]; /* records/s */
    double bpr;                                  /* bytes per record */
    bench_pcts paced[MAX_REPEAT], sat[MAX_REPEAT];
    double disabled[MAX_REPEAT]; /* ns */
    int instr_ok;
    double instr;
    char instr_why[128];
} result;

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(void)
{
    fputs("usage: nlog_bench [--records N] [--repeat R] [--bursts N] [--saturated N]\n"
          "                  [--cg-calls N] [--dir DIR] [--valgrind PATH | --no-callgrind]\n"
          "                  [--only NAME,NAME] [--show-lines] [--quick]\n",
          stderr);
    exit(2);
}

static uint64_t parse_u64(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v == 0)
        bench_die("%s wants a positive whole number, not '%s'", opt, s);
    return (uint64_t) v;
}

static int selected(const options *o, const char *name)
{
    if (!o->only)
        return 1;
    size_t len = strlen(name);
    for (const char *p = o->only; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t) (comma - p) : strlen(p);
        if (n == len && !strncmp(p, name, n))
            return 1;
        p += n + (comma != NULL);
    }
    return 0;
}

/* ---- Statistics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double tmp[MAX_REPEAT];
    memcpy(tmp, v, (size_t) n * sizeof *v);
    qsort(tmp, (size_t) n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* Median of one percentile over the runs. */
static double median_pct(const bench_pcts *p, int n, size_t offset)
{
    double v[MAX_REPEAT];
    for (int k = 0; k < n; k++)
        v[k] = *(const double *) (const void *) ((const char *) &p[k] + offset);
    return median(v, n);
}

/* ---- Table ---- */

enum unit { U_RATE, U_MBS, U_NS, U_COUNT, U_BYTES };

typedef struct row {
    const char *label;
    const char *target; /* for NetLink Logging, or "" */
    enum unit unit;
    int higher_better;
    double value[N_DRIVERS];
    int have[N_DRIVERS];
    /* Target check for an nlog column: returns 1 met, 0 missed, -1 cannot
     * tell; may write a note. */
    int (*check)(const struct row *r, size_t col, char *note, size_t note_size);
} row;

static size_t col_spdlog_async = SIZE_MAX, col_spdlog_sync = SIZE_MAX;
static const row *row_rate1;

static void fmt_value(char *out, size_t size, enum unit u, double v)
{
    switch (u) {
    case U_RATE:
        if (v >= 1e6)
            snprintf(out, size, "%.2f M/s", v / 1e6);
        else
            snprintf(out, size, "%.0f k/s", v / 1e3);
        break;
    case U_MBS: snprintf(out, size, "%.1f MB/s", v); break;
    case U_NS:
        if (v < 10)
            snprintf(out, size, "%.1f ns", v);
        else if (v < 1000)
            snprintf(out, size, "%.0f ns", v);
        else if (v < 1e6)
            snprintf(out, size, "%.1f µs", v / 1e3);
        else
            snprintf(out, size, "%.1f ms", v / 1e6);
        break;
    case U_COUNT: snprintf(out, size, "%.0f", v); break;
    case U_BYTES: snprintf(out, size, "%.0f B", v); break;
    }
}

static void fmt_ratio(char *out, size_t size, double r)
{
    snprintf(out, size, r >= 10 ? "%.0f×" : "%.2f×", r);
}

static int check_rate1(const row *r, size_t col, char *note, size_t note_size)
{
    double v = r->value[col];
    char a[32] = "", b[32] = "";
    int ok = 1, judged = 0;
    size_t pos = 0;
    if (col_spdlog_async != SIZE_MAX && r->have[col_spdlog_async]) {
        double x = v / r->value[col_spdlog_async];
        fmt_ratio(a, sizeof a, x);
        ok &= x >= 8.0;
        judged = 1;
        pos += (size_t) snprintf(note + pos, note_size - pos, "%s spdlog async", a);
    }
    if (col_spdlog_sync != SIZE_MAX && r->have[col_spdlog_sync]) {
        double x = v / r->value[col_spdlog_sync];
        fmt_ratio(b, sizeof b, x);
        ok &= x >= 4.0;
        judged = 1;
        snprintf(note + pos, note_size - pos, "%s%s spdlog sync", pos ? ", " : "", b);
    }
    if (!judged)
        snprintf(note, note_size, "no spdlog column to compare with");
    return judged ? ok : -1;
}

static int check_rate2(const row *r, size_t col, char *note, size_t note_size)
{
    double x = r->value[col] / row_rate1->value[col];
    char a[32];
    fmt_ratio(a, sizeof a, x);
    snprintf(note, note_size, "%s its 1-thread rate", a);
    return x >= 1.0;
}

#define LIMIT_CHECK(fn, limit)                                                                     \
    static int fn(const row *r, size_t col, char *note, size_t note_size)                          \
    {                                                                                              \
        (void) note;                                                                               \
        (void) note_size;                                                                          \
        return r->value[col] <= (limit);                                                           \
    }
LIMIT_CHECK(check_p50, 40.0)
LIMIT_CHECK(check_p99, 150.0)
LIMIT_CHECK(check_p999, 1000.0)
LIMIT_CHECK(check_disabled, 2.0)
LIMIT_CHECK(check_instr, 150.0)

static int is_nlog(const bench_driver *d)
{
    return d == &bench_driver_nlog_sync || d == &bench_driver_nlog_async;
}

/* CPU time, in seconds, of the whole machine (from /proc/stat) and of this
 * process with its finished children (the callgrind runs): the difference
 * says how much other processes took while the bench ran. */
typedef struct cpu_use {
    double busy;  /* user, nice, system, irq, softirq: every process */
    double steal; /* taken by the hypervisor */
    double total; /* all of the above, plus idle and iowait */
    double self;  /* this process and its children */
} cpu_use;

static void cpu_use_now(cpu_use *u)
{
    unsigned long long v[8] = {0};
    double hz = (double) sysconf(_SC_CLK_TCK);
    FILE *f = fopen("/proc/stat", "r");
    memset(u, 0, sizeof *u);
    if (f) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) != 8)
            memset(v, 0, sizeof v);
        fclose(f);
    }
    u->busy = (double) (v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
    u->steal = (double) v[7] / hz;
    u->total = u->busy + u->steal + (double) (v[3] + v[4]) / hz;
    struct rusage ru;
    const int who[2] = {RUSAGE_SELF, RUSAGE_CHILDREN};
    for (int k = 0; k < 2; k++) {
        if (getrusage(who[k], &ru) == 0)
            u->self += (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
                       (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
    }
}

/* Shares of the machine's CPU time between a and b taken by other
 * processes and by the hypervisor, in percent. */
static void cpu_use_others(const cpu_use *a, const cpu_use *b, double *ret_others,
                           double *ret_steal)
{
    double total = b->total - a->total;
    double others = (b->busy - a->busy) - (b->self - a->self);
    *ret_others = total > 0 && others > 0 ? 100 * others / total : 0;
    *ret_steal = total > 0 ? 100 * (b->steal - a->steal) / total : 0;
}

static void print_table(const options *o, result *res, size_t n_res, const bench_pcts *timer,
                        double others, double steal)
{
    enum {
        R_RATE1,
        R_MBS1,
        R_RATE2,
        R_MBS2,
        R_P50,
        R_P99,
        R_P999,
        R_PMAX,
        R_S50,
        R_S99,
        R_S999,
        R_SMAX,
        R_DIS,
        R_INSTR,
        R_BYTES,
        N_ROWS
    };
    static row rows[N_ROWS] = {
        [R_RATE1] = {"Throughput, 1 thread",
                     "≥ 8× spdlog async and ≥ 4× spdlog sync",
                     U_RATE,
                     1,
                     {0},
                     {0},
                     check_rate1},
        [R_MBS1] = {"Throughput, 1 thread (MB/s)", "", U_MBS, 1, {0}, {0}, NULL},
        [R_RATE2] = {"Throughput, 2 threads",
                     "≥ 1.0× its own 1-thread rate",
                     U_RATE,
                     1,
                     {0},
                     {0},
                     check_rate2},
        [R_MBS2] = {"Throughput, 2 threads (MB/s)", "", U_MBS, 1, {0}, {0}, NULL},
        [R_P50] = {"Paced latency p50", "≤ 40 ns", U_NS, 0, {0}, {0}, check_p50},
        [R_P99] = {"Paced latency p99", "≤ 150 ns", U_NS, 0, {0}, {0}, check_p99},
        [R_P999] = {"Paced latency p99.9", "≤ 1 µs", U_NS, 0, {0}, {0}, check_p999},
        [R_PMAX] = {"Paced latency max", "", U_NS, 0, {0}, {0}, NULL},
        [R_S50] = {"Saturated latency p50", "", U_NS, 0, {0}, {0}, NULL},
        [R_S99] = {"Saturated latency p99", "", U_NS, 0, {0}, {0}, NULL},
        [R_S999] = {"Saturated latency p99.9", "", U_NS, 0, {0}, {0}, NULL},
        [R_SMAX] = {"Saturated latency max", "", U_NS, 0, {0}, {0}, NULL},
        [R_DIS] = {"Disabled call (below threshold)", "≤ 2 ns", U_NS, 0, {0}, {0}, check_disabled},
        [R_INSTR] =
            {"Instructions per call, calling thread", "≤ 150", U_COUNT, 0, {0}, {0}, check_instr},
        [R_BYTES] = {"Bytes per record (output check)", "", U_BYTES, 0, {0}, {0}, NULL},
    };
    row_rate1 = &rows[R_RATE1];
    int R = o->repeat;
    size_t ref = SIZE_MAX;

    for (size_t c = 0; c < n_res; c++) {
        result *r = &res[c];
        if (r->d == &bench_driver_spdlog_async)
            col_spdlog_async = c;
        if (r->d == &bench_driver_spdlog_sync)
            col_spdlog_sync = c;
        if (!r->available)
            continue;
        if (r->d == &bench_driver_nlog_sync && ref == SIZE_MAX)
            ref = c;
        double r1 = median(r->rate1, R), r2 = median(r->rate2, R);
        double v[N_ROWS] = {
            [R_RATE1] = r1,
            [R_MBS1] = r1 * r->bpr / 1e6,
            [R_RATE2] = r2,
            [R_MBS2] = r2 * r->bpr / 1e6,
            [R_P50] = median_pct(r->paced, R, offsetof(bench_pcts, p50)),
            [R_P99] = median_pct(r->paced, R, offsetof(bench_pcts, p99)),
            [R_P999] = median_pct(r->paced, R, offsetof(bench_pcts, p999)),
            [R_PMAX] = median_pct(r->paced, R, offsetof(bench_pcts, max)),
            [R_S50] = median_pct(r->sat, R, offsetof(bench_pcts, p50)),
            [R_S99] = median_pct(r->sat, R, offsetof(bench_pcts, p99)),
            [R_S999] = median_pct(r->sat, R, offsetof(bench_pcts, p999)),
            [R_SMAX] = median_pct(r->sat, R, offsetof(bench_pcts, max)),
            [R_DIS] = median(r->disabled, R),
            [R_INSTR] = r->instr,
            [R_BYTES] = r->bpr,
        };
        for (int k = 0; k < N_ROWS; k++) {
            rows[k].value[c] = v[k];
            rows[k].have[c] = k != R_INSTR || r->instr_ok;
        }
    }
    /* nlog async, once it exists, is the reference; until then nlog sync. */
    for (size_t c = 0; c < n_res; c++)
        if (res[c].available && res[c].d == &bench_driver_nlog_async)
            ref = c;

    time_t now = time(NULL);
    struct tm tm;
    char date[32];
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
    printf("Measured %s. Each figure is the median of %d runs. Throughput: %llu records per "
           "run, written to a file, timed from thread start to the final flush and close. "
           "Paced: %llu calls per run in bursts of %d every %d µs; saturated: %llu calls "
           "back to back; both after %d warm-up calls. Latency is the calling thread's time "
           "per call, read with %s; the reads themselves cost p50 %.0f ns / p99 %.0f ns, which "
           "is included in every latency figure. Instructions: callgrind, calling thread only, "
           "%llu calls, empty loop subtracted. Other processes used %.0f%% of the machine's "
           "CPU time during the run, the hypervisor %.0f%%.\n\n",
           date, R, (unsigned long long) o->records, (unsigned long long) (o->bursts * BURST),
           BURST, PERIOD_NS / 1000, (unsigned long long) o->saturated, WARMUP,
           BENCH_HAVE_TSC ? "rdtsc between lfences" : "clock_gettime(CLOCK_MONOTONIC)", timer->p50,
           timer->p99, (unsigned long long) o->cg_calls, others, steal);
    printf("Targets (NetLink Logging): 1-thread throughput ≥ 8× spdlog async and ≥ 4× spdlog "
           "sync; 2 threads ≥ 1.0× the 1-thread rate; paced p50 ≤ 40 ns, p99 ≤ 150 ns, "
           "p99.9 ≤ 1 µs; disabled call ≤ 2 ns; ≤ 150 instructions per call on the calling "
           "thread. Each NetLink Logging figure with a target says met or missed. "
           "(N×) after a peer's figure: how many times better %s is on that row "
           "(below 1: the peer is better).\n\n",
           ref == SIZE_MAX ? "NetLink Logging" : res[ref].d->name);

    printf("| measure | target |");
    for (size_t c = 0; c < n_res; c++)
        printf(" %s |", res[c].d->name);
    printf("\n|---|---|");
    for (size_t c = 0; c < n_res; c++)
        printf("---|");
    printf("\n");

    for (int k = 0; k < N_ROWS; k++) {
        const row *rw = &rows[k];
        printf("| %s | %s |", rw->label, rw->target[0] ? rw->target : "—");
        for (size_t c = 0; c < n_res; c++) {
            char val[64], note[128] = "", cell[256];
            if (!res[c].available) {
                printf(" n/a (%s) |", res[c].why);
                continue;
            }
            if (!rw->have[c]) {
                printf(" n/a (%s) |", res[c].instr_why);
                continue;
            }
            fmt_value(val, sizeof val, rw->unit, rw->value[c]);
            if (is_nlog(res[c].d) && rw->check) {
                int met = rw->check(rw, c, note, sizeof note);
                snprintf(cell, sizeof cell, "%s **%s**%s%s%s", val,
                         met > 0    ? "met"
                         : met == 0 ? "missed"
                                    : "not judged",
                         note[0] ? " (" : "", note, note[0] ? ")" : "");
            } else if (!is_nlog(res[c].d) && ref != SIZE_MAX && rw->have[ref] && k != R_BYTES &&
                       rw->value[c] > 0 && rw->value[ref] > 0) {
                double x = rw->higher_better ? rw->value[ref] / rw->value[c]
                                             : rw->value[c] / rw->value[ref];
                char ratio[32];
                fmt_ratio(ratio, sizeof ratio, x);
                snprintf(cell, sizeof cell, "%s (%s)", val, ratio);
            } else {
                snprintf(cell, sizeof cell, "%s", val);
            }
            printf(" %s |", cell);
        }
        printf("\n");
    }
    printf("\nVersions:");
    const char *sep = " ";
    for (size_t c = 0; c < n_res; c++) {
        const bench_driver *d = res[c].d;
        if (d == &bench_driver_nlog_async || d == &bench_driver_spdlog_sync)
            continue; /* same library as the column before */
        const char *label = d == &bench_driver_nlog_sync      ? "NetLink Logging"
                            : d == &bench_driver_spdlog_async ? "spdlog"
                            : d == &bench_driver_fprintf      ? "fprintf+mutex on"
                                                              : d->name;
        printf("%s%s %s", sep, label, d->version());
        sep = ", ";
    }
    printf(".\n");
}

/* ---- Orchestration ---- */

static void run_all(const options *o, const char *self, const char *dir)
{
    result res[N_DRIVERS];
    size_t n = 0;
    cpu_use start, end;
    memset(res, 0, sizeof res);
    cpu_use_now(&start);
    for (size_t k = 0; k < N_DRIVERS; k++) {
        if (!selected(o, drivers[k]->name))
            continue;
        result *r = &res[n++];
        r->d = drivers[k];
        if (r->d->open(dir, r->why, sizeof r->why) == 0) {
            r->d->close();
            r->available = 1;
            char path[4096];
            bench_path(path, sizeof path, dir, r->d->file);
            (void) unlink(path);
        } else {
            progress("%s: n/a (%s)", r->d->name, r->why);
        }
    }
    if (n == 0)
        bench_die("--only selected no driver");

    bench_pcts timer;
    bench_timer_overhead(1000000, &timer);

    for (int rep = 0; rep < o->repeat; rep++) {
        for (size_t c = 0; c < n; c++) {
            result *r = &res[c];
            if (!r->available)
                continue;
            uint64_t bytes;
            double s = bench_throughput(r->d, dir, o->records, 1, &bytes);
            r->rate1[rep] = (double) o->records / s;
            r->bpr = (double) bytes / (double) o->records;
            s = bench_throughput(r->d, dir, o->records, 2, NULL);
            r->rate2[rep] = (double) o->records / s;
            progress("run %d/%d %-13s throughput 1 thread %9.0f/s, 2 threads %9.0f/s", rep + 1,
                     o->repeat, r->d->name, r->rate1[rep], r->rate2[rep]);
        }
    }
    for (int rep = 0; rep < o->repeat; rep++) {
        for (size_t c = 0; c < n; c++) {
            result *r = &res[c];
            if (!r->available)
                continue;
            bench_latency(r->d, dir, WARMUP, o->bursts * BURST, BURST, PERIOD_NS, &r->paced[rep]);
            bench_latency(r->d, dir, WARMUP, o->saturated, 0, 0, &r->sat[rep]);
            r->disabled[rep] = bench_disabled(r->d, dir, o->disabled_ns);
            progress("run %d/%d %-13s paced p50 %.0f ns p99.9 %.0f ns, saturated p50 %.0f ns, "
                     "disabled %.2f ns",
                     rep + 1, o->repeat, r->d->name, r->paced[rep].p50, r->paced[rep].p999,
                     r->sat[rep].p50, r->disabled[rep]);
        }
    }
    for (size_t c = 0; c < n; c++) {
        result *r = &res[c];
        if (!r->available)
            continue;
        if (!o->valgrind) {
            snprintf(r->instr_why, sizeof r->instr_why, "not measured");
            continue;
        }
        if (bench_callgrind(o->valgrind, self, r->d->name, dir, o->cg_calls, &r->instr,
                            r->instr_why, sizeof r->instr_why) == 0) {
            r->instr_ok = 1;
            progress("%-13s %.0f instructions per call", r->d->name, r->instr);
        } else {
            progress("%-13s instructions: %s", r->d->name, r->instr_why);
        }
    }
    double others, steal;
    cpu_use_now(&end);
    cpu_use_others(&start, &end, &others, &steal);
    if (others > 5 || steal > 5)
        progress("warning: other processes took %.0f%% and the hypervisor %.0f%% of the CPU "
                 "time during the run; the figures are lower than this machine can do",
                 others, steal);
    print_table(o, res, n, &timer, others, steal);
}

static const bench_driver *find_driver(const char *name)
{
    for (size_t k = 0; k < N_DRIVERS; k++)
        if (!strcmp(drivers[k]->name, name))
            return drivers[k];
    bench_die("no driver called '%s'", name);
}

int main(int argc, char **argv)
{
    options o = {1000000, 3, 5000, 200000, 5000, 200000000, ".", "valgrind", NULL};

    if (argc == 6 && !strcmp(argv[1], "--cg-child")) {
        bench_calibrate();
        return bench_cg_child(find_driver(argv[2]), argv[4], !strcmp(argv[3], "empty"),
                              parse_u64(argv[5], "--cg-child"));
    }
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            o.records = 100000;
            o.repeat = 1;
            o.bursts = 500;
            o.saturated = 20000;
            o.cg_calls = 1000;
            o.disabled_ns = 50000000;
            continue;
        }
        if (!strcmp(a, "--show-lines")) {
            bench_show_lines = 1;
            continue;
        }
        if (!strcmp(a, "--no-callgrind")) {
            o.valgrind = NULL;
            continue;
        }
        if (!v)
            usage();
        k++;
        if (!strcmp(a, "--records"))
            o.records = parse_u64(v, a);
        else if (!strcmp(a, "--repeat"))
            o.repeat = (int) parse_u64(v, a);
        else if (!strcmp(a, "--bursts"))
            o.bursts = parse_u64(v, a);
        else if (!strcmp(a, "--saturated"))
            o.saturated = parse_u64(v, a);
        else if (!strcmp(a, "--cg-calls"))
            o.cg_calls = parse_u64(v, a);
        else if (!strcmp(a, "--dir"))
            o.dir = v;
        else if (!strcmp(a, "--valgrind"))
            o.valgrind = v;
        else if (!strcmp(a, "--only"))
            o.only = v;
        else
            usage();
    }
    if (o.repeat > MAX_REPEAT)
        bench_die("--repeat is at most %d", MAX_REPEAT);

    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0)
        bench_die("cannot find my own executable");
    self[len] = '\0';

    char dir[PATH_MAX];
    if ((size_t) snprintf(dir, sizeof dir, "%s/nlog-bench.XXXXXX", o.dir) >= sizeof dir)
        bench_die("--dir too long");
    if (!mkdtemp(dir))
        bench_die("cannot create a run directory in %s: %s", o.dir, strerror(errno));
    char *abs = realpath(dir, NULL);
    if (!abs)
        bench_die("realpath %s: %s", dir, strerror(errno));
    progress("run directory %s", abs);

    bench_calibrate();
    run_all(&o, self, abs);
    if (rmdir(abs) != 0)
        progress("could not remove %s: %s", abs, strerror(errno));
    free(abs);
    return 0;
}
