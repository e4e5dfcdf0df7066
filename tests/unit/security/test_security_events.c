/* test_security_events.c: security events as records. Every event type is a
 * SECURITY record of category "security" with the documented schema
 * (context: event_type, severity, outcome, user_id, ip_address, session_id,
 * resource, action; metadata: the details), carrying the event's own
 * timestamp, in security.log and netlink.log; custom types; bad input is
 * still written and reported; names and timestamps parse back. */
#include "sec_testutil.h"

#include "format/timefmt.h"

static const char *dir;

static int setup(void **state)
{
    (void) state;
    dir = tu_scratch("events");
    nlog_config c;
    tu_config(&c, dir);
    c.security_detection = 0; /* only the events themselves */
    return nlog_init(&c) == NLOG_OK ? 0 : -1;
}

static void every_type_has_the_schema(void **state)
{
    (void) state;
    for (int t = NLOG_SEC_LOGIN_SUCCESS; t < NLOG_SEC_EVENT_TYPE_COUNT; t++) {
        nlog_field det[] = {NLOG_META("attempt", t), NLOG_CTX("reason", "forced to metadata")};
        nlog_security_event ev = {
            .type = (nlog_security_event_type) t,
            .custom_type = "TOKEN_ROTATED",
            .timestamp_ns = SEC_T0 + t * 1000 + 999, /* below a microsecond is cut */
            .user_id = "user123",
            .ip_address = "192.168.1.100",
            .session_id = NULL,
            .resource = "/api/x",
            .action = "read",
            .details = det,
            .n_details = 2,
        };
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    nlog_shutdown();
    size_t n, nm;
    json_object **r = sec_records(dir, "security.log", &n);
    json_object **m = sec_records(dir, "netlink.log", &nm);
    assert_int_equal(n, NLOG_SEC_EVENT_TYPE_COUNT - 1);
    assert_int_equal(nm, n);
    for (size_t i = 0; i < n; i++) {
        int t = (int) i + 1;
        const char *type = t == NLOG_SEC_CUSTOM ? "TOKEN_ROTATED"
                                                : nlog_security_event_type_name((nlog_security_event_type) t);
        assert_string_equal(sec_str(r[i], "level"), "SECURITY");
        assert_string_equal(sec_str(r[i], "category"), "security");
        assert_string_equal(sec_str(r[i], "module"), "security");
        assert_string_equal(sec_str(r[i], "message"), type);
        assert_string_equal(sec_str(r[i], "context.event_type"), type);
        nlog_security_severity sev = t == NLOG_SEC_CUSTOM ? NLOG_SEC_SEVERITY_MEDIUM : 0;
        (void) sev;
        assert_non_null(sec_str(r[i], "context.severity"));
        assert_non_null(sec_str(r[i], "context.outcome"));
        assert_string_equal(sec_str(r[i], "context.user_id"), "user123");
        assert_string_equal(sec_str(r[i], "context.ip_address"), "192.168.1.100");
        assert_null(sec_get(r[i], "context.session_id"));
        assert_string_equal(sec_str(r[i], "context.resource"), "/api/x");
        assert_string_equal(sec_str(r[i], "context.action"), "read");
        assert_int_equal(json_object_get_int(sec_get(r[i], "metadata.attempt")), t);
        assert_string_equal(sec_str(r[i], "metadata.reason"), "forced to metadata");
        assert_null(sec_get(r[i], "context.reason"));
        char ts[NLOG__RFC3339_LEN + 1];
        nlog__fmt_rfc3339(SEC_T0 + t * 1000, ts);
        ts[NLOG__RFC3339_LEN] = '\0';
        assert_string_equal(sec_str(r[i], "timestamp"), ts);
        /* context keys in schema order */
        json_object *ctx = sec_get(r[i], "context");
        const char *order[] = {"event_type", "severity", "outcome", "user_id", "ip_address",
                               "resource", "action"};
        size_t k = 0;
        json_object_object_foreach(ctx, key, val)
        {
            (void) val;
            assert_true(k < 7);
            assert_string_equal(key, order[k++]);
        }
        assert_string_equal(json_object_to_json_string(r[i]), json_object_to_json_string(m[i]));
    }
    /* the usual severities and outcomes */
    assert_string_equal(sec_str(r[NLOG_SEC_LOGIN_FAILURE - 1], "context.severity"), "MEDIUM");
    assert_string_equal(sec_str(r[NLOG_SEC_LOGIN_FAILURE - 1], "context.outcome"), "failure");
    assert_string_equal(sec_str(r[NLOG_SEC_LOGIN_SUCCESS - 1], "context.severity"), "LOW");
    assert_string_equal(sec_str(r[NLOG_SEC_LOGIN_SUCCESS - 1], "context.outcome"), "success");
    assert_string_equal(sec_str(r[NLOG_SEC_MALWARE_DETECTED - 1], "context.severity"), "CRITICAL");
    assert_string_equal(sec_str(r[NLOG_SEC_BRUTE_FORCE_DETECTED - 1], "context.severity"), "HIGH");
    assert_string_equal(sec_str(r[NLOG_SEC_SUSPICIOUS_ACTIVITY - 1], "context.outcome"), "unknown");
    sec_free_records(r);
    sec_free_records(m);
}

static void given_severity_outcome_and_message_win(void **state)
{
    (void) state;
    nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .severity = NLOG_SEC_SEVERITY_CRITICAL,
                              .outcome = NLOG_OUTCOME_SUCCESS, .message = "odd but given",
                              .session_id = "s"};
    assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("auth.svc");
    assert_int_equal(nlog_logger_log_security_event(lg, &ev), NLOG_OK);
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "security.log", &n);
    assert_int_equal(n, 2);
    assert_string_equal(sec_str(r[0], "context.severity"), "CRITICAL");
    assert_string_equal(sec_str(r[0], "context.outcome"), "success");
    assert_string_equal(sec_str(r[0], "message"), "odd but given");
    assert_string_equal(sec_str(r[0], "context.session_id"), "***"); /* masked by default */
    assert_string_equal(sec_str(r[1], "module"), "auth.svc");
    sec_free_records(r);
}

static void bad_input_is_written_and_reported(void **state)
{
    (void) state;
    nlog_security_event bad_custom = {.type = NLOG_SEC_CUSTOM, .custom_type = "lower case"};
    assert_int_equal(nlog_log_security_event(&bad_custom), NLOG_EINVAL);
    assert_non_null(strstr(nlog_errmsg(), "custom_type"));
    nlog_security_event bad_type = {.type = (nlog_security_event_type) 99};
    assert_int_equal(nlog_log_security_event(&bad_type), NLOG_EINVAL);
    assert_int_equal(nlog_log_security_event(NULL), NLOG_EINVAL);
    assert_int_equal(nlog_logger_log_security_event(NULL, &bad_type), NLOG_EINVAL);
    /* too many details: the rest are counted, the record is written */
    nlog_field many[NLOG_SECURITY_DETAILS_MAX + 5];
    for (size_t i = 0; i < NLOG_SECURITY_DETAILS_MAX + 5; i++)
        many[i] = nlog_field_int(NLOG_GROUP_METADATA, "k", (int64_t) i);
    nlog_counters before = {.struct_size = sizeof before}, after = {.struct_size = sizeof after};
    assert_int_equal(nlog_stats(&before), NLOG_OK);
    nlog_security_event big = {.type = NLOG_SEC_DATA_EXPORT, .details = many,
                               .n_details = NLOG_SECURITY_DETAILS_MAX + 5};
    assert_int_equal(nlog_log_security_event(&big), NLOG_OK);
    assert_int_equal(nlog_stats(&after), NLOG_OK);
    assert_int_equal(after.fields_ignored - before.fields_ignored, 5);
    /* an older, shorter struct (struct_size) reads only its own members */
    nlog_security_event old = {.struct_size = offsetof(nlog_security_event, outcome),
                               .type = NLOG_SEC_LOGOUT, .user_id = "v1", .outcome = 77,
                               .message = (const char *) 1, .details = (const nlog_field *) 1,
                               .n_details = 3};
    assert_int_equal(nlog_log_security_event(&old), NLOG_OK);
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "security.log", &n);
    assert_int_equal(n, 4);
    assert_string_equal(sec_str(r[0], "context.event_type"), "CUSTOM");
    assert_string_equal(sec_str(r[1], "context.event_type"), "CUSTOM");
    assert_string_equal(sec_str(r[3], "message"), "LOGOUT");
    sec_free_records(r);
}

static void names_and_parsing(void **state)
{
    (void) state;
    nlog_security_event_type t;
    nlog_security_severity s;
    for (int i = 1; i < NLOG_SEC_CUSTOM; i++) {
        const char *name = nlog_security_event_type_name((nlog_security_event_type) i);
        assert_int_equal(nlog_security_event_type_parse(name, &t), NLOG_OK);
        assert_int_equal(t, i);
    }
    assert_int_equal(nlog_security_event_type_parse("MY_TYPE_2", &t), NLOG_OK);
    assert_int_equal(t, NLOG_SEC_CUSTOM);
    assert_int_equal(nlog_security_event_type_parse("login_failure", &t), NLOG_EINVAL);
    assert_null(nlog_security_event_type_name(NLOG_SEC_INVALID));
    assert_null(nlog_security_event_type_name(NLOG_SEC_EVENT_TYPE_COUNT));
    assert_int_equal(nlog_security_severity_parse("high", &s), NLOG_OK);
    assert_int_equal(s, NLOG_SEC_SEVERITY_HIGH);
    assert_int_equal(nlog_security_severity_parse("severe", &s), NLOG_EINVAL);
    assert_null(nlog_security_severity_name(NLOG_SEC_SEVERITY_DEFAULT));
    assert_string_equal(nlog_outcome_name(NLOG_OUTCOME_FAILURE), "failure");
    nlog_shutdown();
}

static void timestamps_parse_back(void **state)
{
    (void) state;
    const int64_t times[] = {0, 1, -1, -1000, SEC_T0, SEC_T0 + 123456789, 951782400LL * 1000000000,
                             -2208988800LL * 1000000000 + 5000, 4102444799LL * 1000000000 + 999999000};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char ts[NLOG__RFC3339_LEN + 1];
        int64_t back;
        nlog__fmt_rfc3339(times[i], ts);
        ts[NLOG__RFC3339_LEN] = '\0';
        assert_int_equal(nlog_timestamp_parse(ts, strlen(ts), &back), NLOG_OK);
        int64_t us = times[i] / 1000 - (times[i] % 1000 < 0);
        assert_int_equal(back, us * 1000);
    }
    int64_t v;
    assert_int_equal(nlog_timestamp_parse("2024-01-15T10:30:45Z", 20, &v), NLOG_OK);
    assert_int_equal(nlog_timestamp_parse("2024-01-15T10:30:45.123456789Z", 30, &v), NLOG_OK);
    assert_int_equal(v % 1000000000, 123456789);
    const char *bad[] = {"2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-15 10:30:45Z",
                         "2024-01-15T10:30:45", "2024-01-15T24:00:00Z", "2024-01-15T10:30:45.Z",
                         "x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(nlog_timestamp_parse(bad[i], strlen(bad[i]), &v), NLOG_EINVAL);
    assert_int_equal(nlog_timestamp_parse("2024-02-29T00:00:00Z", 20, &v), NLOG_OK);
    nlog_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(every_type_has_the_schema, setup),
        cmocka_unit_test_setup(given_severity_outcome_and_message_win, setup),
        cmocka_unit_test_setup(bad_input_is_written_and_reported, setup),
        cmocka_unit_test_setup(names_and_parsing, setup),
        cmocka_unit_test_setup(timestamps_parse_back, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
