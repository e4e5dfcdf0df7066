/* test_compress.c: compression of rotated segments. zstd and gzip outputs
 * are read back with the real `zstd -d` and `gzip -d` tools; a segment a
 * writer holds is skipped; crash recovery (a leftover .tmp, both the
 * original and the complete compressed file); a failed or cancelled
 * compression keeps the original and leaves no .tmp; a failure is reported
 * once and counted. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink/compress.h"
#include "sink/retention.h"
#include "test_rotate_util.h"

static const char SEG[] = "netlink-20261124T010000Z-000001.log";

/* Writes a segment of n JSON lines; returns its text (caller frees). */
static char *make_segment(const char *dir, const char *name, int n)
{
    size_t cap = (size_t) n * 96 + 1, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    t[0] = '\0';
    for (int i = 0; i < n; i++)
        len += (size_t) snprintf(t + len, cap - len,
                                 "{\"message\":\"rec 0 %d\",\"pad\":\"%08x-%08x\"}\n", i,
                                 (unsigned) i * 2654435761u, (unsigned) i * 40503u);
    rt_write_file(tu_path(dir, name), t);
    return t;
}

static void round_trip(int algo, const char *sfx, int n)
{
    const char *dir = tu_scratch(sfx + 1);
    char *orig = make_segment(dir, SEG, n);
    int err = -1;
    assert_int_equal(nlog__compress_segment(dir, SEG, algo, NULL, &err), NLOG__COMPRESS_DONE);
    assert_int_equal(err, 0);
    char out[512];
    snprintf(out, sizeof out, "%s%s", SEG, sfx);
    assert_false(rt_exists(tu_path(dir, SEG)));
    snprintf(out, sizeof out, "%s%s.tmp", SEG, sfx);
    assert_false(rt_exists(tu_path(dir, out)));
    snprintf(out, sizeof out, "%s%s", SEG, sfx);
    size_t len;
    char *back = rt_read_any(tu_path(dir, out), &len); /* the real tool */
    assert_int_equal(len, strlen(orig));
    assert_memory_equal(back, orig, len);
    free(back);
    /* and the tool decompresses it to a file of its own, as an operator would */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' && cmp -s '%s' -", dir,
             algo == NLOG_COMPRESSION_GZIP ? "gzip -d -k -f" : "zstd -q -d -f", out, SEG);
    FILE *fp = popen(cmd, "w");
    assert_non_null(fp);
    fputs(orig, fp);
    assert_int_equal(pclose(fp), 0);
    free(orig);
}

static void zstd_output_reads_with_zstd(void **state)
{
    (void) state;
    round_trip(NLOG_COMPRESSION_ZSTD, ".zst", 20000); /* ~1 MB: several blocks */
}

static void gzip_output_reads_with_gzip(void **state)
{
    (void) state;
    round_trip(NLOG_COMPRESSION_GZIP, ".gz", 20000);
}

static void empty_segment(void **state)
{
    (void) state;
    round_trip(NLOG_COMPRESSION_ZSTD, ".zst", 0);
}

static void held_segment_is_skipped(void **state)
{
    (void) state;
    const char *dir = tu_scratch("held");
    free(make_segment(dir, SEG, 100));
    int fd = open(tu_path(dir, SEG), O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_SH), 0); /* what a writer holds */
    int err;
    assert_int_equal(nlog__compress_segment(dir, SEG, NLOG_COMPRESSION_ZSTD, NULL, &err),
                     NLOG__COMPRESS_BUSY);
    nlog__rot_policy pol = {.compress = 1};
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, 0, NULL, NULL), 1); /* retry */
    assert_true(rt_exists(tu_path(dir, SEG)));
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", -1), 1);
    close(fd);
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &pol, 0, NULL, NULL), 0);
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", NLOG__SEG_ZST), 1);
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", -1), 1);
}

/* A crash in the middle: a partial .tmp next to the original. */
static void recovery_leftover_tmp(void **state)
{
    (void) state;
    const char *dir = tu_scratch("tmp_left");
    char *orig = make_segment(dir, SEG, 500);
    char tmp[512], orphan[512];
    snprintf(tmp, sizeof tmp, "%s.zst.tmp", SEG);
    rt_write_file(tu_path(dir, tmp), "\x28\xb5\x2f\xfd garbage");
    snprintf(orphan, sizeof orphan, "netlink-20261124T000000Z-000001.log.gz.tmp");
    rt_write_file(tu_path(dir, orphan), "partial");
    nlog__rot_policy off = {0};
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &off, 0, NULL, NULL), 0);
    assert_false(rt_exists(tu_path(dir, tmp)));
    assert_false(rt_exists(tu_path(dir, orphan)));
    assert_true(rt_exists(tu_path(dir, SEG))); /* no compression asked: kept as is */
    nlog__rot_policy on = {.compress = 1};
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &on, 0, NULL, NULL), 0);
    rt_count c;
    rt_count_all(&c, dir, "netlink.log", 500, 1000);
    rt_assert_exactly_once(&c);
    assert_int_equal(c.compressed, 1);
    assert_int_equal(c.plain_segments, 0);
    free(c.seen);
    free(orig);
}

/* A crash after the rename, before the unlink: both exist; the original goes. */
static void recovery_both_present(void **state)
{
    (void) state;
    const char *dir = tu_scratch("both");
    free(make_segment(dir, SEG, 300));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && zstd -q -k '%s'", dir, SEG);
    assert_int_equal(system(cmd), 0);
    char zst[512];
    snprintf(zst, sizeof zst, "%s.zst", SEG);
    assert_true(rt_exists(tu_path(dir, zst)) && rt_exists(tu_path(dir, SEG)));
    nlog__rot_policy off = {0};
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &off, 0, NULL, NULL), 0);
    assert_false(rt_exists(tu_path(dir, SEG)));
    rt_count c;
    rt_count_all(&c, dir, "netlink.log", 300, 1000);
    rt_assert_exactly_once(&c);
    free(c.seen);
}

static nlog_counters counters(void)
{
    nlog_counters c = {.struct_size = sizeof c};
    assert_int_equal(nlog_stats(&c), NLOG_OK);
    return c;
}

/* The .tmp cannot be created (a directory is in its way): the original stays,
 * the failure is reported once for any number of passes and counted, and the
 * next pass after the cause goes compresses it. */
static void failed_compression_keeps_the_original(void **state)
{
    (void) state;
    const char *dir = tu_scratch("fail");
    char *orig = make_segment(dir, SEG, 200);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.zst.tmp", SEG);
    assert_int_equal(mkdir(tu_path(dir, tmp), 0700), 0);
    int err;
    assert_int_equal(nlog__compress_segment(dir, SEG, NLOG_COMPRESSION_ZSTD, NULL, &err),
                     NLOG__COMPRESS_FAILED);
    assert_int_equal(err, EISDIR);
    tu_diag_capture();
    nlog_counters before = counters();
    nlog__rot_policy on = {.compress = 1};
    int reported = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(nlog__maint_pass(dir, "netlink.log", &on, 0, NULL, &reported), 1);
    assert_int_equal(tu_diag_count(), 1);
    assert_int_equal(tu_diag_kind(0), NLOG_DIAG_OUTPUT_FAILED);
    assert_true(counters().output_errors >= before.output_errors + 3);
    size_t len;
    char *now = tu_read_file(tu_path(dir, SEG), &len);
    assert_string_equal(now, orig);
    free(now);
    assert_int_equal(rmdir(tu_path(dir, tmp)), 0);
    assert_int_equal(nlog__maint_pass(dir, "netlink.log", &on, 0, NULL, &reported), 0);
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", NLOG__SEG_ZST), 1);
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", -1), 1);
    tu_diag_reset();
    free(orig);
}

static void cancelled_compression_keeps_the_original(void **state)
{
    (void) state;
    const char *dir = tu_scratch("cancel");
    free(make_segment(dir, SEG, 200));
    int cancel = 1, err;
    assert_int_equal(nlog__compress_segment(dir, SEG, NLOG_COMPRESSION_GZIP, &cancel, &err),
                     NLOG__COMPRESS_CANCELLED);
    assert_true(rt_exists(tu_path(dir, SEG)));
    assert_int_equal(rt_count_entries(dir, "netlink", ".log", -1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zstd_output_reads_with_zstd),
        cmocka_unit_test(gzip_output_reads_with_gzip),
        cmocka_unit_test(empty_segment),
        cmocka_unit_test(held_segment_is_skipped),
        cmocka_unit_test(recovery_leftover_tmp),
        cmocka_unit_test(recovery_both_present),
        cmocka_unit_test(failed_compression_keeps_the_original),
        cmocka_unit_test(cancelled_compression_keeps_the_original),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
