/* test_security_replay.c: deterministic replay. A live run logs a mix of
 * events (brute force, spraying, a compromise, content patterns, a custom
 * rule on a detail, masked and encrypted fields, an eviction-heavy stretch)
 * and collects its detections through the callback; `nlog security replay`
 * over the file it wrote, with the same configuration file, must print
 * exactly the same lines, and so must `--recorded` (the detections the live
 * run logged). Synchronous and asynchronous mode. */
#include <unistd.h>

#include "sec_testutil.h"

static const char *tool(void)
{
    static char path[4096];
    const char *bin = getenv("NLOG_TEST_BIN");
    if (!bin || !*bin)
        return NULL;
    snprintf(path, sizeof path, "%s/tools/nlog/nlog", bin);
    return access(path, X_OK) == 0 ? path : NULL;
}

static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap);
    size_t r;
    while ((r = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (n + 1 >= cap)
            out = realloc(out, cap *= 2);
    }
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

static void live_equals_replay(int async)
{
    const char *nlog = tool();
    if (!nlog)
        skip();
    const char *dir = tu_scratch(async ? "replay_async" : "replay_sync");
    char pk[NLOG_ENCRYPTION_KEY_B64_SIZE], sk[NLOG_ENCRYPTION_KEY_B64_SIZE];
    assert_int_equal(nlog_encryption_keypair(pk, sk), NLOG_OK);
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "encrypt_fields: card\n"
             "encryption_public_key: %s\n"
             "security:\n"
             "  memory_cap: 1MB\n"
             "  password_spraying: {threshold: 4, window: 60, cooldown: 10}\n"
             "  rules:\n"
             "    - {name: tenant_exports, event_type: DATA_EXPORT, group_by: tenant,\n"
             "       threshold: 3, window: 30, cooldown: 5}\n"
             "    - {name: ratio_probe, event_type: CUSTOM_PROBE, group_by: ratio, threshold: 2}\n",
             pk);
    const char *cfgpath = tu_path(dir, "app.yaml");
    FILE *f = fopen(cfgpath, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);

    nlog_config c;
    tu_config(&c, dir);
    c.async = async;
    snprintf(c.config_file, sizeof c.config_file, "%s", cfgpath);
    assert_int_equal(nlog_init(&c), NLOG_OK);
    sec_hits h = {0};
    nlog_security_set_detection_callback(sec_collect, &h);
    char ip[32], user[32];
    int64_t t = SEC_T0;
    for (int i = 0; i < 6; i++) /* brute force and spraying from one address */
    {
        snprintf(user, sizeof user, "u%d", i);
        nlog_field det[] = {NLOG_META("card", "4111111111111111"), NLOG_META("try", i)};
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = user,
                                  .ip_address = "198.51.100.7", .session_id = "sess",
                                  .details = det, .n_details = 2, .timestamp_ns = t += SEC_S(1)};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    for (int i = 0; i < 3; i++) { /* a compromise */
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = "zoe",
                                  .ip_address = "192.0.2.1", .timestamp_ns = t += 1234};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    nlog_security_event ok = {.type = NLOG_SEC_LOGIN_SUCCESS, .user_id = "zoe",
                              .ip_address = "192.0.2.99", .timestamp_ns = t += 1};
    assert_int_equal(nlog_log_security_event(&ok), NLOG_OK);
    nlog_field q[] = {NLOG_META("query", "id=1' OR '1'='1"), NLOG_META("path", "/../../etc/passwd")};
    nlog_security_event probe = {.type = NLOG_SEC_DATA_ACCESS, .ip_address = "192.0.2.50",
                                 .resource = "/search?q=<script>alert(1)</script>", .details = q,
                                 .n_details = 2, .timestamp_ns = t += SEC_S(2)};
    assert_int_equal(nlog_log_security_event(&probe), NLOG_OK);
    for (int i = 0; i < 5; i++) { /* a custom rule on a detail, cooldown 5 s */
        nlog_field det[] = {NLOG_META("tenant", "acme")};
        nlog_security_event ev = {.type = NLOG_SEC_DATA_EXPORT, .user_id = "exp",
                                  .details = det, .n_details = 1, .timestamp_ns = t += SEC_S(3)};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    for (int i = 0; i < 3; i++) { /* a double detail as the group: same text both ways */
        nlog_field det[] = {NLOG_META("ratio", 0.1 + 0.2)};
        nlog_security_event ev = {.type = NLOG_SEC_CUSTOM, .custom_type = "CUSTOM_PROBE",
                                  .details = det, .n_details = 1, .timestamp_ns = t += 10};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    /* an eviction-heavy stretch with a brute force inside it */
    for (int i = 0; i < 20000; i++) {
        snprintf(ip, sizeof ip, "10.9.%d.%d", (i >> 8) & 255, i & 255);
        snprintf(user, sizeof user, "f%d", i);
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = user,
                                  .ip_address = i % 200 == 0 ? "203.0.113.5" : ip,
                                  .timestamp_ns = t += 50000};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    nlog_security_set_detection_callback(NULL, NULL);
    nlog_security_stats st = {.struct_size = sizeof st};
    assert_int_equal(nlog_security_stats_get(&st), NLOG_OK);
    assert_true(st.evictions > 0);
    nlog_shutdown();
    if (h.n < 8 || h.n > 64)
        fail_msg("%zu detections", h.n);

    size_t len = 0;
    for (size_t i = 0; i < h.n; i++)
        len += strlen(h.line[i]) + 1;
    char *live = malloc(len + 1);
    live[0] = '\0';
    for (size_t i = 0; i < h.n; i++) {
        strcat(live, h.line[i]);
        strcat(live, "\n");
    }
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "env -u NETLINK_LOG_CONFIG '%s' security replay --config '%s' '%s' 2>/dev/null",
             nlog, cfgpath, tu_path(dir, "security.log"));
    char *replayed = run(cmd);
    if (strcmp(live, replayed) != 0)
        fail_msg("live:\n%s\nreplay:\n%s", live, replayed);
    snprintf(cmd, sizeof cmd, "'%s' security replay --recorded '%s'", nlog,
             tu_path(dir, "netlink.log"));
    char *recorded = run(cmd);
    if (strcmp(live, recorded) != 0)
        fail_msg("live:\n%s\nrecorded:\n%s", live, recorded);
    /* the expected detectors all fired */
    const char *want[] = {"\"brute_force\"", "\"password_spraying\"", "\"success_after_failures\"",
                          "\"sql_injection\"", "\"path_traversal\"", "\"xss\"", "\"tenant_exports\"",
                          "\"ratio_probe\"", "\"key\":\"203.0.113.5\""};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(live, want[i]))
            fail_msg("no %s in:\n%s", want[i], live);
    /* masked and encrypted values never reach the output, nor the detections */
    assert_null(strstr(live, "4111111111111111"));
    assert_false(sec_contains_file(tu_path(dir, "security.log"), "4111111111111111"));
    free(live);
    free(replayed);
    free(recorded);
}

static void live_equals_replay_sync(void **state)
{
    (void) state;
    live_equals_replay(0);
}

static void live_equals_replay_async(void **state)
{
    (void) state;
    live_equals_replay(1);
}

/* Review item 8 (replay/live): a stored event stamped at the epoch
 * (timestamp 0 µs) is replayed at that time, not taken for a live event of
 * "now" (timestamp_ns 0 means "now" to the detectors). */
static void events_at_the_epoch_replay_at_the_epoch(void **state)
{
    (void) state;
    const char *nlog = tool();
    if (!nlog)
        skip();
    const char *dir = tu_scratch("replay_epoch");
    nlog_config c;
    tu_config(&c, dir);
    assert_int_equal(nlog_init(&c), NLOG_OK);
    sec_hits h = {0};
    nlog_security_set_detection_callback(sec_collect, &h);
    for (int i = 1; i <= 5; i++) { /* 1..5 ns: all in the epoch's first microsecond */
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = "u",
                                  .ip_address = "198.51.100.1", .timestamp_ns = i};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
    }
    nlog_security_set_detection_callback(NULL, NULL);
    nlog_shutdown();
    assert_int_equal(h.n, 1);
    assert_non_null(strstr(h.line[0], "\"time\":\"1970-01-01T00:00:00.000000Z\""));
    char cmd[8192], live[4096];
    snprintf(live, sizeof live, "%s\n", h.line[0]);
    snprintf(cmd, sizeof cmd, "env -u NETLINK_LOG_CONFIG '%s' security replay '%s' 2>/dev/null", nlog,
             tu_path(dir, "security.log"));
    char *replayed = run(cmd);
    if (strcmp(live, replayed) != 0)
        fail_msg("live:\n%s\nreplay:\n%s", live, replayed);
    free(replayed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_equals_replay_sync),
        cmocka_unit_test(live_equals_replay_async),
        cmocka_unit_test(events_at_the_epoch_replay_at_the_epoch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
