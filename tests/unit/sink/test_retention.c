/* test_retention.c: retention of rotated segments by count, by age (fake
 * clock), by total size, never the active file, never a segment a writer
 * holds; the defaults (30 days for netlink.log, 365 for security.log and
 * audit.log) applied end to end by the background thread at start-up. */
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "sink/retention.h"
#include "test_rotate_util.h"

static const int64_t NOW = 1795481999; /* 2026-11-24T00:59:59Z */
static const int64_t DAY = 86400;

/* Segment i of `stem` at NOW - age_days[i] days, 100 bytes each; odd ones
 * compressed-looking (.zst), so both kinds are covered. */
static void make(const char *dir, const char *stem, const int *age_days, size_t n)
{
    char name[256], body[101];
    memset(body, 'x', 99);
    body[99] = '\n';
    body[100] = '\0';
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(nlog__rot_format(name, sizeof name, stem, ".log",
                                          NOW - age_days[i] * DAY, (unsigned) i + 1),
                         0);
        if (i % 2)
            strcat(name, ".zst");
        rt_write_file(tu_path(dir, name), body);
    }
}

/* The ages (in days) of the segments left, newest last. */
static size_t ages(const char *dir, const char *stem, int *out)
{
    nlog__seg *segs;
    size_t n;
    assert_int_equal(nlog__rot_list(dir, stem, ".log", &segs, &n), 0);
    for (size_t i = 0; i < n; i++)
        out[i] = (int) ((NOW - segs[i].time_s) / DAY);
    free(segs);
    return n;
}

static const int AGES[] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}; /* oldest first */

static void by_count(void **state)
{
    (void) state;
    const char *dir = tu_scratch("count");
    make(dir, "netlink", AGES, 10);
    rt_write_file(tu_path(dir, "netlink.log"), "active\n");
    nlog__rot_policy pol = {.keep_files = 3};
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, NOW * RT_SEC, NULL, NULL), 0);
    int a[16];
    assert_int_equal(ages(dir, "netlink", a), 3);
    assert_int_equal(a[0], 2);
    assert_int_equal(a[2], 0);
    assert_true(rt_exists(tu_path(dir, "netlink.log"))); /* never the active file */
}

static void by_age(void **state)
{
    (void) state;
    const char *dir = tu_scratch("age");
    make(dir, "netlink", AGES, 10);
    nlog__rot_policy pol = {.keep_days = 5};
    /* fake "now": one second later than the segments' reference */
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, (NOW + 1) * RT_SEC, NULL, NULL), 0);
    int a[16];
    assert_int_equal(ages(dir, "netlink", a), 5); /* 4..0 days old; 5 days + 1 s is too old */
    assert_int_equal(a[0], 4);
    /* a day later, one more goes */
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, (NOW + DAY + 1) * RT_SEC, NULL, NULL), 0);
    assert_int_equal(ages(dir, "netlink", a), 4);
}

static void by_total_size(void **state)
{
    (void) state;
    const char *dir = tu_scratch("size");
    make(dir, "netlink", AGES, 10);
    nlog__rot_policy pol = {.keep_bytes = 350};
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, NOW * RT_SEC, NULL, NULL), 0);
    int a[16];
    assert_int_equal(ages(dir, "netlink", a), 3); /* 3 x 100 bytes fit in 350 */
    assert_int_equal(a[0], 2);
}

static void held_segment_is_kept(void **state)
{
    (void) state;
    const char *dir = tu_scratch("held");
    make(dir, "netlink", AGES, 10);
    nlog__seg *segs;
    size_t n;
    assert_int_equal(nlog__rot_list(dir, "netlink", ".log", &segs, &n), 0);
    assert_int_equal(segs[0].kind, NLOG__SEG_PLAIN);
    int fd = open(tu_path(dir, segs[0].name), O_WRONLY | O_APPEND);
    free(segs);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_SH), 0); /* a writer still appends to the oldest */
    nlog__rot_policy pol = {.keep_files = 2};
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, NOW * RT_SEC, NULL, NULL), 1);
    int a[16];
    assert_int_equal(ages(dir, "netlink", a), 3); /* the held one and the newest two */
    assert_int_equal(a[0], 9);
    close(fd);
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, NOW * RT_SEC, NULL, NULL), 0);
    assert_int_equal(ages(dir, "netlink", a), 2);
}

static void defaults_resolve(void **state)
{
    (void) state;
    nlog_config in, out;
    nlog_config_init(&in);
    in.use_environment = 0;
    assert_int_equal(nlog_config_resolve(&in, &out, NULL), NLOG_OK);
    assert_int_equal(out.max_file_size, 0);
    assert_int_equal(out.rotate, NLOG_ROTATE_NONE);
    assert_int_equal(out.compression, NLOG_COMPRESSION_ZSTD);
    assert_int_equal(out.retention_max_age_days, 30);
    assert_int_equal(out.security_retention_max_age_days, 365);
    assert_int_equal(out.audit_retention_max_age_days, 365);
    assert_int_equal(out.retention_max_files, 0);
    assert_int_equal(out.retention_max_total_size, 0);
    nlog_error err;
    assert_int_equal(nlog_config_set(&in, "retention_max_total_size", "10GB", &err), NLOG_OK);
    assert_int_equal(in.retention_max_total_size, 10LL * 1024 * 1024 * 1024);
    assert_int_equal(nlog_config_set(&in, "rotate", "Daily", &err), NLOG_OK);
    assert_int_equal(in.rotate, NLOG_ROTATE_DAILY);
    assert_int_equal(nlog_config_set(&in, "compression", "lz4", &err), NLOG_ECONFIG);
}

/* End to end with the default retention: segments left by an earlier run
 * are handled by the start-up pass of the background thread. */
static void defaults_end_to_end(void **state)
{
    (void) state;
    const char *dir = tu_scratch("defaults");
    static const int old[] = {400, 100, 40, 10};
    make(dir, "netlink", old, 4);
    make(dir, "security", old, 4);
    make(dir, "audit", old, 4);
    tu_clock_fake(NOW * RT_SEC, 1000 * RT_SEC);
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.max_file_size = 1024 * 1024;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("ret");
    assert_int_equal(nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "rec 0 0"), NLOG_OK);
    assert_int_equal(nlog_logf(lg, NLOG_LEVEL_SECURITY, NULL, "rec 0 1"), NLOG_OK);
    assert_int_equal(nlog_logf(lg, NLOG_LEVEL_AUDIT, NULL, "rec 0 2"), NLOG_OK);
    nlog__maint_test_wait_idle();
    assert_int_equal(nlog__maint_running(), 1);
    int a[16];
    assert_int_equal(ages(dir, "netlink", a), 1); /* 30 days */
    assert_int_equal(a[0], 10);
    assert_int_equal(ages(dir, "security", a), 3); /* 365 days */
    assert_int_equal(a[0], 100);
    assert_int_equal(ages(dir, "audit", a), 3);
    /* compression is on by default: what is left is compressed */
    assert_int_equal(rt_count_entries(dir, "security", ".log", NLOG__SEG_PLAIN), 0);
    nlog_shutdown();
    assert_int_equal(nlog__maint_running(), 0);
    tu_clock_real();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(by_count),
        cmocka_unit_test(by_age),
        cmocka_unit_test(by_total_size),
        cmocka_unit_test(held_segment_is_kept),
        cmocka_unit_test(defaults_resolve),
        cmocka_unit_test(defaults_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
