/* test_concurrency_seal.c: several threads, and several processes, append
 * to one sealed file and form one chain: every record is there once, in a
 * range some checkpoint covers, and the log verifies. Synchronous and
 * asynchronous mode; processes that rotate the file between them. Runs
 * under ThreadSanitizer (CTest label "concurrency"). */
#include <pthread.h>
#include <sys/wait.h>

#include "seal/timer.h"
#include "seal_util.h"
#include "sink/retention.h"

#define THREADS 4
#define PER_THREAD 300
#define PROCS 3
#define PER_PROC 300

static void *logger_thread(void *arg)
{
    int base = (int) (intptr_t) arg;
    su_records(base, base + PER_THREAD - 1);
    return NULL;
}

/* Every record n in 1..count appears exactly once. */
static void check_each_once(const su_env *e, int count)
{
    su_lines L = su_read(tu_path(e->dir, "netlink.log"));
    unsigned char *seen = calloc((size_t) count + 1, 1);
    for (size_t i = 0; i < L.n; i++) {
        const char *p = strstr(L.l[i], "\"context\":{\"n\":");
        if (!p)
            continue;
        long n = strtol(p + 15, NULL, 10);
        assert_true(n >= 1 && n <= count);
        assert_int_equal(seen[n], 0);
        seen[n] = 1;
    }
    for (int n = 1; n <= count; n++)
        if (!seen[n])
            fail_msg("record %d is missing", n);
    free(seen);
    su_free(&L);
}

static void threads_share_one_sealer(void **state)
{
    (void) state;
    for (int async = 0; async < 2; async++) {
        su_env e;
        su_env_init(&e, async ? "threads_async" : "threads_sync");
        su_init(&e, 50, "async", async ? "true" : "false", NULL);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_create(&t[i], NULL, logger_thread,
                                            (void *) (intptr_t) (1 + i * PER_THREAD)),
                             0);
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        nlog_shutdown();
        nlog_seal_report *r = su_verify(&e, NULL);
        su_assert_ok(r);
        assert_int_equal(su_log(r, "netlink.log")->records, THREADS * PER_THREAD);
        assert_int_equal(su_log(r, "netlink.log")->trailing, 0);
        nlog_seal_report_destroy(r);
        check_each_once(&e, THREADS * PER_THREAD);
    }
}

static void processes_share_one_chain(void **state)
{
    (void) state;
    for (int variant = 0; variant < 3; variant++) {
        su_env e;
        su_env_init(&e, variant == 0 ? "procs_sync" : variant == 1 ? "procs_async"
                                                                   : "procs_rotating");
        pid_t pids[PROCS];
        int go[2];
        assert_int_equal(pipe(go), 0);
        for (int i = 0; i < PROCS; i++) {
            pids[i] = fork();
            assert_true(pids[i] >= 0);
            if (pids[i] == 0) {
                close(go[1]);
                char c;
                if (read(go[0], &c, 1) != 0) /* start together: the parent closes the pipe */
                    _exit(3);
                if (variant == 2)
                    su_init(&e, 50, "max_file_size", "24KB", NULL);
                else
                    su_init(&e, 50, "async", variant == 1 ? "true" : "false", NULL);
                su_records(1 + i * PER_PROC, (i + 1) * PER_PROC);
                nlog_shutdown();
                _exit(0);
            }
        }
        close(go[0]);
        close(go[1]);
        for (int i = 0; i < PROCS; i++) {
            int status;
            assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        nlog_seal_report *r = su_verify(&e, NULL);
        su_assert_ok(r);
        const nlog_seal_log_summary *s = su_log(r, "netlink.log");
        assert_int_equal(s->records, PROCS * PER_PROC);
        assert_int_equal(s->trailing, 0);
        assert_int_equal(s->streams, 1);
        if (variant == 2)
            assert_true(s->files > 2);
        else
            check_each_once(&e, PROCS * PER_PROC);
        nlog_seal_report_destroy(r);
    }
}

/* Interval checkpoints (the timer's pass, here also on the main thread)
 * while threads log, with the clock moving on. */
static void timer_while_logging(void **state)
{
    (void) state;
    for (int async = 0; async < 2; async++) {
        su_env e;
        su_env_init(&e, async ? "timer_async" : "timer_sync");
        tu_clock_fake(1795478400LL * SU_SEC, 1000 * SU_SEC);
        su_init(&e, 1000, "async", async ? "true" : "false", "seal_checkpoint_interval_ms", "5",
                NULL);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_create(&t[i], NULL, logger_thread,
                                            (void *) (intptr_t) (1 + i * PER_THREAD)),
                             0);
        for (int i = 0; i < 200; i++) {
            tu_clock_advance(6 * 1000000LL);
            nlog__seal_timer_run();
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        nlog_shutdown();
        tu_clock_real();
        nlog_seal_report *r = su_verify(&e, NULL);
        su_assert_ok(r);
        assert_int_equal(su_log(r, "netlink.log")->records, THREADS * PER_THREAD);
        assert_true(su_log(r, "netlink.log")->checkpoints > 1);
        nlog_seal_report_destroy(r);
        check_each_once(&e, THREADS * PER_THREAD);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_share_one_sealer),
        cmocka_unit_test(timer_while_logging),
        cmocka_unit_test(processes_share_one_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
