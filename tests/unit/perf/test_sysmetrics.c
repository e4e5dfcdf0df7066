/* test_sysmetrics.c: the system collector (src/perf/sysmetrics.c) over
 * fixture trees (tests/data/proc/<case>/ with proc/ and sys/block/), and
 * through the library with performance_enabled and the fake clock: the
 * first collection is a baseline, the next one gives rates; a vanished or
 * new interface gives none; 32-bit wraps are measured across 2^32 (on
 * 32-bit kernels), resets and saturated counters give no figure; missing
 * files are counted, not fatal; the collector runs on its own thread, so a
 * blocked read never holds the aggregation. */
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "perf_util.h"

#include "perf/engine.h"
#include "perf/sysmetrics.h"
#include "platform/sysinfo.h"

static void set_fixture(const char *name)
{
    char root[4096];
    snprintf(root, sizeof root, "%s/tests/data/proc/%s", getenv("NLOG_TEST_SRC"), name);
    nlog__sys_set_root(root);
}

static double val(const nlog__sysm_out *o, const char *name, const char *tag)
{
    const nlog__sysval *v = nlog__sysm_find(o, name, tag);
    if (!v)
        fail_msg("no %s%s%s", name, tag ? " for " : "", tag ? tag : "");
    return v->value;
}

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-9 * (fabs(want) > 1 ? fabs(want) : 1))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void test_two_snapshots(void **state)
{
    (void) state;
    const char *dir = tu_scratch("sysm");
    nlog__sysm *s = nlog__sysm_create();
    assert_non_null(s);
    nlog__sysm_out o = {0};
    set_fixture("basic_a");
    assert_int_equal(nlog__sysm_collect(s, dir, 0, &o), 0);
    /* a baseline: levels but no rates */
    assert_null(nlog__sysm_find(&o, "cpu_usage", NULL));
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", NULL));
    near(val(&o, "memory_usage", NULL), 50);
    near(val(&o, "process_open_fds", NULL), 4);
    nlog__sysm_out_free(&o);

    set_fixture("basic_b");
    assert_int_equal(nlog__sysm_collect(s, dir, 30 * PU_S, &o), 0);
    near(val(&o, "cpu_usage", NULL), 100.0 * 900 / 1400);
    near(val(&o, "process_cpu_usage", NULL), 100.0 * 200 / (double) nlog__sys_clock_ticks() / 30);
    near(val(&o, "load_average_1m", NULL), 1.25);
    near(val(&o, "load_average_5m", NULL), 0.80);
    near(val(&o, "load_average_15m", NULL), 0.65);
    near(val(&o, "memory_total", NULL), 16384000.0 * 1024);
    near(val(&o, "memory_available", NULL), 8192000.0 * 1024);
    near(val(&o, "memory_usage", NULL), 50);
    near(val(&o, "process_memory_rss", NULL), 12288.0 * 1024);
    near(val(&o, "process_threads", NULL), 7);
    near(val(&o, "process_open_fds", NULL), 6);
    /* disk space of the real file system under the scratch directory */
    assert_true(val(&o, "disk_total", NULL) > 0);
    double used = val(&o, "disk_usage", NULL);
    assert_true(used >= 0 && used <= 100);
    /* whole disks only: sda and vda; not sda1 (a partition), not loop0 */
    near(val(&o, "disk_read_bytes_per_second", "sda"), 6000.0 * 512 / 30);
    near(val(&o, "disk_write_bytes_per_second", "sda"), 12000.0 * 512 / 30);
    near(val(&o, "disk_read_ops_per_second", "sda"), 10);
    near(val(&o, "disk_write_ops_per_second", "sda"), 20);
    near(val(&o, "disk_write_ops_per_second", "vda"), 0);
    assert_null(nlog__sysm_find(&o, "disk_read_ops_per_second", "sda1"));
    assert_null(nlog__sysm_find(&o, "disk_read_ops_per_second", "loop0"));
    /* interfaces */
    near(val(&o, "network_receive_bytes_per_second", "lo"), 1000);
    near(val(&o, "network_receive_bytes_per_second", "eth0"), 100000);
    near(val(&o, "network_transmit_bytes_per_second", "eth0"), 20000);
    near(val(&o, "network_receive_packets_per_second", "eth0"), 200);
    near(val(&o, "network_transmit_packets_per_second", "eth0"), 100);
    near(val(&o, "network_receive_errors", "eth0"), 3);
    near(val(&o, "network_transmit_errors", "eth0"), 0);
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", "docker0")); /* gone */
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", "wg0"));     /* new */
    nlog__sysm_out_free(&o);
    nlog__sysm_destroy(s);
    nlog__sys_set_root(NULL);
}

static void test_wraps_and_resets(void **state)
{
    (void) state;
    nlog__sysm_out o = {0};
    /* a 64-bit kernel: a counter that went down was reset (eth0's receive
     * counters were re-created), which gives no figure rather than a spike */
    nlog__sysm *s = nlog__sysm_create();
    nlog__sysm_set_counter_bits(s, 64);
    set_fixture("wrap_a");
    (void) nlog__sysm_collect(s, tu_scratch("sysm"), 0, &o);
    nlog__sysm_out_free(&o);
    set_fixture("wrap_b");
    (void) nlog__sysm_collect(s, tu_scratch("sysm"), 10 * PU_S, &o);
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", "eth0")); /* reset */
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", "eth1")); /* reset */
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", "eth2")); /* saturated */
    assert_null(nlog__sysm_find(&o, "disk_read_ops_per_second", "sda"));           /* reset */
    assert_null(nlog__sysm_find(&o, "cpu_usage", NULL)); /* no CPU tick passed: no figure */
    nlog__sysm_out_free(&o);
    nlog__sysm_destroy(s);

    /* a 32-bit kernel: the same drop near 2^32 is a wrap */
    s = nlog__sysm_create();
    nlog__sysm_set_counter_bits(s, 32);
    set_fixture("wrap_a");
    (void) nlog__sysm_collect(s, tu_scratch("sysm"), 0, &o);
    nlog__sysm_out_free(&o);
    set_fixture("wrap_b");
    (void) nlog__sysm_collect(s, tu_scratch("sysm"), 10 * PU_S, &o);
    near(val(&o, "network_receive_bytes_per_second", "eth0"), 1000);  /* 32-bit wrap */
    near(val(&o, "network_receive_packets_per_second", "eth0"), 129.6);
    near(val(&o, "network_transmit_bytes_per_second", "eth0"), 61.4); /* near 2^64 */
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", "eth1")); /* reset */
    /* saturated both times: the values are unknown, so is the rate (not 0) */
    assert_null(nlog__sysm_find(&o, "network_receive_bytes_per_second", "eth2"));
    nlog__sysm_out_free(&o);
    nlog__sysm_destroy(s);
    nlog__sys_set_root(NULL);
}

static void test_missing_files(void **state)
{
    (void) state;
    nlog__sys_set_root(tu_scratch("empty_root"));
    nlog__sysm *s = nlog__sysm_create();
    nlog__sysm_out o = {0};
    int errors = nlog__sysm_collect(s, "/nonexistent/deeply/nested", 0, &o);
    assert_true(errors >= 7); /* stat, self/stat, loadavg, meminfo, status, fds, diskstats, net */
    /* the nearest existing directory above the log directory still gives the space */
    assert_non_null(nlog__sysm_find(&o, "disk_usage", NULL));
    nlog__sysm_out_free(&o);
    nlog__sysm_destroy(s);
    nlog__sys_set_root(NULL);
}

/* performance_enabled: a baseline at start, then a collection every
 * performance_interval seconds of the (fake) monotonic clock, as records
 * and as series. */
static void test_through_the_library(void **state)
{
    (void) state;
    const char *dir = tu_scratch("sysm_lib");
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.performance_enabled = 1;
    cfg.performance_interval = 30;
    set_fixture("basic_a");
    nlog_perf_counters before = pu_counters();
    pu_start(dir, &cfg);
    assert_int_equal(nlog__perf_test_collect_sync(), NLOG_OK); /* the baseline */
    set_fixture("basic_b");
    tu_clock_advance(29 * PU_S);
    assert_int_equal(nlog__perf_test_collect_sync(), NLOG_OK); /* not due yet */
    assert_int_equal(pu_counters().collections - before.collections, 0);
    tu_clock_advance(PU_S);
    assert_int_equal(nlog__perf_test_collect_sync(), NLOG_OK);
    nlog_perf_counters c = pu_counters();
    assert_int_equal(c.collections - before.collections, 1);

    json_object *r[16];
    size_t n = pu_records(dir, "performance", r, 16);
    assert_true(n >= 4); /* system metrics, disk I/O sda + vda, network I/O lo + eth0 */
    assert_string_equal(pu_str(r[0], "message"), "system metrics");
    near(pu_num(r[0], "performance_data.cpu_usage"), 100.0 * 900 / 1400);
    near(pu_num(r[0], "performance_data.memory_usage"), 50);
    near(pu_num(r[0], "performance_data.load_average_1m"), 1.25);
    int disk = 0, net = 0;
    for (size_t i = 1; i < n; i++) {
        const char *msg = pu_str(r[i], "message");
        if (strcmp(msg, "disk I/O") == 0 && strcmp(pu_str(r[i], "context.device"), "sda") == 0) {
            near(pu_num(r[i], "performance_data.disk_read_bytes_per_second"), 102400);
            disk = 1;
        }
        if (strcmp(msg, "network I/O") == 0 &&
            strcmp(pu_str(r[i], "context.interface"), "eth0") == 0) {
            near(pu_num(r[i], "performance_data.network_receive_bytes_per_second"), 100000);
            net = 1;
        }
    }
    assert_true(disk && net);
    pu_put_all(r, n);
    /* the same values are series: queries and alerts see them */
    nlog_perf_summary s = pu_summary("cpu_usage", NULL, 0, PU_MIN, NULL);
    assert_int_equal(s.count, 1);
    near(s.max, 100.0 * 900 / 1400);
    nlog_tag eth0[] = {{"interface", "eth0"}};
    s = pu_summary("network_transmit_bytes_per_second", eth0, 1, PU_MIN, NULL);
    near(s.max, 20000);

    /* the next one is due a whole interval later */
    tu_clock_advance(30 * PU_S);
    assert_int_equal(nlog__perf_test_collect_sync(), NLOG_OK);
    assert_int_equal(pu_counters().collections - before.collections, 2);
    nlog_shutdown();
    nlog__sys_set_root(NULL);
    tu_clock_real();
}

/* A read that blocks (here /proc/stat is a FIFO nobody writes, as a hung
 * NFS statvfs() would) holds only the collector's own thread: samples are
 * still aggregated and flushed; a shutdown during a blocked collection
 * returns (the thread is abandoned after a bounded wait and frees itself). */
static void release_fifo(const char *fifo, const char *root)
{
    /* O_RDWR never blocks on a FIFO and counts as a writer: a reader blocked
     * in open() goes on; the regular file replaces the FIFO for later ones */
    int fd = open(fifo, O_RDWR | O_NONBLOCK);
    char plain[4096];
    snprintf(plain, sizeof plain, "%s/stat.plain", root);
    FILE *f = fopen(plain, "w");
    assert_non_null(f);
    fputs("cpu  10 0 10 100 0 0 0 0 0 0\n", f);
    fclose(f);
    assert_int_equal(rename(plain, fifo), 0);
    if (fd >= 0) {
        const char line[] = "cpu  10 0 10 100 0 0 0 0 0 0\n";
        assert_int_equal(write(fd, line, sizeof line - 1), (ssize_t) (sizeof line - 1));
        close(fd);
    }
}

static void test_blocked_read_does_not_hold_aggregation(void **state)
{
    (void) state;
    char root[2048], procdir[4096], fifo[4096];
    snprintf(root, sizeof root, "%s", tu_scratch("sysm_fifo"));
    snprintf(procdir, sizeof procdir, "%s/proc", root);
    snprintf(fifo, sizeof fifo, "%s/proc/stat", root);
    (void) mkdir(procdir, 0755);
    (void) unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    nlog__sys_set_root(root);
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.performance_enabled = 1; /* the baseline blocks on the FIFO at once */
    cfg.performance_interval = 30;
    cfg.performance_record_every = 0;
    pu_start(NULL, &cfg);
    for (int i = 0; i < 100; i++)
        assert_int_equal(nlog_record_metric("still_aggregated", i, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    assert_int_equal(pu_summary("still_aggregated", NULL, 0, PU_MIN, NULL).count, 100);
    release_fifo(fifo, root);
    assert_int_equal(nlog__perf_test_collect_sync(), NLOG_OK);

    /* blocked again when the first collection is due, then shut down */
    (void) unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    tu_clock_advance(30 * PU_S);
    assert_int_equal(nlog_record_metric("still_aggregated", 1, NULL), NLOG_OK);
    assert_int_equal(nlog_perf_flush(), NLOG_OK);
    nlog_shutdown();
    release_fifo(fifo, root);
    nlog__sys_set_root(NULL);
    tu_clock_real();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_snapshots),
        cmocka_unit_test(test_wraps_and_resets),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_through_the_library),
        cmocka_unit_test(test_blocked_read_does_not_hold_aggregation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
