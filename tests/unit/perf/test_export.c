/* test_export.c: the Prometheus text exposition and the JSON snapshot
 * (src/perf/export_prom.c, export_json.c): types, names, quantiles, sums,
 * counts, label escaping, the library's own counters, the metric_names
 * selection and its errors, the shape the server's
 * GET /api/v2/logs/performance/metrics returns, points in time order, and
 * the names refused so that the exposition stays valid. */
#include <math.h>
#include <regex.h>

#include "perf_util.h"

static int setup(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_record_every = 0;
    pu_start(NULL, &cfg);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    tu_clock_real();
    return 0;
}

static void has_line(const char *text, const char *line)
{
    char want[1024];
    snprintf(want, sizeof want, "\n%s\n", line);
    if (strncmp(text, line, strlen(line)) != 0 && !strstr(text, want))
        fail_msg("missing line: %s\n--- in:\n%s", line, text);
}

static void data(void)
{
    for (int i = 1; i <= 4; i++) {
        NLOG_TIMED("database_query", NLOG_TAG("table", "users")) {
            tu_clock_advance(i * 10 * PU_MS);
        }
    }
    nlog_counter_add("requests", 2, "requests", NLOG_TAG("code", "200"));
    nlog_counter_add("requests", 3, "requests", NLOG_TAG("code", "200"));
    nlog_counter_add("requests", 1, "requests", NLOG_TAG("code", "500"));
    nlog_gauge_set("active_users", 1200, "count");
    nlog_gauge_set("active_users", 1250, "count");
    nlog_record_metric("response_size", 2048, "bytes", NLOG_TAG("path", "a\"b\\c\nd\xff"));
}

static void test_prometheus(void **state)
{
    (void) state;
    data();
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(nlog_perf_prometheus(&text, &len), NLOG_OK);
    assert_int_equal(strlen(text), len);
    has_line(text, "# HELP active_users gauge, count");
    has_line(text, "# TYPE active_users gauge");
    has_line(text, "active_users 1250");
    has_line(text, "# TYPE database_query summary");
    /* the median is a histogram bin: within the documented 1/128 of 0.02 */
    const char *med = strstr(text, "database_query{table=\"users\",quantile=\"0.5\"} ");
    assert_non_null(med);
    double p50 = strtod(strchr(med, '}') + 2, NULL);
    assert_true(fabs(p50 - 0.02) / 0.02 <= 1.0 / 128);
    has_line(text, "database_query{table=\"users\",quantile=\"0.99\"} 0.04");
    has_line(text, "database_query_sum{table=\"users\"} 0.1");
    has_line(text, "database_query_count{table=\"users\"} 4");
    has_line(text, "# TYPE requests_total counter");
    has_line(text, "requests_total{code=\"200\"} 5");
    has_line(text, "requests_total{code=\"500\"} 1");
    /* escaping: \" \\ \n, ill-formed UTF-8 as U+FFFD */
    has_line(text, "response_size{path=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\",quantile=\"0.5\"} 2048");
    has_line(text, "# TYPE nlog_perf_samples_total counter");
    has_line(text, "nlog_perf_series 5");
    assert_non_null(strstr(text, "nlog_records_total{level=\"INFO\"} "));
    assert_non_null(strstr(text, "nlog_alert_notifications_total{result=\"sent\"} "));
    /* every sample line has the text format's shape */
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
                             "(NaN|[-+]?Inf|-?[0-9.]+(e[-+]?[0-9]+)?)$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    char *save = NULL;
    int lines = 0;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#')
            continue;
        if (regexec(&re, l, 0, NULL, 0) != 0)
            fail_msg("not an exposition line: %s", l);
        lines++;
    }
    regfree(&re);
    assert_true(lines > 20);
    nlog_perf_free(text);
    /* two exports of the same data are identical */
    char *a, *b;
    assert_int_equal(nlog_perf_prometheus(&a, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_prometheus(&b, NULL), NLOG_OK);
    char *ca = strstr(a, "# HELP nlog_"), *cb = strstr(b, "# HELP nlog_");
    *ca = *cb = '\0'; /* the library's own counters move between the two */
    assert_string_equal(a, b);
    nlog_perf_free(a);
    nlog_perf_free(b);
    assert_int_equal(nlog_perf_prometheus(NULL, NULL), NLOG_EINVAL);
}

/* One exposition name, one metric: names that would give a second # TYPE
 * line, duplicate labels or clash with the library's own metrics are
 * refused where they are registered, with a message. */
static void test_prometheus_names_are_reserved(void **state)
{
    (void) state;
    tu_diag_capture();
    nlog_metric *m = NULL;
    /* the library's own namespace */
    assert_int_equal(nlog_gauge_set("nlog_perf_series", 3, NULL), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "reserved"));
    assert_int_equal(nlog_metric_get("nlog_records_total", NLOG_METRIC_COUNTER, NULL, NULL, 0, &m),
                     NLOG_EINVAL);
    /* Prometheus' own label names, and the summaries' quantile label */
    assert_int_equal(nlog_record_metric("a", 1, NULL, NLOG_TAG("__name__", "x")), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "'__name__' is reserved"));
    assert_int_equal(nlog_record_metric("a", 1, NULL, NLOG_TAG("quantile", "x")), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "'quantile' is reserved"));
    nlog_tag q[] = {{"quantile", "0.5"}};
    assert_int_equal(nlog_metric_get("t", NLOG_METRIC_TIMER, NULL, q, 1, &m), NLOG_EINVAL);
    assert_int_equal(nlog_gauge_set("g", 1, NULL, NLOG_TAG("quantile", "x")), NLOG_OK); /* a gauge may */
    /* exported names: counter req is req_total, timer t is t, t_sum, t_count */
    assert_int_equal(nlog_counter_add("req", 1, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog_metric_get("req_total", NLOG_METRIC_GAUGE, NULL, NULL, 0, &m),
                     NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "would be exported as 'req_total', which counter 'req'"));
    assert_int_equal(nlog_metric_get("req_total", NLOG_METRIC_COUNTER, NULL, NULL, 0, &m),
                     NLOG_EINVAL);
    assert_int_equal(nlog_metric_get("lat", NLOG_METRIC_TIMER, NULL, NULL, 0, &m), NLOG_OK);
    assert_int_equal(nlog_metric_get("lat_count", NLOG_METRIC_GAUGE, NULL, NULL, 0, &m),
                     NLOG_EINVAL);
    assert_int_equal(nlog_metric_get("lat_sum", NLOG_METRIC_VALUE, NULL, NULL, 0, &m),
                     NLOG_EINVAL);
    /* a counter lat_sum is exported as lat_sum_total: no clash */
    assert_int_equal(nlog_metric_get("lat_sum", NLOG_METRIC_COUNTER, NULL, NULL, 0, &m), NLOG_OK);
    assert_int_equal(nlog_metric_get("size_sum", NLOG_METRIC_GAUGE, NULL, NULL, 0, &m), NLOG_OK);
    assert_int_equal(nlog_metric_get("size", NLOG_METRIC_VALUE, NULL, NULL, 0, &m), NLOG_EINVAL);
    /* by name, the aggregation thread refuses, counts and reports it */
    nlog_perf_counters before = pu_counters();
    assert_int_equal(nlog_gauge_set("req_total", 5, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(pu_counters().samples_rejected - before.samples_rejected, 1);
    assert_true(tu_diag_contains("would be exported as 'req_total'"));
    /* so the exposition has one # TYPE line per name */
    char *text = NULL;
    assert_int_equal(nlog_perf_prometheus(&text, NULL), NLOG_OK);
    char *save = NULL;
    char seen[64][160];
    int n = 0;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "# TYPE ", 7) != 0)
            continue;
        char name[160];
        assert_int_equal(sscanf(l + 7, "%159s", name), 1);
        for (int i = 0; i < n; i++)
            if (strcmp(seen[i], name) == 0)
                fail_msg("two # TYPE lines for %s", name);
        assert_true(n < 64);
        snprintf(seen[n++], sizeof seen[0], "%s", name);
    }
    nlog_perf_free(text);
    nlog_set_diagnostics(NULL, NULL);
}

static json_object *snapshot(const char *names, int64_t window, size_t points)
{
    nlog_perf_json_opts o;
    nlog_perf_json_opts_init(&o);
    o.metric_names = names;
    if (window)
        o.window_ns = window;
    o.max_points = points;
    char *text = NULL;
    size_t len = 0;
    nlog_status st = nlog_perf_json(&o, &text, &len);
    if (st != NLOG_OK)
        fail_msg("nlog_perf_json: %s", nlog_errmsg());
    json_object *j = tu_parse_json(text);
    nlog_perf_free(text);
    return j;
}

static void test_json(void **state)
{
    (void) state;
    data();
    for (int i = 0; i < 5; i++) {
        tu_clock_advance(10 * PU_S);
        nlog_gauge_set("cpu_usage", 10 + i, "percent");
    }
    json_object *j = snapshot("response_time,cpu_usage, database_query", 0, 3);
    assert_non_null(pu_get(j, "generated_at"));
    assert_true(pu_num(j, "window_seconds") == 3600);
    json_object *metrics = pu_get(j, "metrics");
    assert_int_equal(json_object_array_length(metrics), 2); /* in the order asked */
    json_object *cpu = json_object_array_get_idx(metrics, 0);
    assert_string_equal(pu_str(cpu, "name"), "cpu_usage");
    assert_string_equal(pu_str(cpu, "type"), "gauge");
    assert_string_equal(pu_str(cpu, "unit"), "percent");
    assert_true(pu_num(cpu, "summary.count") == 5);
    assert_true(pu_num(cpu, "summary.max") == 14);
    assert_true(pu_num(cpu, "summary.mean") == 12);
    assert_string_equal(pu_str(cpu, "trend.direction"), "rising");
    assert_true(fabs(pu_num(cpu, "trend.slope_per_minute") - 6) < 1e-9);
    json_object *series = pu_get(cpu, "series");
    assert_int_equal(json_object_array_length(series), 1);
    json_object *s0 = json_object_array_get_idx(series, 0);
    json_object *points = pu_get(s0, "points");
    assert_int_equal(json_object_array_length(points), 3); /* the newest max_points */
    assert_true(pu_num(json_object_array_get_idx(points, 2), "value") == 14);
    assert_true(pu_num(json_object_array_get_idx(points, 0), "value") == 12);
    assert_true(pu_num(s0, "total.last") == 14);
    assert_int_equal(json_object_array_length(pu_get(s0, "rollups")), 1);
    json_object *db = json_object_array_get_idx(metrics, 1);
    assert_string_equal(pu_str(db, "name"), "database_query");
    assert_true(pu_num(db, "summary.count") == 4);
    assert_true(fabs(pu_num(db, "summary.sum") - 0.1) < 1e-12);
    assert_string_equal(pu_str(json_object_array_get_idx(pu_get(db, "series"), 0), "tags.table"),
                        "users");
    json_object *nf = pu_get(j, "not_found");
    assert_int_equal(json_object_array_length(nf), 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(nf, 0)), "response_time");
    json_object_put(j);

    /* everything, in name order; no data in the window is null, not NaN */
    j = snapshot(NULL, 0, 100);
    metrics = pu_get(j, "metrics");
    assert_int_equal(json_object_array_length(metrics), 5);
    assert_string_equal(pu_str(json_object_array_get_idx(metrics, 0), "name"), "active_users");
    assert_string_equal(pu_str(json_object_array_get_idx(metrics, 1), "name"), "cpu_usage");
    assert_string_equal(pu_str(json_object_array_get_idx(metrics, 4), "name"), "response_size");
    json_object_put(j);
    tu_clock_advance(2 * 3600 * PU_S);
    j = snapshot("cpu_usage", 60 * PU_S, 100);
    cpu = json_object_array_get_idx(pu_get(j, "metrics"), 0);
    assert_true(pu_num(cpu, "summary.count") == 0);
    assert_true(json_object_get_type(pu_get(cpu, "summary.mean")) == json_type_null);
    json_object_put(j);

    /* points are the newest by time, also when samples arrived out of order
     * (a sample stamped earlier that reached the aggregator later) */
    tu_clock_advance(10 * PU_S);
    nlog_gauge_set("ooo", 3, NULL);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    tu_clock_advance(-5 * PU_S);
    nlog_gauge_set("ooo", 2, NULL); /* arrives second, is older */
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    tu_clock_advance(-5 * PU_S);
    nlog_gauge_set("ooo", 1, NULL); /* arrives third, is the oldest */
    tu_clock_advance(10 * PU_S);
    j = snapshot("ooo", 0, 2);
    points = pu_get(json_object_array_get_idx(pu_get(json_object_array_get_idx(pu_get(j, "metrics"),
                                                                               0),
                                                      "series"),
                                               0),
                    "points");
    assert_int_equal(json_object_array_length(points), 2);
    assert_true(pu_num(json_object_array_get_idx(points, 0), "value") == 2);
    assert_true(pu_num(json_object_array_get_idx(points, 1), "value") == 3);
    json_object_put(j);

    /* a bad list says where */
    nlog_perf_json_opts o;
    nlog_perf_json_opts_init(&o);
    o.metric_names = "cpu_usage,cpu usage";
    char *text = NULL;
    assert_int_equal(nlog_perf_json(&o, &text, NULL), NLOG_EINVAL);
    assert_null(text);
    assert_non_null(strstr(nlog_errmsg(), "invalid metric name 'cpu usage' at position 11"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prometheus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prometheus_names_are_reserved, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
