/* test_server_ingest_memory.c: what one ingest request may cost in memory
 * (src/server/ingest_parse.c): the request's budget (413 beyond), the
 * per-record bounds that keep json-c's tree of one record small, and a JSON
 * array read element by element rather than as one tree of the body. */
#include "testutil.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/ingest_parse.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define RECX "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m\"}"
#define REC "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m%05d\"}"

static char *ndjson(int n, size_t *len)
{
    size_t cap = (size_t) n * 80 + 1, off = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    for (int i = 0; i < n; i++)
        off += (size_t) snprintf(b + off, cap - off, REC "\n", i);
    *len = off;
    return b;
}

/* Records of a request take memory beyond their body (about 2 to 3 times
 * here): within the budget they are all kept, beyond it the request is
 * refused as a whole (413, naming the setting) and what it held when it
 * stopped is within the budget plus one record. */
static void test_request_budget(void **state)
{
    (void) state;
    size_t len;
    char *body = ndjson(5000, &len);
    nlogd_ingest in;
    nlogd_err e;
    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse(body, len, &in, &e), 0);
    assert_int_equal(in.n, 5000);
    size_t need = nlogd_ingest_mem(&in);
    assert_true(need > len); /* the amplification the budget is about */
    nlogd_ingest_free(&in);

    nlogd_ingest_init(&in);
    in.mem_limit = need;
    assert_int_equal(nlogd_ingest_parse(body, len, &in, &e), 0);
    assert_int_equal(in.n, 5000);
    assert_true(nlogd_ingest_mem(&in) <= need);
    nlogd_ingest_free(&in);

    for (int fast = 0; fast < 2; fast++) {
        nlogd_ingest_init(&in);
        in.mem_limit = len / 2;
        memset(&e, 0, sizeof e);
        assert_int_equal(nlogd_ingest_parse_ex(body, len, &in, &e, fast ? 0 : NLOGD_PARSE_NO_FAST),
                         -1);
        assert_int_equal(e.status, 413);
        assert_string_equal(e.code, "payload_too_large");
        assert_non_null(strstr(e.message, "server.max_request_memory"));
        assert_true(nlogd_ingest_mem(&in) <= len / 2 + 4096);
        nlogd_ingest_free(&in);
    }
    /* The same records as a JSON array, through json-c one by one. */
    char *arr = malloc(len + 2);
    assert_non_null(arr);
    arr[0] = '[';
    memcpy(arr + 1, body, len);
    for (size_t i = 1; i < len; i++)
        if (arr[i] == '\n')
            arr[i] = ',';
    arr[len] = ']';
    nlogd_ingest_init(&in);
    in.mem_limit = len / 2;
    assert_int_equal(nlogd_ingest_parse_ex(arr, len + 1, &in, &e, NLOGD_PARSE_NO_FAST), -1);
    assert_int_equal(e.status, 413);
    nlogd_ingest_free(&in);
    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse_ex(arr, len + 1, &in, &e, NLOGD_PARSE_NO_FAST), 0);
    assert_int_equal(in.n, 5000);
    assert_int_equal(in.rejected, 0);
    assert_int_equal(in.recs[4999].message_len, 6);
    assert_memory_equal(in.recs[4999].message, "m04999", 6);
    nlogd_ingest_free(&in);
    free(arr);
    free(body);
}

/* One record of more than NLOGD_RECORD_VALUES_MAX values, or more than
 * NLOGD_RECORD_MAX bytes, is refused as a record (its neighbours are kept),
 * in an array and in NDJSON. */
static void test_record_bounds(void **state)
{
    (void) state;
    size_t cap = 64 + (size_t) NLOGD_RECORD_VALUES_MAX * 8 + NLOGD_RECORD_MAX + 4096, off = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    off += (size_t) snprintf(b + off, cap - off, "[" REC ",", 0);
    off += (size_t) snprintf(b + off, cap - off,
                             "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\","
                             "\"message\":\"wide\",\"x_wide\":[");
    for (int i = 0; i < NLOGD_RECORD_VALUES_MAX; i++)
        off += (size_t) snprintf(b + off, cap - off, "%s0", i ? "," : "");
    off += (size_t) snprintf(b + off, cap - off, "]},");
    off += (size_t) snprintf(b + off, cap - off,
                             "{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\","
                             "\"message\":\"");
    memset(b + off, 'x', NLOGD_RECORD_MAX);
    off += NLOGD_RECORD_MAX;
    off += (size_t) snprintf(b + off, cap - off, "\"}," REC ",1]", 3);
    nlogd_ingest in;
    nlogd_err e;
    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse(b, off, &in, &e), 0);
    assert_int_equal(in.n, 2);
    assert_memory_equal(in.recs[1].message, "m00003", 6);
    assert_int_equal(in.rejected, 3);
    assert_int_equal(in.errors[0].index, 1);
    assert_non_null(strstr(in.errors[0].message, "JSON values"));
    assert_int_equal(in.errors[1].index, 2);
    assert_non_null(strstr(in.errors[1].message, "bytes of JSON"));
    assert_int_equal(in.errors[2].index, 4);
    assert_non_null(strstr(in.errors[2].message, "expected an object"));
    nlogd_ingest_free(&in);

    /* NDJSON: the same three records, one per line */
    for (size_t i = 1; i + 1 < off; i++)
        if (b[i] == ',' && (b[i + 1] == '{' || b[i + 1] == '1') && b[i - 1] == '}')
            b[i] = '\n';
    b[0] = ' ';
    off--; /* the closing ] of the array */
    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse(b, off, &in, &e), 0);
    assert_int_equal(in.n, 2);
    assert_int_equal(in.rejected, 3);
    assert_int_equal(in.errors[0].line, 2);
    assert_non_null(strstr(in.errors[0].message, "JSON values"));
    assert_int_equal(in.errors[1].line, 3);
    assert_non_null(strstr(in.errors[1].message, "bytes of JSON"));
    nlogd_ingest_free(&in);
    free(b);
}

/* Malformed arrays are still refused as a whole, with the byte. */
static void test_array_errors(void **state)
{
    (void) state;
    static const struct {
        const char *body;
        const char *needle;
    } bad[] = {
        {"[" RECX ",]", "near byte 67 ("},
        {"[" RECX, "unexpected end"},
        {"[" RECX " " RECX "]", "expected , or ]"},
        {"[" RECX "] x", "text after the array"},
        {"[{\"timestamp\":\"2024-01-15T10:30:45Z\",\"level\":\"INFO\",\"message\":\"m\"]", ""},
        {"[\"unterminated]", "unterminated"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *body = bad[i].body;
        nlogd_ingest in;
        nlogd_err e;
        nlogd_ingest_init(&in);
        memset(&e, 0, sizeof e);
        if (nlogd_ingest_parse_ex(body, strlen(body), &in, &e, NLOGD_PARSE_NO_FAST) != -1)
            fail_msg("accepted: %s", body);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.code, "malformed_body");
        if (!strstr(e.message, bad[i].needle))
            fail_msg("%s: message '%s' lacks '%s'", body, e.message, bad[i].needle);
        nlogd_ingest_free(&in);
    }
    nlogd_ingest in;
    nlogd_err e;
    nlogd_ingest_init(&in);
    assert_int_equal(nlogd_ingest_parse_ex(" [ ] ", 5, &in, &e, NLOGD_PARSE_NO_FAST), 0);
    assert_int_equal(in.n + in.rejected, 0);
    nlogd_ingest_free(&in);
}

/* An array of 2,000,000 tiny values (4 MB): as one json-c tree it takes
 * well over 100 MB; read element by element the peak stays near the body.
 * Measured as the growth of a child process's peak RSS (ASan's quarantine
 * keeps freed memory resident, so it is skipped there). */
static void test_array_not_one_tree(void **state)
{
    (void) state;
#ifdef UNDER_ASAN
    skip();
#else
    enum { N = 2000000 };
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        size_t len = 2 * (size_t) N + 1;
        char *b = malloc(len);
        if (!b)
            _exit(3);
        b[0] = '[';
        for (size_t i = 0; i < N; i++) {
            b[1 + 2 * i] = '1';
            b[2 + 2 * i] = i + 1 < N ? ',' : ']';
        }
        struct rusage r0, r1;
        getrusage(RUSAGE_SELF, &r0);
        nlogd_ingest in;
        nlogd_err e;
        nlogd_ingest_init(&in);
        int rc = nlogd_ingest_parse(b, len, &in, &e);
        getrusage(RUSAGE_SELF, &r1);
        long grown_kb = r1.ru_maxrss - r0.ru_maxrss;
        fprintf(stderr, "array of %d values (%zu bytes): peak RSS grew by %ld kB, rc %d, "
                "rejected %zu\n", N, len, grown_kb, rc, in.rejected);
        if (rc != 0 || in.rejected != N || in.n != 0)
            _exit(4);
        _exit(grown_kb > 16 * 1024 ? 5 : 0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_budget),
        cmocka_unit_test(test_record_bounds),
        cmocka_unit_test(test_array_errors),
        cmocka_unit_test(test_array_not_one_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
