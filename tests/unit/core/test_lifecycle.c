/* test_lifecycle.c: zero-configuration start from the environment, explicit
 * nlog_init() errors, profiles at run time, precedence of code over the
 * environment, nlog_get_config(), shutdown and a second start. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static void clear_env(void)
{
    const char *vars[] = {"NETLINK_LOG_LEVEL", "NETLINK_LOG_DIRECTORY", "NETLINK_LOG_CONSOLE_ENABLED",
                          "NETLINK_LOG_FILE_ENABLED", "NETLINK_LOG_CONFIG", "NETLINK_LOG_PROFILE",
                          "NETLINK_LOG_SECURITY_ENABLED", "NETLINK_LOG_AUDIT_ENABLED",
                          "NETLINK_LOG_AUDIT_LIFECYCLE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static size_t lines_in(const char *dir, const char *file)
{
    if (access(tu_path(dir, file), F_OK) != 0)
        return 0;
    return tu_assert_json_lines(tu_path(dir, file));
}

static void zero_config_start_reads_the_environment(void **state)
{
    (void) state;
    clear_env();
    const char *dir = tu_scratch("zeroconf");
    setenv("NETLINK_LOG_DIRECTORY", dir, 1);
    setenv("NETLINK_LOG_LEVEL", "debug", 1);
    setenv("NETLINK_LOG_CONSOLE_ENABLED", "off", 1);
    setenv("NETLINK_LOG_AUDIT_LIFECYCLE", "off", 1); /* only the record below */
    nlog_logger *lg = nlog_get_logger("zero"); /* no nlog_init() */
    nlog_debug(lg, "visible");
    nlog_trace(lg, "filtered");
    assert_int_equal(lines_in(dir, "netlink.log"), 1);
    nlog_config got;
    assert_int_equal(nlog_get_config(&got), NLOG_OK);
    assert_int_equal(got.level, NLOG_LEVEL_DEBUG);
    assert_string_equal(got.directory, dir);
    assert_int_equal(got.console_enabled, 0);
    nlog_shutdown();
    assert_int_equal(nlog_get_config(&got), NLOG_ESTATE);
    clear_env();
}

static void bad_environment_value_falls_back_once(void **state)
{
    (void) state;
    clear_env();
    tu_diag_capture();
    setenv("NETLINK_LOG_LEVEL", "LOUD", 1);
    setenv("NETLINK_LOG_CONSOLE_ENABLED", "false", 1);
    setenv("NETLINK_LOG_FILE_ENABLED", "false", 1);
    nlog_logger *lg = nlog_get_logger("fallback");
    assert_int_equal(nlog_logger_effective_level(lg), NLOG_LEVEL_INFO); /* the default */
    assert_int_equal(tu_diag_count(), 1);
    assert_true(tu_diag_contains("NETLINK_LOG_LEVEL"));
    assert_true(tu_diag_contains("LOUD"));
    nlog_shutdown();
    nlog_set_diagnostics(NULL, NULL);
    clear_env();
}

static void explicit_init_with_bad_file_fails_and_keeps_the_old(void **state)
{
    (void) state;
    clear_env();
    const char *dir = tu_scratch("badinit");
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.level = NLOG_LEVEL_WARNING;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    const char *yaml = tu_path(dir, "bad.yaml");
    FILE *f = fopen(yaml, "w");
    assert_non_null(f);
    fputs("directory: logs\nlevel: LOUD\n", f);
    fclose(f);
    nlog_config bad;
    nlog_config_init(&bad);
    bad.use_environment = 0;
    snprintf(bad.config_file, sizeof bad.config_file, "%s", yaml);
    assert_int_equal(nlog_init(&bad), NLOG_ECONFIG);
    const char *msg = nlog_errmsg();
    assert_non_null(strstr(msg, "bad.yaml:2:"));
    assert_non_null(strstr(msg, "level"));
    assert_non_null(strstr(msg, "LOUD"));
    assert_non_null(strstr(msg, "WARNING"));
    /* still the old configuration */
    nlog_config got;
    assert_int_equal(nlog_get_config(&got), NLOG_OK);
    assert_int_equal(got.level, NLOG_LEVEL_WARNING);
    assert_string_equal(got.directory, dir);
    nlog_shutdown();
}

static void profiles_at_run_time(void **state)
{
    (void) state;
    clear_env();
    nlog_config cfg;
    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    cfg.console_enabled = 0;
    cfg.file_enabled = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("prof");
    assert_int_equal(nlog_set_profile("debug"), NLOG_OK);
    assert_int_equal(nlog_logger_effective_level(lg), NLOG_LEVEL_TRACE);
    nlog_config got;
    assert_int_equal(nlog_get_config(&got), NLOG_OK);
    assert_string_equal(got.profile, "debug");
    assert_int_equal(got.console_enabled, 0); /* code still beats the profile */
    assert_int_equal(nlog_set_profile("Production"), NLOG_OK);
    assert_int_equal(nlog_logger_effective_level(lg), NLOG_LEVEL_INFO);
    assert_int_equal(nlog_get_config(&got), NLOG_OK);
    assert_int_equal(got.compression_enabled, 1);
    assert_int_equal(nlog_set_profile("testing"), NLOG_OK);
    assert_int_equal(nlog_logger_effective_level(lg), NLOG_LEVEL_WARNING);
    assert_int_equal(nlog_set_profile("staging"), NLOG_ECONFIG);
    assert_non_null(strstr(nlog_errmsg(), "development"));
    assert_int_equal(nlog_logger_effective_level(lg), NLOG_LEVEL_WARNING); /* unchanged */
    nlog_shutdown();
}

static void code_beats_environment(void **state)
{
    (void) state;
    clear_env();
    setenv("NETLINK_LOG_LEVEL", "ERROR", 1);
    setenv("NETLINK_LOG_FILE_ENABLED", "no", 1);
    setenv("NETLINK_LOG_CONSOLE_ENABLED", "0", 1);
    nlog_config cfg;
    nlog_config_init(&cfg);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_int_equal(nlog_get_level(), NLOG_LEVEL_ERROR); /* environment over default */
    cfg.level = NLOG_LEVEL_DEBUG;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_int_equal(nlog_get_level(), NLOG_LEVEL_DEBUG); /* code over environment */
    nlog_shutdown();
    clear_env();
}

static void shutdown_then_start_again(void **state)
{
    (void) state;
    clear_env();
    const char *dir = tu_scratch("restart");
    nlog_config cfg;
    tu_config(&cfg, dir);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(nlog_init(&cfg), NLOG_OK);
        nlog_info(nlog_get_logger("again"), "round %d", round);
        nlog_shutdown();
        nlog_shutdown(); /* harmless twice */
    }
    assert_int_equal(lines_in(dir, "netlink.log"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_config_start_reads_the_environment),
        cmocka_unit_test(bad_environment_value_falls_back_once),
        cmocka_unit_test(explicit_init_with_bad_file_fails_and_keeps_the_old),
        cmocka_unit_test(profiles_at_run_time),
        cmocka_unit_test(code_beats_environment),
        cmocka_unit_test(shutdown_then_start_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
