/* test_config_env.c: the environment layer: one NETLINK_LOG_<KEY> per key,
 * and a bad value reported exactly once while the lower layers' value stays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

extern char **environ;

static nlog_error err;

static void clear_env(void)
{
    for (;;) {
        char name[256];
        char **e = environ;
        while (*e && strncmp(*e, "NETLINK_LOG_", 12) != 0)
            e++;
        if (!*e)
            return;
        size_t n = strcspn(*e, "=");
        snprintf(name, sizeof name, "%.*s", (int) n, *e);
        unsetenv(name);
    }
}

static int setup(void **state)
{
    (void) state;
    clear_env();
    memset(&err, 0, sizeof err);
    tu_diag_reset();
    return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected '%s' in:\n%s", needle, hay);
}

static void resolve_ok(const nlog_config *in, nlog_config *out)
{
    if (nlog_config_resolve(in, out, &err) != NLOG_OK)
        fail_msg("resolve failed: %s", err.message);
}

static void test_every_variable(void **state)
{
    (void) state;
    setenv("NETLINK_LOG_LEVEL", "debug", 1);
    setenv("NETLINK_LOG_DIRECTORY", "/tmp/env-logs", 1);
    setenv("NETLINK_LOG_CONSOLE_ENABLED", "false", 1);
    setenv("NETLINK_LOG_CONSOLE_COLORS", "off", 1);
    setenv("NETLINK_LOG_CONSOLE_STREAM", "stdout", 1);
    setenv("NETLINK_LOG_CONSOLE_UTC", "yes", 1);
    setenv("NETLINK_LOG_CONSOLE_FIELDS", "1", 1);
    setenv("NETLINK_LOG_CONSOLE_CALLER", "ON", 1);
    setenv("NETLINK_LOG_FILE_ENABLED", "No", 1);
    setenv("NETLINK_LOG_STRUCTURED_ENABLED", "0", 1);
    setenv("NETLINK_LOG_PERFORMANCE_ENABLED", "TRUE", 1);
    setenv("NETLINK_LOG_PERFORMANCE_INTERVAL", "15", 1);
    setenv("NETLINK_LOG_SECURITY_ENABLED", "false", 1);
    setenv("NETLINK_LOG_AUDIT_ENABLED", "off", 1);
    setenv("NETLINK_LOG_ALERTS_ENABLED", "true", 1);
    setenv("NETLINK_LOG_ALERT_EMAIL", "admin@example.com", 1);
    setenv("NETLINK_LOG_COMPRESSION_ENABLED", "no", 1);
    setenv("NETLINK_LOG_MAX_RECORD_SIZE", "128KB", 1);
    setenv("NETLINK_LOG_LOGGERS", "noisy.lib=ERROR,db.pool=trace", 1);
    nlog_config out;
    resolve_ok(NULL, &out);
    assert_int_equal(out.level, NLOG_LEVEL_DEBUG);
    assert_string_equal(out.directory, "/tmp/env-logs");
    assert_int_equal(out.console_enabled, 0);
    assert_int_equal(out.console_colors, 0);
    assert_int_equal(out.console_stream, NLOG_CONSOLE_STDOUT);
    assert_int_equal(out.console_utc, 1);
    assert_int_equal(out.console_fields, 1);
    assert_int_equal(out.console_caller, 1);
    assert_int_equal(out.file_enabled, 0);
    assert_int_equal(out.structured_enabled, 0);
    assert_int_equal(out.performance_enabled, 1);
    assert_int_equal(out.performance_interval, 15);
    assert_int_equal(out.security_enabled, 0);
    assert_int_equal(out.audit_enabled, 0);
    assert_int_equal(out.alerts_enabled, 1);
    assert_string_equal(out.alert_email, "admin@example.com");
    assert_int_equal(out.compression_enabled, 0);
    assert_int_equal(out.max_record_size, 131072);
    assert_int_equal(out.n_loggers, 2);
    assert_string_equal(out.loggers[0].name, "noisy.lib");
    assert_int_equal(out.loggers[0].level, NLOG_LEVEL_ERROR);
    assert_string_equal(out.loggers[1].name, "db.pool");
    assert_int_equal(out.loggers[1].level, NLOG_LEVEL_TRACE);
    assert_int_equal(tu_diag_count(), 0);

    /* use_environment = 0 ignores all of it. */
    nlog_config in;
    nlog_config_init(&in);
    in.use_environment = 0;
    resolve_ok(&in, &out);
    assert_int_equal(out.level, NLOG_LEVEL_INFO);
    assert_string_equal(out.directory, "logs");
    assert_int_equal(out.n_loggers, 0);
}

static void test_booleans_in_env(void **state)
{
    (void) state;
    static const char *const yes[] = {"true", "True", "1", "yes", "YES", "on", "On"};
    static const char *const no[] = {"false", "FALSE", "0", "no", "No", "off", "OFF"};
    nlog_config out;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        setenv("NETLINK_LOG_ALERTS_ENABLED", yes[i], 1);
        resolve_ok(NULL, &out);
        assert_int_equal(out.alerts_enabled, 1);
        setenv("NETLINK_LOG_CONSOLE_ENABLED", no[i], 1);
        resolve_ok(NULL, &out);
        assert_int_equal(out.console_enabled, 0);
    }
    assert_int_equal(tu_diag_count(), 0);
}

/* A bad value: exactly one diagnostic, naming the variable, the value, the
 * accepted values and the value used instead, which is the lower layers'. */
static void test_bad_value_reported_once(void **state)
{
    (void) state;
    nlog_config in, out;
    nlog_config_init(&in);
    snprintf(in.profile, sizeof in.profile, "development");
    setenv("NETLINK_LOG_LEVEL", "LOUD", 1);
    resolve_ok(&in, &out);
    assert_int_equal(out.level, NLOG_LEVEL_DEBUG); /* the profile's */
    assert_int_equal(tu_diag_count(), 1);
    assert_int_equal(tu_diag_kind(0), NLOG_DIAG_CONFIG);
    assert_string_equal(tu_diag_message(0),
                        "NETLINK_LOG_LEVEL: unknown level 'LOUD'; accepted: TRACE, DEBUG, INFO, "
                        "WARNING (or WARN), ERROR, CRITICAL, SECURITY, AUDIT (any case); using "
                        "'DEBUG' (profile development) instead");

    /* Once per resolve call. */
    tu_diag_reset();
    resolve_ok(&in, &out);
    assert_int_equal(tu_diag_count(), 1);

    /* Without a profile the default is kept. */
    tu_diag_reset();
    resolve_ok(NULL, &out);
    assert_int_equal(out.level, NLOG_LEVEL_INFO);
    assert_int_equal(tu_diag_count(), 1);
    assert_contains(tu_diag_message(0), "using 'INFO' (default) instead");

    /* When code sets the key, the message says what applies. */
    tu_diag_reset();
    in.level = NLOG_LEVEL_ERROR;
    resolve_ok(&in, &out);
    assert_int_equal(out.level, NLOG_LEVEL_ERROR);
    assert_int_equal(tu_diag_count(), 1);
    assert_contains(tu_diag_message(0), "using 'ERROR' (code) instead");
}

static void test_bad_values_keep_lower_layer(void **state)
{
    (void) state;
    const char *dir = tu_scratch("env");
    const char *path = tu_path(dir, "f.yaml");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("performance_interval: 45\nmax_record_size: 4KB\n", f);
    fclose(f);
    setenv("NETLINK_LOG_CONFIG", path, 1);
    setenv("NETLINK_LOG_PERFORMANCE_INTERVAL", "0", 1);
    setenv("NETLINK_LOG_MAX_RECORD_SIZE", "10GB", 1);
    setenv("NETLINK_LOG_CONSOLE_ENABLED", "sure", 1);
    setenv("NETLINK_LOG_CONSOLE_STREAM", "stdlog", 1);
    setenv("NETLINK_LOG_ALERT_EMAIL", "nobody", 1);
    setenv("NETLINK_LOG_DIRECTORY", "a\nb", 1);
    setenv("NETLINK_LOG_LEVEL", "warn", 1); /* good one among them */
    nlog_config out;
    resolve_ok(NULL, &out);
    assert_int_equal(out.performance_interval, 45);
    assert_int_equal(out.max_record_size, 4096);
    assert_int_equal(out.console_enabled, 1);
    assert_int_equal(out.console_stream, NLOG_CONSOLE_STDERR);
    assert_string_equal(out.alert_email, "");
    assert_string_equal(out.directory, "logs");
    assert_int_equal(out.level, NLOG_LEVEL_WARNING);
    assert_int_equal(tu_diag_count(), 6);
    assert_true(tu_diag_contains("NETLINK_LOG_PERFORMANCE_INTERVAL: '0' is out of range; "
                                 "accepted: a whole number of seconds from 1 to 86400; using "
                                 "'45' (file "));
    assert_true(tu_diag_contains("NETLINK_LOG_MAX_RECORD_SIZE: '10GB' is out of range"));
    assert_true(tu_diag_contains("using '4096' (file "));
    assert_true(tu_diag_contains("NETLINK_LOG_CONSOLE_ENABLED: 'sure' is not a boolean; accepted: "
                                 "true, false, yes, no, on, off, 1, 0 (any case); using 'true' "
                                 "(default) instead"));
    assert_true(tu_diag_contains("NETLINK_LOG_CONSOLE_STREAM: unknown value 'stdlog'"));
    assert_true(tu_diag_contains("NETLINK_LOG_ALERT_EMAIL: 'nobody' is not an e-mail address"));
    assert_true(tu_diag_contains("NETLINK_LOG_DIRECTORY: 'a\\x0ab' contains a control character"));
    for (size_t i = 0; i < tu_diag_count(); i++) {
        assert_int_equal(tu_diag_kind(i), NLOG_DIAG_CONFIG);
        assert_null(strchr(tu_diag_message(i), '\n'));
    }
}

static void test_empty_variables_ignored(void **state)
{
    (void) state;
    setenv("NETLINK_LOG_LEVEL", "", 1);
    setenv("NETLINK_LOG_PROFILE", "", 1);
    setenv("NETLINK_LOG_CONFIG", "", 1);
    setenv("NETLINK_LOG_LOGGERS", "", 1);
    nlog_config out;
    resolve_ok(NULL, &out);
    assert_int_equal(out.level, NLOG_LEVEL_INFO);
    assert_int_equal(tu_diag_count(), 0);
}

static void test_loggers_variable(void **state)
{
    (void) state;
    setenv("NETLINK_LOG_LOGGERS", " a = ERROR ,broken, b=LOUD,,c=debug, =INFO", 1);
    nlog_config out;
    resolve_ok(NULL, &out);
    assert_int_equal(out.n_loggers, 2);
    assert_string_equal(out.loggers[0].name, "a");
    assert_string_equal(out.loggers[1].name, "c");
    assert_int_equal(out.loggers[1].level, NLOG_LEVEL_DEBUG);
    assert_int_equal(tu_diag_count(), 3);
    assert_true(tu_diag_contains("NETLINK_LOG_LOGGERS: entry 'broken' is not NAME=LEVEL; "
                                 "accepted: comma-separated NAME=LEVEL pairs such as "
                                 "noisy.lib=ERROR,db=DEBUG; entry ignored"));
    assert_true(tu_diag_contains("NETLINK_LOG_LOGGERS: unknown level 'LOUD'; accepted: TRACE"));
    assert_true(tu_diag_contains("NETLINK_LOG_LOGGERS: empty logger name"));

    /* More than NLOG_CONFIG_LOGGERS_MAX entries: the extra ones are reported. */
    tu_diag_reset();
    char *v = malloc(4096);
    assert_non_null(v);
    v[0] = '\0';
    for (int i = 0; i < NLOG_CONFIG_LOGGERS_MAX + 2; i++)
        snprintf(v + strlen(v), 4096 - strlen(v), "l%d=INFO,", i);
    setenv("NETLINK_LOG_LOGGERS", v, 1);
    free(v);
    resolve_ok(NULL, &out);
    assert_int_equal(out.n_loggers, NLOG_CONFIG_LOGGERS_MAX);
    assert_int_equal(tu_diag_count(), 2);
    assert_true(tu_diag_contains("entry for 'l64' ignored: more than 64 loggers"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_every_variable, setup),
        cmocka_unit_test_setup(test_booleans_in_env, setup),
        cmocka_unit_test_setup(test_bad_value_reported_once, setup),
        cmocka_unit_test_setup(test_bad_values_keep_lower_layer, setup),
        cmocka_unit_test_setup(test_empty_variables_ignored, setup),
        cmocka_unit_test_setup(test_loggers_variable, setup),
    };
    /* Installed once: each nlog_set_diagnostics() call keeps its target
     * for the life of the process (see src/core/diag.c). */
    tu_diag_capture();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
