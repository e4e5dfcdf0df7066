/* test_server_parse.c: nlogd's parsers — RFC 3339 times (timeparse.c),
 * search words (search.c), query strings, filters and cursors (qparams.c),
 * ingest bodies (ingest_parse.c) and JSON output escaping (buf.c). */
#include "testutil.h"

#include "server/buf.h"
#include "server/ingest_parse.h"
#include "server/qparams.h"
#include "server/search.h"
#include "server/timeparse.h"

static int64_t t_ok(const char *s)
{
    int64_t t = 0;
    char why[128];
    if (nlogd_time_parse(s, strlen(s), &t, why, sizeof why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return t;
}

static void t_bad(const char *s, const char *needle)
{
    int64_t t;
    char why[128] = "";
    assert_int_equal(nlogd_time_parse(s, strlen(s), &t, why, sizeof why), -1);
    if (!strstr(why, needle))
        fail_msg("'%s': reason '%s' lacks '%s'", s, why, needle);
}

static void test_times(void **state)
{
    (void) state;
    assert_int_equal(t_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(t_ok("2024-01-15T10:30:45.123Z"), 1705314645123000000LL);
    assert_int_equal(t_ok("2024-01-15T11:30:45.123+01:00"), 1705314645123000000LL);
    assert_int_equal(t_ok("2024-01-15t10:30:45.123456789z"), 1705314645123456789LL);
    assert_int_equal(t_ok("2024-01-15 10:30:45Z"), 1705314645000000000LL);
    assert_int_equal(t_ok("1969-12-31T23:59:59.999999Z"), -1000LL);
    assert_int_equal(t_ok("2024-02-29T00:00:00Z"), 1709164800000000000LL);
    assert_int_equal(t_ok("2016-12-31T23:59:60Z"), 1483228800000000000LL); /* leap second */
    t_bad("2023-02-29T00:00:00Z", "no such date");
    t_bad("2024-01-15T10:30:45", "time zone");
    t_bad("2024-01-15", "too short");
    t_bad("2024-01-15T25:00:00Z", "no such time");
    t_bad("2024-01-15T10:30:45.Z", "fraction");
    t_bad("2024-01-15T10:30:45.1234567890Z", "fraction");
    t_bad("2024-01-15T10:30:45+1:00", "offset");
    t_bad("2024-01-15T10:30:45Z junk", "unexpected");
    t_bad("1600-01-01T00:00:00Z", "year");
}

static void test_search(void **state)
{
    (void) state;
    nlogd_search s;
    char why[128], fts[512];
    const char *q = "Database-POOL conn*";
    assert_int_equal(nlogd_search_compile(q, strlen(q), &s, why, sizeof why), 0);
    assert_int_equal(s.n, 3);
    nlogd_search_fts(&s, fts, sizeof fts);
    assert_string_equal(fts, "\"database\" \"pool\" \"conn\"*");
    const char *m1 = "Connection pool exhausted (database=main)";
    assert_true(nlogd_search_match(&s, m1, strlen(m1)));
    const char *m2 = "database pool"; /* no conn* word */
    assert_false(nlogd_search_match(&s, m2, strlen(m2)));
    const char *m3 = "databases pool connect"; /* "database" must be a whole word */
    assert_false(nlogd_search_match(&s, m3, strlen(m3)));
    const char *u = "caf\xc3\xa9";
    assert_int_equal(nlogd_search_compile(u, strlen(u), &s, why, sizeof why), 0);
    const char *m4 = "au caf\xc3\xa9 ce soir";
    assert_true(nlogd_search_match(&s, m4, strlen(m4)));
    assert_int_equal(nlogd_search_compile("!!! ,,", 6, &s, why, sizeof why), -1);
    assert_non_null(strstr(why, "no words"));
}

static const char *const entry_params[] = {"level", "category", "logger", "start_time",
                                           "end_time", "search_query", "limit", "cursor", NULL};

static nlogd_err qs_err(const char *qs)
{
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_filter f;
    nlogd_err e;
    memset(&f, 0, sizeof f);
    memset(&e, 0, sizeof e);
    int rc = nlogd_qp_parse(qs, entry_params, q, &e);
    if (rc == 0)
        rc = nlogd_qp_filter(q, &f, &e);
    free(q);
    assert_int_equal(rc, -1);
    assert_int_equal(e.status, 400);
    return e;
}

static void test_query_strings(void **state)
{
    (void) state;
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_filter f;
    nlogd_err e;
    memset(&f, 0, sizeof f);
    assert_int_equal(nlogd_qp_parse("level=warn&category=api&search_query=db+pool%2A&"
                                    "start_time=2024-01-01T00%3A00%3A00Z",
                                    entry_params, q, &e), 0);
    assert_int_equal(nlogd_qp_filter(q, &f, &e), 0);
    assert_int_equal(f.min_level, NLOG_LEVEL_WARNING);
    assert_string_equal(f.category, "api");
    assert_string_equal(f.search, "db pool*");
    assert_true(f.has_start && !f.has_end);
    free(q);

    nlogd_err x = qs_err("level=LOUD");
    assert_string_equal(x.param, "level");
    assert_non_null(strstr(x.message, "accepted: TRACE"));
    x = qs_err("colour=red");
    assert_string_equal(x.code, "unknown_parameter");
    assert_non_null(strstr(x.message, "accepted: level, category"));
    x = qs_err("limit=1&limit=2");
    assert_string_equal(x.code, "duplicate_parameter");
    x = qs_err("search_query=%zz");
    assert_non_null(strstr(x.message, "%-encoding"));
    x = qs_err("start_time=2024-01-02T00:00:00Z&end_time=2024-01-01T00:00:00Z");
    assert_string_equal(x.param, "end_time");
    x = qs_err("logger=%01");
    assert_non_null(strstr(x.message, "control"));
}

static void test_cursors(void **state)
{
    (void) state;
    nlogd_filter a, b;
    nlogd_err e;
    char c[NLOGD_CURSOR_LEN + 1];
    memset(&a, 0, sizeof a);
    a.min_level = NLOG_LEVEL_ERROR;
    nlogd_cursor_make(&a, -42, c);
    b = a;
    assert_int_equal(nlogd_cursor_read("cursor", c, strlen(c), &b, &e), 0);
    assert_int_equal(b.cursor_id, -42);
    b.min_level = NLOG_LEVEL_INFO; /* other filters: refused */
    assert_int_equal(nlogd_cursor_read("cursor", c, strlen(c), &b, &e), -1);
    assert_string_equal(e.code, "invalid_cursor");
    assert_int_equal(nlogd_cursor_read("cursor", "zz", 2, &b, &e), -1);
}

static void test_ingest(void **state)
{
    (void) state;
    const char *body =
        "{\"timestamp\":\"2024-01-15T10:30:45.123Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"ok\",\"module\":\"svc\",\"line\":7,\"context\":{\"a\":1},"
        "\"metadata\":{},\"x_custom\":[1,2]}\n"
        "\n"
        "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"LOUD\",\"message\":\"bad\"}\n"
        "not json\n"
        "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"ERROR\"}\n";
    nlogd_ingest in;
    nlogd_err e;
    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse(body, strlen(body), &in, &e), 0);
    assert_int_equal(in.n, 1);
    assert_int_equal(in.rejected, 3);
    assert_int_equal(in.recs[0].ts_ns, 1705314645123000000LL);
    assert_string_equal(in.recs[0].category, "api");
    assert_string_equal(in.recs[0].logger, "svc");
    assert_int_equal(in.recs[0].line, 7);
    assert_string_equal(in.recs[0].context, "{\"a\":1}");
    assert_null(in.recs[0].metadata); /* an empty group is not kept */
    assert_string_equal(in.recs[0].extra, "{\"x_custom\":[1,2]}");
    assert_int_equal(in.errors[0].line, 3);
    assert_non_null(strstr(in.errors[0].message, "unknown level 'LOUD'"));
    assert_int_equal(in.errors[1].line, 4);
    assert_non_null(strstr(in.errors[2].message, "missing message"));
    nlogd_ingest_free(&in);

    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse("[{\"a\":", 6, &in, &e), -1);
    assert_string_equal(e.code, "malformed_body");
    nlogd_ingest_free(&in);
    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse(" \n ", 3, &in, &e), -1);
    nlogd_ingest_free(&in);
}

static void test_json_strings(void **state)
{
    (void) state;
    nlogd_buf b;
    nlogd_buf_init(&b, 1024);
    const char s[] = "q\"\\\n\x01\xe2\x80\xa8\xff\xc3\xa9";
    assert_int_equal(nlogd_buf_json_str(&b, s, sizeof s - 1), 0);
    assert_string_equal(b.data, "\"q\\\"\\\\\\n\\u0001\\u2028\xef\xbf\xbd\xc3\xa9\"");
    nlogd_buf_reset(&b);
    nlogd_buf_double(&b, 0.1);
    assert_string_equal(b.data, "0.1");
    nlogd_buf_free(&b);
    nlogd_buf_init(&b, 4);
    assert_int_equal(nlogd_buf_adds(&b, "12345"), -1); /* over the cap */
    assert_true(b.failed);
    nlogd_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),        cmocka_unit_test(test_search),
        cmocka_unit_test(test_query_strings), cmocka_unit_test(test_cursors),
        cmocka_unit_test(test_ingest),       cmocka_unit_test(test_json_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
