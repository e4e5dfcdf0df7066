/* test_config_explain.c: nlog_config_explain() reports every key in table
 * order, then the loggers entries, each with the layer it came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "config/config_internal.h"

extern char **environ;

#define ROWS_MAX 128

typedef struct row {
    char key[300];
    char value[1100];
    char source[1200];
} row;

static row rows[ROWS_MAX];
static size_t n_rows;
static nlog_error err;
static const char *dir;

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
    n_rows = 0;
    memset(&err, 0, sizeof err);
    dir = tu_scratch("explain");
    tu_diag_reset();
    return 0;
}

static void visit(const char *key, const char *value, const char *source, void *user)
{
    assert_ptr_equal(user, rows);
    assert_true(n_rows < ROWS_MAX);
    snprintf(rows[n_rows].key, sizeof rows[n_rows].key, "%s", key);
    snprintf(rows[n_rows].value, sizeof rows[n_rows].value, "%s", value);
    snprintf(rows[n_rows].source, sizeof rows[n_rows].source, "%s", source);
    n_rows++;
}

static const row *find(const char *key)
{
    for (size_t i = 0; i < n_rows; i++)
        if (strcmp(rows[i].key, key) == 0)
            return &rows[i];
    fail_msg("no row for %s", key);
    return NULL;
}

static void expect(const char *key, const char *value, const char *source)
{
    const row *r = find(key);
    if (strcmp(r->value, value) != 0 || strcmp(r->source, source) != 0)
        fail_msg("%s: got '%s' from '%s', want '%s' from '%s'", key, r->value, r->source, value,
                 source);
}

static void test_defaults_in_table_order(void **state)
{
    (void) state;
    /* The product's keys come first, in this order; rows added later follow. */
    static const char *const order[] = {
        "directory",          "level",               "console_enabled",  "console_colors",
        "console_stream",     "console_utc",         "console_fields",   "console_caller",
        "file_enabled",       "structured_enabled",  "performance_enabled",
        "performance_interval", "security_enabled",  "audit_enabled",    "alerts_enabled",
        "alert_email",        "compression_enabled", "max_record_size",
    };
    nlog_config in;
    nlog_config_init(&in);
    in.use_environment = 0;
    assert_int_equal(nlog_config_explain(&in, visit, rows, &err), NLOG_OK);
    /* One call per row of the key table (the loggers map has no entries). */
    assert_int_equal(n_rows, nlog__cfg_n_keys - 1);
    for (size_t i = 0; i < n_rows; i++) {
        assert_string_equal(rows[i].key, nlog__cfg_keys[i].name);
        assert_string_equal(rows[i].source, "default");
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        assert_string_equal(rows[i].key, order[i]);
    expect("directory", "logs", "default");
    expect("level", "INFO", "default");
    expect("console_stream", "stderr", "default");
    expect("performance_interval", "30", "default");
    expect("alert_email", "", "default");
    expect("max_record_size", "65536", "default");
    expect("console_utc", "false", "default");
}

static void test_every_source(void **state)
{
    (void) state;
    const char *path = tu_path(dir, "app.yaml");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# app\n"
          "level: warning\n"
          "console_stream: stdout\n"
          "alert_email: \"ops@example.com\"\n"
          "loggers:\n"
          "  noisy.lib: ERROR\n"
          "  db: debug\n",
          f);
    fclose(f);
    setenv("NETLINK_LOG_PROFILE", "production", 1);
    setenv("NETLINK_LOG_CONFIG", path, 1);
    setenv("NETLINK_LOG_PERFORMANCE_INTERVAL", "10", 1);
    setenv("NETLINK_LOG_LOGGERS", "db=TRACE,env.only=INFO", 1);

    nlog_config in;
    nlog_config_init(&in);
    in.max_record_size = 2048;
    assert_int_equal(nlog_config_set(&in, "loggers.code.only", "audit", &err), NLOG_OK);
    assert_int_equal(nlog_config_explain(&in, visit, rows, &err), NLOG_OK);

    char src[1200];
    expect("directory", "logs", "default");
    expect("console_enabled", "false", "profile production");
    expect("alerts_enabled", "true", "profile production");
    snprintf(src, sizeof src, "file %s:2:8", path);
    expect("level", "WARNING", src);
    snprintf(src, sizeof src, "file %s:3:17", path);
    expect("console_stream", "stdout", src);
    snprintf(src, sizeof src, "file %s:4:14", path);
    expect("alert_email", "ops@example.com", src);
    expect("performance_interval", "10", "environment NETLINK_LOG_PERFORMANCE_INTERVAL");
    expect("max_record_size", "2048", "code");

    /* Loggers come last, after every key. */
    assert_string_equal(rows[n_rows - 4].key, "loggers.noisy.lib");
    snprintf(src, sizeof src, "file %s:6:14", path);
    expect("loggers.noisy.lib", "ERROR", src);
    expect("loggers.db", "TRACE", "environment NETLINK_LOG_LOGGERS");
    expect("loggers.env.only", "INFO", "environment NETLINK_LOG_LOGGERS");
    expect("loggers.code.only", "AUDIT", "code");
    assert_int_equal(tu_diag_count(), 0);
}

static void test_errors(void **state)
{
    (void) state;
    nlog_config in;
    nlog_config_init(&in);
    snprintf(in.profile, sizeof in.profile, "nope");
    assert_int_equal(nlog_config_explain(&in, visit, rows, &err), NLOG_ECONFIG);
    assert_int_equal(n_rows, 0);
    assert_string_equal(err.message, "profile: unknown profile 'nope'; accepted: development, "
                                     "testing, production, debug (any case)");
    assert_int_equal(nlog_config_explain(NULL, NULL, NULL, &err), NLOG_EINVAL);
    assert_int_equal(nlog_config_explain(NULL, visit, rows, NULL), NLOG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults_in_table_order, setup),
        cmocka_unit_test_setup(test_every_source, setup),
        cmocka_unit_test_setup(test_errors, setup),
    };
    /* Installed once: each nlog_set_diagnostics() call keeps its target
     * for the life of the process (see src/core/diag.c). */
    tu_diag_capture();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
