/* test_diag.c: the default diagnostics line on stderr, custom callbacks,
 * and the counters' struct_size contract. */
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "internal/diag.h"
#include "testutil.h"

static void default_writes_one_line_to_stderr(void **state)
{
    (void) state;
    const char *dir = tu_scratch("diag");
    int saved = dup(STDERR_FILENO);
    int fd = open(tu_path(dir, "stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    nlog_set_diagnostics(NULL, NULL);
    nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, "NETLINK_LOG_LEVEL", "bad value '%s'", "LOUD");
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *text = tu_read_file(tu_path(dir, "stderr.txt"), NULL);
    assert_string_equal(text, "nlog: bad value 'LOUD'\n");
    free(text);
}

static nlog_diag last;
static char last_msg[256], last_subject[64];
static int calls;
static void record(const nlog_diag *d, void *user)
{
    last = *d;
    snprintf(last_msg, sizeof last_msg, "%s", d->message);
    snprintf(last_subject, sizeof last_subject, "%s", d->subject);
    calls += *(int *) user;
}

static void custom_callback_gets_every_field(void **state)
{
    (void) state;
    int one = 1;
    nlog_counters before = {.struct_size = sizeof before}, after = {.struct_size = sizeof after};
    assert_int_equal(nlog_stats(&before), NLOG_OK);
    nlog_set_diagnostics(record, &one);
    nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, 28, "/x/y.log", "cannot write %s", "/x/y.log");
    nlog__diag(NLOG_DIAG_INPUT, NLOG_EINVAL, 0, NULL, "no subject");
    assert_int_equal(calls, 2);
    assert_int_equal(last.kind, NLOG_DIAG_INPUT);
    assert_string_equal(last_subject, "");
    assert_string_equal(last_msg, "no subject");
    assert_int_equal(nlog_stats(&after), NLOG_OK);
    assert_int_equal(after.diagnostics - before.diagnostics, 2);
    nlog_set_diagnostics(NULL, NULL);
}

static void stats_respects_struct_size(void **state)
{
    (void) state;
    nlog_counters c;
    memset(&c, 0xAB, sizeof c);
    /* a caller built against an older, smaller struct */
    c.struct_size = offsetof(nlog_counters, disabled);
    assert_int_equal(nlog_stats(&c), NLOG_OK);
    assert_int_equal(c.struct_size, offsetof(nlog_counters, disabled));
    unsigned char *tail = (unsigned char *) &c + offsetof(nlog_counters, disabled);
    for (size_t i = 0; i < sizeof c - offsetof(nlog_counters, disabled); i++)
        assert_int_equal(tail[i], 0xAB); /* untouched beyond struct_size */
    c.struct_size = 0;
    assert_int_equal(nlog_stats(&c), NLOG_EINVAL);
    assert_int_equal(nlog_stats(NULL), NLOG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_writes_one_line_to_stderr),
        cmocka_unit_test(custom_callback_gets_every_field),
        cmocka_unit_test(stats_respects_struct_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
