/* test_logger.c: the logging calls end to end, read back from the files:
 * record shape, typed fields, printf formatting, filtering without argument
 * evaluation, routing to the security and audit files, categories, caps,
 * and hostile input (every line must parse and the count must be exact). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static const char *dir;

static int setup(void **state)
{
    (void) state;
    dir = tu_scratch("logger");
    nlog_config cfg;
    tu_config(&cfg, dir);
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    nlog_shutdown();
    return 0;
}

/* Reads `file` in the scratch dir; returns parsed objects (NULL-terminated). */
static json_object **read_records(const char *file, size_t *n)
{
    size_t len;
    char *text = tu_read_file(tu_path(dir, file), &len);
    if (!text) {
        *n = 0;
        json_object **none = calloc(1, sizeof *none);
        return none;
    }
    char **lines;
    *n = tu_split_lines(text, len, &lines);
    json_object **objs = calloc(*n + 1, sizeof *objs);
    for (size_t i = 0; i < *n; i++)
        objs[i] = tu_parse_json(lines[i]);
    free(lines);
    free(text);
    return objs;
}

static void free_records(json_object **objs)
{
    for (size_t i = 0; objs[i]; i++)
        json_object_put(objs[i]);
    free(objs);
}

static json_object *member(json_object *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_object *cur = o;
    for (char *save, *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
        json_object *next;
        if (!json_object_object_get_ex(cur, tok, &next))
            return NULL;
        cur = next;
    }
    return cur;
}

static const char *str_at(json_object *o, const char *path)
{
    json_object *m = member(o, path);
    if (!m)
        fail_msg("missing member %s in %s", path, json_object_to_json_string(o));
    return json_object_get_string(m);
}

static void structured_call_has_the_products_shape(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("auth_service");
    const char *uid = "user_789";
    int first = __LINE__ + 1; /* compilers disagree on which line of a macro call __LINE__ is */
    NLOG_INFO(lg, "User authenticated successfully", NLOG_CATEGORY(NLOG_CAT_API),
              NLOG_CTX("request_id", "req_123456"), NLOG_CTX("user_id", uid),
              NLOG_META("auth_method", "password"), NLOG_META("duration_ms", 45),
              NLOG_META("success", true), NLOG_META("retried", false),
              NLOG_PERF("response_time", 0.045), NLOG_PERF("memory_usage", 128.5));
    int last = __LINE__ - 1;
    size_t n;
    json_object **r = read_records("netlink.log", &n);
    assert_int_equal(n, 1);
    json_object *o = r[0];
    const char *ts = str_at(o, "timestamp");
    assert_int_equal(strlen(ts), strlen("2024-01-15T10:30:45.123456Z"));
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[26], 'Z');
    assert_string_equal(str_at(o, "level"), "INFO");
    assert_string_equal(str_at(o, "category"), "api");
    assert_string_equal(str_at(o, "message"), "User authenticated successfully");
    assert_string_equal(str_at(o, "module"), "auth_service");
    assert_string_equal(str_at(o, "function"), "structured_call_has_the_products_shape");
    int line = json_object_get_int(member(o, "line"));
    assert_true(line >= first && line <= last);
    assert_string_equal(str_at(o, "context.request_id"), "req_123456");
    assert_string_equal(str_at(o, "context.user_id"), "user_789");
    assert_string_equal(str_at(o, "metadata.auth_method"), "password");
    assert_true(json_object_is_type(member(o, "metadata.duration_ms"), json_type_int));
    assert_int_equal(json_object_get_int(member(o, "metadata.duration_ms")), 45);
    assert_true(json_object_is_type(member(o, "metadata.success"), json_type_boolean));
    assert_true(json_object_get_boolean(member(o, "metadata.success")));
    assert_true(json_object_is_type(member(o, "metadata.retried"), json_type_boolean));
    assert_false(json_object_get_boolean(member(o, "metadata.retried")));
    assert_true(json_object_get_double(member(o, "performance_data.response_time")) == 0.045);
    assert_true(json_object_get_double(member(o, "performance_data.memory_usage")) == 128.5);
    assert_int_equal(json_object_get_int64(member(o, "process_id")), (int64_t) getpid());
    assert_true(json_object_get_int64(member(o, "thread_id")) > 0);
    free_records(r);
}

static void every_value_type(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("types");
    const char *null_str = NULL;
    unsigned long long big = 18446744073709551615ull;
    long long small = INT64_MIN;
    short sh = -7;
    unsigned char uc = 200;
    float f = 0.5f;
    char ch = 'A';
    _Bool b = 1;
    NLOG_DEBUG(lg, "types", NLOG_CTX("s", "text"), NLOG_CTX("null", NULL),
               NLOG_CTX("null_str", null_str), NLOG_CTX("u64", big), NLOG_CTX("i64", small),
               NLOG_CTX("short", sh), NLOG_CTX("uchar", uc), NLOG_CTX("float", f),
               NLOG_CTX("char", ch), NLOG_CTX("bool", b), NLOG_CTX("nan", NAN),
               NLOG_CTX("inf", -INFINITY), NLOG_CTX("dmax", DBL_MAX),
               NLOG_STRN(NLOG_GROUP_CONTEXT, "strn", "abcdef", 3));
    size_t n;
    json_object **r = read_records("netlink.log", &n);
    assert_int_equal(n, 1);
    json_object *o = r[0];
    assert_string_equal(str_at(o, "context.s"), "text");
    assert_true(json_object_is_type(member(o, "context.null"), json_type_null));
    assert_true(json_object_is_type(member(o, "context.null_str"), json_type_null));
    assert_true(json_object_get_uint64(member(o, "context.u64")) == UINT64_MAX);
    assert_true(json_object_get_int64(member(o, "context.i64")) == INT64_MIN);
    assert_int_equal(json_object_get_int(member(o, "context.short")), -7);
    assert_int_equal(json_object_get_int(member(o, "context.uchar")), 200);
    assert_true(json_object_get_double(member(o, "context.float")) == 0.5);
    assert_int_equal(json_object_get_int(member(o, "context.char")), 'A');
    assert_true(json_object_is_type(member(o, "context.bool"), json_type_boolean));
    assert_true(json_object_is_type(member(o, "context.nan"), json_type_null));
    assert_true(json_object_is_type(member(o, "context.inf"), json_type_null));
    assert_true(json_object_get_double(member(o, "context.dmax")) == DBL_MAX);
    assert_string_equal(str_at(o, "context.strn"), "abc");
    /* empty groups are omitted */
    assert_null(member(o, "metadata"));
    assert_null(member(o, "performance_data"));
    assert_string_equal(str_at(o, "category"), "application");
    free_records(r);
}

static int side_effects;
static int bump(void)
{
    return ++side_effects;
}

static void filtered_calls_do_not_evaluate_arguments(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("quiet");
    assert_int_equal(nlog_logger_set_level(lg, NLOG_LEVEL_WARNING), NLOG_OK);
    side_effects = 0;
    nlog_info(lg, "value %d", bump());
    NLOG_DEBUG(lg, "x", NLOG_CTX("v", bump()));
    nlog_trace(lg, "%d", bump());
    assert_int_equal(side_effects, 0);
    nlog_warning(lg, "value %d", bump());
    NLOG_ERROR(lg, "y", NLOG_CTX("v", bump()));
    assert_int_equal(side_effects, 2);
    size_t n;
    json_object **r = read_records("netlink.log", &n);
    assert_int_equal(n, 2);
    assert_string_equal(str_at(r[0], "message"), "value 1");
    assert_string_equal(str_at(r[0], "level"), "WARNING");
    assert_int_equal(json_object_get_int(member(r[1], "context.v")), 2);
    free_records(r);
}

static void printf_calls_for_every_level(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("fmt");
    nlog_trace(lg, "t %s", "a");
    nlog_debug(lg, "d %d", 1);
    nlog_info(lg, "i %u", 2u);
    nlog_warning(lg, "w %.2f", 0.5);
    nlog_error(lg, "e %c", 'x');
    nlog_critical(lg, "c %%");
    assert_int_equal(nlog_logf(lg, NLOG_LEVEL_SECURITY, NULL, "s %d", 6), NLOG_OK);
    assert_int_equal(nlog_logf(lg, NLOG_LEVEL_AUDIT, NULL, "a"), NLOG_OK);
    assert_int_equal(nlog_logf(lg, (nlog_level) 21, NULL, "bad"), NLOG_EINVAL);
    size_t n;
    json_object **r = read_records("netlink.log", &n);
    assert_int_equal(n, 8);
    const char *want[][2] = {{"TRACE", "t a"},   {"DEBUG", "d 1"},      {"INFO", "i 2"},
                             {"WARNING", "w 0.50"}, {"ERROR", "e x"},   {"CRITICAL", "c %"},
                             {"SECURITY", "s 6"}, {"AUDIT", "a"}};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(str_at(r[i], "level"), want[i][0]);
        assert_string_equal(str_at(r[i], "message"), want[i][1]);
    }
    assert_true(json_object_is_type(member(r[6], "function"), json_type_null));
    free_records(r);
}

static void security_and_audit_files_receive_their_records(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("routing");
    assert_int_equal(nlog_logger_set_level(lg, NLOG_LEVEL_CRITICAL), NLOG_OK);
    NLOG_SECURITY(lg, "login failure", NLOG_CATEGORY(NLOG_CAT_AUTH), NLOG_CTX("ip_address", "10.0.0.1"));
    NLOG_AUDIT(lg, "config changed", NLOG_CATEGORY(NLOG_CAT_AUDIT));
    NLOG_CRITICAL(lg, "security-category record", NLOG_CATEGORY(NLOG_CAT_SECURITY));
    NLOG_CRITICAL(lg, "audit-category record", NLOG_CATEGORY(NLOG_CAT_AUDIT));
    NLOG_CRITICAL(lg, "plain");
    NLOG_INFO(lg, "filtered", NLOG_CATEGORY(NLOG_CAT_SECURITY));
    size_t n_main, n_sec, n_audit;
    json_object **m = read_records("netlink.log", &n_main);
    json_object **s = read_records("security.log", &n_sec);
    json_object **a = read_records("audit.log", &n_audit);
    assert_int_equal(n_main, 5);
    assert_int_equal(n_sec, 2);
    assert_int_equal(n_audit, 2);
    assert_string_equal(str_at(s[0], "message"), "login failure");
    assert_string_equal(str_at(s[1], "message"), "security-category record");
    assert_string_equal(str_at(a[0], "message"), "config changed");
    assert_string_equal(str_at(a[1], "message"), "audit-category record");
    free_records(m);
    free_records(s);
    free_records(a);
}

static void disabled_security_records_are_counted(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.security_enabled = 0;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_counters before = {.struct_size = sizeof before}, after = {.struct_size = sizeof after};
    assert_int_equal(nlog_stats(&before), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("nosec");
    NLOG_SECURITY(lg, "ignored");
    assert_int_equal(nlog_log(lg, NLOG_LEVEL_SECURITY, NULL, "ignored too", NULL, 0), NLOG_OK);
    NLOG_AUDIT(lg, "kept");
    assert_int_equal(nlog_stats(&after), NLOG_OK);
    assert_int_equal(after.disabled - before.disabled, 2);
    assert_int_equal(after.records[7] - before.records[7], 1);
    size_t n;
    json_object **r = read_records("netlink.log", &n);
    assert_int_equal(n, 1);
    assert_string_equal(str_at(r[0], "message"), "kept");
    assert_int_equal(access(tu_path(dir, "security.log"), F_OK), -1);
    free_records(r);
}

static void custom_and_unknown_categories(void **state)
{
    (void) state;
    nlog_category billing;
    assert_int_equal(nlog_category_register("billing", &billing), NLOG_OK);
    nlog_logger *lg = nlog_get_logger("cats");
    NLOG_INFO(lg, "custom", NLOG_CATEGORY(billing));
    tu_diag_capture();
    nlog_field f = nlog_field_category((nlog_category) 999);
    assert_int_equal(nlog_log(lg, NLOG_LEVEL_INFO, NULL, "unknown", &f, 1), NLOG_EINVAL);
    assert_true(tu_diag_contains("unknown category id 999"));
    nlog_set_diagnostics(NULL, NULL);
    size_t n;
    json_object **r = read_records("netlink.log", &n);
    assert_int_equal(n, 2); /* the record is kept, as "application" */
    assert_string_equal(str_at(r[0], "category"), "billing");
    assert_string_equal(str_at(r[1], "category"), "application");
    free_records(r);
}

static void hostile_input_never_breaks_a_line(void **state)
{
    (void) state;
    nlog_logger *lg = nlog_get_logger("evil\n\"name\x1b[31m");
    const char *nasty[] = {
        "line1\nline2\r\n{\"level\":\"CRITICAL\"}", "quote\" back\\slash", "\x1b[2J\x1b[31mred",
        "bad utf8 \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82", "tab\tbell\a del\x7f",
        "\xe2\x80\xae rtl \xe2\x80\xa8 ls", "",
    };
    size_t count = 0;
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
        NLOG_WARNING(lg, nasty[i], NLOG_CTX(nasty[i], nasty[i]), NLOG_META("k\n", nasty[i]));
        nlog_warning(lg, "%s", nasty[i]);
        count += 2;
    }
    /* binary without NUL: every byte value 1..255 */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char) i;
    all[255] = '\0';
    NLOG_ERROR(lg, all, NLOG_CTX(all, all));
    count++;
    /* a string with NUL bytes inside, by explicit length */
    NLOG_ERROR(lg, "nul", NLOG_STRN(NLOG_GROUP_CONTEXT, "v", "a\0b\0c", 5));
    count++;
    assert_int_equal(tu_assert_json_lines(tu_path(dir, "netlink.log")), count);
    size_t n;
    json_object **r = read_records("netlink.log", &n);
    assert_string_equal(str_at(r[0], "message"), nasty[0]);
    assert_string_equal(str_at(r[0], "module"), "evil\n\"name\x1b[31m");
    json_object *v = member(r[n - 1], "context.v");
    assert_int_equal(json_object_get_string_len(v), 5);
    assert_memory_equal(json_object_get_string(v), "a\0b\0c", 5);
    free_records(r);
}

static void oversized_records_are_cut_but_valid(void **state)
{
    (void) state;
    nlog_config cfg;
    tu_config(&cfg, dir);
    cfg.max_record_size = 2048;
    assert_int_equal(nlog_init(&cfg), NLOG_OK);
    nlog_counters before = {.struct_size = sizeof before}, after = {.struct_size = sizeof after};
    assert_int_equal(nlog_stats(&before), NLOG_OK);
    char big[10000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nlog_logger *lg = nlog_get_logger("big");
    nlog_info(lg, "%s", big);
    NLOG_INFO(lg, big, NLOG_CTX("v", big));
    nlog_field many[NLOG_FIELDS_MAX + 10];
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        many[i] = nlog_field_int(NLOG_GROUP_METADATA, "k", (int64_t) i);
    assert_int_equal(nlog_log(lg, NLOG_LEVEL_INFO, NULL, "many", many, sizeof many / sizeof many[0]), NLOG_OK);
    assert_int_equal(nlog_stats(&after), NLOG_OK);
    assert_int_equal(after.records_truncated - before.records_truncated, 2);
    assert_int_equal(after.fields_ignored - before.fields_ignored, 10);
    size_t len;
    char *text = tu_read_file(tu_path(dir, "netlink.log"), &len);
    char **lines;
    size_t n = tu_split_lines(text, len, &lines);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(lines[i]) + 1 <= 2048);
        json_object_put(tu_parse_json(lines[i]));
    }
    free(lines);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(structured_call_has_the_products_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(every_value_type, setup, teardown),
        cmocka_unit_test_setup_teardown(filtered_calls_do_not_evaluate_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(printf_calls_for_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(security_and_audit_files_receive_their_records, setup, teardown),
        cmocka_unit_test_setup_teardown(disabled_security_records_are_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(custom_and_unknown_categories, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_input_never_breaks_a_line, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_records_are_cut_but_valid, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
