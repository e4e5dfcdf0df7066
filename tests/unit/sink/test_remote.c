/* test_remote.c: the remote output without a server (src/sink/remote.c):
 * records logged while nothing listens at server_url end in the spool, not
 * in a blocked call; a full spool drops ordinary records and counts them,
 * and keeps SECURITY/AUDIT records (up to its extra room), never dropping
 * them silently. Delivery to a real nlogd is tested by
 * tests/integration/server/test_server.py (kill9, demo). */
#include <dirent.h>
#include <sys/stat.h>

#include "testutil.h"

static void setup(nlog_config *cfg, const char *dir, const char *cap)
{
    nlog_error err;
    tu_config(cfg, dir);
    cfg->file_enabled = 0;
    if (nlog_config_set(cfg, "server_url", "http://127.0.0.1:1", &err) != NLOG_OK ||
        nlog_config_set(cfg, "server_spool_max_size", cap, &err) != NLOG_OK ||
        nlog_config_set(cfg, "server_flush_interval_ms", "20", &err) != NLOG_OK)
        fail_msg("%s", err.message);
    assert_int_equal(nlog_init(cfg), NLOG_OK);
}

/* Records held by the spool now, by level, read from the batch headers. */
static void spool_records(const char *dir_in, uint64_t counts[NLOG_LEVEL_COUNT])
{
    char dir[1024]; /* tu_path() reuses its buffers */
    snprintf(dir, sizeof dir, "%s", dir_in);
    DIR *d = opendir(dir);
    memset(counts, 0, NLOG_LEVEL_COUNT * sizeof counts[0]);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n <= 6 || strcmp(de->d_name + n - 6, ".batch") != 0)
            continue;
        FILE *f = fopen(tu_path(dir, de->d_name), "rb");
        unsigned long long c[NLOG_LEVEL_COUNT];
        char id[40];
        assert_non_null(f);
        assert_int_equal(fscanf(f, "nlog-spool 1 %39s %llu %llu %llu %llu %llu %llu %llu %llu",
                                id, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7]),
                         9);
        fclose(f);
        for (int i = 0; i < NLOG_LEVEL_COUNT; i++)
            counts[i] += c[i];
    }
    closedir(d);
}

static long long spool_bytes(const char *dir_in, size_t *ret_files)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", dir_in);
    DIR *d = opendir(dir);
    long long total = 0;
    *ret_files = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 6 && strcmp(de->d_name + n - 6, ".batch") == 0) {
            struct stat st;
            if (stat(tu_path(dir, de->d_name), &st) == 0)
                total += st.st_size;
            (*ret_files)++;
        }
    }
    closedir(d);
    return total;
}

static nlog_counters counters(void)
{
    nlog_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    assert_int_equal(nlog_stats(&c), NLOG_OK);
    return c;
}

static void test_unreachable_server_spools(void **state)
{
    (void) state;
    const char *dir = tu_scratch("remote_spool");
    char logs[1024];
    snprintf(logs, sizeof logs, "%s", dir);
    nlog_config cfg;
    tu_diag_capture();
    nlog_counters before = counters();
    setup(&cfg, logs, "64MB");
    nlog_logger *lg = nlog_get_logger("remote.test");
    for (int i = 0; i < 20000; i++)
        NLOG_INFO(lg, "record", NLOG_CTX("i", i));
    NLOG_SECURITY(lg, "login failed", NLOG_META("user_id", "u1"));
    assert_int_equal(nlog_flush(), NLOG_OK); /* returns once spooled */
    nlog_shutdown();
    nlog_counters c = counters();
    assert_int_equal(c.remote_spooled - before.remote_spooled, 20001);
    assert_int_equal(c.remote_sent - before.remote_sent, 0);
    assert_true(c.remote_retries > before.remote_retries);
    size_t files;
    assert_true(spool_bytes(tu_path(logs, "spool"), &files) > 0);
    assert_true(files > 0);
    assert_true(tu_diag_contains("cannot deliver to http://127.0.0.1:1"));
    tu_diag_reset();
}

static void test_full_spool_counts_and_protects(void **state)
{
    (void) state;
    const char *dir = tu_scratch("remote_full");
    char logs[1024];
    snprintf(logs, sizeof logs, "%s", dir);
    nlog_config cfg;
    tu_diag_capture();
    nlog_counters before = counters();
    setup(&cfg, logs, "1MB");
    nlog_logger *lg = nlog_get_logger("remote.full");
    char msg[200];
    unsigned x = 1;
    size_t sec = 0;
    for (int i = 0; i < 120000; i++) {
        for (int k = 0; k < 12; k++) { /* poorly compressible text */
            x = x * 1103515245u + 12345u;
            snprintf(msg + k * 8, sizeof msg - (size_t) k * 8, "%08x", x);
        }
        if (i % 500 == 0) {
            NLOG_SECURITY(lg, "security event", NLOG_META("payload", msg));
            sec++;
        } else {
            NLOG_INFO(lg, "ordinary", NLOG_META("payload", msg));
        }
    }
    nlog_shutdown();
    nlog_counters c = counters();
    uint64_t dropped = 0;
    for (int l = 0; l < NLOG_LEVEL_COUNT; l++)
        dropped += c.dropped[l] - before.dropped[l];
    uint64_t lost_sec = c.dropped[nlog_level_index(NLOG_LEVEL_SECURITY)] -
                        before.dropped[nlog_level_index(NLOG_LEVEL_SECURITY)];
    assert_true(dropped > 0);   /* the cap was reached: ordinary records dropped, counted */
    assert_int_equal(lost_sec, 0); /* SECURITY is never counted as dropped... */
    /* Every record is in the spool, or counted: ordinary ones as dropped,
     * SECURITY ones (past twice the cap) as failed. */
    uint64_t held[NLOG_LEVEL_COUNT], held_all = 0;
    spool_records(tu_path(logs, "spool"), held);
    for (int l = 0; l < NLOG_LEVEL_COUNT; l++)
        held_all += held[l];
    uint64_t failed = c.records_failed - before.records_failed;
    assert_int_equal(held_all + dropped + failed, 120000);
    assert_int_equal(held[nlog_level_index(NLOG_LEVEL_SECURITY)] + failed, sec);
    size_t files;
    long long bytes = spool_bytes(tu_path(logs, "spool"), &files);
    assert_true(bytes <= 2 * 1048576);
    assert_true(tu_diag_contains("the spool is full"));
    tu_diag_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreachable_server_spools),
        cmocka_unit_test(test_full_spool_counts_and_protects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
