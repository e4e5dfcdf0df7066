/* test_rotate.c: rotation of the file sink in one process: the naming
 * pattern and its order, rotation by size (no record lost, duplicated or
 * split; segments stay under the limit), rotation at hour and day boundaries
 * with the fake clock, a file found at start-up from an earlier period, and
 * a rotation that cannot happen (reported once, counted, the current file
 * keeps every record, retried later). No sleeps. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "test_rotate_util.h"

static const int64_t T_0059 = 1795481999; /* 2026-11-24T00:59:59Z */
static const int64_t T_2359 = 1795564799; /* 2026-11-24T23:59:59Z */

static void names_sort_by_time(void **state)
{
    (void) state;
    char a[256], b[256], c[256];
    assert_int_equal(nlog__rot_format(a, sizeof a, "netlink", ".log", T_0059, 1), 0);
    assert_string_equal(a, "netlink-20261124T005959Z-000001.log");
    assert_int_equal(nlog__rot_format(b, sizeof b, "netlink", ".log", T_0059, 2), 0);
    assert_int_equal(nlog__rot_format(c, sizeof c, "netlink", ".log", T_0059 + 1, 1), 0);
    assert_true(strcmp(a, b) < 0 && strcmp(b, c) < 0);
    assert_int_equal(nlog__rot_format(a, sizeof a, "x", ".log", 0, 999999), 0);
    assert_string_equal(a, "x-19700101T000000Z-999999.log");
    assert_int_equal(nlog__rot_format(a, 10, "netlink", ".log", T_0059, 1), -1);

    nlog__seg s;
    assert_int_equal(nlog__rot_parse("netlink-20261124T005959Z-000002.log", "netlink", ".log", &s), 1);
    assert_int_equal(s.time_s, T_0059);
    assert_int_equal(s.kind, NLOG__SEG_PLAIN);
    assert_int_equal(nlog__rot_parse("netlink-20261124T005959Z-000002.log.zst", "netlink", ".log", &s), 1);
    assert_int_equal(s.kind, NLOG__SEG_ZST);
    assert_int_equal(s.base_len, strlen("netlink-20261124T005959Z-000002.log"));
    assert_int_equal(nlog__rot_parse("netlink-20261124T005959Z-000002.log.gz", "netlink", ".log", &s), 1);
    assert_int_equal(s.kind, NLOG__SEG_GZ);
    assert_int_equal(nlog__rot_parse("netlink-20261124T005959Z-000002.log.zst.tmp", "netlink", ".log", &s), 1);
    assert_int_equal(s.kind, NLOG__SEG_TMP);
    assert_int_equal(nlog__rot_parse("netlink.log", "netlink", ".log", &s), 0);
    assert_int_equal(nlog__rot_parse("security-20261124T005959Z-000002.log", "netlink", ".log", &s), 0);
    assert_int_equal(nlog__rot_parse("netlink-20261324T005959Z-000002.log", "netlink", ".log", &s), 0);
    assert_int_equal(nlog__rot_parse("netlink-20261124T005959Z-000002.log.bak", "netlink", ".log", &s), 0);

    char stem[16], ext[8];
    assert_int_equal(nlog__rot_split("audit.log", stem, sizeof stem, ext, sizeof ext), 0);
    assert_string_equal(stem, "audit");
    assert_string_equal(ext, ".log");

    int64_t h = nlog__rot_period_index(NLOG_ROTATE_HOURLY, T_0059 * RT_SEC + 999999999);
    assert_int_equal(nlog__rot_period_index(NLOG_ROTATE_HOURLY, (T_0059 + 1) * RT_SEC), h + 1);
    int64_t d = nlog__rot_period_index(NLOG_ROTATE_DAILY, T_2359 * RT_SEC);
    assert_int_equal(nlog__rot_period_index(NLOG_ROTATE_DAILY, (T_2359 + 1) * RT_SEC), d + 1);
    assert_int_equal(nlog__rot_period_index(NLOG_ROTATE_DAILY, (T_0059 + 1) * RT_SEC), d);
}

static void init_rot(const char *dir, const char *max, const char *rotate, const char *compress)
{
    nlog_config cfg;
    tu_config(&cfg, dir);
    nlog_error err;
    assert_int_equal(nlog_config_set(&cfg, "max_file_size", max, &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "rotate", rotate, &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "compression_enabled", compress, &err), NLOG_OK);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
}

static void size_rotation_keeps_every_record(void **state)
{
    (void) state;
    const char *dir = tu_scratch("rot_size");
    tu_clock_fake(T_0059 * RT_SEC, 1000 * RT_SEC);
    init_rot(dir, "2KB", "none", "false");
    nlog_logger *lg = nlog_get_logger("rot");
    for (int i = 0; i < 300; i++)
        assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 %d", i), NLOG_OK);
    nlog_shutdown();

    rt_count c;
    rt_count_all(&c, dir, "netlink.log", 300, 1000);
    rt_assert_exactly_once(&c);
    assert_true(c.plain_segments >= 10);
    assert_int_equal(c.compressed, 0);
    /* every segment is within the limit (each record is far smaller) */
    nlog__seg *segs;
    size_t n;
    assert_int_equal(nlog__rot_list(dir, "netlink", ".log", &segs, &n), 0);
    assert_int_equal(n, c.plain_segments);
    for (size_t i = 0; i < n; i++) {
        assert_true(segs[i].size > 0 && segs[i].size <= 2048);
        assert_int_equal(segs[i].time_s, T_0059); /* the fake clock names them */
    }
    free(segs);
    free(c.seen);
    tu_clock_real();
}

static void hourly_and_daily_boundaries(void **state)
{
    (void) state;
    static const struct {
        const char *rotate;
        int64_t start;
    } cases[] = {{"hourly", T_0059}, {"daily", T_2359}};
    for (size_t k = 0; k < 2; k++) {
        const char *dir = tu_scratch(cases[k].rotate);
        tu_clock_fake(cases[k].start * RT_SEC, 1000 * RT_SEC);
        init_rot(dir, "0", cases[k].rotate, "false");
        nlog_logger *lg = nlog_get_logger("rot");
        for (int i = 0; i < 10; i++)
            assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 %d", i), NLOG_OK);
        tu_clock_advance(RT_SEC / 2); /* still the same hour / day */
        assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 %d", 10), NLOG_OK);
        assert_int_equal(rt_count_entries(dir, "netlink", ".log", -1), 0);
        tu_clock_advance(RT_SEC / 2); /* exactly the boundary */
        for (int i = 11; i < 20; i++)
            assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 %d", i), NLOG_OK);
        tu_clock_advance(30 * 60 * RT_SEC); /* later in the new period: no rotation */
        assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 %d", 20), NLOG_OK);
        nlog_shutdown();

        nlog__seg *segs;
        size_t n;
        assert_int_equal(nlog__rot_list(dir, "netlink", ".log", &segs, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(segs[0].time_s, cases[k].start + 1); /* named at the boundary */
        size_t len;
        char *t = tu_read_file(tu_path(dir, segs[0].name), &len);
        char **lines;
        assert_int_equal(tu_split_lines(t, len, &lines), 11); /* the old period's records */
        free(lines);
        free(t);
        free(segs);
        rt_count c;
        rt_count_all(&c, dir, "netlink.log", 21, 1000);
        rt_assert_exactly_once(&c);
        free(c.seen);
    }
    tu_clock_real();
}

/* A process starting after the boundary finds a file written in an earlier
 * hour: its first write rotates it. */
static void startup_file_from_an_earlier_period(void **state)
{
    (void) state;
    const char *dir = tu_scratch("rot_startup");
    const char *path = tu_path(dir, "netlink.log");
    rt_write_file(path, "{\"message\":\"rec 0 0\"}\n");
    struct timespec ts[2] = {{T_0059 - 100, 0}, {T_0059 - 100, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
    tu_clock_fake((T_0059 + 10) * RT_SEC, 1000 * RT_SEC);
    init_rot(dir, "0", "hourly", "false");
    assert_int_equal(nlog_logf(nlog_get_logger("rot"), NLOG_LEVEL_INFO, NULL, "rec 0 1"), NLOG_OK);
    nlog_shutdown();
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", NLOG__SEG_PLAIN), 1);
    rt_count c;
    rt_count_all(&c, dir, "netlink.log", 2, 1000);
    rt_assert_exactly_once(&c);
    free(c.seen);
    tu_clock_real();
}

static nlog_counters counters(void)
{
    nlog_counters c = {.struct_size = sizeof c};
    assert_int_equal(nlog_stats(&c), NLOG_OK);
    return c;
}

/* The lock file cannot be created (a directory is in its way): the rotation
 * fails, is reported once and counted, every record stays in the current
 * file, and rotation works again a second later once the cause is gone. */
static void failed_rotation_loses_nothing(void **state)
{
    (void) state;
    const char *dir = tu_scratch("rot_fail");
    char lockdir[4096];
    snprintf(lockdir, sizeof lockdir, "%s/.netlink.log.lock", dir);
    assert_int_equal(mkdir(lockdir, 0700), 0);
    tu_clock_fake(T_0059 * RT_SEC, 1000 * RT_SEC);
    tu_diag_capture();
    init_rot(dir, "1KB", "none", "false");
    nlog_counters before = counters();
    nlog_logger *lg = nlog_get_logger("rot");
    for (int i = 0; i < 100; i++)
        assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 %d", i), NLOG_OK);
    size_t failed = 0;
    for (size_t i = 0; i < tu_diag_count(); i++)
        failed += tu_diag_kind(i) == NLOG_DIAG_OUTPUT_FAILED;
    assert_int_equal(failed, 1);
    assert_true(tu_diag_contains("cannot rotate"));
    assert_true(counters().output_errors > before.output_errors);
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", -1), 0);

    assert_int_equal(rmdir(lockdir), 0);
    tu_clock_advance(2 * RT_SEC);
    for (int i = 100; i < 200; i++)
        assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 %d", i), NLOG_OK);
    assert_true(tu_diag_contains("rotating"));
    nlog_shutdown();
    assert_true(rt_count_entries(dir, "netlink", ".log", -1) >= 2);
    rt_count c;
    rt_count_all(&c, dir, "netlink.log", 200, 1000);
    rt_assert_exactly_once(&c);
    free(c.seen);
    tu_diag_reset();
    tu_clock_real();
}

/* Security and audit files rotate with the same settings. */
static void all_three_files_rotate(void **state)
{
    (void) state;
    const char *dir = tu_scratch("rot_three");
    tu_clock_fake(T_0059 * RT_SEC, 1000 * RT_SEC);
    init_rot(dir, "1KB", "none", "false");
    nlog_logger *lg = nlog_get_logger("rot");
    for (int i = 0; i < 60; i++) {
        assert_int_equal(nlog_logf(lg, NLOG_LEVEL_SECURITY, NULL, "rec 0 %d", i), NLOG_OK);
        assert_int_equal(nlog_logf(lg, NLOG_LEVEL_AUDIT, NULL, "rec 1 %d", i), NLOG_OK);
    }
    nlog_shutdown();
    assert_true(rt_count_entries(dir, "security", ".log", -1) >= 2);
    assert_true(rt_count_entries(dir, "audit", ".log", -1) >= 2);
    rt_count c;
    rt_count_all(&c, dir, "security.log", 60, 1000);
    rt_assert_exactly_once(&c);
    free(c.seen);
    rt_count_all(&c, dir, "audit.log", 2000, 1000);
    assert_int_equal(c.lines, 60);
    for (int i = 0; i < 60; i++)
        assert_int_equal(c.seen[1000 + i], 1);
    free(c.seen);
    tu_clock_real();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_sort_by_time),
        cmocka_unit_test(size_rotation_keeps_every_record),
        cmocka_unit_test(hourly_and_daily_boundaries),
        cmocka_unit_test(startup_file_from_an_earlier_period),
        cmocka_unit_test(failed_rotation_loses_nothing),
        cmocka_unit_test(all_three_files_rotate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
