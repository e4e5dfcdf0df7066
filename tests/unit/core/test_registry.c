/* test_registry.c: named loggers, the dotted hierarchy and run-time levels. */
#include <pthread.h>
#include <string.h>

#include "testutil.h"

static int setup(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.level = NLOG_LEVEL_INFO;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    return 0;
}

static void same_name_same_handle(void **state)
{
    (void) state;
    nlog_logger *a = nlog_get_logger("auth_service");
    nlog_logger *b = nlog_get_logger("auth_service");
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, nlog_get_logger("auth_service2"));
    assert_string_equal(nlog_logger_name(a), "auth_service");
    assert_ptr_equal(nlog_get_logger(NULL), nlog_get_logger(""));
    assert_string_equal(nlog_logger_name(nlog_get_logger(NULL)), "root");
}

#define N_THREADS 4
#define N_NAMES 500
static nlog_logger *seen[N_THREADS][N_NAMES];

static void *get_many(void *arg)
{
    int t = (int) (intptr_t) arg;
    char name[32];
    for (int i = 0; i < N_NAMES; i++) {
        int k = (i * 7 + t * 13) % N_NAMES; /* each thread in a different order */
        snprintf(name, sizeof name, "svc.mod%d", k);
        seen[t][k] = nlog_get_logger(name);
    }
    return NULL;
}

static void same_handle_from_every_thread(void **state)
{
    (void) state;
    pthread_t th[N_THREADS];
    for (int t = 0; t < N_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, get_many, (void *) (intptr_t) t), 0);
    for (int t = 0; t < N_THREADS; t++)
        pthread_join(th[t], NULL);
    for (int i = 0; i < N_NAMES; i++) {
        char name[32];
        snprintf(name, sizeof name, "svc.mod%d", i);
        for (int t = 0; t < N_THREADS; t++)
            assert_ptr_equal(seen[t][i], seen[0][i]);
        assert_string_equal(nlog_logger_name(seen[0][i]), name);
        for (int j = 0; j < i; j += 97)
            assert_ptr_not_equal(seen[0][i], seen[0][j]);
    }
}

static void hierarchy_inherits_nearest_configured_ancestor(void **state)
{
    (void) state;
    nlog_logger *lib = nlog_get_logger("noisy.lib");
    nlog_logger *http = nlog_get_logger("noisy.lib.http");
    nlog_logger *deep = nlog_get_logger("noisy.lib.http.pool.conn");
    nlog_logger *sibling = nlog_get_logger("noisy.library"); /* not a child of noisy.lib */
    nlog_logger *other = nlog_get_logger("app");
    assert_int_equal(nlog_logger_effective_level(deep), NLOG_LEVEL_INFO);

    assert_int_equal(nlog_set_logger_level("noisy.lib", NLOG_LEVEL_ERROR), NLOG_OK);
    assert_int_equal(nlog_logger_effective_level(lib), NLOG_LEVEL_ERROR);
    assert_int_equal(nlog_logger_effective_level(http), NLOG_LEVEL_ERROR);
    assert_int_equal(nlog_logger_effective_level(deep), NLOG_LEVEL_ERROR);
    assert_int_equal(nlog_logger_effective_level(sibling), NLOG_LEVEL_INFO);
    assert_int_equal(nlog_logger_effective_level(other), NLOG_LEVEL_INFO);

    /* a nearer override wins over a farther one */
    assert_int_equal(nlog_logger_set_level(http, NLOG_LEVEL_DEBUG), NLOG_OK);
    assert_int_equal(nlog_logger_effective_level(http), NLOG_LEVEL_DEBUG);
    assert_int_equal(nlog_logger_effective_level(deep), NLOG_LEVEL_DEBUG);
    assert_int_equal(nlog_logger_effective_level(lib), NLOG_LEVEL_ERROR);

    /* loggers created after the override inherit it too */
    nlog_logger *late = nlog_get_logger("noisy.lib.late");
    assert_int_equal(nlog_logger_effective_level(late), NLOG_LEVEL_ERROR);

    /* clearing falls back to the ancestor, then the global level */
    nlog_logger_clear_level(http);
    assert_int_equal(nlog_logger_effective_level(deep), NLOG_LEVEL_ERROR);
    assert_int_equal(nlog_set_logger_level("noisy.lib", NLOG_LEVEL_INVALID), NLOG_OK);
    assert_int_equal(nlog_logger_effective_level(deep), NLOG_LEVEL_INFO);

    /* the global level moves every logger without an override */
    assert_int_equal(nlog_set_level(NLOG_LEVEL_WARNING), NLOG_OK);
    assert_int_equal(nlog_get_level(), NLOG_LEVEL_WARNING);
    assert_int_equal(nlog_logger_effective_level(deep), NLOG_LEVEL_WARNING);
    assert_int_equal(nlog_logger_effective_level(other), NLOG_LEVEL_WARNING);
    assert_false(nlog_is_enabled(other, NLOG_LEVEL_INFO));
    assert_true(nlog_is_enabled(other, NLOG_LEVEL_WARNING));
    assert_true(nlog_is_enabled(other, NLOG_LEVEL_ERROR));

    assert_int_equal(nlog_set_level((nlog_level) 3), NLOG_EINVAL);
    assert_int_equal(nlog_set_logger_level("x", (nlog_level) 11), NLOG_EINVAL);
    assert_int_equal(nlog_logger_set_level(other, NLOG_LEVEL_INVALID), NLOG_EINVAL);
}

static void security_and_audit_pass_any_threshold(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("strict");
    assert_int_equal(nlog_logger_set_level(lg, NLOG_LEVEL_CRITICAL), NLOG_OK);
    assert_false(nlog_is_enabled(lg, NLOG_LEVEL_ERROR));
    assert_true(nlog_is_enabled(lg, NLOG_LEVEL_CRITICAL));
    assert_true(nlog_is_enabled(lg, NLOG_LEVEL_SECURITY));
    assert_true(nlog_is_enabled(lg, NLOG_LEVEL_AUDIT));
    assert_int_equal(nlog_logger_set_level(lg, NLOG_LEVEL_AUDIT), NLOG_OK);
    assert_true(nlog_is_enabled(lg, NLOG_LEVEL_SECURITY));
}

static void config_switches_disable_security_and_audit(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.security_enabled = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("sw");
    assert_false(nlog_is_enabled(lg, NLOG_LEVEL_SECURITY));
    assert_true(nlog_is_enabled(lg, NLOG_LEVEL_AUDIT));
    cfg.security_enabled = 1;
    cfg.audit_enabled = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_true(nlog_is_enabled(lg, NLOG_LEVEL_SECURITY)); /* same handle, new rules */
    assert_false(nlog_is_enabled(lg, NLOG_LEVEL_AUDIT));
}

static void loggers_map_in_config_sets_overrides(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, NULL);
    cfg.level = NLOG_LEVEL_DEBUG;
    cfg.n_loggers = 2;
    snprintf(cfg.loggers[0].name, sizeof cfg.loggers[0].name, "noisy.lib");
    cfg.loggers[0].level = NLOG_LEVEL_ERROR;
    snprintf(cfg.loggers[1].name, sizeof cfg.loggers[1].name, "db");
    cfg.loggers[1].level = NLOG_LEVEL_WARNING;
    nlog_logger *before = nlog_get_logger("noisy.lib.http"); /* exists before init */
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    assert_int_equal(nlog_logger_effective_level(before), NLOG_LEVEL_ERROR);
    assert_int_equal(nlog_logger_effective_level(nlog_get_logger("db.pool")), NLOG_LEVEL_WARNING);
    assert_int_equal(nlog_logger_effective_level(nlog_get_logger("dbx")), NLOG_LEVEL_DEBUG);
    nlog_config got;
    assert_int_equal(nlog_get_config(&got), NLOG_OK);
    assert_int_equal(got.n_loggers, 2);
    assert_int_equal(got.level, NLOG_LEVEL_DEBUG);
}

static void long_names_are_cut_and_reported(void **state)
{
    (void) state;
    tu_diag_capture();
    char name[600];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    nlog_logger *lg = nlog_get_logger(name);
    assert_int_equal(strlen(nlog_logger_name(lg)), NLOG_LOGGER_NAME_MAX);
    assert_true(tu_diag_contains("logger name longer than"));
    assert_ptr_equal(nlog_get_logger(name), lg);
    nlog_set_diagnostics(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(same_name_same_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(same_handle_from_every_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(hierarchy_inherits_nearest_configured_ancestor, setup, teardown),
        cmocka_unit_test_setup_teardown(security_and_audit_pass_any_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(config_switches_disable_security_and_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(loggers_map_in_config_sets_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(long_names_are_cut_and_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
