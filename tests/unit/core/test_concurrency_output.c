/* test_concurrency_output.c: many threads and several processes appending
 * to the same files: exactly N x M whole, valid lines, none lost or mixed,
 * and reconfiguration while threads log. Also run under TSan in CI. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define THREADS 4
#define PER_THREAD 2000
#define PROCS 3
#define PER_PROC 1500

static const char *dir;

static void *producer(void *arg)
{
    int t = (int) (intptr_t) arg;
    nlog_logger *lg = nlog_get_logger("worker");
    /* a long-ish varying payload makes interleaving visible if it happened */
    char pad[300];
    memset(pad, 'a' + t, sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < PER_THREAD; i++)
        NLOG_INFO(lg, "tick", NLOG_CTX("thread", t), NLOG_CTX("seq", i), NLOG_META("pad", pad));
    return NULL;
}

/* Checks that every (who, seq) pair appears exactly once. */
static void check_exact(const char *path, const char *who_key, int whos, int per)
{
    size_t len;
    char *text = tu_read_file(path, &len);
    assert_non_null(text);
    char **lines;
    size_t n = tu_split_lines(text, len, &lines);
    assert_int_equal(n, (size_t) whos * (size_t) per);
    unsigned char *seen = calloc((size_t) whos * (size_t) per, 1);
    for (size_t i = 0; i < n; i++) {
        json_object *o = tu_parse_json(lines[i]);
        json_object *ctx, *w, *s;
        assert_true(json_object_object_get_ex(o, "context", &ctx));
        assert_true(json_object_object_get_ex(ctx, who_key, &w));
        assert_true(json_object_object_get_ex(ctx, "seq", &s));
        int wi = json_object_get_int(w), si = json_object_get_int(s);
        assert_true(wi >= 0 && wi < whos && si >= 0 && si < per);
        assert_int_equal(seen[wi * per + si], 0);
        seen[wi * per + si] = 1;
        json_object_put(o);
    }
    free(seen);
    free(lines);
    free(text);
}

static void threads_append_whole_lines(void **state)
{
    (void) state;
    dir = tu_scratch("threads");
    nlog_config cfg;
    tu_config(&cfg, dir);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, producer, (void *) (intptr_t) t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(nlog_flush(), NLOG_OK);
    check_exact(tu_path(dir, "netlink.log"), "thread", THREADS, PER_THREAD);
    nlog_shutdown();
}

static void processes_append_whole_lines(void **state)
{
    (void) state;
    dir = tu_scratch("procs");
    pid_t kids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        kids[p] = fork();
        assert_true(kids[p] >= 0);
        if (kids[p] == 0) {
            nlog_config cfg;
            tu_config(&cfg, dir);
            if (nlog_init(&cfg) != NLOG_OK)
                _exit(2);
            nlog_logger *lg = nlog_get_logger("proc");
            char pad[500];
            memset(pad, 'A' + p, sizeof pad - 1);
            pad[sizeof pad - 1] = '\0';
            for (int i = 0; i < PER_PROC; i++)
                NLOG_INFO(lg, "tick", NLOG_CTX("proc", p), NLOG_CTX("seq", i), NLOG_META("pad", pad));
            nlog_shutdown();
            _exit(0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int status;
        assert_int_equal(waitpid(kids[p], &status, 0), kids[p]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    check_exact(tu_path(dir, "netlink.log"), "proc", PROCS, PER_PROC);
}

static int stop_flag;
static long progress; /* records logged so far by all steady loggers */
static void *steady_logger(void *arg)
{
    (void) arg;
    nlog_logger *lg = nlog_get_logger("steady");
    long i = 0;
    while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
        NLOG_INFO(lg, "steady", NLOG_CTX("i", i++));
        __atomic_fetch_add(&progress, 1, __ATOMIC_RELAXED);
    }
    return (void *) i;
}

/* Waits (yielding) until the loggers have made `n` more records. */
static void wait_progress(long n)
{
    long target = __atomic_load_n(&progress, __ATOMIC_RELAXED) + n;
    while (__atomic_load_n(&progress, __ATOMIC_RELAXED) < target)
        sched_yield();
}

static void reconfiguring_while_logging_loses_nothing(void **state)
{
    (void) state;
    dir = tu_scratch("reconfig");
    nlog_config cfg;
    tu_config(&cfg, dir);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    stop_flag = 0;
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, steady_logger, NULL), 0);
    for (int k = 0; k < 50; k++) {
        wait_progress(20); /* reconfigure while records are really flowing */
        cfg.console_fields = k & 1; /* a real change each time */
        assert_int_equal(nlog_init(&cfg), NLOG_OK);
        assert_int_equal(nlog_set_level(k & 1 ? NLOG_LEVEL_DEBUG : NLOG_LEVEL_TRACE), NLOG_OK);
    }
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    long total = 0;
    for (int t = 0; t < 2; t++) {
        void *ret;
        pthread_join(th[t], &ret);
        total += (long) ret;
    }
    assert_int_equal(tu_assert_json_lines(tu_path(dir, "netlink.log")), (size_t) total);
    nlog_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_append_whole_lines),
        cmocka_unit_test(processes_append_whole_lines),
        cmocka_unit_test(reconfiguring_while_logging_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
