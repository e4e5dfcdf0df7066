/* test_engine.c: recording through the public API with the injectable
 * clock — timers (start/stop, NLOG_TIMED, NLOG_TIME_SCOPE,
 * NLOG_TIME_FUNCTION), custom metrics, counters, gauges, handles — and the
 * `performance` records they become (level, sampling, fields), drops on a
 * full buffer, and rejected samples. No sleeps: time is the fake clock and
 * nlog_perf_flush() is the synchronisation. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>

#include "perf_util.h"

#include "perf/engine.h"

static const char *dir;

static int setup(void **state)
{
    (void) state;
    dir = tu_scratch("engine");
    tu_diag_capture();
    pu_start(dir, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    tu_clock_real();
    return 0;
}

static void test_timer_pair(void **state)
{
    (void) state;
    nlog_timer t;
    nlog_tag tags[] = {{"table", "users"}};
    nlog_timer_start(&t, "database_query", tags, 1);
    tu_clock_advance(45 * PU_MS);
    assert_true(nlog_timer_elapsed(&t) == 0.045);
    tu_clock_advance(1); /* nanosecond resolution */
    assert_true(nlog_timer_stop(&t) == 0.045000001);
    assert_true(nlog_timer_stop(&t) == -1.0); /* once */
    nlog_timer_start(&t, "database_query", tags, 1);
    tu_clock_advance(PU_S);
    nlog_timer_cancel(&t);
    assert_true(nlog_timer_stop(&t) == -1.0);

    nlog_perf_summary s = pu_summary("database_query", tags, 1, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 1);
    assert_true(s.min == 0.045000001 && s.max == 0.045000001 && s.sum == 0.045000001);
    assert_int_equal(s.exact, 1);
}

static void work(int64_t ms)
{
    tu_clock_advance(ms * PU_MS);
}

static int timed_with_early_return(int fail)
{
    NLOG_TIMED("request_processing", NLOG_TAG("endpoint", "/api/users")) {
        work(3);
        if (fail)
            return -1; /* still recorded */
        work(4);
    }
    return 0;
}

static bool authenticate_user(const char *user, const char *password)
{
    NLOG_TIME_SCOPE("user_authentication");
    work(20);
    if (!user)
        return false;
    work(5);
    return password != NULL;
}

/* As a header would declare them. */
int hash_password(const char *p, int rounds);
void warm_cache(int ms);

NLOG_TIME_FUNCTION("password_hash", int, hash_password, (const char *p, int rounds), (p, rounds))
{
    work(rounds);
    return p ? (int) strlen(p) : 0;
}

NLOG_TIME_VOID_FUNCTION("cache_warmup", warm_cache, (int ms), (ms))
{
    work(ms);
}

static void test_timed_forms(void **state)
{
    (void) state;
    NLOG_TIMED("database_query", NLOG_TAG("table", "users")) {
        work(12);
    }
    /* NLOG_TIMED is a one-pass for statement: break and continue inside
     * it end the timed block only (recorded), never the enclosing loop */
    int iterations = 0;
    for (int i = 0; i < 3; i++) {
        iterations++;
        NLOG_TIMED("loop_body") {
            work(1);
            if (i == 1)
                break; /* leaves the timed block, not the for loop */
            work(1);
        }
    }
    assert_int_equal(iterations, 3);
    /* to break out of the loop, time a plain block with NLOG_TIME_SCOPE */
    iterations = 0;
    for (int i = 0; i < 3; i++) {
        iterations++;
        {
            NLOG_TIME_SCOPE("scoped_body");
            work(2);
            if (i == 1)
                break; /* leaves the for loop; the scope's time is recorded */
        }
    }
    assert_int_equal(iterations, 2);
    int continued = 0;
    for (int i = 0; i < 2; i++) {
        NLOG_TIMED("continued") {
            work(1);
            continue; /* ends the timed block too */
        }
        continued++; /* runs: the continue did not reach the for loop */
    }
    assert_int_equal(continued, 2);
    assert_int_equal(timed_with_early_return(1), -1);
    assert_int_equal(timed_with_early_return(0), 0);
    assert_true(authenticate_user("u", "p"));
    assert_false(authenticate_user(NULL, "p"));
    assert_int_equal(hash_password("secret", 7), 6);
    warm_cache(9);

    nlog_tag users[] = {{"table", "users"}};
    nlog_perf_summary s = pu_summary("database_query", users, 1, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 1);
    assert_true(s.max == 0.012);
    s = pu_summary("loop_body", NULL, 0, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 3);
    assert_true(s.sum == 0.002 + 0.001 + 0.002);
    s = pu_summary("scoped_body", NULL, 0, 5 * PU_MIN, NULL);
    assert_true(s.count == 2 && s.sum == 0.004);
    assert_int_equal(pu_summary("continued", NULL, 0, 5 * PU_MIN, NULL).count, 2);
    s = pu_summary("request_processing", NULL, 0, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 2);
    assert_true(s.min == 0.003 && s.max == 0.007);
    s = pu_summary("user_authentication", NULL, 0, 5 * PU_MIN, NULL);
    assert_int_equal(s.count, 2);
    assert_true(s.min == 0.020 && s.max == 0.025);
    s = pu_summary("password_hash", NULL, 0, 5 * PU_MIN, NULL);
    assert_true(s.count == 1 && s.max == 0.007);
    s = pu_summary("cache_warmup", NULL, 0, 5 * PU_MIN, NULL);
    assert_true(s.count == 1 && s.max == 0.009);
}

/* The product's quick start: each sample becomes a performance record. */
static void test_records(void **state)
{
    (void) state;
    uint64_t records_before = pu_counters().records; /* counters are process-wide */
    NLOG_TIMED("database_query", NLOG_TAG("table", "users")) {
        work(45);
    }
    assert_int_equal(nlog_record_metric("active_users", 1250, "count"), NLOG_OK);
    assert_int_equal(nlog_record_metric("response_size", 2048, "bytes",
                                        NLOG_TAG("endpoint", "/api/users")),
                     NLOG_OK);
    assert_int_equal(nlog_gauge_set("queue_depth", 7, "jobs"), NLOG_OK);
    assert_int_equal(nlog_counter_add("requests", 3, "requests", NLOG_TAG("code", "200")), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);

    json_object *r[16];
    size_t n = pu_records(dir, "performance", r, 16);
    assert_int_equal(n, 5);
    assert_string_equal(pu_str(r[0], "level"), "INFO");
    assert_string_equal(pu_str(r[0], "module"), "performance");
    assert_string_equal(pu_str(r[0], "message"), "database_query took 45 ms");
    assert_true(pu_num(r[0], "performance_data.database_query") == 0.045);
    assert_string_equal(pu_str(r[0], "context.table"), "users");
    assert_string_equal(pu_str(r[0], "metadata.type"), "timer");
    assert_string_equal(pu_str(r[0], "metadata.unit"), "seconds");
    assert_string_equal(pu_str(r[1], "message"), "active_users = 1250 count");
    assert_true(pu_num(r[1], "performance_data.active_users") == 1250);
    assert_string_equal(pu_str(r[2], "context.endpoint"), "/api/users");
    assert_true(pu_num(r[2], "performance_data.response_size") == 2048);
    assert_string_equal(pu_str(r[2], "metadata.type"), "value");
    assert_string_equal(pu_str(r[3], "metadata.type"), "gauge");
    assert_string_equal(pu_str(r[4], "message"), "requests += 3 requests");
    assert_string_equal(pu_str(r[4], "metadata.type"), "counter");
    pu_put_all(r, n);
    assert_int_equal(pu_counters().records - records_before, 5);
}

/* performance_record_every and performance_record_level. */
static void test_record_sampling_and_level(void **state)
{
    (void) state;
    nlog_shutdown();
    nlog_config cfg;
    tu_config(&cfg, dir = tu_scratch("engine_sampling"));
    cfg.performance_record_every = 3;
    pu_start(dir, &cfg);
    for (int i = 1; i <= 7; i++)
        assert_int_equal(nlog_record_metric("m", i, "count"), NLOG_OK);
    assert_int_equal(nlog_record_metric("other", 1, "count"), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    json_object *r[16];
    size_t n = pu_records(dir, "performance", r, 16);
    assert_int_equal(n, 4); /* m #1, #4, #7; other #1 */
    assert_true(pu_num(r[0], "performance_data.m") == 1);
    assert_true(pu_num(r[1], "performance_data.m") == 4);
    assert_true(pu_num(r[2], "performance_data.m") == 7);
    assert_true(pu_num(r[3], "performance_data.other") == 1);
    pu_put_all(r, n);
    /* every sample still counts in the statistics */
    assert_int_equal(pu_summary("m", NULL, 0, PU_MIN, NULL).count, 7);

    /* DEBUG records under an INFO threshold are not written; 0 = no records */
    nlog_shutdown();
    tu_config(&cfg, dir = tu_scratch("engine_level"));
    cfg.level = NLOG_LEVEL_INFO;
    cfg.performance_record_level = NLOG_LEVEL_DEBUG;
    pu_start(dir, &cfg);
    assert_int_equal(nlog_record_metric("m", 1, "count"), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(pu_records(dir, "performance", r, 16), 0);
    assert_int_equal(nlog_set_level(NLOG_LEVEL_DEBUG), NLOG_OK);
    assert_int_equal(nlog_record_metric("m", 2, "count"), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    n = pu_records(dir, "performance", r, 16);
    assert_int_equal(n, 1);
    assert_string_equal(pu_str(r[0], "level"), "DEBUG");
    pu_put_all(r, n);
}

static void test_handles(void **state)
{
    (void) state;
    nlog_metric *m = NULL, *again = NULL, *t = NULL;
    nlog_tag a[] = {{"endpoint", "/a"}, {"method", "GET"}};
    nlog_tag b[] = {{"method", "GET"}, {"endpoint", "/a"}}; /* the same set, other order */
    assert_int_equal(nlog_metric_get("response_time", NLOG_METRIC_TIMER, NULL, a, 2, &m), NLOG_OK);
    assert_int_equal(nlog_metric_get("response_time", NLOG_METRIC_TIMER, NULL, b, 2, &again),
                     NLOG_OK);
    assert_ptr_equal(m, again);
    assert_int_equal(nlog_metric_observe(m, 0.25), NLOG_OK);
    assert_int_equal(nlog_metric_observe(m, 0.75), NLOG_OK);
    assert_int_equal(nlog_perf_record("response_time", NLOG_METRIC_TIMER, 0.5, NULL, b, 2), NLOG_OK);
    nlog_timer tm;
    nlog_timer_start_metric(&tm, m);
    work(100);
    assert_true(nlog_timer_stop(&tm) == 0.1);
    nlog_perf_summary s = pu_summary("response_time", a, 2, PU_MIN, NULL);
    assert_int_equal(s.count, 4);
    assert_true(s.sum == 0.25 + 0.75 + 0.5 + 0.1);
    /* one name, one kind */
    assert_int_equal(nlog_metric_get("response_time", NLOG_METRIC_GAUGE, NULL, NULL, 0, &t),
                     NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "is a timer; it cannot take gauge samples"));
    assert_null(t);
    assert_int_equal(nlog_metric_observe(NULL, 1), NLOG_EINVAL);
    assert_int_equal(nlog_metric_observe(m, INFINITY), NLOG_EINVAL);
}

/* A sample of the wrong kind, and a timer with a bad name, are dropped,
 * counted and reported once. */
static void test_rejections(void **state)
{
    (void) state;
    nlog_perf_counters before = pu_counters();
    assert_int_equal(nlog_record_metric("orders", 1, "count"), NLOG_OK);
    assert_int_equal(nlog_counter_add("orders", 1, "count"), NLOG_OK); /* accepted, then refused */
    assert_int_equal(nlog_counter_add("orders", 1, "count"), NLOG_OK);
    NLOG_TIMED("bad name") {
        work(1);
    }
    NLOG_TIMED("bad name") {
        work(1);
    }
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.samples - before.samples, 1);
    assert_int_equal(c.samples_rejected - before.samples_rejected, 4);
    assert_true(tu_diag_contains("metric 'orders' is a value; it cannot take counter samples"));
    assert_true(tu_diag_contains("invalid metric name 'bad name'"));
    size_t reports = 0;
    for (size_t i = 0; i < tu_diag_count(); i++)
        reports += strstr(tu_diag_message(i), "bad name") != NULL;
    assert_int_equal(reports, 1);

    /* a timer started on a handle that is not a timer's records nothing,
     * and says so: counted as rejected */
    nlog_metric *gauge = NULL;
    assert_int_equal(nlog_metric_get("queue", NLOG_METRIC_GAUGE, NULL, NULL, 0, &gauge), NLOG_OK);
    before = pu_counters();
    nlog_timer t;
    nlog_timer_start_metric(&t, gauge);
    work(3);
    assert_true(nlog_timer_stop(&t) == 0.003);
    assert_non_null(strstr(nlog_errmsg(), "is a gauge, not a timer"));
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    c = pu_counters();
    assert_int_equal(c.samples_rejected - before.samples_rejected, 1);
    assert_int_equal(c.samples - before.samples, 0);
}

/* A full buffer drops and counts; nothing blocks; every accepted sample is
 * aggregated. */
static void test_full_buffer_drops(void **state)
{
    (void) state;
    nlog_shutdown();
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_buffer_size = 16384;
    cfg.performance_record_every = 0;
    pu_start(NULL, &cfg);
    assert_int_equal(nlog_record_metric("warmup", 1, "count"), NLOG_OK); /* the ring exists */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_perf_counters before = pu_counters();
    nlog__perf_test_pause(1);
    size_t ok = 0, full = 0;
    for (int i = 0; i < 5000; i++) {
        nlog_status st = nlog_record_metric("burst", i, "count");
        if (st == NLOG_OK)
            ok++;
        else if (st == NLOG_EQUEUE_FULL)
            full++;
        else
            fail_msg("unexpected %s", nlog_status_str(st));
    }
    nlog__perf_test_pause(0);
    assert_true(full > 0 && ok > 100);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.samples_dropped - before.samples_dropped, full);
    assert_int_equal(c.samples - before.samples, ok);
    assert_int_equal(pu_summary("burst", NULL, 0, PU_MIN, NULL).count, ok);
}

/* While held by nlog__perf_test_pause(1) the aggregation thread runs no
 * pass, even when rings pass half full (which nudges it) or fill up. */
static void test_pause_holds_every_pass(void **state)
{
    (void) state;
    nlog_shutdown();
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_buffer_size = 16384;
    cfg.performance_record_every = 0;
    pu_start(NULL, &cfg);
    assert_int_equal(nlog_perf_thread_prepare(), NLOG_OK); /* the ring and the thread exist */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    for (int round = 0; round < 20; round++) {
        nlog_perf_counters before = pu_counters();
        nlog__perf_test_pause(1);
        size_t ok = 0;
        for (int i = 0; i < 400; i++) /* well past half of 16 KiB: nudges */
            ok += nlog_record_metric("held", i, "count") == NLOG_OK;
        nlog_perf_counters during = pu_counters();
        assert_int_equal(during.samples, before.samples);
        nlog__perf_test_pause(0);
        assert_int_equal(nlog_perf_flush(), NLOG_OK);
        assert_int_equal(pu_counters().samples - before.samples, ok);
    }
}

/* nlog_perf_flush() waits a bounded time: with the aggregation thread held
 * in an alert callback it returns NLOG_ETIMEDOUT, and NLOG_OK again once
 * the thread goes on. */
static pthread_mutex_t hold_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cv = PTHREAD_COND_INITIALIZER;
static int hold_entered, hold_release;

static void holding_callback(const nlog_alert_event *ev, void *user)
{
    (void) ev;
    (void) user;
    pthread_mutex_lock(&hold_m);
    hold_entered = 1;
    pthread_cond_broadcast(&hold_cv);
    while (!hold_release)
        pthread_cond_wait(&hold_cv, &hold_m);
    pthread_mutex_unlock(&hold_m);
}

static void test_flush_is_bounded(void **state)
{
    (void) state;
    nlog_alert_config a;
    nlog_alert_config_init(&a);
    a.metric = "hold";
    a.callback = holding_callback;
    assert_int_equal(nlog_perf_alert(&a, NULL), NLOG_OK);
    assert_int_equal(nlog_record_metric("hold", 1, NULL), NLOG_OK); /* the next pass holds */
    pthread_mutex_lock(&hold_m);
    while (!hold_entered)
        pthread_cond_wait(&hold_cv, &hold_m);
    pthread_mutex_unlock(&hold_m);
    nlog__perf_test_flush_timeout(50 * PU_MS);
    assert_int_equal(nlog_record_metric("later", 1, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_ETIMEDOUT);
    assert_non_null(strstr(nlog_errmsg(), "did not finish a pass"));
    /* a query does not wait longer either; what is aggregated is there */
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = "hold";
    nlog_perf_summary sum;
    assert_int_equal(nlog_perf_query_run(&q, &sum, NULL), NLOG_OK);
    assert_int_equal(sum.count, 1);
    pthread_mutex_lock(&hold_m);
    hold_release = 1;
    pthread_cond_broadcast(&hold_cv);
    pthread_mutex_unlock(&hold_m);
    nlog__perf_test_flush_timeout(0);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(pu_summary("later", NULL, 0, PU_MIN, NULL).count, 1);
}

/* Transitions are acted on in bounded batches: 200 alerts that all flip on
 * every one of 1000 samples (drained in one pass) never hold more than
 * about 1024 + NLOG_PERF_ALERTS_MAX events at once, and every one is acted on. */
static void test_alert_events_are_bounded(void **state)
{
    (void) state;
    nlog_shutdown();
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    pu_start(NULL, &cfg);
    for (int i = 0; i < 200; i++) {
        nlog_alert_config a;
        nlog_alert_config_init(&a);
        a.metric = "flap";
        a.notify = 0;
        assert_int_equal(nlog_perf_alert(&a, NULL), NLOG_OK);
    }
    assert_int_equal(nlog_perf_thread_prepare(), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_perf_counters before = pu_counters();
    nlog__perf_test_pause(1);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(nlog_record_metric("flap", i & 1 ? 0 : 1, NULL), NLOG_OK);
    nlog__perf_test_pause(0);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.alerts_fired - before.alerts_fired, 200 * 500);
    assert_int_equal(c.alerts_resolved - before.alerts_resolved, 200 * 500);
    assert_true(nlog__perf_test_max_events() <= 1024 + NLOG_PERF_ALERTS_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timer_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timed_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_sampling_and_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_buffer_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_holds_every_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_events_are_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
