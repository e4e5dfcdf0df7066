/* test_concurrency_perf.c: performance monitoring under concurrency (TSan
 * runs it). Several threads record named samples, handle samples and timers
 * while another queries, exports and adds and removes alerts, and the
 * library is reconfigured; afterwards every sample is accounted for exactly
 * (aggregated + dropped = recorded). A removed alert's callback never runs
 * after nlog_perf_alert_remove() returns. A child after fork() records and
 * aggregates on its own, also when the fork() happened while an alert
 * callback ran (nothing the parent's aggregation thread held is held in the
 * child). The buffer size and the history cap change while threads record:
 * every sample is still accounted for and the cap holds. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "perf_util.h"

#define THREADS 4
#define PER_THREAD 20000

static nlog_metric *shared_handle;
static int stop_reader;      /* atomic */
static int removed_flag;     /* atomic: set once the alert removal returned */
static int late_callbacks;   /* atomic: callbacks seen after that */
static uint64_t accepted[THREADS], dropped[THREADS];

static void on_alert(const nlog_alert_event *ev, void *user)
{
    (void) ev;
    (void) user;
    if (__atomic_load_n(&removed_flag, __ATOMIC_ACQUIRE))
        __atomic_fetch_add(&late_callbacks, 1, __ATOMIC_RELAXED);
}

static void count(int id, nlog_status st)
{
    if (st == NLOG_OK)
        accepted[id]++;
    else if (st == NLOG_EQUEUE_FULL)
        dropped[id]++;
    else
        fail_msg("thread %d: %s (%s)", id, nlog_status_str(st), nlog_errmsg());
}

static void *writer(void *arg)
{
    int id = (int) (intptr_t) arg;
    char mine[16];
    snprintf(mine, sizeof mine, "w%d", id);
    for (int i = 0; i < PER_THREAD; i++) {
        switch (i % 4) {
        case 0:
            count(id, nlog_record_metric("shared_named", i, "count", NLOG_TAG("kind", "x")));
            break;
        case 1:
            count(id, nlog_metric_observe(shared_handle, (double) i));
            break;
        case 2:
            count(id, nlog_record_metric("per_thread", i, "count", NLOG_TAG("thread", mine)));
            break;
        default: {
            nlog_timer t;
            nlog_timer_start(&t, "timed", NULL, 0);
            /* a timer's result cannot be observed: count it as a named sample */
            (void) nlog_timer_stop(&t);
            accepted[id]++;
            break;
        }
        }
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void) arg;
    while (!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
        nlog_perf_query q;
        nlog_perf_query_init(&q);
        q.metric = "shared_named";
        nlog_perf_summary s;
        nlog_perf_trend t;
        nlog_status st = nlog_perf_query_run(&q, &s, &t);
        assert_true(st == NLOG_OK || st == NLOG_ENOTFOUND);
        char *text;
        assert_int_equal(nlog_perf_prometheus(&text, NULL), NLOG_OK);
        nlog_perf_free(text);
        assert_int_equal(nlog_perf_json(NULL, &text, NULL), NLOG_OK);
        nlog_perf_free(text);
        nlog_alert_config a;
        nlog_alert_config_init(&a);
        a.metric = "shared_named";
        a.threshold = 10;
        a.callback = on_alert;
        uint64_t id;
        assert_int_equal(nlog_perf_alert(&a, &id), NLOG_OK);
        assert_int_equal(nlog_perf_alert_remove(id), NLOG_OK);
    }
    return NULL;
}

static void test_many_threads(void **state)
{
    (void) state;
    const char *dir = tu_scratch("perf_concurrency");
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.async = 1;
    cfg.performance_record_every = 50;
    cfg.performance_buffer_size = 65536; /* small: some drops are likely, all are counted */
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_int_equal(nlog_metric_get("shared_handle", NLOG_METRIC_VALUE, "count", NULL, 0,
                                     &shared_handle),
                     NLOG_OK);
    nlog_perf_counters before = pu_counters();
    pthread_t w[THREADS], r;
    assert_int_equal(pthread_create(&r, NULL, reader, NULL), 0);
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&w[i], NULL, writer, (void *) i), 0);
    cfg.performance_record_every = 7; /* reconfiguration while they run */
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    for (int i = 0; i < THREADS; i++)
        pthread_join(w[i], NULL);
    __atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
    pthread_join(r, NULL);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);

    uint64_t acc = 0, drop = 0;
    for (int i = 0; i < THREADS; i++) {
        acc += accepted[i];
        drop += dropped[i];
    }
    nlog_perf_counters c = pu_counters();
    assert_int_equal(acc + drop, (uint64_t) THREADS * PER_THREAD);
    /* timers may drop too (their stop returns the duration, not the status):
     * the library's totals are exact */
    assert_int_equal((c.samples - before.samples) + (c.samples_dropped - before.samples_dropped),
                     (uint64_t) THREADS * PER_THREAD);
    nlog_perf_summary s = pu_summary("per_thread", NULL, 0, PU_MIN, NULL);
    assert_int_equal(s.series, THREADS);
    tu_assert_json_lines(tu_path(dir, "netlink.log"));
    nlog_shutdown();
}

/* The contract of removal: once it returns, no callback runs. */
static int cb_running; /* atomic */
static void slow_callback(const nlog_alert_event *ev, void *user)
{
    (void) ev;
    (void) user;
    __atomic_store_n(&cb_running, 1, __ATOMIC_RELEASE);
    for (volatile int i = 0; i < 200000; i++) /* stays in the callback a while */
        ;
    if (__atomic_load_n(&removed_flag, __ATOMIC_ACQUIRE))
        __atomic_fetch_add(&late_callbacks, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&cb_running, 0, __ATOMIC_RELEASE);
}

static void *feeder(void *arg)
{
    (void) arg;
    while (!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
        (void) nlog_record_metric("hot", 100, NULL);
        (void) nlog_perf_flush();
    }
    return NULL;
}

static void test_remove_waits_for_callbacks(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    __atomic_store_n(&stop_reader, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&late_callbacks, 0, __ATOMIC_RELEASE);
    pthread_t f;
    assert_int_equal(pthread_create(&f, NULL, feeder, NULL), 0);
    for (int round = 0; round < 20; round++) {
        __atomic_store_n(&removed_flag, 0, __ATOMIC_RELEASE);
        nlog_alert_config a;
        nlog_alert_config_init(&a);
        a.metric = "hot";
        a.threshold = 1;
        a.callback = slow_callback;
        uint64_t id;
        assert_int_equal(nlog_perf_alert(&a, &id), NLOG_OK);
        /* resolve and fire again every sample: alternate the condition */
        (void) nlog_record_metric("hot", 0, NULL);
        assert_int_equal(nlog_perf_flush(), NLOG_OK);
        assert_int_equal(nlog_perf_alert_remove(id), NLOG_OK);
        __atomic_store_n(&removed_flag, 1, __ATOMIC_RELEASE);
        assert_int_equal(__atomic_load_n(&cb_running, __ATOMIC_ACQUIRE), 0);
        assert_int_equal(nlog_perf_flush(), NLOG_OK);
    }
    __atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
    pthread_join(f, NULL);
    assert_int_equal(__atomic_load_n(&late_callbacks, __ATOMIC_ACQUIRE), 0);
    nlog_shutdown();
}

static void test_fork(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_int_equal(nlog_record_metric("before_fork", 1, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child: its own aggregation thread starts on demand */
        int ok = nlog_record_metric("in_child", 5, NULL) == NLOG_OK && nlog_perf_flush() == NLOG_OK;
        nlog_perf_query q;
        nlog_perf_query_init(&q);
        q.metric = "in_child";
        nlog_perf_summary s;
        ok = ok && nlog_perf_query_run(&q, &s, NULL) == NLOG_OK && s.count == 1;
        q.metric = "before_fork"; /* the history came along */
        ok = ok && nlog_perf_query_run(&q, &s, NULL) == NLOG_OK && s.count == 1;
        nlog_shutdown();
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(nlog_record_metric("in_parent", 1, NULL), NLOG_OK);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    nlog_perf_summary s = pu_summary("in_parent", NULL, 0, PU_MIN, NULL);
    assert_int_equal(s.count, 1);
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = "in_child";
    assert_int_equal(nlog_perf_query_run(&q, &s, NULL), NLOG_ENOTFOUND);
    nlog_shutdown();
}

/* fork() while the aggregation thread is inside an alert callback (held
 * there by the test, not by time): in the child, removing that alert and
 * using the library do not wait for the parent's callback. */
static pthread_mutex_t cb_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cv = PTHREAD_COND_INITIALIZER;
static int cb_entered, cb_release;

static void held_callback(const nlog_alert_event *ev, void *user)
{
    (void) ev;
    (void) user;
    pthread_mutex_lock(&cb_m);
    cb_entered = 1;
    pthread_cond_broadcast(&cb_cv);
    while (!cb_release)
        pthread_cond_wait(&cb_cv, &cb_m);
    pthread_mutex_unlock(&cb_m);
}

static void test_fork_during_callback(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_alert_config a;
    nlog_alert_config_init(&a);
    a.metric = "fork_cb";
    a.callback = held_callback;
    uint64_t id;
    assert_int_equal(nlog_perf_alert(&a, &id), NLOG_OK);
    assert_int_equal(nlog_record_metric("fork_cb", 1, NULL), NLOG_OK);
    pthread_mutex_lock(&cb_m);
    while (!cb_entered)
        pthread_cond_wait(&cb_cv, &cb_m);
    pthread_mutex_unlock(&cb_m);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60); /* a deadlock here ends the child with SIGALRM, not the suite */
        int ok = nlog_perf_alert_remove(id) == NLOG_OK;
        ok = ok && nlog_record_metric("in_child", 5, NULL) == NLOG_OK && nlog_perf_flush() == NLOG_OK;
        nlog_perf_query q;
        nlog_perf_query_init(&q);
        q.metric = "in_child";
        nlog_perf_summary s;
        ok = ok && nlog_perf_query_run(&q, &s, NULL) == NLOG_OK && s.count == 1;
        nlog_alert_config b;
        nlog_alert_config_init(&b);
        b.metric = "in_child";
        ok = ok && nlog_perf_alert(&b, NULL) == NLOG_OK;
        nlog_shutdown();
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    pthread_mutex_lock(&cb_m);
    cb_release = 1;
    pthread_cond_broadcast(&cb_cv);
    pthread_mutex_unlock(&cb_m);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child %s %d", WIFSIGNALED(status) ? "was killed by signal" : "exited with",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    assert_int_equal(nlog_perf_alert_remove(id), NLOG_OK); /* the callback has returned */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_shutdown();
}

/* performance_buffer_size and performance_history_memory change while
 * threads record: threads move to new rings on their next sample, the old
 * rings are drained, and every sample is aggregated or counted as dropped;
 * after each change the history is within the cap in force. */
static int stop_writers; /* atomic */
static uint64_t recorded[THREADS], refused[THREADS];

static void *steady_writer(void *arg)
{
    int id = (int) (intptr_t) arg;
    char ep[32];
    int i = 0;
    while (!__atomic_load_n(&stop_writers, __ATOMIC_ACQUIRE)) {
        snprintf(ep, sizeof ep, "/e%d", i++ % 64);
        nlog_status st = nlog_record_metric("resized", i, "count", NLOG_TAG("endpoint", ep),
                                            NLOG_TAG("thread", id ? "b" : "a"));
        if (st == NLOG_OK)
            recorded[id]++;
        else if (st == NLOG_EQUEUE_FULL)
            refused[id]++;
        else
            fail_msg("%s", nlog_status_str(st));
    }
    return NULL;
}

static void test_resize_while_recording(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    cfg.performance_buffer_size = 65536;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_perf_counters before = pu_counters();
    __atomic_store_n(&stop_writers, 0, __ATOMIC_RELEASE);
    memset(recorded, 0, sizeof recorded);
    memset(refused, 0, sizeof refused);
    pthread_t w[2];
    for (intptr_t i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&w[i], NULL, steady_writer, (void *) i), 0);
    static const int64_t sizes[] = {16384, 1048576, 32768, 262144};
    static const int64_t caps[] = {1048576, 8388608, 1048576, 2097152};
    for (int round = 0; round < 8; round++) {
        cfg.performance_buffer_size = sizes[round % 4];
        cfg.performance_history_memory = caps[round % 4];
        assert_int_equal(nlog_init(&cfg), NLOG_OK);
        assert_int_equal(nlog_perf_flush(), NLOG_OK);
        nlog_perf_counters c = pu_counters();
        if (c.history_bytes > (uint64_t) caps[round % 4])
            fail_msg("round %d: %llu bytes over a cap of %lld", round,
                     (unsigned long long) c.history_bytes, (long long) caps[round % 4]);
    }
    __atomic_store_n(&stop_writers, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_perf_counters c = pu_counters();
    uint64_t rec = recorded[0] + recorded[1], ref = refused[0] + refused[1];
    assert_true(rec > 0);
    /* every accepted sample is aggregated or refused by the store (the memory
     * cap), every refused one counted as dropped */
    assert_int_equal(c.samples_dropped - before.samples_dropped, ref);
    assert_int_equal((c.samples - before.samples) + (c.samples_rejected - before.samples_rejected),
                     rec);
    nlog_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_remove_waits_for_callbacks),
        cmocka_unit_test(test_fork),
        cmocka_unit_test(test_fork_during_callback),
        cmocka_unit_test(test_resize_while_recording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
