/* test_file_sink.c: output failures are reported once, counted, never crash
 * or hang the application, leave no partial line, and writing resumes when
 * the cause goes. Real failures where the system can produce them (a path
 * under a regular file, /dev/full), injected short writes and EIO otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/platform.h"
#include "testutil.h"

static const int64_t SEC = 1000000000LL;

static nlog_counters counters(void)
{
    nlog_counters c = {.struct_size = sizeof c};
    assert_int_equal(nlog_stats(&c), NLOG_OK);
    return c;
}

static size_t count_kind(nlog_diag_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < tu_diag_count(); i++)
        n += tu_diag_kind(i) == kind;
    return n;
}

static void uncreatable_directory_then_recovery(void **state)
{
    (void) state;
    const char *base = tu_scratch("uncreatable");
    /* "blocker" is a regular file, so blocker/logs can never be a directory */
    const char *blocker = tu_path(base, "blocker");
    FILE *f = fopen(blocker, "w");
    assert_non_null(f);
    fclose(f);
    char logdir[4096];
    snprintf(logdir, sizeof logdir, "%s/logs", blocker);

    tu_clock_fake(1700000000 * SEC, 1000 * SEC);
    tu_diag_capture();
    nlog_config cfg;
    tu_config(&cfg, logdir);
    cfg.console_enabled = 1; /* console output must go on */
    cfg.console_stream = NLOG_CONSOLE_STDOUT;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_counters before = counters();
    nlog_logger *lg = nlog_get_logger("disk");
    for (int i = 0; i < 100; i++)
        assert_int_equal(nlog_log(lg, NLOG_LEVEL_INFO, NULL, "lost", NULL, 0), NLOG_EIO);
    nlog_counters mid = counters();
    assert_int_equal(count_kind(NLOG_DIAG_OUTPUT_FAILED), 1); /* once, not 100 times */
    assert_true(tu_diag_contains("Not a directory"));
    assert_true(tu_diag_contains(logdir));
    assert_int_equal(mid.records_failed - before.records_failed, 100);
    assert_true(mid.output_errors - before.output_errors >= 1);
    assert_int_equal(mid.records[2] - before.records[2], 100);

    /* the cause goes away; within a second (of the injected clock) writing resumes */
    assert_int_equal(unlink(blocker), 0);
    assert_int_equal(nlog_log(lg, NLOG_LEVEL_INFO, NULL, "still lost", NULL, 0), NLOG_EIO);
    tu_clock_advance(SEC);
    assert_int_equal(nlog_log(lg, NLOG_LEVEL_INFO, NULL, "written", NULL, 0), NLOG_OK);
    assert_int_equal(count_kind(NLOG_DIAG_OUTPUT_RECOVERED), 1);
    size_t n = tu_assert_json_lines(tu_path(logdir, "netlink.log"));
    assert_int_equal(n, 1);
    nlog_shutdown();
    nlog_set_diagnostics(NULL, NULL);
    tu_clock_real();
}

static void disk_full_is_reported_once_and_recovers(void **state)
{
    (void) state;
    const char *d = tu_scratch("diskfull");
    /* The main file is a symlink to /dev/full: every write fails with ENOSPC. */
    assert_int_equal(symlink("/dev/full", tu_path(d, "netlink.log")), 0);
    tu_clock_fake(1700000000 * SEC, 5000 * SEC);
    tu_diag_capture();
    nlog_config cfg;
    tu_config(&cfg, d);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("full");
    nlog_counters before = counters();
    for (int i = 0; i < 10; i++)
        NLOG_ERROR(lg, "cannot land", NLOG_CTX("i", i));
    nlog_counters mid = counters();
    assert_int_equal(mid.records_failed - before.records_failed, 10);
    assert_int_equal(count_kind(NLOG_DIAG_OUTPUT_FAILED), 1);
    assert_true(tu_diag_contains("No space left on device"));

    /* Space comes back: the path now names a real file. The sink notices the
     * path changed at its next identity check and reopens. */
    assert_int_equal(unlink(tu_path(d, "netlink.log")), 0);
    tu_clock_advance(SEC);
    NLOG_ERROR(lg, "lands");
    assert_int_equal(count_kind(NLOG_DIAG_OUTPUT_RECOVERED), 1);
    assert_int_equal(tu_assert_json_lines(tu_path(d, "netlink.log")), 1);
    nlog_shutdown();
    nlog_set_diagnostics(NULL, NULL);
    tu_clock_real();
}

/* write(2) stand-in. Mode 1: write half of the line, then fail the rest
 * with ENOSPC (a disk filling up mid-line). Mode 2: fail with EIO. */
static int fault_mode;
static ssize_t faulty_write(int fd, const void *buf, size_t len)
{
    if (fault_mode == 1 && len > 10) {
        fault_mode = 3;
        return write(fd, buf, len / 2);
    }
    if (fault_mode == 3) {
        fault_mode = 0;
        errno = ENOSPC;
        return -1;
    }
    if (fault_mode == 2) {
        errno = EIO;
        return -1;
    }
    return write(fd, buf, len);
}

static void short_write_leaves_no_fragment(void **state)
{
    (void) state;
    const char *d = tu_scratch("shortwrite");
    tu_diag_capture();
    nlog_config cfg;
    tu_config(&cfg, d);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("short");
    NLOG_INFO(lg, "before");
    nlog__sys_write = faulty_write;
    fault_mode = 1;
    assert_int_equal(nlog_log(lg, NLOG_LEVEL_INFO, NULL, "half written", NULL, 0), NLOG_EIO);
    NLOG_INFO(lg, "after");
    assert_int_equal(fault_mode, 0); /* the fault really happened */
    fault_mode = 2;
    assert_int_equal(nlog_log(lg, NLOG_LEVEL_INFO, NULL, "io error", NULL, 0), NLOG_EIO);
    fault_mode = 0;
    NLOG_INFO(lg, "last");
    nlog__sys_write = write;
    /* whole lines only: the fragment was cut off again */
    assert_int_equal(tu_assert_json_lines(tu_path(d, "netlink.log")), 3);
    assert_true(tu_diag_contains("No space left on device"));
    nlog_shutdown();
    nlog_set_diagnostics(NULL, NULL);
}

static void deleted_file_is_recreated(void **state)
{
    (void) state;
    const char *d = tu_scratch("deleted");
    tu_clock_fake(1700000000 * SEC, 9000 * SEC);
    nlog_config cfg;
    tu_config(&cfg, d);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("del");
    NLOG_INFO(lg, "one");
    char moved[4096];
    snprintf(moved, sizeof moved, "%s.1", tu_path(d, "netlink.log"));
    assert_int_equal(rename(tu_path(d, "netlink.log"), moved), 0); /* like logrotate */
    NLOG_INFO(lg, "two"); /* before the check: goes to the moved file */
    tu_clock_advance(SEC);
    NLOG_INFO(lg, "three");
    assert_int_equal(tu_assert_json_lines(moved), 2);
    assert_int_equal(tu_assert_json_lines(tu_path(d, "netlink.log")), 1);
    /* the whole directory goes away: it is created again */
    assert_int_equal(unlink(moved), 0);
    assert_int_equal(unlink(tu_path(d, "netlink.log")), 0);
    assert_int_equal(rmdir(d), 0);
    tu_clock_advance(SEC);
    NLOG_INFO(lg, "four");
    assert_int_equal(tu_assert_json_lines(tu_path(d, "netlink.log")), 1);
    nlog_shutdown();
    tu_clock_real();
}

/* Writes `text` as the whole content of `path`. */
static void put_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void log_one_and_close(const char *dir)
{
    nlog_config cfg;
    tu_config(&cfg, dir);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_int_equal(nlog_log(nlog_get_logger("tail"), NLOG_LEVEL_INFO, NULL, "after", NULL, 0),
                     NLOG_OK);
    nlog_shutdown();
}

#define GOOD "{\"timestamp\":\"2026-12-01T00:00:00.000000Z\",\"level\":\"INFO\"}\n"

/* A process killed inside write(2) leaves the start of a record at the end
 * of the file; the next writer that has the file to itself cuts it off and
 * says so, keeping every whole line before it. */
static void torn_tail_is_cut_by_the_next_writer(void **state)
{
    (void) state;
    const char *dir = tu_scratch("torn_tail");
    const char *path = tu_path(dir, "netlink.log");
    put_file(path, GOOD GOOD "{\"timestamp\":\"2026-12-01T00:00:01.0");
    tu_diag_capture();
    nlog_counters before = counters();
    log_one_and_close(dir);
    assert_int_equal(tu_assert_json_lines(path), 3); /* 2 old + 1 new, no fragment */
    assert_true(tu_diag_contains("removed 35 bytes of an unfinished record"));
    assert_int_equal(counters().records_failed - before.records_failed, 1);
    nlog_set_diagnostics(NULL, NULL);
}

/* With another writer holding the file, what looks like a fragment may be
 * its write in progress (which the kernel completes before any other
 * append): it is never cut then. */
static void tail_of_a_live_writer_is_left_alone(void **state)
{
    (void) state;
    const char *dir = tu_scratch("live_tail");
    const char *path = tu_path(dir, "netlink.log");
    const char *partial = "{\"timestamp\":\"2026-12-01T00:00:02.000000Z\",";
    char before_text[512];
    snprintf(before_text, sizeof before_text, "%s%s", GOOD, partial);
    put_file(path, before_text);
    int other = open(path, O_WRONLY | O_APPEND);
    assert_true(other >= 0);
    assert_int_equal(flock(other, LOCK_SH), 0); /* a live writer, as every sink is */
    tu_diag_capture();
    log_one_and_close(dir);
    close(other);
    size_t len;
    char *text = tu_read_file(path, &len);
    assert_non_null(text);
    assert_memory_equal(text, before_text, strlen(before_text)); /* nothing was cut */
    assert_false(tu_diag_contains("removed"));
    free(text);
    nlog_set_diagnostics(NULL, NULL);
}

/* Bytes that are not the start of one of our records are never cut; the
 * next record starts on a line of its own. */
static void foreign_tail_is_kept(void **state)
{
    (void) state;
    const char *dir = tu_scratch("foreign_tail");
    const char *path = tu_path(dir, "netlink.log");
    put_file(path, GOOD "not a record of ours");
    log_one_and_close(dir);
    size_t len;
    char *text = tu_read_file(path, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nnot a record of ours\n{\"timestamp\""));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uncreatable_directory_then_recovery),
        cmocka_unit_test(disk_full_is_reported_once_and_recovers),
        cmocka_unit_test(short_write_leaves_no_fragment),
        cmocka_unit_test(deleted_file_is_recreated),
        cmocka_unit_test(torn_tail_is_cut_by_the_next_writer),
        cmocka_unit_test(tail_of_a_live_writer_is_left_alone),
        cmocka_unit_test(foreign_tail_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
