/* fuzz_security_decrypt.c: libFuzzer target for the field decryptor
 * (src/security/fieldcrypt.c: the record marker, the "enc1:" value, base64,
 * the sealed data key, the plaintext's type byte) and for the masking
 * scanner (src/security/mask.c) and the content patterns' decoder
 * (src/security/pattern.c), all of which read text from outside.
 *
 * Input: lines "marker\ngroup\nkey\nvalue\ntime_ns\n" (missing lines are
 * empty), decrypted with a fixed key pair (seeded with 32 bytes 0x5a), so the
 * corpus holds real ciphertexts: its first entries are fields the library
 * encrypted for that pair, as they appear in records, then altered copies.
 *
 * Properties checked:
 *   - no crash, leak or hang (sanitizers and the fuzzer check those);
 *   - a failure is NLOG_EINVAL or NLOG_ELIMIT with a non-empty, one-line
 *     reason that never quotes the value;
 *   - success writes NUL-terminated JSON text inside the buffer;
 *   - masking never lengthens a text, and says it changed exactly when it did.
 * Corpus: tests/fuzz/corpus/security_decrypt/ (replayed by CTest). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <nlog/nlog.h>

#include "security/mask.h"
#include "security/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sk_b64[NLOG_ENCRYPTION_KEY_B64_SIZE];
static nlog__masker masker;
static int ready;

static void setup(void)
{
    unsigned char seed[crypto_box_SEEDBYTES], pk[crypto_box_PUBLICKEYBYTES],
        sk[crypto_box_SECRETKEYBYTES];
    if (sodium_init() < 0)
        abort();
    memset(seed, 0x5a, sizeof seed); /* the corpus was encrypted for this pair */
    crypto_box_seed_keypair(pk, sk, seed);
    sodium_bin2base64(sk_b64, sizeof sk_b64, sk, sizeof sk, sodium_base64_VARIANT_ORIGINAL);
    nlog_config in, cfg;
    nlog_error err;
    nlog_config_init(&in);
    in.use_environment = 0;
    if (nlog_config_resolve(&in, &cfg, &err) != NLOG_OK)
        abort();
    nlog__masker_init(&masker, &cfg, 1);
}

/* The next line of [*p, end) as a NUL-terminated copy (caller frees). */
static char *line(const uint8_t **p, const uint8_t *end, size_t *len)
{
    const uint8_t *a = *p, *b = a;
    while (b < end && *b != '\n')
        b++;
    *len = (size_t) (b - a);
    char *s = malloc(*len + 1);
    if (!s)
        abort();
    memcpy(s, a, *len);
    s[*len] = '\0';
    *p = b < end ? b + 1 : b;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        setup();
        ready = 1;
    }
    /* one decryptor per input: its buffers live in sodium_malloc() memory,
     * which the leak checker does not scan, so it is destroyed each time */
    nlog_decryptor *dec;
    if (nlog_decryptor_create(sk_b64, &dec) != NLOG_OK)
        abort();
    const uint8_t *p = data, *end = data + size;
    size_t ml, gl, kl, vl, tl;
    char *marker = line(&p, end, &ml), *group = line(&p, end, &gl), *key = line(&p, end, &kl);
    char *value = line(&p, end, &vl), *tstr = line(&p, end, &tl);
    int64_t t = strtoll(tstr, NULL, 10);
    char out[512];
    size_t sizes[2] = {sizeof out, 4};
    for (int k = 0; k < 2; k++) {
        memset(out, 0x7f, sizeof out);
        nlog_status st = nlog_decryptor_open(dec, marker, t, group, key, value, vl, out, sizes[k]);
        if (st == NLOG_OK) {
            if (!memchr(out, '\0', sizes[k]))
                abort();
        } else {
            if (st != NLOG_EINVAL && st != NLOG_ELIMIT)
                abort();
            const char *why = nlog_errmsg();
            if (!why || !*why || strchr(why, '\n'))
                abort();
            /* the reason quotes no value (one of 24+ bytes, up to a NUL) */
            if (strlen(value) >= 24 && strstr(why, value))
                abort();
        }
    }
    /* masking the whole input as one text */
    char *masked = malloc(size + 1);
    if (!masked)
        abort();
    size_t n = nlog__mask_copy(&masker, (const char *) data, size, masked);
    if (n > size)
        abort();
    int changed = n != size || memcmp(masked, data, size) != 0;
    if (changed != nlog__mask_needed(&masker, (const char *) data, size))
        abort();
    (void) nlog__masker_key(&masker, (const char *) data, size);
    /* the patterns' decoder never lengthens what it decodes */
    static char decoded[NLOG__PATTERN_SUBJECT_MAX];
    size_t look = size < NLOG__PATTERN_SUBJECT_MAX ? size : NLOG__PATTERN_SUBJECT_MAX;
    if (nlog__pattern_decode((const char *) data, size, decoded) > look)
        abort();
    free(masked);
    nlog_decryptor_destroy(dec);
    free(marker);
    free(group);
    free(key);
    free(value);
    free(tstr);
    return 0;
}
