/* test_alert.c: the alert state machine (src/perf/alert.c), alone and
 * through the library with the fake clock: a sustained condition fires
 * once, a spike shorter than the duration does not, it resolves once,
 * cooldown holds a new firing back, tag filters pick series, every
 * comparison works, firing and resolving are WARNING / INFO records, and a
 * removed alert's callback never runs again. Samples of one series from
 * several threads are seen in time order, and a stale one cannot move the
 * machine; durations are monotonic (a wall-clock step changes nothing); a
 * callback cannot shut the library down under its own feet; a transition
 * of an alert removed meanwhile produces nothing. */
#include <math.h>
#include <pthread.h>

#include "perf_util.h"

#include "perf/alert.h"
#include "perf/engine.h"

typedef struct seen {
    int n;
    nlog_alert_state state[32];
    double value[32];
    int64_t time[32], since[32];
    char tag[32][32];
    char name[64];
} seen;

static void on_alert(const nlog_alert_event *ev, void *user)
{
    seen *s = user;
    if (s->n >= 32)
        return;
    s->state[s->n] = ev->state;
    s->value[s->n] = ev->value;
    s->time[s->n] = ev->time_ns;
    s->since[s->n] = ev->since_ns;
    snprintf(s->tag[s->n], sizeof s->tag[0], "%s", ev->n_tags ? ev->tags[0].value : "");
    snprintf(s->name, sizeof s->name, "%s", ev->alert_name);
    s->n++;
}

/* The machine alone. */
static void test_step(void **state)
{
    (void) state;
    nlog__alert a;
    memset(&a, 0, sizeof a);
    a.cmp = NLOG_CMP_GT;
    a.threshold = 2.0;
    a.duration_ns = 60 * PU_S;
    a.cooldown_ns = 300 * PU_S;
    nlog__astate st;
    memset(&st, 0, sizeof st);
    /* a spike: one sample above, then below */
    assert_int_equal(nlog__alert_step(&st, &a, 0, 5.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 1 * PU_S, 1.0), 0);
    /* sustained: fires once, when it has held for the duration */
    assert_int_equal(nlog__alert_step(&st, &a, 10 * PU_S, 3.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 40 * PU_S, 3.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 69 * PU_S, 3.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 70 * PU_S, 3.0), NLOG_ALERT_FIRING);
    assert_int_equal(nlog__alert_step(&st, &a, 80 * PU_S, 9.0), 0);
    /* resolves once */
    assert_int_equal(nlog__alert_step(&st, &a, 90 * PU_S, 2.0), NLOG_ALERT_RESOLVED);
    assert_int_equal(nlog__alert_step(&st, &a, 91 * PU_S, 1.0), 0);
    /* held again for the duration, but within the cooldown: not yet */
    assert_int_equal(nlog__alert_step(&st, &a, 100 * PU_S, 3.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 200 * PU_S, 3.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 369 * PU_S, 3.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 370 * PU_S, 3.0), NLOG_ALERT_FIRING);
    /* duration 0: the first sample fires */
    a.duration_ns = 0;
    a.cooldown_ns = 0;
    memset(&st, 0, sizeof st);
    assert_int_equal(nlog__alert_step(&st, &a, 0, 2.5), NLOG_ALERT_FIRING);
    assert_int_equal(nlog__alert_step(&st, &a, 1, 0.5), NLOG_ALERT_RESOLVED);
    assert_int_equal(nlog__alert_step(&st, &a, 2, 2.5), NLOG_ALERT_FIRING);
    /* a sample older than one already seen moves nothing */
    assert_int_equal(nlog__alert_step(&st, &a, 1, 0.5), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 2, 0.5), NLOG_ALERT_RESOLVED); /* same time: counts */
    memset(&st, 0, sizeof st);
    a.duration_ns = 60 * PU_S;
    assert_int_equal(nlog__alert_step(&st, &a, 0, 3.0), 0);
    assert_int_equal(nlog__alert_step(&st, &a, 70 * PU_S, 3.0), NLOG_ALERT_FIRING);
    assert_int_equal(nlog__alert_step(&st, &a, 30 * PU_S, 1.0), 0); /* stale: no resolve */
    assert_int_equal(nlog__alert_step(&st, &a, 71 * PU_S, 1.0), NLOG_ALERT_RESOLVED);

    struct {
        nlog_compare c;
        double v;
        int holds;
    } cmp[] = {
        {NLOG_CMP_GT, 2.0, 0}, {NLOG_CMP_GT, 2.1, 1}, {NLOG_CMP_GE, 2.0, 1}, {NLOG_CMP_GE, 1.9, 0},
        {NLOG_CMP_LT, 2.0, 0}, {NLOG_CMP_LT, 1.9, 1}, {NLOG_CMP_LE, 2.0, 1}, {NLOG_CMP_LE, 2.1, 0},
        {NLOG_CMP_EQ, 2.0, 1}, {NLOG_CMP_EQ, 2.1, 0}, {NLOG_CMP_NE, 2.0, 0}, {NLOG_CMP_NE, 2.1, 1},
    };
    for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
        assert_int_equal(nlog__alert_holds(cmp[i].c, cmp[i].v, 2.0), cmp[i].holds);
    static const char *const names[] = {"gt", "ge", "lt", "le", "eq", "ne"};
    static const char *const ops[] = {">", ">=", "<", "<=", "==", "!="};
    for (int i = 0; i < 6; i++) {
        nlog_compare c = 0;
        assert_int_equal(nlog_compare_parse(names[i], &c), NLOG_OK);
        assert_int_equal(c, i + 1);
        assert_int_equal(nlog_compare_parse(ops[i], &c), NLOG_OK);
        assert_int_equal(c, i + 1);
        assert_string_equal(nlog_compare_name(c), names[i]);
    }
    nlog_compare c;
    assert_int_equal(nlog_compare_parse("GT", &c), NLOG_OK);
    assert_int_equal(nlog_compare_parse("greater", &c), NLOG_EINVAL);
}

static const char *dir;

static int setup(void **state)
{
    (void) state;
    dir = tu_scratch("alert");
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.performance_record_every = 0; /* only the alert records */
    pu_start(dir, &cfg);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    tu_clock_real();
    return 0;
}

static uint64_t add_alert(const char *metric, nlog_compare cmp, double thr, int64_t dur,
                          int64_t cool, seen *s, const nlog_tag *tags, size_t n)
{
    nlog_alert_config c;
    nlog_alert_config_init(&c);
    c.metric = metric;
    c.compare = cmp;
    c.threshold = thr;
    c.duration_ns = dur;
    c.cooldown_ns = cool;
    c.callback = on_alert;
    c.user = s;
    c.tags = tags;
    c.n_tags = n;
    uint64_t id = 0;
    if (nlog_perf_alert(&c, &id) != NLOG_OK)
        fail_msg("nlog_perf_alert: %s", nlog_errmsg());
    return id;
}

static void sample(const char *endpoint, double v, int64_t advance_ns)
{
    tu_clock_advance(advance_ns);
    assert_int_equal(nlog_record_metric("response_time", v, "seconds",
                                        NLOG_TAG("endpoint", endpoint)),
                     NLOG_OK);
}

/* The product's example: response_time > 2 s for 60 s. */
static void test_through_the_library(void **state)
{
    (void) state;
    seen s = {0};
    add_alert("response_time", NLOG_CMP_GT, 2.0, 60 * PU_S, 0, &s, NULL, 0);
    sample("/api/users", 5.0, 0);        /* a spike ... */
    sample("/api/users", 0.1, 5 * PU_S); /* ... shorter than the duration */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 0);
    for (int i = 0; i <= 6; i++) /* above for 60 s, a sample every 10 s */
        sample("/api/users", 2.5, 10 * PU_S);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.state[0], NLOG_ALERT_FIRING);
    assert_true(s.value[0] == 2.5);
    assert_true(s.time[0] - s.since[0] == 60 * PU_S);
    assert_true(s.since[0] == PU_T0 + 15 * PU_S);
    assert_string_equal(s.tag[0], "/api/users");
    assert_string_equal(s.name, "response_time > 2");
    sample("/api/users", 3.0, 10 * PU_S); /* still firing: nothing new */
    sample("/api/users", 1.0, 10 * PU_S); /* resolves */
    sample("/api/users", 1.5, 10 * PU_S);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.state[1], NLOG_ALERT_RESOLVED);
    assert_true(s.value[1] == 1.0);

    /* each series has its own state */
    sample("/api/slow", 9.0, 0);
    sample("/api/users", 9.0, 0);
    sample("/api/slow", 9.0, 60 * PU_S);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.tag[2], "/api/slow");

    /* the records: WARNING when firing, INFO when resolved */
    json_object *r[8];
    size_t n = pu_records(dir, "performance", r, 8);
    assert_int_equal(n, 3);
    assert_string_equal(pu_str(r[0], "level"), "WARNING");
    assert_string_equal(pu_str(r[0], "message"),
                        "alert 'response_time > 2' firing: response_time = 2.5 seconds (gt 2) "
                        "for 60 s");
    assert_string_equal(pu_str(r[0], "metadata.state"), "firing");
    assert_string_equal(pu_str(r[0], "metadata.comparison"), "gt");
    assert_true(pu_num(r[0], "metadata.threshold") == 2.0);
    assert_true(pu_num(r[0], "metadata.duration_seconds") == 60.0);
    assert_true(pu_num(r[0], "performance_data.response_time") == 2.5);
    assert_string_equal(pu_str(r[0], "context.endpoint"), "/api/users");
    assert_string_equal(pu_str(r[1], "level"), "INFO");
    assert_string_equal(pu_str(r[1], "metadata.state"), "resolved");
    pu_put_all(r, n);
    nlog_perf_counters c = pu_counters();
    assert_true(c.alerts_fired >= 2 && c.alerts_resolved >= 1);
}

static void test_cooldown_and_filters(void **state)
{
    (void) state;
    seen s = {0};
    nlog_tag only_a[] = {{"endpoint", "/a"}};
    add_alert("response_time", NLOG_CMP_GE, 1.0, 0, 120 * PU_S, &s, only_a, 1);
    sample("/b", 5, 0); /* not matched by the filter */
    sample("/a", 5, PU_S);                   /* fires */
    sample("/a", 0, PU_S);                   /* resolves */
    sample("/a", 5, 10 * PU_S);              /* in the cooldown: held back */
    sample("/a", 5, 100 * PU_S);             /* 111 s after the firing: still */
    sample("/a", 5, 10 * PU_S);              /* 121 s: fires again */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.state[0], NLOG_ALERT_FIRING);
    assert_int_equal(s.state[1], NLOG_ALERT_RESOLVED);
    assert_int_equal(s.state[2], NLOG_ALERT_FIRING);
    assert_true(s.time[2] - s.time[0] == 121 * PU_S);
    for (int i = 0; i < s.n; i++)
        assert_string_equal(s.tag[i], "/a");
}

/* Alerts on series that exist before the alert, on other kinds, and on
 * system metrics go through the same path; lt with a named alert. */
static void test_existing_series_and_names(void **state)
{
    (void) state;
    assert_int_equal(nlog_gauge_set("free_workers", 10, "workers"), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    seen s = {0};
    nlog_alert_config c;
    nlog_alert_config_init(&c);
    c.name = "worker pool nearly exhausted";
    c.metric = "free_workers";
    c.compare = NLOG_CMP_LT;
    c.threshold = 2;
    c.duration_ns = 30 * PU_S;
    c.callback = on_alert;
    c.user = &s;
    uint64_t id;
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_OK);
    tu_clock_advance(PU_S);
    nlog_gauge_set("free_workers", 1, "workers");
    tu_clock_advance(30 * PU_S);
    nlog_gauge_set("free_workers", 0, "workers");
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.name, "worker pool nearly exhausted");

    /* removal: the callback is not called again */
    assert_int_equal(nlog_perf_alert_remove(id), NLOG_OK);
    assert_int_equal(nlog_perf_alert_remove(id), NLOG_ENOTFOUND);
    nlog_gauge_set("free_workers", 10, "workers");
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 1);
}

/* A thread that records on command, so that one series gets samples from
 * two threads at chosen (fake) times. */
typedef struct worker {
    pthread_t t;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int todo;      /* 1: record `value`; -1: exit */
    double value;
    int done;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->m);
    for (;;) {
        while (w->todo == 0)
            pthread_cond_wait(&w->cv, &w->m);
        if (w->todo < 0)
            break;
        (void) nlog_record_metric("response_time", w->value, "seconds");
        w->todo = 0;
        w->done++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->m);
    return NULL;
}

static void worker_start(worker *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->cv, NULL);
    assert_int_equal(pthread_create(&w->t, NULL, worker_main, w), 0);
}

static void worker_record(worker *w, double v)
{
    pthread_mutex_lock(&w->m);
    int want = w->done + 1;
    w->value = v;
    w->todo = 1;
    pthread_cond_broadcast(&w->cv);
    while (w->done < want)
        pthread_cond_wait(&w->cv, &w->m);
    pthread_mutex_unlock(&w->m);
}

static void worker_stop(worker *w)
{
    pthread_mutex_lock(&w->m);
    w->todo = -1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->m);
    pthread_join(w->t, NULL);
}

/* The review's case: 3 at 0 s (thread A), 1 at 30 s (thread B), 3 at 70 s
 * (thread A), all drained in one pass, with "gt 2 for 60 s": in time order
 * the condition broke at 30 s, so nothing fires. Then a stale sample (older
 * than what the series' alert has seen) neither resolves nor restarts it. */
static void test_time_order_across_threads(void **state)
{
    (void) state;
    seen s = {0};
    add_alert("response_time", NLOG_CMP_GT, 2.0, 60 * PU_S, 0, &s, NULL, 0);
    worker a, b;
    worker_start(&a);
    worker_start(&b);
    nlog__perf_test_pause(1); /* one pass sees all three */
    worker_record(&a, 3.0);
    tu_clock_advance(30 * PU_S);
    worker_record(&b, 1.0);
    tu_clock_advance(40 * PU_S);
    worker_record(&a, 3.0);
    nlog__perf_test_pause(0);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 0);

    /* held from 70 s: fires at 130 s */
    tu_clock_advance(60 * PU_S);
    worker_record(&a, 3.0);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.state[0], NLOG_ALERT_FIRING);
    assert_true(s.since[0] == PU_T0 + 70 * PU_S && s.time[0] == PU_T0 + 130 * PU_S);

    /* a sample stamped 100 s (its thread was preempted between its clock
     * read and its commit) reaches the aggregator after the one of 130 s */
    tu_clock_advance(-30 * PU_S);
    worker_record(&b, 1.0);
    tu_clock_advance(30 * PU_S);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 1); /* not resolved by it */
    tu_clock_advance(10 * PU_S);
    worker_record(&b, 1.5);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.state[1], NLOG_ALERT_RESOLVED);
    assert_true(s.value[1] == 1.5 && s.time[1] == PU_T0 + 140 * PU_S);
    /* the stale sample is still in the history */
    assert_int_equal(pu_summary("response_time", NULL, 0, 10 * PU_MIN, NULL).count, 6);
    worker_stop(&a);
    worker_stop(&b);
}

/* Durations are measured on the monotonic clock: an hour's step of the wall
 * clock with one second of monotonic time is one second. Event times are
 * UTC (the wall clock in force when the event is dispatched). */
static void test_wall_clock_step(void **state)
{
    (void) state;
    seen s = {0};
    add_alert("response_time", NLOG_CMP_GT, 2.0, 60 * PU_S, 0, &s, NULL, 0);
    sample("/a", 3.0, 0);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    tu_clock_step_realtime(3600 * PU_S); /* NTP steps the wall clock forward */
    sample("/a", 3.0, PU_S);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 0);
    sample("/a", 3.0, 59 * PU_S);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 1);
    assert_true(s.time[0] - s.since[0] == 60 * PU_S);
    assert_true(s.time[0] == PU_T0 + 3600 * PU_S + 60 * PU_S);
    /* and backwards: passes and flushes go on, the machine too */
    tu_clock_step_realtime(-7200 * PU_S);
    sample("/a", 1.0, PU_S);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.state[1], NLOG_ALERT_RESOLVED);
}

/* nlog_shutdown() from an alert callback is refused (it would free what
 * the callback's own pass still uses); the library keeps working. */
static int shutdown_calls;
static nlog_status init_in_callback = NLOG_OK;
static void shutdown_in_callback(const nlog_alert_event *ev, void *user)
{
    (void) ev;
    (void) user;
    shutdown_calls++;
    nlog_shutdown();
    init_in_callback = nlog_init(NULL);
}

static void test_shutdown_from_callback_is_refused(void **state)
{
    (void) state;
    tu_diag_capture();
    nlog_alert_config c;
    nlog_alert_config_init(&c);
    c.metric = "stop_now";
    c.callback = shutdown_in_callback;
    assert_int_equal(nlog_perf_alert(&c, NULL), NLOG_OK);
    assert_int_equal(nlog_record_metric("stop_now", 1, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(shutdown_calls, 1);
    assert_int_equal(init_in_callback, NLOG_ESTATE);
    assert_true(tu_diag_contains("nlog_shutdown() was called from a callback"));
    /* everything still works */
    assert_int_equal(nlog_record_metric("after", 5, NULL), NLOG_OK);
    assert_int_equal(pu_summary("after", NULL, 0, PU_MIN, NULL).count, 1);
    nlog_set_diagnostics(NULL, NULL);
}

/* Two alerts fire on the same sample and each callback removes the other:
 * the one removed acts no more — no callback, no record — although its
 * transition was computed before the removal. */
static uint64_t pair_ids[2];
static int pair_calls;
static void remove_other(const nlog_alert_event *ev, void *user)
{
    (void) user;
    pair_calls++;
    uint64_t other = ev->alert_id == pair_ids[0] ? pair_ids[1] : pair_ids[0];
    (void) nlog_perf_alert_remove(other);
}

static void test_removed_alert_acts_no_more(void **state)
{
    (void) state;
    for (int i = 0; i < 2; i++) {
        nlog_alert_config c;
        nlog_alert_config_init(&c);
        c.metric = "pair";
        c.callback = remove_other;
        assert_int_equal(nlog_perf_alert(&c, &pair_ids[i]), NLOG_OK);
    }
    nlog_perf_counters before = pu_counters();
    assert_int_equal(nlog_record_metric("pair", 1, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(pair_calls, 1);
    json_object *r[8];
    size_t n = pu_records(dir, "performance", r, 8);
    assert_int_equal(n, 1);
    pu_put_all(r, n);
    assert_int_equal(pu_counters().alerts_fired - before.alerts_fired, 1);
}

static void test_bad_configs(void **state)
{
    (void) state;
    nlog_alert_config c;
    nlog_alert_config_init(&c);
    uint64_t id;
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_EINVAL); /* no metric */
    assert_non_null(strstr(nlog_errmsg(), "no metric"));
    c.metric = "bad metric";
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "invalid metric name"));
    c.metric = "ok";
    c.threshold = NAN;
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "threshold"));
    c.threshold = 1;
    c.compare = (nlog_compare) 42;
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_EINVAL);
    c.compare = NLOG_CMP_GT;
    c.duration_ns = -1;
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_EINVAL);
    c.duration_ns = 0;
    c.name = "line\nbreak";
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "control character"));
    c.name = NULL;
    assert_int_equal(nlog_perf_alert(NULL, &id), NLOG_EINVAL);
    nlog_alert_config old = c;
    old.struct_size = 8;
    assert_int_equal(nlog_perf_alert(&old, &id), NLOG_EINVAL);
    /* the cap */
    uint64_t ids[NLOG_PERF_ALERTS_MAX];
    for (int i = 0; i < NLOG_PERF_ALERTS_MAX; i++)
        assert_int_equal(nlog_perf_alert(&c, &ids[i]), NLOG_OK);
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_ELIMIT);
    assert_int_equal(nlog_perf_alert_remove(ids[0]), NLOG_OK);
    assert_int_equal(nlog_perf_alert(&c, &id), NLOG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step),
        cmocka_unit_test_setup_teardown(test_through_the_library, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cooldown_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_series_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_order_across_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wall_clock_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_from_callback_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_alert_acts_no_more, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_configs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
