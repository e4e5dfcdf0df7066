/* test_server_gunzip.c: gzip request bodies (src/server/http/gunzip.c):
 * single and concatenated members, the decoded-size cap at exactly cap and
 * cap + 1, trailers whose ISIZE lies either way, truncated and garbage input,
 * and bombs. Every input is built here with zlib's deflate, so the expected
 * output is known byte for byte. */
#include "testutil.h"

#include <zlib.h>

#include "server/buf.h"
#include "server/error.h"
#include "server/http/gunzip.h"

/* A growable byte string for building inputs. */
typedef struct bytes {
    unsigned char *p;
    size_t n;
} bytes;

static void bytes_add(bytes *b, const void *p, size_t n)
{
    unsigned char *q = realloc(b->p, b->n + n + 1);
    assert_non_null(q);
    if (n)
        memcpy(q + b->n, p, n);
    b->p = q;
    b->n += n;
}

/* n bytes of NDJSON-looking text, the same for the same seed: compresses
 * about as well as real records do. */
static unsigned char *text(size_t n, unsigned seed)
{
    static const char *const words[] = {"GET", "/api/v2/orders", "user", "42", "timeout",
                                        "database", "INFO", "ERROR", "latency_ms", "ok"};
    unsigned char *p = malloc(n + 1);
    assert_non_null(p);
    unsigned x = seed * 2654435761u + 1;
    size_t i = 0;
    while (i < n) {
        x = x * 1103515245u + 12345u;
        const char *w = words[(x >> 16) % 10];
        for (size_t k = 0; w[k] && i < n; k++)
            p[i++] = (unsigned char) w[k];
        if (i < n)
            p[i++] = (x >> 8) % 13 == 0 ? '\n' : ' ';
    }
    return p;
}

/* One gzip member of p[0..n) appended to out, with a file name, comment and
 * extra field in its header when `fields` is set (what the gzip tool and some
 * clients write). */
static void gz_member(bytes *out, const void *p, size_t n, int level, int fields)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    gz_header h;
    memset(&h, 0, sizeof h);
    if (fields) {
        /* one subfield: id "XY", length 2, "ab" */
        static unsigned char extra[] = {'X', 'Y', 2, 0, 'a', 'b'};
        h.name = (Bytef *) "records.ndjson";
        h.comment = (Bytef *) "from a test";
        h.extra = extra;
        h.extra_len = 6;
        assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
    }
    size_t bound = deflateBound(&z, (uLong) n) + 256;
    unsigned char *buf = malloc(bound);
    assert_non_null(buf);
    z.next_in = (Bytef *) p;
    z.avail_in = (uInt) n;
    z.next_out = buf;
    z.avail_out = (uInt) bound;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    bytes_add(out, buf, bound - z.avail_out);
    assert_int_equal(deflateEnd(&z), Z_OK);
    free(buf);
}

/* Rewrites the ISIZE (last 4 bytes, little-endian) of the member ending at
 * b->p + end. */
static void set_isize(bytes *b, size_t end, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->p[end - 4 + (size_t) i] = (unsigned char) (v >> (8 * i));
}

/* Decodes with the given cap; returns the status (0 for success). */
static int run(const bytes *in, size_t cap, nlogd_buf *out, nlogd_err *e)
{
    nlogd_buf_init(out, cap);
    memset(e, 0, sizeof *e);
    int rc = nlogd_gunzip(in->p ? in->p : (const unsigned char *) "", in->n, cap, out, e);
    if (rc == 0) {
        assert_int_equal(e->status, 0);
        return 0;
    }
    assert_int_equal(rc, -1);
    assert_true(e->status != 0);
    assert_true(e->message[0] != '\0');
    return e->status;
}

static void expect_ok(const bytes *in, size_t cap, const unsigned char *want, size_t want_n)
{
    nlogd_buf out;
    nlogd_err e;
    int st = run(in, cap, &out, &e);
    if (st != 0)
        fail_msg("refused (%d): %s", st, e.message);
    assert_int_equal(out.len, want_n);
    assert_true(out.len <= cap);
    assert_true(out.size <= cap + 1); /* never more memory than the cap */
    if (want_n)
        assert_memory_equal(out.data, want, want_n);
    assert_non_null(out.data);
    assert_int_equal(out.data[out.len], '\0'); /* nlogd_buf keeps data NUL-terminated */
    nlogd_buf_free(&out);
}

/* Refused with this status; the message contains needle. */
static void expect_err(const bytes *in, size_t cap, int status, const char *needle)
{
    nlogd_buf out;
    nlogd_err e;
    int st = run(in, cap, &out, &e);
    if (st != status)
        fail_msg("status %d, wanted %d (%s)", st, status, st ? e.message : "accepted");
    if (!strstr(e.message, needle))
        fail_msg("message '%s' lacks '%s'", e.message, needle);
    assert_true(out.len <= cap);
    assert_true(out.size <= cap + 1);
    assert_string_equal(e.code, status == 413 ? "payload_too_large" : "malformed_body");
    nlogd_buf_free(&out);
}

static const char TOO_BIG[] = "once decompressed; accepted: at most server.max_body_size";
static const char NOT_GZIP[] = "body: not a valid gzip stream (";
static const char ENDS_EARLY[] = "body: the gzip stream ends early";

static void test_single_member(void **state)
{
    (void) state;
    static const size_t sizes[] = {0, 1, 100, 65535, 65536, 65537, 1000003, 3u << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *t = text(sizes[i], (unsigned) i);
        for (int level = 0; level <= 9; level += 3) {
            bytes in = {0};
            gz_member(&in, t, sizes[i], level, level == 6);
            expect_ok(&in, 16u << 20, t, sizes[i]);
            free(in.p);
        }
        free(t);
    }
}

static void test_multi_member(void **state)
{
    (void) state;
    /* members of very different sizes, an empty one among them: the last
     * member's ISIZE says nothing about the others */
    static const size_t sizes[] = {200000, 0, 17, 1500000, 3};
    bytes in = {0}, want = {0};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *t = text(sizes[i], 100 + (unsigned) i);
        gz_member(&in, t, sizes[i], i % 2 ? 1 : 9, i == 2);
        bytes_add(&want, t, sizes[i]);
        free(t);
    }
    expect_ok(&in, 16u << 20, want.p, want.n);
    /* two members of one byte each */
    bytes two = {0};
    gz_member(&two, "a", 1, 6, 0);
    gz_member(&two, "b", 1, 6, 0);
    expect_ok(&two, 1024, (const unsigned char *) "ab", 2);
    /* the cap counts all members together */
    expect_ok(&two, 2, (const unsigned char *) "ab", 2);
    expect_err(&two, 1, 413, TOO_BIG);
    free(two.p);
    /* a second member cut short, or followed by bytes that are not gzip */
    bytes cut = {0};
    gz_member(&cut, "first", 5, 6, 0);
    size_t one = cut.n;
    gz_member(&cut, "second", 6, 6, 0);
    cut.n -= 3;
    expect_err(&cut, 1024, 400, ENDS_EARLY);
    cut.n = one;
    bytes_add(&cut, "trailing junk!!!!!!!", 20);
    expect_err(&cut, 1024, 400, NOT_GZIP);
    free(cut.p);
    free(in.p);
    free(want.p);
}

static void test_cap(void **state)
{
    (void) state;
    static const size_t caps[] = {1, 1000, 65536, 65537, 1u << 20, 1234567};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        size_t cap = caps[i];
        unsigned char *t = text(cap + 1, 7);
        bytes at = {0}, over = {0};
        gz_member(&at, t, cap, 6, 0);
        gz_member(&over, t, cap + 1, 6, 0);
        expect_ok(&at, cap, t, cap);
        expect_err(&over, cap, 413, TOO_BIG);
        /* the exact message, with the cap in it */
        nlogd_buf out;
        nlogd_err e;
        assert_int_equal(run(&over, cap, &out, &e), 413);
        char msg[256];
        snprintf(msg, sizeof msg,
                 "body: more than %zu bytes once decompressed; accepted: at most "
                 "server.max_body_size (%zu bytes) after gzip decoding",
                 cap, cap);
        assert_string_equal(e.message, msg);
        assert_string_equal(e.param, "body");
        nlogd_buf_free(&out);
        free(at.p);
        free(over.p);
        free(t);
    }
}

static void test_bomb(void **state)
{
    (void) state;
    /* 256 MiB of zeros is about 250 KB of gzip: refused at the cap */
    size_t n = 256u << 20;
    unsigned char *zeros = calloc(1, 1u << 20);
    assert_non_null(zeros);
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    bytes in = {0};
    unsigned char chunk[65536];
    for (size_t done = 0; done < n; done += 1u << 20) {
        z.next_in = zeros;
        z.avail_in = 1u << 20;
        int flush = done + (1u << 20) >= n ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.next_out = chunk;
            z.avail_out = sizeof chunk;
            int rc = deflate(&z, flush);
            assert_true(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
            bytes_add(&in, chunk, sizeof chunk - z.avail_out);
        } while (z.avail_out == 0);
    }
    assert_int_equal(deflateEnd(&z), Z_OK);
    assert_true(in.n < n / 500);
    expect_err(&in, 1u << 20, 413, TOO_BIG);
    expect_err(&in, 16u << 20, 413, TOO_BIG);
    free(in.p);
    free(zeros);
}

static void test_lying_isize(void **state)
{
    (void) state;
    size_t n = 1500000;
    unsigned char *t = text(n, 3);
    /* ISIZE is covered by the trailer check: a member whose ISIZE is wrong is
     * refused as not gzip, whichever way it lies, and never trusted for
     * memory: a tiny one under a big output, a huge one over a small output */
    static const uint32_t lies[] = {0, 1, 100, 0x7fffffffu, 0xffffffffu};
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        bytes in = {0};
        gz_member(&in, t, n, 6, 0);
        set_isize(&in, in.n, lies[i]);
        expect_err(&in, 16u << 20, 400, NOT_GZIP);
        /* over the cap it is a 413 before the trailer is reached */
        expect_err(&in, n / 2, 413, TOO_BIG);
        free(in.p);
        /* small output, huge ISIZE */
        bytes small = {0};
        gz_member(&small, t, 10, 6, 0);
        set_isize(&small, small.n, lies[i]);
        expect_err(&small, 16u << 20, 400, NOT_GZIP);
        free(small.p);
    }
    /* valid streams whose final ISIZE misleads about the whole: a big member
     * followed by a tiny one (the trailer says 2 bytes, the body is 1.5 MB),
     * and a tiny one followed by a big one (the trailer says more than
     * the first member holds) */
    bytes a = {0}, want_a = {0};
    gz_member(&a, t, n, 6, 0);
    gz_member(&a, "xy", 2, 6, 0);
    bytes_add(&want_a, t, n);
    bytes_add(&want_a, "xy", 2);
    expect_ok(&a, 16u << 20, want_a.p, want_a.n);
    expect_ok(&a, n + 2, want_a.p, want_a.n);
    expect_err(&a, n + 1, 413, TOO_BIG);
    bytes b = {0}, want_b = {0};
    gz_member(&b, "xy", 2, 6, 0);
    gz_member(&b, t, n, 6, 0);
    bytes_add(&want_b, "xy", 2);
    bytes_add(&want_b, t, n);
    expect_ok(&b, 16u << 20, want_b.p, want_b.n);
    expect_ok(&b, n + 2, want_b.p, want_b.n);
    expect_err(&b, n + 1, 413, TOO_BIG);
    free(a.p);
    free(want_a.p);
    free(b.p);
    free(want_b.p);
    free(t);
}

static void test_truncated(void **state)
{
    (void) state;
    size_t n = 100000;
    unsigned char *t = text(n, 5);
    bytes in = {0};
    gz_member(&in, t, n, 6, 1);
    size_t whole = in.n;
    /* every cut of the header, of the trailer and a stride through the data */
    for (size_t cut = 0; cut < whole; cut += (cut < 64 || cut + 64 > whole) ? 1 : 97) {
        in.n = cut;
        nlogd_buf out;
        nlogd_err e;
        int st = run(&in, 16u << 20, &out, &e);
        if (st != 400)
            fail_msg("cut at %zu of %zu: status %d (%s)", cut, whole, st, e.message);
        assert_string_equal(e.code, "malformed_body");
        assert_string_equal(e.param, "Content-Encoding");
        if (!strstr(e.message, ENDS_EARLY) && !strstr(e.message, NOT_GZIP))
            fail_msg("cut at %zu: %s", cut, e.message);
        nlogd_buf_free(&out);
    }
    /* a cut inside the compressed data says the stream ends early */
    in.n = whole / 2;
    expect_err(&in, 16u << 20, 400, ENDS_EARLY);
    in.n = whole - 1;
    expect_err(&in, 16u << 20, 400, ENDS_EARLY);
    in.n = 10; /* the fixed header alone */
    expect_err(&in, 16u << 20, 400, ENDS_EARLY);
    /* an empty body is not a gzip stream either */
    in.n = 0;
    expect_err(&in, 16u << 20, 400, "truncated");
    free(in.p);
    free(t);
}

static void test_garbage(void **state)
{
    (void) state;
    static const struct {
        const char *bytes;
        size_t n;
        const char *needle;
    } cases[] = {
        {"\x1f\x8b garbage", 10, "(unknown compression method)"},
        {"not gzip at all, just text", 26, "(incorrect header check)"},
        {"\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03xxxxxxxxxx", 20, "(unknown compression method)"},
        {"\x1f\x8b\x08\xe0\x00\x00\x00\x00\x00\x03xxxxxxxxxx", 20, "(unknown header flags set)"},
        {"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff\xff\xff\xff", 18,
         "(invalid block type)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bytes in = {0};
        bytes_add(&in, cases[i].bytes, cases[i].n);
        expect_err(&in, 1u << 20, 400, NOT_GZIP);
        expect_err(&in, 1u << 20, 400, cases[i].needle);
        free(in.p);
    }
    /* a flipped bit in the data or in the CRC is caught */
    unsigned char *t = text(50000, 9);
    bytes in = {0};
    gz_member(&in, t, 50000, 6, 0);
    in.p[in.n - 8] ^= 0x01; /* CRC-32 */
    expect_err(&in, 1u << 20, 400, "(incorrect data check)");
    in.p[in.n - 8] ^= 0x01;
    expect_ok(&in, 1u << 20, t, 50000);
    in.p[in.n / 2] ^= 0x10; /* somewhere in the compressed data */
    expect_err(&in, 1u << 20, 400, NOT_GZIP);
    free(in.p);
    /* a header CRC (FHCRC) is checked when present */
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    gz_header h;
    memset(&h, 0, sizeof h);
    h.hcrc = 1;
    h.name = (Bytef *) "x";
    assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
    unsigned char buf[256];
    z.next_in = (Bytef *) "hello";
    z.avail_in = 5;
    z.next_out = buf;
    z.avail_out = sizeof buf;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    bytes hc = {0};
    bytes_add(&hc, buf, sizeof buf - z.avail_out);
    assert_int_equal(deflateEnd(&z), Z_OK);
    expect_ok(&hc, 1024, (const unsigned char *) "hello", 5);
    hc.p[12] ^= 0xff; /* the header CRC after "x\0" */
    expect_err(&hc, 1024, 400, "(header crc mismatch)");
    free(hc.p);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_member), cmocka_unit_test(test_multi_member),
        cmocka_unit_test(test_cap),           cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_lying_isize),   cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
