/* test_security_audit.c: audit records carry user, event type, time,
 * outcome, origin and resource (PCI DSS 10.2.2) and go to audit.log and
 * netlink.log, never to security.log; a record missing a required value is
 * still written; audit_sync makes the call durable in both modes; and the
 * library audits its own start, reconfiguration (accepted and refused),
 * level changes and stop. */
#include <unistd.h>

#include "sec_testutil.h"

#include "core/pipeline.h"

static const char *dir;

static void start(int async, int audit_sync, int lifecycle)
{
    nlog_config c;
    tu_config(&c, dir);
    c.async = async;
    c.audit_sync = audit_sync;
    c.audit_lifecycle = lifecycle;
    assert_int_equal(nlog_init(&c), NLOG_OK);
}

static void assert_pci_fields(json_object *r)
{
    const char *keys[] = {"context.user_id", "context.event_type", "context.outcome",
                          "context.origin", "context.resource", "context.action", "timestamp"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = sec_str(r, keys[i]);
        if (!v || !*v)
            fail_msg("audit record without %s: %s", keys[i], json_object_to_json_string(r));
    }
    assert_string_equal(sec_str(r, "level"), "AUDIT");
    assert_string_equal(sec_str(r, "category"), "audit");
    const char *o = sec_str(r, "context.outcome");
    assert_true(strcmp(o, "success") == 0 || strcmp(o, "failure") == 0 || strcmp(o, "unknown") == 0);
}

static void audit_records_carry_the_pci_fields(void **state)
{
    (void) state;
    dir = tu_scratch("audit_fields");
    start(0, 0, 0);
    assert_int_equal(NLOG_AUDIT_EVENT("alice", "user.delete", "users/42", NLOG_OUTCOME_SUCCESS,
                                      NLOG_META("reason", "closed"), NLOG_CTX("ticket", 17)),
                     NLOG_OK);
    nlog_audit_entry e = {.actor = "svc-backup", .action = "db.dump", .resource = "db/main",
                          .outcome = NLOG_OUTCOME_FAILURE, .origin = "10.0.0.5",
                          .event_type = "DATA_EXPORT", .timestamp_ns = SEC_T0};
    assert_int_equal(nlog_audit_log(&e), NLOG_OK);
    /* missing values: written as "unknown", and the caller is told */
    assert_int_equal(nlog_audit(NULL, "x.y", "", NLOG_OUTCOME_UNKNOWN, NULL, 0), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "without actor"));
    assert_int_equal(nlog_audit_log(NULL), NLOG_EINVAL);
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "audit.log", &n);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_pci_fields(r[i]);
    assert_string_equal(sec_str(r[0], "context.user_id"), "alice");
    assert_string_equal(sec_str(r[0], "context.event_type"), "user.delete");
    assert_string_equal(sec_str(r[0], "context.resource"), "users/42");
    assert_string_equal(sec_str(r[0], "metadata.reason"), "closed");
    assert_int_equal(json_object_get_int(sec_get(r[0], "metadata.ticket")), 17);
    char host[256];
    gethostname(host, sizeof host);
    assert_true(strncmp(sec_str(r[0], "context.origin"), host, strlen(host)) == 0);
    assert_string_equal(sec_str(r[1], "context.origin"), "10.0.0.5");
    assert_string_equal(sec_str(r[1], "context.event_type"), "DATA_EXPORT");
    assert_string_equal(sec_str(r[1], "context.outcome"), "failure");
    assert_string_equal(sec_str(r[1], "timestamp"), "2023-11-14T22:13:20.000000Z");
    assert_string_equal(sec_str(r[2], "context.user_id"), "unknown");
    assert_string_equal(sec_str(r[2], "context.resource"), "unknown");
    assert_string_equal(sec_str(r[2], "context.outcome"), "unknown");
    sec_free_records(r);
    r = sec_records(dir, "netlink.log", &n);
    assert_int_equal(n, 3);
    sec_free_records(r);
    r = sec_records(dir, "security.log", &n);
    assert_int_equal(n, 0);
    sec_free_records(r);
}

static void audit_sync_in_both_modes(void **state)
{
    (void) state;
    for (int async = 0; async < 2; async++) {
        dir = tu_scratch(async ? "audit_sync_async" : "audit_sync_sync");
        start(async, 1, 0);
        NLOG_INFO(nlog_get_logger("x"), "not synced by itself");
        uint64_t before = __atomic_load_n(&nlog__pipeline_syncs, __ATOMIC_RELAXED);
        assert_int_equal(nlog_audit("a", "b", "c", NLOG_OUTCOME_SUCCESS, NULL, 0), NLOG_OK);
        /* returned only once written and synced: no flush needed */
        assert_true(__atomic_load_n(&nlog__pipeline_syncs, __ATOMIC_RELAXED) > before);
        assert_int_equal(tu_assert_json_lines(tu_path(dir, "audit.log")), 1);
        nlog_shutdown();
    }
}

static void the_library_audits_itself(void **state)
{
    (void) state;
    dir = tu_scratch("audit_lifecycle");
    start(0, 0, 1);                                   /* logging.start */
    nlog_config c;
    tu_config(&c, dir);
    c.audit_lifecycle = 1;
    c.level = NLOG_LEVEL_WARNING;
    c.console_colors = 0;
    assert_int_equal(nlog_init(&c), NLOG_OK);         /* config.change: level, console_colors */
    c.performance_interval = 0;                       /* invalid */
    assert_int_equal(nlog_init(&c), NLOG_ECONFIG);    /* config.change, failure */
    assert_int_equal(nlog_set_profile("nosuch"), NLOG_ECONFIG); /* failure */
    assert_int_equal(nlog_set_level(NLOG_LEVEL_ERROR), NLOG_OK);              /* level.change */
    assert_int_equal(nlog_set_logger_level("db.pool", NLOG_LEVEL_DEBUG), NLOG_OK);
    nlog_logger_clear_level(nlog_get_logger("db.pool"));                       /* inherit */
    nlog_shutdown();                                  /* logging.stop */
    size_t n;
    json_object **r = sec_records(dir, "audit.log", &n);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++)
        assert_pci_fields(r[i]);
    const char *actions[] = {"logging.start", "config.change", "config.change", "config.change",
                             "level.change", "level.change", "level.change", "logging.stop"};
    const char *outcomes[] = {"success", "success", "failure", "failure",
                              "success", "success", "success", "success"};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(sec_str(r[i], "context.action"), actions[i]);
        assert_string_equal(sec_str(r[i], "context.outcome"), outcomes[i]);
    }
    assert_string_equal(sec_str(r[0], "context.event_type"), "LOGGING_START");
    assert_string_equal(sec_str(r[1], "metadata.changed_keys"), "level,console_colors");
    assert_string_equal(sec_str(r[1], "metadata.via"), "nlog_init");
    assert_string_equal(sec_str(r[3], "metadata.via"), "nlog_set_profile");
    assert_string_equal(sec_str(r[4], "context.resource"), "logger:*");
    assert_string_equal(sec_str(r[4], "metadata.level"), "ERROR");
    assert_string_equal(sec_str(r[5], "context.resource"), "logger:db.pool");
    assert_string_equal(sec_str(r[6], "metadata.level"), "inherit");
    assert_string_equal(sec_str(r[7], "context.event_type"), "LOGGING_STOP");
    sec_free_records(r);
}

/* Review item 2: the change that switches auditing off leaves an AUDIT
 * record first, in the trail it switches off (sync and async, with
 * audit_sync), and nothing after it. */
static void turning_auditing_off_is_audited(void **state)
{
    (void) state;
    for (int async = 0; async <= 1; async++) {
        dir = tu_scratch(async ? "audit_off_async" : "audit_off_sync");
        start(async, 1, 1);                                               /* logging.start */
        assert_int_equal(nlog_audit("ann", "doc.read", "doc/1", NLOG_OUTCOME_SUCCESS, NULL, 0),
                         NLOG_OK);
        nlog_config c;
        tu_config(&c, dir);
        c.async = async;
        c.audit_sync = 1;
        c.audit_enabled = 0;
        assert_int_equal(nlog_init(&c), NLOG_OK); /* audit.disable, then no trail */
        assert_int_equal(nlog_audit("ann", "doc.read", "doc/2", NLOG_OUTCOME_SUCCESS, NULL, 0),
                         NLOG_OK);
        /* audit_sync: on disk before nlog_init() returned, without a flush */
        size_t n;
        json_object **r = sec_records(dir, "audit.log", &n);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
            assert_pci_fields(r[i]);
        assert_string_equal(sec_str(r[0], "context.action"), "logging.start");
        assert_string_equal(sec_str(r[1], "context.resource"), "doc/1");
        assert_string_equal(sec_str(r[2], "context.action"), "audit.disable");
        assert_string_equal(sec_str(r[2], "context.event_type"), "CONFIG_CHANGE");
        assert_string_equal(sec_str(r[2], "context.outcome"), "success");
        assert_string_equal(sec_str(r[2], "metadata.via"), "nlog_init");
        assert_string_equal(sec_str(r[2], "metadata.audit"), "audit_enabled: false");
        assert_non_null(strstr(sec_str(r[2], "metadata.changed_keys"), "audit_enabled"));
        sec_free_records(r);
        nlog_shutdown(); /* auditing is off: no logging.stop either */
        r = sec_records(dir, "audit.log", &n);
        assert_int_equal(n, 3);
        sec_free_records(r);
    }
    /* audit_lifecycle off: the library's own entries stop; that is audited too */
    dir = tu_scratch("audit_lifecycle_off");
    start(0, 0, 1);
    nlog_config c;
    tu_config(&c, dir);
    c.audit_lifecycle = 0;
    assert_int_equal(nlog_init(&c), NLOG_OK);
    assert_int_equal(nlog_set_level(NLOG_LEVEL_ERROR), NLOG_OK); /* not audited any more */
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "audit.log", &n);
    assert_int_equal(n, 2);
    assert_string_equal(sec_str(r[1], "context.action"), "audit.disable");
    assert_string_equal(sec_str(r[1], "metadata.audit"), "audit_lifecycle: false");
    assert_string_equal(sec_str(r[1], "metadata.changed_keys"), "audit_lifecycle");
    sec_free_records(r);
    /* turning it back on is an ordinary, audited start of the trail again */
    dir = tu_scratch("audit_back_on");
    nlog_config off;
    tu_config(&off, dir);
    off.audit_enabled = 0;
    off.audit_lifecycle = 1;
    assert_int_equal(nlog_init(&off), NLOG_OK);
    tu_config(&c, dir);
    c.audit_lifecycle = 1;
    assert_int_equal(nlog_init(&c), NLOG_OK);
    nlog_shutdown();
    r = sec_records(dir, "audit.log", &n);
    assert_int_equal(n, 2);
    assert_string_equal(sec_str(r[0], "context.action"), "config.change");
    assert_non_null(strstr(sec_str(r[0], "metadata.changed_keys"), "audit_enabled"));
    assert_string_equal(sec_str(r[1], "context.action"), "logging.stop");
    sec_free_records(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(audit_records_carry_the_pci_fields),
        cmocka_unit_test(audit_sync_in_both_modes),
        cmocka_unit_test(the_library_audits_itself),
        cmocka_unit_test(turning_auditing_off_is_audited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
