/* test_procparse.c: the pure /proc parsers and counter arithmetic
 * (src/perf/procparse.c) against the fixture files in tests/data/proc/,
 * odd ones included: a process name with spaces and parentheses, kernels
 * without MemAvailable or iowait, interfaces glued to their colon, a cut
 * last line, counters beyond 64 bits (saturated: unknown), 32-bit wraps
 * (32-bit kernels only) and resets, a decreasing iowait, and statvfs values
 * that are zero, inconsistent or huge. */
#include <math.h>
#include <string.h>

#include "testutil.h"

#include "perf/procparse.h"
#include "platform/sysinfo.h"

static char *fixture(const char *rel, size_t *len)
{
    const char *src = getenv("NLOG_TEST_SRC");
    assert_non_null(src);
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/proc/%s", src, rel);
    char *t = tu_read_file(path, len);
    if (!t)
        fail_msg("cannot read fixture %s", path);
    return t;
}

static void test_proc_stat(void **state)
{
    (void) state;
    size_t len;
    char *t = fixture("basic_a/proc/stat", &len);
    nlog__cpu_times a, b;
    nlog__parse_proc_stat_cpu(t, len, &a);
    free(t);
    assert_true(a.have);
    assert_int_equal(a.user, 1000);
    assert_int_equal(a.system, 500);
    assert_int_equal(a.idle, 8000);
    assert_int_equal(a.iowait, 100);
    t = fixture("basic_b/proc/stat", &len);
    nlog__parse_proc_stat_cpu(t, len, &b);
    free(t);
    /* +600 user, +300 system, +400 idle, +100 iowait: 900 busy of 1400 */
    assert_true(fabs(nlog__cpu_percent(&a, &b) - 100.0 * 900 / 1400) < 1e-9);
    assert_true(nlog__cpu_percent(&b, &a) < 0); /* backwards: no figure */
    assert_true(nlog__cpu_percent(&a, &a) < 0); /* no time passed */

    t = fixture("odd/stat_old_kernel", &len); /* four fields only */
    nlog__parse_proc_stat_cpu(t, len, &a);
    free(t);
    assert_true(a.have);
    assert_int_equal(a.idle, 40);
    assert_int_equal(a.iowait, 0);
    t = fixture("odd/stat_no_cpu", &len); /* per-CPU lines are not the total */
    nlog__parse_proc_stat_cpu(t, len, &a);
    free(t);
    assert_false(a.have);

    /* iowait may go down (proc(5)): its delta counts as 0, the figure stays:
     * +300 user, +100 system, +20 idle, -50 iowait: 400 busy of 420 */
    t = fixture("odd/stat_iowait_a", &len);
    nlog__parse_proc_stat_cpu(t, len, &a);
    free(t);
    t = fixture("odd/stat_iowait_b", &len);
    nlog__parse_proc_stat_cpu(t, len, &b);
    free(t);
    assert_true(a.have && b.have && b.iowait < a.iowait);
    assert_true(fabs(nlog__cpu_percent(&a, &b) - 100.0 * 400 / 420) < 1e-9);
    /* any other counter going down (CPUs went offline): no figure */
    t = fixture("odd/stat_offline_b", &len);
    nlog__parse_proc_stat_cpu(t, len, &b);
    free(t);
    assert_true(nlog__cpu_percent(&a, &b) < 0);
}

static void test_self_stat_and_status(void **state)
{
    (void) state;
    size_t len;
    nlog__proc_stat s;
    char *t = fixture("basic_a/proc/self/stat", &len);
    nlog__parse_proc_self_stat(t, len, &s);
    free(t);
    assert_true(s.have);
    assert_int_equal(s.utime, 250);
    assert_int_equal(s.stime, 50);
    assert_int_equal(s.threads, 5);
    assert_int_equal(s.rss_pages, 2500);
    t = fixture("odd/self_stat_comm", &len); /* "(a) b (c) )": fields follow the last ')' */
    nlog__parse_proc_self_stat(t, len, &s);
    free(t);
    assert_true(s.have);
    assert_int_equal(s.utime, 12);
    assert_int_equal(s.stime, 34);
    assert_int_equal(s.threads, 3);
    assert_int_equal(s.rss_pages, 77);
    t = fixture("odd/self_stat_short", &len);
    nlog__parse_proc_self_stat(t, len, &s);
    free(t);
    assert_false(s.have);
    nlog__parse_proc_self_stat("no parens at all", 16, &s);
    assert_false(s.have);

    nlog__proc_status st;
    t = fixture("basic_a/proc/self/status", &len);
    nlog__parse_proc_status(t, len, &st);
    free(t);
    assert_true(st.have_rss && st.have_threads);
    assert_int_equal(st.rss_bytes, 10240 * 1024);
    assert_int_equal(st.threads, 5);
}

static void test_meminfo_loadavg(void **state)
{
    (void) state;
    size_t len;
    nlog__meminfo m;
    char *t = fixture("basic_a/proc/meminfo", &len);
    nlog__parse_meminfo(t, len, &m);
    free(t);
    assert_true(m.have_total && m.have_available);
    assert_int_equal(m.total, 16384000ull * 1024);
    assert_int_equal(m.available, 8192000ull * 1024);
    t = fixture("odd/meminfo_old", &len); /* before Linux 3.14: free + buffers + cached */
    nlog__parse_meminfo(t, len, &m);
    free(t);
    assert_false(m.have_available);
    assert_int_equal(m.available, 350ull * 1024);
    t = fixture("odd/meminfo_nonsense", &len); /* the estimate never exceeds the total */
    nlog__parse_meminfo(t, len, &m);
    free(t);
    assert_int_equal(m.available, m.total);

    double l[3];
    t = fixture("basic_b/proc/loadavg", &len);
    assert_int_equal(nlog__parse_loadavg(t, len, l), 1);
    free(t);
    assert_true(fabs(l[0] - 1.25) < 1e-12 && fabs(l[1] - 0.80) < 1e-12 && fabs(l[2] - 0.65) < 1e-12);
    t = fixture("odd/loadavg_fractions", &len);
    assert_int_equal(nlog__parse_loadavg(t, len, l), 1);
    free(t);
    assert_true(fabs(l[0] - 12.345) < 1e-12 && fabs(l[1] - 0.005) < 1e-12 && fabs(l[2] - 100.5) < 1e-12);
    t = fixture("odd/loadavg_garbage", &len);
    assert_int_equal(nlog__parse_loadavg(t, len, l), 0);
    free(t);
}

static void test_diskstats(void **state)
{
    (void) state;
    size_t len;
    nlog__disk d[8];
    char *t = fixture("basic_a/proc/diskstats", &len);
    size_t n = nlog__parse_diskstats(t, len, d, 8);
    free(t);
    assert_int_equal(n, 4);
    assert_string_equal(d[0].name, "sda");
    assert_int_equal(d[0].major, 8);
    assert_int_equal(d[0].reads, 1000);
    assert_int_equal(d[0].read_sectors, 20000);
    assert_int_equal(d[0].writes, 2000);
    assert_int_equal(d[0].write_sectors, 40000);
    assert_string_equal(d[3].name, "vda"); /* an old kernel's 14-field line */
    assert_int_equal(d[3].write_sectors, 12000);
    t = fixture("odd/diskstats_kernel_5_5", &len); /* 20 fields: discard and flush stats */
    n = nlog__parse_diskstats(t, len, d, 8);
    free(t);
    assert_int_equal(n, 2);
    assert_string_equal(d[1].name, "nvme0n1");
    assert_int_equal(d[1].write_sectors, 1600);
    assert_int_equal(nlog__parse_diskstats(t = fixture("basic_a/proc/diskstats", &len), len, d, 2),
                     2); /* bounded by the caller's array */
    free(t);
}

static void test_net_dev(void **state)
{
    (void) state;
    size_t len;
    nlog__netif f[8];
    char *t = fixture("basic_a/proc/net/dev", &len);
    size_t n = nlog__parse_net_dev(t, len, f, 8);
    free(t);
    assert_int_equal(n, 3);
    assert_string_equal(f[1].name, "eth0");
    assert_int_equal(f[1].rx_bytes, 5000000);
    assert_int_equal(f[1].rx_packets, 40000);
    assert_int_equal(f[1].rx_errors, 2);
    assert_int_equal(f[1].tx_bytes, 3000000);
    assert_int_equal(f[1].tx_packets, 20000);
    t = fixture("odd/net_dev_tight", &len); /* "wlan0:123..." with no blank after the colon */
    n = nlog__parse_net_dev(t, len, f, 8);
    free(t);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].name, "wlan0");
    assert_int_equal(f[0].rx_bytes, 123456789012ull);
    assert_int_equal(f[0].tx_bytes, 987654321098ull);
    t = fixture("odd/net_dev_truncated", &len); /* a cut last line is skipped */
    n = nlog__parse_net_dev(t, len, f, 8);
    free(t);
    assert_int_equal(n, 1);
    t = fixture("odd/net_dev_no_interfaces", &len);
    assert_int_equal(nlog__parse_net_dev(t, len, f, 8), 0);
    free(t);
    t = fixture("wrap_a/proc/net/dev", &len); /* beyond 64 bits saturates */
    n = nlog__parse_net_dev(t, len, f, 8);
    free(t);
    assert_int_equal(n, 3);
    assert_true(f[2].rx_bytes == UINT64_MAX);
    assert_true(f[0].tx_bytes == 18446744073709551000ull);
}

static void test_counter_delta(void **state)
{
    (void) state;
    int unknown;
    for (int bits = 32; bits <= 64; bits += 32) {
        assert_int_equal(nlog__counter_delta(100, 250, bits, &unknown), 150);
        assert_false(unknown);
        /* a small counter went down: a reset, not a wrap */
        assert_int_equal(nlog__counter_delta(1000, 10, bits, &unknown), 0);
        assert_true(unknown);
        /* a 64-bit counter went down: reset, no figure */
        assert_int_equal(nlog__counter_delta(99999999999ull, 500, bits, &unknown), 0);
        assert_true(unknown);
        /* huge 64-bit values */
        assert_int_equal(nlog__counter_delta(18446744073709551000ull, 18446744073709551610ull,
                                             bits, &unknown),
                         610);
        assert_false(unknown);
        /* saturated (the text had more than 64 bits): unknown, not 0 */
        assert_int_equal(nlog__counter_delta(UINT64_MAX, UINT64_MAX, bits, &unknown), 0);
        assert_true(unknown);
        assert_int_equal(nlog__counter_delta(5, UINT64_MAX, bits, &unknown), 0);
        assert_true(unknown);
        assert_int_equal(nlog__counter_delta(UINT64_MAX, 5, bits, &unknown), 0);
        assert_true(unknown);
    }
    /* a 32-bit counter near its end wrapped — on a 32-bit kernel */
    assert_int_equal(nlog__counter_delta(4294960000u, 2704, 32, &unknown), 10000);
    assert_false(unknown);
    assert_int_equal(nlog__counter_delta(UINT32_MAX, 0, 32, &unknown), 1);
    assert_false(unknown);
    /* on a 64-bit kernel the same drop is a reset (a re-created interface),
     * not a 4 GiB spike */
    assert_int_equal(nlog__counter_delta(4294960000u, 2704, 64, &unknown), 0);
    assert_true(unknown);
    assert_int_equal(nlog__counter_delta(UINT32_MAX, 0, 64, &unknown), 0);
    assert_true(unknown);
    /* the platform's width: 64 here unless the kernel is 32-bit */
    int bits = nlog__sys_counter_bits();
    assert_true(bits == 32 || bits == 64);
    if (sizeof(long) == 8)
        assert_int_equal(bits, 64);
}

static void test_statvfs_cases(void **state)
{
    (void) state;
    size_t len;
    char *t = fixture("statvfs_cases.txt", &len);
    int cases = 0;
    char *save = NULL;
    for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        unsigned long long fr, bs, bl, bf, ba, tot, fre, av;
        double pct;
        int have;
        if (sscanf(line, "%llu %llu %llu %llu %llu | %llu %llu %llu %lf %d", &fr, &bs, &bl, &bf,
                   &ba, &tot, &fre, &av, &pct, &have) != 10)
            fail_msg("bad fixture line: %s", line);
        nlog__fs_usage u;
        nlog__fs_usage_from(fr, bs, bl, bf, ba, &u);
        if (u.have != have || u.total != tot || u.free != fre || u.available != av ||
            fabs(u.used_percent - pct) > 1e-9)
            fail_msg("%s: got total %llu free %llu avail %llu used %.17g have %d", line,
                     (unsigned long long) u.total, (unsigned long long) u.free,
                     (unsigned long long) u.available, u.used_percent, u.have);
        cases++;
    }
    free(t);
    assert_int_equal(cases, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proc_stat),
        cmocka_unit_test(test_self_stat_and_status),
        cmocka_unit_test(test_meminfo_loadavg),
        cmocka_unit_test(test_diskstats),
        cmocka_unit_test(test_net_dev),
        cmocka_unit_test(test_counter_delta),
        cmocka_unit_test(test_statvfs_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
