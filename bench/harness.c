/* harness.c: clocks, threads, pacing, statistics and output checks.
 *
 * Invariants: every run leaves the run directory as it found it (the output
 * file is checked, then removed); a figure is only returned for a run whose
 * output held exactly the records logged; timing never includes setup (the
 * driver's open) but always includes thread start and the final flush and
 * close where the spec asks for it (throughput). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

static double ticks_per_ns = 1.0;
int bench_show_lines;

void bench_die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void bench_path(char *out, size_t out_size, const char *dir, const char *name)
{
    if ((size_t) snprintf(out, out_size, "%s/%s", dir, name) >= out_size)
        bench_die("path too long: %s/%s", dir, name);
}

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double bench_ticks_per_ns(void)
{
    return ticks_per_ns;
}

static inline void cpu_relax(void)
{
#if BENCH_HAVE_TSC
    _mm_pause();
#endif
}

void bench_calibrate(void)
{
#if BENCH_HAVE_TSC
    int64_t n0 = bench_now_ns();
    uint64_t t0 = bench_ticks();
    while (bench_now_ns() - n0 < 200000000)
        cpu_relax();
    int64_t n1 = bench_now_ns();
    uint64_t t1 = bench_ticks();
    ticks_per_ns = (double) (t1 - t0) / (double) (n1 - n0);
#else
    ticks_per_ns = 1.0;
#endif
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentiles; sorts `v`. */
static void percentiles(uint32_t *v, uint64_t n, bench_pcts *ret)
{
    qsort(v, (size_t) n, sizeof *v, cmp_u32);
    const double q[3] = {0.50, 0.99, 0.999};
    double *out[3] = {&ret->p50, &ret->p99, &ret->p999};
    for (int k = 0; k < 3; k++) {
        uint64_t rank = (uint64_t) (q[k] * (double) n + 0.999999);
        if (rank < 1)
            rank = 1;
        *out[k] = v[rank - 1] / ticks_per_ns;
    }
    ret->max = v[n - 1] / ticks_per_ns;
}

void bench_timer_overhead(uint64_t n, bench_pcts *ret)
{
    uint32_t *ticks = malloc(n * sizeof *ticks);
    if (!ticks)
        bench_die("out of memory");
    for (uint64_t k = 0; k < n; k++) {
        uint64_t t0 = bench_ticks();
        __asm__ __volatile__("" : : "r"(k) : "memory");
        uint64_t t1 = bench_ticks();
        ticks[k] = bench_ticks_clamp(t1 - t0);
    }
    percentiles(ticks, n, ret);
    free(ticks);
}

/* ---- Output checks ---- */

/* Counts the lines of `path` (a missing file has none) and checks that they
 * are `expected` whole lines of the reference record. */
static void check_output(const bench_driver *d, const char *path, uint64_t expected,
                         uint64_t *ret_bytes)
{
    uint64_t lines = 0, bytes = 0;
    char last = '\n';
    char first[1024] = "";
    size_t first_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT)
        bench_die("%s: cannot read %s: %s", d->name, path, strerror(errno));
    if (fd >= 0) {
        static char buf[1 << 20];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            if (first_len < sizeof first - 1) {
                size_t take = sizeof first - 1 - first_len;
                if (take > (size_t) n)
                    take = (size_t) n;
                memcpy(first + first_len, buf, take);
                first_len += take;
                first[first_len] = '\0';
            }
            for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t) (end - p)));
                 p++)
                lines++;
            bytes += (uint64_t) n;
            last = buf[n - 1];
        }
        if (n < 0)
            bench_die("%s: reading %s: %s", d->name, path, strerror(errno));
        close(fd);
    }
    if (lines != expected || last != '\n')
        bench_die("%s: %s holds %llu lines%s, expected %llu", d->name, path,
                  (unsigned long long) lines, last != '\n' ? " and a cut last line" : "",
                  (unsigned long long) expected);
    if (expected > 0) {
        static const char *const must[] = {"{\"timestamp\":\"",
                                           "\"level\":\"INFO\"",
                                           "\"category\":\"" BENCH_CATEGORY "\"",
                                           "\"message\":\"" BENCH_MESSAGE "\"",
                                           "\"module\":\"" BENCH_LOGGER "\"",
                                           "\"function\":\"log_one\"",
                                           "\"line\":",
                                           "\"context\":{",
                                           "\"request_id\":",
                                           "\"user_id\":\"" BENCH_USER_ID "\"",
                                           "\"metadata\":{\"auth_method\":\"" BENCH_AUTH_METHOD
                                           "\"}",
                                           "\"process_id\":",
                                           "\"thread_id\":"};
        char *nl = strchr(first, '\n');
        if (nl)
            *nl = '\0';
        for (size_t k = 0; k < sizeof must / sizeof must[0]; k++)
            if (!strstr(first, must[k]))
                bench_die("%s: the first line lacks %s: %s", d->name, must[k], first);
        if (bench_show_lines) {
            static const bench_driver *shown[16];
            size_t k = 0;
            while (k < 16 && shown[k] && shown[k] != d)
                k++;
            if (k < 16 && !shown[k]) {
                shown[k] = d;
                fprintf(stderr, "bench: %s writes: %s\n", d->name, first);
            }
        }
    }
    if (unlink(path) != 0 && errno != ENOENT)
        bench_die("%s: cannot remove %s: %s", d->name, path, strerror(errno));
    if (ret_bytes)
        *ret_bytes = bytes;
}

static void open_driver(const bench_driver *d, const char *dir, char *path, size_t path_size)
{
    char why[128];
    bench_path(path, path_size, dir, d->file);
    if (unlink(path) != 0 && errno != ENOENT)
        bench_die("%s: cannot remove %s: %s", d->name, path, strerror(errno));
    if (d->open(dir, why, sizeof why) != 0)
        bench_die("%s: unavailable: %s", d->name, why);
}

/* ---- Throughput ---- */

typedef struct producer {
    pthread_t thread;
    const bench_driver *d;
    uint64_t first, n;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    p->d->run(p->first, p->n);
    return NULL;
}

double bench_throughput(const bench_driver *d, const char *dir, uint64_t records, int threads,
                        uint64_t *ret_bytes)
{
    char path[4096];
    producer prod[16];
    if (threads < 1 || threads > 16)
        bench_die("threads must be 1..16");
    open_driver(d, dir, path, sizeof path);

    int64_t t0 = bench_now_ns();
    uint64_t first = 0;
    for (int k = 0; k < threads; k++) {
        prod[k].d = d;
        prod[k].first = first;
        prod[k].n = records / (uint64_t) threads + ((uint64_t) k < records % (uint64_t) threads);
        first += prod[k].n;
        int err = pthread_create(&prod[k].thread, NULL, produce, &prod[k]);
        if (err)
            bench_die("pthread_create: %s", strerror(err));
    }
    for (int k = 0; k < threads; k++)
        pthread_join(prod[k].thread, NULL);
    d->close();
    int64_t t1 = bench_now_ns();

    check_output(d, path, records, ret_bytes);
    return (double) (t1 - t0) / 1e9;
}

/* ---- Latency ---- */

void bench_latency(const bench_driver *d, const char *dir, uint64_t warmup, uint64_t n,
                   unsigned burst, int64_t period_ns, bench_pcts *ret)
{
    char path[4096];
    uint32_t *ticks = malloc(n * sizeof *ticks);
    if (!ticks)
        bench_die("out of memory");
    open_driver(d, dir, path, sizeof path);
    d->run(0, warmup);
    if (burst == 0) {
        d->run_timed(warmup, n, ticks);
    } else {
        uint64_t period = (uint64_t) ((double) period_ns * ticks_per_ns);
        uint64_t next = bench_ticks();
        for (uint64_t k = 0; k < n; k += burst) {
            uint64_t now;
            while ((now = bench_ticks()) < next)
                cpu_relax();
            /* A burst that overran its period starts the next one at once. */
            next = (next + period > now) ? next + period : now;
            uint64_t m = n - k < burst ? n - k : burst;
            d->run_timed(warmup + k, m, ticks + k);
        }
    }
    d->close();
    check_output(d, path, warmup + n, NULL);
    percentiles(ticks, n, ret);
    free(ticks);
}

/* ---- Disabled calls ---- */

double bench_disabled(const bench_driver *d, const char *dir, int64_t min_ns)
{
    char path[4096];
    const uint64_t chunk = 100000;
    uint64_t total = 0;
    open_driver(d, dir, path, sizeof path);
    d->run_disabled(chunk);
    int64_t t0 = bench_now_ns(), t1;
    do {
        d->run_disabled(chunk);
        total += chunk;
        t1 = bench_now_ns();
    } while (t1 - t0 < min_ns);
    d->close();
    check_output(d, path, 0, NULL);
    return (double) (t1 - t0) / (double) total;
}

/* ---- Instructions (callgrind) ---- */

#define CG_WARMUP 500

int bench_cg_child(const bench_driver *d, const char *dir, int empty, uint64_t n)
{
    char path[4096];
    open_driver(d, dir, path, sizeof path);
    d->run(0, CG_WARMUP);
    if (empty)
        d->cg_empty(CG_WARMUP, n);
    else
        d->cg_log(CG_WARMUP, n);
    d->close();
    check_output(d, path, CG_WARMUP + (empty ? 0 : n), NULL);
    return 0;
}

/* Runs one child under callgrind; returns the main thread's instruction
 * count inside the toggled function, or -1. */
static double cg_run(const char *valgrind, const char *self, const char *driver_name,
                     const char *dir, uint64_t n, int empty, char *why, size_t why_size)
{
    char out_opt[4200], log_opt[4200], out_file[4200], count[32];
    snprintf(out_opt, sizeof out_opt, "--callgrind-out-file=%s/callgrind.out", dir);
    snprintf(log_opt, sizeof log_opt, "--log-file=%s/callgrind.log", dir);
    snprintf(out_file, sizeof out_file, "%s/callgrind.out-01", dir);
    snprintf(count, sizeof count, "%llu", (unsigned long long) n);
    char *argv[] = {(char *) valgrind,
                    "--tool=callgrind",
                    "--separate-threads=yes",
                    empty ? "--toggle-collect=bench_cg_empty_loop*"
                          : "--toggle-collect=bench_cg_log_loop*",
                    out_opt,
                    log_opt,
                    (char *) self,
                    "--cg-child",
                    (char *) driver_name,
                    empty ? "empty" : "log",
                    (char *) dir,
                    count,
                    NULL};
    pid_t pid;
    int err = posix_spawnp(&pid, valgrind, NULL, NULL, argv, environ);
    if (err) {
        snprintf(why, why_size, "cannot run %s: %s", valgrind, strerror(err));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            bench_die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die("%s under callgrind failed; see %s/callgrind.log", driver_name, dir);

    FILE *f = fopen(out_file, "r");
    if (!f)
        bench_die("callgrind wrote no %s", out_file);
    char line[512];
    double total = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "totals:", 7) || !strncmp(line, "summary:", 8)) {
            total = strtod(strchr(line, ':') + 1, NULL);
            break;
        }
    }
    fclose(f);
    if (total < 0)
        bench_die("no totals in %s", out_file);

    /* Remove every per-thread file, the (empty) base file and the log. */
    snprintf(out_file, sizeof out_file, "%s/callgrind.out", dir);
    (void) unlink(out_file);
    for (int t = 1; t < 100; t++) {
        snprintf(out_file, sizeof out_file, "%s/callgrind.out-%02d", dir, t);
        (void) unlink(out_file);
    }
    snprintf(out_file, sizeof out_file, "%s/callgrind.log", dir);
    (void) unlink(out_file);
    return total;
}

int bench_callgrind(const char *valgrind, const char *self, const char *driver_name,
                    const char *dir, uint64_t n, double *ret_instr, char *why, size_t why_size)
{
    double with = cg_run(valgrind, self, driver_name, dir, n, 0, why, why_size);
    if (with < 0)
        return -1;
    double without = cg_run(valgrind, self, driver_name, dir, n, 1, why, why_size);
    if (without < 0)
        return -1;
    *ret_instr = (with - without) / (double) n;
    return 0;
}
