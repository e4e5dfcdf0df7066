/* test_json_golden.c: exact JSON lines for hand-checked records: member
 * order, every value type, group objects and their omission, levels
 * (src/format/json.c). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/json.h"

#define NS INT64_C(1000000000)

static nlog__record base_record(void)
{
    nlog__record r = {
        .time_ns = 1705314645 * NS + 123456789,
        .level = NLOG_LEVEL_INFO,
        .category = "api",
        .logger = "auth_service",
        .logger_len = 12,
        .message = "User authenticated successfully",
        .message_len = 31,
        .file = "src/auth/service.c",
        .function = "authenticate_user",
        .line = 142,
        .fields = NULL,
        .n_fields = 0,
        .pid = 4242,
        .tid = 4243,
    };
    return r;
}

/* Encodes with a roomy buffer and compares the whole line; also checks it
 * parses and was not truncated. */
static void expect_json(const nlog__record *r, const char *want)
{
    size_t cap = 65536;
    char *out = malloc(cap);
    int trunc = -1;
    size_t n = nlog__json_encode(r, out, cap, &trunc);
    assert_int_equal(trunc, 0);
    if (n != strlen(want) || memcmp(out, want, n) != 0)
        fail_msg("got:  %.*s\nwant: %s", (int) n, out, want);
    out[n - 1] = '\0';
    json_object_put(tu_parse_json(out));
    free(out);
}

static void test_product_example(void **state)
{
    (void) state;
    nlog_field f[] = {
        NLOG_CTX("request_id", "req_123456"),
        NLOG_CTX("user_id", "user_789"),
        NLOG_CTX("ip_address", "192.168.1.100"),
        NLOG_META("auth_method", "password"),
        NLOG_META("duration_ms", 45),
        NLOG_PERF("response_time", 0.045),
        NLOG_PERF("memory_usage", 128.5),
    };
    nlog__record r = base_record();
    r.fields = f;
    r.n_fields = sizeof f / sizeof f[0];
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"User authenticated successfully\",\"module\":\"auth_service\","
        "\"function\":\"authenticate_user\",\"line\":142,"
        "\"context\":{\"request_id\":\"req_123456\",\"user_id\":\"user_789\","
        "\"ip_address\":\"192.168.1.100\"},"
        "\"metadata\":{\"auth_method\":\"password\",\"duration_ms\":45},"
        "\"performance_data\":{\"response_time\":0.045,\"memory_usage\":128.5},"
        "\"process_id\":4242,\"thread_id\":4243}\n");
}

static void test_minimal(void **state)
{
    (void) state;
    nlog__record r = base_record();
    r.time_ns = 0;
    r.level = NLOG_LEVEL_WARNING;
    r.category = "application";
    r.logger = "root";
    r.logger_len = 4;
    r.message = "";
    r.message_len = 0;
    r.function = NULL;
    r.file = NULL;
    r.line = 0;
    r.pid = 1;
    r.tid = 1;
    expect_json(
        &r, "{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"level\":\"WARNING\","
            "\"category\":\"application\",\"message\":\"\",\"module\":\"root\",\"function\":null,"
            "\"line\":null,\"process_id\":1,\"thread_id\":1}\n");
}

/* Groups are emitted context, metadata, performance_data whatever the call
 * order, each keeping its fields' relative order; category entries and
 * unknown groups add no member; empty groups are left out. */
static void test_group_order_and_omission(void **state)
{
    (void) state;
    nlog_field f[] = {
        NLOG_PERF("p1", 1), NLOG_META("m1", 2), NLOG_CATEGORY(NLOG_CAT_AUTH),
        NLOG_META("m2", 3), NLOG_PERF("p2", 4), nlog_field_int(7, "ghost", 5),
        NLOG_CTX("c1", 6),
    };
    nlog__record r = base_record();
    r.fields = f;
    r.n_fields = sizeof f / sizeof f[0];
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"User authenticated successfully\",\"module\":\"auth_service\","
        "\"function\":\"authenticate_user\",\"line\":142,"
        "\"context\":{\"c1\":6},\"metadata\":{\"m1\":2,\"m2\":3},"
        "\"performance_data\":{\"p1\":1,\"p2\":4},\"process_id\":4242,\"thread_id\":4243}\n");

    nlog_field only_meta[] = {NLOG_CATEGORY(NLOG_CAT_DATABASE), NLOG_META("rows", 10u)};
    r.fields = only_meta;
    r.n_fields = 2;
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"User authenticated successfully\",\"module\":\"auth_service\","
        "\"function\":\"authenticate_user\",\"line\":142,"
        "\"metadata\":{\"rows\":10},\"process_id\":4242,\"thread_id\":4243}\n");

    nlog_field none[] = {NLOG_CATEGORY(NLOG_CAT_DATABASE), nlog_field_int(3, "x", 1),
                         nlog_field_int(200, "y", 1)};
    r.fields = none;
    r.n_fields = 3;
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"User authenticated successfully\",\"module\":\"auth_service\","
        "\"function\":\"authenticate_user\",\"line\":142,"
        "\"process_id\":4242,\"thread_id\":4243}\n");
}

static void test_value_types(void **state)
{
    (void) state;
    nlog_field nokey = nlog_field_int(NLOG_GROUP_CONTEXT, NULL, 1);
    nlog_field badtype = nlog_field_int(NLOG_GROUP_CONTEXT, "weird", 1);
    badtype.type = 99;
    nlog_field f[] = {
        nlog_field_null(0, "null"),
        nlog_field_bool(0, "t", true),
        nlog_field_bool(0, "f", false),
        nlog_field_int(0, "imin", INT64_MIN),
        nlog_field_int(0, "imax", INT64_MAX),
        nlog_field_int(0, "zero", 0),
        nlog_field_int(0, "neg", -7),
        nlog_field_uint(0, "umax", UINT64_MAX),
        nlog_field_str(0, "s", "hello"),
        nlog_field_str(0, "nulls", NULL),
        nlog_field_strn(0, "sn", "abcdef", 3),
        nlog_field_strn(0, "nul", "a\0b", 3),
        nlog_field_strn(0, "empty", "", 0),
        nlog_field_ptr(0, "p", (const void *) (uintptr_t) 0xdeadbeef),
        nlog_field_ptr(0, "np", NULL),
        nokey,
        badtype,
        nlog_field_double(2, "d1", 0.045),
        nlog_field_double(2, "d2", 1e300),
        nlog_field_double(2, "d3", -0.0),
        nlog_field_double(2, "d4", NAN),
        nlog_field_double(2, "d5", INFINITY),
        nlog_field_double(2, "d6", -INFINITY),
        nlog_field_double(2, "d7", 3.0),
        nlog_field_double(2, "d8", 0.1 + 0.2),
        nlog_field_ldouble(2, "d9", 2.5L),
    };
    nlog__record r = base_record();
    r.fields = f;
    r.n_fields = sizeof f / sizeof f[0];
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"User authenticated successfully\",\"module\":\"auth_service\","
        "\"function\":\"authenticate_user\",\"line\":142,"
        "\"context\":{\"null\":null,\"t\":true,\"f\":false,\"imin\":-9223372036854775808,"
        "\"imax\":9223372036854775807,\"zero\":0,\"neg\":-7,\"umax\":18446744073709551615,"
        "\"s\":\"hello\",\"nulls\":null,\"sn\":\"abc\",\"nul\":\"a\\u0000b\",\"empty\":\"\","
        "\"p\":\"0xdeadbeef\",\"np\":null,\"weird\":null},"
        "\"performance_data\":{\"d1\":0.045,\"d2\":1e+300,\"d3\":-0,\"d4\":null,\"d5\":null,"
        "\"d6\":null,\"d7\":3,\"d8\":0.30000000000000004,\"d9\":2.5},"
        "\"process_id\":4242,\"thread_id\":4243}\n");
}

/* The _Generic macros of field.h produce the types the encoder expects. */
static void test_generic_macros(void **state)
{
    (void) state;
    const char *cs = "x";
    unsigned short us = 7;
    float fl = 0.5f;
    nlog_field f[] = {NLOG_CTX("a", true),         NLOG_CTX("b", false), NLOG_CTX("c", cs),
                      NLOG_CTX("d", us),           NLOG_CTX("e", fl),    NLOG_CTX("g", -1L),
                      NLOG_CTX("h", (void *) NULL)};
    nlog__record r = base_record();
    r.fields = f;
    r.n_fields = sizeof f / sizeof f[0];
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"User authenticated successfully\",\"module\":\"auth_service\","
        "\"function\":\"authenticate_user\",\"line\":142,"
        "\"context\":{\"a\":true,\"b\":false,\"c\":\"x\",\"d\":7,\"e\":0.5,\"g\":-1,\"h\":null},"
        "\"process_id\":4242,\"thread_id\":4243}\n");
}

static void test_levels_and_ids(void **state)
{
    (void) state;
    static const struct {
        nlog_level l;
        const char *name;
    } lv[] = {{NLOG_LEVEL_TRACE, "\"TRACE\""},
              {NLOG_LEVEL_DEBUG, "\"DEBUG\""},
              {NLOG_LEVEL_INFO, "\"INFO\""},
              {NLOG_LEVEL_WARNING, "\"WARNING\""},
              {NLOG_LEVEL_ERROR, "\"ERROR\""},
              {NLOG_LEVEL_CRITICAL, "\"CRITICAL\""},
              {NLOG_LEVEL_SECURITY, "\"SECURITY\""},
              {NLOG_LEVEL_AUDIT, "\"AUDIT\""},
              {(nlog_level) 42, "null"}};
    for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++) {
        char want[512];
        nlog__record r = base_record();
        r.level = lv[i].l;
        r.time_ns = -14182940 * NS;
        r.line = -1;
        r.pid = INT64_MIN;
        r.tid = INT64_MAX;
        r.category = "audit";
        snprintf(
            want, sizeof want,
            "{\"timestamp\":\"1969-07-20T20:17:40.000000Z\",\"level\":%s,\"category\":\"audit\","
            "\"message\":\"User authenticated successfully\",\"module\":\"auth_service\","
            "\"function\":\"authenticate_user\",\"line\":-1,"
            "\"process_id\":-9223372036854775808,\"thread_id\":9223372036854775807}\n",
            lv[i].name);
        expect_json(&r, want);
    }
}

/* Timestamps end to end, including years 2100 and a leap day. */
static void test_timestamps_in_record(void **state)
{
    (void) state;
    static const struct {
        int64_t ns;
        const char *want;
    } t[] = {
        {4107542399 * NS + 999999999, "2100-02-28T23:59:59.999999Z"},
        {4107542400 * NS, "2100-03-01T00:00:00.000000Z"},
        {1709208000 * NS + 1999, "2024-02-29T12:00:00.000001Z"},
        {-1, "1969-12-31T23:59:59.999999Z"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        nlog__record r = base_record();
        r.time_ns = t[i].ns;
        char out[NLOG__RECORD_MIN_CAP];
        int trunc;
        size_t n = nlog__json_encode(&r, out, sizeof out, &trunc);
        assert_true(n > 42);
        assert_memory_equal(out, "{\"timestamp\":\"", 14);
        assert_memory_equal(out + 14, t[i].want, 27);
        assert_memory_equal(out + 41, "\",", 2);
    }
}

/* The length/NUL rules: NLOG_LEN_NUL means strlen, otherwise exactly len
 * bytes are used even when the buffer holds more or contains NULs; the
 * message and logger are taken by length too. */
static void test_lengths(void **state)
{
    (void) state;
    nlog_field f = nlog_field_str(NLOG_GROUP_METADATA, "k", "abc\0def");
    nlog__record r = base_record();
    r.message = "hello world";
    r.message_len = 5;
    r.logger = "mod\0ule";
    r.logger_len = 7;
    r.fields = &f;
    r.n_fields = 1;
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"hello\",\"module\":\"mod\\u0000ule\","
        "\"function\":\"authenticate_user\",\"line\":142,\"metadata\":{\"k\":\"abc\"},"
        "\"process_id\":4242,\"thread_id\":4243}\n");
    f.len = 7;
    r.message_len = 0;
    expect_json(
        &r,
        "{\"timestamp\":\"2024-01-15T10:30:45.123456Z\",\"level\":\"INFO\",\"category\":\"api\","
        "\"message\":\"\",\"module\":\"mod\\u0000ule\","
        "\"function\":\"authenticate_user\",\"line\":142,\"metadata\":{\"k\":\"abc\\u0000def\"},"
        "\"process_id\":4242,\"thread_id\":4243}\n");
}

/* The output is the exact size reported, and an exactly fitting buffer is
 * not truncated. */
static void test_exact_fit(void **state)
{
    (void) state;
    nlog_field f[] = {NLOG_CTX("k", "v")};
    nlog__record r = base_record();
    r.fields = f;
    r.n_fields = 1;
    char big[4096];
    int trunc;
    size_t n = nlog__json_encode(&r, big, sizeof big, &trunc);
    assert_int_equal(trunc, 0);
    /* Pad the message so the whole record is exactly 1024 bytes. */
    char msg[2048];
    size_t extra = NLOG__RECORD_MIN_CAP - n;
    memset(msg, 'm', sizeof msg);
    r.message = msg;
    r.message_len = 31 + extra;
    char *out = malloc(NLOG__RECORD_MIN_CAP);
    n = nlog__json_encode(&r, out, NLOG__RECORD_MIN_CAP, &trunc);
    assert_int_equal(n, NLOG__RECORD_MIN_CAP);
    assert_int_equal(trunc, 0);
    r.message_len++;
    n = nlog__json_encode(&r, out, NLOG__RECORD_MIN_CAP, &trunc);
    assert_true(n <= NLOG__RECORD_MIN_CAP);
    assert_int_equal(trunc, 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_product_example),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_group_order_and_omission),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_generic_macros),
        cmocka_unit_test(test_levels_and_ids),
        cmocka_unit_test(test_timestamps_in_record),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_exact_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
