/* test_names.c: the rules for metric names, tags and units
 * (src/perf/names.c) as nlog_perf_record() applies them, and the
 * metric_names list of the JSON snapshot. */
#include <string.h>

#include "testutil.h"

#include "perf/names.h"

static void expect_bad(nlog_status st, const char *part)
{
    assert_int_equal(st, NLOG_EINVAL);
    if (!strstr(nlog_errmsg(), part))
        fail_msg("message '%s' lacks '%s'", nlog_errmsg(), part);
}

static void test_names_and_tags(void **state)
{
    (void) state;
    nlog__perf_lens l;
    nlog_tag ok[] = {{"table", "users"}, {"endpoint", "/api/users?x=1 \"q\""}};
    assert_int_equal(nlog__perf_check("database_query", "seconds", ok, 2, &l), NLOG_OK);
    assert_int_equal(l.name, 14);
    assert_int_equal(l.unit, 7);
    assert_int_equal(l.key[1], 8);
    assert_int_equal(l.value[0], 5);
    assert_int_equal(nlog__perf_check("ns:sub_name9", NULL, NULL, 0, &l), NLOG_OK);
    assert_int_equal(l.unit, 0);
    assert_int_equal(nlog__perf_check("x", "bytes/s", NULL, 0, &l), NLOG_OK);
    assert_int_equal(nlog__perf_check("x", "%", NULL, 0, &l), NLOG_OK);

    expect_bad(nlog__perf_check("9lives", NULL, NULL, 0, &l), "invalid metric name '9lives'");
    expect_bad(nlog__perf_check("has space", NULL, NULL, 0, &l), "accepted: names of 1 to 128");
    expect_bad(nlog__perf_check("", NULL, NULL, 0, &l), "invalid metric name ''");
    expect_bad(nlog__perf_check(NULL, NULL, NULL, 0, &l), "(null)");
    char longname[200];
    memset(longname, 'a', 129);
    longname[129] = '\0';
    expect_bad(nlog__perf_check(longname, NULL, NULL, 0, &l), "invalid metric name");
    longname[128] = '\0';
    assert_int_equal(nlog__perf_check(longname, NULL, NULL, 0, &l), NLOG_OK);
    expect_bad(nlog__perf_check("m", "sec onds", NULL, 0, &l), "invalid unit");
    nlog_tag badkey[] = {{"bad-key", "v"}};
    expect_bad(nlog__perf_check("m", NULL, badkey, 1, &l), "invalid tag key 'bad-key'");
    nlog_tag nullval[] = {{"k", NULL}};
    expect_bad(nlog__perf_check("m", NULL, nullval, 1, &l), "NULL value");
    nlog_tag dup[] = {{"k", "1"}, {"k", "2"}};
    expect_bad(nlog__perf_check("m", NULL, dup, 2, &l), "tag 'k' given twice");
    char big[300];
    memset(big, 'v', 257);
    big[257] = '\0';
    nlog_tag bigval[] = {{"k", big}};
    expect_bad(nlog__perf_check("m", NULL, bigval, 1, &l), "longer than 256 bytes");
    big[256] = '\0';
    assert_int_equal(nlog__perf_check("m", NULL, bigval, 1, &l), NLOG_OK);
    nlog_tag nine[9] = {{"a", ""}, {"b", ""}, {"c", ""}, {"d", ""}, {"e", ""},
                        {"f", ""}, {"g", ""}, {"h", ""}, {"i", ""}};
    expect_bad(nlog__perf_check("m", NULL, nine, 9, &l), "at most 8");
    assert_int_equal(nlog__perf_check("m", NULL, nine, 8, &l), NLOG_OK);
    expect_bad(nlog__perf_check("m", NULL, NULL, 2, &l), "NULL");
}

/* The public recording calls apply the same rules and refuse bad values. */
static void test_record_rejects(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    expect_bad(nlog_record_metric("bad name", 1, "count"), "invalid metric name 'bad name'");
    expect_bad(nlog_record_metric("ok", 0.0 / 0.0, "count"), "not a finite number");
    expect_bad(nlog_counter_add("requests", -1, "requests"), "must not be negative");
    expect_bad(nlog_perf_record("m", (nlog_metric_kind) 9, 1, NULL, NULL, 0), "unknown metric kind");
    /* every refusal of the one-pass copy, and none of them leaves a sample */
    nlog_perf_counters before = {.struct_size = sizeof before}, after = before;
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog_perf_stats(&before), NLOG_OK);
    expect_bad(nlog_record_metric("ok", 1, "bad unit!"), "invalid unit");
    expect_bad(nlog_record_metric("ok", 1, "count", NLOG_TAG("9key", "v")), "invalid tag key");
    expect_bad(nlog_record_metric("ok", 1, "count", NLOG_TAG("k", NULL)), "NULL value");
    expect_bad(nlog_record_metric("ok", 1, "count", NLOG_TAG("k", "1"), NLOG_TAG("k", "2")),
               "given twice");
    expect_bad(nlog_record_metric("ok", 1, "count", NLOG_TAG("a", "1"), NLOG_TAG("b", "2"),
                                  NLOG_TAG("a", "3")),
               "tag 'a' given twice");
    char big[300];
    memset(big, 'v', 257);
    big[257] = '\0';
    expect_bad(nlog_record_metric("ok", 1, "count", NLOG_TAG("k", big)), "longer than 256");
    char longname[200];
    memset(longname, 'n', 129);
    longname[129] = '\0';
    expect_bad(nlog_record_metric(longname, 1, "count"), "invalid metric name");
    longname[128] = '\0';
    big[256] = '\0';
    assert_int_equal(nlog_record_metric(longname, 1, "count", NLOG_TAG("k", big)), NLOG_OK);
    nlog_tag nine[9] = {{"a", ""}, {"b", ""}, {"c", ""}, {"d", ""}, {"e", ""},
                        {"f", ""}, {"g", ""}, {"h", ""}, {"i", ""}};
    expect_bad(nlog_perf_record("ok", NLOG_METRIC_VALUE, 1, NULL, nine, 9), "at most 8");
    assert_int_equal(nlog_perf_record("ok8", NLOG_METRIC_VALUE, 1, NULL, nine, 8), NLOG_OK);
    assert_int_equal(nlog_record_metric("ok", 1, "count", NLOG_TAG("a", "b")), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(nlog_perf_stats(&after), NLOG_OK);
    assert_int_equal(after.samples - before.samples, 3);
    assert_int_equal(after.samples_rejected - before.samples_rejected, 0);
    nlog_shutdown();
}

typedef struct got {
    char names[8][64];
    int n;
} got;

static void collect(const char *name, size_t len, void *user)
{
    got *g = user;
    snprintf(g->names[g->n++], 64, "%.*s", (int) len, name);
}

static void test_metric_names_list(void **state)
{
    (void) state;
    char why[512];
    got g = {0};
    const char *list = " response_time, cpu_usage ,,memory_usage,";
    assert_int_equal(nlog__perf_names_split(list, strlen(list), collect, &g, why, sizeof why),
                     NLOG_OK);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.names[0], "response_time");
    assert_string_equal(g.names[1], "cpu_usage");
    assert_string_equal(g.names[2], "memory_usage");
    memset(&g, 0, sizeof g);
    list = "response_time,cpu usage";
    assert_int_equal(nlog__perf_names_split(list, strlen(list), collect, &g, why, sizeof why),
                     NLOG_EINVAL);
    assert_non_null(strstr(why, "invalid metric name 'cpu usage' at position 15"));
    list = "ok,\x01\x7f";
    assert_int_equal(nlog__perf_names_split(list, strlen(list), collect, &g, why, sizeof why),
                     NLOG_EINVAL);
    assert_non_null(strstr(why, "'\\x01\\x7f'")); /* control bytes shown escaped, one line */
    assert_null(strchr(why, '\n'));
    assert_int_equal(nlog__perf_names_split("", 0, collect, &g, why, sizeof why), NLOG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_tags),
        cmocka_unit_test(test_record_rejects),
        cmocka_unit_test(test_metric_names_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
