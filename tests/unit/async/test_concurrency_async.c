/* test_concurrency_async.c: the asynchronous pipeline end to end: exact
 * counts with many threads, per-thread order, nlog_flush(), the three overflow
 * policies with a held writer (exact drop counters and the drop report),
 * SECURITY/AUDIT never dropped, fork() (the child logs through its own writer,
 * nothing is written twice) and kill -9 (only whole lines). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "async/async.h"
#include "platform/platform.h"
#include "testutil.h"

static const char *dir;

static void init_async(const char *name, const char *policy, const char *queue)
{
    dir = tu_scratch(name);
    nlog_config cfg;
    tu_config(&cfg, dir);
    nlog_error err;
    assert_int_equal(nlog_config_set(&cfg, "async", "true", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "overflow_policy", policy, &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "queue_size", queue, &err), NLOG_OK);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
}

static nlog_counters counters(void)
{
    nlog_counters c = {.struct_size = sizeof c};
    assert_int_equal(nlog_stats(&c), NLOG_OK);
    return c;
}

typedef struct parsed {
    json_object **objs;
    size_t n;
} parsed;

static parsed read_all(const char *file)
{
    parsed p = {0};
    size_t len;
    char *text = tu_read_file(tu_path(dir, file), &len);
    if (!text)
        return p;
    char **lines;
    p.n = tu_split_lines(text, len, &lines);
    p.objs = calloc(p.n + 1, sizeof *p.objs);
    for (size_t i = 0; i < p.n; i++)
        p.objs[i] = tu_parse_json(lines[i]);
    free(lines);
    free(text);
    return p;
}

static void free_parsed(parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        json_object_put(p->objs[i]);
    free(p->objs);
}

static int64_t ctx_int(json_object *o, const char *key)
{
    json_object *ctx, *v;
    if (!json_object_object_get_ex(o, "context", &ctx) || !json_object_object_get_ex(ctx, key, &v))
        return -1;
    return json_object_get_int64(v);
}

#define THREADS 4
#define PER_THREAD 20000

static void *producer(void *arg)
{
    int t = (int) (intptr_t) arg;
    nlog_logger *lg = nlog_get_logger("async.worker");
    for (int i = 0; i < PER_THREAD; i++)
        NLOG_INFO(lg, "User authenticated successfully", NLOG_CATEGORY(NLOG_CAT_API),
                  NLOG_CTX("thread", t), NLOG_CTX("seq", i), NLOG_META("auth_method", "password"));
    return NULL;
}

static void many_threads_exact_and_ordered(void **state)
{
    (void) state;
    init_async("async_threads", "block", "64KB"); /* small queues: producers really wait */
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, producer, (void *) (intptr_t) t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(nlog_flush(), NLOG_OK);
    parsed p = read_all("netlink.log");
    assert_int_equal(p.n, THREADS * PER_THREAD);
    int next[THREADS] = {0};
    for (size_t i = 0; i < p.n; i++) {
        int64_t t = ctx_int(p.objs[i], "thread"), s = ctx_int(p.objs[i], "seq");
        assert_true(t >= 0 && t < THREADS);
        assert_int_equal(s, next[t]); /* each thread's records in its order, none missing */
        next[t]++;
    }
    free_parsed(&p);
    nlog_shutdown();
}

/* Microseconds since the epoch of an RFC 3339 UTC time with microseconds. */
static int64_t parse_us(const char *ts)
{
    struct tm tm = {0};
    int us = 0;
    assert_int_equal(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us),
                     7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t) timegm(&tm) * 1000000 + us;
}

/* In async mode the calling thread may stamp records with TSC ticks that the
 * writer converts (platform/linux/clock.c): each record's time must still lie
 * between the wall clock read just before and just after its call, within
 * the conversion's error (well under 50 us), and one thread's records must
 * never go back in time. */
#define STAMPED 3000
static void timestamps_follow_the_wall_clock(void **state)
{
    (void) state;
    init_async("async_time", "block", "1MB");
    nlog_logger *lg = nlog_get_logger("async.time");
    static int64_t before[STAMPED], after[STAMPED];
    for (int i = 0; i < STAMPED; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_REALTIME, &a);
        NLOG_INFO(lg, "stamped", NLOG_CTX("seq", i));
        clock_gettime(CLOCK_REALTIME, &b);
        before[i] = (int64_t) a.tv_sec * 1000000 + a.tv_nsec / 1000;
        after[i] = (int64_t) b.tv_sec * 1000000 + b.tv_nsec / 1000;
        if (i % 500 == 0)
            assert_int_equal(nlog_flush(), NLOG_OK); /* several writer cycles, several references */
    }
    assert_int_equal(nlog_flush(), NLOG_OK);
    parsed p = read_all("netlink.log");
    assert_int_equal(p.n, STAMPED);
    int64_t prev = 0, worst = 0;
    for (size_t i = 0; i < p.n; i++) {
        json_object *ts;
        assert_true(json_object_object_get_ex(p.objs[i], "timestamp", &ts));
        int64_t us = parse_us(json_object_get_string(ts));
        int64_t seq = ctx_int(p.objs[i], "seq");
        assert_int_equal(seq, (int64_t) i);
        int64_t err = us < before[i] ? before[i] - us : us > after[i] ? us - after[i] : 0;
        worst = err > worst ? err : worst;
        assert_true(us >= prev);
        prev = us;
    }
    print_message("worst timestamp error: %lld us (%s)\n", (long long) worst,
                  nlog__tsc_on ? "TSC stamps" : "clock_gettime stamps");
    assert_true(worst <= 50);
    free_parsed(&p);
    nlog_shutdown();
}

static void flush_makes_everything_visible(void **state)
{
    (void) state;
    init_async("async_flush", "block", "1MB");
    nlog_logger *lg = nlog_get_logger("flush");
    for (int round = 1; round <= 5; round++) {
        for (int i = 0; i < 100; i++)
            NLOG_INFO(lg, "r", NLOG_CTX("seq", i));
        assert_int_equal(nlog_flush(), NLOG_OK);
        assert_int_equal(tu_assert_json_lines(tu_path(dir, "netlink.log")), (size_t) round * 100);
    }
    nlog_shutdown();
}

static void drop_newest_counts_exactly(void **state)
{
    (void) state;
    init_async("async_drop_newest", "drop_newest", "64KB");
    nlog_logger *lg = nlog_get_logger("drops");
    nlog_counters before = counters();
    nlog__async_test_pause(1);
    const int total = 5000; /* far more than 64 KB holds */
    int refused = 0;
    for (int i = 0; i < total; i++)
        refused += nlog_log(lg, NLOG_LEVEL_INFO, NULL, "payload payload payload", NULL, 0) ==
                   NLOG_EQUEUE_FULL;
    nlog_counters mid = counters();
    assert_true(refused > 0);
    assert_int_equal(mid.dropped[2] - before.dropped[2], (uint64_t) refused);
    nlog__async_test_pause(0);
    assert_int_equal(nlog_flush(), NLOG_OK); /* the writer empties the queue */
    NLOG_WARNING(lg, "after"); /* room again: the drop report goes first */
    assert_int_equal(nlog_flush(), NLOG_OK);
    parsed p = read_all("netlink.log");
    assert_int_equal(p.n, (size_t) (total - refused) + 2); /* kept + report + "after" */
    char want[64];
    snprintf(want, sizeof want, "%d records dropped between ", refused);
    json_object *msg;
    assert_true(json_object_object_get_ex(p.objs[p.n - 2], "message", &msg));
    assert_non_null(strstr(json_object_get_string(msg), want));
    json_object *meta, *v;
    assert_true(json_object_object_get_ex(p.objs[p.n - 2], "metadata", &meta));
    assert_true(json_object_object_get_ex(meta, "dropped_info", &v));
    assert_int_equal(json_object_get_int(v), refused);
    free_parsed(&p);
    nlog_shutdown();
}

static void *security_when_full(void *arg)
{
    (void) arg;
    NLOG_SECURITY(nlog_get_logger("drops"), "must not be lost");
    NLOG_AUDIT(nlog_get_logger("drops"), "nor this");
    return NULL;
}

static void drop_oldest_keeps_newest_and_protected(void **state)
{
    (void) state;
    init_async("async_drop_oldest", "drop_oldest", "64KB");
    nlog_logger *lg = nlog_get_logger("drops");
    nlog_counters before = counters();
    nlog__async_test_pause(1);
    const int total = 5000;
    for (int i = 0; i < total; i++)
        assert_int_equal(nlog_log(lg, NLOG_LEVEL_DEBUG, NULL, "old and new",
                                  &(nlog_field){.key = "seq", .group = 0, .type = NLOG_VALUE_INT, .v.i = i},
                                  1),
                         NLOG_OK);
    nlog_counters mid = counters();
    uint64_t dropped = mid.dropped[1] - before.dropped[1];
    assert_true(dropped > 0);
    /* SECURITY and AUDIT into a full queue wait for room instead of dropping;
     * they run on their own thread, which the released writer unblocks. */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, security_when_full, NULL), 0);
    nlog__async_test_pause(0);
    pthread_join(th, NULL);
    assert_int_equal(nlog_flush(), NLOG_OK);
    parsed p = read_all("netlink.log");
    /* the survivors are exactly the newest ones, in order */
    size_t kept = 0;
    int64_t expect = (int64_t) dropped;
    for (size_t i = 0; i < p.n; i++) {
        int64_t s = ctx_int(p.objs[i], "seq");
        if (s < 0)
            continue;
        assert_int_equal(s, expect++);
        kept++;
    }
    assert_int_equal(kept + dropped, (size_t) total);
    free_parsed(&p);
    parsed sec = read_all("security.log");
    parsed aud = read_all("audit.log");
    assert_int_equal(sec.n, 1);
    assert_int_equal(aud.n, 1);
    free_parsed(&sec);
    free_parsed(&aud);
    nlog_shutdown();
}

static void fork_child_logs_through_its_own_writer(void **state)
{
    (void) state;
    init_async("async_fork", "block", "1MB");
    nlog_logger *lg = nlog_get_logger("fork");
    nlog__async_test_pause(1); /* the parent's records are still queued at fork */
    for (int i = 0; i < 300; i++)
        NLOG_INFO(lg, "parent", NLOG_CTX("seq", i));
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        nlog__async_test_pause(0);
        for (int i = 0; i < 200; i++)
            NLOG_INFO(lg, "child", NLOG_CTX("seq", i));
        nlog_shutdown();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    nlog__async_test_pause(0);
    assert_int_equal(nlog_flush(), NLOG_OK);
    parsed p = read_all("netlink.log");
    assert_int_equal(p.n, 500); /* nothing lost, nothing written twice */
    int parent = 0, child = 0;
    for (size_t i = 0; i < p.n; i++) {
        json_object *pid;
        assert_true(json_object_object_get_ex(p.objs[i], "process_id", &pid));
        if (json_object_get_int(pid) == (int) getpid())
            parent++;
        else if (json_object_get_int(pid) == (int) kid)
            child++;
    }
    assert_int_equal(parent, 300);
    assert_int_equal(child, 200);
    free_parsed(&p);
    nlog_shutdown();
}

static void kill_9_leaves_whole_lines(void **state)
{
    (void) state;
    dir = tu_scratch("async_kill");
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        nlog_config cfg;
        tu_config(&cfg, dir);
        nlog_error err;
        if (nlog_config_set(&cfg, "async", "true", &err) != NLOG_OK || nlog_init(&cfg) != NLOG_OK)
            _exit(2);
        nlog_logger *lg = nlog_get_logger("victim");
        char pad[700];
        memset(pad, 'p', sizeof pad - 1);
        pad[sizeof pad - 1] = '\0';
        for (long i = 0;; i++) {
            NLOG_INFO(lg, "until killed", NLOG_CTX("seq", i), NLOG_META("pad", pad));
            if (i == 20000) {
                (void) nlog_flush();
                if (write(ready[1], "x", 1) != 1)
                    _exit(3);
            }
        }
    }
    close(ready[1]); /* so a child that dies early ends the read */
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1); /* the child is writing at full speed */
    assert_int_equal(kill(kid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFSIGNALED(status));
    /* SIGKILL inside write(2) stops the write at a page boundary, so the file
     * may end in the start of a line; the next writer to open the file cuts
     * that fragment before it appends (and says so), keeping every whole
     * line. */
    nlog_config cfg;
    tu_config(&cfg, dir);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    NLOG_INFO(nlog_get_logger("next"), "the next writer");
    nlog_shutdown();
    size_t n = tu_assert_json_lines(tu_path(dir, "netlink.log"));
    assert_true(n >= 20001);
    close(ready[0]);
}

static void disk_full_keeps_accepted_records(void **state)
{
    (void) state;
    const int64_t SEC = 1000000000LL;
    tu_clock_fake(1700000000 * SEC, 50000 * SEC);
    tu_diag_capture();
    init_async("async_diskfull", "block", "1MB");
    /* every write to the main file fails with ENOSPC until the link goes */
    assert_int_equal(symlink("/dev/full", tu_path(dir, "netlink.log")), 0);
    nlog_logger *lg = nlog_get_logger("full");
    for (int i = 0; i < 500; i++)
        NLOG_INFO(lg, "accepted", NLOG_CTX("seq", i));
    assert_int_equal(nlog_flush(), NLOG_EIO); /* kept, not written, not lost */
    assert_true(tu_diag_contains("No space left on device"));
    assert_int_equal(unlink(tu_path(dir, "netlink.log")), 0);
    tu_clock_advance(2 * SEC); /* the retry and the file's identity check are due */
    assert_int_equal(nlog_flush(), NLOG_OK);
    parsed p = read_all("netlink.log");
    assert_int_equal(p.n, 500);
    for (size_t i = 0; i < p.n; i++)
        assert_int_equal(ctx_int(p.objs[i], "seq"), (int64_t) i);
    free_parsed(&p);
    nlog_shutdown();
    nlog_set_diagnostics(NULL, NULL);
    tu_clock_real();
}

/* A child queues records with its writer held, then dies of `sig`. */
static size_t crash_child(const char *name, int sig, const char *drain)
{
    dir = tu_scratch(name);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        /* cmocka catches these signals itself; the child must die of them */
        int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        nlog_config cfg;
        tu_config(&cfg, dir);
        nlog_error err;
        if (nlog_config_set(&cfg, "async", "true", &err) != NLOG_OK ||
            nlog_config_set(&cfg, "crash_drain", drain, &err) != NLOG_OK || nlog_init(&cfg) != NLOG_OK)
            _exit(2);
        nlog__async_test_pause(1);
        nlog_logger *lg = nlog_get_logger("crash");
        for (int i = 0; i < 300; i++)
            NLOG_ERROR(lg, "queued before the crash", NLOG_CTX("seq", i), NLOG_PERF("x", 0.5));
        if (sig == SIGSEGV) {
            /* a real invalid access; the volatile pointer hides it from the optimiser */
            volatile int *volatile bad = (volatile int *) (uintptr_t) 8;
            *bad = 1;
        } else
            abort();
        _exit(3);
    }
    int status;
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFSIGNALED(status)); /* the default action still ran */
    assert_int_equal(WTERMSIG(status), sig);
    if (access(tu_path(dir, "netlink.log"), F_OK) != 0)
        return 0;
    return tu_assert_json_lines(tu_path(dir, "netlink.log"));
}

static void fatal_signals_drain_the_queues(void **state)
{
    (void) state;
    assert_int_equal(crash_child("crash_segv", SIGSEGV, "true"), 300);
    assert_int_equal(crash_child("crash_abrt", SIGABRT, "true"), 300);
    assert_int_equal(crash_child("crash_off", SIGABRT, "false"), 0); /* opted out */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_threads_exact_and_ordered),
        cmocka_unit_test(flush_makes_everything_visible),
        cmocka_unit_test(timestamps_follow_the_wall_clock),
        cmocka_unit_test(drop_newest_counts_exactly),
        cmocka_unit_test(drop_oldest_keeps_newest_and_protected),
        cmocka_unit_test(fork_child_logs_through_its_own_writer),
        cmocka_unit_test(kill_9_leaves_whole_lines),
        cmocka_unit_test(disk_full_keeps_accepted_records),
        cmocka_unit_test(fatal_signals_drain_the_queues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
