/* test_server_parse.c: nlogd's parsers — RFC 3339 times (timeparse.c),
 * search words (search.c), query strings, filters and cursors (qparams.c),
 * ingest bodies (ingest_parse.c), JSON output escaping and streaming
 * buffers (buf.c), and the metric bucket arithmetic (rest_perf.c). */
#include "testutil.h"

#include "server/buf.h"
#include "server/ingest_fast.h"
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
    /* 0xFE and 0xFF (not UTF-8) spell the index's tag words: refused, so a
     * query can never match a record's level, category or logger tag */
    assert_int_equal(nlogd_search_compile("ok \xffl40", 7, &s, why, sizeof why), -1);
    assert_string_equal(why, "byte 0xFF at offset 3 is not UTF-8");
    assert_int_equal(nlogd_search_compile("\xfe", 1, &s, why, sizeof why), -1);
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
/* Writing in place (nlogd_buf_room/commit), as the gzip decoder does. */
static void test_buf_room(void **state)
{
    (void) state;
    nlogd_buf b;
    nlogd_buf_init(&b, 10);
    assert_int_equal(nlogd_buf_adds(&b, "ab"), 0);
    char *p = nlogd_buf_room(&b, 8); /* exactly what the cap leaves */
    assert_non_null(p);
    assert_ptr_equal(p, b.data + 2);
    assert_true(b.size <= 11);
    memcpy(p, "cdefghij", 8);
    nlogd_buf_commit(&b, 3);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "abcde"); /* NUL after the committed bytes */
    assert_null(nlogd_buf_room(&b, 6)); /* one past the cap */
    assert_true(b.failed);
    assert_int_equal(b.len, 5);
    b.failed = 0;
    p = nlogd_buf_room(&b, 5);
    assert_non_null(p);
    memset(p, 'z', 6); /* a failed write may scribble on the NUL too */
    nlogd_buf_commit(&b, 0);
    assert_string_equal(b.data, "abcde");
    nlogd_buf_free(&b);
    nlogd_buf_init(&b, 10);
    nlogd_buf_set_sink(&b, sink, NULL); /* a streaming buffer has no room to lend */
    assert_null(nlogd_buf_room(&b, 1));
    nlogd_buf_free(&b);
}

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

/* ---- the fast path (ingest_fast.c) against json-c --------------------------- */

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Parses body both ways and fails unless the results are the same. Returns
 * how many records the fast path took (those json-c then did not see). */
static void same_both_ways(const char *body, size_t len)
{
    nlogd_ingest a, b;
    nlogd_err ea, eb;
    nlogd_ingest_init(&a);
    nlogd_ingest_init(&b);
    int ra = nlogd_ingest_parse_ex(body, len, &a, &ea, 0);
    int rb = nlogd_ingest_parse_ex(body, len, &b, &eb, NLOGD_PARSE_NO_FAST);
    if (ra != rb)
        fail_msg("rc %d vs %d for: %.*s", ra, rb, (int) len, body);
    if (ra != 0) {
        assert_int_equal(ea.status, eb.status);
        assert_string_equal(ea.message, eb.message);
    } else {
        if (a.n != b.n || a.rejected != b.rejected || a.n_errors != b.n_errors)
            fail_msg("%zu/%zu records, %zu/%zu rejected for: %.*s", a.n, b.n, a.rejected,
                     b.rejected, (int) len, body);
        for (size_t i = 0; i < a.n_errors; i++) {
            assert_int_equal(a.errors[i].index, b.errors[i].index);
            assert_int_equal(a.errors[i].line, b.errors[i].line);
            assert_string_equal(a.errors[i].message, b.errors[i].message);
        }
        for (size_t i = 0; i < a.n; i++) {
            const nlogd_record *x = &a.recs[i], *y = &b.recs[i];
            if (x->ts_ns != y->ts_ns || x->level != y->level || x->line != y->line ||
                x->pid != y->pid || x->tid != y->tid || x->message_len != y->message_len ||
                memcmp(x->message, y->message, x->message_len) != 0 ||
                !str_eq(x->category, y->category) || !str_eq(x->logger, y->logger) ||
                !str_eq(x->function, y->function) || !str_eq(x->context, y->context) ||
                !str_eq(x->metadata, y->metadata) || !str_eq(x->perf, y->perf) ||
                !str_eq(x->extra, y->extra))
                fail_msg("record %zu differs (fast context %s, json-c %s) for: %.*s", i,
                         x->context ? x->context : "NULL", y->context ? y->context : "NULL",
                         (int) len, body);
        }
    }
    nlogd_ingest_free(&a);
    nlogd_ingest_free(&b);
}

static unsigned long long fast_rng = 0x9e3779b97f4a7c15ULL;
static unsigned fr(unsigned n)
{
    fast_rng ^= fast_rng << 13;
    fast_rng ^= fast_rng >> 7;
    fast_rng ^= fast_rng << 17;
    return (unsigned) (fast_rng % n);
}

#define PICK(arr) (arr)[fr(sizeof(arr) / sizeof(arr)[0])]

static const char *const v_ts[] = {
    "\"2024-01-15T10:30:45.123Z\"", "\"2024-01-15T10:30:45.123456789+02:00\"",
    "\"2024-02-30T00:00:00Z\"", "\"1600-01-01T00:00:00Z\"", "12", "null",
    "\"2024-01-15T10:30:45\\u005a\"", "\"2249-12-31T23:59:59Z\""};
static const char *const v_level[] = {"\"INFO\"", "\"error\"", "\"Warn\"", "\"LOUD\"",
                                      "\"\"", "3", "\"SECURITY\"", "\"AUDIT\"",
                                      "\"INFOINFOINFOINFOINFO\""};
static const char *const v_msg[] = {
    "\"hello\"", "\"\"", "\"a \\\"q\\\" b\\\\c\\/d\\n\\t\\r\\b\\f\"",
    "\"caf\xc3\xa9\"", "\"nul\\u0000x\"", "\"bad\xff\"", "\"tab\there\"", "7",
    "\"del\x7f\"", "\"\\u00e9\\ud83d\\ude00\""};
static const char *const v_name[] = {"\"api\"", "\"\"", "\"a/b c.d\"",
                                     "\"caf\xc3\xa9\"", "\"x\\u0001\"", "null", "5",
                                     "\"0123456789012345678901234567890123456789012345678901234567890123456789\""};
static const char *const v_int[] = {"0", "7", "-1", "01", "1.0", "1e2", "null", "\"7\"",
                                    "2147483648", "123456789012345678", "1234567890123456789",
                                    "99999999999999999999"};
static const char *const v_group[] = {
    "{}", "{ }", "null", "[]", "\"x\"", "{\"a\":1}", "{ \"a\" : 1 , \"b\" : [ 1 , 2 ] }",
    "{\"a\":-0}", "{\"a\":-0.0,\"b\":1.50,\"c\":1E+2,\"d\":1e-07}",
    "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":{\"c\":[true,false,null,{}]}}}",
    "{\"s\":\"a/b\"}", "{\"s\":\"\\u00e9\"}", "{\"s\":\"caf\xc3\xa9\"}",
    "{\"n\":12345678901234567890}", "{\"n\":1e999}", "{\"n\":.5}", "{\"n\":01}",
    "{\"k\\n\":1}", "{\"a\":[1,]}", "{\"a\":tru}", "{\"a\":\"\x7f\"}"};
static const char *const v_extra[] = {"\"x_custom\":[1,2]", "\"tags\":{\"k\":\"v\"}",
                                      "\"\":1", "\"timestamp\":\"2024-01-15T10:30:45Z\""};
static const char *const v_ws[] = {"", "", "", " ", "\t", " \r "};

static size_t gen_record(char *out, size_t cap)
{
    static const char *const keys[] = {"timestamp", "level", "category", "message", "module",
                                       "function", "line", "context", "metadata",
                                       "performance_data", "process_id", "thread_id"};
    size_t n = 0;
    int first = 1;
    n += (size_t) snprintf(out + n, cap - n, "%s{%s", PICK(v_ws), PICK(v_ws));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int omit = fr(k < 4 ? 40 : 4) == 0;
        if (omit)
            continue;
        const char *v;
        switch (k) {
        case 0: v = fr(10) ? v_ts[0] : PICK(v_ts); break;
        case 1: v = fr(10) ? v_level[0] : PICK(v_level); break;
        case 3: v = fr(10) ? v_msg[0] : PICK(v_msg); break;
        case 2: case 4: case 5: v = fr(10) ? v_name[0] : PICK(v_name); break;
        case 6: case 10: case 11: v = fr(10) ? v_int[1] : PICK(v_int); break;
        default: v = fr(10) ? v_group[5] : PICK(v_group); break;
        }
        for (int rep = fr(30) == 0 ? 2 : 1; rep > 0; rep--) {
            n += (size_t) snprintf(out + n, cap - n, "%s%s\"%s\"%s:%s%s%s", first ? "" : ",",
                                   PICK(v_ws), keys[k], PICK(v_ws), PICK(v_ws), v, PICK(v_ws));
            first = 0;
        }
    }
    if (fr(20) == 0)
        n += (size_t) snprintf(out + n, cap - n, "%s%s", first ? "" : ",", PICK(v_extra));
    n += (size_t) snprintf(out + n, cap - n, "}%s%s", fr(30) == 0 ? " x" : "", PICK(v_ws));
    return n;
}

/* A body parsed in parts (rest_ingest.c's large requests) gives what one
 * parse of the whole body gives: the same records, rejections, record
 * indexes, line numbers and messages, whatever the part size. */
static void test_ingest_parts(void **state)
{
    (void) state;
    nlogd_buf body;
    nlogd_buf_init(&body, 1 << 22);
    for (int i = 0; i < 400; i++) {
        if (i % 37 == 5)
            nlogd_buf_adds(&body, "\n\n   \n"); /* blank lines: no records, but lines */
        if (i % 23 == 7)
            nlogd_buf_printf(&body, "not json %d\n", i);
        else if (i % 31 == 3)
            nlogd_buf_printf(&body,
                             "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"LOUD\","
                             "\"message\":\"bad %d\"}\n", i);
        else
            nlogd_buf_printf(&body,
                             "{\"timestamp\":\"2024-01-15T10:30:%02d.%06dZ\",\"level\":\"INFO\","
                             "\"category\":\"api\",\"message\":\"record %d\",\"module\":\"m%d\"}\n",
                             i % 60, i, i, i % 7);
    }
    assert_false(body.failed);
    nlogd_ingest whole;
    nlogd_err e;
    nlogd_ingest_init(&whole);
    assert_int_equal(nlogd_ingest_parse(body.data, body.len, &whole, &e), 0);
    assert_true(nlogd_ingest_is_ndjson(body.data, body.len));
    assert_false(nlogd_ingest_is_ndjson(" \n[{}]", 6));
    assert_true(whole.rejected > 10 && whole.n > 300);
    static const size_t sizes[] = {1, 97, 1000, 5000, 1 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        nlogd_ingest parts[64];
        size_t np = 0, pos = 0, n = 0, rej = 0, errs = 0, index = 0, line = 0;
        while (pos < body.len) {
            size_t end = nlogd_ingest_part_end(body.data, body.len, pos, sizes[k] * 10);
            assert_true(end > pos && (end == body.len || body.data[end - 1] == '\n'));
            if (np == 63) /* the smallest sizes: what is left is one last part */
                end = body.len;
            nlogd_ingest *in = &parts[np++];
            nlogd_ingest_init(in);
            in->index_base = index;
            in->line_base = line;
            assert_int_equal(nlogd_ingest_parse_part(body.data + pos, end - pos, in, &e), 0);
            index = in->index_end;
            line = in->line_end;
            n += in->n;
            rej += in->rejected;
            pos = end;
        }
        assert_int_equal(n, whole.n);
        assert_int_equal(rej, whole.rejected);
        size_t r = 0;
        for (size_t p = 0; p < np; p++) {
            for (size_t i = 0; i < parts[p].n; i++, r++) {
                assert_string_equal(parts[p].recs[i].message, whole.recs[r].message);
                assert_int_equal(parts[p].recs[i].ts_ns, whole.recs[r].ts_ns);
                assert_string_equal(parts[p].recs[i].logger, whole.recs[r].logger);
            }
            for (size_t i = 0; i < parts[p].n_errors; i++, errs++) {
                assert_true(errs < whole.n_errors);
                assert_int_equal(parts[p].errors[i].index, whole.errors[errs].index);
                assert_int_equal(parts[p].errors[i].line, whole.errors[errs].line);
                assert_string_equal(parts[p].errors[i].message, whole.errors[errs].message);
            }
            nlogd_ingest_free(&parts[p]);
        }
        assert_int_equal(errs, whole.n_errors);
        assert_int_equal(index, whole.n + whole.rejected);
    }
    /* a part of blank lines alone holds no records and is no error */
    nlogd_ingest in;
    nlogd_ingest_init(&in);
    in.line_base = 10;
    assert_int_equal(nlogd_ingest_parse_part("\n \n\n", 4, &in, &e), 0);
    assert_int_equal(in.n + in.rejected, 0);
    assert_int_equal(in.line_end, 13);
    nlogd_ingest_free(&in);
    nlogd_ingest_free(&whole);
    nlogd_buf_free(&body);
}

static void test_ingest_fast_path(void **state)
{
    (void) state;
    /* Hand-picked edges first: each is parsed both ways and must agree. */
    static const char *const lines[] = {
        "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m\"}",
        "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m\"} ",
        "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m\"}}",
        "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m\",}",
        "{}", "[]", "[{}]", " [ ] ", "{\"timestamp\":\"2024-01-15T10:30:45Z\"",
        "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m\","
        "\"context\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":"
        "{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":{\"q\":1}}}}}}}}}}}}}}}}}}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        same_both_ways(lines[i], strlen(lines[i]));
    /* What is plain: the first line is, a UTF-8 message is not (json-c
     * validates it), nor an unknown member (json-c keeps it in extra). */
    nlogd_ingest one;
    nlogd_record r;
    size_t used;
    nlogd_ingest_init(&one);
    assert_int_equal(nlogd__ingest_fast(&one, lines[0], strlen(lines[0]), &used, &r), 1);
    assert_int_equal(used, strlen(lines[0]));
    assert_string_equal(r.message, "m");
    const char *utf8 = "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\","
                       "\"message\":\"caf\xc3\xa9\"}";
    assert_int_equal(nlogd__ingest_fast(&one, utf8, strlen(utf8), &used, &r), 0);
    const char *unk = "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\","
                      "\"message\":\"m\",\"tags\":[]}";
    assert_int_equal(nlogd__ingest_fast(&one, unk, strlen(unk), &used, &r), 0);
    nlogd_ingest_free(&one);
    /* Then generated records: every member present, absent, repeated, with
     * plain and odd values, odd white space; alone, as NDJSON and as arrays. */
    char *body = malloc(1 << 20), rec[4096];
    size_t fast_took = 0, fast_refused = 0;
    for (int round = 0; round < 400; round++) {
        size_t n = 0, k = 1 + fr(12);
        int array = fr(3) == 0;
        if (array)
            body[n++] = '[';
        for (size_t i = 0; i < k; i++) {
            size_t rl = gen_record(rec, sizeof rec);
            same_both_ways(rec, rl);
            nlogd_ingest_init(&one);
            if (nlogd__ingest_fast(&one, rec, rl, &used, &r) == 1)
                fast_took++;
            else
                fast_refused++;
            nlogd_ingest_free(&one);
            if (i && array)
                body[n++] = ',';
            memcpy(body + n, rec, rl);
            n += rl;
            if (!array)
                body[n++] = '\n';
        }
        if (array)
            body[n++] = ']';
        same_both_ways(body, n);
    }
    free(body);
    /* Both paths were exercised. */
    print_message("fast path took %zu generated records, refused %zu\n", fast_took, fast_refused);
    assert_true(fast_took > 200);
    assert_true(fast_refused > 200);
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
        cmocka_unit_test(test_ingest_fast_path), cmocka_unit_test(test_ingest_parts),
        cmocka_unit_test(test_buckets),      cmocka_unit_test(test_buf_sink),
        cmocka_unit_test(test_buf_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
