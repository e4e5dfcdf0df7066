/* test_json_cache.c: encoding through call-site templates gives exactly the
 * bytes of nlog__json_encode(), on the first record of a site (template
 * built) and on later ones with other values (template filled): every value
 * type, escapes, many sites evicting each other, threads and processes of
 * one site, records too big for a template or for the cap, records without
 * NLOG__REC_STATIC (never cached). */
#include <math.h>
#include <string.h>

#include "format/json.h"
#include "format/json_cache.h"
#include "testutil.h"

#define CAP 4096

static char direct[CAP], cached[CAP];

/* Encodes r both ways and checks the bytes and the truncation flag agree. */
static void same_bytes(nlog__json_cache *c, const nlog__record *r, size_t cap)
{
    int t1 = -1, t2 = -1;
    size_t n1 = nlog__json_encode(r, direct, cap, &t1);
    size_t n2 = nlog__json_encode_cached(c, r, cached, cap, &t2);
    if (n1 != n2 || memcmp(direct, cached, n1) != 0)
        fail_msg("cached encoding differs:\n direct: %.*s\n cached: %.*s", (int) n1, direct,
                 (int) n2, cached);
    assert_int_equal(t1, t2);
}

static nlog__record base(nlog_field *f, size_t n)
{
    nlog__record r = {
        .time_ns = 1764576000123456789LL,
        .level = NLOG_LEVEL_INFO,
        .category = "api",
        .logger = "auth.service",
        .logger_len = 12,
        .message = "User \"authenticated\"\n successfully",
        .function = "log_one",
        .line = 22,
        .fields = f,
        .n_fields = n,
        .pid = 4242,
        .tid = 4243,
        .flags = NLOG__REC_STATIC,
    };
    r.message_len = strlen(r.message);
    return r;
}

static void every_value_type_filled_correctly(void **state)
{
    (void) state;
    nlog__json_cache *c = nlog__json_cache_create();
    assert_non_null(c);
    int x;
    nlog_field f[] = {
        nlog_field_category(NLOG_CAT_API),
        nlog_field_int(NLOG_GROUP_CONTEXT, "request_id", 0),
        nlog_field_str(NLOG_GROUP_CONTEXT, "user_id", "user_789"),
        nlog_field_uint(NLOG_GROUP_METADATA, "u", 0),
        nlog_field_double(NLOG_GROUP_PERFORMANCE, "response_time", 0.0),
        nlog_field_bool(NLOG_GROUP_METADATA, "success", false),
        nlog_field_null(NLOG_GROUP_CONTEXT, "none"),
        nlog_field_ptr(NLOG_GROUP_CONTEXT, "p", &x),
        nlog_field_strn(NLOG_GROUP_METADATA, "bytes", "a\0b\x01\xff", 5),
        nlog_field_str(NLOG_GROUP_METADATA, "k\"ey\n", "\xe2\x80\xa8 line sep"),
    };
    nlog__record r = base(f, sizeof f / sizeof f[0]);
    static const double doubles[] = {0.045, -0.0, 1e300, NAN, INFINITY, 128.5, 3.0};
    for (int i = 0; i < 200; i++) {
        f[1].v.i = i % 2 ? -(int64_t) i * 1000003 : INT64_MAX - i;
        f[3].v.u = UINT64_MAX - (uint64_t) i;
        f[4].v.d = doubles[i % 7];
        f[5].v.b = i % 3 == 0;
        f[7].v.p = (const char *) &x + i;
        r.time_ns += 999999937LL * i; /* crosses seconds, minutes, days */
        same_bytes(c, &r, CAP);
    }
    uint64_t hits, misses;
    nlog__json_cache_stats(c, &hits, &misses);
    assert_int_equal(misses, 1); /* one template, filled 199 times */
    assert_int_equal(hits, 199);
    /* a value's type is part of the site: null instead of a pointer */
    f[7] = nlog_field_ptr(NLOG_GROUP_CONTEXT, "p", NULL);
    same_bytes(c, &r, CAP);
    nlog__json_cache_stats(c, &hits, &misses);
    assert_int_equal(misses, 2);
    nlog__json_cache_destroy(c);
}

static void many_sites_evict_each_other(void **state)
{
    (void) state;
    nlog__json_cache *c = nlog__json_cache_create();
    nlog_field f[] = {nlog_field_int(NLOG_GROUP_CONTEXT, "seq", 0)};
    nlog__record r = base(f, 1);
    for (int round = 0; round < 3; round++)
        for (int site = 0; site < 1000; site++) { /* far more sites than slots */
            r.line = 1000 + site;
            r.tid = 1 + site % 7;                 /* threads are part of the site */
            r.pid = round < 2 ? 4242 : 5555;      /* a forked child is another site */
            f[0].v.i = site * 3 + round;
            same_bytes(c, &r, CAP);
        }
    nlog__json_cache_destroy(c);
}

static void identity_changes_are_new_sites(void **state)
{
    (void) state;
    nlog__json_cache *c = nlog__json_cache_create();
    nlog_field f[] = {nlog_field_str(NLOG_GROUP_CONTEXT, "k", "v1")};
    nlog__record r = base(f, 1);
    same_bytes(c, &r, CAP);
    f[0].v.s = "v2"; /* another static string at the same site */
    same_bytes(c, &r, CAP);
    f[0] = nlog_field_strn(NLOG_GROUP_CONTEXT, "k", "v2v3", 2);
    same_bytes(c, &r, CAP);
    f[0].key = "other";
    same_bytes(c, &r, CAP);
    f[0].group = NLOG_GROUP_METADATA;
    same_bytes(c, &r, CAP);
    r.level = NLOG_LEVEL_ERROR;
    same_bytes(c, &r, CAP);
    r.category = "database";
    same_bytes(c, &r, CAP);
    r.logger = "other.logger";
    r.logger_len = 12;
    same_bytes(c, &r, CAP);
    r.function = NULL;
    same_bytes(c, &r, CAP);
    r.message_len = 4; /* a prefix of the same message */
    same_bytes(c, &r, CAP);
    nlog__json_cache_destroy(c);
}

static void big_records_and_small_caps_fall_back(void **state)
{
    (void) state;
    nlog__json_cache *c = nlog__json_cache_create();
    static char big[3000];
    memset(big, 'm', sizeof big - 1);
    nlog_field f[] = {nlog_field_int(NLOG_GROUP_CONTEXT, "n", 1),
                      nlog_field_double(NLOG_GROUP_CONTEXT, "d", 1.0 / 3.0)};
    nlog__record r = base(f, 2);
    r.message = big; /* too big for a template: encoded directly, cut to the cap */
    r.message_len = sizeof big - 1;
    same_bytes(c, &r, NLOG__RECORD_MIN_CAP);
    same_bytes(c, &r, CAP);
    /* a template that fits, but whose values might not fit the cap */
    r.message_len = NLOG__RECORD_MIN_CAP - 330;
    for (int i = 0; i < 4; i++) {
        f[0].v.i = i ? INT64_MIN : 0;
        same_bytes(c, &r, NLOG__RECORD_MIN_CAP);
    }
    nlog__json_cache_destroy(c);
}

static void unflagged_records_are_not_cached(void **state)
{
    (void) state;
    nlog__json_cache *c = nlog__json_cache_create();
    nlog_field f[] = {nlog_field_int(NLOG_GROUP_CONTEXT, "n", 1)};
    nlog__record r = base(f, 1);
    r.flags = 0;
    for (int i = 0; i < 10; i++)
        same_bytes(c, &r, CAP);
    same_bytes(NULL, &r, CAP); /* no cache at all */
    uint64_t hits, misses;
    nlog__json_cache_stats(c, &hits, &misses);
    assert_int_equal(hits, 0);
    assert_int_equal(misses, 0);
    nlog__json_cache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_value_type_filled_correctly),
        cmocka_unit_test(many_sites_evict_each_other),
        cmocka_unit_test(identity_changes_are_new_sites),
        cmocka_unit_test(big_records_and_small_caps_fall_back),
        cmocka_unit_test(unflagged_records_are_not_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
