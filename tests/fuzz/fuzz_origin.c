/* fuzz_origin.c: libFuzzer target for nlogd's Origin and Host checks
 * (src/server/http/origin.c).
 *
 * Input: the first byte's low bits pick TLS and keys on or off; the rest is
 * "HOST\nORIGIN\nALLOWED" (a missing part is an absent header / an empty
 * list). Properties:
 *   - no crash, leak or hang, whatever the bytes;
 *   - a refusal always says why (a non-empty message and reason);
 *   - the answer does not depend on anything but the input (same twice);
 *   - with keys and no Origin, every request passes (Host only matters
 *     without keys).
 * Corpus: tests/fuzz/corpus/origin/ (replayed as fuzz_origin_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    int tls = data[0] & 1, keys = (data[0] >> 1) & 1;
    char *buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    char *parts[3] = {NULL, NULL, NULL};
    char *p = buf;
    for (int i = 0; i < 3 && p; i++) {
        parts[i] = p;
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        p = nl ? nl + 1 : NULL;
    }
    const char *host = parts[0] && parts[0][0] ? parts[0] : NULL;
    const char *origin = parts[1] && parts[1][0] ? parts[1] : NULL;
    const char *allowed = parts[2] ? parts[2] : "";
    char why[512], why2[512];
    const char *reason = NULL, *reason2 = NULL;
    int a = nlogd_origin_check(host, origin, tls, keys, allowed, why, sizeof why, &reason);
    int b = nlogd_origin_check(host, origin, tls, keys, allowed, why2, sizeof why2, &reason2);
    if (a != b)
        abort();
    if (a != 0 && (!reason || !reason[0] || !why[0] || strcmp(why, why2) != 0))
        abort();
    if (keys && !origin && a != 0)
        abort();
    free(buf);
    return 0;
}
