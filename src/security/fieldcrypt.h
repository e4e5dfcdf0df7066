/* fieldcrypt.h: client-side field encryption (never installed).
 *
 * Format (docs/internals/security.md, "Encrypted fields", byte for byte):
 *
 *   record marker, metadata.nlog_encryption:
 *     "1.<rk>.<dk>.<seq>.<wk>"
 *       rk   16 lower-case hex digits: the first 8 bytes of BLAKE2b-256 of the
 *            recipient's public key (who can read it)
 *       dk   16 hex digits: 8 random bytes naming the data key
 *       seq  decimal: the record's number under that data key (from 0)
 *       wk   base64 (standard, padded) of crypto_box_seal(data key), 80 bytes
 *   encrypted value:
 *     "enc1:" base64(nonce[24] || XChaCha20-Poly1305 ciphertext || tag[16])
 *     (nonce: 16 random bytes drawn with the data key, then a counter, LE)
 *   plaintext: one type byte, then the value: 's' string bytes, 'i' / 'u'
 *     decimal, 'd' the number as JSON writes it, 'b' '1' or '0', 'n' nothing
 *   associated data:
 *     "nlog-field-v1" 0x00 | rk[8] | dk[8] | seq (u64 LE) | time_us (i64 LE)
 *     | group name | 0x00 | key
 *     where time_us is the record's timestamp in microseconds (as written)
 *     and group is "context", "metadata" or "performance_data".
 *
 * So every record carries what decrypting it needs (the wrapped key), the
 * expensive sealed box is made once per data key (encryption_batch_records
 * records, at most 60 s), and a value moved to another record, field or
 * group, or a record whose timestamp was changed, fails authentication.
 * Data keys are per thread (no lock on the encode path), in a locked page
 * that a child of fork()/_Fork()/clone() receives zeroed (MADV_WIPEONFORK), so
 * a child always makes its own; they are wiped when they are replaced or
 * their thread ends.
 * Tested by: tests/unit/security/test_security_crypt.c */
#ifndef NLOG_SECURITY_FIELDCRYPT_H
#define NLOG_SECURITY_FIELDCRYPT_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include <nlog/nlog.h>

#define NLOG__ENC_PREFIX "enc1:"
#define NLOG__ENC_MARKER_KEY "nlog_encryption"
#define NLOG__ENC_KEY_AGE_NS (60 * 1000000000LL)
#define NLOG__ENC_WRAPPED_BYTES (crypto_box_SEALBYTES + crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
/* Bytes of the marker text, with its NUL. */
#define NLOG__ENC_MARKER_MAX 192

/* The recipient of a pipeline's encrypted fields. */
typedef struct nlog__enc_recipient {
    unsigned char pk[crypto_box_PUBLICKEYBYTES];
    unsigned char rk[8];
    int batch_records;
} nlog__enc_recipient;

/* Decodes encryption_public_key into *r. NLOG_EINVAL if it is no key. */
nlog_status nlog__enc_recipient_init(nlog__enc_recipient *r, const char *key_b64,
                                     int batch_records);

/* Per record: the calling thread's data key (made or renewed as needed) and
 * the record's number under it. Fills the marker text. NLOG_ENOMEM if no
 * state could be had. */
typedef struct nlog__enc_record {
    const unsigned char *key;   /* the data key (thread state) */
    const unsigned char *nonce_prefix; /* thread state: 16 random bytes per data key */
    uint64_t *nonce_ctr;        /* thread state: the next nonce's counter */
    unsigned char dk[8];
    uint64_t seq;
    int64_t time_us;
    const unsigned char *rk;
    char marker[NLOG__ENC_MARKER_MAX];
} nlog__enc_record;

nlog_status nlog__enc_begin(const nlog__enc_recipient *r, int64_t time_ns, nlog__enc_record *rec);

/* Encrypts one value. Writes "enc1:..." into out[0..cap) and returns its
 * length, or 0 if it does not fit. */
size_t nlog__enc_field(const nlog__enc_record *rec, const char *group, const char *key,
                       const nlog_field *f, size_t max_plain, char *out, size_t cap,
                       unsigned char *scratch, size_t scratch_cap);

/* Bytes nlog__enc_field() may need for a value of `plain` plaintext bytes. */
size_t nlog__enc_size(size_t plain);

#endif /* NLOG_SECURITY_FIELDCRYPT_H */
