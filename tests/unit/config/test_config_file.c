/* test_config_file.c: reading YAML configuration files (src/config/yaml.c):
 * every key good and bad with file:line:column, structure errors, syntax
 * errors, aliases, the size cap, the loggers map, nlog_config_load_file(). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "config/config_internal.h"

static const char *dir;
static nlog_error err;

static int setup(void **state)
{
    (void) state;
    dir = tu_scratch("file");
    memset(&err, 0, sizeof err);
    return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected '%s' in:\n%s", needle, hay);
}

static const char *write_file(const char *name, const char *text, size_t len)
{
    const char *path = tu_path(dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *yaml(const char *text)
{
    return write_file("app.yaml", text, strlen(text));
}

/* Validates `text` and expects an error message starting "path:" + `where`
 * and containing `what`. */
static void expect_error(const char *text, const char *where, const char *what)
{
    const char *path = yaml(text);
    char prefix[4200];
    memset(&err, 0, sizeof err);
    nlog_status st = nlog_config_validate_file(path, &err);
    if (st != NLOG_ECONFIG)
        fail_msg("accepted:\n%s", text);
    assert_int_equal(err.status, NLOG_ECONFIG);
    snprintf(prefix, sizeof prefix, "%s:%s", path, where);
    if (strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("expected the message to start with '%s':\n%s", prefix, err.message);
    assert_contains(err.message, what);
    assert_null(strchr(err.message, '\n'));
}

static void expect_ok(const char *text)
{
    const char *path = yaml(text);
    memset(&err, 0, sizeof err);
    if (nlog_config_validate_file(path, &err) != NLOG_OK)
        fail_msg("rejected: %s\n%s", err.message, text);
}

static void test_product_example_loads(void **state)
{
    (void) state;
    const char *path = yaml("# logging_config.yaml\n"
                            "directory: \"logs\"\n"
                            "level: \"INFO\"\n"
                            "console_enabled: true\n"
                            "console_colors: true\n"
                            "file_enabled: true\n"
                            "structured_enabled: true\n"
                            "performance_enabled: true\n"
                            "security_enabled: true\n"
                            "audit_enabled: true\n"
                            "alerts_enabled: true\n"
                            "compression_enabled: true\n");
    nlog_config cfg;
    nlog_config_init(&cfg);
    assert_int_equal(nlog_config_load_file(path, &cfg, &err), NLOG_OK);
    assert_string_equal(cfg.directory, "logs");
    assert_int_equal(cfg.level, NLOG_LEVEL_INFO);
    assert_int_equal(cfg.console_enabled, 1);
    assert_int_equal(cfg.performance_enabled, 1);
    assert_int_equal(cfg.alerts_enabled, 1);
    /* keys the file does not mention stay unset */
    assert_int_equal(cfg.console_stream, NLOG_UNSET);
    assert_int_equal(cfg.performance_interval, NLOG_UNSET);
    assert_int_equal(cfg.max_record_size, NLOG_UNSET);
    assert_string_equal(cfg.alert_email, "");
}

static void test_every_key_in_a_file(void **state)
{
    (void) state;
    const char *path = yaml("directory: /var/log/app\n"
                            "level: warn\n"
                            "console_enabled: off\n"
                            "console_colors: No\n"
                            "console_stream: stdout\n"
                            "console_utc: yes\n"
                            "console_fields: 1\n"
                            "console_caller: TRUE\n"
                            "file_enabled: false\n"
                            "structured_enabled: 0\n"
                            "performance_enabled: on\n"
                            "performance_interval: 120\n"
                            "security_enabled: false\n"
                            "audit_enabled: 'no'\n"
                            "alerts_enabled: \"yes\"\n"
                            "alert_email: ops@example.com\n"
                            "compression_enabled: OFF\n"
                            "max_record_size: 1MB\n"
                            "loggers:\n"
                            "  noisy.lib: ERROR\n"
                            "  db.pool: debug\n");
    nlog_config cfg;
    nlog_config_init(&cfg);
    assert_int_equal(nlog_config_load_file(path, &cfg, &err), NLOG_OK);
    assert_string_equal(cfg.directory, "/var/log/app");
    assert_int_equal(cfg.level, NLOG_LEVEL_WARNING);
    assert_int_equal(cfg.console_enabled, 0);
    assert_int_equal(cfg.console_colors, 0);
    assert_int_equal(cfg.console_stream, NLOG_CONSOLE_STDOUT);
    assert_int_equal(cfg.console_utc, 1);
    assert_int_equal(cfg.console_fields, 1);
    assert_int_equal(cfg.console_caller, 1);
    assert_int_equal(cfg.file_enabled, 0);
    assert_int_equal(cfg.structured_enabled, 0);
    assert_int_equal(cfg.performance_enabled, 1);
    assert_int_equal(cfg.performance_interval, 120);
    assert_int_equal(cfg.security_enabled, 0);
    assert_int_equal(cfg.audit_enabled, 0);
    assert_int_equal(cfg.alerts_enabled, 1);
    assert_string_equal(cfg.alert_email, "ops@example.com");
    assert_int_equal(cfg.compression_enabled, 0);
    assert_int_equal(cfg.max_record_size, 1048576);
    assert_int_equal(cfg.n_loggers, 2);
    assert_string_equal(cfg.loggers[0].name, "noisy.lib");
    assert_int_equal(cfg.loggers[0].level, NLOG_LEVEL_ERROR);
    assert_string_equal(cfg.loggers[1].name, "db.pool");
    assert_int_equal(cfg.loggers[1].level, NLOG_LEVEL_DEBUG);
}

/* One bad value per key: file:line:column, key, problem and accepted list. */
static void test_every_key_bad_value(void **state)
{
    (void) state;
    static const struct {
        const char *key, *value, *what;
    } cases[] = {
        {"directory", "\"\"", "directory: no value given; accepted: a non-empty path"},
        {"level", "LOUD",
         "level: unknown level 'LOUD'; accepted: TRACE, DEBUG, INFO, WARNING (or WARN), ERROR, "
         "CRITICAL, SECURITY, AUDIT (any case)"},
        {"console_enabled", "maybe",
         "console_enabled: 'maybe' is not a boolean; accepted: true, false, yes, no, on, off, 1, "
         "0 (any case)"},
        {"console_colors", "2", "console_colors: '2' is not a boolean; accepted: true"},
        {"console_stream", "stdlog",
         "console_stream: unknown value 'stdlog'; accepted: stderr, stdout (any case)"},
        {"console_utc", "utc", "console_utc: 'utc' is not a boolean"},
        {"console_fields", "all", "console_fields: 'all' is not a boolean"},
        {"console_caller", "-1", "console_caller: '-1' is not a boolean"},
        {"file_enabled", "enabled", "file_enabled: 'enabled' is not a boolean"},
        {"structured_enabled", "json", "structured_enabled: 'json' is not a boolean"},
        {"performance_enabled", "y", "performance_enabled: 'y' is not a boolean"},
        {"performance_interval", "0",
         "performance_interval: '0' is out of range; accepted: a whole number of seconds from 1 to "
         "86400"},
        {"security_enabled", "nope", "security_enabled: 'nope' is not a boolean"},
        {"audit_enabled", "10", "audit_enabled: '10' is not a boolean"},
        {"alerts_enabled", "sometimes", "alerts_enabled: 'sometimes' is not a boolean"},
        {"alert_email", "admin.example.com",
         "alert_email: 'admin.example.com' is not an e-mail address; accepted: an e-mail address"},
        {"compression_enabled", "gzip", "compression_enabled: 'gzip' is not a boolean"},
        {"max_record_size", "2MB",
         "max_record_size: '2MB' is out of range; accepted: a size from 1024 to 1048576 bytes"},
    };
    char text[256], where[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "# first line\n%s: %s\n", cases[i].key, cases[i].value);
        snprintf(where, sizeof where, "2:%zu: ", strlen(cases[i].key) + 3);
        expect_error(text, where, cases[i].what);
        assert_string_equal(err.key, cases[i].key);
        char source[64];
        snprintf(source, sizeof source, ":2:%zu", strlen(cases[i].key) + 3);
        assert_non_null(strstr(err.source, source));
    }
}

/* Every row of the key table, including rows added after this test was
 * written: a bad value of its type is refused with file:line:column, the
 * key and the row's accepted text. */
static void test_every_row_refuses_a_bad_value(void **state)
{
    (void) state;
    char text[512], where[32], acc[NLOG__CFG_WHY_MAX / 2];
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        const char *bad = NULL;
        switch (k->type) {
        case NLOG__CFG_BOOL: bad = "maybe"; break;
        case NLOG__CFG_INT: bad = "12x"; break;
        case NLOG__CFG_SIZE: bad = "12XB"; break;
        case NLOG__CFG_LEVEL: bad = "LOUD"; break;
        case NLOG__CFG_ENUM: bad = "no_such_choice"; break;
        case NLOG__CFG_PATH: bad = "\"\""; break;
        case NLOG__CFG_EMAIL: bad = "nobody"; break;
        case NLOG__CFG_URL: bad = "ftp://files.example.com/"; break;
        case NLOG__CFG_LEVELS: bad = "[a]"; break;
        case NLOG__CFG_STRING: bad = "\"a\\x01b\""; break; /* a control character */
        case NLOG__CFG_CUSTOM: bad = "{x: 1}"; break; /* no custom row takes a mapping */
        }
        const char *dot = strchr(k->name, '.');
        if (dot) /* a row of a section */
            snprintf(text, sizeof text, "# first line\n%.*s:\n  %s: %s\n", (int) (dot - k->name),
                     k->name, dot + 1, bad);
        else
            snprintf(text, sizeof text, "# first line\n%s: %s\n", k->name, bad);
        size_t col = dot ? 2 + strlen(dot + 1) + 3 : strlen(k->name) + 3;
        snprintf(where, sizeof where, "%d:%zu: ", dot ? 3 : 2, col);
        char what[300];
        snprintf(what, sizeof what, "%s: ", k->name);
        expect_error(text, where, what);
        assert_string_equal(err.key, k->name);
        nlog__cfg_accepted(k, acc, sizeof acc);
        assert_contains(err.message, acc);
        assert_contains(err.message, "; accepted: ");
    }
}

static void test_spec_example_message(void **state)
{
    (void) state;
    const char *path = yaml("# app\ndirectory: logs\nlevel: LOUD\n");
    assert_int_equal(nlog_config_validate_file(path, &err), NLOG_ECONFIG);
    char expect[4200];
    snprintf(expect, sizeof expect,
             "%s:3:8: level: unknown level 'LOUD'; accepted: TRACE, DEBUG, INFO, WARNING (or "
             "WARN), ERROR, CRITICAL, SECURITY, AUDIT (any case)",
             path);
    assert_string_equal(err.message, expect);
    snprintf(expect, sizeof expect, "%s:3:8", path);
    assert_string_equal(err.source, expect);
    assert_string_equal(err.key, "level");
}

static void test_wrong_types(void **state)
{
    (void) state;
    expect_error("level: [a, b]\n", "1:8: ",
                 "level: expected a single value, found a sequence; accepted: TRACE, DEBUG");
    expect_error("level:\n  - a\n", "2:3: ", "level: expected a single value, found a sequence");
    expect_error("console_enabled:\n  x: 1\n", "2:3: ",
                 "console_enabled: expected a single value, found a mapping; accepted: true");
    expect_error("level:\n", "1:1: ", "level: no value given; accepted: TRACE");
    expect_error("level: ~\n", "1:8: ", "level: no value given");
    expect_error("directory: null\n", "1:12: ", "directory: no value given");
    expect_ok("alert_email: ~\n");
    expect_ok("alert_email: \"\"\n");
    expect_ok("level: \"debug\"\nconsole_enabled: 'yes'\nperformance_interval: \"45\"\n");
    expect_error("? [a, b]\n: c\n", "1:3: ", "a key must be a plain name, found a sequence");
    expect_error("{a: 1}: c\n", "1:1: ", "a key must be a plain name, found a mapping");
}

static void test_unknown_key(void **state)
{
    (void) state;
    char list[NLOG__CFG_WHY_MAX], want[NLOG__CFG_WHY_MAX + 128];
    nlog__cfg_key_list("", list, sizeof list);
    snprintf(want, sizeof want,
             "unknown key 'console_colours'; did you mean 'console_colors'? accepted keys: %s",
             list);
    expect_error("level: INFO\ndirectory: logs\n\n\nconsole_colours: true\n", "5:1: ", want);
    assert_contains(list, "directory, level, console_enabled, console_colors, console_stream, "
                          "console_utc, console_fields, console_caller, file_enabled, "
                          "structured_enabled, performance_enabled, performance_interval, "
                          "security_enabled, audit_enabled, alerts_enabled, alert_email, "
                          "compression_enabled, max_record_size, ");
    assert_string_equal(err.key, "console_colours");
    expect_error("Level: INFO\n", "1:1: ", "unknown key 'Level'; did you mean 'level'?");
    expect_error("colour: red\n", "1:1: ", "unknown key 'colour'; accepted keys: directory");
    /* Unknown sections are errors too, and so are unknown keys of a section. */
    expect_error("cluster:\n  port: 8080\n", "1:1: ", "unknown key 'cluster'");
    expect_error("server:\n  port: 8080\n", "2:3: ", "unknown key 'port' in section");
    /* profile is chosen by code or NETLINK_LOG_PROFILE, not by the file */
    expect_error("profile: production\n", "1:1: ", "unknown key 'profile'");
}

static void test_duplicate_key(void **state)
{
    (void) state;
    expect_error("level: INFO\nconsole_enabled: true\nlevel: DEBUG\n", "3:1: ",
                 "duplicate key 'level' (first given on line 1)");
    assert_string_equal(err.key, "level");
    expect_error("loggers:\n  a: ERROR\nloggers:\n  b: ERROR\n", "3:1: ",
                 "duplicate key 'loggers' (first given on line 1)");
    expect_error("loggers:\n  db: ERROR\n  db: DEBUG\n", "3:3: ",
                 "duplicate key 'db' in loggers (first given on line 2)");
    expect_error("{level: INFO, level: INFO}\n", "1:15: ", "duplicate key 'level'");
}

static void test_syntax_errors(void **state)
{
    (void) state;
    expect_error("level: INFO\ndirectory: [a, b\n", "3:1: ",
                 "invalid YAML: flow sequence without a closing bracket");
    assert_string_equal(err.key, "");
    expect_error("level: b: c\n", "1:9: ", "invalid YAML: ");
    expect_error("level: \"unterminated\n", "1:9: ", "invalid YAML: double-quoted scalar");
    expect_error("\tlevel: INFO\n", "1:1: ", "invalid YAML: invalid tab");
    expect_error("level: INFO\n- x\n", "2:1: ", "invalid YAML: did not find expected key");
    /* A syntax error later in the file is reported before a bad value. */
    expect_error("levle: INFO\nlevel: DEBUG\nx: [\n", "4:1: ", "invalid YAML: ");
}

static void test_structure(void **state)
{
    (void) state;
    expect_ok("");
    expect_ok("# only a comment\n\n   \n");
    expect_ok("---\n");
    expect_ok("---\n...\n");
    expect_ok("~\n");
    expect_ok("{}\n");
    expect_ok("level: DEBUG\r\nconsole_enabled: true\r\n");
    expect_ok("%YAML 1.2\n---\nlevel: DEBUG\n");
    expect_error("- level\n- DEBUG\n", "1:1: ",
                 "the top level must be a mapping of keys to values, found a sequence");
    expect_error("just text\n", "1:1: ", "the top level must be a mapping of keys to values");
    expect_error("level: INFO\n---\nlevel: DEBUG\n", "2:1: ",
                 "a second YAML document; a configuration file holds one document");
    expect_ok("level: INFO\n...\n");
}

static void test_aliases_refused(void **state)
{
    (void) state;
    expect_ok("level: &lv INFO\n"); /* an anchor alone is harmless */
    expect_error("level: &lv INFO\nloggers:\n  db: *lv\n", "3:7: ",
                 "loggers.db: alias 'lv': aliases (*name) are not supported in configuration "
                 "files");
    expect_error("level: *nothing\n", "1:8: ", "level: alias 'nothing': aliases (*name)");
    /* Billion laughs: refused at the first alias, without expansion. */
    const char *bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                       "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                       "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                       "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                       "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                       "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                       "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
                       "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
                       "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
                       "level: *i\n";
    expect_error(bomb, "1:1: ", "unknown key 'a'");
    const char *bomb2 = "loggers: &a {x: INFO}\nlevel: *a\n";
    expect_error(bomb2, "2:8: ", "level: alias 'a'");
    /* Merge keys need aliases too. */
    expect_error("loggers:\n  <<: *x\n", "2:7: ", "loggers.<<: alias 'x'");
}

static void test_size_cap(void **state)
{
    (void) state;
    size_t cap = NLOG__CONFIG_FILE_MAX;
    char *text = malloc(cap + 2);
    assert_non_null(text);
    memset(text, '#', cap + 1);
    for (size_t i = 79; i < cap + 1; i += 80)
        text[i] = '\n';
    text[cap - 1] = '\n';
    const char *path = write_file("big.yaml", text, cap);
    assert_int_equal(nlog_config_validate_file(path, &err), NLOG_OK);
    text[cap] = '\n';
    path = write_file("big.yaml", text, cap + 1);
    assert_int_equal(nlog_config_validate_file(path, &err), NLOG_ECONFIG);
    char expect[4200];
    snprintf(expect, sizeof expect,
             "%s: the file is larger than 1048576 bytes (1 MiB), the most a configuration file "
             "may hold",
             path);
    assert_string_equal(err.message, expect);
    /* The in-memory entry point has the same cap. */
    nlog__cfg_layer *layer = malloc(sizeof *layer);
    assert_non_null(layer);
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("mem", text, cap + 1, layer, &err), NLOG_ECONFIG);
    assert_contains(err.message, "mem: the file is larger than 1048576 bytes");
    free(layer);
    free(text);
}

static void test_unreadable(void **state)
{
    (void) state;
    const char *path = tu_path(dir, "missing.yaml");
    assert_int_equal(nlog_config_validate_file(path, &err), NLOG_ECONFIG);
    char expect[4200];
    snprintf(expect, sizeof expect,
             "%s: cannot open the configuration file: No such file or directory", path);
    assert_string_equal(err.message, expect);
    assert_string_equal(err.source, path);
    assert_int_equal(nlog_config_validate_file(dir, &err), NLOG_ECONFIG);
    assert_contains(err.message, "it is a directory");
    assert_int_equal(nlog_config_validate_file(NULL, &err), NLOG_EINVAL);
    nlog_config cfg;
    nlog_config_init(&cfg);
    assert_int_equal(nlog_config_load_file(NULL, &cfg, &err), NLOG_EINVAL);
    assert_int_equal(nlog_config_load_file(path, NULL, &err), NLOG_EINVAL);
}

static void test_loggers_map(void **state)
{
    (void) state;
    expect_ok("loggers:\n  noisy.lib: ERROR\n  db: warn\n  \"urllib3.connectionpool\": CRITICAL\n");
    expect_ok("loggers:\n");
    expect_ok("loggers: {}\n");
    expect_ok("loggers: {a: INFO, b.c: TRACE}\n");
    expect_error("loggers:\n  noisy.lib: LOUD\n", "2:14: ",
                 "loggers.noisy.lib: unknown level 'LOUD'; accepted: TRACE, DEBUG, INFO");
    assert_string_equal(err.key, "loggers.noisy.lib");
    expect_error("loggers:\n  db:\n", "2:3: ", "loggers.db: no level given; accepted: TRACE");
    expect_error("loggers:\n  db: [ERROR]\n", "2:7: ",
                 "loggers.db: expected a level, found a sequence; accepted: TRACE");
    expect_error("loggers: ERROR\n", "1:10: ",
                 "loggers: expected a mapping, found a single value; accepted: a mapping from "
                 "logger names (1 to 255 bytes, dotted like noisy.lib) to levels: TRACE");
    expect_error("loggers:\n  - a\n", "2:3: ", "loggers: expected a mapping");
    expect_error("loggers:\n  \"bad\\x01name\": ERROR\n", "2:3: ",
                 "loggers: logger name 'bad\\x01name' contains a control character");
    expect_error("loggers:\n  \"\": ERROR\n", "2:3: ", "loggers: empty logger name");
    expect_error("loggers:\n  [a]: ERROR\n", "2:3: ", "loggers: a logger name must be text");

    char name[300];
    memset(name, 'n', sizeof name);
    name[sizeof name - 1] = '\0';
    char text[512];
    snprintf(text, sizeof text, "loggers:\n  %s: ERROR\n", name);
    expect_error(text, "2:3: ", "bytes long; accepted: names of 1 to 255 bytes");
    name[255] = '\0';
    snprintf(text, sizeof text, "loggers:\n  %s: ERROR\n", name);
    expect_ok(text);

    /* At most NLOG_CONFIG_LOGGERS_MAX entries in one file. */
    char *big = malloc(65536);
    assert_non_null(big);
    strcpy(big, "loggers:\n");
    for (int i = 0; i < NLOG_CONFIG_LOGGERS_MAX; i++)
        snprintf(big + strlen(big), 65536 - strlen(big), "  l%d: ERROR\n", i);
    expect_ok(big);
    strcat(big, "  one.more: ERROR\n");
    expect_error(big, "66:3: ", "loggers: more than 64 entries; accepted: at most 64 loggers");
    free(big);
}

static void test_load_file_merges_and_is_atomic(void **state)
{
    (void) state;
    nlog_config cfg, before;
    nlog_config_init(&cfg);
    cfg.performance_interval = 5;
    assert_int_equal(nlog_config_set(&cfg, "loggers.db", "ERROR", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "loggers.keep", "TRACE", &err), NLOG_OK);

    const char *path = yaml("level: debug\nloggers:\n  db: INFO\n  new.one: CRITICAL\n");
    assert_int_equal(nlog_config_load_file(path, &cfg, &err), NLOG_OK);
    assert_int_equal(cfg.level, NLOG_LEVEL_DEBUG);
    assert_int_equal(cfg.performance_interval, 5);
    assert_int_equal(cfg.n_loggers, 3);
    assert_string_equal(cfg.loggers[0].name, "db");
    assert_int_equal(cfg.loggers[0].level, NLOG_LEVEL_INFO);
    assert_string_equal(cfg.loggers[1].name, "keep");
    assert_string_equal(cfg.loggers[2].name, "new.one");

    /* A bad file changes nothing, even keys before the bad one. */
    before = cfg;
    path = yaml("level: ERROR\nconsole_enabled: false\nperformance_interval: 0\n");
    assert_int_equal(nlog_config_load_file(path, &cfg, &err), NLOG_ECONFIG);
    assert_memory_equal(&cfg, &before, sizeof cfg);
    assert_contains(err.message, ":3:23: performance_interval: '0' is out of range");
}

/* libfyaml's diagnostics are captured, never printed. */
static void test_nothing_printed(void **state)
{
    (void) state;
    const char *log = tu_path(dir, "stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    const char *path = yaml("level: [INFO\nx: {\n\"unterminated\n");
    nlog_status st = nlog_config_validate_file(path, &err);
    path = yaml("a: *unknown_alias\n");
    nlog_status st2 = nlog_config_validate_file(path, &err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(st, NLOG_ECONFIG);
    assert_int_equal(st2, NLOG_ECONFIG);
    size_t len = 99;
    char *text = tu_read_file(log, &len);
    assert_non_null(text);
    if (len != 0)
        fail_msg("libfyaml printed: %s", text);
    free(text);
}

static void test_binary_input(void **state)
{
    (void) state;
    nlog__cfg_layer *layer = malloc(sizeof *layer);
    assert_non_null(layer);
    static const char nul_in_value[] = "level: IN\0FO\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", nul_in_value, sizeof nul_in_value - 1,
                                               layer, &err),
                     NLOG_ECONFIG);
    assert_string_equal(err.message, "b.yaml:1:10: invalid YAML: character U+0000 is not allowed");
    static const char escaped_nul[] = "level: \"IN\\0FO\"\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", escaped_nul, sizeof escaped_nul - 1,
                                               layer, &err),
                     NLOG_ECONFIG);
    assert_contains(err.message, "b.yaml:1:8: level: unknown level 'IN\\x00FO'");
    static const char escaped_dir[] = "directory: \"a\\0b\"\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", escaped_dir, sizeof escaped_dir - 1,
                                               layer, &err),
                     NLOG_ECONFIG);
    assert_contains(err.message, "contains a control character");
    static const char latin1[] = "directory: caf\xe9\n";
    nlog__cfg_layer_init(layer);
    /* YAML is UTF-8: libfyaml refuses other bytes, with a position. */
    assert_int_equal(nlog__config_parse_buffer("b.yaml", latin1, sizeof latin1 - 1, layer, &err),
                     NLOG_ECONFIG);
    assert_string_equal(err.message, "b.yaml:1:15: invalid YAML: not UTF-8 (byte 0xe9)");
    /* libfyaml 0.7.12 never returns on invalid UTF-8 in a directive line:
     * such input must be refused before it reaches the parser. */
    static const char directive[] = "%ab\xae\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", directive, sizeof directive - 1, layer,
                                               &err),
                     NLOG_ECONFIG);
    assert_string_equal(err.message, "b.yaml:1:4: invalid YAML: not UTF-8 (byte 0xae)");
    static const char overlong[] = "level: \xc0\xafINFO\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", overlong, sizeof overlong - 1, layer,
                                               &err),
                     NLOG_ECONFIG);
    assert_contains(err.message, "b.yaml:1:8: invalid YAML: not UTF-8 (byte 0xc0)");
    static const char surrogate[] = "a: 1\nlevel: \xed\xa0\x80\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", surrogate, sizeof surrogate - 1, layer,
                                               &err),
                     NLOG_ECONFIG);
    assert_contains(err.message, "b.yaml:2:8: invalid YAML: not UTF-8 (byte 0xed)");
    static const char ctrl[] = "level: I\x01NFO\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", ctrl, sizeof ctrl - 1, layer, &err),
                     NLOG_ECONFIG);
    assert_string_equal(err.message, "b.yaml:1:9: invalid YAML: character U+0001 is not allowed");
    static const char good[] = "\xef\xbb\xbf# caf\xc3\xa9 \xf0\x9f\x98\x80\nlevel: INFO\n";
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", good, sizeof good - 1, layer, &err),
                     NLOG_OK);
    nlog__cfg_layer_init(layer);
    assert_int_equal(nlog__config_parse_buffer("b.yaml", "", 0, layer, &err), NLOG_OK);
    free(layer);
}

/* Single-quoted scalars with '' escapes are unescaped by nlog (libfyaml
 * 0.7.12 leaks when it does it); ASan builds check the leak is gone. */
static void test_single_quoted_escapes(void **state)
{
    (void) state;
    nlog_config cfg;
    const char *path = yaml("\xef\xbb\xbf"
                            "directory: 'it''s '''''''''''''''''''''''''''''''' x'\n"
                            "loggers:\n"
                            "  'a''''''''''''''''''b': 'ERROR'\n"
                            "  'plain''': ERROR\n");
    nlog_config_init(&cfg);
    if (nlog_config_load_file(path, &cfg, &err) != NLOG_OK)
        fail_msg("%s", err.message);
    assert_string_equal(cfg.directory, "it's '''''''''''''''' x");
    assert_int_equal(cfg.n_loggers, 2);
    assert_string_equal(cfg.loggers[0].name, "a'''''''''b");
    assert_string_equal(cfg.loggers[1].name, "plain'");
    expect_error("level: 'DEB''UG'\n", "1:8: ", "level: unknown level 'DEB'UG'");
    expect_error("directory: 'a''''''''''''b\n  c'\n", "1:12: ",
                 "directory: a single-quoted value with '' escapes must be on one line");
    expect_ok("directory: 'a\n  b'\n");
    expect_error("''''''''''''''''''''''''''''''''': 1\nx\n-\n", "", "");
}

/* Deep nesting under an unknown key is refused at the key, not walked. */
static void test_deep_nesting(void **state)
{
    (void) state;
    size_t depth = 100000;
    char *text = malloc(depth + 16);
    assert_non_null(text);
    strcpy(text, "x: ");
    memset(text + 3, '[', depth);
    text[3 + depth] = '\0';
    const char *path = write_file("deep.yaml", text, strlen(text));
    assert_int_equal(nlog_config_validate_file(path, &err), NLOG_ECONFIG);
    assert_contains(err.message, "invalid YAML");
    memcpy(text, "level:", 6);
    path = write_file("deep.yaml", text, strlen(text));
    assert_int_equal(nlog_config_validate_file(path, &err), NLOG_ECONFIG);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_product_example_loads, setup),
        cmocka_unit_test_setup(test_every_key_in_a_file, setup),
        cmocka_unit_test_setup(test_every_key_bad_value, setup),
        cmocka_unit_test_setup(test_every_row_refuses_a_bad_value, setup),
        cmocka_unit_test_setup(test_spec_example_message, setup),
        cmocka_unit_test_setup(test_wrong_types, setup),
        cmocka_unit_test_setup(test_unknown_key, setup),
        cmocka_unit_test_setup(test_duplicate_key, setup),
        cmocka_unit_test_setup(test_syntax_errors, setup),
        cmocka_unit_test_setup(test_structure, setup),
        cmocka_unit_test_setup(test_aliases_refused, setup),
        cmocka_unit_test_setup(test_size_cap, setup),
        cmocka_unit_test_setup(test_unreadable, setup),
        cmocka_unit_test_setup(test_loggers_map, setup),
        cmocka_unit_test_setup(test_load_file_merges_and_is_atomic, setup),
        cmocka_unit_test_setup(test_nothing_printed, setup),
        cmocka_unit_test_setup(test_binary_input, setup),
        cmocka_unit_test_setup(test_single_quoted_escapes, setup),
        cmocka_unit_test_setup(test_deep_nesting, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
