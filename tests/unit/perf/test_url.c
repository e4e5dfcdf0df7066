/* test_url.c: URL checks and redaction (src/config/url.c) and the URL keys
 * of the configuration: accepted schemes, messages that never quote a
 * secret, and `explain` (nlog config show) printing redacted values. */
#include <string.h>

#include "testutil.h"

#include "config/url.h"

static void test_parse(void **state)
{
    (void) state;
    nlog__url u;
    const char *s = "smtps://alerts:s3cr%21t@mail.example.com:465/ehlo.example";
    assert_int_equal(nlog__url_parse(s, strlen(s), &u, NULL, NULL), NLOG_OK);
    assert_true(nlog__url_scheme_is(&u, "SMTPS"));
    assert_int_equal(u.port, 465);
    assert_int_equal(u.has_password, 1);
    assert_int_equal((int) u.user_len, 6);
    assert_memory_equal(u.host, "mail.example.com", 16);
    s = "http://[::1]:8080/hook?x=1";
    assert_int_equal(nlog__url_parse(s, strlen(s), &u, NULL, NULL), NLOG_OK);
    assert_memory_equal(u.host, "::1", 3);
    assert_int_equal(u.port, 8080);
    s = "smtp://127.0.0.1";
    assert_int_equal(nlog__url_parse(s, strlen(s), &u, NULL, NULL), NLOG_OK);
    assert_int_equal(u.port, 0);
    assert_int_equal((int) u.path_len, 0);

    static const struct {
        const char *url, *problem;
    } bad[] = {
        {"mail.example.com", "no scheme"},
        {"smtp://", "no host"},
        {"smtp://host:0", "port 0"},
        {"smtp://host:65536", "above 65535"},
        {"smtp://host:8x", "not a number"},
        {"http://host/a b", "a space"},
        {"http://host/\x01", "control"},
        {"http://host/\xc3\xa9", "non-ASCII"},
        {"http://host/#frag", "fragment"},
        {"http://host/%zz", "two hex digits"},
        {"http://ho^st/", "host name"},
        {"http://[::1/", "closing ']'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *problem = NULL;
        size_t at = 0;
        if (nlog__url_parse(bad[i].url, strlen(bad[i].url), &u, &problem, &at) != NLOG_EINVAL)
            fail_msg("%s was accepted", bad[i].url);
        if (!strstr(problem, bad[i].problem))
            fail_msg("%s: problem '%s', want '%s'", bad[i].url, problem, bad[i].problem);
    }
}

static void test_redact(void **state)
{
    (void) state;
    char buf[256];
    const char *s = "smtp://alerts:hunter2@mail.example.com:587";
    assert_string_equal(nlog__url_redact(s, strlen(s), buf, sizeof buf),
                        "smtp://alerts:***@mail.example.com:587");
    s = "https://hooks.slack.com/services/T000/B000/XXXXXXXX";
    assert_string_equal(nlog__url_redact(s, strlen(s), buf, sizeof buf),
                        "https://hooks.slack.com/***");
    s = "http://127.0.0.1:9000/";
    assert_string_equal(nlog__url_redact(s, strlen(s), buf, sizeof buf), "http://127.0.0.1:9000/");
    s = "https://user:pw@[::1]:8443/x?token=abc";
    assert_string_equal(nlog__url_redact(s, strlen(s), buf, sizeof buf),
                        "https://user:***@[::1]:8443/***");
    s = "smtp://user:pw word@host";
    assert_string_equal(nlog__url_redact(s, strlen(s), buf, sizeof buf), "(invalid URL)");
}

static char shown[1024];
static void visit(const char *key, const char *value, const char *source, void *user)
{
    (void) source;
    (void) user;
    if (strcmp(key, "alert_smtp_url") == 0)
        snprintf(shown, sizeof shown, "%s", value);
}

static void test_config_keys(void **state)
{
    (void) state;
    nlog_config cfg;
    nlog_error err;
    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    assert_int_equal(nlog_config_set(&cfg, "alert_smtp_url", "smtp://u:topsecret@mx.example:25",
                                     &err),
                     NLOG_OK);
    assert_string_equal(cfg.alert_smtp_url, "smtp://u:topsecret@mx.example:25");
    assert_int_equal(nlog_config_set(&cfg, "alert_webhook_url", "https://chat.example/hooks/abc",
                                     &err),
                     NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "alert_webhook_url", "", &err), NLOG_OK);
    assert_string_equal(cfg.alert_webhook_url, "");

    /* wrong scheme for the key */
    assert_int_equal(nlog_config_set(&cfg, "alert_smtp_url", "https://mx.example/", &err),
                     NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "alert_smtp_url: scheme 'https' is not accepted; "
                                        "accepted: a URL smtp:// or smtps://"));
    /* a bad URL is described, never quoted: the password stays out of it */
    assert_int_equal(nlog_config_set(&cfg, "alert_smtp_url", "smtp://u:top secret@mx", &err),
                     NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "not a valid URL: a space at byte 13"));
    assert_null(strstr(err.message, "secret"));
    assert_null(strstr(err.message, "top"));
    /* the same from code */
    snprintf(cfg.alert_webhook_url, sizeof cfg.alert_webhook_url, "ftp://x/");
    nlog_config out;
    assert_int_equal(nlog_config_resolve(&cfg, &out, &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "alert_webhook_url"));
    cfg.alert_webhook_url[0] = '\0';

    /* nlog config show prints it redacted */
    assert_int_equal(nlog_config_explain(&cfg, visit, NULL, &err), NLOG_OK);
    assert_string_equal(shown, "smtp://u:***@mx.example:25");

    /* the other keys of the area */
    assert_int_equal(nlog_config_set(&cfg, "alert_email_from", "nlog@example.com", &err), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "performance_record_level", "debug", &err), NLOG_OK);
    assert_int_equal(cfg.performance_record_level, NLOG_LEVEL_DEBUG);
    assert_int_equal(nlog_config_set(&cfg, "performance_history_memory", "2GB", &err), NLOG_OK);
    assert_true(cfg.performance_history_memory == 2147483648LL);
    assert_int_equal(nlog_config_set(&cfg, "performance_buffer_size", "1KB", &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "out of range"));
    assert_int_equal(nlog_config_set(&cfg, "performance_record_every", "0", &err), NLOG_OK);
    assert_int_equal(nlog_config_resolve(&cfg, &out, &err), NLOG_OK);
    assert_int_equal(out.performance_record_every, 0);
    assert_int_equal(out.performance_max_series, 10000);
    assert_int_equal(out.performance_raw_samples, 1024);
    assert_int_equal(out.performance_buffer_size, 262144);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
