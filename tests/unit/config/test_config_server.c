/* test_config_server.c: the server and remote-output keys
 * (src/config/checks_server.c and their rows in keys.c): defaults, accepted
 * and refused values with their messages, and the derived variables. */
#include "testutil.h"

#include "config/config_internal.h"

static void ok(const char *key, const char *value)
{
    nlog_config cfg;
    nlog_error err;
    nlog_config_init(&cfg);
    if (nlog_config_set(&cfg, key, value, &err) != NLOG_OK)
        fail_msg("%s=%s refused: %s", key, value, err.message);
}

static void bad(const char *key, const char *value, const char *needle)
{
    nlog_config cfg;
    nlog_error err;
    nlog_config_init(&cfg);
    assert_int_equal(nlog_config_set(&cfg, key, value, &err), NLOG_ECONFIG);
    if (!strstr(err.message, needle) || !strstr(err.message, "accepted:"))
        fail_msg("%s=%s: message '%s' lacks '%s'", key, value, err.message, needle);
}

static void test_values(void **state)
{
    (void) state;
    ok("server_url", "http://127.0.0.1:8000");
    ok("server_url", "https://logs.example.com/base/");
    ok("server_url", "");
    bad("server_url", "ftp://x", "scheme");
    bad("server_url", "http://", "no host");
    bad("server_url", "http://h:99999", "port");
    bad("server_url", "http://h/a b", "spaces");
    ok("server.listen", "0.0.0.0:8000");
    ok("server.listen", "localhost:0");
    bad("server.listen", "8000", "no port");
    bad("server.listen", "256.1.1.1:80", "IPv4");
    bad("server.listen", "1.2.3:80", "IPv4");
    bad("server.listen", "127.0.0.1:65536", "port");
    ok("server.allowed_origins", "");
    ok("server.allowed_origins", "http://app.example:3000, https://ops.example,http://[::1]:8080");
    bad("server.allowed_origins", "ftp://x.example", "'ftp://x.example' is not an origin");
    bad("server.allowed_origins", "http://app.example/path", "not an origin");
    bad("server.allowed_origins", "http://a.example,", "empty entry");
    bad("server.allowed_origins", "http://a.example:0", "not an origin");
    ok("server.num_threads", "64");
    bad("server.num_threads", "1", "out of range");
    ok("server.max_body_size", "64MB");
    bad("server.max_body_size", "2GB", "out of range");
    ok("server_spool_max_size", "1GB");
    bad("server_spool_max_size", "1KB", "out of range");
}

static void test_defaults_and_env(void **state)
{
    (void) state;
    nlog_config in, out;
    nlog_error err;
    nlog_config_init(&in);
    in.use_environment = 0;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_OK);
    assert_string_equal(out.server_listen, "127.0.0.1:8000");
    assert_string_equal(out.server_url, "");
    assert_int_equal(out.server_num_threads, 32);
    assert_int_equal(out.server_max_body_size, 16 << 20);
    assert_int_equal(out.server_retention_days, 30);
    assert_int_equal(out.server_spool_max_size, 64 << 20);
    char env[NLOG__CFG_ENV_MAX];
    nlog__cfg_env_name(nlog__cfg_key_find("server.listen", 13), env, sizeof env);
    assert_string_equal(env, "NETLINK_LOG_SERVER_LISTEN");
    setenv("NETLINK_LOG_SERVER_LISTEN", "127.0.0.1:9000", 1);
    setenv("NETLINK_LOG_SERVER_URL", "http://127.0.0.1:9000", 1);
    nlog_config_init(&in);
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_OK);
    assert_string_equal(out.server_listen, "127.0.0.1:9000");
    assert_string_equal(out.server_url, "http://127.0.0.1:9000");
    unsetenv("NETLINK_LOG_SERVER_LISTEN");
    unsetenv("NETLINK_LOG_SERVER_URL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_defaults_and_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
