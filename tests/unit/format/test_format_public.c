/* test_format_public.c: nlog_format_console(), nlog_format_json() and
 * nlog_format_rfc3339() (src/format/public.c) render like the outputs do. */
#include "testutil.h"

static void test_console_line(void **state)
{
    (void) state;
    char out[2048];
    int t = -1;
    nlog_record_view v = {.time_ns = 1705314645123456789LL, .level = NLOG_LEVEL_WARNING,
                          .logger = "database", .logger_len = 8,
                          .message = "pool\x1b[2J exhausted", .message_len = 18};
    size_t n = nlog_format_console(&v, NLOG_FORMAT_UTC, out, sizeof out, &t);
    out[n] = '\0';
    assert_string_equal(out, "[2024-01-15 10:30:45] [WARNING ] database: pool\\x1b[2J exhausted\n");
    assert_int_equal(t, 0);
    assert_int_equal(nlog_format_console(&v, 0, out, 100, &t), 0); /* below the minimum */
    assert_int_equal(t, 1);
}

static void test_json_line(void **state)
{
    (void) state;
    char out[2048];
    nlog_field f[] = {nlog_field_int(NLOG_GROUP_CONTEXT, "n", 7)};
    nlog_record_view v = {.time_ns = 0, .level = NLOG_LEVEL_INFO, .message = "hi",
                          .message_len = 2, .fields = f, .n_fields = 1, .pid = 1, .tid = 2};
    size_t n = nlog_format_json(&v, out, sizeof out, NULL);
    out[n] = '\0';
    assert_string_equal(out, "{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"level\":\"INFO\","
                             "\"category\":\"application\",\"message\":\"hi\",\"module\":\"root\","
                             "\"function\":null,\"line\":null,\"context\":{\"n\":7},"
                             "\"process_id\":1,\"thread_id\":2}\n");
}

static void test_rfc3339(void **state)
{
    (void) state;
    char t[NLOG_FORMAT_RFC3339_SIZE];
    nlog_format_rfc3339(-1, t);
    assert_string_equal(t, "1969-12-31T23:59:59.999999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_line),
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
