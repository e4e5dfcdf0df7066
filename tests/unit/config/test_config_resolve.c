/* test_config_resolve.c: the five layers (src/config/resolve.c): defaults,
 * each profile's table, precedence through every layer, code-layer checks,
 * profile and file selection errors, loggers merging, struct_size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

extern char **environ;

static const char *dir;
static nlog_error err;

/* Removes every NETLINK_LOG_* variable the test run inherited. */
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
    dir = tu_scratch("resolve");
    memset(&err, 0, sizeof err);
    tu_diag_reset();
    return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected '%s' in:\n%s", needle, hay);
}

static const char *write_yaml(const char *name, const char *text)
{
    const char *path = tu_path(dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void resolve_ok(const nlog_config *in, nlog_config *out)
{
    memset(&err, 0, sizeof err);
    if (nlog_config_resolve(in, out, &err) != NLOG_OK)
        fail_msg("resolve failed: %s", err.message);
}

/* The expected full configuration of each profile, written out here
 * independently of the key table (docs/configuration.md has the same). */
typedef struct expect {
    const char *profile;
    nlog_level level;
    int console, colors, fields, caller, file, structured, perf, security, audit, alerts,
        compression;
} expect;

static const expect tables[] = {
    {"", NLOG_LEVEL_INFO, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1},
    {"development", NLOG_LEVEL_DEBUG, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0},
    {"testing", NLOG_LEVEL_WARNING, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0},
    {"production", NLOG_LEVEL_INFO, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1},
    {"debug", NLOG_LEVEL_TRACE, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1},
};

static void test_defaults_and_profiles(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const expect *x = &tables[i];
        nlog_config in, out;
        nlog_config_init(&in);
        in.use_environment = 0;
        snprintf(in.profile, sizeof in.profile, "%s", x->profile);
        resolve_ok(&in, &out);
        assert_string_equal(out.profile, x->profile);
        assert_int_equal(out.level, x->level);
        assert_int_equal(out.console_enabled, x->console);
        assert_int_equal(out.console_colors, x->colors);
        assert_int_equal(out.console_fields, x->fields);
        assert_int_equal(out.console_caller, x->caller);
        assert_int_equal(out.file_enabled, x->file);
        assert_int_equal(out.structured_enabled, x->structured);
        assert_int_equal(out.performance_enabled, x->perf);
        assert_int_equal(out.security_enabled, x->security);
        assert_int_equal(out.audit_enabled, x->audit);
        assert_int_equal(out.alerts_enabled, x->alerts);
        assert_int_equal(out.compression_enabled, x->compression);
        /* Not set by any profile. */
        assert_string_equal(out.directory, "logs");
        assert_int_equal(out.console_stream, NLOG_CONSOLE_STDERR);
        assert_int_equal(out.console_utc, 0);
        assert_int_equal(out.performance_interval, 30);
        assert_string_equal(out.alert_email, "");
        assert_int_equal(out.max_record_size, 65536);
        assert_int_equal(out.n_loggers, 0);
        assert_int_equal(out.use_environment, 0);
        assert_string_equal(out.config_file, "");
        assert_int_equal(out.struct_size, sizeof out);
    }
}

static void test_profile_any_case(void **state)
{
    (void) state;
    nlog_config in, out;
    nlog_config_init(&in);
    snprintf(in.profile, sizeof in.profile, "PRODUCTION");
    resolve_ok(&in, &out);
    assert_string_equal(out.profile, "production");
    assert_int_equal(out.console_enabled, 0);
    setenv("NETLINK_LOG_PROFILE", "Debug", 1);
    resolve_ok(NULL, &out);
    assert_string_equal(out.profile, "debug");
    assert_int_equal(out.level, NLOG_LEVEL_TRACE);
}

static void test_unknown_profile(void **state)
{
    (void) state;
    nlog_config in, out, before;
    nlog_config_init(&in);
    snprintf(in.profile, sizeof in.profile, "prod");
    memset(&out, 0xab, sizeof out);
    before = out;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_memory_equal(&out, &before, sizeof out);
    assert_int_equal(err.status, NLOG_ECONFIG);
    assert_string_equal(err.source, "profile");
    assert_string_equal(err.key, "profile");
    assert_string_equal(err.message, "profile: unknown profile 'prod'; accepted: development, "
                                     "testing, production, debug (any case)");

    /* From the environment it is an explicit request too. */
    setenv("NETLINK_LOG_PROFILE", "staging", 1);
    assert_int_equal(nlog_config_resolve(NULL, &out, &err), NLOG_ECONFIG);
    assert_string_equal(err.source, "NETLINK_LOG_PROFILE");
    assert_contains(err.message, "NETLINK_LOG_PROFILE: unknown profile 'staging'; accepted: "
                                 "development, testing, production, debug");
    /* ... unless the environment is switched off. */
    nlog_config_init(&in);
    in.use_environment = 0;
    resolve_ok(&in, &out);
    assert_string_equal(out.profile, "");
    /* The struct's profile wins over the variable. */
    nlog_config_init(&in);
    snprintf(in.profile, sizeof in.profile, "testing");
    resolve_ok(&in, &out);
    assert_string_equal(out.profile, "testing");
    assert_int_equal(tu_diag_count(), 0);
}

/* Each key climbs through default < profile < file < environment < code. */
static void test_precedence_five_layers(void **state)
{
    (void) state;
    const char *path = write_yaml("p.yaml", "level: DEBUG\n"
                                            "console_colors: true\n"
                                            "performance_interval: 60\n"
                                            "directory: file-dir\n"
                                            "max_record_size: 2KB\n");
    static const struct {
        const char *key;
        const char *values[5]; /* expected with 1..5 layers */
    } rows[] = {
        {"level", {"INFO", "WARNING", "DEBUG", "ERROR", "CRITICAL"}},
        {"console_colors", {"true", "false", "true", "false", "true"}},
        {"performance_interval", {"30", "30", "60", "90", "120"}},
        {"directory", {"logs", "logs", "file-dir", "env-dir", "code-dir"}},
        {"max_record_size", {"65536", "65536", "2048", "4096", "8192"}},
        {"compression_enabled", {"true", "false", "false", "true", "false"}},
    };
    for (int layers = 1; layers <= 5; layers++) {
        nlog_config in, out;
        clear_env();
        nlog_config_init(&in);
        if (layers >= 2)
            snprintf(in.profile, sizeof in.profile, "%s", "testing");
        if (layers >= 3)
            snprintf(in.config_file, sizeof in.config_file, "%s", path);
        if (layers >= 4) {
            setenv("NETLINK_LOG_LEVEL", "error", 1);
            setenv("NETLINK_LOG_CONSOLE_COLORS", "off", 1);
            setenv("NETLINK_LOG_PERFORMANCE_INTERVAL", "90", 1);
            setenv("NETLINK_LOG_DIRECTORY", "env-dir", 1);
            setenv("NETLINK_LOG_MAX_RECORD_SIZE", "4KB", 1);
            setenv("NETLINK_LOG_COMPRESSION_ENABLED", "yes", 1);
        }
        if (layers >= 5) {
            in.level = NLOG_LEVEL_CRITICAL;
            in.console_colors = 1;
            in.performance_interval = 120;
            snprintf(in.directory, sizeof in.directory, "code-dir");
            in.max_record_size = 8192;
            in.compression_enabled = 0;
        }
        resolve_ok(&in, &out);
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            char got[NLOG_CONFIG_PATH_MAX + 8];
            const char *k = rows[i].key;
            if (!strcmp(k, "level"))
                snprintf(got, sizeof got, "%s", nlog_level_name(out.level));
            else if (!strcmp(k, "console_colors"))
                snprintf(got, sizeof got, "%s", out.console_colors ? "true" : "false");
            else if (!strcmp(k, "performance_interval"))
                snprintf(got, sizeof got, "%d", out.performance_interval);
            else if (!strcmp(k, "directory"))
                snprintf(got, sizeof got, "%s", out.directory);
            else if (!strcmp(k, "max_record_size"))
                snprintf(got, sizeof got, "%d", out.max_record_size);
            else
                snprintf(got, sizeof got, "%s", out.compression_enabled ? "true" : "false");
            const char *want = rows[i].values[layers - 1];
            if (strcmp(got, want) != 0)
                fail_msg("%s with %d layers: got %s, want %s", k, layers, got, want);
        }
    }
    assert_int_equal(tu_diag_count(), 0);
}

static void test_code_values_are_checked(void **state)
{
    (void) state;
    nlog_config in, out, before;
    memset(&out, 0x5a, sizeof out);
    before = out;

    nlog_config_init(&in);
    in.performance_interval = 0;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_string_equal(err.message, "code: performance_interval: 0 is out of range; accepted: a "
                                     "whole number of seconds from 1 to 86400");
    assert_string_equal(err.source, "code");
    assert_string_equal(err.key, "performance_interval");

    nlog_config_init(&in);
    in.console_enabled = 2;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: console_enabled: 2 is not a boolean (set 1 or 0); "
                                 "accepted: true, false");

    nlog_config_init(&in);
    in.level = (nlog_level) 3;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: level: 3 is not a level; accepted: TRACE");

    nlog_config_init(&in);
    in.console_stream = 7;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: console_stream: 7 is not a valid value; accepted: stderr, "
                                 "stdout");

    nlog_config_init(&in);
    in.max_record_size = 100;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: max_record_size: 100 is out of range; accepted: a size "
                                 "from 1024 to 1048576 bytes");

    nlog_config_init(&in);
    snprintf(in.alert_email, sizeof in.alert_email, "nobody");
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: alert_email: 'nobody' is not an e-mail address");

    nlog_config_init(&in);
    snprintf(in.directory, sizeof in.directory, "a\tb");
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: directory: 'a\\x09b' contains a control character");

    nlog_config_init(&in);
    memset(in.directory, 'x', sizeof in.directory); /* no NUL */
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: directory: the string is not NUL-terminated");

    nlog_config_init(&in);
    in.n_loggers = 1;
    snprintf(in.loggers[0].name, sizeof in.loggers[0].name, "db");
    in.loggers[0].level = NLOG_LEVEL_INVALID;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_string_equal(err.key, "loggers.db");
    assert_contains(err.message, "code: loggers.db: 0 is not a level");

    nlog_config_init(&in);
    in.n_loggers = 1;
    in.loggers[0].level = NLOG_LEVEL_INFO; /* empty name */
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: loggers: entry 0: empty logger name");

    nlog_config_init(&in);
    in.n_loggers = NLOG_CONFIG_LOGGERS_MAX + 1;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: loggers: n_loggers is 65; accepted: at most 64");

    nlog_config_init(&in);
    in.struct_size = 0;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_EINVAL);
    assert_contains(err.message, "nlog_config_init()");

    assert_int_equal(nlog_config_resolve(NULL, NULL, &err), NLOG_EINVAL);
    assert_memory_equal(&out, &before, sizeof out);
}

static void test_file_selection(void **state)
{
    (void) state;
    nlog_config in, out;
    const char *good = write_yaml("good.yaml", "level: ERROR\n");
    const char *bad = write_yaml("bad.yaml", "level: ERROR\nconsole_enabled: perhaps\n");
    const char *missing = tu_path(dir, "missing.yaml");

    setenv("NETLINK_LOG_CONFIG", good, 1);
    resolve_ok(NULL, &out);
    assert_int_equal(out.level, NLOG_LEVEL_ERROR);
    assert_string_equal(out.config_file, good);

    /* A file named by NETLINK_LOG_CONFIG must exist. */
    setenv("NETLINK_LOG_CONFIG", missing, 1);
    assert_int_equal(nlog_config_resolve(NULL, &out, &err), NLOG_ECONFIG);
    assert_string_equal(err.source, missing);
    assert_contains(err.message, "cannot open the configuration file: No such file or directory");

    setenv("NETLINK_LOG_CONFIG", bad, 1);
    assert_int_equal(nlog_config_resolve(NULL, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, ":2:18: console_enabled: 'perhaps' is not a boolean");
    assert_string_equal(err.key, "console_enabled");

    /* config_file in the struct wins over the variable. */
    nlog_config_init(&in);
    snprintf(in.config_file, sizeof in.config_file, "%s", good);
    resolve_ok(&in, &out);
    assert_int_equal(out.level, NLOG_LEVEL_ERROR);

    /* With the environment off, NETLINK_LOG_CONFIG is not read. */
    nlog_config_init(&in);
    in.use_environment = 0;
    resolve_ok(&in, &out);
    assert_int_equal(out.level, NLOG_LEVEL_INFO);
    assert_string_equal(out.config_file, "");

    /* An explicit missing file is an error too. */
    nlog_config_init(&in);
    snprintf(in.config_file, sizeof in.config_file, "%s", missing);
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);

    /* An empty variable means "no file". */
    setenv("NETLINK_LOG_CONFIG", "", 1);
    resolve_ok(NULL, &out);
    assert_string_equal(out.config_file, "");
}

static void test_loggers_merge(void **state)
{
    (void) state;
    const char *path = write_yaml("l.yaml", "loggers:\n  a: ERROR\n  b: DEBUG\n  c: TRACE\n");
    nlog_config in, out;
    nlog_config_init(&in);
    snprintf(in.config_file, sizeof in.config_file, "%s", path);
    setenv("NETLINK_LOG_LOGGERS", "b=WARNING, c=INFO, e=AUDIT", 1);
    assert_int_equal(nlog_config_set(&in, "loggers.c", "CRITICAL", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&in, "loggers.d", "TRACE", &err), NLOG_OK);
    resolve_ok(&in, &out);
    static const struct {
        const char *name;
        nlog_level level;
    } want[] = {
        {"a", NLOG_LEVEL_ERROR},   {"b", NLOG_LEVEL_WARNING}, {"c", NLOG_LEVEL_CRITICAL},
        {"e", NLOG_LEVEL_AUDIT},   {"d", NLOG_LEVEL_TRACE},
    };
    assert_int_equal(out.n_loggers, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(out.loggers[i].name, want[i].name);
        assert_int_equal(out.loggers[i].level, want[i].level);
    }
}

static void test_loggers_merge_overflow(void **state)
{
    (void) state;
    char *text = malloc(8192);
    assert_non_null(text);
    strcpy(text, "loggers:\n");
    for (int i = 0; i < NLOG_CONFIG_LOGGERS_MAX; i++)
        snprintf(text + strlen(text), 8192 - strlen(text), "  f%d: ERROR\n", i);
    const char *path = write_yaml("full.yaml", text);
    free(text);
    nlog_config in, out;
    nlog_config_init(&in);
    in.use_environment = 0;
    snprintf(in.config_file, sizeof in.config_file, "%s", path);
    assert_int_equal(nlog_config_set(&in, "loggers.f3", "DEBUG", &err), NLOG_OK);
    resolve_ok(&in, &out); /* replacing an entry fits */
    assert_int_equal(out.n_loggers, NLOG_CONFIG_LOGGERS_MAX);
    assert_int_equal(out.loggers[3].level, NLOG_LEVEL_DEBUG);
    assert_int_equal(nlog_config_set(&in, "loggers.new", "DEBUG", &err), NLOG_OK);
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_contains(err.message, "code: loggers: more than 64 entries once the profile, file, "
                                 "environment and code layers are merged");
}

static void test_struct_size(void **state)
{
    (void) state;
    nlog_config in, out;
    nlog_config_init(&in);
    in.use_environment = 0;
    in.level = NLOG_LEVEL_ERROR;
    /* An older, shorter struct: members past struct_size are neither read
     * nor written. */
    in.struct_size = offsetof(nlog_config, n_loggers);
    in.n_loggers = 999; /* beyond struct_size: ignored */
    memset(&out, 0xcd, sizeof out);
    resolve_ok(&in, &out);
    assert_int_equal(out.level, NLOG_LEVEL_ERROR);
    assert_int_equal(out.struct_size, offsetof(nlog_config, n_loggers));
    const unsigned char *tail = (const unsigned char *) &out + offsetof(nlog_config, n_loggers);
    for (size_t i = 0; i < sizeof out - offsetof(nlog_config, n_loggers); i++)
        assert_int_equal(tail[i], 0xcd);
}

static void test_resolve_null_in(void **state)
{
    (void) state;
    nlog_config out;
    resolve_ok(NULL, &out);
    assert_int_equal(out.level, NLOG_LEVEL_INFO);
    assert_int_equal(out.use_environment, 1);
    setenv("NETLINK_LOG_LEVEL", "debug", 1);
    resolve_ok(NULL, &out);
    assert_int_equal(out.level, NLOG_LEVEL_DEBUG);
    /* Feeding a resolved struct back in gives the same result. */
    nlog_config again;
    clear_env();
    resolve_ok(&out, &again);
    assert_memory_equal(&out, &again, sizeof out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults_and_profiles, setup),
        cmocka_unit_test_setup(test_profile_any_case, setup),
        cmocka_unit_test_setup(test_unknown_profile, setup),
        cmocka_unit_test_setup(test_precedence_five_layers, setup),
        cmocka_unit_test_setup(test_code_values_are_checked, setup),
        cmocka_unit_test_setup(test_file_selection, setup),
        cmocka_unit_test_setup(test_loggers_merge, setup),
        cmocka_unit_test_setup(test_loggers_merge_overflow, setup),
        cmocka_unit_test_setup(test_struct_size, setup),
        cmocka_unit_test_setup(test_resolve_null_in, setup),
    };
    /* Installed once: each nlog_set_diagnostics() call keeps its target
     * for the life of the process (see src/core/diag.c). */
    tu_diag_capture();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
