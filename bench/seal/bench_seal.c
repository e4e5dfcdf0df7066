/* bench_seal.c: what sealing costs the writer and how fast verification is
 * (issue 4), measured against the same work without sealing and against
 * the bare hashing floor, in the same run. Prints a Markdown section.
 *
 *   writer      sync mode, one thread: CPU time of the calling thread per
 *               record, sealed minus unsealed (the same records, the same
 *               file system); async mode: CPU time of the process. Also the
 *               bytes sealing adds per record and the signatures made.
 *   verify      nlog_seal_verify() on one core over the sealed file (plain
 *               and zstd-compressed), each run in a new process so that the
 *               signature cache starts empty as in `nlog verify` (and once
 *               more in that process, warm, for comparison): records per
 *               second, next to reading
 *               its lines and BLAKE2b-hashing each (the floor any verifier
 *               of a per-record hash pays) and to b2sum(1) over the file.
 *
 * Each figure is the median of --repeat runs (default 5). Records are
 * 220-byte JSON lines before sealing; 1000 records per checkpoint (the
 * default). Run with scripts/bench_seal.sh. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nlog/nlog.h>

#include "seal/wire.h"

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t) n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_seal: %s: %s\n", what, nlog_errmsg()[0] ? nlog_errmsg() : strerror(errno));
    exit(1);
}

static void sh(const char *cmd)
{
    if (system(cmd) != 0)
        die(cmd);
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long) st.st_size : -1;
}

static const char *pad; /* message padding that makes 220-byte lines */

/* Writes n records into dir; returns the CPU seconds (thread in sync mode,
 * process in async mode). */
static double write_log(const char *dir, int seal, int async, long n)
{
    nlog_config cfg;
    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    cfg.console_enabled = 0;
    cfg.security_enabled = 0;
    cfg.audit_enabled = 0;
    cfg.level = NLOG_LEVEL_INFO;
    snprintf(cfg.directory, sizeof cfg.directory, "%s", dir);
    cfg.seal = seal;
    cfg.seal_required = seal;
    cfg.async = async;
    if (nlog_init(&cfg) != NLOG_OK)
        die("nlog_init");
    nlog_logger *lg = nlog_get_logger("bench.seal");
    clockid_t c = async ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID;
    double t0 = now(c);
    for (long i = 0; i < n; i++)
        NLOG_INFO(lg, pad, NLOG_CTX("request_id", (int64_t) i));
    if (nlog_flush() != NLOG_OK)
        die("flush");
    double t = now(c) - t0;
    nlog_shutdown();
    return t;
}

/* Reading every line and hashing it: what verification cannot do without. */
static double hash_floor(const char *path, long *ret_lines)
{
    size_t len;
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    fseek(f, 0, SEEK_END);
    len = (size_t) ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(len);
    if (fread(buf, 1, len, f) != len)
        die("read");
    fclose(f);
    double t0 = now(CLOCK_THREAD_CPUTIME_ID);
    long lines = 0;
    uint8_t h[32], acc = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t l = nl ? (size_t) (nl - (buf + i)) : len - i;
        crypto_generichash(h, 32, (const uint8_t *) buf + i, l, NULL, 0);
        acc ^= h[0];
        lines++;
        i += l + 1;
    }
    double t = now(CLOCK_THREAD_CPUTIME_ID) - t0;
    free(buf);
    *ret_lines = lines + (acc & 0); /* keep the hashing */
    return t;
}

static double verify_once(const nlog_seal_key *k, const char *path, uint64_t *ret_records)
{
    nlog_seal_verify_opts o;
    nlog_seal_verify_opts_init(&o);
    const nlog_seal_key *ks[1] = {k};
    o.keys = ks;
    o.n_keys = 1;
    o.allow_partial = 1;
    nlog_seal_report *r;
    const char *p[1] = {path};
    double t0 = now(CLOCK_THREAD_CPUTIME_ID);
    if (nlog_seal_verify(&o, p, 1, &r) != NLOG_OK)
        die("verify");
    double t = now(CLOCK_THREAD_CPUTIME_ID) - t0;
    if (!nlog_seal_report_ok(r)) {
        fprintf(stderr, "bench_seal: %s does not verify\n", path);
        exit(1);
    }
    *ret_records = nlog_seal_report_log(r, 0)->records;
    nlog_seal_report_destroy(r);
    return t;
}

/* Verification as `nlog verify` runs it: in a new process, whose signature
 * cache (wire.c) is empty. The child verifies twice and sends both times:
 * cold (the first) and warm (the second, every signature already checked),
 * so the cache's effect is measured, not mistaken for the verifier's speed. */
static void verify_cold_warm(const nlog_seal_key *k, const char *path, double *cold,
                             double *warm, uint64_t *ret_records)
{
    int fd[2];
    if (pipe(fd) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fd[0]);
        double out[3];
        uint64_t recs = 0;
        out[0] = verify_once(k, path, &recs);
        out[1] = verify_once(k, path, &recs);
        out[2] = (double) recs;
        _exit(write(fd[1], out, sizeof out) == (ssize_t) sizeof out ? 0 : 1);
    }
    close(fd[1]);
    double in[3];
    ssize_t got = read(fd[0], in, sizeof in);
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    if (got != (ssize_t) sizeof in || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("verify (child)");
    *cold = in[0];
    *warm = in[1];
    *ret_records = (uint64_t) in[2];
}

static double b2sum_time(const char *path)
{
    double t0 = now(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        execlp("b2sum", "b2sum", path, (char *) NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now(CLOCK_MONOTONIC) - t0;
}

int main(int argc, char **argv)
{
    long n = 200000;
    int repeat = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: nlog_seal_bench [--records N] [--repeat R]\n");
            return 2;
        }
    }
    if (n < 1000 || repeat < 1 || repeat > 99 || sodium_init() < 0)
        return 2;
    char base[] = "/tmp/nlog-seal-bench-XXXXXX";
    if (!mkdtemp(base))
        die("mkdtemp");
    char keys[256], path[1024], dir[512], plain[512], cmd[4096];
    snprintf(keys, sizeof keys, "%s/keys", base);
    if (nlog_seal_keygen(keys, NULL, 0, NULL) != NLOG_OK)
        die("keygen");
    char pub[300];
    snprintf(pub, sizeof pub, "%s/seal.pub", keys);
    nlog_seal_key *key;
    if (nlog_seal_key_load(pub, &key) != NLOG_OK)
        die("key");

    /* A message that makes 220-byte lines: measured, not guessed. */
    static char msg[256];
    pad = msg;
    snprintf(plain, sizeof plain, "%s/probe", base);
    memset(msg, 'm', 64);
    write_log(plain, 0, 0, 1000);
    snprintf(path, sizeof path, "%s/netlink.log", plain);
    long per = file_size(path) / 1000, want = 64 + 220 - per;
    size_t ml = want < 1 ? 1 : want > 200 ? 200 : (size_t) want;
    memset(msg, 'm', ml);
    msg[ml] = '\0';
    snprintf(cmd, sizeof cmd, "rm -rf %s", plain);
    sh(cmd);
    write_log(plain, 0, 0, 1000);
    long line_bytes = file_size(path) / 1000;
    sh(cmd);

    double sync_plain[99], sync_sealed[99], async_plain[99], async_sealed[99];
    long bytes_plain = 0, bytes_sealed = 0;
    uint64_t sigs = 0, ckpts = 0;
    for (int r = 0; r < repeat; r++) {
        for (int async = 0; async < 2; async++) {
            snprintf(plain, sizeof plain, "%s/plain%d", base, async);
            snprintf(dir, sizeof dir, "%s/sealed%d", base, async);
            snprintf(cmd, sizeof cmd,
                     "rm -rf %s %s && mkdir -p %s/.seal && cp %s/host/netlink.log.seal %s/.seal/",
                     plain, dir, dir, keys, dir);
            sh(cmd);
            double tp = write_log(plain, 0, async, n);
            uint64_t s0 = __atomic_load_n(&nlog__seal_signatures, __ATOMIC_RELAXED);
            double ts = write_log(dir, 1, async, n);
            if (async) {
                async_plain[r] = tp;
                async_sealed[r] = ts;
            } else {
                sync_plain[r] = tp;
                sync_sealed[r] = ts;
                sigs = __atomic_load_n(&nlog__seal_signatures, __ATOMIC_RELAXED) - s0;
                char a[1024], b[1024];
                snprintf(a, sizeof a, "%s/netlink.log", plain);
                snprintf(b, sizeof b, "%s/netlink.log", dir);
                bytes_plain = file_size(a);
                bytes_sealed = file_size(b);
            }
        }
    }
    ckpts = (uint64_t) ((n + 999) / 1000);

    /* verification */
    char sealed[1024], zst[1024];
    snprintf(sealed, sizeof sealed, "%s/sealed0/netlink.log", base);
    /* a compressed copy keeps the log's name: verification checks it */
    snprintf(zst, sizeof zst, "%s/zst/netlink.log.zst", base);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/zst && zstd -q -3 -c %s > %s", base, sealed, zst);
    sh(cmd);
    double v_plain[99], v_warm[99], v_zst[99], v_zst_warm[99], floor_t[99], b2[99];
    uint64_t recs = 0, recs_z = 0;
    long lines = 0;
    double load0[3] = {0, 0, 0}, load1[3] = {0, 0, 0};
    (void) getloadavg(load0, 3);
    for (int r = 0; r < repeat; r++) {
        verify_cold_warm(key, sealed, &v_plain[r], &v_warm[r], &recs);
        verify_cold_warm(key, zst, &v_zst[r], &v_zst_warm[r], &recs_z);
        floor_t[r] = hash_floor(sealed, &lines);
        b2[r] = b2sum_time(sealed);
    }
    (void) getloadavg(load1, 3);
    double sp = median(sync_plain, repeat), ss = median(sync_sealed, repeat);
    double ap = median(async_plain, repeat), as = median(async_sealed, repeat);
    double vp = median(v_plain, repeat), vz = median(v_zst, repeat), fl = median(floor_t, repeat);
    double vw = median(v_warm, repeat);
    double bs = median(b2, repeat);
    double mb = (double) bytes_sealed / 1e6;

    printf("Measured with `sh scripts/bench_seal.sh` (%ld records of %ld bytes before sealing, "
           "1000 per checkpoint; median of %d runs; libsodium %s; load average %.2f before "
           "and %.2f after the verification runs, %ld cores online).\n\n",
           n, line_bytes, repeat, sodium_version_string(), load0[0], load1[0],
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("| measure | target | result |\n|---|---|---|\n");
    double cost_sync = (ss - sp) / (double) n * 1e6, cost_async = (as - ap) / (double) n * 1e6;
    printf("| sealing CPU per record, sync writer (calling thread) | <= 2 us | %.2f us **%s** "
           "(%.2f us sealed vs %.2f us unsealed: %.2fx) |\n",
           cost_sync, cost_sync <= 2.0 ? "met" : "missed", ss / (double) n * 1e6,
           sp / (double) n * 1e6, ss / sp);
    printf("| sealing CPU per record, async (whole process) | <= 2 us | %.2f us **%s** (%.2f us "
           "vs %.2f us: %.2fx) |\n",
           cost_async, cost_async <= 2.0 ? "met" : "missed", as / (double) n * 1e6,
           ap / (double) n * 1e6, as / ap);
    double bpr = (double) (bytes_sealed - bytes_plain) / (double) n;
    printf("| bytes added per record | <= 48 | %.1f **%s** (%ld -> %ld bytes per record) |\n",
           bpr, bpr <= 48 ? "met" : "missed", bytes_plain / n, bytes_sealed / n);
    printf("| signatures per checkpoint | <= 1 | %.2f **%s** (%llu signatures, %llu "
           "checkpoints) |\n",
           (double) sigs / (double) ckpts, sigs <= ckpts ? "met" : "missed",
           (unsigned long long) sigs, (unsigned long long) ckpts);
    double rate = (double) recs / vp;
    printf("| verify, one core, plain file, new process (cold) | >= 1,000,000 records/s | %.2f M "
           "records/s **%s** (%.0f MB/s) |\n",
           rate / 1e6, rate >= 1e6 ? "met" : "missed", mb / vp);
    printf("| verify again in the same process (signature cache warm) | — | %.2f M records/s "
           "(cold takes %.2fx its time) |\n",
           (double) recs / vw / 1e6, vp / vw);
    printf("| verify, one core, zstd segment, new process (cold) | — | %.2f M records/s (%.0f "
           "MB/s of log) |\n",
           (double) recs_z / vz / 1e6, mb / vz);
    printf("| floor: read and BLAKE2b-hash each line | — | %.2f M lines/s; verify takes %.2fx "
           "its time |\n",
           (double) lines / fl / 1e6, vp / fl);
    if (bs > 0)
        printf("| peer: b2sum(1) over the sealed file | — | %.0f MB/s (verify: %.2fx its "
               "throughput) |\n",
               mb / bs, (mb / vp) / (mb / bs));
    nlog_seal_key_destroy(key);
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    sh(cmd);
    return 0;
}
