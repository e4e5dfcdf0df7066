/* test_server_parse.c: nlogd's parsers — RFC 3339 times (timeparse.c),
 * search words (search.c), query strings, filters and cursors (qparams.c),
 * ingest bodies (ingest_parse.c), JSON output escaping and streaming
 * buffers (buf.c), and the metric bucket arithmetic (rest_perf.c). */
#include "testutil.h"

#include "server/buf.h"
#include "server/ingest_parse.h"
#include "server/perf_buckets.h"
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
    /* a leap second is at the end of a UTC day: also 00:59:60 one hour east */
    assert_int_equal(t_ok("2017-01-01T00:59:60+01:00"), 1483228800000000000LL);
    assert_int_equal(t_ok("2016-12-31T18:59:60-05:00"), 1483228800000000000LL);
    t_bad("2024-01-15T10:30:60Z", "leap second");
    t_bad("2016-12-31T23:59:60+01:00", "leap second");
    /* any number of fraction digits; below a nanosecond is dropped */
    assert_int_equal(t_ok("2024-01-15T10:30:45.1234567890Z"), 1705314645123456789LL);
    assert_int_equal(t_ok("2024-01-15T10:30:45.123456789999999999999Z"), 1705314645123456789LL);
    t_bad("2023-02-29T00:00:00Z", "no such date");
    t_bad("2024-01-15T10:30:45", "time zone");
    t_bad("2024-01-15", "too short");
    t_bad("2024-01-15T25:00:00Z", "no such time");
    t_bad("2024-01-15T10:30:45.Z", "fraction");
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
    /* every refusal names its parameter, even when the name is unusable */
    char many[600] = "", names[NLOGD_QP_MAX + 1][8];
    const char *list[NLOGD_QP_MAX + 2];
    for (int i = 0; i <= NLOGD_QP_MAX; i++) {
        snprintf(names[i], sizeof names[i], "p%d", i);
        list[i] = names[i];
        snprintf(many + strlen(many), sizeof many - strlen(many), "%sp%d=1", i ? "&" : "", i);
    }
    list[NLOGD_QP_MAX + 1] = NULL;
    q = malloc(sizeof *q);
    assert_int_equal(nlogd_qp_parse(many, list, q, &e), -1);
    free(q);
    assert_string_equal(e.param, "query string");
    assert_non_null(strstr(e.message, "more than 32"));
    x = qs_err("lev%zzel=INFO");
    assert_string_equal(x.code, "unknown_parameter");
    assert_string_equal(x.param, "lev%zzel");
    x = qs_err("lev%00el=INFO");
    assert_string_equal(x.param, "lev\\x00el");
    x = qs_err("=INFO");
    assert_string_equal(x.param, "query string");
    x = qs_err("colour=red");
    assert_string_equal(x.param, "colour");
    /* query bounds: only the times the store can represent */
    x = qs_err("end_time=2260-01-01T00:00:00Z");
    assert_string_equal(x.param, "end_time");
    assert_non_null(strstr(x.message, "1700-01-01T00:00:00Z to 2249-12-31T23:59:59.999999999Z"));
    x = qs_err("start_time=1690-01-01T00:00:00Z");
    assert_string_equal(x.param, "start_time");
    x = qs_err("start_time=2250-01-01T00:00:00Z");
    assert_string_equal(x.param, "start_time");
    q = malloc(sizeof *q);
    memset(&f, 0, sizeof f);
    assert_int_equal(nlogd_qp_parse("start_time=1700-01-01T00:00:00Z&"
                                    "end_time=2249-12-31T23:59:59.999999999Z",
                                    entry_params, q, &e), 0);
    assert_int_equal(nlogd_qp_filter(q, &f, &e), 0);
    assert_true(f.start_ns == NLOGD_TIME_MIN_NS && f.end_ns == NLOGD_TIME_MAX_NS);
    free(q);
    nlogd_export_format fmt;
    const char body[] = "{\"colour\":\"red\"}";
    memset(&f, 0, sizeof f);
    assert_int_equal(nlogd_export_parse(body, sizeof body - 1, &f, &fmt, &e), -1);
    assert_string_equal(e.param, "colour");
}

/* The bucket arithmetic over the widest accepted window: no overflow
 * (UBSan checks it), every middle inside the window, buckets in order. */
static void test_buckets(void **state)
{
    (void) state;
    int64_t t0 = NLOGD_TIME_MIN_NS, t1 = NLOGD_TIME_MAX_NS;
    double w = nlogd_bucket_width(t0, t1, 2);
    assert_true(w > 8e18);
    assert_true(nlogd_bucket_before_end(t0, w, 0, 0));        /* 1970: first half */
    assert_false(nlogd_bucket_before_end(t0, w, 0, 4000000000000000000LL));
    int64_t prev = INT64_MIN;
    for (size_t k = 0; k < 2; k++) {
        int64_t m = nlogd_bucket_mid(t0, t1, w, k);
        assert_true(m >= t0 && m <= t1 && m > prev);
        prev = m;
    }
    w = nlogd_bucket_width(5, 5, 10000);
    assert_true(nlogd_bucket_mid(5, 5, w, 9999) == 5);
}

static int sink_calls;
static char sink_out[4096];
static size_t sink_len;

static int sink(void *user, const char *data, size_t len)
{
    (void) user;
    sink_calls++;
    if (sink_len + len > sizeof sink_out)
        return -1;
    memcpy(sink_out + sink_len, data, len);
    sink_len += len;
    return 0;
}

/* A streaming buffer never holds more than its cap and loses nothing. */
static void test_buf_sink(void **state)
{
    (void) state;
    nlogd_buf b;
    nlogd_buf_init(&b, 16);
    nlogd_buf_set_sink(&b, sink, NULL);
    assert_int_equal(nlogd_buf_adds(&b, "0123456789"), 0);
    assert_int_equal(sink_calls, 0); /* fits: buffered */
    assert_int_equal(nlogd_buf_adds(&b, "abcdefghij"), 0);
    assert_int_equal(sink_calls, 1); /* the first ten went out first */
    char big[100];
    memset(big, 'x', sizeof big);
    assert_int_equal(nlogd_buf_add(&b, big, sizeof big), 0); /* passed straight through */
    assert_true(b.size <= 17);
    assert_int_equal(nlogd_buf_json_str(&b, "\x01\x01\x01\x01", 4), 0); /* 26 bytes escaped */
    assert_int_equal(nlogd_buf_flush(&b), 0);
    assert_int_equal(nlogd_buf_total(&b), 10 + 10 + 100 + 26);
    assert_int_equal(sink_len, nlogd_buf_total(&b));
    assert_memory_equal(sink_out + 120, "\"\\u0001\\u0001\\u0001\\u0001\"", 26);
    assert_true(b.size <= 17);
    /* a failing sink fails the buffer */
    char huge[5000];
    memset(huge, 'y', sizeof huge);
    assert_int_equal(nlogd_buf_add(&b, huge, sizeof huge), -1);
    assert_true(b.failed);
    assert_int_equal(nlogd_buf_flush(&b), -1);
    nlogd_buf_free(&b);
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
        cmocka_unit_test(test_buckets),      cmocka_unit_test(test_buf_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
