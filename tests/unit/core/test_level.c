/* test_level.c: level numbers, names, parsing and indexes. */
#include "testutil.h"

static void numbers_are_the_products(void **state)
{
    (void) state;
    assert_int_equal(NLOG_LEVEL_TRACE, 5);
    assert_int_equal(NLOG_LEVEL_DEBUG, 10);
    assert_int_equal(NLOG_LEVEL_INFO, 20);
    assert_int_equal(NLOG_LEVEL_WARNING, 30);
    assert_int_equal(NLOG_LEVEL_ERROR, 40);
    assert_int_equal(NLOG_LEVEL_CRITICAL, 50);
    assert_int_equal(NLOG_LEVEL_SECURITY, 60);
    assert_int_equal(NLOG_LEVEL_AUDIT, 70);
}

static void parse_is_case_insensitive_and_accepts_warn(void **state)
{
    (void) state;
    static const struct {
        const char *text;
        nlog_level level;
    } ok[] = {
        {"TRACE", NLOG_LEVEL_TRACE}, {"trace", NLOG_LEVEL_TRACE},     {"Debug", NLOG_LEVEL_DEBUG},
        {"info", NLOG_LEVEL_INFO},   {"WARNING", NLOG_LEVEL_WARNING}, {"warn", NLOG_LEVEL_WARNING},
        {"WaRn", NLOG_LEVEL_WARNING}, {"error", NLOG_LEVEL_ERROR},    {"CRITICAL", NLOG_LEVEL_CRITICAL},
        {"security", NLOG_LEVEL_SECURITY}, {"Audit", NLOG_LEVEL_AUDIT},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        nlog_level l = NLOG_LEVEL_INVALID;
        assert_int_equal(nlog_level_parse(ok[i].text, &l), NLOG_OK);
        assert_int_equal(l, ok[i].level);
    }
    const char *bad[] = {"", " INFO", "INFO ", "INF", "WARNINGS", "fatal", "20", "w"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nlog_level l = NLOG_LEVEL_DEBUG;
        assert_int_equal(nlog_level_parse(bad[i], &l), NLOG_EINVAL);
        assert_int_equal(l, NLOG_LEVEL_DEBUG); /* untouched on failure */
    }
    nlog_level l;
    assert_int_equal(nlog_level_parse(NULL, &l), NLOG_EINVAL);
}

static void names_and_indexes_round_trip(void **state)
{
    (void) state;
    const char *names[] = {"TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "SECURITY", "AUDIT"};
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++) {
        nlog_level l = nlog_level_from_index(i);
        assert_int_equal(nlog_level_index(l), i);
        assert_string_equal(nlog_level_name(l), names[i]);
    }
    assert_null(nlog_level_name((nlog_level) 21));
    assert_int_equal(nlog_level_index((nlog_level) 0), -1);
    assert_int_equal(nlog_level_from_index(8), NLOG_LEVEL_INVALID);
    assert_int_equal(nlog_level_from_index(-1), NLOG_LEVEL_INVALID);
    assert_string_equal(nlog_status_str(NLOG_ECONFIG), "invalid configuration");
    assert_string_equal(nlog_status_str((nlog_status) 42), "unknown status");
    assert_string_equal(nlog_version(), NLOG_VERSION_STRING);
    assert_int_equal(nlog_version_number(), NLOG_VERSION_NUMBER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_are_the_products),
        cmocka_unit_test(parse_is_case_insensitive_and_accepts_warn),
        cmocka_unit_test(names_and_indexes_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
