/* test_console_sink.c: the console format, colour decisions (config,
 * NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE, terminal detection), neutralised
 * user data, and a closed pipe that must not kill the process. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static const int64_t SEC = 1000000000LL;
static const char *dir;
static int saved_stdout = -1;

/* Sends stdout to a file until capture_end(), which returns the text. */
static void capture_begin(void)
{
    dir = tu_scratch("console");
    fflush(stdout);
    saved_stdout = dup(STDOUT_FILENO);
    int fd = open(tu_path(dir, "stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    dup2(fd, STDOUT_FILENO);
    close(fd);
}

static char *capture_end(void)
{
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    return tu_read_file(tu_path(dir, "stdout.txt"), NULL);
}

static void init_console(int colors, int fields, int caller)
{
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.console_enabled = 1;
    cfg.console_stream = NLOG_CONSOLE_STDOUT;
    cfg.console_utc = 1;
    cfg.console_colors = colors;
    cfg.console_fields = fields;
    cfg.console_caller = caller;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
}

static void clear_color_env(void)
{
    unsetenv("NO_COLOR");
    unsetenv("FORCE_COLOR");
    unsetenv("CLICOLOR_FORCE");
}

static void products_console_format(void **state)
{
    (void) state;
    clear_color_env();
    tu_clock_fake(1705314645 * SEC + 123456789, SEC); /* 2024-01-15 10:30:45 UTC */
    capture_begin();
    init_console(1, 0, 0); /* colours on, but stdout is a file: none */
    nlog_logger *lg = nlog_get_logger("auth_service");
    nlog_info(lg, "User authenticated successfully");
    nlog_warning(nlog_get_logger("database"), "Connection pool exhausted, creating new connection");
    nlog_error(nlog_get_logger("api_handler"), "Request validation failed: missing required field '%s'", "email");
    NLOG_CRITICAL(lg, "fields hidden", NLOG_CTX("user_id", "u1"));
    nlog_shutdown();
    char *out = capture_end();
    assert_string_equal(out,
        "[2024-01-15 10:30:45] [INFO    ] auth_service: User authenticated successfully\n"
        "[2024-01-15 10:30:45] [WARNING ] database: Connection pool exhausted, creating new connection\n"
        "[2024-01-15 10:30:45] [ERROR   ] api_handler: Request validation failed: missing required field 'email'\n"
        "[2024-01-15 10:30:45] [CRITICAL] auth_service: fields hidden\n");
    free(out);
    tu_clock_real();
}

static void fields_and_caller_when_enabled(void **state)
{
    (void) state;
    clear_color_env();
    tu_clock_fake(1705314645 * SEC, SEC);
    capture_begin();
    init_console(0, 1, 0);
    nlog_logger *lg = nlog_get_logger("auth");
    NLOG_INFO(lg, "User login", NLOG_CATEGORY(NLOG_CAT_SECURITY), NLOG_CTX("user_id", "user123"),
              NLOG_META("success", true), NLOG_PERF("response_time", 0.045));
    nlog_shutdown();
    char *out = capture_end();
    assert_string_equal(out, "[2024-01-15 10:30:45] [INFO    ] auth: User login category=security "
                             "user_id=user123 success=true response_time=0.045\n");
    free(out);
    capture_begin();
    init_console(0, 0, 1);
    nlog_info(nlog_get_logger("auth"), "where");
    nlog_shutdown();
    out = capture_end();
    assert_non_null(strstr(out, "test_console_sink.c:"));
    assert_non_null(strstr(out, "fields_and_caller_when_enabled"));
    free(out);
    tu_clock_real();
}

static int has_sgr(const char *s)
{
    return strstr(s, "\x1b[") != NULL;
}

static void colour_decisions(void **state)
{
    (void) state;
    clear_color_env();
    setenv("FORCE_COLOR", "1", 1);
    capture_begin();
    init_console(1, 0, 0);
    nlog_info(nlog_get_logger("c"), "forced");
    nlog_shutdown();
    char *out = capture_end();
    assert_true(has_sgr(out));
    assert_non_null(strstr(out, "\x1b[0m"));
    free(out);

    setenv("NO_COLOR", "1", 1); /* NO_COLOR wins */
    capture_begin();
    init_console(1, 0, 0);
    nlog_info(nlog_get_logger("c"), "no colour");
    nlog_shutdown();
    out = capture_end();
    assert_false(has_sgr(out));
    free(out);

    clear_color_env();
    setenv("CLICOLOR_FORCE", "1", 1);
    capture_begin();
    init_console(0, 0, 0); /* console_colors: false beats forcing */
    nlog_info(nlog_get_logger("c"), "off in config");
    nlog_shutdown();
    out = capture_end();
    assert_false(has_sgr(out));
    free(out);

    capture_begin();
    init_console(1, 0, 0);
    nlog_info(nlog_get_logger("c"), "clicolor");
    nlog_shutdown();
    out = capture_end();
    assert_true(has_sgr(out));
    free(out);
    clear_color_env();
}

static void user_data_cannot_drive_the_terminal(void **state)
{
    (void) state;
    clear_color_env();
    capture_begin();
    init_console(0, 1, 0);
    nlog_logger *lg = nlog_get_logger("evil\x1b[2J");
    NLOG_WARNING(lg, "clear\x1b[2J\x1b]0;title\x07 next\nline\r \xc2\x9b" "31m \xe2\x80\xae",
                 NLOG_CTX("k\x1b", "v\x1b[31m"));
    nlog_shutdown();
    char *out = capture_end();
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\a'));
    assert_null(strchr(out, '\r'));
    assert_null(strstr(out, "\xc2\x9b"));
    assert_null(strstr(out, "\xe2\x80\xae"));
    assert_int_equal(strchr(out, '\n') - out + 1, (long) strlen(out)); /* one line */
    free(out);
}

static void closed_pipe_does_not_kill(void **state)
{
    (void) state;
    clear_color_env();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    close(fds[0]); /* no reader */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    signal(SIGPIPE, SIG_DFL);
    tu_diag_capture();
    init_console(0, 0, 0);
    nlog_logger *lg = nlog_get_logger("pipe");
    for (int i = 0; i < 5; i++)
        nlog_info(lg, "into the void %d", i); /* would raise SIGPIPE and kill us */
    nlog_shutdown();
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(tu_diag_count(), 1);
    assert_true(tu_diag_contains("Broken pipe"));
    nlog_set_diagnostics(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(products_console_format),
        cmocka_unit_test(fields_and_caller_when_enabled),
        cmocka_unit_test(colour_decisions),
        cmocka_unit_test(user_data_cannot_drive_the_terminal),
        cmocka_unit_test(closed_pipe_does_not_kill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
