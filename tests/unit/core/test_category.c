/* test_category.c: built-in categories and custom registration rules. */
#include <string.h>

#include "testutil.h"

static void builtins_have_their_names(void **state)
{
    (void) state;
    const char *names[] = {"application", "system",  "security", "performance", "api",
                           "database",    "network", "auth",     "audit"};
    for (int i = 0; i < NLOG_CAT_BUILTIN_COUNT; i++) {
        assert_string_equal(nlog_category_name((nlog_category) i), names[i]);
        nlog_category c;
        assert_int_equal(nlog_category_find(names[i], &c), NLOG_OK);
        assert_int_equal(c, i);
        /* registering a built-in name returns the built-in id */
        assert_int_equal(nlog_category_register(names[i], &c), NLOG_OK);
        assert_int_equal(c, i);
    }
    assert_int_equal(NLOG_CAT_APPLICATION, 0);
    assert_null(nlog_category_name((nlog_category) 9));
    assert_null(nlog_category_name((nlog_category) 31));
    assert_null(nlog_category_name((nlog_category) 32)); /* nothing registered yet */
}

static void custom_names_follow_the_pattern(void **state)
{
    (void) state;
    const char *good[] = {"billing", "a", "x9", "payments.v2", "my_cat-1",
                          "abcdefghijklmnopqrstuvwxyz012345" /* 32 */};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        nlog_category c, again;
        assert_int_equal(nlog_category_register(good[i], &c), NLOG_OK);
        assert_true(c >= 32);
        assert_string_equal(nlog_category_name(c), good[i]);
        assert_int_equal(nlog_category_register(good[i], &again), NLOG_OK);
        assert_int_equal(again, c);
        assert_int_equal(nlog_category_find(good[i], &again), NLOG_OK);
        assert_int_equal(again, c);
    }
    const char *bad[] = {"", "Billing", "with space", "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */,
                         "semi;colon", "tab\t", "uni\xc3\xa9", "slash/", "new\nline"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nlog_category c = (nlog_category) 77;
        assert_int_equal(nlog_category_register(bad[i], &c), NLOG_EINVAL);
        assert_int_equal(c, 77);
        /* the error says what is accepted */
        assert_non_null(strstr(nlog_errmsg(), "a-z, 0-9"));
        assert_int_equal(nlog_category_validate(bad[i]), NLOG_EINVAL);
    }
    nlog_category c;
    assert_int_equal(nlog_category_register(NULL, &c), NLOG_EINVAL);
    assert_int_equal(nlog_category_find("not-registered", &c), NLOG_ENOTFOUND);
    assert_int_equal(nlog_category_find("Not Valid", &c), NLOG_EINVAL);
}

static void registrations_are_capped(void **state)
{
    (void) state;
    char name[16];
    nlog_status st = NLOG_OK;
    int made = 0;
    for (int i = 0; i < NLOG_CATEGORY_CUSTOM_MAX + 5 && st == NLOG_OK; i++) {
        snprintf(name, sizeof name, "cap%d", i);
        nlog_category c;
        st = nlog_category_register(name, &c);
        made += st == NLOG_OK;
    }
    assert_int_equal(st, NLOG_ELIMIT);
    assert_true(made <= NLOG_CATEGORY_CUSTOM_MAX);
    assert_non_null(strstr(nlog_errmsg(), "too many custom categories"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtins_have_their_names),
        cmocka_unit_test(custom_names_follow_the_pattern),
        cmocka_unit_test(registrations_are_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
