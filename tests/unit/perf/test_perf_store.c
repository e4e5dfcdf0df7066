/* test_perf_store.c: the history store on its own (src/perf/store.c): the
 * canonical series key, kind conflicts and clashes of exported names,
 * out-of-order samples, the memory cap with its evictions (rollup slot
 * arrays shrink too), and a lowered raw-sample count applied to existing
 * series. No thread, no clock: times are given. */
#include "perf_util.h"

#include "perf/store.h"

static nlog__series *intern(const char *name, nlog_metric_kind kind, const char *k1,
                            const char *v1, const char *k2, const char *v2, nlog_status *st)
{
    nlog__tagref t[2];
    size_t n = 0;
    if (k1)
        t[n++] = (nlog__tagref){k1, v1, (uint16_t) strlen(k1), (uint16_t) strlen(v1)};
    if (k2)
        t[n++] = (nlog__tagref){k2, v2, (uint16_t) strlen(k2), (uint16_t) strlen(v2)};
    *st = NLOG_OK;
    nlog__store_lock();
    nlog__series *s = nlog__store_intern(name, strlen(name), kind, "ms", 2, t, n, st);
    nlog__store_unlock();
    return s;
}

static int teardown(void **state)
{
    (void) state;
    nlog__store_reset();
    nlog__store_configure(10000, 1024, 64u << 20);
    return 0;
}

static void test_keys_and_kinds(void **state)
{
    (void) state;
    nlog__store_configure(10000, 1024, 64u << 20);
    nlog_status st;
    nlog__series *a = intern("rt", NLOG_METRIC_TIMER, "method", "GET", "endpoint", "/a", &st);
    nlog__series *b = intern("rt", NLOG_METRIC_TIMER, "endpoint", "/a", "method", "GET", &st);
    assert_non_null(a);
    assert_ptr_equal(a, b); /* tags are a set */
    assert_string_equal(a->tags[0].key, "endpoint"); /* sorted by key */
    assert_null(intern("rt", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st));
    assert_int_equal(st, NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "is a timer; it cannot take gauge samples"));
}

/* One exposition name, one family. */
static void test_exported_name_clashes(void **state)
{
    (void) state;
    nlog_status st;
    assert_non_null(intern("req", NLOG_METRIC_COUNTER, NULL, NULL, NULL, NULL, &st));
    assert_null(intern("req_total", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st));
    assert_int_equal(st, NLOG_EINVAL);
    assert_null(intern("req_total", NLOG_METRIC_COUNTER, NULL, NULL, NULL, NULL, &st));
    assert_null(intern("req_total", NLOG_METRIC_TIMER, NULL, NULL, NULL, NULL, &st));
    /* the other way round */
    assert_non_null(intern("jobs_total", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st));
    assert_null(intern("jobs", NLOG_METRIC_COUNTER, NULL, NULL, NULL, NULL, &st));
    assert_non_null(strstr(nlog_errmsg(), "would be exported as 'jobs_total', which gauge "
                                          "'jobs_total' already is"));
    /* summaries: t, t_sum, t_count */
    assert_non_null(intern("lat", NLOG_METRIC_VALUE, NULL, NULL, NULL, NULL, &st));
    assert_null(intern("lat_sum", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st));
    assert_null(intern("lat_count", NLOG_METRIC_TIMER, NULL, NULL, NULL, NULL, &st));
    assert_non_null(intern("lat_sum", NLOG_METRIC_COUNTER, NULL, NULL, NULL, NULL, &st)); /* _total */
    assert_non_null(intern("size_count", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st));
    assert_null(intern("size", NLOG_METRIC_TIMER, NULL, NULL, NULL, NULL, &st));
    assert_non_null(intern("size", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st));
}

/* Samples arrive out of order: each goes into its own minute's rollup. */
static void test_out_of_order(void **state)
{
    (void) state;
    nlog_status st;
    nlog__series *s = intern("ooo", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st);
    /* (no assertion with the store lock held: a failure would leave it locked) */
    nlog__store_lock();
    int rc = nlog__store_add(s, PU_T0 + 3 * PU_MIN, 3) | nlog__store_add(s, PU_T0 + 1 * PU_MIN, 1) |
             nlog__store_add(s, PU_T0 + 2 * PU_MIN + PU_S, 2);
    uint32_t minutes = s->minutes.len, hours = s->hours.len;
    int64_t start[3] = {0};
    uint64_t count[3] = {0};
    for (uint32_t i = 0; i < 3 && i < minutes; i++) {
        start[i] = nlog__bring_at(&s->minutes, i)->start_ns;
        count[i] = nlog__bring_at(&s->minutes, i)->count;
    }
    uint64_t hour_count = hours ? nlog__bring_at(&s->hours, 0)->count : 0;
    double first = nlog__raw_at(s, 0)->v, third = nlog__raw_at(s, 2)->v, last = s->last;
    nlog__store_unlock();
    assert_int_equal(rc, 0);
    assert_int_equal(minutes, 3);
    for (uint32_t i = 0; i < 3; i++)
        assert_true(start[i] == PU_T0 + (int64_t) (i + 1) * PU_MIN && count[i] == 1);
    assert_int_equal(hours, 1);
    assert_int_equal(hour_count, 3);
    assert_true(first == 3 && third == 2); /* arrival order */
    assert_true(last == 3);                /* the newest by time */
}

/* A cap lowered under a full history evicts the oldest minute rollups
 * and gives their slots back; the byte count ends under the cap. */
static void test_eviction_frees_slots(void **state)
{
    (void) state;
    nlog__store_configure(10000, 16, 64u << 20);
    nlog_status st;
    nlog__series *s[20];
    char ep[16];
    for (int e = 0; e < 20; e++) {
        snprintf(ep, sizeof ep, "/%d", e);
        s[e] = intern("lat", NLOG_METRIC_TIMER, "endpoint", ep, NULL, NULL, &st);
        assert_non_null(s[e]);
    }
    int rc = 0;
    nlog__store_lock();
    for (int m = 0; m < 1000; m++)
        for (int e = 0; e < 20; e++)
            rc |= nlog__store_add(s[e], PU_T0 + m * PU_MIN, 0.001 * (1 + m % 7));
    nlog__store_stats full;
    nlog__store_get_stats(&full);
    uint32_t full_len = s[3]->minutes.len;
    nlog__store_unlock();
    assert_int_equal(rc, 0);
    assert_int_equal(full_len, 1000);

    uint64_t cap = full.bytes / 4;
    nlog__store_configure(10000, 16, cap);
    uint32_t len[20], slots[20];
    int64_t gone[20];
    nlog__store_lock();
    nlog__store_stats after;
    nlog__store_get_stats(&after);
    for (int e = 0; e < 20; e++) {
        len[e] = s[e]->minutes.len;
        slots[e] = s[e]->minutes.cap;
        gone[e] = s[e]->minutes.gone_ns;
    }
    nlog__store_unlock();
    assert_true(after.bytes <= cap);
    assert_true(after.evicted_rollups > 0);
    for (int e = 0; e < 20; e++) {
        assert_true(len[e] < 1000);
        if (slots[e] > 2 && len[e] <= slots[e] / 4)
            fail_msg("series %d: %u minute rollups in %u slots", e, len[e], slots[e]);
        assert_true(gone[e] > PU_T0);
    }
}

/* performance_raw_samples lowered: existing rings are cut to the newest. */
static void test_raw_max_lowered(void **state)
{
    (void) state;
    nlog__store_configure(10000, 1024, 64u << 20);
    nlog_status st;
    nlog__series *s = intern("raw", NLOG_METRIC_GAUGE, NULL, NULL, NULL, NULL, &st);
    int rc = 0;
    nlog__store_lock();
    for (int k = 0; k < 1000; k++)
        rc |= nlog__store_add(s, PU_T0 + k * PU_S, k);
    uint32_t before_len = s->raw_len;
    int64_t before_gone = s->raw_gone_ns;
    nlog__store_unlock();
    assert_int_equal(rc, 0);
    assert_int_equal(before_len, 1000);
    assert_true(before_gone == INT64_MIN);
    nlog__store_configure(10000, 100, 64u << 20);
    nlog__store_lock();
    uint32_t cap = s->raw_cap, len = s->raw_len;
    double newest = nlog__raw_at(s, len - 1)->v, oldest = nlog__raw_at(s, 0)->v;
    int64_t gone = s->raw_gone_ns;
    nlog__store_unlock();
    assert_true(cap <= 100 && len == cap);
    assert_true(newest == 999);
    assert_true(oldest == 1000 - len);
    assert_true(gone == PU_T0 + (int64_t) (999 - len) * PU_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_keys_and_kinds, teardown),
        cmocka_unit_test_teardown(test_exported_name_clashes, teardown),
        cmocka_unit_test_teardown(test_out_of_order, teardown),
        cmocka_unit_test_teardown(test_eviction_frees_slots, teardown),
        cmocka_unit_test_teardown(test_raw_max_lowered, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
