/* test_security_detect.c: the detectors' semantics, ">= N in (t - W, t]",
 * at N-1, N and N+1 events and exactly at the window's edge, for every
 * built-in detector and for custom rules (count, distinct, preceded_by,
 * match, pattern, every event type), the cooldown, the evidence, and the live
 * path (detections logged as events with evidence, the callback). */
#include "sec_testutil.h"

static nlog_config in, cfg;

static void base(void)
{
    tu_config(&in, NULL);
}

static nlog_security_detector *make(void)
{
    nlog_security_detector *d = NULL;
    sec_resolved(&in, &cfg);
    if (nlog_security_detector_create(&cfg, &d) != NLOG_OK)
        fail_msg("create: %s", nlog_errmsg());
    return d;
}

static void set(const char *key, const char *value)
{
    nlog_error err;
    memset(&err, 0, sizeof err);
    if (nlog_config_set(&in, key, value, &err) != NLOG_OK)
        fail_msg("%s", err.message);
}

static size_t feed(nlog_security_detector *d, sec_hits *h, nlog_security_event_type type,
                   const char *user, const char *ip, int64_t t)
{
    size_t before = h->n;
    nlog_security_event ev = {.type = type, .user_id = user, .ip_address = ip, .timestamp_ns = t};
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, h), NLOG_OK);
    return h->n - before;
}

/* brute_force: >= 5 failures from one address in (t - 300 s, t]. */
static void brute_force_boundaries(void **state)
{
    (void) state;
    base();
    set("security.brute_force.cooldown", "0");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    for (int i = 0; i < 4; i++) /* N-1 */
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "10.0.0.1", SEC_T0 + SEC_S(i)), 0);
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "10.0.0.1", SEC_T0 + SEC_S(4)), 1);
    assert_string_equal(h.last_detector, "brute_force"); /* N */
    assert_string_equal(h.last_key, "10.0.0.1");
    assert_int_equal(h.last.count, 5);
    assert_int_equal(h.last.type, NLOG_SEC_BRUTE_FORCE_DETECTED);
    assert_int_equal(h.last.first_ns, SEC_T0);
    assert_int_equal(h.last.last_ns, SEC_T0 + SEC_S(4));
    assert_int_equal(h.last.window_ns, SEC_S(300));
    assert_string_equal(h.last.sample_of, "user_id");
    /* N+1, with no cooldown: fires again */
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "10.0.0.1", SEC_T0 + SEC_S(5)), 1);
    /* another address is another group */
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "10.0.0.2", SEC_T0 + SEC_S(5)), 0);
    nlog_security_detector_destroy(d);
}

static void brute_force_window_edge(void **state)
{
    (void) state;
    base();
    nlog_security_detector *d = make();
    sec_hits h = {0};
    /* the first failure is exactly W before the fifth: outside (t - W, t] */
    for (int i = 0; i < 4; i++)
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "ua", "a", SEC_T0 + SEC_S(i)), 0);
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "ua", "a", SEC_T0 + SEC_S(300)), 0);
    /* one microsecond earlier it is inside */
    for (int i = 0; i < 4; i++)
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "ub", "b", SEC_T0 + SEC_S(i)), 0);
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "ub", "b", SEC_T0 + SEC_S(300) - 1000), 1);
    assert_int_equal(h.last.first_ns, SEC_T0);
    /* sub-microsecond parts do not count: times are what records keep */
    for (int i = 0; i < 4; i++)
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "uc", "c", SEC_T0 + SEC_S(i) + 999), 0);
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "uc", "c", SEC_T0 + SEC_S(300) + 1), 0);
    nlog_security_detector_destroy(d);
}

static void cooldown(void **state)
{
    (void) state;
    base();
    set("security.brute_force.cooldown", "60");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    for (int i = 0; i < 5; i++)
        (void) feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "a", SEC_T0 + SEC_S(i));
    assert_int_equal(h.n, 1);
    /* still >= 5 in the window, but within the cooldown of the detection at 4 s */
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "a", SEC_T0 + SEC_S(63)), 0);
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "a", SEC_T0 + SEC_S(64) - 1000), 0);
    /* exactly the cooldown after: fires */
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u", "a", SEC_T0 + SEC_S(64)), 1);
    nlog_security_detector_destroy(d);
}

static void targeted_brute_force(void **state)
{
    (void) state;
    base();
    set("security.brute_force.threshold", "0"); /* off: only the user-keyed count */
    set("security.distributed_brute_force.threshold", "0");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    char ip[32];
    for (int i = 0; i < 9; i++) {
        snprintf(ip, sizeof ip, "10.1.0.%d", i);
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "alice", ip, SEC_T0 + SEC_S(i)), 0);
    }
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "alice", "10.1.0.1", SEC_T0 + SEC_S(9)), 1);
    assert_string_equal(h.last_detector, "targeted_brute_force");
    assert_string_equal(h.last_key, "alice");
    assert_string_equal(h.last.sample_of, "ip_address");
    assert_true(h.last.n_sample >= 1 && h.last.n_sample <= NLOG_SECURITY_SAMPLE_MAX);
    nlog_security_detector_destroy(d);
}

static void distributed_brute_force(void **state)
{
    (void) state;
    base();
    set("security.brute_force.threshold", "0");
    set("security.targeted_brute_force.threshold", "0");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    char ip[32];
    /* the same address again adds nothing */
    for (int i = 0; i < 4; i++) {
        snprintf(ip, sizeof ip, "10.2.0.%d", i);
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "bob", ip, SEC_T0 + SEC_S(i)), 0);
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "bob", ip, SEC_T0 + SEC_S(i)), 0);
    }
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "bob", "10.2.0.9", SEC_T0 + SEC_S(10)), 1);
    assert_string_equal(h.last_detector, "distributed_brute_force");
    assert_string_equal(h.last.counted, "ip_address");
    assert_int_equal(h.last.count, 5);
    assert_int_equal(h.last.n_sample, 5);
    assert_string_equal(h.last.sample[4], "10.2.0.9");
    nlog_security_detector_destroy(d);
}

static void password_spraying_edge(void **state)
{
    (void) state;
    base();
    set("security.brute_force.threshold", "0");
    set("security.password_spraying.window", "100");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    char user[32];
    for (int i = 0; i < 9; i++) { /* users u0..u8 at 0..8 s: N-1 */
        snprintf(user, sizeof user, "u%d", i);
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, user, "6.6.6.6", SEC_T0 + SEC_S(i)), 0);
    }
    /* the tenth at exactly 100 s after u0: u0 is out, still 9 */
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u9", "6.6.6.6", SEC_T0 + SEC_S(100)), 0);
    /* u0 again refreshes it: 10 distinct in the window */
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "u0", "6.6.6.6", SEC_T0 + SEC_S(100)), 1);
    assert_string_equal(h.last_detector, "password_spraying");
    assert_int_equal(h.last.count, 10);
    assert_int_equal(h.last.first_ns, SEC_T0 + SEC_S(1));
    nlog_security_detector_destroy(d);
}

static void success_after_failures(void **state)
{
    (void) state;
    base();
    set("security.brute_force.threshold", "0");
    set("security.success_after_failures.cooldown", "0");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    /* N-1 failures then a success: nothing */
    for (int i = 0; i < 2; i++)
        (void) feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "carol", "1.1.1.1", SEC_T0 + SEC_S(i));
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_SUCCESS, "carol", "1.1.1.1", SEC_T0 + SEC_S(3)), 0);
    /* the success consumed nothing; one more failure makes N, then success fires */
    (void) feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "carol", "2.2.2.2", SEC_T0 + SEC_S(4));
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_SUCCESS, "carol", "3.3.3.3", SEC_T0 + SEC_S(5)), 1);
    assert_string_equal(h.last_detector, "success_after_failures");
    assert_int_equal(h.last.type, NLOG_SEC_SUSPICIOUS_ACTIVITY);
    assert_int_equal(h.last.count, 3);
    /* the series is spent: the next success does not fire again */
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_SUCCESS, "carol", "3.3.3.3", SEC_T0 + SEC_S(6)), 0);
    /* N+1 failures, the first exactly W (600 s) before the success: still N inside */
    for (int i = 0; i < 4; i++)
        (void) feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "dave", "1.1.1.1", SEC_T0 + SEC_S(100 + i));
    assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_SUCCESS, "dave", "1.1.1.1", SEC_T0 + SEC_S(700)), 1);
    assert_int_equal(h.last.count, 3);
    nlog_security_detector_destroy(d);
}

static void privilege_then_config(void **state)
{
    (void) state;
    base();
    nlog_security_detector *d = make();
    sec_hits h = {0};
    /* a config change alone (N-1 = 0 escalations) */
    assert_int_equal(feed(d, &h, NLOG_SEC_CONFIG_CHANGE, "eve", "x", SEC_T0), 0);
    (void) feed(d, &h, NLOG_SEC_PRIVILEGE_ESCALATION, "eve", "x", SEC_T0 + SEC_S(1));
    assert_int_equal(feed(d, &h, NLOG_SEC_CONFIG_CHANGE, "eve", "x", SEC_T0 + SEC_S(2)), 1);
    assert_string_equal(h.last_detector, "privilege_then_config");
    /* exactly at the edge (600 s) it is too late */
    (void) feed(d, &h, NLOG_SEC_PRIVILEGE_ESCALATION, "mallory", "x", SEC_T0);
    assert_int_equal(feed(d, &h, NLOG_SEC_CONFIG_CHANGE, "mallory", "x", SEC_T0 + SEC_S(600)), 0);
    /* another user's change does not count */
    (void) feed(d, &h, NLOG_SEC_PRIVILEGE_ESCALATION, "trent", "x", SEC_T0 + SEC_S(700));
    assert_int_equal(feed(d, &h, NLOG_SEC_CONFIG_CHANGE, "peggy", "x", SEC_T0 + SEC_S(701)), 0);
    nlog_security_detector_destroy(d);
}

static void events_without_the_group_field_are_not_counted(void **state)
{
    (void) state;
    base();
    nlog_security_detector *d = make();
    sec_hits h = {0};
    for (int i = 0; i < 20; i++)
        assert_int_equal(feed(d, &h, NLOG_SEC_LOGIN_FAILURE, NULL, NULL, SEC_T0 + SEC_S(i)), 0);
    nlog_security_detector_destroy(d);
}

/* Every event type, through a custom rule with threshold 2: N-1, N, N+1. */
static void every_event_type_through_a_custom_rule(void **state)
{
    (void) state;
    for (int t = NLOG_SEC_LOGIN_SUCCESS; t <= NLOG_SEC_CUSTOM; t++) {
        const char *name = t == NLOG_SEC_CUSTOM ? "API_KEY_ROTATED"
                                                : nlog_security_event_type_name((nlog_security_event_type) t);
        char rules[512];
        snprintf(rules, sizeof rules,
                 "[{name: per_type, event_type: %s, group_by: user_id, threshold: 2, "
                 "window: 10, cooldown: 0}]",
                 name);
        base();
        set("security.detection", "true");
        set("security.rules", rules);
        nlog_security_detector *d = make();
        sec_hits h = {0};
        nlog_security_event ev = {.type = (nlog_security_event_type) t, .user_id = "u",
                                  .custom_type = "API_KEY_ROTATED", .timestamp_ns = SEC_T0};
        assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
        size_t after_one = h.n; /* built-ins may fire on their own types; count ours */
        size_t ours = 0;
        for (size_t i = 0; i < h.n; i++)
            ours += strstr(h.line[i], "\"detector\":\"per_type\"") != NULL;
        assert_int_equal(ours, 0);
        ev.timestamp_ns = SEC_T0 + SEC_S(9.999999);
        assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
        ev.timestamp_ns = SEC_T0 + SEC_S(10); /* N+1, with the first just out of the window */
        assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
        ours = 0;
        for (size_t i = after_one; i < h.n; i++)
            ours += strstr(h.line[i], "\"detector\":\"per_type\"") != NULL;
        if (ours != 2)
            fail_msg("type %s: %zu detections of per_type, want 2", name, ours);
        /* another type does not count */
        nlog_security_event other = ev;
        other.type = t == NLOG_SEC_LOGOUT ? NLOG_SEC_DATA_EXPORT : NLOG_SEC_LOGOUT;
        other.timestamp_ns = SEC_T0 + SEC_S(100);
        size_t before = h.n;
        assert_int_equal(nlog_security_detector_feed(d, &other, sec_collect, &h), NLOG_OK);
        assert_int_equal(nlog_security_detector_feed(d, &other, sec_collect, &h), NLOG_OK);
        for (size_t i = before; i < h.n; i++)
            assert_null(strstr(h.line[i], "\"detector\":\"per_type\""));
        nlog_security_detector_destroy(d);
    }
}

static void custom_rule_match_distinct_and_sequence(void **state)
{
    (void) state;
    base();
    set("security.brute_force.threshold", "0");
    set("security.rules",
        "[{name: admin_probe, event_type: [PERMISSION_DENIED, ACCESS_VIOLATION],"
        "  match: {resource: \"/admin*\", outcome: failure}, group_by: ip_address,"
        "  count_distinct: resource, threshold: 3, window: 1m, emit: BRUTE_FORCE_DETECTED,"
        "  severity: critical},"
        " {name: export_after_escalation, event_type: DATA_EXPORT,"
        "  preceded_by: PRIVILEGE_ESCALATION, group_by: user_id, window: 30m},"
        " {name: by_detail, event_type: CUSTOM_EVT, group_by: tenant, threshold: 2}]");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    nlog_security_event ev = {.type = NLOG_SEC_PERMISSION_DENIED, .ip_address = "9.9.9.9"};
    const char *res[] = {"/admin/a", "/public", "/admin/b", "/admin/a", "/admin/c"};
    size_t fired_at = 99;
    for (size_t i = 0; i < 5; i++) {
        ev.resource = res[i];
        ev.type = i == 2 ? NLOG_SEC_ACCESS_VIOLATION : NLOG_SEC_PERMISSION_DENIED;
        ev.timestamp_ns = SEC_T0 + SEC_S(i);
        size_t before = h.n;
        assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
        if (h.n > before && fired_at == 99)
            fired_at = i;
    }
    assert_int_equal(fired_at, 4); /* the third distinct /admin resource */
    assert_string_equal(h.last_detector, "admin_probe");
    assert_int_equal(h.last.severity, NLOG_SEC_SEVERITY_CRITICAL);
    assert_int_equal(h.last.type, NLOG_SEC_BRUTE_FORCE_DETECTED);
    assert_int_equal(h.last.count, 3);
    /* a successful access to /admin does not match outcome: failure */
    nlog_security_event ok = {.type = NLOG_SEC_PERMISSION_DENIED, .ip_address = "8.8.8.8",
                              .outcome = NLOG_OUTCOME_SUCCESS};
    size_t before = h.n;
    const char *res2[] = {"/admin/x", "/admin/y", "/admin/z"};
    for (int i = 0; i < 3; i++) {
        ok.resource = res2[i];
        ok.timestamp_ns = SEC_T0 + SEC_S(i);
        assert_int_equal(nlog_security_detector_feed(d, &ok, sec_collect, &h), NLOG_OK);
    }
    assert_int_equal(h.n, before);
    /* sequence */
    assert_int_equal(feed(d, &h, NLOG_SEC_DATA_EXPORT, "oscar", "1", SEC_T0), 0);
    assert_int_equal(feed(d, &h, NLOG_SEC_PRIVILEGE_ESCALATION, "oscar", "1", SEC_T0 + SEC_S(1)), 0);
    assert_int_equal(feed(d, &h, NLOG_SEC_DATA_EXPORT, "oscar", "1", SEC_T0 + SEC_S(2)), 1);
    assert_string_equal(h.last_detector, "export_after_escalation");
    /* a detail as the group, custom type */
    nlog_field det[] = {NLOG_META("tenant", "acme")};
    nlog_security_event c = {.type = NLOG_SEC_CUSTOM, .custom_type = "CUSTOM_EVT",
                             .details = det, .n_details = 1, .timestamp_ns = SEC_T0};
    before = h.n;
    assert_int_equal(nlog_security_detector_feed(d, &c, sec_collect, &h), NLOG_OK);
    c.timestamp_ns += SEC_S(1);
    assert_int_equal(nlog_security_detector_feed(d, &c, sec_collect, &h), NLOG_OK);
    assert_int_equal(h.n, before + 1);
    assert_string_equal(h.last_key, "acme");
    nlog_security_detector_destroy(d);
}

static void masked_and_encrypted_fields_are_what_rules_see(void **state)
{
    (void) state;
    base();
    set("security.brute_force.threshold", "0");
    set("security.targeted_brute_force.threshold", "0");
    set("security.distributed_brute_force.threshold", "0");
    set("security.success_after_failures.threshold", "0");
    set("security.password_spraying.threshold", "0");
    set("security.rules", "[{name: by_session, group_by: session_id, threshold: 2},"
                          " {name: by_tenant, group_by: tenant, threshold: 2}]");
    set("encrypt_fields", "tenant");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    nlog_field det[] = {NLOG_META("tenant", "acme")};
    nlog_security_event ev = {.type = NLOG_SEC_DATA_ACCESS, .session_id = "s-1",
                              .details = det, .n_details = 1, .timestamp_ns = SEC_T0};
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
    ev.session_id = "s-2"; /* a different session, but both are "***" once masked */
    ev.timestamp_ns += 1000;
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
    assert_int_equal(h.n, 1); /* by_session on "***"; by_tenant never: tenant is encrypted */
    assert_string_equal(h.last_detector, "by_session");
    assert_string_equal(h.last_key, "***");
    nlog_security_detector_destroy(d);
}

/* The live path: the detection is logged as an event with its evidence,
 * after the event that fired it, and the callback gets the same. */
static void live_detection_is_logged_with_evidence(void **state)
{
    (void) state;
    const char *dir = tu_scratch("detect_live");
    nlog_config c;
    tu_config(&c, dir);
    assert_int_equal(nlog_init(&c), NLOG_OK);
    sec_hits h = {0};
    nlog_security_set_detection_callback(sec_collect, &h);
    for (int i = 0; i < 5; i++) {
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = i % 2 ? "a" : "b",
                                  .ip_address = "203.0.113.9",
                                  .timestamp_ns = SEC_T0 + SEC_S(i) + 123456};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    nlog_security_set_detection_callback(NULL, NULL);
    nlog_security_stats st = {.struct_size = sizeof st};
    assert_int_equal(nlog_security_stats_get(&st), NLOG_OK);
    assert_int_equal(st.events, 5); /* the detection was not fed back */
    assert_int_equal(st.detections, 1);
    nlog_shutdown();
    assert_int_equal(h.n, 1);
    size_t n;
    json_object **recs = sec_records(dir, "security.log", &n);
    assert_int_equal(n, 6);
    json_object *r = recs[5];
    assert_string_equal(sec_str(r, "level"), "SECURITY");
    assert_string_equal(sec_str(r, "category"), "security");
    assert_string_equal(sec_str(r, "context.event_type"), "BRUTE_FORCE_DETECTED");
    assert_string_equal(sec_str(r, "context.severity"), "HIGH");
    assert_string_equal(sec_str(r, "context.detector"), "brute_force");
    assert_string_equal(sec_str(r, "context.ip_address"), "203.0.113.9");
    assert_string_equal(sec_str(r, "timestamp"), "2023-11-14T22:13:24.000123Z");
    assert_string_equal(sec_str(r, "metadata.first_seen"), "2023-11-14T22:13:20.000123Z");
    assert_string_equal(sec_str(r, "metadata.last_seen"), "2023-11-14T22:13:24.000123Z");
    assert_int_equal(json_object_get_int(sec_get(r, "metadata.count")), 5);
    assert_int_equal(json_object_get_int(sec_get(r, "metadata.threshold")), 5);
    assert_int_equal(json_object_get_int(sec_get(r, "metadata.window_s")), 300);
    assert_string_equal(sec_str(r, "metadata.sample_of"), "user_id");
    assert_string_equal(sec_str(r, "metadata.sample_1"), "a"); /* newest last */
    assert_string_equal(sec_str(r, "metadata.sample_2"), "b");
    sec_free_records(recs);
    /* the main stream holds the same six */
    recs = sec_records(dir, "netlink.log", &n);
    assert_int_equal(n, 6);
    sec_free_records(recs);
}

/* Review item 7: a rule grouped by, counting or sampling a masked field
 * never carries the value into any output — not the detection record (its
 * message, metadata.key, the sample fields), not the callback's evidence, not
 * the JSON line replay prints — whatever the spelling of the key, and values
 * masked by their content (a card number inside a value) show masked. */
static void masked_group_values_never_reach_an_output(void **state)
{
    (void) state;
    const char *dir = tu_scratch("detect_masked_group");
    nlog_config c;
    nlog_error err;
    tu_config(&c, dir);
    c.security_brute_force.threshold = 0;
    c.security_targeted_brute_force.threshold = 0;
    c.security_distributed_brute_force.threshold = 0;
    c.security_password_spraying.threshold = 0;
    assert_int_equal(nlog_config_set(&c, "security.rules",
                                     "[{name: by_key, event_type: DATA_ACCESS, group_by: ApiKey, "
                                     "threshold: 2},"
                                     " {name: by_note, event_type: DATA_ACCESS, group_by: note, "
                                     "threshold: 2},"
                                     " {name: users_per_token, event_type: DATA_ACCESS, "
                                     "group_by: ip_address, count_distinct: session_id, "
                                     "threshold: 2}]",
                                     &err),
                     NLOG_OK);
    assert_int_equal(nlog_init(&c), NLOG_OK);
    sec_hits h = {0};
    nlog_security_set_detection_callback(sec_collect, &h);
    const char *sessions[] = {"sess-SECRET-one", "sess-SECRET-two"};
    for (int i = 0; i < 2; i++) {
        nlog_field det[] = {NLOG_META("ApiKey", "sk-SECRET-live-key"),
                            NLOG_META("note", "card 4111 1111 1111 1111 on file")};
        nlog_security_event ev = {.type = NLOG_SEC_DATA_ACCESS, .user_id = "u",
                                  .ip_address = "198.51.100.7", .session_id = sessions[i],
                                  .details = det, .n_details = 2,
                                  .timestamp_ns = SEC_T0 + SEC_S(i)};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    nlog_security_set_detection_callback(NULL, NULL);
    nlog_shutdown();
    /* by_key and by_note fire (on "***" and on the masked note); users_per_token
     * counts "***" once: one distinct value */
    assert_int_equal(h.n, 2);
    const char *secrets[] = {"sk-SECRET", "sess-SECRET", "4111 1111 1111 1111", "4111111111111111"};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < 4; i++)
            if (strstr(h.line[k], secrets[i]))
                fail_msg("evidence holds '%s': %s", secrets[i], h.line[k]);
    assert_non_null(strstr(h.line[0], "\"key\":\"***\""));
    assert_non_null(strstr(h.line[1], "\"key\":\"card *** on file\""));
    const char *files[] = {"security.log", "netlink.log"};
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < 4; i++)
            if (sec_contains_file(tu_path(dir, files[f]), secrets[i]))
                fail_msg("%s holds '%s'", files[f], secrets[i]);
}

/* Review item 8 (UBSan): times at the ends of int64_t — a forged or broken
 * timestamp — with the longest window and cooldown (30 days) make no
 * difference of times overflow (the ASan+UBSan stage halts on one): times
 * are held within +-2^62 ns, and the rules still count them. */
static void extreme_timestamps_do_not_overflow(void **state)
{
    (void) state;
    base();
    set("security.brute_force.window", "2592000");
    set("security.brute_force.cooldown", "2592000");
    set("security.success_after_failures.window", "2592000");
    set("security.rules", "[{name: wide, event_type: LOGIN_FAILURE, group_by: user_id, "
                          "count_distinct: ip_address, threshold: 3, window: 30d, cooldown: 30d}]");
    nlog_security_detector *d = make();
    sec_hits h = {0};
    const int64_t times[] = {INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1, -1, 1,
                             INT64_MAX, INT64_MIN};
    char ip[32];
    size_t fired = 0;
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        snprintf(ip, sizeof ip, "10.0.0.%zu", i);
        fired += feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "mallory", "192.0.2.1", times[i]);
        fired += feed(d, &h, NLOG_SEC_LOGIN_FAILURE, "mallory", ip, times[i]);
        fired += feed(d, &h, NLOG_SEC_LOGIN_SUCCESS, "mallory", ip, times[i]);
    }
    assert_true(fired >= 1); /* the counts still work at the ends */
    for (size_t k = 0; k < h.n && k < 64; k++)
        assert_non_null(strstr(h.line[k], "\"time\":\""));
    nlog_security_stats st = {.struct_size = sizeof st};
    assert_int_equal(nlog_security_detector_stats(d, &st), NLOG_OK);
    assert_int_equal(st.events, 3 * (sizeof times / sizeof times[0]));
    nlog_security_detector_destroy(d);
}

static void detection_off_and_reconfiguration_keeps_state(void **state)
{
    (void) state;
    const char *dir = tu_scratch("detect_reconf");
    nlog_config c;
    tu_config(&c, dir);
    assert_int_equal(nlog_init(&c), NLOG_OK);
    nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .ip_address = "1.2.3.4",
                              .user_id = "u"};
    for (int i = 0; i < 3; i++) {
        ev.timestamp_ns = SEC_T0 + SEC_S(i);
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    c.level = NLOG_LEVEL_WARNING; /* a change that does not touch the detectors */
    assert_int_equal(nlog_init(&c), NLOG_OK);
    for (int i = 3; i < 5; i++) {
        ev.timestamp_ns = SEC_T0 + SEC_S(i);
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    nlog_security_stats st = {.struct_size = sizeof st};
    assert_int_equal(nlog_security_stats_get(&st), NLOG_OK);
    assert_int_equal(st.detections, 1);
    c.security_detection = 0;
    assert_int_equal(nlog_init(&c), NLOG_OK);
    assert_int_equal(nlog_security_stats_get(&st), NLOG_OK);
    assert_int_equal(st.events, 0);
    assert_int_equal(nlog_log_security_event(&ev), NLOG_OK); /* still logged */
    nlog_shutdown();
    size_t n;
    json_object **recs = sec_records(dir, "security.log", &n);
    assert_int_equal(n, 7);
    sec_free_records(recs);
}

/* The four counting detectors, each alone (the others off), cooldown 0:
 * N-1 events do not fire, N fire, N+1 fire again, and with the first event
 * exactly W before the N-th only N-1 are in the window. */
static void counting_detectors_table(void **state)
{
    (void) state;
    static const struct {
        const char *name;
        int n, w;
        int by_ip;      /* grouped by address (else by user) */
        int distinct;   /* the other field differs per event */
    } det[] = {
        {"brute_force", 5, 300, 1, 0},
        {"targeted_brute_force", 10, 600, 0, 0},
        {"distributed_brute_force", 5, 600, 0, 1},
        {"password_spraying", 10, 600, 1, 1},
    };
    const char *all[] = {"brute_force", "targeted_brute_force", "distributed_brute_force",
                         "password_spraying", "success_after_failures"};
    for (size_t k = 0; k < sizeof det / sizeof det[0]; k++) {
        for (int edge = 0; edge < 2; edge++) {
            base();
            char key[96];
            for (size_t a = 0; a < sizeof all / sizeof all[0]; a++) {
                snprintf(key, sizeof key, "security.%s.%s", all[a],
                         strcmp(all[a], det[k].name) == 0 ? "cooldown" : "threshold");
                set(key, "0");
            }
            nlog_security_detector *d = make();
            sec_hits h = {0};
            char other[32];
            for (int i = 0; i < det[k].n + 1; i++) {
                /* the first at 0; with `edge`, the N-th exactly W later and
                 * the N+1-th a second after that (times stay in order) */
                int64_t t = i == 0 ? SEC_T0
                            : edge && i == det[k].n - 1 ? SEC_T0 + SEC_S(det[k].w)
                            : edge && i == det[k].n     ? SEC_T0 + SEC_S(det[k].w + 1)
                                                        : SEC_T0 + SEC_S(det[k].w) / 2 + SEC_S(i);
                snprintf(other, sizeof other, "o%d", det[k].distinct ? i : 0);
                size_t fired = feed(d, &h, NLOG_SEC_LOGIN_FAILURE, det[k].by_ip ? other : "victim",
                                    det[k].by_ip ? "192.0.2.1" : other, t);
                size_t want = edge ? (i == det[k].n ? 1 : 0) /* N-1 in the window at N, N at N+1 */
                                   : (i >= det[k].n - 1 ? 1 : 0);
                if (fired != want)
                    fail_msg("%s%s: event %d: %zu detections, want %zu", det[k].name,
                             edge ? " (edge)" : "", i + 1, fired, want);
                if (fired)
                    assert_string_equal(h.last_detector, det[k].name);
            }
            nlog_security_detector_destroy(d);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(brute_force_boundaries),
        cmocka_unit_test(counting_detectors_table),
        cmocka_unit_test(brute_force_window_edge),
        cmocka_unit_test(cooldown),
        cmocka_unit_test(targeted_brute_force),
        cmocka_unit_test(distributed_brute_force),
        cmocka_unit_test(password_spraying_edge),
        cmocka_unit_test(success_after_failures),
        cmocka_unit_test(privilege_then_config),
        cmocka_unit_test(events_without_the_group_field_are_not_counted),
        cmocka_unit_test(every_event_type_through_a_custom_rule),
        cmocka_unit_test(custom_rule_match_distinct_and_sequence),
        cmocka_unit_test(masked_and_encrypted_fields_are_what_rules_see),
        cmocka_unit_test(live_detection_is_logged_with_evidence),
        cmocka_unit_test(masked_group_values_never_reach_an_output),
        cmocka_unit_test(extreme_timestamps_do_not_overflow),
        cmocka_unit_test(detection_off_and_reconfiguration_keeps_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
