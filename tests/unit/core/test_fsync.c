/* test_fsync.c: the fsync policies (never, interval with an injected clock,
 * always, close) and audit_sync: an AUDIT call in async mode returns only
 * after its record is written and synced. */
#include <string.h>

#include "async/async.h"
#include "core/pipeline.h"
#include "testutil.h"

static const int64_t MS = 1000000LL;

static uint64_t syncs(void)
{
    return __atomic_load_n(&nlog__pipeline_syncs, __ATOMIC_RELAXED);
}

static void init_with(const char *name, const char *mode, const char *async)
{
    nlog_config cfg;
    tu_config(&cfg, tu_scratch(name));
    nlog_error err;
    assert_int_equal(nlog_config_set(&cfg, "fsync", mode, &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "fsync_interval_ms", "100", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "async", async, &err), NLOG_OK);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
}

static void never_syncs(void **state)
{
    (void) state;
    init_with("fsync_never", "never", "false");
    uint64_t before = syncs();
    for (int i = 0; i < 20; i++)
        nlog_info(nlog_get_logger("s"), "r %d", i);
    nlog_shutdown();
    assert_int_equal(syncs(), before);
}

static void always_syncs_every_write_and_close(void **state)
{
    (void) state;
    init_with("fsync_always", "always", "false");
    uint64_t before = syncs();
    for (int i = 0; i < 20; i++)
        nlog_info(nlog_get_logger("s"), "r %d", i);
    assert_int_equal(syncs() - before, 20);
    nlog_shutdown();
    assert_int_equal(syncs() - before, 21); /* and once at close */
}

static void interval_syncs_at_most_once_per_interval(void **state)
{
    (void) state;
    tu_clock_fake(1700000000000 * MS, 1000000 * MS);
    init_with("fsync_interval", "interval", "false");
    uint64_t before = syncs();
    nlog_logger *lg = nlog_get_logger("s");
    for (int i = 0; i < 50; i++)
        nlog_info(lg, "burst %d", i);
    assert_int_equal(syncs() - before, 1); /* the first write was due at once */
    tu_clock_advance(99 * MS);
    nlog_info(lg, "still within the interval");
    assert_int_equal(syncs() - before, 1);
    tu_clock_advance(1 * MS);
    nlog_info(lg, "interval over");
    assert_int_equal(syncs() - before, 2);
    nlog_shutdown();
    tu_clock_real();
}

static void audit_sync_returns_after_durable(void **state)
{
    (void) state;
    const char *dir = tu_scratch("audit_sync");
    nlog_config cfg;
    tu_config(&cfg, dir);
    nlog_error err;
    assert_int_equal(nlog_config_set(&cfg, "async", "true", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "audit_sync", "true", &err), NLOG_OK);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("audit");
    for (int i = 0; i < 10; i++)
        NLOG_INFO(lg, "not synced by itself", NLOG_CTX("i", i));
    uint64_t before = syncs();
    NLOG_AUDIT(lg, "who did what", NLOG_CTX("actor", "admin"));
    /* no nlog_flush(): the call itself waited for write + fsync */
    assert_true(syncs() > before);
    assert_int_equal(tu_assert_json_lines(tu_path(dir, "audit.log")), 1);
    assert_int_equal(tu_assert_json_lines(tu_path(dir, "netlink.log")), 11);
    nlog_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(never_syncs),
        cmocka_unit_test(always_syncs_every_write_and_close),
        cmocka_unit_test(interval_syncs_at_most_once_per_interval),
        cmocka_unit_test(audit_sync_returns_after_durable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
