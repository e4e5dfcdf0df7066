/* test_config_keys.c: the key table and the value checks behind every layer
 * (src/config/keys.c), exercised through nlog_config_set(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "config/config_internal.h"

static nlog_config cfg;
static nlog_error err;

static int setup(void **state)
{
    (void) state;
    nlog_config_init(&cfg);
    memset(&err, 0, sizeof err);
    return 0;
}

static const char *value_of(const char *key)
{
    static char buf[NLOG__CFG_VALUE_MAX];
    const nlog__cfg_key *k = nlog__cfg_key_find(key, strlen(key));
    assert_non_null(k);
    nlog__cfg_value_text(k, &cfg, buf, sizeof buf);
    return buf;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected '%s' in:\n%s", needle, hay);
}

/* Every default and every profile value of the table is a valid value. */
static void test_table_values_parse(void **state)
{
    (void) state;
    char why[NLOG__CFG_WHY_MAX];
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        assert_non_null(k->name);
        assert_non_null(k->help);
        assert_true(k->offset + k->size <= sizeof(nlog_config));
        if (k->type == NLOG__CFG_LEVELS)
            continue;
        nlog_config c;
        nlog_config_init(&c);
        if (nlog__cfg_parse_value(k, k->def, strlen(k->def), &c, why, sizeof why) != NLOG_OK)
            fail_msg("default of %s: %s", k->name, why);
        for (int p = 0; p < NLOG__PROFILE_COUNT; p++) {
            const char *v = k->profile[p];
            if (v && nlog__cfg_parse_value(k, v, strlen(v), &c, why, sizeof why) != NLOG_OK)
                fail_msg("profile %d of %s: %s", p, k->name, why);
        }
    }
    /* The loggers map is the last row (explain relies on it). */
    assert_int_equal(nlog__cfg_key_loggers()->type, NLOG__CFG_LEVELS);
}

static void test_table_names_unique(void **state)
{
    (void) state;
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        for (size_t j = i + 1; j < nlog__cfg_n_keys; j++)
            assert_string_not_equal(nlog__cfg_keys[i].name, nlog__cfg_keys[j].name);
        const char *n = nlog__cfg_keys[i].name;
        assert_ptr_equal(nlog__cfg_key_find(n, strlen(n)), &nlog__cfg_keys[i]);
    }
    assert_null(nlog__cfg_key_find("Level", 5));
    assert_null(nlog__cfg_key_find("lev", 3));
}

static void test_env_names(void **state)
{
    (void) state;
    static const struct {
        const char *key, *env;
    } product[] = {
        {"level", "NETLINK_LOG_LEVEL"},
        {"directory", "NETLINK_LOG_DIRECTORY"},
        {"console_enabled", "NETLINK_LOG_CONSOLE_ENABLED"},
        {"file_enabled", "NETLINK_LOG_FILE_ENABLED"},
        {"performance_enabled", "NETLINK_LOG_PERFORMANCE_ENABLED"},
        {"performance_interval", "NETLINK_LOG_PERFORMANCE_INTERVAL"},
        {"security_enabled", "NETLINK_LOG_SECURITY_ENABLED"},
        {"audit_enabled", "NETLINK_LOG_AUDIT_ENABLED"},
        {"alerts_enabled", "NETLINK_LOG_ALERTS_ENABLED"},
        {"alert_email", "NETLINK_LOG_ALERT_EMAIL"},
        {"console_colors", "NETLINK_LOG_CONSOLE_COLORS"},
        {"max_record_size", "NETLINK_LOG_MAX_RECORD_SIZE"},
        {"loggers", "NETLINK_LOG_LOGGERS"},
    };
    char buf[NLOG__CFG_ENV_MAX];
    for (size_t i = 0; i < sizeof product / sizeof product[0]; i++) {
        const nlog__cfg_key *k = nlog__cfg_key_find(product[i].key, strlen(product[i].key));
        assert_non_null(k);
        nlog__cfg_env_name(k, buf, sizeof buf);
        assert_string_equal(buf, product[i].env);
    }
    /* A nested key becomes NETLINK_LOG_SECTION_KEY. */
    nlog__cfg_key fake = {.name = "server.port"};
    nlog__cfg_env_name(&fake, buf, sizeof buf);
    assert_string_equal(buf, "NETLINK_LOG_SERVER_PORT");
}

static void test_init_marks_unset(void **state)
{
    (void) state;
    assert_int_equal(cfg.struct_size, sizeof cfg);
    assert_int_equal(cfg.use_environment, 1);
    assert_int_equal(cfg.level, NLOG_LEVEL_INVALID);
    assert_int_equal(cfg.console_enabled, NLOG_UNSET);
    assert_int_equal(cfg.console_stream, NLOG_UNSET);
    assert_int_equal(cfg.performance_interval, NLOG_UNSET);
    assert_int_equal(cfg.max_record_size, NLOG_UNSET);
    assert_string_equal(cfg.directory, "");
    assert_string_equal(cfg.alert_email, "");
    assert_string_equal(cfg.profile, "");
    assert_string_equal(cfg.config_file, "");
    assert_int_equal(cfg.n_loggers, 0);
    nlog_config_init(NULL); /* harmless */
}

static void test_booleans_all_spellings(void **state)
{
    (void) state;
    static const char *const yes[] = {"true", "TRUE", "True", "1", "yes", "YES", "Yes", "on", "ON", "On"};
    static const char *const no[] = {"false", "FALSE", "False", "0", "no", "NO", "No", "off", "OFF", "Off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        cfg.console_colors = NLOG_UNSET;
        assert_int_equal(nlog_config_set(&cfg, "console_colors", yes[i], &err), NLOG_OK);
        assert_int_equal(cfg.console_colors, 1);
        assert_int_equal(nlog_config_set(&cfg, "console_colors", no[i], &err), NLOG_OK);
        assert_int_equal(cfg.console_colors, 0);
    }
    static const char *const bad[] = {"", "2", "-1", "y", "n", "tru", "truee", " true", "yes please", "enabled"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.console_colors = 1;
        assert_int_equal(nlog_config_set(&cfg, "console_colors", bad[i], &err), NLOG_ECONFIG);
        assert_int_equal(cfg.console_colors, 1); /* untouched */
        assert_int_equal(err.status, NLOG_ECONFIG);
        assert_string_equal(err.key, "console_colors");
        assert_true(strncmp(err.message, "console_colors: ", 16) == 0);
        assert_contains(err.message, "accepted: true, false, yes, no, on, off, 1, 0 (any case)");
    }
}

/* Every key: good values and bad values, with the accepted list. */
static void test_every_key_good_and_bad(void **state)
{
    (void) state;
    static const struct {
        const char *key, *value, *stored; /* stored: value_of() afterwards, NULL = rejected */
        const char *msg;                  /* part of the message when rejected */
    } cases[] = {
        {"directory", "/var/log/app", "/var/log/app", NULL},
        {"directory", "logs dir/with space", "logs dir/with space", NULL},
        {"directory", "", NULL, "directory: no value given; accepted: a non-empty path"},
        {"directory", "a\nb", NULL, "contains a control character; accepted: a non-empty path"},
        {"level", "trace", "TRACE", NULL},
        {"level", "Debug", "DEBUG", NULL},
        {"level", "warn", "WARNING", NULL},
        {"level", "WARNING", "WARNING", NULL},
        {"level", "critical", "CRITICAL", NULL},
        {"level", "AUDIT", "AUDIT", NULL},
        {"level", "LOUD", NULL,
         "level: unknown level 'LOUD'; accepted: TRACE, DEBUG, INFO, WARNING (or WARN), ERROR, "
         "CRITICAL, SECURITY, AUDIT (any case)"},
        {"level", "20", NULL, "unknown level '20'"},
        {"console_enabled", "off", "false", NULL},
        {"console_stream", "stdout", "stdout", NULL},
        {"console_stream", "STDERR", "stderr", NULL},
        {"console_stream", "stdlog", NULL,
         "console_stream: unknown value 'stdlog'; accepted: stderr, stdout (any case)"},
        {"console_utc", "yes", "true", NULL},
        {"console_fields", "on", "true", NULL},
        {"console_caller", "1", "true", NULL},
        {"file_enabled", "no", "false", NULL},
        {"structured_enabled", "false", "false", NULL},
        {"performance_enabled", "true", "true", NULL},
        {"performance_interval", "1", "1", NULL},
        {"performance_interval", "86400", "86400", NULL},
        {"performance_interval", "0", NULL,
         "performance_interval: '0' is out of range; accepted: a whole number of seconds from 1 "
         "to 86400"},
        {"performance_interval", "86401", NULL, "'86401' is out of range"},
        {"performance_interval", "99999999999999999999", NULL, "is out of range"},
        {"performance_interval", "-5", NULL, "'-5' is not a whole number"},
        {"performance_interval", "30s", NULL, "'30s' is not a whole number"},
        {"performance_interval", "1.5", NULL, "is not a whole number"},
        {"security_enabled", "OFF", "false", NULL},
        {"audit_enabled", "On", "true", NULL},
        {"alerts_enabled", "YES", "true", NULL},
        {"alert_email", "admin@example.com", "admin@example.com", NULL},
        {"alert_email", "ops@localhost", "ops@localhost", NULL},
        {"alert_email", "", "", NULL},
        {"alert_email", "admin", NULL,
         "alert_email: 'admin' is not an e-mail address; accepted: an e-mail address such as "
         "admin@example.com"},
        {"alert_email", "@example.com", NULL, "is not an e-mail address"},
        {"alert_email", "admin@", NULL, "is not an e-mail address"},
        {"alert_email", "a@b@c", NULL, "is not an e-mail address"},
        {"alert_email", "a b@c", NULL, "is not an e-mail address"},
        {"compression_enabled", "0", "false", NULL},
        {"max_record_size", "1024", "1024", NULL},
        {"max_record_size", "1048576", "1048576", NULL},
        {"max_record_size", "64KB", "65536", NULL},
        {"max_record_size", "64kb", "65536", NULL},
        {"max_record_size", "64 KiB", "65536", NULL},
        {"max_record_size", "1MB", "1048576", NULL},
        {"max_record_size", "1m", "1048576", NULL},
        {"max_record_size", "2048B", "2048", NULL},
        {"max_record_size", "1023", NULL,
         "max_record_size: '1023' is out of range; accepted: a size from 1024 to 1048576 bytes, "
         "as a number of bytes or with a suffix KB or MB (1KB = 1024 bytes)"},
        {"max_record_size", "2MB", NULL, "'2MB' is out of range"},
        {"max_record_size", "1GB", NULL, "'1GB' is out of range"},
        {"max_record_size", "99999999999999999KB", NULL, "is out of range"},
        {"max_record_size", "64XB", NULL, "'64XB' is not a size"},
        {"max_record_size", "KB", NULL, "'KB' is not a size"},
        {"max_record_size", "-1", NULL, "is not a size"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlog_config_init(&cfg);
        memset(&err, 0, sizeof err);
        nlog_status st = nlog_config_set(&cfg, cases[i].key, cases[i].value, &err);
        if (cases[i].stored) {
            if (st != NLOG_OK)
                fail_msg("%s=%s rejected: %s", cases[i].key, cases[i].value, err.message);
            assert_string_equal(value_of(cases[i].key), cases[i].stored);
        } else {
            if (st != NLOG_ECONFIG)
                fail_msg("%s=%s accepted", cases[i].key, cases[i].value);
            assert_string_equal(err.key, cases[i].key);
            assert_string_equal(err.source, "");
            assert_true(strncmp(err.message, cases[i].key, strlen(cases[i].key)) == 0);
            assert_contains(err.message, "accepted: ");
            assert_contains(err.message, cases[i].msg);
            /* Rejected values leave the struct as it was. */
            nlog_config fresh;
            nlog_config_init(&fresh);
            assert_memory_equal(&cfg, &fresh, sizeof cfg);
        }
    }
}

static void test_set_unknown_key_suggests(void **state)
{
    (void) state;
    assert_int_equal(nlog_config_set(&cfg, "levle", "INFO", &err), NLOG_ECONFIG);
    assert_string_equal(err.key, "levle");
    assert_contains(err.message, "unknown key 'levle'; did you mean 'level'? accepted keys: "
                                 "directory, level, console_enabled");
    char list[NLOG__CFG_WHY_MAX];
    nlog__cfg_key_list("", list, sizeof list);
    assert_contains(err.message, list);
    assert_contains(list, "max_record_size, ");
    /* the whole list, or as many whole names as fit and how many are left */
    const char *more = strstr(list, ", and ");
    if (more) {
        assert_contains(more, " more (nlog config show lists them all)");
    } else {
        assert_true(strcmp(list + strlen(list) - strlen(", loggers"), ", loggers") == 0);
    }
    char small[200];
    nlog__cfg_key_list("", small, sizeof small);
    assert_contains(small, " more (nlog config show lists them all)");
    assert_true(strlen(small) < sizeof small);
    char sec[NLOG__CFG_WHY_MAX];
    nlog__cfg_key_list("server.", sec, sizeof sec); /* a section lists its own keys */
    assert_contains(sec, "listen");

    assert_int_equal(nlog_config_set(&cfg, "console_colours", "true", &err), NLOG_ECONFIG);
    assert_contains(err.message, "did you mean 'console_colors'?");

    assert_int_equal(nlog_config_set(&cfg, "Level", "INFO", &err), NLOG_ECONFIG);
    assert_contains(err.message, "did you mean 'level'?");

    assert_int_equal(nlog_config_set(&cfg, "zzzzzz", "1", &err), NLOG_ECONFIG);
    assert_null(strstr(err.message, "did you mean"));
    assert_contains(err.message, "unknown key 'zzzzzz'; accepted keys: directory");

    /* profile is not a setting of its own */
    assert_int_equal(nlog_config_set(&cfg, "profile", "production", &err), NLOG_ECONFIG);
}

static void test_set_loggers(void **state)
{
    (void) state;
    assert_int_equal(nlog_config_set(&cfg, "loggers.noisy.lib", "ERROR", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "loggers.db", "debug", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "loggers.noisy.lib", "warn", &err), NLOG_OK);
    assert_int_equal(cfg.n_loggers, 2);
    assert_string_equal(cfg.loggers[0].name, "noisy.lib");
    assert_int_equal(cfg.loggers[0].level, NLOG_LEVEL_WARNING);
    assert_string_equal(cfg.loggers[1].name, "db");
    assert_int_equal(cfg.loggers[1].level, NLOG_LEVEL_DEBUG);

    assert_int_equal(nlog_config_set(&cfg, "loggers", " a.b = ERROR , c=trace,, ", &err), NLOG_OK);
    assert_int_equal(cfg.n_loggers, 4);
    assert_string_equal(cfg.loggers[2].name, "a.b");
    assert_int_equal(cfg.loggers[3].level, NLOG_LEVEL_TRACE);

    assert_int_equal(nlog_config_set(&cfg, "loggers.x", "LOUD", &err), NLOG_ECONFIG);
    assert_string_equal(err.key, "loggers.x");
    assert_contains(err.message, "loggers.x: unknown level 'LOUD'; accepted: TRACE");
    assert_int_equal(nlog_config_set(&cfg, "loggers.", "ERROR", &err), NLOG_ECONFIG);
    assert_contains(err.message, "empty logger name");
    assert_int_equal(nlog_config_set(&cfg, "loggers", "a=ERROR,broken", &err), NLOG_ECONFIG);
    assert_contains(err.message, "entry 'broken' is not NAME=LEVEL");
    assert_int_equal(cfg.n_loggers, 4); /* all or nothing */

    char longname[NLOG_LOGGER_NAME_MAX + 10];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    memcpy(longname, "loggers.", 8);
    assert_int_equal(nlog_config_set(&cfg, longname, "ERROR", &err), NLOG_ECONFIG);
    assert_contains(err.message, "bytes long; accepted: names of 1 to 255 bytes");

    /* The map holds NLOG_CONFIG_LOGGERS_MAX entries. */
    nlog_config_init(&cfg);
    char key[64];
    for (int i = 0; i < NLOG_CONFIG_LOGGERS_MAX; i++) {
        snprintf(key, sizeof key, "loggers.l%d", i);
        assert_int_equal(nlog_config_set(&cfg, key, "ERROR", &err), NLOG_OK);
    }
    assert_int_equal(nlog_config_set(&cfg, "loggers.l0", "DEBUG", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "loggers.one_more", "DEBUG", &err), NLOG_ECONFIG);
    assert_contains(err.message, "the loggers map is full; accepted: at most 64 loggers");
}

static void test_set_rejects_null(void **state)
{
    (void) state;
    assert_int_equal(nlog_config_set(NULL, "level", "INFO", &err), NLOG_EINVAL);
    assert_int_equal(nlog_config_set(&cfg, NULL, "INFO", &err), NLOG_EINVAL);
    assert_int_equal(nlog_config_set(&cfg, "level", NULL, NULL), NLOG_EINVAL);
    assert_int_equal(nlog_config_set(&cfg, "level", "LOUD", NULL), NLOG_ECONFIG); /* err optional */
    cfg.n_loggers = 1000; /* not a struct from nlog_config_init() */
    assert_int_equal(nlog_config_set(&cfg, "loggers.a", "INFO", &err), NLOG_EINVAL);
    assert_non_null(strstr(err.message, "nlog_config_init()"));
}

static void test_quote_and_messages_stay_one_line(void **state)
{
    (void) state;
    char q[128];
    nlog__cfg_quote(q, sizeof q, "a\nb\\c\x01", 6);
    assert_string_equal(q, "'a\\x0ab\\\\c\\x01'");
    char big[300];
    memset(big, 'x', sizeof big);
    nlog__cfg_quote(q, sizeof q, big, sizeof big);
    assert_true(strlen(q) < sizeof q);
    assert_contains(q, "...'");

    assert_int_equal(nlog_config_set(&cfg, "level", "x\ny", &err), NLOG_ECONFIG);
    assert_null(strchr(err.message, '\n'));
    assert_contains(err.message, "'x\\x0ay'");
}

static void test_suggest(void **state)
{
    (void) state;
    size_t len = 0;
    const char *s = nlog__cfg_suggest("", "perfomance_interval", 19, &len);
    assert_non_null(s);
    assert_int_equal(len, strlen("performance_interval"));
    assert_memory_equal(s, "performance_interval", len);
    s = nlog__cfg_suggest("", "logger", 6, &len);
    assert_non_null(s);
    assert_memory_equal(s, "loggers", len);
    assert_null(nlog__cfg_suggest("", "x", 1, &len));
    assert_null(nlog__cfg_suggest("", "zzzzzz", 6, &len));
    s = nlog__cfg_suggest("", "sever", 5, &len); /* sections are suggested too */
    assert_non_null(s);
    assert_memory_equal(s, "server", len);
}

static void test_profile_names(void **state)
{
    (void) state;
    const char *const *names = nlog_profile_names();
    assert_string_equal(names[0], "development");
    assert_string_equal(names[1], "testing");
    assert_string_equal(names[2], "production");
    assert_string_equal(names[3], "debug");
    assert_null(names[4]);
    assert_int_equal(nlog__cfg_profile_find("PRODUCTION"), NLOG__PROFILE_PRODUCTION);
    assert_int_equal(nlog__cfg_profile_find("Debug"), NLOG__PROFILE_DEBUG);
    assert_int_equal(nlog__cfg_profile_find("prod"), -1);
}

/* docs/configuration.md lists every key of the table with its variable and
 * default, and its profile table matches the profile columns. */
static const char *doc_row(const char *doc, const char *from, const char *key)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "\n| `%s` |", key);
    const char *start = strstr(doc, from);
    assert_non_null(start);
    const char *row = strstr(start, prefix);
    return row ? row + 1 : NULL;
}

static void doc_cells(const char *row, char cells[8][128], size_t *n)
{
    const char *end = strchr(row, '\n');
    *n = 0;
    row++; /* past the first '|' */
    while (row < end && *n < 8) {
        const char *bar = memchr(row, '|', (size_t) (end - row));
        if (!bar)
            break;
        const char *a = row, *b = bar;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        snprintf(cells[*n], 128, "%.*s", (int) (b - a), a);
        (*n)++;
        row = bar + 1;
    }
}

static void test_docs_follow_the_table(void **state)
{
    (void) state;
    const char *src = getenv("NLOG_TEST_SRC");
    if (!src || !*src)
        skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/configuration.md", src);
    char *doc = tu_read_file(path, NULL);
    if (!doc)
        fail_msg("cannot read %s", path);
    char env[NLOG__CFG_ENV_MAX], want[256], cells[8][128];
    size_t n;
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        const char *row = doc_row(doc, "## Keys", k->name);
        if (!row)
            fail_msg("docs/configuration.md: no row for %s in the key table", k->name);
        doc_cells(row, cells, &n);
        assert_true(n >= 5);
        nlog__cfg_env_name(k, env, sizeof env);
        snprintf(want, sizeof want, "`%s`", env);
        if (strcmp(cells[3], want) != 0)
            fail_msg("docs: %s: variable '%s', want '%s'", k->name, cells[3], want);
        if (k->type != NLOG__CFG_LEVELS) {
            snprintf(want, sizeof want, "`%s`", k->def[0] ? k->def : "\"\"");
            if (strcmp(cells[2], want) != 0)
                fail_msg("docs: %s: default '%s', want '%s'", k->name, cells[2], want);
        }

        int in_profiles = 0;
        for (int p = 0; p < NLOG__PROFILE_COUNT; p++)
            in_profiles |= k->profile[p] != NULL;
        row = doc_row(doc, "## Profiles", k->name);
        if (!in_profiles) {
            if (row)
                fail_msg("docs: %s is in the profile table but no profile sets it", k->name);
            continue;
        }
        if (!row)
            fail_msg("docs: no row for %s in the profile table", k->name);
        doc_cells(row, cells, &n);
        assert_int_equal(n, 1 + NLOG__PROFILE_COUNT);
        for (int p = 0; p < NLOG__PROFILE_COUNT; p++) {
            if (k->profile[p])
                snprintf(want, sizeof want, "`%s`", k->profile[p]);
            else
                snprintf(want, sizeof want, "-");
            if (strcmp(cells[1 + p], want) != 0)
                fail_msg("docs: profile %s, %s: '%s', want '%s'",
                         nlog__cfg_profile_name((nlog__profile) p), k->name, cells[1 + p], want);
        }
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_table_values_parse, setup),
        cmocka_unit_test_setup(test_table_names_unique, setup),
        cmocka_unit_test_setup(test_env_names, setup),
        cmocka_unit_test_setup(test_init_marks_unset, setup),
        cmocka_unit_test_setup(test_booleans_all_spellings, setup),
        cmocka_unit_test_setup(test_every_key_good_and_bad, setup),
        cmocka_unit_test_setup(test_set_unknown_key_suggests, setup),
        cmocka_unit_test_setup(test_set_loggers, setup),
        cmocka_unit_test_setup(test_set_rejects_null, setup),
        cmocka_unit_test_setup(test_quote_and_messages_stay_one_line, setup),
        cmocka_unit_test_setup(test_suggest, setup),
        cmocka_unit_test_setup(test_profile_names, setup),
        cmocka_unit_test_setup(test_docs_follow_the_table, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
