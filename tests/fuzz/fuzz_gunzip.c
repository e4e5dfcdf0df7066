/* fuzz_gunzip.c: libFuzzer target for gzip request bodies
 * (src/server/http/gunzip.c).
 *
 * Input: 3 bytes of cap (little-endian, taken modulo 1 MiB, plus 1), then
 * the body. Properties:
 *   - no crash, leak, hang or read out of bounds, whatever the bytes and
 *     whatever the ISIZE trailers say;
 *   - accepted: at most cap bytes out, the buffer within cap + 1 bytes and
 *     NUL-terminated; refused: a 400 or 413 with a code and a message;
 *   - against the zlib-only decoder (nlogd_gunzip_zlib, nlogd's decoder
 *     before libdeflate): whatever it accepts is accepted, with the same
 *     bytes; whatever both accept is the same bytes.
 *     (Not the other way round: libdeflate's Huffman tables are a little
 *     more lenient than zlib's, so it may take a malformed stream that no
 *     compressor writes; its CRC-32 and size still have to match.)
 * Corpus: tests/fuzz/corpus/gunzip/ (replayed as fuzz_gunzip_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/buf.h"
#include "server/error.h"
#include "server/http/gunzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(int rc, const nlogd_err *e, const nlogd_buf *out, size_t cap)
{
    if (rc == 0) {
        if (out->len > cap || out->size > cap + 1 || (out->data && out->data[out->len] != '\0'))
            abort();
        return;
    }
    if (rc != -1 || (e->status != 400 && e->status != 413) || !e->code[0] || !e->message[0])
        abort();
    if (out->len > cap || out->size > cap + 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > (1u << 18) + 3)
        return 0;
    size_t cap = 1 + (((size_t) data[0] | (size_t) data[1] << 8 | (size_t) data[2] << 16) %
                      (1u << 20));
    const unsigned char *in = data + 3;
    size_t n = size - 3;
    nlogd_buf a, b;
    nlogd_err ea, eb;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    nlogd_buf_init(&a, cap);
    nlogd_buf_init(&b, cap);
    int ra = nlogd_gunzip(in, n, cap, &a, &ea);
    int rb = nlogd_gunzip_zlib(in, n, cap, &b, &eb);
    check_result(ra, &ea, &a, cap);
    check_result(rb, &eb, &b, cap);
    if (rb == 0 && ra != 0)
        abort(); /* refuses what was accepted before */
    if (ra == 0 && rb == 0 &&
        (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)))
        abort();
    nlogd_buf_free(&a);
    nlogd_buf_free(&b);
    return 0;
}
