/* test_server_auth.c: nlogd's access control pieces — the key file parser,
 * digests and checks (src/server/auth.c), Bearer parsing, the role table
 * (roles.c) and the per-key rate limit (ratelimit.c). */
#include "testutil.h"

#include <sodium.h>
#include <sys/stat.h>

#include "server/auth.h"
#include "server/http/origin.h"
#include "server/ratelimit.h"
#include "server/roles.h"

static void line_for(char *out, size_t size, const char *name, const char *role, const char *key)
{
    unsigned char d[NLOGD_KEY_DIGEST];
    char h[80];
    nlogd_key_digest(key, strlen(key), d);
    nlogd_key_digest_text(d, h, sizeof h);
    snprintf(out, size, "%s %s %s\n", name, role, h);
}

static void keys_file_parse(void **state)
{
    (void) state;
    char text[1024], l1[200], l2[200], why[512];
    line_for(l1, sizeof l1, "alice", "viewer", "nlk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    line_for(l2, sizeof l2, "ops@corp", "admin", "nlk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    snprintf(text, sizeof text, "# comment\n\n%s  \t\r\n%s", l1, l2);
    nlogd_key *keys;
    size_t n;
    assert_int_equal(nlogd_keys_parse(text, strlen(text), &keys, &n, why, sizeof why), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].name, "alice");
    assert_int_equal(keys[0].role, NLOGD_ROLE_VIEWER);
    assert_int_equal(keys[1].role, NLOGD_ROLE_ADMIN);
    free(keys);

    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"alice viewer\n", "fewer than three"},
        {"alice viewer blake2b:00 extra\n", "more than three"},
        {"al ice viewer blake2b:00\n", "more than three"},
        {"alice root blake2b:00\n", "unknown role"},
        {"alice viewer nlk_secretsecretsecret\n", "--add-key"},
        {"a*b viewer blake2b:00\n", "invalid key name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        keys = (nlogd_key *) 1;
        int rc = nlogd_keys_parse(bad[i].text, strlen(bad[i].text), &keys, &n, why, sizeof why);
        assert_int_equal(rc, -1);
        assert_null(keys);
        if (!strstr(why, bad[i].needle) || !strstr(why, "line 1"))
            fail_msg("%s -> %s", bad[i].text, why);
        assert_null(strstr(why, "secretsecret")); /* a key is never quoted back */
    }
    snprintf(text, sizeof text, "%s%s", l1, l1);
    assert_int_equal(nlogd_keys_parse(text, strlen(text), &keys, &n, why, sizeof why), -1);
    assert_non_null(strstr(why, "line 2"));
    assert_non_null(strstr(why, "twice"));
}

static void keys_check_add_remove(void **state)
{
    (void) state;
    assert_true(sodium_init() >= 0);
    const char *dir = tu_scratch("auth_keys");
    const char *path = tu_path(dir, "keys");
    char key[NLOGD_KEY_NEW_LEN + 1], other[NLOGD_KEY_NEW_LEN + 1], why[600], name[80];
    nlogd_key_generate(key);
    nlogd_key_generate(other);
    assert_int_equal(strlen(key), NLOGD_KEY_NEW_LEN);
    assert_string_not_equal(key, other);
    unsigned char d[NLOGD_KEY_DIGEST];
    nlogd_key_digest(key, strlen(key), d);
    assert_int_equal(nlogd_keys_append_file(path, "svc", NLOGD_ROLE_INGEST, d, why, sizeof why),
                     0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = tu_read_file(path, NULL);
    assert_null(strstr(text, key));
    free(text);

    nlogd_keyset ks;
    assert_int_equal(nlogd_keys_load(&ks, path, why, sizeof why), 0);
    assert_true(nlogd_keys_enabled(&ks));
    assert_int_equal(nlogd_keys_check(&ks, key, strlen(key), name, sizeof name),
                     NLOGD_ROLE_INGEST);
    assert_string_equal(name, "svc");
    assert_int_equal(nlogd_keys_check(&ks, other, strlen(other), name, sizeof name),
                     NLOGD_ROLE_NONE);
    assert_int_equal(nlogd_keys_check(&ks, "short", 5, name, sizeof name), NLOGD_ROLE_NONE);
    nlogd_key_digest(other, strlen(other), d);
    assert_int_equal(nlogd_keys_add(&ks, "svc", NLOGD_ROLE_VIEWER, d, why, sizeof why), -1);
    assert_non_null(strstr(why, "exists already"));
    assert_int_equal(nlogd_keys_add(&ks, "dash", NLOGD_ROLE_VIEWER, d, why, sizeof why), 0);
    assert_int_equal(nlogd_keys_check(&ks, other, strlen(other), name, sizeof name),
                     NLOGD_ROLE_VIEWER);
    assert_int_equal(nlogd_keys_remove(&ks, "svc", why, sizeof why), 0);
    assert_int_equal(nlogd_keys_check(&ks, key, strlen(key), name, sizeof name), NLOGD_ROLE_NONE);
    assert_int_equal(nlogd_keys_remove(&ks, "svc", why, sizeof why), -1);
    nlogd_keys_free(&ks);
    /* what was written reads back */
    assert_int_equal(nlogd_keys_load(&ks, path, why, sizeof why), 0);
    assert_int_equal(ks.n, 1);
    assert_string_equal(ks.keys[0].name, "dash");
    nlogd_keys_free(&ks);
    /* no file configured: open access */
    assert_int_equal(nlogd_keys_load(&ks, "", why, sizeof why), 0);
    assert_false(nlogd_keys_enabled(&ks));
    nlogd_keys_free(&ks);
    assert_int_equal(nlogd_keys_load(&ks, tu_path(dir, "missing"), why, sizeof why), -1);
    assert_non_null(strstr(why, "cannot open"));
    nlogd_keys_free(&ks);
}

static void bearer(void **state)
{
    (void) state;
    char key[NLOGD_KEY_MAX + 1], why[256];
    size_t n;
    assert_int_equal(nlogd_auth_parse_bearer(NULL, key, sizeof key, &n, why, sizeof why), 0);
    assert_int_equal(nlogd_auth_parse_bearer("Bearer abcdefghijklmnop", key, sizeof key, &n, why,
                                             sizeof why), 1);
    assert_string_equal(key, "abcdefghijklmnop");
    assert_int_equal(nlogd_auth_parse_bearer("  bearer\tabcdefghijklmnop==  ", key, sizeof key, &n,
                                             why, sizeof why), 1);
    assert_int_equal(n, 18);
    static const char *const bad[] = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearerx abc",
                                      "Bearer short", "Bearer abcdefghijklmnop extra",
                                      "Bearer abcdefghij\x01klmnop"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(nlogd_auth_parse_bearer(bad[i], key, sizeof key, &n, why, sizeof why), -1);
        assert_non_null(strstr(why, "accepted"));
        assert_string_equal(key, "");
    }
}

static void key_request(void **state)
{
    (void) state;
    char name[NLOGD_KEY_NAME_MAX + 1];
    nlogd_role r;
    nlogd_err e;
    const char *ok = "{\"name\":\"dash-01\",\"role\":\"security\"}";
    assert_int_equal(nlogd_key_request_parse(ok, strlen(ok), name, &r, &e), 0);
    assert_string_equal(name, "dash-01");
    assert_int_equal(r, NLOGD_ROLE_SECURITY);
    static const struct {
        const char *body, *param;
    } bad[] = {{"{\"name\":\"a\"}", "role"},
               {"{\"role\":\"admin\"}", "name"},
               {"{\"name\":\"a b\",\"role\":\"admin\"}", "name"},
               {"{\"name\":\"a\",\"role\":\"admin\",\"key\":\"x\"}", "key"},
               {"[]", "body"},
               {"{\"name\":\"a\",\"role\":\"admin\"} x", "body"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(nlogd_key_request_parse(bad[i].body, strlen(bad[i].body), name, &r, &e),
                         -1);
        assert_int_equal(e.status, 400);
        if (strcmp(e.param, bad[i].param) != 0)
            fail_msg("%s: param %s", bad[i].body, e.param);
    }
}

static void role_table(void **state)
{
    (void) state;
    /* the table of docs/rest-api.md "Access control" */
    static const int want[5][5] = {
        /* none ingest viewer security admin */
        {1, 1, 1, 1, 1}, /* open */
        {0, 1, 0, 0, 1}, /* ingest */
        {0, 0, 1, 1, 1}, /* read */
        {0, 0, 0, 1, 1}, /* security */
        {0, 0, 0, 0, 1}, /* admin */
    };
    for (int p = 0; p < 5; p++)
        for (int r = 0; r < 5; r++)
            assert_int_equal(nlogd_role_allows((nlogd_role) r, (nlogd_perm) p), want[p][r]);
    assert_int_equal(nlogd_role_parse("viewer", 6), NLOGD_ROLE_VIEWER);
    assert_int_equal(nlogd_role_parse("Viewer", 6), NLOGD_ROLE_NONE);
    assert_int_equal(nlogd_role_parse("none", 4), NLOGD_ROLE_NONE);
    assert_int_equal(nlogd_role_max_level(NLOGD_ROLE_VIEWER), NLOG_LEVEL_CRITICAL);
    assert_int_equal(nlogd_role_max_level(NLOGD_ROLE_SECURITY), 0);
}

static void rate_limit(void **state)
{
    (void) state;
    nlogd_ratelimit *rl = malloc(sizeof *rl);
    nlogd_rate_init(rl, 10);
    int64_t t = 1000000000LL;
    for (int i = 0; i < 10; i++)
        assert_int_equal(nlogd_rate_take(rl, "a", t), 0); /* a burst of one second's worth */
    assert_true(nlogd_rate_take(rl, "a", t) >= 1);
    assert_int_equal(nlogd_rate_take(rl, "b", t), 0); /* per key */
    assert_int_equal(nlogd_rate_take(rl, "a", t + 100000000LL), 0); /* 0.1 s = one token */
    assert_true(nlogd_rate_take(rl, "a", t + 100000000LL) >= 1);
    nlogd_rate_deinit(rl);
    nlogd_rate_init(rl, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(nlogd_rate_take(rl, "a", t), 0); /* 0: no limit */
    nlogd_rate_deinit(rl);
    free(rl);
}

/* A full bucket table never lifts the limit: with every bucket busy a new
 * name is limited; once buckets are idle, they are recycled and the new
 * name gets its own burst, then its limit. */
static void rate_limit_full_table(void **state)
{
    (void) state;
    nlogd_ratelimit *rl = malloc(sizeof *rl);
    nlogd_rate_init(rl, 2);
    int64_t t = 5000000000LL;
    char name[32];
    for (int i = 0; i < NLOGD_RATE_KEYS; i++) {
        snprintf(name, sizeof name, "k%d", i);
        assert_int_equal(nlogd_rate_take(rl, name, t), 0);
    }
    assert_true(nlogd_rate_take(rl, "newcomer", t) >= 1);     /* full, nobody idle */
    assert_true(nlogd_rate_take(rl, "newcomer", t + 1) >= 1); /* still */
    int64_t later = t + 1000000000LL;                        /* everyone idle for 1 s */
    assert_int_equal(nlogd_rate_take(rl, "newcomer", later), 0);
    assert_int_equal(nlogd_rate_take(rl, "newcomer", later), 0);
    assert_true(nlogd_rate_take(rl, "newcomer", later) >= 1); /* its own limit holds */
    /* the others keep theirs: one that is still in the table is limited as before */
    snprintf(name, sizeof name, "k%d", NLOGD_RATE_KEYS - 1);
    assert_int_equal(nlogd_rate_take(rl, name, later), 0);
    assert_int_equal(nlogd_rate_take(rl, name, later), 0);
    assert_true(nlogd_rate_take(rl, name, later) >= 1);
    nlogd_rate_deinit(rl);
    free(rl);
}

static int origin_ok(const char *host, const char *origin, int tls, int keys, const char *allowed)
{
    char why[512];
    const char *reason = "";
    int rc = nlogd_origin_check(host, origin, tls, keys, allowed, why, sizeof why, &reason);
    if (rc != 0)
        assert_true(why[0] && reason[0]);
    return rc == 0;
}

static void origin_rules(void **state)
{
    (void) state;
    /* no Origin: only the Host rule, and only without keys */
    assert_true(origin_ok("127.0.0.1:8000", NULL, 0, 0, ""));
    assert_true(origin_ok("localhost:8000", NULL, 0, 0, ""));
    assert_true(origin_ok("LocalHost", NULL, 0, 0, ""));
    assert_true(origin_ok("127.10.0.1:1", NULL, 0, 0, ""));
    assert_true(origin_ok("[::1]:8000", NULL, 0, 0, ""));
    assert_true(origin_ok(NULL, NULL, 0, 0, ""));            /* no Host: not a browser */
    assert_false(origin_ok("rebind.example:8000", NULL, 0, 0, ""));
    assert_false(origin_ok("127.0.0.1.evil.example", NULL, 0, 0, ""));
    assert_false(origin_ok("127.0.0.256", NULL, 0, 0, ""));
    assert_false(origin_ok("localhost.evil.example:80", NULL, 0, 0, ""));
    assert_false(origin_ok("[::2]:80", NULL, 0, 0, ""));
    assert_true(origin_ok("logs.example.com:8000", NULL, 0, 1, "")); /* keys: any Host */
    /* Origin: nlogd's own, with the default port implied */
    assert_true(origin_ok("127.0.0.1:8000", "http://127.0.0.1:8000", 0, 0, ""));
    assert_true(origin_ok("127.0.0.1", "http://127.0.0.1:80", 0, 0, ""));
    assert_true(origin_ok("127.0.0.1:443", "https://127.0.0.1", 1, 0, ""));
    assert_false(origin_ok("127.0.0.1:443", "http://127.0.0.1:443", 1, 0, "")); /* scheme */
    assert_false(origin_ok("127.0.0.1:8000", "http://127.0.0.1:8001", 0, 0, ""));
    assert_false(origin_ok("127.0.0.1:8000", "http://localhost:8000", 0, 0, ""));
    assert_false(origin_ok("127.0.0.1:8000", "null", 0, 0, ""));
    assert_false(origin_ok("127.0.0.1:8000", "http://127.0.0.1:8000/path", 0, 0, ""));
    assert_false(origin_ok("127.0.0.1:8000", "http://u@127.0.0.1:8000", 0, 0, ""));
    assert_false(origin_ok("logs.example.com", "http://evil.example", 0, 1, ""));
    /* the allow-list */
    const char *list = "http://app.example:3000, https://ops.example";
    assert_true(origin_ok("127.0.0.1:8000", "http://app.example:3000", 0, 0, list));
    assert_true(origin_ok("127.0.0.1:8000", "HTTPS://OPS.example:443", 0, 0, list));
    assert_false(origin_ok("127.0.0.1:8000", "http://ops.example", 0, 0, list));
    assert_false(origin_ok("127.0.0.1:8000", "http://app.example:30001", 0, 0, list));
    /* the Host rule comes first: a listed Origin does not open a rebound Host */
    assert_false(origin_ok("rebind.example", "http://app.example:3000", 0, 0, list));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_file_parse), cmocka_unit_test(keys_check_add_remove),
        cmocka_unit_test(bearer),          cmocka_unit_test(key_request),
        cmocka_unit_test(role_table),      cmocka_unit_test(rate_limit),
        cmocka_unit_test(rate_limit_full_table), cmocka_unit_test(origin_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
