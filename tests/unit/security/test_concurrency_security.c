/* test_concurrency_security.c: security events, audit records, masking and
 * field encryption from several threads at once, while another thread
 * reconfigures (level changes keep the detectors, a change of detector
 * settings replaces them) — run under ThreadSanitizer by scripts/test.sh.
 * Every record must arrive whole and counted, every detection once. */
#include <pthread.h>

#include "sec_testutil.h"

#include "security/pattern.h"

#define THREADS 4
#define EVENTS 1500

static const char *dir;
static char pub[NLOG_ENCRYPTION_KEY_B64_SIZE], sec[NLOG_ENCRYPTION_KEY_B64_SIZE];
static uint64_t callbacks; /* atomic */

static void count_detection(const nlog_security_detection *d, void *user)
{
    (void) d;
    (void) user;
    __atomic_fetch_add(&callbacks, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
    int id = (int) (intptr_t) arg;
    char ip[32], user[32];
    for (int i = 0; i < EVENTS; i++) {
        snprintf(ip, sizeof ip, "10.%d.%d.%d", id, (i >> 8) & 255, i & 255);
        snprintf(user, sizeof user, "t%d-u%d", id, i % 50);
        nlog_field det[] = {NLOG_META("password", "hunter2"), NLOG_META("card", "secret-card")};
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = user,
                                  /* every 10th from one shared address: brute force */
                                  .ip_address = i % 10 == 0 ? "203.0.113.1" : ip,
                                  .details = det, .n_details = 2};
        assert_int_equal(nlog_log_security_event(&ev), NLOG_OK);
        if (i % 100 == 0)
            assert_int_equal(nlog_audit(user, "thing.do", "x", NLOG_OUTCOME_SUCCESS, det, 2),
                             NLOG_OK);
    }
    return NULL;
}

static void config(nlog_config *c, int async, nlog_level level, int cooldown)
{
    nlog_error err;
    tu_config(c, dir);
    c->async = async;
    c->level = level;
    c->security_brute_force.cooldown = cooldown;
    assert_int_equal(nlog_config_set(c, "encrypt_fields", "card", &err), NLOG_OK);
    snprintf(c->encryption_public_key, sizeof c->encryption_public_key, "%s", pub);
}

static void *reconfigurer(void *arg)
{
    int async = (int) (intptr_t) arg;
    nlog_config c;
    for (int i = 0; i < 20; i++) {
        config(&c, async, i % 2 ? NLOG_LEVEL_DEBUG : NLOG_LEVEL_TRACE, i < 10 ? 300 : 0);
        assert_int_equal(nlog_init(&c), NLOG_OK);
        nlog_security_stats st = {.struct_size = sizeof st};
        assert_int_equal(nlog_security_stats_get(&st), NLOG_OK);
    }
    return NULL;
}

static void run(int async)
{
    dir = tu_scratch(async ? "conc_sec_async" : "conc_sec_sync");
    __atomic_store_n(&callbacks, 0, __ATOMIC_RELAXED);
    nlog_config c;
    config(&c, async, NLOG_LEVEL_TRACE, 300);
    assert_int_equal(nlog_init(&c), NLOG_OK);
    nlog_security_set_detection_callback(count_detection, NULL);
    pthread_t th[THREADS + 1];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *) (intptr_t) i), 0);
    assert_int_equal(pthread_create(&th[THREADS], NULL, reconfigurer, (void *) (intptr_t) async), 0);
    for (int i = 0; i <= THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    nlog_security_set_detection_callback(NULL, NULL);
    nlog_shutdown();
    size_t n;
    json_object **r = sec_records(dir, "security.log", &n);
    size_t events = 0, detections = 0;
    for (size_t i = 0; i < n; i++) {
        if (sec_get(r[i], "context.detector"))
            detections++;
        else
            events++;
        const char *card = sec_str(r[i], "metadata.card");
        if (card)
            assert_true(strncmp(card, "enc1:", 5) == 0);
        const char *pw = sec_str(r[i], "metadata.password");
        if (pw)
            assert_string_equal(pw, "***");
    }
    assert_int_equal(events, THREADS * EVENTS);
    assert_int_equal(detections, __atomic_load_n(&callbacks, __ATOMIC_RELAXED));
    assert_true(detections >= 1);
    sec_free_records(r);
    r = sec_records(dir, "audit.log", &n);
    assert_int_equal(n, THREADS * EVENTS / 100);
    sec_free_records(r);
    assert_false(sec_contains_file(tu_path(dir, "netlink.log"), "hunter2"));
    assert_false(sec_contains_file(tu_path(dir, "netlink.log"), "secret-card"));
}

static void concurrent_events_sync(void **state)
{
    (void) state;
    run(0);
}

static void concurrent_events_async(void **state)
{
    (void) state;
    run(1);
}

/* Review item 3: one compiled pattern matched from several threads at once
 * (each has its own match data and JIT stack; there is no lock to take), with
 * the right answer every time. Under TSan a shared match data would be a race. */
static nlog__pattern *shared_pattern;

static void *matcher(void *arg)
{
    int id = (int) (intptr_t) arg;
    char s[64];
    for (int i = 0; i < 2000; i++) {
        int attack = (i + id) % 2;
        snprintf(s, sizeof s, attack ? "id=%d' OR '1'='1" : "id=%d&sort=name", i);
        assert_int_equal(nlog__pattern_match(shared_pattern, s, strlen(s)), attack);
    }
    return NULL;
}

static void concurrent_pattern_matching(void **state)
{
    (void) state;
    char err[256];
    assert_int_equal(nlog__pattern_create(nlog__builtin_patterns[0].regex, &shared_pattern, err,
                                          sizeof err),
                     NLOG_OK);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, matcher, (void *) (intptr_t) i), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    nlog__pattern_destroy(shared_pattern);
}

static int setup(void **state)
{
    (void) state;
    return nlog_encryption_keypair(pub, sec) == NLOG_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_events_sync),
        cmocka_unit_test(concurrent_events_async),
        cmocka_unit_test(concurrent_pattern_matching),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
